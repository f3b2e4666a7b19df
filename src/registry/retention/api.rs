//! The HTTP client of a vendor's REST API that retention calls instead of (or beside) the
//! distribution API: Docker Hub's tag API ([`super::hub`]), Quay's ([`super::quay`]).
//!
//! One base URL per API (the vendor's, or its `HOIST_*_API_URL` override): https, or plain http
//! only to a loopback host (the test stubs), so a token never crosses the network in clear. No
//! redirect is followed (a bearer token must not follow one to another host); a next-page URL is
//! followed only on the base URL's origin ([`ApiClient::same_origin`]). Every exchange has the
//! request deadline of the [`RetryPolicy`] (headers and body), every body a size limit, and a
//! failed answer becomes a [`Failure`] the retry layer classifies (429 and 5xx retried,
//! `Retry-After` honoured). Error text is the vendor's `message`/`detail` field, inert and
//! short, never the request (which holds the token). Decides nothing.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url, header};
use serde_json::Value as Json;

use super::super::endpoint::{Deadline, read_body, transport};
use super::super::retry::{Failure, RetryPolicy, parse_retry_after, within};
use super::super::text;

/// The most of an error answer read for its message.
const MAX_ERROR_BYTES: u64 = 8 * 1024;

/// One vendor API.
pub struct ApiClient {
    /// The API's name in errors (`the Docker Hub API`).
    pub name: &'static str,
    base: Url,
    http: reqwest::Client,
    policy: RetryPolicy,
}

/// One answer: the status and the bounded body.
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body (at most the limit asked for).
    pub body: Vec<u8>,
}

/// Whether `url` may carry a token: https, or http to a loopback host.
fn safe_scheme(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(|h| {
            let ip = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost")
                || ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

impl ApiClient {
    /// The client of the API at `base` (`https://hub.docker.com`), trusting the system roots and
    /// `ca_pems` (input `registry-ca`).
    ///
    /// # Errors
    /// `base` is not an absolute https URL (or http to a loopback host), or a CA is unusable.
    pub fn new(
        name: &'static str,
        base: &str,
        variable: &str,
        ca_pems: &[(String, Vec<u8>)],
        policy: RetryPolicy,
    ) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let with_slash = if base.ends_with('/') {
            base.to_owned()
        } else {
            format!("{base}/")
        };
        let base = Url::parse(&with_slash)
            .map_err(|e| format!("`{variable}` (`{}`) is not a URL: {e}", text::inert(base)))?;
        if !safe_scheme(&base) || base.cannot_be_a_base() || !base.username().is_empty() {
            return Err(format!(
                "`{variable}` (`{}`) must be an https URL (plain http only to a loopback host), without credentials",
                text::inert(base.as_str())
            ));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30).min(policy.request_timeout))
            .redirect(reqwest::redirect::Policy::none());
        let mut certs = Vec::new();
        for (path, pem) in ca_pems {
            let bundle = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("input `registry-ca`: {path}: {e}"))?;
            certs.extend(bundle);
        }
        if !certs.is_empty() {
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Self {
            name,
            base,
            http,
            policy,
        })
    }

    /// The retry pacing and deadlines.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// `path` (relative, no leading `/`) on the base URL.
    ///
    /// # Errors
    /// The path does not make a URL.
    pub fn url(&self, path: &str) -> Result<Url, Failure> {
        self.base
            .join(path)
            .map_err(|e| Failure::Fatal(format!("bad URL path `{}`: {e}", text::inert(path))))
    }

    /// Whether `url` has the base URL's scheme, host and port (a next page may be followed).
    pub fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// One exchange: `method url` with the bearer token and JSON body, if any; the whole answer
    /// within the request deadline, its body at most `limit` bytes (`what` names it). Any
    /// 2xx, 401 and 404 come back as an [`Answer`] (the body of a 401 or 404 is not read);
    /// any other status is a [`Failure::Status`].
    ///
    /// # Errors
    /// No answer (transport, deadline), or a body over `limit`.
    pub async fn exchange(
        &self,
        method: Method,
        url: &Url,
        bearer: Option<&str>,
        json: Option<&Json>,
        limit: u64,
        what: &'static str,
    ) -> Result<Answer, Failure> {
        if !self.same_origin(url) {
            return Err(Failure::Fatal(format!(
                "{} refused a URL off its origin: `{}`",
                self.name,
                text::inert(url.as_str())
            )));
        }
        let mut req = self
            .http
            .request(method, url.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = json {
            req = req
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let limit_time = self.policy.request_timeout;
        let deadline = Instant::now() + limit_time;
        within(limit_time, self.name, async {
            let mut resp = req.send().await.map_err(|e| transport(&e))?;
            resp.extensions_mut().insert(Deadline(deadline));
            let status = resp.status();
            // 404 and 401 are answers the callers decide on, not failures to retry.
            if status == StatusCode::NOT_FOUND || status == StatusCode::UNAUTHORIZED {
                return Ok(Answer {
                    status,
                    body: Vec::new(),
                });
            }
            if !status.is_success() {
                return Err(self.failure(resp).await);
            }
            let body = read_body(resp, limit, what)
                .await
                .map_err(super::super::endpoint::BodyError::into_failure)?;
            Ok(Answer { status, body })
        })
        .await
    }

    /// A non-2xx answer as a [`Failure::Status`]: the vendor's `message`, `detail` or
    /// `error_message` (inert, at most 300 characters), and `Retry-After`.
    async fn failure(&self, resp: reqwest::Response) -> Failure {
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = read_body(resp, MAX_ERROR_BYTES, "error answer")
            .await
            .unwrap_or_default();
        Failure::Status {
            status,
            code: None,
            message: error_message(&body),
            retry_after,
        }
    }
}

/// The human message of a vendor's error body (`message`, `detail`, `error_message`), inert and
/// cut at 300 characters; empty when there is none.
pub fn error_message(body: &[u8]) -> String {
    let json: Json = serde_json::from_slice(body).unwrap_or(Json::Null);
    ["message", "detail", "error_message"]
        .iter()
        .find_map(|k| json.get(k).and_then(Json::as_str))
        .map(|m| text::inert(&m.chars().take(300).collect::<String>()))
        .unwrap_or_default()
}

/// `f` with `hint` added when it is a 403 (the token lacks a scope), unchanged otherwise.
pub fn with_forbidden_hint(f: Failure, hint: &str) -> Failure {
    match f {
        Failure::Status { status: 403, .. } => Failure::Fatal(format!("{f} (hint: {hint})")),
        f => f,
    }
}

/// A timestamp of a vendor's answer: RFC 3339 (`2021-01-05T21:06:53.506400Z`), unix seconds.
pub fn parse_rfc3339(v: Option<&Json>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(v?.as_str()?)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_travel_over_https_or_to_loopback_only() {
        let ok = |u: &str| ApiClient::new("x", u, "V", &[], RetryPolicy::default()).is_ok();
        assert!(ok("https://hub.docker.com"));
        assert!(ok("http://127.0.0.1:8080"));
        assert!(ok("http://localhost:1/"));
        assert!(ok("http://[::1]:9"));
        assert!(!ok("http://hub.docker.com"));
        assert!(!ok("http://10.0.0.1"));
        assert!(!ok("ftp://127.0.0.1"));
        assert!(!ok("https://user:pw@hub.docker.com"));
        assert!(!ok("not a url"));
        let e = ApiClient::new(
            "x",
            "http://example.com",
            "HOIST_X",
            &[],
            RetryPolicy::default(),
        )
        .err()
        .unwrap_or_default();
        assert!(e.contains("`HOIST_X`"), "{e}");
    }

    #[test]
    fn next_pages_stay_on_the_origin() {
        let api = ApiClient::new(
            "x",
            "https://hub.docker.com",
            "V",
            &[],
            RetryPolicy::default(),
        )
        .expect("valid");
        let same = Url::parse("https://hub.docker.com/v2/x?page=2").expect("url");
        let other = Url::parse("https://evil.example/v2/x?page=2").expect("url");
        let downgrade = Url::parse("http://hub.docker.com/v2/x?page=2").expect("url");
        assert!(api.same_origin(&same));
        assert!(!api.same_origin(&other));
        assert!(!api.same_origin(&downgrade));
    }

    #[test]
    fn a_403_says_which_scope_is_missing() {
        let forbidden = Failure::Status {
            status: 403,
            code: None,
            message: "insufficient scope".into(),
            retry_after: None,
        };
        assert_eq!(
            with_forbidden_hint(forbidden, "use a token with delete").to_string(),
            "HTTP 403: insufficient scope (hint: use a token with delete)"
        );
        let busy = Failure::Status {
            status: 503,
            code: None,
            message: String::new(),
            retry_after: None,
        };
        assert_eq!(with_forbidden_hint(busy.clone(), "x"), busy);
    }

    #[test]
    fn error_messages_are_short_and_inert() {
        assert_eq!(
            error_message(br#"{"message":"bad\u001b[0m"}"#),
            "bad\\x1b[0m"
        );
        assert_eq!(error_message(br#"{"detail":"nope"}"#), "nope");
        assert_eq!(error_message(b"<html>"), "");
        let long = format!(r#"{{"message":"{}"}}"#, "a".repeat(1000));
        assert_eq!(error_message(long.as_bytes()).len(), 300);
    }
}
