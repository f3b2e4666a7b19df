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
#![allow(
    clippy::similar_names,
    clippy::doc_markdown,
    clippy::default_trait_access,
    clippy::manual_let_else,
    clippy::single_match_else,
    clippy::items_after_statements,
    clippy::checked_conversions,
    clippy::cast_possible_truncation
)]

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::refs::TargetRef;

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

// ---------------------------------------------------------------------------------------------
// The toolkit's logic (git.js of @docker/actions-toolkit 0.92.0), on command outputs.
// ---------------------------------------------------------------------------------------------

/// `Git.context()` followed by `Git.commitDate(sha)`.
fn toolkit_context(src: &mut impl GitSource) -> Result<GitRef, GitError> {
    let detached = js_trim(&src.branch_show_current()?).is_empty();
    let git_ref = if detached {
        detached_ref(src)?
    } else {
        js_trim(&src.symbolic_ref_head()?).to_string()
    };
    let sha = js_trim(&src.head_sha()?).to_string();
    let commit_date = js_trim(&src.commit_date(&sha)?).to_string();
    Ok(GitRef {
        git_ref,
        sha,
        commit_date,
    })
}

/// `getDetachedRef()`.
fn detached_ref(src: &mut impl GitSource) -> Result<String, GitError> {
    let out = src.head_decorations()?;
    let e = js_trim(&out);
    let r = js_trim(e.strip_prefix("grafted, ").unwrap_or(e));
    if r == "HEAD" {
        return infer_ref_from_head(src);
    }
    // /^HEAD, (.*)$/ and `!n[1]`
    let captured = r
        .strip_prefix("HEAD, ")
        .filter(|rest| !rest.is_empty() && !rest.chars().any(is_js_line_terminator));
    let Some(rest) = captured else {
        return Err(GitError::Toolkit(format!(
            "Cannot find detached HEAD ref in \"{e}\""
        )));
    };
    let o = js_trim(rest);
    if o.starts_with("tag: ") {
        return find_detached_tag_ref(src, o, e);
    }
    if is_pull_ref(o) {
        return Ok(format!("refs/{o}"));
    }
    if let Some(branch) = match_remote_comma_branch(o) {
        return Ok(format!("refs/heads/{}", js_trim(branch)));
    }
    if let Some(branch) = match_after_first_slash(o) {
        return Ok(format!("refs/heads/{}", js_trim(branch)));
    }
    Err(GitError::Toolkit(format!(
        "Unsupported detached HEAD ref in \"{e}\""
    )))
}

/// `findDetachedTagRef(o, e)`.
fn find_detached_tag_ref(src: &mut impl GitSource, o: &str, e: &str) -> Result<String, GitError> {
    let out = src.tags_pointing_at_head()?;
    let mut tags = js_lines(js_trim(&out));
    // Array.prototype.sort is stable; longest (in UTF-16 code units) first.
    tags.sort_by_key(|s| std::cmp::Reverse(s.encode_utf16().count()));
    for s in &tags {
        let a = format!("tag: {}", js_slice_from(s, 10));
        if o == a || o.starts_with(&format!("{a}, ")) {
            return Ok(s.clone());
        }
    }
    if tags.len() == 1 {
        return Ok(tags.swap_remove(0));
    }
    Err(GitError::Toolkit(format!(
        "Cannot find detached tag ref in \"{e}\""
    )))
}

/// `inferRefFromHead()`.
fn infer_ref_from_head(src: &mut impl GitSource) -> Result<String, GitError> {
    let heads = src.refs_containing_head("refs/heads/")?;
    if let Some(first) = js_lines(js_trim(&heads)).into_iter().next() {
        return Ok(first);
    }
    let remotes = src.refs_containing_head("refs/remotes/")?;
    if let Some(first) = js_lines(js_trim(&remotes)).into_iter().next() {
        // /^refs\/remotes\/[^/]+\/(.+)$/
        let mapped = first
            .strip_prefix("refs/remotes/")
            .and_then(match_after_first_slash)
            .map(|branch| format!("refs/heads/{branch}"));
        return Ok(mapped.unwrap_or(first));
    }
    let tags = src.tags_containing_head()?;
    if let Some(first) = js_lines(js_trim(&tags)).into_iter().next() {
        return Ok(format!("refs/tags/{first}"));
    }
    Err(GitError::Toolkit(
        "Cannot infer ref from detached HEAD".to_string(),
    ))
}

/// `/^pull\/\d+\/(head|merge)$/`
fn is_pull_ref(o: &str) -> bool {
    let Some(rest) = o.strip_prefix("pull/") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&rest[digits..], "/head" | "/merge")
}

/// `/^[^/]+\/[^/]+, (.+)$/` → the capture (the last `, ` in the segment after the first `/`
/// that leaves a non-empty tail, as the greedy `[^/]+` backtracks).
fn match_remote_comma_branch(o: &str) -> Option<&str> {
    let slash = o.find('/')?;
    if slash == 0 {
        return None;
    }
    let after = &o[slash + 1..];
    let segment_end = after.find('/').unwrap_or(after.len());
    let segment = &after[..segment_end];
    let mut candidates: Vec<usize> = segment.match_indices(", ").map(|(i, _)| i).collect();
    candidates.reverse();
    candidates.into_iter().find_map(|i| {
        let tail = &after[i + 2..];
        (i > 0 && is_dot_plus(tail)).then_some(tail)
    })
}

/// `/^[^/]+\/(.+)$/` → the capture.
fn match_after_first_slash(o: &str) -> Option<&str> {
    let slash = o.find('/')?;
    let tail = &o[slash + 1..];
    (slash > 0 && is_dot_plus(tail)).then_some(tail)
}

/// Whether a JS `(.+)$` (no flags) matches the whole string.
fn is_dot_plus(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(is_js_line_terminator)
}

fn is_js_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

use crate::js::jsnum::js_trim;

/// `s.split("\n").map(s => s.trim()).filter(s => s.length > 0)`
fn js_lines(s: &str) -> Vec<String> {
    s.split('\n')
        .map(js_trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// JS `s.slice(n)` (UTF-16 code units).
fn js_slice_from(s: &str, n: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().skip(n).collect();
    String::from_utf16_lossy(&units)
}

// ---------------------------------------------------------------------------------------------
// The git commands, recomputed from the repository with gix.
// ---------------------------------------------------------------------------------------------

/// git's `SYMREF_MAXDEPTH`.
const SYMREF_MAX_DEPTH: usize = 5;
/// Guard against pathological tag chains.
const TAG_CHAIN_LIMIT: usize = 64;

/// What `HEAD` resolves to.
enum Head {
    /// `HEAD` holds an object id.
    Detached(ObjectId),
    /// `HEAD` is a symbolic ref; `name` is the end of the chain, `id` its object (None: unborn).
    Attached { name: String, id: Option<ObjectId> },
    /// The chain is too deep or unreadable.
    Broken,
}

/// A ref under `refs/`, symbolic refs resolved.
struct RefEntry {
    name: String,
    id: ObjectId,
}

struct GixSource {
    repo: gix::Repository,
    head: Head,
    refs: Option<Vec<RefEntry>>,
    shallow: Option<HashSet<ObjectId>>,
    /// Commit → whether HEAD's commit is reachable from it.
    reaches: HashMap<ObjectId, bool>,
}

fn read_err(what: &str, err: impl fmt::Display) -> GitError {
    GitError::Read(format!("cannot read {what}: {err}"))
}

impl GixSource {
    fn open(dir: &Path) -> Result<Self, GitError> {
        if gix::discover::upwards_opts(dir, Default::default()).is_err() {
            return Err(GitError::Command(NOT_A_REPO.to_string()));
        }
        let repo = gix::discover_opts(dir, Default::default(), gix::open::Options::isolated())
            .map_err(|e| read_err("the repository", e))?;
        let head = read_head(&repo)?;
        Ok(GixSource {
            repo,
            head,
            refs: None,
            shallow: None,
            reaches: HashMap::new(),
        })
    }

    fn object(&self, id: ObjectId) -> Result<Option<(gix::object::Kind, Vec<u8>)>, GitError> {
        let found = self
            .repo
            .try_find_object(id)
            .map_err(|e| read_err(&format!("object {id}"), e))?;
        Ok(found.map(|mut o| (o.kind, std::mem::take(&mut o.data))))
    }

    /// Follow tag objects to the first non-tag object; None when an object is missing.
    fn peel(&self, id: ObjectId) -> Result<Option<(ObjectId, gix::object::Kind)>, GitError> {
        let mut current = id;
        for _ in 0..TAG_CHAIN_LIMIT {
            let header = self
                .repo
                .try_find_header(current)
                .map_err(|e| read_err(&format!("object {current}"), e))?;
            let Some(header) = header else {
                return Ok(None);
            };
            if header.kind() != gix::object::Kind::Tag {
                return Ok(Some((current, header.kind())));
            }
            let Some((_, data)) = self.object(current)? else {
                return Ok(None);
            };
            match tag_target(&data) {
                Some(target) => current = target,
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The commit `id` peels to (git's `lookup_commit_reference_gently`).
    fn peel_to_commit(&self, id: ObjectId) -> Result<Option<ObjectId>, GitError> {
        Ok(self
            .peel(id)?
            .and_then(|(id, kind)| (kind == gix::object::Kind::Commit).then_some(id)))
    }

    fn head_commit(&self) -> Result<ObjectId, GitError> {
        let id = match &self.head {
            Head::Detached(id) | Head::Attached { id: Some(id), .. } => *id,
            Head::Attached { id: None, .. } | Head::Broken => {
                return Err(GitError::Command(
                    "fatal: bad revision 'HEAD'\n".to_string(),
                ));
            }
        };
        self.peel_to_commit(id)?
            .ok_or_else(|| GitError::Read(format!("HEAD ({id}) does not resolve to a commit")))
    }

    fn refs(&mut self) -> Result<&[RefEntry], GitError> {
        if self.refs.is_none() {
            self.refs = Some(collect_refs(&self.repo)?);
        }
        Ok(self.refs.as_deref().unwrap_or_default())
    }

    fn shallow(&mut self) -> Result<&HashSet<ObjectId>, GitError> {
        if self.shallow.is_none() {
            let commits = self
                .repo
                .shallow_commits()
                .map_err(|e| read_err("the shallow file", e))?;
            let set = commits
                .map(|c| c.iter().copied().collect())
                .unwrap_or_default();
            self.shallow = Some(set);
        }
        Ok(self.shallow.get_or_insert_with(HashSet::new))
    }

    /// Parents of a commit as git sees them (none past the shallow boundary or when missing).
    fn parents(&mut self, id: ObjectId) -> Result<Vec<ObjectId>, GitError> {
        if self.shallow()?.contains(&id) {
            return Ok(Vec::new());
        }
        match self.object(id)? {
            Some((gix::object::Kind::Commit, data)) => Ok(commit_parents(&data)),
            _ => Ok(Vec::new()),
        }
    }

    /// Whether `target` is reachable from `tip` (git's `--contains`), memoised across calls.
    fn contains(&mut self, tip: ObjectId, target: ObjectId) -> Result<bool, GitError> {
        self.reaches.insert(target, true);
        if let Some(&known) = self.reaches.get(&tip) {
            return Ok(known);
        }
        let mut in_progress: HashSet<ObjectId> = HashSet::from([tip]);
        let mut stack: Vec<(ObjectId, Vec<ObjectId>, usize)> = vec![(tip, self.parents(tip)?, 0)];
        while let Some((node, parents, next)) = stack.last_mut() {
            if let Some(&parent) = parents.get(*next) {
                *next += 1;
                match self.reaches.get(&parent) {
                    Some(true) => {
                        for (n, _, _) in &stack {
                            self.reaches.insert(*n, true);
                        }
                        return Ok(true);
                    }
                    Some(false) => {}
                    None => {
                        if in_progress.insert(parent) {
                            let grand = self.parents(parent)?;
                            stack.push((parent, grand, 0));
                        }
                    }
                }
            } else {
                let done = *node;
                stack.pop();
                in_progress.remove(&done);
                self.reaches.insert(done, false);
            }
        }
        Ok(false)
    }

    /// git's `%(committerdate)` sort value of a ref's object (0 when it has none).
    fn committer_timestamp(&self, id: ObjectId) -> Result<u64, GitError> {
        Ok(match self.object(id)? {
            Some((_, data)) => ref_filter_committer_timestamp(&data),
            None => 0,
        })
    }
}

fn read_head(repo: &gix::Repository) -> Result<Head, GitError> {
    let head = match repo.try_find_reference("HEAD") {
        Ok(Some(r)) => r,
        Ok(None) | Err(_) => return Err(GitError::Command(NOT_A_REPO.to_string())),
    };
    let mut name = match head.target() {
        TargetRef::Object(id) => return Ok(Head::Detached(id.to_owned())),
        TargetRef::Symbolic(name) => name.as_bstr().to_owned(),
    };
    for _ in 0..SYMREF_MAX_DEPTH {
        let found = match repo.try_find_reference(name.as_bstr()) {
            Ok(found) => found,
            Err(_) => return Ok(Head::Broken),
        };
        let Some(reference) = found else {
            return Ok(Head::Attached {
                name: name.to_str_lossy().into_owned(),
                id: None,
            });
        };
        match reference.target() {
            TargetRef::Object(id) => {
                return Ok(Head::Attached {
                    name: name.to_str_lossy().into_owned(),
                    id: Some(id.to_owned()),
                });
            }
            TargetRef::Symbolic(next) => name = next.as_bstr().to_owned(),
        }
    }
    Ok(Head::Broken)
}

/// All refs under `refs/` sorted by name (git's iteration order), symbolic refs resolved;
/// broken and dangling refs are skipped as git skips them.
fn collect_refs(repo: &gix::Repository) -> Result<Vec<RefEntry>, GitError> {
    let platform = repo.references().map_err(|e| read_err("refs", e))?;
    let iter = platform.all().map_err(|e| read_err("refs", e))?;
    // (name, Ok(object id) | Err(symbolic target name))
    type Raw = (Vec<u8>, Result<ObjectId, Vec<u8>>);
    let mut raw: Vec<Raw> = Vec::new();
    for reference in iter.flatten() {
        let name = reference.name().as_bstr().to_vec();
        if !name.starts_with(b"refs/") {
            continue;
        }
        let target = match reference.target() {
            TargetRef::Object(id) => Ok(id.to_owned()),
            TargetRef::Symbolic(next) => Err(next.as_bstr().to_vec()),
        };
        raw.push((name, target));
    }
    let mut refs = Vec::with_capacity(raw.len());
    for (name, target) in raw {
        let id = match target {
            Ok(id) => Some(id),
            Err(mut next) => {
                let mut resolved = None;
                for _ in 0..SYMREF_MAX_DEPTH {
                    match repo.try_find_reference(next.as_bstr()) {
                        Ok(Some(r)) => match r.target() {
                            TargetRef::Object(id) => {
                                resolved = Some(id.to_owned());
                                break;
                            }
                            TargetRef::Symbolic(n) => next = n.as_bstr().to_vec(),
                        },
                        _ => break,
                    }
                }
                resolved
            }
        };
        if let Some(id) = id {
            refs.push(RefEntry {
                name: name.to_str_lossy().into_owned(),
                id,
            });
        }
    }
    refs.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(refs)
}

/// The `object <hex>` header of a tag object.
fn tag_target(data: &[u8]) -> Option<ObjectId> {
    let rest = data.strip_prefix(b"object ")?;
    let end = rest.find_byte(b'\n').unwrap_or(rest.len());
    ObjectId::from_hex(&rest[..end]).ok()
}

/// The `parent <hex>` lines that directly follow `tree <hex>` (git's `parse_commit_buffer`).
fn commit_parents(data: &[u8]) -> Vec<ObjectId> {
    let mut lines = data.split(|&b| b == b'\n');
    if !lines.next().is_some_and(|l| l.starts_with(b"tree ")) {
        return Vec::new();
    }
    lines
        .map_while(|l| l.strip_prefix(b"parent "))
        .map_while(|hex| ObjectId::from_hex(hex).ok())
        .collect()
}

/// Header lines of an object (up to the first empty line).
fn header_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n').take_while(|l| !l.is_empty())
}

/// ref-filter's `committerdate` value: the first `committer ` header line, then
/// `strtoumax` after the first `"> "`; 0 when absent or unparsable.
fn ref_filter_committer_timestamp(data: &[u8]) -> u64 {
    let mut offset = 0;
    let mut found = None;
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if line.starts_with(b"committer ") {
            found = Some(offset + "committer ".len());
            break;
        }
        offset += line.len() + 1;
    }
    let Some(start) = found else { return 0 };
    let rest = &data[start..];
    let Some(pos) = rest.find(b"> ") else {
        return 0;
    };
    strtoumax(&rest[pos + 2..]).unwrap_or(0)
}

/// C `strtoumax(s, _, 10)`: leading whitespace, optional sign, digits; None on overflow.
fn strtoumax(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut value: u64 = 0;
    for &b in s[i..].iter().take_while(|b| b.is_ascii_digit()) {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// git's short ref name for decorations (`prettify_refname`).
fn prettify_refname(name: &str) -> &str {
    ["refs/heads/", "refs/tags/", "refs/remotes/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// Whether git's default decoration filter (`HEAD`, `refs/heads`, `refs/tags`, `refs/remotes`,
/// `refs/stash`, `refs/replace`, each matching itself or below `/`) keeps `name`.
fn decoration_filter_keeps(name: &str) -> bool {
    [
        "refs/heads",
        "refs/tags",
        "refs/remotes",
        "refs/stash",
        "refs/replace",
    ]
    .iter()
    .any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl GitSource for GixSource {
    fn branch_show_current(&mut self) -> Result<String, GitError> {
        match &self.head {
            Head::Detached(_) => Ok(String::new()),
            Head::Broken => Err(GitError::Command(
                "fatal: failed to resolve HEAD as a valid ref\n".to_string(),
            )),
            Head::Attached { name, .. } => match name.strip_prefix("refs/heads/") {
                Some(short) => Ok(format!("{short}\n")),
                None => Err(GitError::Command(
                    "fatal: HEAD not found below refs/heads!\n".to_string(),
                )),
            },
        }
    }

    fn symbolic_ref_head(&mut self) -> Result<String, GitError> {
        match &self.head {
            Head::Attached { name, .. } => Ok(format!("{name}\n")),
            Head::Detached(_) | Head::Broken => Err(GitError::Command(
                "fatal: ref HEAD is not a symbolic ref\n".to_string(),
            )),
        }
    }

    fn head_sha(&mut self) -> Result<String, GitError> {
        Ok(format!("{}\n", self.head_commit()?))
    }

    fn head_decorations(&mut self) -> Result<String, GitError> {
        let commit = self.head_commit()?;
        let mut out: Vec<String> = Vec::new();
        if self.shallow()?.contains(&commit) {
            out.push("grafted".to_string());
        }
        out.push("HEAD".to_string());
        let refs: Vec<(String, ObjectId)> = self
            .refs()?
            .iter()
            .rev()
            .filter(|r| decoration_filter_keeps(&r.name))
            .map(|r| (r.name.clone(), r.id))
            .collect();
        for (name, id) in refs {
            if let Some(original) = name.strip_prefix("refs/replace/") {
                if ObjectId::from_hex(original.as_bytes()).is_ok_and(|o| o == commit) {
                    out.push("replaced".to_string());
                }
                continue;
            }
            let is_tag_namespace = name.starts_with("refs/tags/");
            if id == commit {
                let prefix = if is_tag_namespace { "tag: " } else { "" };
                out.push(format!("{prefix}{}", prettify_refname(&name)));
            } else if self.peel(id)?.is_some_and(|(peeled, _)| peeled == commit) {
                out.push(format!("tag: {}", prettify_refname(&name)));
            }
        }
        Ok(format!("{}\n", out.join(", ")))
    }

    fn tags_pointing_at_head(&mut self) -> Result<String, GitError> {
        let commit = self.head_commit()?;
        let tags: Vec<(String, ObjectId)> = self
            .refs()?
            .iter()
            .filter(|r| r.name.starts_with("refs/tags/"))
            .map(|r| (r.name.clone(), r.id))
            .collect();
        let mut out = String::new();
        for (name, id) in tags {
            if id == commit || self.peel(id)?.is_some_and(|(peeled, _)| peeled == commit) {
                out.push_str(&name);
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn refs_containing_head(&mut self, prefix: &str) -> Result<String, GitError> {
        let commit = self.head_commit()?;
        let candidates: Vec<(String, ObjectId)> = self
            .refs()?
            .iter()
            .filter(|r| r.name.starts_with(prefix))
            .map(|r| (r.name.clone(), r.id))
            .collect();
        let mut hits: Vec<(u64, String)> = Vec::new();
        for (name, id) in candidates {
            let Some(tip) = self.peel_to_commit(id)? else {
                continue;
            };
            if self.contains(tip, commit)? {
                hits.push((self.committer_timestamp(id)?, name));
            }
        }
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
        });
        Ok(hits.into_iter().map(|(_, name)| name + "\n").collect())
    }

    fn tags_containing_head(&mut self) -> Result<String, GitError> {
        let commit = self.head_commit()?;
        let tags: Vec<(String, ObjectId)> = self
            .refs()?
            .iter()
            .filter(|r| r.name.starts_with("refs/tags/"))
            .map(|r| (r.name.clone(), r.id))
            .collect();
        let mut out = String::new();
        for (name, id) in tags {
            let Some(tip) = self.peel_to_commit(id)? else {
                continue;
            };
            if self.contains(tip, commit)? {
                out.push_str(prettify_refname(&name));
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn commit_date(&mut self, sha: &str) -> Result<String, GitError> {
        let id = ObjectId::from_hex(sha.as_bytes())
            .map_err(|_| GitError::Read(format!("invalid commit id \"{sha}\"")))?;
        let commit = self
            .peel_to_commit(id)?
            .ok_or_else(|| GitError::Read(format!("commit {sha} not found")))?;
        let Some((_, data)) = self.object(commit)? else {
            return Err(GitError::Read(format!("commit {sha} not found")));
        };
        Ok(format!("\"{}\"\n", format_ci(&data)?))
    }
}

// ---------------------------------------------------------------------------------------------
// `%ci`: git's ISO-8601-like committer date.
// ---------------------------------------------------------------------------------------------

/// `%ci` of a raw commit: the last `committer ` header line, split like git's
/// `split_ident_line`, dated like `show_ident_date(…, DATE_ISO8601)`. Empty when the ident is
/// unusable (git prints nothing then).
fn format_ci(data: &[u8]) -> Result<String, GitError> {
    let Some(line) = header_lines(data)
        .filter_map(|l| l.strip_prefix(b"committer "))
        .last()
    else {
        return Ok(String::new());
    };
    let Some((date, tz)) = split_ident_date(line) else {
        return Ok(String::new());
    };
    show_iso_date(date, tz)
}

fn is_git_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `Some((date, tz))` for an ident with `<…>`, a date and a timezone (`(0, 0)` when the date
/// overflows, as in `show_ident_date`); None when git prints nothing for `%ci` (no `<…>`, or a
/// "person only" ident without date or timezone).
fn split_ident_date(line: &[u8]) -> Option<(u64, i64)> {
    let lt = line.find_byte(b'<')?;
    line[lt + 1..].find_byte(b'>')?;
    let gt = line.rfind_byte(b'>')?;
    let mut i = gt + 1;
    while i < line.len() && is_git_space(line[i]) {
        i += 1;
    }
    let date_digits = line[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if date_digits == 0 {
        return None;
    }
    let date_text = &line[i..i + date_digits];
    i += date_digits;
    while i < line.len() && is_git_space(line[i]) {
        i += 1;
    }
    let tz_text = match line.get(i) {
        Some(b'+' | b'-') => {
            let digits = line[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            &line[i..i + 1 + digits]
        }
        _ => return None,
    };
    let date = match strtoumax(date_text) {
        Some(d) if d <= i64::MAX as u64 => d,
        _ => return Some((0, 0)),
    };
    Some((date, strtol_tz(tz_text)))
}

/// `strtol` of `[+-]digits`, then git's `tz >= INT_MAX || tz <= INT_MIN` → 0.
fn strtol_tz(text: &[u8]) -> i64 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', d)) => (true, d),
        Some((_, d)) => (false, d),
        None => return 0,
    };
    let mut value: i64 = 0;
    for &b in digits {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
        {
            Some(v) => value = v,
            None => return 0,
        }
    }
    let value = if negative { -value } else { value };
    if value >= i64::from(i32::MAX) || value <= i64::from(i32::MIN) {
        0
    } else {
        value
    }
}

/// `show_date(date, tz, DATE_ISO8601)`: `%04d-%02d-%02d %02d:%02d:%02d %+05d`.
fn show_iso_date(date: u64, tz: i64) -> Result<String, GitError> {
    let abs = tz.abs();
    let magnitude = (abs / 100) * 60 + abs % 100;
    let minutes = if tz < 0 { -magnitude } else { magnitude };
    let date = i128::from(date);
    let shifted = date + i128::from(minutes) * 60;
    if minutes < 0 && shifted < 0 {
        return Err(GitError::Command(format!(
            "fatal: Timestamp before Unix epoch: {date} {tz:04}\n"
        )));
    }
    if shifted > i128::from(i64::MAX) {
        if minutes > 0 && shifted > i128::from(u64::MAX) {
            return Err(GitError::Command(format!(
                "fatal: Timestamp+tz \"{date}\" exceeds 64 bits\n"
            )));
        }
        return Err(GitError::Command(format!(
            "fatal: Timestamp too large for this system: {shifted}\n"
        )));
    }
    let (parts, tz) = match gmtime(shifted as i64) {
        Some(parts) => (parts, tz),
        None => (gmtime(0).unwrap_or((1970, 1, 1, 0, 0, 0)), 0),
    };
    let (year, month, day, hour, min, sec) = parts;
    let sign = if tz < 0 { '-' } else { '+' };
    Ok(format!(
        "{year:04}-{month:02}-{day:02} {hour:02}:{min:02}:{sec:02} {sign}{:04}",
        tz.abs()
    ))
}

/// UTC calendar fields of a non-negative Unix time; None when the year does not fit glibc's
/// `struct tm` (`gmtime_r` fails with EOVERFLOW).
fn gmtime(t: i64) -> Option<(i64, i64, i64, i64, i64, i64)> {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if year - 1900 > i64::from(i32::MAX) {
        return None;
    }
    Some((year, month, day, secs / 3600, secs % 3600 / 60, secs % 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
            let path =
                std::env::temp_dir().join(format!("gitctx-{}-{n}-{name}", std::process::id()));
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
}
