//! The per-target push report ([`PushReport`]) and its pure renderings: the `push-results` JSON,
//! the one-line `::error::` message and the job summary Markdown table. Registry text is inert
//! in all three ([`super::text`]): no control characters, and no Markdown or HTML in the table.

use std::fmt::Write as _;

use serde::Serialize;

use super::text;

/// How a target ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    /// Content and every tag landed.
    Ok,
    /// Something failed on this target (see `error`).
    Failed,
    /// Not attempted, or tags held back because another target failed (atomic policy).
    Skipped,
}

/// What happened to one tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagStatus {
    /// The tag now points at the digest.
    Pushed,
    /// It already did.
    Unchanged,
    /// Held back (atomic policy, or an earlier failure).
    NotMoved,
    /// The PUT failed.
    Failed,
    /// Read back after the tag phase, it pointed elsewhere: another run moved it.
    Overwritten,
}

/// One tag's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagReport {
    /// The tag.
    pub tag: String,
    /// Its outcome.
    pub status: TagStatus,
    /// The digest it pointed at before, when it existed and moved.
    pub previous: Option<String>,
    /// The release guard's decision, only for a guarded tag (`immutable`, `semver`,
    /// `skipped: older than 2.0.0`, `skipped: moved by another run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
}

/// Blob counts and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BlobStats {
    /// Uploaded by this run.
    pub uploaded: u64,
    /// Already present (HEAD hit).
    pub existing: u64,
    /// Mounted from a sibling repository.
    pub mounted: u64,
    /// Bytes uploaded.
    pub bytes_uploaded: u64,
}

/// A failure on a target: what was being done, why it failed, and the fix when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpError {
    /// The operation (`preflight`, `upload blob sha256:…`, `push manifest …`, `tag v1`).
    pub operation: String,
    /// The cause, with the registry's code and message.
    pub cause: String,
    /// A hint, when the fix is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// One target (an image name: registry and repository).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetReport {
    /// The image name as given in `images`.
    #[serde(rename = "ref")]
    pub image: String,
    /// The registry host.
    pub registry: String,
    /// The repository.
    pub repository: String,
    /// How it ended.
    pub status: TargetStatus,
    /// The root digest, when the content landed.
    pub digest: Option<String>,
    /// Tags, in push order.
    pub tags: Vec<TagReport>,
    /// Blob counts.
    pub blobs: BlobStats,
    /// The failure, if any.
    pub error: Option<OpError>,
    /// The referrers written (input `copy-referrers`); absent when it is off or the content
    /// did not land.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrers: Option<super::referrers::ReferrerReport>,
}

impl TargetReport {
    /// The one-line message of a failed target.
    pub fn error_line(&self) -> Option<String> {
        let e = self.error.as_ref()?;
        let mut s = format!(
            "{}: registry `{}`, repository `{}`: {}: {}",
            self.image, self.registry, self.repository, e.operation, e.cause
        );
        if let Some(h) = &e.hint {
            let _ = write!(s, " (hint: {h})");
        }
        Some(text::inert(&s))
    }
}

/// The whole push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PushReport {
    /// The root digest (identical on every registry).
    pub digest: String,
    /// One entry per target, in `images` order.
    pub targets: Vec<TargetReport>,
}

impl PushReport {
    /// Whether any target failed.
    pub fn failed(&self) -> bool {
        self.targets.iter().any(|t| t.status != TargetStatus::Ok)
    }

    /// The `push-results` output: a JSON list, one object per target.
    pub fn render_json(&self) -> String {
        serde_json::to_string(&self.targets).unwrap_or_else(|_| "[]".into())
    }

    /// The job summary: one table row per target.
    pub fn render_summary(&self) -> String {
        let cell = text::markdown;
        let mut md = format!(
            "### hoist push\n\nDigest: `{}`\n\n| Image | Status | Tags | Blobs uploaded / existing | Bytes uploaded | Error |\n|---|---|---|---|---|---|\n",
            self.digest
        );
        for t in &self.targets {
            let tags: Vec<String> = t
                .tags
                .iter()
                .map(|g| {
                    let mark = match g.status {
                        TagStatus::Pushed => "",
                        TagStatus::Unchanged => " (unchanged)",
                        TagStatus::NotMoved => " (not moved)",
                        TagStatus::Failed => " (failed)",
                        TagStatus::Overwritten => " (moved by another run)",
                    };
                    let guard = g
                        .guard
                        .as_ref()
                        .map(|d| format!(" (guard: {})", cell(d)))
                        .unwrap_or_default();
                    format!("{}{mark}{guard}", cell(&g.tag))
                })
                .collect();
            let status = match t.status {
                TargetStatus::Ok => "✅ ok",
                TargetStatus::Failed => "❌ failed",
                TargetStatus::Skipped => "⏭️ skipped",
            };
            let error = t
                .error
                .as_ref()
                .map(|e| format!("{}: {}", e.operation, e.cause))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | {status} | {} | {} / {} | {} | {} |",
                cell(&t.image),
                tags.join(" "),
                t.blobs.uploaded,
                t.blobs.existing,
                t.blobs.bytes_uploaded,
                cell(&error)
            );
        }
        super::referrers::render_summary(&self.targets, &mut md);
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> PushReport {
        PushReport {
            digest: "sha256:abc".into(),
            targets: vec![TargetReport {
                image: "ghcr.io/o/app".into(),
                registry: "ghcr.io".into(),
                repository: "o/app".into(),
                status: TargetStatus::Failed,
                digest: None,
                tags: vec![TagReport {
                    tag: "v1".into(),
                    status: TagStatus::NotMoved,
                    previous: None,
                    guard: None,
                }],
                blobs: BlobStats::default(),
                referrers: None,
                error: Some(OpError {
                    operation: "preflight".into(),
                    cause: "HTTP 401 | UNAUTHORIZED".into(),
                    hint: Some("check".into()),
                }),
            }],
        }
    }

    #[test]
    fn json_contract() {
        let json: serde_json::Value =
            serde_json::from_str(&report().render_json()).expect("valid JSON");
        assert_eq!(json[0]["ref"], "ghcr.io/o/app");
        assert_eq!(json[0]["status"], "failed");
        assert_eq!(json[0]["tags"][0]["status"], "not-moved");
        assert_eq!(json[0]["blobs"]["bytes_uploaded"], 0);
        assert_eq!(json[0]["error"]["operation"], "preflight");
        assert!(json[0]["tags"][0].get("guard").is_none());
        let mut guarded = report();
        guarded.targets[0].tags[0].guard = Some("skipped: older than 2.0.0".into());
        let json: serde_json::Value =
            serde_json::from_str(&guarded.render_json()).expect("valid JSON");
        assert_eq!(json[0]["tags"][0]["guard"], "skipped: older than 2.0.0");
        assert!(
            guarded
                .render_summary()
                .contains("v1 (not moved) (guard: skipped\\: older than 2.0.0)"),
            "{}",
            guarded.render_summary()
        );
    }

    #[test]
    fn summary_escapes_cells_and_error_line_names_everything() {
        let r = report();
        assert!(r.render_summary().contains("HTTP 401 \\| UNAUTHORIZED"));
        let mut hostile = r.clone();
        hostile.targets[0].error.as_mut().expect("set").cause =
            "\u{1b}[31m[click](https://evil) <img src=x>\r".into();
        let md = hostile.render_summary();
        assert!(
            md.contains("\\x1b\\[31m\\[click\\]\\(https\\://evil\\) &lt;img src\\=x&gt;\\\\r"),
            "{md}"
        );
        let line = hostile.targets[0].error_line().expect("failed");
        assert!(!line.contains('\u{1b}') && !line.contains('\r'), "{line}");
        let line = r.targets[0].error_line().expect("failed target");
        assert_eq!(
            line,
            "ghcr.io/o/app: registry `ghcr.io`, repository `o/app`: preflight: HTTP 401 | UNAUTHORIZED (hint: check)"
        );
        assert!(r.failed());
    }
}
