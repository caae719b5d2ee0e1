//! `callfold history`: one record per original call, as JSON, CSV call-detail records, or a table.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use callfold::Call;

use crate::args::CallArgs;
use crate::failure::Failure;
use crate::format::stdout;
use crate::replay::map_calls;
use crate::table::{self, Shape};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per call, per line
    Json,
    /// One row per leg under a header row (call-detail records)
    Csv,
    /// A table for people, with durations like 1m04s: every column, wide (ids are 47 characters)
    Table,
    /// The table in short, for a terminal: ids cut to `c-` and 6 hex digits, the start's day only
    /// when the legs span more than one, no TO and CAUSE columns: 100 columns or fewer, notes aside
    Compact,
}

/// Arguments of `callfold history`.
#[derive(clap::Args)]
#[command(
    long_about = "Rebuild call history: one record per original call (the A-leg, the parentCallId of its \
legs) with its transfer legs, the A-leg's own facts, its attempts (legs starting within --attempt-window of \
each other ring together: one <Transfer>), which leg won each attempt or why none did, and the call's outcome: \
connected, not-connected or open."
)]
pub struct Args {
    #[command(flatten)]
    calls: CallArgs,
    /// Output format [default: compact when stdout is a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Compact
    } else {
        Format::Json
    });
    let mut out = stdout();
    if format == Format::Csv {
        csv_writer(&mut out).write_record(Call::CSV_HEADER)?;
    }
    let mut findings = false;
    let mut rows = Vec::new();
    let (done, late) = map_calls(
        &args.calls,
        |calls| Formatted::of(format, calls),
        |formatted| {
            let formatted = formatted?;
            findings |= formatted.findings;
            out.write_all(&formatted.bytes)?;
            rows.extend(formatted.rows);
            Ok(())
        },
    )?;
    match format {
        Format::Table => table::write(&mut out, Shape::Wide, &rows)?,
        Format::Compact => table::write(&mut out, Shape::Compact, &rows)?,
        Format::Json | Format::Csv => {}
    }
    out.flush()?;
    Ok(crate::exit(findings || late || done.findings()))
}

/// A chunk of calls in the chosen format, made on the thread that built them: JSON lines or CSV rows as
/// bytes, or table rows (kept, to align the whole table), and whether a leg has conflicts or violations.
struct Formatted {
    bytes: Vec<u8>,
    rows: Vec<Vec<String>>,
    findings: bool,
}

impl Formatted {
    fn of(format: Format, calls: &[Call<'_>]) -> Result<Formatted, Failure> {
        let mut formatted = Formatted {
            bytes: Vec::new(),
            rows: Vec::new(),
            findings: calls
                .iter()
                .flat_map(Call::legs)
                .any(|leg| !leg.conflicts().is_empty() || !leg.violations().is_empty()),
        };
        // Room for the whole chunk up front: growing a megabyte buffer by doubling copies it again
        // and again (3% of the instructions of `history`), and room never written to costs no memory.
        let legs: usize = calls.iter().map(|call| call.legs().count()).sum();
        match format {
            Format::Json => formatted.bytes.reserve(calls.len() * 512 + legs * 1024),
            Format::Csv => formatted.bytes.reserve(legs * 768),
            Format::Table | Format::Compact => {}
        }
        match format {
            Format::Json => {
                for call in calls {
                    call.write_json(&mut formatted.bytes);
                    formatted.bytes.push(b'\n');
                }
            }
            Format::Csv => {
                let mut csv = csv_writer(&mut formatted.bytes);
                for call in calls {
                    write_csv(&mut csv, call)?;
                }
                csv.flush()?;
            }
            Format::Table => formatted.rows = table::rows(calls, Shape::Wide),
            Format::Compact => formatted.rows = table::rows(calls, Shape::Compact),
        }
        Ok(formatted)
    }
}

/// The CSV writer of the output: rows only, the header is written once by `run`.
fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out)
}

fn write_csv(csv: &mut csv::Writer<impl Write>, call: &Call<'_>) -> Result<(), Failure> {
    for row in call.csv_rows() {
        csv.write_record(row.iter().map(|value| value.as_bytes()))?;
    }
    Ok(())
}
