//! The docker config the way docker reads it: `auths` (through [`super::auth::parse_docker_config`]),
//! `credHelpers` per registry, then `credsStore`, and podman's `auth.json` (`REGISTRY_AUTH_FILE`,
//! else `$XDG_RUNTIME_DIR/containers/auth.json`) after docker's file. Owns the credential-helper
//! protocol: `docker-credential-<name> get` with the server on stdin, run off the async runtime
//! (a blocking thread), within [`HELPER_TIMEOUT`], its output read up to [`HELPER_MAX_OUTPUT`].
//!
//! The files are read when the step starts (before any network); helpers run at push time,
//! once per registry the push speaks to, because only then are the registries known (the image
//! names come from the metadata) and because a helper may hand out a short-lived token.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::auth::{RegistryCredential, parse_docker_config};
use super::normalize_registry;

/// How long one credential helper may run (a keychain prompt never ends: an error instead).
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest helper output read (a JSON object with a user name and a secret).
pub const HELPER_MAX_OUTPUT: u64 = 64 * 1024;

/// The largest config file read (a real one is a few KiB).
const CONFIG_MAX: u64 = 4 << 20;

/// What the docker config (and podman's `auth.json`) say about credentials.
#[derive(Clone, Debug, Default)]
pub struct DockerConfig {
    /// The `auths` credentials, docker's file first, then podman's.
    pub auths: Vec<RegistryCredential>,
    /// `credHelpers`: (registry as docker names it, normalised; helper name).
    pub cred_helpers: Vec<(String, String)>,
    /// `credsStore`: the helper for every other registry.
    pub creds_store: Option<String>,
}

impl DockerConfig {
    /// The helper docker would ask for `registry` (normalised): `credHelpers` first, then
    /// `credsStore`.
    #[must_use]
    pub fn helper_for(&self, registry: &str) -> Option<&str> {
        self.cred_helpers
            .iter()
            .find(|(r, _)| r == registry)
            .map(|(_, h)| h.as_str())
            .or(self.creds_store.as_deref())
    }
}

/// A credential helper that failed (the message never quotes its output).
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// The program could not be started.
    #[error(
        "credential helper `docker-credential-{helper}` for `{registry}`: cannot run it: {cause}\nhint: install it on `PATH`, or remove it from `credHelpers`/`credsStore` in the docker config"
    )]
    Spawn {
        /// The helper name.
        helper: String,
        /// The registry.
        registry: String,
        /// Why.
        cause: std::io::Error,
    },
    /// It ran longer than [`HELPER_TIMEOUT`] and was stopped.
    #[error(
        "credential helper `docker-credential-{helper}` for `{registry}`: no answer within {secs} s (stopped)\nhint: a helper waiting for a keychain prompt cannot run in CI: pass the credentials in `registry-auth`"
    )]
    Timeout {
        /// The helper name.
        helper: String,
        /// The registry.
        registry: String,
        /// The limit in seconds.
        secs: u64,
    },
    /// It exited with a failure other than "not found".
    #[error("credential helper `docker-credential-{helper}` for `{registry}`: {why}")]
    Failed {
        /// The helper name.
        helper: String,
        /// The registry.
        registry: String,
        /// What went wrong (never the output).
        why: String,
    },
}

/// Parses a docker (or podman) config: `auths` plus `credHelpers` and `credsStore`. The error
/// never quotes a value.
pub fn parse_config(bytes: &[u8]) -> Result<DockerConfig, String> {
    let auths = parse_docker_config(bytes)?;
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON (line {})", e.line()))?;
    let cred_helpers = json
        .get("credHelpers")
        .and_then(serde_json::Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(registry, helper)| {
                    let helper = helper.as_str()?.trim();
                    valid_helper_name(helper)
                        .then(|| (normalize_registry(registry), helper.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    let creds_store = json
        .get("credsStore")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|h| valid_helper_name(h))
        .map(str::to_owned);
    Ok(DockerConfig {
        auths,
        cred_helpers,
        creds_store,
    })
}

/// A helper name is a program-name suffix: no path separators, nothing a shell would read.
fn valid_helper_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Where the config files are: the docker config dir (`DOCKER_CONFIG`, else `~/.docker`) and
/// podman's auth file (`REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`).
#[derive(Clone, Debug, Default)]
pub struct ConfigPaths {
    /// `DOCKER_CONFIG`.
    pub docker_config: Option<PathBuf>,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// `REGISTRY_AUTH_FILE`.
    pub registry_auth_file: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`.
    pub xdg_runtime_dir: Option<PathBuf>,
}

/// Reads the docker config, then podman's `auth.json` (its `auths` come after docker's; its
/// helpers only where docker's file names none). Every password goes to `mask` before anything
/// else is said about a file. A missing file is normal; an unreadable or malformed one is a
/// warning.
pub fn load_config(paths: &ConfigPaths, mask: &dyn Fn(&str), warn: &dyn Fn(&str)) -> DockerConfig {
    let docker = paths
        .docker_config
        .clone()
        .or_else(|| paths.home.as_ref().map(|h| h.join(".docker")))
        .map(|d| d.join("config.json"));
    let podman = paths.registry_auth_file.clone().or_else(|| {
        paths
            .xdg_runtime_dir
            .as_ref()
            .map(|d| d.join("containers").join("auth.json"))
    });
    let mut out = DockerConfig::default();
    for path in [docker, podman].into_iter().flatten() {
        let Some(cfg) = load_one(&path, mask, warn) else {
            continue;
        };
        out.auths.extend(cfg.auths);
        for (registry, helper) in cfg.cred_helpers {
            if !out.cred_helpers.iter().any(|(r, _)| *r == registry) {
                out.cred_helpers.push((registry, helper));
            }
        }
        if out.creds_store.is_none() {
            out.creds_store = cfg.creds_store;
        }
    }
    out
}

fn load_one(path: &Path, mask: &dyn Fn(&str), warn: &dyn Fn(&str)) -> Option<DockerConfig> {
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(CONFIG_MAX + 1).read_to_end(&mut bytes));
    match read {
        Ok(_) if bytes.len() as u64 > CONFIG_MAX => {
            warn(&format!(
                "ignoring {}: larger than {CONFIG_MAX} bytes",
                path.display()
            ));
            None
        }
        Ok(_) => match parse_config(&bytes) {
            Ok(cfg) => {
                for c in &cfg.auths {
                    mask(&c.password);
                }
                Some(cfg)
            }
            Err(e) => {
                warn(&format!("ignoring {}: {e}", path.display()));
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            warn(&format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

/// The registry of an image name (`alpine` → `docker.io`), as the helpers are looked up.
#[must_use]
pub fn registry_of(image_name: &str) -> String {
    crate::reference::split_name(image_name).0
}

/// The server name a helper is asked about: docker's legacy URL for Docker Hub, else the host.
#[must_use]
pub fn helper_server(registry: &str) -> String {
    if registry == crate::reference::DOCKER_HUB {
        "https://index.docker.io/v1/".to_owned()
    } else {
        registry.to_owned()
    }
}

/// Runs `docker-credential-<helper> get` for `registry` (blocking: call it off the async
/// runtime). `Ok(None)`: the helper has no credentials for it. A `<token>` user name (an
/// identity token) is returned as is.
pub fn run_helper(
    helper: &str,
    registry: &str,
    timeout: Duration,
) -> Result<Option<RegistryCredential>, HelperError> {
    run_program(
        Path::new(&format!("docker-credential-{helper}")),
        helper,
        registry,
        timeout,
    )
}

/// [`run_helper`] with the program named (a bare name is looked up on `PATH`).
fn run_program(
    program: &Path,
    helper: &str,
    registry: &str,
    timeout: Duration,
) -> Result<Option<RegistryCredential>, HelperError> {
    let failed = |why: String| HelperError::Failed {
        helper: helper.to_owned(),
        registry: registry.to_owned(),
        why,
    };
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|cause| HelperError::Spawn {
            helper: helper.to_owned(),
            registry: registry.to_owned(),
            cause,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(helper_server(registry).as_bytes());
    }
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let _ = s.take(HELPER_MAX_OUTPUT + 1).read_to_end(&mut out);
        }
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HelperError::Timeout {
                    helper: helper.to_owned(),
                    registry: registry.to_owned(),
                    secs: timeout.as_secs(),
                });
            }
            Err(e) => return Err(failed(format!("cannot wait for it: {e}"))),
        }
    };
    let out = reader.join().unwrap_or_default();
    if out.len() as u64 > HELPER_MAX_OUTPUT {
        return Err(failed(format!(
            "its output is larger than {HELPER_MAX_OUTPUT} bytes"
        )));
    }
    if !status.success() {
        // docker's helpers say `credentials not found in native keychain` for an unknown server.
        if String::from_utf8_lossy(&out).contains("credentials not found") {
            return Ok(None);
        }
        return Err(failed(match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "stopped by a signal".to_owned(),
        }));
    }
    parse_helper_output(&out)
        .map(|(username, password)| {
            Some(RegistryCredential {
                registry: registry.to_owned(),
                username,
                password,
                scope: None,
            })
        })
        .map_err(failed)
}

/// Parses a helper's `{"ServerURL": ..., "Username": ..., "Secret": ...}` (the error never
/// quotes the output).
fn parse_helper_output(out: &[u8]) -> Result<(String, String), String> {
    let json: serde_json::Value = serde_json::from_slice(out)
        .map_err(|e| format!("its output is not JSON (line {})", e.line()))?;
    let field = |k: &str| {
        json.get(k)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (field("Username"), field("Secret")) {
        (Some(u), Some(s)) => Ok((u, s)),
        _ => Err("its output has no `Username` and `Secret`".to_owned()),
    }
}

/// Asks the helpers for every registry in `registries` (normalised) that has one, each on a
/// blocking thread within `timeout`. Every secret goes to `mask` as soon as it is read. A helper
/// that is not installed is a warning (the registry falls back to `auths`, else anonymous, as
/// a config copied from a desktop names `desktop` or `osxkeychain`); any other failure is an
/// error.
pub async fn fetch_helper_credentials(
    config: &DockerConfig,
    registries: &[String],
    timeout: Duration,
    mask: &(dyn Fn(&str) + Sync),
    warn: &(dyn Fn(&str) + Sync),
) -> Result<Vec<RegistryCredential>, HelperError> {
    let mut out = Vec::new();
    let mut asked: Vec<&str> = Vec::new();
    for registry in registries {
        if asked.contains(&registry.as_str()) {
            continue;
        }
        asked.push(registry);
        let Some(helper) = config.helper_for(registry) else {
            continue;
        };
        let (h, r) = (helper.to_owned(), registry.clone());
        let found = tokio::task::spawn_blocking(move || run_helper(&h, &r, timeout))
            .await
            .map_err(|e| HelperError::Failed {
                helper: helper.to_owned(),
                registry: registry.clone(),
                why: format!("its thread failed: {e}"),
            })?;
        let found = match found {
            Err(HelperError::Spawn { cause, .. })
                if cause.kind() == std::io::ErrorKind::NotFound =>
            {
                warn(&format!(
                    "the docker config names the credential helper `docker-credential-{helper}` (`credHelpers`/`credsStore`) for `{registry}`, which is not on `PATH`: its `auths` entry is used if any, else no credentials\nhint: install the helper, or pass the credentials in `registry-auth`"
                ));
                None
            }
            other => other?,
        };
        if let Some(c) = found {
            mask(&c.password);
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cred_helpers_come_before_creds_store_and_docker_hub_aliases_are_one() {
        let cfg = parse_config(
            br#"{"credsStore":"desktop","credHelpers":{"https://index.docker.io/v1/":"hub","ghcr.io":"gh","bad":"../x"},"auths":{}}"#,
        )
        .expect("parses");
        assert_eq!(cfg.helper_for("docker.io"), Some("hub"));
        assert_eq!(cfg.helper_for("ghcr.io"), Some("gh"));
        assert_eq!(cfg.helper_for("quay.io"), Some("desktop"));
        // A name with a path separator is not run.
        assert_eq!(cfg.helper_for("bad"), Some("desktop"));
        assert_eq!(helper_server("docker.io"), "https://index.docker.io/v1/");
        assert_eq!(helper_server("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn helper_output_errors_never_quote_it() {
        let e = parse_helper_output(br#"{"Username":"u","Secret":""}"#).unwrap_err();
        assert_eq!(e, "its output has no `Username` and `Secret`");
        let e = parse_helper_output(b"hunter2").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert_eq!(
            parse_helper_output(br#"{"ServerURL":"x","Username":"u","Secret":"s"}"#),
            Ok(("u".to_owned(), "s".to_owned()))
        );
    }

    #[test]
    fn podman_auth_file_comes_after_docker_config() {
        let dir = tempfile::tempdir().expect("temp dir");
        let docker = dir.path().join("docker");
        std::fs::create_dir(&docker).expect("mkdir");
        std::fs::write(
            docker.join("config.json"),
            br#"{"auths":{"a.example":{"auth":"dTE6cDE="}},"credHelpers":{"a.example":"one"}}"#,
        )
        .expect("write");
        let podman = dir.path().join("auth.json");
        std::fs::write(
            &podman,
            br#"{"auths":{"a.example":{"auth":"dTI6cDI="},"b.example":{"auth":"dTM6cDM="}},"credHelpers":{"a.example":"two","b.example":"three"}}"#,
        )
        .expect("write");
        let masked = std::sync::Mutex::new(Vec::new());
        let cfg = load_config(
            &ConfigPaths {
                docker_config: Some(docker),
                registry_auth_file: Some(podman),
                ..ConfigPaths::default()
            },
            &|s| masked.lock().expect("lock").push(s.to_owned()),
            &|w| panic!("unexpected warning: {w}"),
        );
        let users: Vec<_> = cfg
            .auths
            .iter()
            .map(|c| (c.registry.as_str(), c.username.as_str()))
            .collect();
        assert_eq!(
            users,
            [
                ("a.example", "u1"),
                ("a.example", "u2"),
                ("b.example", "u3")
            ]
        );
        assert_eq!(cfg.helper_for("a.example"), Some("one"));
        assert_eq!(cfg.helper_for("b.example"), Some("three"));
        assert_eq!(*masked.lock().expect("lock"), ["p1", "p2", "p3"]);
    }

    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join("docker-credential-test");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[test]
    fn a_helper_that_hangs_is_stopped_at_the_deadline() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = script(dir.path(), "sleep 30");
        let started = Instant::now();
        let e = run_program(&path, "test", "r.example", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, HelperError::Timeout { .. }), "{e}");
        // The deadline plus generous slack, far below the helper's 30 s.
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            e.to_string().starts_with(
                "credential helper `docker-credential-test` for `r.example`: no answer"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_helper_flooding_its_output_is_an_error_not_a_read_without_end() {
        let dir = tempfile::tempdir().expect("temp dir");
        // 1 MiB of output, well past the bound: refused, never buffered whole.
        let path = script(dir.path(), "head -c 1048576 /dev/zero");
        let e = run_program(&path, "test", "r.example", Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("larger than 65536 bytes"), "{e}");
    }

    #[test]
    fn a_helper_is_asked_on_stdin_and_not_found_is_no_credential() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = script(
            dir.path(),
            r#"read -r s; if [ "$s" = "https://index.docker.io/v1/" ]; then echo '{"Username":"u","Secret":"s"}'; else echo 'credentials not found in native keychain'; exit 1; fi"#,
        );
        let found = run_program(&path, "test", "docker.io", Duration::from_secs(20))
            .expect("runs")
            .expect("found");
        assert_eq!(
            (found.username.as_str(), found.password.as_str()),
            ("u", "s")
        );
        let none = run_program(&path, "test", "quay.io", Duration::from_secs(20)).expect("runs");
        assert!(none.is_none());
    }
}
