//! Inputs in two stages: [`RawInputs`] (clap: every input as an optional raw string, bound to the
//! runner's `INPUT_<NAME>` variable and to a `--flag` of the same name) and [`Settings::resolve`]
//! (pure: trimming, empty-is-absent, list parsing, defaults) into typed settings.
//!
//! Owns the names of the inputs: they are docker/metadata-action's, hyphens kept, so that a
//! workflow can swap `uses:` lines. Must not read the environment or files itself (clap does the
//! `INPUT_*` binding).

pub mod push;

use clap::Parser;

use crate::meta::MetaInputs;

/// How the CLI prints its result when it does not run inside GitHub Actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Readable text: the outputs as `name: value` blocks.
    #[default]
    Text,
    /// One JSON object with every output, for scripts.
    Json,
}

/// Every input, raw, as the runner passes it (`INPUT_<NAME>`) or as a `--flag`.
#[derive(Debug, Default, Parser)]
#[command(
    name = "hoist",
    version,
    about = "Compute image tags, labels and annotations exactly as docker/metadata-action does",
    long_about = None,
    allow_hyphen_values = true,
    after_help = "Every flag is also read from the runner's `INPUT_<NAME>` variable (e.g. `INPUT_TAGS`).\nExit codes: 0 ok, 1 the run failed (bad input, push failure), 2 usage error (unknown flag).\nSee docs/cli.md."
)]
pub struct RawInputs {
    /// A utility subcommand (completions, man page) instead of a run.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Where to get the git context: `workflow` (the runner's event) or `git` (the local checkout)
    #[arg(long, env = "INPUT_CONTEXT")]
    pub context: Option<String>,
    /// List of images to use as base name for tags
    #[arg(long, env = "INPUT_IMAGES")]
    pub images: Option<String>,
    /// List of tags as key-value pair attributes
    #[arg(long, env = "INPUT_TAGS")]
    pub tags: Option<String>,
    /// Flavors to apply
    #[arg(long, env = "INPUT_FLAVOR")]
    pub flavor: Option<String>,
    /// List of custom labels
    #[arg(long, env = "INPUT_LABELS")]
    pub labels: Option<String>,
    /// List of custom annotations
    #[arg(long, env = "INPUT_ANNOTATIONS")]
    pub annotations: Option<String>,
    /// Separator to use for tags output (default `\n`)
    #[arg(long = "sep-tags", env = "INPUT_SEP-TAGS", allow_hyphen_values = true)]
    pub sep_tags: Option<String>,
    /// Separator to use for labels output (default `\n`)
    #[arg(
        long = "sep-labels",
        env = "INPUT_SEP-LABELS",
        allow_hyphen_values = true
    )]
    pub sep_labels: Option<String>,
    /// Separator to use for annotations output (default `\n`)
    #[arg(
        long = "sep-annotations",
        env = "INPUT_SEP-ANNOTATIONS",
        allow_hyphen_values = true
    )]
    pub sep_annotations: Option<String>,
    /// Bake target name (default `docker-metadata-action`)
    #[arg(long = "bake-target", env = "INPUT_BAKE-TARGET")]
    pub bake_target: Option<String>,
    /// GitHub token used to read the repository and commit data from the GitHub API
    #[arg(
        long = "github-token",
        env = "INPUT_GITHUB-TOKEN",
        hide_env_values = true
    )]
    pub github_token: Option<String>,
    /// The push inputs.
    #[command(flatten)]
    pub push: push::PushInputs,
    /// How to print the result outside GitHub Actions
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Outside GitHub Actions: print only errors on stderr
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Outside GitHub Actions: print debug lines too
    #[arg(short, long)]
    pub verbose: bool,
}

/// `hoist <subcommand>`: helpers that do not run the pipeline.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Print a shell completion script on stdout (`hoist completions bash > /etc/bash_completion.d/hoist`)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout (`hoist man > hoist.1`)
    Man,
}

/// Where the git context comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextSource {
    /// The runner's `GITHUB_*` variables and event payload.
    Workflow,
    /// The git repository in the working directory.
    Git,
}

/// Typed, validated settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the git context comes from.
    pub context: ContextSource,
    /// The metadata engine's inputs.
    pub meta: MetaInputs,
    /// Whether `context` was given (otherwise a local run may default to `git`).
    pub context_given: bool,
    /// The token for the GitHub API (`None` when the input is empty).
    pub github_token: Option<String>,
    /// Output format outside Actions.
    pub format: OutputFormat,
}

/// A bad input: names the input and quotes the offending line.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `context` is neither `workflow` nor `git`.
    #[error("Invalid context source: {0}")]
    Context(String),
    /// A list input could not be read as CSV.
    #[error("input `{input}`: {error}")]
    List {
        /// The input's name.
        input: &'static str,
        /// What went wrong.
        error: crate::js::csv::CsvError,
    },
}

/// `core.getInput(name)`: trimmed, empty is absent.
fn trimmed(value: Option<&String>) -> Option<String> {
    value
        .map(|v| crate::js::jsnum::js_trim(v).to_owned())
        .filter(|v| !v.is_empty())
}

/// `core.getInput(name, {trimWhitespace: false}) || default`.
fn untrimmed_or(value: Option<&String>, default: &str) -> String {
    match value {
        Some(v) if !v.is_empty() => v.clone(),
        _ => default.to_owned(),
    }
}

fn list(input: &'static str, value: Option<&String>) -> Result<Vec<String>, SettingsError> {
    match trimmed(value) {
        None => Ok(Vec::new()),
        Some(v) => {
            crate::js::csv::input_list(&v).map_err(|error| SettingsError::List { input, error })
        }
    }
}

impl Settings {
    /// Resolves raw inputs into settings, the way metadata-action's `getInputs` does.
    pub fn resolve(raw: &RawInputs) -> Result<Self, SettingsError> {
        let context_input = trimmed(raw.context.as_ref());
        let context = match context_input.as_deref() {
            None | Some("workflow") => ContextSource::Workflow,
            Some("git") => ContextSource::Git,
            Some(other) => return Err(SettingsError::Context(other.to_owned())),
        };
        let meta = MetaInputs {
            images: list("images", raw.images.as_ref())?,
            tags: list("tags", raw.tags.as_ref())?,
            flavor: list("flavor", raw.flavor.as_ref())?,
            labels: list("labels", raw.labels.as_ref())?,
            annotations: list("annotations", raw.annotations.as_ref())?,
            sep_tags: untrimmed_or(raw.sep_tags.as_ref(), "\n"),
            sep_labels: untrimmed_or(raw.sep_labels.as_ref(), "\n"),
            sep_annotations: untrimmed_or(raw.sep_annotations.as_ref(), "\n"),
            bake_target: trimmed(raw.bake_target.as_ref())
                .unwrap_or_else(|| "docker-metadata-action".to_owned()),
        };
        Ok(Self {
            context,
            context_given: context_input.is_some(),
            meta,
            github_token: trimmed(raw.github_token.as_ref()),
            format: raw.format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(f: impl FnOnce(&mut RawInputs)) -> RawInputs {
        let mut r = RawInputs::default();
        f(&mut r);
        r
    }

    #[test]
    fn empty_inputs_take_metadata_action_defaults() {
        let s = Settings::resolve(&RawInputs::default()).expect("defaults resolve");
        assert_eq!(s.context, ContextSource::Workflow);
        assert!(s.meta.tags.is_empty());
        assert_eq!(s.meta.sep_tags, "\n");
        assert_eq!(s.meta.bake_target, "docker-metadata-action");
        assert_eq!(s.github_token, None);
    }

    #[test]
    fn separators_are_not_trimmed_but_other_inputs_are() {
        let s = Settings::resolve(&raw(|r| {
            r.sep_tags = Some(" , ".into());
            r.bake_target = Some("  app  ".into());
            r.context = Some(" git ".into());
        }))
        .expect("resolves");
        assert_eq!(s.meta.sep_tags, " , ");
        assert_eq!(s.meta.bake_target, "app");
        assert_eq!(s.context, ContextSource::Git);
    }

    #[test]
    fn flag_values_may_start_with_a_hyphen_and_subcommands_parse() {
        let r = RawInputs::try_parse_from([
            "hoist",
            "--registry-auth",
            "- registry: x",
            "--tags",
            "-x",
            "-q",
        ])
        .expect("parses");
        assert_eq!(r.push.registry_auth.as_deref(), Some("- registry: x"));
        assert_eq!(r.tags.as_deref(), Some("-x"));
        assert!(r.quiet);
        let r = RawInputs::try_parse_from(["hoist", "completions", "bash"]).expect("parses");
        assert!(matches!(
            r.command,
            Some(Command::Completions {
                shell: clap_complete::Shell::Bash
            })
        ));
        assert!(RawInputs::try_parse_from(["hoist", "--nope"]).is_err());
    }

    #[test]
    fn unknown_context_is_an_error_naming_it() {
        let err = Settings::resolve(&raw(|r| r.context = Some("Git".into()))).unwrap_err();
        assert_eq!(err.to_string(), "Invalid context source: Git");
    }

    #[test]
    fn list_inputs_drop_comment_lines_and_blank_lines() {
        let s = Settings::resolve(&raw(|r| {
            r.tags = Some("# a comment\ntype=ref,event=branch\n\n  type=sha  \n".into());
        }))
        .expect("resolves");
        assert_eq!(s.meta.tags, vec!["type=ref,event=branch", "type=sha"]);
    }
}
