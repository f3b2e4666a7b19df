//! `oci:PATH[:REF]`: an OCI image layout directory (`oci-layout`, `index.json`,
//! `blobs/sha256/<hex>`), as written by `docker buildx build --output type=oci,tar=false`.

use std::collections::HashMap;
use std::path::Path;

use super::{
    Extent, LocalImage, MAX_INDEX_BYTES, MAX_MARKER_BYTES, SourceError, io_error,
    read_metadata_file, select_root,
};
use crate::plan::Digest;

fn not_a_layout(dir: &Path) -> SourceError {
    SourceError::Layout(format!(
        "{} is not an OCI image layout (no `oci-layout` file)",
        dir.display()
    ))
}

/// An error other than "absent" on a layout file: permission denied says so, with a hint.
fn unreadable(dir: &Path, file: &Path, e: std::io::Error) -> SourceError {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        SourceError::Layout(format!(
            "{}: permission denied reading {}\nhint: the step runs as another user than the one that wrote the layout; make it readable (`chmod -R a+rX {}`)",
            dir.display(),
            file.display(),
            dir.display()
        ))
    } else {
        io_error(file, e)
    }
}

fn reading_failed(dir: &Path, file: &Path, e: SourceError) -> SourceError {
    match e {
        SourceError::Io { cause, .. } => unreadable(dir, file, cause),
        other => other,
    }
}

/// Opens a layout directory: reads `index.json`, picks the image and lists the blob files.
pub fn load(dir: &Path, reference: Option<&str>) -> Result<LocalImage, SourceError> {
    let marker = dir.join("oci-layout");
    // Only a missing marker means "not a layout": a directory hoist may not read is reported
    // as such (permission denied), not as the wrong kind of directory.
    match std::fs::metadata(&marker) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_a_layout(dir));
        }
        Err(e) => return Err(unreadable(dir, &marker, e)),
        Ok(_) => {}
    }
    read_metadata_file(&marker, MAX_MARKER_BYTES).map_err(|e| reading_failed(dir, &marker, e))?;
    let index_path = dir.join("index.json");
    let index = read_metadata_file(&index_path, MAX_INDEX_BYTES)
        .map_err(|e| reading_failed(dir, &index_path, e))?;
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
        Err(e) => return Err(unreadable(dir, &blobs, e)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_is_reported_as_such() {
        let dir = Path::new("/layout");
        let err = unreadable(
            dir,
            &dir.join("oci-layout"),
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        let msg = err.to_string();
        assert!(
            msg.contains("permission denied reading /layout/oci-layout"),
            "{msg}"
        );
        assert!(msg.contains("hint: "), "{msg}");
        assert!(!msg.contains("not an OCI image layout"), "{msg}");
    }
}
