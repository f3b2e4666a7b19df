//! `source: docker-daemon:…`: an image read from a Docker Engine through its unix socket.
//!
//! With the real Engine of this machine: a generated image is `docker load`ed under a unique
//! tag, pushed by hoist to three local registries, pulled back from each by the Engine and
//! compared by image ID. With a fake Engine on a unix socket (chunked responses, a versioned
//! API path): the exports of both image stores of Docker 25+ (classic: an OCI layout beside
//! `manifest.json` with uncompressed layers; containerd: the original compressed blobs, pushed
//! as is when the whole graph is there), an export framed by `Content-Length`, and a truncated
//! one.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use support::registry::{Kind, Registry};
use support::step::run_hoist;

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `docker {}`: {e}", args.join(" ")))
}

fn require_docker() {
    let info = docker(&["info", "--format", "{{.ServerVersion}}"]);
    assert!(
        info.status.success(),
        "these tests need a Docker Engine (`docker info` failed: {}); on Debian: apt-get install docker.io and start dockerd",
        String::from_utf8_lossy(&info.stderr).trim()
    );
}

fn image_id(reference: &str) -> String {
    let out = docker(&["image", "inspect", "-f", "{{.Id}}", reference]);
    assert!(
        out.status.success(),
        "docker image inspect {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Removes the listed image references on drop (pass or fail).
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for r in &self.0 {
            let _ = docker(&["rmi", "--no-prune", r]);
        }
    }
}

/// Rewrites a `docker save` tar's `manifest.json` so that it tags the image `tag`.
fn retag_archive(tar_path: &Path, tag: &str) {
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(std::fs::File::open(tar_path).unwrap());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let header = e.header().clone();
        let path = e.path().unwrap().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let link = e.link_name().unwrap().map(std::borrow::Cow::into_owned);
        entries.push((header, path, data, link));
    }
    let mut b = tar::Builder::new(std::fs::File::create(tar_path).unwrap());
    for (mut header, path, mut data, link) in entries {
        if path == Path::new("manifest.json") {
            let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
            m[0]["RepoTags"] = serde_json::json!([tag]);
            data = serde_json::to_vec(&m).unwrap();
            header.set_size(data.len() as u64);
            header.set_cksum();
        }
        if let Some(link) = link {
            b.append_link(&mut header, &path, &link).unwrap();
        } else {
            b.append_data(&mut header, &path, data.as_slice()).unwrap();
        }
    }
    b.finish().unwrap();
}

fn inputs_for(source: &str, regs: &[&Registry], tag: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "images",
            regs.iter()
                .map(|r| format!("{}/team/app", r.host()))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("tags", format!("type=raw,value={tag}")),
        ("source", source.to_owned()),
        (
            "insecure-registries",
            regs.iter().map(|r| r.host()).collect::<Vec<_>>().join("\n"),
        ),
    ]
}

fn run(inputs: &[(&'static str, String)]) -> support::step::Run {
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_hoist(&inputs)
}

#[test]
fn an_engine_image_lands_on_three_registries_and_pulls_back_with_its_image_id() {
    require_docker();
    let pid = std::process::id();
    let seed = 0x5eed_0000 + u64::from(pid);
    let tag = format!("hoist-daemon-test-{pid}:v1");
    let mut cleanup = Cleanup(vec![tag.clone()]);
    let src = tempfile::tempdir().unwrap();
    let tar = src.path().join("image.tar");
    let config = support::images::write_docker_archive(&tar, seed, false);
    retag_archive(&tar, &tag);
    let loaded = docker(&["load", "-i", &tar.display().to_string()]);
    assert!(
        loaded.status.success(),
        "docker load: {}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let want = image_id(&tag);
    assert_eq!(want, config, "the Engine's image ID is the config digest");

    let a = Registry::start(&Kind::Anonymous);
    let b = Registry::start(&Kind::Anonymous);
    let c = Registry::start(&Kind::Anonymous);
    let regs = [&a, &b, &c];
    let first = run(&inputs_for(
        &format!("docker-daemon:{tag}"),
        &regs,
        "daemon",
    ));
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let root = first.output("digest").to_owned();
    assert!(root.starts_with("sha256:"), "{root}");
    let results = first.results();
    assert_eq!(results.len(), 3);
    for t in &results {
        assert_eq!(t["status"], "ok", "{t}");
        assert_eq!(t["digest"], root.as_str(), "{t}");
    }
    for r in regs {
        let reference = format!("{}/team/app:daemon", r.host());
        cleanup.0.push(reference.clone());
        let pulled = docker(&["pull", "-q", &reference]);
        assert!(
            pulled.status.success(),
            "docker pull {reference}: {}",
            String::from_utf8_lossy(&pulled.stderr)
        );
        assert_eq!(image_id(&reference), want, "{reference}");
    }

    // By image ID, and by a repository digest the pull recorded: the same export, compressed
    // the same way, so the same digest and nothing left to upload.
    let by_digest = format!("{}/team/app@{root}", a.host());
    for source in [want.clone(), want[7..19].to_owned(), by_digest] {
        let again = run(&inputs_for(
            &format!("docker-daemon:{source}"),
            &regs,
            "daemon",
        ));
        assert_eq!(
            again.code,
            Some(0),
            "{source}: {}\n{}",
            again.stdout,
            again.stderr
        );
        assert_eq!(again.output("digest"), root, "{source}");
        for t in again.results() {
            assert_eq!(t["blobs"]["uploaded"], 0, "{source}: {t}");
        }
    }

    // An image the Engine does not have: the Engine's message, the socket, a hint.
    let missing = run(&inputs_for(
        &format!("docker-daemon:hoist-daemon-test-{pid}:missing"),
        &[&a],
        "x",
    ));
    assert_eq!(missing.code, Some(1));
    let out = format!("{}{}", missing.stdout, missing.stderr);
    assert!(out.contains("/var/run/docker.sock"), "{out}");
    assert!(out.contains("/images/hoist-daemon-test-"), "{out}");
    assert!(out.contains("load: true"), "{out}");
}

/// How the fake Engine frames the export.
#[derive(Clone, Copy)]
enum Framing {
    /// `Transfer-Encoding: chunked`, 64 KiB chunks (what the Engine sends).
    Chunked,
    /// `Content-Length`.
    Length,
    /// Chunked, but the connection closes halfway through (no last chunk).
    Truncated,
}

/// A fake Engine on a unix socket: answers `/_ping` with `API-Version`, and `/images/…/get`
/// with `tar` framed as asked. Records request lines.
struct FakeEngine {
    _dir: tempfile::TempDir,
    host: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl FakeEngine {
    fn start(tar: Vec<u8>, api: &'static str) -> Self {
        Self::start_with(tar, api, Framing::Chunked)
    }

    fn start_with(tar: Vec<u8>, api: &'static str, framing: Framing) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                log.lock().unwrap().push(line.clone());
                if line.starts_with("GET /_ping ") {
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nApi-Version: {api}\r\nContent-Length: 2\r\n\r\nOK"
                    );
                } else if line.ends_with("/get HTTP/1.1") && matches!(framing, Framing::Length) {
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
                        tar.len()
                    );
                    let _ = s.write_all(&tar);
                } else if line.ends_with("/get HTTP/1.1") {
                    let _ = s.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n",
                    );
                    let send = if matches!(framing, Framing::Truncated) {
                        &tar[..tar.len() / 2]
                    } else {
                        &tar[..]
                    };
                    for chunk in send.chunks(64 * 1024) {
                        let _ = write!(s, "{:x}\r\n", chunk.len());
                        let _ = s.write_all(chunk);
                        let _ = s.write_all(b"\r\n");
                    }
                    if !matches!(framing, Framing::Truncated) {
                        let _ = s.write_all(b"0\r\n\r\n");
                    }
                } else {
                    let body = r#"{"message":"page not found"}"#;
                    let _ = write!(
                        s,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
            }
        });
        Self {
            host: format!("unix://{}", sock.display()),
            _dir: dir,
            seen,
        }
    }
}

fn layer_media_types(image: &hoist::source::LocalImage) -> (String, Vec<String>) {
    let plan = hoist::source::plan(image, &[]).unwrap();
    let root = plan.root().media_type.clone();
    (
        root,
        plan.blobs.iter().map(|b| b.media_type.clone()).collect(),
    )
}

#[test]
fn a_docker_25_classic_store_export_is_compressed_with_its_config_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("save.tar");
    let config = support::images::write_docker_archive(&tar, 53, true);
    let engine = FakeEngine::start(std::fs::read(&tar).unwrap(), "1.44");
    let spool = dir.path().join("spool");
    let image = hoist::source::daemon::load("app:v1", Some(&engine.host), &spool).unwrap();
    assert_eq!(
        engine.seen.lock().unwrap().as_slice(),
        [
            "GET /_ping HTTP/1.1",
            "GET /v1.44/images/app:v1/get HTTP/1.1"
        ]
    );
    let (root, blobs) = layer_media_types(&image);
    assert_eq!(root, "application/vnd.docker.distribution.manifest.v2+json");
    assert!(
        blobs.contains(&"application/vnd.docker.image.rootfs.diff.tar.gzip".to_owned()),
        "{blobs:?}"
    );
    let plan = hoist::source::plan(&image, &[]).unwrap();
    assert!(plan.blobs.iter().any(|b| b.digest.as_str() == config));
    hoist::source::verify_all(&image, &plan).unwrap();
    // Everything lives in one spool directory (beside the spools' lock file), removed with the
    // image.
    let spools = || {
        std::fs::read_dir(&spool)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("hoist-daemon-")
            })
            .count()
    };
    assert_eq!(spools(), 1);
    drop(image);
    assert_eq!(spools(), 0);
}

/// The containerd image store's export: the OCI layout of the image as stored (compressed
/// blobs, `index.json` pointing at its index) plus a `manifest.json` for the host platform.
fn containerd_export(dir: &Path, drop_arm64: bool) -> (Vec<u8>, String, String) {
    let layout = dir.join("layout");
    let root = support::images::write_layout(&layout, 59, true);
    let blob = |d: &str| layout.join("blobs/sha256").join(&d["sha256:".len()..]);
    let read = |d: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(blob(d)).unwrap()).unwrap()
    };
    let index = read(&root);
    let amd = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let manifest = read(&amd);
    let config = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let path = |d: &str| format!("blobs/sha256/{}", &d["sha256:".len()..]);
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| path(l["digest"].as_str().unwrap()))
        .collect();
    let manifest_json =
        serde_json::json!([{"Config": path(&config), "RepoTags": ["app:v1"], "Layers": layers}]);
    std::fs::write(
        layout.join("manifest.json"),
        serde_json::to_vec(&manifest_json).unwrap(),
    )
    .unwrap();
    if drop_arm64 {
        // A pulled multi-platform image: the Engine skips the blobs it does not have.
        let arm = read(index["manifests"][1]["digest"].as_str().unwrap());
        for l in arm["layers"].as_array().unwrap() {
            std::fs::remove_file(blob(l["digest"].as_str().unwrap())).unwrap();
        }
    }
    let tar = dir.join("export.tar");
    support::images::write_archive(&layout, &tar);
    (std::fs::read(&tar).unwrap(), root, config)
}

#[test]
fn a_containerd_store_export_is_pushed_as_is_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (tar, root, _) = containerd_export(dir.path(), false);
    let engine = FakeEngine::start(tar, "1.47");
    let image = hoist::source::daemon::load("app:v1", Some(&engine.host), dir.path()).unwrap();
    assert_eq!(image.root.digest.as_str(), root, "the image's own index");
    let plan = hoist::source::plan(&image, &[]).unwrap();
    assert_eq!(plan.manifests.len(), 4, "index, two platforms, attestation");
    hoist::source::verify_all(&image, &plan).unwrap();
}

#[test]
fn a_containerd_store_export_with_skipped_platforms_falls_back_to_manifest_json() {
    let dir = tempfile::tempdir().unwrap();
    let (tar, root, config) = containerd_export(dir.path(), true);
    let engine = FakeEngine::start(tar, "1.47");
    let image = hoist::source::daemon::load("app:v1", Some(&engine.host), dir.path()).unwrap();
    assert_ne!(image.root.digest.as_str(), root);
    let plan = hoist::source::plan(&image, &[]).unwrap();
    assert_eq!(plan.manifests.len(), 1);
    assert!(plan.blobs.iter().any(|b| b.digest.as_str() == config));
    hoist::source::verify_all(&image, &plan).unwrap();
}

#[test]
fn engine_errors_name_the_socket_and_the_operation() {
    let dir = tempfile::tempdir().unwrap();
    let engine = FakeEngine::start(Vec::new(), "1.41");
    let err = hoist::source::daemon::load("app:v1", Some("tcp://127.0.0.1:2375"), dir.path())
        .expect_err("tcp is not supported");
    assert!(err.to_string().contains("DOCKER_HOST"), "{err}");
    // An empty export.
    let err = hoist::source::daemon::load("app:v1", Some(&engine.host), dir.path())
        .expect_err("an empty export");
    let msg = err.to_string();
    assert!(msg.contains(&engine.host["unix://".len()..]), "{msg}");
    assert!(msg.contains("GET /v1.41/images/app:v1/get"), "{msg}");
}

#[test]
fn an_export_with_a_content_length_reads_like_a_chunked_one() {
    let dir = tempfile::tempdir().unwrap();
    let (tar, root, _) = containerd_export(dir.path(), false);
    let engine = FakeEngine::start_with(tar, "1.47", Framing::Length);
    let image = hoist::source::daemon::load("app:v1", Some(&engine.host), dir.path()).unwrap();
    assert_eq!(image.root.digest.as_str(), root);
    let plan = hoist::source::plan(&image, &[]).unwrap();
    hoist::source::verify_all(&image, &plan).unwrap();
}

#[test]
fn a_truncated_export_is_an_error_naming_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let (tar, _, _) = containerd_export(dir.path(), false);
    let engine = FakeEngine::start_with(tar, "1.47", Framing::Truncated);
    let err = hoist::source::daemon::load("app:v1", Some(&engine.host), dir.path())
        .expect_err("a truncated export");
    let msg = err.to_string();
    assert!(msg.contains("GET /v1.47/images/app:v1/get"), "{msg}");
    assert!(msg.contains("reading the export after "), "{msg}");
}
