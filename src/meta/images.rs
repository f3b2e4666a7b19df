//! The `images` input grammar (metadata-action's `image.ts`): a single line of comma-separated
//! names (the old format), or one image per line with `name=` and `enable=` attributes. Names are
//! only lower-cased, never otherwise validated (as upstream). Pure.

use crate::js::{csv, jsnum};

/// One entry of `images`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// The image name as written.
    pub name: String,
    /// `enable=false` drops the image from the outputs.
    pub enable: bool,
}

/// An `images` line that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// `enable` is not `true` or `false`.
    #[error("Invalid enable attribute value: {0}")]
    Enable(String),
    /// An unknown key.
    #[error("Unknown image attribute: {0}")]
    Unknown(String),
    /// No name.
    #[error("Image name attribute empty: {0}")]
    EmptyName(String),
    /// A line of only spaces.
    #[error("a line of only spaces is not an image (upstream fails: o is not iterable): {0:?}")]
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

fn fields(line: &str) -> Result<Vec<String>, ImageError> {
    let records = csv::parse(line, &csv::CsvOptions::entry()).map_err(|error| ImageError::Csv {
        line: line.to_owned(),
        error,
    })?;
    records
        .into_iter()
        .next()
        .ok_or_else(|| ImageError::Blank(line.to_owned()))
}

/// Parses the `images` lines.
pub fn parse(lines: &[String]) -> Result<Vec<ImageSpec>, ImageError> {
    // Old format: one line whose fields are all bare names.
    if let [only] = lines {
        let fields = fields(only)?;
        if fields.iter().all(|f| !f.contains('=')) {
            return Ok(fields
                .iter()
                .map(|f| ImageSpec {
                    name: jsnum::js_trim(f).to_owned(),
                    enable: true,
                })
                .collect());
        }
    }
    let mut images = Vec::with_capacity(lines.len());
    for line in lines {
        let mut image = ImageSpec {
            name: String::new(),
            enable: true,
        };
        for field in fields(line)? {
            let mut parts = field.split('=').map(jsnum::js_trim);
            let first = parts.next().unwrap_or_default();
            let Some(value) = parts.next() else {
                first.clone_into(&mut image.name);
                continue;
            };
            match first.to_lowercase().as_str() {
                "name" => value.clone_into(&mut image.name),
                "enable" => {
                    image.enable = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(ImageError::Enable(line.clone())),
                    }
                }
                _ => return Err(ImageError::Unknown(line.clone())),
            }
        }
        if image.name.is_empty() {
            return Err(ImageError::EmptyName(line.clone()));
        }
        images.push(image);
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn single_line_old_format_is_a_list_of_names() {
        let imgs = parse(&lines(&["user/app, ghcr.io/user/app"])).expect("parses");
        assert_eq!(imgs.len(), 2);
        assert_eq!(imgs[1].name, "ghcr.io/user/app");
    }

    #[test]
    fn multi_line_last_bare_field_wins() {
        let imgs = parse(&lines(&["a,b", "c"])).expect("parses");
        assert_eq!(imgs[0].name, "b");
        assert_eq!(imgs[1].name, "c");
    }

    #[test]
    fn name_and_enable_attributes() {
        let imgs = parse(&lines(&["name=user/app,enable=false"])).expect("parses");
        assert_eq!(
            imgs,
            vec![ImageSpec {
                name: "user/app".into(),
                enable: false
            }]
        );
        assert_eq!(
            parse(&lines(&["name=a,enable=yes"]))
                .unwrap_err()
                .to_string(),
            "Invalid enable attribute value: name=a,enable=yes"
        );
        assert_eq!(
            parse(&lines(&["enable=true"])).unwrap_err().to_string(),
            "Image name attribute empty: enable=true"
        );
        assert_eq!(
            parse(&lines(&["name=a,foo=b"])).unwrap_err().to_string(),
            "Unknown image attribute: name=a,foo=b"
        );
    }
}
