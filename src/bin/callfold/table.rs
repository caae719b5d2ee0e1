//! The history as a table for people: every column (`--format table`), or in short for a terminal
//! (`--format compact`). Times are UTC, and the header says so.

use std::io::{self, Write};

use callfold::{Call, Leg, PlacedBy};

use crate::format::human_ms;

/// Which table.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every column, ids whole.
    Wide,
    /// Ids cut short, the start without its year (or its day, when all rows share one), without TO and
    /// CAUSE: 100 columns or fewer, notes aside.
    Compact,
}

/// The columns: their header, whether they are numbers (right-aligned), and whether the compact
/// table has them.
const COLUMNS: [(&str, bool, bool); 13] = [
    ("CALL", false, true),
    ("OUTCOME", false, true),
    ("#", true, true),
    ("LEG", false, true),
    ("TO", false, false),
    ("STATE", false, true),
    ("RESULT", false, true),
    ("CAUSE", false, false),
    ("START (UTC)", false, true),
    ("QUEUE", true, true),
    ("RING", true, true),
    ("TALK", true, true),
    ("NOTES", false, true),
];

/// How much of an id the compact table shows.
const ID_CHARS: usize = 8;

/// The START column, which the compact table shortens to the time of day when all its rows share one
/// day.
const START: usize = 8;

/// The rows of some calls, one per leg.
pub fn rows(calls: &[Call<'_>], shape: Shape) -> Vec<Vec<String>> {
    calls
        .iter()
        .flat_map(|call| call_rows(call, shape))
        .collect()
}

fn call_rows(call: &Call<'_>, shape: Shape) -> Vec<Vec<String>> {
    let id = |id: &str| match shape {
        // `c-` and the first 6 hex digits of a Bandwidth id: enough to tell a screenful apart.
        Shape::Compact if id.chars().count() > ID_CHARS => {
            format!("{}…", id.chars().take(ID_CHARS).collect::<String>())
        }
        Shape::Wide | Shape::Compact => id.to_owned(),
    };
    let start = match shape {
        Shape::Wide => "%Y-%m-%d %H:%M:%S",
        Shape::Compact => "%m-%d %H:%M:%S",
    };
    let mut rows = Vec::new();
    let mut first = true;
    for attempt in &call.attempts {
        for placed in &attempt.legs {
            let leg = placed.leg;
            let (call_id, outcome) = if first {
                (
                    call.call_id
                        .map_or("(no parent)".to_owned(), |c| id(c.as_str())),
                    call.outcome.as_str().to_owned(),
                )
            } else {
                (String::new(), String::new())
            };
            first = false;
            let row = [
                call_id,
                outcome,
                attempt.number.to_string(),
                id(leg.call_id().as_str()),
                leg.transfer_to().unwrap_or("-").to_owned(),
                leg.state().to_string(),
                leg.outcome().map_or("-".to_owned(), |o| o.to_string()),
                leg.cause().map_or("-".to_owned(), ToString::to_string),
                leg.start_time()
                    .map_or("-".to_owned(), |t| t.format(start).to_string()),
                human_ms(leg.queue_ms()),
                human_ms(leg.ring_ms()),
                human_ms(leg.talk_ms()),
                notes(leg, placed.stale.is_some(), placed.placed_by),
            ];
            rows.push(
                row.into_iter()
                    .zip(COLUMNS)
                    .filter(|(_, (_, _, compact))| shape == Shape::Wide || *compact)
                    .map(|(cell, _)| cell)
                    .collect(),
            );
        }
    }
    rows
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

/// Writes the rows under their header, each column as wide as its widest cell.
pub fn write(out: &mut impl Write, shape: Shape, rows: &[Vec<String>]) -> io::Result<()> {
    let columns: Vec<(&str, bool)> = COLUMNS
        .iter()
        .filter(|(_, _, compact)| shape == Shape::Wide || *compact)
        .map(|(name, right, _)| (*name, *right))
        .collect();
    let one_day = shape == Shape::Compact && {
        let mut days = rows
            .iter()
            .filter_map(|row| row.get(start_column(shape)))
            .filter(|cell| cell.len() > TIME_OF_DAY)
            .map(|cell| &cell[..cell.len() - TIME_OF_DAY]);
        let first = days.next();
        days.all(|day| Some(day) == first)
    };
    let shortened;
    let rows = if one_day {
        shortened = rows
            .iter()
            .map(|row| {
                let mut row = row.clone();
                if let Some(cell) = row.get_mut(start_column(shape))
                    && cell.len() > TIME_OF_DAY
                {
                    cell.drain(..cell.len() - TIME_OF_DAY);
                }
                row
            })
            .collect::<Vec<_>>();
        &shortened[..]
    } else {
        rows
    };
    let header: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                // Numbers and durations read best right-aligned.
                let right = columns.get(i).is_some_and(|(_, right)| *right);
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

/// `HH:MM:SS`, the end of a START cell.
const TIME_OF_DAY: usize = 8;

/// Where START is in a row of this shape.
fn start_column(shape: Shape) -> usize {
    COLUMNS[..START]
        .iter()
        .filter(|(_, _, compact)| shape == Shape::Wide || *compact)
        .count()
}
