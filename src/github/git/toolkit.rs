//! The toolkit's logic (`git.js` of @docker/actions-toolkit 0.92.0) on the outputs of the git
//! commands it runs: `Git.context()` (`ref`, `sha`, the detached-HEAD fallbacks) and
//! `Git.commitDate()`, with JavaScript's string handling (`trim`, `split`, `slice`).

use super::{GitError, GitRef, GitSource};

/// `Git.context()` followed by `Git.commitDate(sha)`.
pub(super) fn toolkit_context(src: &mut impl GitSource) -> Result<GitRef, GitError> {
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
pub(super) fn detached_ref(src: &mut impl GitSource) -> Result<String, GitError> {
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
pub(super) fn find_detached_tag_ref(
    src: &mut impl GitSource,
    o: &str,
    e: &str,
) -> Result<String, GitError> {
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
pub(super) fn infer_ref_from_head(src: &mut impl GitSource) -> Result<String, GitError> {
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
pub(super) fn is_pull_ref(o: &str) -> bool {
    let Some(rest) = o.strip_prefix("pull/") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&rest[digits..], "/head" | "/merge")
}

/// `/^[^/]+\/[^/]+, (.+)$/` → the capture (the last `, ` in the segment after the first `/`
/// that leaves a non-empty tail, as the greedy `[^/]+` backtracks).
pub(super) fn match_remote_comma_branch(o: &str) -> Option<&str> {
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
pub(super) fn match_after_first_slash(o: &str) -> Option<&str> {
    let slash = o.find('/')?;
    let tail = &o[slash + 1..];
    (slash > 0 && is_dot_plus(tail)).then_some(tail)
}

/// Whether a JS `(.+)$` (no flags) matches the whole string.
pub(super) fn is_dot_plus(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(is_js_line_terminator)
}

pub(super) fn is_js_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

use crate::js::jsnum::js_trim;

/// `s.split("\n").map(s => s.trim()).filter(s => s.length > 0)`
pub(super) fn js_lines(s: &str) -> Vec<String> {
    s.split('\n')
        .map(js_trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// JS `s.slice(n)` (UTF-16 code units).
pub(super) fn js_slice_from(s: &str, n: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().skip(n).collect();
    String::from_utf16_lossy(&units)
}
