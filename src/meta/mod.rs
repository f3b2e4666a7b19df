//! The pure core: docker/metadata-action's tag, label and annotation computation.
//!
//! [`Rules::parse`] turns the grammar inputs into typed rules once, before any network call;
//! `compute(rules, context, repo, knobs, now)` never reads the environment, the clock, files or
//! the network and never prints: everything it needs comes in as data and warnings go out as
//! data. One file per input grammar (`images`, `tag_spec`, `flavor`), `expr` for the global
//! expressions (handlebars with metadata-action's helpers), `version` for the per-type
//! processors, `labels` for the OCI label/annotation set and its ordering.

pub mod expr;
pub mod flavor;
pub mod images;
pub mod labels;
pub mod retention;
pub mod tag_spec;
pub mod version;

use serde_json::Value as Json;

pub use flavor::Flavor;
pub use images::ImageSpec;
pub use tag_spec::TagSpec;

/// The metadata inputs, resolved (lists already split, separators defaulted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaInputs {
    /// `images` lines.
    pub images: Vec<String>,
    /// `tags` lines.
    pub tags: Vec<String>,
    /// `flavor` lines.
    pub flavor: Vec<String>,
    /// `labels` lines.
    pub labels: Vec<String>,
    /// `annotations` lines.
    pub annotations: Vec<String>,
    /// Separator for the `tags` and `tag-names` outputs.
    pub sep_tags: String,
    /// Separator for `labels`.
    pub sep_labels: String,
    /// Separator for `annotations`.
    pub sep_annotations: String,
    /// Key under `target` in bake files.
    pub bake_target: String,
}

/// The workflow context metadata-action reads (`@actions/github`'s `Context` after its rewrites).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GitContext {
    /// `GITHUB_EVENT_NAME` (unset is `None`).
    pub event_name: Option<String>,
    /// `GITHUB_REF`, after the `pull_request_target` rewrite, or the local checkout's ref.
    pub git_ref: Option<String>,
    /// `GITHUB_SHA`, or the PR head sha, or the local checkout's sha.
    pub sha: Option<String>,
    /// The webhook payload (`{}` when there is none).
    pub payload: Json,
    /// The commit date as a JS time value in milliseconds (NaN = invalid date).
    pub commit_date_ms: f64,
}

/// The repository fields metadata-action uses from `GET /repos/{owner}/{repo}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoInfo {
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `html_url`.
    pub html_url: Option<String>,
    /// `license.spdx_id`.
    pub license: Option<String>,
    /// `default_branch` (used by `type=edge` only).
    pub default_branch: Option<String>,
}

/// Environment knobs metadata-action reads, passed in as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// `DOCKER_METADATA_SHORT_SHA_LENGTH` when non-empty.
    pub short_sha_length: Option<String>,
    /// `DOCKER_METADATA_ANNOTATIONS_LEVELS` split on `,` (default `manifest`), not trimmed.
    pub annotation_levels: Vec<String>,
}

impl Knobs {
    /// The knobs from the raw `DOCKER_METADATA_SHORT_SHA_LENGTH` and
    /// `DOCKER_METADATA_ANNOTATIONS_LEVELS` values (unset and empty are the same).
    #[must_use]
    pub fn from_env(short_sha_length: Option<&str>, annotation_levels: Option<&str>) -> Self {
        Self {
            short_sha_length: short_sha_length
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            annotation_levels: annotation_levels
                .filter(|v| !v.is_empty())
                .unwrap_or("manifest")
                .split(',')
                .map(str::to_owned)
                .collect(),
        }
    }
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            short_sha_length: None,
            annotation_levels: vec!["manifest".to_owned()],
        }
    }
}

/// Everything that makes a computation fail, with metadata-action's messages.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// A bad `images` line.
    #[error("input `images`: {0}")]
    Image(images::ImageError),
    /// A bad `tags` line.
    #[error("input `tags`: {0}")]
    Tag(tag_spec::TagSpecError),
    /// A bad `flavor` line.
    #[error("input `flavor`: {0}")]
    Flavor(flavor::FlavorError),
    /// An expression failed to parse or render.
    #[error("{0}")]
    Expr(expr::ExprError),
    /// Something failed while using one line of an input: names the input and quotes the line.
    #[error("input `{input}`, line `{line}`: {error}")]
    Line {
        /// The input's name.
        input: &'static str,
        /// The line as written.
        line: String,
        /// What failed.
        error: Box<MetaError>,
    },
    /// `enable` did not render to exactly `true` or `false`.
    #[error("Invalid value for enable attribute: {0}")]
    Enable(String),
    /// A regex (`match`, `pattern`) is not a valid JavaScript regular expression.
    #[error("invalid regular expression `{pattern}`: {reason}")]
    Regex {
        /// The pattern as written.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A `match` regex of a semver/pep440 rule matched without a group 1 (upstream crashes on
    /// `undefined.replace`).
    #[error(
        "`match={pattern}` matched `{value}` but has no capture group 1 (upstream: Cannot read properties of undefined (reading 'replace'))"
    )]
    NoGroupOne {
        /// The pattern.
        pattern: String,
        /// The value it matched.
        value: String,
    },
}

// Hand-written conversions: a `#[from]` would also make the inner error the `source`, and the
// one-line cause chain printed at the edge would repeat it.
impl From<images::ImageError> for MetaError {
    fn from(e: images::ImageError) -> Self {
        Self::Image(e)
    }
}
impl From<tag_spec::TagSpecError> for MetaError {
    fn from(e: tag_spec::TagSpecError) -> Self {
        Self::Tag(e)
    }
}
impl From<flavor::FlavorError> for MetaError {
    fn from(e: flavor::FlavorError) -> Self {
        Self::Flavor(e)
    }
}
impl From<expr::ExprError> for MetaError {
    fn from(e: expr::ExprError) -> Self {
        Self::Expr(e)
    }
}

impl MetaError {
    /// Attaches the input line being processed.
    #[must_use]
    pub fn in_line(self, input: &'static str, line: &str) -> Self {
        match self {
            already @ Self::Line { .. } => already,
            error => Self::Line {
                input,
                line: line.to_owned(),
                error: Box::new(error),
            },
        }
    }
}

/// The computed version: the first non-empty tag value, the others, and whether `latest` goes on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Version {
    /// The main version (`None` when no rule produced a value).
    pub main: Option<String>,
    /// The other values, de-duplicated, in priority order.
    pub partial: Vec<String>,
    /// Whether a `latest` tag is added.
    pub latest: bool,
}

/// The result of [`compute`].
#[derive(Debug)]
pub struct Metadata {
    /// The version.
    pub version: Version,
    /// Enabled image names, lower-cased.
    pub image_names: Vec<String>,
    /// Full tags (`image:tag` for every image, or bare tags when there is no image).
    pub tags: Vec<String>,
    /// Tags without image names.
    pub tag_names: Vec<String>,
    /// `key=value` labels, sorted; an error here fails the step after the tag outputs.
    pub labels: Result<Vec<String>, MetaError>,
    /// `key=value` annotations (not level-prefixed), sorted; likewise.
    pub annotations: Result<Vec<String>, MetaError>,
    /// Warnings, in the order metadata-action prints them.
    pub warnings: Vec<String>,
}

/// `[^a-zA-Z0-9._-]+` → `-`.
pub fn sanitize_tag(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut in_run = false;
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out
}

/// The `images`, `tags` and `flavor` grammars parsed into typed rules, once, before any network
/// call (metadata-action only parses them after reading the repository from the API; the outcome
/// is the same, the message is the useful one), with the line lists [`compute`] renders.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Parsed images, in input order.
    pub images: Vec<ImageSpec>,
    /// Parsed and sorted tag rules.
    pub tag_specs: Vec<TagSpec>,
    /// The flavor.
    pub flavor: Flavor,
    /// `labels` lines (rendered by [`compute`]).
    pub labels: Vec<String>,
    /// `annotations` lines (rendered by [`compute`]).
    pub annotations: Vec<String>,
}

impl Rules {
    /// Parses the grammars of `inputs`: `images`, then `tags`, then `flavor`; the first bad line
    /// is the error.
    pub fn parse(inputs: &MetaInputs) -> Result<Self, MetaError> {
        Ok(Self {
            images: images::parse(&inputs.images)?,
            tag_specs: tag_spec::parse_all(&inputs.tags)?,
            flavor: flavor::parse(&inputs.flavor)?,
            labels: inputs.labels.clone(),
            annotations: inputs.annotations.clone(),
        })
    }
}

/// Computes tags, labels and annotations exactly as docker/metadata-action does.
pub fn compute(
    rules: &Rules,
    context: &GitContext,
    repo: &RepoInfo,
    knobs: &Knobs,
    now_ms: f64,
) -> Result<Metadata, MetaError> {
    let Rules {
        images,
        tag_specs,
        flavor,
        labels: label_lines,
        annotations: annotation_lines,
    } = rules;
    let scope = expr::Scope::new(context, knobs, now_ms);
    let mut warnings = Vec::new();
    let version = version::compute(tag_specs, flavor, context, repo, &scope, &mut warnings)?;

    let image_names: Vec<String> = images
        .iter()
        .filter(|i| i.enable)
        .map(|i| i.name.to_lowercase())
        .collect();
    let (tags, tag_names) = match &version.main {
        None => (Vec::new(), Vec::new()),
        Some(main) => {
            let names = generate_tags(main, &version, flavor, None);
            let tags = if image_names.is_empty() {
                names.clone()
            } else {
                image_names
                    .iter()
                    .flat_map(|img| generate_tags(main, &version, flavor, Some(img)))
                    .collect()
            };
            (tags, names)
        }
    };
    let base = labels::base(repo, &version, context, now_ms);
    let labels = labels::with_customs("labels", &base, label_lines, &scope);
    let annotations = match &labels {
        Ok(_) => labels::with_customs("annotations", &base, annotation_lines, &scope),
        Err(_) => Ok(Vec::new()),
    };
    Ok(Metadata {
        version,
        image_names,
        tags,
        tag_names,
        labels,
        annotations,
        warnings,
    })
}

fn generate_tags(
    main: &str,
    version: &Version,
    flavor: &Flavor,
    image: Option<&str>,
) -> Vec<String> {
    let prefix = image.map(|i| format!("{i}:")).unwrap_or_default();
    let mut tags = Vec::with_capacity(2 + version.partial.len());
    tags.push(format!("{prefix}{main}"));
    tags.extend(version.partial.iter().map(|p| format!("{prefix}{p}")));
    if version.latest {
        // flavor prefix/suffix go on `latest` raw (not rendered), then sanitised.
        let latest = format!(
            "{}latest{}",
            if flavor.prefix_latest {
                flavor.prefix.as_str()
            } else {
                ""
            },
            if flavor.suffix_latest {
                flavor.suffix.as_str()
            } else {
                ""
            }
        );
        tags.push(format!("{prefix}{}", sanitize_tag(&latest)));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_collapses_runs_of_invalid_characters() {
        assert_eq!(sanitize_tag("feature/foo bar"), "feature-foo-bar");
        assert_eq!(sanitize_tag("a&&b"), "a-b");
        assert_eq!(sanitize_tag("v1.2.3_rc-1"), "v1.2.3_rc-1");
        assert_eq!(sanitize_tag("é€x"), "-x");
    }

    #[test]
    fn knobs_from_env_defaults_unset_and_empty_alike() {
        assert_eq!(Knobs::from_env(None, None), Knobs::default());
        assert_eq!(Knobs::from_env(Some(""), Some("")), Knobs::default());
        let k = Knobs::from_env(Some("12"), Some("manifest, index"));
        assert_eq!(k.short_sha_length.as_deref(), Some("12"));
        assert_eq!(k.annotation_levels, ["manifest", " index"]);
    }

    #[test]
    fn rules_parse_reports_the_first_bad_grammar() {
        let inputs = MetaInputs {
            images: vec!["name=a/b,enable=maybe".into()],
            tags: vec!["type=nope".into()],
            ..MetaInputs::default()
        };
        let images_first = Rules::parse(&inputs).map(|_| ()).unwrap_err().to_string();
        assert!(images_first.starts_with("input `images`"), "{images_first}");
        let inputs = MetaInputs {
            tags: vec!["type=nope".into()],
            ..MetaInputs::default()
        };
        let tags = Rules::parse(&inputs).map(|_| ()).unwrap_err().to_string();
        assert!(tags.starts_with("input `tags`"), "{tags}");
    }
}
