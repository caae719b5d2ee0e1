//! The two logs `callfold serve` keeps callbacks in, behind one face: the local event log (a data
//! directory, group commit) and, with `--nats`, a JetStream stream shared by several instances. Either
//! way a body gets a position (a line of the local log, a sequence of the stream) once it is durable,
//! and the projection is fed every body in position order.

use std::sync::Arc;

use axum::body::Bytes;
use callfold::{EventLog, Rejects};
use tokio::sync::mpsc;

#[cfg(feature = "nats")]
use super::nats::NatsLog;

pub enum Log {
    File(EventLog),
    #[cfg(feature = "nats")]
    Nats {
        stream: NatsLog,
        rejects: Rejects,
    },
}

impl Log {
    /// Makes a body durable and returns its position.
    pub async fn append(self: &Arc<Self>, body: Bytes, call: &str) -> Result<u64, String> {
        match &**self {
            Log::File(_) => {
                let log = Arc::clone(self);
                let appended = tokio::task::spawn_blocking(move || match &*log {
                    Log::File(file) => file.append(&body).map_err(|e| e.to_string()),
                    #[cfg(feature = "nats")]
                    Log::Nats { .. } => Err("not a file log".to_owned()),
                })
                .await;
                appended.unwrap_or_else(|join| Err(format!("the append failed: {join}")))
            }
            #[cfg(feature = "nats")]
            Log::Nats { stream, .. } => {
                let _ = call;
                stream.append(&body, call).await
            }
        }
    }

    /// Keeps a body that is not logged in the data directory's rejects.
    pub async fn reject(
        self: &Arc<Self>,
        body: Bytes,
        details: Vec<(&'static str, String)>,
    ) -> Result<(), String> {
        let log = Arc::clone(self);
        let kept = tokio::task::spawn_blocking(move || {
            let details: Vec<(&str, &str)> =
                details.iter().map(|(k, v)| (*k, v.as_str())).collect();
            log.rejects().keep(&body, "invalid", &details)
        })
        .await;
        match kept {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(join) => Err(join.to_string()),
        }
    }

    fn rejects(&self) -> &Rejects {
        match self {
            Log::File(file) => file.rejects(),
            #[cfg(feature = "nats")]
            Log::Nats { rejects, .. } => rejects,
        }
    }

    /// The bytes the log holds, when this instance knows them (not for a shared stream).
    pub fn bytes(&self) -> Option<u64> {
        match self {
            Log::File(file) => Some(file.bytes()),
            #[cfg(feature = "nats")]
            Log::Nats { .. } => None,
        }
    }

    /// Whether appends can succeed as far as this instance can tell: always for a local log, only
    /// while connected for a stream.
    pub fn connected(&self) -> bool {
        match self {
            Log::File(_) => true,
            #[cfg(feature = "nats")]
            Log::Nats { stream, .. } => stream.connected(),
        }
    }

    /// The bodies from position `from` up to (not including) `until`, in order, as they are read, then
    /// `None` once all were read: a channel that closes without it was cut short.
    pub fn bodies(
        self: &Arc<Self>,
        from: u64,
        until: u64,
    ) -> mpsc::Receiver<Option<(u64, Vec<u8>)>> {
        let (sender, receiver) = mpsc::channel(1024);
        let log = Arc::clone(self);
        match &**self {
            Log::File(_) => {
                tokio::task::spawn_blocking(move || {
                    let Log::File(file) = &*log else { return };
                    let Ok(bodies) = file.bodies_from(from) else {
                        return;
                    };
                    for body in bodies {
                        let Ok((position, body)) = body else { return };
                        if position >= until {
                            break;
                        }
                        if sender.blocking_send(Some((position, body))).is_err() {
                            return;
                        }
                    }
                    let _ = sender.blocking_send(None);
                });
            }
            #[cfg(feature = "nats")]
            Log::Nats { .. } => {
                tokio::spawn(async move {
                    if let Log::Nats { stream, .. } = &*log {
                        match stream.read(from, until, sender.clone()).await {
                            Ok(()) => {
                                let _ = sender.send(None).await;
                            }
                            Err(error) => {
                                eprintln!(
                                    "callfold serve: warning: reading the stream again: {error}"
                                );
                            }
                        }
                    }
                });
            }
        }
        receiver
    }

    /// Deletes what the retention says is too old (the local log only).
    pub fn enforce_retention(&self) -> std::io::Result<usize> {
        match self {
            Log::File(file) => file.enforce_retention(),
            #[cfg(feature = "nats")]
            Log::Nats { .. } => Ok(0),
        }
    }

    /// Sends what is buffered before the process exits.
    pub async fn close(&self) {
        #[cfg(feature = "nats")]
        if let Log::Nats { stream, .. } = self {
            stream.flush().await;
        }
    }
}
