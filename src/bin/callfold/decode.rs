//! `callfold decode`: each line as callfold reads it.

use std::io::Write;
use std::process::ExitCode;

use crate::args::LogArgs;
use crate::failure::Failure;
use crate::format::stdout;
use crate::replay::{read_log, to_stderr};

/// Arguments of `callfold decode`.
#[derive(clap::Args)]
#[command(
    long_about = "Print each callback as callfold reads it: one canonical JSON body per line (camelCase \
keys in Bandwidth's order, absent/null/\"\" fields left out, timestamps in UTC ending in Z). Lines that are not \
callbacks print as `line N: <reason>` on stderr. Useful to see what callfold made of a body, and to compare \
with other readers."
)]
pub struct Args {
    #[command(flatten)]
    log: LogArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let mut out = stdout();
    let done = read_log(
        &args.log,
        |_, callback| Ok(writeln!(out, "{}", callback.to_json())?),
        to_stderr,
    )?;
    out.flush()?;
    Ok(crate::exit(done.findings()))
}
