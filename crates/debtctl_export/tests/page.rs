//! The page on hostile and on empty ledgers, without git or a browser.

use debtctl_export::hotspots::{rank, Churn};
use debtctl_export::html::{render, PageOptions};
use debtctl_export::LedgerExport;
use debtctl_linter::TicketPatterns;
use serde_json::json;

const EVIL: &str = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;";

fn hostile() -> LedgerExport {
    let commit = |sha: &str| {
        json!({"sha": sha, "parents": [EVIL], "time": "2026-11-02T10:04:05Z", "author": EVIL,
               "summary": EVIL, "tickets": [EVIL, "PAY-1"], "findings": 1, "debt_minutes": 10,
               "introduced": 1, "fixed": 0, "by_rule": {EVIL: 1}})
    };
    LedgerExport::from_value(json!({
        "version": 1, "head": "b",
        "commits": [commit("a"), commit("b")],
        "items": [{"fingerprint": EVIL, "rule": EVIL, "severity": EVIL, "path": format!("dir{EVIL}/f.py"),
                   "line": 3, "message": EVIL, "debt_minutes": 10, "introduced_in": "a",
                   "introduced_at": "2026-11-02T10:04:05Z", "introduced_by": EVIL, "fixed_in": null,
                   "tickets": [EVIL]}],
    }))
    .unwrap()
}

#[test]
fn nothing_from_the_ledger_becomes_markup() {
    let opts = PageOptions {
        repository: EVIL.to_string(),
        generator: "debtctl test".into(),
        ticket_url: Some("https://t.example/{key}?a=\"b\"".into()),
        link_prefix: "../".into(),
        source_url: None,
        churn: None,
        ..PageOptions::default()
    };
    let html = render(&hostile(), &opts).unwrap();
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    assert!(!html.contains("<img"), "no element from the data");
    assert!(!html.contains("onerror=alert(2)>"), "no attribute from the data");
    assert!(!html.contains("'>"), "no quote closes an attribute");
    assert!(html.contains("&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&amp;amp;"), "an entity in the data is shown, not decoded");
    // Ticket links: the key percent-encoded into the template, the template's own quote escaped.
    assert!(html.contains(r#"href="https://t.example/PAY-1?a=&quot;b&quot;""#), "{html}");
    assert!(html.contains("https://t.example/%22%27%3E%3Cscript%3E"), "a hostile key is encoded");
}

#[test]
fn a_ticket_url_that_is_not_http_is_not_a_link() {
    let opts =
        PageOptions { ticket_url: Some("javascript:alert(1)//{key}".into()), ..PageOptions::default() };
    let html = render(&hostile(), &opts).unwrap();
    assert!(!html.contains("javascript:"));
    assert!(html.contains(r#"<span class="ticket">PAY-1</span>"#));
}

#[test]
fn an_empty_ledger_renders() {
    let doc =
        LedgerExport::from_value(json!({"version": 1, "head": null, "commits": [], "items": []})).unwrap();
    let html = render(&doc, &PageOptions::default()).unwrap();
    assert!(html.contains("no commit recorded yet"));
    assert!(html.contains("No commit recorded yet"));
    assert!(html.contains(r#"<span id="count">0 items</span>"#));
    assert!(!html.contains("<svg"), "no chart without commits");
}

#[test]
fn hotspots_rank_debt_times_churn_then_debt() {
    let item = |fp: &str, path: &str, debt: u64| {
        json!({"fingerprint": fp, "rule": "py/x", "severity": "warning", "path": path, "line": 1,
               "message": "m", "debt_minutes": debt, "introduced_in": "a",
               "introduced_at": "2026-11-02T10:04:05Z", "introduced_by": "J", "fixed_in": null, "tickets": []})
    };
    let doc = LedgerExport::from_value(json!({
        "version": 1, "head": "a",
        "commits": [{"sha": "a", "parents": [], "time": "2026-11-02T10:04:05Z", "author": "J", "summary": "s",
                     "tickets": [], "findings": 4, "debt_minutes": 100, "introduced": 4, "fixed": 0, "by_rule": {}}],
        "items": [item("1", "big/cold.py", 60), item("2", "hot/a.py", 10), item("3", "hot/a.py", 10),
                  item("4", "top.py", 20)],
    }))
    .unwrap();
    let mut churn = Churn::default();
    churn.files.insert("hot/a.py".into(), 5);
    churn.files.insert("top.py".into(), 1);
    churn.dirs.insert("hot".into(), 5);
    churn.dirs.insert(".".into(), 3);
    let (files, dirs) = rank(&doc, &churn);
    let order: Vec<(&str, u64, u64)> = files.iter().map(|h| (h.path.as_str(), h.score, h.items)).collect();
    // 20 × 5 = 100 beats 20 × 1; untouched debt (score 0) comes last, however large.
    assert_eq!(order, [("hot/a.py", 100, 2), ("top.py", 20, 1), ("big/cold.py", 0, 1)]);
    let order: Vec<(&str, u64)> = dirs.iter().map(|h| (h.path.as_str(), h.score)).collect();
    assert_eq!(order, [("hot", 100), (".", 60), ("big", 0)]);
}

fn commit(sha: &str, time: &str, debt: u64, introduced: u64, fixed: u64) -> serde_json::Value {
    json!({"sha": sha, "parents": [], "time": time, "author": "J", "summary": format!("commit {sha}"),
           "tickets": [], "findings": debt / 10, "debt_minutes": debt, "introduced": introduced,
           "fixed": fixed, "by_rule": {"py/x": debt / 10}})
}

/// The `cx` of each marker of the total line in a chart's SVG, left to right.
fn total_markers(svg: &str) -> Vec<f64> {
    let circle =
        regex::Regex::new(r##"<circle cx="([0-9.]+)" cy="[0-9.]+" r="\d+"[^>]*fill="#333A4D""##).unwrap();
    let mut xs: Vec<f64> = circle.captures_iter(svg).map(|c| c[1].parse().unwrap()).collect();
    xs.sort_by(f64::total_cmp);
    xs
}

/// Regression (issue 16): "Debt over time" put commits at equal steps, so 2018→2024 and
/// 2012→2013 took the same width. Commits sit at their dates now.
#[test]
fn debt_over_time_places_commits_at_their_dates() {
    let doc = LedgerExport::from_value(json!({
        "version": 1, "head": "c",
        "commits": [commit("a", "2012-01-01T00:00:00Z", 10, 1, 0), commit("b", "2013-01-01T00:00:00Z", 50, 4, 0),
                    commit("c", "2024-01-01T00:00:00Z", 20, 0, 3)],
        "items": [],
    }))
    .unwrap();
    let html = render(&doc, &PageOptions::default()).unwrap();
    let start = html.find(r#"<section id="debt-over-time">"#).unwrap();
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    let xs = total_markers(section);
    assert_eq!(xs.len(), 3, "{section}");
    // 366 days of 4383: a twelfth of the width, where equal steps would give a half.
    let share = (xs[1] - xs[0]) / (xs[2] - xs[0]);
    assert!((share - 366.0 / 4383.0).abs() < 0.01, "share {share}");
    // Ticks on calendar years, every second one for twelve years; debt labels carry a unit.
    let labels: Vec<&str> = regex::Regex::new(r"<text [^>]*>\s*([^<]*?)\s*</text>")
        .unwrap()
        .captures_iter(section)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let years: Vec<&str> = labels.iter().copied().filter(|l| l.len() == 4 && l.starts_with("20")).collect();
    assert_eq!(years, ["2012", "2014", "2016", "2018", "2020", "2022", "2024"]);
    assert!(labels.contains(&"50min"), "y labels name their unit: {labels:?}");
}

/// Regression (issue 16): "Recent commits" listed the 25 newest recorded commits, most of
/// them rows of "none"; it lists the commits that changed debt, and counts the rest.
#[test]
fn recent_commits_are_those_that_changed_debt() {
    let mut commits = vec![commit("c00", "2026-01-01T00:00:00Z", 30, 3, 0)];
    for n in 1..40 {
        let (debt, intro, fixed) = match n {
            7 => (40, 1, 0),
            20 => (20, 0, 2),
            _ if n > 20 => (20, 0, 0),
            _ if n > 7 => (40, 0, 0),
            _ => (30, 0, 0),
        };
        commits.push(commit(
            &format!("c{n:02}"),
            &format!("2026-01-{:02}T00:00:00Z", n % 28 + 1),
            debt,
            intro,
            fixed,
        ));
    }
    // A rule's cost changed: debt moved with no item coming or going.
    commits.push(commit("c40", "2026-03-01T00:00:00Z", 25, 0, 0));
    let doc = LedgerExport::from_value(json!({"version": 1, "head": "c40", "commits": commits, "items": []}))
        .unwrap();
    let html = render(&doc, &PageOptions::default()).unwrap();
    let start = html.find(r#"<section id="commits">"#).unwrap();
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    let shown: Vec<&str> = regex::Regex::new(r"commit (c\d\d)</td>")
        .unwrap()
        .captures_iter(section)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(shown, ["c40", "c20", "c07", "c00"], "newest first, only those that changed debt");
    assert!(section.contains("37 other recorded commits changed no debt."), "{section}");
    assert!(section.contains(r#"<td class="num down">−20min</td>"#), "{section}");
    assert!(section.contains(r#"<td class="num up">+10min</td>"#), "{section}");
    assert!(section.contains("cost changed"));
    assert!(!section.contains(">none<"));
}

/// Issue 16: GitHub's `#123` links to its issue through the pattern's named group, while a
/// Jira key of the same ledger, whose pattern has no `number`, stays text.
#[test]
fn ticket_links_fill_named_groups_of_the_ticket_patterns() {
    let mut doc = hostile();
    for c in &mut doc.commits {
        c.tickets = vec!["#12".into(), "PAY-1".into()];
    }
    let patterns =
        |p: &[&str]| TicketPatterns::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let opts = PageOptions {
        ticket_url: Some("https://github.com/o/r/issues/{number}".into()),
        tickets: patterns(&[r"#(?P<number>[0-9]+)\b", r"\b[A-Z]+-[0-9]+\b"]),
        ..PageOptions::default()
    };
    let html = render(&doc, &opts).unwrap();
    assert!(html.contains(r#"<a class="ticket" href="https://github.com/o/r/issues/12">#12</a>"#), "{html}");
    assert!(html.contains(r#"<span class="ticket">PAY-1</span>"#));
    // `{key}` is the whole key, percent-encoded.
    let opts = PageOptions { ticket_url: Some("https://t.example/?q={key}".into()), ..opts };
    let html = render(&doc, &opts).unwrap();
    assert!(html.contains(r#"<a class="ticket" href="https://t.example/?q=%2312">#12</a>"#), "{html}");
}

/// One recorded commit (or several in one hour) has no time span: the axis takes a day
/// around it and the marker sits in the middle, never on the edge.
#[test]
fn a_single_commit_sits_mid_axis() {
    let doc = LedgerExport::from_value(json!({
        "version": 1, "head": "a", "commits": [commit("a", "2026-11-02T10:00:00Z", 30, 3, 0)], "items": [],
    }))
    .unwrap();
    let html = render(&doc, &PageOptions::default()).unwrap();
    let start = html.find(r#"<section id="debt-over-time">"#).unwrap();
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    let xs = total_markers(section);
    assert_eq!(xs.len(), 1, "{section}");
    // The plot spans x = 72 (after the y labels) to 916 (before the right margin).
    assert!((xs[0] - 494.0).abs() < 10.0, "{}", xs[0]);
    assert!(section.contains("11-02 12:00"), "hour ticks within the day");
}
