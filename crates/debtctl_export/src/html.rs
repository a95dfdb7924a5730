//! The dashboard: one self-contained HTML page. Its Content-Security-Policy forbids every
//! network load (`default-src 'none'`) and runs only the one inline script whose hash it
//! names, so an escaping mistake could not run injected script either. Charts are SVG drawn
//! here; the script only filters and sorts the table of open items.

use crate::charts;
use crate::escape::{html as esc, url_component, url_path};
use crate::hotspots::{self, Churn, Hotspot};
use crate::model::{Commit, Item, LedgerExport, SEVERITIES};
use crate::ExportError;
use base64::Engine;
use debtctl_linter::TicketPatterns;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const CSS: &str = include_str!("../assets/page.css");
const SCRIPT: &str = include_str!("../assets/page.js");

/// Recent commits shown with what they introduced and fixed.
const RECENT_COMMITS: usize = 25;
const TOP_FILES: usize = 12;
const TOP_DIRS: usize = 8;
const TOP_OWNERS: usize = 10;

/// What the page needs beyond the ledger.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// The repository's name, shown in the title.
    pub repository: String,
    /// `debtctl 0.1.0`, in the footer.
    pub generator: String,
    /// `https://tracker.example/browse/{key}`: ticket keys link to it (http and https only).
    /// `{key}` is the key; `{NAME}` the group NAME of the ticket pattern that matches it.
    pub ticket_url: Option<String>,
    /// The ticket patterns (`ticket-patterns`) whose named groups fill `ticket_url`.
    pub tickets: TicketPatterns,
    /// Prepended to a repository path to link a file from the page: the way from the
    /// page's directory to the repository root (`../`), or a web URL ending in `/`.
    pub link_prefix: String,
    /// A web page for a file instead of the relative link, with `{path}`, `{line}` and
    /// `{sha}` (the newest recorded commit) replaced:
    /// `https://github.com/org/repo/blob/{sha}/{path}#L{line}` (http and https only).
    pub source_url: Option<String>,
    /// Churn for the hotspots; `None` ranks them by debt alone.
    pub churn: Option<Churn>,
}

/// The `sha256-…` source of the page's inline script, for its Content-Security-Policy.
pub fn script_hash() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Minutes as `3h 20min`.
pub fn duration(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}min"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}min"),
    }
}

struct Page<'a> {
    doc: &'a LedgerExport,
    opts: &'a PageOptions,
    out: String,
}

/// Renders the page.
pub fn render(doc: &LedgerExport, opts: &PageOptions) -> Result<String, ExportError> {
    let mut page = Page { doc, opts, out: String::with_capacity(64 * 1024) };
    page.head();
    page.summary();
    page.charts()?;
    page.hotspots();
    page.commits();
    page.owners();
    page.items();
    page.tail();
    Ok(page.out)
}

/// Minutes of change as `+1h 5min`, `−30min` or `±0min`.
pub fn signed_duration(minutes: i64) -> String {
    let sign = match minutes.signum() {
        1 => "+",
        -1 => "−",
        _ => "±",
    };
    format!("{sign}{}", duration(minutes.unsigned_abs()))
}

/// The commits that changed debt, oldest first, each with its change in minutes against
/// the recorded commit before it: those that introduced or fixed an item, and those whose
/// debt moved without one (a rule's cost changed). The first recorded commit counts when
/// it has any debt.
fn changed_debt(doc: &LedgerExport) -> Vec<(&Commit, i64)> {
    let mut before = 0i64;
    let mut out = Vec::new();
    for c in &doc.commits {
        let d = c.debt_minutes as i64 - before;
        before = c.debt_minutes as i64;
        if c.introduced > 0 || c.fixed > 0 || d != 0 {
            out.push((c, d));
        }
    }
    out
}

fn short(sha: &str) -> &str {
    sha.get(..10).unwrap_or(sha)
}

fn date(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

/// The entries with most debt first, at most `TOP_OWNERS`.
fn top(m: BTreeMap<&str, (u64, u64)>) -> Vec<(&str, (u64, u64))> {
    let mut v: Vec<(&str, (u64, u64))> = m.into_iter().collect();
    v.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    v.truncate(TOP_OWNERS);
    v
}

fn sev_rank(s: &str) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(SEVERITIES.len())
}

impl Page<'_> {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn ticket(&self, key: &str) -> String {
        match self.ticket_href(key) {
            Some(href) => format!(r#"<a class="ticket" href="{}">{}</a>"#, esc(&href), esc(key)),
            None => format!(r#"<span class="ticket">{}</span>"#, esc(key)),
        }
    }

    /// The ticket URL with its placeholders filled from `key`, each value percent-encoded;
    /// none when the URL is not http(s) or names a group the key's pattern lacks (a key
    /// recorded under other patterns: `PAY-142` has no `{number}`).
    fn ticket_href(&self, key: &str) -> Option<String> {
        let t = self
            .opts
            .ticket_url
            .as_deref()
            .filter(|t| t.starts_with("https://") || t.starts_with("http://"))?;
        let fields = self.opts.tickets.fields(key).unwrap_or_default();
        let mut href = String::with_capacity(t.len() + key.len());
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            href.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}')?;
            let name = &after[..close];
            let value = if name == "key" {
                key
            } else {
                fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())?
            };
            href.push_str(&url_component(value));
            rest = &after[close + 1..];
        }
        href.push_str(rest);
        Some(href)
    }

    fn tickets(&self, keys: &[String]) -> String {
        keys.iter().map(|k| self.ticket(k)).collect()
    }

    fn file_link(&self, path: &str, line: Option<u64>) -> String {
        if let Some(t) =
            self.opts.source_url.as_deref().filter(|t| t.starts_with("https://") || t.starts_with("http://"))
        {
            let sha = self.doc.head.as_deref().unwrap_or("HEAD");
            let href = t
                .replace("{sha}", &url_component(sha))
                .replace("{path}", &url_path(path))
                .replace("{line}", &line.unwrap_or(1).to_string());
            let text = match line {
                Some(l) => format!("{}:{l}", esc(path)),
                None => esc(path),
            };
            return format!(r#"<a class="mono" href="{}">{text}</a>"#, esc(&href));
        }
        let href = format!("{}{}", self.opts.link_prefix, url_path(path));
        match line {
            Some(l) => format!(r#"<a class="mono" href="{}#L{l}">{}:{l}</a>"#, esc(&href), esc(path)),
            None => format!(r#"<a class="mono" href="{}">{}</a>"#, esc(&href), esc(path)),
        }
    }

    fn head(&mut self) {
        let title = format!("Technical debt · {}", self.opts.repository);
        let csp = format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src '{}'; img-src data:; base-uri 'none'; form-action 'none'",
            script_hash()
        );
        self.push("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        self.push(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n", esc(&csp)));
        self.push("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        self.push("<meta name=\"referrer\" content=\"no-referrer\">\n");
        self.push(&format!("<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n", esc(&title)));
        let head = match self.doc.head_commit() {
            Some(c) => format!(
                "newest recorded commit <code>{}</code> of {} · {} commits recorded",
                esc(short(&c.sha)),
                esc(date(&c.time)),
                self.doc.commits.len()
            ),
            None => "no commit recorded yet".to_string(),
        };
        self.push(&format!(
            "<header>\n<h1>Technical debt <span>· {}</span></h1>\n<p>{head}</p>\n</header>\n<main>\n",
            esc(&self.opts.repository)
        ));
    }

    fn summary(&mut self) {
        let open: Vec<&Item> = self.doc.open_items().collect();
        let debt: u64 = open.iter().map(|i| i.debt_minutes).sum();
        let mut cards = vec![
            (duration(debt), "open debt".to_string(), String::new()),
            (open.len().to_string(), "open items".to_string(), String::new()),
        ];
        if let (Some(first), Some(last)) = (self.doc.commits.first(), self.doc.commits.last()) {
            let change = last.debt_minutes as i64 - first.debt_minutes as i64;
            let (class, sign) = match change.signum() {
                1 => ("up", "+"),
                -1 => ("down", "−"),
                _ => ("", "±"),
            };
            cards.push((
                format!("{sign}{}", duration(change.unsigned_abs())),
                format!("since {}", date(&first.time)),
                class.to_string(),
            ));
            cards.push((
                format!("+{} / −{}", last.introduced, last.fixed),
                "introduced / fixed by the newest commit".to_string(),
                String::new(),
            ));
        }
        self.push("<section class=\"cards\" id=\"summary\">\n");
        for (value, label, class) in cards {
            self.push(&format!(
                "<div class=\"card\"><b class=\"{class}\">{}</b><span>{}</span></div>\n",
                esc(&value),
                esc(&label)
            ));
        }
        self.push("</section>\n");
    }

    fn charts(&mut self) -> Result<(), ExportError> {
        if self.doc.commits.is_empty() {
            return Ok(());
        }
        let debt = charts::debt_over_time(self.doc)?;
        let rules = charts::findings_per_rule(self.doc)?;
        self.chart(
            "debt-over-time",
            "Debt over time",
            "Open debt at each recorded commit, placed at the commit's date, in total and per severity.",
            &debt,
        );
        self.chart(
            "findings-per-rule",
            "Findings per rule",
            "Open findings of each rule at each recorded commit, placed at its date.",
            &rules,
        );
        Ok(())
    }

    fn chart(&mut self, id: &str, title: &str, sub: &str, chart: &charts::Chart) {
        self.push(&format!(
            "<section id=\"{id}\">\n<h2>{}</h2>\n<p class=\"sub\">{}</p>\n<ul class=\"legend\">",
            esc(title),
            esc(sub)
        ));
        for (label, colour) in &chart.legend {
            self.push(&format!("<li><i style=\"background:{}\"></i>{}</li>", esc(colour), esc(label)));
        }
        self.push(&format!(
            "</ul>\n<div class=\"chart\" role=\"img\" aria-label=\"{}\">{}</div>\n</section>\n",
            esc(title),
            chart.svg
        ));
    }

    fn hotspot_table(&self, title: &str, rows: &[Hotspot], files: bool, with_churn: bool) -> String {
        let max =
            rows.iter().map(|h| if with_churn { h.score } else { h.debt_minutes }).max().unwrap_or(0).max(1);
        let mut s = format!("<div>\n<h3>{}</h3>\n", esc(title));
        if rows.is_empty() {
            s.push_str("<p class=\"empty\">No open debt.</p>\n</div>\n");
            return s;
        }
        s.push_str("<table>\n<thead><tr><th>");
        s.push_str(if files { "file" } else { "directory" });
        s.push_str("</th><th class=\"num\">debt</th><th class=\"num\">items</th>");
        if with_churn {
            s.push_str("<th class=\"num\">commits</th><th class=\"num\" title=\"open debt in minutes × commits\">score</th>");
        }
        s.push_str("<th></th></tr></thead>\n<tbody>\n");
        for h in rows {
            let name = if files {
                self.file_link(&h.path, None)
            } else {
                format!("<span class=\"mono\">{}</span>", esc(&h.path))
            };
            let v = if with_churn { h.score } else { h.debt_minutes };
            let pct = (v * 100 / max).max(1);
            s.push_str(&format!(
                "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
                esc(&duration(h.debt_minutes)),
                h.items
            ));
            if with_churn {
                s.push_str(&format!("<td class=\"num\">{}</td><td class=\"num\">{}</td>", h.churn, h.score));
            }
            s.push_str(&format!("<td><div class=\"bar\"><i style=\"width:{pct}%\"></i></div></td></tr>\n"));
        }
        s.push_str("</tbody>\n</table>\n</div>\n");
        s
    }

    fn hotspots(&mut self) {
        let empty = Churn::default();
        let churn = self.opts.churn.as_ref();
        let (files, dirs) = hotspots::rank(self.doc, churn.unwrap_or(&empty));
        self.push("<section id=\"hotspots\">\n<h2>Hotspots</h2>\n");
        let sub = match churn.and_then(|c| c.window) {
            Some(w) => format!(
                "Open debt × churn: the commits that touched the file or directory in the {} days before the newest \
                 recorded commit ({} commits, first-parent history). Debt in code that keeps changing costs most.",
                w.days, churn.map_or(0, |c| c.commits)
            ),
            None => "Ranked by open debt: churn needs the git repository, which was not found.".to_string(),
        };
        self.push(&format!("<p class=\"sub\">{}</p>\n<div class=\"grid2\">\n", esc(&sub)));
        let with_churn = churn.is_some();
        let f = self.hotspot_table("Files", &files[..files.len().min(TOP_FILES)], true, with_churn);
        let d = self.hotspot_table("Directories", &dirs[..dirs.len().min(TOP_DIRS)], false, with_churn);
        self.push(&f);
        self.push(&d);
        self.push("</div>\n</section>\n");
    }

    fn item_line(&self, item: &Item) -> String {
        format!(
            "<span class=\"sev sev-{}\">{}</span> <code>{}</code> {} {}",
            esc(&item.severity),
            esc(&item.severity),
            esc(&item.rule),
            self.file_link(&item.path, Some(item.line)),
            esc(&item.message)
        )
    }

    fn commits(&mut self) {
        let mut introduced: HashMap<&str, Vec<&Item>> = HashMap::new();
        let mut fixed: HashMap<&str, Vec<&Item>> = HashMap::new();
        for item in &self.doc.items {
            introduced.entry(item.introduced_in.as_str()).or_default().push(item);
            if let Some(f) = &item.fixed_in {
                fixed.entry(f.as_str()).or_default().push(item);
            }
        }
        self.push("<section id=\"commits\">\n<h2>Recent commits</h2>\n");
        if self.doc.commits.is_empty() {
            self.push("<p class=\"sub\">What the newest recorded commits introduced and fixed.</p>\n");
            self.push("<p class=\"empty\">No commit recorded yet: run <code>debtctl record</code>.</p>\n</section>\n");
            return;
        }
        let changed = changed_debt(self.doc);
        let recent: Vec<&Commit> = changed.iter().rev().take(RECENT_COMMITS).map(|(c, _)| *c).collect();
        let quiet = self.doc.commits.len() - changed.len();
        let mut sub = match recent.len() {
            0 => "No recorded commit introduced or fixed debt.".to_string(),
            1 => "The recorded commit that introduced or fixed debt, and what it changed.".to_string(),
            n if n < changed.len() => format!(
                "The {n} newest of the {} recorded commits that introduced or fixed debt, and what each changed.",
                changed.len()
            ),
            n => format!("The {n} recorded commits that introduced or fixed debt, and what each changed."),
        };
        match quiet {
            0 => {}
            1 => sub.push_str(" 1 other recorded commit changed no debt."),
            q => sub.push_str(&format!(" {q} other recorded commits changed no debt.")),
        }
        self.push(&format!("<p class=\"sub\">{}</p>\n", esc(&sub)));
        if recent.is_empty() {
            self.push("</section>\n");
            return;
        }
        let delta: HashMap<&str, i64> = changed.iter().map(|(c, d)| (c.sha.as_str(), *d)).collect();
        self.push(
            "<table>\n<thead><tr><th>date</th><th>commit</th><th>author</th><th>summary</th><th>tickets</th>\
             <th class=\"num\">debt after</th><th class=\"num\">change</th><th>introduced / fixed</th></tr></thead>\n<tbody>\n",
        );
        let mut rows = String::new();
        for c in recent {
            let intro = introduced.get(c.sha.as_str()).map_or(&[][..], Vec::as_slice);
            let gone = fixed.get(c.sha.as_str()).map_or(&[][..], Vec::as_slice);
            let d = delta.get(c.sha.as_str()).copied().unwrap_or(0);
            let change = if c.introduced == 0 && c.fixed == 0 {
                // The debt changed without an item coming or going: a rule's cost did.
                "<span class=\"empty\">cost changed</span>".to_string()
            } else {
                let mut list = String::new();
                for i in intro {
                    list.push_str(&format!("<li class=\"plus-item\">+ {}</li>", self.item_line(i)));
                }
                for i in gone {
                    list.push_str(&format!("<li class=\"minus-item\">− {}</li>", self.item_line(i)));
                }
                format!(
                    "<details><summary><span class=\"plus\">+{}</span> / <span class=\"minus\">−{}</span></summary><ul>{list}</ul></details>",
                    c.introduced, c.fixed
                )
            };
            rows.push_str(&format!(
                "<tr><td class=\"mono\">{}</td><td><code title=\"{}\">{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td><td>{change}</td></tr>\n",
                esc(date(&c.time)),
                esc(&c.sha),
                esc(short(&c.sha)),
                esc(&c.author),
                esc(&c.summary),
                self.tickets(&c.tickets),
                esc(&duration(c.debt_minutes)),
                match d.signum() {
                    1 => "num up",
                    -1 => "num down",
                    _ => "num",
                },
                esc(&signed_duration(d)),
            ));
        }
        self.push(&rows);
        self.push("</tbody>\n</table>\n</section>\n");
    }

    fn owners(&mut self) {
        let mut authors: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let mut tickets: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for item in self.doc.open_items() {
            let a = authors.entry(item.introduced_by.as_str()).or_default();
            a.0 += item.debt_minutes;
            a.1 += 1;
            for t in &item.tickets {
                let e = tickets.entry(t.as_str()).or_default();
                e.0 += item.debt_minutes;
                e.1 += 1;
            }
        }
        self.push("<section id=\"owners\">\n<h2>Who and what owns it</h2>\n");
        self.push("<p class=\"sub\">Open debt by the author of the commit that introduced it, and by ticket.</p>\n<div class=\"grid2\">\n");
        for (title, rows, is_ticket) in [("Authors", top(authors), false), ("Tickets", top(tickets), true)] {
            self.push(&format!("<div>\n<h3>{title}</h3>\n"));
            if rows.is_empty() {
                self.push(if is_ticket {
                    "<p class=\"empty\">No open item names a ticket.</p>\n</div>\n"
                } else {
                    "<p class=\"empty\">No open debt.</p>\n</div>\n"
                });
                continue;
            }
            self.push(&format!(
                "<table>\n<thead><tr><th>{}</th><th class=\"num\">debt</th><th class=\"num\">items</th></tr></thead>\n<tbody>\n",
                if is_ticket { "ticket" } else { "author" }
            ));
            for (name, (debt, n)) in rows {
                let cell = if is_ticket { self.ticket(name) } else { esc(name) };
                self.push(&format!(
                    "<tr><td>{cell}</td><td class=\"num\">{}</td><td class=\"num\">{n}</td></tr>\n",
                    esc(&duration(debt))
                ));
            }
            self.push("</tbody>\n</table>\n</div>\n");
        }
        self.push("</div>\n</section>\n");
    }

    fn items(&mut self) {
        let mut open: Vec<&Item> = self.doc.open_items().collect();
        open.sort_by(|a, b| {
            sev_rank(&a.severity)
                .cmp(&sev_rank(&b.severity))
                .then(b.debt_minutes.cmp(&a.debt_minutes))
                .then(a.path.cmp(&b.path))
                .then(a.line.cmp(&b.line))
        });
        let rules: BTreeSet<&str> = open.iter().map(|i| i.rule.as_str()).collect();
        let severities: BTreeSet<&str> = open.iter().map(|i| i.severity.as_str()).collect();
        self.push("<section id=\"items\">\n<h2>Open items</h2>\n");
        self.push(
            "<p class=\"sub\">Every item open in the newest recorded commit. Click a heading to sort; the filter and the order are kept in the address, to bookmark or share.</p>\n",
        );
        self.push("<div class=\"filters\">\n<input id=\"q\" type=\"search\" placeholder=\"Filter by path, message, author, ticket…\" aria-label=\"filter\">\n");
        self.push("<select id=\"f-sev\" aria-label=\"severity\"><option value=\"\">all severities</option>");
        let mut sevs: Vec<&str> = severities.into_iter().collect();
        sevs.sort_by_key(|s| sev_rank(s));
        for s in sevs {
            self.push(&format!("<option value=\"{0}\">{0}</option>", esc(s)));
        }
        self.push(
            "</select>\n<select id=\"f-rule\" aria-label=\"rule\"><option value=\"\">all rules</option>",
        );
        for r in rules {
            self.push(&format!("<option value=\"{0}\">{0}</option>", esc(r)));
        }
        self.push(&format!("</select>\n<span id=\"count\">{} items</span>\n</div>\n", open.len()));
        self.push(
            "<div class=\"scroll\">\n<table id=\"items-table\">\n<thead><tr>\
             <th data-key=\"severity\" data-type=\"num\">severity</th><th data-key=\"rule\" data-type=\"str\">rule</th>\
             <th data-key=\"location\" data-type=\"str\">location</th><th>message</th>\
             <th class=\"num\" data-key=\"debt\" data-type=\"num\">debt</th>\
             <th data-key=\"introduced\" data-type=\"str\">introduced</th>\
             <th>tickets</th></tr></thead>\n<tbody>\n",
        );
        let mut rows = String::new();
        for i in &open {
            rows.push_str(&format!(
                "<tr data-sev=\"{sev}\" data-rule=\"{rule}\"><td data-v=\"{rank}\"><span class=\"sev sev-{sev}\">{sev}</span></td>\
                 <td data-v=\"{rule}\"><code>{rule}</code></td><td data-v=\"{pathkey}\">{loc}</td><td>{msg}</td>\
                 <td class=\"num\" data-v=\"{debt}\">{debt_text}</td><td class=\"nw\" data-v=\"{at}\">{day} · {by}</td><td>{tickets}</td></tr>\n",
                sev = esc(&i.severity),
                rule = esc(&i.rule),
                rank = sev_rank(&i.severity),
                pathkey = esc(&format!("{}:{:09}", i.path, i.line)),
                loc = self.file_link(&i.path, Some(i.line)),
                msg = esc(&i.message),
                debt = i.debt_minutes,
                debt_text = esc(&duration(i.debt_minutes)),
                at = esc(&i.introduced_at),
                day = esc(date(&i.introduced_at)),
                by = esc(&i.introduced_by),
                tickets = self.tickets(&i.tickets),
            ));
        }
        self.push(&rows);
        self.push("</tbody>\n</table>\n</div>\n");
        if open.is_empty() {
            self.push("<p class=\"empty\">No open debt.</p>\n");
        }
        self.push("</section>\n");
    }

    fn tail(&mut self) {
        self.push(&format!(
            "</main>\n<footer>Generated by {} from the debt ledger. Charts are SVG; the table's filter and sort need no network.</footer>\n",
            esc(&self.opts.generator)
        ));
        self.push(&format!("<script>{SCRIPT}</script>\n</body>\n</html>\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(duration(0), "0min");
        assert_eq!(duration(45), "45min");
        assert_eq!(duration(120), "2h");
        assert_eq!(duration(135), "2h 15min");
    }

    #[test]
    fn the_script_hash_names_the_script_as_embedded() {
        let h = script_hash();
        assert!(h.starts_with("sha256-") && h.len() == 7 + 44, "{h}");
    }
}
