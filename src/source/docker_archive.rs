//! `docker-archive:FILE[:REF]`: a `docker save` tar, legacy (`manifest.json`, `<id>/layer.tar`,
//! skopeo's symlinked variant) or Docker 25+ (the same `manifest.json` beside an OCI layout whose
//! layers are uncompressed). Read through `manifest.json` in both cases: each uncompressed layer
//! is gzip-compressed ONCE into a spool file (fixed header, so the result is reproducible), its
//! digest computed while writing; the config bytes are kept unchanged (its digest stays the image
//! ID); a Docker schema 2 manifest is generated. Every registry then gets the same bytes and the
//! same digest, known before any upload.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value as Json;
use sha2::{Digest as _, Sha256};

use super::archive::{TarIndex, index_tar};
use super::{Extent, LocalImage, SourceError, io_error, spool};
use crate::plan::{DOCKER_MANIFEST, Descriptor, Digest, escape_untrusted};

const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `bytes` into the spool as a blob and returns its extent and digest.
fn spool_bytes(spool: &Path, bytes: &[u8]) -> Result<(Digest, Extent), SourceError> {
    let digest = Digest::of(bytes);
    let path = spool.join(digest.hex());
    std::fs::write(&path, bytes).map_err(|e| io_error(&path, e))?;
    Ok((
        digest,
        Extent {
            path,
            offset: 0,
            len: bytes.len() as u64,
        },
    ))
}

/// Compresses one layer into the spool (streamed), returning its digest and extent.
fn compress_layer(
    spool: &Path,
    source: &Extent,
    n: usize,
) -> Result<(Digest, Extent), SourceError> {
    let tmp = spool.join(format!("layer-{n}.tmp"));
    let out = File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
    let hashing = Hashing {
        inner: std::io::BufWriter::with_capacity(256 * 1024, out),
        hasher: Sha256::new(),
        len: 0,
    };
    // A fixed header (mtime 0, no name): the same input always gives the same bytes.
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(hashing, flate2::Compression::fast());
    let mut reader = source.open().map_err(|e| io_error(&source.path, e))?;
    std::io::copy(&mut reader, &mut gz).map_err(|e| io_error(&source.path, e))?;
    let mut hashing = gz.finish().map_err(|e| io_error(&tmp, e))?;
    hashing.flush().map_err(|e| io_error(&tmp, e))?;
    let digest = Digest::from_sha256(&hashing.hasher.finalize());
    let path = spool.join(digest.hex());
    std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
    Ok((
        digest,
        Extent {
            path,
            offset: 0,
            len: hashing.len,
        },
    ))
}

fn is_gzip(e: &Extent) -> Result<bool, SourceError> {
    let mut magic = [0_u8; 4];
    let mut r = e.open().map_err(|err| io_error(&e.path, err))?;
    let n = r.read(&mut magic).map_err(|err| io_error(&e.path, err))?;
    // A zstd layer must not be wrapped in gzip: the image would not unpack.
    if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
        return Err(SourceError::Layout(format!(
            "{}: a zstd-compressed layer in a docker archive is not supported\nhint: export the image as OCI (`docker buildx build --output type=oci,dest=image.tar`) and use `oci-archive:image.tar`",
            e.path.display()
        )));
    }
    Ok(n >= 2 && magic[..2] == [0x1f, 0x8b])
}

/// Picks the `manifest.json` entry: the only one, or the one whose `RepoTags` has `reference`.
fn select_entry<'a>(
    entries: &'a [Json],
    reference: Option<&str>,
    origin: &str,
) -> Result<&'a Json, SourceError> {
    let tags = |e: &Json| -> Vec<String> {
        e.get("RepoTags")
            .and_then(Json::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    match reference {
        Some(r) => entries
            .iter()
            .find(|e| {
                tags(e)
                    .iter()
                    .any(|t| t == r || t.strip_prefix("docker.io/") == Some(r))
            })
            .ok_or_else(|| {
                SourceError::Layout(format!("{origin}: no image tagged `{r}` in manifest.json"))
            }),
        None => match entries {
            [one] => Ok(one),
            [] => Err(SourceError::Layout(format!(
                "{origin}: manifest.json lists no image"
            ))),
            many => Err(SourceError::Layout(format!(
                "{origin}: manifest.json lists {} images; pick one with `:REF` (tags: {})",
                many.len(),
                escape_untrusted(
                    many.iter()
                        .flat_map(tags)
                        .collect::<Vec<_>>()
                        .join(", ")
                        .as_bytes()
                )
            ))),
        },
    }
}

/// Reads a `docker save` tar: compresses its layers into `spool` and generates the manifest.
pub fn load(
    path: &Path,
    reference: Option<&str>,
    spool_base: &Path,
) -> Result<LocalImage, SourceError> {
    let origin = path.display().to_string();
    let index: TarIndex = index_tar(path)?;
    let Some(manifest_json) = index.read_small("manifest.json")? else {
        return Err(SourceError::Layout(format!(
            "{origin} is not a docker archive (no `manifest.json`; pre-1.10 `docker save` is not supported)"
        )));
    };
    let entries: Vec<Json> = serde_json::from_slice(&manifest_json)
        .map_err(|e| SourceError::Layout(format!("{origin}: manifest.json: {e}")))?;
    let entry = select_entry(&entries, reference, &origin)?;
    let config_path = entry
        .get("Config")
        .and_then(Json::as_str)
        .ok_or_else(|| SourceError::Layout(format!("{origin}: manifest.json has no `Config`")))?;
    let layer_paths: Vec<&str> = entry
        .get("Layers")
        .and_then(Json::as_array)
        .map(|l| l.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();

    let spool = spool::create(spool_base, spool::SPOOL_PREFIX)?;
    let mut extents = HashMap::new();

    let config = index.read_small(config_path)?.ok_or_else(|| {
        SourceError::Layout(format!(
            "{origin}: config `{}` is not in the tar",
            escape_untrusted(config_path.as_bytes())
        ))
    })?;
    let (config_digest, config_extent) = spool_bytes(spool.path(), &config)?;
    let config_size = config_extent.len;
    extents.insert(config_digest.clone(), config_extent);

    // Empty layers repeat a path: compress each path once.
    let mut done: HashMap<&str, (Digest, u64)> = HashMap::new();
    let mut layers = Vec::new();
    for (n, lp) in layer_paths.iter().enumerate() {
        if let Some((d, size)) = done.get(lp) {
            layers.push(serde_json::json!({"mediaType": DOCKER_LAYER_GZIP, "size": size, "digest": d.as_str()}));
            continue;
        }
        let source = index.get(lp).ok_or_else(|| {
            SourceError::Layout(format!(
                "{origin}: layer `{}` is not in the tar",
                escape_untrusted(lp.as_bytes())
            ))
        })?;
        let (digest, extent) = if is_gzip(source)? {
            let mut hasher = Sha256::new();
            let mut r = source.open().map_err(|e| io_error(&source.path, e))?;
            std::io::copy(&mut r, &mut hasher).map_err(|e| io_error(&source.path, e))?;
            (Digest::from_sha256(&hasher.finalize()), source.clone())
        } else {
            compress_layer(spool.path(), source, n)?
        };
        let size = extent.len;
        layers.push(serde_json::json!({"mediaType": DOCKER_LAYER_GZIP, "size": size, "digest": digest.as_str()}));
        done.insert(lp, (digest.clone(), size));
        extents.insert(digest, extent);
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": config_size, "digest": config_digest.as_str()},
        "layers": layers,
    });
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| SourceError::Layout(format!("cannot write the manifest: {e}")))?;
    let (digest, extent) = spool_bytes(spool.path(), &bytes)?;
    let root = Descriptor {
        media_type: DOCKER_MANIFEST.to_owned(),
        digest: digest.clone(),
        size: extent.len,
    };
    extents.insert(digest, extent);
    Ok(LocalImage {
        root,
        extents,
        _spool: Some(spool),
    })
}
