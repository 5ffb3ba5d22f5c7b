//! docs/ERRORS.md against the code (issue 18): every code the server can
//! send is listed with its status and both languages, and every code
//! listed is sent somewhere. The codes are read from the source the way a
//! reviewer would find them: the constructors of problems and field
//! errors.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The Rust source of the crates that answer requests.
fn code_base() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["app/src", "api/src", "domain"] {
        sources(&root().join(dir), &mut files);
    }
    files
}

/// The codes the source hands to problems and field errors.
fn codes_in_source() -> BTreeSet<String> {
    let code = r#""([a-z][a-z0-9]*(?:_[a-z0-9]+)*)""#;
    let patterns = [
        format!(r"code:\s*{code}"),
        format!(r"code\s*=\s*{code}"),
        format!(r"ValidationError::new\({code}\)"),
        format!(r"Unauthenticated\({code}\)"),
        format!(r"(?:conflict|conflict_as|malformed)\(\s*{code}"),
        // field errors: the field (an expression) then the code
        format!(
            r#"(?:FieldError::new|AppError::field)\(\s*(?:format!\([^)]*\)|"[^"]*"|[a-zA-Z_.()&]+),\s*{code}"#
        ),
        // (code, zh) and (field, code, zh) tuples of error mappings
        format!(r#"=> \(\s*{code},\s*(?:format!|"[^"\x00-\x7f]*[^\x00-\x7f])"#),
        format!(r#"=> \(\s*"[a-z_.]+",\s*{code},\s*(?:format!|"|Text)"#),
        // any code handed over with its words
        format!(r"{code},\s*Text::new\("),
        // the credit code's own errors
        r#"=> "(uscc_[a-z_]+)""#.to_owned(),
    ];
    let patterns: Vec<Regex> = patterns
        .iter()
        .map(|p| Regex::new(&format!("(?m){p}")).unwrap())
        .collect();
    let mut found = BTreeSet::new();
    for file in code_base() {
        for re in &patterns {
            for c in re.captures_iter(&file) {
                found.insert(c[1].to_owned());
            }
        }
    }
    found
}

/// The codes docs/ERRORS.md lists in its tables.
fn codes_in_doc() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/ERRORS.md")).unwrap();
    let row = Regex::new(r"(?m)^\| (?:[0-9]{3} \| )?`([a-z0-9_]+)` \| (.+) \| (.+) \|$").unwrap();
    let mut codes = BTreeSet::new();
    for c in row.captures_iter(&doc) {
        let (en, zh) = (&c[2], &c[3]);
        assert!(!en.trim().is_empty(), "{}: no meaning", &c[1]);
        assert!(
            zh.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
            "{}: no Chinese meaning",
            &c[1]
        );
        assert!(codes.insert(c[1].to_owned()), "{} listed twice", &c[1]);
    }
    codes
}

#[test]
fn every_code_sent_is_in_errors_md() {
    let documented = codes_in_doc();
    let missing: Vec<String> = codes_in_source()
        .into_iter()
        .filter(|c| !documented.contains(c))
        .collect();
    assert!(missing.is_empty(), "not in docs/ERRORS.md: {missing:?}");
}

#[test]
fn every_code_in_errors_md_is_sent() {
    let source = code_base().join("\n");
    let stale: Vec<String> = codes_in_doc()
        .into_iter()
        .filter(|c| !source.contains(&format!("\"{c}\"")))
        .collect();
    assert!(stale.is_empty(), "listed but never sent: {stale:?}");
}
