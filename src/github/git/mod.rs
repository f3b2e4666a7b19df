//! `context: git` — the git reference, commit and commit date of a checkout, read with `gix`.
//!
//! Owns: reproducing what docker/metadata-action v6 gets from `@docker/actions-toolkit` 0.92.0
//! `Git.context()` (`ref`, `sha`) and `Git.commitDate(sha)` when `context: git` is set, without
//! a `git` binary. The toolkit runs these git commands (stdout JS-`trim()`med; a command that
//! fails with a non-empty stderr throws `new Error(stderr)`):
//!
//! 1. `git branch --show-current`; non-empty → `git symbolic-ref HEAD` is the ref.
//! 2. Empty (detached) → `git show -s --pretty=%D` (HEAD's decorations) parsed by
//!    `getDetachedRef` with the `findDetachedTagRef` / `inferRefFromHead` fallbacks
//!    (`git for-each-ref --points-at HEAD refs/tags/`, `git for-each-ref --contains HEAD
//!    --sort=-committerdate refs/heads/` then `refs/remotes/`, `git tag --contains HEAD`).
//! 3. `git show --format=%H HEAD --quiet --` → sha; `git show -s --format="%ci" <sha>` → date
//!    (the quotes are literal: no shell, so git prints them).
//!
//! Each command's output is recomputed here from the repository files (git 2.4x semantics:
//! default decoration filter, decoration order, `--points-at` full peeling, sort tie-breaks),
//! and the toolkit's string handling is applied to it line by line.
//!
//! Must not: run `git` or any process, read environment variables, print, or write anything.
//! Repository configuration beyond what `gix` needs to open the repository is ignored (for
//! example `log.excludeDecoration`, `tag.sort`, `info/grafts`).
//!
//! Layout: `toolkit` is the port of the toolkit's logic over the `GitSource` outputs,
//! `commands` recomputes each command's output with gix, `date` prints `%ci` (its calendar is
//! the JavaScript layer's [`crate::js::civil`]).

mod commands;
mod date;
#[cfg(test)]
mod tests;
mod toolkit;

use std::fmt;
use std::path::Path;

use commands::GixSource;
use toolkit::toolkit_context;

/// The values `context: git` takes from the checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRef {
    /// The git reference, e.g. `refs/heads/main`, `refs/tags/v1.0.0`, `refs/pull/1/merge`.
    pub git_ref: String,
    /// The full hex id of HEAD's commit.
    pub sha: String,
    /// The trimmed stdout of `git show -s --format="%ci" <sha>`, double quotes included,
    /// e.g. `"2024-01-02 15:04:05 +0100"` — the exact string the toolkit hands to `new Date()`.
    pub commit_date: String,
}

/// Why the context could not be read. `Display` prints the exact `Error.message` the toolkit
/// would have thrown (for [`GitError::Command`] that is git's stderr, trailing newline included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitError {
    /// A git command the toolkit runs would have failed; the text is git's stderr.
    Command(String),
    /// The toolkit's own error (e.g. `Cannot infer ref from detached HEAD`).
    Toolkit(String),
    /// The repository could not be read here (corrupt or unsupported); git itself might have
    /// behaved differently, so there is no upstream message to mirror.
    Read(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::Command(m) | GitError::Toolkit(m) | GitError::Read(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for GitError {}

/// Read `ref`, `sha` and the commit date like the toolkit's `Git.context()` +
/// `Git.commitDate()` would with its working directory at `dir` (the repository is discovered
/// upwards from `dir`, `.git` files and linked worktrees included).
pub fn read_git_context(dir: &Path) -> Result<GitRef, GitError> {
    let mut source = GixSource::open(dir)?;
    toolkit_context(&mut source)
}

const NOT_A_REPO: &str = "fatal: not a git repository (or any of the parent directories): .git\n";

/// The stdout of each git command the toolkit runs (untrimmed, as git prints it), or the
/// error the toolkit would throw for it.
trait GitSource {
    /// `git branch --show-current`
    fn branch_show_current(&mut self) -> Result<String, GitError>;
    /// `git symbolic-ref HEAD`
    fn symbolic_ref_head(&mut self) -> Result<String, GitError>;
    /// `git show --format=%H HEAD --quiet --`
    fn head_sha(&mut self) -> Result<String, GitError>;
    /// `git show -s --pretty=%D`
    fn head_decorations(&mut self) -> Result<String, GitError>;
    /// `git for-each-ref --format=%(refname) --points-at HEAD refs/tags/`
    fn tags_pointing_at_head(&mut self) -> Result<String, GitError>;
    /// `git for-each-ref --format=%(refname) --contains HEAD --sort=-committerdate <prefix>`
    fn refs_containing_head(&mut self, prefix: &str) -> Result<String, GitError>;
    /// `git tag --contains HEAD`
    fn tags_containing_head(&mut self) -> Result<String, GitError>;
    /// `git show -s --format="%ci" <sha>`
    fn commit_date(&mut self, sha: &str) -> Result<String, GitError>;
}
