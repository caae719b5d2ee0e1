//! The event log: positions, restarts, group commit, rolling segments, crash recovery and retention.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use callfold::{EventLog, Fsync, OpenError, StoreOptions};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callfold-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn all_bodies(log: &EventLog) -> Vec<(u64, Vec<u8>)> {
    log.bodies_from(0)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn positions_count_from_zero_and_survive_a_restart() {
    let dir = temp_dir("restart");
    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    assert_eq!(log.append(b"{\"n\":0}").unwrap(), 0);
    assert_eq!(log.append(b"{\"n\":1}").unwrap(), 1);
    drop(log);
    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    assert_eq!(log.append(b"{\"n\":2}").unwrap(), 2);
    assert_eq!(
        all_bodies(&log),
        [
            (0, b"{\"n\":0}".to_vec()),
            (1, b"{\"n\":1}".to_vec()),
            (2, b"{\"n\":2}".to_vec())
        ]
    );
    assert!(log.torn().is_none());
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bodies_are_one_line_each_and_otherwise_byte_for_byte() {
    let dir = temp_dir("bytes");
    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    let body = "{\"callId\":\"c-é\",\r\n\t\"cause\" : \"busy\"\n}".as_bytes();
    log.append(body).unwrap();
    let mut text = Vec::new();
    log.reader().unwrap().read_to_end(&mut text).unwrap();
    assert_eq!(
        text,
        "{\"callId\":\"c-é\",  \t\"cause\" : \"busy\" }\n".as_bytes()
    );
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_writer_is_kept_out() {
    let dir = temp_dir("lock");
    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    let error = EventLog::open(&dir, StoreOptions::default()).unwrap_err();
    assert!(matches!(error, OpenError::Locked { .. }), "{error}");
    assert!(error.to_string().contains("in use by another callfold"));
    drop(log);
    EventLog::open(&dir, StoreOptions::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Many threads appending at once: every position is handed out once, the log holds each body once at
/// its position, and with group commit the appends share syncs.
fn concurrent(fsync: Fsync) -> (u64, u64) {
    let dir = temp_dir(&format!("concurrent-{fsync:?}"));
    let syncs = Arc::new(AtomicU64::new(0));
    let sunk = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = EventLog::open(
        &dir,
        StoreOptions {
            fsync,
            ..StoreOptions::default()
        },
    )
    .unwrap()
    .with_observer({
        let syncs = Arc::clone(&syncs);
        move |_| {
            syncs.fetch_add(1, Ordering::Relaxed);
        }
    })
    .with_sink({
        let sunk = Arc::clone(&sunk);
        move |position, _| sunk.lock().unwrap().push(position)
    });
    let log = Arc::new(log);
    let threads = 16;
    let each = 25;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                (0..each)
                    .map(|i| {
                        let body = format!("{{\"t\":{t},\"i\":{i}}}");
                        (log.append(body.as_bytes()).unwrap(), body)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut appended: Vec<(u64, Vec<u8>)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .map(|(p, b)| (p, b.into_bytes()))
        .collect();
    appended.sort();
    let total = threads * each;
    let positions: BTreeSet<u64> = appended.iter().map(|(p, _)| *p).collect();
    assert_eq!(positions, (0..total).collect::<BTreeSet<_>>());
    assert_eq!(all_bodies(&log), appended);
    // The projection hook saw every body once, in position order.
    assert_eq!(*sunk.lock().unwrap(), (0..total).collect::<Vec<_>>());
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
    (total, syncs.load(Ordering::Relaxed))
}

#[test]
fn concurrent_appends_share_syncs_with_group_commit() {
    let (appends, batches) = concurrent(Fsync::Batch);
    assert!(
        batches < appends,
        "{batches} batches for {appends} appends: nothing was shared"
    );
}

#[test]
fn fsync_each_syncs_every_append_alone() {
    let (appends, batches) = concurrent(Fsync::Each);
    assert_eq!(batches, appends);
}

#[test]
fn segments_roll_and_positions_run_on_across_them() {
    let dir = temp_dir("roll");
    let options = StoreOptions {
        segment_bytes: 24,
        ..StoreOptions::default()
    };
    let log = EventLog::open(&dir, options.clone()).unwrap();
    for n in 0..10 {
        assert_eq!(log.append(format!("{{\"n\":{n}}}").as_bytes()).unwrap(), n);
    }
    let files = EventLog::segment_files(&dir).unwrap();
    assert!(files.len() > 2, "{files:?}");
    assert!(files.windows(2).all(|w| w[0] < w[1]));
    let from_7: Vec<u64> = log.bodies_from(7).unwrap().map(|b| b.unwrap().0).collect();
    assert_eq!(from_7, [7, 8, 9]);
    drop(log);
    let log = EventLog::open(&dir, options).unwrap();
    assert_eq!(log.append(b"{\"n\":10}").unwrap(), 10);
    let (position, body) = log.bodies_from(10).unwrap().next().unwrap().unwrap();
    assert_eq!((position, body), (10, b"{\"n\":10}".to_vec()));
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_torn_last_line_is_cut_off_and_kept_in_the_rejects() {
    let dir = temp_dir("torn");
    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    log.append(b"{\"n\":0}").unwrap();
    log.append(b"{\"n\":1}").unwrap();
    drop(log);
    let segment = &EventLog::segment_files(&dir).unwrap()[0];
    let mut bytes = std::fs::read(segment).unwrap();
    bytes.extend_from_slice(b"{\"n\":2, \"half");
    std::fs::write(segment, &bytes).unwrap();

    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    let torn = log.torn().unwrap();
    assert_eq!(torn.bytes, b"{\"n\":2, \"half");
    assert_eq!(torn.offset, 16);
    assert_eq!(log.len(), 2);
    // The next append starts a whole line at the next position.
    assert_eq!(log.append(b"{\"n\":2}").unwrap(), 2);
    assert_eq!(all_bodies(&log).len(), 3);
    let rejects = std::fs::read_to_string(dir.join("rejects.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(rejects.trim_end()).unwrap();
    assert_eq!(record["kind"], "torn-tail");
    assert_eq!(record["body"], "{\"n\":2, \"half");
    assert_eq!(record["offset"], 16);
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn retention_deletes_only_old_closed_segments_and_positions_stay() {
    let dir = temp_dir("retention");
    let options = StoreOptions {
        segment_bytes: 20,
        retention: Some(Duration::from_millis(200)),
        ..StoreOptions::default()
    };
    let log = EventLog::open(&dir, options).unwrap();
    for n in 0..4 {
        log.append(format!("{{\"n\":{n}}}").as_bytes()).unwrap();
    }
    assert_eq!(log.enforce_retention().unwrap(), 0);
    std::thread::sleep(Duration::from_millis(300));
    let before = EventLog::segment_files(&dir).unwrap().len();
    let deleted = log.enforce_retention().unwrap();
    assert_eq!(deleted, before - 1, "all but the segment being written");
    assert_eq!(log.append(b"{\"n\":4}").unwrap(), 4);
    let positions: Vec<u64> = all_bodies(&log).into_iter().map(|(p, _)| p).collect();
    assert_eq!(positions, [2, 3, 4]);
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rejected_body_is_kept_exactly() {
    let dir = temp_dir("reject");
    let log = EventLog::open(&dir, StoreOptions::default()).unwrap();
    log.reject(
        b"not\njson",
        "invalid",
        &[("error", "expected value"), ("field", "")],
    )
    .unwrap();
    log.reject(&[0xff, 0xfe], "invalid", &[]).unwrap();
    assert!(log.is_empty());
    let rejects = std::fs::read_to_string(dir.join("rejects.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["body"], "not\njson");
    assert_eq!(records[0]["error"], "expected value");
    assert_eq!(records[1]["bodyHex"], "fffe");
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reader_to_and_bodies_from_split_the_log_at_any_position() {
    let dir = temp_dir("split");
    let options = StoreOptions {
        segment_bytes: 30,
        ..StoreOptions::default()
    };
    let log = EventLog::open(&dir, options).unwrap();
    for n in 0..9 {
        log.append(format!("{{\"n\":{n}}}").as_bytes()).unwrap();
    }
    let whole: Vec<String> = (0..9).map(|n| format!("{{\"n\":{n}}}\n")).collect();
    for split in 0..=10u64 {
        let mut head = String::new();
        log.reader_to(split)
            .unwrap()
            .read_to_string(&mut head)
            .unwrap();
        let tail: Vec<u64> = log
            .bodies_from(split)
            .unwrap()
            .map(|b| b.unwrap().0)
            .collect();
        let at = (split as usize).min(9);
        assert_eq!(head, whole[..at].concat(), "head at {split}");
        assert_eq!(tail, (at as u64..9).collect::<Vec<_>>(), "tail at {split}");
    }
    drop(log);
    std::fs::remove_dir_all(&dir).unwrap();
}
