//! Real registries for the integration tests: CNCF distribution (`/usr/bin/docker-registry`) on
//! free 127.0.0.1 ports, each with its own config (anonymous, htpasswd, TLS with a CA made here
//! with the openssl CLI), killed on drop; a token server (the registry's bearer-token auth);
//! `skopeo` as the independent checker. Every wait is bounded.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::format_push_string,
    clippy::cast_possible_truncation
)]

use std::io::{Read as _, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use super::faults::read_head;
use super::{digest, free_port};

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

fn base64url(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
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
    /// How many tokens were granted for a refresh token.
    pub refresh_grants: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokenServer {
    pub fn start(user: &str, password: &str) -> Self {
        Self::start_with(user, password, None)
    }

    /// As [`Self::start`], and also grants a token to a `POST` form with
    /// `grant_type=refresh_token` and this `refresh_token` (the distribution token spec's OAuth 2
    /// form); a POST with any other refresh token gets 401. Each grant by refresh token is
    /// recorded in `refresh_grants`.
    pub fn start_with_refresh_token(user: &str, password: &str, refresh: &str) -> Self {
        Self::start_with(user, password, Some(refresh.to_owned()))
    }

    fn start_with(user: &str, password: &str, refresh: Option<String>) -> Self {
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
        let refresh_grants = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let grants = Arc::clone(&refresh_grants);
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
                let Some((head, mut body)) = read_head(&mut s) else {
                    continue;
                };
                let head = String::from_utf8_lossy(&head).into_owned();
                let form = if head.starts_with("POST ") {
                    // The OAuth2 form: the body, up to its Content-Length (bounded).
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0)
                        .min(64 * 1024);
                    let mut chunk = [0_u8; 4096];
                    while body.len() < len {
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => body.extend_from_slice(&chunk[..n]),
                        }
                    }
                    Some(String::from_utf8_lossy(&body).into_owned())
                } else {
                    None
                };
                let authorized = match &form {
                    Some(form) => {
                        let field = |key: &str| {
                            form.split('&').find_map(|pair| {
                                let (k, v) = pair.split_once('=')?;
                                (k == key).then(|| percent_decode(v))
                            })
                        };
                        let ok = refresh.is_some()
                            && field("grant_type").as_deref() == Some("refresh_token")
                            && field("refresh_token") == refresh;
                        if ok {
                            grants.fetch_add(1, Ordering::SeqCst);
                        }
                        ok
                    }
                    None => head.lines().any(|l| {
                        l.to_ascii_lowercase().starts_with("authorization:")
                            && l[14..].trim() == expected
                    }),
                };
                if !authorized {
                    let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    continue;
                }
                let target = head.split(' ').nth(1).unwrap_or_default();
                let query = match &form {
                    Some(form) => form.as_str(),
                    None => target.split_once('?').map_or("", |(_, q)| q),
                };
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
                let body = if form.is_some() {
                    serde_json::json!({"access_token": token, "expires_in": 300}).to_string()
                } else {
                    serde_json::json!({"token": token, "expires_in": 300}).to_string()
                };
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
            refresh_grants,
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

/// Decodes a form value (`+` is a space, `%XX` a byte).
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
