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
use crate::registry::retention::ecr::EcrRepository;
use crate::registry::retry::RetryPolicy;
use crate::registry::{self, Masker, PublishOptions, Target};

use super::Job;
use super::digitalocean::DigitalOcean;
use super::ghcr::Ghcr;

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
    /// A garbage collection is already running there (a warning, not a failure).
    AlreadyRunning(String),
}

/// A target's retention API.
// One value per target and run, never in a collection: the size difference costs nothing.
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
    /// GHCR: tags from the GitHub Packages API, the graph from the registry, deletes by version.
    Ghcr(Ghcr),
    /// `DigitalOcean`: tags from its API, the graph from the registry, deletes by digest through
    /// the API, garbage collection of unreferenced blobs.
    DigitalOcean(Box<DigitalOcean>),
    /// ECR's API: `DescribeImages` (+ `BatchGetImage` for indexes), `BatchDeleteImage` by tag.
    Ecr(Box<EcrRepository>),
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
        if super::ghcr::is_ghcr(&target.registry, job) {
            return Ok(Self::Ghcr(Ghcr::new(job, target, options, mask)?));
        }
        if let Some(why) = unsupported(&target.registry) {
            return Err(format!(
                "{why} (hint: remove `retention` for this image, or run it against a distribution-API registry)"
            ));
        }
        if super::digitalocean::is_digitalocean(&target.registry, job) {
            return DigitalOcean::new(job, target, options, mask)
                .map(|d| Self::DigitalOcean(Box::new(d)));
        }
        if registry::ecr::region_of(&target.registry).is_some() {
            return ecr_repository(job, target, mask).map(|r| Self::Ecr(Box::new(r)));
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
            Self::Distribution { .. } | Self::Ghcr(_) => DeleteMode::ByDigest,
            Self::DigitalOcean(d) => d.mode(),
            // All untag; the manifest stays for what else points to it.
            Self::Ecr(_) | Self::DockerHub(_) | Self::Quay(_) => DeleteMode::ByTag,
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
            Self::Ghcr(ghcr) => ghcr.inventory().await,
            Self::DigitalOcean(d) => d.inventory().await,
            Self::Ecr(repo) => repo.inventory().await.map(to_inventory),
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
            (Self::Ghcr(ghcr), Unit::Digest(digest)) => ghcr.delete(digest).await,
            (Self::Ghcr(_), Unit::Tag { tag, .. }) => Err(format!(
                "GHCR deletes package versions (digests), it cannot untag `{tag}`"
            )),
            (Self::DigitalOcean(d), Unit::Digest(digest)) => d.delete(digest).await,
            (Self::DigitalOcean(_), Unit::Tag { tag, .. }) => Err(format!(
                "hoist deletes DigitalOcean manifests by digest, it does not untag `{tag}`"
            )),
            (Self::Ecr(repo), Unit::Tag { tag, .. }) => repo.untag(tag).await,
            (Self::Ecr(_), Unit::Digest(digest)) => Err(format!(
                "this registry's API untags, it does not delete by digest ({digest})"
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
            Self::Ghcr(_) => Ok(Gc::Unsupported(
                "`retention-gc` does nothing on GHCR: GitHub Packages frees a deleted version's storage itself".to_owned(),
            )),
            Self::DigitalOcean(d) => d.gc().await,
            Self::Ecr(_) => Ok(Gc::Unsupported(
                "`retention-gc` does nothing on ECR: ECR frees an image's storage when its last tag goes".to_owned(),
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
        "public.ecr.aws" => Some(
            "Amazon ECR Public deletes through the ecr-public API, which hoist does not call for retention yet",
        ),
        _ => None,
    }
}

/// ECR's API for `target`, with the environment's AWS keys (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the region from the host name (else
/// `AWS_REGION`, `AWS_DEFAULT_REGION`) and the endpoint override (`AWS_ENDPOINT_URL_ECR`, else
/// `AWS_ENDPOINT_URL`).
fn ecr_repository(job: &Job<'_>, target: &Target, mask: &Masker) -> Result<EcrRepository, String> {
    let env = job.env;
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let (Some(id), Some(secret)) = (
        nonempty(&env.aws_access_key_id),
        nonempty(&env.aws_secret_access_key),
    ) else {
        return Err(registry::ecr::EcrError::NoKeys {
            registry: target.registry.clone(),
        }
        .to_string()
            + " (retention on ECR calls the ECR API with the environment's keys)");
    };
    mask(&secret);
    let session_token = nonempty(&env.aws_session_token);
    if let Some(t) = &session_token {
        mask(t);
    }
    let region = nonempty(&env.aws_region).or_else(|| nonempty(&env.aws_default_region));
    let endpoint = nonempty(&env.aws_endpoint_url_ecr).or_else(|| nonempty(&env.aws_endpoint_url));
    let api = registry::ecr::EcrApi::new(&target.registry, region.as_deref(), endpoint.as_deref())
        .map_err(|e| e.to_string())?;
    Ok(EcrRepository::new(
        api,
        registry::ecr::AwsKeys {
            access_key_id: id,
            secret_access_key: secret,
            session_token,
        },
        &target.repository,
    ))
}
