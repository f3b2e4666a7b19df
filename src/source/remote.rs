//! `docker://REF`: an image in another registry (copy or promote). The manifests (exact bytes)
//! and blobs are pulled once, streamed and verified, into a spool OCI layout; the push then
//! reads from there, so every target gets the same bytes and a blob is downloaded once however
//! many targets there are. The network calls are `registry::endpoint`'s; this module walks the
//! image graph.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value as Json;

use super::{Extent, LocalImage, SourceError, io_error};
use crate::plan::{Descriptor, Digest};
use crate::registry::endpoint::Endpoint;
use crate::registry::retry::{RetryPolicy, with_retry};

/// A parsed `docker://` reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRef {
    /// The image name (`ghcr.io/o/app`).
    pub name: String,
    /// The tag or digest to pull.
    pub reference: String,
}

/// Splits `name[:tag][@digest]` (tag `latest` by default; a digest wins).
pub fn parse_remote(value: &str) -> RemoteRef {
    if let Some((name, digest)) = value.split_once('@') {
        let name = match name.rsplit_once(':') {
            Some((n, tag)) if !tag.contains('/') => n,
            _ => name,
        };
        return RemoteRef {
            name: name.to_owned(),
            reference: digest.to_owned(),
        };
    }
    match value.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => RemoteRef {
            name: name.to_owned(),
            reference: tag.to_owned(),
        },
        _ => RemoteRef {
            name: value.to_owned(),
            reference: "latest".to_owned(),
        },
    }
}

fn remote_error(what: &str, f: &crate::registry::retry::Failure) -> SourceError {
    SourceError::Layout(format!("pulling {what}: {f}"))
}

/// Pulls the image at `repo:reference` from `endpoint` into a spool under `spool_base`.
pub async fn load(
    endpoint: &Endpoint,
    repo: &str,
    reference: &str,
    spool_base: &Path,
    retry: &RetryPolicy,
) -> Result<LocalImage, SourceError> {
    std::fs::create_dir_all(spool_base).map_err(|e| io_error(spool_base, e))?;
    let spool = tempfile::Builder::new()
        .prefix("hoist-pull-")
        .tempdir_in(spool_base)
        .map_err(|e| io_error(spool_base, e))?;
    let mut extents: HashMap<Digest, Extent> = HashMap::new();
    let origin = format!("{}/{repo}:{reference}", endpoint.host);

    let (bytes, content_type) = with_retry(retry, || endpoint.fetch_manifest(repo, reference))
        .await
        .map_err(|(f, _)| remote_error(&origin, &f))?;
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
    // Walk the graph breadth-first: manifests by digest, then blobs.
    let mut pending = vec![(root.digest.clone(), bytes)];
    let mut seen = HashSet::new();
    let mut blobs: Vec<Digest> = Vec::new();
    let mut depth = 0;
    while !pending.is_empty() {
        depth += 1;
        if depth > 5 {
            return Err(SourceError::Layout(format!(
                "{origin}: indexes nest too deep"
            )));
        }
        let mut next = Vec::new();
        for (digest, bytes) in pending {
            if !seen.insert(digest.clone()) {
                continue;
            }
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
            if let Some(children) = json.get("manifests").and_then(Json::as_array) {
                for (i, c) in children.iter().enumerate() {
                    let d = Descriptor::from_json(c, &format!("{digest} manifests[{i}]"))?;
                    if seen.contains(&d.digest) {
                        continue;
                    }
                    let (child, _) =
                        with_retry(retry, || endpoint.fetch_manifest(repo, d.digest.as_str()))
                            .await
                            .map_err(|(f, _)| {
                                remote_error(&format!("{origin} {}", d.digest), &f)
                            })?;
                    next.push((d.digest, child));
                }
            }
            let config = json.get("config").into_iter();
            let layers = json
                .get("layers")
                .and_then(Json::as_array)
                .into_iter()
                .flatten();
            for (i, b) in config.chain(layers).enumerate() {
                if b.get("urls").is_some() {
                    continue; // Foreign layers are not copied.
                }
                let d = Descriptor::from_json(b, &format!("{digest} blob {i}"))?;
                if !blobs.contains(&d.digest) {
                    blobs.push(d.digest);
                }
            }
        }
        pending = next;
    }
    for digest in blobs {
        if extents.contains_key(&digest) {
            continue;
        }
        let path = spool.path().join(digest.hex());
        let len = with_retry(retry, || endpoint.fetch_blob(repo, &digest, &path))
            .await
            .map_err(|(f, _)| remote_error(&format!("{origin} blob {digest}"), &f))?;
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
