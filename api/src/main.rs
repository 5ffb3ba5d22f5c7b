//! `shuzhuan`: serve the API, run migrations, or print the OpenAPI document.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shuzhuan_api::Settings;

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
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(settings) => serve(settings),
        Command::Migrate(settings) => migrate(&settings),
        Command::Openapi => shuzhuan_openapi::render(&shuzhuan_api::openapi())
            .map(|text| print!("{text}"))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("shuzhuan: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(settings: &Settings) -> Result<(), String> {
    let db = shuzhuan_persistence::Db::connect(&settings.database_url(), 1)
        .map_err(|e| e.to_string())?;
    let ran = db.migrate().map_err(|e| e.to_string())?;
    println!("{ran} migration(s) applied ({})", db.backend().name());
    Ok(())
}

fn serve(settings: Settings) -> Result<(), String> {
    let state = shuzhuan_api::prepare(&settings).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(&settings.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "Shuzhuan is serving on http://{addr} ({} database)",
        state.db.backend().name()
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
        .block_on(async move { shuzhuan_api::server(state, listener, workers)?.await })
        .map_err(|e| e.to_string())
}
