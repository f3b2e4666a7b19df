//! The push plan: what one image is, as a registry will store it. A [`Plan`] holds the root
//! descriptor, every manifest by digest with its exact source bytes (children before parents, the
//! root last), and every blob with its size. Built and validated by [`build_plan`] from a
//! descriptor and a reader of manifest bytes.
//!
//! Pure: no I/O here (the caller passes the reader; blob contents are verified by `source/`).
//! Must not re-serialise a manifest, except an index narrowed by the `platforms` filter, which
//! is a new index by definition.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};

use serde_json::Value as Json;
use sha2::{Digest as _, Sha256};

/// The OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker's manifest list media type.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker's image manifest (schema 2) media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The largest manifest read into memory (registries SHOULD accept at least 4 MB).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// How deep indexes may nest (an index of indexes of manifests is depth 2).
pub const MAX_DEPTH: usize = 8;

/// The most descriptors one image may list in all (index entries, configs and layers; a
/// descriptor listed twice counts twice, a manifest's own list is walked once).
pub const MAX_DESCRIPTORS: usize = 10_000;

/// Shows untrusted text (a media type, a file name, a header field) inertly in a message:
/// control characters (C0, DEL, C1) and the line/paragraph separators escaped as `\u{..}`
/// (`\r`, `\n`, `\t` as such), invalid UTF-8 as `\xNN`; everything else unchanged.
pub fn escape_untrusted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Whether `media_type` follows RFC 6838's `type "/" subtype` grammar (the distribution spec's
/// media type rule): restricted-name characters only, no parameters, no whitespace.
pub fn is_media_type(media_type: &str) -> bool {
    let name = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    media_type
        .split_once('/')
        .is_some_and(|(t, sub)| name(t) && name(sub))
}

/// Whether hoist can push a manifest of this media type (the four a registry stores as
/// manifests; anything else would be refused at the manifest PUT, after the blob uploads).
pub fn is_manifest_type(media_type: &str) -> bool {
    matches!(
        media_type,
        OCI_INDEX | OCI_MANIFEST | DOCKER_LIST | DOCKER_MANIFEST
    )
}

/// A `sha256:<64 lowercase hex>` content digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses `sha256:<hex>`; other algorithms are refused (every registry speaks sha256).
    pub fn parse(s: &str) -> Result<Self, PlanError> {
        let bad = || PlanError::Digest(escape_untrusted(s.as_bytes()));
        let hex = s.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(bad())
        }
    }

    /// The digest of some bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self::from_sha256(&Sha256::digest(bytes))
    }

    /// The digest from a finished sha256.
    pub fn from_sha256(hash: &[u8]) -> Self {
        let mut s = String::with_capacity(71);
        s.push_str("sha256:");
        for b in hash {
            let _ = write!(s, "{b:02x}");
        }
        Self(s)
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The whole `sha256:<hex>` string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `sha256:` and the first 12 hex digits, for logs.
    pub fn short(&self) -> &str {
        &self.0[..19]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content descriptor (`mediaType`, `digest`, `size`), as found in `index.json` and manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// The media type (may be empty when the referrer did not say).
    pub media_type: String,
    /// The digest.
    pub digest: Digest,
    /// The size in bytes.
    pub size: u64,
}

impl Descriptor {
    /// Reads a descriptor object; `what` names it in errors.
    pub fn from_json(value: &Json, what: &str) -> Result<Self, PlanError> {
        let bad = |why: &str| PlanError::Descriptor(format!("{what}: {why}"));
        let digest = value
            .get("digest")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("no `digest`"))?;
        let size = value
            .get("size")
            .and_then(Json::as_u64)
            .ok_or_else(|| bad("no `size` (a non-negative integer)"))?;
        let media_type = value
            .get("mediaType")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        if !media_type.is_empty() && !is_media_type(&media_type) {
            return Err(bad(&format!(
                "`mediaType` `{}` is not a media type (`type/subtype`)",
                escape_untrusted(media_type.as_bytes())
            )));
        }
        Ok(Self {
            media_type,
            digest: Digest::parse(digest)?,
            size,
        })
    }
}

/// A manifest to push: exact bytes, addressed by digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Its digest (the sha256 of `bytes`).
    pub digest: Digest,
    /// Its media type: the `Content-Type` of the PUT.
    pub media_type: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// `os/arch[/variant]` when an index names it, for the preview.
    pub platform: Option<String>,
}

/// A blob to push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type, for the preview.
    pub media_type: String,
}

/// A validated image: what to upload, in which order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Manifests, children before parents; the root is the last one.
    pub manifests: Vec<Manifest>,
    /// Blobs (configs and layers), each once.
    pub blobs: Vec<Blob>,
}

impl Plan {
    /// The root manifest (an index or an image manifest): what tags point at.
    pub fn root(&self) -> &Manifest {
        // `build_plan` always pushes the root last and never returns an empty plan.
        &self.manifests[self.manifests.len() - 1]
    }

    /// The total size of the blobs.
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

/// A source that cannot become a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Not `sha256:<64 hex>`.
    #[error("unsupported or malformed digest `{0}` (only sha256 is supported)")]
    Digest(String),
    /// A descriptor lacks a field.
    #[error("bad descriptor: {0}")]
    Descriptor(String),
    /// The manifest could not be read from the source.
    #[error("manifest {digest}: {cause}")]
    Read {
        /// Which manifest.
        digest: Digest,
        /// Why.
        cause: String,
    },
    /// The bytes do not match the descriptor.
    #[error("manifest {digest} is corrupt: {cause}")]
    Corrupt {
        /// Which manifest.
        digest: Digest,
        /// What differs.
        cause: String,
    },
    /// Not JSON, or not a manifest or index.
    #[error("manifest {digest}: {cause}")]
    Invalid {
        /// Which manifest.
        digest: Digest,
        /// What is wrong.
        cause: String,
    },
    /// Two descriptors give one blob two sizes.
    #[error("blob {0} is referenced with two different sizes")]
    SizeConflict(Digest),
    /// Indexes nest too deep.
    #[error("{0}: indexes nest more than {MAX_DEPTH} levels deep")]
    TooDeep(String),
    /// The image lists too many descriptors.
    #[error("the image lists more than {MAX_DESCRIPTORS} descriptors (at {0})")]
    TooMany(String),
    /// A manifest of a kind no registry stores as a manifest.
    #[error(
        "{what}: manifest {digest} has media type `{media_type}`, which is not an image index or manifest\nhint: hoist pushes `{OCI_INDEX}`, `{OCI_MANIFEST}`, `{DOCKER_LIST}` and `{DOCKER_MANIFEST}`"
    )]
    MediaType {
        /// The descriptor that names it.
        what: String,
        /// Which manifest.
        digest: Digest,
        /// The media type, escaped.
        media_type: String,
    },
    /// The platform filter leaves nothing.
    #[error("no manifest in the index matches platforms {0}")]
    NoPlatform(String),
}

/// Whether a media type is an index (OCI or Docker).
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// `os/arch[/variant]` of an index entry.
fn platform_of(entry: &Json) -> Option<String> {
    let p = entry.get("platform")?;
    let os = p.get("os").and_then(Json::as_str)?;
    let arch = p.get("architecture").and_then(Json::as_str)?;
    Some(match p.get("variant").and_then(Json::as_str) {
        Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
        _ => format!("{os}/{arch}"),
    })
}

/// Whether `platform` (`os/arch[/variant]`) is selected by a filter entry; a filter without a
/// variant selects every variant.
fn platform_matches(filter: &str, platform: &str) -> bool {
    filter == platform
        || (filter.matches('/').count() == 1 && platform.starts_with(&format!("{filter}/")))
}

/// A buildx attestation manifest and the digest it attests.
fn attests(entry: &Json) -> Option<&str> {
    let ann = entry.get("annotations")?;
    if ann.get("vnd.docker.reference.type").and_then(Json::as_str) != Some("attestation-manifest") {
        return None;
    }
    ann.get("vnd.docker.reference.digest")
        .and_then(Json::as_str)
}

/// Narrows an index's `manifests` to `platforms`, keeping attestation manifests of the kept
/// images. Returns `None` when nothing is dropped (the source bytes stay as they are).
fn filter_index(
    index: &Json,
    platforms: &[String],
    digest: &Digest,
) -> Result<Option<Json>, PlanError> {
    let Some(entries) = index.get("manifests").and_then(Json::as_array) else {
        return Ok(None);
    };
    let selected: HashSet<&str> = entries
        .iter()
        .filter(|e| attests(e).is_none())
        .filter(|e| {
            platform_of(e).is_some_and(|p| platforms.iter().any(|f| platform_matches(f, &p)))
        })
        .filter_map(|e| e.get("digest").and_then(Json::as_str))
        .collect();
    if selected.is_empty() {
        return Err(PlanError::NoPlatform(platforms.join(",")));
    }
    let kept: Vec<Json> = entries
        .iter()
        .filter(|e| match attests(e) {
            Some(d) => selected.contains(d),
            None => e
                .get("digest")
                .and_then(Json::as_str)
                .is_some_and(|d| selected.contains(d)),
        })
        .cloned()
        .collect();
    if kept.len() == entries.len() {
        return Ok(None);
    }
    let mut narrowed = index.clone();
    match narrowed.as_object_mut() {
        Some(obj) => {
            obj.insert("manifests".into(), Json::Array(kept));
        }
        None => {
            return Err(PlanError::Invalid {
                digest: digest.clone(),
                cause: "not a JSON object".into(),
            });
        }
    }
    Ok(Some(narrowed))
}

struct Builder<'a> {
    read: &'a mut dyn FnMut(&Descriptor) -> Result<Vec<u8>, String>,
    platforms: &'a [String],
    manifests: Vec<Manifest>,
    seen: HashSet<Digest>,
    /// Each manifest walked once: source digest → (its size, the digest it was pushed as).
    visited: HashMap<Digest, (u64, Digest)>,
    /// Descriptors met so far, bounded by [`MAX_DESCRIPTORS`].
    descriptors: usize,
    blobs: BTreeMap<Digest, Blob>,
    blob_order: Vec<Digest>,
}

impl Builder<'_> {
    fn count(&mut self, n: usize, at: &dyn Fn() -> String) -> Result<(), PlanError> {
        self.descriptors = self.descriptors.saturating_add(n);
        if self.descriptors > MAX_DESCRIPTORS {
            return Err(PlanError::TooMany(at()));
        }
        Ok(())
    }

    fn add_blob(&mut self, d: Descriptor) -> Result<(), PlanError> {
        if let Some(b) = self.blobs.get(&d.digest) {
            return if b.size == d.size {
                Ok(())
            } else {
                Err(PlanError::SizeConflict(d.digest))
            };
        }
        self.blob_order.push(d.digest.clone());
        self.blobs.insert(
            d.digest.clone(),
            Blob {
                digest: d.digest,
                size: d.size,
                media_type: d.media_type,
            },
        );
        Ok(())
    }

    /// Walks the manifest `desc` (named `what` in errors) once: a digest met again (an index
    /// listing one child many times, nested) is answered from `visited`, never re-read.
    fn visit(
        &mut self,
        desc: &Descriptor,
        what: &str,
        platform: Option<String>,
        depth: usize,
    ) -> Result<Digest, PlanError> {
        if let Some((size, pushed)) = self.visited.get(&desc.digest) {
            if *size != desc.size {
                return Err(PlanError::Corrupt {
                    digest: desc.digest.clone(),
                    cause: format!("{what} gives it {} bytes, another {size}", desc.size),
                });
            }
            return Ok(pushed.clone());
        }
        if depth > MAX_DEPTH {
            return Err(PlanError::TooDeep(what.to_owned()));
        }
        let pushed = self.walk(desc, what, platform, depth)?;
        self.visited
            .insert(desc.digest.clone(), (desc.size, pushed.clone()));
        Ok(pushed)
    }

    fn walk(
        &mut self,
        desc: &Descriptor,
        what: &str,
        platform: Option<String>,
        depth: usize,
    ) -> Result<Digest, PlanError> {
        let digest = desc.digest.clone();
        if desc.size > MAX_MANIFEST_BYTES {
            return Err(PlanError::Invalid {
                digest,
                cause: format!(
                    "{} bytes is larger than the {MAX_MANIFEST_BYTES}-byte manifest limit",
                    desc.size
                ),
            });
        }
        let bytes = (self.read)(desc).map_err(|cause| PlanError::Read {
            digest: digest.clone(),
            cause,
        })?;
        if bytes.len() as u64 != desc.size {
            return Err(PlanError::Corrupt {
                digest,
                cause: format!("{} bytes, the descriptor says {}", bytes.len(), desc.size),
            });
        }
        let actual = Digest::of(&bytes);
        if actual != digest {
            return Err(PlanError::Corrupt {
                digest,
                cause: format!("its content hashes to {actual}"),
            });
        }
        let invalid = |cause: String| PlanError::Invalid {
            digest: digest.clone(),
            cause,
        };
        let json: Json =
            serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let media_type = json
            .get("mediaType")
            .and_then(Json::as_str)
            .map_or_else(|| desc.media_type.clone(), str::to_owned);
        let index_like = is_index(&media_type)
            || (media_type.is_empty() && json.get("manifests").is_some_and(Json::is_array));
        if !media_type.is_empty() && !is_manifest_type(&media_type) {
            return Err(PlanError::MediaType {
                what: what.to_owned(),
                digest,
                media_type: escape_untrusted(media_type.as_bytes()),
            });
        }
        if index_like {
            let media_type = if media_type.is_empty() {
                OCI_INDEX.to_owned()
            } else {
                media_type
            };
            let narrowed = if depth == 0 && !self.platforms.is_empty() {
                filter_index(&json, self.platforms, &digest)?
            } else {
                None
            };
            let json = narrowed.as_ref().unwrap_or(&json);
            let entries = json
                .get("manifests")
                .and_then(Json::as_array)
                .ok_or_else(|| invalid("an index without `manifests`".into()))?;
            self.count(entries.len(), &|| format!("index {digest}"))?;
            for (i, entry) in entries.iter().enumerate() {
                let what = format!("index {digest} manifests[{i}]");
                let child = Descriptor::from_json(entry, &what)?;
                self.visit(&child, &what, platform_of(entry), depth + 1)?;
            }
            let (bytes, digest) = match narrowed {
                Some(n) => {
                    let b = serde_json::to_vec(&n).map_err(|e| invalid(e.to_string()))?;
                    let d = Digest::of(&b);
                    (b, d)
                }
                None => (bytes, digest),
            };
            if self.seen.insert(digest.clone()) {
                self.manifests.push(Manifest {
                    digest: digest.clone(),
                    media_type,
                    bytes,
                    platform,
                });
            }
            return Ok(digest);
        }
        let Some(config) = json.get("config") else {
            return Err(invalid(format!(
                "media type `{media_type}` is neither an index nor an image manifest"
            )));
        };
        let media_type = if media_type.is_empty() {
            OCI_MANIFEST.to_owned()
        } else {
            media_type
        };
        self.count(1, &|| format!("manifest {digest}"))?;
        self.add_blob(Descriptor::from_json(config, &format!("{digest} config"))?)?;
        if let Some(layers) = json.get("layers") {
            let layers = layers
                .as_array()
                .ok_or_else(|| invalid("`layers` is not a list".into()))?;
            self.count(layers.len(), &|| format!("manifest {digest}"))?;
            for (i, layer) in layers.iter().enumerate() {
                let d = Descriptor::from_json(layer, &format!("{digest} layers[{i}]"))?;
                // Foreign layers live elsewhere (`urls`); registries do not expect them.
                let foreign = layer.get("urls").is_some()
                    && (d.media_type.contains("nondistributable")
                        || d.media_type.contains("foreign"));
                if !foreign {
                    self.add_blob(d)?;
                }
            }
        }
        if self.seen.insert(digest.clone()) {
            self.manifests.push(Manifest {
                digest: digest.clone(),
                media_type,
                bytes,
                platform,
            });
        }
        Ok(digest)
    }
}

/// Builds and validates the plan of the image at `root`: reads every manifest through `read`,
/// checks sizes and digests, walks indexes (narrowed to `platforms` when given, attestation
/// manifests kept with their images), and lists every blob once.
pub fn build_plan(
    root: &Descriptor,
    read: &mut dyn FnMut(&Descriptor) -> Result<Vec<u8>, String>,
    platforms: &[String],
) -> Result<Plan, PlanError> {
    let mut b = Builder {
        read,
        platforms,
        manifests: Vec::new(),
        seen: HashSet::new(),
        visited: HashMap::new(),
        descriptors: 0,
        blobs: BTreeMap::new(),
        blob_order: Vec::new(),
    };
    b.visit(root, "the image", None, 0)?;
    let Builder {
        manifests,
        mut blobs,
        blob_order,
        ..
    } = b;
    let blobs = blob_order.iter().filter_map(|d| blobs.remove(d)).collect();
    Ok(Plan { manifests, blobs })
}

/// An async byte stream of one blob.
pub type BlobStream = std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>;

/// Opens blobs for upload: each call gives a fresh stream from the start (a retried upload
/// starts over). Defined with the plan: `source` implements it, `registry` consumes it.
pub trait BlobReader: Send + Sync {
    /// A stream of the blob's bytes.
    ///
    /// # Errors
    /// The blob cannot be opened.
    fn open_blob(&self, digest: &Digest) -> std::io::Result<BlobStream>;

    /// Verifies a blob's content against its digest (streamed sha256), in a pass of its own:
    /// for `push: false` (uploads verify as they stream, see `registry::verify`).
    ///
    /// # Errors
    /// The content does not match its digest, or cannot be read.
    fn verify_blob(&self, blob: &Blob) -> Result<(), VerifyError>;

    /// Where the blob is read from (a file, a span of an archive), for messages; `None` when
    /// the reader cannot say.
    fn blob_origin(&self, _digest: &Digest) -> Option<String> {
        None
    }
}

/// A source blob that does not match its digest or cannot be read (the reader's words).
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(pub String);

/// Why a [`Fetch`] call failed, after its retries (the registry's own words, inert).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Pulls one repository's manifests and blobs: `source` walks an image graph through it, the
/// registry's endpoint implements it (with its retries), so neither knows the other.
pub trait Fetch: Sync {
    /// The registry host, for messages.
    fn host(&self) -> &str;

    /// The exact bytes of the manifest at `reference` (a tag or a digest), and the response's
    /// media type.
    fn fetch_manifest(
        &self,
        reference: &str,
    ) -> impl std::future::Future<Output = Result<(Vec<u8>, Option<String>), FetchError>> + Send;

    /// Streams blob `digest` (declared `size` bytes) into `dest`, verified; returns its length.
    fn fetch_blob(
        &self,
        digest: &Digest,
        size: u64,
        dest: &std::path::Path,
    ) -> impl std::future::Future<Output = Result<u64, FetchError>> + Send;
}

/// A manifest read by tag: its exact bytes and the response's media type.
pub type TaggedManifest = (Vec<u8>, Option<String>);

/// Finds what refers to a manifest at a source registry (the referrers API and tags):
/// `source::referrers` walks through it, the registry's endpoint implements it.
pub trait ReferrerFetch: Fetch {
    /// The referrers API's index for `digest` (`GET /v2/<name>/referrers/<digest>`); `None`
    /// when the registry does not serve the API (404).
    fn fetch_referrers(
        &self,
        digest: &Digest,
    ) -> impl std::future::Future<Output = Result<Option<Vec<u8>>, FetchError>> + Send;

    /// The manifest at `tag` and its media type; `None` when the tag does not exist.
    fn fetch_tag(
        &self,
        tag: &str,
    ) -> impl std::future::Future<Output = Result<Option<TaggedManifest>, FetchError>> + Send;
}

/// How a referrer was found at the source, and so how it is written at a destination.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferrerKind {
    /// A manifest whose `subject` is another manifest (the referrers API or the fallback tag
    /// index `sha256-<hex>`).
    Subject,
    /// A cosign-style tag (`sha256-<hex>.sig`, `.att`, `.sbom`).
    Tag,
}

/// One referrer to copy: its manifest (exact bytes), what it refers to and how it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referrer {
    /// The manifest (pushed by digest).
    pub manifest: Manifest,
    /// The manifest it refers to.
    pub subject: Digest,
    /// How it was found.
    pub kind: ReferrerKind,
    /// The cosign tag (`sha256-<hex>.sig`) for [`ReferrerKind::Tag`].
    pub tag: Option<String>,
    /// Its `artifactType` (or its config's media type), for the plan and the report.
    pub artifact_type: Option<String>,
    /// The descriptor listed in a fallback tag index (the source's entry, kept as read).
    pub descriptor: Option<serde_json::Value>,
}

/// The referrers of a plan, with the blobs they need: copied after their subject's content and
/// before the tags move. Ordered so that a referrer comes after what it refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferrerSet {
    /// The referrers, subjects first.
    pub referrers: Vec<Referrer>,
    /// Their blobs (configs and layers), each once, none of them already in the image's plan.
    pub blobs: Vec<Blob>,
}

impl ReferrerSet {
    /// The plan's content with the referrers' blobs added (the manifests stay the image's).
    #[must_use]
    pub fn extend(&self, plan: &Plan) -> Plan {
        let mut out = plan.clone();
        for b in &self.blobs {
            if !out.blobs.iter().any(|x| x.digest == b.digest) {
                out.blobs.push(b.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn desc(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
        }
    }

    fn manifest(config: &[u8], layers: &[&[u8]]) -> Vec<u8> {
        let d = |b: &[u8], mt: &str| serde_json::json!({"mediaType": mt, "digest": Digest::of(b).to_string(), "size": b.len()});
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": d(config, "application/vnd.oci.image.config.v1+json"),
            "layers": layers.iter().map(|l| d(l, "application/vnd.oci.image.layer.v1.tar+gzip")).collect::<Vec<_>>(),
        }))
        .expect("serialises")
    }

    fn index(entries: &[(Vec<u8>, &str, Option<&str>)]) -> Vec<u8> {
        let manifests: Vec<Json> = entries
            .iter()
            .map(|(b, platform, attests)| {
                let (os, arch) = platform.split_once('/').expect("os/arch");
                let mut e = serde_json::json!({
                    "mediaType": OCI_MANIFEST,
                    "digest": Digest::of(b).to_string(),
                    "size": b.len(),
                    "platform": {"os": os, "architecture": arch},
                });
                if let Some(d) = attests {
                    e["annotations"] = serde_json::json!({
                        "vnd.docker.reference.type": "attestation-manifest",
                        "vnd.docker.reference.digest": d,
                    });
                }
                e
            })
            .collect();
        serde_json::to_vec(
            &serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
        )
        .expect("serialises")
    }

    fn store(items: &[&[u8]]) -> HashMap<Digest, Vec<u8>> {
        items.iter().map(|b| (Digest::of(b), b.to_vec())).collect()
    }

    fn reader(
        s: &HashMap<Digest, Vec<u8>>,
    ) -> impl FnMut(&Descriptor) -> Result<Vec<u8>, String> + '_ {
        |d| {
            s.get(&d.digest)
                .cloned()
                .ok_or_else(|| "missing".to_owned())
        }
    }

    #[test]
    fn single_manifest_lists_config_then_layers_once() {
        let m = manifest(b"cfg", &[b"l1", b"l2", b"l1"]);
        let s = store(&[&m]);
        let plan = build_plan(&desc(OCI_MANIFEST, &m), &mut reader(&s), &[]).expect("plan");
        assert_eq!(plan.manifests.len(), 1);
        assert_eq!(plan.root().bytes, m);
        let blobs: Vec<_> = plan.blobs.iter().map(|b| b.digest.clone()).collect();
        assert_eq!(
            blobs,
            vec![Digest::of(b"cfg"), Digest::of(b"l1"), Digest::of(b"l2")]
        );
        assert_eq!(plan.blob_bytes(), 7);
    }

    #[test]
    fn index_children_come_before_the_index_and_attestations_are_kept() {
        let amd = manifest(b"c1", &[b"a"]);
        let arm = manifest(b"c2", &[b"b"]);
        let att = manifest(b"c3", &[b"att"]);
        let amd_digest = Digest::of(&amd).to_string();
        let idx = index(&[
            (amd.clone(), "linux/amd64", None),
            (arm.clone(), "linux/arm64", None),
            (att.clone(), "unknown/unknown", Some(&amd_digest)),
        ]);
        let s = store(&[&amd, &arm, &att, &idx]);
        let plan = build_plan(&desc(OCI_INDEX, &idx), &mut reader(&s), &[]).expect("plan");
        let order: Vec<_> = plan.manifests.iter().map(|m| m.digest.clone()).collect();
        assert_eq!(
            order,
            vec![
                Digest::of(&amd),
                Digest::of(&arm),
                Digest::of(&att),
                Digest::of(&idx)
            ]
        );
        assert_eq!(plan.root().bytes, idx, "source bytes, never re-serialised");
        assert_eq!(plan.blobs.len(), 6);
    }

    #[test]
    fn platform_filter_narrows_the_index_and_keeps_its_attestation() {
        let amd = manifest(b"c1", &[b"a"]);
        let arm = manifest(b"c2", &[b"b"]);
        let att = manifest(b"c3", &[b"att"]);
        let amd_digest = Digest::of(&amd).to_string();
        let idx = index(&[
            (amd.clone(), "linux/amd64", None),
            (arm.clone(), "linux/arm64", None),
            (att.clone(), "unknown/unknown", Some(&amd_digest)),
        ]);
        let s = store(&[&amd, &arm, &att, &idx]);
        let plan = build_plan(
            &desc(OCI_INDEX, &idx),
            &mut reader(&s),
            &["linux/amd64".into()],
        )
        .expect("plan");
        let order: Vec<_> = plan.manifests.iter().map(|m| m.digest.clone()).collect();
        assert_eq!(order[..2], [Digest::of(&amd), Digest::of(&att)]);
        assert_ne!(plan.root().digest, Digest::of(&idx));
        assert_eq!(plan.root().digest, Digest::of(&plan.root().bytes));
        let err = build_plan(
            &desc(OCI_INDEX, &idx),
            &mut reader(&s),
            &["windows/amd64".into()],
        )
        .expect_err("must fail");
        assert!(err.to_string().contains("windows/amd64"), "{err}");
    }

    #[test]
    fn corrupt_manifest_is_refused() {
        let m = manifest(b"cfg", &[b"l1"]);
        let mut tampered = m.clone();
        tampered[10] ^= 1;
        let d = desc(OCI_MANIFEST, &m);
        let mut read = |_: &Descriptor| Ok(tampered.clone());
        let err = build_plan(&d, &mut read, &[]).expect_err("must fail");
        assert!(matches!(err, PlanError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn missing_manifest_names_the_digest() {
        let m = manifest(b"cfg", &[b"l1"]);
        let mut read = |_: &Descriptor| Err("no such file".to_owned());
        let err = build_plan(&desc(OCI_MANIFEST, &m), &mut read, &[]).expect_err("must fail");
        assert!(err.to_string().contains(Digest::of(&m).as_str()));
    }

    #[test]
    fn digests_must_be_sha256_hex() {
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse(&format!("sha512:{}", "a".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }
    /// An index listing `child` `n` times.
    fn repeat_index(child: &[u8], n: usize) -> Vec<u8> {
        let entry = serde_json::json!({"mediaType": OCI_INDEX, "digest": Digest::of(child).to_string(), "size": child.len()});
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": vec![entry; n]}))
            .expect("serialises")
    }

    #[test]
    fn an_index_bomb_reads_each_manifest_once() {
        // 4 nested indexes of 100 identical entries: 100^4 paths, 5 distinct manifests.
        let leaf = manifest(b"cfg", &[b"l1"]);
        let mut leaf_entry =
            serde_json::from_slice::<Json>(&repeat_index(&leaf, 100)).expect("json");
        for e in leaf_entry["manifests"].as_array_mut().expect("list") {
            e["mediaType"] = OCI_MANIFEST.into();
        }
        let mut level = serde_json::to_vec(&leaf_entry).expect("serialises");
        let mut items = vec![leaf.clone(), level.clone()];
        for _ in 0..3 {
            level = repeat_index(&level, 100);
            items.push(level.clone());
        }
        let s: HashMap<Digest, Vec<u8>> =
            items.iter().map(|b| (Digest::of(b), b.clone())).collect();
        let mut reads: HashMap<Digest, usize> = HashMap::new();
        let mut read = |d: &Descriptor| {
            *reads.entry(d.digest.clone()).or_default() += 1;
            s.get(&d.digest)
                .cloned()
                .ok_or_else(|| "missing".to_owned())
        };
        let plan = build_plan(&desc(OCI_INDEX, &level), &mut read, &[]).expect("plan");
        assert_eq!(plan.manifests.len(), 5);
        assert_eq!(plan.blobs.len(), 2);
        assert_eq!(reads.len(), 5);
        assert!(reads.values().all(|&n| n == 1), "{reads:?}");
    }

    #[test]
    fn nesting_and_descriptor_counts_are_bounded() {
        let mut level = manifest(b"cfg", &[b"l1"]);
        let mut items = vec![level.clone()];
        let mut first = true;
        for _ in 0..=MAX_DEPTH {
            let mut idx = serde_json::from_slice::<Json>(&repeat_index(&level, 1)).expect("json");
            if first {
                idx["manifests"][0]["mediaType"] = OCI_MANIFEST.into();
                first = false;
            }
            level = serde_json::to_vec(&idx).expect("serialises");
            items.push(level.clone());
        }
        let s: HashMap<Digest, Vec<u8>> =
            items.iter().map(|b| (Digest::of(b), b.clone())).collect();
        let err = build_plan(&desc(OCI_INDEX, &level), &mut reader(&s), &[]).expect_err("too deep");
        assert!(matches!(err, PlanError::TooDeep(_)), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("more than {MAX_DEPTH} levels")),
            "{err}"
        );

        let layers: Vec<Vec<u8>> = (0..=MAX_DESCRIPTORS)
            .map(|i| i.to_string().into_bytes())
            .collect();
        let refs: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
        let big = manifest(b"cfg", &refs);
        let s = store(&[&big]);
        let err =
            build_plan(&desc(OCI_MANIFEST, &big), &mut reader(&s), &[]).expect_err("too many");
        assert!(matches!(err, PlanError::TooMany(_)), "{err}");
        assert!(
            err.to_string().contains(&Digest::of(&big).to_string()),
            "{err}"
        );
    }

    #[test]
    fn unknown_or_crlf_media_types_fail_in_planning() {
        let m = manifest(b"cfg", &[b"l1"]);
        let mut json: Json = serde_json::from_slice(&m).expect("json");
        json["mediaType"] = "application/vnd.example.thing+json".into();
        let odd = serde_json::to_vec(&json).expect("serialises");
        let idx = index(&[(odd.clone(), "linux/amd64", None)]);
        let s = store(&[&odd, &idx]);
        let err = build_plan(&desc(OCI_INDEX, &idx), &mut reader(&s), &[]).expect_err("unknown");
        let msg = err.to_string();
        assert!(
            msg.contains("manifests[0]") && msg.contains(&Digest::of(&odd).to_string()),
            "{msg}"
        );
        assert!(
            msg.contains("`application/vnd.example.thing+json`"),
            "{msg}"
        );

        json["mediaType"] = format!("{OCI_MANIFEST}\r\nX-Evil: 1").into();
        let crlf = serde_json::to_vec(&json).expect("serialises");
        let s = store(&[&crlf]);
        let err = build_plan(&desc("", &crlf), &mut reader(&s), &[]).expect_err("crlf");
        let msg = err.to_string();
        assert!(!msg.contains('\r') && msg.contains("\\r\\nX-Evil"), "{msg}");

        let bad = format!(
            r#"{{"mediaType":"a/b\r\n","digest":"{}","size":1}}"#,
            Digest::of(b"x")
        );
        let err = Descriptor::from_json(&serde_json::from_str(&bad).expect("json"), "index.json")
            .expect_err("grammar");
        assert!(
            err.to_string()
                .contains("index.json: `mediaType` `a/b\\r\\n`"),
            "{err}"
        );
        assert!(is_media_type("application/vnd.oci.image.layer.v1.tar+gzip"));
        assert!(!is_media_type("text/plain; charset=utf-8"));
        assert!(!is_media_type("/x") && !is_media_type("x/"));
    }

    #[test]
    fn one_digest_with_two_sizes_is_corrupt() {
        let leaf = manifest(b"cfg", &[b"l1"]);
        let d = Digest::of(&leaf).to_string();
        let idx = serde_json::to_vec(&serde_json::json!({"mediaType": OCI_INDEX, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": d, "size": leaf.len()},
            {"mediaType": OCI_MANIFEST, "digest": d, "size": leaf.len() + 1},
        ]}))
        .expect("serialises");
        let s = store(&[&leaf, &idx]);
        let err = build_plan(&desc(OCI_INDEX, &idx), &mut reader(&s), &[]).expect_err("sizes");
        assert!(matches!(err, PlanError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn untrusted_text_is_escaped() {
        assert_eq!(escape_untrusted(b"ok/name"), "ok/name");
        assert_eq!(escape_untrusted(b"a\x1b[31mb\rc\n"), "a\\u{1b}[31mb\\rc\\n");
        assert_eq!(escape_untrusted(b"\xff\xfeok"), "\\xff\\xfeok");
        assert_eq!(escape_untrusted("\u{85}é".as_bytes()), "\\u{85}é");
    }
}
