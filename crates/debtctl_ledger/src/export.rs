//! The export document of `debtctl export --format json` (ledger.md, "Export").

use crate::db::Ledger;
use crate::error::LedgerError;
use crate::time::rfc3339_utc;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

struct CommitRow {
    id: i64,
    sha: String,
    parents: Vec<String>,
    time: i64,
    author: String,
    summary: String,
    tickets: Vec<String>,
}

impl Ledger {
    /// The whole ledger as ledger.md's export document: recorded commits in first-parent
    /// order, oldest first, each with its counts; then every item.
    pub fn export_json(&self) -> Result<Value, LedgerError> {
        let sql = |source| LedgerError::sqlite(&self.path, source);
        let bad = |message: String| LedgerError::BadRow { path: self.path.clone(), message };
        let json_list = |s: String| -> Result<Vec<String>, LedgerError> {
            serde_json::from_str(&s).map_err(|e| bad(format!("{s}: {e}")))
        };

        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, sha, parents, time, author, summary, tickets FROM commits
                 WHERE recorded = 1 ORDER BY depth, time, id",
            )
            .map_err(sql)?;
        let raw = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        let mut commits = Vec::with_capacity(raw.len());
        for (id, sha, parents, time, author, summary, tickets) in raw {
            let (parents, tickets) = (json_list(parents)?, json_list(tickets)?);
            commits.push(CommitRow { id, sha, parents, time, author, summary, tickets });
        }

        // Members of each commit: item id, rule and debt.
        let mut members: HashMap<i64, Vec<(i64, String, i64)>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT m.commit_id, m.item_id, i.rule, i.debt_minutes
                 FROM memberships m JOIN items i ON i.id = m.item_id",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .map_err(sql)?;
        for row in rows {
            let (commit, item, rule, debt) = row.map_err(sql)?;
            members.entry(commit).or_default().push((item, rule, debt));
        }

        let mut out_commits = Vec::with_capacity(commits.len());
        // Introduced and fixed are relative to the first parent when it is recorded, else
        // to the commit before in the order (nothing, for the first).
        let mut items_of: HashMap<&str, HashSet<i64>> = HashMap::new();
        let empty_set = HashSet::new();
        let mut previous: Option<&str> = None;
        for c in &commits {
            let empty = Vec::new();
            let these = members.get(&c.id).unwrap_or(&empty);
            let ids: HashSet<i64> = these.iter().map(|(i, _, _)| *i).collect();
            let base = c
                .parents
                .first()
                .and_then(|p| items_of.get(p.as_str()))
                .or_else(|| previous.and_then(|p| items_of.get(p)))
                .unwrap_or(&empty_set);
            let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
            for (_, rule, _) in these {
                *by_rule.entry(rule.as_str()).or_default() += 1;
            }
            out_commits.push(json!({
                "sha": c.sha,
                "parents": c.parents,
                "time": rfc3339_utc(c.time),
                "author": c.author,
                "summary": c.summary,
                "tickets": c.tickets,
                "findings": these.len(),
                "debt_minutes": these.iter().map(|(_, _, d)| d).sum::<i64>(),
                "introduced": ids.difference(base).count(),
                "fixed": base.difference(&ids).count(),
                "by_rule": by_rule,
            }));
            items_of.insert(c.sha.as_str(), ids);
            previous = Some(c.sha.as_str());
        }

        let by_id: HashMap<i64, &CommitRow> = commits.iter().map(|c| (c.id, c)).collect();
        let position: HashMap<i64, usize> = commits.iter().enumerate().map(|(n, c)| (c.id, n)).collect();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT fingerprint, rule, severity, path, line, message, debt_minutes,
                        introduced_in, fixed_in, tickets
                 FROM items WHERE introduced_in IS NOT NULL",
            )
            .map_err(sql)?;
        #[allow(clippy::type_complexity)]
        let raw: Vec<(String, String, String, String, i64, String, i64, i64, Option<i64>, String)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .map_err(sql)?
            .collect::<Result<_, _>>()
            .map_err(sql)?;
        let mut items = Vec::with_capacity(raw.len());
        for (fingerprint, rule, severity, path, line, message, debt, introduced, fixed, tickets) in raw {
            let intro = by_id
                .get(&introduced)
                .ok_or_else(|| bad(format!("item {fingerprint}: no commit {introduced}")))?;
            let fixed_sha = match fixed {
                Some(id) => Some(
                    by_id
                        .get(&id)
                        .ok_or_else(|| bad(format!("item {fingerprint}: no commit {id}")))?
                        .sha
                        .clone(),
                ),
                None => None,
            };
            let mut all_tickets = intro.tickets.clone();
            for t in json_list(tickets)? {
                if !all_tickets.contains(&t) {
                    all_tickets.push(t);
                }
            }
            let order = (position[&introduced], path.clone(), line, fingerprint.clone());
            let value = json!({
                "fingerprint": fingerprint,
                "rule": rule,
                "severity": severity,
                "path": path,
                "line": line,
                "message": message,
                "debt_minutes": debt,
                "introduced_in": intro.sha,
                "introduced_at": rfc3339_utc(intro.time),
                "introduced_by": intro.author,
                "fixed_in": fixed_sha,
                "tickets": all_tickets,
            });
            items.push((order, value));
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));

        let mut doc = Map::new();
        doc.insert("version".into(), json!(1));
        doc.insert("head".into(), json!(commits.last().map(|c| c.sha.clone())));
        doc.insert("commits".into(), Value::Array(out_commits));
        doc.insert("items".into(), Value::Array(items.into_iter().map(|(_, v)| v).collect()));
        Ok(Value::Object(doc))
    }
}
