//! The message loop: initialisation and capability negotiation, document sync, diagnostics
//! (pushed, or pulled where the client supports it), code actions, hover, watched files,
//! and shutdown. Every handler runs under `catch_unwind`: a panic is logged and answered
//! with an error, and the server goes on.

use crate::analysis::{check, classify, Analysis, FactsCache, Project, Skip};
use crate::document::{Document, Encoding};
use crate::{Ended, ServerError};
use debtctl_diagnostics::Severity;
use debtctl_syntax::Language;
use debtctl_workspace::config::find_config;
use debtctl_workspace::discovery::is_helm_template;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability, CodeDescription,
    Diagnostic, DiagnosticOptions, DiagnosticServerCapabilities, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentDiagnosticParams, HoverParams,
    HoverProviderCapability, InitializeParams, NumberOrString, PositionEncodingKind, SaveOptions,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a rule's documentation is read online: `codeDescription` links to it.
pub const RULES_URL: &str = "https://github.com/debtctl/debtctl/blob/main/rules";

/// The code action kind of "fix all" (`source.fixAll.debtctl`).
pub const FIX_ALL: &str = "source.fixAll.debtctl";

pub fn serve(connection: &Connection) -> Result<Ended, ServerError> {
    let protocol = |e: lsp_server::ProtocolError| ServerError::Protocol(e.to_string());
    let (id, params) = connection.initialize_start().map_err(protocol)?;
    let init: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let client = ClientSupport::of(&init);
    let result = json!({
        "capabilities": capabilities(&client),
        "serverInfo": {"name": "debtctl", "version": env!("CARGO_PKG_VERSION")},
    });
    connection.initialize_finish(id, result).map_err(protocol)?;

    let mut server = Server {
        connection,
        client,
        docs: HashMap::new(),
        projects: HashMap::new(),
        analyses: HashMap::new(),
        facts: FactsCache::default(),
        next_request: 0,
    };
    server.register_watchers();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(protocol)? {
                    return Ok(Ended::Clean);
                }
                server.on_request(req);
            }
            Message::Notification(n) if n.method == "exit" => return Ok(Ended::WithoutShutdown),
            Message::Notification(n) => server.on_notification(n),
            // Answers to our own requests (registration, refresh): nothing to do.
            Message::Response(_) => {}
        }
    }
    Ok(Ended::WithoutShutdown)
}

/// What the client said it can do, as far as the server cares.
struct ClientSupport {
    encoding: Encoding,
    /// Pull diagnostics (`textDocument/diagnostic`): then nothing is pushed.
    pull: bool,
    /// `workspace/diagnostic/refresh`, for pulled diagnostics that changed on their own.
    refresh: bool,
    watch: bool,
}

impl ClientSupport {
    fn of(init: &InitializeParams) -> ClientSupport {
        let caps = &init.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
        ClientSupport {
            encoding: if utf8 { Encoding::Utf8 } else { Encoding::Utf16 },
            pull: caps.text_document.as_ref().and_then(|t| t.diagnostic.as_ref()).is_some(),
            refresh: caps
                .workspace
                .as_ref()
                .and_then(|w| w.diagnostic.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
            watch: caps
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
        }
    }
}

fn capabilities(client: &ClientSupport) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match client.encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..TextDocumentSyncOptions::default()
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::from(FIX_ALL)]),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        diagnostic_provider: client.pull.then(|| {
            DiagnosticServerCapabilities::Options(DiagnosticOptions {
                identifier: Some("debtctl".to_string()),
                // A Go file's findings depend on the other files of its package.
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                ..DiagnosticOptions::default()
            })
        }),
        ..ServerCapabilities::default()
    }
}

/// Which project a document belongs to: its `debtctl.toml`, else its repository (or its
/// directory, outside any).
type ProjectKey = PathBuf;

pub(crate) struct Server<'c> {
    connection: &'c Connection,
    client: ClientSupport,
    docs: HashMap<Uri, (Document, ProjectKey)>,
    /// `Err` holds why the project's config could not be read (logged once).
    projects: HashMap<ProjectKey, Result<Project, String>>,
    /// The last analysis of each open document, for code actions and hover.
    analyses: HashMap<Uri, Analysis>,
    facts: FactsCache,
    next_request: i32,
}

impl Server<'_> {
    fn send(&self, msg: impl Into<Message>) {
        // The client went away: the receiver loop ends on its own.
        let _ = self.connection.sender.send(msg.into());
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Notification::new(method.to_string(), params));
    }

    fn request(&mut self, method: &str, params: impl serde::Serialize) {
        self.next_request += 1;
        let id = RequestId::from(format!("debtctl-{}", self.next_request));
        self.send(Request::new(id, method.to_string(), params));
    }

    /// `window/logMessage`; `error` is type 1, else log (4).
    pub(crate) fn log(&self, error: bool, message: impl Into<String>) {
        self.notify(
            "window/logMessage",
            json!({"type": if error { 1 } else { 4 }, "message": message.into()}),
        );
    }

    fn register_watchers(&mut self) {
        if !self.client.watch {
            return;
        }
        // Custom rules (`.debtctl/rules/`) are watched already, for when they exist; YAML
        // files anywhere, for rules in a configured `rule-dirs` (other YAML changes are
        // dropped in `watched_files_changed`).
        let globs = [
            "**/debtctl.toml",
            "**/.debtctl/rules/**",
            "**/*.yml",
            "**/*.yaml",
            "**/.git/HEAD",
            "**/.git/refs/**",
            "**/.git/packed-refs",
            "**/*.go",
        ];
        let watchers: Vec<Value> = globs.iter().map(|g| json!({"globPattern": g})).collect();
        self.request(
            "client/registerCapability",
            json!({"registrations": [{
                "id": "debtctl-watched-files",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": {"watchers": watchers},
            }]}),
        );
    }

    fn on_request(&mut self, req: Request) {
        let id = req.id.clone();
        let method = req.method.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.dispatch(req)));
        let response = match outcome {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(panic) => {
                let message = format!("internal error in {method} (please report): {}", panic_text(&panic));
                self.log(true, &message);
                Response::new_err(id, ErrorCode::InternalError as i32, message)
            }
        };
        self.send(response);
    }

    fn dispatch(&mut self, req: Request) -> Result<Value, (ErrorCode, String)> {
        let bad = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match req.method.as_str() {
            "textDocument/diagnostic" => {
                let p: DocumentDiagnosticParams = serde_json::from_value(req.params).map_err(bad)?;
                let items = self.diagnostics(&p.text_document.uri);
                Ok(json!({"kind": "full", "items": items}))
            }
            "textDocument/codeAction" => {
                let p: CodeActionParams = serde_json::from_value(req.params).map_err(bad)?;
                Ok(self.code_actions(&p))
            }
            "textDocument/hover" => {
                let p: HoverParams = serde_json::from_value(req.params).map_err(bad)?;
                Ok(self.hover(&p))
            }
            // A request that panics, only where the environment asks for it: how the test of
            // the `catch_unwind` above makes a handler panic, which no real request does on
            // purpose.
            "debtctl/panic" if std::env::var_os("DEBTCTL_SERVER_TEST_PANIC").is_some() => {
                panic!("debtctl/panic was requested")
            }
            other => Err((ErrorCode::MethodNotFound, format!("unknown request {other}"))),
        }
    }

    fn on_notification(&mut self, n: Notification) {
        let method = n.method.clone();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.handle_notification(n))) {
            self.log(true, format!("internal error in {method} (please report): {}", panic_text(&panic)));
        }
    }

    fn handle_notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else { return };
                let doc = p.text_document;
                let Some(path) = uri_path(&doc.uri) else {
                    self.log(false, format!("{}: not a file; not analysed", doc.uri.as_str()));
                    return;
                };
                let Some(lang) = language_of(&path, &doc.language_id) else { return };
                let key = self.project_key(&path);
                self.refresh_base(&key);
                let document = Document::new(path, lang, doc.version, doc.text);
                self.docs.insert(doc.uri.clone(), (document, key));
                self.changed(&doc.uri);
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else { return };
                let uri = p.text_document.uri;
                let enc = self.client.encoding;
                let Some((doc, _)) = self.docs.get_mut(&uri) else { return };
                doc.apply(p.text_document.version, p.content_changes, enc);
                self.analyses.remove(&uri);
                self.changed(&uri);
            }
            "textDocument/didSave" => {
                let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(n.params) else { return };
                // A save may follow a commit or a checkout made outside the editor.
                if let Some((_, key)) = self.docs.get(&p.text_document.uri) {
                    let key = key.clone();
                    if self.refresh_base(&key) {
                        self.republish(|k, _| *k == key);
                        return;
                    }
                }
                self.changed(&p.text_document.uri);
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else { return };
                let uri = p.text_document.uri;
                if let Some((doc, _)) = self.docs.remove(&uri) {
                    self.analyses.remove(&uri);
                    if !self.client.pull {
                        self.notify(
                            "textDocument/publishDiagnostics",
                            json!({"uri": uri, "diagnostics": []}),
                        );
                    }
                    // Its package siblings now read it from disk.
                    if doc.lang == Language::Go {
                        let dir = doc.path.parent().map(Path::to_path_buf);
                        self.republish(|_, d| d.lang == Language::Go && d.path.parent() == dir.as_deref());
                    }
                }
            }
            "workspace/didChangeWatchedFiles" => {
                let Ok(p) = serde_json::from_value::<DidChangeWatchedFilesParams>(n.params) else { return };
                self.watched_files_changed(p);
            }
            _ => {}
        }
    }

    /// A document changed: re-check it, and the open files of its Go package.
    fn changed(&mut self, uri: &Uri) {
        self.analyses.remove(uri);
        if !self.client.pull {
            self.publish(uri);
        }
        let Some((doc, _)) = self.docs.get(uri) else { return };
        if doc.lang == Language::Go {
            let dir = doc.path.parent().map(Path::to_path_buf);
            let me = doc.path.clone();
            self.republish(|_, d| {
                d.lang == Language::Go && d.path != me && d.path.parent() == dir.as_deref()
            });
        }
    }

    /// Re-checks the open documents that `which` selects and publishes them again (or asks
    /// a pulling client to pull again).
    fn republish(&mut self, which: impl Fn(&ProjectKey, &Document) -> bool) {
        let uris: Vec<Uri> =
            self.docs.iter().filter(|(_, (d, k))| which(k, d)).map(|(u, _)| u.clone()).collect();
        if uris.is_empty() {
            return;
        }
        for uri in &uris {
            self.analyses.remove(uri);
        }
        if self.client.pull {
            if self.client.refresh {
                self.request("workspace/diagnostic/refresh", Value::Null);
            }
            return;
        }
        for uri in &uris {
            self.publish(uri);
        }
    }

    fn publish(&mut self, uri: &Uri) {
        let diagnostics = self.diagnostics(uri);
        let version = self.docs.get(uri).map(|(d, _)| d.version);
        self.notify(
            "textDocument/publishDiagnostics",
            json!({"uri": uri, "version": version, "diagnostics": diagnostics}),
        );
    }

    /// The document's diagnostics, from its analysis (computed when stale).
    pub(crate) fn diagnostics(&mut self, uri: &Uri) -> Vec<Diagnostic> {
        let Some(analysis) = self.analysis(uri) else { return Vec::new() };
        let (doc, key) = &self.docs[uri];
        let settings = self.projects.get(key).and_then(|p| p.as_ref().ok()).map(|p| &p.settings);
        let enc = self.client.encoding;
        analysis
            .items
            .iter()
            .map(|item| {
                let f = &item.finding;
                let severity = match (item.new, f.severity) {
                    (false, _) => DiagnosticSeverity::HINT,
                    (true, Severity::Error) => DiagnosticSeverity::ERROR,
                    (true, Severity::Warning) => DiagnosticSeverity::WARNING,
                    (true, Severity::Info) => DiagnosticSeverity::INFORMATION,
                };
                Diagnostic {
                    range: doc.range(item.start, item.end, enc),
                    severity: Some(severity),
                    code: Some(NumberOrString::String(f.rule.clone())),
                    code_description: rule_doc_url(settings, &f.rule)
                        .and_then(|url| Uri::from_str(&url).ok())
                        .map(|href| CodeDescription { href }),
                    source: Some("debtctl".to_string()),
                    message: f.message.clone(),
                    data: Some(json!({
                        "new": item.new,
                        "fingerprint": f.fingerprint,
                        "debt_minutes": f.debt_minutes,
                        "ticket": f.ticket,
                    })),
                    ..Diagnostic::default()
                }
            })
            .collect()
    }

    /// The analysis of the document's current version: cached, else computed now.
    pub(crate) fn analysis(&mut self, uri: &Uri) -> Option<Analysis> {
        let (doc, key) = self.docs.get(uri)?;
        if let Some(a) = self.analyses.get(uri).filter(|a| a.version == doc.version) {
            return Some(a.clone());
        }
        let key = key.clone();
        let mut project = self.take_project(&key)?;
        let analysis = self.analyse_with(&mut project, uri);
        self.projects.insert(key, Ok(project));
        let analysis = analysis?;
        self.analyses.insert(uri.clone(), analysis.clone());
        Some(analysis)
    }

    fn analyse_with(&mut self, project: &mut Project, uri: &Uri) -> Option<Analysis> {
        let (doc, _) = self.docs.get(uri)?;
        let shown = project.shown_path(&doc.path);
        let open: Vec<(&Path, &str)> =
            self.docs.values().map(|(d, _)| (d.path.as_path(), d.text.as_str())).collect();
        let result = match check(project, doc, &shown, &open, &mut self.facts) {
            Ok(r) => r,
            Err(Skip::Quiet) => return Some(Analysis { version: doc.version, items: Vec::new() }),
            Err(Skip::Logged(message)) => {
                self.log(false, message);
                return Some(Analysis { version: doc.version, items: Vec::new() });
            }
        };
        match classify(project, doc, &shown, result) {
            Ok(a) => Some(a),
            Err(message) => {
                self.log(true, format!("{shown}: cannot analyse the gate base: {message}"));
                None
            }
        }
    }

    /// Takes a loaded project out of the map (the caller puts it back), so that it can be
    /// used beside the documents; `None` when its config could not be read.
    fn take_project(&mut self, key: &ProjectKey) -> Option<Project> {
        self.project(key).ok()?;
        match self.projects.remove(key) {
            Some(Ok(p)) => Some(p),
            _ => None,
        }
    }

    /// The project of `key`, loaded on first use; a config that cannot be read is logged
    /// once per load.
    pub(crate) fn project(&mut self, key: &ProjectKey) -> Result<&mut Project, String> {
        if !self.projects.contains_key(key) {
            let config = key.file_name().is_some_and(|n| n == "debtctl.toml").then(|| key.clone());
            let loaded = Project::open(config, key);
            if let Err(message) = &loaded {
                self.log(true, format!("debtctl: {message}"));
                // A bad config or custom rule stops every diagnostic of the project: say so
                // where the user looks, not only in the log.
                self.notify(
                    "window/showMessage",
                    json!({"type": 1, "message": format!("debtctl: {message}")}),
                );
            }
            self.projects.insert(key.clone(), loaded);
        }
        match self.projects.get_mut(key).expect("inserted above") {
            Ok(p) => Ok(p),
            Err(e) => Err(e.clone()),
        }
    }

    fn project_key(&self, path: &Path) -> ProjectKey {
        if let Some(config) = find_config(path) {
            return config;
        }
        debtctl_workspace::settings::repo_root(path)
            .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default())
    }

    /// Re-resolves the project's base; true when it moved (then every analysis of the
    /// project is stale).
    fn refresh_base(&mut self, key: &ProjectKey) -> bool {
        let Ok(project) = self.project(key) else { return false };
        let (changed, message) = project.refresh_base();
        let label = project.base_label().map(str::to_string);
        if let Some(message) = message {
            self.log(true, format!("debtctl: {message}"));
        }
        if changed {
            if let Some(label) = label {
                self.log(false, format!("debtctl: new debt is what `{label}` does not have"));
            }
        }
        changed
    }

    fn watched_files_changed(&mut self, p: DidChangeWatchedFilesParams) {
        let mut reload = false;
        let mut git = false;
        let mut go_dirs = Vec::new();
        for change in &p.changes {
            let Some(path) = uri_path(&change.uri) else { continue };
            let s = path.to_string_lossy().replace('\\', "/");
            let in_rule_dir = || {
                self.projects
                    .values()
                    .flatten()
                    .any(|p| p.settings.rule_dirs.iter().any(|d| path.starts_with(d)))
            };
            if path.file_name().is_some_and(|n| n == "debtctl.toml")
                || s.contains("/.debtctl/rules/")
                || in_rule_dir()
            {
                reload = true;
            } else if s.contains("/.git/") {
                git = true;
            } else if path.extension().is_some_and(|e| e == "go") {
                go_dirs.push(path.parent().map(Path::to_path_buf));
            }
        }
        if reload {
            // Settings (and the rules they name) are read again; a new or removed config
            // may also move documents to another project.
            self.projects.clear();
            let keys: Vec<(Uri, ProjectKey)> =
                self.docs.iter().map(|(u, (d, _))| (u.clone(), self.project_key(&d.path))).collect();
            for (uri, key) in keys {
                if let Some((_, k)) = self.docs.get_mut(&uri) {
                    *k = key;
                }
            }
            let keys: Vec<ProjectKey> = self.docs.values().map(|(_, k)| k.clone()).collect();
            for key in keys {
                self.refresh_base(&key);
            }
            self.log(false, "debtctl: configuration reloaded");
            self.republish(|_, _| true);
            return;
        }
        if git {
            let keys: Vec<ProjectKey> = self.projects.keys().cloned().collect();
            let moved: Vec<ProjectKey> = keys.into_iter().filter(|k| self.refresh_base(k)).collect();
            if !moved.is_empty() {
                self.republish(|k, _| moved.contains(k));
            }
        }
        if !go_dirs.is_empty() {
            self.republish(|_, d| {
                d.lang == Language::Go && go_dirs.contains(&d.path.parent().map(Path::to_path_buf))
            });
        }
    }

    pub(crate) fn doc(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri).map(|(d, _)| d)
    }

    pub(crate) fn encoding(&self) -> Encoding {
        self.client.encoding
    }

    /// The config's `ticket-url` and the base's name, for hover.
    /// Where the documentation of `rule` is, for the document `uri`'s project.
    pub(crate) fn rule_doc(&self, uri: &Uri, rule: &str) -> Option<String> {
        let settings = self
            .docs
            .get(uri)
            .and_then(|(_, key)| self.projects.get(key))
            .and_then(|p| p.as_ref().ok())
            .map(|p| &p.settings);
        rule_doc_url(settings, rule)
    }

    /// A custom rule's `note` (why it is debt, what to do instead), for hover.
    pub(crate) fn custom_note(&self, uri: &Uri, rule: &str) -> Option<String> {
        let settings =
            &self.docs.get(uri).and_then(|(_, key)| self.projects.get(key))?.as_ref().ok()?.settings;
        settings.custom.rules().iter().find(|r| r.id == rule)?.note.clone()
    }

    pub(crate) fn project_facts(&mut self, uri: &Uri) -> (Option<String>, Option<String>) {
        let Some((_, key)) = self.docs.get(uri) else { return (None, None) };
        let key = key.clone();
        match self.project(&key) {
            Ok(p) => (p.ticket_url.clone(), p.base_label().map(str::to_string)),
            Err(_) => (None, None),
        }
    }

    /// Checks `text` as the document `uri` would be, for the rounds of fix-all.
    pub(crate) fn fixes_of(
        &mut self,
        uri: &Uri,
        text: &str,
    ) -> Vec<(&'static str, debtctl_diagnostics::Fix)> {
        let Some((doc, key)) = self.docs.get(uri) else { return Vec::new() };
        let key = key.clone();
        let probe = Document::new(doc.path.clone(), doc.lang, doc.version, text.to_string());
        let Some(project) = self.take_project(&key) else { return Vec::new() };
        let shown = project.shown_path(&probe.path);
        let open: Vec<(&Path, &str)> =
            self.docs.values().map(|(d, _)| (d.path.as_path(), d.text.as_str())).collect();
        let fixes = match check(&project, &probe, &shown, &open, &mut self.facts) {
            Ok(result) => result.fixes,
            Err(_) => Vec::new(),
        };
        self.projects.insert(key, Ok(project));
        fixes
    }
}

/// The language of a document: from its name (as a scan decides), else from the client's
/// language id; a YAML file under a chart's `templates/` is a Helm template.
fn language_of(path: &Path, language_id: &str) -> Option<Language> {
    let lang = Language::from_path(path).or(match language_id {
        "go" => Some(Language::Go),
        "python" => Some(Language::Python),
        "yaml" | "helm" => Some(Language::Yaml),
        _ => None,
    })?;
    if lang == Language::Yaml && is_helm_template(path) {
        return Some(Language::HelmTemplate);
    }
    Some(lang)
}

pub(crate) fn uri_path(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Where a rule's documentation is: a built-in rule's page online; a custom rule's `url`,
/// else its rule file (which holds its note and YAML), never a page debtctl does not have.
pub(crate) fn rule_doc_url(settings: Option<&debtctl_workspace::Settings>, rule: &str) -> Option<String> {
    if debtctl_linter::Rule::from_id(rule).is_some() {
        return Some(format!("{RULES_URL}/{rule}.md"));
    }
    let custom = settings?.custom.rules().iter().find(|r| r.id == rule)?;
    match &custom.url {
        Some(url) => Some(url.clone()),
        None => url::Url::from_file_path(&custom.file).ok().map(|u| u.to_string()),
    }
}
