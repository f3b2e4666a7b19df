//! An exact port of the parts of `@renovate/pep440` 1.0.0 (`lib/version.js`, `lib/semantic.js`,
//! as bundled in docker/metadata-action v6) that `type=pep440` tags rely on: `valid`, `clean`,
//! `explain`, `major`, `minor` and `patch` (`src/meta.ts` `procPep440`).
//!
//! It owns the `VERSION_PATTERN` grammar (matched case-insensitively), the normalisation of
//! letters (`alpha` → `a`, `beta` → `b`, `c`/`pre`/`preview` → `rc`, `rev`/`r` → `post`,
//! `-N` → `.postN`) and the JavaScript number semantics of every numeric part. It must not
//! render templates, sanitise tags or emit warnings: callers turn `None` into metadata-action's
//! `<vraw> does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440`.
//!
//! Quirks kept on purpose (each pinned by a test):
//! * `valid` returns its input unchanged and accepts no surrounding whitespace; `clean` trims
//!   JavaScript whitespace;
//! * numbers are JavaScript numbers ([`JsNumber`]): `99999999999999999999` renders as
//!   `100000000000000000000`, a 400-digit release number as `Infinity`;
//! * local segments go through JavaScript `Number()`, so `+1e5.0x1F.Infinity` becomes
//!   `100000`, `31` and `Infinity`, other segments are lower-cased;
//! * `clean` joins local segments with `,` (the library interpolates an array), while
//!   `explain().local` joins them with `.`: `clean("1.0+local.1")` is `1.0+local,1`;
//! * an epoch of `0` is dropped by `clean`, and separators may dangle (`1.0a-` is valid and
//!   cleans to `1.0a0`).

use std::fmt::{self, Write as _};

/// A JavaScript number as the library computes it (`Number(digits)`): a non-negative double,
/// possibly infinite. [`fmt::Display`] renders it like JavaScript's `String(n)`, which is what
/// handlebars prints for `{{major}}` and what the library's string joins produce.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct JsNumber(f64);

impl JsNumber {
    /// The number as a double.
    #[must_use]
    pub fn as_f64(self) -> f64 {
        self.0
    }

    /// The number as an integer when it is an exactly representable whole number no larger than
    /// `u64::MAX` (true for every part of ordinary versions).
    #[must_use]
    pub fn as_u64(self) -> Option<u64> {
        let v = self.0;
        // 2^64 as f64; every finite whole double below it converts exactly.
        let whole = v.is_finite() && v >= 0.0 && v.fract() == 0.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let out = (whole && v < 18_446_744_073_709_551_616.0).then_some(v as u64);
        out
    }
}

impl From<u32> for JsNumber {
    fn from(v: u32) -> Self {
        Self(f64::from(v))
    }
}

impl fmt::Display for JsNumber {
    /// ECMAScript `Number::toString(x)` (radix 10), shortest round-trip digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x == 0.0 {
            return f.write_str("0");
        }
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        if x.is_infinite() {
            return f.write_str("Infinity");
        }
        // Rust's `{:e}` prints the shortest round-trip digits, like ECMAScript requires.
        let sci = format!("{:e}", x.abs());
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let exponent: i64 = exponent.parse().unwrap_or(0);
        let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        let n = exponent + 1;
        if k <= n && n <= 21 {
            f.write_str(&digits)?;
            for _ in k..n {
                f.write_str("0")?;
            }
            Ok(())
        } else if 0 < n && n <= 21 {
            let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
            write!(f, "{int}.{frac}")
        } else if -6 < n && n <= 0 {
            f.write_str("0.")?;
            for _ in n..0 {
                f.write_str("0")?;
            }
            f.write_str(&digits)
        } else {
            let sign = if n - 1 < 0 { '-' } else { '+' };
            let (first, rest) = digits.split_at(digits.len().min(1));
            if rest.is_empty() {
                write!(f, "{first}e{sign}{}", (n - 1).abs())
            } else {
                write!(f, "{first}.{rest}e{sign}{}", (n - 1).abs())
            }
        }
    }
}

/// One `.`/`-`/`_`-separated segment of a local version label after the library's
/// `Number.isNaN(Number(s)) ? s.toLowerCase() : Number(s)`.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalPart {
    /// A segment JavaScript's `Number()` accepts (`007`, `1e5`, `0x1F`, `Infinity`).
    Num(JsNumber),
    /// Any other segment, lower-cased.
    Str(String),
}

impl fmt::Display for LocalPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => n.fmt(f),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// The library's internal parse result (`parse` in `lib/version.js`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `N!` epoch, `0` when absent.
    pub epoch: JsNumber,
    /// The release numbers (`1.2.3` → `[1, 2, 3]`).
    pub release: Vec<JsNumber>,
    /// Normalised pre-release letter (`a`, `b`, `rc`) and number (`0` when absent).
    pub pre: Option<(String, JsNumber)>,
    /// Post-release as `("post", n)`.
    pub post: Option<(String, JsNumber)>,
    /// Dev release as `("dev", n)`.
    pub dev: Option<(String, JsNumber)>,
    /// Local version label segments.
    pub local: Option<Vec<LocalPart>>,
}

/// The result of `explain(version)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Explain {
    /// The epoch (`0` when absent).
    pub epoch: JsNumber,
    /// The release numbers.
    pub release: Vec<JsNumber>,
    /// Normalised pre-release letter and number.
    pub pre: Option<(String, JsNumber)>,
    /// The post-release number.
    pub post: Option<JsNumber>,
    /// The dev-release number.
    pub dev: Option<JsNumber>,
    /// The local label, segments joined with `.`.
    pub local: Option<String>,
    /// The cleaned version without its local label.
    pub public: String,
    /// `[epoch!]release`.
    pub base_version: String,
    /// A pre-release or a dev release.
    pub is_prerelease: bool,
    /// A dev release.
    pub is_devrelease: bool,
    /// A post-release.
    pub is_postrelease: bool,
}

/// `pep440.valid(s)`: `s` itself when it matches `^VERSION_PATTERN$` (case-insensitive, no
/// surrounding whitespace), else `None`.
#[must_use]
pub fn valid(s: &str) -> Option<String> {
    parse(s).map(|_| s.to_owned())
}

/// `pep440.clean(s)`: the normalised version, ignoring surrounding whitespace; `None` when
/// invalid.
#[must_use]
pub fn clean(s: &str) -> Option<String> {
    parse_with(s, true).map(|p| stringify(&p))
}

/// `pep440.explain(s)`; `None` when `s` is not valid.
#[must_use]
pub fn explain(s: &str) -> Option<Explain> {
    let p = parse(s)?;
    let mut base_version = String::new();
    if p.epoch.0 != 0.0 {
        base_version = format!("{}!", p.epoch);
    }
    base_version.push_str(&join_numbers(&p.release));
    let public = stringify(&p)
        .split('+')
        .next()
        .unwrap_or_default()
        .to_owned();
    Some(Explain {
        epoch: p.epoch,
        release: p.release.clone(),
        pre: p.pre.clone(),
        post: p.post.as_ref().map(|(_, n)| *n),
        dev: p.dev.as_ref().map(|(_, n)| *n),
        local: p.local.as_ref().map(|parts| join_parts(parts, ".")),
        public,
        base_version,
        is_prerelease: p.dev.is_some() || p.pre.is_some(),
        is_devrelease: p.dev.is_some(),
        is_postrelease: p.post.is_some(),
    })
}

/// `pep440.major(s)`: the first release number; `None` where the library throws
/// `Invalid Version`.
#[must_use]
pub fn major(s: &str) -> Option<JsNumber> {
    explain(s).and_then(|e| e.release.first().copied())
}

/// `pep440.minor(s)`: the second release number, `0` when the release has one number.
#[must_use]
pub fn minor(s: &str) -> Option<JsNumber> {
    explain(s).map(|e| e.release.get(1).copied().unwrap_or(JsNumber(0.0)))
}

/// `pep440.patch(s)`: the third release number, `0` when the release has fewer numbers.
#[must_use]
pub fn patch(s: &str) -> Option<JsNumber> {
    explain(s).map(|e| e.release.get(2).copied().unwrap_or(JsNumber(0.0)))
}

/// The library's `parse(s)` with the strict (no whitespace) pattern.
#[must_use]
pub fn parse(s: &str) -> Option<Parsed> {
    parse_with(s, false)
}

/// The library's `stringify(parsed)`, which is what `clean` returns.
#[must_use]
pub fn stringify(p: &Parsed) -> String {
    let mut out = String::new();
    if p.epoch.0 != 0.0 {
        let _ = write!(out, "{}!", p.epoch);
    }
    out.push_str(&join_numbers(&p.release));
    if let Some((l, n)) = &p.pre {
        let _ = write!(out, "{l}{n}");
    }
    if let Some((l, n)) = &p.post {
        let _ = write!(out, ".{l}{n}");
    }
    if let Some((l, n)) = &p.dev {
        let _ = write!(out, ".{l}{n}");
    }
    if let Some(parts) = &p.local {
        // `${local}` on an array joins with commas.
        out.push('+');
        out.push_str(&join_parts(parts, ","));
    }
    out
}

/// Raw captures of `VERSION_PATTERN` (byte ranges are resolved to slices).
#[derive(Default)]
struct Captures<'a> {
    epoch: Option<&'a str>,
    release: &'a str,
    pre_l: Option<&'a str>,
    pre_n: Option<&'a str>,
    post_n1: Option<&'a str>,
    post_l: Option<&'a str>,
    post_n2: Option<&'a str>,
    dev_l: Option<&'a str>,
    dev_n: Option<&'a str>,
    local: Option<&'a str>,
}

fn parse_with(s: &str, trim: bool) -> Option<Parsed> {
    let s = if trim {
        s.trim_matches(is_js_whitespace)
    } else {
        s
    };
    let c = match_version(s)?;
    let epoch = c.epoch.map_or(JsNumber(0.0), decimal);
    let release = c.release.split('.').map(decimal).collect();
    let pre = c
        .pre_l
        .map(|l| (normalize_letter(l), c.pre_n.map_or(JsNumber(0.0), decimal)));
    let post = match (c.post_l, c.post_n1) {
        (Some(l), _) => Some((
            normalize_letter(l),
            c.post_n2.map_or(JsNumber(0.0), decimal),
        )),
        (None, Some(n)) => Some(("post".to_owned(), decimal(n))),
        (None, None) => None,
    };
    let dev = c
        .dev_l
        .map(|l| (normalize_letter(l), c.dev_n.map_or(JsNumber(0.0), decimal)));
    let local = c.local.map(|l| {
        l.split(['.', '_', '-'])
            .map(|seg| match js_string_to_number(seg) {
                Some(n) => LocalPart::Num(n),
                None => LocalPart::Str(seg.to_ascii_lowercase()),
            })
            .collect()
    });
    Some(Parsed {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// Matches `^VERSION_PATTERN$` with the `i` flag:
///
/// ```text
/// v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)
///   (?<pre>[-_\.]?(?<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_\.]?(?<pre_n>[0-9]+)?)?
///   (?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?
///   (?<dev>[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?)
/// (?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?
/// ```
///
/// Matching greedily without backtracking gives the regular expression's captures: no
/// component can start with a digit, so every digit run is maximal; a shorter letter
/// alternative (`a` for `alpha`, `pre` for `preview`, `r` for `rev`) leaves a letter no later
/// component starts with; and a greedily consumed separator or number only leaves the later
/// components a superset of their options. A differential run against the bundled JavaScript
/// (about 700 000 random and token-soup inputs) found no difference in any returned value.
fn match_version(s: &str) -> Option<Captures<'_>> {
    let b = s.as_bytes();
    let mut c = Captures::default();
    let mut pos = 0;
    if matches!(b.first(), Some(b'v' | b'V')) {
        pos = 1;
    }
    let end = digit_end(b, pos);
    if end > pos && b.get(end) == Some(&b'!') {
        c.epoch = Some(s.get(pos..end)?);
        pos = end + 1;
    }
    let start = pos;
    pos = digit_end(b, pos);
    if pos == start {
        return None;
    }
    while b.get(pos) == Some(&b'.') && digit_end(b, pos + 1) > pos + 1 {
        pos = digit_end(b, pos + 1);
    }
    c.release = s.get(start..pos)?;

    // Pre-release.
    let at = skip_separator(b, pos);
    if let Some(len) = letters(
        b,
        at,
        &["alpha", "a", "beta", "b", "c", "rc", "preview", "pre"],
    ) {
        c.pre_l = Some(s.get(at..at + len)?);
        pos = skip_separator(b, at + len);
        let end = digit_end(b, pos);
        if end > pos {
            c.pre_n = Some(s.get(pos..end)?);
            pos = end;
        }
    }

    // Post-release: `-N`, or `[-_.]?(post|rev|r)[-_.]?N?`.
    let end = digit_end(b, pos + 1);
    if b.get(pos) == Some(&b'-') && end > pos + 1 {
        c.post_n1 = Some(s.get(pos + 1..end)?);
        pos = end;
    } else {
        let at = skip_separator(b, pos);
        if let Some(len) = letters(b, at, &["post", "rev", "r"]) {
            c.post_l = Some(s.get(at..at + len)?);
            pos = skip_separator(b, at + len);
            let end = digit_end(b, pos);
            if end > pos {
                c.post_n2 = Some(s.get(pos..end)?);
                pos = end;
            }
        }
    }

    // Dev release.
    let at = skip_separator(b, pos);
    if let Some(len) = letters(b, at, &["dev"]) {
        c.dev_l = Some(s.get(at..at + len)?);
        pos = skip_separator(b, at + len);
        let end = digit_end(b, pos);
        if end > pos {
            c.dev_n = Some(s.get(pos..end)?);
            pos = end;
        }
    }

    // Local label.
    if b.get(pos) == Some(&b'+') {
        let start = pos + 1;
        let mut end = alnum_end(b, start);
        if end > start {
            while matches!(b.get(end), Some(b'-' | b'_' | b'.')) && alnum_end(b, end + 1) > end + 1
            {
                end = alnum_end(b, end + 1);
            }
            c.local = Some(s.get(start..end)?);
            pos = end;
        }
    }

    (pos == b.len()).then_some(c)
}

/// The end of the run of ASCII digits starting at `pos`.
fn digit_end(b: &[u8], pos: usize) -> usize {
    let mut end = pos;
    while b.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    end
}

/// The end of the run of `[a-z0-9]` (case-insensitive) starting at `pos`.
fn alnum_end(b: &[u8], pos: usize) -> usize {
    let mut end = pos;
    while b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
        end += 1;
    }
    end
}

/// `[-_\.]?`, greedy.
fn skip_separator(b: &[u8], pos: usize) -> usize {
    if matches!(b.get(pos), Some(b'-' | b'_' | b'.')) {
        pos + 1
    } else {
        pos
    }
}

/// The length of the first word of `words` (listed longest-first where one is a prefix of
/// another) found case-insensitively at `pos`.
fn letters(b: &[u8], pos: usize, words: &[&str]) -> Option<usize> {
    let rest = b.get(pos..)?;
    words
        .iter()
        .find(|w| {
            rest.get(..w.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(w.as_bytes()))
        })
        .map(|w| w.len())
}

/// `normalize_letter_version`'s letter mapping (input already matched the pattern).
fn normalize_letter(l: &str) -> String {
    let l = l.to_ascii_lowercase();
    match l.as_str() {
        "alpha" => "a".to_owned(),
        "beta" => "b".to_owned(),
        "c" | "pre" | "preview" => "rc".to_owned(),
        "rev" | "r" => "post".to_owned(),
        _ => l,
    }
}

/// `Number(digits)` for a non-empty run of ASCII digits (correctly rounded, may be infinite).
fn decimal(digits: &str) -> JsNumber {
    JsNumber(digits.parse::<f64>().unwrap_or(f64::INFINITY))
}

/// JavaScript `Number(s)` for `s` made of ASCII letters and digits: `None` where it is `NaN`.
fn js_string_to_number(s: &str) -> Option<JsNumber> {
    if s == "Infinity" {
        return Some(JsNumber(f64::INFINITY));
    }
    let b = s.as_bytes();
    if let [b'0', marker, ..] = b {
        let radix = match marker {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return radix_to_f64(s.get(2..)?, radix).map(JsNumber);
        }
    }
    let mantissa_end = digit_end(b, 0);
    if mantissa_end == 0 {
        return None;
    }
    if let Some(&marker) = b.get(mantissa_end) {
        // `digits[eE]digits` is the only other decimal form possible with this alphabet.
        if !matches!(marker, b'e' | b'E') {
            return None;
        }
        let exp_start = mantissa_end + 1;
        if exp_start == b.len() || digit_end(b, exp_start) != b.len() {
            return None;
        }
    }
    // The string is now `\d+([eE]\d+)?`, which Rust parses with correct rounding.
    Some(JsNumber(s.parse::<f64>().unwrap_or(f64::INFINITY)))
}

/// An unsigned integer in a power-of-two radix, rounded to nearest-even like V8 does.
fn radix_to_f64(digits: &str, radix: u32) -> Option<f64> {
    if digits.is_empty() {
        return None;
    }
    let bits_per_digit = radix.trailing_zeros();
    let mut top: u64 = 0; // the most significant 63 bits seen so far
    let mut shift: i32 = 0; // bits dropped below `top`
    let mut sticky = false;
    for ch in digits.chars() {
        let d = u64::from(ch.to_digit(radix)?);
        for i in (0..bits_per_digit).rev() {
            let bit = (d >> i) & 1;
            if top >> 62 == 0 {
                top = (top << 1) | bit;
            } else {
                sticky |= bit == 1;
                shift += 1;
            }
        }
    }
    // `top` has at most 63 bits; the sticky bit below them makes the u64 → f64 rounding exact.
    let value = if shift > 0 {
        (top << 1) | u64::from(sticky)
    } else {
        top
    };
    #[allow(clippy::cast_precision_loss)]
    let mut out = value as f64;
    if shift > 0 {
        out *= 2f64.powi(shift - 1);
    }
    Some(out)
}

fn join_numbers(ns: &[JsNumber]) -> String {
    ns.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn join_parts(parts: &[LocalPart], sep: &str) -> String {
    parts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

use super::jsnum::is_js_whitespace;

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: u32) -> JsNumber {
        JsNumber::from(v)
    }

    fn render(n: Option<JsNumber>) -> Option<String> {
        n.map(|n| n.to_string())
    }

    #[test]
    fn clean_normalises_spellings() {
        for (input, expected) in [
            ("1.2post1", "1.2.post1"),
            ("1.1beta2", "1.1b2"),
            ("1.0dev4", "1.0.dev4"),
            ("1.2.3rc2", "1.2.3rc2"),
            ("v1.2.3rc2", "1.2.3rc2"),
            ("v1.0", "1.0"),
            ("V1.0", "1.0"),
            ("1!2.0", "1!2.0"),
            ("0!2.0", "2.0"),
            ("00!2.0", "2.0"),
            ("1.0-1", "1.0.post1"),
            ("1.0-0", "1.0.post0"),
            ("1.0.post", "1.0.post0"),
            ("1.0rev3", "1.0.post3"),
            ("1.0r", "1.0.post0"),
            ("1.0c1", "1.0rc1"),
            ("1.0pre1", "1.0rc1"),
            ("1.0preview1", "1.0rc1"),
            ("1.0alpha", "1.0a0"),
            ("1.0a-", "1.0a0"),
            ("1.0.pre.", "1.0rc0"),
            ("1.0post-", "1.0.post0"),
            ("1.0RC1", "1.0rc1"),
            ("1.0-ALPHA_1.POST-2-DEV.3", "1.0a1.post2.dev3"),
            ("1.0a1-1", "1.0a1.post1"),
            ("1.0a.dev1", "1.0a0.dev1"),
            ("20200110-RC2", "20200110rc2"),
            ("1.0.0.0.0", "1.0.0.0.0"),
            ("01.002", "1.2"),
            ("1.0+local.1", "1.0+local,1"),
            ("1.0+ABC.007", "1.0+abc,7"),
            ("1.0+ubuntu-1_x", "1.0+ubuntu,1,x"),
            (
                "1.0+1e5.0x1F.Infinity.0b11.0o17",
                "1.0+100000,31,Infinity,3,15",
            ),
            ("1.0+infinity.0x.1e", "1.0+infinity,0x,1e"),
            (" 1.2 ", "1.2"),
            ("\u{feff}\t1.2\n", "1.2"),
            ("99999999999999999999.1", "100000000000000000000.1"),
            ("1.99999999999999999999999", "1.1e+23"),
        ] {
            assert_eq!(clean(input).as_deref(), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn valid_returns_input_and_rejects_whitespace() {
        assert_eq!(valid("1.2post1").as_deref(), Some("1.2post1"));
        assert_eq!(valid("V1.0").as_deref(), Some("V1.0"));
        assert_eq!(valid(" 1.2"), None);
        assert_eq!(valid("1.2 "), None);
        assert_eq!(explain(" 1.2"), None);
        for bad in [
            "",
            "v",
            "vv1.0",
            "1.",
            ".1",
            "1..2",
            "1.0-",
            "1.0+",
            "1.0+a.",
            "1.0+a..b",
            "1.0dev.post",
            "1.0a1a2",
            "1.0alph",
            "1.0prev",
            "sometag",
            "release1",
            "p1-v1.0.0",
            "1.0\u{85}",
            "1.0+é",
            "!1.0",
            "1!",
        ] {
            assert_eq!(valid(bad), None, "{bad:?}");
            assert_eq!(clean(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn explain_fields() {
        let e = explain("1!2.3rc4.post5.dev6+Local.007").unwrap();
        assert_eq!(
            e,
            Explain {
                epoch: num(1),
                release: vec![num(2), num(3)],
                pre: Some(("rc".to_owned(), num(4))),
                post: Some(num(5)),
                dev: Some(num(6)),
                local: Some("local.7".to_owned()),
                public: "1!2.3rc4.post5.dev6".to_owned(),
                base_version: "1!2.3".to_owned(),
                is_prerelease: true,
                is_devrelease: true,
                is_postrelease: true,
            }
        );
        let e = explain("1.0-0").unwrap();
        assert_eq!(e.post, Some(num(0)));
        assert!(e.is_postrelease && !e.is_prerelease && !e.is_devrelease);
        let e = explain("1.0.dev0").unwrap();
        assert!(e.is_prerelease && e.is_devrelease && !e.is_postrelease);
        let e = explain("1.0+local.1").unwrap();
        assert!(!e.is_prerelease && !e.is_devrelease && !e.is_postrelease);
        assert_eq!(e.public, "1.0");
        assert_eq!(e.local.as_deref(), Some("local.1"));
    }

    #[test]
    fn major_minor_patch_default_to_zero() {
        assert_eq!(render(major("1.2")).as_deref(), Some("1"));
        assert_eq!(render(minor("1.2")).as_deref(), Some("2"));
        assert_eq!(render(patch("1.2")).as_deref(), Some("0"));
        assert_eq!(render(minor("7")).as_deref(), Some("0"));
        assert_eq!(render(patch("1.2.3.4")).as_deref(), Some("3"));
        assert_eq!(render(major("1!2.0")).as_deref(), Some("2"));
        assert_eq!(render(major("20200110-RC2")).as_deref(), Some("20200110"));
        assert_eq!(major("nope"), None);
        assert_eq!(major(" 1.0"), None);
        assert_eq!(major("1.2").and_then(JsNumber::as_u64), Some(1));
        let big = format!("{}.1", "9".repeat(400));
        assert_eq!(render(major(&big)).as_deref(), Some("Infinity"));
        assert_eq!(major(&big).and_then(JsNumber::as_u64), None);
    }

    #[test]
    fn js_number_rendering() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.0, "1"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (123_456_789e15, "1.23456789e+23"),
            (2f64.powi(70), "1.1805916207174113e+21"),
            (2f64.powi(60), "1152921504606847000"),
            (0.5, "0.5"),
            (1.5e-7, "1.5e-7"),
            (0.000_001, "0.000001"),
            (f64::INFINITY, "Infinity"),
            (-2.0, "-2"),
        ];
        for &(v, expected) in cases {
            assert_eq!(JsNumber(v).to_string(), expected, "{v}");
        }
    }

    #[test]
    fn js_string_to_number_radix_rounding() {
        let n = |s: &str| js_string_to_number(s).map(|n| n.to_string());
        assert_eq!(n("0x20000000000001").as_deref(), Some("9007199254740992"));
        assert_eq!(n("0x20000000000003").as_deref(), Some("9007199254740996"));
        assert_eq!(
            n("0x200000000000011").as_deref(),
            Some("144115188075855900")
        );
        assert_eq!(
            n(&format!("0x{}", "f".repeat(300))).as_deref(),
            Some("Infinity")
        );
        assert_eq!(n("0x").as_deref(), None);
        assert_eq!(n("0xg").as_deref(), None);
        assert_eq!(n("0b102").as_deref(), None);
        assert_eq!(n("00x1").as_deref(), None);
        assert_eq!(n("1e400").as_deref(), Some("Infinity"));
        assert_eq!(n("0e400").as_deref(), Some("0"));
        assert_eq!(n("INFINITY").as_deref(), None);
        assert_eq!(n("inf").as_deref(), None);
        assert_eq!(n("nan").as_deref(), None);
    }

    /// What `procPep440` renders for a tag value and a pattern using only plain `{{field}}`
    /// mustaches: `None` when no tag is produced.
    fn proc_pep440(vraw: &str, pattern: &str) -> Option<(String, bool)> {
        valid(vraw)?;
        let e = explain(vraw)?;
        if e.is_prerelease || e.is_postrelease || e.is_devrelease {
            let out = if pattern == "{{raw}}" {
                vraw.to_owned()
            } else {
                clean(vraw)?
            };
            return Some((out, false));
        }
        let out = pattern
            .replace("{{raw}}", vraw)
            .replace("{{version}}", &clean(vraw)?)
            .replace("{{major}}", &major(vraw)?.to_string())
            .replace("{{minor}}", &minor(vraw)?.to_string())
            .replace("{{patch}}", &patch(vraw)?.to_string());
        Some((out, true))
    }

    /// Tag value, pattern, expected rendered value and `latest`.
    type Row = (&'static str, &'static str, Option<(&'static str, bool)>);

    /// The `type=pep440` rows of metadata-action's `__tests__/meta.test.ts` (tag value and
    /// pattern → rendered value before sanitising, and whether it would set `latest`).
    #[test]
    fn upstream_meta_test_rows() {
        let rows: &[Row] = &[
            // push14 / push35.
            ("v1.2.3", "{{version}}", Some(("1.2.3", true))),
            ("1.2.3", "{{version}}", Some(("1.2.3", true))),
            // tag23, tag28, tag33 (refs/tags/v1.1.1).
            ("v1.1.1", "{{raw}}", Some(("v1.1.1", true))),
            ("v1.1.1", "{{major}}.{{minor}}", Some(("1.1", true))),
            ("v1.1.1", "{{version}}", Some(("1.1.1", true))),
            (
                "v1.1.1",
                "{{major}}.{{minor}}.{{patch}}",
                Some(("1.1.1", true)),
            ),
            ("v1.1.1", "{{major}}", Some(("1", true))),
            // tag24 (refs/tags/1.2).
            ("1.2", "{{version}}", Some(("1.2", true))),
            ("1.2", "{{major}}.{{minor}}", Some(("1.2", true))),
            // tag25 (1.1beta2), tag26 (1.0dev4), tag29 (1.2post1).
            ("1.1beta2", "{{major}}.{{minor}}", Some(("1.1b2", false))),
            ("1.1beta2", "{{major}}", Some(("1.1b2", false))),
            ("1.0dev4", "{{major}}.{{minor}}", Some(("1.0.dev4", false))),
            ("1.2post1", "{{version}}", Some(("1.2.post1", false))),
            ("1.2post1", "{{major}}", Some(("1.2.post1", false))),
            // tag27 (1.2.3rc2), tag32 (v1.2.3rc2).
            ("1.2.3rc2", "{{raw}}", Some(("1.2.3rc2", false))),
            ("1.2.3rc2", "{{version}}", Some(("1.2.3rc2", false))),
            ("1.2.3rc2", "{{major}}", Some(("1.2.3rc2", false))),
            ("v1.2.3rc2", "{{raw}}", Some(("v1.2.3rc2", false))),
            (
                "v1.2.3rc2",
                "{{major}}.{{minor}}",
                Some(("1.2.3rc2", false)),
            ),
            // tag30 (sometag).
            ("sometag", "{{version}}", None),
            // 20200110-RC2 fixture.
            ("20200110-RC2", "{{version}}", Some(("20200110rc2", false))),
        ];
        for &(vraw, pattern, expected) in rows {
            let got = proc_pep440(vraw, pattern);
            assert_eq!(
                got.as_ref().map(|(v, l)| (v.as_str(), *l)),
                expected,
                "{vraw} {pattern}"
            );
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for x in [
            "\u{0}", "é", "1é", "1.0aé", "1.0+é", "+", "-", ".", "!", "1!", "v!", "1.0-", "1.0_",
            "1.0.", "1.0a.", "1.0post-", "1.0+-", "1.0+a-", "١.٢",
        ] {
            let _ = valid(x);
            let _ = clean(x);
            let _ = explain(x);
            let _ = major(x);
        }
    }
}
