//! Referrers at a registry: the source side ([`Pull`] answers the referrers API and tag reads
//! for `source::referrers`) and the destination side ([`push`]): detect whether the registry
//! serves the referrers API, push each referrer manifest by digest (after its subject's content,
//! before the tags move), copy cosign tags as tags and, where there is no referrers API, merge
//! the referrers into the fallback tag index `sha256-<hex>` (an existing referrer is never
//! dropped, none is listed twice), as the OCI distribution spec describes.

use std::fmt::Write as _;

use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde_json::Value as Json;

use super::Pull;
use super::Target;
use super::endpoint::{
    BodyError, Endpoint, MANIFEST_ACCEPT, pull_scope, push_scope, read_body, status_failure,
};
use super::report::OpError;
use super::retry::{Failure, RetryPolicy, hint, with_retry};
use super::text;
use crate::plan::{
    self, Digest, FetchError, Manifest, Referrer, ReferrerFetch, ReferrerKind, ReferrerSet,
};

/// The media type of a fallback tag index.
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

impl Endpoint {
    /// `GET <path>` under `scope`: the body (bounded like a manifest) and its media type;
    /// `None` on 404.
    async fn get_optional(
        &self,
        scope: &str,
        path: &str,
        accept: &str,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, Failure> {
        let url = self.url(path)?;
        let resp = self
            .call(scope, Method::GET, &url, &|r| {
                r.header(header::ACCEPT, accept)
            })
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
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

    /// `GET /v2/<repo>/referrers/<digest>`: the referrers index, `None` when the registry does
    /// not serve the API (404, or an answer that is not an image index).
    pub async fn referrers(
        &self,
        repo: &str,
        digest: &Digest,
        push: bool,
    ) -> Result<Option<Vec<u8>>, Failure> {
        let scope = if push {
            push_scope(repo)
        } else {
            pull_scope(repo)
        };
        let got = self
            .get_optional(
                &scope,
                &format!("v2/{repo}/referrers/{digest}"),
                INDEX_MEDIA_TYPE,
            )
            .await?;
        Ok(got.and_then(|(body, content_type)| {
            let is_index = content_type.as_deref() == Some(INDEX_MEDIA_TYPE)
                || serde_json::from_slice::<Json>(&body)
                    .ok()
                    .and_then(|j| j.get("manifests").map(Json::is_array))
                    .unwrap_or(false);
            is_index.then_some(body)
        }))
    }

    /// The manifest at `reference` and its media type, `None` when absent.
    pub async fn optional_manifest(
        &self,
        repo: &str,
        reference: &str,
        push: bool,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, Failure> {
        let scope = if push {
            push_scope(repo)
        } else {
            pull_scope(repo)
        };
        self.get_optional(
            &scope,
            &format!("v2/{repo}/manifests/{reference}"),
            MANIFEST_ACCEPT,
        )
        .await
    }
}

impl ReferrerFetch for Pull<'_> {
    async fn fetch_referrers(&self, digest: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
        with_retry(self.retry, || {
            self.endpoint.referrers(self.repository, digest, false)
        })
        .await
        .map_err(|(f, _)| FetchError(f.to_string()))
    }

    async fn fetch_tag(&self, tag: &str) -> Result<Option<(Vec<u8>, Option<String>)>, FetchError> {
        with_retry(self.retry, || {
            self.endpoint.optional_manifest(self.repository, tag, false)
        })
        .await
        .map_err(|(f, _)| FetchError(f.to_string()))
    }
}

/// What happened to one referrer at one registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CopiedReferrer {
    /// The referrer manifest's digest.
    pub digest: String,
    /// The manifest it refers to.
    pub subject: String,
    /// How it was found (`subject` or `tag`).
    pub kind: ReferrerKind,
    /// Its artifact type, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The cosign tag it was copied to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Whether this run pushed it (`false`: the registry had it).
    pub pushed: bool,
}

/// The referrers written to one registry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReferrerReport {
    /// Whether the registry serves the referrers API (detected by this run).
    pub referrers_api: bool,
    /// Each referrer, in push order.
    pub copied: Vec<CopiedReferrer>,
    /// The fallback tags (`sha256-<hex>`) this run wrote (merged).
    pub fallback_tags: Vec<String>,
}

fn op_error(operation: &str, f: &Failure, attempts: u32, registry: &str) -> OpError {
    let mut cause = text::inert(&f.to_string());
    if attempts > 1 {
        let _ = write!(cause, " (after {attempts} attempts)");
    }
    OpError {
        operation: text::inert(operation),
        cause,
        hint: hint(f, registry).map(|h| text::inert(&h)),
    }
}

fn fatal(operation: &str, cause: &str) -> OpError {
    OpError {
        operation: text::inert(operation),
        cause: text::inert(cause),
        hint: None,
    }
}

/// Writes `set` to one target whose image content is in place: detection, referrer manifests
/// by digest (present ones skipped), cosign tags, then the fallback tag indexes where the
/// registry has no referrers API. The first failure fails the target (so, under the atomic
/// policy, no tag moves anywhere).
///
/// # Errors
/// A registry call fails, or an existing fallback tag is not an image index.
pub async fn push(
    ep: &Endpoint,
    target: &Target,
    root: &Digest,
    set: &ReferrerSet,
    retry: &RetryPolicy,
) -> Result<ReferrerReport, OpError> {
    let repo = target.repository.as_str();
    let reg = target.registry.as_str();
    let api = with_retry(retry, || ep.referrers(repo, root, true))
        .await
        .map_err(|(f, n)| op_error(&format!("detect referrers API ({root})"), &f, n, reg))?
        .is_some();
    let mut report = ReferrerReport {
        referrers_api: api,
        ..ReferrerReport::default()
    };
    for r in &set.referrers {
        let m = &r.manifest;
        let present = with_retry(retry, || ep.manifest_digest(repo, m.digest.as_str()))
            .await
            .map_err(|(f, n)| op_error(&format!("check referrer {}", m.digest), &f, n, reg))?;
        let mut pushed = false;
        if present.as_ref() != Some(&m.digest) {
            with_retry(retry, || ep.put_manifest(repo, m.digest.as_str(), m))
                .await
                .map_err(|(f, n)| op_error(&format!("push referrer {}", m.digest), &f, n, reg))?;
            pushed = true;
        }
        if let Some(tag) = &r.tag {
            let at = with_retry(retry, || ep.manifest_digest(repo, tag))
                .await
                .map_err(|(f, n)| op_error(&format!("read tag `{tag}`"), &f, n, reg))?;
            if at.as_ref() != Some(&m.digest) {
                with_retry(retry, || ep.put_manifest(repo, tag, m))
                    .await
                    .map_err(|(f, n)| op_error(&format!("tag referrer `{tag}`"), &f, n, reg))?;
                pushed = true;
            }
        }
        report.copied.push(CopiedReferrer {
            digest: m.digest.to_string(),
            subject: r.subject.to_string(),
            kind: r.kind.clone(),
            artifact_type: r.artifact_type.clone(),
            tag: r.tag.clone(),
            pushed,
        });
    }
    if !api {
        let mut subjects: Vec<&Digest> = Vec::new();
        for r in &set.referrers {
            if r.kind == ReferrerKind::Subject && !subjects.contains(&&r.subject) {
                subjects.push(&r.subject);
            }
        }
        for subject in subjects {
            let mine: Vec<&Referrer> = set
                .referrers
                .iter()
                .filter(|r| r.kind == ReferrerKind::Subject && &r.subject == subject)
                .collect();
            if let Some(tag) = merge_fallback(ep, repo, reg, subject, &mine, retry).await? {
                report.fallback_tags.push(tag);
            }
        }
    }
    Ok(report)
}

/// The descriptor a fallback index lists for `r`: the source's entry when it came from one,
/// else built from the manifest (`mediaType`, `digest`, `size`, `artifactType`, `annotations`).
fn descriptor_of(r: &Referrer) -> Json {
    if let Some(d) = &r.descriptor {
        return d.clone();
    }
    let m: Json = serde_json::from_slice(&r.manifest.bytes).unwrap_or(Json::Null);
    let mut d = serde_json::json!({
        "mediaType": r.manifest.media_type,
        "digest": r.manifest.digest.as_str(),
        "size": r.manifest.bytes.len(),
    });
    if let Some(a) = &r.artifact_type {
        d["artifactType"] = Json::String(a.clone());
    }
    if let Some(a) = m.get("annotations") {
        d["annotations"] = a.clone();
    }
    d
}

/// Merges `mine` into the fallback tag index of `subject`; writes it only when something was
/// added. Returns the tag when written.
async fn merge_fallback(
    ep: &Endpoint,
    repo: &str,
    reg: &str,
    subject: &Digest,
    mine: &[&Referrer],
    retry: &RetryPolicy,
) -> Result<Option<String>, OpError> {
    let tag = format!("sha256-{}", subject.hex());
    let existing = with_retry(retry, || ep.optional_manifest(repo, &tag, true))
        .await
        .map_err(|(f, n)| op_error(&format!("read fallback tag `{tag}`"), &f, n, reg))?;
    let mut index = match existing {
        None => serde_json::json!({
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [],
        }),
        Some((bytes, _)) => {
            let json: Json = serde_json::from_slice(&bytes).map_err(|e| {
                fatal(
                    &format!("read fallback tag `{tag}`"),
                    &format!("not JSON: {e}"),
                )
            })?;
            if !json.get("manifests").is_some_and(Json::is_array) {
                return Err(OpError {
                    operation: format!("read fallback tag `{tag}`"),
                    cause: "the tag exists and is not an image index".into(),
                    hint: Some(format!(
                        "tag `{tag}` is reserved for the referrers of {subject}: move what it holds elsewhere"
                    )),
                });
            }
            json
        }
    };
    let Some(list) = index.get_mut("manifests").and_then(Json::as_array_mut) else {
        return Ok(None);
    };
    let mut added = false;
    for r in mine {
        let digest = r.manifest.digest.as_str();
        if list
            .iter()
            .any(|e| e.get("digest").and_then(Json::as_str) == Some(digest))
        {
            continue;
        }
        list.push(descriptor_of(r));
        added = true;
    }
    if !added {
        return Ok(None);
    }
    let bytes = serde_json::to_vec(&index)
        .map_err(|e| fatal(&format!("write fallback tag `{tag}`"), &e.to_string()))?;
    let manifest = Manifest {
        digest: Digest::of(&bytes),
        media_type: INDEX_MEDIA_TYPE.to_owned(),
        bytes,
        platform: None,
    };
    with_retry(retry, || ep.put_manifest(repo, &tag, &manifest))
        .await
        .map_err(|(f, n)| op_error(&format!("write fallback tag `{tag}`"), &f, n, reg))?;
    Ok(Some(tag))
}
