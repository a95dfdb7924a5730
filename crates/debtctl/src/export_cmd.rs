//! `debtctl export`: the ledger as JSON (the ledger spec's document), an HTML dashboard,
//! CSV tables, OpenMetrics gauges, or a sync into PostgreSQL (`--to` / DEBTCTL_PG_URL).
//! Files are written atomically: a reader (a browser, a textfile collector) never sees half
//! of one.

use crate::args::{ExportArgs, ExportFormat, ExportTable};
use crate::commands::{ledger_path, repository_root};
use crate::Status;
use anyhow::{anyhow, bail, Context, Result};
use debtctl_export::html::PageOptions;
use debtctl_export::{hotspots, identity, LedgerExport};
use debtctl_linter::TicketPatterns;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

pub fn run(args: ExportArgs) -> Result<Status> {
    let root = repository_root().ok();
    let db = match &args.ledger.db {
        Some(p) if !p.as_os_str().is_empty() => p.clone(),
        _ => ledger_path(None, &repository_root()?, false)?,
    };
    if !db.is_file() {
        bail!("no ledger at {} (run `debtctl record` first)", db.display());
    }
    let target = match (&args.to, args.format) {
        (Some(url), _) => Some(url.clone()),
        (None, None) => match std::env::var("DEBTCTL_PG_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => bail!(
                "give --format (json, html, csv, openmetrics) or --to postgres://… (or set DEBTCTL_PG_URL)"
            ),
        },
        (None, Some(_)) => None,
    };
    let ledger = debtctl_ledger::Ledger::open(&db)?;
    let value = ledger.export_json()?;

    if let Some(url) = target {
        let doc = LedgerExport::from_value(value)?;
        let name = repo_name(&args, root.as_deref())?;
        let mut client = debtctl_export::pg::connect(&url)?;
        let report = debtctl_export::pg::sync(&mut client, &name, &doc)?;
        if !args.ledger.quiet {
            let where_ = debtctl_export::pg::describe(&debtctl_export::pg::parse_url(&url)?);
            let mut err = std::io::stderr().lock();
            if report.changed() {
                writeln!(
                    err,
                    "Synced {name} into {where_}: {} rows inserted, {} updated, {} deleted{}",
                    report.inserted,
                    report.updated,
                    report.deleted,
                    if report.migrated { " (schema created or migrated)" } else { "" }
                )?;
            } else {
                writeln!(err, "{name} in {where_} is up to date")?;
            }
        }
        return Ok(Status::Clean);
    }

    let format = args.format.expect("checked above");
    if args.table.is_some() && format != ExportFormat::Csv {
        bail!("--table applies to --format csv only");
    }
    if args.source_url.is_some() && format != ExportFormat::Html {
        bail!("--source-url applies to --format html only");
    }
    match format {
        ExportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&value)?;
            text.push('\n');
            emit(args.out.as_deref(), text.as_bytes())?;
        }
        ExportFormat::Html => {
            let doc = LedgerExport::from_value(value)?;
            let page = html_page(&args, root.as_deref(), &doc)?;
            emit(args.out.as_deref(), page.as_bytes())?;
        }
        ExportFormat::Openmetrics => {
            let doc = LedgerExport::from_value(value)?;
            let name = repo_name(&args, root.as_deref())?;
            emit(args.out.as_deref(), debtctl_export::openmetrics::render(&doc, &name).as_bytes())?;
        }
        ExportFormat::Csv => {
            let doc = LedgerExport::from_value(value)?;
            let table = |t: ExportTable| -> Result<Vec<u8>> {
                let mut buf = Vec::new();
                match t {
                    ExportTable::Items => debtctl_export::tables::write_items(&doc, &mut buf)?,
                    ExportTable::Commits => debtctl_export::tables::write_commits(&doc, &mut buf)?,
                }
                Ok(buf)
            };
            match (args.table, args.out.as_deref()) {
                (Some(t), out) => emit(out, &table(t)?)?,
                (None, Some(dir)) => {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                    emit(Some(&dir.join("items.csv")), &table(ExportTable::Items)?)?;
                    emit(Some(&dir.join("commits.csv")), &table(ExportTable::Commits)?)?;
                }
                (None, None) => bail!(
                    "--format csv writes two tables: give --out DIR for items.csv and commits.csv, or --table items|commits"
                ),
            }
        }
    }
    Ok(Status::Clean)
}

/// `--repo-name`, else the name the repository's origin or root directory gives it.
fn repo_name(args: &ExportArgs, root: Option<&Path>) -> Result<String> {
    match (&args.repo_name, root) {
        (Some(n), _) if !n.trim().is_empty() => Ok(n.trim().to_string()),
        (Some(_), _) => bail!("--repo-name must not be empty"),
        (None, Some(root)) => Ok(identity::repository_name(root)),
        (None, None) => bail!("cannot name the repository outside a git repository: pass --repo-name"),
    }
}

fn html_page(args: &ExportArgs, root: Option<&Path>, doc: &LedgerExport) -> Result<String> {
    let (ticket_url, tickets) = ticket_links(args.ledger.config.as_deref(), root)?;
    let repository = match (&args.repo_name, root) {
        (None, None) => "debt ledger".to_string(),
        _ => repo_name(args, root)?,
    };
    let churn = match (root, &doc.head) {
        (Some(root), Some(head)) => match hotspots::churn(root, head, hotspots::Window::default()) {
            Ok(c) => Some(c),
            Err(e) => {
                if !args.ledger.quiet {
                    eprintln!("warning: hotspots are ranked by debt alone: {e}");
                }
                None
            }
        },
        _ => None,
    };
    let link_prefix = match root {
        Some(root) => {
            let page_dir = match args.out.as_deref().and_then(Path::parent) {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            relative_prefix(&page_dir, root)
        }
        None => String::new(),
    };
    if let Some(url) = &args.source_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || !url.contains("{path}") {
            bail!("--source-url `{url}` must be an http(s) URL containing {{path}}");
        }
    }
    let opts = PageOptions {
        repository,
        generator: format!("debtctl {}", env!("CARGO_PKG_VERSION")),
        ticket_url,
        tickets,
        link_prefix,
        source_url: args.source_url.clone(),
        churn,
    };
    Ok(debtctl_export::html::render(doc, &opts)?)
}

/// The config's `ticket-url`, checked (an http(s) URL whose placeholders are `{key}` or
/// groups of the ticket patterns), and its `ticket-patterns`.
fn ticket_links(config: Option<&Path>, root: Option<&Path>) -> Result<(Option<String>, TicketPatterns)> {
    let path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let start = match root {
                Some(r) => r.to_path_buf(),
                None => std::env::current_dir().context("cannot read the current directory")?,
            };
            debtctl_workspace::config::find_config(&start)
        }
    };
    let Some(path) = path else { return Ok((None, TicketPatterns::default())) };
    let config = debtctl_workspace::config::load_config(&path)?;
    let tickets = match &config.ticket_patterns {
        Some(p) => TicketPatterns::new(p).map_err(|e| anyhow!("invalid config {}: {e}", path.display()))?,
        None => TicketPatterns::default(),
    };
    if let Some(url) = &config.ticket_url {
        debtctl_workspace::config::check_ticket_url(url, &tickets)
            .map_err(|e| anyhow!("invalid config {}: {e}", path.display()))?;
    }
    Ok((config.ticket_url, tickets))
}

/// The way from the directory `from` to `to`, as a URL path prefix ending in `/` (or empty
/// when they are the same directory).
fn relative_prefix(from: &Path, to: &Path) -> String {
    let abs =
        |p: &Path| std::fs::canonicalize(p).or_else(|_| std::path::absolute(p)).unwrap_or(p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(t[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() {
        String::new()
    } else {
        debtctl_export::escape::url_path(&parts.join("/")) + "/"
    }
}

/// Writes to stdout, or atomically to `path` (a temporary file beside it, then renamed).
fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
        Some(path) => {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !dir.is_dir() {
                bail!("cannot write {}: no directory {}", path.display(), dir.display());
            }
            let mut tmp = tempfile::Builder::new()
                .prefix(".debtctl-export")
                .tempfile_in(dir)
                .with_context(|| format!("cannot write {}", path.display()))?;
            tmp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
            // A temporary file is private (0600); the page or the metrics are for others
            // to read (a web server, a textfile collector): keep an existing file's mode.
            let mode = match std::fs::metadata(path) {
                Ok(m) => m.permissions(),
                Err(_) => public_permissions(),
            };
            tmp.as_file()
                .set_permissions(mode)
                .with_context(|| format!("cannot write {}", path.display()))?;
            tmp.as_file().sync_all().with_context(|| format!("cannot write {}", path.display()))?;
            tmp.persist(path)
                .map_err(|e| e.error)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn public_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn public_permissions() -> std::fs::Permissions {
    let mut p = std::fs::metadata(".").map(|m| m.permissions()).expect("the current directory");
    p.set_readonly(false);
    p
}

#[cfg(test)]
mod tests {
    use super::relative_prefix;
    use std::path::Path;

    #[test]
    fn links_climb_from_the_page_to_the_repository() {
        assert_eq!(relative_prefix(Path::new("/r/out"), Path::new("/r")), "../");
        assert_eq!(relative_prefix(Path::new("/r"), Path::new("/r")), "");
        assert_eq!(relative_prefix(Path::new("/tmp/x"), Path::new("/r/a b")), "../../r/a%20b/");
    }
}
