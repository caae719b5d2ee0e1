//! End-to-end tests of `callfold history` and `callfold stats`: simultaneous ringing, sequential attempts,
//! queued legs, unknown causes, stale legs, bad lines, gzip input, and CSV that real readers read back.

mod common;

use std::io::Write;

use common::{TempFile, callfold, text};
use serde_json::{Value, json};

const SAMPLE: &str = "tests/data/hand-made.jsonl";
const HISTORY: &str = "tests/data/history.jsonl";

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn call<'a>(calls: &'a [Value], id: &str) -> &'a Value {
    calls
        .iter()
        .find(|c| c["callId"] == id)
        .unwrap_or_else(|| panic!("no call {id}"))
}

#[test]
fn history_groups_legs_into_calls_and_attempts() {
    let out = callfold(&["history", HISTORY, "--format", "json"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad line makes the exit code 1"
    );
    assert_eq!(
        text(&out.stderr),
        "line 8: invalid JSON: key must be a string at column 2\n"
    );
    let calls = json_lines(&out.stdout);
    let ids: Vec<&Value> = calls.iter().map(|c| &c["callId"]).collect();
    assert_eq!(
        ids,
        [
            &json!("c-h1"),
            &json!("c-h2"),
            &json!("c-h3"),
            &json!("c-h4"),
            &json!("c-h5"),
            &json!("c-h6"),
            &Value::Null
        ]
    );

    // Simultaneous ringing: one attempt, three legs, the answered one won.
    let h1 = call(&calls, "c-h1");
    assert_eq!(h1["outcome"], "connected");
    assert_eq!(h1["startTime"], "2026-11-23T14:00:00Z");
    assert_eq!(
        h1["attempts"],
        json!([{"attempt": 1, "legs": ["c-h1-b1", "c-h1-b2", "c-h1-b3"], "winner": "c-h1-b1", "why": []}])
    );
    assert_eq!(h1["transferCompletes"][0]["cause"], "hangup");
    // An unknown cause is kept verbatim; the leg failed.
    let b3 = h1["legs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["callId"] == "c-h1-b3")
        .unwrap();
    assert_eq!(
        (&b3["cause"], &b3["outcome"]),
        (&json!("carrier-glitch"), &json!("failed"))
    );
    assert_eq!(b3["errorMessage"], "SIP 503, \"try later\"");

    // Stale on evidence, by each rule: the call ended 19 min before the log's last time and the leg's
    // transferDisconnect never came; a leg still ringing 10 min later; a leg answered 5 h before.
    for (id, state, reason) in [
        ("c-h2", "answered", "call-ended"),
        ("c-h4", "ringing", "unanswered"),
        ("c-h5", "answered", "too-long"),
    ] {
        let leg = &call(&calls, id)["legs"][0];
        assert_eq!(
            (&leg["stale"], &leg["state"], &leg["staleReason"]),
            (&json!(true), &json!(state), &json!(reason)),
            "{id}"
        );
    }
    // An answered leg talking for 5 min, whose call has not ended: not stale.
    let h6 = &call(&calls, "c-h6")["legs"][0];
    assert_eq!(
        (&h6["stale"], &h6["staleReason"]),
        (&json!(false), &Value::Null)
    );

    // No startTime: placed by the answerTime, and it says so.
    assert_eq!(call(&calls, "c-h3")["legs"][0]["placedBy"], "answerTime");

    // A leg that named no parent is a call of its own.
    let orphan = calls.last().unwrap();
    assert_eq!(orphan["outcome"], "not-connected");
    assert_eq!(orphan["causes"], json!(["timeout"]));
}

#[test]
fn sequential_transfers_are_two_attempts_and_queued_legs_have_queue_time() {
    let out = callfold(&["history", SAMPLE, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let calls = json_lines(&out.stdout);
    assert_eq!(calls.len(), 4);
    let sequential = calls
        .iter()
        .find(|c| c["attempts"].as_array().unwrap().len() == 2)
        .unwrap();
    assert_eq!(sequential["attempts"][0]["why"], json!(["busy"]));
    assert_eq!(sequential["attempts"][0]["winner"], Value::Null);
    assert!(sequential["attempts"][1]["winner"].is_string());
    assert_eq!(sequential["legs"][1]["queueMs"], 2_600);
    assert_eq!(sequential["outcome"], "connected");
    let failed = calls
        .iter()
        .find(|c| c["outcome"] == "not-connected")
        .unwrap();
    assert_eq!(failed["causes"], json!(["rejected", "timeout"]));
    assert_eq!(failed["attempts"][0]["legs"].as_array().unwrap().len(), 3);
}

#[test]
fn the_attempt_window_splits_ringing_legs_but_never_joins_a_transfer_that_began_after_the_last_ended()
 {
    let attempts = |window: &str| -> Vec<usize> {
        let out = callfold(
            &[
                "history",
                SAMPLE,
                "--format",
                "json",
                "--attempt-window",
                window,
            ],
            None,
        );
        json_lines(&out.stdout)
            .iter()
            .map(|c| c["attempts"].as_array().unwrap().len())
            .collect()
    };
    assert_eq!(attempts("2s"), [1, 2, 1, 1]);
    // 10 ms: call 3's legs, placed at .000, .020 and .030 s, make two attempts (the last two are 10 ms
    // apart); call 1's two legs, 30 ms apart, make two.
    assert_eq!(attempts("10ms"), [1, 2, 2, 2]);
    // 1 min: the second transfer of call 2 was created after its first leg had ended: still two.
    assert_eq!(attempts("1m"), [1, 2, 1, 1]);
}

#[test]
fn check_reports_stale_legs_and_the_settings_move_the_line() {
    let out = callfold(&["check", HISTORY], None);
    assert_eq!(out.status.code(), Some(1));
    let ended = "leg c-h2-b1: stale: answered and not ended: the call ended at 2026-11-23T14:01:00Z \
        (its A-leg's disconnect), 19m00s before 2026-11-23T14:20:00Z, and this leg's transferDisconnect \
        never came\n";
    let ringing = "leg c-h4-b1: stale: ringing and not ended, last heard of at 2026-11-23T14:10:00Z, \
        10m00s before 2026-11-23T14:20:00Z: its transferDisconnect is missing\n";
    let too_long = |before: &str, as_of: &str| {
        format!(
            "leg c-h5-b1: stale: answered at 2026-11-23T09:00:05Z and not ended, {before} before {as_of}: \
             longer than the longest call (4h00m00s), so its transferDisconnect is missing\n"
        )
    };
    let bad = "line 8: invalid JSON: key must be a string at column 2\n";
    assert_eq!(
        text(&out.stdout),
        format!(
            "{bad}{ended}{ringing}{}",
            too_long("5h19m55s", "2026-11-23T14:20:00Z")
        )
    );
    // Each setting moves its own rule's line.
    for (args, expected) in [
        (
            &["--stale", "1h"][..],
            too_long("5h19m55s", "2026-11-23T14:20:00Z"),
        ),
        (
            &["--as-of", "2026-11-23T14:05:00Z"][..],
            too_long("5h04m55s", "2026-11-23T14:05:00Z"),
        ),
        (&["--max-call", "6h"][..], format!("{ended}{ringing}")),
    ] {
        let out = callfold(&[&["check", HISTORY], args].concat(), None);
        assert_eq!(text(&out.stdout), format!("{bad}{expected}"), "{args:?}");
    }
}

#[test]
fn csv_survives_a_round_trip_through_a_csv_reader() {
    let out = callfold(&["history", HISTORY, "--format", "csv"], None);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "call_id",
            "parent_call_id",
            "attempt",
            "transfer_to",
            "transfer_caller_id",
            "state",
            "outcome",
            "cause",
            "enqueued_time",
            "start_time",
            "answer_time",
            "end_time",
            "queue_ms",
            "ring_ms",
            "talk_ms",
            "tag",
            "error_message",
            "violations",
            "stale",
            "stale_reason",
            "conflicts",
            "call_outcome",
            "from",
            "to",
            "winner",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 9, "one row per leg");
    // Every value read back is the one the JSON output gives for the same leg.
    let json = json_lines(&callfold(&["history", HISTORY, "--format", "json"], None).stdout);
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for row in &rows {
        let call = json.iter().find(|c| text(&c["callId"]) == row[1]).unwrap();
        let leg = call["legs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["callId"] == row[0])
            .unwrap();
        let attempt = &call["attempts"][leg["attempt"].as_u64().unwrap() as usize - 1];
        let joined = |v: &Value| {
            v.as_array()
                .unwrap()
                .iter()
                .map(text)
                .collect::<Vec<_>>()
                .join(";")
        };
        let conflicts: Vec<String> = leg["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| text(c).split(':').next().unwrap().to_owned())
            .collect();
        let expected = [
            text(&leg["callId"]),
            text(&leg["parentCallId"]),
            text(&leg["attempt"]),
            text(&leg["transferTo"]),
            text(&leg["transferCallerId"]),
            text(&leg["state"]),
            text(&leg["outcome"]),
            text(&leg["cause"]),
            text(&leg["enqueuedTime"]),
            text(&leg["startTime"]),
            text(&leg["answerTime"]),
            text(&leg["endTime"]),
            text(&leg["queueMs"]),
            text(&leg["ringMs"]),
            text(&leg["talkMs"]),
            text(&leg["tag"]),
            text(&leg["errorMessage"]),
            joined(&leg["violations"]),
            text(&leg["stale"]),
            text(&leg["staleReason"]),
            conflicts.join(";"),
            text(&call["outcome"]),
            text(&call["from"]),
            text(&call["to"]),
            (attempt["winner"] == leg["callId"]).to_string(),
        ];
        assert_eq!(row.iter().collect::<Vec<_>>(), expected, "{}", &row[0]);
    }
    let b1 = rows.iter().find(|r| &r[0] == "c-h1-b1").unwrap();
    assert_eq!(&b1[15], "vip, \"gold\"\nsecond line ✓ ünïcødé");
    assert_eq!(
        (&b1[1], &b1[2], &b1[6], &b1[14]),
        ("c-h1", "1", "answered", "64000")
    );
    let b3 = rows.iter().find(|r| &r[0] == "c-h1-b3").unwrap();
    assert_eq!(&b3[16], "SIP 503, \"try later\"");
    let orphan = rows.iter().find(|r| &r[0] == "c-orphan").unwrap();
    assert_eq!(&orphan[1], "");
}

#[test]
fn violations_are_joined_with_semicolons_in_csv() {
    let out = callfold(
        &["history", "tests/data/faulty.jsonl", "--format", "csv"],
        None,
    );
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let c1 = rows.iter().find(|r| &r[0] == "c-1").unwrap();
    assert_eq!(&c1[17], "answered-before-start");
}

#[test]
fn table_for_people_and_json_for_pipes() {
    let out = callfold(&["history", SAMPLE, "--format", "table"], None);
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CALL "), "{table}");
    assert_eq!(lines.len(), 9, "a header and one row per leg");
    assert!(
        table.contains("1m04s")
            && table.contains("not-connected")
            && table.contains("redelivered:1")
    );
    // Columns line up: every row's LEG starts where the header's does.
    let at = lines[0].find("LEG").unwrap();
    assert!(
        lines[1..].iter().all(|l| l[at..].starts_with("c-")),
        "{table}"
    );
    assert!(
        lines[0].contains("START (UTC)"),
        "times say they are UTC: {table}"
    );
    // Not a terminal: JSON by default.
    let out = callfold(&["history", SAMPLE], None);
    assert!(text(&out.stdout).starts_with('{'));
}

#[test]
fn the_compact_table_fits_a_terminal_and_keeps_every_leg() {
    // The shipped sample has Bandwidth's 47-character ids.
    let sample = "samples/transfers.jsonl";
    let wide = callfold(&["history", sample, "--format", "table"], None);
    let wide = text(&wide.stdout);
    let out = callfold(&["history", sample, "--format", "compact"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let compact = text(&out.stdout);
    let lines: Vec<&str> = compact.lines().collect();
    assert_eq!(
        lines.len(),
        wide.lines().count(),
        "one row per leg: {compact}"
    );
    assert!(lines[0].contains("START (UTC)") && !lines[0].contains("CAUSE"));
    // Everything but the notes fits in 100 columns; the wide table does not.
    let notes = lines[0].find("NOTES").unwrap();
    assert!(notes <= 100, "{compact}");
    assert!(wide.lines().next().unwrap().find("NOTES").unwrap() > 100);
    // Ids are cut to `c-` and 6 hex digits; all legs started on one day, so starts are times of day.
    assert!(compact.contains("c-294166…"), "{compact}");
    assert!(lines[1].contains(" 14:00:11 "), "{compact}");
    assert!(!compact.contains("11-23"), "{compact}");
    assert!(compact.contains("placed-by:enqueuedTime"));

    // Across midnight, each start keeps its day.
    let two_days = [
        ("c-a1", "2026-11-23T23:59:58.000Z"),
        ("c-b2", "2026-11-24T00:00:03.000Z"),
    ]
    .map(|(id, start)| {
        format!(
            r#"{{"eventType":"transferDisconnect","eventTime":"{start}","callId":"{id}","parentCallId":"c-p","startTime":"{start}","endTime":"{start}","cause":"busy"}}"#
        )
    })
    .join("\n");
    let out = callfold(
        &["history", "-", "--format", "compact"],
        Some(two_days.as_bytes()),
    );
    let compact = text(&out.stdout);
    assert!(
        compact.contains("11-23 23:59:58") && compact.contains("11-24 00:00:03"),
        "{compact}"
    );
}

#[test]
fn gzip_input_is_read_transparently() {
    let plain = callfold(&["history", SAMPLE, "--format", "json"], None);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(SAMPLE).unwrap()).unwrap();
    let compressed = gz.finish().unwrap();
    let file = TempFile::new("sample.jsonl.gz", &compressed);
    let out = callfold(&["history", file.path(), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, plain.stdout);
    let out = callfold(&["history", "-", "--format", "json"], Some(&compressed));
    assert_eq!(out.stdout, plain.stdout);
}

#[test]
fn stats_match_hand_computed_figures() {
    let out = callfold(&["stats", SAMPLE, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 8 legs: 2 answered, 1 cancelled (the loser), 1 busy, 1 rejected, 2 timeouts; 1 still talking.
    assert_eq!(stats["legs"], 8);
    assert_eq!(
        stats["outcomes"],
        json!({"answered": 2, "busy": 1, "no-answer": 2, "rejected": 1, "cancelled": 1})
    );
    assert_eq!(stats["open"], 1);
    assert_eq!(
        stats["causes"],
        json!({"busy": 1, "hangup": 3, "open": 1, "rejected": 1, "timeout": 2})
    );
    assert_eq!(
        (stats["ended"].as_u64(), stats["answered"].as_u64()),
        (Some(7), Some(2))
    );
    // ASR per attempt: 5 <Transfer>s, all decided (4 ended, 1 answered and still talking), 3 answered:
    // call 1's, call 2's second, call 4's. The leg answer rate counts the loser of call 1 against it.
    assert_eq!(
        (
            &stats["attempts"],
            &stats["decidedAttempts"],
            &stats["answeredAttempts"]
        ),
        (&json!(5), &json!(5), &json!(3))
    );
    assert_eq!(stats["asr"], 0.6);
    assert_eq!(stats["legAnswerRate"], 2.0 / 7.0);
    // Calls 1 and 2 connected after ending; call 4 is connected and still talking; call 3 failed.
    assert_eq!(
        (stats["calls"].as_u64(), stats["connectedCalls"].as_u64()),
        (Some(4), Some(3))
    );
    // Talk: 64 480 and 120 450 ms.
    assert_eq!(
        stats["talk"],
        json!({"count": 2, "meanMs": 92_465.0, "p50Ms": 64_480, "p95Ms": 120_450, "maxMs": 120_450})
    );
    // Ring, sorted: 800 3200 3700 5300 5320 13800 30000 30000; nearest ranks 4 and 8.
    assert_eq!(
        stats["ring"],
        json!({"count": 8, "meanMs": 11_515.0, "p50Ms": 5_300, "p95Ms": 30_000, "maxMs": 30_000})
    );
    assert_eq!(
        stats["queue"],
        json!({"count": 1, "meanMs": 2_600.0, "p50Ms": 2_600, "p95Ms": 2_600, "maxMs": 2_600})
    );
    assert_eq!(
        (stats["stale"].as_u64(), stats["withViolations"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn stats_by_cause_and_by_transfer_to() {
    let out = callfold(
        &["stats", SAMPLE, "--format", "json", "--by", "cause"],
        None,
    );
    let by: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(by["by"], "cause");
    let keys: Vec<&str> = by["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["busy", "hangup", "open", "rejected", "timeout"]);
    let hangup = &by["groups"][1]["stats"];
    assert_eq!(
        (hangup["legs"].as_u64(), hangup["answered"].as_u64()),
        (Some(3), Some(2))
    );

    let out = callfold(&["stats", HISTORY, "--by", "transfer-to"], None);
    let text = text(&out.stdout);
    assert!(text.contains("== transfer-to: +15553330003"), "{text}");
    assert_eq!(text.matches("== transfer-to:").count(), 9);
}

#[test]
fn stats_text_counts_stale_legs() {
    let out = callfold(&["stats", HISTORY], None);
    let text = text(&out.stdout);
    assert!(text.contains("stale legs        3\n"), "{text}");
    assert!(text.contains("  carrier-glitch  1\n"), "{text}");
}

fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = text(bytes).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn lateness_gives_the_exact_results_when_no_callback_is_later_than_the_window() {
    for log in [SAMPLE, HISTORY, "tests/data/faulty.jsonl"] {
        let exact = callfold(&["history", log, "--format", "json"], None);
        let streamed = callfold(
            &["history", log, "--format", "json", "--lateness", "1h"],
            None,
        );
        assert_eq!(
            sorted_lines(&streamed.stdout),
            sorted_lines(&exact.stdout),
            "{log}"
        );
        assert_eq!(streamed.stderr, exact.stderr, "{log}");
        assert_eq!(streamed.status.code(), exact.status.code(), "{log}");
        for format in ["json", "text"] {
            let exact = callfold(&["stats", log, "--format", format], None);
            let streamed = callfold(
                &["stats", log, "--format", format, "--lateness", "1h"],
                None,
            );
            assert_eq!(
                text(&streamed.stdout),
                text(&exact.stdout),
                "{log} {format}"
            );
        }
    }
}

#[test]
fn callbacks_later_than_the_window_are_reported_with_their_line() {
    // With a 1 s window, call 3 is emitted when its first leg ends; its two ringing legs end 27 s later.
    let out = callfold(
        &["history", SAMPLE, "--format", "json", "--lateness", "1s"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let call = "c-39263059-f29d0da9-953f-48f1-a09f-76b5a170b338";
    let message = format!(
        "late for call {call}: the call was emitted when the log's time reached 2026-11-23T14:01:11.916Z"
    );
    let expected: Vec<String> = (14..=17)
        .map(|line| format!("line {line}: {message}"))
        .collect();
    let stderr: Vec<&str> = text(&out.stderr).lines().collect();
    assert_eq!(stderr, expected);
    assert_eq!(json_lines(&out.stdout).len(), 4, "each call once");
}

#[test]
fn history_output_does_not_depend_on_threads() {
    // More calls than one chunk of the parallel writer, so that several threads take part.
    let log = callfold(
        &[
            "generate", "--calls", "1500", "--seed", "11", "--faults", "0.1",
        ],
        None,
    );
    assert_eq!(log.status.code(), Some(0));
    let file = TempFile::new("threads.jsonl", &log.stdout);
    for format in ["json", "csv", "table"] {
        let one = callfold(
            &["history", file.path(), "--format", format, "--threads", "1"],
            None,
        );
        assert!(!one.stdout.is_empty());
        for threads in ["2", "3", "8"] {
            let many = callfold(
                &[
                    "history",
                    file.path(),
                    "--format",
                    format,
                    "--threads",
                    threads,
                ],
                None,
            );
            assert_eq!(
                many.status.code(),
                one.status.code(),
                "{format}, {threads} threads"
            );
            assert!(
                many.stdout == one.stdout,
                "{format}: {threads} threads differ from one"
            );
            assert_eq!(
                text(&many.stderr),
                text(&one.stderr),
                "{format}, {threads} threads"
            );
        }
    }
}

#[test]
fn stats_by_hour_and_account_and_the_top_groups_by_volume() {
    let json = |args: &[&str]| -> Value {
        let out = callfold(
            &[&["stats", HISTORY, "--format", "json"], args].concat(),
            None,
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let keys = |v: &Value| -> Vec<String> {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap().to_owned())
            .collect()
    };
    // c-h5's leg was placed at 09:00, the others at 14:xx (the orphan too).
    let by_hour = json(&["--by", "hour"]);
    assert_eq!(keys(&by_hour), ["2026-11-23T09", "2026-11-23T14"]);
    assert_eq!(by_hour["groups"][1]["stats"]["legs"], 8);
    assert_eq!(keys(&json(&["--by", "day"])), ["2026-11-23"]);
    assert_eq!(keys(&json(&["--by", "account"])), ["none"]);
    // --top: the biggest groups first: 4 legs still open, 3 ended by hangup (of 9).
    let top = json(&["--by", "cause", "--top", "2"]);
    assert_eq!(keys(&top), ["open", "hangup"]);
    let out = callfold(&["stats", HISTORY, "--top", "2"], None);
    assert_eq!(out.status.code(), Some(2), "--top needs --by");
    // The exit code is over every group, not only those --top shows: the one leg with a violation
    // (answered despite busy) dials the smaller group.
    let log = [
        ("c-b1", "c-a1", "+1666", "hangup", "acc-1", "app-1"),
        ("c-b2", "c-a2", "+1666", "hangup", "acc-1", "app-2"),
        ("c-b3", "c-a3", "+1555", "busy", "acc-2", "app-2"),
    ]
    .map(|(leg, call, to, cause, account, application)| {
        format!(
            r#"{{"eventType":"transferDisconnect","callId":"{leg}","parentCallId":"{call}","transferTo":"{to}","accountId":"{account}","applicationId":"{application}","startTime":"2026-11-23T14:00:00Z","answerTime":"2026-11-23T14:00:05Z","endTime":"2026-11-23T14:01:00Z","cause":"{cause}"}}"#
        )
    })
    .join("\n");
    let stats = |args: &[&str]| {
        callfold(
            &[&["stats", "-", "--format", "json"], args].concat(),
            Some(log.as_bytes()),
        )
    };
    let top = stats(&["--by", "transfer-to", "--top", "1"]);
    let shown: Value = serde_json::from_slice(&top.stdout).unwrap();
    assert_eq!(keys(&shown), ["+1666"]);
    assert_eq!(shown["groups"][0]["stats"]["withViolations"], 0);
    assert_eq!(
        top.status.code(),
        Some(1),
        "the +1555 leg's violation still counts"
    );
    // Calls by the account and the application their callbacks name.
    let by = |group| -> Value { serde_json::from_slice(&stats(&["--by", group]).stdout).unwrap() };
    assert_eq!(keys(&by("account")), ["acc-1", "acc-2"]);
    assert_eq!(keys(&by("application")), ["app-1", "app-2"]);
    assert_eq!(by("application")["groups"][1]["stats"]["legs"], 2);
    // table is the people's format, as in history; text still works.
    let table = callfold(&["stats", HISTORY, "--format", "table"], None);
    let text = callfold(&["stats", HISTORY, "--format", "text"], None);
    assert_eq!(table.stdout, text.stdout);
}
