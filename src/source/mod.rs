//! Reading images: parses the `source` input (skopeo-style transports) and turns the image into
//! a validated [`Plan`] plus a [`LocalImage`] that streams each blob from disk.
//!
//! Every source resolves a digest to an [`Extent`] (a file, an offset, a length): an OCI layout
//! directory to `blobs/sha256/<hex>`, an OCI archive to a span of the tar. Blobs are streamed
//! from there (read straight into the upload's buffer, see `DirectRead`), never held whole in
//! memory; they are hashed here for `push: false`, else while they upload (`registry::verify`).
//! Must not talk to a registry (`docker://` pulls through `registry`'s endpoint); `docker-daemon:`
//! talks to the local Docker Engine only, to export the image into a spool ([`daemon`]).

pub mod archive;
pub mod daemon;
pub mod docker_archive;
pub mod layout;
pub mod merge;
pub mod referrers;
pub mod remote;
pub mod spool;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use sha2::{Digest as _, Sha256};

use crate::plan::{self, Descriptor, Digest, Plan, PlanError};

/// Where an image comes from (the `source` input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceRef {
    /// `oci:PATH[:REF]`: an OCI image layout directory.
    Layout {
        /// The directory.
        path: PathBuf,
        /// The `org.opencontainers.image.ref.name` to pick, when `index.json` lists several.
        reference: Option<String>,
    },
    /// `oci-archive:FILE[:REF]`: the same layout as a tar.
    Archive {
        /// The tar file.
        path: PathBuf,
        /// As for [`SourceRef::Layout`].
        reference: Option<String>,
    },
    /// `docker-archive:FILE[:REF]`: a `docker save` tar (legacy or Docker 25+).
    DockerArchive {
        /// The tar file.
        path: PathBuf,
        /// A `RepoTags` entry to pick, when `manifest.json` lists several images.
        reference: Option<String>,
    },
    /// `docker-daemon:IMAGE[:TAG|@DIGEST]` or `docker-daemon:IMAGE-ID`: an image in the local
    /// Docker Engine, exported through its socket.
    Daemon {
        /// The reference after `docker-daemon:`.
        image: String,
    },
    /// `docker://NAME[:TAG][@DIGEST]`: an image in a registry.
    Remote {
        /// The reference after `docker://`.
        image: String,
    },
}

/// A source that cannot be read or is not a valid image.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The `source` input is not a known transport.
    #[error(
        "`{0}` is not a supported source\nhint: use `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`, `docker-archive:FILE[:REF]`, `docker-daemon:IMAGE[:TAG]` or `docker://IMAGE[:TAG]`"
    )]
    Transport(String),
    /// A transport this build does not support yet.
    #[error(
        "the `{0}` transport is not supported yet\nhint: export the image with `docker buildx build --output type=oci,dest=image.tar` and use `oci-archive:image.tar`"
    )]
    Unsupported(String),
    /// A file could not be read.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// The layout is malformed.
    #[error("{0}")]
    Layout(String),
    /// A file hoist reads whole (an index, a marker) is a FIFO, a device or a directory.
    #[error("{path} is {kind}, not a regular file")]
    NotAFile {
        /// The file.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// A file hoist reads whole is larger than its purpose allows.
    #[error("{path} is larger than the {limit}-byte limit for this file")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The image graph is invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A blob is missing from the source.
    #[error("blob {digest} ({what}) is missing from the source")]
    MissingBlob {
        /// Which blob.
        digest: Digest,
        /// Its media type.
        what: String,
    },
    /// A blob's size or content does not match its descriptor.
    #[error("blob {digest} is corrupt: {cause}")]
    CorruptBlob {
        /// Which blob.
        digest: Digest,
        /// What differs.
        cause: String,
    },
}

fn io_error(path: &Path, cause: std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.display().to_string(),
        cause,
    }
}

/// The largest `index.json` (or `manifest.json`, `repositories`) read: the manifest limit.
pub const MAX_INDEX_BYTES: u64 = plan::MAX_MANIFEST_BYTES;

/// The largest `oci-layout` marker read (`{"imageLayoutVersion":"1.0.0"}`).
pub const MAX_MARKER_BYTES: u64 = 64 * 1024;

/// What a path is, when it should have been a regular file.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Checks `path` (symlinks followed) is a regular file, before anything opens it (opening a
/// FIFO would block).
fn require_file(path: &Path) -> Result<std::fs::Metadata, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_file() {
        Ok(meta)
    } else {
        Err(SourceError::NotAFile {
            path: path.display().to_string(),
            kind: file_kind(&meta),
        })
    }
}

/// Reads a small metadata file whole: it must be a regular file of at most `limit` bytes (a
/// file that grows while read is cut at `limit + 1` bytes and refused).
pub fn read_metadata_file(path: &Path, limit: u64) -> Result<Vec<u8>, SourceError> {
    let too_large = || SourceError::TooLarge {
        path: path.display().to_string(),
        limit,
    };
    let meta = require_file(path)?;
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut buf = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| io_error(path, e))?;
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// Parses the `source` input.
pub fn parse_source(value: &str) -> Result<SourceRef, SourceError> {
    let split = |rest: &str| -> (PathBuf, Option<String>) {
        // skopeo splits `PATH:REF` at the first colon.
        match rest.split_once(':') {
            Some((p, r)) if !r.is_empty() => (PathBuf::from(p), Some(r.to_owned())),
            Some((p, _)) => (PathBuf::from(p), None),
            None => (PathBuf::from(rest), None),
        }
    };
    if let Some(rest) = value.strip_prefix("oci-archive:") {
        let (path, reference) = split(rest);
        return Ok(SourceRef::Archive { path, reference });
    }
    if let Some(rest) = value.strip_prefix("oci:") {
        let (path, reference) = split(rest);
        return Ok(SourceRef::Layout { path, reference });
    }
    if let Some(rest) = value.strip_prefix("docker-archive:") {
        let (path, reference) = split(rest);
        return Ok(SourceRef::DockerArchive { path, reference });
    }
    if let Some(rest) = value.strip_prefix("docker://") {
        return Ok(SourceRef::Remote {
            image: rest.to_owned(),
        });
    }
    if let Some(rest) = value.strip_prefix("docker-daemon:") {
        return Ok(SourceRef::Daemon {
            image: rest.to_owned(),
        });
    }
    Err(SourceError::Transport(value.to_owned()))
}

/// A span of a file holding one blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extent {
    /// The file.
    pub path: PathBuf,
    /// Where the blob starts.
    pub offset: u64,
    /// Its length.
    pub len: u64,
}

impl Extent {
    fn open(&self) -> std::io::Result<std::io::Take<File>> {
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(self.offset))?;
        Ok(f.take(self.len))
    }
}

pub use crate::plan::{BlobReader, BlobStream};

/// An image on local disk: its root descriptor and where each blob lives.
#[derive(Debug)]
pub struct LocalImage {
    /// The descriptor of the image (an index or a manifest).
    pub root: Descriptor,
    extents: HashMap<Digest, Extent>,
    /// Files made for this image (compressed layers), removed on drop.
    _spool: Option<tempfile::TempDir>,
}

impl LocalImage {
    fn extent(&self, digest: &Digest) -> Option<&Extent> {
        self.extents.get(digest)
    }

    /// Reads a small blob (a manifest) into memory, bounded by its descriptor's size.
    fn read_manifest(&self, d: &Descriptor) -> Result<Vec<u8>, String> {
        let e = self
            .extent(&d.digest)
            .ok_or_else(|| "missing from the source".to_owned())?;
        if e.len > plan::MAX_MANIFEST_BYTES {
            return Err(format!("{} bytes is too large for a manifest", e.len));
        }
        let mut buf = Vec::new();
        e.open()
            .and_then(|mut r| r.read_to_end(&mut buf))
            .map_err(|err| format!("{}: {err}", e.path.display()))?;
        Ok(buf)
    }

    /// Checks one blob is present with the right size (cheap, no read).
    fn check_blob(&self, blob: &plan::Blob) -> Result<&Extent, SourceError> {
        let e = self
            .extent(&blob.digest)
            .ok_or_else(|| SourceError::MissingBlob {
                digest: blob.digest.clone(),
                what: blob.media_type.clone(),
            })?;
        if e.len != blob.size {
            return Err(SourceError::CorruptBlob {
                digest: blob.digest.clone(),
                cause: format!("{} bytes, the manifest says {}", e.len, blob.size),
            });
        }
        Ok(e)
    }

    /// Checks one blob: present, of the right size, hashing to its digest (streamed).
    pub fn hash_blob(&self, blob: &plan::Blob) -> Result<(), SourceError> {
        let e = self.check_blob(blob)?;
        let mut r = e.open().map_err(|err| io_error(&e.path, err))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0_u8; 256 * 1024];
        loop {
            let n = r.read(&mut buf).map_err(|err| io_error(&e.path, err))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = Digest::from_sha256(&hasher.finalize());
        if actual != blob.digest {
            return Err(SourceError::CorruptBlob {
                digest: blob.digest.clone(),
                cause: format!("its content hashes to {actual}"),
            });
        }
        Ok(())
    }
}

/// A blob's bytes read straight into the caller's buffer, on the calling thread.
///
/// Blobs are read sequentially from files that were just written (a build's layout, a spool),
/// so from the page cache: a read of one upload buffer (64 KiB) costs a copy and a system call.
/// `tokio::fs::File` hands every such read to the blocking pool and copies it once more out of
/// its own buffer; on a 500 MiB push to 3 registries the thread hand-offs and that extra copy
/// were a quarter of hoist's CPU (`perf`). A read that does go to the disk holds this thread
/// for that read only; the other uploads' bytes are already in the kernel's socket buffers.
struct DirectRead {
    file: File,
    /// Bytes of the blob not read yet.
    left: u64,
}

impl tokio::io::AsyncRead for DirectRead {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let want = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.remaining());
        if want == 0 {
            return std::task::Poll::Ready(Ok(()));
        }
        let dst = &mut buf.initialize_unfilled()[..want];
        let n = loop {
            match self.file.read(dst) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        buf.advance(n);
        self.left -= n as u64;
        std::task::Poll::Ready(Ok(()))
    }
}

impl BlobReader for LocalImage {
    fn open_blob(&self, digest: &Digest) -> std::io::Result<BlobStream> {
        let e = self.extent(digest).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("blob {digest} is not in the source"),
            )
        })?;
        let mut f = File::open(&e.path)?;
        f.seek(SeekFrom::Start(e.offset))?;
        Ok(Box::pin(DirectRead {
            file: f,
            left: e.len,
        }))
    }

    fn verify_blob(&self, blob: &plan::Blob) -> Result<(), plan::VerifyError> {
        self.hash_blob(blob)
            .map_err(|e| plan::VerifyError(e.to_string()))
    }

    fn blob_origin(&self, digest: &Digest) -> Option<String> {
        let e = self.extent(digest)?;
        Some(if e.offset == 0 {
            e.path.display().to_string()
        } else {
            format!("{} at byte {}", e.path.display(), e.offset)
        })
    }
}

/// Picks the image in an `index.json`: the one descriptor, or the one whose
/// `org.opencontainers.image.ref.name` (or `io.containerd.image.name`) is `reference`.
fn select_root(
    index_json: &[u8],
    reference: Option<&str>,
    origin: &str,
) -> Result<Descriptor, SourceError> {
    let bad = |why: String| SourceError::Layout(format!("{origin}: {why}"));
    let json: Json =
        serde_json::from_slice(index_json).map_err(|e| bad(format!("index.json: {e}")))?;
    let entries = json
        .get("manifests")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("index.json has no `manifests` list".into()))?;
    let name = |e: &Json, key: &str| {
        e.get("annotations")
            .and_then(|a| a.get(key))
            .and_then(Json::as_str)
            .map(str::to_owned)
    };
    let chosen = match reference {
        Some(r) => entries
            .iter()
            .find(|e| {
                name(e, "org.opencontainers.image.ref.name").as_deref() == Some(r)
                    || name(e, "io.containerd.image.name").as_deref() == Some(r)
            })
            .ok_or_else(|| bad(format!("no image named `{r}` in index.json")))?,
        None => match entries.as_slice() {
            [one] => one,
            [] => return Err(bad("index.json lists no image".into())),
            many => {
                let names: Vec<String> = many
                    .iter()
                    .filter_map(|e| name(e, "org.opencontainers.image.ref.name"))
                    .collect();
                return Err(bad(format!(
                    "index.json lists {} images; pick one with `:REF` (names: {})",
                    many.len(),
                    plan::escape_untrusted(names.join(", ").as_bytes())
                )));
            }
        },
    };
    Ok(Descriptor::from_json(chosen, "index.json")?)
}

/// Opens the source (reading its index and listing its blobs; a docker archive's layers are
/// compressed into a spool directory under `spool_base`; `docker_host` is `DOCKER_HOST`, for
/// `docker-daemon:`).
pub fn load(
    source: &SourceRef,
    spool_base: &Path,
    docker_host: Option<&str>,
) -> Result<LocalImage, SourceError> {
    spool::sweep_stale(spool_base);
    match source {
        SourceRef::Layout { path, reference } => layout::load(path, reference.as_deref()),
        SourceRef::Archive { path, reference } => archive::load(path, reference.as_deref()),
        SourceRef::DockerArchive { path, reference } => {
            docker_archive::load(path, reference.as_deref(), spool_base)
        }
        SourceRef::Daemon { image } => daemon::load(image, docker_host, spool_base),
        // Pulled through a registry endpoint: see `remote::load`.
        SourceRef::Remote { .. } => Err(SourceError::Unsupported("docker://".into())),
    }
}

/// Builds the plan of a loaded image: every manifest verified, every blob present with its
/// size. Blob contents are hashed later, only for the blobs some registry lacks (while they
/// are uploaded, see `registry::verify`), or by [`verify_all`]: a re-push of content the
/// registries already hold reads no blob.
pub fn plan(image: &LocalImage, platforms: &[String]) -> Result<Plan, SourceError> {
    let mut read = |d: &Descriptor| image.read_manifest(d);
    let plan = plan::build_plan(&image.root, &mut read, platforms)?;
    for blob in &plan.blobs {
        image.check_blob(blob)?;
    }
    Ok(plan)
}

/// Hashes every blob of the plan (streamed): for a preview (`push: false`).
pub fn verify_all(image: &LocalImage, plan: &Plan) -> Result<(), SourceError> {
    plan.blobs.iter().try_for_each(|b| image.hash_blob(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_read_gives_exactly_the_extent_in_buffer_sized_reads() {
        use tokio::io::AsyncReadExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("archive");
        let bytes: Vec<u8> = (0..300_000_u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).expect("write");
        let mut f = File::open(&path).expect("open");
        f.seek(SeekFrom::Start(1000)).expect("seek");
        let mut r = DirectRead {
            file: f,
            left: 200_000,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (out, reads) = rt.block_on(async {
            let (mut out, mut reads) = (Vec::new(), 0);
            let mut buf = vec![0_u8; 64 * 1024];
            loop {
                let n = r.read(&mut buf).await.expect("read");
                if n == 0 {
                    break (out, reads);
                }
                reads += 1;
                out.extend_from_slice(&buf[..n]);
            }
        });
        // Stops at the extent's end, not the file's; never more than the buffer per read.
        assert_eq!(out, bytes[1000..201_000]);
        assert_eq!(reads, 4);
    }

    #[test]
    fn transports_parse_like_skopeo() {
        assert_eq!(
            parse_source("oci:/tmp/img:v1").expect("parses"),
            SourceRef::Layout {
                path: "/tmp/img".into(),
                reference: Some("v1".into())
            }
        );
        assert_eq!(
            parse_source("oci-archive:img.tar").expect("parses"),
            SourceRef::Archive {
                path: "img.tar".into(),
                reference: None
            }
        );
        assert!(matches!(
            parse_source("docker-archive:x.tar"),
            Ok(SourceRef::DockerArchive { .. })
        ));
        assert!(matches!(
            parse_source("docker://ghcr.io/o/app:v1"),
            Ok(SourceRef::Remote { .. })
        ));
        assert_eq!(
            parse_source("docker-daemon:app:v1").expect("parses"),
            SourceRef::Daemon {
                image: "app:v1".into()
            }
        );
        assert!(matches!(
            parse_source("/tmp/img"),
            Err(SourceError::Transport(_))
        ));
    }

    #[test]
    fn several_images_need_a_reference() {
        let idx = format!(
            r#"{{"manifests":[{{"digest":"sha256:{a}","size":1,"annotations":{{"org.opencontainers.image.ref.name":"a"}}}},{{"digest":"sha256:{b}","size":2,"annotations":{{"org.opencontainers.image.ref.name":"b"}}}}]}}"#,
            a = "a".repeat(64),
            b = "b".repeat(64)
        );
        let err = select_root(idx.as_bytes(), None, "x").expect_err("must fail");
        assert!(err.to_string().contains("names: a, b"), "{err}");
        let d = select_root(idx.as_bytes(), Some("b"), "x").expect("picks b");
        assert_eq!(d.size, 2);
    }
}
