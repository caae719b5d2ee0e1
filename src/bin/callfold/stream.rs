//! `nats://HOST:PORT/STREAM` as an input: the JetStream stream that `callfold serve --nats` keeps, read
//! as a JSON-lines log, one body per line in sequence order, up to its last sequence when the read
//! began. A thread of its own runs the NATS client and writes into a pipe; the reader sees an error if
//! the stream breaks off.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, mpsc};

use async_nats::jetstream::{self, consumer::DeliverPolicy};
use futures_util::StreamExt;

/// Whether an input names a stream.
pub fn is_stream(input: &str) -> bool {
    input.starts_with("nats://")
}

/// The server and the stream of `nats://HOST:PORT/STREAM`.
fn parse(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("nats://").unwrap_or(url);
    match rest.split_once('/') {
        Some((server, stream))
            if !server.is_empty() && !stream.is_empty() && !stream.contains('/') =>
        {
            Ok((format!("nats://{server}"), stream.to_owned()))
        }
        _ => Err(format!(
            "{url}: give a stream as nats://HOST:PORT/STREAM (the --stream of callfold serve, CALLFOLD by default)"
        )),
    }
}

/// The stream's bodies as a reader of JSON lines, once the stream is found; or why not.
pub fn open(url: &str) -> Result<StreamReader, String> {
    let (server, stream) = parse(url)?;
    let (reader, mut writer) = io::pipe().map_err(|e| e.to_string())?;
    let failure = Arc::new(Mutex::new(None));
    let failed = Arc::clone(&failure);
    let (started, start) = mpsc::channel::<Result<(), String>>();
    let name = url.to_owned();
    std::thread::Builder::new()
        .name("nats-reader".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = started.send(Err(e.to_string()));
                    return;
                }
            };
            let result = runtime.block_on(async {
                let client = async_nats::ConnectOptions::new()
                    .name("callfold")
                    .connection_timeout(std::time::Duration::from_secs(5))
                    // A reader reports a lost server rather than wait for it.
                    .max_reconnects(3)
                    .connect(server.as_str())
                    .await
                    .map_err(|e| format!("cannot reach NATS at {server}: {e}"))?;
                let context = jetstream::new(client);
                let mut found = context
                    .get_stream(&stream)
                    .await
                    .map_err(|e| format!("no stream {stream} at {server}: {e}"))?;
                let state = found
                    .info()
                    .await
                    .map_err(|e| format!("cannot read the stream {stream}: {e}"))?
                    .state
                    .clone();
                let last = state.last_sequence;
                let _ = started.send(Ok(()));
                // A purged stream keeps its last sequence but holds nothing.
                if state.messages == 0 {
                    return Ok(());
                }
                let consumer = found
                    .create_consumer(jetstream::consumer::pull::OrderedConfig {
                        deliver_policy: DeliverPolicy::All,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
                while let Some(message) = messages.next().await {
                    let message = message.map_err(|e| e.to_string())?;
                    let sequence = message.info().map_err(|e| e.to_string())?.stream_sequence;
                    if writer.write_all(&message.payload).is_err()
                        || writer.write_all(b"\n").is_err()
                    {
                        // The reader stopped reading: nothing to report.
                        return Ok(());
                    }
                    if sequence >= last {
                        break;
                    }
                }
                Ok::<(), String>(())
            });
            if let Err(error) = result {
                let _ = started.send(Err(error.clone()));
                if let Ok(mut slot) = failed.lock() {
                    *slot = Some(error);
                }
            }
        })
        .map_err(|e| e.to_string())?;
    match start.recv() {
        Ok(Ok(())) => Ok(StreamReader {
            pipe: reader,
            failure,
            name,
        }),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(failure
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .unwrap_or_else(|| "the stream reader stopped".into())),
    }
}

/// The stream's lines; an error at the end if the stream broke off before its last sequence.
pub struct StreamReader {
    pipe: io::PipeReader,
    failure: Arc<Mutex<Option<String>>>,
    name: String,
}

impl Read for StreamReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.pipe.read(out)?;
        if n == 0
            && let Some(error) = self.failure.lock().ok().and_then(|slot| slot.clone())
        {
            return Err(io::Error::other(format!("{}: {error}", self.name)));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_stream_url_names_its_server_and_stream() {
        assert_eq!(
            parse("nats://127.0.0.1:4222/CALLFOLD"),
            Ok(("nats://127.0.0.1:4222".into(), "CALLFOLD".into()))
        );
        assert!(parse("nats://127.0.0.1:4222").is_err());
        assert!(parse("nats://127.0.0.1:4222/").is_err());
        assert!(parse("nats:///CALLFOLD").is_err());
    }
}
