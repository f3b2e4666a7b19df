//! `DigitalOcean`'s retention backend (issue 14): tags from the `DigitalOcean` API, the manifest
//! graph from the registry, deletes by digest through the API, `retention-gc` as a collection of
//! unreferenced blobs only.
//!
//! A repository `registry.digitalocean.com/<registry>/<repo…>` lists its tags with their digests
//! through the API, but not the manifests below a multi-arch index (platform images, buildx
//! attestations), which are untagged. hoist reads each tagged manifest through the distribution
//! API of the same registry, with the registry's own credential, so the selection knows what a
//! kept tag needs. Deleting by digest ([`DeleteMode::ByDigest`]) lets the selection delete a
//! manifest only when every tag on it is selected and no kept tag or index reaches it; a
//! selected tag on a needed digest is kept and reported. The platform manifests of a deleted
//! index stay as untagged manifests (hoist never deletes an untagged manifest).
//!
//! `retention-gc` starts `unreferenced blobs only`, never `untagged manifests`: that collection
//! covers the whole registry, and every multi-arch image's platform manifests are untagged.
//!
//! Credentials: the API token (the registry credential's password, as `DigitalOcean` issues it)
//! goes only to the API base URL, the registry credential only to the registry host.
//! `HOIST_DIGITALOCEAN_REGISTRY` names one more host served as a `DigitalOcean` registry (the
//! tests' local registry); it changes which API deletes, never where a credential goes.

use crate::meta::retention::{DeleteMode, Inventory, TagInfo};
use crate::registry::endpoint::Endpoint;
use crate::registry::retention::digitalocean::{self as api, DoApi, GcStart};
use crate::registry::retry::RetryPolicy;
use crate::registry::{self, Masker, PublishOptions, Target};

use super::Job;
use super::backend::Gc;

/// Whether `registry` is `DigitalOcean` Container Registry: `registry.digitalocean.com`, or the
/// host named by `HOIST_DIGITALOCEAN_REGISTRY`.
pub fn is_digitalocean(registry: &str, job: &Job<'_>) -> bool {
    registry == api::REGISTRY_HOST
        || job
            .env
            .digitalocean_registry
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(registry))
}

/// One `DigitalOcean` repository's retention.
pub struct DigitalOcean {
    api: DoApi,
    endpoint: Endpoint,
    repository: String,
    retry: RetryPolicy,
}

impl DigitalOcean {
    /// The backend for a `DigitalOcean` `target`: the API token is the registry credential's
    /// password (what `registry-auth` or the docker config holds for the registry).
    ///
    /// # Errors
    /// No credential, a repository without a registry name, or a client that cannot be built.
    pub fn new(
        job: &Job<'_>,
        target: &Target,
        options: &PublishOptions,
        mask: &Masker,
    ) -> Result<Self, String> {
        let cred = registry::credential_for(
            &target.registry,
            &target.repository,
            &options.credentials,
            options.ghcr_default.as_ref(),
            &options.docker_config,
        )
        .ok_or_else(|| {
            format!(
                "retention on `{}` needs the DigitalOcean API token (hint: give it as the `password` of a `registry-auth` item for `{}`, as for pushing)",
                target.image, target.registry
            )
        })?;
        mask(&cred.password);
        let api = DoApi::new(
            job.env.digitalocean_api_url.as_deref(),
            &target.repository,
            cred.password,
            &options.ca_pems,
            options.retry,
        )?;
        let endpoint = registry::endpoint_for(target, options, mask).map_err(|e| e.to_string())?;
        Ok(Self {
            api,
            endpoint,
            repository: target.repository.clone(),
            retry: options.retry,
        })
    }

    /// Deletes by digest: the selection decides which digests nothing kept needs.
    #[must_use]
    pub fn mode(&self) -> DeleteMode {
        DeleteMode::ByDigest
    }

    /// Every tag (from the API) and the graph below the tagged manifests (from the registry).
    /// A tag's created time is its image's (config `created`, else the creation annotation),
    /// else the API's `updated_at`.
    ///
    /// # Errors
    /// The API or a manifest read failed (the text names which).
    pub async fn inventory(&self) -> Result<Inventory, String> {
        let tags = self.api.tags().await.map_err(|f| {
            format!(
                "reading the tags of `{}` through the DigitalOcean API: {f}",
                self.repository
            )
        })?;
        let mut tagged: Vec<String> = tags.iter().map(|t| t.digest.clone()).collect();
        tagged.sort();
        tagged.dedup();
        let (children, times) = registry::retention::graph_with_times(
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
        let tags = tags
            .into_iter()
            .map(|t| TagInfo {
                created: times.get(&t.digest).copied().or(t.created),
                name: t.name,
                digest: t.digest,
            })
            .collect();
        Ok(Inventory { tags, children })
    }

    /// Deletes the manifest `digest` (every tag on it). `Ok(false)` when already gone.
    ///
    /// # Errors
    /// The API refused.
    pub async fn delete(&self, digest: &str) -> Result<bool, String> {
        self.api
            .delete_manifest(digest)
            .await
            .map_err(|f| format!("deleting {digest} through the DigitalOcean API: {f}"))
    }

    /// Starts the registry's collection of unreferenced blobs (`retention-gc: true`).
    ///
    /// # Errors
    /// The API refused to start it.
    pub async fn gc(&self) -> Result<Gc, String> {
        let registry = self.api.registry();
        match self.api.start_gc().await {
            Ok(GcStart::Started { uuid, status }) => Ok(Gc::Started(format!(
                "registry `{registry}`, uuid {uuid}, status `{status}`, type `{}`",
                api::GC_TYPE
            ))),
            Ok(GcStart::AlreadyRunning) => Ok(Gc::AlreadyRunning(format!(
                "a garbage collection is already running on registry `{registry}` (409): none started; the deleted manifests' blobs go with the next one"
            ))),
            Err(f) => Err(format!(
                "starting the garbage collection of registry `{registry}`: {f}"
            )),
        }
    }
}
