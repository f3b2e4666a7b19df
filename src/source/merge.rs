//! Several sources merged into one image (a `source` input of several lines): each source's
//! platform manifests become children of one generated index, byte for byte, with their
//! `platform` from the source's descriptor or, when absent, from the image config. Attestation
//! manifests follow the image they describe. Refuses, naming the two source lines, what would
//! be wrong: the same platform twice, a platform that cannot be determined, an attestation
//! whose subject is not in the set.
//!
//! The generated index is deterministic: children in the order of the `source` lines, then the
//! order inside each source; the computed annotations (no level prefix) on the index; a Docker
//! manifest list only when every child is Docker v2, an OCI index otherwise. Blobs are read
//! from the source that holds them ([`MergedImage`]).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as Json};

use super::{LocalImage, SourceError};
use crate::plan::{
    self, BlobReader, BlobStream, DOCKER_LIST, DOCKER_MANIFEST, Descriptor, Digest, Manifest,
    OCI_INDEX, Plan, PlanError,
};

/// One line of the `source` input: its line number (1-based) and text, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The line number in the input.
    pub number: usize,
    /// The line, as written.
    pub text: String,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} (`{}`)",
            self.number,
            plan::escape_untrusted(self.text.as_bytes())
        )
    }
}

/// Why several sources cannot be merged (every case before any upload).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A source is unreadable or invalid.
    #[error("{line}: {cause}")]
    Source {
        /// The source line.
        line: Line,
        /// Why.
        cause: SourceError,
    },
    /// Two children have one platform.
    #[error(
        "{first} and {second} both hold platform `{platform}`\nhint: each platform must come from one source; use `platforms` to keep one of them"
    )]
    SamePlatform {
        /// The platform.
        platform: String,
        /// The first line holding it.
        first: Line,
        /// The second.
        second: Line,
    },
    /// A child's platform is neither in its descriptor nor in its config.
    #[error(
        "{line}: the platform of manifest {digest} cannot be determined (no `platform` in its descriptor, no `os`/`architecture` in its config)"
    )]
    NoPlatform {
        /// The source line.
        line: Line,
        /// The manifest.
        digest: Digest,
    },
    /// An attestation manifest whose subject is not one of the merged images.
    #[error(
        "{line}: attestation manifest {digest} describes {subject}, which is not an image of this source"
    )]
    Orphan {
        /// The source line.
        line: Line,
        /// The attestation manifest.
        digest: Digest,
        /// Its subject.
        subject: String,
    },
    /// A source's index lists an index (nested indexes are not merged).
    #[error(
        "{line}: index entry {digest} is itself an index\nhint: merge sources whose indexes list image manifests"
    )]
    Nested {
        /// The source line.
        line: Line,
        /// The nested index.
        digest: Digest,
    },
    /// The `platforms` filter leaves nothing.
    #[error("input `platforms`: no platform of the sources matches `{0}`")]
    Filtered(String),
    /// Two sources give one blob two sizes, or the index cannot be written.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// The sources of a merge, read from their own files: each blob from the first source holding it.
#[derive(Debug)]
pub struct MergedImage {
    images: Vec<LocalImage>,
    owner: HashMap<Digest, usize>,
}

impl MergedImage {
    fn image_of(&self, digest: &Digest) -> Option<&LocalImage> {
        self.owner.get(digest).map(|&i| &self.images[i])
    }
}

impl BlobReader for MergedImage {
    fn open_blob(&self, digest: &Digest) -> std::io::Result<BlobStream> {
        match self.image_of(digest) {
            Some(image) => image.open_blob(digest),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("blob {digest} is not in the sources"),
            )),
        }
    }

    fn verify_blob(&self, blob: &plan::Blob) -> Result<(), plan::VerifyError> {
        match self.image_of(&blob.digest) {
            Some(image) => image.verify_blob(blob),
            None => Err(plan::VerifyError(format!(
                "blob {} is not in the sources",
                blob.digest
            ))),
        }
    }

    fn blob_origin(&self, digest: &Digest) -> Option<String> {
        self.image_of(digest)?.blob_origin(digest)
    }
}

/// A platform as the index records it, and its short form (`os/arch[/variant]`, with
/// `os.version` when set) used to find duplicates and filter.
struct Platform {
    json: Json,
    short: String,
}

fn platform_from(p: &Json) -> Option<Platform> {
    let os = p
        .get("os")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())?;
    let arch = p
        .get("architecture")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())?;
    let mut short = format!("{os}/{arch}");
    let mut json = Map::new();
    json.insert("architecture".into(), arch.into());
    json.insert("os".into(), os.into());
    if let Some(v) = p.get("os.version").and_then(Json::as_str) {
        json.insert("os.version".into(), v.into());
    }
    if let Some(f) = p.get("os.features").filter(|f| f.is_array()) {
        json.insert("os.features".into(), f.clone());
    }
    if let Some(v) = p
        .get("variant")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
    {
        json.insert("variant".into(), v.into());
        short = format!("{short}/{v}");
    }
    Some(Platform {
        json: Json::Object(json),
        short,
    })
}

/// The platform written in an image's config blob (`os`, `architecture`, `variant`,
/// `os.version`, `os.features`), read bounded like a manifest.
fn platform_from_config(image: &LocalImage, manifest: &[u8]) -> Option<Platform> {
    let json: Json = serde_json::from_slice(manifest).ok()?;
    let config = Descriptor::from_json(json.get("config")?, "config").ok()?;
    let bytes = image.read_manifest(&config).ok()?;
    if Digest::of(&bytes) != config.digest {
        return None;
    }
    platform_from(&serde_json::from_slice(&bytes).ok()?)
}

/// A buildx attestation manifest's subject digest.
fn attests(entry: &Json) -> Option<&str> {
    let ann = entry.get("annotations")?;
    (ann.get("vnd.docker.reference.type").and_then(Json::as_str) == Some("attestation-manifest"))
        .then(|| {
            ann.get("vnd.docker.reference.digest")
                .and_then(Json::as_str)
        })
        .flatten()
}

/// Whether a `platforms` entry selects `short` (no variant in the filter: every variant).
fn selected(filters: &[String], short: &str) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| {
            f == short || (f.matches('/').count() == 1 && short.starts_with(&format!("{f}/")))
        })
}

/// One child of the merged index, before the filter.
struct Child {
    line: usize,
    entry: Map<String, Json>,
    plan: Plan,
    /// `Some(short)` for an image, `None` for an attestation.
    platform: Option<String>,
    subject: Option<String>,
}

/// The children one source contributes: its platform manifests (and their attestations) when
/// it is an index, else itself.
fn children_of(at: usize, line: &Line, image: &LocalImage) -> Result<Vec<Child>, MergeError> {
    let fail = |cause: SourceError| MergeError::Source {
        line: line.clone(),
        cause,
    };
    let mut read = |d: &Descriptor| image.read_manifest(d);
    let whole = plan::build_plan(&image.root, &mut read, &[]).map_err(|e| fail(e.into()))?;
    for blob in &whole.blobs {
        image.check_blob(blob).map_err(fail)?;
    }
    let root = whole.root();
    let (entries, from_index): (Vec<Json>, bool) = if plan::is_index(&root.media_type) {
        let json: Json = serde_json::from_slice(&root.bytes).map_err(|e| {
            fail(SourceError::Plan(PlanError::Invalid {
                digest: root.digest.clone(),
                cause: e.to_string(),
            }))
        })?;
        let list = json
            .get("manifests")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        (list, true)
    } else {
        let entry = serde_json::json!({
            "mediaType": root.media_type,
            "digest": root.digest.as_str(),
            "size": root.bytes.len(),
        });
        (vec![entry], false)
    };
    let mut out = Vec::new();
    let mut images = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let what = format!("{} manifests[{i}]", line.text);
        let desc = Descriptor::from_json(entry, &what).map_err(|e| fail(e.into()))?;
        let mut read = |d: &Descriptor| image.read_manifest(d);
        let plan = plan::build_plan(&desc, &mut read, &[]).map_err(|e| fail(e.into()))?;
        let child = plan.root();
        if plan::is_index(&child.media_type) {
            return Err(MergeError::Nested {
                line: line.clone(),
                digest: desc.digest,
            });
        }
        let mut entry = entry.as_object().cloned().unwrap_or_default();
        entry.insert("mediaType".into(), child.media_type.clone().into());
        let subject = attests(&Json::Object(entry.clone())).map(str::to_owned);
        let platform = if subject.is_some() {
            None
        } else {
            let p = entry
                .get("platform")
                .and_then(platform_from)
                .or_else(|| platform_from_config(image, &child.bytes))
                .ok_or_else(|| MergeError::NoPlatform {
                    line: line.clone(),
                    digest: desc.digest.clone(),
                })?;
            entry.insert("platform".into(), p.json);
            images.insert(desc.digest.to_string());
            Some(p.short)
        };
        if !from_index {
            // A lone manifest's descriptor: media type, digest, size, platform.
            entry.retain(|k, _| matches!(k.as_str(), "mediaType" | "digest" | "size" | "platform"));
        }
        out.push(Child {
            line: at,
            entry,
            plan,
            platform,
            subject,
        });
    }
    for c in &out {
        if let Some(s) = &c.subject
            && !images.contains(s)
        {
            return Err(MergeError::Orphan {
                line: line.clone(),
                digest: c.plan.root().digest.clone(),
                subject: plan::escape_untrusted(s.as_bytes()),
            });
        }
    }
    Ok(out)
}

/// The annotations on the merged index: the `annotations` output's `key=value` lines (already
/// without level prefix), in their order, a later key replacing an earlier one.
fn index_annotations(annotations: &[String]) -> Map<String, Json> {
    let mut map = Map::new();
    for a in annotations {
        if let Some((k, v)) = a.split_once('=')
            && !k.is_empty()
        {
            map.insert(k.to_owned(), v.into());
        }
    }
    map
}

/// Merges the loaded sources (in the order of the `source` lines) into one plan whose root is a
/// generated index, and a reader of their blobs. `platforms` filters the merged set
/// (attestations follow their images); `annotations` are the computed `key=value` annotations.
///
/// # Errors
/// A source is invalid, or the merge would be wrong (see [`MergeError`]).
pub fn merge(
    sources: Vec<(Line, LocalImage)>,
    platforms: &[String],
    annotations: &[String],
) -> Result<(Plan, MergedImage), MergeError> {
    let mut children = Vec::new();
    let mut lines = Vec::new();
    let mut images = Vec::new();
    for (at, (line, image)) in sources.into_iter().enumerate() {
        children.extend(children_of(at, &line, &image)?);
        if children.len() > plan::MAX_DESCRIPTORS {
            return Err(PlanError::TooMany(line.to_string()).into());
        }
        lines.push(line);
        images.push(image);
    }
    let kept: HashSet<Digest> = children
        .iter()
        .filter(|c| {
            c.platform
                .as_deref()
                .is_some_and(|p| selected(platforms, p))
        })
        .map(|c| c.plan.root().digest.clone())
        .collect();
    if kept.is_empty() {
        return Err(MergeError::Filtered(platforms.join(",")));
    }
    children.retain(|c| match (&c.platform, &c.subject) {
        (Some(_), _) => kept.contains(&c.plan.root().digest),
        (None, Some(s)) => kept.iter().any(|d| d.as_str() == s),
        (None, None) => false,
    });
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for c in &children {
        if let Some(p) = &c.platform
            && let Some(&first) = first_line.get(p.as_str())
        {
            return Err(MergeError::SamePlatform {
                platform: plan::escape_untrusted(p.as_bytes()),
                first: lines[first].clone(),
                second: lines[c.line].clone(),
            });
        }
        if let Some(p) = &c.platform {
            first_line.insert(p, c.line);
        }
    }

    let mut manifests: Vec<Manifest> = Vec::new();
    let mut seen = HashSet::new();
    let mut blobs: Vec<plan::Blob> = Vec::new();
    let mut sizes: HashMap<Digest, u64> = HashMap::new();
    let mut owner = HashMap::new();
    let mut entries = Vec::new();
    for c in &children {
        for b in &c.plan.blobs {
            match sizes.get(&b.digest) {
                Some(&size) if size != b.size => {
                    return Err(PlanError::SizeConflict(b.digest.clone()).into());
                }
                Some(_) => {}
                None => {
                    sizes.insert(b.digest.clone(), b.size);
                    owner.insert(b.digest.clone(), c.line);
                    blobs.push(b.clone());
                }
            }
        }
        for m in &c.plan.manifests {
            if seen.insert(m.digest.clone()) {
                let mut m = m.clone();
                if m.digest == c.plan.root().digest {
                    m.platform = Some(c.platform.clone().unwrap_or_else(|| "attestation".into()));
                }
                manifests.push(m);
            }
        }
        entries.push(Json::Object(c.entry.clone()));
    }
    let docker = children
        .iter()
        .all(|c| c.plan.root().media_type == DOCKER_MANIFEST);
    let media_type = if docker { DOCKER_LIST } else { OCI_INDEX };
    let mut index = Map::new();
    index.insert("schemaVersion".into(), 2.into());
    index.insert("mediaType".into(), media_type.into());
    index.insert("manifests".into(), Json::Array(entries));
    let annotations = index_annotations(annotations);
    if !annotations.is_empty() {
        index.insert("annotations".into(), Json::Object(annotations));
    }
    let bytes = serde_json::to_vec(&Json::Object(index))
        .map_err(|e| PlanError::Descriptor(format!("the merged index cannot be written: {e}")))?;
    manifests.push(Manifest {
        digest: Digest::of(&bytes),
        media_type: media_type.to_owned(),
        bytes,
        platform: None,
    });
    Ok((Plan { manifests, blobs }, MergedImage { images, owner }))
}

/// The platforms of a merged plan's children, in index order (attestations left out).
pub fn platforms_of(plan: &Plan) -> Vec<String> {
    let Ok(json) = serde_json::from_slice::<Json>(&plan.root().bytes) else {
        return Vec::new();
    };
    json.get("manifests")
        .and_then(Json::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter(|e| attests(e).is_none())
                .filter_map(|e| e.get("platform").and_then(platform_from))
                .map(|p| p.short)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A one-image OCI layout whose descriptor has no platform (the config says it).
    fn layout(dir: &std::path::Path, arch: &str, docker: bool) -> (LocalImage, Digest) {
        layout_with(dir, arch, docker, arch.as_bytes())
    }

    fn layout_with(
        dir: &std::path::Path,
        arch: &str,
        docker: bool,
        layer: &[u8],
    ) -> (LocalImage, Digest) {
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
        let blob = |bytes: &[u8], mt: &str| {
            let d = Digest::of(bytes);
            std::fs::write(dir.join("blobs/sha256").join(d.hex()), bytes).expect("write");
            json!({"mediaType": mt, "digest": d.as_str(), "size": bytes.len()})
        };
        let (mt, cmt) = if docker {
            (
                DOCKER_MANIFEST,
                "application/vnd.docker.container.image.v1+json",
            )
        } else {
            (
                plan::OCI_MANIFEST,
                "application/vnd.oci.image.config.v1+json",
            )
        };
        let config = blob(
            format!(r#"{{"os":"linux","architecture":"{arch}","rootfs":{{"type":"layers","diff_ids":[]}}}}"#)
                .as_bytes(),
            cmt,
        );
        let layer = blob(layer, "application/vnd.oci.image.layer.v1.tar+gzip");
        let manifest = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": mt, "config": config, "layers": [layer]}),
        )
        .expect("json");
        let m = blob(&manifest, mt);
        std::fs::write(
            dir.join("index.json"),
            serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [m]})).expect("json"),
        )
        .expect("write");
        (
            super::super::layout::load(dir, None).expect("loads"),
            Digest::of(&manifest),
        )
    }

    fn line(number: usize, text: &str) -> Line {
        Line {
            number,
            text: text.into(),
        }
    }

    fn merged(dir: &std::path::Path, docker: bool, annotations: &[String]) -> (Plan, Vec<Digest>) {
        let (a, da) = layout(&dir.join("a"), "amd64", docker);
        let (b, db) = layout(&dir.join("b"), "arm64", docker);
        let (plan, _) = merge(
            vec![(line(1, "oci:a"), a), (line(2, "oci:b"), b)],
            &[],
            annotations,
        )
        .expect("merges");
        (plan, vec![da, db])
    }

    #[test]
    fn the_index_lists_the_children_in_line_order_with_their_config_platform() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ann = vec![
            "org.opencontainers.image.version=1.0".to_owned(),
            "org.opencontainers.image.source=https://x/o/app".to_owned(),
        ];
        let (plan, children) = merged(dir.path(), false, &ann);
        let root = plan.root();
        assert_eq!(root.media_type, OCI_INDEX);
        let index: Json = serde_json::from_slice(&root.bytes).expect("json");
        assert_eq!(index["manifests"][0]["digest"], children[0].as_str());
        assert_eq!(index["manifests"][1]["digest"], children[1].as_str());
        assert_eq!(
            index["manifests"][1]["platform"],
            json!({"architecture": "arm64", "os": "linux"})
        );
        assert_eq!(
            index["annotations"]["org.opencontainers.image.version"],
            "1.0"
        );
        assert_eq!(platforms_of(&plan), ["linux/amd64", "linux/arm64"]);
        // Children before the root; two configs and two layers.
        assert_eq!(plan.manifests.len(), 3);
        assert_eq!(plan.blobs.len(), 4);
        // Deterministic: the same sources and annotations, the same bytes.
        let again = tempfile::tempdir().expect("tempdir");
        let (plan2, _) = merged(again.path(), false, &ann);
        assert_eq!(plan2.root().bytes, root.bytes);
    }

    #[test]
    fn docker_children_only_make_a_docker_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (plan, _) = merged(dir.path(), true, &[]);
        assert_eq!(plan.root().media_type, DOCKER_LIST);
        let index: Json = serde_json::from_slice(&plan.root().bytes).expect("json");
        assert!(index.get("annotations").is_none());
    }

    #[test]
    fn a_filter_matching_nothing_names_the_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, _) = layout(&dir.path().join("a"), "amd64", false);
        let (b, _) = layout(&dir.path().join("b"), "arm64", false);
        let err = merge(
            vec![(line(1, "oci:a"), a), (line(2, "oci:b"), b)],
            &["linux/s390x".to_owned()],
            &[],
        )
        .expect_err("nothing left");
        assert_eq!(
            err.to_string(),
            "input `platforms`: no platform of the sources matches `linux/s390x`"
        );
    }

    #[test]
    fn a_blob_shared_by_two_sources_is_listed_once_and_read_from_the_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, _) = layout_with(&dir.path().join("a"), "amd64", false, b"shared base");
        let (b, _) = layout_with(&dir.path().join("b"), "arm64", false, b"shared base");
        let (plan, reader) =
            merge(vec![(line(1, "oci:a"), a), (line(2, "oci:b"), b)], &[], &[]).expect("merges");
        // Two configs and one layer.
        assert_eq!(plan.blobs.len(), 3);
        let shared = Digest::of(b"shared base");
        assert_eq!(reader.owner.get(&shared), Some(&0));
        for blob in &plan.blobs {
            reader.verify_blob(blob).expect("verifies");
        }
    }
}
