//! `callfold import`: a local log (the data directory of `callfold serve`) published into the
//! JetStream stream of `callfold serve --nats`, in log order, each body once: the move from one
//! instance's file log to a shared stream.

use std::io::{self, BufRead};
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
`callfold serve --nats`, in log order, each once. The stream is made if missing, as `serve --nats` makes \
it. A stream that already holds bodies is refused, so that an import cannot double them; after an import \
that stopped part-way, --resume publishes the bodies the stream does not hold yet (each body's id, \
`import-<position>`, is kept in the stream). Stop the server that writes the directory first."
)]
pub struct Args {
    /// The data directory
    #[arg(value_name = "DIR")]
    data: PathBuf,
    /// The NATS server (nats://HOST:PORT; several, comma-separated, for a cluster)
    #[arg(long, value_name = "URL")]
    nats: String,
    /// The stream
    #[arg(long, value_name = "NAME", default_value = "CALLFOLD")]
    stream: String,
    /// Replicas of the stream if it is made
    #[arg(long, value_name = "N", default_value_t = 1)]
    replicas: usize,
    /// The subjects' prefix, as given to `serve --nats`
    #[arg(long, value_name = "PREFIX", default_value = "callfold")]
    subject_prefix: String,
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
        let wanted = Wanted {
            stream: args.stream.clone(),
            prefix: args.subject_prefix.clone(),
            replicas: args.replicas,
        };
        let (stream, _) = NatsLog::connect(&args.nats, wanted, Duration::from_secs(10))
            .await
            .map_err(Failure::Serve)?;
        let held = stream.messages().await.map_err(Failure::Serve)?;
        if held > 0 && !args.resume {
            return Err(Failure::Usage(format!(
                "the stream {} already holds {held} bodies: importing would double them. Give --resume \
                 to continue an import that stopped (the bodies an import already published are skipped)",
                args.stream
            )));
        }
        // Each body is published with the id `import-<position>`, kept in the stream's headers: an
        // import that resumes publishes exactly the positions the stream does not hold.
        let done = if args.resume {
            stream.ids_with("import-").await.map_err(Failure::Serve)?
        } else {
            std::collections::HashSet::new()
        };
        let mut bodies = Vec::new();
        for segment in &segments {
            let file = std::fs::File::open(segment).map_err(fail)?;
            for line in io::BufReader::with_capacity(1 << 16, file).split(b'\n') {
                let line = line.map_err(fail)?;
                if !line.trim_ascii().is_empty() {
                    bodies.push(line);
                }
            }
        }
        let skip = done.len();
        // 64 in flight over one connection; a retried publish keeps its id.
        let pending = bodies
            .into_iter()
            .enumerate()
            .filter(|(position, _)| !done.contains(&format!("import-{position}")))
            .map(|(position, body)| {
                let stream = &stream;
                async move {
                    let call = Callback::from_slice(&body).map_or_else(
                        |_| String::new(),
                        |c| c.parent_call_id.unwrap_or(c.call_id).as_str().to_owned(),
                    );
                    let id = format!("import-{position}");
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
            args.stream,
            if skip > 0 {
                format!(" ({skip} skipped, already there)")
            } else {
                String::new()
            }
        );
        Ok(ExitCode::SUCCESS)
    })
}
