//! Scale against real distribution registries, checked with skopeo: ten registries in one step,
//! an image of 200 layers, 100 tags; every tag at the digest everywhere, every blob uploaded
//! once per registry; and the tag-family order under a failed tag move.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;

use support::faults::{FAST_RETRIES, Fault, FaultProxy};
use support::registry::{Kind, Registry, skopeo_digest};
use support::step::{run_hoist, run_hoist_args};

/// Writes an OCI layout of one image with `layers` small layers (distinct, a few hundred bytes
/// each, so that the test is bounded by request counts, not bytes); returns its digest.
fn write_many_layers(layout: &Path, layers: usize) -> String {
    fn blob(layout: &Path, bytes: &[u8]) -> serde_json::Value {
        let d = support::digest(bytes);
        std::fs::write(layout.join("blobs/sha256").join(&d[7..]), bytes).unwrap();
        serde_json::json!({"digest": d, "size": bytes.len()})
    }
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..layers {
        let raw = format!("layer {i} of the scale image\n").repeat(8);
        diff_ids.push(support::digest(raw.as_bytes()));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(raw.as_bytes()).unwrap();
        let mut d = blob(layout, &gz.finish().unwrap());
        d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip".into();
        descs.push(d);
    }
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let mut config = blob(layout, &serde_json::to_vec(&config).unwrap());
    config["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": descs,
    });
    let mut root = blob(layout, &serde_json::to_vec(&manifest).unwrap());
    root["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
    let digest = root["digest"].as_str().unwrap().to_owned();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [root]});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    digest
}

/// `skopeo list-tags` of `host/team/app`, sorted.
fn list_tags(host: &str) -> Vec<String> {
    let out = std::process::Command::new("skopeo")
        .args(["list-tags", "--tls-verify=false"])
        .arg(format!("docker://{host}/team/app"))
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("skopeo (apt-get install skopeo)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut tags = support::string_list(&json["Tags"]).unwrap();
    tags.sort();
    tags
}

/// The digest of every `host/team/app:tag` per skopeo, read by a few threads at once.
fn digests(refs: &[String]) -> Vec<Option<String>> {
    let chunk = refs.len().div_ceil(4).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = refs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|r| skopeo_digest(r, &[]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// The tags of the scale test: one release family (`1.2.3`, `1.2`, `1`, `latest`, written
/// least specific first) and 96 unrelated ones.
fn hundred_tags() -> Vec<String> {
    let mut tags: Vec<String> = ["1", "latest", "1.2", "1.2.3"]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    tags.extend((1..=96).map(|i| format!("build-{i}")));
    tags
}

fn tags_input(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("type=raw,value={t}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ten_registries_two_hundred_layers_a_hundred_tags_every_tag_at_the_digest() {
    const LAYERS: usize = 200;
    let regs: Vec<Registry> = (0..10).map(|_| Registry::start(&Kind::Anonymous)).collect();
    // The last registry is watched: every request line it receives is recorded.
    let watched = FaultProxy::start(regs[9].port, |_, _| Fault::Pass);
    let hosts: Vec<String> = regs[..9]
        .iter()
        .map(Registry::host)
        .chain([watched.host()])
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    let digest = write_many_layers(&layout, LAYERS);
    let tags = hundred_tags();
    let images: Vec<String> = hosts.iter().map(|h| format!("{h}/team/app")).collect();
    let run = run_hoist(&[
        ("images", images.join("\n").as_str()),
        ("tags", tags_input(&tags).as_str()),
        ("source", format!("oci:{}", layout.display()).as_str()),
        ("insecure-registries", hosts.join("\n").as_str()),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("digest"), digest);

    // Every blob (the layers and the config) uploaded once on every registry, none skipped.
    let results = run.results();
    assert_eq!(results.len(), 10);
    let blobs = u64::try_from(LAYERS + 1).unwrap();
    for r in &results {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["blobs"]["uploaded"], blobs, "{r}");
        assert_eq!(r["blobs"]["existing"], 0, "{r}");
        assert_eq!(r["blobs"]["mounted"], 0, "{r}");
        // The report keeps counters, not a record per blob: its size does not grow with layers.
        let counters = r["blobs"].as_object().unwrap();
        assert_eq!(counters.len(), 4, "{r}");
        assert!(counters.values().all(serde_json::Value::is_u64), "{r}");
        let moved = r["tags"].as_array().unwrap();
        assert_eq!(moved.len(), tags.len(), "{r}");
        assert!(moved.iter().all(|t| t["status"] == "pushed"), "{r}");
    }
    // The watched registry, from its own side: one upload (PUT with `digest=`) per blob.
    let seen = watched.seen();
    let uploads: Vec<&String> = seen
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains("/blobs/uploads/"))
        .collect();
    let distinct: HashSet<&str> = uploads
        .iter()
        .filter_map(|l| l.split("digest=").nth(1))
        .map(|d| d.split([' ', '&']).next().unwrap_or_default())
        .collect();
    assert_eq!(uploads.len(), LAYERS + 1, "{uploads:#?}");
    assert_eq!(distinct.len(), LAYERS + 1);
    // Each tag PUT once.
    let tag_puts = seen
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains("/manifests/") && !l.contains("sha256:"))
        .count();
    assert_eq!(tag_puts, tags.len());

    // skopeo: every registry lists exactly the tags, and every tag resolves to the digest (the
    // watched registry read directly, not through the proxy).
    let hosts: Vec<String> = regs.iter().map(Registry::host).collect();
    let mut sorted = tags.clone();
    sorted.sort();
    for h in &hosts {
        assert_eq!(list_tags(h), sorted, "{h}");
    }
    let references: Vec<String> = hosts
        .iter()
        .flat_map(|h| tags.iter().map(move |t| format!("{h}/team/app:{t}")))
        .collect();
    for (r, d) in references.iter().zip(digests(&references)) {
        assert_eq!(d.as_deref(), Some(digest.as_str()), "{r}");
    }
}

#[test]
fn a_failed_tag_move_holds_back_the_less_specific_tags_of_its_family() {
    let (healthy, failing) = (
        Registry::start(&Kind::Anonymous),
        Registry::start(&Kind::Anonymous),
    );
    // Behind the proxy, the PUT of tag `1.2.3` is refused (403: fatal, not retried).
    let proxy = FaultProxy::start(failing.port, |_, line| {
        if line.starts_with("PUT ") && line.contains("/manifests/1.2.3 ") {
            Fault::StatusAfterBody(403)
        } else {
            Fault::Pass
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("image");
    let digest = write_many_layers(&layout, 3);
    let mut tags = hundred_tags();
    tags.truncate(24);
    let hosts = [healthy.host(), proxy.host()];
    let images: Vec<String> = hosts.iter().map(|h| format!("{h}/team/app")).collect();
    let run = run_hoist_args(
        &[
            ("images", images.join("\n").as_str()),
            ("tags", tags_input(&tags).as_str()),
            ("source", format!("oci:{}", layout.display()).as_str()),
            ("insecure-registries", hosts.join("\n").as_str()),
        ],
        &["--retry-pacing", FAST_RETRIES],
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let results = run.results();
    assert_eq!(results.len(), 2);

    // The healthy registry is not held back by the other's tag failure: every tag moved.
    assert_eq!(results[0]["status"], "ok", "{}", results[0]);
    for t in &tags {
        let at = skopeo_digest(&format!("{}/team/app:{t}", hosts[0]), &[]);
        assert_eq!(at.as_deref(), Some(digest.as_str()), "{t}");
    }

    // The failing one: `1.2.3` failed, so `1.2`, `1` and `latest` never moved (never PUT).
    let failed = &results[1];
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"]["operation"], "tag `1.2.3`", "{failed}");
    let status = |tag: &str| {
        failed["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tag"] == tag)
            .map(|t| t["status"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(status("1.2.3"), "failed");
    for less in ["1.2", "1", "latest"] {
        assert_eq!(status(less), "not-moved", "{less}");
        assert!(
            !proxy
                .seen()
                .iter()
                .any(|l| l.starts_with(&format!("PUT /v2/team/app/manifests/{less} "))),
            "{less} was PUT"
        );
    }
    // The report says exactly what moved: a tag reported pushed is at the digest, any other
    // is absent (the registry was empty). Read directly, not through the proxy.
    for t in &tags {
        let at = skopeo_digest(&format!("{}/team/app:{t}", failing.host()), &[]);
        match status(t).as_str() {
            "pushed" => assert_eq!(at.as_deref(), Some(digest.as_str()), "{t}"),
            _ => assert_eq!(at, None, "{t}"),
        }
    }
}

/// A loopback HTTP/1.1 server answering every request `200` with an empty body, keeping
/// connections open; it counts the connections accepted, the requests, and the most requests
/// it held at once (each held a few milliseconds so that concurrent ones overlap).
struct CountingServer {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    most_at_once: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CountingServer {
    fn start() -> Self {
        use std::io::{BufRead as _, BufReader};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let most_at_once = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (conns, reqs, most, flag) = (
            Arc::clone(&connections),
            Arc::clone(&requests),
            Arc::clone(&most_at_once),
            Arc::clone(&stop),
        );
        let thread = std::thread::spawn(move || {
            let now = Arc::new(AtomicUsize::new(0));
            let mut workers = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    continue;
                };
                conns.fetch_add(1, Ordering::SeqCst);
                let (reqs, most, now) = (Arc::clone(&reqs), Arc::clone(&most), Arc::clone(&now));
                workers.push(std::thread::spawn(move || {
                    stream.set_nonblocking(false).unwrap();
                    // Bounded: a connection idle for 10 s is closed.
                    stream
                        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                        .unwrap();
                    let mut out = stream.try_clone().unwrap();
                    let mut lines = BufReader::new(stream);
                    // One request a round: its head up to the empty line (no bodies here).
                    for _ in 0..10_000 {
                        let mut line = String::new();
                        if lines.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        while line != "\r\n" {
                            line.clear();
                            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                        }
                        reqs.fetch_add(1, Ordering::SeqCst);
                        let held = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(held, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(3));
                        now.fetch_sub(1, Ordering::SeqCst);
                        if out
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                            .is_err()
                        {
                            return;
                        }
                    }
                }));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Self {
            port,
            connections,
            requests,
            most_at_once,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn requests_to_one_host_are_bounded_in_flight_and_reuse_their_connections() {
    use hoist::registry::endpoint::{Endpoint, EndpointConfig, MAX_IN_FLIGHT_PER_HOST};
    use std::sync::atomic::Ordering;
    const REQUESTS: usize = 200;
    let server = CountingServer::start();
    let config = EndpointConfig {
        insecure: true,
        ..EndpointConfig::default()
    };
    let host = format!("127.0.0.1:{}", server.port);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ep = Endpoint::new(&host, &config, None, std::sync::Arc::new(|_: &str| {})).unwrap();
        let digest = hoist::plan::Digest::of(b"a blob");
        // Many checks at once, as ten images on one host would ask.
        let all = futures_util::future::join_all(
            (0..REQUESTS).map(|i| ep.blob_exists(if i % 2 == 0 { "a/x" } else { "b/y" }, &digest)),
        )
        .await;
        assert!(all.iter().all(|r| matches!(r, Ok(true))), "{all:?}");
    });
    assert_eq!(server.requests.load(Ordering::SeqCst), REQUESTS);
    let most = server.most_at_once.load(Ordering::SeqCst);
    assert!(
        (1..=MAX_IN_FLIGHT_PER_HOST).contains(&most),
        "{most} requests at once"
    );
    // Connections are reused, not one per request.
    let connections = server.connections.load(Ordering::SeqCst);
    assert!(connections <= REQUESTS / 4, "{connections} connections");
}
