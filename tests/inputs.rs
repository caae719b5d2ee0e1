//! Inputs as users have them: several files (rotated logs), a gzip cut short, files in a shape callfold
//! does not read, and filters. Messages are asserted verbatim: they are part of the interface.

mod common;

use common::{TempFile, callfold, text};

const HISTORY: &str = "tests/data/history.jsonl";

/// The lines of the hand-made history log, cut into three files, the last line of the first without
/// its newline, the last starting with a byte-order mark (as some Windows tools write).
fn parts() -> [TempFile; 3] {
    let log = std::fs::read_to_string(HISTORY).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let (a, rest) = lines.split_at(5);
    let (b, c) = rest.split_at(6);
    [
        TempFile::new("part-a.jsonl", a.join("\n").as_bytes()),
        TempFile::new("part-b.jsonl", format!("{}\n", b.join("\n")).as_bytes()),
        TempFile::new(
            "part-c.jsonl",
            format!("\u{feff}{}\n", c.join("\n")).as_bytes(),
        ),
    ]
}

#[test]
fn several_files_give_what_one_file_gives_in_any_order() {
    let [a, b, c] = parts();
    for command in [
        &["history", "--format", "json"][..],
        &["legs"],
        &["stats", "--format", "json"],
    ] {
        let whole = callfold(&[command, &[HISTORY]].concat(), None);
        for order in [[&a, &b, &c], [&c, &a, &b]] {
            let files: Vec<&str> = order.iter().map(|f| f.path()).collect();
            let parts = callfold(&[command, &files[..]].concat(), None);
            assert_eq!(text(&parts.stdout), text(&whole.stdout), "{command:?}");
            assert_eq!(parts.status.code(), whole.status.code());
        }
    }
    // A bad line is told in its own file, at its own line.
    let files = [a.path(), b.path(), c.path()];
    let out = callfold(&[&["legs"][..], &files].concat(), None);
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}: line 3: invalid JSON: key must be a string at column 2\n",
            b.path()
        )
    );
}

#[test]
fn a_late_callback_is_told_in_its_own_file_at_its_own_line() {
    let log = std::fs::read_to_string("tests/data/hand-made.jsonl").unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let (first, second) = lines.split_at(10);
    let first = TempFile::new("first.jsonl", format!("{}\n", first.join("\n")).as_bytes());
    let second = TempFile::new(
        "second.jsonl",
        format!("{}\n", second.join("\n")).as_bytes(),
    );
    let whole = callfold(
        &[
            "history",
            "tests/data/hand-made.jsonl",
            "--format",
            "json",
            "--lateness",
            "1s",
        ],
        None,
    );
    assert!(
        text(&whole.stderr).starts_with("line 14: late for call "),
        "{}",
        text(&whole.stderr)
    );
    let out = callfold(
        &[
            "history",
            first.path(),
            second.path(),
            "--format",
            "json",
            "--lateness",
            "1s",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    // The same reports, each line of the second file numbered from its own start.
    let expected: Vec<String> = text(&whole.stderr)
        .lines()
        .map(|report| {
            let rest = report.strip_prefix("line ").unwrap();
            let (line, rest) = rest.split_once(':').unwrap();
            let line: u64 = line.parse().unwrap();
            format!("{}: line {}:{rest}", second.path(), line - 10)
        })
        .collect();
    assert_eq!(text(&out.stderr).lines().collect::<Vec<_>>(), expected);
}

#[test]
fn a_gzip_cut_short_is_read_up_to_the_damage_and_reported_where_it_happened() {
    // The first 400 bytes of `gzip -c tests/data/history.jsonl`.
    let cut = "tests/data/history-cut.jsonl.gz";
    let out = callfold(&["check", cut], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "line 5: invalid JSON: EOF while parsing a string at column 238\n\
             {cut}: line 5: the gzip stream breaks off after 1292 bytes (incomplete deflate stream); the \
             lines before were read\n\
             leg c-h5-b1: stale: answered at 2026-11-23T09:00:05Z and not ended, 5h00m01s before \
             2026-11-23T14:00:06.010Z: longer than the longest call (4h00m00s), so its transferDisconnect \
             is missing\n"
        )
    );
    // The summary still comes.
    assert_eq!(
        text(&out.stderr),
        "callfold check: 5 lines read = 4 callbacks + 1 rejected + 0 blank; 3 legs, 0 with violations, \
         0 with conflicts, 1 stale\n"
    );
    // The output of the lines before the damage too.
    let out = callfold(&["legs", cut], None);
    assert_eq!(
        (out.status.code(), text(&out.stdout).lines().count()),
        (Some(1), 3)
    );
}

#[test]
fn a_file_in_another_shape_gets_one_hint_and_exit_2() {
    for (name, bytes, hint) in [
        (
            "log.bz2",
            &b"BZh91AY&SY\x00\x01"[..],
            "a bzip2 file: callfold reads plain and gzip logs; decompress it first, e.g. `bzcat FILE | callfold ... -`",
        ),
        (
            "log.zst",
            b"\x28\xb5\x2f\xfd\x04\x00",
            "a zstd file: callfold reads plain and gzip logs; decompress it first, e.g. `zstdcat FILE | callfold ... -`",
        ),
        (
            "log.xz",
            b"\xfd7zXZ\x00\x00",
            "a xz file: callfold reads plain and gzip logs; decompress it first, e.g. `xzcat FILE | callfold ... -`",
        ),
        (
            "log.zip",
            b"PK\x03\x04\x14\x00",
            "a zip file: callfold reads plain and gzip logs; decompress it first, e.g. `unzip -p FILE | callfold ... -`",
        ),
        (
            "core",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
            "binary data, not a log of JSON lines (one callback body per line)",
        ),
        (
            "pretty.json",
            b"{\n  \"eventType\": \"transferAnswer\",\n  \"callId\": \"c-b\"\n}\n",
            "a JSON document spread over lines, not one callback per line: make it one line each, e.g. \
             `jq -c . FILE` (or `jq -c '.[]' FILE` for an array)",
        ),
        (
            "array.json",
            b"[{\"eventType\":\"transferAnswer\",\"callId\":\"c-b\"}]\n",
            "a JSON array of callbacks: callfold reads one callback per line; split it, e.g. `jq -c '.[]' FILE`",
        ),
    ] {
        let file = TempFile::new(name, bytes);
        let out = callfold(&["history", file.path()], None);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(
            text(&out.stderr),
            format!("callfold: {}: {hint}\n", file.path()),
            "{name}"
        );
        assert!(out.stdout.is_empty());
    }
    // Standard input too.
    let out = callfold(&["legs", "-"], Some(b"BZh91AY&SY"));
    assert_eq!(
        text(&out.stderr),
        "callfold: standard input: a bzip2 file: callfold reads plain and gzip logs; decompress it \
         first, e.g. `bzcat FILE | callfold ... -`\n"
    );
}

#[test]
fn filters_fold_only_the_callbacks_asked_for_and_count_the_others() {
    let legs = |args: &[&str]| -> Vec<String> {
        let out = callfold(&[&["legs", HISTORY][..], args].concat(), None);
        text(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["callId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(legs(&["--call", "c-h1"]), ["c-h1-b1", "c-h1-b2", "c-h1-b3"]);
    // By each callback's own time: c-h5's leg at 09:00, c-h3's at 14:05-14:06, c-h4's at 14:10.
    assert_eq!(legs(&["--until", "2026-11-23T10:00:00Z"]), ["c-h5-b1"]);
    assert_eq!(
        legs(&[
            "--since",
            "2026-11-23T14:05:00Z",
            "--until",
            "2026-11-23T14:10:00.005Z"
        ]),
        ["c-h3-b1"]
    );
    // Filters come first: the default --as-of is the latest time of the callbacks kept, here c-h2's
    // disconnect at 14:01, 1 min after which its leg is not stale yet.
    let out = callfold(&["check", HISTORY, "--call", "c-h2"], None);
    assert_eq!(
        text(&out.stderr),
        "callfold check: 16 lines read = 15 callbacks (13 filtered out) + 1 rejected + 0 blank; 1 legs, \
         0 with violations, 0 with conflicts, 0 stale\n"
    );
    let at_the_end = [
        "check",
        HISTORY,
        "--call",
        "c-h2",
        "--as-of",
        "2026-11-23T14:20:00Z",
    ];
    assert!(text(&callfold(&at_the_end, None).stdout).contains("leg c-h2-b1: stale: answered"));
    let out = callfold(&["legs", HISTORY, "--call", ""], None);
    assert_eq!(out.status.code(), Some(2));
}
