//! Work on chunks of a slice, spread over threads, with the results handed on in order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work` on each chunk of `items` (`chunk` items each, the last maybe fewer), on `threads` threads,
/// and gives the results to `each` in the order of the chunks, on the calling thread. With one thread (or
/// one chunk) everything runs on the calling thread. Threads take the next chunk as they finish one, and
/// block while two chunks per thread wait for a busy `each`, so a slow consumer holds the work back.
/// The first error from `each` stops the work and is returned.
pub(crate) fn map_chunks<I: Sync, T: Send, E>(
    items: &[I],
    chunk: usize,
    threads: usize,
    mut each: impl FnMut(T) -> Result<(), E>,
    work: impl Fn(&[I]) -> T + Sync,
) -> Result<(), E> {
    let chunk = chunk.max(1);
    let chunks = items.len().div_ceil(chunk);
    if threads <= 1 || chunks <= 1 {
        return items.chunks(chunk).try_for_each(|part| each(work(part)));
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // Bounded: a thread blocks on a full channel while the calling thread is busy in `each`.
        let (done, results) = mpsc::sync_channel::<(usize, T)>(threads * 2);
        for _ in 0..threads {
            let done = done.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(part) = items.chunks(chunk).nth(index) else {
                        break;
                    };
                    // The receiver is gone only when `each` failed: stop.
                    if done.send((index, work(part))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut want = 0;
        for (index, result) in results {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&want) {
                want += 1;
                if let Err(error) = each(result) {
                    // Later chunks are not taken.
                    next.store(chunks, Ordering::Relaxed);
                    return Err(error);
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::map_chunks;

    #[test]
    fn results_come_in_order_whatever_the_threads() {
        let items: Vec<u32> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            for chunk in [1, 7, 100, 5000] {
                let mut seen = Vec::new();
                map_chunks(
                    &items,
                    chunk,
                    threads,
                    |part: Vec<u32>| {
                        seen.extend(part);
                        Ok::<(), ()>(())
                    },
                    |part| part.iter().map(|n| n * 2).collect(),
                )
                .unwrap();
                let expected: Vec<u32> = items.iter().map(|n| n * 2).collect();
                assert_eq!(seen, expected, "threads {threads}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn the_first_error_stops_the_work() {
        let items: Vec<u32> = (0..10_000).collect();
        for threads in [1, 2, 4] {
            let mut handed = 0;
            let result = map_chunks(
                &items,
                10,
                threads,
                |_: u32| {
                    handed += 1;
                    if handed == 3 { Err(handed) } else { Ok(()) }
                },
                |part| part[0],
            );
            assert_eq!(result, Err(3), "threads {threads}");
            assert_eq!(handed, 3);
        }
    }

    #[test]
    fn nothing_to_do_calls_nothing() {
        let mut called = false;
        map_chunks(
            &[] as &[u8],
            4,
            2,
            |(): ()| {
                called = true;
                Ok::<(), ()>(())
            },
            |_| (),
        )
        .unwrap();
        assert!(!called);
    }
}
