//! Folding the opened log with the library: whole (on `--threads` threads), legs alone, or streaming
//! with `--lateness`. Bad lines are reported, in words and in their place, above the progress bar.

use std::io::{self, BufRead, Write};

use callfold::{Call, Callback, History, Leg, LogError, LogReader, Stop, StreamingHistory};

use crate::args::{CallArgs, LogArgs};
use crate::failure::Failure;
use crate::open::{Done, OpenLog};

/// Reads the log, giving each callback (with its line number) to `callback` and each line that is not
/// one to `bad_line`, in words.
pub fn read_log(
    args: &LogArgs,
    mut callback: impl FnMut(u64, &Callback) -> Result<(), Failure>,
    mut bad_line: impl FnMut(&str) -> Result<(), Failure>,
) -> Result<Done, Failure> {
    let mut open = OpenLog::new(args)?;
    let describe = open.describer();
    while let Some(item) = open.log.next() {
        match item {
            Ok((line, cb)) => callback(line, &cb)?,
            Err(error @ (LogError::Line { .. } | LogError::TooLong { .. })) => {
                OpenLog::report(open.progress.as_ref(), &mut bad_line, &describe(&error))?;
            }
            Err(error) => return Err(open.failure(error)),
        }
    }
    open.finish(&mut bad_line)
}

/// Folds the whole log into a history, on `threads` threads.
pub fn read_history(
    args: &LogArgs,
    threads: usize,
    bad_line: impl FnMut(&str) -> Result<(), Failure>,
) -> Result<(History, Done), Failure> {
    replay_with(args, threads, bad_line, |log, threads, report| {
        History::replay(log, threads, report)
    })
}

/// Folds the legs of the whole log, and nothing else, on `threads` threads: sorted by `callId`.
pub fn read_legs(
    args: &LogArgs,
    threads: usize,
    bad_line: impl FnMut(&str) -> Result<(), Failure>,
) -> Result<(Vec<Leg>, Done), Failure> {
    replay_with(args, threads, bad_line, |log, threads, report| {
        Leg::replay(log, threads, report)
    })
}

/// Opens the log and runs `replay` on it (`History::replay`, `Leg::replay`, or a streaming history's),
/// with bad lines reported above the progress bar.
fn replay_with<T>(
    args: &LogArgs,
    threads: usize,
    mut bad_line: impl FnMut(&str) -> Result<(), Failure>,
    replay: impl FnOnce(
        &mut LogReader<Box<dyn BufRead>>,
        usize,
        &mut dyn FnMut(&LogError) -> Result<(), Failure>,
    ) -> Result<T, Stop<Failure>>,
) -> Result<(T, Done), Failure> {
    let mut open = OpenLog::new(args)?;
    let progress = open.progress.clone();
    let describe = open.describer();
    let replayed = replay(&mut open.log, threads, &mut |error| {
        OpenLog::report(progress.as_ref(), &mut bad_line, &describe(error))
    });
    match replayed {
        Ok(folded) => Ok((folded, open.finish(&mut bad_line)?)),
        Err(Stop::Report(failure)) => Err(failure),
        Err(Stop::Log(error)) => Err(open.failure(error)),
    }
}

/// Gives every call of the log to `on_call`: after the whole log (exact), or, with `--lateness`, as each
/// call is over (streaming; late callbacks go to stderr as `line N: late for call …`). Returns what was
/// read, and whether a callback was late.
pub fn for_each_call(
    args: &CallArgs,
    mut on_call: impl FnMut(&Call<'_>) -> Result<(), Failure>,
) -> Result<(Done, bool), Failure> {
    let (log, options) = (&args.log, args.history.options());
    let Some(lateness) = args.stream.lateness else {
        let (history, done) = read_history(log, args.threads.threads(), to_stderr)?;
        let calls = history.calls(&options);
        for call in &calls {
            on_call(call)?;
        }
        drop(calls);
        exit_without_freeing(history);
        return Ok((done, false));
    };
    let mut late = false;
    let mut open = OpenLog::new(log)?;
    let describe = open.describer();
    let place = open.placer();
    let progress = open.progress.clone();
    let streamed = StreamingHistory::new(lateness, options).replay(
        &mut open.log,
        |error| OpenLog::report(progress.as_ref(), &mut to_stderr, &describe(error)),
        |error| {
            late = true;
            let line = error
                .line()
                .map_or_else(String::new, |n| format!("{}: ", place(n)));
            to_stderr(&format!("{line}{error}"))
        },
        &mut on_call,
    );
    match streamed {
        Ok(()) => Ok((open.finish(&mut to_stderr)?, late)),
        Err(Stop::Report(failure)) => Err(failure),
        Err(Stop::Log(error)) => Err(open.failure(error)),
    }
}

/// [`for_each_call`] for output: turns chunks of calls into `T` with `map` and gives those to `each` in
/// order. After the whole log, the calls are built and mapped on `--threads` threads; with
/// `--lateness`, each call is mapped as it is emitted.
pub fn map_calls<T: Send>(
    args: &CallArgs,
    map: impl Fn(&[Call<'_>]) -> T + Sync,
    mut each: impl FnMut(T) -> Result<(), Failure>,
) -> Result<(Done, bool), Failure> {
    if args.stream.lateness.is_some() {
        return for_each_call(args, |call| each(map(std::slice::from_ref(call))));
    }
    let threads = args.threads.threads();
    let (whole, done) = read_history(&args.log, threads, to_stderr)?;
    whole.map_calls(&args.history.options(), threads, map, each)?;
    exit_without_freeing(whole);
    Ok((done, false))
}

/// Leaves what a whole log folded into (a history, the legs) to the operating system, which takes a
/// process's memory back at once: freeing millions of small allocations one by one takes about as long
/// as reading the log. Only for what lives until the process exits.
pub fn exit_without_freeing<T>(folded: T) {
    std::mem::forget(folded);
}

/// A bad line reported on stderr (for the commands whose stdout is data).
#[allow(clippy::unnecessary_wraps)] // the shape the readers take
pub fn to_stderr(text: &str) -> Result<(), Failure> {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
    Ok(())
}
