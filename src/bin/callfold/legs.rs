//! `callfold legs`: one JSON line per transfer leg.

use std::io::Write;
use std::process::ExitCode;

use callfold::{LogError, LogReader, Tracker};

use crate::input::{Failure, FileArg, Input, chain, read_failure, stdout};

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
    input: FileArg,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let Input { name, mut reader } = Input::open(args.input.file.as_deref())?;
    let mut tracker = Tracker::new();
    let mut findings = false;
    for item in LogReader::new(&mut reader) {
        match item {
            Ok((_, callback)) => {
                tracker.apply(&callback);
            }
            Err(error @ LogError::Line { .. }) => {
                eprintln!("{}", chain(&error));
                findings = true;
            }
            Err(error) => return Err(read_failure(&name, error)),
        }
    }
    let mut out = stdout();
    for leg in tracker.into_sorted_legs() {
        findings |= !leg.conflicts().is_empty() || !leg.violations().is_empty();
        serde_json::to_writer(&mut out, &leg).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if findings {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
