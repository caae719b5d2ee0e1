//! The documentation fixtures, shared by the tests that read them all (included with `#[path]`, so
//! that it needs neither the binary nor a feature).

use std::fs;
use std::path::{Path, PathBuf};

/// Where the copy of `shared/fixtures/bandwidth-docs/` lives.
pub const FIXTURES: &str = "tests/fixtures/bandwidth-docs";

/// Every `.json` file under `dir`, sorted.
pub fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(fixtures(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    files
}
