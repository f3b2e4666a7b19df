//! Retention on `DigitalOcean` Container Registry (`registry.digitalocean.com/<registry>/<repo>`)
//! through the `DigitalOcean` API (issue 14): the repository's tags with their digests
//! ([`DoApi::tags`]), deleting one manifest by digest ([`DoApi::delete_manifest`]) and starting
//! the registry's garbage collection of unreferenced blobs ([`DoApi::start_gc`], `retention-gc`).
//!
//! Reference: <https://docs.digitalocean.com/reference/api/api-reference/#tag/Container-Registry>
//! (`GET /v2/registry/{registry}/repositories/{repo}/tags`, paginated with `page`/`per_page` and
//! `links.pages.next`; `DELETE .../repositories/{repo}/digests/{digest}`, 204, "Delete Container
//! Registry Repository Manifest"; `POST /v2/registry/{registry}/garbage-collection` with a
//! `type`, 201 with `garbage_collection`, 409 while one is running). A repository name with `/`
//! is sent URL-encoded (`my%2Frepo`), as the reference says.
//!
//! Deleting by digest removes the manifest and every tag on it; the caller deletes a digest only
//! when the selection proved that nothing kept needs it (the graph is read through the
//! distribution API, `super::graph_with_times`). The garbage collection hoist starts is
//! [`GC_TYPE`], `unreferenced blobs only`: it deletes no manifest anywhere in the registry.
//! hoist never asks for `untagged manifests`: that type is registry-wide, and the platform and
//! attestation manifests of every multi-arch image are untagged manifests, kept alive only by
//! their index (whether the collector honours that reference is not documented).
//!
//! The bearer token (the `DigitalOcean` API token users give as the registry password) goes only
//! to the API base URL (`https://api.digitalocean.com`, or `HOIST_DIGITALOCEAN_API_URL`; plain
//! http only to a loopback host), never through a redirect. Every body is bounded, the pages and
//! tags are capped, every call has the request deadline and goes through the retry layer.
//! Decides nothing: the selection is the caller's.

use reqwest::{Method, StatusCode, Url};
use serde_json::Value as Json;

use super::TagEntry;
use super::api::{Answer, ApiClient};
use crate::plan::Digest;
use crate::registry::retry::{Failure, RetryPolicy, with_retry};
use crate::registry::text;

/// The API when `HOIST_DIGITALOCEAN_API_URL` is not set.
pub const DEFAULT_API: &str = "https://api.digitalocean.com";
/// The registry host whose repositories go through this API.
pub const REGISTRY_HOST: &str = "registry.digitalocean.com";
/// Tags asked for per page (the API's largest `per_page`).
const PER_PAGE: usize = 200;
/// The most pages followed.
const MAX_PAGES: usize = 1000;
/// The most tags read from one repository.
const MAX_TAGS: usize = 100_000;
/// The largest page or garbage-collection answer read.
const MAX_ANSWER: u64 = 4 * 1024 * 1024;
/// The garbage collection started: the blobs no manifest references any more (what the deleted
/// manifests held). Never `untagged manifests`: see the module documentation.
pub const GC_TYPE: &str = "unreferenced blobs only";

/// The `DigitalOcean` API for one repository.
pub struct DoApi {
    api: ApiClient,
    registry: String,
    repository: String,
    token: String,
}

impl std::fmt::Debug for DoApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DoApi({}/{}, <token>)", self.registry, self.repository)
    }
}

/// What starting the garbage collection did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcStart {
    /// Started: its uuid and status.
    Started {
        /// The garbage collection's uuid.
        uuid: String,
        /// Its status (`requested`, ...).
        status: String,
    },
    /// One is already running on the registry (409).
    AlreadyRunning,
}

/// Splits `<registry>/<repo...>` (the repository part of a `DigitalOcean` image name).
///
/// # Errors
/// There is no repository under the registry name.
pub fn split_repository(path: &str) -> Result<(&str, &str), String> {
    match path.split_once('/') {
        Some((registry, repo)) if !registry.is_empty() && !repo.is_empty() => Ok((registry, repo)),
        _ => Err(format!(
            "`{REGISTRY_HOST}/{}` names no repository: DigitalOcean images are `{REGISTRY_HOST}/<registry>/<repository>`",
            text::inert(path)
        )),
    }
}

/// One page of `GET .../tags`: the tags and whether `links.pages.next` names another page.
///
/// # Errors
/// Not JSON, no `tags` list, an entry without a valid `tag` or `manifest_digest`.
pub fn parse_tags_page(body: &[u8]) -> Result<(Vec<TagEntry>, bool), String> {
    let json: Json =
        serde_json::from_slice(body).map_err(|e| format!("the tag page is not JSON: {e}"))?;
    let tags = match json.get("tags") {
        Some(Json::Array(list)) => list.as_slice(),
        Some(Json::Null) | None => &[],
        Some(_) => return Err("the tag page has a `tags` field that is not a list".to_owned()),
    };
    let mut out = Vec::with_capacity(tags.len());
    for entry in tags {
        let name = entry
            .get("tag")
            .and_then(Json::as_str)
            .ok_or("a tag entry has no `tag` string")?;
        // Tags name URLs below: anything outside the tag grammar is refused.
        if !crate::reference::valid_tag(name) {
            return Err(format!(
                "the tag page holds `{}`, which is not a valid tag: refused",
                text::inert(&name.chars().take(140).collect::<String>())
            ));
        }
        let digest = entry
            .get("manifest_digest")
            .and_then(Json::as_str)
            .and_then(|d| Digest::parse(d).ok())
            .ok_or_else(|| format!("tag `{name}` has no valid `manifest_digest`"))?;
        let created = entry
            .get("updated_at")
            .and_then(Json::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp());
        out.push(TagEntry {
            name: name.to_owned(),
            digest: digest.as_str().to_owned(),
            created,
        });
    }
    let next = json
        .pointer("/links/pages/next")
        .and_then(Json::as_str)
        .is_some_and(|n| !n.is_empty());
    Ok((out, next))
}

/// The `garbage_collection` of a start answer: its uuid and status.
///
/// # Errors
/// Not JSON, or no `garbage_collection.uuid`.
pub fn parse_gc(body: &[u8]) -> Result<GcStart, String> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| format!("the garbage-collection answer is not JSON: {e}"))?;
    let field = |name: &str| {
        json.pointer(&format!("/garbage_collection/{name}"))
            .and_then(Json::as_str)
            .map(|v| text::inert(&v.chars().take(100).collect::<String>()))
    };
    let uuid = field("uuid").ok_or("the garbage-collection answer has no `uuid`")?;
    Ok(GcStart::Started {
        uuid,
        status: field("status").unwrap_or_default(),
    })
}

fn fatal(e: String) -> Failure {
    Failure::Fatal(e)
}

impl DoApi {
    /// The API of the repository `path` (`<registry>/<repo>`) at `base` (default
    /// [`DEFAULT_API`], `HOIST_DIGITALOCEAN_API_URL`), with the API `token`, trusting the system
    /// roots and `ca_pems` (input `registry-ca`).
    ///
    /// # Errors
    /// No repository in `path`, or an unusable base URL (see [`ApiClient::new`]) or CA.
    pub fn new(
        base: Option<&str>,
        path: &str,
        token: String,
        ca_pems: &[(String, Vec<u8>)],
        policy: RetryPolicy,
    ) -> Result<Self, String> {
        let (registry, repository) = split_repository(path)?;
        let api = ApiClient::new(
            "the DigitalOcean API",
            base.unwrap_or(DEFAULT_API),
            "HOIST_DIGITALOCEAN_API_URL",
            ca_pems,
            policy,
        )?;
        Ok(Self {
            api,
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            token,
        })
    }

    /// `v2/registry/<registry>/repositories/<repo, `/` encoded>/<rest>`.
    fn repo_url(&self, rest: &str) -> Result<Url, Failure> {
        let encoded = self.repository.replace('/', "%2F");
        self.api.url(&format!(
            "v2/registry/{}/repositories/{encoded}/{rest}",
            self.registry
        ))
    }

    /// One call with the token, retried; a 401 is a failure with a hint, a 404 an answer.
    async fn call(
        &self,
        method: Method,
        url: &Url,
        json: Option<&Json>,
        what: &'static str,
    ) -> Result<Answer, Failure> {
        let answer = with_retry(self.api.policy(), || {
            self.api.exchange(
                method.clone(),
                url,
                Some(&self.token),
                json,
                MAX_ANSWER,
                what,
            )
        })
        .await
        .map_err(|(f, _)| f)?;
        if answer.status == StatusCode::UNAUTHORIZED {
            return Err(fatal(format!(
                "the DigitalOcean API refused the token for registry `{}` (HTTP 401) (hint: the registry password must be a DigitalOcean API token with read and write access)",
                self.registry
            )));
        }
        Ok(answer)
    }

    /// Every tag of the repository with its digest and `updated_at` (the image's created time
    /// for the age rules), following the pages while `links.pages.next` is set.
    ///
    /// # Errors
    /// A failed or malformed page, more than 1000 pages or 100000 tags.
    pub async fn tags(&self) -> Result<Vec<TagEntry>, Failure> {
        let mut tags = Vec::new();
        for page in 1..=MAX_PAGES {
            let url = self.repo_url(&format!("tags?page={page}&per_page={PER_PAGE}"))?;
            let answer = self
                .call(Method::GET, &url, None, "DigitalOcean tag page")
                .await?;
            if answer.status == StatusCode::NOT_FOUND {
                return Err(fatal(format!(
                    "DigitalOcean has no repository `{}` in registry `{}` (HTTP 404)",
                    text::inert(&self.repository),
                    self.registry
                )));
            }
            let body = answer.body;
            let (entries, next) = parse_tags_page(&body).map_err(|e| {
                fatal(format!(
                    "repository `{}/{}`, page {page}: {e}",
                    self.registry,
                    text::inert(&self.repository)
                ))
            })?;
            tags.extend(entries);
            if tags.len() > MAX_TAGS {
                return Err(fatal(format!(
                    "`{}` has more than {MAX_TAGS} tags: refused",
                    text::inert(&self.repository)
                )));
            }
            if !next {
                return Ok(tags);
            }
        }
        Err(fatal(format!(
            "the tag list of `{}` has more than {MAX_PAGES} pages: refused",
            text::inert(&self.repository)
        )))
    }

    /// `DELETE .../digests/<digest>`: deletes the manifest and every tag on it. `Ok(false)`
    /// when it was already gone.
    ///
    /// # Errors
    /// An invalid digest, or the API refused.
    pub async fn delete_manifest(&self, digest: &str) -> Result<bool, Failure> {
        let digest = Digest::parse(digest).map_err(|e| fatal(e.to_string()))?;
        let url = self.repo_url(&format!("digests/{digest}"))?;
        let answer = self
            .call(Method::DELETE, &url, None, "delete answer")
            .await?;
        Ok(answer.status != StatusCode::NOT_FOUND)
    }

    /// `POST /v2/registry/<registry>/garbage-collection` with `type` [`GC_TYPE`].
    ///
    /// # Errors
    /// The API refused (other than 409, one already running) or answered without a uuid.
    pub async fn start_gc(&self) -> Result<GcStart, Failure> {
        let url = self
            .api
            .url(&format!("v2/registry/{}/garbage-collection", self.registry))?;
        let body = serde_json::json!({ "type": GC_TYPE });
        match self
            .call(Method::POST, &url, Some(&body), "garbage-collection answer")
            .await
        {
            Err(Failure::Status { status: 409, .. }) => Ok(GcStart::AlreadyRunning),
            Err(f) => Err(f),
            Ok(a) if a.status == StatusCode::NOT_FOUND => Err(fatal(format!(
                "DigitalOcean has no registry `{}` (HTTP 404)",
                self.registry
            ))),
            Ok(a) => parse_gc(&a.body).map_err(fatal),
        }
    }

    /// The registry name (for messages).
    #[must_use]
    pub fn registry(&self) -> &str {
        &self.registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths_split_and_encode() {
        assert_eq!(split_repository("reg/app").unwrap(), ("reg", "app"));
        assert_eq!(
            split_repository("reg/team/app").unwrap(),
            ("reg", "team/app")
        );
        assert!(
            split_repository("reg")
                .unwrap_err()
                .contains("names no repository")
        );
        let api = DoApi::new(
            None,
            "reg/team/app",
            "dop_v1_secret".into(),
            &[],
            RetryPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            api.repo_url("digests/sha256:ab").unwrap().as_str(),
            "https://api.digitalocean.com/v2/registry/reg/repositories/team%2Fapp/digests/sha256:ab"
        );
        assert!(!format!("{api:?}").contains("dop_v1_secret"));
    }

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        let api = |base: &str| {
            DoApi::new(
                Some(base),
                "reg/app",
                "t".into(),
                &[],
                RetryPolicy::default(),
            )
        };
        assert_eq!(
            api("http://127.0.0.1:9")
                .unwrap()
                .repo_url("tags")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/v2/registry/reg/repositories/app/tags"
        );
        let refused = api("http://api.example.com").unwrap_err();
        assert!(refused.contains("HOIST_DIGITALOCEAN_API_URL"), "{refused}");
        assert!(api("not a url").is_err());
    }

    #[test]
    fn tag_pages_parse_and_malformed_ones_are_errors() {
        let d = format!("sha256:{}", "a".repeat(64));
        let page = format!(
            r#"{{"tags":[{{"registry_name":"r","repository":"app","tag":"v1","manifest_digest":"{d}","updated_at":"2026-01-02T03:04:05Z"}}],"meta":{{"total":3}},"links":{{"pages":{{"next":"https://api.digitalocean.com/v2/registry/r/repositories/app/tags?page=2&per_page=1"}}}}}}"#
        );
        let (tags, next) = parse_tags_page(page.as_bytes()).unwrap();
        assert!(next);
        assert_eq!(
            tags,
            [TagEntry {
                name: "v1".into(),
                digest: d.clone(),
                created: Some(1_767_323_045)
            }]
        );
        let (none, next) =
            parse_tags_page(br#"{"tags":[],"meta":{"total":0},"links":{}}"#).unwrap();
        assert!(none.is_empty() && !next);
        for bad in [
            &b"<html>"[..],
            br#"{"tags":{}}"#,
            br#"{"tags":[{"manifest_digest":"sha256:00"}]}"#,
            br#"{"tags":[{"tag":"v1","manifest_digest":"md5:1"}]}"#,
            br#"{"tags":[{"tag":"../x","manifest_digest":"sha256:00"}]}"#,
        ] {
            assert!(
                parse_tags_page(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn gc_answers_parse() {
        assert_eq!(
            parse_gc(br#"{"garbage_collection":{"uuid":"eff0feee","registry_name":"r","status":"requested"}}"#)
                .unwrap(),
            GcStart::Started {
                uuid: "eff0feee".into(),
                status: "requested".into()
            }
        );
        assert!(parse_gc(b"{}").is_err());
        assert!(parse_gc(b"nope").is_err());
    }
}
