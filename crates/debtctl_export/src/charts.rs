//! The dashboard's charts, drawn here as SVG with plotters: no script draws them, so they
//! show in any viewer, in print, and with scripts off.

use crate::model::{LedgerExport, SEVERITIES};
use crate::ExportError;
use plotters::prelude::*;
use std::collections::BTreeMap;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 300;

pub const TOTAL_COLOUR: RGBColor = RGBColor(0x33, 0x3a, 0x4d);

/// The colour of a severity in charts and badges.
pub fn severity_colour(severity: &str) -> RGBColor {
    match severity {
        "error" => RGBColor(0xd1, 0x49, 0x5b),
        "warning" => RGBColor(0xe0, 0x9f, 0x3e),
        _ => RGBColor(0x2a, 0x9d, 0x8f),
    }
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(0x44, 0x77, 0xaa),
    RGBColor(0xee, 0x66, 0x77),
    RGBColor(0x22, 0x88, 0x33),
    RGBColor(0xcc, 0xbb, 0x44),
    RGBColor(0x66, 0xcc, 0xee),
    RGBColor(0xaa, 0x33, 0x77),
    RGBColor(0x99, 0x77, 0x55),
    RGBColor(0x88, 0x88, 0x88),
];

/// Most rules drawn as their own line; the rest add up to "other".
const MAX_RULES: usize = 7;

/// A drawn chart: the SVG, and its legend (label and `#rrggbb` colour per line), which the
/// page writes as HTML beside the chart so it never hides a line.
pub struct Chart {
    pub svg: String,
    pub legend: Vec<(String, String)>,
}

struct Series {
    label: String,
    colour: RGBColor,
    width: u32,
    values: Vec<f64>,
}

/// Total debt per commit, and per severity; in hours once it passes ten hours.
pub fn debt_over_time(doc: &LedgerExport) -> Result<Chart, ExportError> {
    let by_severity = doc.debt_by_severity();
    let peak = doc.commits.iter().map(|c| c.debt_minutes).max().unwrap_or(0);
    let (scale, unit) = if peak > 600 { (60.0, "debt (hours)") } else { (1.0, "debt (minutes)") };
    let mut series = vec![Series {
        label: "total".into(),
        colour: TOTAL_COLOUR,
        width: 3,
        values: doc.commits.iter().map(|c| c.debt_minutes as f64 / scale).collect(),
    }];
    for sev in SEVERITIES {
        if by_severity.iter().any(|m| m.get(sev).copied().unwrap_or(0) > 0) {
            series.push(Series {
                label: sev.into(),
                colour: severity_colour(sev),
                width: 2,
                values: by_severity.iter().map(|m| m.get(sev).copied().unwrap_or(0) as f64 / scale).collect(),
            });
        }
    }
    draw(doc, &series, unit)
}

/// Findings per rule per commit: the rules with most findings at their peak, the rest
/// summed into "other".
pub fn findings_per_rule(doc: &LedgerExport) -> Result<Chart, ExportError> {
    let mut peak: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &doc.commits {
        for (rule, n) in &c.by_rule {
            let p = peak.entry(rule.as_str()).or_default();
            *p = (*p).max(*n);
        }
    }
    let mut ranked: Vec<(&str, u64)> = peak.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<&str> = ranked.iter().take(MAX_RULES).map(|(r, _)| *r).collect();
    let mut series: Vec<Series> = shown
        .iter()
        .enumerate()
        .map(|(n, rule)| Series {
            label: rule.to_string(),
            colour: PALETTE[n % PALETTE.len()],
            width: 2,
            values: doc.commits.iter().map(|c| c.by_rule.get(*rule).copied().unwrap_or(0) as f64).collect(),
        })
        .collect();
    if ranked.len() > MAX_RULES {
        let rest = ranked.len() - MAX_RULES;
        series.push(Series {
            label: if rest == 1 { "1 other rule".to_string() } else { format!("{rest} other rules") },
            colour: PALETTE[PALETTE.len() - 1],
            width: 2,
            values: doc
                .commits
                .iter()
                .map(|c| {
                    c.by_rule
                        .iter()
                        .filter(|(r, _)| !shown.contains(&r.as_str()))
                        .map(|(_, n)| *n)
                        .sum::<u64>() as f64
                })
                .collect(),
        });
    }
    draw(doc, &series, "findings")
}

fn chart_err<E: std::fmt::Debug>(e: E) -> ExportError {
    ExportError::Chart(format!("{e:?}"))
}

fn draw(doc: &LedgerExport, series: &[Series], y_desc: &str) -> Result<Chart, ExportError> {
    let n = doc.commits.len();
    let y_max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0f64, f64::max);
    let y_top = if y_max <= 0.0 { 1.0 } else { y_max * 1.1 };
    let x_end = (n.max(2) - 1) as f64;
    let dates: Vec<String> =
        doc.commits.iter().map(|c| c.time.get(..10).unwrap_or(&c.time).to_string()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(12)
            .margin_right(44)
            .margin_left(8)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..x_end, 0f64..y_top)
            .map_err(chart_err)?;
        let axis = RGBColor(0x6b, 0x72, 0x80);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(RGBColor(0xe5, 0xe7, 0xeb))
            .light_line_style(TRANSPARENT)
            .axis_style(axis)
            .label_style(("sans-serif", 13).into_font().color(&axis))
            .axis_desc_style(("sans-serif", 13).into_font().color(&axis))
            .y_desc(y_desc)
            .x_labels(n.clamp(2, 8))
            .y_labels(6)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() > 0.01 || i < 0.0 {
                    return String::new();
                }
                dates.get(i as usize).cloned().unwrap_or_default()
            })
            .y_label_formatter(&|y| {
                // Counts and minutes are whole: no label between two of them.
                if (y - y.round()).abs() > 1e-6 {
                    String::new()
                } else {
                    format!("{y:.0}")
                }
            })
            .draw()
            .map_err(chart_err)?;
        for s in series {
            let points: Vec<(f64, f64)> = s.values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
            let style = ShapeStyle::from(&s.colour).stroke_width(s.width);
            chart.draw_series(LineSeries::new(points.iter().copied(), style)).map_err(chart_err)?;
            if n <= 60 {
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 2 + s.width / 2, s.colour.filled())))
                    .map_err(chart_err)?;
            }
        }
        root.present().map_err(chart_err)?;
    }
    let legend = series
        .iter()
        .map(|s| (s.label.clone(), format!("#{:02x}{:02x}{:02x}", s.colour.0, s.colour.1, s.colour.2)))
        .collect();
    Ok(Chart { svg, legend })
}
