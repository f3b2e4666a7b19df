//! GHCR's retention backend (issue 14): tags from the GitHub Packages API, the manifest graph
//! from the registry, deletes through the Packages API.
//!
//! A GHCR repository `ghcr.io/<owner>/<package…>` is a container package; each of its versions
//! is one manifest digest with its tags, and deleting a version removes every tag on it (GHCR
//! cannot untag: [`DeleteMode::ByDigest`]). Tagged versions make the inventory (their
//! `created_at` is the created time). Index children and attestation manifests of a multi-arch
//! image are separate *untagged* versions: hoist reads each tagged manifest through the
//! distribution API of the same registry, with that registry's own credentials, so the
//! selection knows what a kept tag needs (a per-platform tag of a kept index is kept), and it
//! never deletes an untagged version (they are not in the inventory, so they stay; the
//! conservative answer to actions/delete-package-versions #90/#162).
//!
//! Credentials: `github-token` goes only to `GITHUB_API_URL` (as the metadata reads do), the
//! registry credential only to the registry. `HOIST_GHCR_REGISTRY` names one more host that is
//! a GitHub Packages container registry (GitHub Enterprise Server's `containers.<host>`; the
//! tests' local registry); it changes which API deletes, never where a credential goes.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::github::api::GitHubApi;
use crate::github::packages::{OwnerKind, Package, PackagesError, Version};
use crate::meta::retention::{Inventory, TagInfo};
use crate::registry::endpoint::Endpoint;
use crate::registry::retry::{Failure, RetryPolicy, with_retry};
use crate::registry::{self, Masker, PublishOptions, Target};

use super::Job;

/// The GitHub Packages API, default base URL.
const DEFAULT_API: &str = "https://api.github.com";

/// Whether `registry` is served by GitHub Packages: `ghcr.io`, or the host named by
/// `HOIST_GHCR_REGISTRY`.
pub fn is_ghcr(registry: &str, job: &Job<'_>) -> bool {
    registry == "ghcr.io"
        || job
            .env
            .ghcr_registry
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(registry))
}

/// One GHCR package's retention.
pub struct Ghcr {
    /// Boxed: the client is large, and [`super::backend::Backend`] holds one variant inline.
    api: Box<GitHubApi>,
    base_url: String,
    owner: String,
    package: String,
    endpoint: Endpoint,
    repository: String,
    retry: RetryPolicy,
    /// Filled by [`Ghcr::inventory`]: where the package lives and digest → version id.
    listed: OnceLock<(OwnerKind, BTreeMap<String, u64>)>,
}

impl Ghcr {
    /// The backend for a GHCR `target`.
    ///
    /// # Errors
    /// No `github-token`, a repository without a package name, or a client that cannot be built.
    pub fn new(
        job: &Job<'_>,
        target: &Target,
        options: &PublishOptions,
        mask: &Masker,
    ) -> Result<Self, String> {
        let Some(token) = job.github_token else {
            return Err(format!(
                "`{}` deletes through the GitHub Packages API, which needs `github-token` (hint: the default `${{{{ github.token }}}}` with `permissions: packages: write`)",
                target.registry
            ));
        };
        let Some((owner, package)) = target.repository.split_once('/') else {
            return Err(format!(
                "`{}/{}` names no package: GHCR images are `{}/<owner>/<package>`",
                target.registry, target.repository, target.registry
            ));
        };
        let base_url = job
            .env
            .api_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_API)
            .to_owned();
        let api = GitHubApi::new(&base_url, Some(token), job.env.ssl_cert_file.as_deref())
            .map_err(|e| e.to_string())?;
        let endpoint = registry::endpoint_for(target, options, mask).map_err(|e| e.to_string())?;
        Ok(Self {
            api: Box::new(api),
            base_url,
            owner: owner.to_owned(),
            package: package.to_owned(),
            endpoint,
            repository: target.repository.clone(),
            retry: options.retry,
            listed: OnceLock::new(),
        })
    }

    fn package(&self) -> Package<'_> {
        Package {
            api: &self.api,
            base_url: &self.base_url,
            owner: &self.owner,
            package: &self.package,
        }
    }

    /// Every tag (from the tagged versions) and the graph below them (from the registry).
    ///
    /// # Errors
    /// The Packages API or a manifest read failed (the text names which).
    pub async fn inventory(&self) -> Result<Inventory, String> {
        let (kind, versions): (OwnerKind, Vec<Version>) = with_retry(&self.retry, || async {
            self.package().list_versions().await.map_err(failure)
        })
        .await
        .map_err(|(f, _)| text(f))?;
        let tagged: Vec<String> = versions
            .iter()
            .filter(|v| !v.tags.is_empty())
            .map(|v| v.digest.clone())
            .collect();
        let children = registry::retention::graph(
            &self.endpoint,
            &self.repository,
            &self.retry,
            &tagged,
        )
        .await
        .map_err(|f| {
            format!(
                "reading the manifests of `{}` (the graph that protects what kept tags need): {f}",
                self.repository
            )
        })?;
        let tags = versions
            .iter()
            .flat_map(|v| {
                v.tags.iter().map(|t| TagInfo {
                    name: t.clone(),
                    digest: v.digest.clone(),
                    created: v.created,
                })
            })
            .collect();
        let ids = versions.iter().map(|v| (v.digest.clone(), v.id)).collect();
        // A second inventory on the same backend keeps the first listing's ids.
        let _ = self.listed.set((kind, ids));
        Ok(Inventory { tags, children })
    }

    /// Deletes the version holding `digest` (every tag on it). `Ok(false)` when already gone.
    ///
    /// # Errors
    /// The digest was not listed by [`Ghcr::inventory`], or the API refused.
    pub async fn delete(&self, digest: &str) -> Result<bool, String> {
        let Some((kind, id)) = self
            .listed
            .get()
            .and_then(|(kind, ids)| ids.get(digest).map(|id| (*kind, *id)))
        else {
            return Err(format!(
                "deleting {digest}: not a version of the package listed before"
            ));
        };
        with_retry(&self.retry, || async {
            self.package()
                .delete_version(kind, id)
                .await
                .map_err(failure)
        })
        .await
        .map_err(|(f, _)| format!("deleting {digest} (version {id}): {}", text(f)))
    }
}

/// A Packages error as the retry layer classifies it (transport and 5xx/429 retried).
fn failure(e: PackagesError) -> Failure {
    match e {
        PackagesError::Transport(message) => Failure::Transport {
            transient: true,
            message,
            tls: None,
        },
        PackagesError::Status {
            status,
            message,
            retry_after,
        } => Failure::Status {
            status,
            code: None,
            message,
            retry_after: retry_after.map(|s| std::time::Duration::from_secs(s.min(60))),
        },
        PackagesError::Malformed(m) => Failure::Fatal(m),
    }
}

/// The message without the retry layer's `HTTP <status>` prefix (the message names it).
fn text(f: Failure) -> String {
    match f {
        Failure::Status { message, .. }
        | Failure::Fatal(message)
        | Failure::Transport { message, .. } => message,
    }
}
