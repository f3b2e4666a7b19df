//! The GitHub REST API, through octocrab: the two reads metadata-action makes
//! (`GET /repos/{owner}/{repo}` and `GET /repos/{owner}/{repo}/commits/{ref}`), against
//! `GITHUB_API_URL`. Octocrab's types stay inside this module.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, Octocrab, OctocrabBuilder};
use tower_http::follow_redirect::FollowRedirectLayer;

/// How long one API request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
use serde_json::Value as Json;

use crate::meta::RepoInfo;

/// An API call that failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The client could not be built (bad base URL).
    #[error("GitHub API client for `{url}`: {reason}")]
    Client {
        /// The base URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The request failed or GitHub answered an error.
    #[error("GET {path}: {reason}")]
    Request {
        /// The path requested.
        path: String,
        /// GitHub's message or the transport error.
        reason: String,
    },
}

/// A GitHub API client.
pub struct GitHubApi {
    client: Octocrab,
}

/// Percent-encodes one path segment.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn describe(e: &octocrab::Error) -> String {
    match e {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} ({})", source.message, source.status_code)
        }
        other => {
            // The chain of causes, on one line.
            let mut msg = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(c) = cause {
                let text = c.to_string();
                if !msg.contains(&text) {
                    msg.push_str(": ");
                    msg.push_str(&text);
                }
                cause = c.source();
            }
            msg
        }
    }
}

/// The roots for https: `SSL_CERT_FILE` when set, else the distribution bundle (the one file the
/// container image ships), else the platform's store. Read only for https base URLs, so a plain
/// http API (a local stub, a test) costs no certificate parsing at start-up.
fn root_store(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    let bundle = ca_file
        .map(Path::to_path_buf)
        .or_else(|| Some(PathBuf::from(DISTRIBUTION_BUNDLE)).filter(|p| p.is_file()));
    if let Some(file) = bundle {
        let certs = CertificateDer::pem_file_iter(&file)
            .map_err(|e| format!("cannot read CA bundle {}: {e}", file.display()))?;
        for cert in certs.flatten() {
            // A certificate rustls cannot use is skipped, as every TLS client does.
            let _ = roots.add(cert);
        }
    } else {
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
    }
    Ok(roots)
}

const DISTRIBUTION_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

impl GitHubApi {
    /// A client for `base_url` (default `https://api.github.com`), authenticated when a token is
    /// given; `ca_file` is `SSL_CERT_FILE`.
    pub fn new(
        base_url: &str,
        token: Option<&str>,
        ca_file: Option<&Path>,
    ) -> Result<Self, ApiError> {
        let client_err = |reason: String| ApiError::Client {
            url: base_url.to_owned(),
            reason,
        };
        let uri: http::Uri = base_url
            .parse()
            .map_err(|e: http::uri::InvalidUri| client_err(e.to_string()))?;
        let roots = if uri.scheme_str() == Some("https") {
            root_store(ca_file).map_err(client_err)?
        } else {
            rustls::RootCertStore::empty()
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| client_err(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client =
            hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
        let mut headers = vec![(
            http::header::USER_AGENT,
            HeaderValue::from_static(concat!("hoist/", env!("CARGO_PKG_VERSION"))),
        )];
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            let mut value = HeaderValue::from_str(&format!("token {t}"))
                .map_err(|_| client_err("the token is not a valid header value".to_owned()))?;
            value.set_sensitive(true);
            headers.push((http::header::AUTHORIZATION, value));
        }
        let client = OctocrabBuilder::new_empty()
            .with_service(client)
            // Renamed repositories answer 301; credentials are not sent to another origin.
            .with_layer(&FollowRedirectLayer::new())
            .with_layer(&BaseUriLayer::new(uri))
            .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
            .with_auth(AuthState::None)
            .build()
            .map_err(|e| client_err(e.to_string()))?;
        Ok(Self { client })
    }

    async fn get(&self, path: String) -> Result<Json, ApiError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.client.get::<Json, _, ()>(&path, None))
            .await
        {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(e)) => Err(ApiError::Request {
                reason: describe(&e),
                path,
            }),
            Err(_) => Err(ApiError::Request {
                reason: format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()),
                path,
            }),
        }
    }

    /// `GET /repos/{owner}/{repo}`: the fields metadata-action uses.
    pub async fn fetch_repo(&self, owner: &str, repo: &str) -> Result<RepoInfo, ApiError> {
        let body = self
            .get(format!("/repos/{}/{}", segment(owner), segment(repo)))
            .await?;
        Ok(repo_info(&body))
    }

    /// `GET /repos/{owner}/{repo}/commits/{ref}`: `commit.committer.date` when there is one.
    pub async fn fetch_commit_date(
        &self,
        owner: &str,
        repo: &str,
        git_ref: &str,
    ) -> Result<Option<Json>, ApiError> {
        let body = self
            .get(format!(
                "/repos/{}/{}/commits/{}",
                segment(owner),
                segment(repo),
                segment(git_ref)
            ))
            .await?;
        Ok(body
            .get("commit")
            .and_then(|c| c.get("committer"))
            .and_then(|c| c.get("date"))
            .filter(|d| !d.is_null())
            .cloned())
    }
}

/// One raw answer of [`GitHubApi::send`]: what the Packages client (`super::packages`) reads.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Link` header, when sent (pagination).
    pub link: Option<String>,
    /// `Retry-After` in seconds, when sent as delta-seconds (secondary rate limits).
    pub retry_after: Option<u64>,
    /// The body, at most the `max_body` asked for.
    pub body: Vec<u8>,
}

impl GitHubApi {
    /// `GET` or `DELETE` `path_and_query` (relative to the base URL, so the token never leaves
    /// its origin) without interpreting the status; the body read up to `max_body` bytes, the
    /// whole exchange within the request timeout.
    ///
    /// # Errors
    /// No answer in time, a transport error, or a body over `max_body` (the text says which).
    pub async fn send(
        &self,
        method: &http::Method,
        path_and_query: &str,
        max_body: usize,
    ) -> Result<RawResponse, String> {
        use http_body_util::BodyExt as _;
        if !path_and_query.starts_with('/') {
            return Err(format!("`{path_and_query}` is not a path"));
        }
        let exchange = async {
            let resp = if method == http::Method::DELETE {
                self.client._delete(path_and_query, None::<&()>).await
            } else {
                self.client._get(path_and_query).await
            }
            .map_err(|e| describe(&e))?;
            let header = |name: http::header::HeaderName| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let status = resp.status().as_u16();
            let link = header(http::header::LINK);
            let retry_after = header(http::header::RETRY_AFTER).and_then(|v| v.trim().parse().ok());
            let body = http_body_util::Limited::new(resp.into_body(), max_body)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        format!("the answer is over {max_body} bytes")
                    } else {
                        e.to_string()
                    }
                })?
                .to_bytes()
                .to_vec();
            Ok(RawResponse {
                status,
                link,
                retry_after,
                body,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {}s", REQUEST_TIMEOUT.as_secs())))
    }
}

/// A JS `x || ''` over a JSON field, as a string (non-strings rendered the JS way).
fn text(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::Null | Json::Bool(false) => None,
        Json::String(s) if s.is_empty() => None,
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(
            n.as_f64()
                .map_or_else(|| n.to_string(), crate::js::jsnum::js_number_to_string),
        )
        .filter(|s| s != "0" && s != "NaN"),
        Json::Bool(true) => Some("true".to_owned()),
        Json::Array(_) | Json::Object(_) => Some("[object Object]".to_owned()),
    }
}

/// The repository fields, from the API body.
pub fn repo_info(body: &Json) -> RepoInfo {
    RepoInfo {
        name: text(body.get("name")),
        description: text(body.get("description")),
        html_url: text(body.get("html_url")),
        license: text(body.get("license").and_then(|l| l.get("spdx_id"))),
        default_branch: match body.get("default_branch") {
            Some(Json::String(s)) => Some(s.clone()),
            _ => None,
        },
    }
}
