//! The report's HTML: one self-contained page (inline style and SVG, no script, nothing fetched), its
//! sections in the order people ask their questions: how did it go, over time, where it fails, to
//! whom, what is wrong, and what happened on a call.

use std::fmt::Write as _;

use callfold::Summary;

use super::figures::{ATTEMPT_OUTCOMES, Bin, Destination, Report, Width, histogram, percentiles};
use crate::format::human_ms;
use crate::pictures::charts::{About, Series, bars, lines, shorten, stacked_bars};
use crate::pictures::{STYLE, anchor, colour, escape, outcome_colour};

/// What the page says about where its figures come from.
pub struct Source {
    pub title: String,
    pub lines: u64,
    pub callbacks: u64,
    pub rejected: u64,
    pub late: bool,
}

pub fn render(report: &Report, source: &Source) -> String {
    let mut page = String::with_capacity(256 * 1024);
    let _ = write!(
        page,
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="callfold {}">
<link rel="icon" href="data:,">
<title>{} · callfold report</title>
<style>{STYLE}</style></head><body>
<header><h1>{}</h1><p class="muted">{}</p></header>
<nav><a href="#totals">Totals</a> · <a href="#over-time">Over time</a> · <a href="#distributions">Distributions</a> · <a href="#destinations">Destinations</a> · <a href="#findings">Findings</a> · <a href="#calls">Calls</a></nav>
"##,
        env!("CARGO_PKG_VERSION"),
        escape(&source.title),
        escape(&source.title),
        escape(&provenance(report, source)),
    );
    totals(&mut page, report, source);
    over_time(&mut page, report);
    distributions(&mut page, report);
    destinations(&mut page, report);
    findings(&mut page, report);
    calls(&mut page, report);
    page.push_str(
        r#"<footer><p class="muted">Made by <code>callfold report</code>. Figures are those of <code>callfold stats</code> on the same log and options.</p></footer></body></html>
"#,
    );
    page
}

fn provenance(report: &Report, source: &Source) -> String {
    let span = match (report.first, report.last) {
        (Some(first), Some(last)) => format!(
            "attempts placed from {} to {}",
            first.format("%Y-%m-%d %H:%M UTC"),
            last.format("%Y-%m-%d %H:%M UTC")
        ),
        _ => "no attempt with a time".to_owned(),
    };
    let mut text = format!(
        "{} lines read, {} callbacks, {} lines rejected; {span}.",
        source.lines, source.callbacks, source.rejected
    );
    if source.late {
        text.push_str(" Some callbacks came later than --lateness and are not in these figures.");
    }
    text
}

fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

#[allow(clippy::cast_possible_truncation)] // a mean of i64 values fits an i64
fn mean(s: &Summary) -> Option<i64> {
    s.mean_ms.map(|m| m.round() as i64)
}

fn tile(page: &mut String, value: &str, label: &str) {
    let _ = write!(
        page,
        r#"<div class="tile"><div class="value">{}</div><div class="label">{}</div></div>"#,
        escape(value),
        escape(label)
    );
}

fn totals(page: &mut String, report: &Report, source: &Source) {
    let t = &report.totals;
    page.push_str(r#"<section id="totals"><h2>Totals</h2><div class="tiles">"#);
    for (value, label) in [
        (t.calls.to_string(), "calls"),
        (t.attempts.to_string(), "attempts (<Transfer>s)"),
        (t.legs.to_string(), "legs"),
        (percent(t.asr), "ASR per attempt"),
        (human_ms(mean(&t.talk)), "ACD (mean talk)"),
        (human_ms(t.ring.p50_ms), "ring p50"),
        (percent(t.connected_ratio), "calls connected"),
        (t.open.to_string(), "open legs"),
        (t.stale.to_string(), "stale legs"),
        (
            t.with_violations.to_string(),
            "legs with violations (invalid)",
        ),
        (t.with_conflicts.to_string(), "legs with conflicts"),
        (source.rejected.to_string(), "lines rejected"),
    ] {
        tile(page, &value, label);
    }
    page.push_str("</div>");
    page.push_str(
        "<h3>Legs by outcome</h3><table><tr><th>outcome</th><th class=\"n\">legs</th></tr>",
    );
    for (outcome, n) in &t.outcomes {
        let _ = write!(
            page,
            r#"<tr><td>{}</td><td class="n">{n}</td></tr>"#,
            outcome.as_str()
        );
    }
    let _ = write!(
        page,
        r#"<tr><td>open</td><td class="n">{}</td></tr></table>"#,
        t.open
    );
    page.push_str(DEFINITIONS);
    page.push_str("</section>");
}

const DEFINITIONS: &str = r"<details><summary>Definitions</summary><dl>
<dt>Attempt</dt><dd>One &lt;Transfer&gt;: the legs of a call placed within the attempt window (2 s by default) of its first leg ring together.</dd>
<dt>ASR per attempt</dt><dd>Answered ÷ decided attempts. An attempt is answered when one of its legs answered, decided when answered or when all its legs ended. The losers of simultaneous ringing do not count against it.</dd>
<dt>ACD</dt><dd>Average call duration: the mean talk time (answer to end) of answered legs that ended.</dd>
<dt>Ring time</dt><dd>Start to answer, or start to end for a leg never answered. Queue time: enqueued to start.</dd>
<dt>Calls connected</dt><dd>Calls in which a leg was answered ÷ calls.</dd>
<dt>Open, stale</dt><dd>An open leg has not ended. A stale leg is an open one whose transferDisconnect is missing, judged at the log's latest time (see <code>--stale</code>, <code>--max-call</code>).</dd>
<dt>Violation (invalid leg)</dt><dd>A leg whose facts break an invariant, e.g. startTime after answerTime, or an answerTime with cause busy. Listed in docs/invariants.md.</dd>
<dt>Conflict</dt><dd>Two callbacks of the same leg (or the same A-leg) that disagree on a fact, such as two endTimes.</dd>
<dt>Percentiles</dt><dd>Exact, by nearest rank, over every duration.</dd>
</dl></details>";

fn bucket_labels(report: &Report) -> Vec<String> {
    let format = match report.width {
        Width::Day => "%m-%d",
        Width::Hour if report.buckets.len() > 24 => "%m-%d %Hh",
        _ => "%H:%M",
    };
    report
        .buckets
        .iter()
        .map(|(t, _)| t.format(format).to_string())
        .collect()
}

fn width_word(width: Width) -> String {
    match width {
        Width::Hour => "hour".to_owned(),
        Width::Day => "day".to_owned(),
        Width::Seconds(s) if s % 60 == 0 => format!("{} minutes", s / 60),
        Width::Seconds(s) => format!("{s} s"),
    }
}

/// The three charts over time; also serve's live page's (with its own ids).
pub fn over_time_charts(report: &Report, id: &str) -> [String; 3] {
    let labels = bucket_labels(report);
    let per = width_word(report.width);
    let x_desc = format!("{per} (UTC)");
    let series: Vec<Series<'_, u64>> = ATTEMPT_OUTCOMES
        .iter()
        .enumerate()
        .map(|(i, name)| Series {
            name,
            colour: outcome_colour(name),
            values: report.buckets.iter().map(|(_, b)| b.attempts[i]).collect(),
        })
        .collect();
    let attempts = stacked_bars(
        &About {
            id: &format!("{id}-attempts"),
            title: &format!("Attempts per {per}, by outcome"),
            desc: "stacked bars: each bar is the attempts placed in the period, split by outcome",
        },
        &labels,
        &x_desc,
        "attempts",
        &series,
    );
    let asr = lines(
        &About {
            id: &format!("{id}-asr"),
            title: &format!("ASR per attempt, per {per}"),
            desc: "answered ÷ decided attempts in each period; no point where no attempt was decided",
        },
        &labels,
        &x_desc,
        "ASR (%)",
        Some(1.0),
        &|y| format!("{:.0}%", y * 100.0),
        &[Series {
            name: "ASR",
            colour: colour::BLUE,
            values: report.buckets.iter().map(|(_, b)| b.asr()).collect(),
        }],
    );
    let (p50, p95): (Vec<_>, Vec<_>) = report
        .buckets
        .iter()
        .map(|(_, b)| {
            let (p50, p95) = percentiles(&b.ring);
            #[allow(clippy::cast_precision_loss)]
            (
                p50.map(|v| v as f64 / 1000.0),
                p95.map(|v| v as f64 / 1000.0),
            )
        })
        .unzip();
    let ring = lines(
        &About {
            id: &format!("{id}-ring"),
            title: &format!("Ring time p50 and p95, per {per}"),
            desc: "the median and 95th percentile of ring time of the legs placed in each period, in seconds",
        },
        &labels,
        &x_desc,
        "ring time (s)",
        None,
        &|y| format!("{y:.0}"),
        &[
            Series {
                name: "p50",
                colour: colour::BLUE,
                values: p50,
            },
            Series {
                name: "p95",
                colour: colour::ORANGE,
                values: p95,
            },
        ],
    );
    [attempts, asr, ring]
}

fn over_time(page: &mut String, report: &Report) {
    page.push_str(r#"<section id="over-time"><h2>Over time</h2>"#);
    if report.buckets.is_empty() {
        page.push_str(r#"<p class="muted">No attempt has a time.</p></section>"#);
        return;
    }
    let [attempts, asr, ring] = over_time_charts(report, "time");
    page.push_str(r#"<div class="grid">"#);
    for (caption, chart) in [
        ("Attempts and outcomes", attempts),
        ("ASR per attempt", asr),
        ("Ring time", ring),
    ] {
        let _ = write!(
            page,
            "<figure><figcaption>{caption}</figcaption>{chart}</figure>"
        );
    }
    page.push_str("</div>");
    page.push_str(&bucket_table(report));
    page.push_str("</section>");
}

fn bucket_table(report: &Report) -> String {
    let mut out = String::from(
        "<details><summary>The figures over time in a table</summary><table><tr><th>from (UTC)</th>",
    );
    for name in ATTEMPT_OUTCOMES {
        let _ = write!(out, r#"<th class="n">{name}</th>"#);
    }
    out.push_str(
        r#"<th class="n">ASR</th><th class="n">ring p50</th><th class="n">ring p95</th></tr>"#,
    );
    for (from, b) in &report.buckets {
        let _ = write!(out, "<tr><td>{}</td>", from.format("%Y-%m-%d %H:%M"));
        for n in b.attempts {
            let _ = write!(out, r#"<td class="n">{n}</td>"#);
        }
        let (p50, p95) = percentiles(&b.ring);
        let _ = write!(
            out,
            r#"<td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            percent(b.asr()),
            human_ms(p50),
            human_ms(p95)
        );
    }
    out.push_str("</table></details>");
    out
}

fn seconds_label(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{:.1}", ms as f64 / 1000.0)
    }
}

fn histogram_figure(id: &str, what: &str, values: &[i64], c: plotters::style::RGBColor) -> String {
    let bins: Vec<Bin> = histogram(values, 24);
    if bins.is_empty() {
        return format!(
            r#"<figure><figcaption>{what}</figcaption><p class="muted">No {what} in this log.</p></figure>"#
        );
    }
    let labels: Vec<String> = bins.iter().map(|b| seconds_label(b.from_ms)).collect();
    let chart = stacked_bars(
        &About {
            id,
            title: &format!("{what}: legs by duration"),
            desc: &format!(
                "histogram of {} {what} values; the last bar holds everything from its start on",
                values.len()
            ),
        },
        &labels,
        &format!("{what} (s), bin start"),
        "legs",
        &[Series {
            name: what,
            colour: c,
            values: bins.iter().map(|b| b.count).collect(),
        }],
    );
    let mut table = String::from(
        r#"<details><summary>Bins</summary><table><tr><th>from (s)</th><th>to (s)</th><th class="n">legs</th></tr>"#,
    );
    for b in &bins {
        let _ = write!(
            table,
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td></tr>"#,
            seconds_label(b.from_ms),
            b.to_ms
                .map_or_else(|| "and above".to_owned(), seconds_label),
            b.count
        );
    }
    table.push_str("</table></details>");
    format!("<figure><figcaption>{what}</figcaption>{chart}{table}</figure>")
}

fn count_figure(
    id: &str,
    caption: &str,
    what: &str,
    items: &[(String, f64, plotters::style::RGBColor)],
) -> String {
    if items.is_empty() {
        return format!(
            r#"<figure><figcaption>{caption}</figcaption><p class="muted">None.</p></figure>"#
        );
    }
    let shown: Vec<_> = items.iter().take(20).cloned().collect();
    let chart = bars(
        &About {
            id,
            title: caption,
            desc: &format!("horizontal bars: {what} per category, the most first"),
        },
        &shown,
        what,
        &|v| format!("{v:.0}"),
    );
    let mut table = format!(
        r#"<details><summary>All {} (verbatim)</summary><table><tr><th>name</th><th class="n">{what}</th></tr>"#,
        items.len()
    );
    for (name, v, _) in items {
        let _ = write!(
            table,
            r#"<tr><td><code>{}</code></td><td class="n">{v:.0}</td></tr>"#,
            escape(name)
        );
    }
    table.push_str("</table></details>");
    format!("<figure><figcaption>{caption}</figcaption>{chart}{table}</figure>")
}

fn distributions(page: &mut String, report: &Report) {
    page.push_str(r#"<section id="distributions"><h2>Distributions</h2><div class="grid">"#);
    page.push_str(&histogram_figure(
        "ring",
        "ring time",
        &report.ring,
        colour::SKY,
    ));
    page.push_str(&histogram_figure(
        "talk",
        "talk time",
        &report.talk,
        colour::GREEN,
    ));
    if !report.queue.is_empty() {
        page.push_str(&histogram_figure(
            "queue",
            "queue time",
            &report.queue,
            colour::BLUE,
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let mut causes: Vec<(String, f64, _)> = report
        .totals
        .causes
        .iter()
        .map(|(cause, n)| (cause.clone(), *n as f64, colour::GREY))
        .collect();
    causes.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    page.push_str(&count_figure(
        "causes",
        "Legs by cause (verbatim, unknown causes included)",
        "legs",
        &causes,
    ));
    #[allow(clippy::cast_precision_loss)]
    let failures: Vec<(String, f64, _)> = report
        .totals
        .outcomes
        .iter()
        .filter(|(o, _)| o.as_str() != "answered")
        .map(|(o, n)| (o.as_str().to_owned(), *n as f64, outcome_colour(o.as_str())))
        .collect();
    page.push_str(&count_figure(
        "failures",
        "Unanswered legs by outcome",
        "legs",
        &failures,
    ));
    page.push_str("</div></section>");
}

fn destinations(page: &mut String, report: &Report) {
    let _ = write!(
        page,
        r#"<section id="destinations"><h2>Top destinations</h2><p class="muted">The {} of {} destinations (<code>transferTo</code>) with the most legs.</p>"#,
        report.destinations.len(),
        report.destination_count
    );
    #[allow(clippy::cast_precision_loss)]
    let items: Vec<(String, f64, _)> = report
        .destinations
        .iter()
        .map(|(to, s)| (to.clone(), s.legs as f64, colour::BLUE))
        .collect();
    if !items.is_empty() {
        page.push_str(&bars(
            &About { id: "destinations-chart", title: "Legs per destination", desc: "horizontal bars: legs per transferTo, the most first; the table gives each one's ASR" },
            &items,
            "legs",
            &|v| format!("{v:.0}"),
        ));
    }
    page.push_str(r#"<table><tr><th>transferTo</th><th class="n">legs</th><th class="n">attempts</th><th class="n">ASR per attempt</th><th class="n">mean ring</th><th class="n">ACD</th></tr>"#);
    for (to, s) in &report.destinations {
        destination_row(page, to, s);
    }
    page.push_str("</table></section>");
}

fn destination_row(page: &mut String, to: &str, d: &Destination) {
    let _ = write!(
        page,
        r#"<tr><td><code>{}</code></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
        escape(to),
        d.legs,
        d.attempts,
        percent(d.asr()),
        human_ms(d.ring.ms()),
        human_ms(d.talk.ms())
    );
}

fn findings(page: &mut String, report: &Report) {
    page.push_str(r#"<section id="findings"><h2>Findings</h2>"#);
    if report.drawn.iter().all(|d| d.findings.is_empty()) {
        page.push_str("<p>No violation, conflict or stale leg.</p></section>");
        return;
    }
    page.push_str("<table><tr><th>kind</th><th>call</th><th>leg</th><th>what</th></tr>");
    for f in report.drawn.iter().flat_map(|d| &d.findings) {
        let _ = write!(
            page,
            r##"<tr class="finding-{kind}"><td>{kind}</td><td><a class="id" href="#{anchor}">{call}</a></td><td class="id">{leg}</td><td>{text}</td></tr>"##,
            kind = f.kind,
            anchor = anchor("call-", &f.call),
            call = escape(&shorten(&f.call, 48)),
            leg = escape(&shorten(&f.leg, 48)),
            text = escape(&f.text),
        );
    }
    page.push_str("</table>");
    if report.more_calls > 0 {
        let _ = write!(
            page,
            r#"<p class="muted">And {} more findings in {} more calls, not listed here: <code>callfold check</code> lists every one.</p>"#,
            report.more_findings, report.more_calls
        );
    }
    page.push_str("</section>");
}

fn calls(page: &mut String, report: &Report) {
    page.push_str(r#"<section id="calls"><h2>Calls</h2>"#);
    if report.drawn.is_empty() {
        page.push_str(r#"<p class="muted">No call to draw: the findings link none. <code>callfold report --call ID</code> draws one.</p>"#);
    }
    for drawn in &report.drawn {
        page.push_str(&drawn.timeline);
    }
    page.push_str("</section>");
}
