//! The dashboard's charts, drawn here as SVG with plotters: no script draws them, so they
//! show in any viewer, in print, and with scripts off.

use crate::model::{parse_rfc3339_utc, LedgerExport, SEVERITIES};
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
    let (scale, unit) = if peak > 600 { (60.0, YUnit::Hours) } else { (1.0, YUnit::Minutes) };
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
    draw(doc, &series, "open debt", unit)
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
    draw(doc, &series, "findings", YUnit::Count)
}

fn chart_err<E: std::fmt::Debug>(e: E) -> ExportError {
    ExportError::Chart(format!("{e:?}"))
}

/// Where each commit sits on the time axis: its time in seconds since the epoch, never
/// before the commit recorded before it (author dates can go back, a line cannot).
fn commit_times(doc: &LedgerExport) -> Vec<f64> {
    let mut last: Option<i64> = None;
    doc.commits
        .iter()
        .map(|c| {
            let t = parse_rfc3339_utc(&c.time).or(last).unwrap_or(0);
            let t = last.map_or(t, |l| t.max(l));
            last = Some(t);
            t as f64
        })
        .collect()
}

fn draw(doc: &LedgerExport, series: &[Series], y_desc: &str, unit: YUnit) -> Result<Chart, ExportError> {
    let n = doc.commits.len();
    let y_max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0f64, f64::max);
    let y_top = if y_max <= 0.0 { 1.0 } else { y_max * 1.1 };
    let xs = commit_times(doc);
    let (mut x0, mut x1) = (xs.first().copied().unwrap_or(0.0), xs.last().copied().unwrap_or(0.0));
    // A day's width around commits made in the same hour, so they do not sit on the axis.
    if x1 - x0 < 3600.0 {
        let mid = (x0 + x1) / 2.0;
        (x0, x1) = (mid - 43_200.0, mid + 43_200.0);
    }
    let axis_ticks = time_ticks(x0 as i64, x1 as i64, 8);
    let step = axis_ticks.step;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let ticks: Vec<f64> = axis_ticks.at.iter().map(|t| *t as f64).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(12)
            .margin_right(44)
            .margin_left(8)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(TimeAxis { range: x0..x1, ticks }, 0f64..y_top)
            .map_err(chart_err)?;
        let axis = RGBColor(0x6b, 0x72, 0x80);
        chart
            .configure_mesh()
            .bold_line_style(RGBColor(0xe5, 0xe7, 0xeb))
            .light_line_style(TRANSPARENT)
            .axis_style(axis)
            .label_style(("sans-serif", 13).into_font().color(&axis))
            .axis_desc_style(("sans-serif", 13).into_font().color(&axis))
            .y_desc(y_desc)
            .y_labels(6)
            .x_label_formatter(&|x| step.label(*x as i64))
            .y_label_formatter(&|y| {
                // Counts and minutes are whole: no label between two of them.
                if (y - y.round()).abs() > 1e-6 {
                    String::new()
                } else {
                    unit.label(*y)
                }
            })
            .draw()
            .map_err(chart_err)?;
        for s in series {
            let points: Vec<(f64, f64)> = xs.iter().copied().zip(s.values.iter().copied()).collect();
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

/// The x axis: seconds since the epoch, mapped linearly, with ticks on calendar
/// boundaries (plotters' own f64 ticks would fall on round numbers of seconds).
struct TimeAxis {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for TimeAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let width = self.range.end - self.range.start;
        if width <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let at = (value - self.range.start) / width;
        limit.0 + ((limit.1 - limit.0) as f64 * at).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// What a chart's y axis counts; its labels carry the unit (`30min`, `12h`).
#[derive(Debug, Clone, Copy)]
enum YUnit {
    Minutes,
    Hours,
    Count,
}

impl YUnit {
    fn label(self, y: f64) -> String {
        match self {
            YUnit::Minutes => format!("{y:.0}min"),
            YUnit::Hours => format!("{y:.0}h"),
            YUnit::Count => format!("{y:.0}"),
        }
    }
}

/// The spacing of the time axis's ticks: calendar hours, days, months or years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Hours(i64),
    Days(i64),
    Months(i64),
    Years(i64),
}

const STEPS: [Step; 19] = [
    Step::Hours(1),
    Step::Hours(3),
    Step::Hours(6),
    Step::Hours(12),
    Step::Days(1),
    Step::Days(2),
    Step::Days(7),
    Step::Days(14),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
    Step::Years(10),
    Step::Years(20),
    Step::Years(50),
    Step::Years(100),
];

const DAY: i64 = 86_400;

impl Step {
    /// A tick's label: as precise as the step, no more (`2018`, `2018-03`, `2018-03-07`).
    fn label(self, t: i64) -> String {
        let (y, m, d) = civil(t.div_euclid(DAY));
        match self {
            Step::Hours(_) => format!("{m:02}-{d:02} {:02}:00", t.rem_euclid(DAY) / 3600),
            Step::Days(_) => format!("{y}-{m:02}-{d:02}"),
            Step::Months(_) => format!("{y}-{m:02}"),
            Step::Years(_) => format!("{y}"),
        }
    }

    /// Every tick of this step from `t0` to `t1` (seconds since the epoch), on calendar
    /// boundaries: midnight, the first of a month, the first of January.
    fn ticks(self, t0: i64, t1: i64, limit: usize) -> Option<Vec<i64>> {
        let mut out = Vec::new();
        let push = |t: i64, out: &mut Vec<i64>| {
            if t >= t0 && t <= t1 {
                out.push(t);
            }
            out.len() <= limit
        };
        match self {
            Step::Hours(h) | Step::Days(h) => {
                let len = if matches!(self, Step::Hours(_)) { h * 3600 } else { h * DAY };
                let mut t = t0.div_euclid(len) * len;
                while t <= t1 {
                    if !push(t, &mut out) {
                        return None;
                    }
                    t += len;
                }
            }
            Step::Months(k) | Step::Years(k) => {
                let k = if matches!(self, Step::Years(_)) { k * 12 } else { k };
                let (y, m, _) = civil(t0.div_euclid(DAY));
                let mut month = (y * 12 + m as i64 - 1).div_euclid(k) * k;
                loop {
                    let t = days_from_civil(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1) * DAY;
                    if t > t1 {
                        break;
                    }
                    if !push(t, &mut out) {
                        return None;
                    }
                    month += k;
                }
            }
        }
        Some(out)
    }
}

struct Ticks {
    step: Step,
    at: Vec<i64>,
}

/// The finest calendar step that puts at most `limit` ticks between `t0` and `t1`.
fn time_ticks(t0: i64, t1: i64, limit: usize) -> Ticks {
    for step in STEPS {
        // Hours read badly across days: beyond one day, ticks fall on days at least.
        if matches!(step, Step::Hours(_)) && t1 - t0 > DAY {
            continue;
        }
        if let Some(at) = step.ticks(t0, t1, limit) {
            return Ticks { step, at };
        }
    }
    let step = Step::Years(1000);
    Ticks { step, at: step.ticks(t0, t1, usize::MAX).unwrap_or_default() }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        parse_rfc3339_utc(s).unwrap()
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 59, 365, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(at("2024-02-29T23:59:59Z") / DAY), (2024, 2, 29));
    }

    #[test]
    fn ticks_fall_on_calendar_boundaries_at_the_finest_step_that_fits() {
        let t = time_ticks(at("2018-03-10T00:00:00Z"), at("2024-07-01T00:00:00Z"), 8);
        assert_eq!(t.step, Step::Years(1));
        let labels: Vec<String> = t.at.iter().map(|x| t.step.label(*x)).collect();
        assert_eq!(labels, ["2019", "2020", "2021", "2022", "2023", "2024"]);

        let t = time_ticks(at("2012-01-15T00:00:00Z"), at("2013-02-01T00:00:00Z"), 8);
        assert_eq!(t.step, Step::Months(2));
        assert_eq!(t.step.label(t.at[0]), "2012-03", "odd months: January, March ...");
        assert!(t.at.len() <= 8);

        let t = time_ticks(at("2026-11-02T10:00:00Z"), at("2026-11-05T13:00:00Z"), 8);
        assert_eq!(t.step, Step::Days(1));
        let labels: Vec<String> = t.at.iter().map(|x| t.step.label(*x)).collect();
        assert_eq!(labels, ["2026-11-03", "2026-11-04", "2026-11-05"]);

        let t = time_ticks(at("2026-11-02T10:20:00Z"), at("2026-11-02T15:00:00Z"), 8);
        assert_eq!(t.step, Step::Hours(1));
        assert_eq!(t.step.label(t.at[0]), "11-02 11:00");

        let t = time_ticks(at("1900-01-01T00:00:00Z"), at("2100-01-01T00:00:00Z"), 8);
        assert_eq!(t.step, Step::Years(50));
    }
}
