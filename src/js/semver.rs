//! An exact port of the parts of node-semver (7.x, as bundled in docker/metadata-action v6) that
//! `type=semver` tags rely on: `semver.valid(v)`, `semver.parse(v, {loose: true})` and
//! `semver.prerelease(v)` (`src/meta.ts` `procSemver`).
//!
//! It owns the version grammar (node-semver `internal/re.js` `FULL` and `LOOSE`), the
//! `MAX_LENGTH` and `MAX_SAFE_INTEGER` limits of `classes/semver.js`, the conversion of numeric
//! prerelease identifiers to numbers, and the normalised `version` string. It must not render
//! templates, sanitise tags or emit warnings: callers turn `None` into metadata-action's
//! `<vraw> is not a valid semver. More info: https://semver.org/` warning.
//!
//! Quirks kept on purpose (each pinned by a test):
//! * the length limit (256) counts UTF-16 code units of the *untrimmed* input;
//! * surrounding JavaScript whitespace (`String.prototype.trim`, which includes U+FEFF and
//!   U+00A0 but not U+0085) is ignored, and `raw` keeps it;
//! * strict mode accepts one optional lowercase `v` only (`V1.2.3`, `=1.2.3`, `v01.2.3` fail);
//! * loose mode accepts any run of `v`, `=` and whitespace before the version, leading zeros,
//!   a prerelease without `-` (`1.2.3beta`), and backtracks into the patch digits
//!   (`1.2.34.5` is `1.2.3-4.5`, `1.2.3-` is `1.2.3--`);
//! * major, minor and patch above `Number.MAX_SAFE_INTEGER` make the version invalid;
//! * an all-digit prerelease identifier becomes a number only when it is below
//!   `Number.MAX_SAFE_INTEGER` (so `01` becomes `1` in loose mode, and `9007199254740991` stays a
//!   string).

use std::fmt;

/// node-semver `MAX_LENGTH`: longer inputs (in UTF-16 code units, before trimming) are invalid.
pub const MAX_LENGTH: usize = 256;

/// JavaScript `Number.MAX_SAFE_INTEGER` (2^53 - 1), node-semver's bound for numeric parts.
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// One dot-separated prerelease identifier, as node-semver stores it: all-digit identifiers
/// below [`MAX_SAFE_INTEGER`] become numbers, everything else stays a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ident {
    /// A numeric identifier (rendered in decimal, so loose `01` renders as `1`).
    Num(u64),
    /// An alphanumeric identifier, or an all-digit one too large to be a safe integer.
    Str(String),
}

impl fmt::Display for Ident {
    /// Renders the identifier the way JavaScript's `String(x)` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => write!(f, "{n}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// A parsed version: the own enumerable properties of a node-semver `SemVer` object, which is
/// the handlebars context of `type=semver` patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer {
    /// The input exactly as given (surrounding whitespace and a leading `v` kept).
    pub raw: String,
    /// The normalised `major.minor.patch[-prerelease]` string (build metadata dropped).
    pub version: String,
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
    /// The patch version.
    pub patch: u64,
    /// The prerelease identifiers (empty when there is no prerelease).
    pub prerelease: Vec<Ident>,
    /// The build metadata identifiers (empty when there is none).
    pub build: Vec<String>,
    /// Whether the loose grammar was used.
    pub loose: bool,
    /// node-semver's `includePrerelease` option; always `false` here.
    pub include_prerelease: bool,
}

impl SemVer {
    /// The JavaScript string form (`String(value)`) of the own property `name`, as handlebars
    /// renders `{{name}}` before HTML-escaping; `None` for names that are not own properties
    /// (node-semver prototype methods such as `format` are not own properties).
    ///
    /// Arrays render comma-joined, booleans as `true`/`false`, and `options` (the object
    /// `{loose: true}` or `{}`) as `[object Object]`.
    #[must_use]
    pub fn property(&self, name: &str) -> Option<String> {
        Some(match name {
            "options" => "[object Object]".to_owned(),
            "loose" => self.loose.to_string(),
            "includePrerelease" => self.include_prerelease.to_string(),
            "raw" => self.raw.clone(),
            "major" => self.major.to_string(),
            "minor" => self.minor.to_string(),
            "patch" => self.patch.to_string(),
            "prerelease" => join(&self.prerelease, ","),
            "build" => self.build.join(","),
            "version" => self.version.clone(),
            _ => return None,
        })
    }
}

/// `semver.valid(s)` with default options: the normalised version, or `None` when `s` is not a
/// strict semver (after trimming surrounding whitespace; one optional lowercase `v`).
#[must_use]
pub fn valid(s: &str) -> Option<String> {
    parse(s, false).map(|v| v.version)
}

/// `semver.parse(s, {loose: true})`.
#[must_use]
pub fn parse_loose(s: &str) -> Option<SemVer> {
    parse(s, true)
}

/// `semver.prerelease(s)` with default (strict) options: the prerelease identifiers, or `None`
/// when `s` is invalid or has no prerelease.
#[must_use]
pub fn prerelease(s: &str) -> Option<Vec<Ident>> {
    parse(s, false)
        .map(|v| v.prerelease)
        .filter(|p| !p.is_empty())
}

/// `semver.parse(s, {loose})`: `None` where node-semver returns `null` (it throws internally).
#[must_use]
pub fn parse(s: &str, loose: bool) -> Option<SemVer> {
    if s.encode_utf16().count() > MAX_LENGTH {
        return None;
    }
    let trimmed = s.trim_matches(is_js_whitespace);
    let m = if loose {
        match_loose(trimmed)?
    } else {
        match_strict(trimmed)?
    };
    let major = safe_integer(m.major)?;
    let minor = safe_integer(m.minor)?;
    let patch = safe_integer(m.patch)?;
    let prerelease: Vec<Ident> = m
        .prerelease
        .map(|p| p.split('.').map(prerelease_ident).collect())
        .unwrap_or_default();
    let build = if m.build.is_empty() {
        Vec::new()
    } else {
        m.build.split('.').map(str::to_owned).collect()
    };
    let mut version = format!("{major}.{minor}.{patch}");
    if !prerelease.is_empty() {
        version.push('-');
        version.push_str(&join(&prerelease, "."));
    }
    Some(SemVer {
        raw: s.to_owned(),
        version,
        major,
        minor,
        patch,
        prerelease,
        build,
        loose,
        include_prerelease: false,
    })
}

/// The capture groups of node-semver's `FULL`/`LOOSE` regular expressions.
struct Captures<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    prerelease: Option<String>,
    /// `""` when absent.
    build: &'a str,
}

/// `^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(PRE))?(?:\+(BUILD))?$`.
fn match_strict(s: &str) -> Option<Captures<'_>> {
    let rest = s.strip_prefix('v').unwrap_or(s);
    let (major, rest) = canonical_number(rest)?;
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = canonical_number(rest)?;
    let rest = rest.strip_prefix('.')?;
    let (patch, rest) = canonical_number(rest)?;
    let (prerelease, rest) = match rest.strip_prefix('-') {
        Some(after) => {
            let (ids, rest) = split_run(after);
            if !dotted_ids(ids, true) {
                return None;
            }
            (Some(ids.to_owned()), rest)
        }
        None => (None, rest),
    };
    let build = build_suffix(rest)?;
    Some(Captures {
        major,
        minor,
        patch,
        prerelease,
        build,
    })
}

/// `^[v=\s]*(\d+)\.(\d+)\.(\d+)(?:-?(PRELOOSE))?(?:\+(BUILD))?$`, with the regular
/// expression's backtracking into the patch digits.
fn match_loose(s: &str) -> Option<Captures<'_>> {
    let rest = s.trim_start_matches(|c: char| c == 'v' || c == '=' || is_js_whitespace(c));
    let (major, rest) = digits(rest)?;
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = digits(rest)?;
    let rest = rest.strip_prefix('.')?;
    let (patch_run, after_patch) = digits(rest)?;
    // `\d+` is greedy: try the longest patch first, then give digits back to the prerelease.
    for len in (1..=patch_run.len()).rev() {
        let (patch, spill) = patch_run.split_at(len);
        if let Some((prerelease, build)) = loose_tail(spill, after_patch) {
            return Some(Captures {
                major,
                minor,
                patch,
                prerelease,
                build,
            });
        }
    }
    None
}

/// Matches `(?:-?(PRELOOSE))?(?:\+(BUILD))?$` against `spill + rest`, where `spill` is a
/// (possibly empty) run of digits given back by the patch number. The build part is `""` when
/// absent (see [`build_suffix`]).
fn loose_tail<'a>(spill: &str, rest: &'a str) -> Option<(Option<String>, &'a str)> {
    // The prerelease run is every identifier character and dot up to the first other character.
    let (run, after) = split_run(rest);
    if spill.is_empty() {
        // 1. prerelease present, `-` consumed.
        if let Some(ids) = run.strip_prefix('-')
            && dotted_ids(ids, false)
            && let Some(build) = build_suffix(after)
        {
            return Some((Some(ids.to_owned()), build));
        }
        // 2. prerelease present, `-?` matching nothing.
        if dotted_ids(run, false)
            && let Some(build) = build_suffix(after)
        {
            return Some((Some(run.to_owned()), build));
        }
        // 3. no prerelease.
        return build_suffix(rest).map(|build| (None, build));
    }
    // The spilled digits must start the prerelease (`-?` cannot match a digit).
    let ids = format!("{spill}{run}");
    if dotted_ids(&ids, false)
        && let Some(build) = build_suffix(after)
    {
        return Some((Some(ids), build));
    }
    None
}

/// Matches `(?:\+(BUILD))?$`: `Some("")` at the end of input, `Some(build)` for a valid build
/// suffix that runs to the end (a present build is never empty), `None` otherwise.
fn build_suffix(s: &str) -> Option<&str> {
    if s.is_empty() {
        return Some("");
    }
    let ids = s.strip_prefix('+')?;
    let (run, after) = split_run(ids);
    (after.is_empty() && dotted_ids(run, false)).then_some(run)
}

/// Splits `s` after its longest prefix of identifier characters (`[0-9A-Za-z-]`) and dots.
fn split_run(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(is_ident_char(c) || c == '.'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Whether `s` is one or more non-empty identifiers joined by dots; in strict mode an all-digit
/// identifier must not have a leading zero (`0|[1-9]\d*`).
fn dotted_ids(s: &str, strict: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.chars().all(is_ident_char)
            && !(strict && id.len() > 1 && id.starts_with('0') && all_digits(id))
    })
}

/// `[0-9A-Za-z-]`, node-semver's `LETTERDASHNUMBER`.
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits a leading `\d+` off `s`.
fn digits(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

/// Splits a leading `0|[1-9]\d*` off `s` (a leading zero ends the number).
fn canonical_number(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('0') {
        return Some(s.split_at(1));
    }
    digits(s)
}

/// `+digits` checked against `MAX_SAFE_INTEGER` (node-semver throws `Invalid major version`
/// and friends above it).
fn safe_integer(digits: &str) -> Option<u64> {
    let significant = digits.trim_start_matches('0');
    if significant.len() > 16 {
        return None;
    }
    let value = if significant.is_empty() {
        0
    } else {
        significant.parse::<u64>().ok()?
    };
    (value <= MAX_SAFE_INTEGER).then_some(value)
}

/// node-semver keeps an all-digit identifier as a number only when `+id < MAX_SAFE_INTEGER`.
fn prerelease_ident(id: &str) -> Ident {
    if all_digits(id)
        && let Some(n) = safe_integer(id).filter(|&n| n < MAX_SAFE_INTEGER)
    {
        return Ident::Num(n);
    }
    Ident::Str(id.to_owned())
}

fn join(ids: &[Ident], sep: &str) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

use super::jsnum::is_js_whitespace;

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u64) -> Ident {
        Ident::Num(v)
    }
    fn s(v: &str) -> Ident {
        Ident::Str(v.to_owned())
    }

    #[test]
    fn valid_strict_accepts_optional_lowercase_v_and_trims() {
        assert_eq!(valid("1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(valid("v1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(valid(" 1.2.3 ").as_deref(), Some("1.2.3"));
        assert_eq!(valid("\t v1.2.3\n").as_deref(), Some("1.2.3"));
        assert_eq!(valid("\u{a0}1.2.3\u{feff}").as_deref(), Some("1.2.3"));
        assert_eq!(valid("0.0.0").as_deref(), Some("0.0.0"));
    }

    #[test]
    fn valid_strict_rejects() {
        for bad in [
            "",
            "V1.2.3",
            "=1.2.3",
            "vv1.2.3",
            "v 1.2.3",
            "v01.2.3",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2",
            "v1.2",
            "1.2.3.4",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3-.a",
            "1.2.3-a.",
            "1.2.3-RC.01",
            "1.2.3-01",
            "1.2.3beta",
            "1.2.3_1",
            "1.2.3-é",
            "1.2.3 -rc",
            "\u{85}1.2.3",
            "p1-v1.0.0",
            "sometag",
            "release1",
            "1.2.3-rc/1",
        ] {
            assert_eq!(valid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn valid_drops_build_and_keeps_prerelease() {
        assert_eq!(valid("1.2.3-rc.1").as_deref(), Some("1.2.3-rc.1"));
        assert_eq!(valid("1.2.3+build.7").as_deref(), Some("1.2.3"));
        assert_eq!(
            valid("1.2.3-beta+exp.sha.5114f85").as_deref(),
            Some("1.2.3-beta")
        );
        assert_eq!(valid("v1.2.3-alpha-1").as_deref(), Some("1.2.3-alpha-1"));
        assert_eq!(valid("1.2.3--").as_deref(), Some("1.2.3--"));
        assert_eq!(valid("1.2.3-0a.00a").as_deref(), Some("1.2.3-0a.00a"));
        assert_eq!(valid("1.2.3+01.-").as_deref(), Some("1.2.3"));
        assert_eq!(valid("v2.0.8-beta.67").as_deref(), Some("2.0.8-beta.67"));
    }

    #[test]
    fn max_safe_integer_bounds() {
        assert_eq!(
            valid("9007199254740991.0.0").as_deref(),
            Some("9007199254740991.0.0")
        );
        assert_eq!(valid("9007199254740992.0.0"), None);
        assert_eq!(valid("1.9007199254740992.0"), None);
        assert_eq!(valid("1.2.99999999999999999999999"), None);
        assert_eq!(
            parse_loose("0000000000000000000000001.2.3").map(|v| v.major),
            Some(1)
        );
        // Prerelease numbers must be strictly below MAX_SAFE_INTEGER to become numbers.
        assert_eq!(
            prerelease("1.2.3-9007199254740990"),
            Some(vec![n(9_007_199_254_740_990)])
        );
        assert_eq!(
            prerelease("1.2.3-9007199254740991"),
            Some(vec![s("9007199254740991")])
        );
        assert_eq!(
            prerelease("1.2.3-99999999999999999999"),
            Some(vec![s("99999999999999999999")])
        );
    }

    #[test]
    fn max_length_counts_utf16_units_of_untrimmed_input() {
        let body = format!("1.2.3-{}", "a".repeat(250));
        assert_eq!(body.len(), 256);
        assert!(valid(&body).is_some());
        assert_eq!(valid(&format!("{body}b")), None);
        assert_eq!(valid(&format!(" {body}")), None);
        // U+3000 is one UTF-16 unit but three UTF-8 bytes.
        let padded = format!("{}1.2.3", "\u{3000}".repeat(251));
        assert_eq!(valid(&padded).as_deref(), Some("1.2.3"));
        let padded = format!("{}1.2.3", "\u{3000}".repeat(252));
        assert_eq!(valid(&padded), None);
    }

    #[test]
    fn prerelease_strict() {
        assert_eq!(prerelease("1.2.3"), None);
        assert_eq!(prerelease("1.2.3+build"), None);
        assert_eq!(prerelease("nope"), None);
        assert_eq!(prerelease("1.2.3-rc.1"), Some(vec![s("rc"), n(1)]));
        assert_eq!(prerelease("v2.0.8-beta.67"), Some(vec![s("beta"), n(67)]));
        // Loose-only spellings are not prereleases for `semver.prerelease` (strict).
        assert_eq!(prerelease("1.2.3beta"), None);
        assert_eq!(prerelease("1.2.3-RC.01"), None);
    }

    #[test]
    fn parse_loose_object() {
        let v = parse_loose(" v1.2.3-rc.1+build.7 ").unwrap();
        assert_eq!(
            v,
            SemVer {
                raw: " v1.2.3-rc.1+build.7 ".to_owned(),
                version: "1.2.3-rc.1".to_owned(),
                major: 1,
                minor: 2,
                patch: 3,
                prerelease: vec![s("rc"), n(1)],
                build: vec!["build".to_owned(), "7".to_owned()],
                loose: true,
                include_prerelease: false,
            }
        );
        assert_eq!(v.property("prerelease").as_deref(), Some("rc,1"));
        assert_eq!(v.property("build").as_deref(), Some("build,7"));
        assert_eq!(v.property("loose").as_deref(), Some("true"));
        assert_eq!(v.property("includePrerelease").as_deref(), Some("false"));
        assert_eq!(v.property("options").as_deref(), Some("[object Object]"));
        assert_eq!(v.property("raw").as_deref(), Some(" v1.2.3-rc.1+build.7 "));
        assert_eq!(v.property("format"), None);
    }

    #[test]
    fn parse_loose_quirks() {
        let version = |x: &str| parse_loose(x).map(|v| v.version);
        assert_eq!(version("=1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(version("v = 1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(version("vv=v1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(version("V1.2.3"), None);
        assert_eq!(version("01.02.03").as_deref(), Some("1.2.3"));
        assert_eq!(version("1.2.3-RC.01").as_deref(), Some("1.2.3-RC.1"));
        assert_eq!(version("1.2.3beta").as_deref(), Some("1.2.3-beta"));
        assert_eq!(version("1.2.34.5").as_deref(), Some("1.2.3-4.5"));
        assert_eq!(version("1.2.3-").as_deref(), Some("1.2.3--"));
        assert_eq!(version("1.2.3-.a").as_deref(), Some("1.2.3--.a"));
        assert_eq!(version("1.2.3-+b").as_deref(), Some("1.2.3--"));
        assert_eq!(version("1.2.3.4"), None);
        assert_eq!(version("1.2"), None);
        let v = parse_loose("1.2.3-RC.01").unwrap();
        assert_eq!(v.prerelease, vec![s("RC"), n(1)]);
        assert_eq!(v.raw, "1.2.3-RC.01");
    }

    #[test]
    fn parse_loose_agrees_with_strict_on_strict_input() {
        for x in [
            "v1.2.3",
            "1.2.3-rc.1",
            "1.2.3+build.7",
            "1.2.3-beta+exp.sha.5114f85",
            "v1.2.3-alpha-1",
            " 1.2.3 ",
        ] {
            let strict = parse(x, false).unwrap();
            let loose = parse_loose(x).unwrap();
            assert_eq!(strict.version, loose.version, "{x}");
            assert_eq!(strict.prerelease, loose.prerelease, "{x}");
            assert_eq!(strict.build, loose.build, "{x}");
            assert_eq!(loose.raw, x);
        }
    }

    /// What `procSemver` renders for a tag value `vraw` (after `match` and `/` → `-`) and a
    /// pattern using only plain `{{field}}` mustaches: `None` when no tag is produced.
    fn proc_semver(vraw: &str, pattern: &str) -> Option<(String, bool)> {
        valid(vraw)?;
        let sver = parse_loose(vraw)?;
        let render = |p: &str| {
            let mut out = p.to_owned();
            for field in ["version", "major", "minor", "patch", "raw"] {
                out = out.replace(&format!("{{{{{field}}}}}"), &sver.property(field).unwrap());
            }
            out
        };
        if prerelease(vraw).is_some() {
            let p = if pattern == "{{raw}}" {
                pattern
            } else {
                "{{version}}"
            };
            Some((render(p), false))
        } else {
            Some((render(pattern), true))
        }
    }

    /// Tag value, pattern, expected rendered value and `latest`.
    type Row = (&'static str, &'static str, Option<(&'static str, bool)>);

    /// The `type=semver` rows of metadata-action's `__tests__/meta.test.ts` (tag value and
    /// pattern → rendered value before sanitising, and whether it would set `latest`).
    #[test]
    fn upstream_meta_test_rows() {
        let rows: &[Row] = &[
            // push14 / push35 (value=v1.2.3; p1/v1.2.3 matched to 1.2.3).
            ("v1.2.3", "{{version}}", Some(("1.2.3", true))),
            ("1.2.3", "{{version}}", Some(("1.2.3", true))),
            // tag11, tag12, tag21, tag22 (refs/tags/v1.1.1).
            ("v1.1.1", "{{version}}", Some(("1.1.1", true))),
            ("v1.1.1", "{{major}}.{{minor}}", Some(("1.1", true))),
            ("v1.1.1", "{{major}}", Some(("1", true))),
            (
                "v1.1.1",
                "{{major}}.{{minor}}.{{patch}}",
                Some(("1.1.1", true)),
            ),
            // tag13, tag15, tag31 (refs/tags/v2.0.8-beta.67).
            (
                "v2.0.8-beta.67",
                "{{major}}.{{minor}}",
                Some(("2.0.8-beta.67", false)),
            ),
            (
                "v2.0.8-beta.67",
                "{{major}}",
                Some(("2.0.8-beta.67", false)),
            ),
            (
                "v2.0.8-beta.67",
                "{{version}}",
                Some(("2.0.8-beta.67", false)),
            ),
            ("v2.0.8-beta.67", "{{raw}}", Some(("v2.0.8-beta.67", false))),
            // release events (refs/tags/v2.1.8-beta.67).
            (
                "v2.1.8-beta.67",
                "{{major}}.{{minor}}",
                Some(("2.1.8-beta.67", false)),
            ),
            // tag14 (sometag), push12-like invalid refs, p1/v1.0.0 without match.
            ("sometag", "{{version}}", None),
            ("p1-v1.0.0", "{{version}}", None),
            // tag34 (p1/v1.0.0 with match=v(\d.\d.\d)$ → 1.0.0).
            ("1.0.0", "{{version}}", Some(("1.0.0", true))),
        ];
        for &(vraw, pattern, expected) in rows {
            let got = proc_semver(vraw, pattern);
            assert_eq!(
                got.as_ref().map(|(v, l)| (v.as_str(), *l)),
                expected,
                "{vraw} {pattern}"
            );
        }
    }

    #[test]
    fn build_is_dropped_by_version_and_kept_by_raw() {
        assert_eq!(
            proc_semver("v1.2.3+build.7", "{{version}}"),
            Some(("1.2.3".to_owned(), true))
        );
        assert_eq!(
            proc_semver("v1.2.3+build.7", "{{raw}}"),
            Some(("v1.2.3+build.7".to_owned(), true))
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for x in [
            "\u{0}", "é.1.1", "1.é.1", "1.1.é", "1.1.1-é", "1.1.1+é", "١.٢.٣", "+", "-", ".", "v",
            "=", "1..1", "1.1.", "..", "1.1.1-+", "1.1.1++",
        ] {
            let _ = valid(x);
            let _ = parse_loose(x);
            let _ = prerelease(x);
        }
    }
}
