//! Referrers at a registry: the source side ([`Pull`] answers the referrers API and tag reads
//! for `source::referrers`) and the destination side ([`push`]): detect whether the registry
//! serves the referrers API, push each referrer manifest by digest (after its subject's content,
//! before the tags move), copy cosign tags as tags and, where there is no referrers API, merge
//! the referrers into the fallback tag index `sha256-<hex>` (an existing referrer is never
//! dropped, none is listed twice), as the OCI distribution spec describes.

use std::fmt::Write as _;

use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value as Json;

use super::Pull;
use super::Target;
use super::endpoint::{Endpoint, MANIFEST_ACCEPT, pull_scope, push_scope};
use super::report::OpError;
use super::retry::{Failure, RetryPolicy, hint, with_retry};
use super::text;
use crate::plan::{
    Digest, FetchError, Manifest, Referrer, ReferrerFetch, ReferrerKind, ReferrerSet,
};

/// The media type of a fallback tag index.
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// The answers that mean "no referrers API here" (see [`Endpoint::referrers`]).
const NO_REFERRERS_API: [StatusCode; 6] = [
    StatusCode::NOT_FOUND,
    StatusCode::BAD_REQUEST,
    StatusCode::METHOD_NOT_ALLOWED,
    StatusCode::NOT_ACCEPTABLE,
    StatusCode::UNSUPPORTED_MEDIA_TYPE,
    StatusCode::NOT_IMPLEMENTED,
];

impl Endpoint {
    /// `GET /v2/<repo>/referrers/<digest>`: the referrers index, `None` when the registry does
    /// not serve the API (404 as the spec says, or the 400 / 405 / 406 / 415 / 501 some
    /// registries answer for a route they do not know, or an answer that is not an image index).
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
                &NO_REFERRERS_API,
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
            &[StatusCode::NOT_FOUND],
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

/// The job summary's referrers table (after the push table), one row per target that copied
/// referrers: whether the registry serves the referrers API, the referrers pushed / already
/// there, and the fallback tags written. Nothing when no target has referrers.
pub fn render_summary(targets: &[super::report::TargetReport], md: &mut String) {
    let rows: Vec<_> = targets
        .iter()
        .filter_map(|t| t.referrers.as_ref().map(|r| (t, r)))
        .filter(|(_, r)| !r.copied.is_empty())
        .collect();
    if rows.is_empty() {
        return;
    }
    md.push_str("\n| Image | Referrers API | Referrers pushed / present | Fallback tags written |\n|---|---|---|---|\n");
    for (t, r) in rows {
        let pushed = r.copied.iter().filter(|c| c.pushed).count();
        let _ = writeln!(
            md,
            "| {} | {} | {pushed} / {} | {} |",
            text::markdown(&t.image),
            if r.referrers_api {
                "yes"
            } else {
                "no (fallback tag)"
            },
            r.copied.len() - pushed,
            r.fallback_tags.len()
        );
    }
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

/// Why an existing fallback tag cannot take our referrers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    /// The tag holds something that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// The tag holds a manifest, not an image index.
    #[error("the tag exists and is not an image index")]
    NotAnIndex,
}

/// The fallback tag index with `mine` merged into `existing` (the tag's current bytes, if any):
/// every existing entry kept in its order, ours appended unless their digest is listed already.
/// `None` when nothing is to add (the tag stays as it is).
///
/// # Errors
/// The existing tag is not an image index.
pub fn merge_index(
    existing: Option<&[u8]>,
    mine: &[&Referrer],
) -> Result<Option<Vec<u8>>, MergeError> {
    let mut index = match existing {
        None => serde_json::json!({
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [],
        }),
        Some(bytes) => {
            serde_json::from_slice(bytes).map_err(|e| MergeError::NotJson(e.to_string()))?
        }
    };
    let Some(list) = index.get_mut("manifests").and_then(Json::as_array_mut) else {
        return Err(MergeError::NotAnIndex);
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
    serde_json::to_vec(&index)
        .map(Some)
        .map_err(|e| MergeError::NotJson(e.to_string()))
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
    let merged = merge_index(existing.as_ref().map(|(b, _)| b.as_slice()), mine).map_err(|e| {
        OpError {
            operation: format!("read fallback tag `{tag}`"),
            cause: text::inert(&e.to_string()),
            hint: Some(format!(
                "tag `{tag}` is reserved for the referrers of {subject}: move what it holds elsewhere"
            )),
        }
    })?;
    let Some(bytes) = merged else {
        return Ok(None);
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn referrer(body: &str) -> Referrer {
        let bytes = body.as_bytes().to_vec();
        Referrer {
            manifest: Manifest {
                digest: Digest::of(&bytes),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                bytes,
                platform: None,
            },
            subject: Digest::of(b"subject"),
            kind: ReferrerKind::Subject,
            tag: None,
            artifact_type: Some("application/spdx+json".into()),
            descriptor: None,
        }
    }

    fn digests(bytes: &[u8]) -> Vec<String> {
        let j: Json = serde_json::from_slice(bytes).unwrap();
        j["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["digest"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_new_fallback_index_lists_ours_with_their_artifact_type() {
        let a = referrer(r#"{"a":1,"annotations":{"k":"v"}}"#);
        let out = merge_index(None, &[&a]).unwrap().unwrap();
        let j: Json = serde_json::from_slice(&out).unwrap();
        assert_eq!(j["mediaType"], INDEX_MEDIA_TYPE);
        assert_eq!(j["manifests"][0]["digest"], a.manifest.digest.as_str());
        assert_eq!(j["manifests"][0]["size"], a.manifest.bytes.len());
        assert_eq!(j["manifests"][0]["artifactType"], "application/spdx+json");
        assert_eq!(j["manifests"][0]["annotations"]["k"], "v");
    }

    #[test]
    fn merging_keeps_existing_entries_and_adds_no_duplicate() {
        let a = referrer(r#"{"a":1}"#);
        let b = referrer(r#"{"b":1}"#);
        let other = format!(
            r#"{{"schemaVersion":2,"mediaType":"{INDEX_MEDIA_TYPE}","manifests":[{{"mediaType":"x","digest":"sha256:{}","size":1}},{{"mediaType":"x","digest":"{}","size":7}}]}}"#,
            "0".repeat(64),
            a.manifest.digest
        );
        let out = merge_index(Some(other.as_bytes()), &[&a, &b])
            .unwrap()
            .unwrap();
        assert_eq!(
            digests(&out),
            vec![
                format!("sha256:{}", "0".repeat(64)),
                a.manifest.digest.to_string(),
                b.manifest.digest.to_string()
            ]
        );
        // Everything listed already: nothing to write.
        assert_eq!(merge_index(Some(&out), &[&a, &b]).unwrap(), None);
    }

    #[test]
    fn a_fallback_tag_holding_a_manifest_is_not_overwritten() {
        let a = referrer(r#"{"a":1}"#);
        assert_eq!(
            merge_index(Some(br#"{"schemaVersion":2,"layers":[]}"#), &[&a]),
            Err(MergeError::NotAnIndex)
        );
        assert!(matches!(
            merge_index(Some(b"<html>"), &[&a]),
            Err(MergeError::NotJson(_))
        ));
    }
}
