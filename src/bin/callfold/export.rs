//! `callfold export`: a log written out as JSON lines, one body per line, in log order: the JetStream
//! stream of `callfold serve --nats`, or the data directory of `callfold serve`.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use callfold::EventLog;

use crate::failure::Failure;
use crate::format::stdout;

/// Arguments of `callfold export`.
#[derive(clap::Args)]
#[command(
    long_about = "Write a log out as JSON lines, one callback body per line, in log order: a JetStream \
stream (nats://HOST:PORT/STREAM), up to its last message when the export began, or a data directory of \
`callfold serve`. The bodies are written as they are stored, byte for byte."
)]
pub struct Args {
    /// nats://HOST:PORT/STREAM, or a data directory
    #[arg(value_name = "LOG")]
    log: String,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let fail = |source: io::Error| Failure::Input {
        name: args.log.clone(),
        source,
    };
    let mut out = stdout();
    if crate::stream::is_stream(&args.log) {
        let reader = crate::stream::open(&args.log).map_err(|e| fail(io::Error::other(e)))?;
        copy(
            &mut io::BufReader::with_capacity(1 << 16, reader),
            &mut out,
            &fail,
        )?;
    } else {
        let dir = PathBuf::from(&args.log);
        if !dir.is_dir() {
            return Err(Failure::Usage(format!(
                "{}: export reads a stream (nats://HOST:PORT/STREAM) or a data directory of `callfold serve`",
                args.log
            )));
        }
        for segment in EventLog::segment_files(&dir).map_err(fail)? {
            let file = std::fs::File::open(&segment).map_err(fail)?;
            copy(
                &mut io::BufReader::with_capacity(1 << 16, file),
                &mut out,
                &fail,
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn copy(
    from: &mut impl BufRead,
    to: &mut impl Write,
    fail: &impl Fn(io::Error) -> Failure,
) -> Result<(), Failure> {
    loop {
        let chunk = from.fill_buf().map_err(fail)?;
        if chunk.is_empty() {
            return Ok(());
        }
        let n = chunk.len();
        to.write_all(chunk)?;
        from.consume(n);
    }
}
