//! Registries: the only module that speaks the distribution protocol. Owns endpoints (TLS,
//! extra CAs, plain http only for `insecure-registries`), credentials (precedence and preflight),
//! the retry layer, the phased executor ([`publish`]) and the per-target report.
//!
//! The protocol calls are thin reqwest requests (`endpoint.rs`) rather than oci-client's: the
//! retry layer needs the HTTP status, the registry error code and `Retry-After`, which
//! oci-client 0.18 drops, and its manifest PUT panics without `Location`.
//!
//! Must not decide tags or print: it receives targets and returns a [`PushReport`].

pub mod auth;
pub mod auth_config;
pub mod ecr;
pub mod endpoint;
pub mod executor;
pub mod guard;
pub mod pull;
pub mod referrers;
pub mod report;
pub mod resume;
pub mod retention;
pub mod retry;
pub mod tag_order;
pub mod text;
pub mod verify;

pub use auth::{Credential, Masker, RegistryCredential, credential_for, parse_docker_config};
pub use executor::{PublishOptions, TagPolicy, endpoint_for, publish};
pub use pull::Pull;
pub use report::PushReport;

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
    /// The tags to point at the image, most specific first (as the metadata lists them;
    /// [`tag_order`] decides which may move at the same time).
    pub tags: Vec<String>,
}

/// An image name or tag that is not a valid push target (the distribution spec's grammar).
#[derive(Debug, thiserror::Error)]
#[error("input `{input}`: image `{image}`: {why}")]
pub struct TargetError {
    /// The input at fault (`images` or `tags`).
    pub input: &'static str,
    /// The name (inert).
    pub image: String,
    /// What is wrong.
    pub why: String,
}

pub use crate::reference::{normalize_registry, valid_tag};

/// A plan a registry would refuse (checked before any upload).
#[derive(Debug, thiserror::Error)]
#[error("input `source`: {0}")]
pub struct PlanError(pub String);

/// Checks what registries will accept before anything is uploaded: every manifest's media
/// type is one registries store as a manifest, every blob's is well formed.
pub fn check_plan(plan: &crate::plan::Plan) -> Result<(), PlanError> {
    for m in &plan.manifests {
        if !crate::plan::is_manifest_type(&m.media_type) {
            return Err(PlanError(format!(
                "manifest {} has media type `{}`, which registries do not accept for a manifest",
                m.digest,
                text::inert(&m.media_type)
            )));
        }
    }
    for b in &plan.blobs {
        if !crate::plan::is_media_type(&b.media_type) {
            return Err(PlanError(format!(
                "blob {} has media type `{}`, which is not a valid media type",
                b.digest,
                text::inert(&b.media_type)
            )));
        }
    }
    Ok(())
}

/// Splits an image name (`ghcr.io/o/app`, `user/app`, `alpine`) into a target, checking the
/// host, the repository and every tag against the distribution spec's grammar (so that nothing
/// is uploaded to a registry that will refuse the name or a tag).
pub fn parse_target(image: &str, tags: &[String]) -> Result<Target, TargetError> {
    let err = |why: &str| TargetError {
        input: "images",
        image: text::inert(image),
        why: why.to_owned(),
    };
    let (registry, repository) = crate::reference::parse_name(image)
        .map_err(|e| err(&e.map_text(text::inert).to_string()))?;
    if let Some(bad) = tags.iter().find(|t| !valid_tag(t)) {
        let shown: String = bad.chars().take(40).collect();
        return Err(TargetError {
            input: "tags",
            image: text::inert(image),
            why: format!(
                "tag `{}{}` ({} characters) is not a valid tag (`[A-Za-z0-9_][A-Za-z0-9._-]`, at most 128 characters)",
                text::inert(&shown),
                if shown.len() < bad.len() { "…" } else { "" },
                bad.chars().count()
            ),
        });
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
    fn media_types_follow_rfc_6838() {
        // The plan's predicate is the one both the plan walk and `check_plan` use.
        assert!(crate::plan::is_media_type(
            "application/vnd.oci.image.layer.v1.tar+gzip"
        ));
        assert!(crate::plan::is_media_type("application/vnd.in-toto+json"));
        for bad in [
            "",
            "application",
            "application/",
            "application/json; charset=utf-8",
            "application/x\r\nX-Injected: 1",
            "a/b/c",
        ] {
            assert!(!crate::plan::is_media_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_hosts_and_tags_follow_the_distribution_grammar() {
        for ok in [
            "ghcr.io/o/my-app",
            "ghcr.io/o/a__b",
            "ghcr.io/o/a--b.c_d",
            "localhost:5000/x",
            "[::1]:5000/x",
            "reg-1.example.com:65535/a/b/c",
        ] {
            assert!(parse_target(ok, &[]).is_ok(), "{ok}");
        }
        for bad in [
            "bad_host:99999/app",
            "reg.io:99999/app",
            "reg.io:0/app",
            "reg.io:/app",
            "-reg.io/app",
            "ghcr.io/o/a___b",
            "ghcr.io/o/-app",
            "ghcr.io/o/app.",
            "ghcr.io/o//app",
            "ghcr.io/o/a._b",
        ] {
            let e = parse_target(bad, &[]).expect_err(bad).to_string();
            assert!(e.starts_with("input `images`: image `"), "{e}");
        }
        let e = parse_target("bad_host:99999/app", &[])
            .expect_err("bad")
            .to_string();
        assert!(e.contains("`bad_host` is not a valid registry host"), "{e}");
        assert!(
            parse_target("reg.io:99999/app", &[])
                .expect_err("bad port")
                .to_string()
                .contains("`99999` is not a valid port"),
        );
        let tags = |t: &str| vec!["ok".to_owned(), t.to_owned()];
        assert!(parse_target("ghcr.io/o/app", &tags(&"a".repeat(128))).is_ok());
        assert!(parse_target("ghcr.io/o/app", &tags("_x.Y-1")).is_ok());
        for bad in [".x", "-x", "a/b", "a b", "a\u{1b}[0m", ""] {
            let e = parse_target("ghcr.io/o/app", &tags(bad))
                .expect_err(bad)
                .to_string();
            assert!(
                e.starts_with("input `tags`: image `ghcr.io/o/app`: tag `"),
                "{e}"
            );
            assert!(!e.contains('\u{1b}'), "{e}");
        }
        let e = parse_target("ghcr.io/o/app", &tags(&"a".repeat(200)))
            .expect_err("too long")
            .to_string();
        assert!(e.contains("(200 characters)"), "{e}");
        let long = format!("ghcr.io/{}", "a/".repeat(130) + "b");
        assert!(parse_target(&long, &[]).is_err());
    }
}
