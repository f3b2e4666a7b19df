//! Referrer discovery at a `docker://` source: for each manifest of the plan, the manifests that
//! refer to it (the referrers API, else the fallback tag index `sha256-<hex>`) and the
//! cosign-style tags `sha256-<hex>.sig` / `.att` / `.sbom`; then, recursively up to
//! [`MAX_DEPTH`] levels, what refers to those (a signature of an SBOM). Each referrer manifest is
//! checked against its digest and spooled with its blobs into the image, so the push reads them
//! like the image's own content. Talks to the registry only through [`ReferrerFetch`].

use std::collections::HashSet;

use serde_json::Value as Json;

use super::{Extent, LocalImage, SourceError, io_error};
use crate::plan::{
    self, Blob, Descriptor, Digest, Manifest, Plan, Referrer, ReferrerFetch, ReferrerKind,
    ReferrerSet,
};

/// How deep referrers of referrers are followed (image ← SBOM ← signature is 2).
pub const MAX_DEPTH: usize = 4;

/// The most referrers copied for one image.
pub const MAX_REFERRERS: usize = 256;

/// The cosign tag suffixes.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

fn err(what: &str, cause: impl std::fmt::Display) -> SourceError {
    SourceError::Layout(format!("referrers: {what}: {cause}"))
}

/// The descriptors listed in an index (the referrers API answer or a fallback tag index).
fn index_entries(bytes: &[u8], what: &str) -> Result<Vec<Json>, SourceError> {
    let json: Json = serde_json::from_slice(bytes).map_err(|e| err(what, e))?;
    Ok(json
        .get("manifests")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Finds the referrers of every manifest of `plan` at the source, spools them and their blobs
/// into `image`, and returns them subjects first.
///
/// # Errors
/// The registry fails, a referrer does not match its digest, is not a manifest, or the walk
/// passes its bounds.
pub async fn discover(
    fetch: &impl ReferrerFetch,
    plan: &Plan,
    image: &mut LocalImage,
) -> Result<ReferrerSet, SourceError> {
    let mut set = ReferrerSet::default();
    let mut seen: HashSet<Digest> = plan.manifests.iter().map(|m| m.digest.clone()).collect();
    let mut blob_seen: HashSet<Digest> = plan.blobs.iter().map(|b| b.digest.clone()).collect();
    let mut subjects: Vec<Digest> = plan.manifests.iter().map(|m| m.digest.clone()).collect();
    for _ in 0..MAX_DEPTH {
        if subjects.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for subject in subjects {
            for r in referrers_of(fetch, &subject, &mut seen).await? {
                if set.referrers.len() >= MAX_REFERRERS {
                    return Err(err(
                        fetch.host(),
                        format!("more than {MAX_REFERRERS} referrers"),
                    ));
                }
                spool_referrer(fetch, &r.manifest, image, &mut blob_seen, &mut set.blobs).await?;
                next.push(r.manifest.digest.clone());
                set.referrers.push(r);
            }
        }
        subjects = next;
    }
    Ok(set)
}

/// The referrers in an OCI layout directory: the manifests `index.json` lists whose `subject`
/// is a manifest of `plan` (or, recursively up to [`MAX_DEPTH`] levels, another referrer found
/// so). Their manifests and blobs are read from the layout like the image's.
///
/// # Errors
/// `index.json` is unreadable, a referrer is not a manifest, does not match its digest, or lacks
/// a blob.
pub fn discover_in_layout(
    dir: &std::path::Path,
    plan: &Plan,
    image: &LocalImage,
) -> Result<ReferrerSet, SourceError> {
    let index_path = dir.join("index.json");
    let index = super::read_metadata_file(&index_path, super::MAX_INDEX_BYTES)?;
    let origin = dir.display().to_string();
    let mut candidates = Vec::new();
    for (i, entry) in index_entries(&index, &origin)?.into_iter().enumerate() {
        let d = Descriptor::from_json(&entry, &format!("{origin}: index.json manifests[{i}]"))?;
        if plan.manifests.iter().any(|m| m.digest == d.digest) {
            continue;
        }
        candidates.push(d);
    }
    let mut set = ReferrerSet::default();
    let mut subjects: HashSet<Digest> = plan.manifests.iter().map(|m| m.digest.clone()).collect();
    let mut blob_seen: HashSet<Digest> = plan.blobs.iter().map(|b| b.digest.clone()).collect();
    let mut taken: HashSet<Digest> = HashSet::new();
    for _ in 0..MAX_DEPTH {
        let mut found = Vec::new();
        for d in &candidates {
            if taken.contains(&d.digest) || !plan::is_manifest_type(&d.media_type) {
                continue;
            }
            let what = format!("{origin}: manifest {}", d.digest);
            let bytes = image.read_manifest(d).map_err(|e| err(&what, e))?;
            if Digest::of(&bytes) != d.digest || bytes.len() as u64 != d.size {
                return Err(err(&what, "the file does not match its descriptor"));
            }
            let json: Json = serde_json::from_slice(&bytes).map_err(|e| err(&what, e))?;
            let Some(subject) = json
                .get("subject")
                .and_then(|s| s.get("digest"))
                .and_then(Json::as_str)
                .and_then(|s| Digest::parse(s).ok())
                .filter(|s| subjects.contains(s))
            else {
                continue;
            };
            if json.get("manifests").is_some() {
                return Err(err(
                    &what,
                    "a referrer that is an index is not supported yet",
                ));
            }
            let config = json.get("config").into_iter();
            let layers = json.get("layers").and_then(Json::as_array);
            for (i, b) in config.chain(layers.into_iter().flatten()).enumerate() {
                if b.get("urls").is_some() {
                    continue;
                }
                let b = Descriptor::from_json(b, &format!("{what} blob {i}"))?;
                let blob = Blob {
                    digest: b.digest,
                    size: b.size,
                    media_type: b.media_type,
                };
                image.check_blob(&blob)?;
                if blob_seen.insert(blob.digest.clone()) {
                    set.blobs.push(blob);
                }
            }
            taken.insert(d.digest.clone());
            found.push(Referrer {
                artifact_type: artifact_type(&bytes),
                manifest: Manifest {
                    digest: d.digest.clone(),
                    media_type: d.media_type.clone(),
                    bytes,
                    platform: None,
                },
                subject,
                kind: ReferrerKind::Subject,
                tag: None,
                descriptor: None,
            });
        }
        if found.is_empty() {
            break;
        }
        subjects.extend(found.iter().map(|r| r.manifest.digest.clone()));
        set.referrers.extend(found);
        if set.referrers.len() > MAX_REFERRERS {
            return Err(err(&origin, format!("more than {MAX_REFERRERS} referrers")));
        }
    }
    Ok(set)
}

/// The referrers of one subject not seen yet (manifests fetched and checked).
async fn referrers_of(
    fetch: &impl ReferrerFetch,
    subject: &Digest,
    seen: &mut HashSet<Digest>,
) -> Result<Vec<Referrer>, SourceError> {
    let host = fetch.host().to_owned();
    let mut out = Vec::new();
    let fallback = format!("sha256-{}", subject.hex());
    let listed = match fetch
        .fetch_referrers(subject)
        .await
        .map_err(|f| err(&format!("{host} referrers of {subject}"), f))?
    {
        Some(bytes) => Some(bytes),
        None => fetch
            .fetch_tag(&fallback)
            .await
            .map_err(|f| err(&format!("{host} tag `{fallback}`"), f))?
            .map(|(b, _)| b),
    };
    if let Some(bytes) = listed {
        let what = format!("{host} referrers of {subject}");
        for (i, entry) in index_entries(&bytes, &what)?.into_iter().enumerate() {
            let d = Descriptor::from_json(&entry, &format!("{what} manifests[{i}]"))?;
            if !seen.insert(d.digest.clone()) {
                continue;
            }
            let manifest = fetch_manifest(fetch, &d, &what).await?;
            out.push(Referrer {
                artifact_type: artifact_type(&manifest.bytes).or_else(|| {
                    entry
                        .get("artifactType")
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                }),
                manifest,
                subject: subject.clone(),
                kind: ReferrerKind::Subject,
                tag: None,
                descriptor: Some(entry),
            });
        }
    }
    for suffix in COSIGN_SUFFIXES {
        let tag = format!("{fallback}.{suffix}");
        let Some((bytes, content_type)) = fetch
            .fetch_tag(&tag)
            .await
            .map_err(|f| err(&format!("{host} tag `{tag}`"), f))?
        else {
            continue;
        };
        let digest = Digest::of(&bytes);
        let media_type = media_type(&bytes).or(content_type).unwrap_or_default();
        if !plan::is_manifest_type(&media_type) {
            return Err(err(
                &format!("{host} tag `{tag}`"),
                format!(
                    "`{}` is not a manifest type",
                    plan::escape_untrusted(media_type.as_bytes())
                ),
            ));
        }
        seen.insert(digest.clone());
        out.push(Referrer {
            artifact_type: artifact_type(&bytes),
            manifest: Manifest {
                digest,
                media_type,
                bytes,
                platform: None,
            },
            subject: subject.clone(),
            kind: ReferrerKind::Tag,
            tag: Some(tag),
            descriptor: None,
        });
    }
    Ok(out)
}

fn media_type(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<Json>(bytes)
        .ok()?
        .get("mediaType")?
        .as_str()
        .map(str::to_owned)
}

/// The manifest's `artifactType`, else its config's media type.
fn artifact_type(bytes: &[u8]) -> Option<String> {
    let json: Json = serde_json::from_slice(bytes).ok()?;
    json.get("artifactType")
        .or_else(|| json.get("config").and_then(|c| c.get("mediaType")))
        .and_then(Json::as_str)
        .map(str::to_owned)
}

/// Fetches a listed referrer manifest by digest and checks it against its descriptor.
async fn fetch_manifest(
    fetch: &impl ReferrerFetch,
    d: &Descriptor,
    what: &str,
) -> Result<Manifest, SourceError> {
    if d.size > plan::MAX_MANIFEST_BYTES {
        return Err(err(
            what,
            format!(
                "manifest {} declares {} bytes, over the limit",
                d.digest, d.size
            ),
        ));
    }
    let (bytes, _) = fetch
        .fetch_manifest(d.digest.as_str())
        .await
        .map_err(|f| err(&format!("{what} {}", d.digest), f))?;
    if Digest::of(&bytes) != d.digest || bytes.len() as u64 != d.size {
        return Err(err(
            what,
            format!(
                "the registry returned other bytes for manifest {}",
                d.digest
            ),
        ));
    }
    if !plan::is_manifest_type(&d.media_type) {
        return Err(err(
            what,
            format!(
                "`{}` is not a manifest type",
                plan::escape_untrusted(d.media_type.as_bytes())
            ),
        ));
    }
    Ok(Manifest {
        digest: d.digest.clone(),
        media_type: d.media_type.clone(),
        bytes,
        platform: None,
    })
}

/// Writes a referrer manifest into the image's spool and downloads the blobs it lists that the
/// image does not hold yet. A referrer that is an index is refused (its children are not walked).
async fn spool_referrer(
    fetch: &impl ReferrerFetch,
    m: &Manifest,
    image: &mut LocalImage,
    blob_seen: &mut HashSet<Digest>,
    blobs: &mut Vec<Blob>,
) -> Result<(), SourceError> {
    let what = format!("{} referrer {}", fetch.host(), m.digest);
    // The spool the pull made (named `_spool` there: it is kept for its drop).
    #[allow(clippy::used_underscore_binding)]
    let Some(spool) = image._spool.as_ref().map(|s| s.path().to_owned()) else {
        return Err(err(&what, "the image has no spool"));
    };
    let json: Json = serde_json::from_slice(&m.bytes).map_err(|e| err(&what, e))?;
    if plan::is_index(&m.media_type) || json.get("manifests").is_some() {
        return Err(err(
            &what,
            "a referrer that is an index is not supported yet",
        ));
    }
    let config = json.get("config").into_iter();
    let layers = json.get("layers").and_then(Json::as_array);
    for (i, b) in config.chain(layers.into_iter().flatten()).enumerate() {
        if b.get("urls").is_some() {
            continue;
        }
        let d = Descriptor::from_json(b, &format!("{what} blob {i}"))?;
        if !blob_seen.insert(d.digest.clone()) {
            continue;
        }
        let path = spool.join(d.digest.hex());
        let len = fetch
            .fetch_blob(&d.digest, d.size, &path)
            .await
            .map_err(|f| err(&format!("{what} blob {}", d.digest), f))?;
        image.extents.insert(
            d.digest.clone(),
            Extent {
                path,
                offset: 0,
                len,
            },
        );
        blobs.push(Blob {
            digest: d.digest,
            size: d.size,
            media_type: d.media_type,
        });
    }
    let path = spool.join(m.digest.hex());
    std::fs::write(&path, &m.bytes).map_err(|e| io_error(&path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Fetch, FetchError, TaggedManifest};
    use std::collections::HashMap;

    /// A source registry in memory: manifests by digest or tag, the referrers API (when
    /// `api`), blobs by digest.
    #[derive(Default)]
    struct Fake {
        api: bool,
        manifests: HashMap<String, Vec<u8>>,
        blobs: HashMap<Digest, Vec<u8>>,
        referrers: HashMap<Digest, Vec<Json>>,
    }

    impl Fetch for Fake {
        fn host(&self) -> &'static str {
            "fake"
        }
        async fn fetch_manifest(
            &self,
            reference: &str,
        ) -> Result<(Vec<u8>, Option<String>), FetchError> {
            self.manifests
                .get(reference)
                .map(|b| (b.clone(), None))
                .ok_or_else(|| FetchError(format!("{reference} not found")))
        }
        async fn fetch_blob(
            &self,
            digest: &Digest,
            _size: u64,
            dest: &std::path::Path,
        ) -> Result<u64, FetchError> {
            let b = self
                .blobs
                .get(digest)
                .ok_or_else(|| FetchError("no blob".into()))?;
            std::fs::write(dest, b).unwrap();
            Ok(b.len() as u64)
        }
    }

    impl ReferrerFetch for Fake {
        async fn fetch_referrers(&self, digest: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
            Ok(self.api.then(|| {
                let list = self.referrers.get(digest).cloned().unwrap_or_default();
                serde_json::to_vec(&serde_json::json!({"manifests": list})).unwrap()
            }))
        }
        async fn fetch_tag(&self, tag: &str) -> Result<Option<TaggedManifest>, FetchError> {
            if let Some(b) = self.manifests.get(tag) {
                return Ok(Some((b.clone(), None)));
            }
            // Without the API, the fallback tag index.
            let Some(hex) = tag.strip_prefix("sha256-").filter(|h| h.len() == 64) else {
                return Ok(None);
            };
            let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
            Ok((!self.api)
                .then(|| self.referrers.get(&d))
                .flatten()
                .map(|list| {
                    (
                        serde_json::to_vec(&serde_json::json!({"manifests": list})).unwrap(),
                        None,
                    )
                }))
        }
    }

    const MT: &str = "application/vnd.oci.image.manifest.v1+json";

    impl Fake {
        fn blob(&mut self, bytes: &[u8]) -> Json {
            let d = Digest::of(bytes);
            self.blobs.insert(d.clone(), bytes.to_vec());
            serde_json::json!({"mediaType": "application/octet-stream", "digest": d.as_str(), "size": bytes.len()})
        }
        /// An artifact referring to `subject`, listed for it; returns its digest.
        fn refer(&mut self, subject: &Digest, layer: &[u8]) -> Digest {
            let config = self.blob(b"{}");
            let l = self.blob(layer);
            let bytes = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2, "mediaType": MT, "artifactType": "application/x",
                "config": config, "layers": [l],
                "subject": {"mediaType": MT, "digest": subject.as_str(), "size": 1},
            }))
            .unwrap();
            let d = Digest::of(&bytes);
            self.referrers.entry(subject.clone()).or_default().push(
                serde_json::json!({"mediaType": MT, "digest": d.as_str(), "size": bytes.len(), "artifactType": "application/x"}),
            );
            self.manifests.insert(d.to_string(), bytes);
            d
        }
    }

    fn image() -> (Plan, LocalImage, tempfile::TempDir) {
        let bytes = br#"{"schemaVersion":2}"#.to_vec();
        let m = Manifest {
            digest: Digest::of(&bytes),
            media_type: MT.into(),
            bytes: bytes.clone(),
            platform: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let spool = tempfile::tempdir_in(dir.path()).unwrap();
        let img = LocalImage {
            root: Descriptor {
                media_type: MT.into(),
                digest: m.digest.clone(),
                size: bytes.len() as u64,
            },
            extents: HashMap::new(),
            _spool: Some(spool),
        };
        let plan = Plan {
            manifests: vec![m],
            blobs: Vec::new(),
        };
        (plan, img, dir)
    }

    fn run(fake: &Fake, plan: &Plan, img: &mut LocalImage) -> Result<ReferrerSet, SourceError> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(discover(fake, plan, img))
    }

    #[test]
    fn referrers_cosign_tags_and_referrers_of_referrers_are_found_in_order() {
        for api in [true, false] {
            let (plan, mut img, _dir) = image();
            let root = plan.root().digest.clone();
            let mut fake = Fake {
                api,
                ..Fake::default()
            };
            let sbom = fake.refer(&root, b"sbom");
            let sig_of_sbom = fake.refer(&sbom, b"sig");
            let cosign = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;
            fake.manifests
                .insert(format!("sha256-{}.sig", root.hex()), cosign.to_vec());
            let set = run(&fake, &plan, &mut img).unwrap();
            let found: Vec<(&Digest, &Digest, Option<&str>)> = set
                .referrers
                .iter()
                .map(|r| (&r.manifest.digest, &r.subject, r.tag.as_deref()))
                .collect();
            let sig_tag = format!("sha256-{}.sig", root.hex());
            assert_eq!(
                found,
                vec![
                    (&sbom, &root, None),
                    (&Digest::of(cosign), &root, Some(sig_tag.as_str())),
                    (&sig_of_sbom, &sbom, None),
                ],
                "api {api}"
            );
            // `{}` once, then each layer once; every blob readable from the spool.
            assert_eq!(set.blobs.len(), 3);
            for b in &set.blobs {
                assert!(img.extents.contains_key(&b.digest));
            }
        }
    }

    #[test]
    fn a_referrer_that_does_not_match_its_descriptor_is_refused() {
        let (plan, mut img, _dir) = image();
        let root = plan.root().digest.clone();
        let mut fake = Fake::default();
        let sbom = fake.refer(&root, b"sbom");
        fake.manifests.insert(sbom.to_string(), b"{}".to_vec());
        let e = run(&fake, &plan, &mut img).unwrap_err().to_string();
        assert!(e.contains("the registry returned other bytes"), "{e}");
    }

    #[test]
    fn the_walk_stops_at_the_depth_bound() {
        let (plan, mut img, _dir) = image();
        let mut subject = plan.root().digest.clone();
        let mut fake = Fake::default();
        for i in 0..MAX_DEPTH + 2 {
            subject = fake.refer(&subject, format!("level {i}").as_bytes());
        }
        let set = run(&fake, &plan, &mut img).unwrap();
        assert_eq!(set.referrers.len(), MAX_DEPTH);
    }
}
