//! Retention on `quay.io` through Quay's REST API (issue 14), when the credential hoist
//! resolved for `quay.io` is an OAuth access token: user name `$oauthtoken` (Quay's own
//! convention for `docker login` with a token), the token as the password. Quay robot accounts
//! and passwords cannot call the REST API; with them the target goes through the distribution
//! API instead (Quay deletes a manifest by digest there), which is [`crate::retention`]'s choice.
//!
//! * Listing: `GET /api/v1/repository/{repository}/tag/?onlyActiveTags=true&limit=100&page=N`
//!   while `has_additional`; each tag's `manifest_digest`, `start_ts` (unix seconds: when the
//!   tag was pushed) and `is_manifest_list`.
//!   <https://docs.redhat.com/en/documentation/red_hat_quay/3/html/use_red_hat_quay/viewing-and-modifying-tags-api>
//! * The graph: for each index, `GET /api/v1/repository/{repository}/manifest/{digest}`
//!   (`manifest_data`: the manifest's JSON text), whose `manifests[].digest` it keeps alive.
//!   <https://docs.redhat.com/en/documentation/red_hat_quay/3/html/red_hat_quay_api_reference/manifest>
//! * Deleting: `DELETE /api/v1/repository/{repository}/tag/{tag}` untags one tag (204).
//!   <https://docs.redhat.com/en/documentation/red_hat_quay/3/html/red_hat_quay_api_reference/tag>
//!
//! Bounded like [`super::hub`]: 4 MiB a page, 1000 pages, 100000 tags, the request deadline,
//! the retry layer. The token goes only to the API's base URL (`HOIST_QUAY_API_URL`, default
//! `https://quay.io`; https or loopback). Decides nothing.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::Value as Json;

use super::api::{ApiClient, error_message, with_forbidden_hint};
use super::{Listing, TagEntry};
use crate::plan::Digest;
use crate::registry::auth::{Credential, Masker};
use crate::registry::retry::{Failure, RetryPolicy, with_retry};
use crate::registry::text;

/// Quay's API for `quay.io`.
pub const DEFAULT_API: &str = "https://quay.io";
/// The user name that makes a credential's password a Quay OAuth access token.
pub const OAUTH_USER: &str = "$oauthtoken";
/// Tags per page (the API's maximum).
const PAGE_SIZE: usize = 100;
/// The most pages followed.
const MAX_PAGES: usize = 1000;
/// The most tags read from one repository.
const MAX_TAGS: usize = 100_000;
/// The largest page or manifest answer read.
const MAX_PAGE_BYTES: u64 = 4 * 1024 * 1024;

/// One tag of a page.
#[derive(Debug, PartialEq, Eq)]
pub struct QuayTag {
    /// The tag, its digest and push time.
    pub entry: TagEntry,
    /// Whether the digest is an index (its children are read separately).
    pub is_list: bool,
}

/// One page of the tag list, parsed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// The tags.
    pub tags: Vec<QuayTag>,
    /// Whether another page follows.
    pub has_additional: bool,
}

/// Whether `credential` is a Quay OAuth access token (the REST API accepts it).
pub fn is_oauth_token(credential: Option<&Credential>) -> bool {
    credential.is_some_and(|c| c.username == OAUTH_USER && !c.password.is_empty())
}

/// Parses one page of `GET /api/v1/repository/{repository}/tag/`.
///
/// # Errors
/// Not the documented shape: not JSON, no `tags` list, a tag without a valid name or digest.
pub fn parse_page(body: &[u8]) -> Result<Page, String> {
    let json: Json =
        serde_json::from_slice(body).map_err(|e| format!("the tag page is not JSON: {e}"))?;
    let Some(list) = json.get("tags").and_then(Json::as_array) else {
        return Err("the tag page has no `tags` list".to_owned());
    };
    let has_additional = match json.get("has_additional") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => return Err("the tag page's `has_additional` is not a boolean".to_owned()),
    };
    let mut tags = Vec::with_capacity(list.len());
    for t in list {
        let Some(name) = t.get("name").and_then(Json::as_str) else {
            return Err("the tag page holds a tag without a `name`".to_owned());
        };
        if !crate::reference::valid_tag(name) {
            return Err(format!(
                "the tag page holds `{}`, which is not a valid tag: refused",
                text::inert(&name.chars().take(140).collect::<String>())
            ));
        }
        let raw = t
            .get("manifest_digest")
            .and_then(Json::as_str)
            .unwrap_or("");
        let digest = Digest::parse(raw).map_err(|_| {
            format!(
                "tag `{name}` has the digest `{}`, which is not one",
                text::inert(&raw.chars().take(100).collect::<String>())
            )
        })?;
        tags.push(QuayTag {
            entry: TagEntry {
                name: name.to_owned(),
                digest: digest.as_str().to_owned(),
                created: t.get("start_ts").and_then(Json::as_i64),
            },
            is_list: t
                .get("is_manifest_list")
                .and_then(Json::as_bool)
                .unwrap_or(false),
        });
    }
    Ok(Page {
        tags,
        has_additional,
    })
}

/// The digests an index keeps alive, from `GET /api/v1/repository/{repository}/manifest/{digest}`
/// (`manifest_data` is the manifest's JSON as a string).
///
/// # Errors
/// No `manifest_data`, or it is not a manifest's JSON.
pub fn parse_manifest_children(body: &[u8]) -> Result<Vec<String>, String> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| format!("the manifest answer is not JSON: {e}"))?;
    let data = json
        .get("manifest_data")
        .and_then(Json::as_str)
        .ok_or_else(|| "the manifest answer has no `manifest_data`".to_owned())?;
    let manifest: Json = serde_json::from_str(data)
        .map_err(|e| format!("the manifest answer's `manifest_data` is not JSON: {e}"))?;
    let mut kids = Vec::new();
    for m in manifest
        .get("manifests")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let raw = m.get("digest").and_then(Json::as_str).unwrap_or("");
        let d = Digest::parse(raw).map_err(|_| {
            format!(
                "the index names `{}`, which is not a digest",
                text::inert(&raw.chars().take(100).collect::<String>())
            )
        })?;
        kids.push(d.as_str().to_owned());
    }
    Ok(kids)
}

/// One Quay repository's retention API.
pub struct Quay {
    api: ApiClient,
    repository: String,
    token: String,
}

impl Quay {
    /// The API for `repository` at `base` (default [`DEFAULT_API`]) with the OAuth access
    /// `token` (masked here).
    ///
    /// # Errors
    /// A bad base URL.
    pub fn new(
        base: Option<&str>,
        repository: &str,
        token: &str,
        ca_pems: &[(String, Vec<u8>)],
        policy: RetryPolicy,
        mask: &Masker,
    ) -> Result<Self, String> {
        mask(token);
        let api = ApiClient::new(
            "the Quay API",
            base.unwrap_or(DEFAULT_API),
            "HOIST_QUAY_API_URL",
            ca_pems,
            policy,
        )?;
        Ok(Self {
            api,
            repository: repository.to_owned(),
            token: token.to_owned(),
        })
    }

    async fn get(&self, path: &str, what: &'static str) -> Result<Vec<u8>, Failure> {
        let url = self.api.url(path)?;
        let answer = with_retry(self.api.policy(), || {
            self.api.exchange(
                Method::GET,
                &url,
                Some(&self.token),
                None,
                MAX_PAGE_BYTES,
                what,
            )
        })
        .await
        .map_err(|(f, _)| f)?;
        match answer.status {
            StatusCode::UNAUTHORIZED => Err(Failure::Fatal(format!(
                "Quay refused the OAuth token for `{}` (HTTP 401) (hint: the token needs the `repo:read` and `repo:write` scopes)",
                text::inert(&self.repository)
            ))),
            StatusCode::NOT_FOUND => Err(Failure::Fatal(format!(
                "Quay has no repository `{}` (HTTP 404)",
                text::inert(&self.repository)
            ))),
            _ => Ok(answer.body),
        }
    }

    /// Every active tag with its digest and push time, and the children of each index.
    ///
    /// # Errors
    /// A failed or malformed page or manifest, too many pages or tags.
    pub async fn inventory(&self) -> Result<Listing, Failure> {
        let mut listing = Listing::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut lists = std::collections::BTreeSet::new();
        let mut more = true;
        let mut page_no = 1;
        while more {
            if page_no > MAX_PAGES {
                return Err(Failure::Fatal(format!(
                    "Quay's tag list of `{}` has more than {MAX_PAGES} pages: refused",
                    text::inert(&self.repository)
                )));
            }
            let body = self
                .get(
                    &format!(
                        "api/v1/repository/{}/tag/?onlyActiveTags=true&limit={PAGE_SIZE}&page={page_no}",
                        self.repository
                    ),
                    "tag page",
                )
                .await?;
            let page = parse_page(&body).map_err(Failure::Fatal)?;
            for t in page.tags {
                if !seen.insert(t.entry.name.clone()) {
                    continue;
                }
                if t.is_list {
                    lists.insert(t.entry.digest.clone());
                }
                listing.tags.push(t.entry);
            }
            if listing.tags.len() > MAX_TAGS {
                return Err(Failure::Fatal(format!(
                    "`{}` has more than {MAX_TAGS} tags: refused",
                    text::inert(&self.repository)
                )));
            }
            more = page.has_additional;
            page_no += 1;
        }
        let mut children = BTreeMap::new();
        for digest in lists {
            let body = self
                .get(
                    &format!("api/v1/repository/{}/manifest/{digest}", self.repository),
                    "manifest answer",
                )
                .await?;
            let kids = parse_manifest_children(&body)
                .map_err(|e| Failure::Fatal(format!("{digest}: {e}")))?;
            if !kids.is_empty() {
                children.insert(digest, kids);
            }
        }
        listing.children = children;
        Ok(listing)
    }

    /// `DELETE /api/v1/repository/{repository}/tag/{tag}`. `Ok(false)` when it was already gone.
    ///
    /// # Errors
    /// Quay refused (the text is Quay's message).
    pub async fn delete_tag(&self, tag: &str) -> Result<bool, Failure> {
        if !crate::reference::valid_tag(tag) {
            return Err(Failure::Fatal(format!(
                "`{}` is not a valid tag",
                text::inert(tag)
            )));
        }
        let url = self
            .api
            .url(&format!("api/v1/repository/{}/tag/{tag}", self.repository))?;
        let answer = with_retry(self.api.policy(), || {
            self.api.exchange(
                Method::DELETE,
                &url,
                Some(&self.token),
                None,
                64 * 1024,
                "delete answer",
            )
        })
        .await
        .map_err(|(f, _)| with_forbidden_hint(f, "the OAuth token needs the `repo:write` scope"))?;
        match answer.status {
            StatusCode::NOT_FOUND => Ok(false),
            StatusCode::UNAUTHORIZED => Err(Failure::Fatal(format!(
                "Quay refused the OAuth token (HTTP 401){}",
                Some(error_message(&answer.body))
                    .filter(|m| !m.is_empty())
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ))),
            _ => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example answer of `GET /api/v1/repository/{repository}/tag/` in Red Hat Quay's
    /// "Viewing image tag information by using the API", with `has_additional`/`page` as the
    /// paginated endpoint returns them.
    const DOC_PAGE: &str = r#"{"tags": [
      {"name": "test-two", "reversion": true, "start_ts": 1718737153, "manifest_digest": "sha256:57583a1b9c0a7509d3417387b4f43acf80d08cdcf5266ac87987be3f8f919d5d", "is_manifest_list": false, "size": 2275314, "last_modified": "Tue, 18 Jun 2024 18:59:13 -0000"},
      {"name": "example", "reversion": false, "start_ts": 1715698131, "manifest_digest": "sha256:57583a1b9c0a7509d3417387b4f43acf80d08cdcf5266ac87987be3f8f919d5d", "is_manifest_list": false, "size": 2275314, "last_modified": "Tue, 14 May 2024 14:48:51 -0000"}
    ], "page": 1, "has_additional": false}"#;

    #[test]
    fn the_documented_page() {
        let page = parse_page(DOC_PAGE.as_bytes()).expect("parses");
        assert!(!page.has_additional);
        assert_eq!(page.tags.len(), 2);
        assert_eq!(page.tags[0].entry.name, "test-two");
        assert_eq!(page.tags[0].entry.created, Some(1_718_737_153));
        assert_eq!(
            page.tags[1].entry.digest,
            "sha256:57583a1b9c0a7509d3417387b4f43acf80d08cdcf5266ac87987be3f8f919d5d"
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        for (body, needle) in [
            ("", "not JSON"),
            ("{}", "no `tags`"),
            (r#"{"tags":[{}]}"#, "without a `name`"),
            (r#"{"tags":[{"name":"a b"}]}"#, "not a valid tag"),
            (r#"{"tags":[{"name":"v1"}]}"#, "not one"),
            (r#"{"tags":[],"has_additional":"yes"}"#, "not a boolean"),
        ] {
            let e = parse_page(body.as_bytes()).expect_err(body);
            assert!(e.contains(needle), "{body}: {e}");
        }
        assert!(parse_page("[".repeat(100_000).as_bytes()).is_err());
        for body in [
            "{}",
            r#"{"manifest_data": 5}"#,
            r#"{"manifest_data": "not json"}"#,
            r#"{"manifest_data": "{\"manifests\":[{\"digest\":\"x\"}]}"}"#,
        ] {
            assert!(parse_manifest_children(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn an_index_keeps_its_children() {
        let kids = parse_manifest_children(
            format!(
                r#"{{"digest":"sha256:{}","is_manifest_list":true,"manifest_data":"{{\"manifests\":[{{\"digest\":\"sha256:{}\"}}]}}"}}"#,
                "a".repeat(64),
                "c".repeat(64)
            )
            .as_bytes(),
        )
        .expect("parses");
        assert_eq!(kids, [format!("sha256:{}", "c".repeat(64))]);
    }

    #[test]
    fn only_an_oauth_token_calls_the_api() {
        let c = |u: &str, p: &str| Credential {
            username: u.into(),
            password: p.into(),
        };
        assert!(is_oauth_token(Some(&c("$oauthtoken", "tok"))));
        assert!(!is_oauth_token(Some(&c("$oauthtoken", ""))));
        assert!(!is_oauth_token(Some(&c("org+robot", "tok"))));
        assert!(!is_oauth_token(None));
    }
}
