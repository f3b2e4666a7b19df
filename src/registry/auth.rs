//! Credentials: what hoist authenticates with and which one a registry gets. Owns the
//! [`Credential`] type, the per-registry items ([`RegistryCredential`]), the precedence
//! (`registry-auth` → the GHCR default → the docker config's `auths` → anonymous), the docker
//! config parsing and the mask hook ([`Masker`]) every secret passes through before use. The
//! challenge/token exchange itself is `endpoint.rs`'s. Knows nothing of where the items came
//! from: the edge converts the inputs into these types.

use std::path::Path;
use std::sync::Arc;

use super::normalize_registry;

/// Receives every secret (password, token) before it is used, to mask it in the log.
pub type Masker = Arc<dyn Fn(&str) + Send + Sync>;

/// A user name and password (or token).
#[derive(Clone)]
pub struct Credential {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}, <redacted>)", self.username)
    }
}

/// Credentials for one registry (from `registry-auth` or the docker config).
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryCredential {
    /// The registry as written (`ghcr.io`, `docker.io`, `localhost:5000`).
    pub registry: String,
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for RegistryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCredential")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The credential for a registry: explicit `registry-auth` first, then the GHCR default
/// (`github.actor` + `github-token`), then the docker config's `auths`, else anonymous.
pub fn credential_for(
    registry: &str,
    explicit: &[RegistryCredential],
    ghcr_default: Option<&Credential>,
    docker_config: &[RegistryCredential],
) -> Option<Credential> {
    let find = |list: &[RegistryCredential]| {
        list.iter()
            .find(|c| normalize_registry(&c.registry) == registry)
            .map(|c| Credential {
                username: c.username.clone(),
                password: c.password.clone(),
            })
    };
    if let Some(c) = find(explicit) {
        return Some(c);
    }
    if let (true, Some(c)) = (registry == "ghcr.io", ghcr_default) {
        return Some(c.clone());
    }
    find(docker_config)
}

/// Reads the `auths` of a docker CLI `config.json` (`auth` = base64 `user:password`, or
/// `username`/`password`). Credential helpers (`credsStore`, `credHelpers`) are not run.
/// Malformed entries are skipped; the error never quotes a value.
pub fn parse_docker_config(bytes: &[u8]) -> Result<Vec<RegistryCredential>, String> {
    use base64::Engine as _;
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON (line {})", e.line()))?;
    let Some(auths) = json.get("auths").and_then(serde_json::Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (registry, entry) in auths {
        let field = |k: &str| {
            entry
                .get(k)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let pair = match (field("username"), field("password"), field("auth")) {
            (Some(u), Some(p), _) => Some((u.to_owned(), p.to_owned())),
            (_, _, Some(a)) => base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned()))),
            _ => None,
        };
        if let Some((username, password)) = pair.filter(|(u, p)| !u.is_empty() && !p.is_empty()) {
            out.push(RegistryCredential {
                registry: registry.clone(),
                username,
                password,
            });
        }
    }
    Ok(out)
}

/// Reads `$DOCKER_CONFIG/config.json` (or `$HOME/.docker/config.json`) for the credentials
/// fallback: every password goes to `mask` before anything else is said about the file. A
/// missing file is normal; an unreadable or malformed one is a warning; `credsStore` and
/// `credHelpers` are not run, which is said in a warning.
pub fn load_docker_config(
    docker_config: Option<&Path>,
    home: Option<&Path>,
    mask: &dyn Fn(&str),
    warn: &dyn Fn(&str),
) -> Vec<RegistryCredential> {
    let dir = docker_config
        .map(Path::to_path_buf)
        .or_else(|| home.map(|h| h.join(".docker")));
    let Some(path) = dir.map(|d| d.join("config.json")) else {
        return Vec::new();
    };
    let bytes = match read_bounded(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            warn(&format!("cannot read {}: {e}", path.display()));
            return Vec::new();
        }
    };
    match parse_docker_config(&bytes) {
        Ok(creds) => {
            // Masked before anything else is said about the file.
            for c in &creds {
                mask(&c.password);
            }
            if let Ok(serde_json::Value::Object(doc)) =
                serde_json::from_slice::<serde_json::Value>(&bytes)
            {
                for key in ["credsStore", "credHelpers"] {
                    if doc.contains_key(key) {
                        warn(&format!(
                            "{}: `{key}` is present but credential helpers are not supported yet: its registries are pushed to anonymously\nhint: pass their credentials in `registry-auth`",
                            path.display()
                        ));
                    }
                }
            }
            creds
        }
        Err(e) => {
            warn(&format!("ignoring {}: {e}", path.display()));
            Vec::new()
        }
    }
}

/// The largest docker config read (a real one is a few KiB).
const DOCKER_CONFIG_MAX: u64 = 4 << 20;

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(DOCKER_CONFIG_MAX + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > DOCKER_CONFIG_MAX {
        return Err(std::io::Error::other(format!(
            "larger than {DOCKER_CONFIG_MAX} bytes"
        )));
    }
    Ok(bytes)
}
