//! `oci-archive:FILE[:REF]`: an OCI image layout in a tar (`docker buildx build --output
//! type=oci,dest=image.tar`). The tar is indexed once by header offsets; blobs are then read
//! in place (seek + take), never extracted and never held in memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{Extent, LocalImage, SourceError, io_error, select_root};
use crate::plan::{Digest, MAX_MANIFEST_BYTES};

/// Indexes the tar and picks the image.
pub fn load(path: &Path, reference: Option<&str>) -> Result<LocalImage, SourceError> {
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
    let mut extents = HashMap::new();
    let mut index = None;
    let mut has_marker = false;
    let bad = |e: std::io::Error| io_error(path, e);
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let name = name.trim_start_matches("./");
        match name {
            "oci-layout" => has_marker = true,
            "index.json" => {
                if entry.size() > MAX_MANIFEST_BYTES {
                    return Err(SourceError::Layout(format!(
                        "{}: index.json is too large",
                        path.display()
                    )));
                }
                let mut buf = Vec::new();
                entry.read_to_end(&mut buf).map_err(bad)?;
                index = Some(buf);
            }
            _ => {
                if let Some(Ok(digest)) = name
                    .strip_prefix("blobs/sha256/")
                    .map(|hex| Digest::parse(&format!("sha256:{hex}")))
                {
                    extents.insert(
                        digest,
                        Extent {
                            path: path.to_path_buf(),
                            offset: entry.raw_file_position(),
                            len: entry.size(),
                        },
                    );
                }
            }
        }
    }
    let (true, Some(index)) = (has_marker, index) else {
        return Err(SourceError::Layout(format!(
            "{} is not an OCI archive (no `oci-layout` and `index.json` in the tar)",
            path.display()
        )));
    };
    let root = select_root(&index, reference, &path.display().to_string())?;
    Ok(LocalImage { root, extents })
}
