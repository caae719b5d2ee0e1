//! Opening the input: files or standard input, gzip or plain, several read as one, with a progress bar
//! on a terminal and the rejects file if asked for. An input in a shape callfold does not read is
//! refused with a hint before anything is read.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use callfold::{Counts, EventLog, Filter, LogError, LogReader};
use flate2::bufread::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::LogArgs;
use crate::failure::{Failure, chain, read_failure};
use crate::sources::{Concat, Layout, Tolerant, wrong_shape};

/// An opened log: its reader (with the rejects file if asked), its progress bar, and where each input
/// starts in it.
pub struct OpenLog {
    name: String,
    pub log: LogReader<Box<dyn BufRead>>,
    pub progress: Option<ProgressBar>,
    rejects_name: String,
    layout: Rc<RefCell<Layout>>,
}

/// What was read, once the log is done.
pub struct Done {
    pub counts: Counts,
    /// Inputs whose gzip stream broke off (each reported like a bad line).
    pub damaged: usize,
}

impl Done {
    /// Whether reading found something to report: a bad line, or an input cut short.
    pub fn findings(&self) -> bool {
        self.counts.rejected > 0 || self.damaged > 0
    }
}

impl OpenLog {
    pub fn new(args: &LogArgs) -> Result<OpenLog, Failure> {
        let layout = Rc::new(RefCell::new(Layout::default()));
        let paths = expand_data_dirs(&args.files)?;
        let paths: Vec<&Path> = paths.iter().map(std::path::PathBuf::as_path).collect();
        if paths.is_empty() && io::stdin().is_terminal() {
            return Err(Failure::Usage(
                "no input: give a log FILE, or pipe one in (`-` reads standard input, even from a \
                 terminal)"
                    .to_owned(),
            ));
        }
        let total = paths
            .iter()
            .filter(|p| **p != Path::new("-"))
            .filter_map(|p| p.metadata().ok())
            .map(|m| m.len())
            .sum();
        let progress = (!args.quiet && io::stderr().is_terminal() && total > 0).then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        let mut inputs = Vec::new();
        for path in if paths.is_empty() {
            vec![Path::new("-")]
        } else {
            paths
        } {
            inputs.push(open_one(path, progress.as_ref(), &layout)?);
        }
        let name = match inputs.as_slice() {
            [(name, _)] => name.clone(),
            _ => format!("{} inputs", inputs.len()),
        };
        let reader: Box<dyn BufRead> = if inputs.len() == 1 {
            inputs
                .pop()
                .map_or_else(|| Box::new(io::empty()) as Box<dyn BufRead>, |(_, r)| r)
        } else {
            Box::new(Concat::new(inputs, Rc::clone(&layout)))
        };
        let filter = Filter {
            since: args.since,
            until: args.until,
            call: args.call.clone(),
        };
        let mut log = LogReader::new(reader)
            .with_max_line(args.max_line)
            .with_filter(filter);
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
            layout,
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

    /// Turns a bad line into the words a user reads, and where it is: `line N: reason`, or with
    /// several inputs, `FILE: line N: reason` with the input's own line number.
    pub fn describer(&self) -> impl Fn(&LogError) -> String + use<> {
        let layout = Rc::clone(&self.layout);
        move |error| describe(&layout.borrow(), error)
    }

    /// Tells where a line of the log is, as bad lines are told: `line N`, or `FILE: line N`.
    pub fn placer(&self) -> impl Fn(u64) -> String + use<> {
        let layout = Rc::clone(&self.layout);
        move |line| place(&layout.borrow(), line)
    }

    /// Reports a bad line, above the progress bar if there is one.
    pub fn report(
        progress: Option<&ProgressBar>,
        bad_line: &mut impl FnMut(&str) -> Result<(), Failure>,
        text: &str,
    ) -> Result<(), Failure> {
        match progress {
            Some(bar) => bar.suspend(|| bad_line(text)),
            None => bad_line(text),
        }
    }

    /// Ends the reading: clears the progress bar, and reports each input cut short.
    pub fn finish(
        self,
        bad_line: &mut impl FnMut(&str) -> Result<(), Failure>,
    ) -> Result<Done, Failure> {
        if let Some(bar) = self.progress {
            bar.finish_and_clear();
        }
        let layout = self.layout.borrow();
        for damage in &layout.damages {
            bad_line(&format!(
                "{}: line {}: the gzip stream breaks off after {} bytes ({}); the lines before were read",
                damage.name, damage.line, damage.bytes, damage.error
            ))?;
        }
        Ok(Done {
            counts: self.log.counts(),
            damaged: layout.damages.len(),
        })
    }
}

/// A bad line in words, placed in its input when there are several.
fn describe(layout: &Layout, error: &LogError) -> String {
    let text = chain(error);
    let rest = text
        .strip_prefix(&format!("line {}", error.line()))
        .unwrap_or(&text);
    format!("{}{rest}", place(layout, error.line()))
}

/// `line N` of the log, or with several inputs, `FILE: line N` with the input's own line number.
fn place(layout: &Layout, line: u64) -> String {
    match layout.locate(line) {
        Some((name, line)) => format!("{name}: line {line}"),
        None => format!("line {line}"),
    }
}

/// One input, ready to read: its name and a reader of its log, decompressed.
/// The inputs with each data directory (of `callfold serve`, or of an [`EventLog`]) replaced by its
/// segments, in log order. A directory without segments is refused.
fn expand_data_dirs(files: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut paths = Vec::with_capacity(files.len());
    for path in files {
        if !path.is_dir() {
            paths.push(path.clone());
            continue;
        }
        let name = path.display().to_string();
        let segments = EventLog::segment_files(path).map_err(|source| Failure::Input {
            name: name.clone(),
            source,
        })?;
        if segments.is_empty() {
            return Err(Failure::Input {
                name,
                source: io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory without a segments/ folder of callfold's (give a log file, or \
                     the --data directory of `callfold serve`)",
                ),
            });
        }
        paths.extend(segments);
    }
    Ok(paths)
}

fn open_one(
    path: &Path,
    progress: Option<&ProgressBar>,
    layout: &Rc<RefCell<Layout>>,
) -> Result<(String, Box<dyn BufRead>), Failure> {
    if path == Path::new("-") {
        return decompressed(
            "standard input".to_owned(),
            Box::new(io::stdin().lock()),
            layout,
        );
    }
    let name = path.display().to_string();
    let fail = |source| Failure::Input {
        name: name.clone(),
        source,
    };
    #[cfg(feature = "nats")]
    if crate::stream::is_stream(&name) {
        let reader = crate::stream::open(&name).map_err(|e| fail(io::Error::other(e)))?;
        return decompressed(
            name.clone(),
            Box::new(BufReader::with_capacity(1 << 16, reader)),
            layout,
        );
    }
    let file = File::open(path).map_err(fail)?;
    let raw: Box<dyn Read> = match progress {
        Some(bar) => Box::new(bar.wrap_read(file)),
        None => Box::new(file),
    };
    decompressed(
        name,
        Box::new(BufReader::with_capacity(1 << 16, raw)),
        layout,
    )
}

/// The log in `reader`: gzip is recognised by its magic bytes (a `.gz` file or a compressed pipe), and
/// read up to where its stream breaks off, if it does; a shape callfold does not read is refused.
fn decompressed(
    name: String,
    mut reader: Box<dyn BufRead>,
    layout: &Rc<RefCell<Layout>>,
) -> Result<(String, Box<dyn BufRead>), Failure> {
    let fail = |source| Failure::Input {
        name: name.clone(),
        source,
    };
    let gzip = reader.fill_buf().map_err(fail)?.starts_with(&[0x1f, 0x8b]);
    if gzip {
        let stream = Tolerant::new(MultiGzDecoder::new(reader), name.clone(), Rc::clone(layout));
        reader = Box::new(BufReader::with_capacity(1 << 16, stream));
    }
    if let Some(hint) = wrong_shape(reader.fill_buf().map_err(fail)?) {
        return Err(Failure::Shape { name, hint });
    }
    Ok((name, reader))
}
