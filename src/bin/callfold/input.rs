//! What the subcommands share: opening the input, writing the output, reporting errors.

use std::error::Error;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use callfold::LogError;

/// Why a command could not finish: exit code 2, or a quiet stop on a closed pipe.
#[derive(Debug)]
pub enum Failure {
    /// The input could not be opened or read.
    Input { name: String, source: io::Error },
    /// Standard output failed for another reason than a closed pipe.
    Output(io::Error),
    /// Standard output was closed by the reader.
    BrokenPipe,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Input { name, source } => write!(f, "cannot read {name}: {source}"),
            Failure::Output(source) => write!(f, "cannot write the output: {source}"),
            Failure::BrokenPipe => f.write_str("output closed"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Output(e)
        }
    }
}

/// The log to read: a file, or standard input for `-` or no argument.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead>,
}

impl Input {
    pub fn open(path: Option<&Path>) -> Result<Input, Failure> {
        match path {
            None => Ok(Input::stdin()),
            Some(p) if p == Path::new("-") => Ok(Input::stdin()),
            Some(p) => {
                let name = p.display().to_string();
                let fail = |source| Failure::Input {
                    name: name.clone(),
                    source,
                };
                if p.is_dir() {
                    return Err(fail(io::Error::new(
                        io::ErrorKind::IsADirectory,
                        "it is a directory",
                    )));
                }
                let file = File::open(p).map_err(fail)?;
                Ok(Input {
                    name,
                    reader: Box::new(BufReader::with_capacity(1 << 16, file)),
                })
            }
        }
    }

    fn stdin() -> Input {
        Input {
            name: "standard input".to_owned(),
            reader: Box::new(io::stdin().lock()),
        }
    }
}

/// The failure for a read error in the middle of the log named `name`.
pub fn read_failure(name: &str, error: LogError) -> Failure {
    let source = match error {
        LogError::Io { source, .. } => source,
        other => io::Error::other(chain(&other)),
    };
    Failure::Input {
        name: name.to_owned(),
        source,
    }
}

/// The FILE argument the subcommands share.
#[derive(clap::Args)]
pub struct FileArg {
    /// JSON-lines log of callback bodies; `-` or nothing reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// An error and its sources, joined by ": ", as one line.
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Standard output, buffered.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(1 << 16, io::stdout().lock())
}
