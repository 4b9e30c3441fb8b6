//! `haymaker scenarios list|show|validate|select`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::scenarios::{select, Area, Library, Size};

#[derive(Debug, Subcommand)]
pub enum ScenariosCommand {
    /// List the scenarios of the library in use.
    List {
        /// Only this technology area (slug or name, e.g. `networking` or "Web Apps").
        #[arg(long)]
        area: Option<Area>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Read documents from this directory instead of the embedded library.
        #[arg(long, env = "HAYMAKER_SCENARIOS_DIR")]
        dir: Option<PathBuf>,
    },
    /// Print one scenario's document (or, with --json, its parsed metadata and steps).
    Show {
        /// Scenario name, e.g. `compute-01-linux-vm-nginx`.
        name: String,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "HAYMAKER_SCENARIOS_DIR")]
        dir: Option<PathBuf>,
    },
    /// Check every document; lists all problems with file and line, exits 1 if there is any.
    Validate {
        /// Directory to check [default: HAYMAKER_SCENARIOS_DIR, else the embedded library].
        #[arg(env = "HAYMAKER_SCENARIOS_DIR")]
        dir: Option<PathBuf>,
    },
    /// Choose scenarios for a run: spread over technology areas, reproducible with --seed.
    Select {
        /// small (5), medium (15), large (30) or a number.
        #[arg(long, default_value = "small")]
        size: Size,
        /// Seed for a reproducible choice [default: random, printed].
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "HAYMAKER_SCENARIOS_DIR")]
        dir: Option<PathBuf>,
    },
}

pub fn run(cmd: ScenariosCommand) -> ExitCode {
    match cmd {
        ScenariosCommand::List { area, json, dir } => {
            with_library(dir, |lib| list(lib, area, json))
        }
        ScenariosCommand::Show { name, json, dir } => {
            with_library(dir, |lib| show(lib, &name, json))
        }
        ScenariosCommand::Validate { dir } => with_library(dir, validate),
        ScenariosCommand::Select {
            size,
            seed,
            json,
            dir,
        } => with_library(dir, |lib| choose(lib, size, seed, json)),
    }
}

fn with_library(dir: Option<PathBuf>, f: impl FnOnce(&Library) -> ExitCode) -> ExitCode {
    match Library::load(dir.as_deref()) {
        Ok(lib) => f(&lib),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn warn_problems(lib: &Library) {
    if !lib.problems().is_empty() {
        eprintln!(
            "warning: {} problem(s) in {}; those documents are left out (run `haymaker scenarios validate`)",
            lib.problems().len(),
            lib.origin
        );
    }
}

fn list(lib: &Library, area: Option<Area>, json: bool) -> ExitCode {
    warn_problems(lib);
    let rows: Vec<_> = lib
        .scenarios()
        .iter()
        .filter(|s| area.is_none_or(|a| s.area() == a))
        .collect();
    if json {
        let out: Vec<_> = rows
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "title": s.title, "metadata": s.metadata}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    let width = rows.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
    println!("{:<width$}  {:<18}  {:>5}  TITLE", "NAME", "AREA", "TYPES");
    for s in &rows {
        println!(
            "{:<width$}  {:<18}  {:>5}  {}",
            s.name,
            s.area().slug(),
            s.metadata.resource_types.len(),
            s.title
        );
    }
    println!("{} scenario(s) from {}", rows.len(), lib.origin);
    ExitCode::SUCCESS
}

fn show(lib: &Library, name: &str, json: bool) -> ExitCode {
    let Some(s) = lib.get(name) else {
        let close: Vec<_> = lib
            .scenarios()
            .iter()
            .filter(|s| s.name.contains(name) || name.contains(s.area().slug()))
            .map(|s| s.name.as_str())
            .take(5)
            .collect();
        eprintln!(
            "error: no scenario `{name}` in {}{}; `haymaker scenarios list` shows them all",
            lib.origin,
            if close.is_empty() {
                String::new()
            } else {
                format!(" (similar: {})", close.join(", "))
            }
        );
        return ExitCode::from(2);
    };
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
    } else {
        print!("{}", s.document);
    }
    ExitCode::SUCCESS
}

fn validate(lib: &Library) -> ExitCode {
    for p in lib.problems() {
        println!("{p}");
    }
    let bad_files = {
        let mut f: Vec<_> = lib.problems().iter().map(|p| p.file.as_str()).collect();
        f.dedup();
        f.len()
    };
    let areas = Area::ALL
        .iter()
        .filter(|a| lib.in_area(**a).next().is_some())
        .count();
    println!(
        "{}: {} valid scenario(s) in {} area(s); {} document(s) with {} problem(s)",
        lib.origin,
        lib.scenarios().len(),
        areas,
        bad_files,
        lib.problems().len()
    );
    if lib.problems().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn choose(lib: &Library, size: Size, seed: Option<u64>, json: bool) -> ExitCode {
    warn_problems(lib);
    let seed = seed.unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
    match select(lib.scenarios(), size, seed) {
        Ok(chosen) => {
            if json {
                let names: Vec<_> = chosen.iter().map(|s| s.name.as_str()).collect();
                println!(
                    "{}",
                    serde_json::json!({"size": size.to_string(), "seed": seed, "scenarios": names})
                );
            } else {
                for s in &chosen {
                    println!("{:<18} {}", s.area().slug(), s.name);
                }
                println!("{} scenario(s), seed {seed}", chosen.len());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
