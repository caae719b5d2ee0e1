//! A call's timeline: the A-leg and each transfer leg as bars on one time axis, so that one look
//! explains the call. Queued, ringing and talking are drawn in distinct styles and an end is a tick
//! with its cause; the legs of one attempt (simultaneous ringing) share a band and the winner is
//! marked; violations and conflicts are marked on the leg they belong to, at its last known time.

use callfold::{Call, Leg, State};
use chrono::{DateTime, Utc};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{About, edge, shorten, svg};
use super::{anchor, colour, escape, legend};

/// What the timeline draws each span of a leg in, named as the legend names it.
const ENQUEUED: (&str, RGBColor) = ("enqueued (outline)", colour::BLUE);
const RINGING: (&str, RGBColor) = ("ringing", colour::SKY);
const ANSWERED: (&str, RGBColor) = ("answered (talking)", colour::GREEN);
const A_LEG: (&str, RGBColor) = ("A-leg (the original call)", colour::GREY);

/// One row of the timeline.
struct Row<'a> {
    label: String,
    leg: Option<&'a Leg>,
    attempt: usize,
    won: bool,
}

/// The call's timeline as an HTML figure: the SVG, its legend, and a table of the same facts in words.
pub fn figure(call: &Call<'_>) -> String {
    let id = call.call_id.map_or("(no parent)", |id| id.as_str());
    let legs: Vec<&Leg> = call.legs().collect();
    let times: Vec<DateTime<Utc>> = [call.start_time, call.answer_time, call.end_time]
        .into_iter()
        .flatten()
        .chain(legs.iter().flat_map(|leg| {
            [
                leg.enqueued_time(),
                leg.start_time(),
                leg.answer_time(),
                leg.end_time(),
            ]
            .into_iter()
            .flatten()
        }))
        .collect();
    let mut out = format!(
        r#"<figure class="timeline" id="{}"><figcaption>Call <span class="id">{}</span></figcaption>"#,
        anchor("call-", id),
        escape(id)
    );
    match (times.iter().min(), times.iter().max()) {
        (Some(first), Some(last)) => out.push_str(&draw(call, id, *first, *last)),
        _ => out.push_str(r#"<p class="muted">No leg of this call has a time to draw.</p>"#),
    }
    out.push_str(&legend(&[
        A_LEG,
        ENQUEUED,
        RINGING,
        ANSWERED,
        ("end (tick, with its cause)", colour::INK),
        ("violation (✕)", colour::VERMILLION),
        ("conflict (▲)", colour::PURPLE),
    ]));
    out.push_str(&table(call));
    out.push_str("</figure>");
    out
}

fn draw(call: &Call<'_>, id: &str, first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    let mut rows: Vec<Row<'_>> = Vec::new();
    if call.start_time.is_some() || call.end_time.is_some() {
        rows.push(Row {
            label: format!("A-leg {}", shorten(id, 14)),
            leg: None,
            attempt: 0,
            won: false,
        });
    }
    for attempt in &call.attempts {
        for placed in &attempt.legs {
            let leg = placed.leg;
            let won = attempt.winner == Some(leg.call_id());
            let to = leg.transfer_to().unwrap_or(leg.call_id().as_str());
            rows.push(Row {
                label: format!(
                    "#{} {}{}",
                    attempt.number,
                    shorten(to, 18),
                    if won { " ★won" } else { "" }
                ),
                leg: Some(leg),
                attempt: attempt.number,
                won,
            });
        }
    }
    let secs = |t: DateTime<Utc>| (t - first).num_milliseconds() as f64 / 1000.0;
    let span = secs(last).max(1.0);
    let n = rows.len().max(2); // plotters needs two segments to span an axis
    let height = 90 + 30 * u32::try_from(n).unwrap_or(60).min(60);
    let title = format!(
        "Timeline of call {id} from {}",
        first.format("%Y-%m-%d %H:%M:%S%.3f UTC")
    );
    let desc = format!(
        "{} rows: the A-leg and each transfer leg as bars on one time axis in seconds since {}; \
         the table below gives the same times in words",
        rows.len(),
        first.format("%H:%M:%S UTC")
    );
    let x_desc = format!("seconds since {}", first.format("%H:%M:%S%.3f UTC"));
    let about = About {
        id: &anchor("timeline-", id),
        title: &title,
        desc: &desc,
    };
    // Row `i` from the top is segment `n - 1 - i`.
    let label = |at: &SegmentValue<usize>| match at {
        SegmentValue::CenterOf(k) if *k < n => rows
            .get(n - 1 - k)
            .map(|row| row.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let (left, right) = (-span * 0.02, span * 1.25);
    svg(&about, (760, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(200)
            .build_cartesian_2d(left..right, (0..n - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label)
            .x_desc(x_desc.as_str())
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 12))
            .draw()?;
        let seg = |i: usize| n - 1 - i;
        // The attempts' bands, every other one shaded, so that the legs that rang together read as one.
        for (i, row) in rows.iter().enumerate() {
            if row.attempt % 2 == 1 {
                let k = seg(i);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(left, SegmentValue::Exact(k)), (right, edge(k + 1, n))],
                    colour::PALE.filled(),
                )))?;
            }
        }
        for (i, row) in rows.iter().enumerate() {
            let k = seg(i);
            let bar = |from: f64, to: f64, style: ShapeStyle| {
                let mut bar = Rectangle::new(
                    [
                        (from, SegmentValue::Exact(k)),
                        (to.max(from + span * 0.004), edge(k + 1, n)),
                    ],
                    style,
                );
                bar.set_margin(7, 7, 0, 0);
                bar
            };
            let mid = SegmentValue::CenterOf(k);
            let Some(leg) = row.leg else {
                let from = call.start_time.map_or(0.0, secs);
                let to = call.end_time.map_or(span, secs);
                chart.draw_series(std::iter::once(bar(from, to, A_LEG.1.filled())))?;
                if call.end_time.is_none() {
                    chart.draw_series(std::iter::once(note(to, k, "… no end yet")))?;
                }
                continue;
            };
            // An open leg's last span runs past the call's latest time: it goes on.
            let horizon = if leg.state() == State::Ended {
                leg.last_known_time().map_or(span, secs)
            } else {
                span * 1.06
            };
            let end = leg.end_time().map(secs);
            let start = leg.start_time().map(secs);
            let answer = leg.answer_time().map(secs);
            if let Some(enqueued) = leg.enqueued_time().map(secs) {
                let to = start.or(answer).or(end).unwrap_or(horizon);
                chart.draw_series(std::iter::once(bar(
                    enqueued,
                    to,
                    ENQUEUED.1.stroke_width(2),
                )))?;
            }
            if let Some(start) = start {
                let to = answer.or(end).unwrap_or(horizon);
                chart.draw_series(std::iter::once(bar(start, to, RINGING.1.filled())))?;
            }
            if let Some(answer) = answer {
                chart.draw_series(std::iter::once(bar(
                    answer,
                    end.unwrap_or(horizon),
                    ANSWERED.1.filled(),
                )))?;
            }
            let mut text_at = horizon;
            if let (State::Ended, Some(end)) = (leg.state(), end) {
                let mut tick = Rectangle::new(
                    [(end, SegmentValue::Exact(k)), (end, edge(k + 1, n))],
                    colour::INK.stroke_width(2),
                );
                tick.set_margin(3, 3, 0, 0);
                chart.draw_series(std::iter::once(tick))?;
                text_at = end;
            }
            let mut words = match leg.state() {
                State::Ended => leg.end_cause().as_str().to_owned(),
                state => format!("{} (open)", state_word(state)),
            };
            if row.won {
                words.push_str(" · winner");
            }
            chart.draw_series(std::iter::once(note(text_at, k, &words)))?;
            let at = leg.last_known_time().map_or(horizon, secs);
            if !leg.violations().is_empty() {
                chart.draw_series(std::iter::once(Cross::new(
                    (at, mid.clone()),
                    6,
                    colour::VERMILLION.stroke_width(3),
                )))?;
            }
            if !leg.conflicts().is_empty() {
                chart.draw_series(std::iter::once(TriangleMarker::new(
                    (at, edge(k + 1, n)),
                    6,
                    colour::PURPLE.filled(),
                )))?;
            }
        }
        Ok(())
    })
}

/// Words after a bar, in the middle of its row.
fn note<'a>(x: f64, row: usize, text: &str) -> Text<'a, (f64, SegmentValue<usize>), String> {
    Text::new(
        format!("  {}", shorten(text, 28)),
        (x, SegmentValue::CenterOf(row)),
        ("sans-serif", 12)
            .into_font()
            .color(&colour::INK)
            .pos(Pos::new(HPos::Left, VPos::Center)),
    )
}

fn state_word(state: State) -> &'static str {
    match state {
        State::Enqueued => "enqueued",
        State::Ringing => "ringing",
        State::Answered => "answered",
        State::Ended => "ended",
    }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.format("%H:%M:%S%.3f").to_string())
}

/// The timeline in words: one row per leg.
fn table(call: &Call<'_>) -> String {
    let mut out = String::from(
        "<details><summary>The legs in words</summary><table><tr><th>attempt</th><th>leg callId</th>\
         <th>transferTo</th><th>enqueued</th><th>start</th><th>answer</th><th>end</th><th>state / cause</th>\
         <th>findings</th></tr>",
    );
    if call.start_time.is_some() || call.end_time.is_some() {
        out.push_str(&format!(
            "<tr><td>A-leg</td><td class=\"id\">{}</td><td></td><td></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(call.call_id.map_or("", |id| id.as_str())),
            time(call.start_time),
            time(call.answer_time),
            time(call.end_time),
            escape(call.cause.map_or("", |c| c.as_str())),
            escape(
                &call
                    .conflicts
                    .iter()
                    .map(|c| format!("conflict on {}", c.field()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    for attempt in &call.attempts {
        for placed in &attempt.legs {
            let leg = placed.leg;
            let won = attempt.winner == Some(leg.call_id());
            let mut findings: Vec<String> =
                leg.violations().iter().map(|v| format!("✕ {v}")).collect();
            findings.extend(
                leg.conflicts()
                    .iter()
                    .map(|c| format!("▲ conflict on {}: {}", c.field(), c.values().join(" / "))),
            );
            if let Some(stale) = &placed.stale {
                findings.push(format!("stale: {}", stale.reason.code()));
            }
            out.push_str(&format!(
                "<tr><td>{}{}</td><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                attempt.number,
                if won { " ★ winner" } else { "" },
                escape(leg.call_id().as_str()),
                escape(leg.transfer_to().unwrap_or("")),
                time(leg.enqueued_time()),
                time(leg.start_time()),
                time(leg.answer_time()),
                time(leg.end_time()),
                escape(&match leg.state() {
                    State::Ended => leg.end_cause().as_str().to_owned(),
                    state => format!("{} (open)", state_word(state)),
                }),
                escape(&findings.join("; ")),
            ));
        }
    }
    out.push_str("</table></details>");
    out
}
