//! `callfold check`: report what is wrong with a log, one line per finding.

use std::io::Write;
use std::process::ExitCode;

use callfold::format_timestamp;

use crate::input::{
    Failure, HistoryArgs, LogArgs, chain, exit_without_freeing, human_ms, read_history, stdout,
};

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
    history: HistoryArgs,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let mut out = stdout();
    let (history, counts) =
        read_history(&args.log, |error| Ok(writeln!(out, "{}", chain(error))?))?;
    let options = args.history.options();
    let as_of = options.as_of.or(history.latest_event_time());

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
        if let (true, Some(last), Some(as_of)) = (
            history.is_stale(leg, &options),
            leg.last_known_time(),
            as_of,
        ) {
            stale += 1;
            writeln!(
                out,
                "leg {id}: stale: {} and not ended, last heard of at {}, {} before {}: its transferDisconnect is missing",
                leg.state(),
                format_timestamp(&last),
                human_ms(Some(as_of.signed_duration_since(last).num_milliseconds())),
                format_timestamp(&as_of),
            )?;
        }
    }
    out.flush()?;
    eprintln!(
        "callfold check: {} lines read = {} callbacks + {} rejected + {} blank; {} legs, {} with violations, {} with conflicts, {} stale",
        counts.lines,
        counts.callbacks,
        counts.rejected,
        counts.blank,
        legs.len(),
        with_violations,
        with_conflicts,
        stale
    );
    let findings = counts.rejected > 0 || with_violations + with_conflicts + stale > 0;
    drop(legs);
    exit_without_freeing(history);
    Ok(crate::exit(findings))
}
