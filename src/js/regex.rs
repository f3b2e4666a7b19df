//! JavaScript `String.prototype.match` with an ECMAScript regular expression (the `regress`
//! engine): what metadata-action's `match` attributes run. Owns flag validation and the
//! difference between a plain match (groups) and a global one (every match). Pure.

use regress::{Flags, Regex};

/// What `string.match(regexp)` returned (when not `null`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsMatch {
    /// Without `g`: the whole match then each group (`None` = `undefined`).
    Groups(Vec<Option<String>>),
    /// With `g`: every match's text.
    All(Vec<String>),
}

impl JsMatch {
    /// `m[n]` for a numeric index.
    pub fn group(&self, n: usize) -> Option<&str> {
        match self {
            Self::Groups(g) => g.get(n).and_then(|g| g.as_deref()),
            Self::All(all) => all.get(n).map(String::as_str),
        }
    }

    /// `m[key]` for a key as written (`"1"`; `"01"` or `" 1"` are not indices and give
    /// `undefined`).
    pub fn index(&self, key: &str) -> Option<&str> {
        if key.is_empty()
            || (key.len() > 1 && key.starts_with('0'))
            || !key.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        self.group(key.parse().ok()?)
    }
}

/// Parses JS regex flags; duplicate or unknown flags are a `SyntaxError` in JS.
fn parse_flags(flags: &str) -> Result<(Flags, bool, bool), String> {
    let mut out = Flags::default();
    let (mut global, mut sticky) = (false, false);
    let mut seen = String::new();
    for c in flags.chars() {
        if seen.contains(c) {
            return Err(format!(
                "Invalid flags supplied to RegExp constructor '{flags}'"
            ));
        }
        seen.push(c);
        match c {
            'g' => global = true,
            'y' => sticky = true,
            'i' => out.icase = true,
            'm' => out.multiline = true,
            's' => out.dot_all = true,
            'u' => out.unicode = true,
            'v' => {
                out.unicode = true;
                out.unicode_sets = true;
            }
            // `d` only adds match indices.
            'd' => {}
            _ => {
                return Err(format!(
                    "Invalid flags supplied to RegExp constructor '{flags}'"
                ));
            }
        }
    }
    if seen.contains('u') && seen.contains('v') {
        return Err(format!(
            "Invalid flags supplied to RegExp constructor '{flags}'"
        ));
    }
    Ok((out, global, sticky))
}

/// `haystack.match(new RegExp(pattern, flags))`; `Ok(None)` is JS `null`.
pub fn js_match(haystack: &str, pattern: &str, flags: &str) -> Result<Option<JsMatch>, String> {
    let (f, global, sticky) = parse_flags(flags)?;
    let re = Regex::with_flags(pattern, f)
        .map_err(|e| format!("Invalid regular expression: /{pattern}/{flags}: {e}"))?;
    if global {
        let mut all = Vec::new();
        let mut expect_at = 0;
        for m in re.find_iter(haystack) {
            if sticky && m.start() != expect_at {
                break;
            }
            expect_at = m.end();
            all.push(haystack[m.range()].to_owned());
        }
        return Ok((!all.is_empty()).then_some(JsMatch::All(all)));
    }
    let Some(m) = re.find(haystack) else {
        return Ok(None);
    };
    if sticky && m.start() != 0 {
        return Ok(None);
    }
    let groups = m
        .groups()
        .map(|g| g.map(|r| haystack[r].to_owned()))
        .collect();
    Ok(Some(JsMatch::Groups(groups)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_undefined_groups() {
        let m = js_match("v1.2.3", r"^v(\d+)\.(\d+)(-rc)?", "")
            .expect("valid")
            .expect("matches");
        assert_eq!(m.group(0), Some("v1.2"));
        assert_eq!(m.group(1), Some("1"));
        assert_eq!(m.group(3), None);
        assert_eq!(m.index("01"), None);
        assert_eq!(m.index("2"), Some("2"));
    }

    #[test]
    fn global_flag_returns_every_match() {
        let m = js_match("a1b22c333", r"\d+", "g")
            .expect("valid")
            .expect("matches");
        assert_eq!(m, JsMatch::All(vec!["1".into(), "22".into(), "333".into()]));
        assert_eq!(m.index("1"), Some("22"));
    }

    #[test]
    fn js_only_syntax_and_flags() {
        assert!(
            js_match("2024-01", r"(?<year>\d{4})-(?<m>\d\d)", "")
                .expect("valid")
                .is_some()
        );
        assert!(js_match("ABC", "abc", "i").expect("valid").is_some());
        assert!(js_match("abc", "abc", "gg").is_err());
        assert!(js_match("abc", "abc", "x").is_err());
        assert!(js_match("abc", "(", "").is_err());
        assert_eq!(js_match("xabc", "abc", "y").expect("valid"), None);
    }
}
