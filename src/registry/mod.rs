//! Registries: the only module that speaks the distribution protocol. Owns endpoints (TLS,
//! extra CAs, plain http only for `insecure-registries`), credentials (precedence and preflight),
//! the retry layer, the phased executor ([`publish`]) and the per-target report.
//!
//! The protocol calls are thin reqwest requests (`endpoint.rs`) rather than oci-client's: the
//! retry layer needs the HTTP status, the registry error code and `Retry-After`, which
//! oci-client 0.18 drops, and its manifest PUT panics without `Location`.
//!
//! Must not decide tags or print: it receives targets and returns a [`PushReport`].

pub mod endpoint;
pub mod executor;
pub mod report;
pub mod retry;
pub mod text;

pub use endpoint::{Credential, Masker};
pub use executor::{PublishOptions, endpoint_for, publish};
pub use report::PushReport;

use crate::settings::push::RegistryCredential;

/// One image name to push to: a registry host and a repository, with its tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The image name as written in `images`.
    pub image: String,
    /// The registry as users name it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// The host spoken to (`registry-1.docker.io` for Docker Hub).
    pub host: String,
    /// The repository (`library/alpine`, `owner/app`).
    pub repository: String,
    /// The tags to point at the image, most specific first.
    pub tags: Vec<String>,
}

/// An image name that is not a valid push target.
#[derive(Debug, thiserror::Error)]
#[error("image `{image}`: {why}")]
pub struct TargetError {
    /// The name.
    pub image: String,
    /// What is wrong.
    pub why: String,
}

/// Docker Hub's names for itself.
fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

/// Normalises a registry name as written in `registry-auth` or docker config
/// (`https://index.docker.io/v1/` → `docker.io`).
pub fn normalize_registry(name: &str) -> String {
    let s = name.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s).to_ascii_lowercase();
    if is_docker_hub(&s) {
        "docker.io".to_owned()
    } else {
        s
    }
}

/// Splits an image name (`ghcr.io/o/app`, `user/app`, `alpine`) into a target.
pub fn parse_target(image: &str, tags: &[String]) -> Result<Target, TargetError> {
    let err = |why: &str| TargetError {
        image: image.to_owned(),
        why: why.to_owned(),
    };
    if image.contains('@') {
        return Err(err("a digest in an image name cannot be pushed to"));
    }
    let (registry, repository) = match image.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (normalize_registry(first), rest.to_owned())
        }
        _ => ("docker.io".to_owned(), image.to_owned()),
    };
    let repository = if registry == "docker.io" && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    let valid = !repository.is_empty()
        && repository.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        });
    if !valid {
        return Err(err(
            "not a valid repository name (lowercase letters, digits, `.`, `_`, `-`, `/`)",
        ));
    }
    let host = if registry == "docker.io" {
        "registry-1.docker.io".to_owned()
    } else {
        registry.clone()
    };
    Ok(Target {
        image: image.to_owned(),
        registry,
        host,
        repository,
        tags: tags.to_vec(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_split_like_docker() {
        let t = parse_target("ghcr.io/o/app", &[]).expect("valid");
        assert_eq!(
            (t.registry.as_str(), t.repository.as_str()),
            ("ghcr.io", "o/app")
        );
        let t = parse_target("alpine", &[]).expect("valid");
        assert_eq!(t.repository, "library/alpine");
        assert_eq!(t.host, "registry-1.docker.io");
        let t = parse_target("user/app", &[]).expect("valid");
        assert_eq!(
            (t.registry.as_str(), t.repository.as_str()),
            ("docker.io", "user/app")
        );
        let t = parse_target("127.0.0.1:5000/x/y", &[]).expect("valid");
        assert_eq!(t.host, "127.0.0.1:5000");
        let t = parse_target("localhost/app", &[]).expect("valid");
        assert_eq!(t.registry, "localhost");
        assert!(parse_target("ghcr.io/O/App", &[]).is_err());
        assert!(parse_target("ghcr.io/o/app@sha256:00", &[]).is_err());
    }

    #[test]
    fn credentials_follow_precedence() {
        let explicit = vec![RegistryCredential {
            registry: "https://index.docker.io/v1/".into(),
            username: "hub".into(),
            password: "p".into(),
        }];
        let ghcr = Credential {
            username: "actor".into(),
            password: "token".into(),
        };
        let config = parse_docker_config(
            br#"{"auths":{"quay.io":{"auth":"cXVzZXI6cXBhc3M="},"ghcr.io":{"username":"cfg","password":"x"},"bad":{"auth":"!!"}}}"#,
        )
        .expect("parses");
        assert_eq!(config.len(), 2);
        assert_eq!(
            credential_for("docker.io", &explicit, Some(&ghcr), &config).map(|c| c.username),
            Some("hub".into())
        );
        assert_eq!(
            credential_for("ghcr.io", &explicit, Some(&ghcr), &config).map(|c| c.username),
            Some("actor".into())
        );
        assert_eq!(
            credential_for("ghcr.io", &explicit, None, &config).map(|c| c.username),
            Some("cfg".into())
        );
        let quay = credential_for("quay.io", &explicit, Some(&ghcr), &config).expect("from config");
        assert_eq!(
            (quay.username.as_str(), quay.password.as_str()),
            ("quser", "qpass")
        );
        assert!(credential_for("example.com", &explicit, Some(&ghcr), &config).is_none());
    }
}
