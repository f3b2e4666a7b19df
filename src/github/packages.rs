//! The GitHub Packages REST API for container packages (GHCR retention, issue 14): list a
//! package's versions (each a manifest digest with its tags) and delete one version.
//!
//! Owns the paths, the pagination (`per_page=100`, `Link: rel="next"` followed on the API's own
//! origin only), the parsing of the recorded response shape and the error texts with their hints.
//! Every page and error body is bounded, the pages and versions are capped, every request has the
//! API client's deadline. Decides nothing: what to delete is `meta::retention`'s choice, the
//! retries are the caller's. Reference: <https://docs.github.com/en/rest/packages/packages>.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use http::Method;
use serde_json::Value as Json;

use super::api::{GitHubApi, RawResponse, segment};

/// Versions asked for per page (the API's maximum).
pub const PER_PAGE: usize = 100;
/// The most pages followed (an API looping its `Link` stops here).
const MAX_PAGES: usize = 1000;
/// The most versions read from one package.
const MAX_VERSIONS: usize = 100_000;
/// The largest page read (100 versions are ~60 KiB; tags lists can be long).
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// The largest error or delete answer read.
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Whose namespace the package lives in (the path prefix of every call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    /// `/orgs/{org}/packages/…`.
    Org,
    /// `/users/{user}/packages/…`.
    User,
}

impl OwnerKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Org => "orgs",
            Self::User => "users",
        }
    }
}

/// One package version: a manifest digest and the tags pointing to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The version id (what `DELETE …/versions/{id}` takes).
    pub id: u64,
    /// The manifest digest (the version's `name`).
    pub digest: String,
    /// `metadata.container.tags` (empty: an untagged version).
    pub tags: Vec<String>,
    /// `created_at` in unix seconds, when readable.
    pub created: Option<i64>,
}

/// A failed Packages API call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackagesError {
    /// No answer (connect, timeout, reset): worth retrying.
    #[error("{0}")]
    Transport(String),
    /// GitHub answered an error status; the text names the call and the fix where known.
    #[error("{message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// What failed, GitHub's message and a hint.
        message: String,
        /// `Retry-After` in seconds, when sent.
        retry_after: Option<u64>,
    },
    /// An answer hoist refuses (not the documented shape, too large, a foreign `Link`).
    #[error("{0}")]
    Malformed(String),
}

/// A container package: `owner` and `package` (the repository path after the owner, e.g.
/// `app/sub` for `ghcr.io/owner/app/sub`).
pub struct Package<'a> {
    /// The API client (its base URL is the origin every call stays on).
    pub api: &'a GitHubApi,
    /// The base URL the client was built for (`GITHUB_API_URL`).
    pub base_url: &'a str,
    /// The user or organisation.
    pub owner: &'a str,
    /// The package name.
    pub package: &'a str,
}

impl Package<'_> {
    fn versions_path(&self, kind: OwnerKind) -> String {
        format!(
            "/{}/{}/packages/container/{}/versions",
            kind.prefix(),
            segment(self.owner),
            segment(self.package)
        )
    }

    /// `GET /orgs/{owner}/packages/container/{package}/versions`, every page; on 404 the same
    /// under `/users/{owner}`. Returns which namespace answered and every version.
    ///
    /// # Errors
    /// Not found in either namespace, refused (401/403, with the permissions hint), a transport
    /// error, or a page that is not the documented shape.
    pub async fn list_versions(&self) -> Result<(OwnerKind, Vec<Version>), PackagesError> {
        match self.list_in(OwnerKind::Org).await {
            Err(PackagesError::Status { status: 404, .. }) => {}
            other => return other.map(|v| (OwnerKind::Org, v)),
        }
        match self.list_in(OwnerKind::User).await {
            Err(PackagesError::Status {
                status: 404,
                retry_after,
                ..
            }) => Err(PackagesError::Status {
                status: 404,
                message: format!(
                    "the container package `{}` of `{}` was not found as an organization's or a user's package (hint: the package name is the image path after the owner; the token must be able to read it: `permissions: packages: read` or more)",
                    self.package, self.owner
                ),
                retry_after,
            }),
            other => other.map(|v| (OwnerKind::User, v)),
        }
    }

    async fn list_in(&self, kind: OwnerKind) -> Result<Vec<Version>, PackagesError> {
        let mut path = format!("{}?per_page={PER_PAGE}", self.versions_path(kind));
        let mut versions: Vec<Version> = Vec::new();
        let mut tags_seen = BTreeSet::new();
        for _ in 0..MAX_PAGES {
            let resp = self.send(&Method::GET, &path, MAX_PAGE_BYTES).await?;
            if resp.status != 200 {
                return Err(self.status_error("listing the versions of", &resp));
            }
            for v in parse_versions(&resp.body)? {
                for t in &v.tags {
                    if !tags_seen.insert(t.clone()) {
                        return Err(PackagesError::Malformed(format!(
                            "the versions of `{}` list the tag `{t}` twice",
                            self.package
                        )));
                    }
                }
                versions.push(v);
            }
            if versions.len() > MAX_VERSIONS {
                return Err(PackagesError::Malformed(format!(
                    "`{}` has more than {MAX_VERSIONS} versions: refused",
                    self.package
                )));
            }
            match resp.link.as_deref().and_then(next_link) {
                None => return Ok(versions),
                Some(next) => path = same_origin_path(self.base_url, next)?,
            }
        }
        Err(PackagesError::Malformed(format!(
            "the versions of `{}` have more than {MAX_PAGES} pages: refused",
            self.package
        )))
    }

    /// `DELETE …/packages/container/{package}/versions/{id}`: the version and every tag on it.
    /// `Ok(false)` when it was already gone (404).
    ///
    /// # Errors
    /// Refused (401/403 with the permissions hint, 400 for a public version with many
    /// downloads), or a transport error.
    pub async fn delete_version(&self, kind: OwnerKind, id: u64) -> Result<bool, PackagesError> {
        let path = format!("{}/{id}", self.versions_path(kind));
        let resp = self.send(&Method::DELETE, &path, MAX_ERROR_BYTES).await?;
        match resp.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(self.status_error(&format!("deleting version {id} of"), &resp)),
        }
    }

    async fn send(
        &self,
        method: &Method,
        path: &str,
        max: usize,
    ) -> Result<RawResponse, PackagesError> {
        self.api
            .send(method, path, max)
            .await
            .map_err(|e| PackagesError::Transport(format!("{method} {path}: {e}")))
    }

    fn status_error(&self, doing: &str, resp: &RawResponse) -> PackagesError {
        let github = serde_json::from_slice::<Json>(&resp.body)
            .ok()
            .and_then(|j| j.get("message").and_then(Json::as_str).map(str::to_owned))
            .map(|m| m.chars().take(300).collect::<String>())
            .unwrap_or_default();
        let mut message = format!(
            "{doing} the container package `{}` of `{}`: HTTP {}",
            self.package, self.owner, resp.status
        );
        if !github.is_empty() {
            let _ = write!(message, ": {github}");
        }
        if let Some(hint) = hint(resp.status) {
            let _ = write!(message, " (hint: {hint})");
        }
        PackagesError::Status {
            status: resp.status,
            message,
            retry_after: resp.retry_after,
        }
    }
}

/// The fix for a refused call, when known.
fn hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some(
            "`github-token` is missing or invalid; the workflow's token works with `permissions: packages: write`",
        ),
        403 => Some(
            "with the workflow's `GITHUB_TOKEN` the job needs `permissions: packages: write` and the package must give this repository the Admin role (package settings, Manage Actions access); a personal access token (classic) needs `read:packages` and `delete:packages`",
        ),
        400 => Some(
            "GitHub refuses to delete a version of a public package downloaded more than 5000 times; keep it with a `type=keep` rule",
        ),
        _ => None,
    }
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

/// The path and query of `link` when it is relative or on `base`'s origin (the token goes with
/// every call, so a page on another origin is refused, not followed).
fn same_origin_path(base: &str, link: &str) -> Result<String, PackagesError> {
    let refused = || {
        PackagesError::Malformed(format!(
            "the next page is on another origin (`{}`): refused",
            link.chars().take(200).collect::<String>()
        ))
    };
    let uri: http::Uri = link.parse().map_err(|_| refused())?;
    if uri.scheme().is_some() || uri.authority().is_some() {
        let base: http::Uri = base.parse().map_err(|_| refused())?;
        let port = |u: &http::Uri| {
            u.port_u16().or(match u.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            })
        };
        let same = uri.scheme() == base.scheme()
            && uri.host().map(str::to_ascii_lowercase) == base.host().map(str::to_ascii_lowercase)
            && port(&uri) == port(&base);
        if !same {
            return Err(refused());
        }
    }
    uri.path_and_query()
        .map(|p| p.as_str().to_owned())
        .filter(|p| p.starts_with('/'))
        .ok_or_else(refused)
}

/// Whether `d` is a digest hoist accepts (`sha256:` + 64 or `sha512:` + 128 lower-case hex).
fn valid_digest(d: &str) -> bool {
    let hex = |h: &str, n: usize| {
        h.len() == n
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    d.strip_prefix("sha256:").is_some_and(|h| hex(h, 64))
        || d.strip_prefix("sha512:").is_some_and(|h| hex(h, 128))
}

/// The distribution tag grammar: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Parses one page of `GET …/packages/container/{package}/versions`: a JSON list of versions,
/// each `{id, name: <digest>, created_at, metadata: {container: {tags: [...]}}}`.
///
/// # Errors
/// Not a list, or a version without a numeric `id`, a digest `name` or a tags list, or with a
/// tag outside the tag grammar: the text names the field (a version misread as untagged could
/// hide what a kept tag needs, so nothing is guessed).
pub fn parse_versions(body: &[u8]) -> Result<Vec<Version>, PackagesError> {
    let bad = |what: String| PackagesError::Malformed(format!("a package versions page {what}"));
    let json: Json = serde_json::from_slice(body).map_err(|e| bad(format!("is not JSON: {e}")))?;
    let Json::Array(items) = json else {
        return Err(bad("is not a list".to_owned()));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = item
            .get("id")
            .and_then(Json::as_u64)
            .ok_or_else(|| bad(format!("has an entry ({i}) without a numeric `id`")))?;
        let digest = item
            .get("name")
            .and_then(Json::as_str)
            .filter(|d| valid_digest(d))
            .ok_or_else(|| bad(format!("has a version ({id}) whose `name` is not a digest")))?;
        let tags = item
            .pointer("/metadata/container/tags")
            .and_then(Json::as_array)
            .ok_or_else(|| {
                bad(format!(
                    "has a version ({id}) without `metadata.container.tags`"
                ))
            })?;
        let mut names = Vec::with_capacity(tags.len());
        for t in tags {
            match t.as_str() {
                Some(t) if valid_tag(t) => names.push(t.to_owned()),
                _ => {
                    return Err(bad(format!(
                        "has a version ({id}) with a tag that is not a valid tag"
                    )));
                }
            }
        }
        let created = item
            .get("created_at")
            .and_then(Json::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp());
        out.push(Version {
            id,
            digest: digest.to_owned(),
            tags: names,
            created,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of "List package versions for a package owned by a user" (container), from
    /// <https://docs.github.com/en/rest/packages/packages#list-package-versions-for-a-package-owned-by-a-user>.
    const RECORDED: &str = r#"[
      {
        "id": 45763,
        "name": "sha256:08a44bab0bddaddd8837a8b381aebc2e4b933768b981685a9e088360af0d3dd9",
        "url": "https://api.github.com/users/octocat/packages/container/hello_docker/versions/45763",
        "package_html_url": "https://github.com/users/octocat/packages/container/package/hello_docker",
        "created_at": "2020-09-11T21:56:40Z",
        "updated_at": "2021-02-05T21:32:32Z",
        "html_url": "https://github.com/users/octocat/packages/container/hello_docker/45763",
        "metadata": {"package_type": "container", "container": {"tags": ["latest"]}}
      },
      {
        "id": 881,
        "name": "sha256:b3d3e366b55f9a54599220198b3db5da8f53592acbbb7dc7e4e9878762fc5344",
        "url": "https://api.github.com/users/octocat/packages/container/hello_docker/versions/881",
        "package_html_url": "https://github.com/users/octocat/packages/container/package/hello_docker",
        "created_at": "2020-05-21T22:22:20Z",
        "updated_at": "2021-02-05T21:32:32Z",
        "html_url": "https://github.com/users/octocat/packages/container/hello_docker/881",
        "metadata": {"package_type": "container", "container": {"tags": []}}
      }
    ]"#;

    #[test]
    fn the_documented_page_parses() {
        let v = parse_versions(RECORDED.as_bytes()).unwrap();
        assert_eq!(
            v,
            [
                Version {
                    id: 45763,
                    digest:
                        "sha256:08a44bab0bddaddd8837a8b381aebc2e4b933768b981685a9e088360af0d3dd9"
                            .to_owned(),
                    tags: vec!["latest".to_owned()],
                    created: Some(1_599_861_400),
                },
                Version {
                    id: 881,
                    digest:
                        "sha256:b3d3e366b55f9a54599220198b3db5da8f53592acbbb7dc7e4e9878762fc5344"
                            .to_owned(),
                    tags: Vec::new(),
                    created: Some(1_590_099_740),
                },
            ]
        );
        assert_eq!(parse_versions(b"[]").unwrap(), []);
    }

    #[test]
    fn malformed_pages_are_errors_naming_the_field() {
        let digest = "sha256:08a44bab0bddaddd8837a8b381aebc2e4b933768b981685a9e088360af0d3dd9";
        let one = |v: &str| format!("[{v}]");
        let cases = [
            ("not json".to_owned(), "is not JSON"),
            (r#"{"message":"x"}"#.to_owned(), "is not a list"),
            (one(r#"{"name":"x"}"#), "without a numeric `id`"),
            (one(r#"{"id":-1}"#), "without a numeric `id`"),
            (one(r#"{"id":1,"name":"1.0.4"}"#), "`name` is not a digest"),
            (
                one(&format!(
                    r#"{{"id":1,"name":"{digest}","metadata":{{"package_type":"npm"}}}}"#
                )),
                "without `metadata.container.tags`",
            ),
            (
                one(&format!(
                    r#"{{"id":1,"name":"{digest}","metadata":{{"container":{{"tags":["../x"]}}}}}}"#
                )),
                "not a valid tag",
            ),
            (
                one(&format!(
                    r#"{{"id":1,"name":"{digest}","metadata":{{"container":{{"tags":[7]}}}}}}"#
                )),
                "not a valid tag",
            ),
        ];
        for (body, want) in cases {
            match parse_versions(body.as_bytes()) {
                Err(PackagesError::Malformed(m)) => assert!(m.contains(want), "{body}: {m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn unreadable_created_times_are_unknown() {
        let body = r#"[{"id":1,"name":"sha256:08a44bab0bddaddd8837a8b381aebc2e4b933768b981685a9e088360af0d3dd9","created_at":"yesterday","metadata":{"container":{"tags":["a"]}}}]"#;
        assert_eq!(parse_versions(body.as_bytes()).unwrap()[0].created, None);
    }

    #[test]
    fn next_pages_stay_on_the_api_origin() {
        let link = "<https://api.github.com/organizations/9919/packages/container/app/versions?per_page=100&page=2>; rel=\"next\", <https://api.github.com/organizations/9919/packages/container/app/versions?per_page=100&page=3>; rel=\"last\"";
        let next = next_link(link).unwrap();
        assert_eq!(
            same_origin_path("https://api.github.com", next).unwrap(),
            "/organizations/9919/packages/container/app/versions?per_page=100&page=2"
        );
        assert_eq!(
            same_origin_path(
                "https://API.github.com:443/",
                "https://api.github.com/x?page=2"
            )
            .unwrap(),
            "/x?page=2"
        );
        assert_eq!(
            same_origin_path("http://127.0.0.1:9", "/x?page=2").unwrap(),
            "/x?page=2"
        );
        for foreign in [
            "https://evil.example/x?page=2",
            "http://api.github.com/x?page=2",
            "https://api.github.com:8443/x",
        ] {
            assert!(
                matches!(
                    same_origin_path("https://api.github.com", foreign),
                    Err(PackagesError::Malformed(_))
                ),
                "{foreign}"
            );
        }
        assert_eq!(next_link("<https://x/a>; rel=\"prev\""), None);
    }

    #[test]
    fn refusals_carry_the_permissions_hint() {
        assert!(hint(403).unwrap().contains("packages: write"));
        assert!(hint(401).unwrap().contains("github-token"));
        assert_eq!(hint(500), None);
    }
}
