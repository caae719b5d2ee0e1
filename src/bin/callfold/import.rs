//! `callfold import`: a local log (the data directory of `callfold serve`) published into the
//! JetStream stream of `callfold serve --nats`, each body once: the move from one
//! instance's file log to a shared stream.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use callfold::{Callback, EventLog};
use futures_util::StreamExt;

use crate::failure::Failure;
use crate::serve::nats::{NatsLog, Wanted};

/// Arguments of `callfold import`.
#[derive(clap::Args)]
#[command(
    long_about = "Publish the bodies of a data directory of `callfold serve` into the JetStream stream of \
`callfold serve --nats`, each once (64 at a time, so not always in log order: the fold does not care). The stream is made if missing, as `serve --nats` makes \
it. A stream that already holds bodies is refused, so that an import cannot double them; after an import \
that stopped part-way, --resume publishes the bodies the stream does not hold yet (each body's id, \
`import-<hash of the first body>-<position>`, is kept in the stream). Stop the server that writes the directory first."
)]
pub struct Args {
    /// The data directory
    #[arg(value_name = "DIR")]
    data: PathBuf,
    /// The NATS server (nats://HOST:PORT; several, comma-separated, for a cluster)
    #[arg(long, value_name = "URL")]
    nats: String,
    #[command(flatten)]
    wanted: Wanted,
    /// Continue an import that stopped: publish only the bodies the stream does not hold yet
    #[arg(long)]
    resume: bool,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let name = args.data.display().to_string();
    let fail = |source: io::Error| Failure::Input {
        name: name.clone(),
        source,
    };
    let segments = EventLog::segment_files(&args.data).map_err(fail)?;
    if segments.is_empty() {
        return Err(Failure::Usage(format!(
            "{name}: not a data directory of `callfold serve` (no segments/ folder)"
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Serve(e.to_string()))?;
    runtime.block_on(async {
        let (stream, _) = NatsLog::connect(&args.nats, args.wanted.clone(), Duration::from_secs(10))
            .await
            .map_err(Failure::Serve)?;
        let held = stream.messages().await.map_err(Failure::Serve)?;
        if held > 0 && !args.resume {
            return Err(Failure::Usage(format!(
                "the stream {} already holds {held} bodies: importing would double them. Give --resume \
                 to continue an import that stopped (the bodies an import already published are skipped)",
                args.wanted.stream
            )));
        }
        let mut bodies = Vec::new();
        for segment in &segments {
            let text = std::fs::read(segment).map_err(fail)?;
            // A last line without its newline is a torn write that the server never acknowledged.
            let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |end| end + 1);
            for line in text[..whole].split(|b| *b == b'\n') {
                if !line.trim_ascii().is_empty() {
                    bodies.push(line.to_vec());
                }
            }
        }
        // Each body is published with the id `import-<log>-<position>`, kept in the stream's headers,
        // `<log>` a hash of the directory's first body, so that two directories never share ids: an
        // import that resumes publishes exactly the positions of this directory the stream lacks.
        let log_id = format!("import-{:016x}-", fnv(bodies.first().map_or(&[][..], Vec::as_slice)));
        let done = if args.resume {
            stream.ids_with(&log_id).await.map_err(Failure::Serve)?
        } else {
            std::collections::HashSet::new()
        };
        let skip = done.len();
        // 64 in flight over one connection; a retried publish keeps its id.
        let pending = bodies
            .into_iter()
            .enumerate()
            .filter(|(position, _)| !done.contains(&format!("{log_id}{position}")))
            .map(|(position, body)| {
                let log_id = &log_id;
                let stream = &stream;
                async move {
                    let call = Callback::from_slice(&body).map_or_else(
                        |_| String::new(),
                        |c| c.parent_call_id.unwrap_or(c.call_id).as_str().to_owned(),
                    );
                    let id = format!("{log_id}{position}");
                    stream
                        .append_as(&body, &call, &id)
                        .await
                        .map_err(|e| (position, e))
                }
            });
        let mut results = futures_util::stream::iter(pending).buffered(64);
        let mut published = 0u64;
        while let Some(result) = results.next().await {
            if let Err((position, error)) = result {
                return Err(Failure::Serve(format!(
                    "import stopped at body {position} of {name} ({published} published): {error}. \
                     Run it again with --resume"
                )));
            }
            published += 1;
        }
        stream.flush().await;
        eprintln!(
            "callfold import: {published} bodies of {name} published to the stream {}{}",
            args.wanted.stream,
            if skip > 0 {
                format!(" ({skip} skipped, already there)")
            } else {
                String::new()
            }
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// FNV-1a: a directory's identity in its import ids.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
