//! `callfold check`: report what is wrong with a log, one line per finding.

use std::io::Write;
use std::process::ExitCode;

use callfold::{LogError, LogReader, Tracker};

use crate::input::{Failure, FileArg, Input, chain, read_failure, stdout};

/// Arguments of `callfold check`.
#[derive(clap::Args)]
#[command(long_about = "Read a log of callbacks and report, on stdout:\n  \
line N: <reason>             for each line that could not be read as a callback\n  \
leg <callId>: <code>: <detail>  for each invariant violation and each conflict (code `conflict`)\n\n\
A summary of what was read goes to stderr. It never stops at a bad line.")]
pub struct Args {
    #[command(flatten)]
    input: FileArg,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let Input { name, mut reader } = Input::open(args.input.file.as_deref())?;
    let mut out = stdout();
    let mut tracker = Tracker::new();
    let mut log = LogReader::new(&mut reader);
    for item in log.by_ref() {
        match item {
            Ok((_, callback)) => {
                tracker.apply(&callback);
            }
            Err(error @ LogError::Line { .. }) => writeln!(out, "{}", chain(&error))?,
            Err(error) => return Err(read_failure(&name, error)),
        }
    }
    let counts = log.counts();

    let (mut with_violations, mut with_conflicts) = (0, 0);
    let legs = tracker.into_sorted_legs();
    for leg in &legs {
        let id = leg.call_id().as_str().escape_debug();
        let violations = leg.violations();
        let conflicts = leg.conflicts();
        with_violations += usize::from(!violations.is_empty());
        with_conflicts += usize::from(!conflicts.is_empty());
        for violation in &violations {
            writeln!(out, "leg {id}: {}: {violation}", violation.code())?;
        }
        for conflict in &conflicts {
            writeln!(out, "leg {id}: conflict: {conflict}")?;
        }
    }
    out.flush()?;
    eprintln!(
        "callfold check: {} lines read = {} callbacks + {} rejected + {} blank; {} legs, {} with violations, {} with conflicts",
        counts.lines,
        counts.callbacks,
        counts.rejected,
        counts.blank,
        legs.len(),
        with_violations,
        with_conflicts
    );
    let clean = counts.rejected == 0 && with_violations == 0 && with_conflicts == 0;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
