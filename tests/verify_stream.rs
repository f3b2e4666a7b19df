//! Blobs verified while they are uploaded (no separate hashing pass), against real
//! distribution registries: a layer whose last byte is flipped never completes an upload on any
//! registry (monolithic or chunked), no tag moves, and the error names the blob and the file it
//! was read from; a registry held back by the fault proxy does not hold back another one's
//! upload of the same blob (checked by state, not by time).

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use support::faults::{FAST_RETRIES, Fault, FaultProxy};
use support::registry::{Kind, Registry, skopeo_digest};
use support::step::{Run, run_hoist_args};

/// The large layer: 6 MiB of incompressible bytes.
const BIG: usize = 6 << 20;

/// An OCI layout of one image with one large layer; returns the manifest and layer digests.
fn big_layout(layout: &Path, seed: u64) -> (String, String) {
    support::images::write_big_layout(layout, seed, BIG)
}

/// The file of blob `d` in `layout`.
fn blob_file(layout: &Path, d: &str) -> std::path::PathBuf {
    layout.join("blobs/sha256").join(&d["sha256:".len()..])
}

/// Flips the last byte of blob `d` in `layout` (same size, another content).
fn flip_last_byte(layout: &Path, d: &str) {
    let path = blob_file(layout, d);
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
}

/// The status of `HEAD /v2/<repo>/blobs/<digest>` on a loopback registry (bounded by a
/// timeout).
fn blob_status(host: &str, repo: &str, d: &str) -> u16 {
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head =
        format!("HEAD /v2/{repo}/blobs/{d} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.take(64 * 1024).read_to_end(&mut out).unwrap();
    String::from_utf8_lossy(&out[9..12]).parse().unwrap()
}

fn push(images: &[String], src: &Path, extra: &[(&str, &str)]) -> Run {
    let images = images.join("\n");
    let insecure = images
        .lines()
        .map(|i| i.split_once('/').unwrap().0)
        .collect::<Vec<_>>()
        .join(",");
    let source = format!("oci:{}", src.display());
    let mut inputs = vec![
        ("images", images.as_str()),
        ("tags", "type=raw,value=v1"),
        ("source", source.as_str()),
        ("insecure-registries", insecure.as_str()),
    ];
    inputs.extend_from_slice(extra);
    run_hoist_args(&inputs, &["--retry-pacing", FAST_RETRIES])
}

/// A corrupt large layer pushed to three registries (the first behind a recording proxy): the
/// step fails naming the blob and its file, no registry holds the blob or the tag, and hoist
/// itself never sent the layer's last bytes (the registry's own digest check is not what
/// stopped it).
fn corrupt_layer_lands_nowhere(extra: &[(&str, &str)]) {
    let regs: Vec<Registry> = (0..3).map(|_| Registry::start(&Kind::Anonymous)).collect();
    let proxy = FaultProxy::start(regs[0].port, |_, _| Fault::Pass);
    let src = tempfile::tempdir().unwrap();
    let (_, layer) = big_layout(src.path(), 7);
    flip_last_byte(src.path(), &layer);
    let images: Vec<String> = std::iter::once(proxy.host())
        .chain(regs[1..].iter().map(Registry::host))
        .map(|h| format!("{h}/team/app"))
        .collect();
    let run = push(&images, src.path(), extra);
    let layer_bytes_sent = proxy.body_bytes.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        layer_bytes_sent < BIG as u64,
        "{layer_bytes_sent} body bytes went through: the whole layer was sent"
    );
    let hex = &layer["sha256:".len()..];
    let finals: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|l| l.starts_with("PUT ") && l.contains(hex))
        .collect();
    if extra.iter().any(|(k, _)| *k == "chunk-size") {
        assert!(finals.is_empty(), "a final PUT was sent: {finals:?}");
    }
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error title="))
        .collect();
    assert_eq!(errors.len(), 3, "{}", run.stdout);
    let file = blob_file(src.path(), &layer).display().to_string();
    for e in &errors {
        assert!(
            e.contains(&format!("verify source blob {layer}"))
                && e.contains("is corrupt: its content hashes to sha256:")
                && e.contains(&file),
            "{e}"
        );
    }
    for (r, image) in regs.iter().zip(&images) {
        assert_eq!(skopeo_digest(&format!("{image}:v1"), &[]), None, "{image}");
        assert_eq!(blob_status(&r.host(), "team/app", &layer), 404, "{image}");
    }
    let results = run.results();
    assert_eq!(results.len(), 3);
    assert!(
        results.iter().all(|t| t["status"] == "failed"),
        "{results:?}"
    );
}

#[test]
fn a_flipped_last_byte_completes_no_upload_on_any_registry() {
    corrupt_layer_lands_nowhere(&[]);
}

#[test]
fn a_flipped_last_byte_completes_no_chunked_upload_on_any_registry() {
    corrupt_layer_lands_nowhere(&[("chunk-size", "1MiB")]);
}

#[test]
fn a_held_registry_does_not_hold_back_another_ones_upload_of_the_same_blob() {
    let fast = Registry::start(&Kind::Anonymous);
    let slow = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    let (root, layer) = big_layout(src.path(), 11);
    let hex = layer["sha256:".len()..].to_owned();
    // Every request carrying the layer to the slow registry is held until released.
    let proxy = FaultProxy::start(slow.port, move |_, line| {
        if line.starts_with("PUT ") && line.contains(&hex) {
            Fault::Hold
        } else {
            Fault::Pass
        }
    });
    let images = vec![
        format!("{}/team/app", fast.host()),
        format!("{}/team/app", proxy.host()),
    ];
    let pushing = {
        let images = images.clone();
        let src = src.path().to_owned();
        std::thread::spawn(move || push(&images, &src, &[]))
    };
    // The fast registry completes the layer while the slow one's upload is held.
    let until = Instant::now() + Duration::from_secs(60);
    while blob_status(&fast.host(), "team/app", &layer) != 200 {
        assert!(
            Instant::now() < until && !pushing.is_finished(),
            "the fast registry never completed the layer"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        proxy
            .seen()
            .iter()
            .any(|l| l.starts_with("PUT ") && l.contains(&layer["sha256:".len()..])),
        "the slow upload had not started: {:?}",
        proxy.seen()
    );
    assert_eq!(blob_status(&slow.host(), "team/app", &layer), 404);
    assert!(!pushing.is_finished(), "the push ended while held");
    proxy.release();
    let run = pushing.join().unwrap();
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    for image in &images {
        assert_eq!(
            skopeo_digest(&format!("{image}:v1"), &[]).as_deref(),
            Some(root.as_str()),
            "{image}"
        );
    }
    assert_eq!(blob_status(&slow.host(), "team/app", &layer), 200);
}
