//! Which API a target's retention goes through, and the three things retention asks of it: what
//! the repository holds ([`Backend::inventory`]), deleting one unit of the selection
//! ([`Backend::delete`]: a digest where the registry deletes by digest, a tag where it untags) and
//! starting the registry's garbage collection ([`Backend::gc`], `retention-gc`).
//!
//! One variant per registry API. The distribution API is the default for every host not named
//! below; a registry whose API hoist does not call is refused by [`Backend::for_target`] with an
//! error naming what is missing, never approximated through another API.

use crate::meta::retention::{DeleteMode, Inventory, TagInfo};
use crate::registry::endpoint::Endpoint;
use crate::registry::retry::RetryPolicy;
use crate::registry::{self, Masker, PublishOptions, Target};

use super::Job;

/// One unit of deletion, as the backend's [`DeleteMode`] asks for it.
#[derive(Clone, Copy, Debug)]
pub enum Unit<'a> {
    /// Delete the manifest `digest` (and with it every tag pointing to it).
    Digest(&'a str),
    /// Delete (untag) `tag`, which points to `digest`.
    Tag {
        /// The tag.
        tag: &'a str,
        /// The digest it points to.
        digest: &'a str,
    },
}

/// What `retention-gc` did on a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gc {
    /// The registry's garbage collection was started; the text says which (an id, a type).
    Started(String),
    /// The registry has no garbage collection hoist can start; the text says what to do.
    Unsupported(String),
}

/// A target's retention API.
// One value per target, built once: the unboxed distribution endpoint costs nothing worth a
// reshaping of its variant.
#[allow(clippy::large_enum_variant)]
pub enum Backend {
    /// The distribution API: `tags/list`, manifests read for the graph, `DELETE` by digest.
    Distribution {
        /// The target's endpoint (credentials, TLS, deadlines).
        endpoint: Endpoint,
        /// The repository.
        repository: String,
        /// The retry policy.
        retry: RetryPolicy,
    },
    /// Docker Hub's tag API: listed without manifest pulls, untagged one tag at a time.
    DockerHub(Box<registry::retention::hub::Hub>),
    /// Quay's REST API (`quay.io` with an OAuth access token): untagged one tag at a time.
    Quay(Box<registry::retention::quay::Quay>),
}

impl Backend {
    /// The backend for `target`, or why retention cannot run there.
    ///
    /// # Errors
    /// The registry's API is not one hoist calls, or the endpoint cannot be built.
    pub fn for_target(
        job: &Job<'_>,
        target: &Target,
        options: &PublishOptions,
        mask: &Masker,
    ) -> Result<Self, String> {
        if let Some(why) = unsupported(&target.registry) {
            return Err(format!(
                "{why} (hint: remove `retention` for this image, or run it against a distribution-API registry)"
            ));
        }
        let credential = || {
            registry::credential_for(
                &target.registry,
                &target.repository,
                &options.credentials,
                options.ghcr_default.as_ref(),
                &options.docker_config,
            )
        };
        match target.registry.as_str() {
            "docker.io" => {
                return registry::retention::hub::Hub::new(
                    job.env.docker_hub_api_url.as_deref(),
                    &target.repository,
                    credential(),
                    &options.ca_pems,
                    options.retry,
                    std::sync::Arc::clone(mask),
                )
                .map(|hub| Self::DockerHub(Box::new(hub)));
            }
            // With an OAuth token, Quay's REST API; with a robot account or a password (which
            // the REST API refuses), the distribution API below: Quay deletes by digest there.
            "quay.io" => {
                if let Some(c) =
                    credential().filter(|c| registry::retention::quay::is_oauth_token(Some(c)))
                {
                    return registry::retention::quay::Quay::new(
                        job.env.quay_api_url.as_deref(),
                        &target.repository,
                        &c.password,
                        &options.ca_pems,
                        options.retry,
                        mask,
                    )
                    .map(|quay| Self::Quay(Box::new(quay)));
                }
            }
            _ => {}
        }
        let endpoint = registry::endpoint_for(target, options, mask).map_err(|e| e.to_string())?;
        Ok(Self::Distribution {
            endpoint,
            repository: target.repository.clone(),
            retry: options.retry,
        })
    }

    /// How this registry deletes: decides a selected tag sharing a kept digest, and the cap.
    #[must_use]
    pub fn mode(&self) -> DeleteMode {
        match self {
            Self::Distribution { .. } => DeleteMode::ByDigest,
            Self::DockerHub(_) | Self::Quay(_) => DeleteMode::ByTag,
        }
    }

    /// Every tag of the repository with its digest and created time, and the manifest graph.
    ///
    /// # Errors
    /// The registry's API failed (the text names the call).
    pub async fn inventory(&self) -> Result<Inventory, String> {
        match self {
            Self::Distribution {
                endpoint,
                repository,
                retry,
            } => {
                let listing = registry::retention::inventory(endpoint, repository, retry)
                    .await
                    .map_err(|f| format!("reading the tags of `{repository}`: {f}"))?;
                Ok(to_inventory(listing))
            }
            Self::DockerHub(hub) => hub
                .inventory()
                .await
                .map(to_inventory)
                .map_err(|f| format!("reading the tags through the Docker Hub API: {f}")),
            Self::Quay(quay) => quay
                .inventory()
                .await
                .map(to_inventory)
                .map_err(|f| format!("reading the tags through the Quay API: {f}")),
        }
    }

    /// Deletes one unit of the selection. `Ok(false)` when it was already gone.
    ///
    /// # Errors
    /// The registry refused (the text names the unit and the cause).
    pub async fn delete(&self, unit: Unit<'_>) -> Result<bool, String> {
        match (self, unit) {
            (
                Self::Distribution {
                    endpoint,
                    repository,
                    ..
                },
                Unit::Digest(digest),
            ) => registry::retention::delete_manifest(endpoint, repository, digest)
                .await
                .map_err(|f| format!("deleting {digest}: {f}")),
            (Self::Distribution { .. }, Unit::Tag { tag, .. }) => Err(format!(
                "the distribution API deletes by digest, not by tag (`{tag}`)"
            )),
            (Self::DockerHub(hub), Unit::Tag { tag, .. }) => hub
                .delete_tag(tag)
                .await
                .map_err(|f| format!("deleting `{tag}` through the Docker Hub API: {f}")),
            (Self::Quay(quay), Unit::Tag { tag, .. }) => quay
                .delete_tag(tag)
                .await
                .map_err(|f| format!("deleting `{tag}` through the Quay API: {f}")),
            (Self::DockerHub(_) | Self::Quay(_), Unit::Digest(digest)) => Err(format!(
                "this API untags one tag at a time, not a digest ({digest})"
            )),
        }
    }

    /// Starts the registry's garbage collection (`retention-gc: true`), after the deletions.
    ///
    /// # Errors
    /// The registry refused to start it.
    #[allow(clippy::unused_async)]
    pub async fn gc(&self) -> Result<Gc, String> {
        match self {
            Self::DockerHub(_) | Self::Quay(_) => Ok(Gc::Unsupported(
                "Docker Hub and Quay collect untagged content themselves; `retention-gc` has nothing to start there".to_owned(),
            )),
            Self::Distribution { .. } => Ok(Gc::Unsupported(
                "`retention-gc` applies to registries with an API to start garbage collection (DigitalOcean); run the registry's own garbage collection to free the space".to_owned(),
            )),
        }
    }
}

/// The registry adapter's listing as the selection's inventory.
fn to_inventory(listing: registry::retention::Listing) -> Inventory {
    Inventory {
        tags: listing
            .tags
            .into_iter()
            .map(|t| TagInfo {
                name: t.name,
                digest: t.digest,
                created: t.created,
            })
            .collect(),
        children: listing.children,
    }
}

/// Why a registry has no retention support yet, or `None` for the distribution API.
fn unsupported(registry: &str) -> Option<&'static str> {
    match registry {
        "ghcr.io" => Some(
            "GHCR deletes package versions through the GitHub Packages API, which hoist does not call yet",
        ),
        "registry.digitalocean.com" => {
            Some("DigitalOcean deletes through its registry API, which hoist does not call yet")
        }
        _ => None,
    }
}
