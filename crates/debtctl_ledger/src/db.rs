//! The database: opening (with the schema check and migrations) and recording a commit.

use crate::error::LedgerError;
use crate::snapshot::{analyse, changes, ruleset_base, BlobCache, CacheKey, Snapshot, Source};
use debtctl_diagnostics::Finding;
use debtctl_linter::{FileFacts, PackageFacts, TicketPatterns};
use debtctl_workspace::Settings;
use git2::{Commit, Oid, Repository};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 2;

/// `PRAGMA application_id` of a debtctl ledger: "debt" in ASCII.
const APPLICATION_ID: i64 = 0x6465_6274;

/// Schema migrations: `MIGRATIONS[n]` takes a database from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE commits (
    id        INTEGER PRIMARY KEY,
    sha       TEXT NOT NULL UNIQUE,
    parents   TEXT NOT NULL,             -- JSON array of shas, first parent first
    depth     INTEGER NOT NULL,          -- first-parent ancestors: the first-parent order
    time      INTEGER NOT NULL,          -- author time, Unix seconds
    author    TEXT NOT NULL,
    summary   TEXT NOT NULL,
    message   TEXT NOT NULL,
    tickets   TEXT NOT NULL,             -- JSON array of ticket keys in the message
    ruleset   TEXT NOT NULL,             -- rule-set key the commit was analysed with
    recorded  INTEGER NOT NULL DEFAULT 0 -- 1 once its findings are in `memberships`
);
CREATE INDEX commits_order ON commits(recorded, depth, time, id);

CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    fingerprint   TEXT NOT NULL UNIQUE,
    rule          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    path          TEXT NOT NULL,         -- where it is in the newest commit having it
    line          INTEGER NOT NULL,
    message       TEXT NOT NULL,
    debt_minutes  INTEGER NOT NULL,
    introduced_in INTEGER REFERENCES commits(id),
    fixed_in      INTEGER REFERENCES commits(id),
    tickets       TEXT NOT NULL          -- JSON array: the finding's own tickets
);

CREATE TABLE memberships (
    commit_id INTEGER NOT NULL REFERENCES commits(id),
    item_id   INTEGER NOT NULL REFERENCES items(id),
    path      TEXT NOT NULL,
    line      INTEGER NOT NULL,
    PRIMARY KEY (commit_id, item_id)
) WITHOUT ROWID;
CREATE INDEX memberships_item ON memberships(item_id, commit_id);

CREATE TABLE blob_results (
    key      TEXT NOT NULL,              -- blob oid; for Go `<oid>:<package facts hash>`
    path     TEXT NOT NULL,              -- the path the findings carry
    ruleset  TEXT NOT NULL,
    findings TEXT NOT NULL,              -- JSON array of findings
    PRIMARY KEY (key, path, ruleset)
) WITHOUT ROWID;
",
    r"
-- Every fingerprint an item had: a file renamed by git keeps its items under new names.
CREATE TABLE fingerprints (
    fingerprint TEXT PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items(id)
) WITHOUT ROWID;
CREATE INDEX fingerprints_item ON fingerprints(item_id);
INSERT INTO fingerprints (fingerprint, item_id) SELECT fingerprint, id FROM items;
-- The item's fingerprint in that commit (NULL in rows written by schema 1).
ALTER TABLE memberships ADD COLUMN fingerprint TEXT;

-- The declaration signature of a Go blob (PackageFacts::signature), by debtctl version.
CREATE TABLE go_signatures (
    oid       TEXT NOT NULL,
    version   TEXT NOT NULL,
    signature INTEGER NOT NULL,
    PRIMARY KEY (oid, version)
) WITHOUT ROWID;
",
];

/// An open ledger. It is also a [`BlobCache`]: new results are buffered in memory and
/// written with the next recorded commit (or by [`Ledger::flush_cache`]); results read
/// once are kept in memory for the life of the value, as are Go package facts.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pending: RefCell<HashMap<CacheKey, Arc<Vec<Finding>>>>,
    memo: RefCell<HashMap<CacheKey, Arc<Vec<Finding>>>>,
    facts: RefCell<HashMap<u64, Arc<PackageFacts>>>,
    signatures: RefCell<HashMap<Oid, u64>>,
    pending_signatures: RefCell<Vec<(Oid, u64)>>,
    file_facts: RefCell<HashMap<Oid, Arc<FileFacts>>>,
    imports: RefCell<HashMap<Oid, Arc<Vec<String>>>>,
}

/// How long a ledger waits for another process's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Bounds on the in-memory layers (entries); past them a layer starts over.
const MEMO_LIMIT: usize = 200_000;
const FACTS_LIMIT: usize = 4_096;

/// What a cached Go signature was computed by.
const SIGNATURE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What recording a commit needs besides its findings.
#[derive(Debug)]
struct CommitInfo {
    sha: String,
    parents: Vec<String>,
    /// Author time, Unix seconds.
    time: i64,
    author: String,
    summary: String,
    message: String,
    /// The ticket keys of the message, found with the settings' ticket patterns.
    tickets: Vec<String>,
    /// First-parent ancestors the repository holds: the commit's place in first-parent
    /// order.
    depth: i64,
}

impl CommitInfo {
    fn of(commit: &Commit<'_>, depth: i64, tickets: &TicketPatterns) -> CommitInfo {
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        CommitInfo {
            sha: commit.id().to_string(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            time: commit.author().when().seconds(),
            author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
            tickets: tickets.tickets_in(&message),
            message,
            depth,
        }
    }
}

/// What `record` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome {
    pub sha: String,
    /// The commit was recorded before (by this or another process); nothing changed.
    pub already_recorded: bool,
    pub findings: usize,
    /// Files analysed, and those whose findings came from the cache.
    pub analysed: usize,
    pub cached: usize,
    /// Files not analysed because the object database lacks their blob (a partial
    /// clone); the commit is recorded without their findings.
    pub missing: Vec<String>,
    /// Files not analysed because they cannot be parsed safely, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Ledger {
    /// Opens the ledger at `path`, creating it when the file does not exist or is empty,
    /// and migrating an older schema. A file that is not a SQLite database, a database of
    /// another application, or one from a newer schema is an error and is left as it was.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let sql = |source| LedgerError::sqlite(path, source);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            pending: RefCell::default(),
            memo: RefCell::default(),
            facts: RefCell::default(),
            signatures: RefCell::default(),
            pending_signatures: RefCell::default(),
            file_facts: RefCell::default(),
            imports: RefCell::default(),
        };
        // Everything up to here only reads the file.
        ledger.check_and_migrate()?;
        ledger.conn.pragma_update(None, "foreign_keys", true).map_err(sql)?;
        ledger.conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        Ok(ledger)
    }

    fn sql_err(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::sqlite(&self.path, source)
    }

    /// The identity of the file, its version, and the forward migrations.
    fn check_and_migrate(&mut self) -> Result<(), LedgerError> {
        let (app_id, version, objects) = self.probe()?;
        if app_id == APPLICATION_ID && version == SCHEMA_VERSION {
            return Ok(());
        }
        refuse(&self.path, app_id, version, objects)?;
        // WAL lets readers and one writer work at once. It is set when the ledger is
        // created or migrated, never on a plain open, which writes nothing: a ledger
        // found corrupt later is left as it was. Where WAL is unavailable SQLite keeps
        // its rollback journal, which is still correct.
        // The switch takes an exclusive lock without SQLite's busy handler: two processes
        // creating one ledger at once (two `history` runs) got "database is locked" here
        // (ledger_cli's two_histories_at_once_record_each_commit_once). So wait as the busy
        // timeout would.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                Ok(_) => break,
                Err(e)
                    if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(LedgerError::sqlite(&self.path, e)),
            }
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| LedgerError::sqlite(&self.path, e))?;
        // Another process may have migrated it while we waited for the lock.
        let read = |sql: &str| tx.query_row(sql, [], |r| r.get::<_, i64>(0));
        let (app_id, version, objects) = (
            read("PRAGMA application_id"),
            read("PRAGMA user_version"),
            read("SELECT count(*) FROM sqlite_master"),
        );
        let (app_id, version, objects) = match (app_id, version, objects) {
            (Ok(a), Ok(v), Ok(o)) => (a, v, o),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                return Err(LedgerError::sqlite(&self.path, e))
            }
        };
        refuse(&self.path, app_id, version, objects)?;
        let path = self.path.clone();
        let sql = |source| LedgerError::sqlite(&path, source);
        for (from, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(migration).map_err(sql)?;
            tx.pragma_update(None, "user_version", from as i64 + 1).map_err(sql)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(())
    }

    /// Reads the application id, the schema version and the number of schema objects;
    /// a file that is not a database fails here, before anything is written.
    fn probe(&self) -> Result<(i64, i64, i64), LedgerError> {
        let read = |sql: &str| self.conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        let result = read("PRAGMA application_id")
            .and_then(|a| Ok((a, read("PRAGMA user_version")?, read("SELECT count(*) FROM sqlite_master")?)));
        result.map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => LedgerError::NotALedger {
                path: self.path.clone(),
                reason: "not a SQLite database".to_string(),
            },
            Some(ErrorCode::DatabaseCorrupt) => LedgerError::NotALedger {
                path: self.path.clone(),
                reason: "the database is corrupt".to_string(),
            },
            _ => self.sql_err(e),
        })
    }

    /// Whether the commit `sha` is recorded.
    pub fn is_recorded(&self, sha: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row("SELECT 1 FROM commits WHERE sha = ?1 AND recorded = 1", [sha], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.sql_err(e))
    }

    /// The depth (place in first-parent order) a recorded commit was recorded with.
    pub(crate) fn recorded_depth(&self, sha: &str) -> Result<Option<i64>, LedgerError> {
        self.conn
            .prepare_cached("SELECT depth FROM commits WHERE sha = ?1 AND recorded = 1")
            .and_then(|mut s| s.query_row([sha], |r| r.get(0)).optional())
            .map_err(|e| self.sql_err(e))
    }

    /// Gives recorded commits new depths and parents, and recomputes every item, in one
    /// transaction.
    pub(crate) fn set_depths(&mut self, depths: &[(String, i64, Vec<String>)]) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let sql = |source| LedgerError::sqlite(&path, source);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        for (sha, depth, parents) in depths {
            let parents = serde_json::to_string(parents).expect("strings serialize");
            tx.execute(
                "UPDATE commits SET depth = ?2, parents = ?3 WHERE sha = ?1",
                params![sha, depth, parents],
            )
            .map_err(sql)?;
        }
        recompute_items(&tx).map_err(sql)?;
        tx.commit().map_err(sql)
    }

    /// Analyses the commit `rev` names in the repository at (or above) `repo_path` from
    /// git objects, and records it and its findings in one transaction. A commit already
    /// recorded is left as it is.
    pub fn record(
        &mut self,
        repo_path: &Path,
        rev: &str,
        settings: &Settings,
    ) -> Result<RecordOutcome, LedgerError> {
        let repo = open_repository(repo_path)?;
        let commit = resolve_commit(&repo, rev)?;
        let depth = first_parent_depth(&repo, commit.id());
        Ok(self.record_commit(&repo, &commit, depth, settings, None)?.0)
    }

    /// Records `commit`, whose place in first-parent order is `depth`, unless it is
    /// recorded already. `parent` is the snapshot of its first parent when the caller has
    /// it. Gives the commit's snapshot when it was read.
    pub(crate) fn record_commit(
        &mut self,
        repo: &Repository,
        commit: &Commit<'_>,
        depth: i64,
        settings: &Settings,
        parent: Option<&Snapshot>,
    ) -> Result<(RecordOutcome, Option<Snapshot>), LedgerError> {
        let sha = commit.id().to_string();
        if self.is_recorded(&sha)? {
            let outcome = RecordOutcome {
                sha,
                already_recorded: true,
                findings: 0,
                analysed: 0,
                cached: 0,
                missing: Vec::new(),
                skipped: Vec::new(),
            };
            return Ok((outcome, None));
        }
        let snap = Snapshot::read(repo, &Source::Tree(commit.id()), settings)?;
        let outcome = analyse(repo, &snap, None, &HashMap::new(), settings, &*self)?;
        let aliases = self.rename_aliases(repo, commit, &snap, parent, settings)?;
        let info = CommitInfo::of(commit, depth, &settings.linter.tickets);
        let mut out = self.store(&info, &outcome.findings, &aliases, &ruleset_base(settings))?;
        out.analysed = outcome.analysed;
        out.cached = outcome.cached;
        out.missing = outcome.missing;
        out.skipped = outcome.skipped;
        Ok((out, Some(snap)))
    }

    /// For each file git sees renamed from the first parent to `snap`: the fingerprints
    /// its findings have here, mapped to those they had in the parent. The parent's blob is
    /// analysed under the new path, so that both sides' fingerprints compare; the findings
    /// of the two analyses of that one blob pair up by rule, position and message.
    fn rename_aliases(
        &self,
        repo: &Repository,
        commit: &Commit<'_>,
        snap: &Snapshot,
        parent: Option<&Snapshot>,
        settings: &Settings,
    ) -> Result<HashMap<String, String>, LedgerError> {
        let mut aliases = HashMap::new();
        let Some(parent_id) = commit.parent_ids().next() else { return Ok(aliases) };
        let read;
        let parent = match parent {
            Some(p) => p,
            None => {
                // A shallow clone's oldest commit names a parent the repository lacks.
                if repo.find_commit(parent_id).is_err() {
                    return Ok(aliases);
                }
                read = Snapshot::read(repo, &Source::Tree(parent_id), settings)?;
                &read
            }
        };
        let renamed = changes(repo, parent, snap)?.renamed;
        if renamed.is_empty() {
            return Ok(aliases);
        }
        let old_paths: BTreeSet<String> = renamed.iter().map(|(old, _)| old.clone()).collect();
        let rename_to: HashMap<String, String> = renamed.iter().cloned().collect();
        let as_new = analyse(repo, parent, Some(&old_paths), &rename_to, settings, self)?;
        let as_old = analyse(repo, parent, Some(&old_paths), &HashMap::new(), settings, self)?;
        // Where a finding is, in which file of the parent.
        let spot = |path: &str, f: &Finding| {
            (path.to_string(), f.rule.clone(), f.line, f.column, f.end_line, f.end_column, f.message.clone())
        };
        let mut before: HashMap<_, std::collections::VecDeque<&str>> = HashMap::new();
        for f in &as_old.findings {
            before.entry(spot(&f.path, f)).or_default().push_back(&f.fingerprint);
        }
        let back: HashMap<&str, &str> = renamed.iter().map(|(o, n)| (n.as_str(), o.as_str())).collect();
        for f in &as_new.findings {
            let Some(old) = back.get(f.path.as_str()) else { continue };
            if let Some(fp) = before.get_mut(&spot(old, f)).and_then(|q| q.pop_front()) {
                if fp != f.fingerprint {
                    aliases.insert(f.fingerprint.clone(), fp.to_string());
                }
            }
        }
        Ok(aliases)
    }

    /// Writes the cache rows computed since the last recorded commit; for callers that
    /// analyse without recording (the gate).
    pub fn flush_cache(&mut self) -> Result<(), LedgerError> {
        if self.pending.borrow().is_empty() && self.pending_signatures.borrow().is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let sql = |source| LedgerError::sqlite(&path, source);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        write_pending(&tx, &self.pending.borrow(), &self.pending_signatures.borrow()).map_err(sql)?;
        tx.commit().map_err(sql)?;
        self.pending.borrow_mut().clear();
        self.pending_signatures.borrow_mut().clear();
        Ok(())
    }

    /// Writes the commit, its findings and the new cache rows in one transaction.
    /// `aliases` maps a fingerprint of this commit to the one its item had in the first
    /// parent, where git saw the file renamed.
    fn store(
        &mut self,
        a: &CommitInfo,
        findings: &[Finding],
        aliases: &HashMap<String, String>,
        ruleset: &str,
    ) -> Result<RecordOutcome, LedgerError> {
        let path = self.path.clone();
        let sql = |source| LedgerError::sqlite(&path, source);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let already: Option<i64> = tx
            .query_row("SELECT recorded FROM commits WHERE sha = ?1", [&a.sha], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        if already == Some(1) {
            return Ok(RecordOutcome {
                sha: a.sha.clone(),
                already_recorded: true,
                findings: 0,
                analysed: 0,
                cached: 0,
                missing: Vec::new(),
                skipped: Vec::new(),
            });
        }
        write_pending(&tx, &self.pending.borrow(), &self.pending_signatures.borrow()).map_err(sql)?;
        let parents = serde_json::to_string(&a.parents).expect("strings serialize");
        let tickets = serde_json::to_string(&a.tickets).expect("strings serialize");
        tx.execute(
            "INSERT INTO commits (sha, parents, depth, time, author, summary, message, tickets, ruleset, recorded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)
             ON CONFLICT(sha) DO UPDATE SET parents = excluded.parents, depth = excluded.depth,
               time = excluded.time, author = excluded.author, summary = excluded.summary,
               message = excluded.message, tickets = excluded.tickets, ruleset = excluded.ruleset,
               recorded = 1",
            params![a.sha, parents, a.depth, a.time, a.author, a.summary, a.message, tickets, ruleset],
        )
        .map_err(sql)?;
        let cid: i64 =
            tx.query_row("SELECT id FROM commits WHERE sha = ?1", [&a.sha], |r| r.get(0)).map_err(sql)?;
        // The newest in first-parent order (ties: the later author time, then the later
        // recording) takes the fast path; anything else recomputes every item.
        let is_tip: bool = tx
            .query_row(
                "SELECT NOT EXISTS (SELECT 1 FROM commits WHERE recorded = 1 AND id != ?1
                   AND (depth > ?2 OR (depth = ?2 AND time > ?3)))",
                params![cid, a.depth, a.time],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let previous_tip: Option<i64> = tx
            .query_row(
                "SELECT id FROM commits WHERE recorded = 1 AND id != ?1 ORDER BY depth DESC, time DESC, id DESC LIMIT 1",
                [cid],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        let mut merged = false;
        {
            let mut name = tx
                .prepare_cached("INSERT OR REPLACE INTO fingerprints (fingerprint, item_id) VALUES (?1, ?2)")
                .map_err(sql)?;
            let mut create = tx
                .prepare_cached(
                    "INSERT INTO items (fingerprint, rule, severity, path, line, message, debt_minutes, tickets)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                )
                .map_err(sql)?;
            // Item attributes follow the newest commit that has the item.
            let mut refresh = tx
                .prepare_cached(
                    "UPDATE items SET rule = ?2, severity = ?3, message = ?4, debt_minutes = ?5, tickets = ?6
                     WHERE id = ?1 AND (rule, severity, message, debt_minutes, tickets) IS NOT (?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            let mut member = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO memberships (commit_id, item_id, path, line, fingerprint)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(sql)?;
            let mut find = tx
                .prepare_cached(
                    "SELECT f.item_id, i.fingerprint = f.fingerprint FROM fingerprints f
                     JOIN items i ON i.id = f.item_id WHERE f.fingerprint = ?1",
                )
                .map_err(sql)?;
            let mut lookup = |fp: &str| -> Result<Option<(i64, bool)>, LedgerError> {
                find.query_row([fp], |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(sql)
            };
            // Items recorded apart that a rename here shows to be one are merged first
            // (unless some commit has both: then they stay two).
            for f in findings {
                let Some(earlier) = aliases.get(&f.fingerprint) else { continue };
                if let (Some((x, _)), Some((y, _))) = (lookup(&f.fingerprint)?, lookup(earlier)?) {
                    if x != y && merge_items(&tx, x, y).map_err(sql)? {
                        merged = true;
                    }
                }
            }
            // Each finding of the commit gets its own item: first those carrying their
            // item's current name, then the others by name or by rename; a finding whose
            // item is taken here (a renamed file's old path added again, a copy) starts a
            // new item, which its fingerprint names from now on.
            let known: Vec<Known> = findings
                .iter()
                .map(|f| {
                    let own = lookup(&f.fingerprint)?;
                    let via = match aliases.get(&f.fingerprint) {
                        Some(fp) => lookup(fp)?.map(|(i, _)| i),
                        None => None,
                    };
                    Ok((own, via))
                })
                .collect::<Result<_, LedgerError>>()?;
            let mut taken: HashSet<i64> = HashSet::new();
            let mut items: Vec<Option<i64>> = vec![None; findings.len()];
            for (n, (own, _)) in known.iter().enumerate() {
                if let Some((x, true)) = own {
                    if taken.insert(*x) {
                        items[n] = Some(*x);
                    }
                }
            }
            for (n, (own, via)) in known.iter().enumerate() {
                if items[n].is_none() {
                    if let Some(x) = own.map(|(x, _)| x).or(*via) {
                        if taken.insert(x) {
                            items[n] = Some(x);
                        }
                    }
                }
            }
            for ((f, (own, via)), item) in findings.iter().zip(&known).zip(&items) {
                let tickets = serde_json::to_string(&f.ticket.iter().collect::<Vec<_>>()).expect("serialize");
                let item = match item {
                    Some(x) => *x,
                    None => create
                        .query_row(
                            params![
                                f.fingerprint,
                                f.rule,
                                f.severity.as_str(),
                                f.path,
                                f.line,
                                f.message,
                                f.debt_minutes,
                                tickets
                            ],
                            |r| r.get(0),
                        )
                        .map_err(sql)?,
                };
                if own.map(|(x, _)| x) != Some(item) {
                    name.execute(params![f.fingerprint, item]).map_err(sql)?;
                }
                if let (Some(fp), None) = (aliases.get(&f.fingerprint), via) {
                    name.execute(params![fp, item]).map_err(sql)?;
                }
                if is_tip {
                    refresh
                        .execute(params![
                            item,
                            f.rule,
                            f.severity.as_str(),
                            f.message,
                            f.debt_minutes,
                            tickets
                        ])
                        .map_err(sql)?;
                }
                member.execute(params![cid, item, f.path, f.line, f.fingerprint]).map_err(sql)?;
            }
        }
        if is_tip && !merged {
            // Items here: introduced here if new, open again, and where this commit has them.
            tx.execute(
                "UPDATE items SET introduced_in = coalesce(introduced_in, ?1), fixed_in = NULL,
                   path = m.path, line = m.line, fingerprint = coalesce(m.fingerprint, items.fingerprint)
                 FROM memberships m WHERE m.commit_id = ?1 AND m.item_id = items.id",
                [cid],
            )
            .map_err(sql)?;
            // Items of the previous tip that are gone: fixed here.
            if let Some(prev) = previous_tip {
                tx.execute(
                    "UPDATE items SET fixed_in = ?1
                     WHERE id IN (SELECT item_id FROM memberships WHERE commit_id = ?2)
                       AND id NOT IN (SELECT item_id FROM memberships WHERE commit_id = ?1)",
                    params![cid, prev],
                )
                .map_err(sql)?;
            }
        } else if merged {
            recompute_items(&tx).map_err(sql)?;
        } else {
            recompute_around(&tx, cid).map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        self.pending.borrow_mut().clear();
        self.pending_signatures.borrow_mut().clear();
        Ok(RecordOutcome {
            sha: a.sha.clone(),
            already_recorded: false,
            findings: findings.len(),
            analysed: 0,
            cached: 0,
            missing: Vec::new(),
            skipped: Vec::new(),
        })
    }
}

/// The text of a cache row's `key` column.
fn key_column(key: &CacheKey) -> String {
    match key.facts {
        Some(facts) => format!("{}:{facts:016x}", key.oid),
        None => key.oid.to_string(),
    }
}

fn write_pending(
    conn: &Connection,
    pending: &HashMap<CacheKey, Arc<Vec<Finding>>>,
    signatures: &[(Oid, u64)],
) -> rusqlite::Result<()> {
    let mut sig = conn.prepare_cached(
        "INSERT OR REPLACE INTO go_signatures (oid, version, signature) VALUES (?1, ?2, ?3)",
    )?;
    for (oid, s) in signatures {
        sig.execute(params![oid.to_string(), SIGNATURE_VERSION, *s as i64])?;
    }
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO blob_results (key, path, ruleset, findings) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (key, findings) in pending {
        let json = serde_json::to_string(&**findings).expect("findings serialize");
        put.execute(params![key_column(key), key.path, key.ruleset, json])?;
    }
    Ok(())
}

impl BlobCache for Ledger {
    fn get(&self, key: &CacheKey) -> Result<Option<Arc<Vec<Finding>>>, LedgerError> {
        if let Some(f) = self.memo.borrow().get(key) {
            return Ok(Some(Arc::clone(f)));
        }
        if let Some(f) = self.pending.borrow().get(key) {
            return Ok(Some(Arc::clone(f)));
        }
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT findings FROM blob_results WHERE key = ?1 AND path = ?2 AND ruleset = ?3")
            .and_then(|mut s| {
                s.query_row(params![key_column(key), key.path, key.ruleset], |r| r.get(0)).optional()
            })
            .map_err(|e| self.sql_err(e))?;
        // An unreadable row is a miss: it is analysed again and overwritten.
        let Some(findings) = json.and_then(|j| serde_json::from_str::<Vec<Finding>>(&j).ok()) else {
            return Ok(None);
        };
        let findings = Arc::new(findings);
        let mut memo = self.memo.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(key.clone(), Arc::clone(&findings));
        Ok(Some(findings))
    }

    fn put(&self, key: CacheKey, findings: Arc<Vec<Finding>>) -> Result<(), LedgerError> {
        let mut memo = self.memo.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(key.clone(), Arc::clone(&findings));
        self.pending.borrow_mut().insert(key, findings);
        Ok(())
    }

    fn signature(&self, oid: Oid) -> Result<Option<u64>, LedgerError> {
        if let Some(s) = self.signatures.borrow().get(&oid) {
            return Ok(Some(*s));
        }
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT signature FROM go_signatures WHERE oid = ?1 AND version = ?2")
            .and_then(|mut s| {
                s.query_row(params![oid.to_string(), SIGNATURE_VERSION], |r| r.get(0)).optional()
            })
            .map_err(|e| self.sql_err(e))?;
        let found = found.map(|s| s as u64);
        if let Some(s) = found {
            self.remember_signature(oid, s);
        }
        Ok(found)
    }

    fn put_signature(&self, oid: Oid, signature: u64) -> Result<(), LedgerError> {
        self.remember_signature(oid, signature);
        self.pending_signatures.borrow_mut().push((oid, signature));
        Ok(())
    }

    fn facts(&self, hash: u64) -> Option<Arc<PackageFacts>> {
        self.facts.borrow().get(&hash).cloned()
    }

    fn put_facts(&self, hash: u64, facts: Arc<PackageFacts>) {
        let mut memo = self.facts.borrow_mut();
        if memo.len() >= FACTS_LIMIT {
            memo.clear();
        }
        memo.insert(hash, facts);
    }

    fn file_facts(&self, oid: Oid) -> Option<Arc<FileFacts>> {
        self.file_facts.borrow().get(&oid).cloned()
    }

    fn put_file_facts(&self, oid: Oid, facts: Arc<FileFacts>) {
        let mut memo = self.file_facts.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(oid, facts);
    }

    fn imports(&self, oid: Oid) -> Option<Arc<Vec<String>>> {
        self.imports.borrow().get(&oid).cloned()
    }

    fn put_imports(&self, oid: Oid, imports: Arc<Vec<String>>) {
        let mut memo = self.imports.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(oid, imports);
    }
}

impl Ledger {
    fn remember_signature(&self, oid: Oid, signature: u64) {
        let mut memo = self.signatures.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(oid, signature);
    }
}

/// The repository at or above `path`.
pub(crate) fn open_repository(path: &Path) -> Result<Repository, LedgerError> {
    Repository::discover(path).map_err(|_| LedgerError::NotARepository { path: path.to_path_buf() })
}

/// The commit `rev` names.
pub(crate) fn resolve_commit<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, LedgerError> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| LedgerError::UnknownRevision { rev: rev.to_string(), message: e.message().to_string() })
}

/// The number of first-parent ancestors of `oid` that the repository holds (a shallow
/// clone stops early).
pub(crate) fn first_parent_depth(repo: &Repository, oid: Oid) -> i64 {
    let mut depth = 0;
    let mut current = repo.find_commit(oid).ok();
    while let Some(c) = current {
        current = if c.parent_count() > 0 { c.parent(0).ok() } else { None };
        if current.is_some() {
            depth += 1;
        }
    }
    depth
}

/// For one finding: the item its own fingerprint names (and whether that fingerprint is
/// the item's current name), and the item its parent's fingerprint names across a rename.
type Known = (Option<(i64, bool)>, Option<i64>);

/// Makes item `gone` part of item `keep` (its names and memberships), unless a commit
/// has both; says whether it did. Used when a rename links two items recorded apart.
fn merge_items(conn: &Connection, keep: i64, gone: i64) -> rusqlite::Result<bool> {
    let together: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM memberships a JOIN memberships b ON a.commit_id = b.commit_id
                        WHERE a.item_id = ?1 AND b.item_id = ?2)",
        params![keep, gone],
        |r| r.get(0),
    )?;
    if together {
        return Ok(false);
    }
    conn.execute("UPDATE fingerprints SET item_id = ?1 WHERE item_id = ?2", params![keep, gone])?;
    conn.execute("UPDATE memberships SET item_id = ?1 WHERE item_id = ?2", params![keep, gone])?;
    conn.execute("DELETE FROM items WHERE id = ?1", [gone])?;
    Ok(true)
}

/// Recomputes every item from the memberships: introduced in the first recorded commit
/// (first-parent order) that has it, fixed in the first recorded commit after the last
/// one that has it (none when the newest has it), and located where the last one has it.
/// The fast path in `store` gives the same result when a commit is added at the tip.
fn recompute_items(conn: &Connection) -> rusqlite::Result<()> {
    recompute(conn, "SELECT item_id FROM memberships", [])
}

/// As [`recompute_items`], for the items a commit recorded between others can change:
/// those it has, and those of the recorded commit just before it (which it may fix).
fn recompute_around(conn: &Connection, cid: i64) -> rusqlite::Result<()> {
    let prev: Option<i64> = conn
        .query_row(
            "SELECT p.id FROM commits p, commits c WHERE c.id = ?1 AND p.recorded = 1 AND p.id != c.id
               AND (p.depth, p.time, p.id) < (c.depth, c.time, c.id)
             ORDER BY p.depth DESC, p.time DESC, p.id DESC LIMIT 1",
            [cid],
            |r| r.get(0),
        )
        .optional()?;
    recompute(
        conn,
        "SELECT item_id FROM memberships WHERE commit_id = ?1 OR commit_id = ?2",
        params![cid, prev.unwrap_or(cid)],
    )
}

/// Recomputes the items `affected` (a query giving item ids) selects.
fn recompute(conn: &Connection, affected: &str, args: impl rusqlite::Params) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "WITH ord AS (
                 SELECT id, ROW_NUMBER() OVER (ORDER BY depth, time, id) AS n FROM commits WHERE recorded = 1
             ),
             span AS (
                 SELECT m.item_id, MIN(o.n) AS first_n, MAX(o.n) AS last_n
                 FROM memberships m JOIN ord o ON o.id = m.commit_id
                 WHERE m.item_id IN ({affected}) GROUP BY m.item_id
             )
             UPDATE items SET introduced_in = f.id, fixed_in = nx.id, path = m.path, line = m.line,
                 fingerprint = coalesce(m.fingerprint, items.fingerprint)
             FROM span s
                 JOIN ord f ON f.n = s.first_n
                 JOIN ord l ON l.n = s.last_n
                 JOIN memberships m ON m.item_id = s.item_id AND m.commit_id = l.id
                 LEFT JOIN ord nx ON nx.n = s.last_n + 1
             WHERE items.id = s.item_id"
        ),
        args,
    )?;
    Ok(())
}

/// Errors for a file that must not be touched: another application's database, or a
/// newer schema.
fn refuse(path: &Path, app_id: i64, version: i64, objects: i64) -> Result<(), LedgerError> {
    let fresh = app_id == 0 && version == 0 && objects == 0;
    if !fresh && app_id != APPLICATION_ID {
        return Err(LedgerError::NotALedger {
            path: path.to_path_buf(),
            reason: "a SQLite database of another application".to_string(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(LedgerError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
