//! From computed [`Metadata`] to the values the step writes: metadata-action's outputs in its
//! order, the `json` output and the bake file documents. Pure: the caller writes files.

use serde_json::{Map, Value as Json, json};

use crate::meta::{MetaError, Metadata, labels};

/// The annotations output: each annotation prefixed with each level (`manifest:key=value`).
pub fn level_prefixed(annotations: &[String], levels: &[String]) -> Vec<String> {
    levels
        .iter()
        .flat_map(|level| annotations.iter().map(move |a| format!("{level}:{a}")))
        .collect()
}

/// The levels of the annotations bake file. metadata-action builds that file from the kind
/// string `'annotations:' + DOCKER_METADATA_ANNOTATIONS_LEVELS` and reads its levels back with
/// `kind.split(':')[1].split(',')`, so everything from the first `:` of the levels on is dropped:
/// `index:linux/amd64,manifest` gives the one level `index`, `manifest,index:linux/amd64` gives
/// `manifest` and `index`. The `annotations` and `json` outputs keep the full levels.
pub fn bake_file_levels(levels: &[String]) -> Vec<String> {
    let joined = levels.join(",");
    let before_colon = joined.split(':').next().unwrap_or_default();
    before_colon.split(',').map(str::to_owned).collect()
}

/// JS `JSON.stringify(v, null, 2)`.
fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Everything metadata-action outputs, computed; labels/annotations failures surface when the
/// caller reaches them (outputs before stay written).
pub struct Outputs<'a> {
    meta: &'a Metadata,
    levels: &'a [String],
    bake_target: &'a str,
}

impl<'a> Outputs<'a> {
    /// Wraps computed metadata.
    pub fn new(meta: &'a Metadata, levels: &'a [String], bake_target: &'a str) -> Self {
        Self {
            meta,
            levels,
            bake_target,
        }
    }

    /// `version`.
    pub fn version(&self) -> &str {
        self.meta.version.main.as_deref().unwrap_or_default()
    }

    /// Sorted labels, or the error that fails the step after the tag outputs.
    pub fn labels(&self) -> Result<&'a [String], &'a MetaError> {
        self.meta.labels.as_deref()
    }

    /// Sorted annotations (not level-prefixed).
    pub fn annotations(&self) -> Result<&'a [String], &'a MetaError> {
        self.meta.annotations.as_deref()
    }

    fn labels_object(&self) -> Json {
        labels::to_object(self.meta.labels.as_deref().unwrap_or_default())
    }

    fn prefixed_annotations(&self) -> Vec<String> {
        level_prefixed(
            self.meta.annotations.as_deref().unwrap_or_default(),
            self.levels,
        )
    }

    /// The `json` output's object.
    pub fn json(&self) -> Json {
        json!({
            "tags": self.meta.tags,
            "tag-names": self.meta.tag_names,
            "labels": self.labels_object(),
            "annotations": self.prefixed_annotations(),
        })
    }

    fn args(&self) -> Json {
        let mut args = Map::new();
        args.insert(
            "DOCKER_META_IMAGES".into(),
            Json::String(self.meta.image_names.join(",")),
        );
        if let Some(v) = &self.meta.version.main {
            args.insert("DOCKER_META_VERSION".into(), Json::String(v.clone()));
        }
        Json::Object(args)
    }

    fn bake(&self, body: Json) -> String {
        let mut target = Map::new();
        target.insert(self.bake_target.to_owned(), body);
        pretty(&json!({ "target": target }))
    }

    /// `docker-metadata-action-bake-tags.json`.
    pub fn bake_tags(&self) -> String {
        self.bake(json!({ "tags": self.meta.tags, "args": self.args() }))
    }

    /// `docker-metadata-action-bake-labels.json`.
    pub fn bake_labels(&self) -> String {
        self.bake(json!({ "labels": self.labels_object() }))
    }

    /// `docker-metadata-action-bake-annotations.json`: the annotations prefixed with the levels
    /// metadata-action reads back for this file ([`bake_file_levels`]).
    pub fn bake_annotations(&self) -> String {
        let prefixed = level_prefixed(
            self.meta.annotations.as_deref().unwrap_or_default(),
            &bake_file_levels(self.levels),
        );
        self.bake(json!({ "annotations": prefixed }))
    }

    /// `docker-metadata-action-bake.json` (tags, labels and args).
    pub fn bake_all(&self) -> String {
        self.bake(json!({
            "tags": self.meta.tags,
            "labels": self.labels_object(),
            "args": self.args(),
        }))
    }

    /// The pretty JSON metadata-action logs for the `json` output.
    pub fn json_pretty(&self) -> String {
        pretty(&self.json())
    }
}

/// `DOCKER_METADATA_OUTPUT_<NAME>`: `\W` → `_`, upper-cased.
pub fn env_name(output: &str) -> String {
    let mapped: String = output
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("DOCKER_METADATA_OUTPUT_{}", mapped.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert_eq!(env_name("tag-names"), "DOCKER_METADATA_OUTPUT_TAG_NAMES");
        assert_eq!(env_name("bake-file"), "DOCKER_METADATA_OUTPUT_BAKE_FILE");
    }

    #[test]
    fn levels_are_not_trimmed() {
        let a = vec!["k=v".to_owned()];
        let levels = vec!["manifest".to_owned(), " index".to_owned(), String::new()];
        assert_eq!(
            level_prefixed(&a, &levels),
            ["manifest:k=v", " index:k=v", ":k=v"]
        );
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn bake_file_levels_stop_at_the_first_colon() {
        let cases: [(&[&str], &[&str]); 6] = [
            (&["manifest"], &["manifest"]),
            (&["index", "manifest"], &["index", "manifest"]),
            (&["index:linux/amd64"], &["index"]),
            (&["index:linux/amd64", "manifest:linux/arm64"], &["index"]),
            (
                &["manifest", "index:linux/amd64", "manifest"],
                &["manifest", "index"],
            ),
            (&["", " index"], &["", " index"]),
        ];
        for (levels, want) in cases {
            assert_eq!(
                bake_file_levels(&strings(levels)),
                strings(want),
                "{levels:?}"
            );
        }
    }
}
