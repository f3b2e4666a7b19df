//! Retention on the distribution API (issue 14): what a repository holds and deleting by digest.
//!
//! [`inventory`] lists every tag (`GET /v2/<repo>/tags/list`, paginated through `Link`), reads
//! each tag's manifest for its digest, the manifest graph (index children, attestation
//! manifests, OCI referrers where the registry serves the referrers API) and the image's created
//! time (the config's `created`, else the `org.opencontainers.image.created` annotation or
//! label). [`delete_manifest`] deletes one manifest by digest, which removes every tag of that
//! digest at once. Every call goes through the endpoint's request helper (auth, deadline), every
//! body is bounded, the pages and tags are capped. Decides nothing: the selection is the caller's.
//!
//! Registries that delete through their own API have their adapter here too: [`digitalocean`]
//! (the `DigitalOcean` API: tags, untag, garbage collection) and [`ecr`] (ECR's `DescribeImages`,
//! `BatchGetImage`, `BatchDeleteImage`).

use std::collections::BTreeMap;

pub mod api;
pub mod digitalocean;
pub mod ecr;
pub mod hub;
pub mod quay;

use reqwest::{Method, StatusCode, header};
use serde_json::Value as Json;

use super::endpoint::{BodyError, Endpoint, MANIFEST_ACCEPT, read_body, status_failure};
use super::retry::{Failure, RetryPolicy, with_retry};
use super::text;
use crate::plan::Digest;

/// Tags asked for per page.
const PAGE_SIZE: usize = 1000;
/// The most pages followed (a registry looping its `Link` stops here).
const MAX_PAGES: usize = 1000;
/// The most tags read from one repository.
const MAX_TAGS: usize = 100_000;
/// The largest `tags/list` page or referrers index read.
const MAX_LIST_BYTES: u64 = 4 * 1024 * 1024;
/// The largest image config read (for its `created`).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// The annotation (or label) read when the config has no `created`.
const CREATED_KEY: &str = "org.opencontainers.image.created";

/// One tag as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagEntry {
    /// The tag.
    pub name: String,
    /// The manifest digest it points to.
    pub digest: String,
    /// The image's created time in unix seconds, when known.
    pub created: Option<i64>,
}

/// A repository's tags and its manifest graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Every tag, in the registry's order.
    pub tags: Vec<TagEntry>,
    /// Digest → the digests it keeps alive (index children, referrers whose subject it is).
    pub children: BTreeMap<String, Vec<String>>,
}

/// What one manifest told us.
#[derive(Clone)]
struct Node {
    created: Option<i64>,
}

fn delete_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push,delete")
}

fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

/// The `next` target of a `Link` header (`<url>; rel="next"`).
fn next_link(value: &str) -> Option<&str> {
    value.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then_some(target)
    })
}

fn body_failure(e: BodyError) -> Failure {
    e.into_failure()
}

fn retried((f, _): (Failure, u32)) -> Failure {
    f
}

/// Every tag of `repo`, following `Link: <…>; rel="next"` on the same origin only.
///
/// # Errors
/// A failed or malformed page, a `Link` to another host, more than 1000 pages or 100000 tags.
pub async fn list_tags(
    ep: &Endpoint,
    repo: &str,
    policy: &RetryPolicy,
) -> Result<Vec<String>, Failure> {
    let mut url = ep.url(&format!("v2/{repo}/tags/list?n={PAGE_SIZE}"))?;
    let mut tags = Vec::new();
    for _ in 0..MAX_PAGES {
        let (body, next) = with_retry(policy, || async {
            let resp = ep
                .call(&pull_scope(repo), Method::GET, &url, &|r| r)
                .await?;
            if !resp.status().is_success() {
                return Err(status_failure(resp).await);
            }
            let next = resp
                .headers()
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .map(|n| resp.url().join(n));
            let body = read_body(resp, MAX_LIST_BYTES, "tag list")
                .await
                .map_err(body_failure)?;
            Ok((body, next))
        })
        .await
        .map_err(retried)?;
        let json: Json = serde_json::from_slice(&body).map_err(|e| {
            Failure::Fatal(format!(
                "the tag list of `{}` is not JSON: {e}",
                text::inert(repo)
            ))
        })?;
        match json.get("tags") {
            Some(Json::Array(page)) => {
                for t in page {
                    let Some(t) = t.as_str() else {
                        return Err(Failure::Fatal(format!(
                            "the tag list of `{}` holds a tag that is not a string",
                            text::inert(repo)
                        )));
                    };
                    // Tags name URLs below: anything outside the tag grammar is refused.
                    if !crate::reference::valid_tag(t) {
                        return Err(Failure::Fatal(format!(
                            "the tag list of `{}` holds `{}`, which is not a valid tag: refused",
                            text::inert(repo),
                            text::inert(&t.chars().take(140).collect::<String>())
                        )));
                    }
                    tags.push(t.to_owned());
                }
            }
            // distribution answers `"tags": null` for a repository without tags.
            Some(Json::Null) | None => {}
            Some(_) => {
                return Err(Failure::Fatal(format!(
                    "the tag list of `{}` has a `tags` field that is not a list",
                    text::inert(repo)
                )));
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(Failure::Fatal(format!(
                "`{}` has more than {MAX_TAGS} tags: refused",
                text::inert(repo)
            )));
        }
        match next {
            None => return Ok(tags),
            Some(Ok(n)) if ep.same_origin(&n) => url = n,
            Some(n) => {
                return Err(Failure::Fatal(format!(
                    "the tag list of `{}` links its next page to another origin (`{}`): refused",
                    text::inert(repo),
                    text::inert(&n.map(|u| u.to_string()).unwrap_or_default())
                )));
            }
        }
    }
    Err(Failure::Fatal(format!(
        "the tag list of `{}` has more than {MAX_PAGES} pages: refused",
        text::inert(repo)
    )))
}

/// A bounded GET of a small JSON blob (an image config), checked against its digest.
async fn fetch_small_blob(ep: &Endpoint, repo: &str, digest: &Digest) -> Result<Json, Failure> {
    let url = ep.url(&format!("v2/{repo}/blobs/{digest}"))?;
    let resp = ep
        .call(&pull_scope(repo), Method::GET, &url, &|r| r)
        .await?;
    if !resp.status().is_success() {
        return Err(status_failure(resp).await);
    }
    let body = read_body(resp, MAX_CONFIG_BYTES, "image config")
        .await
        .map_err(body_failure)?;
    if &Digest::of(&body) != digest {
        return Err(Failure::Fatal(format!(
            "the config blob {digest} does not hash to its digest"
        )));
    }
    serde_json::from_slice(&body)
        .map_err(|e| Failure::Fatal(format!("the config blob {digest} is not JSON: {e}")))
}

/// The referrers of `digest` (OCI 1.1 `GET /v2/<repo>/referrers/<digest>`); empty where the
/// registry does not serve the API (404).
async fn referrers(ep: &Endpoint, repo: &str, digest: &str) -> Result<Vec<String>, Failure> {
    let url = ep.url(&format!("v2/{repo}/referrers/{digest}"))?;
    let resp = ep
        .call(&pull_scope(repo), Method::GET, &url, &|r| {
            r.header(header::ACCEPT, "application/vnd.oci.image.index.v1+json")
        })
        .await?;
    if !resp.status().is_success() {
        return Ok(Vec::new());
    }
    let body = read_body(resp, MAX_LIST_BYTES, "referrers index")
        .await
        .map_err(body_failure)?;
    let json: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
    Ok(descriptor_digests(&json))
}

/// The valid digests an index lists under `manifests` (none for an image manifest).
pub(super) fn descriptor_digests(index: &Json) -> Vec<String> {
    index
        .get("manifests")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("digest").and_then(Json::as_str))
        .filter(|d| Digest::parse(d).is_ok())
        .map(str::to_owned)
        .collect()
}

/// Reads the manifest `reference` (a tag or a digest) and, once per digest, its graph and
/// created time into `nodes`/`children`. Returns the digest.
async fn walk(
    ep: &Endpoint,
    repo: &str,
    policy: &RetryPolicy,
    reference: &str,
    nodes: &mut BTreeMap<String, Node>,
    children: &mut BTreeMap<String, Vec<String>>,
) -> Result<String, Failure> {
    let (bytes, _) = with_retry(policy, || ep.fetch_manifest(repo, reference))
        .await
        .map_err(retried)?;
    let digest = Digest::of(&bytes).as_str().to_owned();
    if nodes.contains_key(&digest) {
        return Ok(digest);
    }
    let json: Json = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::Fatal(format!(
            "the manifest `{}` of `{}` is not JSON: {e}",
            text::inert(reference),
            text::inert(repo)
        ))
    })?;
    let annotated = api::parse_rfc3339(json.pointer(&format!("/annotations/{CREATED_KEY}")));
    nodes.insert(digest.clone(), Node { created: annotated });
    let mut kids = descriptor_digests(&json);
    let mut created = None;
    if json.get("manifests").is_some() {
        // An index: its created time is the newest of its platform images'.
        for kid in kids.clone() {
            // Boxed: the graph is shallow, but the future is recursive.
            Box::pin(walk(ep, repo, policy, &kid, nodes, children)).await?;
            created = created.max(nodes.get(&kid).and_then(|n| n.created));
        }
    } else if let Some(config) = json
        .pointer("/config/digest")
        .and_then(Json::as_str)
        .and_then(|d| Digest::parse(d).ok())
    {
        let size = json.pointer("/config/size").and_then(Json::as_u64);
        if size.is_none_or(|s| s <= MAX_CONFIG_BYTES) {
            // Attestation manifests have a non-JSON or non-image config: no time, no harm.
            if let Ok(cfg) = with_retry(policy, || fetch_small_blob(ep, repo, &config)).await {
                created = api::parse_rfc3339(cfg.get("created")).or_else(|| {
                    api::parse_rfc3339(cfg.pointer(&format!(
                        "/config/Labels/{}",
                        CREATED_KEY.replace('/', "~1")
                    )))
                });
            }
        }
    }
    kids.extend(
        with_retry(policy, || referrers(ep, repo, &digest))
            .await
            .map_err(retried)?,
    );
    if let Some(n) = nodes.get_mut(&digest) {
        n.created = created.or(n.created);
    }
    if !kids.is_empty() {
        children.insert(digest.clone(), kids);
    }
    Ok(digest)
}

/// Every tag of `repo` with its digest and created time, and the manifest graph.
///
/// # Errors
/// A failed listing or manifest read (see [`list_tags`]).
pub async fn inventory(
    ep: &Endpoint,
    repo: &str,
    policy: &RetryPolicy,
) -> Result<Listing, Failure> {
    let names = list_tags(ep, repo, policy).await?;
    let mut nodes = BTreeMap::new();
    let mut children = BTreeMap::new();
    let mut tags = Vec::with_capacity(names.len());
    for name in names {
        let digest = walk(ep, repo, policy, &name, &mut nodes, &mut children).await?;
        let created = nodes.get(&digest).and_then(|n| n.created);
        tags.push(TagEntry {
            name,
            digest,
            created,
        });
    }
    Ok(Listing { tags, children })
}

/// The manifest graph below `digests` (index children, attestation manifests, OCI referrers),
/// for a registry whose tags come from another API (GHCR's package versions). Each digest is
/// read by digest and must hash to itself.
///
/// # Errors
/// A failed manifest read, or a manifest that does not hash to the digest it was read by.
pub async fn graph(
    ep: &Endpoint,
    repo: &str,
    policy: &RetryPolicy,
    digests: &[String],
) -> Result<BTreeMap<String, Vec<String>>, Failure> {
    graph_with_times(ep, repo, policy, digests)
        .await
        .map(|(children, _)| children)
}

/// [`graph`], and the created time of each of `digests` where its config (or, for an index,
/// its newest platform image's) or its annotation says (`DigitalOcean`, whose API has only the
/// tag's `updated_at`).
///
/// # Errors
/// As [`graph`].
pub async fn graph_with_times(
    ep: &Endpoint,
    repo: &str,
    policy: &RetryPolicy,
    digests: &[String],
) -> Result<(BTreeMap<String, Vec<String>>, BTreeMap<String, i64>), Failure> {
    let mut nodes = BTreeMap::new();
    let mut children = BTreeMap::new();
    for digest in digests {
        let parsed = Digest::parse(digest).map_err(|e| Failure::Fatal(e.to_string()))?;
        let got = walk(ep, repo, policy, parsed.as_str(), &mut nodes, &mut children).await?;
        if &got != digest {
            return Err(Failure::Fatal(format!(
                "the manifest {digest} of `{}` hashes to {got}: refused",
                text::inert(repo)
            )));
        }
    }
    let times = digests
        .iter()
        .filter_map(|d| Some((d.clone(), nodes.get(d)?.created?)))
        .collect();
    Ok((children, times))
}

/// `DELETE /v2/<repo>/manifests/<digest>`: removes the manifest and every tag pointing to it.
/// `Ok(false)` when it was already gone.
///
/// # Errors
/// The registry refused; deletes disabled (405) comes with a hint.
pub async fn delete_manifest(ep: &Endpoint, repo: &str, digest: &str) -> Result<bool, Failure> {
    let digest = Digest::parse(digest).map_err(|e| Failure::Fatal(e.to_string()))?;
    let url = ep.url(&format!("v2/{repo}/manifests/{digest}"))?;
    let resp = ep
        .call(&delete_scope(repo), Method::DELETE, &url, &|r| {
            r.header(header::ACCEPT, MANIFEST_ACCEPT)
        })
        .await?;
    match resp.status() {
        s if s.is_success() => Ok(true),
        StatusCode::NOT_FOUND => Ok(false),
        StatusCode::METHOD_NOT_ALLOWED => Err(Failure::Fatal(format!(
            "`{}` refused to delete {digest} in `{}` (405): the registry has deletes disabled (hint: on distribution set `storage.delete.enabled: true`; elsewhere delete through the registry's own API)",
            text::inert(&ep.host),
            text::inert(repo)
        ))),
        _ => Err(status_failure(resp).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        assert_eq!(
            next_link("</v2/r/tags/list?last=b&n=2>; rel=\"next\""),
            Some("/v2/r/tags/list?last=b&n=2")
        );
        assert_eq!(
            next_link("<https://x/a>; rel=\"prev\", <https://x/b>; rel=next"),
            Some("https://x/b")
        );
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn created_times() {
        assert_eq!(
            api::parse_rfc3339(Some(&Json::from("2026-01-02T03:04:05Z"))),
            Some(1_767_323_045)
        );
        assert_eq!(api::parse_rfc3339(Some(&Json::from("yesterday"))), None);
        assert_eq!(api::parse_rfc3339(None), None);
    }
}
