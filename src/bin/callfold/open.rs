//! Opening the input: a file or standard input, gzip or plain, with a progress bar on a terminal and the
//! rejects file if asked for.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use callfold::{Counts, LogError, LogReader};
use flate2::bufread::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::LogArgs;
use crate::failure::{Failure, read_failure};

/// The log to read: a file, or standard input for `-` or no argument; gzip is recognised by its magic
/// bytes, so a `.gz` file or a compressed pipe both work.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead>,
    progress: Option<ProgressBar>,
}

impl Input {
    pub fn open(args: &LogArgs) -> Result<Input, Failure> {
        let path = args.file.as_deref().filter(|p| *p != Path::new("-"));
        let Some(path) = path else {
            return Input::decompressed(
                "standard input".to_owned(),
                Box::new(io::stdin().lock()),
                None,
            );
        };
        let name = path.display().to_string();
        let fail = |source| Failure::Input {
            name: name.clone(),
            source,
        };
        if path.is_dir() {
            return Err(fail(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )));
        }
        let file = File::open(path).map_err(fail)?;
        let progress = (!args.quiet && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(file.metadata().map_or(0, |m| m.len()));
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        let raw: Box<dyn Read> = match &progress {
            Some(bar) => Box::new(bar.wrap_read(file)),
            None => Box::new(file),
        };
        Input::decompressed(
            name,
            Box::new(BufReader::with_capacity(1 << 16, raw)),
            progress,
        )
    }

    fn decompressed(
        name: String,
        mut reader: Box<dyn BufRead>,
        progress: Option<ProgressBar>,
    ) -> Result<Input, Failure> {
        let gzip = reader
            .fill_buf()
            .map_err(|source| Failure::Input {
                name: name.clone(),
                source,
            })?
            .starts_with(&[0x1f, 0x8b]);
        if gzip {
            reader = Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(reader),
            ));
        }
        Ok(Input {
            name,
            reader,
            progress,
        })
    }
}

/// An opened log: its reader (with the rejects file if asked) and progress bar.
pub struct OpenLog {
    name: String,
    pub log: LogReader<Box<dyn BufRead>>,
    pub progress: Option<ProgressBar>,
    rejects_name: String,
}

impl OpenLog {
    pub fn new(args: &LogArgs) -> Result<OpenLog, Failure> {
        let Input {
            name,
            reader,
            progress,
        } = Input::open(args)?;
        let mut log = LogReader::new(reader).with_max_line(args.max_line);
        let rejects_name = args
            .rejects
            .as_deref()
            .map_or(String::new(), |p| p.display().to_string());
        if let Some(path) = &args.rejects {
            let file = File::create(path).map_err(|source| Failure::Rejects {
                name: rejects_name.clone(),
                source,
            })?;
            log = log.with_rejects(file);
        }
        Ok(OpenLog {
            name,
            log,
            progress,
            rejects_name,
        })
    }

    /// The failure for an error that ends the reading.
    pub fn failure(&self, error: LogError) -> Failure {
        match error {
            LogError::Rejects { source, .. } => Failure::Rejects {
                name: self.rejects_name.clone(),
                source,
            },
            other => read_failure(&self.name, other),
        }
    }

    /// Reports a bad line, above the progress bar if there is one.
    pub fn report(
        progress: Option<&ProgressBar>,
        bad_line: &mut impl FnMut(&LogError) -> Result<(), Failure>,
        error: &LogError,
    ) -> Result<(), Failure> {
        match progress {
            Some(bar) => bar.suspend(|| bad_line(error)),
            None => bad_line(error),
        }
    }

    pub fn finish(self) -> Counts {
        if let Some(bar) = self.progress {
            bar.finish_and_clear();
        }
        self.log.counts()
    }
}
