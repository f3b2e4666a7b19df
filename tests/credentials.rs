//! Registry-native credentials (issue 12): a CLI push (not in Actions) with no `registry-auth`
//! finds an htpasswd registry's password through a `docker-credential-<name>` helper on `PATH`,
//! named by `credHelpers`, then by `credsStore`; the secret appears in no output; a failing
//! helper is an error naming it and the registry; a helper that is not installed is a warning.
//! `registry-auth` accepts login-action's `ecr`/`scope` keys (a scoped item used only for its
//! repository) and still rejects an unknown key. What landed is checked with skopeo.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use support::github::GitHubStub;
use support::images::write_layout;
use support::registry::{Kind, Registry, skopeo_digest};

const USER: &str = "carol";
const PASS: &str = "pw-from-a-credential-helper-58";

struct Setup {
    registry: Registry,
    work: tempfile::TempDir,
    api: GitHubStub,
}

impl Setup {
    fn new() -> Self {
        let registry = Registry::start(&Kind::Htpasswd {
            user: USER,
            password: PASS,
        });
        let work = tempfile::tempdir().unwrap();
        write_layout(&work.path().join("layout"), 12, false);
        std::fs::create_dir_all(work.path().join("docker")).unwrap();
        std::fs::create_dir_all(work.path().join("bin")).unwrap();
        Self {
            registry,
            work,
            api: GitHubStub::app(),
        }
    }

    fn bin(&self) -> PathBuf {
        self.work.path().join("bin")
    }

    /// Writes `docker-credential-<name>`: it records the server asked about in `asked-<name>`
    /// and answers with `answer` (a shell snippet run after the server is read into `$server`).
    fn helper(&self, name: &str, answer: &str) {
        let path = self.bin().join(format!("docker-credential-{name}"));
        let log = self.work.path().join(format!("asked-{name}"));
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n[ \"$1\" = get ] || exit 9\nread -r server\nprintf '%s\\n' \"$server\" >> '{}'\n{answer}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A helper that knows this registry's credentials and no other server's.
    fn good_helper(&self, name: &str) {
        let host = self.registry.host();
        self.helper(
            name,
            &format!(
                "if [ \"$server\" = '{host}' ]; then printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASS}\"}}' \"$server\"; else echo 'credentials not found in native keychain'; exit 1; fi"
            ),
        );
    }

    fn asked(&self, name: &str) -> String {
        std::fs::read_to_string(self.work.path().join(format!("asked-{name}"))).unwrap_or_default()
    }

    fn config(&self, json: &str) {
        std::fs::write(self.work.path().join("docker/config.json"), json).unwrap();
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "DOCKER_CONFIG",
                self.work.path().join("docker").display().to_string(),
            ),
            ("PATH", format!("{}:/usr/bin:/bin", self.bin().display())),
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

    /// A CLI push of the layout to `repo` on the registry, with `extra` arguments.
    fn push(&self, repo: &str, extra: &[&str]) -> support::cli::Out {
        let source = format!("oci:{}", self.work.path().join("layout").display());
        let images = format!("{}/{repo}", self.registry.host());
        let host = self.registry.host();
        let mut args = vec![
            "--images",
            images.as_str(),
            "--tags",
            "type=raw,value=v1",
            "--source",
            source.as_str(),
            "--insecure-registries",
            host.as_str(),
        ];
        args.extend_from_slice(extra);
        support::cli::hoist(self.work.path(), &self.env(), &args)
    }

    fn landed(&self, repo: &str) -> bool {
        let creds = format!("{USER}:{PASS}");
        skopeo_digest(
            &format!("{}/{repo}:v1", self.registry.host()),
            &["--creds", creds.as_str()],
        )
        .is_some()
    }
}

fn assert_no_secret(label: &str, out: &support::cli::Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(PASS),
            "{label}: {stream} prints the helper's secret:\n{text}"
        );
    }
}

#[test]
fn a_cli_push_finds_its_password_through_cred_helpers_then_creds_store() {
    let s = Setup::new();
    let host = s.registry.host();
    s.good_helper("byhost");
    s.good_helper("store");
    // credHelpers names a helper for this registry: it wins over credsStore.
    s.config(&format!(
        r#"{{"credHelpers":{{"{host}":"byhost"}},"credsStore":"store"}}"#
    ));
    let out = s.push("helpers/by-host", &[]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("credHelpers", &out);
    assert!(s.landed("helpers/by-host"), "not pushed:\n{}", out.stderr);
    assert_eq!(s.asked("byhost"), format!("{host}\n"));
    assert_eq!(
        s.asked("store"),
        "",
        "credsStore asked though credHelpers names one"
    );

    // Only credsStore: it is asked.
    s.config(r#"{"credsStore":"store","auths":{}}"#);
    let out = s.push("helpers/by-store", &[]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("credsStore", &out);
    assert!(s.landed("helpers/by-store"), "not pushed:\n{}", out.stderr);
    assert_eq!(s.asked("store"), format!("{host}\n"));

    // The JSON result carries no secret either.
    let out = s.push("helpers/json", &["--format", "json"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("--format json", &out);
    serde_json::from_str::<serde_json::Value>(&out.stdout).expect("stdout is JSON");
}

#[test]
fn a_failing_helper_is_an_error_naming_it_and_the_registry_without_its_output() {
    let s = Setup::new();
    let host = s.registry.host();
    s.helper("broken", &format!("echo 'leaked {PASS}'; exit 3"));
    s.config(&format!(r#"{{"credHelpers":{{"{host}":"broken"}}}}"#));
    let out = s.push("helpers/broken", &[]);
    assert_ne!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "credential helper `docker-credential-broken` for `{host}`: exited with status 3"
        )),
        "{}",
        out.stderr
    );
    assert_no_secret("broken helper", &out);
    assert!(!s.landed("helpers/broken"));

    // Not JSON on success: an error too, the output never quoted.
    s.helper("garbled", &format!("echo '{PASS}'"));
    s.config(&format!(r#"{{"credHelpers":{{"{host}":"garbled"}}}}"#));
    let out = s.push("helpers/garbled", &[]);
    assert_ne!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("`docker-credential-garbled`") && out.stderr.contains("not JSON"),
        "{}",
        out.stderr
    );
    assert_no_secret("garbled helper", &out);
}

#[test]
fn a_helper_not_on_path_is_a_warning_and_the_auths_entry_is_used() {
    use base64::Engine as _;
    let s = Setup::new();
    let host = s.registry.host();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    s.config(&format!(
        r#"{{"credsStore":"missing-helper","auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#
    ));
    let out = s.push("helpers/fallback", &[]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.lines().any(|l| l.starts_with("warning: ")
            && l.contains("`docker-credential-missing-helper`")
            && l.contains("not on `PATH`")),
        "{}",
        out.stderr
    );
    assert_no_secret("missing helper", &out);
    assert!(s.landed("helpers/fallback"));
}

#[test]
fn registry_auth_accepts_ecr_false_and_scope_and_uses_a_scoped_item_only_for_its_repository() {
    let s = Setup::new();
    let host = s.registry.host();
    // The scoped item (right password) applies to `team/app`; the unscoped one (wrong password)
    // to every other repository.
    let auth = format!(
        "- registry: {host}\n  username: {USER}\n  password: {PASS}\n  ecr: false\n  scope: team/app@push\n- registry: {host}\n  username: {USER}\n  password: wrong-password-12\n  ecr: 'false'\n"
    );
    let out = s.push("team/app", &["--registry-auth", auth.as_str()]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("scoped", &out);
    assert!(s.landed("team/app"));
    let out = s.push("team/other", &["--registry-auth", auth.as_str()]);
    assert_ne!(
        out.code,
        Some(0),
        "the unscoped item's wrong password was not used:\n{}",
        out.stderr
    );
    assert!(!s.landed("team/other"));
}

#[test]
fn registry_auth_rejects_an_unknown_key_by_name_before_any_network() {
    let s = Setup::new();
    let auth = format!(
        "- registry: {}\n  username: {USER}\n  password: {PASS}\n  logout: true\n",
        s.registry.host()
    );
    let out = s.push("rejected/app", &["--registry-auth", auth.as_str()]);
    assert_ne!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("input `registry-auth`: entry 1: unknown key `logout`"),
        "{}",
        out.stderr
    );
    assert_no_secret("unknown key", &out);
    assert!(
        !s.registry.has_blobs(),
        "a rejected input reached the registry"
    );
}

const REFRESH: &str = "refresh-token-from-an-identity-provider-31";

/// A token registry behind a fault proxy whose `decide` answers the first manifest PUT as an
/// expired token is answered (the request forwarded without its `Authorization`), recording
/// how many refresh-token grants the token server had made by then.
struct TokenSetup {
    tokens: support::registry::TokenServer,
    registry: Registry,
    proxy: support::faults::FaultProxy,
    grants_at_expiry: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    work: tempfile::TempDir,
    api: GitHubStub,
}

impl TokenSetup {
    fn new() -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use support::faults::{Fault, FaultProxy};
        let tokens = support::registry::TokenServer::start_with_refresh_token(USER, PASS, REFRESH);
        let registry = Registry::start(&Kind::Token(&tokens));
        let grants = Arc::clone(&tokens.refresh_grants);
        let grants_at_expiry = Arc::new(AtomicUsize::new(usize::MAX));
        let at_expiry = Arc::clone(&grants_at_expiry);
        let expired = AtomicBool::new(false);
        let proxy = FaultProxy::start(registry.port, move |_, line| {
            if line.starts_with("PUT ")
                && line.contains("/manifests/")
                && !expired.swap(true, Ordering::SeqCst)
            {
                at_expiry.store(grants.load(Ordering::SeqCst), Ordering::SeqCst);
                Fault::Unauthenticated
            } else {
                Fault::Pass
            }
        });
        let work = tempfile::tempdir().unwrap();
        write_layout(&work.path().join("layout"), 31, false);
        Self {
            tokens,
            registry,
            proxy,
            grants_at_expiry,
            work,
            api: GitHubStub::app(),
        }
    }

    fn push(
        &self,
        repo: &str,
        env: &[(&'static str, String)],
        extra: &[&str],
    ) -> support::cli::Out {
        let source = format!("oci:{}", self.work.path().join("layout").display());
        let images = format!("{}/{repo}", self.proxy.host());
        let host = self.proxy.host();
        let mut args = vec![
            "--images",
            images.as_str(),
            "--tags",
            "type=raw,value=v1",
            "--source",
            source.as_str(),
            "--insecure-registries",
            host.as_str(),
        ];
        args.extend_from_slice(extra);
        let mut all = vec![
            ("GITHUB_REPOSITORY", "o/app".to_owned()),
            ("GITHUB_API_URL", self.api.url()),
            (
                "GITHUB_SHA",
                "0123456789abcdef0123456789abcdef01234567".to_owned(),
            ),
            ("GITHUB_REF", "refs/heads/main".to_owned()),
            ("GITHUB_EVENT_NAME", "push".to_owned()),
        ];
        all.extend_from_slice(env);
        support::cli::hoist(self.work.path(), &all, &args)
    }

    fn landed(&self, repo: &str) -> bool {
        let creds = format!("{USER}:{PASS}");
        skopeo_digest(
            &format!("{}/{repo}:v1", self.registry.host()),
            &["--creds", creds.as_str()],
        )
        .is_some()
    }
}

fn assert_no_refresh_token(label: &str, out: &support::cli::Out) {
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains(REFRESH),
            "{label}: prints the refresh token:\n{text}"
        );
    }
}

#[test]
fn a_refresh_token_is_exchanged_at_the_token_endpoint_and_again_when_the_token_expires_mid_push() {
    use std::sync::atomic::Ordering;
    let s = TokenSetup::new();
    // ACR's convention: the all-zero user name with a refresh token as the password.
    let auth = format!(
        "- registry: {}\n  username: 00000000-0000-0000-0000-000000000000\n  password: {REFRESH}\n",
        s.proxy.host()
    );
    let out = s.push("refresh/app", &[], &["--registry-auth", auth.as_str()]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_refresh_token("refresh", &out);
    assert!(s.landed("refresh/app"), "not pushed:\n{}", out.stderr);
    let at_expiry = s.grants_at_expiry.load(Ordering::SeqCst);
    let total = s.tokens.refresh_grants.load(Ordering::SeqCst);
    assert!(
        at_expiry != usize::MAX && at_expiry >= 1,
        "no token was granted by refresh token before the expiry ({at_expiry})"
    );
    assert!(
        total > at_expiry,
        "no new token after the expiry: {total} grants, {at_expiry} before it"
    );
    let puts = s
        .proxy
        .seen()
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains("/manifests/"))
        .count();
    assert!(puts >= 2, "the expired manifest PUT was not sent again");

    // A wrong refresh token gets no token: a clear failure, the token never printed.
    let wrong = format!(
        "- registry: {}\n  username: 00000000-0000-0000-0000-000000000000\n  password: not-the-{REFRESH}\n",
        s.proxy.host()
    );
    let out = s.push("refresh/wrong", &[], &["--registry-auth", wrong.as_str()]);
    assert_ne!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert_no_refresh_token("wrong refresh token", &out);
    assert!(!s.landed("refresh/wrong"));
}

#[test]
fn a_docker_config_identitytoken_is_used_as_a_refresh_token() {
    let s = TokenSetup::new();
    let docker = s.work.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"","identitytoken":"{REFRESH}"}}}}}}"#,
            s.proxy.host()
        ),
    )
    .unwrap();
    let out = s.push(
        "identity/app",
        &[("DOCKER_CONFIG", docker.display().to_string())],
        &[],
    );
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_refresh_token("identitytoken", &out);
    assert!(s.landed("identity/app"), "not pushed:\n{}", out.stderr);
    assert!(
        s.tokens
            .refresh_grants
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 1
    );
}
