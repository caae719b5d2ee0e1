//! `callfold generate`: a realistic, deterministic log of transfer traffic.

use std::io::Write;
use std::process::ExitCode;

use callfold::{GenerateOptions, generate};
use chrono::{DateTime, Utc};

use crate::args::parse_time;
use crate::failure::Failure;
use crate::format::stdout;

/// Arguments of `callfold generate`.
#[derive(clap::Args)]
#[command(
    long_about = "Print a JSON-lines log of Bandwidth transfer traffic, the same bytes for the same seed. \
It streams, so large logs take little memory.\n\nDefault distributions (docs/cli.md has the details): about 70% \
of <Transfer>s connect; the others fail on every leg with busy (40%), no answer/timeout (35%), rejected (18%), \
cancel (4%) and rare errors (3%); 1 leg per transfer 60% of the time, 2 legs 25%, 3 to 8 legs 15%; ring time \
2-25 s before an answer; talk time log-uniform from 5 s to about 2 h (median about 3 min); half the calls \
whose transfer failed try again, up to 3 transfers (about 15% of calls make several attempts); 20% of legs are queued 0.2-5 s. Deliveries are perturbed like Bandwidth's: \
reordered within 8 lines, 1% redelivered, 10% of lines with null/\"\" fields and other timestamp shapes."
)]
pub struct Args {
    /// How many calls
    #[arg(long, default_value_t = 100)]
    calls: u64,
    /// The seed: the same seed gives the same log
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of calls (0 to 1) given one fault: time-order break, answered despite cause, conflicting
    /// redelivery, malformed line, unknown cause, unknown event type, or a dropped transferDisconnect
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    faults: f64,
    /// When the first call arrives (RFC 3339)
    #[arg(long, default_value = "2026-01-01T00:00:00Z", value_parser = parse_time)]
    start: DateTime<Utc>,
    /// Calls per second, on average
    #[arg(long, default_value_t = 10.0, value_parser = parse_cps)]
    cps: f64,
    /// Deliver in order, once each, every field written the plain way
    #[arg(long)]
    clean: bool,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("{text:?} is not a rate from 0 to 1")),
    }
}

fn parse_cps(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(cps) if cps > 0.0 && cps.is_finite() => Ok(cps),
        _ => Err(format!(
            "{text:?} is not a positive number of calls per second"
        )),
    }
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let options = GenerateOptions {
        calls: args.calls,
        seed: args.seed,
        faults: args.faults,
        start: args.start,
        cps: args.cps,
        perturb: !args.clean,
    };
    let mut out = stdout();
    generate(&options, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
