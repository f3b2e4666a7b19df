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
//! The HTTP/1.1 client is a small blocking one over `std::os::unix::net::UnixStream` with socket
//! timeouts: [`super::load`] is synchronous (as the file sources are) and runs before any upload.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{LocalImage, SourceError, archive, docker_archive, io_error};

/// The socket used when `DOCKER_HOST` is unset or empty.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// How long the small requests (`/_ping`) may stay silent.
const PING_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the export stream may stay silent (the Engine prepares layers before sending).
const EXPORT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest error body read (the rest is ignored).
const MAX_ERROR_BODY: u64 = 64 * 1024;

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
    if image.contains('@') {
        return Ok(image.to_owned());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
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

/// A response: its status, its headers (names lower-cased) and the body reader.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response body: delimited by `Content-Length`, chunked, or by the end of the connection.
enum Body {
    Length(std::io::Take<BufReader<UnixStream>>),
    Chunked(Chunked<BufReader<UnixStream>>),
    Close(BufReader<UnixStream>),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Length(r) => r.read(buf),
            Self::Chunked(r) => r.read(buf),
            Self::Close(r) => r.read(buf),
        }
    }
}

/// A decoder of `Transfer-Encoding: chunked` (RFC 9112 §7.1); trailers are skipped.
struct Chunked<R> {
    inner: R,
    /// Bytes left in the current chunk.
    left: u64,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            left: 0,
            done: false,
        }
    }

    /// Reads one CRLF-terminated line (at most 4 KiB), without the line ending.
    fn line(&mut self) -> std::io::Result<String> {
        let mut line = Vec::new();
        let n = (&mut self.inner).take(4096).read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "truncated chunked body",
            ));
        }
        Ok(String::from_utf8_lossy(&line).trim_end().to_owned())
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = self.line()?;
            let size = line.split(';').next().unwrap_or_default().trim();
            self.left = u64::from_str_radix(size, 16).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("bad chunk size `{size}`"),
                )
            })?;
            if self.left == 0 {
                // Trailers, up to the empty line.
                while !self.line()?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
        }
        let want = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "truncated chunked body",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 && !self.line()?.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "no CRLF after a chunk",
            ));
        }
        Ok(n)
    }
}

/// Sends `GET path` on a fresh connection and reads the response head.
fn get(socket: &Path, path: &str, op: &str, timeout: Duration) -> Result<Response, SourceError> {
    let mut stream = UnixStream::connect(socket).map_err(|e| connect_error(socket, op, &e))?;
    let io = |e: std::io::Error| engine_error(socket, op, &e.to_string());
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(PING_TIMEOUT)).map_err(io)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: hoist/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .and_then(|()| stream.flush())
    .map_err(io)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = (&mut reader)
            .take((MAX_HEAD_BYTES - head.len()) as u64)
            .read_until(b'\n', &mut head)
            .map_err(io)?;
        if n == 0 {
            return Err(engine_error(
                socket,
                op,
                if head.len() >= MAX_HEAD_BYTES {
                    "the response head is too large"
                } else {
                    "the connection closed before a response"
                },
            ));
        }
        if head[before..] == *b"\r\n" || head[before..] == *b"\n" {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| {
            engine_error(
                socket,
                op,
                &format!("not an HTTP response: `{}`", status_line.escape_debug()),
            )
        })?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let body =
        if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            Body::Chunked(Chunked::new(reader))
        } else if let Some(len) = find("content-length") {
            let len = len
                .parse::<u64>()
                .map_err(|_| engine_error(socket, op, &format!("bad Content-Length `{len}`")))?;
            Body::Length(reader.take(len))
        } else {
            Body::Close(reader)
        };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The Engine's error message (`{"message": …}`), bounded.
fn error_message(resp: Response) -> String {
    let status = resp.status;
    let mut body = Vec::new();
    let _ = resp.body.take(MAX_ERROR_BODY).read_to_end(&mut body);
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
fn negotiate(socket: &Path) -> Result<String, SourceError> {
    let op = "GET /_ping";
    let mut resp = get(socket, "/_ping", op, PING_TIMEOUT)?;
    if resp.status != 200 {
        return Err(engine_error(socket, op, &error_message(resp)));
    }
    let version = resp.header("api-version").and_then(parse_api_version);
    let _ = std::io::copy(&mut (&mut resp.body).take(1024), &mut std::io::sink());
    Ok(match version {
        Some((major, minor)) => format!("/v{major}.{minor}"),
        None => String::new(),
    })
}

/// Streams the Engine's export of `name` into `out`, returning the number of bytes written.
fn export(socket: &Path, prefix: &str, name: &str, out: &Path) -> Result<u64, SourceError> {
    let path = format!("{prefix}/images/{name}/get");
    let op = format!("GET {path}");
    let mut resp = get(socket, &path, &op, EXPORT_IDLE_TIMEOUT)?;
    match resp.status {
        200 => {}
        404 => {
            return Err(engine_error(
                socket,
                &op,
                &format!(
                    "{}\nhint: the image must be in this Engine (`docker images`); with docker/build-push-action set `load: true`",
                    error_message(resp)
                ),
            ));
        }
        _ => return Err(engine_error(socket, &op, &error_message(resp))),
    }
    let file = std::fs::File::create(out).map_err(|e| io_error(out, e))?;
    let mut writer = std::io::BufWriter::with_capacity(256 * 1024, file);
    let mut buf = vec![0_u8; 256 * 1024];
    let mut total = 0_u64;
    loop {
        let n = match resp.body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(engine_error(
                    socket,
                    &op,
                    &format!("reading the export after {total} bytes: {e}"),
                ));
            }
        };
        writer.write_all(&buf[..n]).map_err(|e| io_error(out, e))?;
        total += n as u64;
    }
    writer.flush().map_err(|e| io_error(out, e))?;
    if total == 0 {
        return Err(engine_error(socket, &op, "the export is empty"));
    }
    Ok(total)
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
    let prefix = negotiate(&socket)?;
    std::fs::create_dir_all(spool_base).map_err(|e| io_error(spool_base, e))?;
    let spool = tempfile::Builder::new()
        .prefix("hoist-daemon-")
        .tempdir_in(spool_base)
        .map_err(|e| io_error(spool_base, e))?;
    let tar = spool.path().join("image.tar");
    export(&socket, &prefix, &name, &tar)?;
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

    #[test]
    fn chunked_bodies_decode_and_truncation_is_an_error() {
        let body = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let mut out = String::new();
        Chunked::new(&body[..])
            .read_to_string(&mut out)
            .expect("decodes");
        assert_eq!(out, "hello, world");
        let mut out = Vec::new();
        let err = Chunked::new(&b"5\r\nhel"[..])
            .read_to_end(&mut out)
            .expect_err("truncated");
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        let err = Chunked::new(&b"zz\r\n"[..])
            .read_to_end(&mut out)
            .expect_err("bad size");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
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
