//! The charts, drawn by plotters into SVG text: stacked bars over buckets (time, or a histogram's
//! bins), lines with gaps, and horizontal bars by category. Each SVG carries a `<title>` and a
//! `<desc>` and is an `img` to assistive technology; both axes say what they count and in which unit.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{colour, escape, legend};

/// One series of a chart: its name (in the legend), colour and one value per bucket.
pub struct Series<'a, T> {
    pub name: &'a str,
    pub colour: RGBColor,
    pub values: Vec<T>,
}

/// What a chart says about itself: its id (unique in the page), title, and description for those who
/// cannot see it.
pub struct About<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
}

const WIDTH: u32 = 560;
const HEIGHT: u32 = 280;
const FONT: (&str, u32) = ("sans-serif", 13);

type Area<'s> = DrawingArea<SVGBackend<'s>, Shift>;
type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Draws into an SVG of `size` and gives it back accessible; a chart that cannot be drawn (too small
/// an area, say) becomes a note saying so instead of a panic.
pub fn svg(about: &About<'_>, size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Drawn) -> String {
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into))
    };
    match drawn {
        Ok(()) => accessible(&out, about),
        Err(e) => format!(
            r#"<p class="muted">{}: this chart could not be drawn ({})</p>"#,
            escape(about.title),
            escape(&e.to_string())
        ),
    }
}

/// plotters' SVG with `role="img"`, a `<title>` and a `<desc>` that name it.
fn accessible(svg: &str, about: &About<'_>) -> String {
    let (t, d) = (format!("{}-title", about.id), format!("{}-desc", about.id));
    let Some(open_end) = svg.find('>') else {
        return svg.to_owned();
    };
    let (open, rest) = svg.split_at(open_end);
    let open = open.replacen(
        "<svg ",
        &format!(
            r#"<svg id="{}" class="chart" role="img" aria-labelledby="{t} {d}" "#,
            about.id
        ),
        1,
    );
    format!(
        r#"{open}><title id="{t}">{}</title><desc id="{d}">{}</desc>{}"#,
        escape(about.title),
        escape(about.desc),
        &rest[1..]
    )
}

fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        1.0
    } else {
        max * 1.08
    }
}

/// Bars stacked per bucket, one colour per series; `labels[i]` names bucket `i` on the x axis. One
/// series makes a histogram.
pub fn stacked_bars(
    about: &About<'_>,
    labels: &[String],
    x_desc: &str,
    y_desc: &str,
    series: &[Series<'_, u64>],
) -> String {
    let n = labels.len().max(2); // plotters needs two segments to span an axis
    let total = |i: usize| -> u64 {
        series
            .iter()
            .map(|s| s.values.get(i).copied().unwrap_or(0))
            .sum()
    };
    let max = (0..n).map(total).max().unwrap_or(0);
    let chart = svg(about, (WIDTH, HEIGHT), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0u64..(max + max / 12).max(1))?;
        let label = |x: &SegmentValue<usize>| segment_label(labels, x);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(FONT)
            .axis_desc_style(FONT)
            .draw()?;
        let gap = if n > 40 { 0 } else { 3 };
        for i in 0..n {
            let mut base = 0;
            for s in series {
                let v = s.values.get(i).copied().unwrap_or(0);
                if v > 0 {
                    let mut bar = Rectangle::new(
                        [(SegmentValue::Exact(i), base), (edge(i + 1, n), base + v)],
                        s.colour.filled(),
                    );
                    bar.set_margin(0, 0, gap, gap);
                    chart.draw_series(std::iter::once(bar))?;
                }
                base += v;
            }
        }
        Ok(())
    });
    with_legend(chart, series)
}

/// A chart of several series, with the legend that names their colours under it.
fn with_legend<T>(chart: String, series: &[Series<'_, T>]) -> String {
    if series.len() < 2 {
        return chart;
    }
    let items: Vec<(&str, RGBColor)> = series.iter().map(|s| (s.name, s.colour)).collect();
    chart + &legend(&items)
}

/// The start of segment `k` of `n`; the end of the last one is the axis' end, not a segment past it.
pub fn edge(k: usize, n: usize) -> SegmentValue<usize> {
    if k >= n {
        SegmentValue::Last
    } else {
        SegmentValue::Exact(k)
    }
}

/// The label of the segment a value is the centre of; nothing elsewhere.
fn segment_label(labels: &[String], at: &SegmentValue<usize>) -> String {
    match at {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Lines over buckets, broken where a bucket has no value, with a point on every value (so that a
/// lone value shows). `y_max` fixes the y axis (1.0 for a ratio); `y_format` writes its labels.
pub fn lines(
    about: &About<'_>,
    labels: &[String],
    x_desc: &str,
    y_desc: &str,
    y_max: Option<f64>,
    y_format: &dyn Fn(f64) -> String,
    series: &[Series<'_, Option<f64>>],
) -> String {
    let n = labels.len().max(2); // plotters needs two segments to span an axis
    let max = y_max.unwrap_or_else(|| {
        nice_max(
            series
                .iter()
                .flat_map(|s| s.values.iter().flatten())
                .copied()
                .fold(0.0, f64::max),
        )
    });
    let chart = svg(about, (WIDTH, HEIGHT), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..max)?;
        let label = |x: &SegmentValue<usize>| segment_label(labels, x);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .y_label_formatter(&|y| y_format(*y))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(FONT)
            .axis_desc_style(FONT)
            .draw()?;
        for s in series {
            let style = s.colour.stroke_width(2);
            let mut run: Vec<(SegmentValue<usize>, f64)> = Vec::new();
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => run.push((SegmentValue::CenterOf(i), *v)),
                    None => {
                        chart.draw_series(LineSeries::new(run.drain(..), style))?;
                    }
                }
            }
            chart.draw_series(LineSeries::new(run, style))?;
            chart.draw_series(s.values.iter().enumerate().filter_map(|(i, v)| {
                v.map(|v| Circle::new((SegmentValue::CenterOf(i), v), 3, s.colour.filled()))
            }))?;
        }
        Ok(())
    });
    with_legend(chart, series)
}

/// One horizontal bar per category, the first at the top, each labelled with its name (shortened
/// past 26 characters: the table beside the chart has it whole) and its value.
pub fn bars(
    about: &About<'_>,
    items: &[(String, f64, RGBColor)],
    x_desc: &str,
    value: &dyn Fn(f64) -> String,
) -> String {
    let n = items.len().max(2); // plotters needs two segments to span an axis
    let max = items.iter().map(|(_, v, _)| *v).fold(0.0, f64::max);
    let height = 70 + 24 * u32::try_from(n).unwrap_or(40).min(40);
    // Row `i` from the top is segment `n - 1 - i`.
    let name = |at: &SegmentValue<usize>| match at {
        SegmentValue::CenterOf(k) if *k < n => items
            .get(n - 1 - k)
            .map(|(name, _, _)| shorten(name, 26))
            .unwrap_or_default(),
        _ => String::new(),
    };
    svg(about, (WIDTH, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(190)
            .build_cartesian_2d(0f64..nice_max(max) * 1.15, (0..n - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&name)
            // Whole values only: counts have no fractions.
            .x_label_formatter(&|x| {
                if x.fract() == 0.0 {
                    value(*x)
                } else {
                    String::new()
                }
            })
            .x_desc(x_desc)
            .label_style(FONT)
            .axis_desc_style(FONT)
            .draw()?;
        for (row, (_, v, c)) in items.iter().enumerate() {
            let k = n - 1 - row;
            let mut bar = Rectangle::new(
                [(0.0, SegmentValue::Exact(k)), (*v, edge(k + 1, n))],
                c.filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            chart.draw_series(std::iter::once(bar))?;
            chart.draw_series(std::iter::once(Text::new(
                format!(" {}", value(*v)),
                (*v, SegmentValue::CenterOf(k)),
                FONT.into_font()
                    .color(&colour::INK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
        }
        Ok(())
    })
}

/// At most `max` characters, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about() -> About<'static> {
        About {
            id: "c1",
            title: "Attempts <per> hour",
            desc: "stacked",
        }
    }

    #[test]
    fn a_chart_is_accessible_svg_with_its_labels() {
        let labels = vec!["14:00".to_owned(), "15:00".to_owned()];
        let svg = stacked_bars(
            &about(),
            &labels,
            "hour (UTC)",
            "attempts",
            &[Series {
                name: "answered",
                colour: colour::GREEN,
                values: vec![3, 1],
            }],
        );
        assert!(
            svg.starts_with(
                r#"<svg id="c1" class="chart" role="img" aria-labelledby="c1-title c1-desc" "#
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"<title id="c1-title">Attempts &lt;per&gt; hour</title>"#));
        assert!(svg.contains("hour (UTC)") && svg.contains("attempts") && svg.contains("14:00"));
        // Two bars, in the answered colour.
        assert_eq!(svg.matches(r##"fill="#009E73""##).count(), 2, "{svg}");
    }

    #[test]
    fn lines_break_at_gaps_and_bars_name_their_rows() {
        let labels: Vec<String> = (0..3).map(|i| format!("h{i}")).collect();
        let svg = lines(
            &about(),
            &labels,
            "hour",
            "ASR (%)",
            Some(1.0),
            &|y| format!("{:.0}%", y * 100.0),
            &[Series {
                name: "ASR",
                colour: colour::BLUE,
                values: vec![Some(0.5), None, Some(1.0)],
            }],
        );
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        let svg = bars(
            &about(),
            &[
                ("busy".to_owned(), 4.0, colour::ORANGE),
                (
                    "a-cause-nobody-lists-anywhere-at-all".to_owned(),
                    1.0,
                    colour::GREY,
                ),
            ],
            "legs",
            &|v| format!("{v:.0}"),
        );
        assert!(
            svg.contains("\nbusy\n") && svg.contains("\na-cause-nobody-lists-anyw…\n"),
            "{svg}"
        );
        assert_eq!(shorten("abc", 3), "abc");
    }
}
