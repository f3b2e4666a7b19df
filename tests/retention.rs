//! Retention (issue 14) on a real distribution registry with deletes enabled: the three policies
//! of the issue (keep `latest` and the last releases, keep the last 50 full-SHA tags, delete
//! prereleases once released and old `pr-N`/`edge-*` tags) applied through hoist's registry
//! adapter and pure selection; exactly the expected tags remain, `latest` still resolves for both
//! platforms (skopeo), the plan made before deleting is exactly what went, and the cap refuses a
//! policy that deletes too much.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;

use hoist::meta::retention::{self, DeleteMode, Inventory, Outcome, TagInfo};
use hoist::registry::endpoint::{Endpoint, EndpointConfig};
use hoist::registry::retention as dist;
use hoist::registry::retry::RetryPolicy;
use support::images::write_layout;
use support::registry::{Kind, Registry, skopeo_digest};

const REPO: &str = "team/app";
/// "now" for the age rules (what `SOURCE_DATE_EPOCH` sets): 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000;

const POLICY: &str = "\
# the Docker Hub project: keep latest and releases, drop released prereleases and old dev tags
type=keep,pattern=^latest$
type=keep-last,pattern=^v\\d+\\.\\d+\\.\\d+$,count=10,order=semver
type=prerelease
type=older-than,pattern=^(pr-\\d+|edge-.*)$,age=30d
# the org publishing the full SHA: keep the last 50
type=keep-last,pattern=/^[0-9A-F]{40}$/i,count=50,order=age
";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn client() -> reqwest::Client {
    // reqwest is built without a default crypto provider; hoist uses ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Pushes blobs and manifests straight through the distribution API (plain HTTP, anonymous).
struct Pusher {
    http: reqwest::Client,
    base: String,
}

impl Pusher {
    async fn blob(&self, bytes: &[u8]) -> String {
        let d = support::digest(bytes);
        let start = self
            .http
            .post(format!("{}/v2/{REPO}/blobs/uploads/", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 202, "upload start");
        let loc = start.headers()["location"].to_str().unwrap().to_owned();
        let url = if loc.starts_with("http") {
            loc
        } else {
            format!("{}{loc}", self.base)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let put = self
            .http
            .put(format!("{url}{sep}digest={d}"))
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "blob put");
        d
    }

    async fn manifest(&self, tag: &str, bytes: &[u8], media_type: &str) -> String {
        let put = self
            .http
            .put(format!("{}/v2/{REPO}/manifests/{tag}", self.base))
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "manifest put {tag}");
        support::digest(bytes)
    }

    async fn raw(&self, reference: &str) -> (Vec<u8>, String) {
        let resp = self
            .http
            .get(format!("{}/v2/{REPO}/manifests/{reference}", self.base))
            .header(
                "accept",
                "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            )
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "get {reference}");
        let mt = resp.headers()["content-type"].to_str().unwrap().to_owned();
        (resp.bytes().await.unwrap().to_vec(), mt)
    }

    /// A one-layer image whose config says `created` (or nothing) and is unique by `salt`.
    async fn image(&self, tag: &str, created: Option<i64>, salt: &str) -> String {
        let layer = b"retention test layer".to_vec();
        let layer_digest = self.blob(&layer).await;
        let mut config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Labels": {"salt": salt}},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        });
        if let Some(t) = created {
            config["created"] = iso(t).into();
        }
        let config = serde_json::to_vec(&config).unwrap();
        let config_digest = self.blob(&config).await;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
        });
        self.manifest(
            tag,
            &serde_json::to_vec(&manifest).unwrap(),
            "application/vnd.oci.image.manifest.v1+json",
        )
        .await
    }

    /// Tags the manifest `reference` points at as `tag` too.
    async fn retag(&self, reference: &str, tag: &str) -> String {
        let (bytes, mt) = self.raw(reference).await;
        self.manifest(tag, &bytes, &mt).await
    }
}

fn sha_tag(i: usize) -> String {
    support::digest(format!("commit {i}").as_bytes())["sha256:".len()..][..40].to_owned()
}

fn endpoint(reg: &Registry) -> Endpoint {
    let config = EndpointConfig {
        insecure: true,
        ..EndpointConfig::default()
    };
    Endpoint::new(&reg.host(), &config, None, Arc::new(|_: &str| {})).unwrap()
}

fn to_inventory(l: &dist::Listing) -> Inventory {
    Inventory {
        tags: l
            .tags
            .iter()
            .map(|t| TagInfo {
                name: t.name.clone(),
                digest: t.digest.clone(),
                created: t.created,
            })
            .collect(),
        children: l.children.clone(),
    }
}

fn skopeo_copy_ok(reference: &str, arch: &str) -> bool {
    let dest = tempfile::tempdir().unwrap();
    Command::new("skopeo")
        .args(["copy", "--src-tls-verify=false", "--override-os", "linux"])
        .args(["--override-arch", arch])
        .arg(format!("docker://{reference}"))
        .arg(format!("dir:{}", dest.path().join("out").display()))
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn the_three_policies_leave_exactly_the_expected_tags_and_latest_still_pulls() {
    let reg = Registry::start(&Kind::Anonymous);
    let host = reg.host();
    // `latest`: a two-platform index with a buildx attestation manifest, copied with skopeo.
    let layout = tempfile::tempdir().unwrap();
    let latest_digest = write_layout(layout.path(), 7, true);
    let out = Command::new("skopeo")
        .args(["copy", "--all", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:latest", layout.path().display()))
        .arg(format!("docker://{host}/{REPO}:latest"))
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let pusher = Pusher {
        http: client(),
        base: format!("http://{host}"),
    };
    let day = 86_400;
    let rt = rt();
    let (amd64_child, shared_sha) = rt.block_on(async {
        // 12 releases (2025), prereleases before and after their release.
        for minor in 0..12 {
            let t = NOW - 400 * day + i64::from(minor) * 20 * day;
            pusher
                .image(&format!("v1.{minor}.0"), Some(t), &format!("v1.{minor}.0"))
                .await;
        }
        for (tag, age) in [
            ("v1.11.0-rc.1", 60),
            ("v1.11.0-beta.1", 70),
            ("v1.12.0-rc.1", 3),
            ("v1.12.0-beta.2", 5),
        ] {
            pusher.image(tag, Some(NOW - age * day), tag).await;
        }
        // 54 full-SHA tags of their own, an hour apart, plus one old SHA tag on `v1.5.0`'s
        // digest: selected by keep-last, but its digest is a kept release's.
        for i in 0..54 {
            let t = NOW - 20 * day + i64::try_from(i).unwrap() * 3600;
            pusher.image(&sha_tag(i), Some(t), &sha_tag(i)).await;
        }
        let shared = sha_tag(1000);
        pusher.retag("v1.5.0", &shared).await;
        // Dev tags with known ages; `pr-1` points at latest's amd64 image (old, selected, but
        // deleting it would break `latest`).
        pusher.image("pr-2", Some(NOW - 45 * day), "pr-2").await;
        pusher.image("pr-3", Some(NOW - 5 * day), "pr-3").await;
        pusher
            .image("edge-20260401", Some(NOW - 61 * day), "edge-old")
            .await;
        pusher
            .image("edge-20260520", Some(NOW - 12 * day), "edge-new")
            .await;
        let (index, _) = pusher.raw("latest").await;
        let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
        let amd64 = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
        pusher.retag(&amd64, "pr-1").await;
        (amd64, shared)
    });

    let ep = endpoint(&reg);
    let policy = retention::parse(POLICY).unwrap();
    let retry = RetryPolicy::default();
    let before = rt.block_on(dist::inventory(&ep, REPO, &retry)).unwrap();
    assert_eq!(before.tags.len(), 1 + 12 + 4 + 55 + 5);
    let latest = before.tags.iter().find(|t| t.name == "latest").unwrap();
    assert_eq!(latest.digest, latest_digest);
    assert!(before.children[&latest_digest].contains(&amd64_child));

    // The plan (what a dry run shows).
    let plan = retention::select(
        &policy,
        &to_inventory(&before),
        &[],
        NOW,
        DeleteMode::ByDigest,
    );
    let mut expected_deleted: BTreeSet<String> = [
        "v1.0.0",
        "v1.1.0",
        "v1.11.0-rc.1",
        "v1.11.0-beta.1",
        "pr-2",
        "edge-20260401",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    expected_deleted.extend((0..4).map(sha_tag));
    let planned: BTreeSet<String> = plan.deleted_tags().map(|d| d.tag.clone()).collect();
    assert_eq!(planned, expected_deleted);
    let skipped: BTreeSet<&str> = plan
        .decisions
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Skipped { .. }))
        .map(|d| d.tag.as_str())
        .collect();
    assert_eq!(skipped, BTreeSet::from(["pr-1", shared_sha.as_str()]));

    // The cap refuses it (10 digests would go) and nothing is deleted.
    let err = plan.check_cap(REPO, DeleteMode::ByDigest, 5).unwrap_err();
    assert_eq!(err.would, 10);
    plan.check_cap(REPO, DeleteMode::ByDigest, 50).unwrap();

    // The real run deletes exactly the planned digests.
    for digest in plan.deleted_digests() {
        assert!(
            rt.block_on(dist::delete_manifest(&ep, REPO, &digest))
                .unwrap()
        );
    }
    let after = rt.block_on(dist::inventory(&ep, REPO, &retry)).unwrap();
    let remaining: BTreeSet<String> = after.tags.iter().map(|t| t.name.clone()).collect();
    let mut expected: BTreeSet<String> = [
        "latest",
        "v1.12.0-rc.1",
        "v1.12.0-beta.2",
        "pr-1",
        "pr-3",
        "edge-20260520",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    expected.extend((2..12).map(|m| format!("v1.{m}.0")));
    expected.extend((4..54).map(sha_tag));
    expected.insert(shared_sha.clone());
    assert_eq!(remaining, expected);
    // Running the policy again selects nothing more (idempotent).
    let again = retention::select(
        &policy,
        &to_inventory(&after),
        &[],
        NOW,
        DeleteMode::ByDigest,
    );
    assert_eq!(again.deleted_tags().count(), 0);

    // `latest` still resolves and copies for both platforms; the shared digests are intact.
    let latest_ref = format!("{host}/{REPO}:latest");
    assert_eq!(
        skopeo_digest(&latest_ref, &[]).as_deref(),
        Some(latest_digest.as_str())
    );
    assert!(skopeo_copy_ok(&latest_ref, "amd64"), "latest amd64");
    assert!(skopeo_copy_ok(&latest_ref, "arm64"), "latest arm64");
    // And the Docker Engine pulls and unpacks both platforms (the layers are real tars).
    assert_engine_pulls(&latest_ref, &["linux/amd64", "linux/arm64"]);
    assert_eq!(
        skopeo_digest(&format!("{host}/{REPO}:pr-1"), &[]).as_deref(),
        Some(amd64_child.as_str())
    );
    assert!(skopeo_digest(&format!("{host}/{REPO}:v1.5.0"), &[]).is_some());
    assert!(skopeo_digest(&format!("{host}/{REPO}:v1.0.0"), &[]).is_none());
}

/// Removes the engine's local copy of a reference, also when the test fails.
struct RemoveImage(String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &self.0])
            .output();
    }
}

/// `docker pull --platform P reference` succeeds for every platform, and the engine reports the
/// pulled image's platform.
fn assert_engine_pulls(reference: &str, platforms: &[&str]) {
    let info = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .unwrap();
    assert!(
        info.status.success(),
        "this test needs a Docker Engine (`docker info` failed: {})",
        String::from_utf8_lossy(&info.stderr).trim()
    );
    let _cleanup = RemoveImage(reference.to_owned());
    for platform in platforms {
        let pulled = Command::new("docker")
            .args(["pull", "-q", "--platform", platform, reference])
            .output()
            .unwrap();
        assert!(
            pulled.status.success(),
            "docker pull --platform {platform} {reference}: {}",
            String::from_utf8_lossy(&pulled.stderr)
        );
        let inspect = Command::new("docker")
            .args([
                "image",
                "inspect",
                "-f",
                "{{.Os}}/{{.Architecture}}",
                reference,
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&inspect.stdout).trim(),
            *platform,
            "the engine's image of {reference}"
        );
    }
}

#[test]
fn list_tags_reads_every_tag() {
    let reg = Registry::start(&Kind::Anonymous);
    let pusher = Pusher {
        http: client(),
        base: format!("http://{}", reg.host()),
    };
    let rt = rt();
    rt.block_on(async {
        for i in 0..5 {
            pusher.image(&format!("t{i}"), None, &format!("t{i}")).await;
        }
    });
    let ep = endpoint(&reg);
    let mut tags = rt
        .block_on(dist::list_tags(&ep, REPO, &RetryPolicy::default()))
        .unwrap();
    tags.sort();
    assert_eq!(tags, ["t0", "t1", "t2", "t3", "t4"]);
    // No `created` anywhere: the time is unknown, not invented.
    let listing = rt
        .block_on(dist::inventory(&ep, REPO, &RetryPolicy::default()))
        .unwrap();
    assert!(listing.tags.iter().all(|t| t.created.is_none()));
}

/// The action as a runner step with `SOURCE_DATE_EPOCH` at [`NOW`]: exit code, stdout (the
/// log) followed by the job summary, and `retention-results`.
fn step(inputs: &[(&str, &str)]) -> (Option<i32>, String, serde_json::Value) {
    let api = support::github::GitHubStub::app();
    let mut step = support::step::Step::push("refs/heads/main", support::github::APP_SHA);
    step.repository = Some("o/app".to_owned());
    step.payload = Some(serde_json::json!({
        "head_commit": {"id": support::github::APP_SHA, "timestamp": "2026-01-02T03:04:05Z"}
    }));
    step.token = None;
    step.epoch = NOW.to_string();
    step.inputs = inputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let run = step.run(
        std::path::Path::new(env!("CARGO_BIN_EXE_hoist")),
        &api.url(),
    );
    let results = run
        .outputs()
        .into_iter()
        .find(|(k, _)| k == "retention-results")
        .map_or(serde_json::Value::Null, |(_, v)| {
            serde_json::from_str(&v).unwrap()
        });
    let log = format!("{}\n--- job summary ---\n{}", run.stdout, run.summary_text);
    (run.code(), log, results)
}

fn tags_of(reg: &Registry) -> BTreeSet<String> {
    let ep = endpoint(reg);
    rt().block_on(dist::list_tags(&ep, REPO, &RetryPolicy::default()))
        .unwrap()
        .into_iter()
        .collect()
}

fn names(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["tag"].as_str().unwrap())
        .collect()
}

#[test]
fn the_step_plans_with_push_false_deletes_alone_refuses_over_the_cap_and_spares_what_it_pushed() {
    let reg = Registry::start(&Kind::Anonymous);
    let host = reg.host();
    let pusher = Pusher {
        http: client(),
        base: format!("http://{host}"),
    };
    let day = 86_400;
    rt().block_on(async {
        pusher.image("pr-1", Some(NOW - 40 * day), "pr-1").await;
        pusher.image("pr-2", Some(NOW - 2 * day), "pr-2").await;
        pusher.image("pr-3", Some(NOW - 50 * day), "pr-3").await;
        pusher.image("main", Some(NOW - 90 * day), "main").await;
    });
    let image = format!("{host}/{REPO}");
    let rule = "# old pull-request builds\ntype=older-than,pattern=^pr-\\d+$,age=30d";
    let base = [
        ("images", image.as_str()),
        ("tags", "type=raw,value=pr-9"),
        ("insecure-registries", host.as_str()),
        ("retention", rule),
    ];

    // `push: false` with no source: the plan only.
    let mut inputs = base.to_vec();
    inputs.push(("push", "false"));
    let (code, log, results) = step(&inputs);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(results[0]["dry-run"], true);
    assert_eq!(names(&results[0]["deleted"]), ["pr-1", "pr-3"]);
    assert_eq!(
        results[0]["deleted"][0]["rule"],
        "type=older-than,pattern=^pr-\\d+$,age=30d"
    );
    assert!(
        log.contains(&format!("retention {image}: would delete `pr-1`")),
        "{log}"
    );
    assert!(log.contains("| pr-1 | sha256\\:"), "{log}");
    assert!(log.contains("| would be deleted |"), "{log}");
    assert_eq!(tags_of(&reg).len(), 4, "a dry run deletes nothing");

    // The cap: two deletions planned, one allowed → nothing deleted, the step fails.
    let mut inputs = base.to_vec();
    inputs.push(("retention-max-deletes", "1"));
    let (code, log, results) = step(&inputs);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        results[0]["error"]
            .as_str()
            .unwrap()
            .contains("would delete 2 manifest(s) or tag(s)"),
        "{results}"
    );
    assert!(log.contains("::error"), "{log}");
    assert_eq!(tags_of(&reg).len(), 4, "over the cap nothing is deleted");

    // Retention alone (a scheduled cleanup): the same selection, deleted.
    let (code, log, results) = step(&base);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(results[0]["dry-run"], false);
    assert_eq!(names(&results[0]["deleted"]), ["pr-1", "pr-3"]);
    assert_eq!(
        tags_of(&reg),
        BTreeSet::from(["main".to_owned(), "pr-2".to_owned()])
    );

    // After a push: the tag just pushed (`pr-9`, created 2026-01-01, older than 30 days) stays.
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 5, false);
    let source = format!("oci:{}", src.path().display());
    let mut inputs = base.to_vec();
    inputs.push(("source", &source));
    let (code, log, results) = step(&inputs);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(names(&results[0]["deleted"]), Vec::<&str>::new());
    assert!(
        results[0]["kept"]
            .as_array()
            .unwrap()
            .contains(&"pr-9".into())
    );
    assert_eq!(
        skopeo_digest(&format!("{image}:pr-9"), &[]).as_deref(),
        Some(root.as_str())
    );
}

#[test]
fn without_retention_no_retention_output_is_written() {
    let reg = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path(), 9, false);
    let source = format!("oci:{}", src.path().display());
    let image = format!("{}/{REPO}", reg.host());
    let (code, log, results) = step(&[
        ("images", &image),
        ("tags", "type=raw,value=v1"),
        ("insecure-registries", &reg.host()),
        ("source", &source),
    ]);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(results, serde_json::Value::Null);
    assert!(!log.contains("retention"), "{log}");
}

/// A loopback stub of the distribution API: answers each request with `route(method, target)`
/// (status, extra headers, JSON body), records the request lines, stops when dropped or after
/// a minute.
struct Stub {
    addr: std::net::SocketAddr,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Route = fn(&str, &str, &str) -> (u16, Vec<(String, String)>, String);

impl Stub {
    fn start(route: Route) -> Self {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !stop2.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65_536 {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let mut parts = head.split(' ');
                let method = parts.next().unwrap_or_default().to_owned();
                let target = parts.next().unwrap_or_default().to_owned();
                seen2.lock().unwrap().push(format!("{method} {target}"));
                let host = format!("127.0.0.1:{}", addr.port());
                let (status, headers, body) = route(&method, &target, &host);
                let mut resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    resp.push_str(&k);
                    resp.push_str(": ");
                    resp.push_str(&v);
                    resp.push_str("\r\n");
                }
                resp.push_str("\r\n");
                resp.push_str(&body);
                let _ = s.write_all(resp.as_bytes());
            }
        });
        Self {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn endpoint(&self) -> Endpoint {
        let config = EndpointConfig {
            insecure: true,
            ..EndpointConfig::default()
        };
        let host = format!("127.0.0.1:{}", self.addr.port());
        Endpoint::new(&host, &config, None, Arc::new(|_: &str| {})).unwrap()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn tag_pages(method: &str, target: &str, _host: &str) -> (u16, Vec<(String, String)>, String) {
    let link = |to: &str| vec![("Link".to_owned(), format!("<{to}>; rel=\"next\""))];
    match (method, target) {
        ("GET", "/v2/team/app/tags/list?n=1000") => (
            200,
            link("/v2/team/app/tags/list?last=b&n=1000"),
            r#"{"name":"team/app","tags":["a","b"]}"#.to_owned(),
        ),
        ("GET", "/v2/team/app/tags/list?last=b&n=1000") => (
            200,
            link("http://elsewhere.example/v2/team/app/tags/list?last=c&n=1000"),
            r#"{"name":"team/app","tags":["c"]}"#.to_owned(),
        ),
        ("GET", "/v2/other/app/tags/list?n=1000") => (
            200,
            link("/v2/other/app/tags/list?last=y&n=1000"),
            r#"{"name":"other/app","tags":["x","y"]}"#.to_owned(),
        ),
        ("GET", "/v2/other/app/tags/list?last=y&n=1000") => (
            200,
            Vec::new(),
            r#"{"name":"other/app","tags":["z"]}"#.to_owned(),
        ),
        ("GET", "/v2/bad/app/tags/list?n=1000") => (
            200,
            Vec::new(),
            r#"{"name":"bad/app","tags":["ok","../../x?y"]}"#.to_owned(),
        ),
        ("DELETE", t) if t.starts_with("/v2/other/app/manifests/sha256:") => (
            405,
            Vec::new(),
            r#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"#
                .to_owned(),
        ),
        _ => (
            404,
            Vec::new(),
            r#"{"errors":[{"code":"NOT_FOUND"}]}"#.to_owned(),
        ),
    }
}

#[test]
fn tags_list_pages_are_followed_on_the_same_origin_only_and_disabled_deletes_get_a_hint() {
    let stub = Stub::start(tag_pages);
    let ep = stub.endpoint();
    let rt = rt();
    let retry = RetryPolicy::default();
    // Two pages through `Link`, in order.
    let tags = rt
        .block_on(dist::list_tags(&ep, "other/app", &retry))
        .unwrap();
    assert_eq!(tags, ["x", "y", "z"]);
    // A `Link` to another host is refused, not followed.
    let err = rt
        .block_on(dist::list_tags(&ep, "team/app", &retry))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("links its next page to another origin"),
        "{err}"
    );
    // A listed name outside the tag grammar never reaches a URL.
    let err = rt
        .block_on(dist::list_tags(&ep, "bad/app", &retry))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a valid tag"), "{err}");
    // Deletes disabled: 405 with the hint.
    let digest = format!("sha256:{}", "a".repeat(64));
    let err = rt
        .block_on(dist::delete_manifest(&ep, "other/app", &digest))
        .unwrap_err()
        .to_string();
    assert!(err.contains("deletes disabled"), "{err}");
    assert!(err.contains("storage.delete.enabled: true"), "{err}");
    let seen = stub.seen.lock().unwrap().clone();
    assert!(
        !seen.iter().any(|l| l.contains("last=c")),
        "the off-origin page was requested: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("DELETE /v2/other/app/manifests/sha256:")),
        "{seen:?}"
    );
}

#[test]
fn retention_never_runs_after_a_failed_push() {
    let open = Registry::start(&Kind::Anonymous);
    let locked = Registry::start(&Kind::Htpasswd {
        user: "alice",
        password: "correct-horse-9",
    });
    let pusher = Pusher {
        http: client(),
        base: format!("http://{}", open.host()),
    };
    rt().block_on(pusher.image("pr-1", Some(NOW - 40 * 86_400), "pr-1"));
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path(), 4, false);
    let source = format!("oci:{}", src.path().display());
    let images = format!("{}/{REPO}\n{}/{REPO}", open.host(), locked.host());
    let insecure = format!("{}\n{}", open.host(), locked.host());
    let wrong = format!(
        "- registry: {}\n  username: alice\n  password: wrong-battery-7\n",
        locked.host()
    );
    let run = |policy: &str| {
        step(&[
            ("images", &images),
            ("tags", "type=raw,value=v1"),
            ("source", &source),
            ("insecure-registries", &insecure),
            ("registry-auth", &wrong),
            ("tag-policy", policy),
            ("retention", "type=older-than,pattern=^pr-,age=30d"),
        ])
    };
    // Atomic: the failure on one registry holds every tag back, and no retention runs anywhere.
    let (code, log, results) = run("atomic");
    assert_eq!(code, Some(1), "{log}");
    assert_eq!(results, serde_json::json!([]), "{log}");
    assert!(tags_of(&open).contains("pr-1"));
    // Partial: the registry that completed gets its retention; the failed one none.
    let (code, log, results) = run("partial");
    assert_eq!(code, Some(1), "{log}");
    let ran: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["registry"].as_str().unwrap())
        .collect();
    assert_eq!(ran, [open.host()], "{log}");
    assert_eq!(names(&results[0]["deleted"]), ["pr-1"]);
    assert!(!tags_of(&open).contains("pr-1"));
}

#[test]
fn retention_is_bounded_by_the_step_timeout() {
    let reg = Registry::start(&Kind::Anonymous);
    let pusher = Pusher {
        http: client(),
        base: format!("http://{}", reg.host()),
    };
    rt().block_on(pusher.image("pr-1", Some(NOW - 40 * 86_400), "pr-1"));
    // A registry that takes the tag list in and never answers (held until the proxy drops).
    let proxy = support::faults::FaultProxy::start(reg.port, |_, line| {
        if line.contains("/tags/list") {
            support::faults::Fault::Hold
        } else {
            support::faults::Fault::Pass
        }
    });
    let host = proxy.host();
    let image = format!("{host}/{REPO}");
    let (code, log, results) = step(&[
        ("images", image.as_str()),
        ("tags", "type=raw,value=pr-9"),
        ("insecure-registries", host.as_str()),
        ("retention", "type=older-than,pattern=^pr-,age=30d"),
        ("timeout", "2s"),
    ]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("retention did not finish within the `timeout` of 2s"),
        "{log}"
    );
    assert!(
        results[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("`timeout`")),
        "{results}"
    );
    // Nothing was deleted: the tag is still there.
    drop(proxy);
    assert!(tags_of(&reg).contains("pr-1"));
}
