//! End-to-end tests of the `callfold` binary: output, messages and exit codes, asserted verbatim.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::{TempFile, callfold, text};

const SAMPLE: &str = "tests/data/hand-made.jsonl";
const FAULTY: &str = "tests/data/faulty.jsonl";

/// The lines of a file in a fixed pseudo-random order.
fn shuffle_lines(path: &str, seed: u64) -> Vec<u8> {
    let content = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = content.lines().collect();
    let mut state = seed;
    for i in (1..lines.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).unwrap() % (i + 1);
        lines.swap(i, j);
    }
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

#[test]
fn legs_prints_one_sorted_json_line_per_leg() {
    let out = callfold(&["legs", SAMPLE], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let lines: Vec<&str> = text(&out.stdout).lines().collect();
    assert_eq!(lines.len(), 8);
    let ids: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["callId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // The keys, in this order, are the interface.
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(lines[0])
            .unwrap()
            .keys()
            .cloned()
            .collect();
    let expected = [
        "callId",
        "parentCallId",
        "state",
        "outcome",
        "cause",
        "enqueuedTime",
        "startTime",
        "answerTime",
        "endTime",
        "queueMs",
        "ringMs",
        "talkMs",
        "events",
        "duplicates",
        "conflicts",
        "violations",
    ];
    assert!(lines[0].starts_with(r#"{"callId":"#));
    let mut sorted_expected = expected.to_vec();
    sorted_expected.sort_unstable();
    assert_eq!(keys, sorted_expected);
    let first_keys: Vec<usize> = expected
        .iter()
        .map(|k| lines[0].find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(
        first_keys.windows(2).all(|w| w[0] < w[1]),
        "keys out of order: {}",
        lines[0]
    );
}

#[test]
fn legs_of_the_sample_are_what_happened() {
    let out = callfold(&["legs", SAMPLE], None);
    let legs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |key: &str, value: &str| legs.iter().filter(|l| l[key] == value).count();
    assert_eq!(count("outcome", "answered"), 2);
    assert_eq!(count("outcome", "cancelled"), 1);
    assert_eq!(count("outcome", "busy"), 1);
    assert_eq!(count("outcome", "rejected"), 1);
    assert_eq!(count("outcome", "no-answer"), 2);
    assert_eq!(count("state", "answered"), 1);
    let redelivered: Vec<_> = legs.iter().filter(|l| l["duplicates"] == 1).collect();
    assert_eq!(redelivered.len(), 1);
    assert_eq!(redelivered[0]["outcome"], "cancelled");
    let queued: Vec<_> = legs.iter().filter(|l| !l["queueMs"].is_null()).collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["queueMs"], 2_600);
}

#[test]
fn legs_output_is_byte_identical_for_every_order_of_the_lines() {
    for path in [SAMPLE, FAULTY] {
        let reference = callfold(&["legs", path], None);
        for seed in 1..=5 {
            let shuffled = TempFile::new(
                &format!("order-{seed}-{}", path.replace('/', "_")),
                &shuffle_lines(path, seed),
            );
            let out = callfold(&["legs", shuffled.path()], None);
            assert_eq!(
                text(&out.stdout),
                text(&reference.stdout),
                "{path}, seed {seed}"
            );
            assert_eq!(out.status.code(), reference.status.code());
        }
    }
}

#[test]
fn standard_input_with_a_dash_or_no_file() {
    let reference = callfold(&["legs", SAMPLE], None);
    let input = std::fs::read(SAMPLE).unwrap();
    for args in [&["legs", "-"][..], &["legs"][..]] {
        let out = callfold(args, Some(&input));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(out.stdout, reference.stdout, "{args:?}");
    }
}

#[test]
fn check_on_a_clean_log_exits_0_and_prints_nothing() {
    let out = callfold(&["check", SAMPLE], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "callfold check: 21 lines read = 21 callbacks + 0 rejected + 0 blank; 8 legs, 0 with violations, 0 with conflicts, 0 stale\n"
    );
}

#[test]
fn check_reports_every_bad_line_violation_and_conflict() {
    let out = callfold(&["check", FAULTY], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        r#"line 4: invalid JSON: key must be a string at column 2
line 7: callId: expected a string, found a number
line 8: answerTime: expected an RFC 3339 timestamp, found "2026-11-23 14:00:07": expected 'T' between date and time at byte 10
line 10: expected a JSON object, found an array
leg c-1: answered-before-start: answerTime 2026-11-23T14:00:01Z is before startTime 2026-11-23T14:00:02.100Z
leg c-1: conflict: answerTime: "2026-11-23T14:00:01Z" vs "2026-11-23T14:00:07.420Z" (kept "2026-11-23T14:00:01Z")
leg c-2: answered-despite-cause: answerTime 2026-11-23T14:00:03Z is present but cause is busy
leg c-2: conflict: endTime: "2026-11-23T14:00:07.430Z" vs "2026-11-23T14:00:07.500Z" (kept "2026-11-23T14:00:07.430Z")
leg c-3: not-outbound: direction is "inbound", expected "outbound" on a transfer leg
"#
    );
    assert_eq!(
        text(&out.stderr),
        "callfold check: 12 lines read = 7 callbacks + 4 rejected + 1 blank; 4 legs, 3 with violations, 2 with conflicts, 0 stale\n"
    );
}

#[test]
fn legs_reports_bad_lines_on_stderr_and_exits_1() {
    let out = callfold(&["legs", FAULTY], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr: Vec<&str> = text(&out.stderr).lines().collect();
    assert_eq!(stderr.len(), 4);
    assert!(stderr.iter().all(|l| l.starts_with("line ")));
    assert_eq!(text(&out.stdout).lines().count(), 4);
}

#[test]
fn a_leg_with_only_a_conflict_makes_legs_exit_1() {
    let log = concat!(
        r#"{"eventType":"transferDisconnect","callId":"c-1","cause":"busy"}"#,
        "\n",
        r#"{"eventType":"transferDisconnect","callId":"c-1","cause":"rejected"}"#,
        "\n"
    );
    let out = callfold(&["legs", "-"], Some(log.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn bom_crlf_and_a_last_line_without_newline_are_read() {
    let clean = callfold(&["legs", SAMPLE], None);
    let mut messy = b"\xEF\xBB\xBF".to_vec();
    messy.extend(
        std::fs::read_to_string(SAMPLE)
            .unwrap()
            .trim_end()
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    let out = callfold(&["legs", "-"], Some(&messy));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, clean.stdout);
}

#[test]
fn empty_input_is_clean() {
    for input in [&b""[..], b"\n\n  \n"] {
        let out = callfold(&["check", "-"], Some(input));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "");
    }
}

#[test]
fn a_missing_file_or_a_directory_exits_2_with_a_message() {
    let out = callfold(&["legs", "no/such/file.jsonl"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "callfold: cannot read no/such/file.jsonl: No such file or directory (os error 2)\n"
    );
    let out = callfold(&["check", "tests"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "callfold: cannot read tests: it is a directory without a segments/ folder of callfold's \
         (give a log file, or the --data directory of `callfold serve`)\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(callfold(&[], None).status.code(), Some(2));
    assert_eq!(callfold(&["fold"], None).status.code(), Some(2));
    assert_eq!(callfold(&["legs", "a", "b"], None).status.code(), Some(2));
}

#[test]
fn help_explains_the_commands_and_exit_codes() {
    let out = callfold(&["--help"], None);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "legs",
        "check",
        "Exit codes:",
        "2  usage error",
        "a callback later than --lateness",
        "an input cut short",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
    let help = callfold(&["legs", "--help"], None);
    assert!(text(&help.stdout).contains("`-` reads standard input"));
    // decode folds nothing: it has no --threads.
    let help = callfold(&["decode", "--help"], None);
    assert!(!text(&help.stdout).contains("--threads"));
}

#[test]
fn a_closed_pipe_stops_quietly() {
    // Enough legs that the output outgrows the pipe's buffer.
    let mut log = Vec::new();
    for i in 0..20_000 {
        writeln!(
            log,
            r#"{{"eventType":"transferDisconnect","callId":"c-{i:06}","cause":"hangup"}}"#
        )
        .unwrap();
    }
    let file = TempFile::new("pipe", &log);
    let mut child = Command::new(env!("CARGO_BIN_EXE_callfold"))
        .args(["legs", file.path()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with(r#"{"callId":"c-000000""#));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn the_sample_log_is_what_the_generator_makes() {
    let out = callfold(
        &[
            "generate",
            "--calls",
            "12",
            "--seed",
            "7",
            "--start",
            "2026-11-23T14:00:00Z",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        std::fs::read_to_string("samples/transfers.jsonl").unwrap()
    );
}

#[test]
fn generate_checks_its_arguments() {
    for args in [
        &["--faults", "1.5"][..],
        &["--cps", "0"][..],
        &["--start", "yesterday"][..],
    ] {
        let out = callfold(&[&["generate"], args].concat(), None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn decode_prints_each_callback_as_callfold_reads_it() {
    let input = b"{\"eventType\":\"transferAnswer\",\"callId\":\"c-b\",\"tag\":\"\",\"answerTime\":\"2026-11-23T09:00:07-05:00\"}\n[]\n";
    let out = callfold(&["decode", "-"], Some(input));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "{\"eventType\":\"transferAnswer\",\"callId\":\"c-b\",\"answerTime\":\"2026-11-23T14:00:07Z\"}\n"
    );
    assert_eq!(
        text(&out.stderr),
        "line 2: expected a JSON object, found an array\n"
    );
}

#[test]
fn as_of_defaults_to_the_latest_time_even_when_the_newest_callbacks_have_no_event_time() {
    // A leg still ringing at 00:00 (known from a callback with an eventTime), then a call that ended at
    // 00:10:05 in the historical shape, without eventTime: the log's latest time is 00:10:05, so the
    // ringing leg was unheard of for 10m05s and is stale. Judged at the latest eventTime (00:00) it was
    // not.
    let log = concat!(
        r#"{"eventType":"transferRinging","callId":"c-b1","parentCallId":"c-a1","eventTime":"2026-01-01T00:00:00Z","startTime":"2026-01-01T00:00:00Z"}"#,
        "\n",
        r#"{"eventType":"transferDisconnect","callId":"c-b2","parentCallId":"c-a2","cause":"busy","startTime":"2026-01-01T00:10:00Z","endTime":"2026-01-01T00:10:05Z"}"#,
        "\n",
    );
    let out = callfold(&["check"], Some(log.as_bytes()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "leg c-b1: stale: ringing and not ended, last heard of at 2026-01-01T00:00:00Z, 10m05s before \
         2026-01-01T00:10:05Z: its transferDisconnect is missing\n"
    );
    let out = callfold(
        &["check", "--as-of", "2026-01-01T00:00:00Z"],
        Some(log.as_bytes()),
    );
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), ""));
}

#[test]
fn report_writes_one_page_and_says_where() {
    let out_file =
        std::env::temp_dir().join(format!("callfold-report-{}.html", std::process::id()));
    let out = callfold(
        &[
            "report",
            "--quiet",
            FAULTY,
            "-o",
            out_file.to_str().unwrap(),
        ],
        None,
    );
    // The faulty log has findings: exit 1, as `stats` and `check` exit.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).ends_with(": 2 calls, 4 legs\n"),
        "{}",
        text(&out.stderr)
    );
    let page = std::fs::read_to_string(&out_file).unwrap();
    let _ = std::fs::remove_file(&out_file);
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert!(
        !page.contains("<script"),
        "a report reads without JavaScript"
    );
    // Both calls with findings are drawn, and the findings link to them.
    for call in ["c-a", "c-b"] {
        assert!(
            page.contains(&format!(r#"<figure class="timeline" id="call-{call}">"#)),
            "{call}"
        );
        assert!(
            page.contains(&format!(r##"href="#call-{call}""##)),
            "{call}"
        );
    }
    // An unknown cause is shown verbatim.
    assert!(page.contains("some-new-cause"));
}

#[test]
fn report_of_one_call_draws_it_and_dash_writes_to_stdout() {
    let out = callfold(
        &[
            "report",
            "--quiet",
            SAMPLE,
            "--call",
            "c-36f675cc-6b0d549b-6f03-475a-9600-a35a099950d8",
            "-o",
            "-",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert_eq!(page.matches(r#"<figure class="timeline""#).count(), 1);
    assert!(page.contains(
        "<title>Transfers: call c-36f675cc-6b0d549b-6f03-475a-9600-a35a099950d8 in hand-made.jsonl"
    ));
    // Its two attempts, each row named by attempt and destination: busy, then the winner.
    assert!(page.contains("\n#1 +15559990001\n"), "{page}");
    assert!(page.contains("\n#2 +15559990002 ★won\n"), "{page}");
}

#[test]
fn report_to_a_directory_that_does_not_exist_is_a_usage_error() {
    let out = callfold(&["report", SAMPLE, "-o", "/nonexistent-dir/r.html"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "callfold: --output /nonexistent-dir/r.html: no directory /nonexistent-dir\n"
    );
}
