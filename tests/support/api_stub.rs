//! A loopback HTTP/1.1 stub of a vendor API (Docker Hub, Quay, `DigitalOcean`, ECR): answers
//! every request through a route, records each one (method, path and query, every header, body),
//! and stops when dropped or after [`LIFETIME`], whatever the test does. Heads and bodies are read up to 64 KiB, each read within 10 s.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a stub lives at most.
pub const LIFETIME: Duration = Duration::from_secs(120);
/// The largest request head, and body, read.
const MAX_READ: usize = 64 * 1024;

/// One request a stub received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub authorization: String,
    /// `X-Amz-Target` (the AWS JSON operation), empty when absent.
    pub amz_target: String,
    /// Every header, names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD target`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }
}

/// Answers one request: the status and a JSON body.
pub type Route = dyn Fn(&Seen) -> (u16, String) + Send + Sync;

/// A running stub.
pub struct ApiStub {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn serve_one(mut s: TcpStream, route: &Route, seen: &Mutex<Vec<Seen>>) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > MAX_READ {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let len = header("content-length")
        .parse()
        .unwrap_or(0_usize)
        .min(MAX_READ);
    while buf.len() < head_end + len {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let mut line = head.lines().next().unwrap_or_default().split(' ');
    let request = Seen {
        method: line.next().unwrap_or_default().to_owned(),
        target: line.next().unwrap_or_default().to_owned(),
        authorization: header("authorization"),
        amz_target: header("x-amz-target"),
        headers,
        body: String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned(),
    };
    let (status, answer) = route(&request);
    seen.lock().unwrap().push(request);
    let reason = match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        401 => "Unauthorized",
        400 => "Bad Request",
        403 => "Forbidden",
        409 => "Conflict",
        _ => "Other",
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

impl ApiStub {
    /// Starts a stub on a free 127.0.0.1 port.
    pub fn start(route: Box<Route>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let seen = Arc::clone(&seen);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let end = Instant::now() + LIFETIME;
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    match listener.accept() {
                        Ok((s, _)) => {
                            s.set_nonblocking(false).unwrap();
                            serve_one(s, route.as_ref(), &seen);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Every request so far, forgetting them.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
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
