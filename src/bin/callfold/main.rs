//! The `callfold` command: a thin layer over the library's public API, one file per subcommand, and
//! what they share: the flags (`args`), opening the input (`open`), folding it (`replay`), failing
//! (`failure`) and writing for people (`format`).

mod args;
mod check;
mod decode;
#[cfg(feature = "nats")]
mod export;
mod failure;
mod format;
mod generate;
mod history;
#[cfg(feature = "nats")]
mod import;
mod legs;
mod open;
mod pictures;
mod replay;
mod report;
#[cfg(feature = "server")]
mod serve;
mod sources;
mod stats;
#[cfg(feature = "nats")]
mod stream;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::failure::Failure;

const EXIT_CODES: &str = "\
Exit codes:
  0  the log is clean: every line was read, and no leg has a conflict or a violation
  1  something was reported (all of it is): a line rejected, an input cut short (a gzip stream
     that breaks off), a leg with conflicts or violations, a callback later than --lateness;
     for check, also a stale leg
  2  usage error, an input that cannot be read or is not a log callfold reads, or output that
     cannot be written";

/// Fold Bandwidth Voice transfer callbacks into per-leg state and check them.
#[derive(Parser)]
#[command(name = "callfold", version, about, after_help = EXIT_CODES)]
#[command(
    long_about = "Fold Bandwidth Voice transfer callbacks (transferAnswer, transferDisconnect, ...) into \
the state of each transfer leg, and check the invariants real data must keep.\n\nInput is a JSON-lines log: one \
callback body per line, in any order, duplicates allowed. Blank lines are skipped; every other line is either \
used or reported as `line N: <reason>`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Rebuild call history: one record per call, as JSON, CSV or a table
    #[command(after_help = EXIT_CODES)]
    History(history::Args),
    /// Telecom figures: outcomes, causes, ASR, ACD, ring and queue times
    #[command(after_help = EXIT_CODES)]
    Stats(stats::Args),
    /// Print a realistic, deterministic log of transfer traffic
    Generate(generate::Args),
    /// Print each callback as callfold reads it (canonical JSON)
    #[command(after_help = EXIT_CODES)]
    Decode(decode::Args),
    /// Print one JSON line per transfer leg, sorted by callId
    #[command(after_help = EXIT_CODES)]
    Legs(legs::Args),
    /// Report unreadable lines, invariant violations and conflicts
    #[command(after_help = EXIT_CODES)]
    Check(check::Args),
    /// Write one self-contained HTML report: charts, findings and call timelines
    #[command(after_help = EXIT_CODES)]
    Report(report::Args),
    /// Write a log out as JSON lines: a JetStream stream (nats://HOST:PORT/STREAM) or a data directory
    #[cfg(feature = "nats")]
    Export(export::Args),
    /// Publish a data directory into the JetStream stream of `serve --nats`, each body once
    #[cfg(feature = "nats")]
    Import(import::Args),
    /// Receive callbacks over HTTP into a durable log, and serve every leg's state
    #[cfg(feature = "server")]
    Serve(serve::Args),
}

/// 1 when something was reported, 0 when not.
fn exit(findings: bool) -> ExitCode {
    if findings {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::History(args) => history::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Decode(args) => decode::run(&args),
        Command::Legs(args) => legs::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Report(args) => report::run(&args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(&args),
        #[cfg(feature = "nats")]
        Command::Export(args) => export::run(&args),
        #[cfg(feature = "nats")]
        Command::Import(args) => import::run(&args),
    };
    match result {
        Ok(code) => code,
        // `callfold legs log | head`: the reader went away; stop quietly, as `head` expects.
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("callfold: {failure}");
            ExitCode::from(2)
        }
    }
}
