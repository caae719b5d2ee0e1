//! Why a command could not finish, and how errors are told to people.

use std::error::Error;
use std::fmt;
use std::io;

use callfold::LogError;

/// Why a command could not finish: exit code 2, or a quiet stop on a closed pipe.
#[derive(Debug)]
pub enum Failure {
    /// The input could not be opened or read.
    Input { name: String, source: io::Error },
    /// Standard output failed for another reason than a closed pipe.
    Output(io::Error),
    /// The rejects file could not be made or written.
    Rejects { name: String, source: io::Error },
    /// An input is not a log callfold reads; the hint says what it is and what to do.
    Shape { name: String, hint: String },
    /// The command line asks for something that cannot be done, said in words.
    Usage(String),
    /// Standard output was closed by the reader.
    BrokenPipe,
    /// `callfold serve` cannot start, and why.
    #[cfg(feature = "server")]
    Serve(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Input { name, source } => write!(f, "cannot read {name}: {source}"),
            Failure::Output(source) => write!(f, "cannot write the output: {source}"),
            Failure::Rejects { name, source } => {
                write!(f, "cannot write the rejected lines to {name}: {source}")
            }
            Failure::Shape { name, hint } => write!(f, "{name}: {hint}"),
            Failure::Usage(text) => f.write_str(text),
            Failure::BrokenPipe => f.write_str("output closed"),
            #[cfg(feature = "server")]
            Failure::Serve(why) => write!(f, "serve: {why}"),
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

impl From<csv::Error> for Failure {
    fn from(e: csv::Error) -> Failure {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => Failure::from(e),
            _ => Failure::Output(io::Error::other(text)),
        }
    }
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
