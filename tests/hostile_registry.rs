//! Hostile and broken registries (issue 8): a peer that stalls, trickles, asks for huge
//! back-offs, sends control characters and Markdown, names a refused tag or host, or downgrades
//! an upload to plain http; and two runs racing on the same tags. Each test asserts the bound
//! (time, or nothing uploaded) and the wording of the error. The retry pacing and request
//! deadlines are shrunk with the hidden `--retry-pacing` flag so the faults take
//! milliseconds to seconds, never the production minutes.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::faults::{Fault, FaultProxy};
use support::images::write_layout;
use support::registry::{Ca, Kind, Registry};
use support::step::{Run, run_hoist_args};

/// What a hostile server does with one accepted connection (it must return once `stop` is
/// set).
type Behaviour = Arc<dyn Fn(TcpStream, &AtomicBool) + Send + Sync>;

/// A loopback server that is not a registry; stopped (and every connection closed) on drop.
struct Hostile {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hostile {
    fn start(behaviour: impl Fn(TcpStream, &AtomicBool) + Send + Sync + 'static) -> Self {
        let behaviour: Behaviour = Arc::new(behaviour);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            let until = Instant::now() + Duration::from_secs(120);
            while !flag.load(Ordering::SeqCst) && Instant::now() < until {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let flag = Arc::clone(&flag);
                        let behaviour = Arc::clone(&behaviour);
                        workers.push(std::thread::spawn(move || behaviour(s, &flag)));
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
            stop,
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
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

/// Reads a request head (bounded: 64 KiB, 5 s).
fn read_head(s: &mut TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    read_head_from(s);
}

/// Reads a request head from any stream (bounded: 64 KiB; the caller bounds the time).
fn read_head_from(s: &mut impl Read) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 64 * 1024 {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Accepts, reads the request, never answers.
fn silent(mut s: TcpStream, stop: &AtomicBool) {
    read_head(&mut s);
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Answers 500 with an 8 KiB error body sent one byte every 100 ms.
fn trickle(mut s: TcpStream, stop: &AtomicBool) {
    read_head(&mut s);
    let _ = s.write_all(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 8192\r\n\r\n",
    );
    for _ in 0..8192 {
        if stop.load(Ordering::SeqCst) || s.write_all(b" ").is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The message of [`hostile_text`]: ANSI colour, a CR that would overwrite the line, a C1 CSI,
/// a Markdown link and image, raw HTML, a table-cell break.
const HOSTILE_MESSAGE: &str = r"\u001b[31mboom\u001b[0m\rOK [click](https://evil.example) ![x](https://evil.example/p.png) <img src=x onerror=alert(1)> | \u009b2J";

/// Answers everything with 403 `DENIED` and [`HOSTILE_MESSAGE`].
fn hostile_text(mut s: TcpStream, _: &AtomicBool) {
    read_head(&mut s);
    let body = format!(r#"{{"errors":[{{"code":"DENIED","message":"{HOSTILE_MESSAGE}"}}]}}"#);
    let _ = s.write_all(
        format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

/// A one-platform OCI layout in a temp dir: (dir, `source` input, root digest).
fn layout(seed: u64) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = write_layout(dir.path(), seed, false);
    let source = format!("oci:{}", dir.path().display());
    (dir, source, root)
}

fn error_lines(run: &Run) -> Vec<&str> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect()
}

/// Shrunk production policy: 1 ms back-off, 300 ms per request, 1 s budget per operation.
const FAST: &str = "base=1ms,request=300ms,budget=1s";

fn push_to(host: &str, source: &str, extra: &[(&str, &str)], pacing: &str) -> (Run, Duration) {
    let images = format!("{host}/team/app");
    let mut inputs = vec![
        ("images", images.as_str()),
        ("tags", "type=raw,value=1.2.3"),
        ("source", source),
        ("insecure-registries", host),
    ];
    inputs.extend_from_slice(extra);
    let started = Instant::now();
    let run = run_hoist_args(&inputs, &["--retry-pacing", pacing]);
    (run, started.elapsed())
}

#[test]
fn a_silent_registry_fails_within_the_request_deadline_and_budget_naming_it() {
    let server = Hostile::start(silent);
    let (_dir, source, _) = layout(1);
    let (run, took) = push_to(&server.host(), &source, &[], FAST);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    // Budget 1 s + one request deadline 0.3 s, plus process start and slack.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let errors = error_lines(&run);
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&format!("registry `{}`", server.host()))
                && l.contains("preflight")
                && l.contains("got no complete answer within 300ms")),
        "{errors:?}\n{}",
        run.stderr
    );
    assert_eq!(run.results()[0]["status"], "failed");
}

#[test]
fn the_timeout_input_bounds_the_whole_push() {
    let server = Hostile::start(silent);
    let (_dir, source, _) = layout(2);
    // Production-sized request deadline and budget; only `timeout` can stop this early.
    let (run, took) = push_to(
        &server.host(),
        &source,
        &[("timeout", "2s")],
        "request=60s,budget=120s",
    );
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(took < Duration::from_secs(12), "took {took:?}");
    let errors = error_lines(&run);
    assert!(
        errors.iter().any(|l| l.contains(&server.host())
            && l.contains("preflight")
            && l.contains("did not finish within its `timeout` of 2s")),
        "{errors:?}"
    );
}

#[test]
fn a_bad_timeout_input_is_named() {
    let (_dir, source, _) = layout(3);
    let (run, _) = push_to("127.0.0.1:9", &source, &[("timeout", "soon")], FAST);
    assert_ne!(run.code, Some(0));
    assert!(
        error_lines(&run)
            .iter()
            .any(|l| l.contains("input `timeout`") && l.contains("`soon` is not a duration")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_trickled_error_body_is_cut_at_the_request_deadline() {
    let server = Hostile::start(trickle);
    let (_dir, source, _) = layout(4);
    let (run, took) = push_to(&server.host(), &source, &[], FAST);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    // Unbounded, one attempt alone would take 8192 × 100 ms ≈ 14 min.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let errors = error_lines(&run);
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&server.host()) && l.contains("preflight: HTTP 500")),
        "{errors:?}"
    );
}

#[test]
fn a_huge_retry_after_is_not_slept_through() {
    let reg = Registry::start(&Kind::Anonymous);
    // Every request: 429 with `Retry-After: 100000`. Production pacing except the budget:
    // the capped 60 s wait does not fit the 1 s budget, so no retry starts.
    let proxy = FaultProxy::start(reg.port, |_, _| Fault::TooManyRequests(100_000));
    let (_dir, source, _) = layout(5);
    let (run, took) = push_to(&proxy.host(), &source, &[], "budget=1s");
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let errors = error_lines(&run);
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&proxy.host()) && l.contains("HTTP 429 TOOMANYREQUESTS")),
        "{errors:?}"
    );
    assert!(!reg.has_blobs());
}

#[test]
fn a_stalled_blob_upload_fails_at_its_size_scaled_deadline() {
    let reg = Registry::start(&Kind::Anonymous);
    // The registry accepts the upload PUT and never answers it (held until the proxy drops).
    let proxy = FaultProxy::start(reg.port, |_, line| {
        if line.starts_with("PUT /v2/team/app/blobs/uploads/") {
            Fault::Hold
        } else {
            Fault::Pass
        }
    });
    let (_dir, source, _) = layout(13);
    let (run, took) = push_to(&proxy.host(), &source, &[], FAST);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    // Every blob here is far below 256 KiB: its deadline is the request's 300 ms.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let errors = error_lines(&run);
    assert!(
        errors.iter().any(|l| l.contains(&proxy.host())
            && l.contains("upload blob sha256:")
            && l.contains("PUT /v2/team/app/blobs/uploads/")
            && l.contains("got no complete answer within 300ms")),
        "{errors:?}"
    );
    // Atomic policy: no tag moved.
    assert!(
        run.results()[0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "not-moved")
    );
}

#[test]
fn control_characters_and_markdown_from_a_registry_are_inert_everywhere() {
    let server = Hostile::start(hostile_text);
    let (_dir, source, _) = layout(6);
    let (run, _) = push_to(&server.host(), &source, &[], FAST);
    assert_ne!(run.code, Some(0));
    let all = format!("{}{}{}", run.stdout, run.stderr, run.summary);
    assert!(!all.contains('\u{1b}'), "ESC reached the output:\n{all}");
    assert!(!all.contains('\u{9b}'), "CSI reached the output:\n{all}");
    assert!(!all.contains('\r'), "CR reached the output:\n{all}");
    let errors = error_lines(&run);
    let line = errors
        .iter()
        .find(|l| l.contains("preflight"))
        .unwrap_or_else(|| panic!("no ::error:: for the preflight: {errors:?}"));
    assert!(line.contains("\\x1b[31mboom"), "{line}");
    // The summary shows the text, it does not render it.
    let summary = &run.summary;
    assert!(summary.contains("hoist push"), "{summary}");
    for raw in ["<img", "[click](", "![x]("] {
        assert!(!summary.contains(raw), "`{raw}` renders in:\n{summary}");
    }
    assert!(summary.contains("&lt;img"), "{summary}");
    assert!(summary.contains("\\[click\\]\\(https"), "{summary}");
    // push-results carries the inert text too (no control character once decoded).
    let results = run.results();
    let cause = results[0]["error"]["cause"].as_str().unwrap();
    assert!(!cause.chars().any(char::is_control), "{cause:?}");
    assert!(cause.contains("\\x1b[31mboom"), "{cause}");
}

/// A registry behind a recording proxy: (registry, proxy).
fn recorded() -> (Registry, FaultProxy) {
    let reg = Registry::start(&Kind::Anonymous);
    let proxy = FaultProxy::start(reg.port, |_, _| Fault::Pass);
    (reg, proxy)
}

#[test]
fn a_tag_the_registry_would_refuse_fails_before_any_request() {
    let (reg, proxy) = recorded();
    let (_dir, source, _) = layout(7);
    let long = "a".repeat(200);
    let tags = format!("type=raw,value={long}");
    let (run, _) = push_to(&proxy.host(), &source, &[("tags", tags.as_str())], FAST);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(
        error_lines(&run).iter().any(
            |l| l.contains("input `tags`") && l.contains("(200 characters) is not a valid tag")
        ),
        "{}",
        run.stdout
    );
    // The metadata outputs are metadata-action's, the tag included.
    assert!(run.output("tags").contains(&long), "{:?}", run.outputs);
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
    assert!(!reg.has_blobs());
}

#[test]
fn an_image_name_with_a_bad_host_or_port_fails_before_any_upload() {
    let (reg, proxy) = recorded();
    let (_dir, source, _) = layout(8);
    let images = format!("{}/team/app\nbad_host:99999/app", proxy.host());
    let (run, _) = push_to(&proxy.host(), &source, &[("images", images.as_str())], FAST);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(
        error_lines(&run)
            .iter()
            .any(|l| l.contains("input `images`")
                && l.contains("image `bad_host:99999/app`")
                && l.contains("`bad_host` is not a valid registry host")),
        "{}",
        run.stdout
    );
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
    assert!(!reg.has_blobs());
}

#[test]
fn a_tls_registry_answering_with_an_http_location_gets_no_blob() {
    let ca = Ca::new();
    let reg = Registry::start(&Kind::TlsHttpLocation(&ca));
    let (_dir, source, _) = layout(9);
    let ca_path = ca.ca_pem().display().to_string();
    let images = format!("{}/team/app", reg.host());
    let inputs = [
        ("images", images.as_str()),
        ("tags", "type=raw,value=1.2.3"),
        ("source", source.as_str()),
        ("registry-ca", ca_path.as_str()),
    ];
    let run = run_hoist_args(&inputs, &["--retry-pacing", FAST]);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(
        error_lines(&run).iter().any(|l| l.contains(&reg.host())
            && l.contains("upload `Location` on plain http")
            && l.contains("refused")),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(!reg.has_blobs());
}

/// A TLS server (the test CA's certificate for 127.0.0.1) that redirects every request to the
/// same path on plain http.
fn tls_redirect_to_http(ca: &Ca) -> Hostile {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(ca.dir.path().join("server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(ca.dir.path().join("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    Hostile::start(move |s: TcpStream, _: &AtomicBool| {
        let port = s.local_addr().unwrap().port();
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let Ok(conn) = rustls::ServerConnection::new(Arc::clone(&config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(conn, s);
        read_head_from(&mut tls);
        let _ = tls.write_all(
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{port}/v2/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        tls.conn.send_close_notify();
        let _ = tls.flush();
    })
}

#[test]
fn a_redirect_from_https_to_http_is_refused() {
    let ca = Ca::new();
    let server = tls_redirect_to_http(&ca);
    let (_dir, source, _) = layout(10);
    let ca_path = ca.ca_pem().display().to_string();
    let images = format!("{}/team/app", server.host());
    let inputs = [
        ("images", images.as_str()),
        ("tags", "type=raw,value=1.2.3"),
        ("source", source.as_str()),
        ("registry-ca", ca_path.as_str()),
    ];
    let run = run_hoist_args(&inputs, &["--retry-pacing", FAST]);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(
        error_lines(&run).iter().any(|l| l.contains(&server.host())
            && l.contains("preflight")
            && l.contains("refused a redirect from https to plain http")),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn two_runs_racing_on_the_same_tags_never_both_succeed_with_mixed_tags() {
    let r1 = Registry::start(&Kind::Anonymous);
    let r2 = Registry::start(&Kind::Anonymous);
    // Run A reaches both registries through proxies; on the second, its PUT of tag `latest` is
    // held until run B has finished: A's tags then land last on one tag only.
    let p1 = FaultProxy::start(r1.port, |_, _| Fault::Pass);
    let p2 = FaultProxy::start(r2.port, |_, line| {
        if line.starts_with("PUT /v2/team/app/manifests/latest ") {
            Fault::Hold
        } else {
            Fault::Pass
        }
    });
    let tags = "type=raw,value=1.2.3\ntype=raw,value=latest";
    let (_da, source_a, root_a) = layout(11);
    let (_db, source_b, root_b) = layout(12);
    assert_ne!(root_a, root_b);
    let run_a = {
        let images = format!("{}/team/app\n{}/team/app", p1.host(), p2.host());
        let insecure = format!("{}\n{}", p1.host(), p2.host());
        std::thread::spawn(move || {
            let inputs = [
                ("images", images.as_str()),
                ("tags", tags),
                ("source", source_a.as_str()),
                ("insecure-registries", insecure.as_str()),
            ];
            run_hoist_args(&inputs, &[])
        })
    };
    let until = Instant::now() + Duration::from_secs(60);
    while !p2
        .seen()
        .iter()
        .any(|l| l.starts_with("PUT /v2/team/app/manifests/latest "))
    {
        assert!(
            Instant::now() < until,
            "run A never tagged: {:?}",
            p2.seen()
        );
        assert!(!run_a.is_finished(), "run A ended before tagging");
        std::thread::sleep(Duration::from_millis(20));
    }
    let images_b = format!("{}/team/app\n{}/team/app", r1.host(), r2.host());
    let insecure_b = format!("{}\n{}", r1.host(), r2.host());
    let inputs_b = [
        ("images", images_b.as_str()),
        ("tags", tags),
        ("source", source_b.as_str()),
        ("insecure-registries", insecure_b.as_str()),
    ];
    let run_b = run_hoist_args(&inputs_b, &[]);
    p2.release();
    let run_a = run_a.join().unwrap();

    // B finished before A's late PUT: B saw its own digest everywhere.
    assert_eq!(run_b.code, Some(0), "{}", run_b.stdout);
    // A's late PUT left the tags mixed; A must say so and fail.
    assert_ne!(run_a.code, Some(0), "{}", run_a.stdout);
    let errors = error_lines(&run_a);
    assert!(
        errors
            .iter()
            .any(|l| l.contains("another run moved it") && l.contains("concurrency:")),
        "{errors:?}"
    );
    let results = run_a.results();
    let overwritten = results
        .iter()
        .flat_map(|t| t["tags"].as_array().unwrap().iter())
        .filter(|g| g["status"] == "overwritten")
        .count();
    assert!(overwritten >= 1, "{results:?}");
    assert!(
        run_a.summary.contains("moved by another run"),
        "{}",
        run_a.summary
    );
}
