//! `debtctl server` over stdio, driven as an editor drives it: a scripted LSP client opens
//! documents in a git repository with legacy debt at HEAD, and checks what the server
//! publishes, the code actions and hover it offers, how it follows edits, configuration
//! and HEAD, and that `shutdown`/`exit` end it with status 0.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A repository whose HEAD commit holds `files`.
fn repo(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "--allow-empty", "-m", "legacy"]);
    dir
}

fn uri(path: &Path) -> String {
    url::Url::from_file_path(path.canonicalize().unwrap_or(path.to_path_buf())).unwrap().to_string()
}

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications and server requests read while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    /// Starts the server in `dir` and initialises it with `capabilities`.
    fn start(dir: &Path, capabilities: Value) -> Client {
        Client::start_with(dir, capabilities, &[])
    }

    /// [`Client::start`] with extra environment variables for the server.
    fn start_with(dir: &Path, capabilities: Value, env: &[(&str, &str)]) -> Client {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_debtctl"));
        isolate_git(&mut cmd);
        cmd.envs(env.iter().copied());
        let mut child = cmd
            .arg("server")
            .current_dir(dir)
            .env_remove("DEBTCTL_CACHE_DIR")
            .env_remove("DEBTCTL_DB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut client = Client { child, stdin, incoming: rx, backlog: Vec::new(), next_id: 0 };
        let root = uri(dir);
        let result = client
            .request("initialize", json!({"processId": null, "rootUri": root, "capabilities": capabilities}));
        assert!(result["capabilities"]["codeActionProvider"].is_object(), "{result}");
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        let stdin = self.stdin.as_mut().unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.incoming.recv_timeout(left).expect("the server answers in time")
    }

    /// Sends a request and returns its result (the response's error fails the test).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if msg["id"] == json!(id) && msg.get("method").is_none() {
                return msg;
            }
            self.backlog.push(msg);
        }
    }

    /// The next notification `method` that `accept` takes (earlier ones are dropped).
    fn wait(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(|m| m["method"] == method && accept(&m["params"])) {
            let msg = self.backlog.remove(i);
            self.backlog.drain(..i);
            return msg["params"].clone();
        }
        self.backlog.retain(|m| m["method"] != method);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if msg["method"] == method && accept(&msg["params"]) {
                return msg["params"].clone();
            }
            if msg["method"] != method {
                self.backlog.push(msg);
            }
        }
    }

    /// The diagnostics published for `uri` at `version`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let params =
            self.wait("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["version"] == version);
        params["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    /// `shutdown`, then `exit`; returns the exit status.
    fn shutdown(mut self) -> i32 {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        wait_exit(&mut self.child)
    }
}

fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Applies LSP text edits (UTF-16 positions) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| -> usize {
        let line = pos["line"].as_u64().unwrap() as usize;
        let character = pos["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap().into())
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

fn by_code<'a>(diagnostics: &'a [Value], code: &str) -> &'a Value {
    diagnostics.iter().find(|d| d["code"] == code).unwrap_or_else(|| panic!("no {code} in {diagnostics:?}"))
}

const LEGACY: &str = "def legacy(tags=[]):\n    return tags\n";

/// The new function: `raise` without `from` in a handler (info, safe fix).
const EDITED: &str = "def legacy(tags=[]):\n    return tags\n\n\ndef load(table, key):\n    try:\n        return table[key]\n    except KeyError:\n        raise ValueError(\"missing\")\n";

#[test]
fn legacy_and_new_debt_fix_suppress_hover_and_exit() {
    let dir = repo(&[("app.py", LEGACY)]);
    let path = dir.path().join("app.py");
    std::fs::write(&path, EDITED).unwrap();
    let uri = uri(&path);
    let mut client = Client::start(dir.path(), json!({}));
    client.open(&uri, "python", EDITED);

    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    let legacy = by_code(&diagnostics, "py/mutable-default-arg");
    assert_eq!(legacy["severity"], 4, "legacy debt is a hint");
    assert_eq!(legacy["data"]["new"], false);
    assert_eq!(legacy["source"], "debtctl");
    assert_eq!(
        legacy["range"],
        json!({"start": {"line": 0, "character": 16}, "end": {"line": 0, "character": 18}})
    );
    let href = legacy["codeDescription"]["href"].as_str().unwrap();
    assert!(href.ends_with("/rules/py/mutable-default-arg.md"), "{href}");
    let new = by_code(&diagnostics, "py/raise-without-from");
    assert_eq!(new["severity"], 3, "new debt keeps its rule's severity (info)");
    assert_eq!(new["data"]["new"], true);
    assert_eq!(new["range"]["start"], json!({"line": 8, "character": 8}));

    // The quick fix and the suppression, offered at the new finding and applied as an
    // editor would.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": new["range"], "context": {"diagnostics": [new]}}),
    );
    let actions = actions.as_array().unwrap();
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("py/raise-without-from:"))
        .unwrap_or_else(|| panic!("no quick fix in {actions:?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true, "a safe fix is preferred");
    let fixed = apply(EDITED, fix["edit"]["changes"][&uri].as_array().unwrap());
    assert!(
        fixed.contains("    except KeyError as err:\n        raise ValueError(\"missing\") from err\n"),
        "{fixed}"
    );
    let suppress = actions
        .iter()
        .find(|a| a["title"] == "Suppress py/raise-without-from on this line")
        .unwrap_or_else(|| panic!("no suppression in {actions:?}"));
    let suppressed = apply(EDITED, suppress["edit"]["changes"][&uri].as_array().unwrap());
    assert!(
        suppressed
            .contains("        raise ValueError(\"missing\")  # debtctl: ignore[py/raise-without-from]\n"),
        "{suppressed}"
    );

    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 8, "character": 12}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    for part in ["**py/raise-without-from**", "**new debt**", "**Cost:** 5 min", "Why is this debt?"] {
        assert!(text.contains(part), "hover lacks {part}: {text}");
    }
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 17}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("**py/mutable-default-arg**") && text.contains("legacy debt: already in `HEAD`"),
        "{text}"
    );

    // The edit that applies the fix, sent incrementally: only the legacy finding remains.
    let changes = fix["edit"]["changes"][&uri].clone();
    let content_changes: Vec<Value> = changes
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| json!({"range": e["range"], "text": e["newText"]}))
        .collect();
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": content_changes}),
    );
    let diagnostics = client.diagnostics(&uri, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "py/mutable-default-arg");
    assert_eq!(diagnostics[0]["severity"], 4);

    assert_eq!(client.shutdown(), 0);
}

/// The suppression action's comment really suppresses, in Go and in Python.
#[test]
fn the_suppression_action_suppresses_the_finding() {
    let go = "package m\n\nimport \"os\"\n\nfunc f() {\n\tos.Remove(\"x\") // cleanup\n}\n";
    let dir = repo(&[("go.mod", "module example.com/m\n\ngo 1.21\n")]);
    let mut client = Client::start(dir.path(), json!({}));
    for (name, language, text, rule) in
        [("m.go", "go", go, "go/ignored-error"), ("a.py", "python", EDITED, "py/raise-without-from")]
    {
        let uri = uri(&dir.path().join(name));
        client.open(&uri, language, text);
        let diagnostics = client.diagnostics(&uri, 1);
        let d = by_code(&diagnostics, rule).clone();
        let actions = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
        );
        let title = format!("Suppress {rule} on this line");
        let action =
            actions.as_array().unwrap().iter().find(|a| a["title"] == title.as_str()).unwrap().clone();
        let suppressed = apply(text, action["edit"]["changes"][&uri].as_array().unwrap());
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": suppressed}]}),
        );
        let diagnostics = client.diagnostics(&uri, 2);
        assert!(diagnostics.iter().all(|d| d["code"] != rule), "{suppressed}\n{diagnostics:?}");
    }
    assert_eq!(client.shutdown(), 0);
}

/// Positions count UTF-16 code units by default and bytes when the client offers UTF-8.
#[test]
fn ranges_follow_the_negotiated_position_encoding() {
    let text = "def f(a=\"😀é\", b=[]):\n    return b\n";
    let dir = repo(&[]);
    let path = dir.path().join("enc.py");
    std::fs::write(&path, text).unwrap();
    let uri = uri(&path);
    for (caps, encoding, start) in [
        (json!({}), "utf-16", 17),
        (json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}), "utf-8", 20),
    ] {
        let mut client = Client::start(dir.path(), caps);
        client.open(&uri, "python", text);
        let diagnostics = client.diagnostics(&uri, 1);
        let d = by_code(&diagnostics, "py/mutable-default-arg");
        assert_eq!(d["range"]["start"]["character"], start, "{encoding}");
        assert_eq!(d["range"]["end"]["character"], start + 2, "{encoding}");
        // Not committed: everything in the file is new.
        assert_eq!(d["severity"], 2);
        assert_eq!(client.shutdown(), 0);
    }
}

/// With `textDocument.diagnostic` the client pulls, and nothing is pushed.
#[test]
fn pull_diagnostics_when_the_client_supports_them() {
    let dir = repo(&[("app.py", LEGACY)]);
    let path = dir.path().join("app.py");
    let uri = uri(&path);
    let mut client = Client::start(dir.path(), json!({"textDocument": {"diagnostic": {}}}));
    client.open(&uri, "python", EDITED);
    let report = client.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri}}));
    assert_eq!(report["kind"], "full");
    let items = report["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(by_code(items, "py/mutable-default-arg")["severity"], 4);
    assert!(
        !client.backlog.iter().any(|m| m["method"] == "textDocument/publishDiagnostics"),
        "nothing pushed to a pulling client"
    );
    assert_eq!(client.shutdown(), 0);
}

/// `source.fixAll.debtctl` applies every safe fix of the file and no unsafe one.
#[test]
fn fix_all_applies_the_safe_fixes() {
    let text = "def load(t, k, j):\n    try:\n        return t[k]\n    except KeyError:\n        raise ValueError(k)\n    except IndexError as e:\n        raise ValueError(j)\n\n\ndef tag(x=[]):\n    return x\n";
    let dir = repo(&[]);
    let path = dir.path().join("all.py");
    let uri = uri(&path);
    let mut client = Client::start(dir.path(), json!({}));
    client.open(&uri, "python", text);
    client.diagnostics(&uri, 1);
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.debtctl");
    let fixed = apply(text, actions[0]["edit"]["changes"][&uri].as_array().unwrap());
    assert!(fixed.contains("except KeyError as err:\n        raise ValueError(k) from err\n"), "{fixed}");
    assert!(fixed.contains("raise ValueError(j) from e\n"), "{fixed}");
    assert!(fixed.contains("def tag(x=[]):"), "the unsafe fix is left alone: {fixed}");
    assert_eq!(client.shutdown(), 0);
}

/// A Go file is checked with its package's facts: a sibling from an open buffer (not yet
/// on disk) declares the error-returning function it calls.
#[test]
fn go_files_see_their_package_from_open_buffers() {
    let dir = repo(&[("go.mod", "module example.com/m\n\ngo 1.21\n")]);
    let a = dir.path().join("a.go");
    let b = dir.path().join("b.go");
    let a_text = "package m\n\nfunc run() {\n\tsave()\n}\n";
    std::fs::write(&a, a_text).unwrap();
    let (a_uri, b_uri) = (uri(&a), uri(&b));
    let mut client = Client::start(dir.path(), json!({}));
    client.open(&a_uri, "go", a_text);
    assert!(client.diagnostics(&a_uri, 1).is_empty(), "`save` is unknown: nothing is flagged");
    client.open(&b_uri, "go", "package m\n\nfunc save() error { return nil }\n");
    let diagnostics = client.diagnostics(&a_uri, 1);
    let d = by_code(&diagnostics, "go/ignored-error");
    assert_eq!(d["range"]["start"], json!({"line": 3, "character": 1}));
    assert_eq!(d["data"]["new"], true);
    assert_eq!(client.shutdown(), 0);
}

/// A Go package from disk: legacy debt at HEAD (the base side analysed with its package's
/// facts, as the gate does) is a hint; closing the buffer that declared the callee, and
/// then writing it to disk (a watched-file change), re-checks its open sibling.
#[test]
fn go_files_see_their_package_from_disk_and_the_base() {
    let a_text = "package m\n\nfunc run() {\n\tsave()\n}\n";
    let b_text = "package m\n\nfunc save() error { return nil }\n";
    let dir = repo(&[("go.mod", "module example.com/m\n\ngo 1.21\n"), ("a.go", a_text), ("b.go", b_text)]);
    let (a, b) = (dir.path().join("a.go"), dir.path().join("b.go"));
    let (a_uri, b_uri) = (uri(&a), uri(&b));
    let caps = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    let mut client = Client::start(dir.path(), caps);
    client.open(&a_uri, "go", a_text);
    let diagnostics = client.diagnostics(&a_uri, 1);
    let d = by_code(&diagnostics, "go/ignored-error");
    assert_eq!((d["severity"].clone(), d["data"]["new"].clone()), (json!(4), json!(false)), "legacy: {d}");

    // b.go leaves the disk but stays open, then is closed: `save` is unknown again.
    std::fs::remove_file(&b).unwrap();
    client.open(&b_uri, "go", b_text);
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": b_uri}}));
    let quiet = client.wait("textDocument/publishDiagnostics", |p| {
        p["uri"] == a_uri.as_str() && p["diagnostics"].as_array().unwrap().is_empty()
    });
    assert_eq!(quiet["version"], 1);

    // Written back on disk by another program: seen through the watched-file change.
    std::fs::write(&b, b_text).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": b_uri, "type": 1}]}));
    let diagnostics = client.diagnostics(&a_uri, 1);
    assert_eq!(by_code(&diagnostics, "go/ignored-error")["severity"], 4);
    assert_eq!(client.shutdown(), 0);
}

/// `debtctl.toml` changes and a moved HEAD are picked up without a restart.
#[test]
fn config_and_head_changes_are_followed() {
    let dir = repo(&[("app.py", LEGACY)]);
    let path = dir.path().join("app.py");
    std::fs::write(&path, EDITED).unwrap();
    let uri = uri(&path);
    let caps = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    let mut client = Client::start(dir.path(), caps);
    client.open(&uri, "python", EDITED);
    assert_eq!(client.diagnostics(&uri, 1).len(), 2);
    let registration = client.wait("client/registerCapability", |_| true);
    let watchers = registration["registrations"][0]["registerOptions"]["watchers"].to_string();
    assert!(watchers.contains("**/debtctl.toml") && watchers.contains("**/.debtctl/rules/**"), "{watchers}");

    let config = dir.path().join("debtctl.toml");
    std::fs::write(&config, "ignore = [\"py/mutable-default-arg\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": self::uri(&config), "type": 1}]}),
    );
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "py/raise-without-from");
    assert_eq!(diagnostics[0]["severity"], 3, "still new");

    // Committing the new function makes it legacy debt.
    std::fs::remove_file(&config).unwrap();
    git(dir.path(), &["add", "app.py"]);
    git(dir.path(), &["commit", "-q", "-m", "load"]);
    let head = dir.path().join(".git/refs/heads/main");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": self::uri(&config), "type": 3}, {"uri": self::uri(&head), "type": 2}]}),
    );
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    assert!(diagnostics.iter().all(|d| d["severity"] == 4 && d["data"]["new"] == false), "{diagnostics:?}");
    assert_eq!(client.shutdown(), 0);
}

/// A config that cannot be read is a log message, not a crash; a bad request is an error
/// response; the server goes on and still ends cleanly.
#[test]
fn bad_config_and_bad_requests_do_not_stop_the_server() {
    let dir = repo(&[("debtctl.toml", "select = [\"py/nope\"]\n")]);
    let path = dir.path().join("x.py");
    let uri = uri(&path);
    let mut client = Client::start(dir.path(), json!({}));
    client.open(&uri, "python", "def f(x=[]):\n    return x\n");
    let log = client.wait("window/logMessage", |p| p["message"].as_str().unwrap().contains("py/nope"));
    assert_eq!(log["type"], 1);
    assert!(client.diagnostics(&uri, 1).is_empty());
    let response = client.request_raw("textDocument/hover", json!({"nonsense": true}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(client.shutdown(), 0);
}

/// Regression test for issue 17 in the editor: a document nested deeper than the
/// grammar's external scanner can serialize would abort the process on parse (the guard
/// was in `parse` but not in the incremental `reparse`). It is a log message naming the
/// reason; the server goes on, checks other documents and ends cleanly.
#[test]
fn a_document_nested_too_deep_is_logged_not_a_crash() {
    let dir = repo(&[]);
    let deep = dir.path().join("deep.py");
    let deep_uri = uri(&deep);
    let ok = dir.path().join("ok.py");
    let ok_uri = uri(&ok);
    let text: String = (0..600).map(|i| format!("{}if x:\n", " ".repeat(i))).collect::<String>()
        + &" ".repeat(600)
        + "y = f\"{x}\"\n";
    let mut client = Client::start(dir.path(), json!({}));
    // Opened shallow, so the document has a tree; the edit that nests it deep goes through
    // the incremental `reparse`.
    client.open(&deep_uri, "python", "y = 1\n");
    assert!(client.diagnostics(&deep_uri, 1).is_empty());
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": deep_uri, "version": 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": text}],
        }),
    );
    let log =
        client.wait("window/logMessage", |p| p["message"].as_str().unwrap().contains("nesting deeper than"));
    assert!(log["message"].as_str().unwrap().contains("deep.py"), "{log}");
    client.open(&ok_uri, "python", "def f(x=[]):\n    return x\n");
    let diagnostics = client.diagnostics(&ok_uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(client.shutdown(), 0);
}

/// A panic in one request is caught: answered with an internal error, logged, and the
/// server goes on (diagnostics, hover) and ends cleanly.
#[test]
fn a_panic_in_a_request_is_logged_and_the_server_goes_on() {
    let dir = repo(&[]);
    let path = dir.path().join("x.py");
    let uri = uri(&path);
    let mut client = Client::start_with(dir.path(), json!({}), &[("DEBTCTL_SERVER_TEST_PANIC", "1")]);
    let response = client.request_raw("debtctl/panic", json!({}));
    assert_eq!(response["error"]["code"], -32603, "{response}");
    let log = client.wait("window/logMessage", |p| p["message"].as_str().unwrap().contains("internal error"));
    assert_eq!(log["type"], 1, "{log}");
    client.open(&uri, "python", "def f(x=[]):\n    return x\n");
    assert_eq!(client.diagnostics(&uri, 1).len(), 1);
    assert_eq!(client.shutdown(), 0);
}

/// Without the environment variable, the test request is an unknown method like any other.
#[test]
fn the_panic_request_is_unknown_without_its_environment_variable() {
    let dir = repo(&[]);
    let mut client = Client::start(dir.path(), json!({}));
    let response = client.request_raw("debtctl/panic", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    assert_eq!(client.shutdown(), 0);
}

/// `exit` without `shutdown` ends with status 1, as the protocol asks.
#[test]
fn exit_without_shutdown_is_status_1() {
    let dir = repo(&[]);
    let mut client = Client::start(dir.path(), json!({}));
    client.notify("exit", Value::Null);
    drop(client.stdin.take());
    assert_eq!(wait_exit(&mut client.child), 1);
}

fn nvim() -> String {
    let exe = std::env::var("DEBTCTL_TEST_NVIM").unwrap_or_else(|_| "nvim".to_string());
    let found = Command::new(&exe).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "no Neovim at `{exe}`: run the tests with `bash .ci/run`, which installs Debian's neovim");
    exe
}

/// A real editor: Neovim's built-in LSP client, headless, opens a file, waits for the
/// diagnostics, applies the quick fix and checks the buffer (tests/nvim/code_action.lua).
#[test]
fn neovim_shows_new_and_legacy_debt_and_applies_the_fix() {
    let dir = repo(&[("app.py", LEGACY)]);
    let path = dir.path().join("app.py");
    std::fs::write(&path, EDITED).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/code_action.lua");
    let mut cmd = Command::new(nvim());
    isolate_git(&mut cmd);
    let child = cmd
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(dir.path())
        .env("DEBTCTL_BIN", env!("CARGO_BIN_EXE_debtctl"))
        .env("DEBTCTL_FILE", path.canonicalize().unwrap())
        .env("XDG_STATE_HOME", dir.path().join(".state"))
        .env("XDG_DATA_HOME", dir.path().join(".data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("OK"), "nvim: {stderr}");
    // The buffer was changed in the editor only.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EDITED);
}

/// Issue 14: the server checks custom rules with the settings, reloads them when a rule
/// file changes, and shows a bad rule file as an error message instead of stopping.
#[test]
fn custom_rules_are_reloaded_and_a_bad_rule_is_shown_not_a_crash() {
    let rule = "id: acme/no-print\nlanguage: python\nseverity: error\nmessage: print() in library code\nnote: use the logging module\nrule:\n  pattern: print($$$A)\n";
    let dir = repo(&[(".debtctl/rules/py.yml", rule)]);
    let rule_file = dir.path().join(".debtctl/rules/py.yml");
    let path = dir.path().join("lib.py");
    let uri = uri(&path);
    let mut client = Client::start(
        dir.path(),
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    );
    client.open(&uri, "python", "def f(x):\n    print(x)\n");
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "acme/no-print");
    assert_eq!(diagnostics[0]["message"], "print() in library code");
    // Its documentation is its rule file, not a page of debtctl's that does not exist.
    let href = diagnostics[0]["codeDescription"]["href"].as_str().unwrap();
    assert!(href.starts_with("file://") && href.ends_with("/.debtctl/rules/py.yml"), "{href}");
    // Its hover says why it is debt in the rule's own words: its `note`.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 6}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    for part in ["**acme/no-print**", "print() in library code", "use the logging module", "**Cost:** 10 min"]
    {
        assert!(text.contains(part), "hover lacks {part}: {text}");
    }

    let changed = |client: &mut Client| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": self::uri(&rule_file), "type": 2}]}),
        );
    };
    std::fs::write(&rule_file, rule.replace("in library code", "in a library")).unwrap();
    changed(&mut client);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics[0]["message"], "print() in a library", "{diagnostics:?}");

    std::fs::write(&rule_file, rule.replace("print($$$A)", "print(")).unwrap();
    changed(&mut client);
    let shown = client.wait("window/showMessage", |p| p["message"].as_str().unwrap().contains("py.yml"));
    assert_eq!(shown["type"], 1);
    assert!(shown["message"].as_str().unwrap().contains("rule `acme/no-print`"), "{shown}");
    assert!(client.diagnostics(&uri, 1).is_empty());

    std::fs::write(&rule_file, rule).unwrap();
    changed(&mut client);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "back after the fix: {diagnostics:?}");
    assert_eq!(client.shutdown(), 0);
}
