//! `debtctl-server-bench FILE [--edits N] [--open DIR --documents N]`: drives
//! `debtctl server` (the binary beside this one) over stdio as an editor would, and times
//! - opening FILE (first diagnostics, the gate base analysed on the way when FILE is in a
//!   git repository),
//! - N one-character edits of FILE (alternately typing and deleting a space at the end of a
//!   line in its middle), each from sending `didChange` to receiving the diagnostics of
//!   that version,
//!
//! then, with `--open DIR`, opens the largest `.py` files of DIR until `--documents` are
//! open and reports the server's resident memory (VmRSS and its peak VmHWM from /proc).
//!
//! Run it with `cargo run --release -p debtctl_bench --bin debtctl-server-bench -- FILE`,
//! after `cargo build --release -p debtctl`.

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// The file to open and edit.
    file: PathBuf,
    /// One-character edits to time.
    #[arg(long, default_value_t = 100)]
    edits: usize,
    /// A directory whose largest `.py` files are opened too, for the memory figure.
    #[arg(long)]
    open: Option<PathBuf>,
    /// Documents open in all for the memory figure.
    #[arg(long, default_value_t = 50)]
    documents: usize,
    /// Send each edit as the whole new text (no range), which makes the server parse the
    /// document from scratch: the baseline for the incremental re-parse.
    #[arg(long)]
    full_sync: bool,
}

struct Lsp {
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Lsp {
    fn send(&mut self, msg: Value) -> Result<()> {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())?;
        self.stdin.flush()?;
        Ok(())
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<()> {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let msg = self.incoming.recv_timeout(Duration::from_secs(120))?;
            if msg["id"] == json!(id) && msg.get("method").is_none() {
                return Ok(msg["result"].clone());
            }
        }
    }

    /// Waits for the diagnostics of `uri` at `version`; returns how many there are.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Result<usize> {
        loop {
            let msg = self.incoming.recv_timeout(Duration::from_secs(120))?;
            let p = &msg["params"];
            if msg["method"] == "textDocument/publishDiagnostics"
                && p["uri"] == uri
                && p["version"] == version
            {
                return Ok(p["diagnostics"].as_array().map_or(0, Vec::len));
            }
        }
    }
}

fn uri(path: &Path) -> Result<String> {
    let abs = path.canonicalize().with_context(|| format!("cannot read {}", path.display()))?;
    let url = url_of(&abs);
    Ok(url)
}

/// A `file://` URI; percent-encodes what a path may hold that a URI may not.
fn url_of(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let debtctl = std::env::current_exe()?.with_file_name("debtctl");
    if !debtctl.is_file() {
        bail!("{} not found: run `cargo build --release -p debtctl` first", debtctl.display());
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let dir = args.file.canonicalize()?.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut child = Command::new(&debtctl)
        .arg("server")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut length = 0;
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
                    length = n.parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let Ok(msg) = serde_json::from_slice::<Value>(&body) else { return };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
    let mut lsp = Lsp { stdin: child.stdin.take().context("no stdin")?, incoming: rx, next_id: 0 };
    lsp.request("initialize", json!({"processId": null, "capabilities": {}}))?;
    lsp.notify("initialized", json!({}))?;

    let file_uri = uri(&args.file)?;
    let t = Instant::now();
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": file_uri, "languageId": "python", "version": 1, "text": text}}),
    )?;
    let findings = lsp.diagnostics(&file_uri, 1)?;
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;

    // The end of the middle line, in UTF-16 units (the default encoding).
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.len() / 2;
    let character = lines[line].encode_utf16().count() as u32;
    let mut times = Vec::with_capacity(args.edits);
    for i in 0..args.edits {
        let version = i as i64 + 2;
        let change = if i % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}, "text": " "})
        } else {
            json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 1}}, "text": ""})
        };
        let change = if args.full_sync {
            let mut edited = text.clone();
            if i % 2 == 0 {
                let at: usize =
                    text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + lines[line].len();
                edited.insert(at, ' ');
            }
            json!({"text": edited})
        } else {
            change
        };
        let t = Instant::now();
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": file_uri, "version": version}, "contentChanges": [change]}),
        )?;
        lsp.diagnostics(&file_uri, version)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("file: {} ({} lines, {findings} findings)", args.file.display(), lines.len());
    println!("open (first diagnostics): {open_ms:.1} ms");
    let sync = if args.full_sync { "full-text sync" } else { "incremental sync" };
    println!(
        "one-character edit to diagnostics ({sync}), {} edits: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        times.len(),
        median(times.clone()),
        percentile(times.clone(), 0.9),
        percentile(times, 1.0)
    );

    if let Some(open_dir) = &args.open {
        let mut files: Vec<(u64, PathBuf)> = Vec::new();
        let mut stack = vec![open_dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d)?.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "py") {
                    files.push((e.metadata().map_or(0, |m| m.len()), p));
                }
            }
        }
        files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let own = args.file.canonicalize()?;
        let mut opened = 1;
        let mut bytes = text.len() as u64;
        for (size, path) in files {
            if opened >= args.documents {
                break;
            }
            if path.canonicalize()? == own {
                continue;
            }
            let u = uri(&path)?;
            let t = std::fs::read_to_string(&path)?;
            lsp.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": u, "languageId": "python", "version": 1, "text": t}}),
            )?;
            lsp.diagnostics(&u, 1)?;
            opened += 1;
            bytes += size;
        }
        let pid = child.id();
        println!(
            "{opened} documents open ({:.1} MB of source): VmRSS {:.1} MB, peak VmHWM {:.1} MB",
            bytes as f64 / 1e6,
            memory_mb(pid, "VmRSS:").unwrap_or(f64::NAN),
            memory_mb(pid, "VmHWM:").unwrap_or(f64::NAN)
        );
    }

    lsp.request("shutdown", Value::Null)?;
    lsp.notify("exit", Value::Null)?;
    let status = child.wait()?;
    if !status.success() {
        bail!("the server exited with {status}");
    }
    Ok(())
}
