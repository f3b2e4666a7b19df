//! `oci:PATH[:REF]`: an OCI image layout directory (`oci-layout`, `index.json`,
//! `blobs/sha256/<hex>`), as written by `docker buildx build --output type=oci,tar=false`.

use std::collections::HashMap;
use std::path::Path;

use super::{Extent, LocalImage, SourceError, io_error, select_root};
use crate::plan::Digest;

/// Opens a layout directory: reads `index.json`, picks the image and lists the blob files.
pub fn load(dir: &Path, reference: Option<&str>) -> Result<LocalImage, SourceError> {
    let marker = dir.join("oci-layout");
    if !marker.is_file() {
        return Err(SourceError::Layout(format!(
            "{} is not an OCI image layout (no `oci-layout` file)",
            dir.display()
        )));
    }
    let index_path = dir.join("index.json");
    let index = std::fs::read(&index_path).map_err(|e| io_error(&index_path, e))?;
    let root = select_root(&index, reference, &dir.display().to_string())?;
    let mut extents = HashMap::new();
    let blobs = dir.join("blobs").join("sha256");
    let entries = match std::fs::read_dir(&blobs) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LocalImage {
                root,
                extents,
                _spool: None,
            });
        }
        Err(e) => return Err(io_error(&blobs, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(&blobs, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(digest) = Digest::parse(&format!("sha256:{name}")) else {
            continue;
        };
        let meta = entry.metadata().map_err(|e| io_error(&entry.path(), e))?;
        if meta.is_file() {
            extents.insert(
                digest,
                Extent {
                    path: entry.path(),
                    offset: 0,
                    len: meta.len(),
                },
            );
        }
    }
    Ok(LocalImage {
        root,
        extents,
        _spool: None,
    })
}
