//! `shuzhuan import …`: sends a large file to a running server's import
//! endpoint in chunks (each chunk its own request and unit of work), with
//! a progress bar, and prints one merged report in the official's language.
//!
//! Each chunk carries an `Idempotency-Key` made of the file's SHA-256, the
//! chunk number and every option that changes the outcome (registry,
//! programme, mode, atomicity, dry run, chunk size), so a corrected run is
//! never refused as a reuse of an earlier key, and the same run repeated
//! is answered from the server's memory. A journal next to the file
//! records the chunks the server has answered for good; a resumed run
//! skips them without sending them again, and `--restart` starts afresh.
//! Ctrl-C stops after the chunk in flight and prints how to resume.
//! `--atomic` holds per chunk, not for the whole file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use encoding_rs_io::DecodeReaderBytesBuilder;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use shuzhuan_app::imports::{Format, Records, Upload, detect_encoding, records};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Registry {
    Enterprises,
    Providers,
    Products,
}

impl Registry {
    fn path(self) -> &'static str {
        match self {
            Registry::Enterprises => "enterprises",
            Registry::Providers => "providers",
            Registry::Products => "products",
        }
    }
}

/// The language the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// 中文.
    Zh,
}

#[derive(Debug, clap::Args)]
pub struct Options {
    /// What the file holds.
    #[arg(value_enum)]
    pub registry: Registry,
    /// A CSV (UTF-8, UTF-8 with BOM, or GB18030), .xlsx or NDJSON file.
    pub file: PathBuf,
    /// The server's base URL.
    #[arg(long, env = "SHUZHUAN_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// A bearer token (an API token `szt_…` or an access token).
    #[arg(long, env = "SHUZHUAN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The programme whose region and industry names the rows use (its id
    /// or its code).
    #[arg(long)]
    pub program_id: Option<String>,
    /// `upsert` (default) or `insert`.
    #[arg(long, default_value = "upsert")]
    pub mode: String,
    /// Check everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep the good rows of a chunk that has failed rows (default: a chunk
    /// with a failed row writes nothing).
    #[arg(long)]
    pub partial: bool,
    /// Data rows per request.
    #[arg(long, default_value_t = 5_000)]
    pub chunk_rows: usize,
    /// The sheet of an .xlsx file to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Forget the journal of an earlier run of this file and send every
    /// chunk again (under new keys).
    #[arg(long)]
    pub restart: bool,
    /// The language of the output and of the server's messages (default:
    /// the system's locale).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

impl Options {
    /// The language asked for, else the locale's (Chinese for `zh*`).
    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_else(|| {
            match sys_locale::get_locale().is_some_and(|l| l.to_ascii_lowercase().starts_with("zh"))
            {
                true => Lang::Zh,
                false => Lang::En,
            }
        })
    }
}

/// A text in both languages, said in one.
fn say(lang: Lang, en: String, zh: String) -> String {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The server's answer to one chunk, as the journal keeps it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ChunkReport {
    /// Data rows the chunk held.
    rows: u64,
    received: u64,
    created: u64,
    updated: u64,
    unchanged: u64,
    blank: u64,
    /// Rows with an error.
    failed: u64,
    /// Whether the chunk was rejected whole (atomic, with errors).
    rejected: bool,
    /// Its errors, with row numbers of the file.
    errors: Vec<RowError>,
}

/// One failed row, numbered as the file is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowError {
    pub row: u64,
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

/// The merged report: counts over all chunks, row numbers of the file.
#[derive(Debug, Default)]
pub struct Merged {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub blank: u64,
    pub failed: u64,
    /// Good rows not written because their chunk was rejected whole.
    pub skipped: u64,
    pub rejected_chunks: u64,
    /// Chunks answered by an earlier run (from the journal).
    pub resumed_chunks: u64,
    pub errors: Vec<RowError>,
    /// Set when Ctrl-C stopped the run: the chunks committed so far.
    pub interrupted: Option<u64>,
}

impl Merged {
    fn add(&mut self, chunk: &ChunkReport) {
        self.rows += chunk.rows;
        self.created += chunk.created;
        self.updated += chunk.updated;
        self.unchanged += chunk.unchanged;
        self.blank += chunk.blank;
        self.failed += chunk.failed;
        if chunk.rejected {
            self.rejected_chunks += 1;
            self.skipped += chunk.received.saturating_sub(chunk.failed);
        }
        self.errors.extend(chunk.errors.iter().cloned());
    }

    /// The report in words.
    pub fn render(&self, file: &Path, lang: Lang) -> String {
        let name = file.display();
        let mut out = say(
            lang,
            format!(
                "{name}: {} rows: {} created, {} updated, {} unchanged, {} failed, {} skipped \
                 (good rows in {} rejected chunks), {} blank",
                self.rows,
                self.created,
                self.updated,
                self.unchanged,
                self.failed,
                self.skipped,
                self.rejected_chunks,
                self.blank
            ),
            format!(
                "{name}：共 {} 行：新建 {}，更新 {}，未变 {}，错误 {}，跳过 {}（被整块拒绝的 {} 个分块中的正确行），空行 {}",
                self.rows,
                self.created,
                self.updated,
                self.unchanged,
                self.failed,
                self.skipped,
                self.rejected_chunks,
                self.blank
            ),
        );
        if self.resumed_chunks > 0 {
            out.push_str(&say(
                lang,
                format!(
                    "\n{} chunks were answered by an earlier run and not sent again",
                    self.resumed_chunks
                ),
                format!(
                    "\n其中 {} 个分块已在此前的运行中完成，未重复发送",
                    self.resumed_chunks
                ),
            ));
        }
        for e in &self.errors {
            let at = match (&e.column, lang) {
                (Some(c), Lang::En) => format!("row {}, {c}", e.row),
                (None, Lang::En) => format!("row {}", e.row),
                (Some(c), Lang::Zh) => format!("第 {} 行，{c}", e.row),
                (None, Lang::Zh) => format!("第 {} 行", e.row),
            };
            out.push_str(&format!("\n  {at}: {} [{}]", e.message, e.code));
        }
        out
    }
}

/// One request body: its data rows' numbers in the file, in order.
struct Chunk {
    body: String,
    rows: Vec<u64>,
}

/// Reads a file as request bodies of `rows` data rows. CSV is sent as it
/// is (each chunk with the header, re-encoded as UTF-8), NDJSON by lines,
/// and a workbook's sheet as CSV of its cells.
enum Chunks {
    Lines {
        lines: Box<dyn Iterator<Item = std::io::Result<String>>>,
        header: Option<String>,
        /// The file's row of the last record read (the header is row 1).
        row: u64,
    },
    Sheet {
        header: Vec<String>,
        records: Records,
    },
}

fn kind_of(path: &Path) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "ndjson" | "jsonl" => Format::Ndjson,
        "xlsx" => Format::Xlsx,
        _ => Format::Csv,
    }
}

impl Chunks {
    fn open(path: &Path, sheet: Option<&str>, lang: Lang) -> Result<Self, String> {
        let unreadable = |e: &dyn std::fmt::Display| {
            say(
                lang,
                format!("cannot read {}: {e}", path.display()),
                format!("无法读取 {}：{e}", path.display()),
            )
        };
        let mut file = File::open(path).map_err(|e| unreadable(&e))?;
        let format = kind_of(path);
        if format == Format::Xlsx {
            let upload = Upload {
                file,
                format,
                sha256: String::new(),
            };
            let (header, records) =
                records(upload, sheet).map_err(|e| unreadable(&app_error_text(&e, lang)))?;
            return Ok(Chunks::Sheet {
                header: header.unwrap_or_default(),
                records,
            });
        }
        let encoding = detect_encoding(&mut file).map_err(|e| unreadable(&e))?;
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .build(file);
        let mut lines: Box<dyn Iterator<Item = std::io::Result<String>>> =
            Box::new(BufReader::new(decoded).lines());
        let header = match format {
            Format::Csv => Some(
                lines
                    .next()
                    .transpose()
                    .map_err(|e| unreadable(&e))?
                    .ok_or_else(|| {
                        unreadable(&say(lang, "it is empty".into(), "文件为空".into()))
                    })?,
            ),
            _ => None,
        };
        Ok(Chunks::Lines {
            lines,
            header,
            row: if format == Format::Csv { 1 } else { 0 },
        })
    }

    fn media(&self) -> &'static str {
        match self {
            Chunks::Lines { header: None, .. } => "application/x-ndjson",
            _ => "text/csv",
        }
    }

    /// The next body of up to `size` data rows.
    fn next(&mut self, size: usize) -> Result<Option<Chunk>, String> {
        match self {
            Chunks::Lines { lines, header, row } => {
                let csv = header.is_some();
                let mut body = header.clone().map(|h| h + "\n").unwrap_or_default();
                let mut rows = Vec::new();
                while rows.len() < size {
                    let Some(line) = lines.next().transpose().map_err(|e| e.to_string())? else {
                        break;
                    };
                    let mut record = line;
                    // A quoted CSV field may span lines.
                    while csv && record.matches('"').count() % 2 == 1 {
                        match lines.next().transpose().map_err(|e| e.to_string())? {
                            Some(more) => {
                                record.push('\n');
                                record.push_str(&more);
                            }
                            None => break,
                        }
                    }
                    if record.trim().is_empty() {
                        continue;
                    }
                    *row += 1;
                    body.push_str(&record);
                    body.push('\n');
                    rows.push(*row);
                }
                Ok((!rows.is_empty()).then_some(Chunk { body, rows }))
            }
            Chunks::Sheet { header, records } => {
                let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
                out.write_record(header.iter()).map_err(|e| e.to_string())?;
                let mut rows = Vec::new();
                for rec in records.by_ref() {
                    let rec = match rec {
                        Ok(rec) if rec.values.is_empty() => continue,
                        Ok(rec) => rec,
                        Err(e) => return Err(e.message.en.to_string()),
                    };
                    let cells = header.iter().map(|title| match rec.values.get(title) {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    });
                    out.write_record(cells).map_err(|e| e.to_string())?;
                    rows.push(rec.row);
                    if rows.len() >= size {
                        break;
                    }
                }
                let body = String::from_utf8(out.into_inner().map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                Ok((!rows.is_empty()).then_some(Chunk { body, rows }))
            }
        }
    }
}

/// What the reader of a workbook refused, in words.
fn app_error_text(e: &shuzhuan_app::AppError, lang: Lang) -> String {
    let lang = match lang {
        Lang::En => shuzhuan_app::Lang::En,
        Lang::Zh => shuzhuan_app::Lang::Zh,
    };
    match e {
        shuzhuan_app::AppError::Validation(errors) => errors
            .iter()
            .map(|f| f.message.get(lang))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.detail().get(lang),
    }
}

fn file_digest(path: &Path) -> Result<String, String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// What a run has had answered for good, kept next to the file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// The run's key: the file and every option that changes the outcome.
    run: String,
    /// Answered chunks by number.
    chunks: BTreeMap<u32, ChunkReport>,
}

impl Journal {
    fn path(file: &Path) -> PathBuf {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        file.with_file_name(format!(".{name}.shuzhuan-import.json"))
    }

    /// The journal of this run, or a fresh one (another run's is replaced).
    fn load(file: &Path, run: &str) -> Journal {
        std::fs::read(Journal::path(file))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Journal>(&bytes).ok())
            .filter(|j| j.run == run)
            .unwrap_or_else(|| Journal {
                run: run.to_owned(),
                chunks: BTreeMap::new(),
            })
    }

    fn save(&self, file: &Path) -> Result<(), String> {
        let path = Journal::path(file);
        let text = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        let temp = path.with_extension("tmp");
        std::fs::write(&temp, text)
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The key of a run: the file's digest and every option that changes what
/// the server does with it (and, after `--restart`, the moment).
fn run_key(opts: &Options, digest: &str, restarted_at: Option<u128>) -> String {
    let mut hasher = Sha256::new();
    for part in [
        digest,
        opts.registry.path(),
        opts.program_id.as_deref().unwrap_or(""),
        &opts.mode,
        if opts.partial { "partial" } else { "atomic" },
        if opts.dry_run { "dry" } else { "write" },
        &opts.chunk_rows.to_string(),
        opts.sheet.as_deref().unwrap_or(""),
        &restarted_at.map(|t| t.to_string()).unwrap_or_default(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// The problem a server answered, in words: title, detail and each field.
fn problem_text(answer: &Value) -> String {
    let mut text = [&answer["title"], &answer["detail"]]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(": ");
    if text.is_empty() {
        text = answer.to_string();
    }
    for e in answer["errors"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "\n  {}: {}",
            e["field"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ));
    }
    text
}

/// Reads one chunk's answer: its report (the file's row numbers put in),
/// or why the server refused it.
fn chunk_report(
    status: reqwest::StatusCode,
    answer: &Value,
    chunk: &Chunk,
) -> Result<ChunkReport, String> {
    let rejected = answer["code"] == "import_rejected";
    if !status.is_success() && !rejected {
        return Err(problem_text(answer));
    }
    let row_of = |n: u64| {
        usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(2))
            .and_then(|i| chunk.rows.get(i).copied())
            .unwrap_or(n)
    };
    let errors: Vec<RowError> = answer["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| RowError {
            row: row_of(e["row"].as_u64().unwrap_or(0)),
            column: e["column"].as_str().map(str::to_owned),
            code: e["code"].as_str().unwrap_or("").to_owned(),
            message: e["message"].as_str().unwrap_or("").to_owned(),
        })
        .collect();
    let mut failed: Vec<u64> = errors.iter().map(|e| e.row).collect();
    failed.sort_unstable();
    failed.dedup();
    let count = |key: &str| answer[key].as_u64().unwrap_or(0);
    Ok(ChunkReport {
        rows: chunk.rows.len() as u64,
        received: if rejected {
            chunk.rows.len() as u64
        } else {
            count("received")
        },
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        blank: count("blank"),
        failed: failed.len() as u64,
        rejected,
        errors,
    })
}

/// The command that resumes this run (the token left to the environment).
pub fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--token" && i + 1 < args.len() {
            args.drain(i..=i + 1);
            continue;
        }
        if args[i].starts_with("--token=") || args[i] == "--restart" {
            args.remove(i);
            continue;
        }
        i += 1;
    }
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the import and returns the merged report; `stop` set (by Ctrl-C)
/// ends it after the chunk in flight.
pub fn run(opts: &Options, stop: &Arc<AtomicBool>) -> Result<Merged, String> {
    let lang = opts.lang();
    let failed_chunk = |n: u32, why: &dyn std::fmt::Display| {
        say(
            lang,
            format!("{}: chunk {n}: {why}", opts.file.display()),
            format!("{}：第 {n} 块：{why}", opts.file.display()),
        )
    };
    let mut url = format!(
        "{}/api/v1/{}/import?mode={}&dry_run={}&atomic={}",
        opts.server.trim_end_matches('/'),
        opts.registry.path(),
        opts.mode,
        opts.dry_run,
        !opts.partial
    );
    if let Some(p) = &opts.program_id {
        url.push_str("&program_id=");
        url.push_str(&form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>());
    }
    let mut chunks = Chunks::open(&opts.file, opts.sheet.as_deref(), lang)?;
    let digest = file_digest(&opts.file)?;
    let restarted_at = opts.restart.then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    });
    let run = run_key(opts, &digest, restarted_at);
    // A dry run commits nothing, so there is nothing to resume.
    let journaled = !opts.dry_run;
    let mut journal = if journaled && !opts.restart {
        Journal::load(&opts.file, &run)
    } else {
        Journal {
            run: run.clone(),
            chunks: BTreeMap::new(),
        }
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .map_err(|e| e.to_string())?,
    );
    let media = chunks.media();
    let mut merged = Merged::default();
    let mut number = 0u32;
    while let Some(chunk) = chunks.next(opts.chunk_rows.max(1))? {
        number += 1;
        if let Some(done) = journal.chunks.get(&number) {
            merged.add(done);
            merged.resumed_chunks += 1;
            continue;
        }
        if stop.load(Ordering::SeqCst) {
            merged.interrupted = Some(u64::from(number - 1));
            break;
        }
        let res = client
            .post(&url)
            .bearer_auth(&opts.token)
            .header("Content-Type", media)
            .header(
                "Accept-Language",
                match lang {
                    Lang::En => "en",
                    Lang::Zh => "zh-CN",
                },
            )
            .header("Idempotency-Key", format!("{run}-{number}"))
            .body(chunk.body.clone())
            .send()
            .map_err(|e| failed_chunk(number, &e))?;
        let status = res.status();
        let answer: Value = res.json().map_err(|e| failed_chunk(number, &e))?;
        let report = chunk_report(status, &answer, &chunk).map_err(|e| {
            bar.abandon();
            failed_chunk(number, &e)
        })?;
        merged.add(&report);
        if journaled {
            journal.chunks.insert(number, report);
            journal.save(&opts.file)?;
        }
        bar.set_message(say(
            lang,
            format!("{} rows, chunk {number}", merged.rows),
            format!("{} 行，第 {number} 块", merged.rows),
        ));
        bar.tick();
    }
    bar.finish_and_clear();
    if merged.interrupted.is_none() && journaled {
        // Finished: a later run of the same file is a new import.
        let _ = std::fs::remove_file(Journal::path(&opts.file));
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            registry: Registry::Enterprises,
            file: "e.csv".into(),
            server: String::new(),
            token: String::new(),
            program_id: None,
            mode: "upsert".into(),
            dry_run: false,
            partial: false,
            chunk_rows: 5000,
            sheet: None,
            restart: false,
            lang: Some(Lang::Zh),
        }
    }

    #[test]
    fn every_option_that_changes_the_outcome_changes_the_key() {
        let base = run_key(&options(), "d", None);
        let with = |change: fn(&mut Options)| {
            let mut o = options();
            change(&mut o);
            run_key(&o, "d", None)
        };
        assert_eq!(base, run_key(&options(), "d", None));
        assert_ne!(base, run_key(&options(), "e", None));
        assert_ne!(base, with(|o| o.program_id = Some("yinchuan".into())));
        assert_ne!(base, with(|o| o.mode = "insert".into()));
        assert_ne!(base, with(|o| o.partial = true));
        assert_ne!(base, with(|o| o.dry_run = true));
        assert_ne!(base, with(|o| o.chunk_rows = 10));
        assert_ne!(base, run_key(&options(), "d", Some(1)));
        // The language changes only the words.
        assert_eq!(base, with(|o| o.lang = Some(Lang::En)));
    }

    #[test]
    fn a_rejected_chunk_counts_its_good_rows_as_skipped() {
        let chunk = Chunk {
            body: String::new(),
            rows: vec![2, 3, 5, 6],
        };
        let answer = serde_json::json!({
            "code": "import_rejected",
            "errors": [{"row": 4, "column": "企业规模", "code": "invalid_value", "message": "x"}]
        });
        let report =
            chunk_report(reqwest::StatusCode::UNPROCESSABLE_ENTITY, &answer, &chunk).unwrap();
        assert_eq!(report.errors[0].row, 5, "the chunk's row 4 is the file's 5");
        let mut merged = Merged::default();
        merged.add(&report);
        assert_eq!(
            (merged.failed, merged.skipped, merged.rejected_chunks),
            (1, 3, 1)
        );
        let refused = serde_json::json!({"title": "Forbidden", "detail": "No right."});
        assert_eq!(
            chunk_report(reqwest::StatusCode::FORBIDDEN, &refused, &chunk).unwrap_err(),
            "Forbidden: No right."
        );
    }
}
