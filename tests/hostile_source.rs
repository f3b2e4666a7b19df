//! Hostile sources (issue 8, the source side): a token realm that never stops talking, a
//! `docker://` blob longer than its descriptor, an index bomb as a layout and through a
//! registry, `index.json` that is a FIFO, `/dev/zero` or huge, SIGTERM and SIGKILL mid-pull
//! (spools removed or swept), an unreadable layout, binary tar headers, a bad `docker://` name.
//! Each test asserts the bound (bytes sent, requests made, time taken, files left) and the
//! wording. The hostile registry is a small HTTP/1.1 server on 127.0.0.1 run by the test; every
//! loop in it is bounded and it stops on drop.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::digest;
use support::faults::FAST_RETRIES;
use support::github::GitHubStub;
use support::images::write_layout;

// ---------------------------------------------------------------- the hostile registry

/// What the handler may write back, and the shared counters.
struct Conn<'a> {
    stream: &'a mut TcpStream,
    sent: &'a AtomicU64,
    stop: &'a AtomicBool,
}

impl Conn<'_> {
    fn respond(&mut self, status: &str, headers: &[(&str, String)], body: &[u8]) {
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        let _ = self.stream.write_all(head.as_bytes());
        let _ = self.stream.write_all(body);
    }

    /// A 200 with no length that sends `first`, then `filler` chunks until the peer hangs up,
    /// `limit` bytes are out, or the server stops; with `stall`, sends `first` and then waits
    /// (at most 60 s) instead.
    fn endless(&mut self, first: &[u8], limit: u64, stall: bool) {
        let _ = self
            .stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
        if self.stream.write_all(first).is_err() {
            return;
        }
        self.sent.fetch_add(first.len() as u64, Ordering::SeqCst);
        if stall {
            let until = Instant::now() + Duration::from_secs(60);
            while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        let filler = vec![b'a'; 64 * 1024];
        while self.sent.load(Ordering::SeqCst) < limit && !self.stop.load(Ordering::SeqCst) {
            if self.stream.write_all(&filler).is_err() {
                return;
            }
            self.sent.fetch_add(filler.len() as u64, Ordering::SeqCst);
        }
    }
}

type Handler = dyn Fn(&str, &str, &mut Conn<'_>) + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1: one request per connection, each on its own thread.
struct Hostile {
    port: u16,
    /// `METHOD path` → how many times it was requested.
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// Body bytes written by `endless`.
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hostile {
    fn start(handler: impl Fn(&str, &str, &mut Conn<'_>) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (h, s, st) = (Arc::clone(&hits), Arc::clone(&sent), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (h, s, st, handler) = (
                            Arc::clone(&h),
                            Arc::clone(&s),
                            Arc::clone(&st),
                            Arc::clone(&handler),
                        );
                        workers.push(std::thread::spawn(move || {
                            serve(stream, &h, &s, &st, &*handler);
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Self {
            port,
            hits,
            sent,
            stop,
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn hits(&self) -> HashMap<String, usize> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    hits: &Mutex<HashMap<String, usize>>,
    sent: &AtomicU64,
    stop: &AtomicBool,
    handler: &Handler,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    // The request head, bounded; requests here have no body.
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while head.len() < 64 * 1024 && !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut words = head.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return;
    };
    let path = target.split('?').next().unwrap_or(target).to_owned();
    *hits
        .lock()
        .unwrap()
        .entry(format!("{method} {path}"))
        .or_default() += 1;
    let mut conn = Conn {
        stream: &mut stream,
        sent,
        stop,
    };
    handler(method, &path, &mut conn);
}

/// Serves manifests and blobs from `store` (by digest, and the root under tag `v1`) for
/// repository `src/app`, anonymously.
fn serve_store(
    store: &HashMap<String, (Vec<u8>, &'static str)>,
    root: &str,
    path: &str,
    conn: &mut Conn<'_>,
) -> bool {
    let Some(rest) = path.strip_prefix("/v2/src/app/") else {
        if path == "/v2/" {
            conn.respond("200 OK", &[], b"{}");
            return true;
        }
        return false;
    };
    let key = match rest.split_once('/') {
        Some(("manifests", "v1")) => root,
        Some(("manifests" | "blobs", d)) => d,
        _ => return false,
    };
    match store.get(key) {
        Some((bytes, media_type)) => {
            conn.respond(
                "200 OK",
                &[
                    ("Content-Type", (*media_type).to_owned()),
                    ("Docker-Content-Digest", digest(bytes)),
                ],
                bytes,
            );
            true
        }
        None => false,
    }
}

// ---------------------------------------------------------------- running hoist

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A runner's files for one or more runs: `RUNNER_TEMP` survives between runs.
struct Workspace {
    dir: tempfile::TempDir,
    api: GitHubStub,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        std::fs::write(
            dir.path().join("event.json"),
            r#"{"head_commit":{"id":"0123456789abcdef0123456789abcdef01234567","timestamp":"2026-01-02T03:04:05Z"}}"#,
        )
        .unwrap();
        Self {
            dir,
            api: GitHubStub::app(),
        }
    }

    fn runner_temp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// The spools (`hoist-pull-*`, `hoist-spool-*`) in `RUNNER_TEMP`.
    fn spools(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.runner_temp())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                n.starts_with("hoist-pull-") || n.starts_with("hoist-spool-")
            })
            .collect()
    }

    fn command(&self, inputs: &[(&str, &str)], wrapper: &[&str]) -> Command {
        let w = self.dir.path();
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(env!("CARGO_BIN_EXE_hoist"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_hoist")),
        };
        cmd.env_clear()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", w.join("output"))
            .env("GITHUB_ENV", w.join("env"))
            .env("GITHUB_STEP_SUMMARY", w.join("summary"))
            .env("RUNNER_TEMP", self.runner_temp())
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_EVENT_PATH", w.join("event.json"))
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REPOSITORY", "o/app")
            .env("GITHUB_API_URL", self.api.url())
            .env("HOME", w)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in inputs {
            cmd.env(format!("INPUT_{}", name.to_ascii_uppercase()), value);
        }
        // Retries paced in milliseconds; request deadlines unchanged.
        cmd.args(["--retry-pacing", FAST_RETRIES]);
        cmd
    }

    fn spawn(&self, inputs: &[(&str, &str)]) -> Child {
        self.command(inputs, &[]).spawn().unwrap()
    }

    /// Runs to the end (killed after `limit`): exit code, stdout + stderr, time taken.
    fn run_within(
        &self,
        inputs: &[(&str, &str)],
        wrapper: &[&str],
        limit: Duration,
    ) -> (Option<i32>, String, Duration) {
        let start = Instant::now();
        let child = self.command(inputs, wrapper).spawn().unwrap();
        let (code, out) = wait_output(child, limit);
        (code, out, start.elapsed())
    }
}

/// Waits for `child` at most `limit` (then kills it and fails the test); returns the exit code
/// and stdout + stderr.
fn wait_output(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hoist did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = out.join().unwrap();
    text.extend(err.join().unwrap());
    (status.code(), String::from_utf8_lossy(&text).into_owned())
}

fn inputs<'a>(source: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("images", "127.0.0.1:9/never/contacted"),
        ("tags", "type=raw,value=t1"),
        ("source", source),
    ];
    v.extend_from_slice(extra);
    v
}

/// An OCI manifest over `config` and layers, as bytes.
fn manifest(config: &[u8], layers: &[(String, u64)]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest(config), "size": config.len()},
        "layers": layers.iter().map(|(d, n)| serde_json::json!({"mediaType": OCI_LAYER, "digest": d, "size": n})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// An index listing `child` (of `media_type`) `n` times.
fn repeat_index(child: &[u8], media_type: &str, n: usize) -> Vec<u8> {
    let entry = serde_json::json!({"mediaType": media_type, "digest": digest(child), "size": child.len(), "platform": {"os": "linux", "architecture": "amd64"}});
    serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": vec![entry; n]}))
        .unwrap()
}

/// The index bomb of the issue: 4 nested indexes of 100 identical entries over one image
/// (100^4 paths through 5 manifests). Returns every object by digest and the root's digest.
fn index_bomb() -> (HashMap<String, (Vec<u8>, &'static str)>, String) {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let layer = b"layer bytes".to_vec();
    let leaf = manifest(&config, &[(digest(&layer), layer.len() as u64)]);
    let mut store = HashMap::new();
    store.insert(digest(&config), (config, OCI_CONFIG));
    store.insert(digest(&layer), (layer, OCI_LAYER));
    let mut level = repeat_index(&leaf, OCI_MANIFEST, 100);
    store.insert(digest(&leaf), (leaf, OCI_MANIFEST));
    for _ in 0..3 {
        let up = repeat_index(&level, OCI_INDEX, 100);
        store.insert(digest(&level), (level, OCI_INDEX));
        level = up;
    }
    let root = digest(&level);
    store.insert(root.clone(), (level, OCI_INDEX));
    (store, root)
}

/// Writes `store` as an OCI layout whose `index.json` names `root`.
fn write_store_layout(dir: &Path, store: &HashMap<String, (Vec<u8>, &'static str)>, root: &str) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    for (d, (bytes, _)) in store {
        std::fs::write(dir.join("blobs/sha256").join(&d["sha256:".len()..]), bytes).unwrap();
    }
    let (bytes, media_type) = &store[root];
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": media_type, "digest": root, "size": bytes.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

// ---------------------------------------------------------------- the tests

#[test]
fn an_endless_token_response_is_cut_at_its_limit() {
    let port = Arc::new(Mutex::new(0_u16));
    let p = Arc::clone(&port);
    let server = Hostile::start(move |_, path, conn| {
        if path == "/token" {
            conn.endless(br#"{"token":""#, 8 << 30, false);
        } else {
            let realm = format!(
                r#"Bearer realm="http://127.0.0.1:{}/token",service="hostile""#,
                *p.lock().unwrap()
            );
            conn.respond(
                "401 Unauthorized",
                &[("WWW-Authenticate", realm)],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}"#,
            );
        }
    });
    *port.lock().unwrap() = server.port;
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let (code, out, took) = ws.run_within(
        &inputs(&source, &[("insecure-registries", &host)]),
        &[],
        Duration::from_secs(120),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("the token response is larger than the 65536-byte limit"),
        "{out}"
    );
    let sent = server.sent.load(Ordering::SeqCst);
    // Read stops at 64 KiB; what the kernel buffered on top is bounded by the socket buffers.
    assert!(sent < 64 << 20, "the server got {sent} bytes out");
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_eq!(server.hits().get("GET /token"), Some(&1), "not retried");
}

/// A `docker://` image whose one layer declares `declared` bytes; the blob is served by
/// `serve_layer`.
fn one_layer_registry(
    declared: u64,
    serve_layer: impl Fn(&mut Conn<'_>) + Send + Sync + 'static,
) -> (Hostile, String) {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let layer_digest = digest(&vec![b'a'; usize::try_from(declared).unwrap()]);
    let m = manifest(&config, &[(layer_digest.clone(), declared)]);
    let root = digest(&m);
    let mut store = HashMap::new();
    store.insert(digest(&config), (config, OCI_CONFIG));
    store.insert(root.clone(), (m, OCI_MANIFEST));
    let blob_path = format!("/v2/src/app/blobs/{layer_digest}");
    let server = Hostile::start(move |_, path, conn| {
        if path == blob_path {
            serve_layer(conn);
        } else if !serve_store(&store, &root, path, conn) {
            conn.respond("404 Not Found", &[], b"{}");
        }
    });
    (server, layer_digest)
}

#[test]
fn an_endless_docker_blob_stops_at_its_declared_size() {
    let (server, layer) =
        one_layer_registry(157, |conn| conn.endless(&[b'a'; 157], 8 << 30, false));
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let (code, out, took) = ws.run_within(
        &inputs(&source, &[("insecure-registries", &host)]),
        &[],
        Duration::from_secs(120),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("blob {layer}")), "{out}");
    assert!(
        out.contains("more than the 157 bytes its descriptor declares"),
        "{out}"
    );
    let sent = server.sent.load(Ordering::SeqCst);
    assert!(sent < 64 << 20, "the server got {sent} bytes out");
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert!(ws.spools().is_empty(), "spool left: {:?}", ws.spools());
}

#[test]
fn a_short_docker_blob_fails_naming_it() {
    let (server, layer) = one_layer_registry(157, |conn| {
        conn.respond("200 OK", &[], &[b'a'; 100]);
    });
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let (code, out, _) = ws.run_within(
        &inputs(
            &source,
            &[("insecure-registries", &host), ("push", "false")],
        ),
        &[],
        Duration::from_secs(120),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("blob {layer}")), "{out}");
    assert!(out.contains("ended after 100 of the 157 bytes"), "{out}");
    assert!(ws.spools().is_empty(), "spool left: {:?}", ws.spools());
}

#[test]
fn an_index_bomb_layout_is_planned_quickly() {
    let (store, root) = index_bomb();
    let layout = tempfile::tempdir().unwrap();
    write_store_layout(layout.path(), &store, &root);
    let ws = Workspace::new();
    let source = format!("oci:{}", layout.path().display());
    let (code, out, took) = ws.run_within(
        &inputs(&source, &[("push", "false")]),
        &[],
        Duration::from_secs(120),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("push is false"), "{out}");
    // Half an hour before the walk was memoised; a few milliseconds of work now.
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn an_index_bomb_through_a_registry_requests_each_manifest_once() {
    let (store, root) = index_bomb();
    let names: Vec<String> = store.keys().cloned().collect();
    let r = root.clone();
    let server = Hostile::start(move |_, path, conn| {
        if !serve_store(&store, &r, path, conn) {
            conn.respond("404 Not Found", &[], b"{}");
        }
    });
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let (code, out, took) = ws.run_within(
        &inputs(
            &source,
            &[("insecure-registries", &host), ("push", "false")],
        ),
        &[],
        Duration::from_secs(120),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&root), "{out}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    let hits = server.hits();
    assert_eq!(
        hits.get("GET /v2/src/app/manifests/v1"),
        Some(&1),
        "{hits:?}"
    );
    for d in &names {
        let n = hits
            .get(&format!("GET /v2/src/app/manifests/{d}"))
            .copied()
            .unwrap_or(0)
            + hits
                .get(&format!("GET /v2/src/app/blobs/{d}"))
                .copied()
                .unwrap_or(0);
        let expected = usize::from(*d != root);
        assert_eq!(n, expected, "{d} requested {n} times: {hits:?}");
    }
    assert!(ws.spools().is_empty(), "spool left: {:?}", ws.spools());
}

#[test]
fn an_index_json_that_is_not_a_small_file_fails_fast() {
    type Make = dyn Fn(&Path);
    let cases: [(&str, &Make, &str); 3] = [
        (
            "fifo",
            &|p| {
                let st = Command::new("mkfifo").arg(p).status().unwrap();
                assert!(st.success());
            },
            "index.json is a FIFO, not a regular file",
        ),
        (
            "/dev/zero",
            &|p| std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
            "index.json is a character device, not a regular file",
        ),
        (
            "oversized",
            &|p| {
                let f = std::fs::File::create(p).unwrap();
                f.set_len(300 << 20).unwrap(); // sparse: no disk used
            },
            "index.json is larger than the 4194304-byte limit",
        ),
    ];
    for (name, make, wording) in cases {
        let layout = tempfile::tempdir().unwrap();
        write_layout(layout.path(), 3, false);
        let index = layout.path().join("index.json");
        std::fs::remove_file(&index).unwrap();
        make(&index);
        let ws = Workspace::new();
        let source = format!("oci:{}", layout.path().display());
        let (code, out, took) = ws.run_within(
            &inputs(&source, &[("push", "false")]),
            &[],
            Duration::from_secs(60),
        );
        assert_eq!(code, Some(1), "{name}: {out}");
        assert!(out.contains(wording), "{name}: {out}");
        assert!(took < Duration::from_secs(20), "{name}: {took:?}");
    }
}

/// A registry whose 4 MiB layer sends 64 KiB and then stalls: a pull that is mid-way.
fn stalled_registry() -> Hostile {
    one_layer_registry(4 << 20, |conn| {
        conn.endless(&vec![b'a'; 64 * 1024], 0, true);
    })
    .0
}

/// Waits (at most 30 s) until a spool holds a partly downloaded blob.
fn wait_for_partial_blob(ws: &Workspace) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        for spool in ws.spools() {
            let partial = std::fs::read_dir(&spool)
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| e.metadata().is_ok_and(|m| m.len() >= 64 * 1024));
            if partial {
                return spool;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no partial blob in {}", ws.runner_temp().display());
}

#[test]
fn sigterm_mid_pull_removes_the_spool_and_exits_143() {
    let server = stalled_registry();
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let child = ws.spawn(&inputs(&source, &[("insecure-registries", &host)]));
    let spool = wait_for_partial_blob(&ws);
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let (code, out) = wait_output(child, Duration::from_secs(20));
    assert_eq!(code, Some(143), "{out}");
    assert!(out.contains("stopped by SIGTERM"), "{out}");
    assert!(!spool.exists(), "{} left behind", spool.display());
    assert!(ws.spools().is_empty(), "{:?}", ws.spools());
}

#[test]
fn sigint_mid_pull_removes_the_spool_and_exits_130() {
    let server = stalled_registry();
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let child = ws.spawn(&inputs(&source, &[("insecure-registries", &host)]));
    let spool = wait_for_partial_blob(&ws);
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let (code, out) = wait_output(child, Duration::from_secs(20));
    assert_eq!(code, Some(130), "{out}");
    assert!(!spool.exists(), "{} left behind", spool.display());
}

#[test]
fn a_killed_runs_spool_is_swept_by_the_next_run_and_a_live_one_is_not() {
    let server = stalled_registry();
    let ws = Workspace::new();
    let source = format!("docker://{}/src/app:v1", server.host());
    let host = server.host();
    let mut killed = ws.spawn(&inputs(&source, &[("insecure-registries", &host)]));
    let stale = wait_for_partial_blob(&ws);
    killed.kill().unwrap(); // SIGKILL: nothing of hoist runs
    killed.wait().unwrap();
    assert!(
        stale.exists(),
        "SIGKILL leaves the spool (that is the case swept)"
    );

    // A second pull still running: its spool must survive the sweep.
    let live = ws.spawn(&inputs(&source, &[("insecure-registries", &host)]));
    let deadline = Instant::now() + Duration::from_secs(30);
    let live_spool = loop {
        if let Some(s) = ws.spools().into_iter().find(|s| *s != stale) {
            break s;
        }
        assert!(Instant::now() < deadline, "the live run made no spool");
        std::thread::sleep(Duration::from_millis(20));
    };

    let layout = tempfile::tempdir().unwrap();
    write_layout(layout.path(), 5, false);
    let src = format!("oci:{}", layout.path().display());
    let (code, out, _) = ws.run_within(
        &inputs(&src, &[("push", "false")]),
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(!stale.exists(), "the killed run's spool is swept");
    assert!(live_spool.exists(), "the live run's spool is kept");
    let st = Command::new("kill")
        .args(["-TERM", &live.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let (code, out) = wait_output(live, Duration::from_secs(20));
    assert_eq!(code, Some(143), "{out}");
    assert!(ws.spools().is_empty(), "{:?}", ws.spools());
}

#[test]
fn an_unreadable_layout_is_reported_as_permission_denied() {
    // Tests run as root, which reads anything: run hoist as `nobody` (setpriv) against a
    // layout in a root-only directory.
    let outer = tempfile::tempdir().unwrap();
    let layout = outer.path().join("layout");
    write_layout(&layout, 9, false);
    let mut perms = std::fs::metadata(&layout).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
    std::fs::set_permissions(&layout, perms).unwrap();
    let open = |p: &Path, mode| {
        let mut perms = std::fs::metadata(p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, mode);
        std::fs::set_permissions(p, perms).unwrap();
    };
    open(outer.path(), 0o755);
    let ws = Workspace::new();
    open(ws.dir.path(), 0o777);
    open(&ws.runner_temp(), 0o777);
    let source = format!("oci:{}", layout.display());
    let (code, out, _) = ws.run_within(
        &inputs(&source, &[("push", "false")]),
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "permission denied reading {}/oci-layout",
            layout.display()
        )),
        "{out}"
    );
    assert!(!out.contains("not an OCI image layout"), "{out}");
}

#[test]
fn binary_tar_headers_never_reach_the_log_raw() {
    // One 512-byte header whose name and checksum field hold escapes, CR and invalid UTF-8.
    let mut header = [0_u8; 1024];
    header[..14].copy_from_slice(b"\x1b[31mevil\r\xff\xfe\x07z");
    header[148..156].copy_from_slice(b"\x1b]0;x\x07\r\n");
    header[156] = b'0';
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("random.tar");
    std::fs::write(&tar, header).unwrap();
    let ws = Workspace::new();
    let source = format!("oci-archive:{}", tar.display());
    let (code, out, _) = ws.run_within(
        &inputs(&source, &[("push", "false")]),
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("not a readable tar"), "{out}");
    // No raw ESC, BEL or CR (the tar crate already turned the invalid UTF-8 into U+FFFD).
    assert!(
        !out.contains('\x1b') && !out.contains('\x07') && !out.contains('\r'),
        "{out:?}"
    );
    assert!(out.contains("\\u{1b}"), "{out:?}");
}

#[test]
fn a_bad_docker_source_name_is_reported_once_under_source() {
    let ws = Workspace::new();
    let (code, out, _) = ws.run_within(
        &inputs("docker://127.0.0.1:9/Bad/Name:v1", &[("push", "false")]),
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        errors[0].contains(
            "input `source`: `docker://127.0.0.1:9/Bad/Name:v1`: not a valid repository name"
        ),
        "{out}"
    );
    assert!(!out.contains("input `images`"), "{out}");
    assert_eq!(
        errors[0].matches("not a valid repository name").count(),
        1,
        "{out}"
    );
}

#[test]
fn a_crlf_manifest_media_type_fails_before_any_blob_is_read() {
    let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let mut m: serde_json::Value = serde_json::from_slice(&manifest(&config, &[])).unwrap();
    m["mediaType"] = format!("{OCI_MANIFEST}\r\nX-Injected: 1").into();
    let m = serde_json::to_vec(&m).unwrap();
    let root = digest(&m);
    let mut store = HashMap::new();
    store.insert(digest(&config), (config, OCI_CONFIG));
    store.insert(root.clone(), (m.clone(), OCI_MANIFEST));
    let r = root.clone();
    let server = Hostile::start(move |_, path, conn| {
        if !serve_store(&store, &r, path, conn) {
            conn.respond("404 Not Found", &[], b"{}");
        }
    });
    let ws = Workspace::new();
    let host = server.host();
    let source = format!("docker://{host}/src/app:v1");
    let (code, out, _) = ws.run_within(
        &inputs(
            &source,
            &[("insecure-registries", &host), ("push", "false")],
        ),
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("manifest {root} has media type")),
        "{out}"
    );
    assert!(out.contains("\\r\\nX-Injected: 1"), "{out}");
    let blob_reads = server
        .hits()
        .keys()
        .filter(|k| k.contains("/blobs/"))
        .count();
    assert_eq!(blob_reads, 0, "{:?}", server.hits());

    // The same manifest in a layout: refused in planning, with `push: false`.
    let layout = tempfile::tempdir().unwrap();
    let mut local = HashMap::new();
    local.insert(root.clone(), (m, OCI_MANIFEST));
    write_store_layout(layout.path(), &local, &root);
    let src = format!("oci:{}", layout.path().display());
    let (code, out, _) = ws.run_within(
        &inputs(&src, &[("push", "false")]),
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("manifest {root} has media type")),
        "{out}"
    );
    assert!(
        !out.contains("X-Injected: 1\n") && !out.contains('\r'),
        "{out:?}"
    );
}
