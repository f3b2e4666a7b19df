//! Credentials: what hoist authenticates with and which one a registry gets. Owns the
//! [`Credential`] type, the per-registry items ([`RegistryCredential`]), the precedence
//! (`registry-auth` → the GHCR default → the docker config's helpers, then `auths` →
//! anonymous), the docker config's `auths` parsing and the mask hook ([`Masker`]) every secret passes through before use, the
//! `WWW-Authenticate` challenges, the token fetch and per-scope cache, and the 401 loop every
//! request goes through ([`Endpoint::send`]). Knows nothing of where the items came from: the
//! edge converts the inputs into these types.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderValue};
use reqwest::{StatusCode, Url};

use super::endpoint::{BodyError, Deadline, Endpoint, read_body, status_failure, transport};
use super::normalize_registry;
use super::retry::{Failure, within};
use super::text;

/// The largest token response read (a JSON object with a token or two; real ones are a few KiB).
pub const MAX_TOKEN_BYTES: u64 = 64 * 1024;

/// The challenge a registry answered `GET /v2/` with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=...` (htpasswd, ECR).
    Basic,
    /// `Bearer realm=...,service=...`: the token server.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter.
        service: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header (one challenge; parameters in quotes or bare).
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let mut params = HashMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let Some((key, after)) = s.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (val, rest) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.insert(key, val.to_owned());
        s = rest.trim_start_matches([',', ' ']);
    }
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => Some(Challenge::Bearer {
            realm: params.remove("realm")?,
            service: params.remove("service"),
        }),
        _ => None,
    }
}

/// What an endpoint learnt: the challenge, and the bearer tokens per scope (the cache).
#[derive(Default)]
pub(super) struct AuthState {
    pub(super) challenge: Option<Challenge>,
    pub(super) tokens: HashMap<String, String>,
}

impl Endpoint {
    /// Fetches a bearer token for `scope` from the realm, with the credentials if any.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, Failure> {
        let mut url = Url::parse(realm)
            .map_err(|e| Failure::Fatal(format!("token realm `{realm}` is not a URL: {e}")))?;
        if self.credential.is_some() && url.scheme() == "http" && self.base.scheme() == "https" {
            return Err(Failure::Fatal(format!(
                "the registry names a plain-http token realm `{realm}`: credentials are not sent over http"
            )));
        }
        // An identity token is an OAuth 2 refresh token: the distribution token spec's POST
        // form (`docs/content/spec/auth/oauth.md`), scopes space-separated.
        let req = if let Some(c) = self.credential.as_ref().filter(|c| is_identity_token(c)) {
            // `application/x-www-form-urlencoded` is a URL query's encoding.
            let mut form = Url::parse("http://form.invalid/").expect("a valid URL");
            {
                let mut q = form.query_pairs_mut();
                q.append_pair("grant_type", "refresh_token")
                    .append_pair("client_id", "hoist")
                    .append_pair("refresh_token", &c.password)
                    .append_pair("scope", scope);
                if let Some(s) = service {
                    q.append_pair("service", s);
                }
            }
            self.http
                .post(url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.query().unwrap_or_default().to_owned())
        } else {
            {
                let mut q = url.query_pairs_mut();
                if let Some(s) = service {
                    q.append_pair("service", s);
                }
                // Several resource scopes go as repeated `scope` parameters (distribution
                // `docs/content/spec/auth/scope.md`).
                for s in scope.split(' ') {
                    q.append_pair("scope", s);
                }
            }
            let mut req = self.http.get(url);
            if let Some(c) = &self.credential {
                req = req.basic_auth(&c.username, Some(&c.password));
            }
            req
        };
        let resp = req.send().await.map_err(|e| transport(&e))?;
        if !resp.status().is_success() {
            return Err(status_failure(resp).await);
        }
        let bytes = read_body(resp, MAX_TOKEN_BYTES, "token response")
            .await
            .map_err(BodyError::into_failure)?;
        let body: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::Fatal(format!("the token response is not JSON: {e}")))?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Failure::Fatal("the token server returned no token".into()))?
            .to_owned();
        (self.mask)(&token);
        Ok(token)
    }

    /// Adds `Authorization` for `scope` when the request goes to this endpoint.
    async fn authorize(&self, req: &mut reqwest::Request, scope: &str) -> Result<(), Failure> {
        if !self.same_origin(req.url()) {
            return Ok(());
        }
        let mut state = self.auth.lock().await;
        let value = match state.challenge.clone() {
            None => return Ok(()),
            Some(Challenge::Basic) => match &self.credential {
                Some(c) => {
                    use base64::Engine as _;
                    let raw = format!("{}:{}", c.username, c.password);
                    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                    HeaderValue::from_str(&format!("Basic {encoded}")).ok()
                }
                None => None,
            },
            Some(Challenge::Bearer { realm, service }) => {
                let token = if let Some(t) = state.tokens.get(scope) {
                    t.clone()
                } else {
                    let t = self.fetch_token(&realm, service.as_deref(), scope).await?;
                    state.tokens.insert(scope.to_owned(), t.clone());
                    t
                };
                HeaderValue::from_str(&format!("Bearer {token}")).ok()
            }
        };
        if let Some(mut v) = value {
            v.set_sensitive(true);
            req.headers_mut().insert(header::AUTHORIZATION, v);
        }
        Ok(())
    }

    /// Sends a request built by `build` (called again for the retry, so a streamed body is
    /// reopened), authorised for `scope`. A 401 teaches the challenge or refreshes the token,
    /// once.
    pub(super) async fn send(
        &self,
        scope: &str,
        build: &(dyn Fn() -> Result<reqwest::Request, Failure> + Sync),
    ) -> Result<reqwest::Response, Failure> {
        self.send_within(scope, self.policy.request_timeout, build)
            .await
    }

    /// [`Self::send`] with its own deadline for each exchange (a blob upload's is scaled to
    /// its size). The deadline covers the request and the response headers here, and is set on
    /// the response ([`Deadline`]) for the body reads that follow.
    pub(super) async fn send_within(
        &self,
        scope: &str,
        limit: Duration,
        build: &(dyn Fn() -> Result<reqwest::Request, Failure> + Sync),
    ) -> Result<reqwest::Response, Failure> {
        let mut refreshed = false;
        loop {
            let mut req = build()?;
            let what = format!(
                "{} {} on `{}`",
                req.method(),
                req.url().path(),
                text::inert(&self.host)
            );
            // The token request (to the realm) gets a request deadline of its own.
            within(
                self.policy.request_timeout,
                &format!("the token for {what}"),
                self.authorize(&mut req, scope),
            )
            .await?;
            let permit = self.permit().await;
            let deadline = Instant::now() + limit;
            let mut resp = within(limit, &what, async {
                self.http.execute(req).await.map_err(|e| transport(&e))
            })
            .await?;
            drop(permit);
            resp.extensions_mut().insert(Deadline(deadline));
            if resp.status() != StatusCode::UNAUTHORIZED || refreshed {
                return Ok(resp);
            }
            refreshed = true;
            let challenge = resp
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_challenge);
            let mut state = self.auth.lock().await;
            match challenge {
                Some(Challenge::Basic) if self.credential.is_none() => {
                    drop(state);
                    return Ok(resp);
                }
                Some(c) => {
                    state.challenge = Some(c);
                    state.tokens.remove(scope);
                }
                None => {
                    drop(state);
                    return Ok(resp);
                }
            }
        }
    }
}

/// The user name docker gives a credential whose password is an identity token (a helper's
/// answer, a config's `identitytoken`).
pub const IDENTITY_TOKEN_USER: &str = "<token>";

/// The user name ACR's `az acr login --expose-token` gives with its refresh token.
pub const ACR_REFRESH_TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";

/// Whether the credential's password is an OAuth 2 refresh token to exchange at the token
/// endpoint (`grant_type=refresh_token`) rather than Basic credentials.
#[must_use]
pub fn is_identity_token(c: &Credential) -> bool {
    c.username == IDENTITY_TOKEN_USER || c.username == ACR_REFRESH_TOKEN_USER
}

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
    /// docker/login-action's `scope` path: the item applies only to this repository and the
    /// ones under it (`None`: the whole registry).
    pub scope: Option<String>,
}

impl std::fmt::Debug for RegistryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCredential")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The credential for a repository of a registry: explicit `registry-auth` first (the item
/// scoped most closely to the repository before an unscoped one), then the GHCR default
/// (`github.actor` + `github-token`), then the docker config (helpers, then `auths`), else
/// anonymous.
pub fn credential_for(
    registry: &str,
    repository: &str,
    explicit: &[RegistryCredential],
    ghcr_default: Option<&Credential>,
    docker_config: &[RegistryCredential],
) -> Option<Credential> {
    let in_scope = |c: &RegistryCredential| match c.scope.as_deref() {
        None => true,
        Some(s) => {
            s.is_empty()
                || repository == s
                || repository
                    .strip_prefix(s)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    };
    let find = |list: &[RegistryCredential]| {
        let here = |c: &&RegistryCredential| normalize_registry(&c.registry) == registry;
        list.iter()
            .filter(here)
            .filter(|c| c.scope.is_some() && in_scope(c))
            // The most specific scope wins; the first of equals.
            .min_by_key(|c| std::cmp::Reverse(c.scope.as_ref().map_or(0, String::len)))
            .or_else(|| list.iter().filter(here).find(|c| c.scope.is_none()))
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
/// `username`/`password`). Credential helpers (`credsStore`, `credHelpers`) are read and run by
/// [`super::auth_config`].
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
            // docker uses an identity token in place of the password when there is one.
            _ if field("identitytoken").is_some() => {
                field("identitytoken").map(|t| (IDENTITY_TOKEN_USER.to_owned(), t.to_owned()))
            }
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
                scope: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge("bearer realm=https://x/token, service=x"),
            Some(Challenge::Bearer {
                realm: "https://x/token".into(),
                service: Some("x".into())
            })
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn credentials_follow_precedence() {
        let explicit = vec![RegistryCredential {
            registry: "https://index.docker.io/v1/".into(),
            username: "hub".into(),
            password: "p".into(),
            scope: None,
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
            credential_for("docker.io", "a/b", &explicit, Some(&ghcr), &config).map(|c| c.username),
            Some("hub".into())
        );
        assert_eq!(
            credential_for("ghcr.io", "a/b", &explicit, Some(&ghcr), &config).map(|c| c.username),
            Some("actor".into())
        );
        assert_eq!(
            credential_for("ghcr.io", "a/b", &explicit, None, &config).map(|c| c.username),
            Some("cfg".into())
        );
        let quay =
            credential_for("quay.io", "a/b", &explicit, Some(&ghcr), &config).expect("from config");
        assert_eq!(
            (quay.username.as_str(), quay.password.as_str()),
            ("quser", "qpass")
        );
        assert!(credential_for("example.com", "a/b", &explicit, Some(&ghcr), &config).is_none());
    }

    #[test]
    fn a_scoped_item_applies_to_its_repository_and_below_before_an_unscoped_one() {
        let item = |user: &str, scope: Option<&str>| RegistryCredential {
            registry: "docker.io".into(),
            username: user.into(),
            password: "p".into(),
            scope: scope.map(str::to_owned),
        };
        let explicit = vec![
            item("any", None),
            item("org", Some("org")),
            item("app", Some("org/app")),
        ];
        let user = |repo: &str| {
            credential_for("docker.io", repo, &explicit, None, &[]).map(|c| c.username)
        };
        assert_eq!(user("org/other").as_deref(), Some("org"));
        assert_eq!(user("org/app").as_deref(), Some("app"));
        assert_eq!(user("orgx/app").as_deref(), Some("any"));
        assert_eq!(user("library/alpine").as_deref(), Some("any"));
        let only_scoped = vec![item("app", Some("org/app"))];
        assert!(credential_for("docker.io", "org/apps", &only_scoped, None, &[]).is_none());
        assert_eq!(
            credential_for("docker.io", "org/app/sub", &only_scoped, None, &[])
                .map(|c| c.username)
                .as_deref(),
            Some("app")
        );
    }
}
