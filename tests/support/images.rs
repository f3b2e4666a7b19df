//! Generated images: OCI layouts (single-platform or an index of two) and their archives, and
//! `docker save` archives (legacy and modern), all deterministic from a seed.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::format_push_string,
    clippy::cast_possible_truncation
)]

use std::io::Write;
use std::path::{Path, PathBuf};

use super::digest;

/// A tiny deterministic PRNG for layer contents.
struct XorShift(u64);

impl XorShift {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }
}

fn write_blob(layout: &Path, bytes: &[u8]) -> serde_json::Value {
    let d = digest(bytes);
    let path = layout.join("blobs/sha256").join(&d["sha256:".len()..]);
    std::fs::write(path, bytes).unwrap();
    serde_json::json!({"digest": d, "size": bytes.len()})
}

fn descriptor(media_type: &str, mut d: serde_json::Value) -> serde_json::Value {
    d["mediaType"] = media_type.into();
    d
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write_manifest(
    layout: &Path,
    rng: &mut XorShift,
    arch: &str,
    layers: usize,
) -> serde_json::Value {
    let mut layer_descs = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..layers {
        // A real tar (one file of random bytes), so that an engine can pull and unpack it.
        let mut data = vec![0_u8; 20_000 + i * 7_000];
        rng.fill(&mut data);
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("layer-{arch}-{i}"), data.as_slice())
            .unwrap();
        let raw = tar.into_inner().unwrap();
        diff_ids.push(digest(&raw));
        layer_descs.push(descriptor(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            write_blob(layout, &gzip(&raw)),
        ));
    }
    let config = serde_json::json!({
        "architecture": arch, "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let config = write_blob(layout, &serde_json::to_vec(&config).unwrap());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": layer_descs,
    });
    descriptor(
        "application/vnd.oci.image.manifest.v1+json",
        write_blob(layout, &serde_json::to_vec(&manifest).unwrap()),
    )
}

/// Writes an OCI layout: a single-platform image, or a multi-platform index (amd64, arm64)
/// with a buildx-style `unknown/unknown` attestation manifest. Returns the root digest.
pub fn write_layout(layout: &Path, seed: u64, multi: bool) -> String {
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut rng = XorShift(seed | 1);
    let mut root = if multi {
        let mut amd = write_manifest(layout, &mut rng, "amd64", 3);
        amd["platform"] = serde_json::json!({"os": "linux", "architecture": "amd64"});
        let mut arm = write_manifest(layout, &mut rng, "arm64", 2);
        arm["platform"] = serde_json::json!({"os": "linux", "architecture": "arm64"});
        let statement = write_blob(layout, br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#);
        let config = write_blob(layout, br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#);
        let att = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [descriptor("application/vnd.in-toto+json", statement)],
        });
        let mut att = descriptor(
            "application/vnd.oci.image.manifest.v1+json",
            write_blob(layout, &serde_json::to_vec(&att).unwrap()),
        );
        att["platform"] = serde_json::json!({"os": "unknown", "architecture": "unknown"});
        att["annotations"] = serde_json::json!({
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": amd["digest"],
        });
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [amd, arm, att],
        });
        descriptor(
            "application/vnd.oci.image.index.v1+json",
            write_blob(layout, &serde_json::to_vec(&index).unwrap()),
        )
    } else {
        write_manifest(layout, &mut rng, "amd64", 3)
    };
    root["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "latest"});
    let d = root["digest"].as_str().unwrap().to_owned();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [root]});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    d
}

/// Tars a layout directory into an OCI archive.
pub fn write_archive(layout: &Path, out: &Path) {
    let f = std::fs::File::create(out).unwrap();
    let mut b = tar::Builder::new(f);
    b.append_dir_all(".", layout).unwrap();
    b.finish().unwrap();
}

/// The blob files of a layout (for corruption tests).
pub fn layer_files(layout: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::metadata(p).unwrap().len() > 10_000)
        .collect();
    v.sort();
    v
}

/// Writes a `docker save` tar. `modern`: Docker 25+ (OCI layout beside `manifest.json`,
/// layers as uncompressed `blobs/sha256/<diffid>`); otherwise the legacy `<id>/layer.tar` form
/// with one layer reached through a symlink (as skopeo writes it). Returns the config digest.
pub fn write_docker_archive(out: &Path, seed: u64, modern: bool) -> String {
    let mut rng = XorShift(seed | 1);
    let f = std::fs::File::create(out).unwrap();
    let mut b = tar::Builder::new(f);
    let add = |b: &mut tar::Builder<std::fs::File>, path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    };
    let mut layers = Vec::new();
    for i in 0..3 {
        // A real tar as the layer (uncompressed), with random content.
        let mut inner = tar::Builder::new(Vec::new());
        let mut data = vec![0_u8; 30_000 + i * 5_000];
        rng.fill(&mut data);
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        inner
            .append_data(&mut h, format!("file{i}"), data.as_slice())
            .unwrap();
        layers.push(inner.into_inner().unwrap());
    }
    let diff_ids: Vec<String> = layers.iter().map(|l| digest(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let config_digest = digest(&config);
    let hex = |d: &str| d["sha256:".len()..].to_owned();
    let (config_path, layer_paths): (String, Vec<String>) = if modern {
        for l in &layers {
            add(&mut b, &format!("blobs/sha256/{}", hex(&digest(l))), l);
        }
        add(
            &mut b,
            &format!("blobs/sha256/{}", hex(&config_digest)),
            &config,
        );
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": layers.iter().map(|l| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(l), "size": l.len()})).collect::<Vec<_>>(),
        }))
        .unwrap();
        add(
            &mut b,
            &format!("blobs/sha256/{}", hex(&digest(&manifest))),
            &manifest,
        );
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(&manifest), "size": manifest.len(),
                "annotations": {"io.containerd.image.name": "docker.io/library/app:v1", "org.opencontainers.image.ref.name": "v1"}}],
        }))
        .unwrap();
        add(&mut b, "index.json", &index);
        add(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        (
            format!("blobs/sha256/{}", hex(&config_digest)),
            diff_ids
                .iter()
                .map(|d| format!("blobs/sha256/{}", hex(d)))
                .collect(),
        )
    } else {
        let mut paths = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            let id = format!("{:064x}", i + 1);
            if i == 0 {
                // skopeo's variant: `<id>/layer.tar` is a symlink to `<diffid>.tar`.
                let target = format!("{}.tar", hex(&diff_ids[0]));
                add(&mut b, &target, l);
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                b.append_link(&mut h, format!("{id}/layer.tar"), format!("../{target}"))
                    .unwrap();
            } else {
                add(&mut b, &format!("{id}/layer.tar"), l);
            }
            paths.push(format!("{id}/layer.tar"));
        }
        let cp = format!("{}.json", hex(&config_digest));
        add(&mut b, &cp, &config);
        (cp, paths)
    };
    let manifest_json = serde_json::to_vec(&serde_json::json!([
        {"Config": config_path, "RepoTags": ["app:v1"], "Layers": layer_paths}
    ]))
    .unwrap();
    add(&mut b, "manifest.json", &manifest_json);
    b.finish().unwrap();
    config_digest
}

/// Writes an OCI layout of one single-platform image with one layer of `size` incompressible
/// bytes (deterministic from `seed`), for tests about large uploads. Returns the manifest digest
/// and the layer's.
pub fn write_big_layout(layout: &Path, seed: u64, size: usize) -> (String, String) {
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut layer = vec![0_u8; size];
    XorShift(seed | 1).fill(&mut layer);
    let layer_desc = descriptor(
        "application/vnd.oci.image.layer.v1.tar",
        write_blob(layout, &layer),
    );
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [digest(&layer)]},
    });
    let config = descriptor(
        "application/vnd.oci.image.config.v1+json",
        write_blob(layout, &serde_json::to_vec(&config).unwrap()),
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": [layer_desc],
    });
    let root = descriptor(
        "application/vnd.oci.image.manifest.v1+json",
        write_blob(layout, &serde_json::to_vec(&manifest).unwrap()),
    );
    let d = root["digest"].as_str().unwrap().to_owned();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [root]});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    (d, digest(&layer))
}
