//! Resumable and chunked blob uploads against a real distribution registry behind the fault
//! proxy: a reset in the middle of a large blob resumes from the offset the registry
//! acknowledges (the proxy counts the bytes sent), `chunk-size` gets a blob through a proxy
//! that limits request bodies, and bad `chunk-size` values are refused before any network.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

mod support;

use std::path::Path;
use std::sync::atomic::Ordering;

use support::faults::{FAST_RETRIES, Fault, FaultProxy};
use support::registry::{Kind, Registry, skopeo_digest};
use support::step::run_hoist_args;

const BIG: usize = 3 << 20;

/// An OCI layout of one image with a single 3 MiB layer (incompressible bytes); returns the
/// manifest digest.
fn big_layout(layout: &Path, seed: u64) -> String {
    support::images::write_big_layout(layout, seed, BIG).0
}

fn push_through(proxy: &FaultProxy, src: &Path, extra: &[(&str, &str)]) -> support::step::Run {
    let images = format!("{}/team/app", proxy.host());
    let source = format!("oci:{}", src.display());
    let host = proxy.host();
    let mut inputs = vec![
        ("images", images.as_str()),
        ("tags", "type=raw,value=v1"),
        ("source", source.as_str()),
        ("insecure-registries", host.as_str()),
    ];
    inputs.extend_from_slice(extra);
    run_hoist_args(&inputs, &["--retry-pacing", FAST_RETRIES])
}

fn uploads(seen: &[String], method: &str) -> usize {
    seen.iter()
        .filter(|l| l.starts_with(method) && l.contains("/blobs/uploads/"))
        .count()
}

#[test]
fn a_reset_between_chunks_resumes_from_the_offset_the_registry_acknowledges() {
    let registry = Registry::start(&Kind::Anonymous);
    // The 4th 512 KiB `PATCH` of the 3 MiB layer is cut before any of its body arrives (the
    // registry then holds exactly the 1.5 MiB it acknowledged).
    let proxy = FaultProxy::start(registry.port, |_, line| {
        if line.starts_with("PATCH ") {
            Fault::CutOnce {
                min_body: 512 << 10,
                skip: 3,
                after: 0,
            }
        } else {
            Fault::Pass
        }
    });
    let src = tempfile::tempdir().unwrap();
    let root = big_layout(src.path(), 15);
    let run = push_through(&proxy, src.path(), &[("chunk-size", "512KiB")]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:v1", registry.host()), &[]).as_deref(),
        Some(root.as_str())
    );
    assert!(
        proxy.cut.load(Ordering::SeqCst) > 3,
        "the fault was not injected"
    );
    let seen = proxy.seen();
    // The resume asked the registry what it holds, then went on in the same session: two
    // sessions in all (config and layer), 6 chunks of the layer + 1 cut + 1 for the config.
    assert_eq!(uploads(&seen, "GET "), 1, "{seen:#?}");
    assert_eq!(uploads(&seen, "POST "), 2 + 1, "{seen:#?}");
    assert_eq!(uploads(&seen, "PATCH "), 6 + 1 + 1, "{seen:#?}");
    // Nothing of the layer was sent twice: the body bytes are the blobs' sizes.
    let sent = proxy.body_bytes.load(Ordering::SeqCst);
    let blob = BIG as u64;
    assert!(
        sent >= blob && sent < blob + 4096,
        "{sent} body bytes sent for a {blob}-byte layer: restarted, not resumed\n{seen:#?}"
    );
}

#[test]
fn a_reset_in_the_middle_of_a_body_the_registry_cannot_resume_restarts_the_upload() {
    // distribution 2.8 refuses a session whose stored size moved past the offset its upload
    // URL was issued for (`BLOB_UPLOAD_INVALID`): the upload starts over, as before resumes.
    let registry = Registry::start(&Kind::Anonymous);
    let proxy = FaultProxy::start(registry.port, |_, line| {
        if line.starts_with("PUT ") && line.contains("/blobs/uploads/") {
            Fault::CutOnce {
                min_body: 1 << 20,
                skip: 0,
                after: 3 << 19,
            }
        } else {
            Fault::Pass
        }
    });
    let src = tempfile::tempdir().unwrap();
    let root = big_layout(src.path(), 16);
    let run = push_through(&proxy, src.path(), &[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:v1", registry.host()), &[]).as_deref(),
        Some(root.as_str())
    );
    assert_eq!(
        proxy.cut.load(Ordering::SeqCst),
        2,
        "the fault was not injected once"
    );
    let seen = proxy.seen();
    assert_eq!(uploads(&seen, "GET "), 1, "{seen:#?}");
    // The cut half, then the whole layer again.
    let sent = proxy.body_bytes.load(Ordering::SeqCst);
    let blob = BIG as u64;
    assert!(sent >= blob + blob / 2, "{sent}\n{seen:#?}");
}

#[test]
fn chunk_size_gets_a_blob_through_a_proxy_that_limits_request_bodies() {
    let registry = Registry::start(&Kind::Anonymous);
    let proxy = FaultProxy::start(registry.port, |_, _| Fault::LimitBody(1 << 20));
    let src = tempfile::tempdir().unwrap();
    let root = big_layout(src.path(), 17);
    let run = push_through(&proxy, src.path(), &[]);
    assert_ne!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert!(all.contains("HTTP 413"), "{all}");
    assert!(
        all.contains("hint: a proxy or the registry limits request bodies: set `chunk-size`"),
        "{all}"
    );
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:v1", registry.host()), &[]),
        None
    );
    let run = push_through(&proxy, src.path(), &[("chunk-size", "512KiB")]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:v1", registry.host()), &[]).as_deref(),
        Some(root.as_str())
    );
    // 6 chunks of 512 KiB for the layer (the small config landed in the first run already).
    let seen = proxy.seen();
    assert_eq!(uploads(&seen, "PATCH "), 6, "{seen:#?}");
}

#[test]
fn bad_chunk_sizes_are_refused_before_any_network() {
    let proxy = FaultProxy::start(support::free_port(), |_, _| Fault::Dead);
    let src = tempfile::tempdir().unwrap();
    big_layout(src.path(), 18);
    for bad in ["12 parsecs", "0", "1.5MiB", "8XB", "5GiB"] {
        let run = push_through(&proxy, src.path(), &[("chunk-size", bad)]);
        assert_ne!(run.code, Some(0), "{bad}");
        let all = format!("{}\n{}", run.stdout, run.stderr);
        assert!(
            all.contains(&format!("input `chunk-size`: `{bad}` is not a size")),
            "{bad}: {all}"
        );
    }
    assert!(proxy.seen().is_empty(), "{:#?}", proxy.seen());
}

#[test]
fn a_resume_the_registry_refuses_with_416_starts_the_upload_over() {
    use std::sync::atomic::AtomicBool;
    let registry = Registry::start(&Kind::Anonymous);
    let asked = AtomicBool::new(false);
    let refused = AtomicBool::new(false);
    // The 4th chunk is cut before its body; the `PATCH` that resumes after the `GET` is
    // refused with 416 (a registry that acknowledged an offset it does not accept).
    let proxy = FaultProxy::start(registry.port, move |_, line| {
        if line.starts_with("GET ") && line.contains("/blobs/uploads/") {
            asked.store(true, Ordering::SeqCst);
            Fault::Pass
        } else if line.starts_with("PATCH ") {
            if asked.load(Ordering::SeqCst) && !refused.swap(true, Ordering::SeqCst) {
                Fault::StatusAfterBody(416)
            } else {
                Fault::CutOnce {
                    min_body: 512 << 10,
                    skip: 3,
                    after: 0,
                }
            }
        } else {
            Fault::Pass
        }
    });
    let src = tempfile::tempdir().unwrap();
    let root = big_layout(src.path(), 19);
    let run = push_through(&proxy, src.path(), &[("chunk-size", "512KiB")]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:v1", registry.host()), &[]).as_deref(),
        Some(root.as_str())
    );
    let seen = proxy.seen();
    assert_eq!(uploads(&seen, "GET "), 1, "{seen:#?}");
    // Preflight, config, layer, and the layer again in a fresh session.
    assert_eq!(uploads(&seen, "POST "), 4, "{seen:#?}");
    // 3 chunks, the cut one, the refused one, then 6 chunks again; 1 for the config.
    assert_eq!(uploads(&seen, "PATCH "), 3 + 1 + 1 + 6 + 1, "{seen:#?}");
    let sent = proxy.body_bytes.load(Ordering::SeqCst);
    let blob = BIG as u64;
    assert!(sent >= blob + blob / 2, "{sent}\n{seen:#?}");
}
