//! One registry host as hoist speaks to it: the HTTP client (TLS roots, plain http only when
//! the host is listed in `insecure-registries`), its credentials, the auth challenge it sent,
//! bearer tokens per scope, and the distribution-protocol calls hoist needs (ping, token,
//! blob HEAD, streamed upload: monolithic, chunked or resumed, manifest HEAD/PUT reading
//! `Docker-Content-Digest`).
//!
//! Credentials are attached only to requests whose scheme, host and port are this endpoint's
//! (a `Location` or token realm elsewhere gets none); every token is handed to the mask
//! callback before use. No request follows an https → http downgrade (redirect or upload
//! `Location`). Every request has a total deadline (headers and body, see
//! [`RetryPolicy`]); error bodies are read within what is left of it. Registry text is made
//! inert ([`super::text`]) as it is read. Must not decide what to push or print anything.

use std::time::{Duration, Instant};

use reqwest::header;
use reqwest::{Method, StatusCode, Url};
use tokio_util::io::ReaderStream;

use super::retry::{Failure, RetryPolicy, TlsFailure, human, parse_retry_after, within};
use super::text;
use crate::plan::{self, BlobReader, Digest, Manifest};

use super::auth::AuthState;
pub use super::auth::{Challenge, Credential, MAX_TOKEN_BYTES, Masker, parse_challenge};

/// One registry host.
pub struct Endpoint {
    /// `host[:port]` as used in URLs.
    pub host: String,
    pub(super) base: Url,
    pub(super) http: reqwest::Client,
    pub(super) policy: RetryPolicy,
    pub(super) credential: Option<Credential>,
    pub(super) auth: tokio::sync::Mutex<AuthState>,
    pub(super) mask: Masker,
    /// Input `chunk-size`: upload blobs in `PATCH` chunks of this many bytes (`None`: one
    /// monolithic `PUT`).
    pub(super) chunk_size: Option<u64>,
    /// Requests in flight on this host, across every target that shares it
    /// ([`MAX_IN_FLIGHT_PER_HOST`] permits; see [`Self::permit`]).
    pub(super) in_flight: tokio::sync::Semaphore,
}

/// The most requests in flight on one host at once, every target on it together: one
/// target's blob uploads and HEADs (3 + 8) and a little more, so that targets sharing a host
/// queue behind each other instead of opening a connection each. It is also the most idle
/// connections kept per host, so a connection is reused rather than reopened.
pub const MAX_IN_FLIGHT_PER_HOST: usize = 16;

/// How long an idle connection is kept for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Every manifest media type hoist accepts when reading a tag.
pub(super) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// The cause chain of an error on one line.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// A request that could not be built (a bad header value): not retried.
fn built_error(e: &reqwest::Error) -> Failure {
    Failure::Fatal(chain(e))
}

pub(super) fn transport(e: &reqwest::Error) -> Failure {
    // An untrusted certificate or a TLS handshake with a plain-http server does not heal.
    let tls = tls_failure(e);
    Failure::Transport {
        transient: !e.is_builder() && !e.is_redirect() && tls.is_none(),
        message: chain(e),
        tls,
    }
}

/// The TLS error in `e`'s cause chain that a retry will not heal (a certificate the roots do
/// not trust, a peer that does not speak TLS), found by type: rustls reports through
/// `std::io::Error`s wrapping a `rustls::Error`.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    let lasting = |r: &rustls::Error| match r {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            Some(TlsFailure::Untrusted)
        }
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            Some(TlsFailure::NotTls)
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::PeerIncompatible(_) => {
            Some(TlsFailure::Other)
        }
        _ => None,
    };
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return lasting(r);
        }
        // An `io::Error`'s `source()` skips the error it wraps: descend into it instead (the
        // TLS error sits inside one or two of them).
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// The deadline of a request's whole exchange, set by [`Endpoint::send`] on its response so
/// that later body reads stop in time.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Instant);

/// The time left to read `resp`'s body: until its [`Deadline`], or a minute when unset.
pub fn time_left(resp: &reqwest::Response) -> Duration {
    resp.extensions()
        .get::<Deadline>()
        .map_or(Duration::from_secs(60), |d| {
            d.0.saturating_duration_since(Instant::now())
        })
}

/// The most read of an error response's body.
const MAX_ERROR_BODY: usize = 8192;

/// Turns an unexpected response into a [`Failure`], reading at most 8 KiB of the body, and
/// only until the request's deadline (a trickled body is cut, not waited for).
pub(super) async fn status_failure(resp: reqwest::Response) -> Failure {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let mut body = Vec::new();
    let mut resp = resp;
    // What arrived before the cut, the deadline or an error is kept: it is only for the message.
    let _ = read_up_to(&mut resp, &mut body, MAX_ERROR_BODY).await;
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let first = json
        .as_ref()
        .and_then(|j| j.get("errors"))
        .and_then(|e| e.get(0));
    let code = first
        .and_then(|e| e.get("code"))
        .and_then(|c| c.as_str())
        .map(|c| text::inert(&c.chars().take(64).collect::<String>()));
    let message = match first
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
    {
        Some(m) => text::inert(&m.chars().take(500).collect::<String>()),
        None => text::inert_bytes(&body[..body.len().min(200)])
            .trim()
            .to_owned(),
    };
    Failure::Status {
        status,
        code,
        message,
        retry_after,
    }
}

/// Why an endpoint cannot be set up (before any request).
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The host does not make a URL.
    #[error("`{host}` is not a valid registry host: {cause}")]
    Host {
        /// The host (inert).
        host: String,
        /// The URL parser's words.
        cause: String,
    },
    /// A `registry-ca` file that is not a PEM bundle.
    #[error("input `registry-ca`: {path}: {cause}")]
    Ca {
        /// The file.
        path: String,
        /// The parser's words.
        cause: String,
    },
    /// A `registry-ca` file without a certificate.
    #[error("input `registry-ca`: {path} holds no PEM certificate")]
    NoCertificate {
        /// The file.
        path: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// How an endpoint is reached.
#[derive(Clone, Debug, Default)]
pub struct EndpointConfig {
    /// Speak plain http (only for hosts listed in `insecure-registries`).
    pub insecure: bool,
    /// Extra CA certificates (PEM bundles), with the file they came from.
    pub ca_pems: Vec<(String, Vec<u8>)>,
    /// Request deadlines (and the retry pacing the caller uses).
    pub policy: RetryPolicy,
    /// Input `chunk-size`: blob uploads in `PATCH` chunks of this many bytes (`None`: one
    /// monolithic `PUT`).
    pub chunk_size: Option<u64>,
}

impl Endpoint {
    /// Builds the endpoint for `host` (`host[:port]`).
    pub fn new(
        host: &str,
        config: &EndpointConfig,
        credential: Option<Credential>,
        mask: Masker,
    ) -> Result<Self, EndpointError> {
        // rustls needs a process-wide crypto provider; ring keeps the build free of C toolchains.
        // A second install (another endpoint) fails harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let scheme = if config.insecure { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{host}/")).map_err(|e| EndpointError::Host {
            host: text::inert(host),
            cause: e.to_string(),
        })?;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
            // Connections are reused: at most as many kept idle as may be in flight.
            .pool_max_idle_per_host(MAX_IN_FLIGHT_PER_HOST)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .connect_timeout(Duration::from_secs(30).min(config.policy.request_timeout))
            // No client-wide read timeout: it would also fire while a large upload is still
            // being written. Each exchange has its own deadline instead (`send_within`); a
            // body read after it is bounded by its reader (`time_left`, input `timeout`).
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt.url().scheme() == "http"
                    && attempt
                        .previous()
                        .last()
                        .is_some_and(|u| u.scheme() == "https");
                if downgrade {
                    let to = text::inert(attempt.url().as_str());
                    attempt.error(format!(
                        "refused a redirect from https to plain http (`{to}`)"
                    ))
                } else if attempt.previous().len() >= 10 {
                    attempt.error("more than 10 redirects")
                } else {
                    attempt.follow()
                }
            }));
        let mut certs = Vec::new();
        for (path, pem) in &config.ca_pems {
            let bundle =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| EndpointError::Ca {
                    path: path.clone(),
                    cause: chain(&e),
                })?;
            if bundle.is_empty() {
                return Err(EndpointError::NoCertificate { path: path.clone() });
            }
            certs.extend(bundle);
        }
        if !certs.is_empty() {
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| EndpointError::Client(chain(&e)))?;
        if let Some(c) = &credential {
            mask(&c.password);
        }
        Ok(Self {
            host: host.to_owned(),
            base,
            http,
            policy: config.policy,
            credential,
            auth: tokio::sync::Mutex::new(AuthState::default()),
            mask,
            chunk_size: config.chunk_size.filter(|&n| n > 0),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT_PER_HOST),
        })
    }

    /// A place among the requests in flight on this host, held while one request is sent
    /// and its response headers awaited (a body read afterwards is not counted: the permit is
    /// never held across another request, so requests that nest cannot deadlock). The wait
    /// is bounded by the requests ahead, each under its own deadline.
    pub(super) async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed; were it, requests would go unbounded rather than fail.
        self.in_flight.acquire().await.ok()
    }

    /// Whether this endpoint has credentials.
    pub fn has_credential(&self) -> bool {
        self.credential.is_some()
    }

    pub(super) fn url(&self, path: &str) -> Result<Url, Failure> {
        self.base
            .join(path)
            .map_err(|e| Failure::Fatal(format!("bad URL path `{path}`: {e}")))
    }

    pub(super) fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.http.request(method, url)
    }

    /// The one request helper: `method url`, with what `with` adds (headers, a body), sent
    /// through [`Self::send`] (authorised for `scope`, the 401 loop, the request deadline).
    pub(super) async fn call(
        &self,
        scope: &str,
        method: Method,
        url: &Url,
        with: &(dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Sync),
    ) -> Result<reqwest::Response, Failure> {
        self.send(scope, &|| {
            with(self.request(method.clone(), url.clone()))
                .build()
                .map_err(|e| built_error(&e))
        })
        .await
    }

    /// The credential preflight for `repo`: learns the challenge, gets a push token (or checks
    /// Basic credentials), then opens an upload session and cancels it, proving push access.
    pub async fn preflight(&self, repo: &str) -> Result<(), Failure> {
        let ping = self.url("v2/")?;
        let limit = self.policy.request_timeout;
        let deadline = Instant::now() + limit;
        let what = format!("GET /v2/ on `{}`", text::inert(&self.host));
        let permit = self.permit().await;
        let mut resp = within(limit, &what, async {
            self.http
                .get(ping.clone())
                .send()
                .await
                .map_err(|e| transport(&e))
        })
        .await?;
        drop(permit);
        resp.extensions_mut().insert(Deadline(deadline));
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = resp
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_challenge);
            match challenge {
                Some(c) => self.auth.lock().await.challenge = Some(c),
                None => return Err(status_failure(resp).await),
            }
            if self.credential.is_none() {
                return Err(Failure::Status {
                    status: 401,
                    code: Some("UNAUTHORIZED".into()),
                    message: "the registry requires credentials and none were given".into(),
                    retry_after: None,
                });
            }
            // Validate the credentials now, not at the first HEAD.
            let check = self
                .call(&push_scope(repo), Method::GET, &ping, &|r| r)
                .await?;
            if !check.status().is_success() {
                return Err(status_failure(check).await);
            }
        } else if !status.is_success() {
            return Err(status_failure(resp).await);
        }
        // Push access: open an upload session, then cancel it (best effort).
        let resp = self.open_upload(repo).await?;
        if let Some(loc) = self.location(&resp)? {
            self.cancel_upload(repo, loc).await;
        }
        Ok(())
    }

    /// `POST /v2/<repo>/blobs/uploads/`: opens an upload session (202).
    async fn open_upload(&self, repo: &str) -> Result<reqwest::Response, Failure> {
        let start = self.url(&format!("v2/{repo}/blobs/uploads/"))?;
        let resp = self
            .call(&push_scope(repo), Method::POST, &start, &|r| {
                r.header(header::CONTENT_LENGTH, "0")
            })
            .await?;
        if resp.status() != StatusCode::ACCEPTED && !resp.status().is_success() {
            return Err(status_failure(resp).await);
        }
        Ok(resp)
    }

    /// The upload `Location` of `resp`, resolved against the request URL; a downgrade from
    /// https to plain http is refused (the blob would travel in clear text).
    fn location(&self, resp: &reqwest::Response) -> Result<Option<Url>, Failure> {
        let Some(loc) = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(None);
        };
        let Ok(url) = resp.url().join(loc) else {
            return Ok(None);
        };
        if url.scheme() != "https" && resp.url().scheme() == "https" {
            return Err(Failure::Fatal(format!(
                "`{}` answered with an upload `Location` on plain {} (`{}`): refused, the blob would travel in clear text (hint: fix the registry's external URL, e.g. distribution's `http.host`, or its proxy headers)",
                text::inert(&self.host),
                text::inert(url.scheme()),
                text::inert(url.as_str())
            )));
        }
        Ok(Some(url))
    }

    async fn cancel_upload(&self, repo: &str, url: Url) {
        let _ = self
            .call(&push_scope(repo), Method::DELETE, &url, &|r| r)
            .await;
    }

    /// `HEAD /v2/<repo>/blobs/<digest>`: whether the registry has the blob.
    pub async fn blob_exists(&self, repo: &str, digest: &Digest) -> Result<bool, Failure> {
        let url = self.url(&format!("v2/{repo}/blobs/{digest}"))?;
        let resp = self
            .call(&push_scope(repo), Method::HEAD, &url, &|r| r)
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_failure(resp).await),
        }
    }

    /// Uploads one blob: `POST` an upload session, then one `PUT` streaming the blob from the
    /// source with its `Content-Length` (monolithic; never the whole blob in memory), or, with
    /// `chunk-size`, `PATCH` chunks then a final `PUT ?digest=`. `session` carries the upload
    /// URL from one attempt to the next: when an attempt was cut by the transport, the next one
    /// asks the registry how much it holds and resumes from there ([`super::resume`]).
    pub async fn upload_blob(
        &self,
        repo: &str,
        blob: &plan::Blob,
        reader: &dyn BlobReader,
        session: &super::resume::UploadSession,
    ) -> Result<(), Failure> {
        let mut resumed = match session.take() {
            Some(url) => self.upload_status(repo, url, blob.size).await,
            None => None,
        };
        // At most two passes: a resumed one the registry refuses with 416, then a fresh one.
        loop {
            let (url, offset) = if let Some(at) = resumed.take() {
                at
            } else {
                let resp = self.open_upload(repo).await?;
                let Some(url) = self.location(&resp)? else {
                    return Err(Failure::Fatal(
                        "the registry opened an upload session without a `Location`".into(),
                    ));
                };
                (url, 0)
            };
            let cursor = super::resume::Cursor::default();
            let source = (reader, &cursor);
            let result = if offset == 0 && self.chunk_size.is_none() {
                self.put_blob(repo, blob, source, url.clone(), 0).await
            } else {
                self.patch_blob(repo, blob, source, url.clone(), offset, session)
                    .await
            };
            let Err((f, at)) = result else {
                return Ok(());
            };
            let mut at = at.unwrap_or(url);
            if matches!(f, Failure::Transport { .. }) {
                // The next attempt asks the registry what it holds of this session.
                session.set(at);
                return Err(f);
            }
            at.set_query(None);
            self.cancel_upload(repo, at).await;
            if offset == 0 || !matches!(f, Failure::Status { status: 416, .. }) {
                return Err(f);
            }
            // The registry refused the offset it acknowledged: start over, as without resumes.
            session.take();
        }
    }

    /// `GET` on an upload URL: the offset the registry acknowledges (`Range: 0-<last>`) and the
    /// URL to go on with; `None` (a fresh session follows) when the session is gone, the
    /// registry sent no usable `Range`, acknowledged nothing, or anything else went wrong.
    async fn upload_status(&self, repo: &str, url: Url, size: u64) -> Option<(Url, u64)> {
        let resp = self
            .call(&push_scope(repo), Method::GET, &url, &|r| r)
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let offset = resp
            .headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(super::resume::parse_range)?;
        // Nothing acknowledged: a fresh session, exactly as without resumes (a session whose
        // cut request is still being taken in could move past `0-0` under us).
        if offset == 0 || offset > size {
            return None;
        }
        let next = self.location(&resp).ok().flatten().unwrap_or(url);
        Some((next, offset))
    }

    /// The final `PUT ?digest=` of an upload session at `url`, streaming the blob from
    /// `offset` (a monolithic upload when 0; empty when the `PATCH`es sent everything).
    async fn put_blob(
        &self,
        repo: &str,
        blob: &plan::Blob,
        source: Source<'_>,
        url: Url,
        offset: u64,
    ) -> Result<(), (Failure, Option<Url>)> {
        let mut put_url = url.clone();
        put_url
            .query_pairs_mut()
            .append_pair("digest", blob.digest.as_str());
        let len = blob.size - offset;
        let resp = self
            .send_within(&push_scope(repo), self.policy.upload_timeout(len), &|| {
                let req = self
                    .request(Method::PUT, put_url.clone())
                    .header(header::CONTENT_LENGTH, len.to_string())
                    .header(header::CONTENT_TYPE, "application/octet-stream");
                let req = if len == 0 {
                    req
                } else {
                    req.body(window_body(source, &blob.digest, offset, len)?)
                };
                req.build().map_err(|e| built_error(&e))
            })
            .await
            .map_err(|f| (f, Some(url.clone())))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err((status_failure(resp).await, Some(url)))
        }
    }

    /// `PATCH`es the blob from `offset` in chunks of `chunk-size` (one chunk for the rest when
    /// unset), each with its `Content-Range`, following each answer's `Location`; then the
    /// final empty `PUT`. The URL in use is kept in `session` for a resume.
    async fn patch_blob(
        &self,
        repo: &str,
        blob: &plan::Blob,
        source: Source<'_>,
        mut url: Url,
        mut offset: u64,
        session: &super::resume::UploadSession,
    ) -> Result<(), (Failure, Option<Url>)> {
        while offset < blob.size {
            let len = self
                .chunk_size
                .map_or(blob.size - offset, |c| c.min(blob.size - offset));
            let range = format!("{}-{}", offset, offset + len - 1);
            let resp = self
                .send_within(&push_scope(repo), self.policy.upload_timeout(len), &|| {
                    self.request(Method::PATCH, url.clone())
                        .header(header::CONTENT_LENGTH, len.to_string())
                        .header(header::CONTENT_RANGE, range.as_str())
                        .header(header::CONTENT_TYPE, "application/octet-stream")
                        .body(window_body(source, &blob.digest, offset, len)?)
                        .build()
                        .map_err(|e| built_error(&e))
                })
                .await
                .map_err(|f| (f, Some(url.clone())))?;
            if !resp.status().is_success() {
                return Err((status_failure(resp).await, Some(url)));
            }
            if let Some(next) = self.location(&resp).map_err(|f| (f, Some(url.clone())))? {
                url = next;
            }
            session.set(url.clone());
            offset += len;
        }
        session.take();
        self.put_blob(repo, blob, source, url, blob.size).await
    }

    /// Cross-repository mount (`POST ...?mount=<digest>&from=<repo>`), with a token covering
    /// both repositories. True when mounted (201); anything else (a 202 session is cancelled)
    /// is false, and the caller uploads instead.
    pub async fn mount_blob(&self, repo: &str, from: &str, digest: &Digest) -> bool {
        let Ok(mut url) = self.url(&format!("v2/{repo}/blobs/uploads/")) else {
            return false;
        };
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from);
        let scope = format!("{} repository:{from}:pull", push_scope(repo));
        let Ok(resp) = self
            .call(&scope, Method::POST, &url, &|r| {
                r.header(header::CONTENT_LENGTH, "0")
            })
            .await
        else {
            return false;
        };
        if resp.status() == StatusCode::CREATED {
            return true;
        }
        if let (StatusCode::ACCEPTED, Ok(Some(loc))) = (resp.status(), self.location(&resp)) {
            self.cancel_upload(repo, loc).await;
        }
        false
    }

    /// The digest a manifest reference (tag or digest) points at; `None` when absent.
    pub async fn manifest_digest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Option<Digest>, Failure> {
        let url = self.url(&format!("v2/{repo}/manifests/{reference}"))?;
        let resp = self
            .call(&push_scope(repo), Method::HEAD, &url, &|r| {
                r.header(header::ACCEPT, MANIFEST_ACCEPT)
            })
            .await?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let header = resp
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| Digest::parse(v).ok());
                if header.is_some() {
                    return Ok(header);
                }
                // No digest header: hash the body (bounded).
                let resp = self
                    .call(&push_scope(repo), Method::GET, &url, &|r| {
                        r.header(header::ACCEPT, MANIFEST_ACCEPT)
                    })
                    .await?;
                if !resp.status().is_success() {
                    return Err(status_failure(resp).await);
                }
                let body = read_body(resp, plan::MAX_MANIFEST_BYTES, "manifest")
                    .await
                    .map_err(BodyError::into_failure)?;
                Ok(Some(Digest::of(&body)))
            }
            _ => Err(status_failure(resp).await),
        }
    }

    /// `PUT /v2/<repo>/manifests/<reference>` with the exact bytes and `Content-Type` =
    /// media type; checks `Docker-Content-Digest` when the registry returns it.
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        manifest: &Manifest,
    ) -> Result<(), Failure> {
        let url = self.url(&format!("v2/{repo}/manifests/{reference}"))?;
        let resp = self
            .call(&push_scope(repo), Method::PUT, &url, &|r| {
                r.header(header::CONTENT_TYPE, manifest.media_type.as_str())
                    .body(manifest.bytes.clone())
            })
            .await?;
        if !resp.status().is_success() {
            return Err(status_failure(resp).await);
        }
        if let Some(got) = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .filter(|got| *got != manifest.digest.as_str())
        {
            return Err(Failure::Fatal(format!(
                "the registry stored the manifest as {got}, expected {}",
                manifest.digest
            )));
        }
        Ok(())
    }
}

/// Why a bounded body read failed.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is longer than its purpose allows.
    #[error("the {what} is larger than the {limit}-byte limit")]
    TooLarge {
        /// What the body is (`token response`, `manifest`).
        what: &'static str,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The body did not end before the request's deadline.
    #[error("the {what} got no complete answer within {}", human(*.limit))]
    Deadline {
        /// What the body is.
        what: &'static str,
        /// The time the read had.
        limit: Duration,
    },
    /// The connection failed while reading.
    #[error("reading the {what}: {cause}")]
    Transport {
        /// What the body is.
        what: &'static str,
        /// The cause chain.
        cause: String,
    },
}

impl BodyError {
    /// As a [`Failure`]: an oversized body is not retried, a broken connection is.
    pub fn into_failure(self) -> Failure {
        match self {
            Self::TooLarge { .. } => Failure::Fatal(self.to_string()),
            Self::Transport { .. } | Self::Deadline { .. } => Failure::Transport {
                transient: true,
                message: self.to_string(),
                tls: None,
            },
        }
    }
}

/// Why [`read_up_to`] stopped before the end of the body.
enum Cut {
    /// The connection failed.
    Transport(reqwest::Error),
    /// The response's deadline passed (the time it had).
    Deadline(Duration),
}

/// The one bounded body reader: appends `resp`'s body to `buf` until it ends (`Ok(true)`) or
/// until it would grow past `limit` bytes (`Ok(false)`, `buf` then holds exactly `limit`
/// bytes), within what is left of the request's deadline ([`time_left`]). On an error or the
/// deadline `buf` keeps what arrived.
async fn read_up_to(
    resp: &mut reqwest::Response,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Result<bool, Cut> {
    let left = time_left(resp);
    let read = async {
        while let Some(chunk) = resp.chunk().await.map_err(Cut::Transport)? {
            let room = limit.saturating_sub(buf.len());
            if chunk.len() > room {
                buf.extend_from_slice(&chunk[..room]);
                return Ok(false);
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(true)
    };
    tokio::time::timeout(left, read)
        .await
        .unwrap_or(Err(Cut::Deadline(left)))
}

/// Reads a response body into memory, failing as soon as it grows past `limit` bytes (a
/// declared `Content-Length` over the limit fails before any byte is read) or outlives the
/// request's deadline. `what` names the body in the error.
pub async fn read_body(
    mut resp: reqwest::Response,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge { what, limit });
    }
    let mut body = Vec::new();
    match read_up_to(
        &mut resp,
        &mut body,
        usize::try_from(limit).unwrap_or(usize::MAX),
    )
    .await
    {
        Ok(true) => Ok(body),
        Ok(false) => Err(BodyError::TooLarge { what, limit }),
        Err(Cut::Transport(e)) => Err(BodyError::Transport {
            what,
            cause: chain(&e),
        }),
        Err(Cut::Deadline(limit)) => Err(BodyError::Deadline { what, limit }),
    }
}

impl Endpoint {
    /// `GET /v2/<repo>/manifests/<reference>` (pull scope): the exact bytes and the
    /// `Content-Type`, bounded by the manifest size limit.
    pub async fn fetch_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<(Vec<u8>, Option<String>), Failure> {
        let found = self
            .get_optional(
                &pull_scope(repo),
                &format!("v2/{repo}/manifests/{reference}"),
                MANIFEST_ACCEPT,
                &[],
            )
            .await?;
        // With no status counted as absent, a success always carries the body.
        found.ok_or_else(|| Failure::Fatal("the manifest answer had no body".into()))
    }

    /// `GET <path>` under `scope`: the body (bounded like a manifest) and its media type;
    /// `None` when the status is one of `absent`.
    pub(super) async fn get_optional(
        &self,
        scope: &str,
        path: &str,
        accept: &str,
        absent: &[StatusCode],
    ) -> Result<Option<(Vec<u8>, Option<String>)>, Failure> {
        let url = self.url(path)?;
        let resp = self
            .call(scope, Method::GET, &url, &|r| {
                r.header(header::ACCEPT, accept)
            })
            .await?;
        if absent.contains(&resp.status()) {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(status_failure(resp).await);
        }
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned());
        let body = read_body(resp, plan::MAX_MANIFEST_BYTES, "manifest")
            .await
            .map_err(BodyError::into_failure)?;
        Ok(Some((body, content_type)))
    }

    /// `GET /v2/<repo>/blobs/<digest>` (pull scope) streamed into `dest`, checked against the
    /// descriptor as it flows: one byte more than `size` stops the download (nothing beyond
    /// `size` is written), fewer fails it, and the content must hash to `digest`. Returns the
    /// size.
    pub async fn fetch_blob(
        &self,
        repo: &str,
        digest: &Digest,
        size: u64,
        dest: &std::path::Path,
    ) -> Result<u64, Failure> {
        use sha2::Digest as _;
        use tokio::io::AsyncWriteExt as _;
        let url = self.url(&format!("v2/{repo}/blobs/{digest}"))?;
        let resp = self
            .call(&pull_scope(repo), Method::GET, &url, &|r| r)
            .await?;
        if !resp.status().is_success() {
            return Err(status_failure(resp).await);
        }
        let local = |e: std::io::Error| Failure::Fatal(format!("{}: {e}", dest.display()));
        let mut file = tokio::fs::File::create(dest).await.map_err(local)?;
        let mut hasher = sha2::Sha256::new();
        let mut len = 0_u64;
        let mut resp = resp;
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(&e))? {
            len += chunk.len() as u64;
            if len > size {
                // A server that sends more than the descriptor says is broken or hostile: stop
                // before the excess reaches the disk, and do not retry.
                return Err(Failure::Fatal(format!(
                    "blob {digest}: the registry sent more than the {size} bytes its descriptor declares"
                )));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(local)?;
        }
        file.flush().await.map_err(local)?;
        if len < size {
            return Err(Failure::Transport {
                transient: true,
                tls: None,
                message: format!(
                    "blob {digest}: the download ended after {len} of the {size} bytes its descriptor declares"
                ),
            });
        }
        let actual = Digest::from_sha256(&hasher.finalize());
        if &actual != digest {
            return Err(Failure::Transport {
                transient: true,
                tls: None,
                message: format!("the downloaded blob hashes to {actual}, expected {digest}"),
            });
        }
        Ok(len)
    }
}

/// The source of an upload attempt: the reader, and the cursor its request bodies share.
type Source<'a> = (&'a dyn BlobReader, &'a super::resume::Cursor);

/// A request body of `len` bytes of `digest` from `offset`, streamed from the source (see
/// [`super::resume::Cursor`]).
fn window_body(
    (reader, cursor): Source<'_>,
    digest: &Digest,
    offset: u64,
    len: u64,
) -> Result<reqwest::Body, Failure> {
    let window = cursor
        .window(reader, digest, offset, len)
        .map_err(|e| Failure::Fatal(format!("reading the source: {e}")))?;
    Ok(reqwest::Body::wrap_stream(ReaderStream::with_capacity(
        window,
        64 * 1024,
    )))
}

pub(super) fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

pub(super) fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_classified_by_type_not_text() {
        let wrapped = |r: rustls::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, r);
        let untrusted = wrapped(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert_eq!(tls_failure(&untrusted), Some(TlsFailure::Untrusted));
        // As the connector reports it: an `io::Error` inside an `io::Error`.
        let nested = std::io::Error::other(untrusted);
        assert_eq!(tls_failure(&nested), Some(TlsFailure::Untrusted));
        let plain_http = wrapped(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert_eq!(tls_failure(&plain_http), Some(TlsFailure::NotTls));
        // Text that merely mentions a certificate is not a TLS failure.
        let reset = std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset while fetching the certificate InvalidContentType",
        );
        assert_eq!(tls_failure(&reset), None);
        assert_eq!(
            tls_failure(&std::io::Error::from(std::io::ErrorKind::TimedOut)),
            None
        );
    }
}
