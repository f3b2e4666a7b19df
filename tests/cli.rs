//! The CLI mode (outside a runner): a plain log on stderr, the result once on stdout, `context`
//! defaulting to `git` in a repository with owner/name from a GitHub `origin`, `-q`, exit codes,
//! invalid UTF-8 inputs named, completions and the man page, and progress lines for a push to a
//! pipe. Assertions are on the captured bytes.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Stdio};

use support::cli::Out;
use support::free_port;
use support::images::write_layout;
use support::registry::{Kind, Registry};

/// Runs the binary as the CLI (see `support::cli`), the GitHub API pointed where nothing listens,
/// so its read fails at once, as offline.
fn hoist<K: AsRef<OsStr>, V: AsRef<OsStr>>(cwd: &Path, env: &[(K, V)], args: &[&str]) -> Out {
    let api = OsString::from(format!("http://127.0.0.1:{}", free_port()));
    let mut all: Vec<(OsString, OsString)> = vec![(OsString::from("GITHUB_API_URL"), api)];
    all.extend(
        env.iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
    );
    support::cli::hoist(cwd, &all, args)
}

const NO_ENV: [(&str, &str); 0] = [];

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "git {args:?}");
}

fn repo_with_origin(origin: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "feature-x"]);
    git(dir.path(), &["commit", "-q", "--allow-empty", "-m", "init"]);
    git(dir.path(), &["remote", "add", "origin", origin]);
    dir
}

fn assert_plain_log(text: &str) {
    for l in text.lines() {
        assert!(
            !l.starts_with("::") && !l.starts_with("##["),
            "a workflow command outside a runner: {l}\n{text}"
        );
        assert!(
            !l.ends_with("undefined") && !l.ends_with("NaN") && !l.contains("Invalid Date"),
            "an unknown value printed: {l}\n{text}"
        );
    }
}

#[test]
fn in_a_repository_context_is_git_and_the_github_origin_fills_source_and_url() {
    for origin in [
        "git@github.com:octo/app.git",
        "https://github.com/octo/app",
        "ssh://git@github.com/octo/app",
    ] {
        let repo = repo_with_origin(origin);
        let run = hoist(
            repo.path(),
            &NO_ENV,
            &["--images", "ghcr.io/octo/app", "--format", "json"],
        );
        assert_eq!(
            run.code,
            Some(0),
            "{origin}\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert_plain_log(&run.stderr);
        // Printed once: a single JSON document.
        let json: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", run.stdout));
        assert_eq!(
            json["tags"],
            serde_json::json!(["ghcr.io/octo/app:feature-x"])
        );
        assert_eq!(json["tag-names"], serde_json::json!(["feature-x"]));
        let labels: Vec<&str> = json["labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for want in [
            "org.opencontainers.image.source=https://github.com/octo/app",
            "org.opencontainers.image.url=https://github.com/octo/app",
            "org.opencontainers.image.title=app",
        ] {
            assert!(labels.contains(&want), "{origin}: {labels:?}");
        }
        assert!(json["json"]["tags"].is_array() && json["annotations"].is_array());
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with("warning: cannot read the repository")),
            "the offline API read is a warning\n{}",
            run.stderr
        );
        // The result is on stdout: by default stderr does not repeat the metadata steps.
        for heading in [
            "Context info:",
            "Docker tags:",
            "Docker labels:",
            "JSON output",
        ] {
            assert!(!run.stderr.contains(heading), "{heading}\n{}", run.stderr);
        }
        // `-v` shows them, still without JavaScript's unknown values.
        let verbose = hoist(
            repo.path(),
            &NO_ENV,
            &["--images", "ghcr.io/octo/app", "--format", "json", "-v"],
        );
        assert_eq!(verbose.code, Some(0), "{}", verbose.stderr);
        assert_plain_log(&verbose.stderr);
        assert!(
            verbose.stderr.contains("Context info:\n  sha: ")
                && verbose
                    .stderr
                    .contains("Docker tags:\n  ghcr.io/octo/app:feature-x\n"),
            "{}",
            verbose.stderr
        );
        assert!(
            !verbose.stderr.contains("JSON output"),
            "{}",
            verbose.stderr
        );
        let verbose_json: serde_json::Value = serde_json::from_str(&verbose.stdout).unwrap();
        assert_eq!(
            verbose_json["tags"], json["tags"],
            "-v changes the log, not the result"
        );
    }
}

#[test]
fn a_non_github_origin_leaves_the_repository_labels_empty_and_quiet_prints_nothing() {
    let repo = repo_with_origin("https://gitlab.com/octo/app.git");
    let run = hoist(repo.path(), &NO_ENV, &["--images", "x/app", "-q"]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "", "--quiet prints only errors");
    assert!(
        run.stdout.contains("tags:\n  x/app:feature-x\n")
            && run.stdout.contains("  org.opencontainers.image.source=\n"),
        "{}",
        run.stdout
    );
    // An explicit `context: workflow` is kept: no event, no tag.
    let run = hoist(
        repo.path(),
        &NO_ENV,
        &["--images", "x/app", "--context", "workflow"],
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("tags:\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("x/app:feature-x"), "{}", run.stdout);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("warning: No Docker tag has been generated")),
        "{}",
        run.stderr
    );
    assert_plain_log(&run.stderr);
}

#[test]
fn exit_codes_errors_and_invalid_utf8_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let run = hoist(dir.path(), &NO_ENV, &["--no-such-flag"]);
    assert_eq!(run.code, Some(2), "usage error\n{}", run.stderr);

    let run = hoist(dir.path(), &[("INPUT_CONTEXT", "nope")], &[]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr, "error: Invalid context source: nope\n");
    assert_eq!(run.stdout, "");

    // A password YAML reads as a number: an error asking to quote it, the value never shown.
    let run = hoist(
        dir.path(),
        &NO_ENV,
        &[
            "-q",
            "--registry-auth",
            "- registry: r.example\n  username: u\n  password: 0x1F",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let last = run.stderr.lines().rev().find(|l| l.starts_with("error: "));
    assert!(
        last.is_some_and(|l| l.contains("input `registry-auth`: entry 1 (r.example): `password`")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: quote it"), "{}", run.stderr);
    assert!(!run.stderr.contains("0x1F") && !run.stderr.contains("31"));

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let bad = OsStr::from_bytes(b"type=raw,value=\xff");
        let run = hoist(dir.path(), &[(OsStr::new("INPUT_TAGS"), bad)], &[]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert_eq!(run.stderr, "error: input `tags` is not valid UTF-8\n");
        let run = hoist(
            dir.path(),
            &[
                (OsStr::new("INPUT_TAGS"), bad),
                (OsStr::new("GITHUB_ACTIONS"), OsStr::new("true")),
            ],
            &[],
        );
        assert_eq!(run.code, Some(1));
        assert_eq!(run.stdout, "::error::input `tags` is not valid UTF-8\n");
    }
}

#[test]
fn completions_and_man_page_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let run = hoist(
            dir.path(),
            &[("INPUT_TAGS", "type=sha")],
            &["completions", shell],
        );
        assert_eq!(run.code, Some(0), "{shell}: {}", run.stderr);
        assert!(
            run.stdout.contains("registry-auth") && run.stdout.contains("hoist"),
            "{shell}: {}",
            run.stdout
        );
    }
    let run = hoist(dir.path(), &NO_ENV, &["man"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.starts_with(".ie") || run.stdout.contains(".TH hoist"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("registry\\-auth"), "{}", run.stdout);
    let help = hoist(dir.path(), &NO_ENV, &["--help"]);
    for transport in [
        "oci:",
        "oci-archive:",
        "docker-archive:",
        "docker-daemon:",
        "docker://",
    ] {
        assert!(
            help.stdout.contains(transport),
            "{transport}\n{}",
            help.stdout
        );
    }
}

#[test]
fn a_push_to_a_pipe_prints_a_progress_line_per_blob_and_a_final_one() {
    let reg = Registry::start(&Kind::Anonymous);
    let dir = tempfile::tempdir().unwrap();
    write_layout(&dir.path().join("layout"), 11, false);
    let source = format!("oci:{}", dir.path().join("layout").display());
    let image = format!("{}/p/app", reg.host());
    let sibling = format!("{}/q/app", reg.host());
    let images = format!("{image}\n{sibling}");
    let run = hoist(
        dir.path(),
        &NO_ENV,
        &[
            "--images",
            &images,
            "--tags",
            "type=raw,value=v1",
            "--source",
            &source,
            "--insecure-registries",
            &reg.host(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_plain_log(&run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with(&format!("{image}: ")) && l.contains(" blobs "))
        .collect();
    // The plan has a config and three layers.
    for n in 1..=4 {
        assert!(
            lines.iter().any(|l| l.contains(&format!("blobs {n}/4"))),
            "blob {n}: {lines:?}"
        );
    }
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains(": done, blobs 4/4")),
        "{lines:?}"
    );
    assert!(!run.stderr.contains("\x1b["), "no terminal codes in a pipe");
    // The second repository on the host mounts what the first uploaded: nothing left to send.
    assert!(
        run.stderr.lines().any(|l| l.starts_with(&format!(
            "{sibling}: done, blobs 4/4, 4 mounted, 0 B of 0 B"
        ))),
        "{}",
        run.stderr
    );
}
