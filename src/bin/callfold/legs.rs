//! `callfold legs`: one JSON line per transfer leg.

use std::io::Write;
use std::process::ExitCode;

use crate::args::{LogArgs, ThreadArgs};
use crate::failure::Failure;
use crate::format::stdout;
use crate::replay::{exit_without_freeing, read_legs, to_stderr};

/// Arguments of `callfold legs`.
#[derive(clap::Args)]
#[command(
    long_about = "Fold a log of callbacks and print one JSON line per transfer leg, sorted by callId, \
so the output is the same for every order of the input lines.\n\nKeys: callId, parentCallId, state, outcome, \
cause, enqueuedTime, startTime, answerTime, endTime, queueMs, ringMs, talkMs, events, duplicates, conflicts, \
violations. Lines that are not callbacks are reported on stderr as `line N: <reason>`."
)]
pub struct Args {
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    threads: ThreadArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let (legs, done) = read_legs(&args.log, args.threads.threads(), to_stderr)?;
    let mut findings = done.findings();
    let mut out = stdout();
    let mut line = Vec::new();
    for leg in &legs {
        findings |= !leg.conflicts().is_empty() || !leg.violations().is_empty();
        line.clear();
        leg.write_json(&mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.flush()?;
    exit_without_freeing(legs);
    Ok(crate::exit(findings))
}
