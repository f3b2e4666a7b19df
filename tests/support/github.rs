//! A GitHub REST API stub on `127.0.0.1:0`: a std thread serving recorded payloads over
//! HTTP/1.1 for the two reads metadata-action makes, and recording every request.
//!
//! * `GET /repos/{owner}/{name}`: the recorded repository body, or 404 when there is none;
//! * `GET /repos/{owner}/{name}/commits/{ref}`: a commit whose `commit.committer.date` is the
//!   recorded date for that ref (JSON `null` answers a commit without a committer), 422 for a
//!   ref that is not recorded (what GitHub answers for an unknown sha);
//! * anything else: 404.
//!
//! One request per connection (`Connection: close`). The accept loop polls a stop flag and has
//! a hard deadline, so a test that forgets the stub cannot hang; dropping the stub stops it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

/// The commit the steps in [`GitHubStub::app`]'s repository run on.
pub const APP_SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// How long a stub lives at most, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(300);

/// What the stub serves.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// `owner` of the repository served.
    pub owner: String,
    /// `name` of the repository served.
    pub name: String,
    /// The body of `GET /repos/{owner}/{name}`; `None` answers 404.
    pub repo: Option<Json>,
    /// `ref` → committer date for `GET /repos/{owner}/{name}/commits/{ref}`.
    pub commits: BTreeMap<String, Json>,
}

/// A request the stub received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, …
    pub method: String,
    /// The path, percent-decoded, without the query.
    pub path: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `GET /repos/o/n`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A running stub; stopped when dropped.
pub struct GitHubStub {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GitHubStub {
    /// Starts serving `recorded`.
    pub fn start(recorded: Recorded) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(&listener, &recorded, &requests, &stop))
        };
        Self {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// A stub of `o/app` (MIT, default branch `main`, description `test`) that knows no commit
    /// (its commit read answers 422, so the commit date comes from the event payload or the
    /// clock): the repository the push and source tests run in.
    pub fn app() -> Self {
        Self::start(Recorded {
            owner: "o".to_owned(),
            name: "app".to_owned(),
            repo: Some(json!({
                "id": 1, "name": "app", "full_name": "o/app", "description": "test",
                "html_url": "https://github.com/o/app", "url": "https://api.github.com/repos/o/app",
                "default_branch": "main",
                "license": {"key": "mit", "name": "MIT", "spdx_id": "MIT", "url": null, "node_id": "x"},
                "owner": {"login": "o", "id": 1}
            })),
            commits: BTreeMap::new(),
        })
    }

    /// The base URL, for `GITHUB_API_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }

    /// `METHOD path` of every request so far, in order.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests().iter().map(Request::line).collect()
    }
}

impl Drop for GitHubStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    listener: &TcpListener,
    recorded: &Recorded,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let deadline = Instant::now() + LIFETIME;
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(request) = handle(stream, recorded) {
                    requests.lock().expect("requests lock").push(request);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
    }
}

/// Reads one request, answers it, closes the connection.
fn handle(mut stream: TcpStream, recorded: &Recorded) -> Option<Request> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?;
    let path = percent_decode(target.split('?').next().unwrap_or_default());
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let request = Request {
        method,
        path,
        headers,
    };
    let (status, body) = route(&request, recorded);
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        _ => "Error",
    };
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
    Some(request)
}

fn route(request: &Request, recorded: &Recorded) -> (u16, Json) {
    let repo_path = format!("/repos/{}/{}", recorded.owner, recorded.name);
    let not_found = json!({
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404"
    });
    if request.method != "GET" {
        return (404, not_found);
    }
    if request.path == repo_path {
        return match &recorded.repo {
            Some(body) => (200, body.clone()),
            None => (404, not_found),
        };
    }
    if let Some(git_ref) = request
        .path
        .strip_prefix(&repo_path)
        .and_then(|p| p.strip_prefix("/commits/"))
    {
        return match recorded.commits.get(git_ref) {
            Some(date) => {
                let committer = if date.is_null() {
                    Json::Null
                } else {
                    json!({"name": "GitHub", "email": "noreply@github.com", "date": date})
                };
                (
                    200,
                    json!({"sha": git_ref, "commit": {"message": "recorded", "committer": committer}}),
                )
            }
            None => (
                422,
                json!({
                    "message": format!("No commit found for SHA: {git_ref}"),
                    "documentation_url": "https://docs.github.com/rest/commits/commits#get-a-commit",
                    "status": "422"
                }),
            ),
        };
    }
    (404, not_found)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(u8::try_from(h * 16 + l).expect("two hex digits fit a byte"));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
