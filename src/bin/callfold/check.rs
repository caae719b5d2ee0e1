//! `callfold check`: report what is wrong with a log, one line per finding.

use std::io::Write;
use std::process::ExitCode;

use crate::args::{HistoryArgs, LogArgs, ThreadArgs};
use crate::failure::Failure;
use crate::format::stdout;
use crate::replay::{exit_without_freeing, read_history};

/// Arguments of `callfold check`.
#[derive(clap::Args)]
#[command(long_about = "Read a log of callbacks and report, on stdout:\n  \
line N: <reason>                 for each line that could not be read as a callback\n  \
leg <callId>: <code>: <detail>   for each invariant violation, each conflict (code `conflict`) and each \
stale leg (code `stale`: its transferDisconnect is missing)\n\n\
A summary of what was read goes to stderr. It never stops at a bad line.")]
pub struct Args {
    #[command(flatten)]
    log: LogArgs,
    #[command(flatten)]
    threads: ThreadArgs,
    #[command(flatten)]
    history: HistoryArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let mut out = stdout();
    let (history, done) = read_history(&args.log, args.threads.threads(), |text| {
        Ok(writeln!(out, "{text}")?)
    })?;
    let counts = done.counts;
    let options = args.history.options();

    let (mut with_violations, mut with_conflicts, mut stale) = (0, 0, 0);
    let mut legs: Vec<_> = history.legs().collect();
    legs.sort_by(|a, b| a.call_id().cmp(b.call_id()));
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
        if let Some(detail) = history.stale(leg, &options) {
            stale += 1;
            writeln!(out, "leg {id}: stale: {detail}")?;
        }
    }
    out.flush()?;
    let filtered = if counts.filtered > 0 {
        format!(" ({} filtered out)", counts.filtered)
    } else {
        String::new()
    };
    eprintln!(
        "callfold check: {} lines read = {} callbacks{filtered} + {} rejected + {} blank; {} legs, {} with violations, {} with conflicts, {} stale",
        counts.lines,
        counts.callbacks,
        counts.rejected,
        counts.blank,
        legs.len(),
        with_violations,
        with_conflicts,
        stale
    );
    let findings = done.findings() || with_violations + with_conflicts + stale > 0;
    drop(legs);
    exit_without_freeing(history);
    Ok(crate::exit(findings))
}
