//! Everything a run hands back: the output values ([`values`]), where they go ([`sink`]: the
//! runner's `$GITHUB_OUTPUT`/`$GITHUB_ENV` or legacy commands, or the CLI collection that
//! [`cli`] prints), the bake directory and files ([`bake`]), and the push step's log, errors and
//! job summary ([`push`]). The metadata step's log groups and outputs are written here, in
//! metadata-action's order.

pub mod bake;
pub mod cli;
pub mod progress;
pub mod push;
pub mod sink;
pub mod values;

use anyhow::Result;

use crate::github::commands::Log;
use crate::meta::{MetaInputs, Metadata};

pub use sink::Sink;
pub use values::Outputs;

/// Logs `lines` in a collapsed group named `title`.
pub fn group(log: &Log, title: &str, lines: impl IntoIterator<Item = String>) {
    // A local run prints the result on stdout: repeating it on stderr is noise, so the
    // metadata groups are details shown with `--verbose`.
    if log.cli && !log.debug {
        return;
    }
    log.group(title);
    for l in lines {
        log.untrusted(&l);
    }
    log.end_group();
}

/// The list outputs as lists (the CLI's `--format json` prints them as arrays).
pub struct Lists {
    /// `tags`.
    pub tags: Vec<String>,
    /// `tag-names`.
    pub tag_names: Vec<String>,
    /// `labels`.
    pub labels: Vec<String>,
    /// `annotations`, level-prefixed.
    pub annotations: Vec<String>,
}

impl Lists {
    /// Name and items, in output order.
    #[must_use]
    pub fn named(&self) -> [(&'static str, &[String]); 4] {
        [
            ("tags", &self.tags),
            ("tag-names", &self.tag_names),
            ("labels", &self.labels),
            ("annotations", &self.annotations),
        ]
    }
}

/// Logs and sets the metadata outputs (`version`, `tags`, `tag-names`, `labels`,
/// `annotations`, `json`) in metadata-action's order; a bad `labels` or `annotations` line fails
/// here, after the outputs before it are set.
pub fn metadata(
    log: &Log,
    sink: &mut Sink,
    meta: &Metadata,
    out: &Outputs<'_>,
    inputs: &MetaInputs,
    levels: &[String],
) -> Result<Lists> {
    if out.version().is_empty() {
        log.warning("No Docker image version has been generated. Check tags input.");
    } else {
        group(log, "Docker image version", [out.version().to_owned()]);
    }
    sink.set(log, "version", out.version())?;
    if meta.tags.is_empty() {
        log.warning("No Docker tag has been generated. Check tags input.");
    } else {
        group(log, "Docker tags", meta.tags.iter().cloned());
    }
    sink.set(log, "tags", &meta.tags.join(&inputs.sep_tags))?;
    sink.set(log, "tag-names", &meta.tag_names.join(&inputs.sep_tags))?;

    let labels = out
        .labels()
        .map_err(|e| anyhow::anyhow!("input `labels`: {e}"))?;
    group(log, "Docker labels", labels.iter().cloned());
    sink.set(log, "labels", &labels.join(&inputs.sep_labels))?;

    let annotations = out
        .annotations()
        .map_err(|e| anyhow::anyhow!("input `annotations`: {e}"))?;
    let prefixed = values::level_prefixed(annotations, levels);
    group(log, "Annotations", prefixed.iter().cloned());
    sink.set(log, "annotations", &prefixed.join(&inputs.sep_annotations))?;

    if sink.is_runner() {
        // Locally the result carries it, once.
        group(log, "JSON output", [out.json_pretty()]);
    }
    sink.set(log, "json", &out.json().to_string())?;
    Ok(Lists {
        tags: meta.tags.clone(),
        tag_names: meta.tag_names.clone(),
        labels: labels.to_vec(),
        annotations: prefixed,
    })
}
