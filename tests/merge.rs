//! Issue 10: several `source` lines merged into one index, pushed to real registries
//! (docker-registry) and checked with skopeo and, for the platforms, the local Docker Engine.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value as Json, json};
use support::digest;
use support::images::{write_docker_archive, write_layout};
use support::registry::{Kind, Registry, skopeo_digest};
use support::step::{Run, run_hoist};

const TAGS: &str = "type=raw,value=1.2.3\ntype=raw,value=latest";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn images(regs: &[&Registry]) -> String {
    regs.iter()
        .map(|r| format!("{}/team/app", r.host()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn insecure(regs: &[&Registry]) -> String {
    regs.iter().map(|r| r.host()).collect::<Vec<_>>().join("\n")
}

fn write_blob(layout: &Path, bytes: &[u8]) -> Json {
    let d = digest(bytes);
    std::fs::write(layout.join("blobs/sha256").join(&d[7..]), bytes).unwrap();
    json!({"digest": d, "size": bytes.len()})
}

/// One single-platform image in an OCI layout, its layer a real gzipped tar (so the Engine can
/// unpack it). The descriptor in `index.json` has no `platform`: hoist reads it from the config.
/// `docker`: Docker v2 media types. Returns (manifest digest, config digest).
fn single(
    layout: &Path,
    seed: u8,
    arch: &str,
    variant: Option<&str>,
    docker: bool,
) -> (String, String) {
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    let data: Vec<u8> = (0..4096_u32).map(|i| i.to_le_bytes()[0] ^ seed).collect();
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, format!("file-{arch}-{seed}"), data.as_slice())
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let layer = gz.finish().unwrap();
    let mut config = json!({
        "architecture": arch, "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/file"]}, "rootfs": {"type": "layers", "diff_ids": [digest(&tar)]},
    });
    if let Some(v) = variant {
        config["variant"] = v.into();
    }
    let config = serde_json::to_vec(&config).unwrap();
    let (mt, config_mt, layer_mt) = if docker {
        (
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        )
    } else {
        (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
    };
    let mut c = write_blob(layout, &config);
    c["mediaType"] = config_mt.into();
    let mut l = write_blob(layout, &layer);
    l["mediaType"] = layer_mt.into();
    let manifest = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": mt, "config": c, "layers": [l]}),
    )
    .unwrap();
    let mut m = write_blob(layout, &manifest);
    m["mediaType"] = mt.into();
    let index = json!({"schemaVersion": 2, "manifests": [m]});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    (digest(&manifest), digest(&config))
}

fn tar_dir(dir: &Path, out: &Path) {
    support::images::write_archive(dir, out);
}

fn run_with(regs: &[&Registry], source: &str, extra: &[(&str, &str)]) -> Run {
    let images = images(regs);
    let insecure = insecure(regs);
    let mut inputs = vec![
        ("images", images.as_str()),
        ("tags", TAGS),
        ("source", source),
        ("insecure-registries", insecure.as_str()),
    ];
    inputs.extend_from_slice(extra);
    run_hoist(&inputs)
}

fn raw(reference: &str) -> Vec<u8> {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn platform(entry: &Json) -> String {
    let p = &entry["platform"];
    let mut s = format!(
        "{}/{}",
        p["os"].as_str().unwrap(),
        p["architecture"].as_str().unwrap()
    );
    if let Some(v) = p["variant"].as_str() {
        s = format!("{s}/{v}");
    }
    s
}

#[test]
fn two_oci_archives_become_one_annotated_index_on_three_registries() {
    let a = Registry::start(&Kind::Anonymous);
    let b = Registry::start(&Kind::Anonymous);
    let c = Registry::start(&Kind::Anonymous);
    let regs = [&a, &b, &c];
    let work = tempfile::tempdir().unwrap();
    let (amd, _) = single(&work.path().join("amd"), 1, "amd64", None, false);
    let (arm, _) = single(&work.path().join("arm"), 2, "arm64", Some("v8"), false);
    let amd_tar = work.path().join("amd.tar");
    let arm_tar = work.path().join("arm.tar");
    tar_dir(&work.path().join("amd"), &amd_tar);
    tar_dir(&work.path().join("arm"), &arm_tar);
    let source = format!(
        "oci-archive:{}\noci-archive:{}",
        amd_tar.display(),
        arm_tar.display()
    );

    let first = run_with(&regs, &source, &[]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let root = first.output("digest").to_owned();
    assert!(root.starts_with("sha256:"), "{root}");
    for r in regs {
        for tag in ["1.2.3", "latest"] {
            assert_eq!(
                skopeo_digest(&format!("{}/team/app:{tag}", r.host()), &[]).as_deref(),
                Some(root.as_str()),
                "{} {tag}",
                r.host()
            );
        }
        // Children byte-identical to the sources.
        for child in [&amd, &arm] {
            assert_eq!(
                skopeo_digest(&format!("{}/team/app@{child}", r.host()), &[]).as_deref(),
                Some(child.as_str())
            );
        }
    }
    let index: Json =
        serde_json::from_slice(&raw(&format!("{}/team/app:1.2.3", a.host()))).unwrap();
    assert_eq!(index["mediaType"], OCI_INDEX);
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{index}");
    assert_eq!(entries[0]["digest"], amd.as_str());
    assert_eq!(entries[0]["mediaType"], OCI_MANIFEST);
    assert_eq!(platform(&entries[0]), "linux/amd64");
    assert_eq!(entries[1]["digest"], arm.as_str());
    assert_eq!(platform(&entries[1]), "linux/arm64/v8");
    let ann = &index["annotations"];
    assert_eq!(ann["org.opencontainers.image.version"], "1.2.3", "{index}");
    assert!(
        ann["org.opencontainers.image.revision"]
            .as_str()
            .is_some_and(|s| s.len() == 40),
        "{index}"
    );
    assert!(
        ann["org.opencontainers.image.source"]
            .as_str()
            .is_some_and(|s| s.ends_with("/o/app")),
        "{index}"
    );
    for t in first.results() {
        assert_eq!(t["status"], "ok", "{t}");
        assert_eq!(t["digest"], root.as_str());
        // 2 × (config + layer).
        assert_eq!(t["blobs"]["uploaded"], 4, "{t}");
        let children: Vec<&str> = t["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["digest"].as_str().unwrap())
            .collect();
        assert_eq!(children, [amd.as_str(), arm.as_str()], "{t}");
        assert_eq!(t["children"][1]["platform"], "linux/arm64/v8", "{t}");
    }
    assert!(first.summary.contains("linux/amd64"), "{}", first.summary);
    assert!(
        first.summary.contains("linux/arm64/v8"),
        "{}",
        first.summary
    );

    let second = run_with(&regs, &source, &[]);
    assert_eq!(second.code, Some(0), "{}\n{}", second.stdout, second.stderr);
    assert_eq!(second.output("digest"), root);
    for t in second.results() {
        assert_eq!(t["blobs"]["uploaded"], 0, "{t}");
        assert_eq!(t["tags"][0]["status"], "unchanged", "{t}");
    }
}

#[test]
fn one_source_line_keeps_the_single_image_digest() {
    let reg = Registry::start(&Kind::Anonymous);
    let work = tempfile::tempdir().unwrap();
    let (amd, _) = single(work.path(), 3, "amd64", None, false);
    // A trailing blank line is still one source.
    let run = run_with(&[&reg], &format!("oci:{}\n", work.path().display()), &[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("digest"), amd);
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:latest", reg.host()), &[]).as_deref(),
        Some(amd.as_str())
    );
}

#[test]
fn mixed_transports_merge_layout_docker_archive_and_a_remote_digest() {
    let a = Registry::start(&Kind::Anonymous);
    let b = Registry::start(&Kind::Anonymous);
    let c = Registry::start(&Kind::Anonymous);
    let fourth = Registry::start(&Kind::Anonymous);
    let work = tempfile::tempdir().unwrap();
    let (arm, _) = single(&work.path().join("arm"), 4, "arm64", None, false);
    let (s390x, _) = single(&work.path().join("s390x"), 5, "s390x", None, false);
    let docker_tar = work.path().join("docker.tar");
    write_docker_archive(&docker_tar, 6, false);
    // A matrix job that pushed by digest: s390x on a fourth registry.
    let by_digest = run_hoist(&[
        ("images", &format!("{}/build/app", fourth.host())),
        ("tags", "type=raw,value=tmp"),
        (
            "source",
            &format!("oci:{}", work.path().join("s390x").display()),
        ),
        ("insecure-registries", &fourth.host()),
    ]);
    assert_eq!(by_digest.code, Some(0), "{}", by_digest.stderr);
    assert_eq!(by_digest.output("digest"), s390x);

    let regs = [&a, &b, &c, &fourth];
    let source = format!(
        "oci:{}\ndocker-archive:{}\ndocker://{}/build/app@{s390x}",
        work.path().join("arm").display(),
        docker_tar.display(),
        fourth.host()
    );
    let run = run_with(
        &regs[..3],
        &source,
        &[("insecure-registries", &insecure(&regs))],
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let root = run.output("digest").to_owned();
    for r in &regs[..3] {
        assert_eq!(
            skopeo_digest(&format!("{}/team/app:1.2.3", r.host()), &[]).as_deref(),
            Some(root.as_str())
        );
    }
    let index: Json =
        serde_json::from_slice(&raw(&format!("{}/team/app:1.2.3", b.host()))).unwrap();
    // One child is Docker v2 (the docker archive), the others OCI: an OCI index, nothing converted.
    assert_eq!(index["mediaType"], OCI_INDEX);
    let entries = index["manifests"].as_array().unwrap();
    let got: Vec<String> = entries.iter().map(platform).collect();
    assert_eq!(got, ["linux/arm64", "linux/amd64", "linux/s390x"]);
    assert_eq!(entries[0]["digest"], arm.as_str());
    assert_eq!(
        entries[1]["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(entries[2]["digest"], s390x.as_str());
}

#[test]
fn docker_v2_children_only_make_a_docker_manifest_list() {
    let reg = Registry::start(&Kind::Anonymous);
    let work = tempfile::tempdir().unwrap();
    let (amd, _) = single(&work.path().join("amd"), 7, "amd64", None, true);
    let (arm, _) = single(&work.path().join("arm"), 8, "arm", Some("v7"), true);
    let source = format!(
        "oci:{}\noci:{}",
        work.path().join("amd").display(),
        work.path().join("arm").display()
    );
    let run = run_with(&[&reg], &source, &[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let index: Json =
        serde_json::from_slice(&raw(&format!("{}/team/app:latest", reg.host()))).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert_eq!(index["manifests"][0]["digest"], amd.as_str());
    assert_eq!(index["manifests"][1]["digest"], arm.as_str());
    assert_eq!(platform(&index["manifests"][1]), "linux/arm/v7");
}

#[test]
fn an_index_with_attestations_and_a_third_platform() {
    let reg = Registry::start(&Kind::Anonymous);
    let work = tempfile::tempdir().unwrap();
    let multi = work.path().join("multi");
    let multi_root = write_layout(&multi, 11, true);
    let source_index: Json = serde_json::from_slice(
        &std::fs::read(multi.join("blobs/sha256").join(&multi_root[7..])).unwrap(),
    )
    .unwrap();
    let (ppc, _) = single(&work.path().join("ppc"), 9, "ppc64le", None, false);
    let source = format!(
        "oci:{}\noci:{}",
        multi.display(),
        work.path().join("ppc").display()
    );
    let run = run_with(&[&reg], &source, &[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let index: Json =
        serde_json::from_slice(&raw(&format!("{}/team/app:latest", reg.host()))).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{index}");
    // The source index's entries as they were (attestation after its image's siblings, its
    // reference digest intact), then the third platform.
    for i in 0..3 {
        assert_eq!(entries[i], source_index["manifests"][i], "entry {i}");
    }
    assert_eq!(
        entries[2]["annotations"]["vnd.docker.reference.digest"],
        entries[0]["digest"]
    );
    assert_eq!(entries[3]["digest"], ppc.as_str());
    assert_eq!(platform(&entries[3]), "linux/ppc64le");
    let att = entries[2]["digest"].as_str().unwrap();
    assert_eq!(
        skopeo_digest(&format!("{}/team/app@{att}", reg.host()), &[]).as_deref(),
        Some(att)
    );

    // `platforms` filters the merged set; the attestation follows amd64.
    let reg2 = Registry::start(&Kind::Anonymous);
    let run = run_with(
        &[&reg2],
        &source,
        &[("platforms", "linux/amd64,linux/ppc64le")],
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let index: Json =
        serde_json::from_slice(&raw(&format!("{}/team/app:latest", reg2.host()))).unwrap();
    let got: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap())
        .collect();
    let want = [
        source_index["manifests"][0]["digest"].as_str().unwrap(),
        att,
        ppc.as_str(),
    ];
    assert_eq!(got, want);
}

fn assert_refused(reg: &Registry, source: &str, needles: &[&str]) {
    let run = run_with(&[reg], source, &[]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let out = format!("{}{}", run.stdout, run.stderr);
    for n in needles {
        assert!(out.contains(n), "missing `{n}` in:\n{out}");
    }
    assert!(!out.contains("panicked"), "{out}");
    assert!(!reg.has_blobs(), "nothing may be uploaded: {out}");
}

#[test]
fn wrong_merges_are_refused_before_any_upload_naming_the_lines() {
    let reg = Registry::start(&Kind::Anonymous);
    let work = tempfile::tempdir().unwrap();
    let one = work.path().join("one");
    let two = work.path().join("two");
    single(&one, 1, "amd64", None, false);
    single(&two, 2, "amd64", None, false);
    // The same platform twice.
    assert_refused(
        &reg,
        &format!("oci:{}\n\noci:{}", one.display(), two.display()),
        &[
            "input `source`: line 1 (`oci:",
            "and line 3 (`oci:",
            "both hold platform `linux/amd64`",
        ],
    );

    // A platform that cannot be determined: a config without `os`/`architecture`.
    let bare = work.path().join("bare");
    std::fs::create_dir_all(bare.join("blobs/sha256")).unwrap();
    std::fs::write(bare.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut cfg = write_blob(
        &bare,
        br#"{"config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    cfg["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
    let m = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cfg, "layers": []}),
    )
    .unwrap();
    let mut md = write_blob(&bare, &m);
    md["mediaType"] = OCI_MANIFEST.into();
    std::fs::write(
        bare.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [md]})).unwrap(),
    )
    .unwrap();
    assert_refused(
        &reg,
        &format!("oci:{}\noci:{}", one.display(), bare.display()),
        &["line 2 (`oci:", "cannot be determined"],
    );

    // An attestation whose subject is not in the set: the index without its amd64 image.
    let multi = work.path().join("multi");
    let root = write_layout(&multi, 12, true);
    let mut idx: Json = serde_json::from_slice(
        &std::fs::read(multi.join("blobs/sha256").join(&root[7..])).unwrap(),
    )
    .unwrap();
    idx["manifests"].as_array_mut().unwrap().remove(0);
    let mut d = write_blob(&multi, &serde_json::to_vec(&idx).unwrap());
    d["mediaType"] = OCI_INDEX.into();
    std::fs::write(
        multi.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [d]})).unwrap(),
    )
    .unwrap();
    assert_refused(
        &reg,
        &format!("oci:{}\noci:{}", one.display(), multi.display()),
        &[
            "line 2 (`oci:",
            "attestation manifest",
            "which is not an image of this source",
        ],
    );

    // A bad transport on line 2 names its line.
    assert_refused(
        &reg,
        &format!("oci:{}\nftp://x", one.display()),
        &["line 2 (`ftp://x`)", "is not a supported source"],
    );
}

#[test]
fn push_false_shows_the_merged_index_platform_by_platform() {
    let reg = Registry::start(&Kind::Anonymous);
    let work = tempfile::tempdir().unwrap();
    single(&work.path().join("amd"), 1, "amd64", None, false);
    single(&work.path().join("arm"), 2, "arm64", None, false);
    let source = format!(
        "oci:{}\noci:{}",
        work.path().join("amd").display(),
        work.path().join("arm").display()
    );
    let run = run_with(&[&reg], &source, &[("push", "false")]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("({OCI_INDEX})")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("platforms: linux/amd64, linux/arm64"),
        "{}",
        run.stdout
    );
    assert!(!reg.has_blobs());
    // Deterministic: the same inputs give the same digest.
    let again = run_with(&[&reg], &source, &[("push", "false")]);
    assert_eq!(again.output("digest"), run.output("digest"));
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().unwrap()
}

struct RemoveImages(Vec<String>);

impl Drop for RemoveImages {
    fn drop(&mut self) {
        for r in &self.0 {
            let _ = docker(&["image", "rm", "-f", r]);
        }
    }
}

#[test]
fn the_engine_pulls_each_platform_with_the_source_image_id() {
    let info = docker(&["info", "--format", "{{.ServerVersion}}"]);
    assert!(
        info.status.success(),
        "this test needs a Docker Engine (`docker info` failed: {})",
        String::from_utf8_lossy(&info.stderr).trim()
    );
    let a = Registry::start(&Kind::Anonymous);
    let b = Registry::start(&Kind::Anonymous);
    let c = Registry::start(&Kind::Anonymous);
    let regs = [&a, &b, &c];
    let work = tempfile::tempdir().unwrap();
    let (_, amd_id) = single(&work.path().join("amd"), 21, "amd64", None, false);
    let (_, arm_id) = single(&work.path().join("arm"), 22, "arm64", None, false);
    let source = format!(
        "oci:{}\noci:{}",
        work.path().join("amd").display(),
        work.path().join("arm").display()
    );
    let run = run_with(&regs, &source, &[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let mut cleanup = RemoveImages(Vec::new());
    for r in regs {
        let reference = format!("{}/team/app:1.2.3", r.host());
        for (platform, id) in [("linux/amd64", &amd_id), ("linux/arm64", &arm_id)] {
            cleanup.0.push(reference.clone());
            let pulled = docker(&["pull", "-q", "--platform", platform, &reference]);
            assert!(
                pulled.status.success(),
                "docker pull --platform {platform} {reference}: {}",
                String::from_utf8_lossy(&pulled.stderr)
            );
            let inspect = docker(&["image", "inspect", "-f", "{{.Id}}", &reference]);
            assert_eq!(
                String::from_utf8_lossy(&inspect.stdout).trim(),
                id.as_str(),
                "{platform} from {reference}"
            );
        }
    }
}
