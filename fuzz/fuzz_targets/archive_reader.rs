//! Fuzzes the tar readers: the input is written as a file and read as an `oci-archive:` and as
//! a `docker-archive:` (then planned). Any input must give `Ok` or a clean error whose text
//! holds no raw control character, never a panic.
#![no_main]

use hoist::source::{self, SourceRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("image.tar");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let spool = dir.path().join("spool");
    for source in [
        SourceRef::Archive {
            path: path.clone(),
            reference: None,
        },
        SourceRef::DockerArchive {
            path: path.clone(),
            reference: None,
        },
    ] {
        match source::load(&source, &spool, None) {
            Ok(image) => {
                if let Ok(plan) = source::plan(&image, &[]) {
                    let _ = source::verify_all(&image, &plan);
                }
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    !text.chars().any(|c| c.is_control() && c != '\n'),
                    "raw control character in {text:?}"
                );
            }
        }
    }
});
