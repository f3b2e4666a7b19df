//! The GitHub REST API, through octocrab: the two reads metadata-action makes
//! (`GET /repos/{owner}/{repo}` and `GET /repos/{owner}/{repo}/commits/{ref}`), against
//! `GITHUB_API_URL`. Octocrab's types stay inside this module.

use std::fmt::Write as _;
use std::time::Duration;

use octocrab::Octocrab;
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
fn segment(s: &str) -> String {
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

impl GitHubApi {
    /// A client for `base_url` (default `https://api.github.com`), authenticated when a token is
    /// given.
    pub fn new(base_url: &str, token: Option<&str>) -> Result<Self, ApiError> {
        let client_err = |reason: String| ApiError::Client {
            url: base_url.to_owned(),
            reason,
        };
        let mut builder = Octocrab::builder()
            .base_uri(base_url)
            .map_err(|e| client_err(describe(&e)))?
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .add_header(
                http::header::USER_AGENT,
                concat!("hoist/", env!("CARGO_PKG_VERSION")).to_owned(),
            );
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            builder = builder.add_header(http::header::AUTHORIZATION, format!("token {t}"));
        }
        let client = builder.build().map_err(|e| client_err(describe(&e)))?;
        Ok(Self { client })
    }

    async fn get(&self, path: String) -> Result<Json, ApiError> {
        self.client
            .get::<Json, _, ()>(&path, None)
            .await
            .map_err(|e| ApiError::Request {
                reason: describe(&e),
                path,
            })
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
