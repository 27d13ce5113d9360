//! SVG charts drawn on the server with plotters: horizontal bars (districts, industry sections,
//! plan progress) and a monthly line. Each SVG is marked `role="img"` with a `<title>` and
//! `<desc>`, so it has a text alternative; the pages also show the numbers in tables.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::format::escape;

const BLUE: RGBColor = RGBColor(0x1d, 0x5f, 0xa8);
const RED: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const GRID: RGBColor = RGBColor(0xe3, 0xe8, 0xef);
const INK: RGBColor = RGBColor(0x33, 0x3d, 0x4a);
const FONT: &str = "sans-serif";

/// Adds the accessibility attributes and the text alternative to plotters' SVG.
fn accessible(svg: String, id: &str, title: &str, desc: &str) -> String {
    let head = format!(r#"<svg class="chart" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false" "#);
    let body = svg.replacen("<svg ", &head, 1);
    let alt =
        format!(r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#, escape(title), escape(desc));
    match body.find('>') {
        Some(pos) => format!("{}{}{}", &body[..=pos], alt, &body[pos + 1..]),
        None => body,
    }
}

/// Width for the labels left of horizontal bars: plotters without a font engine measures CJK
/// text too narrow, so the width comes from the character count (wide characters count double).
fn label_area<'a>(labels: impl Iterator<Item = &'a str>) -> u32 {
    let widest = labels.map(|l| l.chars().map(|c| if c.is_ascii() { 8 } else { 15 }).sum::<u32>()).max().unwrap_or(0);
    (widest + 16).clamp(60, 330)
}

/// Text describing the data, for the `<desc>` element.
fn describe(data: &[(String, f64)], unit: &str) -> String {
    data.iter().map(|(k, v)| format!("{k} {v}{unit}")).collect::<Vec<_>>().join("；")
}

/// Horizontal bars, one per label (longest first as given).
pub fn bars(id: &str, title: &str, data: &[(String, i64)]) -> String {
    let rows = data.len().max(1);
    let height = ((rows as u32) * 30 + 50).max(170);
    let label_width = label_area(data.iter().map(|(k, _)| k.as_str()));
    let width = 720u32;
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(48)
            .x_label_area_size(26)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0i64..(max + max / 10 + 1), (0..rows).into_segmented());
        if let Ok(mut chart) = chart {
            // The first item on top: row `rows - 1 - i` holds item `i`.
            let labels: Vec<String> = data.iter().rev().map(|(k, _)| k.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .axis_style(INK)
                .x_labels(6.min(max as usize + 1))
                .y_labels(rows)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style((FONT, 14).into_font().color(&INK))
                .draw();
            let row = |i: usize| rows - 1 - i;
            let _ = chart.draw_series(data.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [(0, SegmentValue::Exact(row(i))), (*v, SegmentValue::Exact(row(i) + 1))],
                    BLUE.filled(),
                );
                bar.set_margin(5, 5, 0, 0);
                bar
            }));
            let style = TextStyle::from((FONT, 13).into_font()).color(&INK).pos(Pos::new(HPos::Left, VPos::Center));
            let _ =
                chart.draw_series(data.iter().enumerate().map(|(i, (_, v))| {
                    Text::new(format!(" {v}"), (*v, SegmentValue::CenterOf(row(i))), style.clone())
                }));
        }
        let _ = root.present();
    }
    let as_f: Vec<(String, f64)> = data.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
    accessible(svg, id, title, &describe(&as_f, ""))
}

/// A line of counts per month (`YYYY-MM` labels).
pub fn line(id: &str, title: &str, data: &[(String, i64)]) -> String {
    let width = 720u32;
    let height = 300u32;
    let n = data.len().max(1);
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(0usize..n.saturating_sub(1).max(1), 0i64..(max + max / 8 + 1));
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = data.iter().map(|(k, _)| k.clone()).collect();
            let step = n.div_ceil(8).max(1);
            let _ = chart
                .configure_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .axis_style(INK)
                .x_labels(n.min(12))
                .x_label_formatter(&|i| {
                    if i % step == 0 { labels.get(*i).cloned().unwrap_or_default() } else { String::new() }
                })
                .y_labels(6)
                .label_style((FONT, 13).into_font().color(&INK))
                .draw();
            let _ = chart.draw_series(LineSeries::new(
                data.iter().enumerate().map(|(i, (_, v))| (i, *v)),
                ShapeStyle::from(&RED).stroke_width(3),
            ));
            let _ = chart.draw_series(
                data.iter().enumerate().map(|(i, (_, v))| Circle::new((i, *v), 4, ShapeStyle::from(&RED).filled())),
            );
        }
        let _ = root.present();
    }
    let as_f: Vec<(String, f64)> = data.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
    accessible(svg, id, title, &describe(&as_f, ""))
}

/// Progress bars from 0 to 100 %: (label, percent done).
pub fn progress(id: &str, title: &str, data: &[(String, f64)]) -> String {
    let rows = data.len().max(1);
    let height = (rows as u32) * 34 + 46;
    let label_width = label_area(data.iter().map(|(k, _)| k.as_str()));
    let width = 720u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(26)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0f64..100f64, (0..rows).into_segmented());
        if let Ok(mut chart) = chart {
            let labels: Vec<String> = data.iter().rev().map(|(k, _)| k.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE)
                .bold_line_style(GRID)
                .axis_style(INK)
                .x_labels(6)
                .x_label_formatter(&|v| format!("{v:.0}%"))
                .y_labels(rows)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style((FONT, 14).into_font().color(&INK))
                .draw();
            let row = |i: usize| rows - 1 - i;
            let _ = chart.draw_series(data.iter().enumerate().map(|(i, _)| {
                let mut track = Rectangle::new(
                    [(0.0, SegmentValue::Exact(row(i))), (100.0, SegmentValue::Exact(row(i) + 1))],
                    GRID.filled(),
                );
                track.set_margin(6, 6, 0, 0);
                track
            }));
            let _ = chart.draw_series(data.iter().enumerate().map(|(i, (_, p))| {
                let color = if *p >= 100.0 { RGBColor(0x2e, 0x7d, 0x32) } else { BLUE };
                let mut bar = Rectangle::new(
                    [(0.0, SegmentValue::Exact(row(i))), (p.clamp(0.0, 100.0), SegmentValue::Exact(row(i) + 1))],
                    color.filled(),
                );
                bar.set_margin(6, 6, 0, 0);
                bar
            }));
            let style = TextStyle::from((FONT, 13).into_font()).color(&INK).pos(Pos::new(HPos::Left, VPos::Center));
            let _ = chart.draw_series(data.iter().enumerate().map(|(i, (_, p))| {
                let at = p.clamp(0.0, 100.0).min(86.0);
                Text::new(format!(" {p:.1}%"), (at, SegmentValue::CenterOf(row(i))), style.clone())
            }));
        }
        let _ = root.present();
    }
    accessible(svg, id, title, &describe(data, "%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_accessible_svg_without_inline_styles() {
        let data = vec![("渝中区".to_string(), 12), ("江北区<x>".to_string(), 3)];
        for svg in [
            bars("b", "各区县", &data),
            line("l", "每月", &data),
            progress("p", "进度", &[("主城都市区".to_string(), 42.5)]),
        ] {
            assert!(svg.starts_with(r#"<svg class="chart" role="img""#), "{}", &svg[..80.min(svg.len())]);
            assert!(svg.contains("<title id="));
            assert!(!svg.contains("style="), "inline styles would be blocked by the CSP");
            assert!(!svg.contains("<x>"), "labels are escaped");
        }
    }
}
