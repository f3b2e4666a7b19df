//! Retention on Docker Hub through its own API (issue 14): Docker Hub refuses the distribution
//! API's `DELETE`, and its tag API lists what the repository holds without a manifest pull
//! (manifest GETs count against the pull rate limit).
//!
//! * Login: `POST /v2/auth/token` with `{"identifier", "secret"}` (the Docker Hub user and
//!   password or personal access token hoist resolved for `docker.io`) answers
//!   `{"access_token"}`, a JWT valid 10 minutes; masked before use, fetched again once on a 401.
//!   <https://docs.docker.com/reference/api/hub/latest/operations/AuthCreateAccessToken/>
//!   (`POST /v2/users/login` is deprecated there).
//! * Listing: `GET /v2/namespaces/{namespace}/repositories/{repository}/tags?page_size=100`,
//!   following `next` on the API's origin only; each tag's `digest`, its `images[].digest` (the
//!   platform images of an index: the graph) and `tag_last_pushed` (else `last_updated`) as
//!   its time. <https://docs.docker.com/reference/api/hub/latest/operations/ListRepositoryTags/>
//! * Deleting: `DELETE /v2/repositories/{namespace}/{repository}/tags/{tag}/` untags one tag
//!   (the call docker/hub-tool makes, `pkg/hub/tags.go`); the manifest stays while another tag
//!   points to it.
//!
//! Every page is bounded (4 MiB, 1000 pages, 100000 tags), every call has the request
//! deadline and goes through the retry layer. The Docker Hub credentials go only to this API
//! (its base URL, `HOIST_DOCKER_HUB_API_URL`, https or loopback). Decides nothing.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value as Json, json};

use super::api::{Answer, ApiClient, parse_rfc3339, with_forbidden_hint};
use super::{Listing, TagEntry};
use crate::plan::Digest;
use crate::registry::auth::{Credential, MAX_TOKEN_BYTES, Masker};
use crate::registry::retry::{Failure, RetryPolicy, with_retry};
use crate::registry::text;

/// Docker Hub's API.
pub const DEFAULT_API: &str = "https://hub.docker.com";
/// Tags per page (the API's maximum).
const PAGE_SIZE: usize = 100;
/// The most pages followed.
const MAX_PAGES: usize = 1000;
/// The most tags read from one repository.
const MAX_TAGS: usize = 100_000;
/// The largest page read.
const MAX_PAGE_BYTES: u64 = 4 * 1024 * 1024;

/// One page of the tag list, parsed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Each tag with the platform images its digest holds (empty for a single image).
    pub tags: Vec<(TagEntry, Vec<String>)>,
    /// The next page's URL, as the API wrote it.
    pub next: Option<String>,
}

fn digest_of(v: &Json, what: &str) -> Result<Option<String>, String> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) if s.is_empty() => Ok(None),
        Json::String(s) => Digest::parse(s)
            .map(|d| Some(d.as_str().to_owned()))
            .map_err(|_| {
                format!(
                    "{what} has the digest `{}`, which is not one",
                    text::inert(&s.chars().take(100).collect::<String>())
                )
            }),
        _ => Err(format!("{what} has a digest that is not a string")),
    }
}

/// Parses one page of `GET /v2/namespaces/{ns}/repositories/{repo}/tags` (the `paginated_tags`
/// schema: `count`, `next`, `previous`, `results[]`).
///
/// # Errors
/// Not the schema: not JSON, no `results` list, a tag without a valid name or digest.
pub fn parse_page(body: &[u8]) -> Result<Page, String> {
    let json: Json =
        serde_json::from_slice(body).map_err(|e| format!("the tag page is not JSON: {e}"))?;
    let results = match json.get("results") {
        Some(Json::Array(r)) => r,
        Some(Json::Null) => &Vec::new(),
        _ => return Err("the tag page has no `results` list".to_owned()),
    };
    let next = match json.get("next") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) if s.is_empty() => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err("the tag page's `next` is not a URL".to_owned()),
    };
    let mut tags = Vec::with_capacity(results.len());
    for r in results {
        let Some(name) = r.get("name").and_then(Json::as_str) else {
            return Err("the tag page holds a tag without a `name`".to_owned());
        };
        // Tags name URLs below: anything outside the tag grammar is refused.
        if !crate::reference::valid_tag(name) {
            return Err(format!(
                "the tag page holds `{}`, which is not a valid tag: refused",
                text::inert(&name.chars().take(140).collect::<String>())
            ));
        }
        let what = format!("tag `{name}`");
        let mut images = Vec::new();
        for image in r
            .get("images")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(d) = digest_of(image.get("digest").unwrap_or(&Json::Null), &what)? {
                images.push(d);
            }
        }
        let digest = match digest_of(r.get("digest").unwrap_or(&Json::Null), &what)? {
            Some(d) => d,
            // Older answers carry no top-level digest: a single image's is the tag's.
            None if images.len() == 1 => images[0].clone(),
            None => {
                return Err(format!(
                    "{what} has no digest in Docker Hub's answer: hoist cannot tell what it keeps alive"
                ));
            }
        };
        images.retain(|d| *d != digest);
        images.sort();
        images.dedup();
        let created = parse_rfc3339(r.get("tag_last_pushed"))
            .or_else(|| parse_rfc3339(r.get("last_updated")));
        tags.push((
            TagEntry {
                name: name.to_owned(),
                digest,
                created,
            },
            images,
        ));
    }
    Ok(Page { tags, next })
}

/// Parses the answer of `POST /v2/auth/token`: the `access_token`.
///
/// # Errors
/// Not JSON, or no non-empty `access_token` string.
pub fn parse_token(body: &[u8]) -> Result<String, String> {
    let json: Json =
        serde_json::from_slice(body).map_err(|_| "the token answer is not JSON".to_owned())?;
    json.get("access_token")
        .and_then(Json::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "the token answer has no `access_token`".to_owned())
}

/// One Docker Hub repository's retention API.
pub struct Hub {
    api: ApiClient,
    namespace: String,
    name: String,
    credential: Credential,
    token: tokio::sync::Mutex<Option<String>>,
    mask: Masker,
}

impl Hub {
    /// The API for `repository` (`owner/app`) at `base` (default [`DEFAULT_API`]), logging in
    /// with `credential` (the one hoist resolved for `docker.io`).
    ///
    /// # Errors
    /// No credential, an identity token instead of a password, a repository not
    /// `namespace/name`, or a bad base URL.
    pub fn new(
        base: Option<&str>,
        repository: &str,
        credential: Option<Credential>,
        ca_pems: &[(String, Vec<u8>)],
        policy: RetryPolicy,
        mask: Masker,
    ) -> Result<Self, String> {
        let Some((namespace, name)) = repository.split_once('/').filter(|(_, n)| !n.contains('/'))
        else {
            return Err(format!(
                "`{}` is not a Docker Hub repository (`namespace/name`)",
                text::inert(repository)
            ));
        };
        let credential = credential
            .filter(|c| !c.username.is_empty() && !crate::registry::auth::is_identity_token(c))
            .ok_or_else(|| {
                "Docker Hub's tag API needs the Docker Hub user name and a password or personal access token (hint: add a `registry-auth` item for `docker.io` with a personal access token with the Read, Write & Delete scope)".to_owned()
            })?;
        mask(&credential.password);
        let api = ApiClient::new(
            "the Docker Hub API",
            base.unwrap_or(DEFAULT_API),
            "HOIST_DOCKER_HUB_API_URL",
            ca_pems,
            policy,
        )?;
        Ok(Self {
            api,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            credential,
            token: tokio::sync::Mutex::new(None),
            mask,
        })
    }

    /// `POST /v2/auth/token`: a fresh access token, masked.
    async fn login(&self) -> Result<String, Failure> {
        let url = self.api.url("v2/auth/token")?;
        let body = json!({
            "identifier": self.credential.username,
            "secret": self.credential.password,
        });
        let answer = with_retry(self.api.policy(), || {
            self.api.exchange(
                Method::POST,
                &url,
                None,
                Some(&body),
                MAX_TOKEN_BYTES,
                "token answer",
            )
        })
        .await
        .map_err(|(f, _)| f)?;
        if answer.status == StatusCode::UNAUTHORIZED || answer.status == StatusCode::NOT_FOUND {
            return Err(Failure::Fatal(format!(
                "Docker Hub refused the login of `{}` (HTTP {}) (hint: check the `docker.io` credentials; with SSO a personal access token is required)",
                text::inert(&self.credential.username),
                answer.status.as_u16()
            )));
        }
        let token = parse_token(&answer.body).map_err(Failure::Fatal)?;
        (self.mask)(&token);
        Ok(token)
    }

    /// One authorized call, logging in first and once more on a 401 (the token lasts 10
    /// minutes), through the retry layer.
    async fn call(
        &self,
        method: Method,
        url: &Url,
        limit: u64,
        what: &'static str,
    ) -> Result<Answer, Failure> {
        let mut fresh = false;
        loop {
            let token = {
                let mut held = self.token.lock().await;
                match held.as_ref() {
                    Some(t) if !fresh => t.clone(),
                    _ => {
                        let t = self.login().await?;
                        *held = Some(t.clone());
                        t
                    }
                }
            };
            let answer = with_retry(self.api.policy(), || {
                self.api
                    .exchange(method.clone(), url, Some(&token), None, limit, what)
            })
            .await
            .map_err(|(f, _)| f)?;
            if answer.status != StatusCode::UNAUTHORIZED {
                return Ok(answer);
            }
            if fresh {
                return Err(Failure::Fatal(format!(
                    "Docker Hub answered 401 to `{method} {}` with a fresh token (hint: the token needs the Read, Write & Delete scope on `{}/{}`)",
                    url.path(),
                    self.namespace,
                    self.name
                )));
            }
            fresh = true;
        }
    }

    /// Every tag with its digest and push time, and the platform images of each index.
    ///
    /// # Errors
    /// A failed or malformed page, a `next` off the API's origin, too many pages or tags.
    pub async fn inventory(&self) -> Result<Listing, Failure> {
        let mut url = self.api.url(&format!(
            "v2/namespaces/{}/repositories/{}/tags?page_size={PAGE_SIZE}",
            self.namespace, self.name
        ))?;
        let mut listing = Listing::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for _ in 0..MAX_PAGES {
            let answer = self
                .call(Method::GET, &url, MAX_PAGE_BYTES, "tag page")
                .await?;
            if answer.status == StatusCode::NOT_FOUND {
                return Err(Failure::Fatal(format!(
                    "Docker Hub has no repository `{}/{}` (HTTP 404)",
                    self.namespace, self.name
                )));
            }
            let page = parse_page(&answer.body).map_err(Failure::Fatal)?;
            for (tag, images) in page.tags {
                // A tag moved between two pages may show twice: the first answer stands.
                if !seen.insert(tag.name.clone()) {
                    continue;
                }
                if !images.is_empty() {
                    let kids = children.entry(tag.digest.clone()).or_default();
                    kids.extend(images);
                    kids.sort();
                    kids.dedup();
                }
                listing.tags.push(tag);
            }
            if listing.tags.len() > MAX_TAGS {
                return Err(Failure::Fatal(format!(
                    "`{}/{}` has more than {MAX_TAGS} tags: refused",
                    self.namespace, self.name
                )));
            }
            let Some(next) = page.next else {
                listing.children = children;
                return Ok(listing);
            };
            match url.join(&next) {
                Ok(n) if self.api.same_origin(&n) => url = n,
                _ => {
                    return Err(Failure::Fatal(format!(
                        "Docker Hub's tag list links its next page off its origin (`{}`): refused",
                        text::inert(&next.chars().take(200).collect::<String>())
                    )));
                }
            }
        }
        Err(Failure::Fatal(format!(
            "Docker Hub's tag list of `{}/{}` has more than {MAX_PAGES} pages: refused",
            self.namespace, self.name
        )))
    }

    /// `DELETE /v2/repositories/{namespace}/{repository}/tags/{tag}/`. `Ok(false)` when the tag
    /// was already gone.
    ///
    /// # Errors
    /// Docker Hub refused (403: the token lacks the delete scope).
    pub async fn delete_tag(&self, tag: &str) -> Result<bool, Failure> {
        if !crate::reference::valid_tag(tag) {
            return Err(Failure::Fatal(format!(
                "`{}` is not a valid tag",
                text::inert(tag)
            )));
        }
        let url = self.api.url(&format!(
            "v2/repositories/{}/{}/tags/{tag}/",
            self.namespace, self.name
        ))?;
        let answer = self
            .call(Method::DELETE, &url, 64 * 1024, "delete answer")
            .await
            .map_err(|f| {
                with_forbidden_hint(
                    f,
                    "the personal access token needs the Read, Write & Delete scope",
                )
            })?;
        Ok(answer.status != StatusCode::NOT_FOUND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `paginated_tags` example of
    /// <https://docs.docker.com/reference/api/hub/latest/schemas/paginated_tags/>, with the
    /// `digest` fields the live API adds (tag and images, as docker/hub-tool reads them).
    const DOC_PAGE: &str = r#"{
      "count": 1, "next": null, "previous": null,
      "results": [{
        "creator": 1234, "full_size": 123456, "id": 12345,
        "images": [{"architecture": "amd64", "features": null, "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
                    "last_pulled": null, "last_pushed": "2021-01-05T21:06:53.506400Z", "os": "linux",
                    "os_features": null, "os_version": null, "size": 123456, "status": "active", "variant": null},
                   {"architecture": "arm64", "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222", "os": "linux"}],
        "last_updated": "2021-01-05T21:06:53.506400Z", "last_updater": 1234,
        "last_updater_username": "dockeruser", "name": "latest", "repository": 5678,
        "tag_last_pulled": null, "tag_last_pushed": "2021-01-05T21:06:53.506400Z",
        "tag_status": "active", "v2": true,
        "media_type": "application/vnd.oci.image.index.v1+json", "content_type": "image",
        "digest": "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      }]
    }"#;

    #[test]
    fn the_documented_page_gives_digest_children_and_push_time() {
        let page = parse_page(DOC_PAGE.as_bytes()).expect("parses");
        assert_eq!(page.next, None);
        let (tag, images) = &page.tags[0];
        assert_eq!(tag.name, "latest");
        assert_eq!(tag.digest, format!("sha256:{}", "a".repeat(64)));
        assert_eq!(tag.created, Some(1_609_880_813));
        assert_eq!(
            images,
            &[
                format!("sha256:{}", "1".repeat(64)),
                format!("sha256:{}", "2".repeat(64))
            ]
        );
    }

    #[test]
    fn a_single_image_without_a_top_level_digest_is_its_own() {
        let body = format!(
            r#"{{"next":"https://hub.docker.com/v2/x?page=2","results":[{{"name":"v1","images":[{{"digest":"sha256:{}"}}],"last_updated":"2024-05-01T00:00:00Z"}}]}}"#,
            "b".repeat(64)
        );
        let page = parse_page(body.as_bytes()).expect("parses");
        assert_eq!(
            page.next.as_deref(),
            Some("https://hub.docker.com/v2/x?page=2")
        );
        let (tag, images) = &page.tags[0];
        assert_eq!(tag.digest, format!("sha256:{}", "b".repeat(64)));
        assert!(images.is_empty());
        assert_eq!(tag.created, Some(1_714_521_600));
    }

    #[test]
    fn malformed_pages_are_errors_not_panics() {
        for (body, needle) in [
            ("", "not JSON"),
            ("[]", "no `results`"),
            (r#"{"results":{}}"#, "no `results`"),
            (r#"{"results":[{}]}"#, "without a `name`"),
            (
                r#"{"results":[{"name":"../x","digest":"sha256:00"}]}"#,
                "not a valid tag",
            ),
            (r#"{"results":[{"name":"v1","digest":"md5:x"}]}"#, "not one"),
            (r#"{"results":[{"name":"v1","digest":7}]}"#, "not a string"),
            (r#"{"results":[{"name":"v1"}]}"#, "no digest"),
            (r#"{"results":[],"next":5}"#, "`next`"),
        ] {
            let e = parse_page(body.as_bytes()).expect_err(body);
            assert!(e.contains(needle), "{body}: {e}");
        }
        // A huge page of nonsense is refused by the size limit before parsing; a deep one by
        // serde_json's recursion limit.
        let deep = "[".repeat(100_000);
        assert!(parse_page(deep.as_bytes()).is_err());
        let e =
            parse_page(r#"{"results":[{"name":"v1","digest":"sha256:1\u001b[31m"}]}"#.as_bytes())
                .expect_err("control characters");
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn the_token_answer() {
        assert_eq!(
            parse_token(br#"{"access_token":"eyJ.x.y"}"#).as_deref(),
            Ok("eyJ.x.y")
        );
        assert!(parse_token(br#"{"token":"old"}"#).is_err());
        assert!(parse_token(br#"{"access_token":""}"#).is_err());
        assert!(parse_token(b"<html>").is_err());
    }

    #[test]
    fn credentials_and_names_are_checked_before_any_call() {
        let mask: Masker = std::sync::Arc::new(|_| {});
        let cred = Some(Credential {
            username: "u".into(),
            password: "p".into(),
        });
        let new = |repo: &str, cred: Option<Credential>| {
            Hub::new(None, repo, cred, &[], RetryPolicy::default(), mask.clone()).err()
        };
        assert!(new("owner/app", cred.clone()).is_none());
        assert!(
            new("owner/app", None)
                .unwrap_or_default()
                .contains("registry-auth")
        );
        assert!(
            new("a/b/c", cred.clone())
                .unwrap_or_default()
                .contains("namespace/name")
        );
        let identity = Some(Credential {
            username: crate::registry::auth::IDENTITY_TOKEN_USER.into(),
            password: "refresh".into(),
        });
        assert!(new("owner/app", identity).is_some());
    }
}
