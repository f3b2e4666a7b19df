//! Release guards: the pure decisions (the glob matcher of `immutable-tags`, the node-semver
//! ordering of versions, the cross-target `latest` decision) and the registry reads they need:
//! each guarded tag resolved with a HEAD before any upload, and the version a `latest` holds
//! (`org.opencontainers.image.version` in the manifest's annotations or the config's labels,
//! else the highest semver tag of the repository at the same digest, from the bounded tag list).

use std::cmp::Ordering;

use futures_util::StreamExt as _;

use super::endpoint::Endpoint;
use super::report::OpError;
use super::retry::{RetryPolicy, with_retry};
use crate::js::semver::{self, Ident, SemVer};
use crate::plan::Digest;

/// One `[...]` class: ranges and single characters, possibly negated.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: any one character.
    One,
    /// `*`: any run of characters, empty included.
    Any,
    Class(Class),
}

/// A glob over tag names: `*` (any run), `?` (any one character), `[...]` (a class: `a-z`
/// ranges, `!` or `^` first negates, `]` first is literal), `\x` a literal `x`; the whole tag
/// must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
}

/// A malformed glob.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GlobError {
    /// A `[` without its `]`.
    #[error(
        "`{0}`: `[` is never closed\nhint: close the class (`[0-9]`) or escape the bracket (`\\[`)"
    )]
    Unclosed(String),
    /// A range whose ends are reversed (`[9-0]`).
    #[error("`{0}`: range `{1}-{2}` is reversed\nhint: write the lower end first")]
    Reversed(String, char, char),
    /// A trailing `\`.
    #[error("`{0}`: ends with a lone `\\`")]
    TrailingEscape(String),
}

impl Glob {
    /// Parses one pattern.
    pub fn parse(text: &str) -> Result<Self, GlobError> {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '*' => {
                    if tokens.last() != Some(&Token::Any) {
                        tokens.push(Token::Any);
                    }
                }
                '?' => tokens.push(Token::One),
                '\\' => {
                    let Some(&next) = chars.get(i) else {
                        return Err(GlobError::TrailingEscape(text.to_owned()));
                    };
                    tokens.push(Token::Literal(next));
                    i += 1;
                }
                '[' => {
                    let (class, end) = parse_class(&chars, i, text)?;
                    tokens.push(Token::Class(class));
                    i = end;
                }
                c => tokens.push(Token::Literal(c)),
            }
        }
        Ok(Self {
            text: text.to_owned(),
            tokens,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the whole of `tag` matches.
    pub fn matches(&self, tag: &str) -> bool {
        let s: Vec<char> = tag.chars().collect();
        // Iterative matching with one backtrack point (the last `*`): linear in practice,
        // never exponential.
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < s.len() {
            match self.tokens.get(p) {
                Some(Token::Any) => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(Token::One) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Some(Token::Literal(c)) if *c == s[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                Some(Token::Class(class)) if class.matches(s[t]) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        self.tokens[p..].iter().all(|tok| *tok == Token::Any)
    }
}

/// Parses a class starting after its `[`; returns it and the index after its `]`.
fn parse_class(chars: &[char], start: usize, text: &str) -> Result<(Class, usize), GlobError> {
    let mut i = start;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(GlobError::Unclosed(text.to_owned()));
        };
        if c == ']' && !first {
            return Ok((Class { negated, ranges }, i + 1));
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars
                .get(i)
                .ok_or_else(|| GlobError::Unclosed(text.to_owned()))?
        } else {
            c
        };
        i += 1;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let hi = chars[i + 1];
            if hi < lo {
                return Err(GlobError::Reversed(text.to_owned(), lo, hi));
            }
            ranges.push((lo, hi));
            i += 2;
        } else {
            ranges.push((lo, lo));
        }
    }
}

/// Whether any of `globs` matches `tag`.
pub fn is_guarded(globs: &[Glob], tag: &str) -> bool {
    globs.iter().any(|g| g.matches(tag))
}

/// Compares two versions the way node-semver's `compare` does: major, minor, patch, then a
/// version without prerelease above one with; prerelease identifiers compared in turn (numbers
/// below strings, numbers numerically, strings by code unit), a shorter list lower when it is a
/// prefix; build metadata ignored.
pub fn compare(a: &SemVer, b: &SemVer) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(
            || match (a.prerelease.is_empty(), b.prerelease.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&a.prerelease, &b.prerelease),
            },
        )
}

fn compare_pre(a: &[Ident], b: &[Ident]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
            (Ident::Num(_), Ident::Str(_)) => Ordering::Less,
            (Ident::Str(_), Ident::Num(_)) => Ordering::Greater,
            // JavaScript compares strings by UTF-16 code unit.
            (Ident::Str(x), Ident::Str(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Parses a version the way the guard reads one (loose: a leading `v` and spaces allowed).
pub fn version(text: &str) -> Option<SemVer> {
    semver::parse(text, true)
}

/// Checks every guarded tag of a target before any upload: absent (it will be created) or at
/// `ours` (an idempotent re-run) pass; at another digest the target fails, naming the tag, the
/// digest it holds and ours.
pub async fn check_immutable(
    ep: &Endpoint,
    repository: &str,
    registry: &str,
    tags: &[String],
    globs: &[Glob],
    ours: &Digest,
    retry: &RetryPolicy,
) -> Result<(), OpError> {
    // Read concurrently within the tag bound, judged in list order: the first tag at fault
    // names the error, and the reads still in flight are dropped.
    let mut reads = futures_util::stream::iter(tags.iter().filter(|t| is_guarded(globs, t)))
        .map(|tag| async move {
            let held = with_retry(retry, || ep.manifest_digest(repository, tag))
                .await
                .map_err(|(f, n)| {
                    super::executor::op_error(
                        &format!("read immutable tag `{tag}`"),
                        &f,
                        n,
                        registry,
                    )
                })?;
            Ok((tag, held))
        })
        .buffered(super::executor::TAG_CONCURRENCY);
    while let Some(read) = reads.next().await {
        let (tag, held) = read?;
        if let Some(held) = held.filter(|d| d != ours) {
            return Err(moved(tag, &held.to_string(), &ours.to_string()));
        }
    }
    Ok(())
}

/// The failure of an immutable tag that holds another image.
pub fn moved(tag: &str, held: &str, ours: &str) -> OpError {
    OpError {
        operation: format!("immutable tag `{tag}`"),
        cause: format!(
            "the tag holds {held}, not this image {ours}: an immutable tag never moves (input `immutable-tags`)"
        ),
        hint: Some(
            "publish the change under a new version, or re-run with the image the tag already holds".into(),
        ),
    }
}

/// The annotation and label holding an image's version.
pub const VERSION_KEY: &str = "org.opencontainers.image.version";

/// Pages of the tag list read at most (100 tags a page).
const MAX_TAG_PAGES: usize = 50;

/// Semver tags read (one HEAD each) at most when looking for the version a `latest` holds.
const MAX_TAG_HEADS: usize = 50;

/// The largest config blob read for its labels.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// `latest-guard: semver`: the tags the flavor marks latest, and the version being published
/// (`None` when it is not a version: then `latest` moves only where it holds no version).
#[derive(Clone, Debug)]
pub struct LatestGuard {
    /// The `latest` tag names (prefix/suffix included).
    pub tags: Vec<String>,
    /// The version being published.
    pub ours: Option<SemVer>,
}

/// What a `latest` holds on one target.
#[derive(Clone, Debug, Default)]
pub struct Held {
    /// The digest the tag points at (`None`: absent).
    pub digest: Option<Digest>,
    /// The version of that image, when known.
    pub version: Option<SemVer>,
}

/// The decision taken once from every target: `Some(v)` skips the `latest` tags everywhere
/// because `v`, the highest version any registry's `latest` holds, is above ours.
pub fn decide(guard: &LatestGuard, held: &[&Held]) -> Option<SemVer> {
    let highest = held
        .iter()
        .filter_map(|h| h.version.as_ref())
        .max_by(|a, b| compare(a, b))?;
    match &guard.ours {
        Some(ours) if compare(ours, highest) != Ordering::Less => None,
        _ => Some(highest.clone()),
    }
}

/// Reads what the `latest` tag holds on one target: nothing to read when it is absent or
/// already at `ours`.
pub async fn read_latest(
    ep: &Endpoint,
    repository: &str,
    registry: &str,
    tag: &str,
    ours: &Digest,
    retry: &RetryPolicy,
) -> Result<Held, OpError> {
    let fail = |what: &str| {
        let what = what.to_owned();
        move |(f, n): (super::retry::Failure, u32)| {
            super::executor::op_error(&what, &f, n, registry)
        }
    };
    let digest = with_retry(retry, || ep.manifest_digest(repository, tag))
        .await
        .map_err(fail(&format!("read tag `{tag}`")))?;
    let Some(held) = digest.clone().filter(|d| d != ours) else {
        return Ok(Held {
            digest,
            version: None,
        });
    };
    let (body, _) = with_retry(retry, || ep.fetch_manifest(repository, held.as_str()))
        .await
        .map_err(fail(&format!("read manifest {held}")))?;
    let manifest: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut version = manifest["annotations"][VERSION_KEY]
        .as_str()
        .and_then(version);
    if version.is_none()
        && let (Some(config), Some(size)) = (
            manifest["config"]["digest"]
                .as_str()
                .and_then(|d| Digest::parse(d).ok()),
            manifest["config"]["size"].as_u64(),
        )
        && size <= MAX_CONFIG_BYTES
    {
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| fail("read config")((super::retry::Failure::Fatal(e.to_string()), 1)))?;
        with_retry(retry, || {
            ep.fetch_blob(repository, &config, size, file.path())
        })
        .await
        .map_err(fail(&format!("read config {config}")))?;
        let bytes = std::fs::read(file.path()).unwrap_or_default();
        let config: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        version = config["config"]["Labels"][VERSION_KEY]
            .as_str()
            .and_then(self::version);
    }
    if version.is_none() {
        version = version_from_tags(ep, repository, &held, retry)
            .await
            .map_err(fail("list tags"))?;
    }
    Ok(Held {
        digest: Some(held),
        version,
    })
}

/// The highest semver tag of `repository` that points at `digest` (the tag list read page by
/// page, bounded; then the semver tags read with a HEAD each, highest first, bounded).
async fn version_from_tags(
    ep: &Endpoint,
    repository: &str,
    digest: &Digest,
    retry: &RetryPolicy,
) -> Result<Option<SemVer>, (super::retry::Failure, u32)> {
    let mut tags: Vec<(SemVer, String)> = Vec::new();
    let mut path = format!("v2/{repository}/tags/list?n=100");
    for _ in 0..MAX_TAG_PAGES {
        let (names, next) = with_retry(retry, || tag_page(ep, repository, &path)).await?;
        tags.extend(
            names
                .into_iter()
                .filter_map(|t| version(&t).map(|v| (v, t))),
        );
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    tags.sort_by(|a, b| compare(&b.0, &a.0));
    for (v, tag) in tags.into_iter().take(MAX_TAG_HEADS) {
        if with_retry(retry, || ep.manifest_digest(repository, &tag))
            .await?
            .as_ref()
            == Some(digest)
        {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// One page of the tag list and the path of the next (`Link: <…>; rel="next"`, same origin
/// only).
async fn tag_page(
    ep: &Endpoint,
    repository: &str,
    path: &str,
) -> Result<(Vec<String>, Option<String>), super::retry::Failure> {
    let url = ep.url(path)?;
    let resp = ep
        .call(
            &super::endpoint::pull_scope(repository),
            reqwest::Method::GET,
            &url,
            &|r| r,
        )
        .await?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok((Vec::new(), None));
    }
    if !resp.status().is_success() {
        return Err(super::endpoint::status_failure(resp).await);
    }
    let next = resp
        .headers()
        .get(reqwest::header::LINK)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once('<'))
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(link, _)| link.to_owned())
        .and_then(|link| {
            let next = url.join(&link).ok()?;
            ep.same_origin(&next).then(|| {
                let p = next.path().trim_start_matches('/');
                match next.query() {
                    Some(q) => format!("{p}?{q}"),
                    None => p.to_owned(),
                }
            })
        });
    let body = super::endpoint::read_body(resp, 1024 * 1024, "tag list")
        .await
        .map_err(super::endpoint::BodyError::into_failure)?;
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let names = list["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((names, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str) -> Glob {
        Glob::parse(p).expect(p)
    }

    #[test]
    fn star_question_and_classes_match_whole_tags() {
        let cases: &[(&str, &str, bool)] = &[
            ("*.*.*", "1.0.0", true),
            ("*.*.*", "1.0", false),
            ("*.*.*", "v1.2.3-rc.1", true),
            ("v*.*.*", "1.2.3", false),
            ("v*.*.*", "v10.20.30", true),
            ("[0-9]*.*.*", "1.2.3", true),
            ("[0-9]*.*.*", "v1.2.3", false),
            ("[!v]*", "v1", false),
            ("[^v]*", "x1", true),
            ("1.?", "1.4", true),
            ("1.?", "1.42", false),
            ("latest", "latest", true),
            ("latest", "latest-x", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("[]]x", "]x", true),
            ("[a-]", "-", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("**", "abc", true),
            ("*-rc*", "1.0.0-rc.1", true),
        ];
        for &(pattern, tag, want) in cases {
            assert_eq!(g(pattern).matches(tag), want, "{pattern} vs {tag}");
        }
    }

    #[test]
    fn many_stars_stay_linear() {
        let glob = g("*a*a*a*a*a*a*a*a*b");
        let tag = "a".repeat(120);
        assert!(!glob.matches(&tag));
    }

    #[test]
    fn malformed_globs_are_errors_naming_the_pattern() {
        assert_eq!(
            Glob::parse("v[0-9"),
            Err(GlobError::Unclosed("v[0-9".into()))
        );
        assert_eq!(
            Glob::parse("[9-0]"),
            Err(GlobError::Reversed("[9-0]".into(), '9', '0'))
        );
        assert_eq!(
            Glob::parse("x\\"),
            Err(GlobError::TrailingEscape("x\\".into()))
        );
        let e = Glob::parse("[").expect_err("unclosed").to_string();
        assert!(e.starts_with("`[`: "), "{e}");
        assert!(e.contains("hint: "), "{e}");
    }

    #[test]
    fn the_latest_decision_takes_the_highest_version_any_registry_holds() {
        let held = |v: Option<&str>| Held {
            digest: None,
            version: v.map(|v| version(v).expect(v)),
        };
        let guard = |ours: Option<&str>| LatestGuard {
            tags: vec!["latest".into()],
            ours: ours.map(|v| version(v).expect(v)),
        };
        let (a, b, c, none) = (
            held(Some("1.0.0")),
            held(Some("2.0.0")),
            held(Some("2.0.0-rc.1")),
            held(None),
        );
        let all = [&a, &b, &c, &none];
        let skip = |ours: Option<&str>, h: &[&Held]| decide(&guard(ours), h).map(|v| v.version);
        assert_eq!(skip(Some("1.0.1"), &all).as_deref(), Some("2.0.0"));
        assert_eq!(skip(Some("2.0.0-rc.2"), &all).as_deref(), Some("2.0.0"));
        assert_eq!(skip(Some("2.0.0"), &all), None);
        assert_eq!(skip(Some("v2.0.1"), &all), None);
        assert_eq!(skip(Some("1.0.0"), &[&none]), None);
        assert_eq!(
            skip(Some("2.0.0-rc.0"), &[&c]).as_deref(),
            Some("2.0.0-rc.1")
        );
        // Not a version (`main`): it never replaces a `latest` that holds one.
        assert_eq!(skip(None, &[&a]).as_deref(), Some("1.0.0"));
        assert_eq!(skip(None, &[&none]), None);
    }

    /// node-semver's own ordering fixtures (test/fixtures/comparisons.js, first greater).
    #[test]
    fn versions_order_like_node_semver() {
        let greater: &[(&str, &str)] = &[
            ("0.0.0", "0.0.0-foo"),
            ("0.0.1", "0.0.0"),
            ("1.0.0", "0.9.9"),
            ("0.10.0", "0.9.0"),
            ("0.99.0", "0.10.0"),
            ("2.0.0", "1.2.3"),
            ("v0.0.0", "0.0.0-foo"),
            ("v0.0.1", "0.0.0"),
            ("1.2.3", "1.2.3-asdf"),
            ("1.2.3", "1.2.3-4"),
            ("1.2.3", "1.2.3-4-foo"),
            ("1.2.3-5-foo", "1.2.3-5"),
            ("1.2.3-5", "1.2.3-4"),
            ("1.2.3-5-foo", "1.2.3-5-Foo"),
            ("3.0.0", "2.7.2+asdf"),
            ("1.2.3-a.10", "1.2.3-a.5"),
            ("1.2.3-a.b", "1.2.3-a.5"),
            ("1.2.3-a.b", "1.2.3-a"),
            ("1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"),
            ("1.2.3-r2", "1.2.3-r100"),
            ("1.2.3-r100", "1.2.3-R2"),
            ("1.0.0", "1.0.0-rc.1"),
            ("1.0.0-rc.1", "1.0.0-beta.11"),
            ("1.0.0-beta.11", "1.0.0-beta.2"),
            ("1.0.0-beta.2", "1.0.0-beta"),
            ("1.0.0-beta", "1.0.0-alpha.beta"),
            ("1.0.0-alpha.beta", "1.0.0-alpha.1"),
            ("1.0.0-alpha.1", "1.0.0-alpha"),
        ];
        for &(a, b) in greater {
            let (va, vb) = (version(a).expect(a), version(b).expect(b));
            assert_eq!(compare(&va, &vb), Ordering::Greater, "{a} > {b}");
            assert_eq!(compare(&vb, &va), Ordering::Less, "{b} < {a}");
        }
        let equal: &[(&str, &str)] = &[
            ("1.2.3", "v1.2.3"),
            ("1.2.3", "=1.2.3"),
            ("1.2.3-beta+build", "1.2.3-beta+otherbuild"),
            ("1.2.3+build", "1.2.3+otherbuild"),
            (" v1.2.3 ", "1.2.3"),
        ];
        for &(a, b) in equal {
            let (va, vb) = (version(a).expect(a), version(b).expect(b));
            assert_eq!(compare(&va, &vb), Ordering::Equal, "{a} == {b}");
        }
        assert!(version("latest").is_none());
        assert!(version("1.2").is_none());
    }
}
