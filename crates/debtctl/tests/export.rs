//! `debtctl export` end to end: a scripted repository with fixed dates is recorded commit by
//! commit, then exported as HTML (opened in headless Chromium), CSV, OpenMetrics (parsed by
//! the Python Prometheus client) and into a real PostgreSQL server.
//!
//! The services come from `.ci/run`: it installs Chromium, PostgreSQL and prometheus_client
//! and exports DEBTCTL_TEST_PG_URL. A test whose service is missing fails and says so.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debtctl"));
    cmd.env_remove("DEBTCTL_DB").env_remove("DEBTCTL_PG_URL").env("NO_COLOR", "1");
    cmd
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

fn ok(out: Output) -> Output {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn git(dir: &Path, args: &[&str], date: &str) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_COMMITTER_NAME", "CI")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit(dir: &Path, files: &[(&str, &str)], author: &str, message: &str, date: &str) {
    for (rel, text) in files {
        write(dir, rel, text);
    }
    git(dir, &["add", "-A"], date);
    let who = format!("{author} <{}@example.com>", author.split(' ').next().unwrap().to_lowercase());
    git(dir, &["commit", "-q", "--allow-empty", "--author", &who, "-m", message], date);
}

const XSS: &str = "<script>alert(1)</script>";

/// Four commits with fixed dates: debt comes, moves, is fixed and comes back elsewhere,
/// with an XSS probe in a commit message and in a file name.
fn history() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"], "2026-11-01T09:00:00Z");
    write(d, "debtctl.toml", "ticket-url = \"https://tracker.example/browse/{key}\"\n");
    commit(
        d,
        &[("app/models.py", "def tag(item, tags=[]):\n    return tags\n"), ("README.md", "hi\n")],
        "Jane Doe",
        &format!("Add tagging PAY-142 {XSS}"),
        "2026-11-02T10:00:00Z",
    );
    commit(
        d,
        &[
            (
                "app/models.py",
                "def tag(item, tags=[]):\n    return tags\n\n\ndef load(p):\n    try:\n        return open(p).read()\n    except:\n        pass\n",
            ),
            ("app/<i>.py", "# TODO(OPS-7): drop this module\ndef f(x):\n    return x\n"),
            ("pkg/a.go", "package pkg\n\nimport \"os\"\n\nfunc F() {\n\tos.Remove(\"x\")\n}\n"),
            ("go.mod", "module example.com/x\n\ngo 1.21\n"),
        ],
        "Bob Roe",
        "Load files, \"quoted\" OPS-7",
        "2026-11-03T11:00:00Z",
    );
    commit(
        d,
        &[("app/models.py", "def tag(item, tags=None):\n    return tags or []\n\n\ndef load(p):\n    try:\n        return open(p).read()\n    except:\n        pass\n")],
        "Jane Doe",
        "Fix the tagging default PAY-150",
        "2026-11-04T12:00:00Z",
    );
    commit(
        d,
        &[("pkg/b.go", "package pkg\n\nimport \"os\"\n\nfunc G() {\n\tos.Chdir(\"/\")\n}\n")],
        "Bob Roe",
        "Change directory",
        "2026-11-05T13:00:00Z",
    );
    for rev in ["HEAD~3", "HEAD~2", "HEAD~1", "HEAD"] {
        ok(run_in(d, &["record", "--quiet", "--rev", rev]));
    }
    dir
}

fn ledger(d: &Path) -> Value {
    serde_json::from_slice(&ok(run_in(d, &["export", "--format", "json"])).stdout).unwrap()
}

fn open_items(ledger: &Value) -> Vec<&Value> {
    ledger["items"].as_array().unwrap().iter().filter(|i| i["fixed_in"].is_null()).collect()
}

fn export_html(d: &Path) -> (PathBuf, String) {
    std::fs::create_dir_all(d.join("out")).unwrap();
    let page = d.join("out/debt.html");
    ok(run_in(d, &["export", "--format", "html", "--out", "out/debt.html", "--repo-name", "acme/shop"]));
    let text = std::fs::read_to_string(&page).unwrap();
    (page, text)
}

#[test]
fn html_is_self_contained_and_escapes_what_the_repository_says() {
    let dir = history();
    let d = dir.path();
    let (page, html) = export_html(d);
    let csp = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]+)">"#).unwrap();
    let policy = &csp.captures(&html).expect("a CSP meta tag")[1];
    assert!(policy.starts_with("default-src &#39;none&#39;"), "{policy}");
    assert!(policy.contains("script-src &#39;sha256-"), "{policy}");
    // Nothing loads from anywhere: no src, no stylesheet link, no CSS url() or import.
    for needle in [" src=", "<link", "url(", "@import", "<iframe", "<object"] {
        assert!(!html.contains(needle), "page contains {needle}");
    }
    assert_eq!(html.matches("<script").count(), 1, "one inline script, ours");
    assert!(!html.contains(XSS));
    assert!(html.contains("Add tagging PAY-142 &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<i>.py"));
    assert!(
        html.contains(r#"<a class="mono" href="../app/%3Ci%3E.py#L1">app/&lt;i&gt;.py:1</a>"#),
        "file link"
    );
    assert!(html.contains("Load files, &quot;quoted&quot; OPS-7"));
    assert!(html.contains(r#"<a class="ticket" href="https://tracker.example/browse/PAY-142">PAY-142</a>"#));
    assert!(html.matches("<svg").count() >= 2, "two charts");
    let ledger = ledger(d);
    assert_eq!(html.matches("<tr data-sev=").count(), open_items(&ledger).len());
    // Readable by others (a web server, an artifact upload), not 0600 like a temporary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&page).unwrap().permissions().mode() & 0o777, 0o644);
    }
}

/// The page with what churns on every change of style, script or plotting taken out: the
/// sections, tables, rows and links stay.
fn structure(html: &str) -> String {
    let style = regex::Regex::new(r"(?s)<style>.*?</style>").unwrap();
    let script = regex::Regex::new(r"(?s)<script>.*?</script>").unwrap();
    let svg = regex::Regex::new(r"(?s)<svg[^>]*>.*?</svg>").unwrap();
    let hash = regex::Regex::new(r"sha256-[A-Za-z0-9+/=]+").unwrap();
    let s = style.replace_all(html, "<style>…</style>");
    let s = script.replace_all(&s, "<script>…</script>");
    let s = svg.replace_all(&s, "<svg>…</svg>");
    let s = hash.replace_all(&s, "sha256-[hash]");
    s.replace(concat!("debtctl ", env!("CARGO_PKG_VERSION")), "debtctl [version]")
}

#[test]
fn html_structure_snapshot() {
    let dir = history();
    let (_, html) = export_html(dir.path());
    insta::assert_snapshot!(structure(&html));
}

fn chromium() -> String {
    let exe = std::env::var("DEBTCTL_TEST_CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let probe = Command::new(&exe).arg("--version").output();
    match probe {
        Ok(o) if o.status.success() => exe,
        _ => panic!(
            "no Chromium at `{exe}`: run the tests with `bash .ci/run`, which installs Debian's chromium"
        ),
    }
}

/// Runs headless Chromium on a page with a fresh profile and the network switched off.
fn headless(page: &Path, extra: &[&str]) -> Output {
    let profile = TempDir::new().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// Lines of Chromium's log that report a page's console message or a CSP violation.
fn console_messages(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Content Security Policy") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect()
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_page_renders_in_chromium_without_console_errors() {
    let dir = history();
    let d = dir.path();
    let (page, _) = export_html(d);
    let out = headless(&page, &["--dump-dom"]);
    assert!(out.status.success(), "chromium: {}", stderr(&out));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains(r#"data-ready="1""#), "the script did not finish: {}", stderr(&out));
    assert!(dom.matches("<svg").count() >= 2, "charts");
    assert!(dom.contains("<polyline") || dom.contains("<path"), "chart lines");
    let open = open_items(&ledger(d)).len();
    assert_eq!(dom.matches("<tr data-sev=").count(), open, "one row per open item");
    assert!(dom.contains(&format!("{open} items")), "the script counted the rows");
    assert!(!dom.contains("<script>alert"), "the probe stayed text");
    assert_eq!(console_messages(&out), Vec::<String>::new());

    let shot = artifacts().join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(&page, &[&format!("--screenshot={}", shot.display()), "--window-size=1280,2600"]);
    assert!(out.status.success(), "chromium: {}", stderr(&out));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "{} bytes", png.len());
    std::fs::copy(&page, artifacts().join("dashboard.html")).unwrap();
}

/// The table's script filters and sorts: the view in the page's address is applied.
#[test]
fn the_table_filters_and_sorts_from_the_address() {
    let dir = history();
    let (page, _) = export_html(dir.path());
    let url = format!("{}#q=.go&sort=-location", page.display());
    let out = headless(Path::new(&url), &["--dump-dom"]);
    assert!(out.status.success(), "chromium: {}", stderr(&out));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains(r#"data-ready="1""#), "the script did not finish: {}", stderr(&out));
    let row = regex::Regex::new(r#"<tr data-sev="[^"]*" data-rule="[^"]*"( hidden="")?>.*?</tr>"#).unwrap();
    let place = regex::Regex::new(r#"class="mono" href="[^"]*">([^<]*)</a>"#).unwrap();
    let visible: Vec<String> = row
        .captures_iter(&dom)
        .filter(|c| c.get(1).is_none())
        .map(|c| place.captures(&c[0]).unwrap()[1].to_string())
        .collect();
    assert_eq!(visible, ["pkg/b.go:6", "pkg/a.go:6"], "filtered to Go files, location descending");
    assert!(dom.contains(r#"<span id="count">2 of 5 items</span>"#), "the count follows the filter");
    assert!(dom.contains(r#"data-key="location" data-type="str" tabindex="0" aria-sort="descending""#));
    assert_eq!(console_messages(&out), Vec::<String>::new());
}

/// The check above can fail: a page whose script throws is caught.
#[test]
fn a_throwing_script_shows_in_the_console_check() {
    let dir = TempDir::new().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(&page, "<!DOCTYPE html><title>x</title><script>notDefined();</script>").unwrap();
    let out = headless(&page, &["--dump-dom"]);
    let messages = console_messages(&out);
    assert!(messages.iter().any(|m| m.contains("notDefined")), "{:?}", stderr(&out));
}

#[test]
fn csv_tables_round_trip() {
    let dir = history();
    let d = dir.path();
    let ledger = ledger(d);
    ok(run_in(d, &["export", "--format", "csv", "--out", "tables"]));
    let mut items = csv::Reader::from_path(d.join("tables/items.csv")).unwrap();
    assert_eq!(items.headers().unwrap().iter().collect::<Vec<_>>()[..3], ["fingerprint", "rule", "severity"]);
    let rows: Vec<csv::StringRecord> = items.records().map(Result::unwrap).collect();
    let expected = ledger["items"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (row, item) in rows.iter().zip(expected) {
        assert_eq!(&row[0], item["fingerprint"].as_str().unwrap());
        assert_eq!(&row[3], item["path"].as_str().unwrap());
        assert_eq!(row[4].parse::<u64>().unwrap(), item["line"].as_u64().unwrap());
        assert_eq!(&row[10], item["fixed_in"].as_str().unwrap_or(""));
    }
    // One table on stdout; a summary with a comma and quotes survives.
    let out = ok(run_in(d, &["export", "--format", "csv", "--table", "commits"]));
    let mut commits = csv::Reader::from_reader(&out.stdout[..]);
    let rows: Vec<csv::StringRecord> = commits.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[1][4], "Load files, \"quoted\" OPS-7");
    assert_eq!(&rows[1][1], ledger["commits"][0]["sha"].as_str().unwrap(), "parent");
    assert_eq!(rows[3][7].parse::<u64>().unwrap(), ledger["commits"][3]["debt_minutes"].as_u64().unwrap());
    // Two tables need a directory.
    let out = run_in(d, &["export", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

const PARSE_OPENMETRICS: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.setdefault(s.name, []).append({"labels": s.labels, "value": s.value, "type": family.type})
print(json.dumps(out))
"#;

#[test]
fn openmetrics_parse_with_the_prometheus_client_and_match_the_ledger() {
    let dir = history();
    let d = dir.path();
    let ledger = ledger(d);
    let out = ok(run_in(d, &["export", "--format", "openmetrics", "--repo-name", "team/x\"y"]));
    let mut py = Command::new("python3")
        .args(["-c", PARSE_OPENMETRICS])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3: run the tests with `bash .ci/run`");
    use std::io::Write;
    py.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let parsed = py.wait_with_output().unwrap();
    assert!(
        parsed.status.success(),
        "the OpenMetrics parser refused the text (is prometheus_client installed? `bash .ci/run` installs it): {}\n{}",
        String::from_utf8_lossy(&parsed.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let families: Value = serde_json::from_slice(&parsed.stdout).unwrap();

    let mut want_debt: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut want_findings: BTreeMap<String, f64> = BTreeMap::new();
    for item in ledger["items"].as_array().unwrap() {
        let (rule, sev) =
            (item["rule"].as_str().unwrap().to_string(), item["severity"].as_str().unwrap().to_string());
        let open = item["fixed_in"].is_null();
        let debt = if open { item["debt_minutes"].as_f64().unwrap() } else { 0.0 };
        *want_debt.entry((rule.clone(), sev)).or_default() += debt;
        *want_findings.entry(rule).or_default() += if open { 1.0 } else { 0.0 };
    }
    let mut got_debt = BTreeMap::new();
    for s in families["debtctl_debt_minutes"].as_array().unwrap() {
        assert_eq!(s["type"], "gauge");
        assert_eq!(s["labels"]["repository"], "team/x\"y");
        let key = (
            s["labels"]["rule"].as_str().unwrap().to_string(),
            s["labels"]["severity"].as_str().unwrap().to_string(),
        );
        got_debt.insert(key, s["value"].as_f64().unwrap());
    }
    assert_eq!(got_debt, want_debt);
    let got_findings: BTreeMap<String, f64> = families["debtctl_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["labels"]["rule"].as_str().unwrap().to_string(), s["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(got_findings, want_findings);
    let head = &ledger["commits"][3];
    let total: f64 = got_debt.values().sum();
    assert_eq!(total, head["debt_minutes"].as_f64().unwrap());
    assert!(want_findings.values().any(|v| *v == 0.0), "a fixed rule is written as 0, not dropped");
}

#[test]
fn json_format_is_unchanged_and_arguments_are_checked() {
    let dir = history();
    let d = dir.path();
    let v = ledger(d);
    assert_eq!(v["version"], 1);
    assert_eq!(v["commits"].as_array().unwrap().len(), 4);
    // Written to a file, it is the same document.
    ok(run_in(d, &["export", "--format", "json", "--out", "ledger.json"]));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(d.join("ledger.json")).unwrap()).unwrap();
    assert_eq!(file, v);
    for bad in [
        vec!["export"],
        vec!["export", "--format", "json", "--table", "items"],
        vec!["export", "--format", "html", "--to", "postgres://x"],
        vec!["export", "--format", "json", "--out", "no/such/dir/ledger.json"],
        vec!["export", "--format", "json", "--source-url", "https://x/{path}"],
    ] {
        let out = run_in(d, &bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!stderr(&out).contains("panicked"), "{bad:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error: "), "{bad:?}: {}", stderr(&out));
    }
    // Files can link to a web page of the newest recorded commit instead.
    let head = v["head"].as_str().unwrap();
    let out = ok(run_in(
        d,
        &["export", "--format", "html", "--source-url", "https://git.example/x/blob/{sha}/{path}#L{line}"],
    ));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.contains(&format!(
            r#"href="https://git.example/x/blob/{head}/app/%3Ci%3E.py#L1">app/&lt;i&gt;.py:1</a>"#
        )),
        "source links"
    );
    let out = run_in(d, &["export", "--format", "html", "--source-url", "javascript:alert(1)//{path}"]);
    assert_eq!(out.status.code(), Some(2));
    // A ticket-url that is not an http(s) template is a config error.
    write(d, "debtctl.toml", "ticket-url = \"javascript:alert(1)//{key}\"\n");
    let out = run_in(d, &["export", "--format", "html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ticket-url"), "{}", stderr(&out));
}

// PostgreSQL.

/// A fresh database on the test server, dropped when the guard goes.
struct TestDb {
    url: String,
    admin: String,
    name: String,
}

impl TestDb {
    fn new() -> TestDb {
        let admin = std::env::var("DEBTCTL_TEST_PG_URL").expect(
            "DEBTCTL_TEST_PG_URL is not set: run the tests with `bash .ci/run`, which starts a PostgreSQL server",
        );
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("debtctl_test_{}_{n}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to DEBTCTL_TEST_PG_URL ({admin}): {e}"));
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        TestDb { url: url.to_string(), admin, name }
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// Every synced row of `repo`, compared with the ledger's export field by field.
fn assert_matches_ledger(client: &mut postgres::Client, repo: &str, ledger: &Value) {
    let rows = client
        .query(
            "SELECT sha, position, parents, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    author, summary, tickets, findings, debt_minutes, introduced, fixed
             FROM debtctl_commits WHERE repository = $1 ORDER BY position",
            &[&repo],
        )
        .unwrap();
    let commits = ledger["commits"].as_array().unwrap();
    assert_eq!(rows.len(), commits.len());
    for (n, (row, c)) in rows.iter().zip(commits).enumerate() {
        assert_eq!(row.get::<_, String>(0), c["sha"].as_str().unwrap());
        assert_eq!(row.get::<_, i32>(1), n as i32);
        assert_eq!(row.get::<_, Vec<String>>(2), strings(&c["parents"]));
        assert_eq!(row.get::<_, String>(3), c["time"].as_str().unwrap());
        assert_eq!(row.get::<_, String>(4), c["author"].as_str().unwrap());
        assert_eq!(row.get::<_, String>(5), c["summary"].as_str().unwrap());
        assert_eq!(row.get::<_, Vec<String>>(6), strings(&c["tickets"]));
        for (i, key) in [(7, "findings"), (8, "debt_minutes"), (9, "introduced"), (10, "fixed")] {
            assert_eq!(row.get::<_, i64>(i), c[key].as_i64().unwrap(), "{key}");
        }
        let by_rule: BTreeMap<String, i64> = client
            .query(
                "SELECT rule, findings FROM debtctl_commit_rules WHERE repository = $1 AND sha = $2",
                &[&repo, &c["sha"].as_str().unwrap()],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let want: BTreeMap<String, i64> =
            c["by_rule"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_i64().unwrap())).collect();
        assert_eq!(by_rule, want);
        let severity_total: i64 = client
            .query_one(
                "SELECT coalesce(sum(debt_minutes), 0)::bigint FROM debtctl_commit_severities
                 WHERE repository = $1 AND sha = $2",
                &[&repo, &c["sha"].as_str().unwrap()],
            )
            .unwrap()
            .get(0);
        assert_eq!(severity_total, c["debt_minutes"].as_i64().unwrap(), "debt per severity adds up");
    }
    let rows = client
        .query(
            "SELECT fingerprint, rule, severity, path, line, message, debt_minutes, introduced_in,
                    to_char(introduced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), introduced_by,
                    fixed_in, tickets
             FROM debtctl_items WHERE repository = $1 ORDER BY fingerprint",
            &[&repo],
        )
        .unwrap();
    let mut items: Vec<&Value> = ledger["items"].as_array().unwrap().iter().collect();
    items.sort_by_key(|i| i["fingerprint"].as_str().unwrap().to_string());
    assert_eq!(rows.len(), items.len());
    for (row, i) in rows.iter().zip(items) {
        for (n, key) in [(0, "fingerprint"), (1, "rule"), (2, "severity"), (3, "path"), (5, "message")] {
            assert_eq!(row.get::<_, String>(n), i[key].as_str().unwrap(), "{key}");
        }
        assert_eq!(row.get::<_, i64>(4), i["line"].as_i64().unwrap());
        assert_eq!(row.get::<_, i64>(6), i["debt_minutes"].as_i64().unwrap());
        assert_eq!(row.get::<_, String>(7), i["introduced_in"].as_str().unwrap());
        assert_eq!(row.get::<_, String>(8), i["introduced_at"].as_str().unwrap());
        assert_eq!(row.get::<_, String>(9), i["introduced_by"].as_str().unwrap());
        assert_eq!(row.get::<_, Option<String>>(10).as_deref(), i["fixed_in"].as_str());
        assert_eq!(row.get::<_, Vec<String>>(11), strings(&i["tickets"]));
    }
}

/// Every row's transaction id: unchanged when a sync rewrote nothing.
fn row_versions(client: &mut postgres::Client) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "debtctl_repositories",
        "debtctl_commits",
        "debtctl_commit_rules",
        "debtctl_commit_severities",
        "debtctl_items",
    ] {
        for r in client
            .query(&format!("SELECT {table}::text || ' ' || xmin::text FROM {table} ORDER BY 1"), &[])
            .unwrap()
        {
            out.push(r.get(0));
        }
    }
    out
}

#[test]
fn postgres_sync_matches_the_ledger_and_a_second_run_changes_nothing() {
    let db = TestDb::new();
    let dir = history();
    let d = dir.path();
    let ledger = ledger(d);
    let out = ok(run_in(d, &["export", "--to", &db.url, "--repo-name", "acme/shop"]));
    assert!(stderr(&out).contains("schema created"), "{}", stderr(&out));
    let mut client = db.client();
    assert_matches_ledger(&mut client, "acme/shop", &ledger);
    let before = row_versions(&mut client);

    // DEBTCTL_PG_URL stands in for --to.
    let out = ok(bin()
        .current_dir(d)
        .env("DEBTCTL_PG_URL", &db.url)
        .args(["export", "--repo-name", "acme/shop"])
        .output()
        .unwrap());
    assert!(stderr(&out).contains("up to date"), "{}", stderr(&out));
    assert_eq!(row_versions(&mut client), before, "the second sync rewrote rows");

    // A second repository shares the database; the first is untouched.
    ok(run_in(d, &["export", "--to", &db.url, "--repo-name", "acme/other", "--quiet"]));
    assert_matches_ledger(&mut client, "acme/other", &ledger);
    assert_matches_ledger(&mut client, "acme/shop", &ledger);
    let repos: Vec<String> = client
        .query("SELECT repository FROM debtctl_repositories ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(repos, ["acme/other", "acme/shop"]);

    // Without --repo-name, the name is the origin remote's, credentials dropped.
    git(
        d,
        &["remote", "add", "origin", "https://ci:secret@git.example.com/acme/shop.git"],
        "2026-11-06T00:00:00Z",
    );
    ok(run_in(d, &["export", "--to", &db.url, "--quiet"]));
    assert_matches_ledger(&mut client, "git.example.com/acme/shop", &ledger);
}

#[test]
fn a_failed_sync_writes_nothing() {
    let db = TestDb::new();
    let dir = history();
    let d = dir.path();
    ok(run_in(d, &["export", "--to", &db.url, "--repo-name", "r", "--quiet"]));
    let mut client = db.client();
    let before = row_versions(&mut client);
    // A new commit adds a commit row (written first) and a go/ignored-error item that a
    // constraint now refuses (written later): the whole sync must roll back.
    client
        .batch_execute(
            "ALTER TABLE debtctl_items ADD CONSTRAINT no_new_ignored_errors
             CHECK (rule <> 'go/ignored-error' OR path <> 'pkg/c.go') NOT VALID",
        )
        .unwrap();
    commit(
        d,
        &[("pkg/c.go", "package pkg\n\nimport \"os\"\n\nfunc H() {\n\tos.Remove(\"y\")\n}\n")],
        "Bob Roe",
        "More",
        "2026-11-06T10:00:00Z",
    );
    ok(run_in(d, &["record", "--quiet"]));
    let out = run_in(d, &["export", "--to", &db.url, "--repo-name", "r"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no_new_ignored_errors") && err.contains("nothing was written"), "{err}");
    assert_eq!(row_versions(&mut client), before);

    // A database from a newer debtctl is refused, never altered.
    client.batch_execute("ALTER TABLE debtctl_items DROP CONSTRAINT no_new_ignored_errors").unwrap();
    client.batch_execute("UPDATE debtctl_meta SET value = '99' WHERE key = 'schema_version'").unwrap();
    let out = run_in(d, &["export", "--to", &db.url, "--repo-name", "r"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("schema 99"), "{}", stderr(&out));
    assert_eq!(row_versions(&mut client), before);
}

#[test]
fn an_unreachable_server_is_one_line_and_exit_2() {
    let dir = history();
    let d = dir.path();
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://debt:hunter2@127.0.0.1:{port}/debt");
    let out = run_in(d, &["export", "--to", &url]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot connect to PostgreSQL at debt@127.0.0.1:"), "{err}");
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
    let out = run_in(d, &["export", "--to", "postgres://x@host:notaport/db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid PostgreSQL URL"), "{}", stderr(&out));
}

/// Every query of the Grafana dashboard in docs/grafana runs against a synced database and
/// finds rows, with Grafana's macros replaced as Grafana would.
#[test]
fn the_grafana_dashboard_reads_the_synced_tables() {
    let db = TestDb::new();
    let dir = history();
    ok(run_in(dir.path(), &["export", "--to", &db.url, "--repo-name", "acme/o'shop", "--quiet"]));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/grafana/debtctl.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queries: Vec<String> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == "query")
        .map(|v| v["query"].as_str().unwrap().to_string())
        .collect();
    for panel in dashboard["panels"].as_array().unwrap() {
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{}", panel["title"]);
        for t in panel["targets"].as_array().unwrap() {
            queries.push(t["rawSql"].as_str().unwrap().to_string());
        }
    }
    assert!(queries.len() >= 10, "{queries:?}");
    let time_filter = regex::Regex::new(r"\$__timeFilter\(([^)]+)\)").unwrap();
    let mut client = db.client();
    for sql in queries {
        // `sqlstring` quotes and doubles single quotes, as Grafana does.
        let sql = sql.replace("${repository:sqlstring}", "'acme/o''shop'");
        let sql =
            time_filter.replace_all(&sql, "$1 BETWEEN '2000-01-01T00:00:00Z' AND '2100-01-01T00:00:00Z'");
        assert!(!sql.contains('$'), "a macro left in {sql}");
        let rows = client.query(sql.as_ref(), &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert!(!rows.is_empty(), "no rows: {sql}");
    }
}

// The time axis, seen as a reader sees it.

/// Decoded RGB pixels of a PNG.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

fn read_png(path: &Path) -> Picture {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("a screenshot"));
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.line_size / info.width as usize;
    assert!(step >= 3 && info.bit_depth == png::BitDepth::Eight, "{info:?}");
    let (width, height) = (info.width as usize, info.height as usize);
    let rgb = (0..width * height)
        .map(|n| {
            let (y, x) = (n / width, n % width);
            let p = &buf[y * info.line_size + x * step..];
            [p[0], p[1], p[2]]
        })
        .collect();
    Picture { width, height, rgb }
}

/// Regression (issue 16): "Debt over time" spaced commits by index, so a year and six years
/// took the same width. A repository with commits on 2012-01-01, 2013-01-01 and 2024-01-01,
/// debt peaking at the middle one, is opened in Chromium; in the screenshot, the total line's
/// peak must sit a twelfth of the way from its first to its last point, not half way.
#[test]
fn the_debt_chart_spaces_commits_by_date_in_chromium() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"], "2012-01-01T00:00:00Z");
    let todo = "# TODO: one\n";
    let defaults: String = (0..6).map(|n| format!("def f{n}(x=[]):\n    return x\n\n\n")).collect();
    commit(d, &[("a.py", todo)], "Jane Doe", "Start", "2012-01-01T00:00:00Z");
    commit(d, &[("b.py", &defaults)], "Jane Doe", "Shared defaults", "2013-01-01T00:00:00Z");
    std::fs::remove_file(d.join("b.py")).unwrap();
    commit(d, &[], "Jane Doe", "Drop them", "2024-01-01T00:00:00Z");
    for rev in ["HEAD~2", "HEAD~1", "HEAD"] {
        ok(run_in(d, &["record", "--quiet", "--rev", rev]));
    }
    let debt: Vec<u64> = ledger(d)["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["debt_minutes"].as_u64().unwrap())
        .collect();
    assert_eq!(debt, [30, 90, 30]);
    let (page, _) = export_html(d);
    let shot = artifacts().join("dashboard-time-axis.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(&page, &[&format!("--screenshot={}", shot.display()), "--window-size=1280,1100"]);
    assert!(out.status.success(), "chromium: {}", stderr(&out));
    let pic = read_png(&shot);

    // The total line's colour (charts::TOTAL_COLOUR): the core of a 3-pixel line has it
    // exactly, where anti-aliased text never does.
    let total = |p: [u8; 3]| {
        let want = [0x33, 0x3a, 0x4d];
        p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 3)
    };
    let rows_with = |y: usize| (0..pic.width).filter(|x| total(pic.rgb[y * pic.width + x])).count();
    // The longest run of the colour along a row: the legend's swatch is a bar 18 pixels
    // wide, where text blended into the header's background gives a pixel here and there.
    let run = |y: usize| {
        let (mut best, mut now) = (0, 0);
        for x in 0..pic.width {
            now = if total(pic.rgb[y * pic.width + x]) { now + 1 } else { 0 };
            best = best.max(now);
        }
        best
    };
    // The legend's swatch comes first (a short bar of a few rows); the chart starts below it.
    let legend = (0..pic.height).find(|y| run(*y) >= 14).expect("the total line's legend");
    let chart_top = (legend..pic.height).find(|y| rows_with(*y) == 0).unwrap() + 4;
    let chart_bottom = (chart_top + 420).min(pic.height);
    let mut points: Vec<(usize, usize)> = Vec::new();
    for y in chart_top..chart_bottom {
        for x in 0..pic.width {
            if total(pic.rgb[y * pic.width + x]) {
                points.push((x, y));
            }
        }
    }
    assert!(points.len() > 200, "the total line is drawn: {} pixels", points.len());
    let left = points.iter().map(|p| p.0).min().unwrap() as f64;
    let right = points.iter().map(|p| p.0).max().unwrap() as f64;
    let top = points.iter().map(|p| p.1).min().unwrap();
    let peak: Vec<f64> = points.iter().filter(|p| p.1 <= top + 1).map(|p| p.0 as f64).collect();
    let peak = peak.iter().sum::<f64>() / peak.len() as f64;
    let share = (peak - left) / (right - left);
    // 366 of 4383 days is 0.084; by index it would be 0.5.
    assert!(
        (0.05..0.12).contains(&share),
        "the 2013 commit sits at {share:.3} of the line (left {left}, peak {peak}, right {right}); see {}",
        shot.display()
    );
}

/// Issue 16: `ticket-patterns` decide the tickets of `debt/todo` findings (and the scan
/// cache keys on them), the tickets the ledger reads from commit messages, and, with
/// `ticket-url`'s named placeholders, the dashboard's links: GitHub's `#123` here.
#[test]
fn ticket_patterns_decide_findings_ledger_and_links() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"], "2026-11-01T09:00:00Z");
    commit(
        d,
        &[("a.py", "# TODO(#7): retry, see PAY-3\nx = 1\n")],
        "Jane Doe",
        "Retry later (#12, PAY-4)",
        "2026-11-02T10:00:00Z",
    );
    let scan_tickets = || -> Vec<Value> {
        let out = run_in(d, &["scan", "--format", "json", "--select", "debt/todo"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        v["findings"].as_array().unwrap().iter().map(|f| f["ticket"].clone()).collect()
    };
    // Without the setting, Jira-style keys; the second scan is served by the cache.
    assert_eq!(scan_tickets(), ["PAY-3"]);
    assert_eq!(scan_tickets(), ["PAY-3"]);
    write(
        d,
        "debtctl.toml",
        "ticket-patterns = ['#(?P<number>[0-9]+)\\b']\nticket-url = \"https://github.com/o/r/issues/{number}\"\n",
    );
    assert_eq!(scan_tickets(), ["#7"], "a changed ticket-patterns is a changed cache key");

    ok(run_in(d, &["record", "--quiet"]));
    let v = ledger(d);
    assert_eq!(v["commits"][0]["tickets"], serde_json::json!(["#12"]));
    assert_eq!(v["items"][0]["tickets"], serde_json::json!(["#12", "#7"]));
    let out = ok(run_in(d, &["export", "--format", "html", "--repo-name", "o/r"]));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains(r#"<a class="ticket" href="https://github.com/o/r/issues/7">#7</a>"#), "{html}");
    assert!(html.contains(r#"<a class="ticket" href="https://github.com/o/r/issues/12">#12</a>"#));

    // A placeholder no pattern defines, and a pattern that does not compile, are config
    // errors: one line, exit 2.
    write(d, "debtctl.toml", "ticket-url = \"https://github.com/o/r/issues/{number}\"\n");
    let out = run_in(d, &["export", "--format", "html"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no ticket pattern has a group named `number`"), "{}", stderr(&out));
    write(d, "debtctl.toml", "ticket-patterns = ['#(']\n");
    for args in [&["scan"][..], &["export", "--format", "html"], &["record", "--quiet"]] {
        let out = run_in(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("ticket pattern `#(` is not a regular expression"), "{}", stderr(&out));
    }
}

/// Regression (issue 16): a clone of a local path was titled by the whole path
/// (`/work/corpora/requests`); it is the directory's name.
#[test]
fn a_local_origin_names_the_page_by_its_directory() {
    let dir = history();
    let d = dir.path();
    git(d, &["remote", "add", "origin", "/srv/git/shop.git"], "2026-11-06T00:00:00Z");
    let out = ok(run_in(d, &["export", "--format", "html"]));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<title>Technical debt · shop</title>"), "{}", &html[..400]);
}
