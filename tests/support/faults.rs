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
use std::sync::atomic::{AtomicBool, Ordering};
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
        Fault::Pass | Fault::Reset | Fault::Hold | Fault::Unauthenticated => {}
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
