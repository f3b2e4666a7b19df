//! Test harness: real CNCF distribution registries (`/usr/bin/docker-registry`) on free
//! 127.0.0.1 ports, each with its own config (anonymous, htpasswd, TLS with a CA made here),
//! killed on drop; generated OCI images; a local stub of the GitHub API; the `hoist` binary run
//! the way the runner runs it (`env_clear`, `INPUT_*`, `GITHUB_OUTPUT`); `skopeo` as the
//! independent checker. Every wait is bounded.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::format_push_string,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// sha256 digest string of bytes.
pub fn digest(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in h {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A test CA and a server certificate for 127.0.0.1, made with the openssl CLI.
pub struct Ca {
    pub dir: tempfile::TempDir,
}

impl Ca {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let run = |args: &[&str]| {
            let st = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success(), "openssl {args:?}");
        };
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=hoist test CA",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        Self { dir }
    }

    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// How a registry is set up.
pub enum Kind<'a> {
    Anonymous,
    Htpasswd {
        user: &'a str,
        password: &'a str,
    },
    Tls(&'a Ca),
    Token(&'a TokenServer),
    /// TLS, but the registry's external URL (`http.host`) is plain http: its upload `Location`
    /// headers name `http://` (a misconfigured proxy in front of a TLS registry).
    TlsHttpLocation(&'a Ca),
}

/// A running registry, killed on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Registry {
    pub fn start(kind: &Kind<'_>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: hoist-test-secret\n",
            storage.display()
        );
        match kind {
            Kind::Anonymous => {}
            Kind::Htpasswd { user, password } => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", user, password])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "htpasswd");
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, out.stdout).unwrap();
                config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: hoist-test\n    path: {}\n",
                    file.display()
                ));
            }
            Kind::Token(server) => config.push_str(&server.registry_auth_config()),
            Kind::Tls(ca) | Kind::TlsHttpLocation(ca) => {
                if matches!(kind, Kind::TlsHttpLocation(_)) {
                    config.push_str(&format!("  host: http://127.0.0.1:{port}\n"));
                }
                config.push_str(&format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    ca.dir.path().join("server.pem").display(),
                    ca.dir.path().join("server.key").display()
                ));
            }
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config_path)
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/bin/docker-registry (apt-get install docker-registry)");
        let reg = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "registry on {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Whether the registry stored any blob (an upload session opened and cancelled by the
    /// preflight stores none).
    pub fn has_blobs(&self) -> bool {
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs")
            .exists()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
        let mut raw = vec![0_u8; 20_000 + i * 7_000];
        rng.fill(&mut raw);
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

/// A stub of the GitHub REST API answering every request with one repository document.
pub struct ApiStub {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiStub {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let body = r#"{"id":1,"name":"app","full_name":"o/app","description":"test","html_url":"https://github.com/o/app","url":"https://api.github.com/repos/o/app","default_branch":"main","license":{"key":"mit","name":"MIT","spdx_id":"MIT","url":null,"node_id":"x"},"owner":{"login":"o","id":1}}"#;
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0_u8; 8192];
                        let _ = s.read(&mut buf);
                        let _ = write!(
                            s,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ApiStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a run of the binary produced.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub outputs: HashMap<String, String>,
    pub summary: String,
}

impl Run {
    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map_or("", String::as_str)
    }

    pub fn results(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(self.output("push-results")).unwrap_or_default()
    }
}

fn parse_outputs(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_owned(), value.join("\n"));
        }
    }
    out
}

/// Runs `hoist` as a workflow step with these inputs (names as in action.yml).
pub fn run_hoist(inputs: &[(&str, &str)]) -> Run {
    run_hoist_args(inputs, &[])
}

/// [`run_hoist`] with extra command-line arguments (e.g. the hidden `--retry-pacing` test flag).
pub fn run_hoist_args(inputs: &[(&str, &str)], args: &[&str]) -> Run {
    let api = ApiStub::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let event = w.join("event.json");
    std::fs::write(
        &event,
        r#"{"head_commit":{"id":"0123456789abcdef0123456789abcdef01234567","timestamp":"2026-01-02T03:04:05Z"}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(w.join("tmp")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.env_clear()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", w.join("output"))
        .env("GITHUB_ENV", w.join("env"))
        .env("GITHUB_STEP_SUMMARY", w.join("summary"))
        .env("RUNNER_TEMP", w.join("tmp"))
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", "o/app")
        .env("GITHUB_API_URL", format!("http://127.0.0.1:{}", api.port))
        .env("HOME", w)
        .stdin(Stdio::null());
    for (name, value) in inputs {
        cmd.env(format!("INPUT_{}", name.to_ascii_uppercase()), value);
    }
    cmd.args(args);
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs: parse_outputs(&std::fs::read_to_string(w.join("output")).unwrap_or_default()),
        summary: std::fs::read_to_string(w.join("summary")).unwrap_or_default(),
    }
}

/// The digest skopeo sees for `docker://host/repo:tag` (raw manifest bytes hashed), or `None`
/// when skopeo cannot read it.
pub fn skopeo_digest(reference: &str, extra: &[&str]) -> Option<String> {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .args(extra)
        .arg(format!("docker://{reference}"))
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("skopeo (apt-get install skopeo)");
    out.status.success().then(|| digest(&out.stdout))
}

/// What the fault proxy does with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward it.
    Pass,
    /// Answer this status (no body) and close.
    Status(u16),
    /// Answer 429 with `Retry-After: <secs>`.
    TooManyRequests(u64),
    /// Forward the head and a little of the body, then drop the connection.
    Reset,
    /// Drop the connection at once, as a dead registry would.
    Dead,
    /// Hold the request until [`FaultProxy::release`] (at most 60 s), then forward it.
    Hold,
}

/// A loopback HTTP proxy in front of a real registry. It forces one request per connection
/// (`Connection: close`), so it sees every request line: it records them and lets `decide`
/// inject faults.
pub struct FaultProxy {
    pub port: u16,
    pub requests: Arc<std::sync::Mutex<Vec<String>>>,
    released: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn read_head(s: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Some((buf, rest));
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn with_connection_close(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.split("\r\n") {
        if line.is_empty() || line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn proxy_connection(mut client: TcpStream, upstream: u16, fault: Fault, head: &[u8], rest: &[u8]) {
    let reply = |client: &mut TcpStream, text: String| {
        let _ = client.write_all(text.as_bytes());
        let _ = client.shutdown(std::net::Shutdown::Both);
    };
    match fault {
        Fault::Status(code) => {
            return reply(
                &mut client,
                format!(
                    "HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
            );
        }
        Fault::TooManyRequests(secs) => {
            return reply(
                &mut client,
                format!(
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {secs}\r\nContent-Type: application/json\r\nContent-Length: 54\r\nConnection: close\r\n\r\n{{\"errors\":[{{\"code\":\"TOOMANYREQUESTS\",\"message\":\"x\"}}]}}"
                ),
            );
        }
        Fault::Dead => {
            let _ = client.shutdown(std::net::Shutdown::Both);
            return;
        }
        Fault::Pass | Fault::Reset | Fault::Hold => {}
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let _ = server.write_all(&with_connection_close(head));
    let _ = server.write_all(rest);
    if fault == Fault::Reset {
        let mut buf = [0_u8; 4096];
        let _ = client.set_read_timeout(Some(Duration::from_secs(2)));
        if let Ok(n) = client.read(&mut buf) {
            let _ = server.write_all(&buf[..n]);
        }
        let _ = server.shutdown(std::net::Shutdown::Both);
        let _ = client.shutdown(std::net::Shutdown::Both);
        return;
    }
    let (Ok(mut c2), Ok(mut s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut s2);
        let _ = s2.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut server, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Both);
    let _ = server.shutdown(std::net::Shutdown::Both);
    let _ = up.join();
}

impl FaultProxy {
    /// Starts a proxy to `127.0.0.1:upstream`; `decide(n, request_line)` picks the fault for
    /// the `n`-th request (from 0).
    pub fn start(
        upstream: u16,
        decide: impl Fn(usize, &str) -> Fault + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let flag = Arc::clone(&stop);
        let released = Arc::new(AtomicBool::new(false));
        let gate = Arc::clone(&released);
        let log = Arc::clone(&requests);
        let decide = Arc::new(decide);
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
                        let log = Arc::clone(&log);
                        let decide = Arc::clone(&decide);
                        let gate = Arc::clone(&gate);
                        workers.push(std::thread::spawn(move || {
                            let Some((head, rest)) = read_head(&mut client) else {
                                return;
                            };
                            let line = String::from_utf8_lossy(&head)
                                .lines()
                                .next()
                                .unwrap_or_default()
                                .to_owned();
                            let fault = {
                                let mut l = log.lock().unwrap();
                                let f = decide(l.len(), &line);
                                l.push(line);
                                f
                            };
                            if fault == Fault::Hold {
                                let until = Instant::now() + Duration::from_secs(60);
                                while !gate.load(Ordering::SeqCst) && Instant::now() < until {
                                    std::thread::sleep(Duration::from_millis(10));
                                }
                            }
                            proxy_connection(client, upstream, fault, &head, &rest);
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
            requests,
            released,
            stop,
            thread: Some(thread),
        }
    }

    /// Lets every held request ([`Fault::Hold`]) through.
    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The request lines seen so far.
    pub fn seen(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.released.store(true, Ordering::SeqCst);
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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

fn base64url(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 2;
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libtrust's key ID of a PEM certificate's public key (how distribution names trusted keys).
fn libtrust_key_id(cert: &Path) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let pubkey = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform DER",
            cert.display()
        ))
        .output()
        .unwrap();
    let hash = Sha256::digest(&pubkey.stdout);
    let bytes = &hash[..30];
    let mut bits = 0_u32;
    let mut n = 0;
    let mut s = String::new();
    for &byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        n += 8;
        while n >= 5 {
            s.push(ALPHABET[((bits >> (n - 5)) & 31) as usize] as char);
            n -= 5;
        }
    }
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// A token server (distribution's token auth) for one user: signs RS256 JWTs with the openssl
/// CLI, granting every requested repository scope to the right Basic credentials.
pub struct TokenServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub issued: Arc<std::sync::Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenServer {
    pub fn start(user: &str, password: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let st = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "token.key",
                "-out",
                "token.pem",
                "-days",
                "2",
                "-subj",
                "/CN=hoist token issuer",
            ])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let kid = libtrust_key_id(&dir.path().join("token.pem"));
        let key = dir.path().join("token.key");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (flag, log) = (Arc::clone(&stop), Arc::clone(&issued));
        let expected = {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )
        };
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let Some((head, _)) = read_head(&mut s) else {
                    continue;
                };
                let head = String::from_utf8_lossy(&head).into_owned();
                let authorized = head.lines().any(|l| {
                    l.to_ascii_lowercase().starts_with("authorization:")
                        && l[14..].trim() == expected
                });
                if !authorized {
                    let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                }
                let target = head.split(' ').nth(1).unwrap_or_default();
                let query = target.split_once('?').map_or("", |(_, q)| q);
                let mut service = String::new();
                let mut access = Vec::new();
                for pair in query.split('&') {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = percent_decode(v);
                    match k {
                        "service" => service = v,
                        "scope" => {
                            for scope in v.split(' ') {
                                let parts: Vec<&str> = scope.split(':').collect();
                                if parts.len() == 3 {
                                    access.push(serde_json::json!({
                                        "type": parts[0], "name": parts[1],
                                        "actions": parts[2].split(',').collect::<Vec<_>>(),
                                    }));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                // The test token server signs with the real clock, as registries check it.
                #[allow(clippy::disallowed_methods)]
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": kid});
                let claims = serde_json::json!({
                    "iss": "hoist-test-issuer", "sub": "alice", "aud": service,
                    "exp": now + 300, "nbf": now - 10, "iat": now,
                    "jti": format!("{now}-{}", log.lock().unwrap().len()), "access": access,
                });
                let signing_input = format!(
                    "{}.{}",
                    base64url(&serde_json::to_vec(&header).unwrap()),
                    base64url(&serde_json::to_vec(&claims).unwrap())
                );
                let mut child = Command::new("openssl")
                    .args(["dgst", "-sha256", "-sign"])
                    .arg(&key)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(signing_input.as_bytes())
                    .unwrap();
                let sig = child.wait_with_output().unwrap().stdout;
                let token = format!("{signing_input}.{}", base64url(&sig));
                log.lock().unwrap().push(token.clone());
                let body = serde_json::json!({"token": token, "expires_in": 300}).to_string();
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self {
            port,
            dir,
            issued,
            stop,
            thread: Some(thread),
        }
    }

    /// The registry config block that trusts this server.
    pub fn registry_auth_config(&self) -> String {
        format!(
            "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: hoist-test\n    issuer: hoist-test-issuer\n    rootcertbundle: {}\n",
            self.port,
            self.dir.path().join("token.pem").display()
        )
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
