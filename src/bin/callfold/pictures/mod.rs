//! What `callfold report` and serve's live page draw, in one visual language: the charts (plotters'
//! SVG backend), a call's timeline, the colours and the page's style. SVG goes inline, so a page reads
//! without JavaScript and without fetching anything.

// Charts place counts and durations on f64 axes, far below 2^52; pages are built by appending
// formatted pieces, which reads better than write! with its ignored Result.
#![allow(clippy::cast_precision_loss, clippy::format_push_string)]

pub mod charts;
pub mod timeline;

use plotters::style::RGBColor;

/// Okabe and Ito's palette, safe for the common colour-vision deficiencies; every chart also has a
/// legend or labels in words and a table of its data, so no figure depends on colour alone.
pub mod colour {
    use plotters::style::RGBColor;

    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
    pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
    pub const PALE: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
}

/// The colour of an outcome (a leg's, or an attempt's), the same in every chart.
pub fn outcome_colour(outcome: &str) -> RGBColor {
    match outcome {
        "answered" => colour::GREEN,
        "busy" => colour::ORANGE,
        "no-answer" => colour::SKY,
        "rejected" => colour::PURPLE,
        "cancelled" => colour::YELLOW,
        "failed" => colour::VERMILLION,
        _ => colour::BLUE, // open
    }
}

/// `#rrggbb`, for the HTML legends.
pub fn css(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Text made safe inside HTML and SVG, in elements and in quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An `id` attribute made of any text (a call's id may hold anything): letters, digits, `-` and `_`
/// kept, every other byte as `.xx`, so that distinct texts give distinct ids.
pub fn anchor(prefix: &str, text: &str) -> String {
    let mut out = String::from(prefix);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!(".{b:02x}"));
        }
    }
    out
}

/// The style both pages share.
pub const STYLE: &str = r#"
:root { color-scheme: light; --ink: #222; --muted: #555; --line: #ddd; --bg: #fafafa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 1180px; background: #fff; }
h1 { font-size: 1.6rem; margin: .4rem 0 .2rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.muted { color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .6rem; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; background: var(--bg); }
.tile .value { font-size: 1.45rem; font-weight: 600; }
.tile .label { color: var(--muted); font-size: .85rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; background: #fff; }
figcaption { font-weight: 600; margin: 0 0 .3rem; }
svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: .85rem; margin: .4rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .15rem .6rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: .3rem 0; }
summary { cursor: pointer; color: #0b5394; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; word-break: break-all; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .85rem; margin: .3rem 0; }
.swatch { display: inline-block; width: 1.6em; height: .9em; margin-right: .3em; vertical-align: -.1em; border: 1px solid #444; }
.finding-violation { color: #a33f00; } .finding-conflict { color: #7a3b63; } .finding-stale { color: #00507d; }
a { color: #0b5394; }
"#;

/// A legend: swatches with words, for a chart whose series are told apart by colour.
pub fn legend(items: &[(&str, RGBColor)]) -> String {
    let mut out = String::from(r#"<div class="legend">"#);
    for (name, c) in items {
        out.push_str(&format!(
            r#"<span><span class="swatch" style="background:{}"></span>{}</span>"#,
            css(*c),
            escape(name)
        ));
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_anchors() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(anchor("call-", "c-1"), "call-c-1");
        assert_eq!(anchor("call-", "a b/\"é"), "call-a.20b.2f.22.c3.a9");
        assert_ne!(anchor("", "a.20"), anchor("", "a "));
    }
}
