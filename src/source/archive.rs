//! `oci-archive:FILE[:REF]`: an OCI image layout in a tar (`docker buildx build --output
//! type=oci,dest=image.tar`). The tar is indexed once by header offsets ([`index_tar`]); blobs
//! are then read in place (seek + take), never extracted and never held in memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{Extent, LocalImage, SourceError, io_error, select_root};
use crate::plan::{Digest, MAX_MANIFEST_BYTES, escape_untrusted};

/// Where each regular file of a tar is, and where its symlinks point.
#[derive(Debug, Default)]
pub struct TarIndex {
    /// Regular files by normalised path (no leading `./`).
    pub files: HashMap<String, Extent>,
    /// Symlinks and hard links: path → target path (normalised, relative to the tar root).
    pub links: HashMap<String, String>,
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

impl TarIndex {
    /// The extent of `path`, following links (at most 8 hops).
    pub fn get(&self, path: &str) -> Option<&Extent> {
        let mut p = normalize(path);
        for _ in 0..8 {
            if let Some(e) = self.files.get(&p) {
                return Some(e);
            }
            p = self.links.get(&p)?.clone();
        }
        None
    }

    /// Reads a small file (an index or a manifest) into memory.
    pub fn read_small(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let Some(e) = self.get(path) else {
            return Ok(None);
        };
        if e.len > MAX_MANIFEST_BYTES {
            return Err(SourceError::Layout(format!(
                "{}: `{}` is larger than the {MAX_MANIFEST_BYTES}-byte limit ({} bytes)",
                e.path.display(),
                escape_untrusted(path.as_bytes()),
                e.len
            )));
        }
        let mut buf = Vec::new();
        e.open()
            .and_then(|mut r| r.read_to_end(&mut buf))
            .map_err(|err| io_error(&e.path, err))?;
        Ok(Some(buf))
    }
}

/// Indexes a plain (uncompressed) tar by header offsets.
pub fn index_tar(path: &Path) -> Result<TarIndex, SourceError> {
    super::require_file(path)?;
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut magic = [0_u8; 2];
    if file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b] {
        return Err(SourceError::Layout(format!(
            "{} is gzip-compressed\nhint: decompress it first (`gunzip`), hoist reads plain tars in place",
            path.display()
        )));
    }
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut archive = tar::Archive::new(file);
    let mut index = TarIndex::default();
    // The tar crate quotes header fields raw in its errors: escape them.
    let bad = |e: std::io::Error| {
        SourceError::Layout(format!(
            "{}: not a readable tar: {}",
            path.display(),
            escape_untrusted(e.to_string().as_bytes())
        ))
    };
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let name = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                index.files.insert(
                    name,
                    Extent {
                        path: path.to_path_buf(),
                        offset: entry.raw_file_position(),
                        len: entry.size(),
                    },
                );
            }
            kind @ (tar::EntryType::Symlink | tar::EntryType::Link) => {
                if let Some(target) = entry.link_name_bytes() {
                    let target = String::from_utf8_lossy(&target).into_owned();
                    let resolved = if kind == tar::EntryType::Symlink && !target.starts_with('/') {
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        normalize(&format!("{dir}/{target}"))
                    } else {
                        normalize(&target)
                    };
                    index.links.insert(name, resolved);
                }
            }
            _ => {}
        }
    }
    Ok(index)
}

/// The blobs of an OCI layout held in an indexed tar.
pub fn layout_extents(index: &TarIndex) -> HashMap<Digest, Extent> {
    index
        .files
        .keys()
        .filter_map(|name| {
            let hex = name.strip_prefix("blobs/sha256/")?;
            let digest = Digest::parse(&format!("sha256:{hex}")).ok()?;
            Some((digest, index.get(name)?.clone()))
        })
        .collect()
}

/// Indexes the tar and picks the image.
pub fn load(path: &Path, reference: Option<&str>) -> Result<LocalImage, SourceError> {
    let index = index_tar(path)?;
    let (true, Some(index_json)) = (
        index.get("oci-layout").is_some(),
        index.read_small("index.json")?,
    ) else {
        return Err(SourceError::Layout(format!(
            "{} is not an OCI archive (no `oci-layout` and `index.json` in the tar)",
            path.display()
        )));
    };
    let root = select_root(&index_json, reference, &path.display().to_string())?;
    Ok(LocalImage {
        root,
        extents: layout_extents(&index),
        _spool: None,
    })
}
