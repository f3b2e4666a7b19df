//! Fuzzes the `oci:` layout reader and the plan over it: the first NUL-separated part is
//! `index.json`, the others become `blobs/sha256/<digest>` files. Any input must load and plan
//! to `Ok` or a clean error, never a panic.
#![no_main]

use hoist::plan::Digest;
use hoist::source::{self, SourceRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let root = dir.path();
    let mut parts = data.split(|b| *b == 0);
    let index = parts.next().unwrap_or_default();
    let blobs = root.join("blobs").join("sha256");
    if std::fs::create_dir_all(&blobs).is_err()
        || std::fs::write(root.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).is_err()
        || std::fs::write(root.join("index.json"), index).is_err()
    {
        return;
    }
    for blob in parts.take(32) {
        let _ = std::fs::write(blobs.join(Digest::of(blob).hex()), blob);
    }
    let source = SourceRef::Layout {
        path: root.to_path_buf(),
        reference: None,
    };
    let spool = root.join("spool");
    if let Ok(image) = source::load(&source, &spool, None) {
        if let Ok(plan) = source::plan(&image, &[]) {
            let _ = source::verify_all(&image, &plan);
        }
    }
});
