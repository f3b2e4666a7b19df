//! No secret printed anywhere: a local (CLI) push with `registry-auth`, a docker-config password
//! and `--github-token` prints none of them on any stream and no workflow command; on a runner
//! each secret is `::add-mask::`ed before any other line mentions it and before the first group;
//! registry and token-server error bodies that echo the password are scrubbed from the log,
//! `push-results` and the job summary. Every assertion is on the captured bytes.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::github::GitHubStub;
use support::images::write_layout;
use support::registry::{Kind, Registry};

const PASS_AUTH: &str = "pw-from-registry-auth-41";
const PASS_CONFIG: &str = "pw-from-docker-config-73";
const TOKEN: &str = "ghp_token-from-flag-0099";

/// What a run printed and wrote (the file commands are at `cwd/summary` and `cwd/output` when
/// the test points `GITHUB_STEP_SUMMARY`/`GITHUB_OUTPUT` there).
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    summary: String,
    output_file: String,
}

/// Runs the binary with a cleared environment plus `env`, in `cwd` (see `support::cli`).
fn hoist(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Out {
    let out = support::cli::hoist(cwd, env, args);
    Out {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
        summary: std::fs::read_to_string(cwd.join("summary")).unwrap_or_default(),
        output_file: std::fs::read_to_string(cwd.join("output")).unwrap_or_default(),
    }
}

fn docker_config(dir: &Path, registry: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("bob:{PASS_CONFIG}"));
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}},"credsStore":"desktop"}}"#),
    )
    .unwrap();
}

struct Setup {
    a: Registry,
    b: Registry,
    work: tempfile::TempDir,
    api: GitHubStub,
}

impl Setup {
    fn new() -> Self {
        let a = Registry::start(&Kind::Htpasswd {
            user: "alice",
            password: PASS_AUTH,
        });
        let b = Registry::start(&Kind::Htpasswd {
            user: "bob",
            password: PASS_CONFIG,
        });
        let work = tempfile::tempdir().unwrap();
        write_layout(&work.path().join("layout"), 7, false);
        docker_config(&work.path().join("docker"), &b.host());
        Self {
            a,
            b,
            work,
            api: GitHubStub::app(),
        }
    }

    fn auth(&self) -> String {
        format!(
            "- registry: {}\n  username: alice\n  password: {PASS_AUTH}\n",
            self.a.host()
        )
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "DOCKER_CONFIG",
                self.work.path().join("docker").display().to_string(),
            ),
            ("GITHUB_REPOSITORY", "o/app".into()),
            ("GITHUB_API_URL", self.api.url()),
            (
                "GITHUB_SHA",
                "0123456789abcdef0123456789abcdef01234567".into(),
            ),
            ("GITHUB_REF", "refs/heads/main".into()),
            ("GITHUB_EVENT_NAME", "push".into()),
        ]
    }

    fn images(&self) -> String {
        format!("{}/s/app\n{}/s/app", self.a.host(), self.b.host())
    }

    fn insecure(&self) -> String {
        format!("{},{}", self.a.host(), self.b.host())
    }
}

fn assert_no_secret(label: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{label} prints a secret:\n{text}");
    }
}

fn assert_no_workflow_command(label: &str, text: &str) {
    for l in text.lines() {
        assert!(
            !l.starts_with("::") && !l.starts_with("##["),
            "{label}: a workflow command outside a runner: {l}\n{text}"
        );
    }
}

#[test]
fn a_cli_push_prints_no_secret_and_json_stdout_is_json() {
    let s = Setup::new();
    let source = format!("oci:{}", s.work.path().join("layout").display());
    let (images, insecure, auth) = (s.images(), s.insecure(), s.auth());
    let base = [
        "--images",
        images.as_str(),
        "--tags",
        "type=raw,value=v1",
        "--source",
        source.as_str(),
        "--insecure-registries",
        insecure.as_str(),
        // A value starting with `-`: a YAML list.
        "--registry-auth",
        auth.as_str(),
        "--github-token",
        TOKEN,
    ];
    let secrets = [PASS_AUTH, PASS_CONFIG, TOKEN];
    for extra in [
        &["--format", "json"][..],
        &["-v"][..],
        &["-q", "--format", "json"][..],
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let run = hoist(s.work.path(), &s.env(), &args);
        let label = format!("{extra:?}");
        assert_eq!(run.code, Some(0), "{label}\n{}\n{}", run.stdout, run.stderr);
        assert_no_secret(&label, &run.stdout, &secrets);
        assert_no_secret(&label, &run.stderr, &secrets);
        assert_no_workflow_command(&label, &run.stdout);
        assert_no_workflow_command(&label, &run.stderr);
        if extra.contains(&"json") {
            let json: serde_json::Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{label}: stdout is not JSON ({e}):\n{}", run.stdout));
            assert_eq!(
                json["tags"],
                serde_json::json!([
                    format!("{}/s/app:v1", s.a.host()),
                    format!("{}/s/app:v1", s.b.host())
                ]),
                "{label}"
            );
            assert!(
                json["labels"].is_array() && json["json"].is_object(),
                "{label}"
            );
            let results = json["push-results"].as_array().expect("push-results array");
            assert!(
                results.iter().all(|r| r["status"] == "ok"),
                "{label}: {results:?}"
            );
        }
        if extra.contains(&"-q") {
            assert_eq!(run.stderr, "", "{label}: --quiet prints only errors");
        } else {
            assert!(
                run.stderr.lines().any(|l| l.starts_with("warning: ")
                    && l.contains("credsStore")
                    && l.contains("`docker-credential-desktop`")
                    && l.contains("not on `PATH`")),
                "{label}: the warning about the credsStore helper not installed\n{}",
                run.stderr
            );
        }
        if extra.contains(&"-v") {
            assert!(run.stderr.contains("debug: "), "{label}\n{}", run.stderr);
            assert!(run.stdout.contains("tags:\n  "), "{label}\n{}", run.stdout);
        }
    }
}

#[test]
fn on_a_runner_each_secret_is_masked_before_anything_mentions_it_and_before_the_first_group() {
    let s = Setup::new();
    let w = s.work.path();
    let source = format!("oci:{}", w.join("layout").display());
    let mut env = s.env();
    env.extend([
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_OUTPUT", w.join("output").display().to_string()),
        (
            "GITHUB_STEP_SUMMARY",
            w.join("summary").display().to_string(),
        ),
        ("RUNNER_TEMP", w.display().to_string()),
        ("INPUT_IMAGES", s.images()),
        ("INPUT_TAGS", "type=raw,value=v1".into()),
        ("INPUT_SOURCE", source),
        ("INPUT_INSECURE-REGISTRIES", s.insecure()),
        ("INPUT_REGISTRY-AUTH", s.auth()),
        ("INPUT_GITHUB-TOKEN", TOKEN.into()),
    ]);
    let run = hoist(w, &env, &[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let first_group = lines
        .iter()
        .position(|l| l.starts_with("::group::"))
        .expect("groups");
    for secret in [PASS_AUTH, PASS_CONFIG, TOKEN] {
        let mask = format!("::add-mask::{secret}");
        let at = lines
            .iter()
            .position(|l| *l == mask)
            .unwrap_or_else(|| panic!("no mask for a secret:\n{}", run.stdout));
        assert!(
            at < first_group,
            "masked after the first group:\n{}",
            run.stdout
        );
        for (i, l) in lines.iter().enumerate() {
            if l.contains(secret) {
                assert_eq!(i, at, "a secret outside its mask line: {l}");
            }
        }
        assert!(!run.stderr.contains(secret), "{}", run.stderr);
        assert!(!run.summary.contains(secret));
        assert!(!run.output_file.contains(secret));
    }
}

/// A registry (or its token server) that answers every authenticated request with an error
/// body quoting the password it was sent. Stopped on drop; every read bounded.
struct EchoServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    fn start(bearer: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = vec![0_u8; 16384];
                let n = s.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
                let authorized = head
                    .lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("authorization: basic"));
                let reply = if bearer && !path.starts_with("/token") {
                    format!(
                        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"echo\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                } else if !authorized {
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"echo\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
                } else {
                    let body = format!(
                        r#"{{"errors":[{{"code":"DENIED","message":"password {PASS_AUTH} is not accepted for alice"}}]}}"#
                    );
                    format!(
                        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = s.write_all(reply.as_bytes());
            }
        });
        Self {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn error_bodies_echoing_the_password_are_scrubbed_in_both_modes() {
    for bearer in [false, true] {
        let server = EchoServer::start(bearer);
        let api = GitHubStub::app();
        let host = format!("127.0.0.1:{}", server.port);
        let work = tempfile::tempdir().unwrap();
        let w = work.path();
        write_layout(&w.join("layout"), 9, false);
        let source = format!("oci:{}", w.join("layout").display());
        let auth = format!("- registry: {host}\n  username: alice\n  password: {PASS_AUTH}\n");
        let inputs = [
            ("INPUT_IMAGES", format!("{host}/s/app")),
            ("INPUT_TAGS", "type=raw,value=v1".to_owned()),
            ("INPUT_SOURCE", source),
            ("INPUT_INSECURE-REGISTRIES", host.clone()),
            ("INPUT_REGISTRY-AUTH", auth),
        ];
        // A local run.
        let run = hoist(w, &inputs, &["--format", "json"]);
        let label = format!("bearer={bearer}, local");
        assert_eq!(run.code, Some(1), "{label}\n{}\n{}", run.stdout, run.stderr);
        assert_no_secret(&label, &run.stdout, &[PASS_AUTH]);
        assert_no_secret(&label, &run.stderr, &[PASS_AUTH]);
        assert_no_workflow_command(&label, &run.stderr);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON stdout");
        let cause = json["push-results"][0]["error"]["cause"]
            .as_str()
            .unwrap_or_default();
        assert!(
            cause.contains("password *** is not accepted"),
            "{label}: {cause}"
        );
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with("error: ") && l.contains("password *** is not accepted")),
            "{label}\n{}",
            run.stderr
        );

        // On a runner.
        let mut env = inputs.to_vec();
        env.extend([
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_OUTPUT", w.join("output").display().to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                w.join("summary").display().to_string(),
            ),
            ("RUNNER_TEMP", w.display().to_string()),
            ("GITHUB_REPOSITORY", "o/app".to_owned()),
            ("GITHUB_API_URL", api.url()),
        ]);
        let run = hoist(w, &env, &[]);
        let label = format!("bearer={bearer}, runner");
        assert_eq!(run.code, Some(1), "{label}\n{}\n{}", run.stdout, run.stderr);
        for l in run.stdout.lines() {
            if l.contains(PASS_AUTH) {
                assert_eq!(l, format!("::add-mask::{PASS_AUTH}"), "{label}");
            }
        }
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("::error") && l.contains("password *** is not accepted")),
            "{label}\n{}",
            run.stdout
        );
        // The summary escapes Markdown, so the scrubbed text reads `\*\*\*` there.
        assert!(
            !run.summary.contains(PASS_AUTH) && run.summary.contains(r"\*\*\*"),
            "{label}\n{}",
            run.summary
        );
        assert!(
            !run.output_file.contains(PASS_AUTH) && run.output_file.contains("***"),
            "{label}"
        );
    }
}
