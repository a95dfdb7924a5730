//! The page on hostile and on empty ledgers, without git or a browser.

use debtctl_export::hotspots::{rank, Churn};
use debtctl_export::html::{render, PageOptions};
use debtctl_export::LedgerExport;
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
