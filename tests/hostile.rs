//! Broken and hostile input: each gets a clear, positioned report, no panic, and the rest of the log is
//! still read. The committed corpus (`tests/hostile/*.jsonl`) is checked against its expected reports
//! verbatim (`*.expected`; `CALLFOLD_BLESS=1` writes them anew). The big inputs are made here.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use common::{TempFile, callfold, text};

/// What `callfold check FILE` says, as one text: stdout, stderr, exit code.
fn report(file: &str) -> String {
    let out = callfold(&["check", file], None);
    let mut report = String::from(text(&out.stdout));
    write!(
        report,
        "--- stderr\n{}--- exit {:?}\n",
        text(&out.stderr),
        out.status.code()
    )
    .unwrap();
    report
}

#[test]
fn the_corpus_gets_its_expected_reports() {
    let mut files: Vec<_> = fs::read_dir("tests/hostile")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 9);
    for input in files {
        let expected_path = input.with_extension("expected");
        let got = report(input.to_str().unwrap());
        if std::env::var_os("CALLFOLD_BLESS").is_some() {
            fs::write(&expected_path, &got).unwrap();
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(got, expected, "{}", input.display());
    }
}

#[test]
fn with_duplicate_keys_the_last_value_wins() {
    let out = callfold(&["legs", "tests/hostile/duplicate-keys.jsonl"], None);
    let leg: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(
        (&leg["callId"], &leg["cause"]),
        (&"c-dup".into(), &"hangup".into())
    );
}

#[test]
fn a_50_mb_line_is_rejected_and_the_rest_is_read() {
    let good = r#"{"eventType":"transferAnswer","callId":"c-after"}"#;
    let mut log = String::with_capacity(52_500_000);
    log.push_str(r#"{"eventType":"transferAnswer","callId":"c-big","tag":""#);
    log.push_str(&"x".repeat(50 * 1024 * 1024));
    log.push_str("\"}\n");
    log.push_str(good);
    log.push('\n');
    let file = TempFile::new("fifty-mb.jsonl", log.as_bytes());
    let rejects = TempFile::new("fifty-mb-rejects.jsonl", b"");
    let out = callfold(&["check", file.path(), "--rejects", rejects.path()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "line 1: 52428856 bytes, longer than the maximum of 1048576\n"
    );
    assert_eq!(
        text(&out.stderr),
        "callfold check: 2 lines read = 1 callbacks + 1 rejected + 0 blank; 1 legs, 0 with violations, 0 with conflicts, 0 stale\n"
    );
    // The rejected line is kept byte for byte, to fix and replay.
    let kept = fs::read(rejects.path()).unwrap();
    assert_eq!(kept.len(), 52_428_857, "the line and its line end");
    assert!(log.as_bytes().starts_with(&kept));
}

#[test]
fn nesting_10_000_deep_is_a_positioned_error() {
    let deep = format!(
        "{{\"eventType\":\"transferAnswer\",\"callId\":\"c-deep\",\"x\":{}{}}}\n{{\"eventType\":\"transferAnswer\",\"callId\":\"c-after\"}}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let file = TempFile::new("deep.jsonl", deep.as_bytes());
    let out = callfold(&["check", file.path()], None);
    assert_eq!(
        text(&out.stdout),
        "line 1: invalid JSON: recursion limit exceeded at column 179\n"
    );
    assert!(text(&out.stderr).contains("2 lines read = 1 callbacks + 1 rejected"));
}

#[test]
fn a_hundred_thousand_unknown_fields_are_read() {
    let mut body = String::from(r#"{"eventType":"transferAnswer","callId":"c-wide""#);
    for i in 0..100_000 {
        write!(body, r#","{i:x}":0"#).unwrap();
    }
    body.push_str("}\n");
    let file = TempFile::new("wide.jsonl", body.as_bytes());
    assert!(Path::new(file.path()).metadata().unwrap().len() < callfold::DEFAULT_MAX_LINE as u64);
    let out = callfold(&["legs", file.path()], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with(r#"{"callId":"c-wide""#));
}

#[test]
fn a_lower_max_line_applies() {
    let out = callfold(
        &["check", "--max-line", "100", "tests/data/faulty.jsonl"],
        None,
    );
    assert!(
        text(&out.stdout).starts_with("line 1: 168 bytes, longer than the maximum of 100\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn replaying_fixed_rejects_with_the_rest_gives_the_clean_result() {
    // Break a clean log on some lines, read it with --rejects, fix the rejects, and replay them after
    // the lines that were read: the fold does not care about order, so the result is the clean one.
    let clean = fs::read_to_string("samples/transfers.jsonl").unwrap();
    let broken: String = clean
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i % 7 == 3 {
                format!("{}\n", &line[..line.len() - 1])
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let broken_file = TempFile::new("broken.jsonl", broken.as_bytes());
    let rejects = TempFile::new("rejects.jsonl", b"");
    let out = callfold(
        &[
            "history",
            broken_file.path(),
            "--format",
            "json",
            "--rejects",
            rejects.path(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let rejected = fs::read_to_string(rejects.path()).unwrap();
    let cut = (0..clean.lines().count()).filter(|i| i % 7 == 3).count();
    assert_eq!(rejected.lines().count(), cut);

    // The fix: each cut line gets its closing brace back.
    let mut replay = String::new();
    for line in broken
        .lines()
        .filter(|line| !rejected.lines().any(|r| r == *line))
    {
        replay.push_str(line);
        replay.push('\n');
    }
    for line in rejected.lines() {
        replay.push_str(line);
        replay.push_str("}\n");
    }
    let replay = TempFile::new("replay.jsonl", replay.as_bytes());
    let replayed = callfold(&["history", replay.path(), "--format", "json"], None);
    let expected = callfold(
        &["history", "samples/transfers.jsonl", "--format", "json"],
        None,
    );
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        text(&replayed.stderr)
    );
    assert_eq!(text(&replayed.stdout), text(&expected.stdout));
}
