use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find, record and pay down technical debt in Go, Python and Kubernetes/Helm YAML.
#[derive(Debug, Parser)]
#[command(name = "debtctl", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse files under the paths (default `.`) and report findings.
    Scan(ScanArgs),
    /// Apply fixes (safe ones; `--unsafe` for all), then report what remains.
    Fix(ScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Print one rule's documentation.
    Explain(ExplainArgs),
    /// Run the custom rules' tests (ast-grep's rule-test format) from `rule-test-dirs`.
    TestRules(TestRulesArgs),
    /// Analyse one commit from git objects and record its debt in the ledger.
    Record(RecordArgs),
    /// Record every first-parent commit of a range that is not recorded yet, oldest first.
    History(HistoryArgs),
    /// Write the ledger out as data.
    Export(ExportArgs),
    /// CI gate: fail when the working tree (or `--staged`, or `--head`) adds debt that the
    /// base does not have.
    Gate(GateArgs),
    /// Install a git pre-commit hook that runs `debtctl gate --staged --base HEAD`.
    InstallHook(InstallHookArgs),
    /// The language server (LSP 3.17 over stdio): new and legacy debt in the editor.
    Server(ServerArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Speak over stdin and stdout: the only transport, accepted because editors pass it.
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Each finding with its source line and a summary.
    Text,
    /// One line per finding, `path:line:col: rule message`, and a summary.
    Concise,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
}

impl From<SeverityArg> for debtctl_diagnostics::Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Self::Info,
            SeverityArg::Warning => Self::Warning,
            SeverityArg::Error => Self::Error,
        }
    }
}

/// Options every analysing command shares.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Rules to run (IDs, prefixes such as `go/`, or ALL); replaces the config's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Option<Vec<String>>,
    /// Rules not to run (IDs or prefixes), on top of the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Config file (default: the nearest `debtctl.toml` upward from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Print findings only: no summary, no warnings about skipped files.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files or directories to analyse.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also skip files matching this glob (gitignore syntax); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Threads to use (default: all cores).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Read and write no result cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Where the result cache lives (default: `.debtctl/cache` at the project root).
    #[arg(long, value_name = "DIR", env = "DEBTCTL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Report suppression comments that suppress nothing.
    #[arg(long)]
    pub report_unused_suppressions: bool,
    /// The lowest severity that makes the exit status 1 (default: info, i.e. any finding).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Apply fixes, as `debtctl fix` does.
    #[arg(long)]
    pub fix: bool,
    /// Also apply unsafe fixes (they may change behaviour).
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff and write nothing; exit 1 when there is one.
    #[arg(long)]
    pub diff: bool,
    /// Print a count and the debt per rule instead of each finding.
    #[arg(long)]
    pub statistics: bool,
    /// Read the file to analyse from stdin (give `-` as the path) and analyse it as PATH:
    /// its language, config, per-path rules and, for Go, its package on disk.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Config file, for its custom rules (default: the nearest `debtctl.toml` upward from
    /// the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// A rule ID such as `py/mutable-default-arg`, or a custom rule's.
    pub rule: String,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Config file, for its custom rules (default: the nearest `debtctl.toml` upward from
    /// the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct TestRulesArgs {
    /// Only the tests of these rules: IDs or prefixes such as `acme/` (default: all).
    #[arg(value_name = "RULE")]
    pub rules: Vec<String>,
    /// The same as the positional RULEs, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Config file, for `rule-dirs` and `rule-test-dirs` (default: the nearest
    /// `debtctl.toml` upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the failures only: no summary, no notes.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The ledger's options, shared by `record`, `history` and `export`.
#[derive(Debug, Clone, Args)]
pub struct LedgerOpts {
    /// The ledger (default: `.debtctl/ledger.sqlite` at the repository root).
    #[arg(long, value_name = "PATH", env = "DEBTCTL_DB")]
    pub db: Option<PathBuf>,
    /// Config file (default: the nearest `debtctl.toml` upward from the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print nothing on success (no progress bar, no summary).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// The commit to record.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,
    #[command(flatten)]
    pub ledger: LedgerOpts,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The newest commit of the range.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,
    /// Stop before this commit (and its ancestors), as `git log SINCE..REV` does.
    #[arg(long, value_name = "REV", conflicts_with = "max_count")]
    pub since: Option<String>,
    /// Only the newest N first-parent commits.
    #[arg(long, short = 'n', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_count: Option<u64>,
    #[command(flatten)]
    pub ledger: LedgerOpts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The ledger's export document.
    Json,
    /// A self-contained dashboard page.
    Html,
    /// CSV tables: items and commits.
    Csv,
    /// Gauges of the newest commit, for a Prometheus textfile collector.
    Openmetrics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTable {
    Items,
    Commits,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// What to write (or give `--to` to sync into PostgreSQL).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Write to this file, atomically, instead of stdout; for CSV without `--table`, the
    /// directory that gets items.csv and commits.csv.
    #[arg(long, short, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// For CSV: write only this table.
    #[arg(long, value_enum, requires = "format")]
    pub table: Option<ExportTable>,
    /// Sync the ledger into this PostgreSQL database (default when no --format is given:
    /// DEBTCTL_PG_URL).
    #[arg(long, value_name = "URL", conflicts_with_all = ["format", "out"])]
    pub to: Option<String>,
    /// The repository's name in the database and the dashboard (default: the origin
    /// remote's URL without scheme and credentials, else the root directory's name).
    #[arg(long, value_name = "NAME")]
    pub repo_name: Option<String>,
    /// For HTML: link files to this web page instead of relative paths; `{path}`, `{line}`
    /// and `{sha}` are replaced (`https://github.com/org/repo/blob/{sha}/{path}#L{line}`).
    #[arg(long, value_name = "URL", requires = "format")]
    pub source_url: Option<String>,
    #[command(flatten)]
    pub ledger: LedgerOpts,
}

#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// The revision to compare with (default: `[gate] base` of debtctl.toml, else the merge
    /// base of HEAD with its upstream branch); `REV...` means the merge base with REV.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Compare this revision instead of the working tree.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub head: Option<String>,
    /// Compare the staged content (the git index) instead of the working tree.
    #[arg(long)]
    pub staged: bool,
    #[command(flatten)]
    pub common: CommonArgs,
    /// A new finding of this severity or above fails the gate, unless --budget covers it;
    /// findings below it never fail (default: warning).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Minutes of new debt at or above --fail-on that may pass (default: 0).
    #[arg(long, value_name = "MINUTES")]
    pub budget: Option<u64>,
    /// Also write a Markdown summary to this file (e.g. `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "PATH")]
    pub summary: Option<PathBuf>,
    /// The ledger used as the blob cache (default: `.debtctl/ledger.sqlite` at the
    /// repository root).
    #[arg(long, value_name = "PATH", env = "DEBTCTL_DB")]
    pub db: Option<PathBuf>,
    /// Keep the blob cache in memory only.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InstallHookArgs {
    /// Replace a pre-commit hook that debtctl did not write (it is kept as
    /// `pre-commit.debtctl-backup`).
    #[arg(long)]
    pub force: bool,
}
