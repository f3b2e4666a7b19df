//! Fuzzes the plan builder: the first NUL-separated part is the root manifest, the others are
//! the manifests it may reference (found by digest). Any input must give a plan or a clean
//! error, never a panic, and a plan must be well formed (root last, digests of the bytes).
#![no_main]

use std::collections::HashMap;

use hoist::plan::{Descriptor, Digest, build_plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (platforms, data) = match data.split_first() {
        Some((flag, rest)) if flag & 1 == 1 => (vec!["linux/amd64".to_owned()], rest),
        Some((_, rest)) => (Vec::new(), rest),
        None => return,
    };
    let mut parts = data.split(|b| *b == 0);
    let root = parts.next().unwrap_or_default();
    let store: HashMap<Digest, Vec<u8>> = std::iter::once(root)
        .chain(parts)
        .map(|p| (Digest::of(p), p.to_vec()))
        .collect();
    let desc = Descriptor {
        media_type: String::new(),
        digest: Digest::of(root),
        size: root.len() as u64,
    };
    let mut reads = 0_usize;
    let mut read = |d: &Descriptor| {
        reads += 1;
        store
            .get(&d.digest)
            .cloned()
            .ok_or_else(|| "missing".to_owned())
    };
    if let Ok(plan) = build_plan(&desc, &mut read, &platforms) {
        let root = plan.root();
        assert_eq!(Digest::of(&root.bytes), root.digest);
        for m in &plan.manifests {
            assert_eq!(Digest::of(&m.bytes), m.digest);
        }
    }
    // Memoised: each distinct manifest is read at most once.
    assert!(reads <= store.len(), "{reads} reads of {} manifests", store.len());
});
