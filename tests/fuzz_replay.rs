//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets' own bodies on
//! the stable toolchain, so that every input the fuzzers kept, crashes they found included, is checked in
//! CI without a fuzzer.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new("fuzz/corpus").join(target);
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no corpus in {}", dir.display());
    for input in &inputs {
        let data = fs::read(input).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} fails {target}", input.display());
    }
    eprintln!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn decode_corpus() {
    replay("decode", harness::decode);
}

#[test]
fn read_and_fold_corpus() {
    replay("read_and_fold", harness::read_and_fold);
}

#[test]
fn tracker_corpus() {
    replay("tracker", harness::tracker);
}
