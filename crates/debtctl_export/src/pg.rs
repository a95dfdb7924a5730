//! The PostgreSQL sync: the ledger's commits and items copied into tables that many
//! repositories share, keyed by repository name, for the Grafana dashboard.
//!
//! One sync is one transaction: the schema is created or migrated, every table is upserted
//! and rows the ledger no longer has are deleted, then it commits; on any error nothing is
//! written. An upsert only rewrites a row whose values changed, so a second sync of the
//! same ledger changes nothing. Concurrent syncs queue on an advisory lock.

use crate::model::LedgerExport;
use postgres::{Client, Config, NoTls, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The schema version this debtctl writes; `debtctl_meta` holds the database's.
pub const SCHEMA_VERSION: i64 = 1;

/// Migrations, in order: `MIGRATIONS[n]` takes the schema from version n to n + 1.
const MIGRATIONS: [&str; 1] = [r#"
CREATE TABLE debtctl_repositories (
    repository  text PRIMARY KEY,
    head        text,
    commits     bigint NOT NULL,
    open_items  bigint NOT NULL,
    debt_minutes bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE debtctl_commits (
    repository   text NOT NULL REFERENCES debtctl_repositories ON DELETE CASCADE,
    sha          text NOT NULL,
    position     integer NOT NULL,
    parents      text[] NOT NULL,
    time         timestamptz NOT NULL,
    author       text NOT NULL,
    summary      text NOT NULL,
    tickets      text[] NOT NULL,
    findings     bigint NOT NULL,
    debt_minutes bigint NOT NULL,
    introduced   bigint NOT NULL,
    fixed        bigint NOT NULL,
    PRIMARY KEY (repository, sha)
);
CREATE INDEX debtctl_commits_time ON debtctl_commits (repository, time);
CREATE TABLE debtctl_commit_rules (
    repository text NOT NULL,
    sha        text NOT NULL,
    rule       text NOT NULL,
    findings   bigint NOT NULL,
    PRIMARY KEY (repository, sha, rule),
    FOREIGN KEY (repository, sha) REFERENCES debtctl_commits ON DELETE CASCADE
);
CREATE TABLE debtctl_commit_severities (
    repository   text NOT NULL,
    sha          text NOT NULL,
    severity     text NOT NULL,
    debt_minutes bigint NOT NULL,
    PRIMARY KEY (repository, sha, severity),
    FOREIGN KEY (repository, sha) REFERENCES debtctl_commits ON DELETE CASCADE
);
CREATE TABLE debtctl_items (
    repository    text NOT NULL REFERENCES debtctl_repositories ON DELETE CASCADE,
    fingerprint   text NOT NULL,
    rule          text NOT NULL,
    severity      text NOT NULL,
    path          text NOT NULL,
    line          bigint NOT NULL,
    message       text NOT NULL,
    debt_minutes  bigint NOT NULL,
    introduced_in text NOT NULL,
    introduced_at timestamptz NOT NULL,
    introduced_by text NOT NULL,
    fixed_in      text,
    tickets       text[] NOT NULL,
    PRIMARY KEY (repository, fingerprint)
);
CREATE INDEX debtctl_items_open ON debtctl_items (repository) WHERE fixed_in IS NULL;
"#];

/// Why a sync failed; each prints as one line, and none leaves a partial sync behind.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("invalid PostgreSQL URL: {0}")]
    Url(String),
    #[error("cannot connect to PostgreSQL at {target}: {message}")]
    Connect { target: String, message: String },
    #[error(
        "the PostgreSQL database has debtctl schema {found}, newer than this debtctl's {supported}; upgrade debtctl (nothing was written)"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("PostgreSQL: {what}: {message} (nothing was written)")]
    Sql { what: &'static str, message: String },
}

/// What a sync changed, per kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Whether this sync created or migrated the schema.
    pub migrated: bool,
}

impl SyncReport {
    pub fn changed(&self) -> bool {
        self.inserted + self.updated + self.deleted > 0 || self.migrated
    }
}

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> PgError {
    move |e| PgError::Sql { what, message: one_line(&e) }
}

/// The error and its source on one line: tokio-postgres keeps the server's or the
/// socket's reason in the source.
fn one_line(e: &postgres::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s = format!("{s}: {c}");
        }
        source = cause.source();
    }
    s.replace('\n', " ")
}

/// Where a URL points, without its password: `user@host:port/dbname`.
pub fn describe(config: &Config) -> String {
    use postgres::config::Host;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    let host = if hosts.is_empty() { "localhost".to_string() } else { hosts.join(",") };
    let port = if ports.is_empty() { "5432".to_string() } else { ports.join(",") };
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("{user}{host}:{port}/{db}")
}

/// Parses a `postgres://` URL (or key=value string); the error never repeats the password.
pub fn parse_url(url: &str) -> Result<Config, PgError> {
    let mut config = Config::from_str(url).map_err(|e| PgError::Url(e.to_string()))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.application_name("debtctl");
    Ok(config)
}

/// Connects; a refused or unreachable server is one [`PgError::Connect`].
pub fn connect(url: &str) -> Result<Client, PgError> {
    let config = parse_url(url)?;
    config.connect(NoTls).map_err(|e| PgError::Connect { target: describe(&config), message: one_line(&e) })
}

/// Syncs `doc` as repository `repository` in one transaction.
pub fn sync(client: &mut Client, repository: &str, doc: &LedgerExport) -> Result<SyncReport, PgError> {
    let mut tx = client.transaction().map_err(sql("begin"))?;
    // One sync or migration at a time, whatever the repository.
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('debtctl sync'))", &[]).map_err(sql("lock"))?;
    let mut report = SyncReport { migrated: migrate(&mut tx)?, ..SyncReport::default() };
    upsert_all(&mut tx, repository, doc, &mut report)?;
    tx.commit().map_err(sql("commit"))?;
    Ok(report)
}

/// Creates or migrates the schema; returns whether it did anything.
fn migrate(tx: &mut Transaction<'_>) -> Result<bool, PgError> {
    tx.batch_execute("CREATE TABLE IF NOT EXISTS debtctl_meta (key text PRIMARY KEY, value text NOT NULL)")
        .map_err(sql("create debtctl_meta"))?;
    let found: i64 = match tx
        .query_opt("SELECT value FROM debtctl_meta WHERE key = 'schema_version'", &[])
        .map_err(sql("read the schema version"))?
    {
        Some(row) => {
            let v: String = row.get(0);
            v.parse().map_err(|_| PgError::Sql {
                what: "read the schema version",
                message: format!("debtctl_meta.schema_version is `{v}`, not a number"),
            })?
        }
        None => 0,
    };
    if found > SCHEMA_VERSION {
        return Err(PgError::NewerSchema { found, supported: SCHEMA_VERSION });
    }
    for step in &MIGRATIONS[found as usize..] {
        tx.batch_execute(step).map_err(sql("migrate the schema"))?;
    }
    if found < SCHEMA_VERSION {
        tx.execute(
            "INSERT INTO debtctl_meta (key, value) VALUES ('schema_version', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&SCHEMA_VERSION.to_string()],
        )
        .map_err(sql("write the schema version"))?;
    }
    Ok(found < SCHEMA_VERSION)
}

/// Counts rows an upsert `RETURNING (xmax = 0)` returned: inserted (true) or updated.
fn count(rows: &[postgres::Row], report: &mut SyncReport) {
    for r in rows {
        if r.get::<_, bool>(0) {
            report.inserted += 1;
        } else {
            report.updated += 1;
        }
    }
}

fn i64s<T: Copy + TryInto<i64>>(v: impl Iterator<Item = T>) -> Vec<i64> {
    v.map(|x| x.try_into().unwrap_or(i64::MAX)).collect()
}

/// Lists travel as one string per row, joined by the unit separator, because `unnest`
/// flattens arrays of arrays; `string_to_array('', …)` is `{}`.
const SEP: &str = "\u{1f}";

fn upsert_all(
    tx: &mut Transaction<'_>,
    repository: &str,
    doc: &LedgerExport,
    report: &mut SyncReport,
) -> Result<(), PgError> {
    let open: Vec<_> = doc.open_items().collect();
    let rows = tx
        .query(
            "INSERT INTO debtctl_repositories AS t (repository, head, commits, open_items, debt_minutes)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (repository) DO UPDATE SET head = EXCLUDED.head, commits = EXCLUDED.commits,
                 open_items = EXCLUDED.open_items, debt_minutes = EXCLUDED.debt_minutes, updated_at = now()
             WHERE (t.head, t.commits, t.open_items, t.debt_minutes)
                 IS DISTINCT FROM (EXCLUDED.head, EXCLUDED.commits, EXCLUDED.open_items, EXCLUDED.debt_minutes)
             RETURNING (xmax = 0)",
            &[
                &repository,
                &doc.head,
                &(doc.commits.len() as i64),
                &(open.len() as i64),
                &(open.iter().map(|i| i.debt_minutes).sum::<u64>() as i64),
            ],
        )
        .map_err(sql("upsert debtctl_repositories"))?;
    count(&rows, report);

    // Commits.
    let c = &doc.commits;
    let shas: Vec<&str> = c.iter().map(|c| c.sha.as_str()).collect();
    let positions: Vec<i32> = (0..c.len()).map(|n| i32::try_from(n).unwrap_or(i32::MAX)).collect();
    let parents: Vec<String> = c.iter().map(|c| c.parents.join(SEP)).collect();
    let times: Vec<&str> = c.iter().map(|c| c.time.as_str()).collect();
    let authors: Vec<&str> = c.iter().map(|c| c.author.as_str()).collect();
    let summaries: Vec<&str> = c.iter().map(|c| c.summary.as_str()).collect();
    let tickets: Vec<String> = c.iter().map(|c| c.tickets.join(SEP)).collect();
    let findings = i64s(c.iter().map(|c| c.findings));
    let debt = i64s(c.iter().map(|c| c.debt_minutes));
    let introduced = i64s(c.iter().map(|c| c.introduced));
    let fixed = i64s(c.iter().map(|c| c.fixed));
    let rows = tx
        .query(
            "INSERT INTO debtctl_commits AS t (repository, sha, position, parents, time, author, summary, tickets,
                 findings, debt_minutes, introduced, fixed)
             SELECT $1, u.sha, u.position, string_to_array(u.parents, chr(31)), u.time::timestamptz, u.author,
                 u.summary, string_to_array(u.tickets, chr(31)), u.findings, u.debt, u.introduced, u.fixed
             FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                 $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
                 AS u(sha, position, parents, time, author, summary, tickets, findings, debt, introduced, fixed)
             ON CONFLICT (repository, sha) DO UPDATE SET position = EXCLUDED.position, parents = EXCLUDED.parents,
                 time = EXCLUDED.time, author = EXCLUDED.author, summary = EXCLUDED.summary,
                 tickets = EXCLUDED.tickets, findings = EXCLUDED.findings, debt_minutes = EXCLUDED.debt_minutes,
                 introduced = EXCLUDED.introduced, fixed = EXCLUDED.fixed
             WHERE (t.position, t.parents, t.time, t.author, t.summary, t.tickets, t.findings, t.debt_minutes,
                    t.introduced, t.fixed)
                 IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.parents, EXCLUDED.time, EXCLUDED.author,
                    EXCLUDED.summary, EXCLUDED.tickets, EXCLUDED.findings, EXCLUDED.debt_minutes,
                    EXCLUDED.introduced, EXCLUDED.fixed)
             RETURNING (xmax = 0)",
            &[
                &repository,
                &shas,
                &positions,
                &parents,
                &times,
                &authors,
                &summaries,
                &tickets,
                &findings,
                &debt,
                &introduced,
                &fixed,
            ],
        )
        .map_err(sql("upsert debtctl_commits"))?;
    count(&rows, report);

    // Findings per rule and debt per severity, one row per (commit, key).
    let (mut r_sha, mut r_rule, mut r_n) = (Vec::new(), Vec::new(), Vec::new());
    for c in &doc.commits {
        for (rule, n) in &c.by_rule {
            r_sha.push(c.sha.as_str());
            r_rule.push(rule.as_str());
            r_n.push(i64::try_from(*n).unwrap_or(i64::MAX));
        }
    }
    upsert_keyed(tx, report, "debtctl_commit_rules", "rule", "findings", repository, &r_sha, &r_rule, &r_n)?;
    let (mut s_sha, mut s_sev, mut s_debt) = (Vec::new(), Vec::new(), Vec::new());
    for (c, m) in doc.commits.iter().zip(doc.debt_by_severity()) {
        for (sev, d) in m {
            s_sha.push(c.sha.as_str());
            s_sev.push(sev);
            s_debt.push(i64::try_from(d).unwrap_or(i64::MAX));
        }
    }
    let s_sev: Vec<&str> = s_sev.iter().map(String::as_str).collect();
    upsert_keyed(
        tx,
        report,
        "debtctl_commit_severities",
        "severity",
        "debt_minutes",
        repository,
        &s_sha,
        &s_sev,
        &s_debt,
    )?;

    // Items.
    let it = &doc.items;
    let fps: Vec<&str> = it.iter().map(|i| i.fingerprint.as_str()).collect();
    let rules: Vec<&str> = it.iter().map(|i| i.rule.as_str()).collect();
    let sevs: Vec<&str> = it.iter().map(|i| i.severity.as_str()).collect();
    let paths: Vec<&str> = it.iter().map(|i| i.path.as_str()).collect();
    let lines = i64s(it.iter().map(|i| i.line));
    let messages: Vec<&str> = it.iter().map(|i| i.message.as_str()).collect();
    let debts = i64s(it.iter().map(|i| i.debt_minutes));
    let intro_in: Vec<&str> = it.iter().map(|i| i.introduced_in.as_str()).collect();
    let intro_at: Vec<&str> = it.iter().map(|i| i.introduced_at.as_str()).collect();
    let intro_by: Vec<&str> = it.iter().map(|i| i.introduced_by.as_str()).collect();
    let fixed_in: Vec<Option<&str>> = it.iter().map(|i| i.fixed_in.as_deref()).collect();
    let tickets: Vec<String> = it.iter().map(|i| i.tickets.join(SEP)).collect();
    let rows = tx
        .query(
            "INSERT INTO debtctl_items AS t (repository, fingerprint, rule, severity, path, line, message,
                 debt_minutes, introduced_in, introduced_at, introduced_by, fixed_in, tickets)
             SELECT $1, u.fp, u.rule, u.sev, u.path, u.line, u.message, u.debt, u.intro_in,
                 u.intro_at::timestamptz, u.intro_by, u.fixed_in, string_to_array(u.tickets, chr(31))
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[],
                 $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                 AS u(fp, rule, sev, path, line, message, debt, intro_in, intro_at, intro_by, fixed_in, tickets)
             ON CONFLICT (repository, fingerprint) DO UPDATE SET rule = EXCLUDED.rule,
                 severity = EXCLUDED.severity, path = EXCLUDED.path, line = EXCLUDED.line,
                 message = EXCLUDED.message, debt_minutes = EXCLUDED.debt_minutes,
                 introduced_in = EXCLUDED.introduced_in, introduced_at = EXCLUDED.introduced_at,
                 introduced_by = EXCLUDED.introduced_by, fixed_in = EXCLUDED.fixed_in, tickets = EXCLUDED.tickets
             WHERE (t.rule, t.severity, t.path, t.line, t.message, t.debt_minutes, t.introduced_in,
                    t.introduced_at, t.introduced_by, t.fixed_in, t.tickets)
                 IS DISTINCT FROM (EXCLUDED.rule, EXCLUDED.severity, EXCLUDED.path, EXCLUDED.line,
                    EXCLUDED.message, EXCLUDED.debt_minutes, EXCLUDED.introduced_in, EXCLUDED.introduced_at,
                    EXCLUDED.introduced_by, EXCLUDED.fixed_in, EXCLUDED.tickets)
             RETURNING (xmax = 0)",
            &[
                &repository,
                &fps,
                &rules,
                &sevs,
                &paths,
                &lines,
                &messages,
                &debts,
                &intro_in,
                &intro_at,
                &intro_by,
                &fixed_in,
                &tickets,
            ],
        )
        .map_err(sql("upsert debtctl_items"))?;
    count(&rows, report);

    // Rows the ledger no longer has (a rebuilt ledger, a commit no longer recorded).
    report.deleted += tx
        .execute(
            "DELETE FROM debtctl_items WHERE repository = $1 AND NOT (fingerprint = ANY($2::text[]))",
            &[&repository, &fps],
        )
        .map_err(sql("delete stale items"))?;
    report.deleted += tx
        .execute(
            "DELETE FROM debtctl_commits WHERE repository = $1 AND NOT (sha = ANY($2::text[]))",
            &[&repository, &shas],
        )
        .map_err(sql("delete stale commits"))?;
    Ok(())
}

/// Upserts `(repository, sha, key) -> value` rows of a per-commit table and deletes the
/// repository's rows that are not among them.
#[allow(clippy::too_many_arguments)]
fn upsert_keyed(
    tx: &mut Transaction<'_>,
    report: &mut SyncReport,
    table: &'static str,
    key: &'static str,
    value: &'static str,
    repository: &str,
    shas: &[&str],
    keys: &[&str],
    values: &[i64],
) -> Result<(), PgError> {
    let upsert = format!(
        "INSERT INTO {table} AS t (repository, sha, {key}, {value})
         SELECT $1, u.sha, u.k, u.v FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(sha, k, v)
         ON CONFLICT (repository, sha, {key}) DO UPDATE SET {value} = EXCLUDED.{value}
         WHERE t.{value} IS DISTINCT FROM EXCLUDED.{value}
         RETURNING (xmax = 0)"
    );
    let rows =
        tx.query(&upsert, &[&repository, &shas, &keys, &values]).map_err(sql("upsert per-commit rows"))?;
    count(&rows, report);
    let delete = format!(
        "DELETE FROM {table} t WHERE t.repository = $1 AND NOT EXISTS (
             SELECT 1 FROM unnest($2::text[], $3::text[]) AS u(sha, k) WHERE u.sha = t.sha AND u.k = t.{key})"
    );
    report.deleted +=
        tx.execute(&delete, &[&repository, &shas, &keys]).map_err(sql("delete stale per-commit rows"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_never_shows_the_password() {
        let c = parse_url("postgres://grafana:s3cret@db.example:6543/debt").unwrap();
        let d = describe(&c);
        assert_eq!(d, "grafana@db.example:6543/debt");
        assert!(!d.contains("s3cret"));
    }

    #[test]
    fn a_bad_url_is_an_error_not_a_panic() {
        assert!(matches!(parse_url("postgres://a:b@host:notaport/x"), Err(PgError::Url(_))));
    }
}
