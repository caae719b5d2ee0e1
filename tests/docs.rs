//! The examples of the README and `docs/cli.md` are what callfold prints: every `$ callfold …` block is
//! run, and its output compared with the block. A block with a `...` line shows part of the output:
//! each line it shows must be printed. Without one, the block is the whole output (stdout and stderr;
//! lines in any order, as the two streams interleave differently in a terminal).

use std::process::Command;

/// The documents whose examples are run.
const DOCS: [&str; 2] = ["README.md", "docs/cli.md"];

/// One `$ callfold …` example: where it is, the command's words, whether its stdout is thrown away
/// (`> /dev/null`), the lines shown, and whether they are all of them.
struct Example {
    place: String,
    args: Vec<String>,
    stdout_discarded: bool,
    lines: Vec<String>,
    whole: bool,
}

/// Every example of a document that runs callfold alone (no pipe, no other program).
fn examples(doc: &str) -> Vec<Example> {
    let text = std::fs::read_to_string(doc).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut examples = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_start();
        if fence != "```text" {
            i += 1;
            continue;
        }
        let indent = lines[i].len() - fence.len();
        let start = i + 1;
        let end = (start..lines.len())
            .find(|&j| lines[j].trim() == "```")
            .unwrap_or_else(|| panic!("{doc}:{}: a ``` block that never closes", i + 1));
        i = end + 1;
        let block: Vec<&str> = lines[start..end]
            .iter()
            .map(|line| line.get(indent..).unwrap_or(""))
            .collect();
        let Some(command) = block.first().and_then(|l| l.strip_prefix("$ callfold ")) else {
            continue;
        };
        let (command, stdout_discarded) = match command.strip_suffix(" > /dev/null") {
            Some(command) => (command, true),
            None => (command, false),
        };
        if command.contains('|') || command.contains('>') || command.contains('<') {
            continue;
        }
        let shown: Vec<String> = block[1..].iter().map(|l| (*l).to_owned()).collect();
        let whole = !shown.iter().any(|l| l == "...");
        examples.push(Example {
            place: format!("{doc}:{start}"),
            args: words(command),
            stdout_discarded,
            lines: shown.into_iter().filter(|l| l != "...").collect(),
            whole,
        });
    }
    examples
}

/// A command's words, as a shell splits them: on spaces, with '…' quoting.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn every_callfold_example_in_the_docs_prints_what_it_shows() {
    let mut run = 0;
    let mut wrong = Vec::new();
    for doc in DOCS {
        for example in examples(doc) {
            let out = Command::new(env!("CARGO_BIN_EXE_callfold"))
                .args(&example.args)
                .output()
                .unwrap();
            let mut printed: Vec<String> = Vec::new();
            if !example.stdout_discarded {
                printed.extend(
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .map(str::to_owned),
                );
            }
            printed.extend(
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .map(str::to_owned),
            );
            let missing: Vec<&String> = example
                .lines
                .iter()
                .filter(|line| !printed.contains(line))
                .collect();
            let mut sorted_shown = example.lines.clone();
            let mut sorted_printed = printed.clone();
            sorted_shown.sort();
            sorted_printed.sort();
            if !missing.is_empty() || (example.whole && sorted_shown != sorted_printed) {
                wrong.push(format!(
                    "{} (callfold {}):\n  shown but not printed: {missing:#?}\n  printed:\n{}",
                    example.place,
                    example.args.join(" "),
                    printed.join("\n")
                ));
            }
            run += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    // The README's two and cli.md's five: a parser that found none would pass silently.
    assert!(run >= 7, "only {run} examples found");
}

#[test]
fn the_readme_library_example_pastes_as_a_program() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("```rust\n")
        .expect("the README has a Rust example")
        + 8;
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    // rustdoc hides lines starting with `#`: a pasted copy would lack them.
    let hidden: Vec<&str> = example
        .lines()
        .filter(|line| line.trim_start().starts_with('#') && !line.trim_start().starts_with("#["))
        .collect();
    assert!(hidden.is_empty(), "hidden lines: {hidden:?}");
    assert!(example.contains("fn main()"), "{example}");
}
