//! The pages in a real browser: Debian's chromium, headless, driven by playwright-core from npm
//! (tests/browser). `callfold report`'s page from a file, and serve's live page against the real
//! server, updated as callbacks are posted. Skipped, and said so, where node, the npm packages or
//! chromium are missing; required in CI (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{BIN, PASSWORD, Server, TOKEN, USER, skip, temp_dir};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// Why the browser tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    let chromium = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.exists() {
        return Some(format!(
            "no chromium at {} (apt-get install chromium)",
            chromium.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node".into());
    }
    if !Path::new(DIR).join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "no playwright-core in {DIR}/node_modules (npm ci --prefix tests/browser)"
        ));
    }
    None
}

/// Runs a script of tests/browser with node; its stdout (a JSON summary) when it passes.
fn node(script: &str, args: &[&str], env: &[(&str, String)]) -> serde_json::Value {
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(DIR)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{script} failed:\n{stderr}{stdout}");
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{script} printed {stdout:?}: {e}"))
}

fn report(log: &str, out: &Path) {
    let status = Command::new(BIN)
        .args(["report", "--quiet", log, "-o"])
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    // 1: the log has findings, which the report shows.
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "callfold report {log}: {status}"
    );
}

/// Every chart of the report present, drawn and named; no request, no script, no console error;
/// every call link lands on its timeline.
#[test]
fn the_report_in_a_real_browser() {
    if let Some(why) = missing() {
        return skip("the_report_in_a_real_browser", &why);
    }
    let dir = temp_dir("report-browser");
    let charts = "time-attempts,time-asr,time-ring,ring,talk,causes,failures,destinations-chart";
    let expect = |extra: &str| vec![("EXPECT_CHARTS", format!("{charts}{extra}"))];

    let clean = dir.join("clean.html");
    report("samples/transfers.jsonl", &clean);
    let seen = node("report.mjs", &[clean.to_str().unwrap()], &expect(",queue"));
    assert_eq!(
        (seen["charts"].as_u64(), seen["callLinks"].as_u64()),
        (Some(9), Some(0)),
        "{seen}"
    );

    // The faulty log: five findings in two calls, each linking to its timeline.
    let faulty = dir.join("faulty.html");
    report("tests/data/faulty.jsonl", &faulty);
    let seen = node(
        "report.mjs",
        &[faulty.to_str().unwrap()],
        &expect(",timeline-c-a,timeline-c-b"),
    );
    assert_eq!(
        (seen["charts"].as_u64(), seen["callLinks"].as_u64()),
        (Some(10), Some(5)),
        "{seen}"
    );
    assert_eq!(
        seen["requests"].as_u64(),
        Some(1),
        "only the file itself: {seen}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The live page against the real server: refused without the token; with it, callbacks posted to
/// the server show up without a reload, and a click draws the call.
#[test]
fn the_live_page_in_a_real_browser() {
    if let Some(why) = missing() {
        return skip("the_live_page_in_a_real_browser", &why);
    }
    let data = temp_dir("live-browser");
    let server = Server::start(&data, &[]);
    let env = [
        ("BASE", format!("http://{}/", server.addr)),
        ("TOKEN", TOKEN.to_owned()),
        ("USER", USER.to_owned()),
        ("PASSWORD", PASSWORD.to_owned()),
    ];
    let seen = node("live.mjs", &[], &env);
    assert_eq!(seen["timelineRows"].as_u64(), Some(3), "{seen}");
    // What the page showed is what the server holds.
    let legs = server.get("/legs?parent=c-live-a").json();
    assert_eq!(legs.as_array().map(Vec::len), Some(2), "{legs}");
    assert!(server.stop().success());
    let _ = std::fs::remove_dir_all(&data);
}
