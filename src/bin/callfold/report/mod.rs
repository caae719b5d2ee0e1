//! `callfold report`: one self-contained HTML page with the figures of a log as charts, its findings,
//! and the timelines of the calls they link to (or of the one call `--call` names).

// Charts place counts and durations on f64 axes, far below 2^52; pages are built by appending
// formatted pieces, which reads better than write! with its ignored Result.
#![allow(clippy::cast_precision_loss, clippy::format_push_string)]

mod figures;
mod page;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::TimeDelta;

use crate::args::CallArgs;
use crate::failure::Failure;
use crate::replay::map_calls;

pub use figures::{Figures, placed_at};
pub use page::over_time_charts;

/// Arguments of `callfold report`.
#[derive(clap::Args)]
#[command(
    long_about = "Write one HTML file that works offline (inline SVG and style, no script, nothing \
fetched): the totals of `callfold stats` with their definitions; attempts by outcome, ASR per attempt and \
ring time p50/p95 per hour (per day past three days); ring, talk and queue time histograms; legs by cause \
(verbatim) and by failure outcome; the top destinations with their ASR; the findings (violations, \
conflicts, stale legs), each linking to its call's timeline. With --call ID, the report is of that one call, \
with its timeline.\n\nThe report holds figures, not calls: a log of millions of lines makes a page of a few \
hundred kilobytes. The first 40 calls with findings are listed and drawn; the others are counted \
(`callfold check` lists them all)."
)]
pub struct Args {
    #[command(flatten)]
    calls: CallArgs,
    /// Write the report to this file (made anew; `-` writes to standard output)
    #[arg(long, short, value_name = "FILE", default_value = "report.html")]
    output: PathBuf,
    /// The report's title [default: the inputs' names]
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    // Before reading what may be a long log: a report that cannot be written is a usage error now.
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty())
        && args.output != Path::new("-")
        && !dir.is_dir()
    {
        return Err(Failure::Usage(format!(
            "--output {}: no directory {}",
            args.output.display(),
            dir.display()
        )));
    }
    let one_call = args.calls.log.call.is_some();
    let hour = TimeDelta::hours(1);
    let mut figures = Figures::new(hour);
    // Counted chunk by chunk on --threads threads, and merged in order.
    let (done, late) = map_calls(
        &args.calls,
        |calls| {
            let mut chunk = Figures::new(hour);
            for call in calls {
                chunk.add(call, one_call);
            }
            chunk
        },
        |chunk| {
            figures.merge(chunk);
            Ok(())
        },
    )?;
    let report = figures.finish();
    let title = args.title.clone().unwrap_or_else(|| default_title(args));
    let source = page::Source {
        title,
        lines: done.counts.lines,
        callbacks: done.counts.callbacks,
        rejected: done.counts.rejected,
        late,
    };
    let html = page::render(&report, &source);
    write(&args.output, html.as_bytes())?;
    if args.output != Path::new("-") {
        eprintln!(
            "callfold: wrote {} ({} KB): {} calls, {} legs",
            args.output.display(),
            html.len().div_ceil(1024),
            report.totals.calls,
            report.totals.legs
        );
    }
    let findings =
        late || done.findings() || report.totals.with_violations + report.totals.with_conflicts > 0;
    Ok(crate::exit(findings))
}

fn default_title(args: &Args) -> String {
    let names: Vec<String> = args
        .calls
        .log
        .files
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let mut title = if names.is_empty() {
        "standard input".to_owned()
    } else {
        names.join(", ")
    };
    if let Some(call) = &args.calls.log.call {
        title = format!("call {call} in {title}");
    }
    format!("Transfers: {title}")
}

/// Writes the whole report, or nothing: to a temporary file beside it, renamed over it once complete.
fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()?;
        return Ok(());
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })
}
