//! `--nats URL`: the log is a NATS JetStream stream that several instances share. Each body is
//! published to `<prefix>.<shard>` and answered 204 only after the stream's acknowledgement; every instance
//! consumes the whole stream, in sequence order, into its own projection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, stream};
use axum::body::Bytes;
use futures_util::StreamExt;

/// Bodies are spread over this many subjects by a hash of their call, so that a later consumer can own
/// shards. Fixed: changing it moves calls between subjects.
pub const SHARDS: u64 = 64;

/// How long the stream remembers a `Nats-Msg-Id`, so that a publish retried after a lost ack is stored
/// once.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

pub struct NatsLog {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: String,
    prefix: String,
    /// This instance, in every `Nats-Msg-Id` it sends: `<instance>-<n>`.
    instance: String,
    sent: AtomicU64,
    ack_timeout: Duration,
}

/// What the stream must be: the config callfold creates, and checks an existing stream against. The
/// same flags for `serve --nats` and `import`.
#[derive(clap::Args, Debug, Clone)]
pub struct Wanted {
    /// The JetStream stream, created if missing (file storage, --replicas, a 2-minute duplicate window);
    /// an existing stream with another configuration is never changed: callfold says what differs
    #[arg(
        long,
        value_name = "NAME",
        default_value = "CALLFOLD",
        requires = "nats"
    )]
    pub stream: String,
    /// Replicas of a stream callfold creates (3 on a cluster: a body is acked once a quorum holds it)
    #[arg(long, value_name = "N", default_value_t = 1, requires = "nats")]
    pub replicas: usize,
    /// Bodies are published to PREFIX.<shard>, the shard a hash of the call
    #[arg(
        long = "subject-prefix",
        value_name = "PREFIX",
        default_value = "callfold",
        requires = "nats"
    )]
    pub prefix: String,
}

impl NatsLog {
    /// Connects, creates the stream if it is missing or checks it if not, and says the last sequence
    /// the stream holds now.
    pub async fn connect(
        url: &str,
        wanted: Wanted,
        ack_timeout: Duration,
    ) -> Result<(NatsLog, u64), String> {
        let servers = servers(url)?;
        let client = async_nats::ConnectOptions::new()
            .name("callfold serve")
            .connection_timeout(Duration::from_secs(5))
            // After the first connection, reconnect forever: the instance catches up by itself.
            .max_reconnects(None)
            .connect(servers)
            .await
            .map_err(|e| format!("cannot reach NATS at {url}: {e}"))?;
        let jetstream = jetstream::new(client.clone());
        let config = stream::Config {
            name: wanted.stream.clone(),
            subjects: vec![format!("{}.*", wanted.prefix)],
            storage: stream::StorageType::File,
            num_replicas: wanted.replicas,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        };
        let mut existing = match jetstream.get_stream(&wanted.stream).await {
            Ok(existing) => existing,
            Err(error)
                if matches!(
                    error.kind(),
                    jetstream::context::GetStreamErrorKind::JetStream(e)
                        if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
                ) =>
            {
                jetstream.create_stream(config.clone()).await.map_err(|e| {
                    format!("cannot create the JetStream stream {}: {e}", wanted.stream)
                })?
            }
            Err(error) => {
                return Err(format!(
                    "cannot look up the JetStream stream {} at {url}: {error} (is JetStream enabled: \
                     nats-server -js?)",
                    wanted.stream
                ));
            }
        };
        let info = existing
            .info()
            .await
            .map_err(|e| format!("cannot read the stream {}: {e}", wanted.stream))?;
        let differences = differences(&info.config, &config);
        if !differences.is_empty() {
            return Err(format!(
                "the JetStream stream {} exists with another configuration: {}. callfold never \
                 changes an existing stream: change it yourself, or give another --stream",
                wanted.stream,
                differences.join("; ")
            ));
        }
        // A purged stream keeps its last sequence but holds nothing: nothing to wait for.
        let last = if info.state.messages == 0 {
            0
        } else {
            info.state.last_sequence
        };
        let instance = format!(
            "{:x}{:x}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        Ok((
            NatsLog {
                client,
                jetstream,
                stream: wanted.stream,
                prefix: wanted.prefix,
                instance,
                sent: AtomicU64::new(0),
                ack_timeout,
            },
            last,
        ))
    }

    /// Publishes a body to its call's shard and returns its stream sequence once the stream acked it.
    /// A publish whose ack does not come is sent again with the same `Nats-Msg-Id`, so the stream
    /// stores it once; past the ack timeout, or with the connection down, it fails.
    pub async fn append(&self, body: &[u8], call: &str) -> Result<u64, String> {
        let id = format!(
            "{}-{}",
            self.instance,
            self.sent.fetch_add(1, Ordering::Relaxed)
        );
        self.append_as(body, call, &id).await
    }

    /// Publishes a body with the given `Nats-Msg-Id` (see [`append`](NatsLog::append)).
    pub async fn append_as(&self, body: &[u8], call: &str, id: &str) -> Result<u64, String> {
        if !self.connected() {
            return Err("NATS is not connected".into());
        }
        let line: Vec<u8> = body
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        let subject = format!("{}.{}", self.prefix, shard(call));
        let payload = Bytes::from(line);
        let deadline = tokio::time::Instant::now() + self.ack_timeout;
        let mut last_error = String::from("no ack");
        let mut pause = Duration::from_millis(50);
        while tokio::time::Instant::now() < deadline {
            let publish = jetstream::message::PublishMessage::build()
                .payload(payload.clone())
                .message_id(id);
            let attempt = async {
                let ack = self
                    .jetstream
                    .send_publish(subject.clone(), publish)
                    .await
                    .map_err(|e| e.to_string())?;
                ack.await.map_err(|e| e.to_string())
            };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left.min(Duration::from_secs(2)), attempt).await {
                Ok(Ok(ack)) if ack.stream == self.stream => return Ok(ack.sequence),
                Ok(Ok(ack)) => {
                    return Err(format!(
                        "the subject {subject} is taken by the stream {}, not {}",
                        ack.stream, self.stream
                    ));
                }
                Ok(Err(error)) => last_error = error,
                Err(_) => last_error = "the ack did not come in time".into(),
            }
            if !self.connected() {
                break;
            }
            // Errors that come back at once (a leader election) are not retried in a tight loop.
            tokio::time::sleep(
                pause.min(deadline.saturating_duration_since(tokio::time::Instant::now())),
            )
            .await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
        Err(format!(
            "the stream {} did not acknowledge the callback: {last_error}",
            self.stream
        ))
    }

    /// How many bodies the stream holds now.
    pub async fn messages(&self) -> Result<u64, String> {
        let mut stream = self
            .jetstream
            .get_stream(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        Ok(stream
            .info()
            .await
            .map_err(|e| e.to_string())?
            .state
            .messages)
    }

    /// The `Nats-Msg-Id`s of the stream's bodies that start with `prefix`, read from their headers.
    pub async fn ids_with(
        &self,
        prefix: &str,
    ) -> Result<std::collections::HashSet<String>, String> {
        let mut ids = std::collections::HashSet::new();
        let mut stream = self
            .jetstream
            .get_stream(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        let last = stream
            .info()
            .await
            .map_err(|e| e.to_string())?
            .state
            .last_sequence;
        if last == 0 {
            return Ok(ids);
        }
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                deliver_policy: DeliverPolicy::All,
                headers_only: true,
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| e.to_string())?;
            if let Some(id) = message
                .headers
                .as_ref()
                .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                .map(|v| v.as_str().to_owned())
                .filter(|id| id.starts_with(prefix))
            {
                ids.insert(id);
            }
            if message.info().map_err(|e| e.to_string())?.stream_sequence >= last {
                break;
            }
        }
        Ok(ids)
    }

    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Sends every body of the stream from `from` on, in sequence order, to `sink`, for as long as the
    /// sink is there: across reconnections, resuming after the last sequence sent. Runs until the sink
    /// goes away.
    pub async fn consume(&self, from: u64, sink: std::sync::mpsc::Sender<(u64, Vec<u8>)>) {
        let mut next = from.max(1);
        loop {
            match self.ordered(next).await {
                Ok(mut messages) => {
                    while let Some(message) = messages.next().await {
                        let Ok(message) = message else { break };
                        let Ok(info) = message.info() else { continue };
                        let sequence = info.stream_sequence;
                        if sequence < next {
                            continue;
                        }
                        next = sequence + 1;
                        if sink.send((sequence, message.payload.to_vec())).is_err() {
                            return;
                        }
                    }
                }
                Err(error) => {
                    eprintln!("callfold serve: warning: reading the stream: {error}; retrying");
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The bodies from `from` up to (not including) `until`, for a client resuming from long ago.
    pub async fn read(
        &self,
        from: u64,
        until: u64,
        sink: tokio::sync::mpsc::Sender<Option<(u64, Vec<u8>)>>,
    ) -> Result<(), String> {
        if from >= until {
            return Ok(());
        }
        let mut messages = self.ordered(from.max(1)).await?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| e.to_string())?;
            let sequence = message.info().map_err(|e| e.to_string())?.stream_sequence;
            if sequence >= until {
                break;
            }
            if sink
                .send(Some((sequence, message.payload.to_vec())))
                .await
                .is_err()
            {
                break;
            }
            if sequence + 1 >= until {
                break;
            }
        }
        Ok(())
    }

    async fn ordered(&self, from: u64) -> Result<jetstream::consumer::pull::Ordered, String> {
        let stream = self
            .jetstream
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: from,
                },
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        consumer.messages().await.map_err(|e| e.to_string())
    }

    /// Sends what is buffered, for at most a second: with NATS down a flush would wait for ever.
    pub async fn flush(&self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.client.flush()).await;
    }
}

/// The servers of `--nats`: one URL, or several separated by commas (the nodes of a cluster).
pub fn servers(url: &str) -> Result<Vec<async_nats::ServerAddr>, String> {
    url.split(',')
        .map(|one| {
            one.trim()
                .parse::<async_nats::ServerAddr>()
                .map_err(|e| format!("--nats {one:?} is not a NATS URL: {e}"))
        })
        .collect()
}

/// The shard of a call: FNV-1a of its id, so that every instance and version agrees.
pub fn shard(call: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in call.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash % SHARDS
}

/// What differs between an existing stream's config and the one callfold wants, in words.
fn differences(have: &stream::Config, want: &stream::Config) -> Vec<String> {
    let mut out = Vec::new();
    if have.subjects != want.subjects {
        out.push(format!(
            "subjects {:?} (callfold wants {:?})",
            have.subjects, want.subjects
        ));
    }
    if have.storage != want.storage {
        out.push(format!(
            "storage {:?} (callfold wants {:?})",
            have.storage, want.storage
        ));
    }
    if have.num_replicas != want.num_replicas {
        out.push(format!(
            "replicas {} (callfold wants {}, from --replicas)",
            have.num_replicas, want.num_replicas
        ));
    }
    if have.duplicate_window < want.duplicate_window {
        out.push(format!(
            "duplicate window {:?} (callfold needs at least {:?})",
            have.duplicate_window, want.duplicate_window
        ));
    }
    if have.max_age != Duration::ZERO || have.max_messages > 0 || have.max_bytes > 0 {
        out.push("limits that delete bodies (max age, messages or bytes)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shard;

    #[test]
    fn shards_are_stable_and_spread() {
        // FNV-1a of "c-a", fixed forever: instances and versions must agree.
        assert_eq!(shard("c-a"), 0xf6e4_fa19_0dbf_82e4_u64 % 64);
        assert_eq!(shard("c-a"), 36);
        let used: std::collections::HashSet<u64> =
            (0..1000).map(|n| shard(&format!("c-{n}"))).collect();
        assert_eq!(used.len(), 64);
    }
}
