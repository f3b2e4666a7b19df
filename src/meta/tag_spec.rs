//! The `tags` input grammar: one line → one [`TagSpec`] (metadata-action's `tag.ts`).
//!
//! A line is one CSV record of `key=value` fields (a field without `=` is the `value`), split at
//! the first `=`, keys lower-cased, keys and values trimmed; `type` defaults to `raw`. Owns the
//! per-type required attributes and defaults and the priority sort. Pure: no rendering here.

use std::fmt;

use crate::js::{csv, jsnum, v8sort};

/// `type=ref,event=…`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefEvent {
    /// `refs/heads/…`
    Branch,
    /// `refs/tags/…`
    Tag,
    /// `refs/pull/…`
    Pr,
}

/// `type=sha,format=…`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShaFormat {
    /// `DOCKER_METADATA_SHORT_SHA_LENGTH` characters (7 by default).
    Short,
    /// The full sha.
    Long,
}

/// What a tag line produces, with the attributes its type uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `type=schedule`: only on `schedule` events.
    Schedule {
        /// Handlebars pattern with the date helpers only (default `nightly`).
        pattern: String,
    },
    /// `type=semver` (node-semver) or `type=pep440` (PEP 440).
    Version {
        /// Which version grammar.
        scheme: VersionScheme,
        /// Handlebars pattern over the parsed version.
        pattern: String,
        /// Rendered instead of the git tag when non-empty.
        value: String,
        /// Regex whose group 1 is taken from the value.
        match_re: String,
    },
    /// `type=match`: a regex group of the git tag or value.
    Match {
        /// `/re/flags` or a plain JS regex source.
        pattern: String,
        /// The group index, as written.
        group: String,
        /// Rendered instead of the git tag when non-empty.
        value: String,
    },
    /// `type=edge`: `edge` on the given (or default) branch.
    Edge {
        /// Empty means the repository's default branch.
        branch: String,
    },
    /// `type=ref`.
    Ref {
        /// Which kind of ref.
        event: RefEvent,
    },
    /// `type=raw`.
    Raw {
        /// Rendered with the global expressions.
        value: String,
    },
    /// `type=sha`.
    Sha {
        /// short or long.
        format: ShaFormat,
    },
}

/// `semver` or `pep440`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionScheme {
    /// node-semver.
    Semver,
    /// PEP 440 as @renovate/pep440 reads it.
    Pep440,
}

/// One parsed line of the `tags` input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagSpec {
    /// The line as written (for error messages).
    pub line: String,
    /// The type and its attributes.
    pub kind: TagKind,
    /// `enable` as written (rendered later; must render to `true` or `false`).
    pub enable: String,
    /// `priority` as written (compared with JS `Number()`).
    pub priority: String,
    /// `prefix` when the line has one (even empty); `None` lets the flavor's apply.
    pub prefix: Option<String>,
    /// `suffix`, likewise.
    pub suffix: Option<String>,
    /// Every attribute in the order metadata-action would print it (for the log).
    attrs: Vec<(String, String)>,
    type_name: &'static str,
}

/// A `tags` line that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TagSpecError {
    /// `type=` names no known type.
    #[error("Unknown tag type attribute: {value} (in `{line}`)")]
    UnknownType {
        /// The type as written.
        value: String,
        /// The line.
        line: String,
    },
    /// semver, pep440 and match need `pattern`.
    #[error("Missing pattern attribute for {0}")]
    MissingPattern(String),
    /// match `group` is not a number.
    #[error("Invalid match group for {0}")]
    InvalidGroup(String),
    /// ref needs `event`.
    #[error("Missing event attribute for {0}")]
    MissingEvent(String),
    /// ref `event` is not branch, tag or pr.
    #[error("Invalid event for {0}")]
    InvalidEvent(String),
    /// raw needs `value`.
    #[error("Missing value attribute for {0}")]
    MissingValue(String),
    /// sha `format` is not short or long.
    #[error("Invalid format for {0}")]
    InvalidFormat(String),
    /// A line of only spaces.
    #[error("a line of only spaces is not a tag rule (upstream fails: e is not iterable): {0:?}")]
    Blank(String),
    /// The line is not valid CSV.
    #[error("`{line}`: {error}")]
    Csv {
        /// The line.
        line: String,
        /// The CSV error.
        error: csv::CsvError,
    },
}

const TYPES: [&str; 8] = [
    "schedule", "semver", "pep440", "match", "edge", "ref", "raw", "sha",
];

fn default_priority(type_name: &str) -> &'static str {
    match type_name {
        "schedule" => "1000",
        "semver" | "pep440" => "900",
        "match" => "800",
        "edge" => "700",
        "ref" => "600",
        "sha" => "100",
        _ => "200",
    }
}

/// Splits a field at its first `=` when at least one character stands before it
/// (metadata-action's `split(/(?<=^[^=]+?)=/)`), trimming both parts.
fn split_field(field: &str) -> (Option<String>, String) {
    match field.find('=') {
        Some(i) if i > 0 => (
            Some(jsnum::js_trim(&field[..i]).to_owned()),
            jsnum::js_trim(&field[i + 1..]).to_owned(),
        ),
        _ => (None, jsnum::js_trim(field).to_owned()),
    }
}

/// Ordered attribute bag, last write wins but first position kept (a JS object).
#[derive(Default)]
struct Attrs(Vec<(String, String)>);

impl Attrs {
    fn set(&mut self, key: &str, value: String) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            self.0.push((key.to_owned(), value));
        }
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn or_insert(&mut self, key: &str, value: &str) -> String {
        if let Some(v) = self.get(key) {
            return v.to_owned();
        }
        self.set(key, value.to_owned());
        value.to_owned()
    }
}

/// Parses one line of the `tags` input.
pub fn parse(line: &str) -> Result<TagSpec, TagSpecError> {
    let records =
        csv::parse(line, &csv::CsvOptions::entry()).map_err(|error| TagSpecError::Csv {
            line: line.to_owned(),
            error,
        })?;
    // A blank line (spaces only) reaches the parser as an empty entry; upstream then crashes on
    // `undefined` (`e is not iterable`).
    let fields = records
        .into_iter()
        .next()
        .ok_or_else(|| TagSpecError::Blank(line.to_owned()))?;
    let mut type_name: Option<&'static str> = None;
    let mut attrs = Attrs::default();
    for field in &fields {
        match split_field(field) {
            (None, value) => attrs.set("value", value),
            (Some(key), value) => {
                let key = key.to_lowercase();
                if key == "type" {
                    let Some(t) = TYPES.iter().find(|t| **t == value) else {
                        return Err(TagSpecError::UnknownType {
                            value,
                            line: line.to_owned(),
                        });
                    };
                    type_name = Some(t);
                } else {
                    attrs.set(&key, value);
                }
            }
        }
    }
    let type_name = type_name.unwrap_or("raw");
    let s = || line.to_owned();
    let kind = match type_name {
        "schedule" => TagKind::Schedule {
            pattern: attrs.or_insert("pattern", "nightly"),
        },
        "semver" | "pep440" => {
            let pattern = attrs
                .get("pattern")
                .ok_or_else(|| TagSpecError::MissingPattern(s()))?
                .to_owned();
            TagKind::Version {
                scheme: if type_name == "semver" {
                    VersionScheme::Semver
                } else {
                    VersionScheme::Pep440
                },
                pattern,
                value: attrs.or_insert("value", ""),
                match_re: attrs.or_insert("match", ""),
            }
        }
        "match" => {
            let pattern = attrs
                .get("pattern")
                .ok_or_else(|| TagSpecError::MissingPattern(s()))?
                .to_owned();
            let group = attrs.or_insert("group", "0");
            if jsnum::js_number(&group).is_nan() {
                return Err(TagSpecError::InvalidGroup(s()));
            }
            TagKind::Match {
                pattern,
                group,
                value: attrs.or_insert("value", ""),
            }
        }
        "edge" => TagKind::Edge {
            branch: attrs.or_insert("branch", ""),
        },
        "ref" => {
            let event = match attrs.get("event") {
                None => return Err(TagSpecError::MissingEvent(s())),
                Some("branch") => RefEvent::Branch,
                Some("tag") => RefEvent::Tag,
                Some("pr") => RefEvent::Pr,
                Some(_) => return Err(TagSpecError::InvalidEvent(s())),
            };
            if event == RefEvent::Pr {
                attrs.or_insert("prefix", "pr-");
            }
            TagKind::Ref { event }
        }
        "sha" => {
            attrs.or_insert("prefix", "sha-");
            let format = match attrs.or_insert("format", "short").as_str() {
                "short" => ShaFormat::Short,
                "long" => ShaFormat::Long,
                _ => return Err(TagSpecError::InvalidFormat(s())),
            };
            TagKind::Sha { format }
        }
        _ => TagKind::Raw {
            value: attrs
                .get("value")
                .ok_or_else(|| TagSpecError::MissingValue(s()))?
                .to_owned(),
        },
    };
    let enable = attrs.or_insert("enable", "true");
    let priority = attrs.or_insert("priority", default_priority(type_name));
    Ok(TagSpec {
        line: line.to_owned(),
        kind,
        enable,
        priority,
        prefix: attrs.get("prefix").map(str::to_owned),
        suffix: attrs.get("suffix").map(str::to_owned),
        attrs: attrs.0,
        type_name,
    })
}

/// The default rules when `tags` is empty.
pub const DEFAULT_TAGS: [&str; 4] = [
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
];

/// Parses every line (or the defaults) and sorts by priority, highest first, exactly as V8 sorts
/// with metadata-action's comparator (non-numeric priorities compare equal to everything).
pub fn parse_all(lines: &[String]) -> Result<Vec<TagSpec>, TagSpecError> {
    let mut specs = if lines.is_empty() {
        DEFAULT_TAGS
            .iter()
            .map(|l| parse(l))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        lines
            .iter()
            .map(|l| parse(l))
            .collect::<Result<Vec<_>, _>>()?
    };
    v8sort::sort_by(&mut specs, |a, b| {
        let (pa, pb) = (jsnum::js_number(&a.priority), jsnum::js_number(&b.priority));
        if pa < pb {
            std::cmp::Ordering::Greater
        } else if pa > pb {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Equal
        }
    });
    Ok(specs)
}

impl fmt::Display for TagSpec {
    /// The log line metadata-action prints in "Processing tags input".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "type={}", self.type_name)?;
        for (k, v) in &self.attrs {
            write!(f, ",{k}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> TagSpec {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn a_bare_value_is_a_raw_tag() {
        let t = p("foo");
        assert_eq!(
            t.kind,
            TagKind::Raw {
                value: "foo".into()
            }
        );
        assert_eq!(t.priority, "200");
        assert_eq!(t.enable, "true");
    }

    #[test]
    fn split_at_first_equals_only_and_trim() {
        let t = p("type=raw, value = a=b ");
        assert_eq!(
            t.kind,
            TagKind::Raw {
                value: "a=b".into()
            }
        );
        // a leading `=` is not a key separator
        assert_eq!(p("=x").kind, TagKind::Raw { value: "=x".into() });
    }

    #[test]
    fn implicit_prefixes_for_pr_and_sha() {
        assert_eq!(p("type=ref,event=pr").prefix.as_deref(), Some("pr-"));
        assert_eq!(p("type=sha").prefix.as_deref(), Some("sha-"));
        assert_eq!(p("type=sha,prefix=").prefix.as_deref(), Some(""));
        assert_eq!(p("type=ref,event=branch").prefix, None);
    }

    #[test]
    fn errors_quote_the_line() {
        assert_eq!(
            parse("type=semver").unwrap_err().to_string(),
            "Missing pattern attribute for type=semver"
        );
        assert_eq!(
            parse("type=Semver,pattern=x").unwrap_err().to_string(),
            "Unknown tag type attribute: Semver (in `type=Semver,pattern=x`)"
        );
        assert_eq!(
            parse("type=ref,event=push").unwrap_err().to_string(),
            "Invalid event for type=ref,event=push"
        );
        assert_eq!(
            parse("type=match,pattern=x,group=a")
                .unwrap_err()
                .to_string(),
            "Invalid match group for type=match,pattern=x,group=a"
        );
        assert_eq!(
            parse("type=sha,format=medium").unwrap_err().to_string(),
            "Invalid format for type=sha,format=medium"
        );
        assert_eq!(
            parse("type=ref").unwrap_err().to_string(),
            "Missing event attribute for type=ref"
        );
    }

    #[test]
    fn display_lists_attributes_in_js_object_order() {
        assert_eq!(
            p("type=sha,format=long").to_string(),
            "type=sha,format=long,prefix=sha-,enable=true,priority=100"
        );
        assert_eq!(
            p("type=semver,pattern={{version}}").to_string(),
            "type=semver,pattern={{version}},value=,match=,enable=true,priority=900"
        );
    }

    #[test]
    fn sorted_by_priority_stably() {
        let lines: Vec<String> = [
            "type=sha",
            "type=raw,value=a",
            "type=semver,pattern={{version}}",
            "type=raw,value=b",
            "type=ref,event=tag,priority=2000",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let order: Vec<String> = parse_all(&lines)
            .expect("parses")
            .iter()
            .map(ToString::to_string)
            .map(|s| s.split(',').take(2).collect::<Vec<_>>().join(","))
            .collect();
        assert_eq!(
            order,
            [
                "type=ref,event=tag",
                "type=semver,pattern={{version}}",
                "type=raw,value=a",
                "type=raw,value=b",
                "type=sha,prefix=sha-",
            ]
        );
    }
}
