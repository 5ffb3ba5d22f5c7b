//! `shuzhuan`: serve the API, run migrations, print the OpenAPI document,
//! load demo data, or send a file to a server's import.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use shuzhuan_api::Settings;
use shuzhuan_api::config::LogFormat;
use shuzhuan_api::import::client;

#[derive(Parser)]
#[command(
    name = "shuzhuan",
    version,
    about = "Shuzhuan (数转): the SME digital-transformation pilot API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, load the seed programmes on first start, and serve.
    Serve(Settings),
    /// Apply pending database migrations and exit.
    Migrate(Settings),
    /// Print the OpenAPI document (what /openapi.json serves).
    Openapi,
    /// Fill a programme with realistic synthetic enterprises, providers
    /// and products (valid codes, Chinese names, its districts and
    /// industries); codes that exist are left alone.
    DemoData {
        #[command(flatten)]
        settings: Settings,
        /// The programme's code.
        #[arg(long, default_value = "yinchuan")]
        program: String,
        /// How many enterprises.
        #[arg(long, default_value_t = 200)]
        enterprises: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Send a CSV, .xlsx or NDJSON file to a running server's import, in chunks,
    /// with a progress bar; prints the merged report.
    Import(client::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Command::Serve(settings) => settings.guard.log_format,
        _ => LogFormat::Text,
    };
    shuzhuan_api::observe::init_logging(format);
    let result = match cli.command {
        Command::Serve(settings) => serve(settings),
        Command::Migrate(settings) => migrate(&settings),
        Command::DemoData {
            settings,
            program,
            enterprises,
            seed,
        } => demo_data(
            &settings,
            &shuzhuan_app::demo::Spec {
                program,
                enterprises,
                seed,
            },
        ),
        Command::Import(options) => return import(&options),
        Command::Openapi => shuzhuan_openapi::render(&shuzhuan_api::openapi())
            .map(|text| print!("{text}"))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Said once, on stderr (the log would say it a second time).
            eprintln!("shuzhuan: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(settings: &Settings) -> Result<(), String> {
    let limits = shuzhuan_persistence::Limits {
        pool_size: 1,
        ..settings.db.limits()
    };
    let db = shuzhuan_persistence::Db::open(&settings.database_url(), &limits)
        .map_err(|e| e.to_string())?;
    let ran = db
        .migrate()
        .map_err(|e| shuzhuan_app::error::cause_chain(&e))?;
    println!("{ran} migration(s) applied ({})", db.backend().name());
    Ok(())
}

fn demo_data(settings: &Settings, spec: &shuzhuan_app::demo::Spec) -> Result<(), String> {
    let limits = shuzhuan_persistence::Limits {
        pool_size: 2,
        ..settings.db.limits()
    };
    let db = shuzhuan_persistence::Db::open(&settings.database_url(), &limits)
        .map_err(|e| e.to_string())?;
    shuzhuan_app::bootstrap::run(&db, settings.admin_password.as_deref())
        .map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let out = shuzhuan_app::demo::load(&db, spec).map_err(|e| match e {
        shuzhuan_app::AppError::Validation(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message.en))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    println!(
        "{}: {} enterprises, {} providers (admitted), {} products (listed) created; {} existed already ({:.1} s)",
        spec.program,
        out.enterprises,
        out.providers,
        out.products,
        out.existing,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `shuzhuan import`: the merged report on stdout; exit 1 with row
/// errors, 130 when Ctrl-C stopped it (with the command that resumes).
fn import(options: &client::Options) -> ExitCode {
    let lang = options.lang();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // The first Ctrl-C stops after the chunk in flight; a second one at once.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let merged = match client::run(options, &stop) {
        Ok(merged) => merged,
        Err(e) => {
            eprintln!("shuzhuan: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", merged.render(&options.file, lang));
    if let Some(chunks) = merged.interrupted {
        let resume = client::resume_command();
        eprintln!(
            "{}",
            match lang {
                client::Lang::En => format!(
                    "Interrupted: {chunks} chunks ({} rows) are committed. Resume with:\n  {resume}",
                    merged.rows
                ),
                client::Lang::Zh => format!(
                    "已中断：{chunks} 个分块（{} 行）已提交。继续导入请运行：\n  {resume}",
                    merged.rows
                ),
            }
        );
        return ExitCode::from(130);
    }
    if merged.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Listens first, so `/healthz` answers while the database is migrated and
/// the seed programmes load; then serves until SIGTERM or SIGINT, drains,
/// and exits.
fn serve(settings: Settings) -> Result<(), String> {
    let listener = TcpListener::bind(&settings.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let starting = shuzhuan_api::Starting::serve(&listener).map_err(|e| e.to_string())?;
    log::info!("listening on http://{addr}; migrating and loading the seed programmes");
    let prepared = shuzhuan_api::prepare(&settings);
    starting.finish();
    let state = prepared.map_err(|e| shuzhuan_app::error::cause_chain(&e))?;
    println!(
        "Shuzhuan is serving on http://{addr} ({} database)",
        state.app.db.backend().name()
    );
    println!("  API docs:     http://{addr}/docs/");
    println!("  OpenAPI:      http://{addr}/openapi.json");
    println!(
        "  Log in:       curl -s -X POST http://{addr}/api/v1/auth/token -H 'Content-Type: application/json' \\"
    );
    println!(
        "                  -d '{{\"username\":\"admin\",\"password\":\"<SHUZHUAN_ADMIN_PASSWORD>\"}}'"
    );
    let workers = settings.workers;
    actix_web::rt::System::new()
        .block_on(async move {
            let (_stopper, done) = shuzhuan_api::start(state, listener, workers)?;
            done.await
        })
        .map_err(|e| e.to_string())
}
