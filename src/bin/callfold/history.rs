//! `callfold history`: one record per original call, as JSON, CSV call-detail records, or a table.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use callfold::{Call, Leg, PlacedBy};

use crate::args::CallArgs;
use crate::failure::Failure;
use crate::format::{human_ms, stdout};
use crate::replay::map_calls;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per call, per line
    Json,
    /// One row per leg under a header row (call-detail records)
    Csv,
    /// A table for people, with durations like 1m04s
    Table,
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
    /// Output format [default: table when stdout is a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
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
    if format == Format::Table {
        write_table(&mut out, &rows)?;
    }
    out.flush()?;
    Ok(crate::exit(findings || late || done.findings()))
}

/// A chunk of calls in the chosen format, made on the thread that built them: JSON lines or CSV rows as
/// bytes, or table rows (kept, to align the whole table), and whether a leg has conflicts or violations.
struct Formatted {
    bytes: Vec<u8>,
    rows: Vec<[String; 13]>,
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
            Format::Table => formatted.rows = calls.iter().flat_map(table_rows).collect(),
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

fn notes(leg: &Leg, stale: bool, placed_by: PlacedBy) -> String {
    let mut notes: Vec<String> = leg
        .violations()
        .iter()
        .map(|v| v.code().to_owned())
        .collect();
    notes.extend(
        leg.conflicts()
            .iter()
            .map(|c| format!("conflict:{}", c.field())),
    );
    if stale {
        notes.push("stale".to_owned());
    }
    if let Some(field) = placed_by.unusual() {
        notes.push(format!("placed-by:{field}"));
    }
    if leg.duplicates() > 0 {
        notes.push(format!("redelivered:{}", leg.duplicates()));
    }
    notes.join(" ")
}

const TABLE_HEADER: [&str; 13] = [
    "CALL", "OUTCOME", "#", "LEG", "TO", "STATE", "RESULT", "CAUSE", "START", "QUEUE", "RING",
    "TALK", "NOTES",
];

fn table_rows(call: &Call<'_>) -> Vec<[String; 13]> {
    let mut rows = Vec::new();
    let mut first = true;
    for attempt in &call.attempts {
        for placed in &attempt.legs {
            let leg = placed.leg;
            let (call_id, outcome) = if first {
                (
                    call.call_id
                        .map_or("(no parent)".to_owned(), ToString::to_string),
                    call.outcome.as_str().to_owned(),
                )
            } else {
                (String::new(), String::new())
            };
            first = false;
            rows.push([
                call_id,
                outcome,
                attempt.number.to_string(),
                leg.call_id().to_string(),
                leg.transfer_to().unwrap_or("-").to_owned(),
                leg.state().to_string(),
                leg.outcome().map_or("-".to_owned(), |o| o.to_string()),
                leg.cause().map_or("-".to_owned(), ToString::to_string),
                leg.start_time().map_or("-".to_owned(), |t| {
                    t.format("%Y-%m-%d %H:%M:%S").to_string()
                }),
                human_ms(leg.queue_ms()),
                human_ms(leg.ring_ms()),
                human_ms(leg.talk_ms()),
                notes(leg, placed.stale.is_some(), placed.placed_by),
            ]);
        }
    }
    rows
}

fn write_table(out: &mut impl Write, rows: &[[String; 13]]) -> std::io::Result<()> {
    let header = TABLE_HEADER;
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                // Numbers and durations read best right-aligned.
                let right = matches!(i, 2 | 9..=11);
                let pad = w - cell.chars().count();
                let padding = " ".repeat(pad);
                if right {
                    text.push_str(&padding);
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.push_str(&padding);
                }
                text.push_str("  ");
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &header)?;
    for row in rows {
        line(out, &row.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    Ok(())
}
