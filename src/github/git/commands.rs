//! The git commands the toolkit runs, their stdout recomputed from the repository with gix
//! (git 2.4x semantics: `HEAD` resolution, the default decoration filter and order,
//! `--points-at` peeling, `--contains` walks and sort tie-breaks).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::refs::TargetRef;

use super::date::format_ci;
use super::{GitError, GitSource, NOT_A_REPO};

/// git's `SYMREF_MAXDEPTH`.
pub(super) const SYMREF_MAX_DEPTH: usize = 5;
/// Guard against pathological tag chains.
pub(super) const TAG_CHAIN_LIMIT: usize = 64;

/// What `HEAD` resolves to.
pub(super) enum Head {
    /// `HEAD` holds an object id.
    Detached(ObjectId),
    /// `HEAD` is a symbolic ref; `name` is the end of the chain, `id` its object (None: unborn).
    Attached { name: String, id: Option<ObjectId> },
    /// The chain is too deep or unreadable.
    Broken,
}

/// A ref under `refs/`, symbolic refs resolved.
pub(super) struct RefEntry {
    pub(super) name: String,
    pub(super) id: ObjectId,
}

pub(super) struct GixSource {
    pub(super) repo: gix::Repository,
    pub(super) head: Head,
    pub(super) refs: Option<Vec<RefEntry>>,
    pub(super) shallow: Option<HashSet<ObjectId>>,
    /// Commit → whether HEAD's commit is reachable from it.
    pub(super) reaches: HashMap<ObjectId, bool>,
}

pub(super) fn read_err(what: &str, err: impl fmt::Display) -> GitError {
    GitError::Read(format!("cannot read {what}: {err}"))
}

impl GixSource {
    pub(super) fn open(dir: &Path) -> Result<Self, GitError> {
        if gix::discover::upwards_opts(dir, gix::discover::upwards::Options::default()).is_err() {
            return Err(GitError::Command(NOT_A_REPO.to_string()));
        }
        let repo = gix::discover_opts(
            dir,
            gix::discover::upwards::Options::default(),
            gix::open::Options::isolated(),
        )
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

    pub(super) fn object(
        &self,
        id: ObjectId,
    ) -> Result<Option<(gix::object::Kind, Vec<u8>)>, GitError> {
        let found = self
            .repo
            .try_find_object(id)
            .map_err(|e| read_err(&format!("object {id}"), e))?;
        Ok(found.map(|mut o| (o.kind, std::mem::take(&mut o.data))))
    }

    /// Follow tag objects to the first non-tag object; None when an object is missing.
    pub(super) fn peel(
        &self,
        id: ObjectId,
    ) -> Result<Option<(ObjectId, gix::object::Kind)>, GitError> {
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
    pub(super) fn peel_to_commit(&self, id: ObjectId) -> Result<Option<ObjectId>, GitError> {
        Ok(self
            .peel(id)?
            .and_then(|(id, kind)| (kind == gix::object::Kind::Commit).then_some(id)))
    }

    pub(super) fn head_commit(&self) -> Result<ObjectId, GitError> {
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

    pub(super) fn refs(&mut self) -> Result<&[RefEntry], GitError> {
        if self.refs.is_none() {
            self.refs = Some(collect_refs(&self.repo)?);
        }
        Ok(self.refs.as_deref().unwrap_or_default())
    }

    pub(super) fn shallow(&mut self) -> Result<&HashSet<ObjectId>, GitError> {
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
    pub(super) fn parents(&mut self, id: ObjectId) -> Result<Vec<ObjectId>, GitError> {
        if self.shallow()?.contains(&id) {
            return Ok(Vec::new());
        }
        match self.object(id)? {
            Some((gix::object::Kind::Commit, data)) => Ok(commit_parents(&data)),
            _ => Ok(Vec::new()),
        }
    }

    /// Whether `target` is reachable from `tip` (git's `--contains`), memoised across calls.
    pub(super) fn contains(&mut self, tip: ObjectId, target: ObjectId) -> Result<bool, GitError> {
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
    pub(super) fn committer_timestamp(&self, id: ObjectId) -> Result<u64, GitError> {
        Ok(match self.object(id)? {
            Some((_, data)) => ref_filter_committer_timestamp(&data),
            None => 0,
        })
    }
}

pub(super) fn read_head(repo: &gix::Repository) -> Result<Head, GitError> {
    let Ok(Some(head)) = repo.try_find_reference("HEAD") else {
        return Err(GitError::Command(NOT_A_REPO.to_string()));
    };
    let mut name = match head.target() {
        TargetRef::Object(id) => return Ok(Head::Detached(id.to_owned())),
        TargetRef::Symbolic(name) => name.as_bstr().to_owned(),
    };
    for _ in 0..SYMREF_MAX_DEPTH {
        let Ok(found) = repo.try_find_reference(name.as_bstr()) else {
            return Ok(Head::Broken);
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
pub(super) fn collect_refs(repo: &gix::Repository) -> Result<Vec<RefEntry>, GitError> {
    // (name, Ok(object id) | Err(symbolic target name))
    type Raw = (Vec<u8>, Result<ObjectId, Vec<u8>>);
    let platform = repo.references().map_err(|e| read_err("refs", e))?;
    let iter = platform.all().map_err(|e| read_err("refs", e))?;
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
pub(super) fn tag_target(data: &[u8]) -> Option<ObjectId> {
    let rest = data.strip_prefix(b"object ")?;
    let end = rest.find_byte(b'\n').unwrap_or(rest.len());
    ObjectId::from_hex(&rest[..end]).ok()
}

/// The `parent <hex>` lines that directly follow `tree <hex>` (git's `parse_commit_buffer`).
pub(super) fn commit_parents(data: &[u8]) -> Vec<ObjectId> {
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
pub(super) fn header_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n').take_while(|l| !l.is_empty())
}

/// ref-filter's `committerdate` value: the first `committer ` header line, then
/// `strtoumax` after the first `"> "`; 0 when absent or unparsable.
pub(super) fn ref_filter_committer_timestamp(data: &[u8]) -> u64 {
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
pub(super) fn strtoumax(s: &[u8]) -> Option<u64> {
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
pub(super) fn prettify_refname(name: &str) -> &str {
    ["refs/heads/", "refs/tags/", "refs/remotes/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// Whether git's default decoration filter (`HEAD`, `refs/heads`, `refs/tags`, `refs/remotes`,
/// `refs/stash`, `refs/replace`, each matching itself or below `/`) keeps `name`.
pub(super) fn decoration_filter_keeps(name: &str) -> bool {
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
