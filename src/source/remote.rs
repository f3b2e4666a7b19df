//! `docker://REF`: an image in another registry (copy or promote). The manifests (exact bytes)
//! and blobs are pulled once, streamed and verified, into a spool OCI layout; the push then
//! reads from there, so every target gets the same bytes and a blob is downloaded once however
//! many targets there are. The network calls go through [`plan::Fetch`] (the registry implements
//! it, with its retries); this module walks the image graph.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value as Json;

use super::{Extent, LocalImage, SourceError, io_error, spool};
use crate::plan::{self, Descriptor, Digest, Fetch, FetchError};

/// A parsed `docker://` reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRef {
    /// The image name (`ghcr.io/o/app`).
    pub name: String,
    /// The tag or digest to pull.
    pub reference: String,
}

/// Splits `name[:tag][@digest]` (tag `latest` by default; a digest wins), with the crate's
/// one reference parser ([`crate::reference::split`]).
#[must_use]
pub fn parse_remote(value: &str) -> RemoteRef {
    let split = crate::reference::split(value);
    RemoteRef {
        name: split.name.to_owned(),
        reference: split.digest.or(split.tag).unwrap_or("latest").to_owned(),
    }
}

fn remote_error(what: &str, f: &FetchError) -> SourceError {
    SourceError::Layout(format!("pulling {what}: {f}"))
}

/// Pulls the image at `reference` through `fetch` (one repository) into a spool under `spool_base`. Each
/// manifest is requested once (a child listed many times, or by several indexes, is fetched at
/// its first mention), checked against its descriptor before it is kept, and the walk is bounded
/// like the plan's ([`plan::MAX_DEPTH`], [`plan::MAX_DESCRIPTORS`]); each blob is streamed to
/// disk and stops at its declared size.
pub async fn load(
    fetch: &impl Fetch,
    name: &str,
    reference: &str,
    spool_base: &Path,
) -> Result<LocalImage, SourceError> {
    spool::sweep_stale(spool_base);
    let spool = spool::create(spool_base, spool::PULL_PREFIX)?;
    let mut extents: HashMap<Digest, Extent> = HashMap::new();
    let origin = format!("{}/{name}:{reference}", fetch.host());

    let (bytes, content_type) = fetch
        .fetch_manifest(reference)
        .await
        .map_err(|f| remote_error(&origin, &f))?;
    let root_digest = Digest::of(&bytes);
    if reference.starts_with("sha256:") && reference != root_digest.as_str() {
        return Err(SourceError::Layout(format!(
            "{origin}: the registry returned a manifest hashing to {root_digest}"
        )));
    }
    let media_type = serde_json::from_slice::<Json>(&bytes)
        .ok()
        .and_then(|j| j.get("mediaType").and_then(Json::as_str).map(str::to_owned))
        .or(content_type)
        .unwrap_or_default();
    let root = Descriptor {
        media_type,
        digest: root_digest,
        size: bytes.len() as u64,
    };
    // Walk the graph breadth-first: manifests by digest, each fetched once, then blobs.
    let mut pending = vec![(root.digest.clone(), bytes)];
    let mut requested: HashSet<Digest> = HashSet::from([root.digest.clone()]);
    let mut blobs: Vec<(Digest, u64)> = Vec::new();
    let mut blob_seen: HashSet<Digest> = HashSet::new();
    let mut descriptors = 0_usize;
    let mut depth = 0;
    while !pending.is_empty() {
        if depth > plan::MAX_DEPTH {
            return Err(SourceError::Layout(format!(
                "{origin}: indexes nest more than {} levels deep",
                plan::MAX_DEPTH
            )));
        }
        depth += 1;
        let mut next = Vec::new();
        for (digest, bytes) in pending {
            let path = spool.path().join(digest.hex());
            std::fs::write(&path, &bytes).map_err(|e| io_error(&path, e))?;
            extents.insert(
                digest.clone(),
                Extent {
                    path,
                    offset: 0,
                    len: bytes.len() as u64,
                },
            );
            let json: Json = serde_json::from_slice(&bytes).map_err(|e| {
                SourceError::Layout(format!("{origin}: manifest {digest} is not JSON: {e}"))
            })?;
            // An unknown manifest kind fails here, before any blob is downloaded.
            if let Some(mt) = json.get("mediaType").and_then(Json::as_str)
                && !plan::is_manifest_type(mt)
            {
                return Err(plan::PlanError::MediaType {
                    what: origin.clone(),
                    digest,
                    media_type: plan::escape_untrusted(mt.as_bytes()),
                }
                .into());
            }
            let children = json.get("manifests").and_then(Json::as_array);
            let config = json.get("config").into_iter();
            let layers = json.get("layers").and_then(Json::as_array);
            descriptors = descriptors
                .saturating_add(children.map_or(0, Vec::len))
                .saturating_add(layers.map_or(0, Vec::len) + 1);
            if descriptors > plan::MAX_DESCRIPTORS {
                return Err(SourceError::Layout(format!(
                    "{origin}: the image lists more than {} descriptors (at manifest {digest})",
                    plan::MAX_DESCRIPTORS
                )));
            }
            for (i, c) in children.into_iter().flatten().enumerate() {
                let what = format!("{origin}: index {digest} manifests[{i}]");
                let d = Descriptor::from_json(c, &what)?;
                if !requested.insert(d.digest.clone()) {
                    continue;
                }
                let child = fetch_child(fetch, &d, &what).await?;
                next.push((d.digest, child));
            }
            for (i, b) in config.chain(layers.into_iter().flatten()).enumerate() {
                if b.get("urls").is_some() {
                    continue; // Foreign layers are not copied.
                }
                let d = Descriptor::from_json(b, &format!("{origin}: {digest} blob {i}"))?;
                if blob_seen.insert(d.digest.clone()) {
                    blobs.push((d.digest, d.size));
                }
            }
        }
        pending = next;
    }
    for (digest, size) in blobs {
        if extents.contains_key(&digest) {
            continue;
        }
        let path = spool.path().join(digest.hex());
        let len = fetch
            .fetch_blob(&digest, size, &path)
            .await
            .map_err(|f| remote_error(&format!("{origin} blob {digest}"), &f))?;
        extents.insert(
            digest,
            Extent {
                path,
                offset: 0,
                len,
            },
        );
    }
    Ok(LocalImage {
        root,
        extents,
        _spool: Some(spool),
    })
}

/// Fetches one child manifest by digest and checks it against its descriptor.
async fn fetch_child(
    fetch: &impl Fetch,
    d: &Descriptor,
    what: &str,
) -> Result<Vec<u8>, SourceError> {
    if d.size > plan::MAX_MANIFEST_BYTES {
        return Err(SourceError::Layout(format!(
            "{what}: manifest {} declares {} bytes, over the {}-byte manifest limit",
            d.digest,
            d.size,
            plan::MAX_MANIFEST_BYTES
        )));
    }
    let (bytes, _) = fetch
        .fetch_manifest(d.digest.as_str())
        .await
        .map_err(|f| remote_error(&format!("{what} {}", d.digest), &f))?;
    let actual = Digest::of(&bytes);
    if actual != d.digest || bytes.len() as u64 != d.size {
        return Err(SourceError::Layout(format!(
            "{what}: the registry returned {} bytes hashing to {actual} for manifest {} ({} bytes)",
            bytes.len(),
            d.digest,
            d.size
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references_split() {
        let r = parse_remote("ghcr.io/o/app:v1");
        assert_eq!(
            (r.name.as_str(), r.reference.as_str()),
            ("ghcr.io/o/app", "v1")
        );
        let r = parse_remote("127.0.0.1:5000/app");
        assert_eq!(
            (r.name.as_str(), r.reference.as_str()),
            ("127.0.0.1:5000/app", "latest")
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse_remote(&format!("127.0.0.1:5000/app:v1@{d}"));
        assert_eq!(
            (r.name.as_str(), r.reference.as_str()),
            ("127.0.0.1:5000/app", d.as_str())
        );
    }
}
