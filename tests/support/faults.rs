//! Faults: the fault proxy (a loopback HTTP proxy in front of a real registry that records every
//! request line and injects resets, statuses, 429s, dead connections or held requests), and the
//! fast retry pacing every fault and retry test passes to the binary.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::format_push_string,
    clippy::cast_possible_truncation
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The hidden `--retry-pacing` value for fault and retry tests: backoffs of a millisecond and
/// `Retry-After` capped at 10 ms, so a retried fault costs milliseconds; request deadlines and
/// the budget stay production values (a test about deadlines sets its own).
pub const FAST_RETRIES: &str = "base=1ms,retry-after-cap=10ms";

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
    /// Forward it without its `Authorization` header: the registry answers 401 with its
    /// challenge, as it answers a token that expired.
    Unauthenticated,
    /// Answer 200 with an empty OCI image index, as a registry serving the referrers API does
    /// for a manifest nothing refers to yet.
    EmptyIndex,
    /// Among the requests given this fault with a body of at least `min_body` bytes, the one
    /// numbered `skip` (from 0, counted per proxy): forward its head and `after` bytes of its
    /// body, then drop the connection (a reset in the middle of an upload); every other
    /// request is forwarded.
    CutOnce {
        /// The smallest body concerned.
        min_body: u64,
        /// The concerned requests forwarded whole before the one cut.
        skip: u64,
        /// The body bytes forwarded before the cut.
        after: u64,
    },
    /// Answer 413 when the request's `Content-Length` is over the limit (a proxy limiting
    /// request bodies, like nginx's `client_max_body_size`), else forward it.
    LimitBody(u64),
    /// Read the whole request body (its `Content-Length`), then answer this status (no body)
    /// and close: the client sees the answer, not a write error.
    StatusAfterBody(u16),
}

/// The `Content-Length` of a request head (0 when absent).
fn content_length(head: &[u8]) -> u64 {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// A loopback HTTP proxy in front of a real registry. It forces one request per connection
/// (`Connection: close`), so it sees every request line: it records them and lets `decide`
/// inject faults.
pub struct FaultProxy {
    pub port: u16,
    pub requests: Arc<std::sync::Mutex<Vec<String>>>,
    /// The request body bytes forwarded to the registry so far (every request).
    pub body_bytes: Arc<AtomicU64>,
    /// The requests concerned by [`Fault::CutOnce`] so far (the cut happened when it is over
    /// `skip`).
    pub cut: Arc<AtomicU64>,
    released: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub fn read_head(s: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
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

fn without_authorization(head: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("authorization:"))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes()
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

/// Reads and drops the rest of a request's body (its `Content-Length`; 5 s at most per read).
fn drain_body(client: &mut TcpStream, head: &[u8], rest: &[u8]) {
    let mut left = content_length(head).saturating_sub(rest.len() as u64);
    let mut buf = [0_u8; 8192];
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    while left > 0 {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => left = left.saturating_sub(k as u64),
        }
    }
}

fn proxy_connection(
    mut client: TcpStream,
    upstream: u16,
    fault: Fault,
    head: &[u8],
    rest: &[u8],
    sent: &Arc<AtomicU64>,
    cut: &AtomicU64,
) {
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
        Fault::StatusAfterBody(code) => {
            drain_body(&mut client, head, rest);
            return reply(
                &mut client,
                format!(
                    "HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
            );
        }
        Fault::Dead => {
            let _ = client.shutdown(std::net::Shutdown::Both);
            return;
        }
        Fault::EmptyIndex => {
            let body = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
            return reply(
                &mut client,
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
            );
        }
        Fault::LimitBody(limit) if content_length(head) > limit => {
            // Read the body first, so the client sees the 413 rather than a write error.
            drain_body(&mut client, head, rest);
            return reply(
                &mut client,
                "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned(),
            );
        }
        Fault::Pass
        | Fault::Reset
        | Fault::Hold
        | Fault::Unauthenticated
        | Fault::CutOnce { .. }
        | Fault::LimitBody(_) => {}
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let head = if fault == Fault::Unauthenticated {
        without_authorization(head)
    } else {
        head.to_vec()
    };
    let _ = server.write_all(&with_connection_close(&head));
    let cut_at = match fault {
        Fault::CutOnce {
            min_body,
            skip,
            after,
        } if content_length(&head) >= min_body => {
            (cut.fetch_add(1, Ordering::SeqCst) == skip).then_some(after)
        }
        _ => None,
    };
    if let Some(n) = cut_at {
        let mut left = n;
        let first = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let _ = server.write_all(&rest[..first]);
        sent.fetch_add(first as u64, Ordering::SeqCst);
        left -= first as u64;
        let mut buf = [0_u8; 8192];
        let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            match client.read(&mut buf[..want]) {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    let _ = server.write_all(&buf[..k]);
                    sent.fetch_add(k as u64, Ordering::SeqCst);
                    left -= k as u64;
                }
            }
        }
        // Let the registry take in what it got before the cut.
        std::thread::sleep(Duration::from_millis(100));
        let _ = server.shutdown(std::net::Shutdown::Both);
        let _ = client.shutdown(std::net::Shutdown::Both);
        return;
    }
    let _ = server.write_all(rest);
    sent.fetch_add(rest.len() as u64, Ordering::SeqCst);
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
    let counter = Arc::clone(sent);
    let up = std::thread::spawn(move || {
        let mut buf = vec![0_u8; 64 * 1024];
        loop {
            match c2.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    if s2.write_all(&buf[..k]).is_err() {
                        break;
                    }
                    counter.fetch_add(k as u64, Ordering::SeqCst);
                }
            }
        }
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
        let body_bytes = Arc::new(AtomicU64::new(0));
        let sent = Arc::clone(&body_bytes);
        let cut = Arc::new(AtomicU64::new(0));
        let cut_flag = Arc::clone(&cut);
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
                        let sent = Arc::clone(&sent);
                        let cut_flag = Arc::clone(&cut_flag);
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
                            proxy_connection(
                                client, upstream, fault, &head, &rest, &sent, &cut_flag,
                            );
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
            body_bytes,
            cut,
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
