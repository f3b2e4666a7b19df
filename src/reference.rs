//! Image references, the crate's one parser: `[host[:port]/]path[:tag][@digest]` split with
//! docker's rules (a first component with `.` or `:`, or `localhost`, is a registry host;
//! otherwise Docker Hub, `docker.io`, where a one-component path gets `library/`), registry
//! names normalised (`https://index.docker.io/v1/` → `docker.io`), and the distribution spec's
//! grammar for hosts, repository components and tags. A pure leaf: imports nothing of the crate.
//! Errors carry the offending text raw; callers make it inert before showing it
//! ([`ReferenceError::map_text`]).

/// The longest repository name (with the registry) the distribution spec allows.
pub const MAX_NAME_LEN: usize = 255;

/// Docker Hub as users name it.
pub const DOCKER_HUB: &str = "docker.io";

/// A reference split into its parts, without validation (see [`parse_name`] for that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split<'a> {
    /// Everything before the tag and digest (`ghcr.io/o/app`).
    pub name: &'a str,
    /// The tag, if one is written.
    pub tag: Option<&'a str>,
    /// The digest, if one is written (`sha256:…`).
    pub digest: Option<&'a str>,
}

/// Splits `name[:tag][@digest]`. A `:` followed by a `/` belongs to a host's port, not a tag.
#[must_use]
pub fn split(value: &str) -> Split<'_> {
    let (rest, digest) = match value.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (value, None),
    };
    match rest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => Split {
            name,
            tag: Some(tag),
            digest,
        },
        _ => Split {
            name: rest,
            tag: None,
            digest,
        },
    }
}

/// Docker Hub's names for itself.
#[must_use]
pub fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

/// Normalises a registry name as written in `registry-auth` or a docker config
/// (`https://index.docker.io/v1/` → `docker.io`, lowercase, no scheme or path).
#[must_use]
pub fn normalize_registry(name: &str) -> String {
    let s = name.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s).to_ascii_lowercase();
    if is_docker_hub(&s) {
        DOCKER_HUB.to_owned()
    } else {
        s
    }
}

/// Splits an image name (no tag, no digest) into its registry and repository with docker's
/// rules, without validation: `alpine` → (`docker.io`, `library/alpine`).
#[must_use]
pub fn split_name(name: &str) -> (String, String) {
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (normalize_registry(first), rest.to_owned())
        }
        _ => (DOCKER_HUB.to_owned(), name.to_owned()),
    };
    let repository = if registry == DOCKER_HUB && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    (registry, repository)
}

/// A name that breaks the distribution grammar. Text fields hold the offending part raw.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// A digest where only a name may stand.
    #[error("a digest in an image name cannot be pushed to")]
    Digest,
    /// `[` without `]`.
    #[error("an IPv6 address lacks its closing `]`")]
    UnclosedIpv6,
    /// Something in brackets that is not an IPv6 address.
    #[error("`[{0}]` is not an IPv6 address")]
    Ipv6(String),
    /// Text after `]` that is not `:port`.
    #[error("junk after the IPv6 address")]
    AfterIpv6,
    /// A host that is not DNS labels.
    #[error("`{0}` is not a valid registry host (letters, digits, `-` and `.`)")]
    Host(String),
    /// A port outside 1 to 65535.
    #[error("`{0}` is not a valid port (1 to 65535)")]
    Port(String),
    /// A repository path that breaks the component grammar.
    #[error(
        "not a valid repository name (path components of lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, joined by `/`)"
    )]
    Repository,
    /// Registry and repository longer than [`MAX_NAME_LEN`].
    #[error("the name is longer than {MAX_NAME_LEN} characters")]
    TooLong,
}

impl ReferenceError {
    /// The same error with its quoted text passed through `f` (to make registry or user text
    /// inert before it is shown).
    #[must_use]
    pub fn map_text(self, f: impl Fn(&str) -> String) -> Self {
        match self {
            Self::Ipv6(s) => Self::Ipv6(f(&s)),
            Self::Host(s) => Self::Host(f(&s)),
            Self::Port(s) => Self::Port(f(&s)),
            other => other,
        }
    }
}

/// Parses and validates an image name to push to (no digest; a `:tag` is not split off):
/// the registry (normalised, checked as `host[:port]` unless Docker Hub) and the repository
/// (every component checked, `library/` added on Docker Hub), within [`MAX_NAME_LEN`].
///
/// # Errors
/// The name has a digest, or its host, port or repository breaks the grammar, or it is too long.
pub fn parse_name(image: &str) -> Result<(String, String), ReferenceError> {
    if image.contains('@') {
        return Err(ReferenceError::Digest);
    }
    let (registry, repository) = split_name(image);
    if registry != DOCKER_HUB {
        valid_host(&registry)?;
    }
    if repository.is_empty() || !repository.split('/').all(valid_component) {
        return Err(ReferenceError::Repository);
    }
    if registry.len() + 1 + repository.len() > MAX_NAME_LEN {
        return Err(ReferenceError::TooLong);
    }
    Ok((registry, repository))
}

/// One repository path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
#[must_use]
pub fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__` or `-+`, always followed by an alphanumeric.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
#[must_use]
pub fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// A registry `host[:port]`: DNS labels (letters, digits, inner `-`) or a bracketed IPv6
/// address, and a port from 1 to 65535.
///
/// # Errors
/// Which part is wrong, quoting it raw.
pub fn valid_host(host: &str) -> Result<(), ReferenceError> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((addr, after)) = rest.split_once(']') else {
            return Err(ReferenceError::UnclosedIpv6);
        };
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(ReferenceError::Ipv6(addr.to_owned()));
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(ReferenceError::AfterIpv6)?),
        };
        (None, port)
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (Some(n), Some(p)),
            None => (Some(host), None),
        }
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
    };
    if let Some(name) = name.filter(|n| !n.split('.').all(label_ok)) {
        return Err(ReferenceError::Host(name.to_owned()));
    }
    if let Some(port) = port {
        let valid = (1..=5).contains(&port.len())
            && port.bytes().all(|x| x.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !valid {
            return Err(ReferenceError::Port(port.to_owned()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_name_tag_and_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        let cases: [(&str, &str, Option<&str>, Option<&str>); 6] = [
            ("ghcr.io/o/app:v1", "ghcr.io/o/app", Some("v1"), None),
            ("127.0.0.1:5000/app", "127.0.0.1:5000/app", None, None),
            ("localhost:5000", "localhost", Some("5000"), None),
            ("alpine", "alpine", None, None),
            ("app@sha256:x", "app", None, Some("sha256:x")),
            (
                "r:1/app:v1@sha256:x",
                "r:1/app",
                Some("v1"),
                Some("sha256:x"),
            ),
        ];
        for (input, name, tag, digest) in cases {
            assert_eq!(split(input), Split { name, tag, digest }, "{input}");
        }
        let full = format!("127.0.0.1:5000/app:v1@{d}");
        let s = split(&full);
        assert_eq!(
            (s.name, s.tag, s.digest),
            ("127.0.0.1:5000/app", Some("v1"), Some(d.as_str()))
        );
    }

    #[test]
    fn names_follow_docker_normalisation() {
        assert_eq!(
            split_name("alpine"),
            ("docker.io".into(), "library/alpine".into())
        );
        assert_eq!(
            split_name("user/app"),
            ("docker.io".into(), "user/app".into())
        );
        assert_eq!(
            split_name("localhost/app"),
            ("localhost".into(), "app".into())
        );
        assert_eq!(
            split_name("Index.Docker.io/app"),
            ("docker.io".into(), "library/app".into())
        );
        assert_eq!(
            normalize_registry("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(normalize_registry(" GHCR.io "), "ghcr.io");
    }

    #[test]
    fn errors_name_the_part_and_map_their_text() {
        assert_eq!(parse_name("a@sha256:0"), Err(ReferenceError::Digest));
        assert_eq!(
            parse_name("r.io:0/app"),
            Err(ReferenceError::Port("0".into()))
        );
        assert_eq!(parse_name("[::1/app"), Err(ReferenceError::UnclosedIpv6));
        assert_eq!(parse_name("ghcr.io/A"), Err(ReferenceError::Repository));
        let e = ReferenceError::Host("a\u{1b}b".into()).map_text(|s| s.replace('\u{1b}', "?"));
        assert_eq!(
            e.to_string(),
            "`a?b` is not a valid registry host (letters, digits, `-` and `.`)"
        );
    }
}
