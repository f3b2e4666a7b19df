//! The `flavor` input grammar (metadata-action's `flavor.ts`): `latest`, `prefix`, `suffix` and
//! `onlatest`, later lines overriding earlier ones. Pure.

use crate::js::{csv, jsnum};

/// `latest=auto|true|false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latest {
    /// Each tag type decides.
    Auto,
    /// Always add `latest`.
    True,
    /// Never add `latest`.
    False,
}

/// The resolved flavor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flavor {
    /// The `latest` policy.
    pub latest: Latest,
    /// Prefix for every tag whose rule has none (rendered with expressions).
    pub prefix: String,
    /// Whether the prefix also goes on `latest` (raw, not rendered).
    pub prefix_latest: bool,
    /// Suffix, likewise.
    pub suffix: String,
    /// Whether the suffix also goes on `latest`.
    pub suffix_latest: bool,
}

impl Default for Flavor {
    fn default() -> Self {
        Self {
            latest: Latest::Auto,
            prefix: String::new(),
            prefix_latest: false,
            suffix: String::new(),
            suffix_latest: false,
        }
    }
}

/// A `flavor` line that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FlavorError {
    /// A field without `=`.
    #[error("Invalid flavor entry: {0}")]
    Entry(String),
    /// `latest` is not auto, true or false.
    #[error("Invalid latest flavor entry: {0}")]
    Latest(String),
    /// `onlatest` is not true or false.
    #[error("Invalid value for onlatest attribute: {0}")]
    OnLatest(String),
    /// An unknown key.
    #[error("Unknown flavor entry: {0}")]
    Unknown(String),
    /// A line of only spaces.
    #[error(
        "a line of only spaces is not a flavor entry (upstream fails: n is not iterable): {0:?}"
    )]
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

/// Parses the `flavor` lines.
pub fn parse(lines: &[String]) -> Result<Flavor, FlavorError> {
    let mut flavor = Flavor::default();
    for line in lines {
        let records =
            csv::parse(line, &csv::CsvOptions::entry()).map_err(|error| FlavorError::Csv {
                line: line.clone(),
                error,
            })?;
        let fields = records
            .into_iter()
            .next()
            .ok_or_else(|| FlavorError::Blank(line.clone()))?;
        // `onlatest` applies to the last prefix/suffix key seen on the same line.
        let mut onlatest_for = "";
        for field in &fields {
            // metadata-action splits on every `=` and keeps only the second part.
            let mut parts = field.split('=').map(jsnum::js_trim);
            let key = parts.next().unwrap_or_default().to_lowercase();
            let Some(value) = parts.next() else {
                return Err(FlavorError::Entry(line.clone()));
            };
            match key.as_str() {
                "latest" => {
                    flavor.latest = match value {
                        "auto" => Latest::Auto,
                        "true" => Latest::True,
                        "false" => Latest::False,
                        _ => return Err(FlavorError::Latest(line.clone())),
                    };
                }
                "prefix" => {
                    value.clone_into(&mut flavor.prefix);
                    onlatest_for = "prefix";
                }
                "suffix" => {
                    value.clone_into(&mut flavor.suffix);
                    onlatest_for = "suffix";
                }
                "onlatest" => {
                    let on = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(FlavorError::OnLatest(value.to_owned())),
                    };
                    match onlatest_for {
                        "prefix" => flavor.prefix_latest = on,
                        "suffix" => flavor.suffix_latest = on,
                        _ => {}
                    }
                }
                _ => return Err(FlavorError::Unknown(line.clone())),
            }
        }
    }
    Ok(flavor)
}

impl Flavor {
    /// The lines metadata-action logs in "Processing flavor input".
    pub fn log_lines(&self) -> Vec<String> {
        let latest = match self.latest {
            Latest::Auto => "auto",
            Latest::True => "true",
            Latest::False => "false",
        };
        vec![
            format!("latest={latest}"),
            format!("prefix={}", self.prefix),
            format!("prefixLatest={}", self.prefix_latest),
            format!("suffix={}", self.suffix),
            format!("suffixLatest={}", self.suffix_latest),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn onlatest_binds_to_the_last_prefix_or_suffix_on_its_line() {
        let f = parse(&lines(&[
            "prefix=p-,suffix=-s,onlatest=true",
            "latest=false",
        ]))
        .expect("parses");
        assert_eq!(f.prefix, "p-");
        assert_eq!(f.suffix, "-s");
        assert!(!f.prefix_latest);
        assert!(f.suffix_latest);
        assert_eq!(f.latest, Latest::False);
    }

    #[test]
    fn only_the_second_part_of_an_equals_split_is_kept() {
        let f = parse(&lines(&["prefix=a=b"])).expect("parses");
        assert_eq!(f.prefix, "a");
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse(&lines(&["latest"])).unwrap_err().to_string(),
            "Invalid flavor entry: latest"
        );
        assert_eq!(
            parse(&lines(&["latest=maybe"])).unwrap_err().to_string(),
            "Invalid latest flavor entry: latest=maybe"
        );
        assert_eq!(
            parse(&lines(&["prefix=x,onlatest=yes"]))
                .unwrap_err()
                .to_string(),
            "Invalid value for onlatest attribute: yes"
        );
        assert_eq!(
            parse(&lines(&["foo=bar"])).unwrap_err().to_string(),
            "Unknown flavor entry: foo=bar"
        );
    }
}
