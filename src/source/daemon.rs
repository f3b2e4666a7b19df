//! `docker-daemon:IMAGE[:TAG|@DIGEST]` (or an image ID): an image in the local Docker Engine,
//! read through its API on the unix socket (`DOCKER_HOST=unix:///path`, else
//! `/var/run/docker.sock`, which the runner mounts into container actions).
//!
//! The Engine's export (`GET /v<api>/images/<name>/get`, the `docker save` tar) is streamed to a
//! spool file with bounded buffers, then read like a `docker-archive:` or `oci-archive:`:
//!
//! * classic image store (any version): `manifest.json` with uncompressed layers (Docker 25+ adds
//!   an OCI layout whose layers are still uncompressed): [`super::docker_archive`] compresses
//!   them once; the config is unchanged, so the image ID survives the push;
//! * containerd image store (Docker 25+): an OCI layout whose `index.json` points at the image's
//!   own index or manifest, with the original (compressed) blobs. When that whole graph is in the
//!   tar it is pushed as is (the image ID, the root digest, survives); when the Engine skipped
//!   blobs (the other platforms of a pulled multi-platform image), `manifest.json` (the host
//!   platform) is used instead, through [`super::docker_archive`].
//!
//! The HTTP/1.1 client is hyper's (`hyper::client::conn::http1`, one connection per request) over
//! `tokio::net::UnixStream`, on a runtime of its own: [`super::load`] is synchronous (as the file
//! sources are) and runs before any upload. Every wait is bounded (a deadline on the response
//! head, an idle timeout on each read of the export stream) and so is every body read into memory
//! (`/_ping`, error bodies); the export goes to the spool file frame by frame.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use super::{LocalImage, SourceError, archive, docker_archive, io_error};

/// The socket used when `DOCKER_HOST` is unset or empty.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// How long the small requests (`/_ping`) may stay silent.
const PING_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the export stream may stay silent (the Engine prepares layers before sending).
const EXPORT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// The client's read buffer, which bounds a response head.
const MAX_BUF_BYTES: usize = 64 * 1024;
/// The largest error body read (the rest is ignored).
const MAX_ERROR_BODY: usize = 8 * 1024;
/// The largest `/_ping` body read (the Engine sends `OK`).
const MAX_PING_BODY: usize = 1024;

/// The Engine socket to use, from `DOCKER_HOST` (`unix:///path`), else [`DEFAULT_SOCKET`].
pub fn socket_path(docker_host: Option<&str>) -> Result<PathBuf, SourceError> {
    match docker_host.map(str::trim).filter(|h| !h.is_empty()) {
        None => Ok(PathBuf::from(DEFAULT_SOCKET)),
        Some(host) => match host.strip_prefix("unix://") {
            Some(path) if path.starts_with('/') => Ok(PathBuf::from(path)),
            _ => Err(SourceError::Layout(format!(
                "docker-daemon: DOCKER_HOST=`{host}` is not supported: only a unix socket is (`unix:///var/run/docker.sock`)\nhint: export the image instead (`docker save -o image.tar IMAGE`, then `source: docker-archive:image.tar`)"
            ))),
        },
    }
}

/// The name the Engine is asked for: `IMAGE` gets `:latest` (a bare repository name would
/// export every tag), `IMAGE:TAG`, `IMAGE@DIGEST` and image IDs (`sha256:<hex>`, or 12 to 64 hex
/// digits) are kept.
pub fn engine_name(image: &str) -> Result<String, SourceError> {
    let bad = |why: &str| {
        SourceError::Layout(format!(
            "docker-daemon:{image}: {why}\nhint: use `docker-daemon:IMAGE[:TAG]`, `docker-daemon:IMAGE@sha256:…` or an image ID"
        ))
    };
    if image.is_empty() {
        return Err(bad("no image named"));
    }
    if !image
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b))
        || image.starts_with('/')
        || image.contains("..")
        || image.contains("//")
    {
        return Err(bad("not an image reference"));
    }
    let is_hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if let Some(hex) = image.strip_prefix("sha256:") {
        return if hex.len() == 64 && is_hex(hex) {
            Ok(image.to_owned())
        } else {
            Err(bad("an image ID is `sha256:` and 64 hex digits"))
        };
    }
    if (12..=64).contains(&image.len()) && is_hex(image) {
        return Ok(image.to_owned());
    }
    let split = crate::reference::split(image);
    if split.tag.is_some() || split.digest.is_some() {
        Ok(image.to_owned())
    } else {
        Ok(format!("{image}:latest"))
    }
}

/// The context of every Engine error: the socket and the operation.
fn engine_error(socket: &Path, op: &str, why: &str) -> SourceError {
    SourceError::Layout(format!(
        "docker-daemon: Docker Engine at {} ({op}): {why}",
        socket.display()
    ))
}

fn connect_error(socket: &Path, op: &str, e: &std::io::Error) -> SourceError {
    let hint = match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "\nhint: no socket at {}: in a container mount it (`-v /var/run/docker.sock:/var/run/docker.sock`, as the GitHub runner does for container actions) or set DOCKER_HOST=unix:///path/to/docker.sock",
            socket.display()
        ),
        std::io::ErrorKind::PermissionDenied => {
            "\nhint: the socket is not accessible to this user: run as root or as a member of the socket's group (`docker`)".to_owned()
        }
        std::io::ErrorKind::ConnectionRefused => {
            "\nhint: nothing listens on the socket: is the Docker Engine running?".to_owned()
        }
        _ => String::new(),
    };
    engine_error(socket, op, &format!("cannot connect: {e}{hint}"))
}

/// An error with its causes (hyper's own message is generic: `error reading a body from
/// connection`; the cause says what happened).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// A response whose head arrived: its status, headers and the body still on the connection.
type Response = http::Response<Incoming>;

/// Sends `GET path` on a fresh connection to `socket` (hyper's HTTP/1.1 client over
/// `tokio::net::UnixStream`) and waits at most `deadline` for the response head.
async fn get(
    socket: &Path,
    path: &str,
    op: &str,
    deadline: Duration,
) -> Result<Response, SourceError> {
    let exchange = async {
        let stream = UnixStream::connect(socket)
            .await
            .map_err(|e| connect_error(socket, op, &e))?;
        let (mut sender, connection) = http1::Builder::new()
            .max_buf_size(MAX_BUF_BYTES)
            .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| engine_error(socket, op, &with_causes(&e)))?;
        // Drives the connection until the response body is read (or dropped).
        tokio::spawn(connection);
        let request = http::Request::get(path)
            .header(http::header::HOST, "docker")
            .header(
                http::header::USER_AGENT,
                concat!("hoist/", env!("CARGO_PKG_VERSION")),
            )
            .header(http::header::ACCEPT, "*/*")
            .header(http::header::CONNECTION, "close")
            .body(Empty::new())
            .map_err(|e| engine_error(socket, op, &e.to_string()))?;
        sender
            .send_request(request)
            .await
            .map_err(|e| engine_error(socket, op, &with_causes(&e)))
    };
    tokio::time::timeout(deadline, exchange)
        .await
        .map_err(|_| engine_error(socket, op, &format!("no response within {deadline:?}")))?
}

/// Reads at most `limit` bytes of `body` (the rest is left unread), each frame within `idle`.
async fn read_bounded<B>(body: &mut B, limit: usize, idle: Duration) -> Result<Vec<u8>, String>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error,
{
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(frame) = tokio::time::timeout(idle, body.frame())
            .await
            .map_err(|_| format!("the body stalled for {idle:?}"))?
        else {
            break;
        };
        let frame = frame.map_err(|e| with_causes(&e))?;
        if let Ok(data) = frame.into_data() {
            let take = data.len().min(limit - out.len());
            out.extend_from_slice(&data[..take]);
        }
    }
    Ok(out)
}

/// The Engine's error message (`{"message": …}`), from at most [`MAX_ERROR_BODY`] bytes.
async fn error_message(resp: Response) -> String {
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let body = read_bounded(&mut body, MAX_ERROR_BODY, PING_TIMEOUT)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|j| j.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    format!("HTTP {status}: {}", message.escape_debug())
}

/// Parses `1.41` into `(1, 41)`.
fn parse_api_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Asks the Engine for its API version (`GET /_ping`, header `API-Version`: the newest it
/// supports; the export endpoint is the same in every version) and returns the path prefix to
/// use (`/v1.41`); an Engine that does not say gets unversioned paths (its newest version).
async fn negotiate(socket: &Path, deadline: Duration) -> Result<String, SourceError> {
    let op = "GET /_ping";
    let resp = get(socket, "/_ping", op, deadline).await?;
    if resp.status() != http::StatusCode::OK {
        return Err(engine_error(socket, op, &error_message(resp).await));
    }
    let version = resp
        .headers()
        .get("api-version")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_api_version);
    // The body (`OK`) is not needed; it is read (bounded) so the connection ends cleanly.
    let _ = read_bounded(&mut resp.into_body(), MAX_PING_BODY, deadline).await;
    Ok(match version {
        Some((major, minor)) => format!("/v{major}.{minor}"),
        None => String::new(),
    })
}

/// Streams the Engine's export of `name` into `out`, returning the number of bytes written.
/// Each read may wait at most `idle` (the Engine prepares layers before sending; the whole
/// export has no deadline, a silent Engine does).
async fn export(
    socket: &Path,
    prefix: &str,
    name: &str,
    out: &Path,
    idle: Duration,
) -> Result<u64, SourceError> {
    let path = format!("{prefix}/images/{name}/get");
    let op = format!("GET {path}");
    let resp = get(socket, &path, &op, idle).await?;
    match resp.status() {
        http::StatusCode::OK => {}
        http::StatusCode::NOT_FOUND => {
            return Err(engine_error(
                socket,
                &op,
                &format!(
                    "{}\nhint: the image must be in this Engine (`docker images`); with docker/build-push-action set `load: true`",
                    error_message(resp).await
                ),
            ));
        }
        _ => return Err(engine_error(socket, &op, &error_message(resp).await)),
    }
    let mut body = resp.into_body();
    let file = std::fs::File::create(out).map_err(|e| io_error(out, e))?;
    let mut writer = std::io::BufWriter::with_capacity(256 * 1024, file);
    let mut total = 0_u64;
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => {
                return Err(engine_error(
                    socket,
                    &op,
                    &format!("the export stalled: nothing for {idle:?} after {total} bytes"),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(engine_error(
                    socket,
                    &op,
                    &format!(
                        "reading the export after {total} bytes: {}",
                        with_causes(&e)
                    ),
                ));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers, if any, carry nothing the export needs.
        if let Ok(data) = frame.into_data() {
            writer.write_all(&data).map_err(|e| io_error(out, e))?;
            total += data.len() as u64;
        }
    }
    writer.flush().map_err(|e| io_error(out, e))?;
    if total == 0 {
        return Err(engine_error(socket, &op, "the export is empty"));
    }
    Ok(total)
}

/// Negotiates the API version and exports `name` into `out`, on a current-thread runtime of
/// its own in a thread of its own: [`load`] is synchronous (as the file sources are), runs
/// before any upload, and may be called from inside the application's runtime.
fn export_blocking(socket: &Path, name: &str, out: &Path) -> Result<u64, SourceError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                    .map_err(|e| engine_error(socket, "starting the client", &e.to_string()))?;
                runtime.block_on(async {
                    let prefix = negotiate(socket, PING_TIMEOUT).await?;
                    export(socket, &prefix, name, out, EXPORT_IDLE_TIMEOUT).await
                })
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Whether an OCI layout tar holds its whole image graph with compressed layers (the
/// containerd image store's export): then it is pushed as is.
fn complete_oci_image(tar: &Path) -> Option<LocalImage> {
    let image = archive::load(tar, None).ok()?;
    let plan = super::plan(&image, &[]).ok()?;
    // The classic store's Docker 25+ export has uncompressed layers: compress them instead.
    let uncompressed = plan.blobs.iter().any(|b| {
        b.media_type == "application/vnd.oci.image.layer.v1.tar"
            || b.media_type == "application/vnd.docker.image.rootfs.diff.tar"
    });
    (!uncompressed).then_some(image)
}

/// Exports `image` from the Engine at `docker_host` (the raw `DOCKER_HOST`) into a spool under
/// `spool_base` and opens it.
pub fn load(
    image: &str,
    docker_host: Option<&str>,
    spool_base: &Path,
) -> Result<LocalImage, SourceError> {
    let socket = socket_path(docker_host)?;
    let name = engine_name(image)?;
    // Locked, removed on a signal, swept by the next run if this one is killed.
    let spool = super::spool::create(spool_base, super::spool::DAEMON_PREFIX)?;
    let tar = spool.path().join("image.tar");
    export_blocking(&socket, &name, &tar)?;
    let local = if let Some(image) = complete_oci_image(&tar) {
        image
    } else {
        // One image was asked for: `manifest.json` lists it alone.
        docker_archive::load(&tar, None, spool.path()).map_err(|e| match e {
            SourceError::Layout(why) => {
                SourceError::Layout(format!("docker-daemon:{image}: {why}"))
            }
            other => other,
        })?
    };
    // The layers may be read in place from the exported tar: keep it, and the spool made
    // inside its directory, for the image's lifetime (one directory, removed on drop).
    let LocalImage {
        root,
        extents,
        _spool: inner,
    } = local;
    if let Some(inner) = inner {
        let _ = inner.keep();
    }
    Ok(LocalImage {
        root,
        extents,
        _spool: Some(spool),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_host_is_a_unix_socket_or_the_default() {
        assert_eq!(
            socket_path(None).expect("default"),
            Path::new(DEFAULT_SOCKET)
        );
        assert_eq!(
            socket_path(Some("")).expect("empty"),
            Path::new(DEFAULT_SOCKET)
        );
        assert_eq!(
            socket_path(Some("unix:///run/user/1000/docker.sock")).expect("unix"),
            Path::new("/run/user/1000/docker.sock")
        );
        let err = socket_path(Some("tcp://127.0.0.1:2375")).expect_err("tcp");
        assert!(err.to_string().contains("only a unix socket"), "{err}");
    }

    #[test]
    fn names_get_a_tag_unless_they_have_one_or_are_ids() {
        let n = |s| engine_name(s).expect(s);
        assert_eq!(n("app"), "app:latest");
        assert_eq!(n("app:v1"), "app:v1");
        assert_eq!(
            n("127.0.0.1:5000/team/app"),
            "127.0.0.1:5000/team/app:latest"
        );
        assert_eq!(
            n("127.0.0.1:5000/team/app:v1"),
            "127.0.0.1:5000/team/app:v1"
        );
        let d = format!("app@sha256:{}", "a".repeat(64));
        assert_eq!(n(&d), d);
        let id = format!("sha256:{}", "b".repeat(64));
        assert_eq!(n(&id), id);
        assert_eq!(n("f82802f783b5"), "f82802f783b5");
        for bad in ["", "a b", "/abs", "a/../b", "sha256:123", "a?x=1", "a%2f"] {
            assert!(engine_name(bad).is_err(), "{bad}");
        }
    }

    /// A one-connection fake Engine: reads the request head, writes `reply`, then keeps the
    /// connection open (silent) until the test ends or 10 s pass.
    struct Fake {
        dir: tempfile::TempDir,
        socket: PathBuf,
        done: std::sync::mpsc::Sender<()>,
    }

    impl Fake {
        fn start(reply: Vec<u8>) -> Self {
            use std::io::Read;
            let dir = tempfile::tempdir().expect("dir");
            let socket = dir.path().join("docker.sock");
            let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
            let (done, wait) = std::sync::mpsc::channel::<()>();
            std::thread::spawn(move || {
                let Ok((mut s, _)) = listener.accept() else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = s.write_all(&reply);
                let _ = wait.recv_timeout(Duration::from_secs(10));
            });
            Self { dir, socket, done }
        }
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            let _ = self.done.send(());
        }
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_their_bound() {
        let mut body = http_body_util::Full::new(Bytes::from(vec![b'x'; 100_000]));
        let read = read_bounded(&mut body, MAX_ERROR_BODY, PING_TIMEOUT)
            .await
            .expect("reads");
        assert_eq!(read.len(), MAX_ERROR_BODY);
    }

    #[tokio::test]
    async fn error_bodies_are_bounded_and_name_the_status() {
        let big = format!("{{\"message\":\"{}\"}}", "m".repeat(1 << 20));
        let mut reply = format!(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\n\r\n",
            big.len()
        )
        .into_bytes();
        reply.extend_from_slice(big.as_bytes());
        let fake = Fake::start(reply);
        let err = negotiate(&fake.socket, PING_TIMEOUT)
            .await
            .expect_err("a 500");
        let msg = err.to_string();
        assert!(
            msg.contains("GET /_ping") && msg.contains("HTTP 500"),
            "{msg}"
        );
        assert!(msg.len() < MAX_ERROR_BODY + 512, "{} bytes", msg.len());
    }

    #[tokio::test]
    async fn a_silent_engine_fails_within_the_deadline() {
        let fake = Fake::start(Vec::new());
        let started = std::time::Instant::now();
        let err = negotiate(&fake.socket, Duration::from_millis(200))
            .await
            .expect_err("no response");
        assert!(
            err.to_string().contains("no response within 200ms"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_stalled_export_fails_after_the_idle_timeout_with_what_was_read() {
        let fake = Fake::start(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".to_vec(),
        );
        let out = fake.dir.path().join("image.tar");
        let started = std::time::Instant::now();
        let err = export(&fake.socket, "", "app:v1", &out, Duration::from_millis(300))
            .await
            .expect_err("stalled");
        let msg = err.to_string();
        assert!(msg.contains("GET /images/app:v1/get"), "{msg}");
        assert!(
            msg.contains("stalled") && msg.contains("after 5 bytes"),
            "{msg}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_missing_socket_is_named_with_a_hint() {
        let dir = tempfile::tempdir().expect("dir");
        let sock = dir.path().join("docker.sock");
        let host = format!("unix://{}", sock.display());
        let err = load("app:v1", Some(&host), dir.path()).expect_err("no socket");
        let msg = err.to_string();
        assert!(msg.contains(&sock.display().to_string()), "{msg}");
        assert!(msg.contains("GET /_ping"), "{msg}");
        assert!(msg.contains("mount"), "{msg}");
    }

    #[test]
    fn api_versions_parse() {
        assert_eq!(parse_api_version("1.41"), Some((1, 41)));
        assert_eq!(parse_api_version(" 1.47 "), Some((1, 47)));
        assert_eq!(parse_api_version("x"), None);
    }
}
