//! `callfold stats`: the telecom figures, over all legs or per group.

use std::io::Write;
use std::process::ExitCode;

use callfold::{GroupBy, Stats, StatsBuilder, Summary};

use crate::args::CallArgs;
use crate::failure::Failure;
use crate::format::{human_ms, stdout};
use crate::replay::for_each_call;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people (also: text)
    #[value(alias = "text")]
    Table,
    /// One JSON object
    Json,
}

/// Arguments of `callfold stats`.
#[derive(clap::Args)]
#[command(
    long_about = "Telecom figures over the transfer legs of a log: legs by outcome and by cause (verbatim), \
ASR per attempt (answered <Transfer>s / decided ones, so that the losers of simultaneous ringing do not count \
against it), the leg answer rate (answered legs / ended legs), connected calls / calls, ACD (mean talk) with \
talk p50/p95, ring p50/p95/max, queue p50/p95, and open, stale, violating and conflicting legs. Percentiles \
are exact (nearest rank)."
)]
pub struct Args {
    #[command(flatten)]
    calls: CallArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Give the figures per group
    #[arg(long, value_enum)]
    by: Option<GroupBy>,
    /// With --by: only the N groups with the most legs, the biggest first (without it, every group,
    /// sorted by name)
    #[arg(long, value_name = "N", requires = "by")]
    top: Option<usize>,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let by = args.by;
    let mut builder = StatsBuilder::new(by);
    let (done, late) = for_each_call(&args.calls, |call| {
        builder.add(call);
        Ok(())
    })?;
    let groups = builder.finish();
    // Over every group, before --top keeps some: the exit code does not depend on what is shown.
    let findings = late
        || done.findings()
        || groups
            .iter()
            .any(|(_, s)| s.with_violations + s.with_conflicts > 0);
    let groups = match args.top {
        Some(n) => Stats::top(groups, n),
        None => groups,
    };
    let mut out = stdout();
    match (args.format, by) {
        (Format::Json, None) => {
            serde_json::to_writer(&mut out, &groups[0].1).map_err(std::io::Error::from)?;
        }
        (Format::Json, Some(by)) => {
            let groups: Vec<_> = groups
                .iter()
                .map(|(key, stats)| serde_json::json!({"key": key, "stats": stats}))
                .collect();
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({"by": by.as_str(), "groups": groups}),
            )
            .map_err(std::io::Error::from)?;
        }
        (Format::Table, _) => {
            for (i, (key, stats)) in groups.iter().enumerate() {
                if let Some(by) = by {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    writeln!(out, "== {}: {key}", by.as_str())?;
                }
                write_text(&mut out, stats)?;
            }
        }
    }
    if args.format == Format::Json {
        writeln!(out)?;
    }
    out.flush()?;
    Ok(crate::exit(findings))
}

fn percent(ratio: Option<f64>) -> String {
    ratio.map_or("-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn summary(s: &Summary) -> String {
    #[allow(clippy::cast_possible_truncation)] // a mean of i64 values fits an i64
    let mean = s.mean_ms.map(|m| m.round() as i64);
    format!(
        "mean {}  p50 {}  p95 {}  max {}  (n={})",
        human_ms(mean),
        human_ms(s.p50_ms),
        human_ms(s.p95_ms),
        human_ms(s.max_ms),
        s.count
    )
}

fn write_text(out: &mut impl Write, s: &Stats) -> std::io::Result<()> {
    writeln!(out, "legs              {}", s.legs)?;
    for (outcome, n) in &s.outcomes {
        writeln!(out, "  {:<15} {n}", outcome.as_str())?;
    }
    writeln!(out, "  {:<15} {}", "open", s.open)?;
    writeln!(out, "causes")?;
    for (cause, n) in &s.causes {
        writeln!(out, "  {cause:<15} {n}")?;
    }
    writeln!(
        out,
        "ASR per attempt   {} ({} answered / {} decided attempts, {} in all)",
        percent(s.asr),
        s.answered_attempts,
        s.decided_attempts,
        s.attempts
    )?;
    writeln!(
        out,
        "leg answer rate   {} ({} answered / {} ended legs)",
        percent(s.leg_answer_rate),
        s.answered,
        s.ended
    )?;
    writeln!(
        out,
        "connected calls   {} ({} / {} calls)",
        percent(s.connected_ratio),
        s.connected_calls,
        s.calls
    )?;
    writeln!(out, "talk (ACD = mean) {}", summary(&s.talk))?;
    writeln!(out, "ring              {}", summary(&s.ring))?;
    if s.queue.count > 0 {
        writeln!(out, "queue             {}", summary(&s.queue))?;
    }
    writeln!(out, "stale legs        {}", s.stale)?;
    writeln!(out, "with violations   {}", s.with_violations)?;
    writeln!(out, "with conflicts    {}", s.with_conflicts)
}
