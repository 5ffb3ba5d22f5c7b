//! `shuzhuan import …`: sends a large file to a running server's import
//! endpoint in chunks (each chunk its own request and unit of work), with
//! a progress bar, and prints one merged report.
//!
//! Each chunk carries an `Idempotency-Key` made of the file's SHA-256, the
//! chunk number and the import options, so running the same command again
//! after a dropped connection replays the chunks that went through and
//! sends only the rest. `--atomic` holds per chunk, not for the whole file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::Duration;

use encoding_rs_io::DecodeReaderBytesBuilder;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use shuzhuan_app::imports::detect_encoding;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Registry {
    Enterprises,
    Providers,
    Products,
}

#[derive(Debug, clap::Args)]
pub struct Options {
    /// What the file holds.
    #[arg(value_enum)]
    pub registry: Registry,
    /// A CSV (UTF-8, UTF-8 with BOM, or GB18030) or NDJSON file.
    pub file: PathBuf,
    /// The server's base URL.
    #[arg(long, env = "SHUZHUAN_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// A bearer token (an API token `szt_…` or an access token).
    #[arg(long, env = "SHUZHUAN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The programme whose region and industry names the rows use.
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
}

/// The server's report of one chunk.
#[derive(Debug, Default, Deserialize)]
struct ChunkReport {
    #[serde(default)]
    received: u64,
    #[serde(default)]
    created: u64,
    #[serde(default)]
    updated: u64,
    #[serde(default)]
    unchanged: u64,
    #[serde(default)]
    errors: Vec<Value>,
}

/// The merged report: counts over all chunks, row numbers of the file.
#[derive(Debug, Default)]
pub struct Merged {
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed_chunks: u64,
    pub errors: Vec<Value>,
}

/// Splits a file into request bodies of `rows` data rows (CSV: each with
/// the header, re-encoded as UTF-8), read as it goes.
struct Chunks {
    lines: Box<dyn Iterator<Item = std::io::Result<String>>>,
    header: Option<String>,
    rows: usize,
    csv: bool,
}

impl Chunks {
    fn open(path: &PathBuf, rows: usize) -> Result<Self, String> {
        let csv = !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"));
        let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let encoding = detect_encoding(&mut file).map_err(|e| e.to_string())?;
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .build(file);
        let mut lines: Box<dyn Iterator<Item = std::io::Result<String>>> =
            Box::new(BufReader::new(decoded).lines());
        let header = if csv {
            Some(
                lines
                    .next()
                    .transpose()
                    .map_err(|e| e.to_string())?
                    .ok_or("the file is empty")?,
            )
        } else {
            None
        };
        Ok(Chunks {
            lines,
            header,
            rows,
            csv,
        })
    }

    /// The next body and how many data rows it holds. A quoted CSV field
    /// may span lines: lines are joined until the quotes balance.
    fn next_body(&mut self) -> Result<Option<(String, u64)>, String> {
        let mut body = self.header.clone().map(|h| h + "\n").unwrap_or_default();
        let mut n = 0u64;
        while n < self.rows as u64 {
            let Some(line) = self.lines.next().transpose().map_err(|e| e.to_string())? else {
                break;
            };
            let mut record = line;
            while self.csv && record.matches('"').count() % 2 == 1 {
                match self.lines.next().transpose().map_err(|e| e.to_string())? {
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
            body.push_str(&record);
            body.push('\n');
            n += 1;
        }
        Ok((n > 0).then_some((body, n)))
    }
}

fn file_digest(path: &PathBuf) -> Result<String, String> {
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

/// Runs the import and returns the merged report.
pub fn run(opts: &Options) -> Result<Merged, String> {
    let path = match opts.registry {
        Registry::Enterprises => "enterprises",
        Registry::Providers => "providers",
        Registry::Products => "products",
    };
    let mut url = format!(
        "{}/api/v1/{path}/import?mode={}&dry_run={}&atomic={}",
        opts.server.trim_end_matches('/'),
        opts.mode,
        opts.dry_run,
        !opts.partial
    );
    if let Some(p) = &opts.program_id {
        url.push_str(&format!("&program_id={p}"));
    }
    let digest = file_digest(&opts.file)?;
    let options_tag = format!(
        "{}{}{}",
        opts.mode,
        u8::from(opts.dry_run),
        u8::from(opts.partial)
    );
    let size = std::fs::metadata(&opts.file)
        .map_err(|e| e.to_string())?
        .len();
    let mut chunks = Chunks::open(&opts.file, opts.chunk_rows.max(1))?;
    let media = if chunks.csv {
        "text/csv"
    } else {
        "application/x-ndjson"
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())?;
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        )
        .map_err(|e| e.to_string())?,
    );
    let mut merged = Merged::default();
    let mut offset = 0u64;
    let mut number = 0u32;
    while let Some((body, rows)) = chunks.next_body()? {
        number += 1;
        let sent = body.len() as u64;
        let res = client
            .post(&url)
            .bearer_auth(&opts.token)
            .header("Content-Type", media)
            .header(
                "Idempotency-Key",
                format!("{}-{options_tag}-{number}", &digest[..32]),
            )
            .body(body)
            .send()
            .map_err(|e| format!("chunk {number}: {e}"))?;
        let status = res.status();
        let answer: Value = res.json().map_err(|e| format!("chunk {number}: {e}"))?;
        let report: ChunkReport = if status.is_success() {
            serde_json::from_value(answer).map_err(|e| e.to_string())?
        } else if answer["code"] == "import_rejected" {
            merged.failed_chunks += 1;
            ChunkReport {
                received: rows,
                errors: answer["errors"].as_array().cloned().unwrap_or_default(),
                ..Default::default()
            }
        } else {
            bar.abandon();
            return Err(format!("chunk {number}: {status}: {answer}"));
        };
        merged.received += report.received;
        merged.created += report.created;
        merged.updated += report.updated;
        merged.unchanged += report.unchanged;
        for mut e in report.errors {
            // Row numbers of the chunk become row numbers of the file.
            if let Some(row) = e["row"].as_u64() {
                e["row"] = (row + offset).into();
            }
            if let Some(field) = e["field"].as_str().and_then(|f| f.strip_prefix("row ")) {
                let (n, rest) = field.split_once(':').unwrap_or((field, ""));
                if let Ok(n) = n.trim().parse::<u64>() {
                    e["field"] = format!("row {}:{rest}", n + offset).into();
                }
            }
            merged.errors.push(e);
        }
        offset += rows;
        bar.inc(sent);
        bar.set_message(format!("{} rows", merged.received));
    }
    bar.finish();
    Ok(merged)
}
