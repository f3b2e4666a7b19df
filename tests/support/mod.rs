//! The one test harness every integration test includes with `mod support;` and uses a part
//! of: `registry` (real registries, htpasswd, a TLS CA, a token server, skopeo), `images`
//! (generated layouts and archives), `faults` (the fault proxy, fast retry pacing), `github`
//! (the GitHub API stub), `api_stub` (a vendor API stub that records every request), `pusher`
//! (repositories put in an exact shape through the distribution API), `step` (the binary run as a GitHub runner runs a step, and the one
//! file-command parser), `cli` (the binary run outside a runner); here, the diffs for failure
//! messages and small shared helpers.
#![allow(dead_code)]

pub mod api_stub;
pub mod cli;
pub mod faults;
pub mod github;
pub mod images;
pub mod pusher;
pub mod registry;
pub mod step;

use std::fmt::Write as _;
use std::net::TcpListener;

use sha2::{Digest as _, Sha256};

use serde_json::Value as Json;

/// A line diff (longest common subsequence): `  ` kept, `- ` expected only, `+ ` actual only.
pub fn diff_lines(expected: &[String], actual: &[String]) -> String {
    diff_with(expected, actual, show)
}

fn diff_with(expected: &[String], actual: &[String], show: fn(&str) -> String) -> String {
    let (n, m) = (expected.len(), actual.len());
    // lcs[i][j]: length of the LCS of expected[i..] and actual[j..]
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            let _ = writeln!(out, "      {}", show(&expected[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "    + {}", show(&actual[j]));
            j += 1;
        } else {
            let _ = writeln!(out, "    - {}", show(&expected[i]));
            i += 1;
        }
    }
    out
}

/// A line as a quoted debug string when whitespace or control characters would be invisible.
fn show(line: &str) -> String {
    if line.is_empty() || line.trim() != line || line.chars().any(char::is_control) {
        format!("{line:?}")
    } else {
        line.to_owned()
    }
}

/// Diff of two strings, line by line (a trailing "(no final newline)" note is not needed: the
/// values compared are output values, compared exactly before diffing).
pub fn diff_text(expected: &str, actual: &str) -> String {
    let split = |s: &str| s.split('\n').map(str::to_owned).collect::<Vec<_>>();
    diff_lines(&split(expected), &split(actual))
}

/// Diff of two JSON values, pretty-printed.
pub fn diff_json(expected: &Json, actual: &Json) -> String {
    let lines = |v: &Json| {
        serde_json::to_string_pretty(v)
            .expect("JSON serialises")
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    diff_with(&lines(expected), &lines(actual), str::to_owned)
}

/// A JSON array of strings as a `Vec<String>` (`None` when it is not one).
pub fn string_list(v: &Json) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// An ISO 8601 instant (`2020-01-10T00:30:00Z`) as a JS time value in milliseconds.
pub fn iso_ms(iso: &str) -> f64 {
    let t = chrono::DateTime::parse_from_rfc3339(iso)
        .unwrap_or_else(|e| panic!("`{iso}` is not an RFC 3339 instant: {e}"));
    #[allow(clippy::cast_precision_loss)]
    let ms = t.timestamp_millis() as f64;
    ms
}

/// sha256 digest string of bytes.
pub fn digest(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in h {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local address")
        .port()
}

#[cfg(test)]
#[allow(unused_imports)] // a `harness = false` target compiles this module without its `#[test]`s
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changes() {
        let a: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let b: Vec<String> = ["a", "x", "c"].map(String::from).to_vec();
        assert_eq!(diff_lines(&a, &b), "      a\n    + x\n    - b\n      c\n");
    }
}
