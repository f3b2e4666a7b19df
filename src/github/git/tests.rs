//! The toolkit logic on canned command outputs, and the recomputed commands compared with the
//! real `git` on repositories built for each case.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::commands::{
    commit_parents, decoration_filter_keeps, prettify_refname, ref_filter_committer_timestamp,
    strtoumax, tag_target,
};
use super::date::format_ci;
use super::toolkit::{is_pull_ref, js_lines, js_slice_from};
use super::*;
use crate::js::jsnum::js_trim;

// ---------------------------------------------------------------------------------------
// Toolkit logic on canned command outputs.
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Canned {
    show_current: String,
    symbolic_ref: String,
    decorations: String,
    points_at: String,
    heads: String,
    remotes: String,
    tags: String,
}

impl GitSource for Canned {
    fn branch_show_current(&mut self) -> Result<String, GitError> {
        Ok(self.show_current.clone())
    }
    fn symbolic_ref_head(&mut self) -> Result<String, GitError> {
        Ok(self.symbolic_ref.clone())
    }
    fn head_sha(&mut self) -> Result<String, GitError> {
        Ok("0123456789abcdef0123456789abcdef01234567\n".to_string())
    }
    fn head_decorations(&mut self) -> Result<String, GitError> {
        Ok(self.decorations.clone())
    }
    fn tags_pointing_at_head(&mut self) -> Result<String, GitError> {
        Ok(self.points_at.clone())
    }
    fn refs_containing_head(&mut self, prefix: &str) -> Result<String, GitError> {
        Ok(match prefix {
            "refs/heads/" => self.heads.clone(),
            "refs/remotes/" => self.remotes.clone(),
            _ => String::new(),
        })
    }
    fn tags_containing_head(&mut self) -> Result<String, GitError> {
        Ok(self.tags.clone())
    }
    fn commit_date(&mut self, sha: &str) -> Result<String, GitError> {
        assert_eq!(sha, "0123456789abcdef0123456789abcdef01234567");
        Ok("\"2024-01-02 03:04:05 +0100\"\n".to_string())
    }
}

fn detached(decorations: &str, points_at: &str) -> Result<String, GitError> {
    let mut src = Canned {
        decorations: format!("{decorations}\n"),
        points_at: points_at.to_string(),
        ..Canned::default()
    };
    toolkit_context(&mut src).map(|r| r.git_ref)
}

fn toolkit_err(m: &str) -> Result<String, GitError> {
    Err(GitError::Toolkit(m.to_string()))
}

#[test]
fn attached_uses_symbolic_ref() {
    let mut src = Canned {
        show_current: "main\n".into(),
        symbolic_ref: "refs/heads/main\n".into(),
        ..Canned::default()
    };
    let got = toolkit_context(&mut src).unwrap();
    assert_eq!(
        got,
        GitRef {
            git_ref: "refs/heads/main".into(),
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            commit_date: "\"2024-01-02 03:04:05 +0100\"".into(),
        }
    );
}

#[test]
fn detached_tags() {
    let v1 = "refs/tags/v1\n";
    assert_eq!(detached("HEAD, tag: v1", v1), Ok("refs/tags/v1".into()));
    assert_eq!(
        detached("grafted, HEAD, tag: v1", v1),
        Ok("refs/tags/v1".into())
    );
    // v6 fix: a branch after the tag is ignored.
    assert_eq!(
        detached("HEAD, tag: v1, main", v1),
        Ok("refs/tags/v1".into())
    );
    assert_eq!(
        detached("HEAD, tag: v1, origin/main, main", v1),
        Ok("refs/tags/v1".into())
    );
    // Longest name first: `tag: v1.0` must not be taken for `tag: v1`.
    let both = "refs/tags/v1\nrefs/tags/v1.0\n";
    assert_eq!(
        detached("HEAD, tag: v1.0, tag: v1", both),
        Ok("refs/tags/v1.0".into())
    );
    // The first decoration decides, whatever the listing order.
    assert_eq!(
        detached("HEAD, tag: v1, tag: v1.0", both),
        Ok("refs/tags/v1".into())
    );
    assert_eq!(
        detached("HEAD, tag: zz, tag: a", "refs/tags/a\nrefs/tags/zz\n"),
        Ok("refs/tags/zz".into())
    );
    // A single listed tag is used even when it does not match.
    assert_eq!(detached("HEAD, tag: other", v1), Ok("refs/tags/v1".into()));
    assert_eq!(
        detached("HEAD, tag: other", both),
        toolkit_err("Cannot find detached tag ref in \"HEAD, tag: other\"")
    );
    assert_eq!(
        detached("grafted, HEAD, tag: other", ""),
        toolkit_err("Cannot find detached tag ref in \"grafted, HEAD, tag: other\"")
    );
    // `tag: v1x` is not `tag: v1` followed by `, `.
    assert_eq!(
        detached("HEAD, tag: v1x", "refs/tags/v1\nrefs/tags/v2\n"),
        toolkit_err("Cannot find detached tag ref in \"HEAD, tag: v1x\"")
    );
}

#[test]
fn detached_branches_and_pulls() {
    assert_eq!(
        detached("HEAD, pull/1/merge", ""),
        Ok("refs/pull/1/merge".into())
    );
    assert_eq!(
        detached("HEAD, pull/12/head", ""),
        Ok("refs/pull/12/head".into())
    );
    assert_eq!(
        detached("grafted, HEAD, pull/7/merge", ""),
        Ok("refs/pull/7/merge".into())
    );
    // Not a pull pattern (two refs) → the remote rules.
    assert_eq!(
        detached("HEAD, pull/1/merge, main", ""),
        Ok("refs/heads/1/merge, main".into())
    );
    assert_eq!(detached("HEAD, origin/x, x", ""), Ok("refs/heads/x".into()));
    assert_eq!(detached("HEAD, origin/x", ""), Ok("refs/heads/x".into()));
    assert_eq!(
        detached("HEAD, origin/feature/y", ""),
        Ok("refs/heads/feature/y".into())
    );
    assert_eq!(
        detached("HEAD, origin/main, origin/HEAD, main", ""),
        Ok("refs/heads/origin/HEAD, main".into())
    );
    assert_eq!(
        detached("HEAD, main, feature/x", ""),
        Ok("refs/heads/x".into())
    );
    assert_eq!(detached("HEAD, a/b, c/d", ""), Ok("refs/heads/c/d".into()));
    assert_eq!(detached("HEAD, a/b, c, d", ""), Ok("refs/heads/d".into()));
    assert_eq!(
        detached("HEAD, main", ""),
        toolkit_err("Unsupported detached HEAD ref in \"HEAD, main\"")
    );
    assert_eq!(
        detached("HEAD, /x", ""),
        toolkit_err("Unsupported detached HEAD ref in \"HEAD, /x\"")
    );
    assert_eq!(
        detached("HEAD, x/", ""),
        toolkit_err("Unsupported detached HEAD ref in \"HEAD, x/\"")
    );
    assert_eq!(
        detached("grafted", ""),
        toolkit_err("Cannot find detached HEAD ref in \"grafted\"")
    );
    assert_eq!(
        detached("HEAD, ", ""),
        toolkit_err("Cannot find detached HEAD ref in \"HEAD,\"")
    );
    assert_eq!(
        detached("HEAD,x", ""),
        toolkit_err("Cannot find detached HEAD ref in \"HEAD,x\"")
    );
    assert_eq!(
        detached("HEAD, a/\u{2028}b", ""),
        toolkit_err("Cannot find detached HEAD ref in \"HEAD, a/\u{2028}b\"")
    );
}

#[test]
fn detached_bare_head_fallbacks() {
    let mut src = Canned {
        decorations: "HEAD\n".into(),
        heads: "refs/heads/newer\nrefs/heads/main\n".into(),
        remotes: "refs/remotes/origin/x\n".into(),
        tags: "v1\n".into(),
        ..Canned::default()
    };
    assert_eq!(
        toolkit_context(&mut src).unwrap().git_ref,
        "refs/heads/newer"
    );
    src.heads = "\n".into();
    assert_eq!(toolkit_context(&mut src).unwrap().git_ref, "refs/heads/x");
    src.remotes = "refs/remotes/pull/1/merge\n".into();
    assert_eq!(
        toolkit_context(&mut src).unwrap().git_ref,
        "refs/heads/1/merge"
    );
    src.remotes = "refs/remotes/odd\n".into();
    assert_eq!(
        toolkit_context(&mut src).unwrap().git_ref,
        "refs/remotes/odd"
    );
    src.remotes = String::new();
    assert_eq!(toolkit_context(&mut src).unwrap().git_ref, "refs/tags/v1");
    src.tags = String::new();
    src.decorations = "grafted, HEAD\n".into();
    assert_eq!(
        toolkit_context(&mut src),
        Err(GitError::Toolkit(
            "Cannot infer ref from detached HEAD".into()
        ))
    );
}

#[test]
fn js_string_helpers() {
    assert_eq!(js_trim("\u{FEFF}\u{A0} x \u{3000}\n"), "x");
    assert_eq!(js_trim("\u{85}x"), "\u{85}x");
    assert_eq!(
        js_lines(" a \n\n b\n"),
        vec!["a".to_string(), "b".to_string()]
    );
    assert_eq!(js_slice_from("refs/tags/v1", 10), "v1");
    assert_eq!(js_slice_from("short", 10), "");
    assert!(is_pull_ref("pull/1/merge"));
    assert!(!is_pull_ref("pull//merge"));
    assert!(!is_pull_ref("pull/1/merged"));
    assert!(!is_pull_ref("pull/١/head"));
}

#[test]
fn ci_formatting() {
    let commit = |committer: &str| {
        format!(
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a> 1 +0000\ncommitter {committer}\n\nmsg\n"
        )
    };
    let ci = |c: &str| format_ci(commit(c).as_bytes());
    assert_eq!(
        ci("C <c> 1704161045 +0100").unwrap(),
        "2024-01-02 03:04:05 +0100"
    );
    assert_eq!(
        ci("C <c> 1704161045 -0530").unwrap(),
        "2024-01-01 20:34:05 -0530"
    );
    assert_eq!(ci("C <c> 0 +0000").unwrap(), "1970-01-01 00:00:00 +0000");
    assert_eq!(
        ci("C <c> 1704161045 +0099").unwrap(),
        "2024-01-02 03:43:05 +0099"
    );
    assert_eq!(
        ci("C <c> 1704161045 +12345").unwrap(),
        "2024-01-07 05:49:05 +12345"
    );
    assert_eq!(ci("C <c> 1704161045").unwrap(), "");
    assert_eq!(ci("C <c>").unwrap(), "");
    assert_eq!(ci("C <c> x +0100").unwrap(), "");
    assert_eq!(
        ci("C <c>> 1704161045 +0100").unwrap(),
        "2024-01-02 03:04:05 +0100"
    );
    assert_eq!(ci("C c 1704161045 +0100").unwrap(), "");
    assert_eq!(ci("C <c 1704161045 +0100").unwrap(), "");
    assert_eq!(
        ci("C <c> 99999999999999999999999 +0100").unwrap(),
        "1970-01-01 00:00:00 +0000"
    );
    assert_eq!(
        ci("C <c> 253402300800 +0000").unwrap(),
        "10000-01-01 00:00:00 +0000"
    );
    assert_eq!(
        ci("C <c> 10 -0100"),
        Err(GitError::Command(
            "fatal: Timestamp before Unix epoch: 10 -100\n".into()
        ))
    );
    assert_eq!(
        format_ci(b"tree x\n\ncommitter C <c> 5 +0000\n").unwrap(),
        ""
    );
    // The last committer header wins.
    let two = "tree x\ncommitter A <a> 0 +0000\ncommitter B <b> 60 +0000\n\n";
    assert_eq!(
        format_ci(two.as_bytes()).unwrap(),
        "1970-01-01 00:01:00 +0000"
    );
}

#[test]
fn raw_object_parsing() {
    let a = "1111111111111111111111111111111111111111";
    let b = "2222222222222222222222222222222222222222";
    let commit = format!(
        "tree {a}\nparent {a}\nparent {b}\nauthor x\ncommitter C <c> 42 +0100\n\nparent {b}\n"
    );
    let ids = commit_parents(commit.as_bytes());
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1].to_string(), b);
    assert!(commit_parents(b"parent 1111111111111111111111111111111111111111\n").is_empty());
    assert_eq!(ref_filter_committer_timestamp(commit.as_bytes()), 42);
    assert_eq!(
        ref_filter_committer_timestamp(b"object x\ntagger T <t> 5 +0000\n\n"),
        0
    );
    let tag = format!("object {b}\ntype commit\ntag v1\n\nmsg\n");
    assert_eq!(
        tag_target(tag.as_bytes()).map(|i| i.to_string()),
        Some(b.to_string())
    );
    assert!(tag_target(b"object zz\n").is_none());
    assert_eq!(strtoumax(b" +12x"), Some(12));
    assert_eq!(strtoumax(b"99999999999999999999999"), None);
}

#[test]
fn decoration_filter_and_names() {
    assert!(decoration_filter_keeps("refs/heads/main"));
    assert!(decoration_filter_keeps("refs/stash"));
    assert!(decoration_filter_keeps("refs/stash/x"));
    assert!(!decoration_filter_keeps("refs/stashed"));
    assert!(!decoration_filter_keeps("refs/pull/1/merge"));
    assert!(!decoration_filter_keeps("refs/notes/commits"));
    assert_eq!(
        prettify_refname("refs/remotes/pull/1/merge"),
        "pull/1/merge"
    );
    assert_eq!(prettify_refname("refs/stash"), "refs/stash");
}

// ---------------------------------------------------------------------------------------
// Real repositories built with the git CLI, compared with the toolkit run on the git CLI.
// ---------------------------------------------------------------------------------------

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("gitctx-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_CEILING_DIRECTORIES",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "A U Thor")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "C O Mitter")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("LC_ALL", "C");
    cmd
}

/// Run a fixture-building git command; panics on failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir)
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "advice.detachedHead=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// An empty commit with a fixed committer date (seconds) and timezone.
fn commit_at(dir: &Path, msg: &str, seconds: u64, tz: &str) -> String {
    let date = format!("@{seconds} {tz}");
    let out = git_command(dir)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_AUTHOR_DATE", &date)
        .args(["commit", "-q", "--allow-empty", "-m", msg])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(dir, &["rev-parse", "HEAD"])
}

/// The toolkit's `exec` over the real git CLI.
struct Cli<'a>(&'a Path);

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let out = git_command(self.0).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() && !stderr.is_empty() {
            return Err(GitError::Command(stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl GitSource for Cli<'_> {
    fn branch_show_current(&mut self) -> Result<String, GitError> {
        self.run(&["branch", "--show-current"])
    }
    fn symbolic_ref_head(&mut self) -> Result<String, GitError> {
        self.run(&["symbolic-ref", "HEAD"])
    }
    fn head_sha(&mut self) -> Result<String, GitError> {
        self.run(&["show", "--format=%H", "HEAD", "--quiet", "--"])
    }
    fn head_decorations(&mut self) -> Result<String, GitError> {
        self.run(&["show", "-s", "--pretty=%D"])
    }
    fn tags_pointing_at_head(&mut self) -> Result<String, GitError> {
        self.run(&[
            "for-each-ref",
            "--format=%(refname)",
            "--points-at",
            "HEAD",
            "refs/tags/",
        ])
    }
    fn refs_containing_head(&mut self, prefix: &str) -> Result<String, GitError> {
        self.run(&[
            "for-each-ref",
            "--format=%(refname)",
            "--contains",
            "HEAD",
            "--sort=-committerdate",
            prefix,
        ])
    }
    fn tags_containing_head(&mut self) -> Result<String, GitError> {
        self.run(&["tag", "--contains", "HEAD"])
    }
    fn commit_date(&mut self, sha: &str) -> Result<String, GitError> {
        self.run(&["show", "-s", "--format=\"%ci\"", sha])
    }
}

/// Compare every command output gix recomputes with the git CLI's, then the whole result;
/// returns the (identical) result.
fn same_as_cli(dir: &Path) -> Result<GitRef, GitError> {
    let mut cli = Cli(dir);
    let expected = toolkit_context(&mut cli);
    let actual = read_git_context(dir);
    assert_eq!(actual, expected, "in {}", dir.display());
    if let Ok(mut gix) = GixSource::open(dir) {
        let current = cli.branch_show_current();
        assert_eq!(gix.branch_show_current(), current);
        if current.as_deref() == Ok("") {
            assert_eq!(gix.head_decorations(), cli.head_decorations());
            assert_eq!(gix.tags_pointing_at_head(), cli.tags_pointing_at_head());
            for prefix in ["refs/heads/", "refs/remotes/"] {
                assert_eq!(
                    gix.refs_containing_head(prefix),
                    cli.refs_containing_head(prefix)
                );
            }
            assert_eq!(gix.tags_containing_head(), cli.tags_containing_head());
        } else if current.is_ok() {
            assert_eq!(gix.symbolic_ref_head(), cli.symbolic_ref_head());
        }
        let sha = cli.head_sha();
        assert_eq!(gix.head_sha(), sha);
        if let Ok(sha) = sha {
            assert_eq!(gix.commit_date(sha.trim()), cli.commit_date(sha.trim()));
        }
    }
    actual
}

fn ok_ref(dir: &Path) -> String {
    same_as_cli(dir).unwrap().git_ref
}

fn decorations(dir: &Path) -> String {
    git(dir, &["show", "-s", "--pretty=%D"])
}

/// `main`: c1 ← c2 ← c3 (tag v1 lightweight on c2, annotated v2 on c3).
fn upstream(root: &Path) -> PathBuf {
    let dir = root.join("up");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    commit_at(&dir, "c1", 1_700_000_000, "+0000");
    commit_at(&dir, "c2", 1_700_000_100, "+0100");
    git(&dir, &["tag", "v1"]);
    commit_at(&dir, "c3", 1_700_000_200, "-0530");
    git(&dir, &["tag", "-a", "v2", "-m", "annotated"]);
    dir
}

#[test]
fn branch_checkout() {
    let tmp = TempDir::new("branch");
    let dir = upstream(&tmp.0);
    let got = same_as_cli(&dir).unwrap();
    assert_eq!(got.git_ref, "refs/heads/main");
    assert_eq!(got.sha, git(&dir, &["rev-parse", "HEAD"]));
    assert_eq!(got.commit_date, "\"2023-11-14 16:46:40 -0530\"");
    // Discovery from a subdirectory and a new branch.
    git(&dir, &["checkout", "-q", "-b", "feature/x"]);
    let sub = dir.join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(ok_ref(&sub), "refs/heads/feature/x");
    // HEAD → a symbolic branch → its target (symbolic-ref recurses).
    git(
        &dir,
        &["symbolic-ref", "refs/heads/alias", "refs/heads/main"],
    );
    git(&dir, &["symbolic-ref", "HEAD", "refs/heads/alias"]);
    assert_eq!(ok_ref(&dir), "refs/heads/main");
}

#[test]
fn detached_lightweight_and_annotated_tags() {
    let tmp = TempDir::new("tags");
    let dir = upstream(&tmp.0);
    git(&dir, &["checkout", "-q", "refs/tags/v1"]);
    assert_eq!(decorations(&dir), "HEAD, tag: v1");
    assert_eq!(ok_ref(&dir), "refs/tags/v1");
    git(&dir, &["checkout", "-q", "refs/tags/v2"]);
    // v2 is also main's tip.
    assert_eq!(decorations(&dir), "HEAD, tag: v2, main");
    let got = same_as_cli(&dir).unwrap();
    assert_eq!(got.git_ref, "refs/tags/v2");
    assert_eq!(got.commit_date, "\"2023-11-14 16:46:40 -0530\"");
    // More tags, nested tag, and a branch pointing at an annotated tag.
    git(&dir, &["tag", "v2.0"]);
    git(&dir, &["tag", "-a", "nested", "-m", "n", "v2"]);
    // git refuses to write a tag object to a branch; write the loose ref by hand.
    let tag_object = git(&dir, &["rev-parse", "refs/tags/v2"]);
    std::fs::write(
        dir.join(".git/refs/heads/tagbranch"),
        format!("{tag_object}\n"),
    )
    .unwrap();
    git(&dir, &["update-ref", "refs/pull/3/head", "HEAD"]);
    git(&dir, &["update-ref", "refs/notes/x", "HEAD"]);
    git(&dir, &["update-ref", "refs/stash", "HEAD"]);
    assert_eq!(
        decorations(&dir),
        "HEAD, tag: v2.0, tag: v2, tag: nested, refs/stash, tag: tagbranch, main"
    );
    assert_eq!(ok_ref(&dir), "refs/tags/v2.0");
    git(&dir, &["pack-refs", "--all"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v2.0");
    git(&dir, &["gc", "-q"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v2.0");
}

#[test]
fn tag_and_branch_on_same_commit() {
    let tmp = TempDir::new("tagbranch");
    let dir = upstream(&tmp.0);
    git(&dir, &["branch", "release", "v1"]);
    git(&dir, &["checkout", "-q", "--detach", "release"]);
    assert_eq!(decorations(&dir), "HEAD, tag: v1, release");
    assert_eq!(ok_ref(&dir), "refs/tags/v1");
    git(&dir, &["pack-refs", "--all"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v1");
    // Only a local branch: the toolkit cannot parse it.
    git(&dir, &["tag", "-d", "v1"]);
    assert_eq!(
        same_as_cli(&dir),
        Err(GitError::Toolkit(
            "Unsupported detached HEAD ref in \"HEAD, release\"".into()
        ))
    );
}

#[test]
fn remote_tracking_checkout() {
    let tmp = TempDir::new("remote");
    let up = upstream(&tmp.0);
    git(&up, &["checkout", "-q", "-b", "feature", "v1"]);
    commit_at(&up, "f1", 1_700_000_300, "+0200");
    git(&up, &["checkout", "-q", "main"]);
    git(&tmp.0, &["clone", "-q", "up", "clone"]);
    let dir = tmp.0.join("clone");
    git(&dir, &["checkout", "-q", "origin/feature"]);
    assert_eq!(decorations(&dir), "HEAD, origin/feature");
    assert_eq!(ok_ref(&dir), "refs/heads/feature");
    git(&dir, &["branch", "feature", "origin/feature"]);
    assert_eq!(decorations(&dir), "HEAD, origin/feature, feature");
    assert_eq!(ok_ref(&dir), "refs/heads/feature");
    git(&dir, &["checkout", "-q", "--detach", "main"]);
    assert_eq!(
        decorations(&dir),
        "HEAD, tag: v2, origin/main, origin/HEAD, main"
    );
    assert_eq!(ok_ref(&dir), "refs/tags/v2");
    git(&dir, &["tag", "-d", "v2"]);
    assert_eq!(decorations(&dir), "HEAD, origin/main, origin/HEAD, main");
    assert_eq!(ok_ref(&dir), "refs/heads/origin/HEAD, main");
    git(&dir, &["gc", "-q"]);
    assert_eq!(ok_ref(&dir), "refs/heads/origin/HEAD, main");
}

/// A merge commit at `refs/pull/1/merge` in the upstream.
fn pull_upstream(root: &Path) -> PathBuf {
    let up = upstream(root);
    git(&up, &["checkout", "-q", "-b", "topic", "v1"]);
    commit_at(&up, "t1", 1_700_000_400, "+0000");
    git(&up, &["checkout", "-q", "--detach", "main"]);
    let out = git_command(&up)
        .env("GIT_COMMITTER_DATE", "@1700000500 +0000")
        .args(["merge", "-q", "--no-ff", "-m", "merge", "topic"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(&up, &["update-ref", "refs/pull/1/merge", "HEAD"]);
    git(&up, &["checkout", "-q", "main"]);
    up
}

#[test]
fn pull_request_merge_ref() {
    let tmp = TempDir::new("pull");
    pull_upstream(&tmp.0);
    // actions/checkout: fetch the merge ref into refs/remotes/pull/N/merge, check it out.
    git(&tmp.0, &["clone", "-q", "up", "clone"]);
    let dir = tmp.0.join("clone");
    git(
        &dir,
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/pull/1/merge:refs/remotes/pull/1/merge",
        ],
    );
    git(
        &dir,
        &["checkout", "-q", "--force", "refs/remotes/pull/1/merge"],
    );
    assert_eq!(decorations(&dir), "HEAD, pull/1/merge");
    assert_eq!(ok_ref(&dir), "refs/pull/1/merge");
    git(&dir, &["pack-refs", "--all"]);
    assert_eq!(ok_ref(&dir), "refs/pull/1/merge");
}

#[test]
fn pull_request_shallow_like_actions_checkout() {
    let tmp = TempDir::new("pullshallow");
    let up = pull_upstream(&tmp.0);
    let sha = git(&up, &["rev-parse", "refs/pull/1/merge"]);
    let dir = tmp.0.join("ws");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    let url = format!("file://{}", up.display());
    git(&dir, &["remote", "add", "origin", &url]);
    let refspec = format!("+{sha}:refs/remotes/pull/1/merge");
    git(
        &dir,
        &[
            "fetch",
            "-q",
            "--no-tags",
            "--prune",
            "--depth=1",
            "origin",
            &refspec,
        ],
    );
    git(
        &dir,
        &[
            "checkout",
            "-q",
            "--progress",
            "--force",
            "refs/remotes/pull/1/merge",
        ],
    );
    assert_eq!(decorations(&dir), "grafted, HEAD, pull/1/merge");
    assert_eq!(ok_ref(&dir), "refs/pull/1/merge");
}

#[test]
fn detached_ancestor_fallbacks() {
    let tmp = TempDir::new("ancestor");
    let dir = upstream(&tmp.0);
    let c1 = git(&dir, &["rev-parse", "main~2"]);
    // Two branches contain c1; the newer committer date wins, then the name.
    git(&dir, &["branch", "aaa", "v1"]);
    git(&dir, &["checkout", "-q", "-b", "newer", "v1"]);
    commit_at(&dir, "n1", 1_800_000_000, "+0000");
    git(&dir, &["checkout", "-q", "--detach", &c1]);
    assert_eq!(decorations(&dir), "HEAD");
    assert_eq!(ok_ref(&dir), "refs/heads/newer");
    git(&dir, &["branch", "-D", "newer"]);
    assert_eq!(ok_ref(&dir), "refs/heads/main");
    git(&dir, &["branch", "-D", "main", "aaa"]);
    // Remote-tracking refs only.
    git(&dir, &["update-ref", "refs/remotes/origin/rel/1", "v1"]);
    assert_eq!(ok_ref(&dir), "refs/heads/rel/1");
    git(&dir, &["update-ref", "-d", "refs/remotes/origin/rel/1"]);
    // Tags only (v1 lightweight, v2 annotated; `git tag` sorts by name).
    assert_eq!(ok_ref(&dir), "refs/tags/v1");
    git(&dir, &["pack-refs", "--all"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v1");
    git(&dir, &["gc", "-q"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v1");
    git(&dir, &["tag", "-d", "v1"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v2");
    // Nothing contains HEAD.
    commit_at(&dir, "orphanish", 1_700_000_900, "+0000");
    assert_eq!(
        same_as_cli(&dir),
        Err(GitError::Toolkit(
            "Cannot infer ref from detached HEAD".into()
        ))
    );
}

#[test]
fn shallow_clone() {
    let tmp = TempDir::new("shallow");
    let up = upstream(&tmp.0);
    let url = format!("file://{}", up.display());
    git(&tmp.0, &["clone", "-q", "--depth", "1", &url, "clone"]);
    let dir = tmp.0.join("clone");
    assert_eq!(ok_ref(&dir), "refs/heads/main");
    git(&dir, &["checkout", "-q", "--detach"]);
    assert_eq!(
        decorations(&dir),
        "grafted, HEAD, tag: v2, origin/main, origin/HEAD, main"
    );
    assert_eq!(ok_ref(&dir), "refs/tags/v2");
    // Bare HEAD in a shallow repository: nothing to walk past the boundary.
    commit_at(&dir, "local", 1_700_001_000, "+0000");
    assert_eq!(decorations(&dir), "HEAD");
    assert_eq!(
        same_as_cli(&dir),
        Err(GitError::Toolkit(
            "Cannot infer ref from detached HEAD".into()
        ))
    );
    git(&dir, &["branch", "keep"]);
    git(&dir, &["checkout", "-q", "--detach", "origin/main"]);
    assert_eq!(ok_ref(&dir), "refs/tags/v2");
    git(&dir, &["tag", "-d", "v2"]);
    git(&dir, &["branch", "-D", "main"]);
    git(
        &dir,
        &["update-ref", "--no-deref", "-d", "refs/remotes/origin/HEAD"],
    );
    assert_eq!(decorations(&dir), "grafted, HEAD, origin/main");
    assert_eq!(ok_ref(&dir), "refs/heads/main");
}

#[test]
fn replaced_commit() {
    let tmp = TempDir::new("replace");
    let dir = upstream(&tmp.0);
    let c2 = git(&dir, &["rev-parse", "v1"]);
    git(&dir, &["checkout", "-q", "-b", "other", "main~2"]);
    commit_at(&dir, "replacement", 1_750_000_000, "+0300");
    git(&dir, &["replace", &c2, "other"]);
    git(&dir, &["checkout", "-q", "--detach", "v1"]);
    assert_eq!(decorations(&dir), "HEAD, tag: v1, replaced");
    let got = same_as_cli(&dir).unwrap();
    assert_eq!(got.git_ref, "refs/tags/v1");
    assert_eq!(got.sha, c2);
    assert_eq!(got.commit_date, "\"2025-06-15 18:06:40 +0300\"");
}

#[test]
fn linked_worktree() {
    let tmp = TempDir::new("worktree");
    let up = upstream(&tmp.0);
    let wt = tmp.0.join("wt");
    let wt_arg = wt.display().to_string();
    git(
        &up,
        &["worktree", "add", "-q", "-b", "wtbranch", &wt_arg, "v1"],
    );
    assert_eq!(ok_ref(&wt), "refs/heads/wtbranch");
    git(&wt, &["checkout", "-q", "--detach", "v1"]);
    assert_eq!(ok_ref(&wt), "refs/tags/v1");
    assert_eq!(ok_ref(&up), "refs/heads/main");
}

#[test]
fn errors_match_git() {
    let tmp = TempDir::new("errors");
    let plain = tmp.0.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    // Not inside a repository (the temp dir itself is assumed not to be in one).
    if Cli(&plain).run(&["rev-parse", "--git-dir"]).is_err() {
        assert_eq!(
            same_as_cli(&plain),
            Err(GitError::Command(NOT_A_REPO.to_string()))
        );
    }
    let unborn = tmp.0.join("unborn");
    std::fs::create_dir_all(&unborn).unwrap();
    git(&unborn, &["init", "-q"]);
    assert_eq!(
        same_as_cli(&unborn),
        Err(GitError::Command("fatal: bad revision 'HEAD'\n".into()))
    );
    let dir = upstream(&tmp.0);
    std::fs::write(dir.join(".git/HEAD"), "ref: refs/foo/bar\n").unwrap();
    assert_eq!(
        same_as_cli(&dir),
        Err(GitError::Command(
            "fatal: HEAD not found below refs/heads!\n".into()
        ))
    );
}

#[test]
fn commit_dates_match_git() {
    let tmp = TempDir::new("dates");
    let dir = tmp.0.join("d");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q"]);
    let tree = git(&dir, &["write-tree"]);
    for committer in [
        "C <c> 1704161045 +0100",
        "C <c> 1704161045 -1245",
        "C <c> 1704161045 +0099",
        "C <c> 1704161045 +12345",
        "C <c> 951782400 +0000",
        "C <c> 1704161045",
        "C <c>",
        "C <c>  1704161045   -0000",
        "C <c> 99999999999999999999999 +0100",
        "C <c> 253402300800 +0000",
        "C <c>> 1704161045 +0100",
        "C no-mail 1704161045 +0100",
    ] {
        let raw = format!("tree {tree}\nauthor A <a> 1 +0000\ncommitter {committer}\n\nm\n");
        let path = dir.join("obj");
        std::fs::write(&path, raw.as_bytes()).unwrap();
        let path_arg = path.display().to_string();
        let id = git(
            &dir,
            &[
                "hash-object",
                "-t",
                "commit",
                "--literally",
                "-w",
                &path_arg,
            ],
        );
        let expected = Cli(&dir).commit_date(&id);
        let mut gix = GixSource::open(&dir).unwrap();
        assert_eq!(gix.commit_date(&id), expected, "committer {committer:?}");
    }
}
