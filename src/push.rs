//! The push step: [`prepare`] resolves and validates the push inputs, reads the docker config and
//! the CA files and masks every password, all before any network; [`run`] reads the source into
//! a validated plan, publishes it to every image name × tag of the metadata (unless `push` is
//! false) and returns the `digest` and `push-results` outputs. The work is done by `source`,
//! `plan` and `registry`; the log, errors and job summary are rendered by `outputs::push`.

use std::sync::Arc;

use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::github::files;
use crate::meta::Metadata;
use crate::registry::{self, Credential, Masker, PublishOptions};
use crate::settings::Settings;
use crate::settings::push::{PushInputs, PushSettings, PushSettingsError};
use crate::source::{self, SourceError, SourceRef};

// Hand-written: a `#[from]` would make the inner error the `source` too, and the one-line cause
// chain printed at the edge would repeat it.
impl From<SourceError> for PushError {
    fn from(e: SourceError) -> Self {
        Self::Source(e)
    }
}

// Hand-written for the same reason as `SourceError`'s.
impl From<source::merge::MergeError> for PushError {
    fn from(e: source::merge::MergeError) -> Self {
        Self::Merge(e)
    }
}

/// Why the push step could not run (before any registry was contacted) or failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// A bad push input.
    #[error(transparent)]
    Settings(#[from] PushSettingsError),
    /// The source is unreadable or invalid.
    #[error("input `source`: {0}")]
    Source(SourceError),
    /// Several sources cannot be merged into one index.
    #[error("input `source`: {0}")]
    Merge(source::merge::MergeError),
    /// An image name or tag cannot be pushed to (the error names the input).
    #[error(transparent)]
    Target(#[from] registry::TargetError),
    /// The plan holds a media type registries refuse.
    #[error(transparent)]
    Plan(#[from] registry::PlanError),
    /// The source registry cannot be reached as configured.
    #[error("input `source`: {0}")]
    SourceRegistry(String),
    /// `copy-referrers: true` with a source whose referrers cannot be read yet (archives, the
    /// Docker daemon).
    #[error(
        "input `copy-referrers`: copying referrers is supported for `docker://` and `oci:` sources only\nhint: set `copy-referrers: false`, or push from `docker://` or an `oci:` layout"
    )]
    CopyReferrers,
    /// `copy-referrers: true` with several `source` lines.
    #[error(
        "input `copy-referrers`: copying referrers is not supported with several `source` lines yet\nhint: copy each image's referrers in its own step, or set `copy-referrers: false`"
    )]
    CopyReferrersMerge,
    /// `source` is set but there is nowhere to push.
    #[error("input `source` is set but `images` names no enabled image: nothing to push to")]
    NoImages,
    /// A CA file could not be read.
    #[error("input `registry-ca`: cannot read {path}: {cause}")]
    Ca {
        /// The file.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// A pattern of `immutable-tags` is malformed.
    #[error("input `immutable-tags`: line {line}: {cause}")]
    ImmutableTags {
        /// The 1-based line of the input.
        line: usize,
        /// What is wrong.
        cause: registry::guard::GlobError,
    },
    /// An ECR API call failed (the message names the registry and the AWS operation).
    #[error(transparent)]
    Ecr(#[from] registry::ecr::EcrError),
    /// A docker credential helper failed (the message names it and the registry).
    #[error(transparent)]
    Helper(#[from] registry::auth_config::HelperError),
    /// The job summary could not be written.
    #[error(transparent)]
    Summary(#[from] files::FileCommandError),
    /// `SOURCE_DATE_EPOCH` is unusable (retention's "now").
    #[error("{0}")]
    Clock(String),
    /// Retention failed on some targets (each has its own `::error::`).
    #[error(
        "retention failed for {failed} of {total} image(s); see the errors above and `retention-results`"
    )]
    Retention {
        /// Failed targets.
        failed: usize,
        /// All targets retention ran on.
        total: usize,
    },
    /// Some targets failed (each has its own `::error::`).
    #[error(
        "push failed for {failed} of {total} image(s), {skipped} more left untagged by the tag policy; see the errors above and `push-results`"
    )]
    Failed {
        /// Failed targets.
        failed: usize,
        /// Targets skipped because others failed (atomic policy).
        skipped: usize,
        /// All targets.
        total: usize,
    },
}

/// What the push step produced: outputs to set, and whether it failed.
#[derive(Debug, Default)]
pub struct PushOutcome {
    outputs: Vec<(&'static str, String)>,
    failure: Option<PushError>,
}

impl PushOutcome {
    /// A push step that failed before producing outputs: the metadata outputs and bake files
    /// are still written, then the step fails with this error.
    pub fn failed(error: PushError) -> Self {
        Self {
            outputs: Vec::new(),
            failure: Some(error),
        }
    }

    /// The outputs to set (`digest`, `push-results`), empty when there is no `source`.
    pub fn outputs(&self) -> &[(&'static str, String)] {
        &self.outputs
    }

    /// Ok, or the error that fails the step (after the outputs are written).
    pub fn finish(self) -> Result<(), PushError> {
        self.failure.map_or(Ok(()), Err)
    }
}

/// The `tag-policy` input as the registry layer's type (the edge converts; `registry` knows
/// nothing of `settings`).
fn to_registry_policy(p: crate::settings::push::TagPolicy) -> registry::TagPolicy {
    match p {
        crate::settings::push::TagPolicy::Atomic => registry::TagPolicy::Atomic,
        crate::settings::push::TagPolicy::Partial => registry::TagPolicy::Partial,
    }
}

/// One `registry-auth` item as the registry layer's credential.
fn to_registry_credential(
    c: &crate::settings::push::RegistryCredential,
) -> registry::RegistryCredential {
    registry::RegistryCredential {
        registry: c.registry.clone(),
        username: c.username.clone(),
        password: c.password.clone(),
        scope: c.scope.clone(),
    }
}

/// Reads the docker config and podman's `auth.json` for the credentials fallback (see
/// [`registry::auth_config::load_config`]), masking every password and warning through the log.
fn load_docker_config(env: &RunnerEnv, log: &Log) -> registry::auth_config::DockerConfig {
    let paths = registry::auth_config::ConfigPaths {
        docker_config: env.docker_config.clone(),
        home: env.home.clone(),
        registry_auth_file: env.registry_auth_file.clone(),
        xdg_runtime_dir: env.xdg_runtime_dir.clone(),
    };
    let mask = |secret: &str| log.add_mask(secret);
    let warn = |warning: &str| log.warning(warning);
    registry::auth_config::load_config(&paths, &mask, &warn)
}

/// Runs the docker config's credential helpers for the registries this push speaks to that
/// have no `registry-auth` item (nor the GHCR default): at push time, because only now are the
/// registries known and a helper may hand out a short-lived token. Their credentials come
/// before the config's `auths`, as docker reads them.
async fn with_helper_credentials(
    config: registry::auth_config::DockerConfig,
    push: &PushSettings,
    ghcr_default: bool,
    registries: Vec<String>,
    log: &Log,
) -> Result<Vec<registry::RegistryCredential>, PushError> {
    let needed: Vec<String> = registries
        .into_iter()
        .filter(|r| {
            !(push
                .credentials
                .iter()
                .any(|c| registry::normalize_registry(&c.registry) == *r)
                || (ghcr_default && r == "ghcr.io"))
        })
        .collect();
    let mut creds = registry::auth_config::fetch_helper_credentials(
        &config,
        &needed,
        registry::auth_config::HELPER_TIMEOUT,
        &|secret| log.add_mask(secret),
        &|warning| log.warning(warning),
    )
    .await?;
    creds.extend(config.auths);
    Ok(creds)
}

/// One ECR registry logged in at push time: its API, the AWS keys used, the credential.
struct EcrLogin {
    api: registry::ecr::EcrApi,
    keys: registry::ecr::AwsKeys,
    registry: String,
}

/// The AWS keys of the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional
/// `AWS_SESSION_TOKEN`), when both keys are set.
fn env_aws_keys(env: &RunnerEnv) -> Option<registry::ecr::AwsKeys> {
    let id = env.aws_access_key_id.as_deref().filter(|v| !v.is_empty())?;
    let secret = env
        .aws_secret_access_key
        .as_deref()
        .filter(|v| !v.is_empty())?;
    Some(registry::ecr::AwsKeys {
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: env.aws_session_token.clone().filter(|v| !v.is_empty()),
    })
}

/// ECR logins at push time (so a long build cannot outlive its login): every `registry-auth`
/// item with `ecr: true` (or `auto` on an ECR host name) has its username/password (the AWS key
/// id and secret, else the environment's keys) exchanged through `GetAuthorizationToken` for
/// `AWS` and a registry password; a registry of the push that is ECR by host name and has no
/// credential from `registry-auth` or the docker config uses the environment's keys. Returns the
/// explicit credentials to use and the logins made.
async fn ecr_logins(
    push: &PushSettings,
    env: &RunnerEnv,
    registries: &[String],
    docker_config: &[registry::RegistryCredential],
    log: &Log,
) -> Result<(Vec<registry::RegistryCredential>, Vec<EcrLogin>), PushError> {
    use crate::settings::push::{Ecr, is_ecr_host};
    let region = env
        .aws_region
        .as_deref()
        .filter(|r| !r.is_empty())
        .or(env.aws_default_region.as_deref());
    let endpoint = env
        .aws_endpoint_url_ecr
        .as_deref()
        .filter(|e| !e.is_empty())
        .or(env.aws_endpoint_url.as_deref());
    let mask_log = log.clone();
    let mask: Masker = Arc::new(move |secret: &str| mask_log.add_mask(secret));
    let mut explicit = Vec::with_capacity(push.credentials.len());
    let mut logins = Vec::new();
    let login = async |registry: &str,
                       keys: Option<registry::ecr::AwsKeys>,
                       logins: &mut Vec<EcrLogin>|
           -> Result<registry::Credential, PushError> {
        let keys = keys.ok_or_else(|| registry::ecr::EcrError::NoKeys {
            registry: registry.to_owned(),
        })?;
        log.secrets.add(&keys.secret_access_key);
        if let Some(t) = &keys.session_token {
            log.secrets.add(t);
        }
        let api = registry::ecr::EcrApi::new(registry, region, endpoint)?;
        let cred = api.login(&keys, &mask).await?;
        logins.push(EcrLogin {
            api,
            keys,
            registry: registry::normalize_registry(registry),
        });
        Ok(cred)
    };
    for c in &push.credentials {
        let mut rc = to_registry_credential(c);
        if matches!(c.ecr, Some(Ecr::Yes | Ecr::Auto)) {
            let keys = if c.username.is_empty() {
                env_aws_keys(env)
            } else {
                Some(registry::ecr::AwsKeys {
                    access_key_id: c.username.clone(),
                    secret_access_key: c.password.clone(),
                    session_token: None,
                })
            };
            let cred = login(&c.registry, keys, &mut logins).await?;
            rc.username = cred.username;
            rc.password = cred.password;
        }
        explicit.push(rc);
    }
    if let Some(keys) = env_aws_keys(env) {
        for r in registries {
            let covered = |list: &[registry::RegistryCredential]| {
                list.iter()
                    .any(|c| registry::normalize_registry(&c.registry) == *r)
            };
            let host = r.split('/').next().unwrap_or_default();
            if is_ecr_host(host)
                && !covered(&explicit)
                && !covered(docker_config)
                && !logins.iter().any(|l| l.registry == *r)
            {
                let cred = login(r, Some(keys.clone()), &mut logins).await?;
                explicit.push(registry::RegistryCredential {
                    registry: r.clone(),
                    username: cred.username,
                    password: cred.password,
                    scope: None,
                });
            }
        }
    }
    Ok((explicit, logins))
}

/// `ecr-create-repos: true`: `CreateRepository` for every target on an ECR registry logged in
/// at push time, before the preflight (an existing repository is fine).
async fn create_ecr_repos(
    logins: &[EcrLogin],
    targets: &[registry::Target],
    log: &Log,
) -> Result<(), PushError> {
    for t in targets {
        let registry = registry::normalize_registry(&t.registry);
        if let Some(l) = logins.iter().find(|l| l.registry == registry) {
            l.api.create_repository(&l.keys, &t.repository).await?;
            log.info(&format!(
                "ecr-create-repos: repository `{}` ready on `{}`",
                registry::text::inert(&t.repository),
                registry::text::inert(&t.registry)
            ));
        }
    }
    Ok(())
}

/// The push inputs, the docker config and the CA files, read, validated and masked at the start
/// of the run, before any other output and before any network.
#[derive(Debug)]
pub struct Prepared {
    /// `None` without `source`; a bad push input is kept to fail the step after the metadata
    /// outputs are written.
    ready: Result<Option<Ready>, PushError>,
}

/// A push step with every input resolved: only the network is left.
#[derive(Debug)]
struct Ready {
    push: PushSettings,
    /// One per line of `source` (one line: today's single image); empty for retention alone
    /// (no `source`).
    sources: Vec<(source::merge::Line, SourceRef)>,
    ca_pems: Vec<(String, Vec<u8>)>,
    retry: registry::retry::RetryPolicy,
    docker_config: registry::auth_config::DockerConfig,
    immutable_tags: Vec<registry::guard::Glob>,
}

/// Resolves the push inputs, hands every password to the log's mask (`::add-mask::` on a runner,
/// the scrubber locally) and, when there is a `source`, reads the docker config and the
/// `registry-ca` files and parses `retry-pacing` and `source`. A bad push input is kept and fails
/// the step after the metadata outputs are written.
pub fn prepare(raw: &PushInputs, env: &RunnerEnv, log: &Log) -> Prepared {
    let ready = PushSettings::resolve(raw)
        .map_err(PushError::from)
        .and_then(|push| {
            for c in &push.credentials {
                log.add_mask(&c.password);
            }
            if push.source.is_none() && push.retention.is_empty() {
                return Ok(None);
            }
            let docker_config = load_docker_config(env, log);
            ready(push, docker_config).map(Some)
        });
    Prepared { ready }
}

fn ready(
    push: PushSettings,
    docker_config: registry::auth_config::DockerConfig,
) -> Result<Ready, PushError> {
    let mut ca_pems = Vec::new();
    for path in &push.registry_ca {
        let pem = std::fs::read(path).map_err(|cause| PushError::Ca {
            path: path.clone(),
            cause,
        })?;
        ca_pems.push((path.clone(), pem));
    }
    let retry = match push.retry_pacing.as_deref() {
        Some(spec) => registry::retry::RetryPolicy::parse_overrides(spec)
            .map_err(PushSettingsError::RetryPacing)?,
        None => registry::retry::RetryPolicy::default(),
    };
    let sources = match push.source.as_deref() {
        Some(s) => parse_sources(s)?,
        None => Vec::new(),
    };
    let immutable_tags = push
        .immutable_tags
        .iter()
        .map(|(line, p)| {
            registry::guard::Glob::parse(p)
                .map_err(|cause| PushError::ImmutableTags { line: *line, cause })
        })
        .collect::<Result<_, _>>()?;
    if push.copy_referrers == Some(true) {
        if sources.len() > 1 {
            return Err(PushError::CopyReferrersMerge);
        }
        if !sources
            .iter()
            .all(|(_, s)| matches!(s, SourceRef::Remote { .. } | SourceRef::Layout { .. }))
        {
            return Err(PushError::CopyReferrers);
        }
    }
    Ok(Ready {
        push,
        sources,
        ca_pems,
        retry,
        docker_config,
        immutable_tags,
    })
}

/// `latest-guard: semver`: the tags guarded (the one the flavor marks latest, the last tag name
/// when the version has `latest`, prefix/suffix included; and a tag named `latest` written in
/// `tags`) and the version being published (the main version, loosely parsed).
fn latest_guard(meta: &Metadata) -> registry::guard::LatestGuard {
    let flavor = meta
        .version
        .latest
        .then(|| meta.tag_names.last().cloned())
        .flatten();
    registry::guard::LatestGuard {
        tags: meta
            .tag_names
            .iter()
            .filter(|t| *t == "latest" || Some(*t) == flavor.as_ref())
            .cloned()
            .collect(),
        ours: meta
            .version
            .main
            .as_deref()
            .and_then(registry::guard::version),
    }
}

/// A `latest` skipped by the guard is a notice, not a failure (one line per tag).
fn notice_skipped_latest(log: &Log, report: &registry::PushReport) {
    let mut seen = Vec::new();
    for t in &report.targets {
        for g in &t.tags {
            if let Some(d) = g.guard.as_deref().filter(|d| d.starts_with("skipped"))
                && !seen.contains(&(g.tag.as_str(), d))
            {
                seen.push((g.tag.as_str(), d));
                log.notice(&format!(
                    "tag `{}` left where it is ({d}; input `latest-guard`)",
                    g.tag
                ));
            }
        }
    }
}

/// Parses the `source` input, one image per non-empty line (numbered as written).
fn parse_sources(value: &str) -> Result<Vec<(source::merge::Line, SourceRef)>, PushError> {
    let lines: Vec<(usize, &str)> = value
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if let [(_, one)] = lines.as_slice() {
        // One line: exactly the single-image path (its errors as before).
        let line = source::merge::Line {
            number: 1,
            text: (*one).to_owned(),
        };
        return Ok(vec![(line, source::parse_source(one)?)]);
    }
    lines
        .into_iter()
        .map(|(number, text)| {
            let line = source::merge::Line {
                number,
                text: text.to_owned(),
            };
            match source::parse_source(text) {
                Ok(r) => Ok((line, r)),
                Err(cause) => Err(source::merge::MergeError::Source { line, cause }.into()),
            }
        })
        .collect()
}

/// Reads one source into a local image (a `docker://` one pulled into a spool, within the
/// `timeout`).
async fn load_source(
    source_ref: &SourceRef,
    push: &PushSettings,
    options: &PublishOptions,
    mask: &Masker,
    spool_base: &std::path::Path,
    env: &RunnerEnv,
    referrers: Option<&Log>,
) -> Result<(source::LocalImage, Option<crate::plan::ReferrerSet>), PushError> {
    Ok(match source_ref {
        SourceRef::Remote { image } => {
            let remote = source::remote::parse_remote(image);
            // Named under `source`, once (a `TargetError` is about `images`).
            let from = registry::parse_target(&remote.name, &[])
                .map_err(|e| PushError::SourceRegistry(format!("`docker://{image}`: {}", e.why)))?;
            let endpoint = registry::endpoint_for(&from, options, mask)
                .map_err(|cause| PushError::SourceRegistry(format!("{}: {cause}", from.host)))?;
            let pull = registry::Pull {
                endpoint: &endpoint,
                repository: &from.repository,
                retry: &options.retry,
            };
            // The image, then (when asked) its referrers, all within `timeout`.
            let load = async {
                let mut image =
                    source::remote::load(&pull, &from.repository, &remote.reference, spool_base)
                        .await?;
                let mut set = None;
                if let Some(log) = referrers {
                    let plan = source::plan(&image, &push.platforms)?;
                    let found = source::referrers::discover(&pull, &plan, &mut image).await?;
                    crate::outputs::push::referrers(log, &found);
                    set = Some(found);
                }
                Ok::<_, SourceError>((image, set))
            };
            tokio::time::timeout(push.timeout, load)
                .await
                .map_err(|_| {
                    PushError::SourceRegistry(format!(
                        "{}: reading the image did not finish within the `timeout` of {}",
                        from.host,
                        registry::retry::human(push.timeout)
                    ))
                })??
        }
        local => {
            let image = source::load(local, spool_base, env.docker_host.as_deref())?;
            let mut set = None;
            if let (SourceRef::Layout { path, .. }, Some(log)) = (local, referrers) {
                let plan = source::plan(&image, &push.platforms)?;
                let found = source::referrers::discover_in_layout(path, &plan, &image)?;
                crate::outputs::push::referrers(log, &found);
                set = Some(found);
            }
            (image, set)
        }
    })
}

/// Replaces the known secrets in the peer-provided texts of a report.
fn scrub_report(report: &mut registry::PushReport, log: &Log) {
    for t in &mut report.targets {
        if let Some(e) = &mut t.error {
            e.operation = log.secrets.scrub(&e.operation);
            e.cause = log.secrets.scrub(&e.cause);
            if let Some(h) = &mut e.hint {
                *h = log.secrets.scrub(h);
            }
        }
    }
}

/// Runs the push half. Without `source`, does nothing.
pub async fn run(
    prepared: Prepared,
    settings: &Settings,
    meta: &Metadata,
    env: &RunnerEnv,
    log: &Log,
) -> Result<PushOutcome, PushError> {
    // Input `timeout` bounds the whole push, reading a `docker://` source included.
    let started = std::time::Instant::now();
    let Some(Ready {
        push,
        sources,
        ca_pems,
        retry,
        docker_config,
        immutable_tags,
    }) = prepared.ready?
    else {
        return Ok(PushOutcome::default());
    };
    // SIGTERM/SIGINT remove the spools before exiting (drop guards do not run on a signal);
    // watched only by a run that may make spools, so that a metadata-only start stays light.
    source::spool::watch_signals();
    let ghcr_default = match (
        env.actor.as_deref().filter(|a| !a.is_empty()),
        settings.github_token.as_deref().or(env.token.as_deref()),
    ) {
        (Some(actor), Some(token)) if !token.is_empty() => Some(Credential {
            username: actor.to_owned(),
            password: token.to_owned(),
        }),
        _ => None,
    };
    let mut registries: Vec<String> = meta
        .image_names
        .iter()
        .map(|name| registry::auth_config::registry_of(name))
        .collect();
    for (_, source_ref) in &sources {
        if let SourceRef::Remote { image } = source_ref {
            let remote = source::remote::parse_remote(image);
            registries.push(registry::auth_config::registry_of(&remote.name));
        }
    }
    let docker_config = with_helper_credentials(
        docker_config,
        &push,
        ghcr_default.is_some(),
        registries.clone(),
        log,
    )
    .await?;
    let (credentials, ecr) = ecr_logins(&push, env, &registries, &docker_config, log).await?;
    let options = PublishOptions {
        policy: to_registry_policy(push.tag_policy),
        insecure_registries: push.insecure_registries.clone(),
        ca_pems,
        credentials,
        ghcr_default,
        docker_config,
        retry,
        timeout: Some(push.timeout),
        started: Some(started),
        progress: crate::outputs::progress::Renderer::new(
            log,
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
        .progress(),
        immutable_tags,
        latest_guard: push.latest_guard.then(|| latest_guard(meta)),
        referrers: None,
        chunk_size: push.chunk_size,
    };
    let mut options = options;
    let mask_log = log.clone();
    let mask: Masker = Arc::new(move |secret: &str| mask_log.add_mask(secret));
    let spool_base = env.runner_temp.clone().unwrap_or_else(std::env::temp_dir);
    if sources.is_empty() {
        // Retention alone (a scheduled cleanup): every image of `images`, nothing pushed.
        let targets = meta
            .image_names
            .iter()
            .map(|name| registry::parse_target(name, &[]))
            .collect::<Result<Vec<_>, _>>()?;
        let pairs: Vec<_> = targets.iter().map(|t| (t, &[][..])).collect();
        return retention(
            &push,
            &pairs,
            &options,
            &mask,
            env,
            settings.github_token.as_deref(),
            log,
            Vec::new(),
            None,
        )
        .await;
    }
    let (plan, image): (_, Box<dyn source::BlobReader>) = if let [(_, one)] = sources.as_slice() {
        // One line: its referrers too (input `copy-referrers`; by default for `docker://`).
        let copy = push
            .copy_referrers
            .unwrap_or(matches!(one, SourceRef::Remote { .. }));
        let (image, referrers) = load_source(
            one,
            &push,
            &options,
            &mask,
            &spool_base,
            env,
            copy.then_some(log),
        )
        .await?;
        options.referrers = referrers.map(Arc::new);
        let plan = source::plan(&image, &push.platforms)?;
        (plan, Box::new(image))
    } else {
        let mut loaded = Vec::with_capacity(sources.len());
        for (line, source_ref) in &sources {
            let (image, _) =
                load_source(source_ref, &push, &options, &mask, &spool_base, env, None)
                    .await
                    .map_err(|e| match e {
                        PushError::Source(cause) => {
                            PushError::Merge(source::merge::MergeError::Source {
                                line: line.clone(),
                                cause,
                            })
                        }
                        PushError::SourceRegistry(why) => {
                            PushError::SourceRegistry(format!("{line}: {why}"))
                        }
                        other => other,
                    })?;
            loaded.push((line.clone(), image));
        }
        let annotations = meta.annotations.as_deref().unwrap_or_default();
        let (plan, merged) = source::merge::merge(loaded, &push.platforms, annotations)?;
        (plan, Box::new(merged))
    };
    registry::check_plan(&plan)?;
    if meta.image_names.is_empty() {
        return Err(PushError::NoImages);
    }
    let targets = meta
        .image_names
        .iter()
        .map(|name| registry::parse_target(name, &meta.tag_names))
        .collect::<Result<Vec<_>, _>>()?;
    // Several `source` lines: the platforms of the merged index, for the plan, summary, results.
    let merged = (sources.len() > 1).then(|| source::merge::platforms_of(&plan));
    match &merged {
        Some(platforms) => crate::outputs::push::merged_plan(log, &plan, &targets, platforms),
        None => crate::outputs::push::plan(log, &plan, &targets),
    }
    let digest = plan.root().digest.to_string();
    if !push.push {
        // Every blob hashed (streamed), the single image's errors unchanged.
        for b in &plan.blobs {
            image.verify_blob(b).map_err(|e| SourceError::Layout(e.0))?;
        }
        log.info("push is false: nothing was pushed");
        let pairs: Vec<_> = targets.iter().map(|t| (t, &t.tags[..])).collect();
        return retention(
            &push,
            &pairs,
            &options,
            &mask,
            env,
            settings.github_token.as_deref(),
            log,
            vec![("digest", digest)],
            None,
        )
        .await;
    }

    if push.ecr_create_repos {
        create_ecr_repos(&ecr, &targets, log).await?;
    }
    let mut report = registry::publish(&plan, image.as_ref(), &targets, &options, &mask).await;
    scrub_report(&mut report, log);
    notice_skipped_latest(log, &report);

    crate::outputs::push::results(log, env, &report)?;
    let mut push_results = report.render_json();
    if let Some(platforms) = &merged {
        crate::outputs::push::merged_summary(env, platforms)?;
        push_results = crate::outputs::push::merged_results(&plan, &push_results);
    }
    let count = |status| report.targets.iter().filter(|t| t.status == status).count();
    let failure = report.failed().then(|| PushError::Failed {
        failed: count(registry::report::TargetStatus::Failed),
        skipped: count(registry::report::TargetStatus::Skipped),
        total: report.targets.len(),
    });
    // Retention after the tag phase, only where the push succeeded.
    let pairs: Vec<_> = targets
        .iter()
        .filter(|t| {
            report
                .targets
                .iter()
                .any(|r| r.image == t.image && r.status == registry::report::TargetStatus::Ok)
        })
        .map(|t| (t, &t.tags[..]))
        .collect();
    let outputs = vec![("digest", digest), ("push-results", push_results)];
    retention(
        &push,
        &pairs,
        &options,
        &mask,
        env,
        settings.github_token.as_deref(),
        log,
        outputs,
        failure,
    )
    .await
}

/// Runs retention (when `retention` is set) on `targets`, adding `retention-results` to
/// `outputs`; a push failure stays the step's failure.
#[allow(clippy::too_many_arguments)]
async fn retention(
    push: &PushSettings,
    targets: &[(&registry::Target, &[String])],
    options: &PublishOptions,
    mask: &Masker,
    env: &RunnerEnv,
    github_token: Option<&str>,
    log: &Log,
    mut outputs: Vec<(&'static str, String)>,
    failure: Option<PushError>,
) -> Result<PushOutcome, PushError> {
    if push.retention.is_empty() {
        return Ok(PushOutcome { outputs, failure });
    }
    let job = crate::retention::Job {
        policy: &push.retention,
        max_deletes: push.retention_max_deletes,
        gc: push.retention_gc,
        dry_run: !push.push,
        now: crate::retention::now_secs(env).map_err(PushError::Clock)?,
        env,
        github_token: github_token
            .or(env.token.as_deref())
            .filter(|t| !t.is_empty()),
    };
    let results = crate::retention::run(&job, targets, options, mask, log).await;
    if let Some(path) = env.step_summary_file.as_deref() {
        files::append(path, &results.render_summary())?;
    }
    outputs.push(("retention-results", results.render_json()));
    let failure = failure.or_else(|| {
        (results.failed() > 0).then(|| PushError::Retention {
            failed: results.failed(),
            total: results.total(),
        })
    });
    Ok(PushOutcome { outputs, failure })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(source: Option<&str>, ca: &str, pacing: Option<&str>) -> PushInputs {
        PushInputs {
            source: source.map(str::to_owned),
            registry_ca: Some(ca.to_owned()),
            retry_pacing: pacing.map(str::to_owned),
            ..PushInputs::default()
        }
    }

    fn prepared(raw: &PushInputs) -> Result<Option<Ready>, PushError> {
        let env = RunnerEnv {
            docker_config: Some("/nonexistent-hoist-test".into()),
            ..RunnerEnv::default()
        };
        prepare(raw, &env, &Log::local(false, true)).ready
    }

    #[test]
    fn prepare_reads_the_ca_files_before_any_network() {
        let raw = inputs(
            Some("oci:/nonexistent-hoist-test"),
            "/nonexistent/ca.pem",
            None,
        );
        let e = prepared(&raw).unwrap_err();
        assert!(matches!(e, PushError::Ca { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("input `registry-ca`: cannot read /nonexistent/ca.pem: "),
            "{e}"
        );
    }

    #[test]
    fn prepare_parses_retry_pacing_and_source_up_front() {
        let pacing = inputs(Some("oci:/x"), "", Some("nonsense"));
        let e = prepared(&pacing).unwrap_err();
        assert!(
            matches!(e, PushError::Settings(PushSettingsError::RetryPacing(_))),
            "{e:?}"
        );
        let source = inputs(Some("ftp://x"), "", None);
        let e = prepared(&source).unwrap_err();
        assert!(e.to_string().starts_with("input `source`: "), "{e}");
    }

    #[test]
    fn copy_referrers_true_needs_a_registry_or_layout_source() {
        let mut raw = inputs(Some("oci-archive:/x.tar"), "", None);
        raw.copy_referrers = Some("true".into());
        let e = prepared(&raw).unwrap_err();
        assert!(matches!(e, PushError::CopyReferrers), "{e:?}");
        for ok in ["oci:/x", "docker://127.0.0.1:5000/a"] {
            raw.source = Some(ok.into());
            assert!(prepared(&raw).is_ok(), "{ok}");
        }
        raw.source = Some("docker-archive:/x.tar".into());
        raw.copy_referrers = Some("false".into());
        assert!(prepared(&raw).is_ok());
        // Several lines merge into one index: their referrers are not copied (yet), and asking
        // for them is refused before any network rather than silently ignored.
        raw.source = Some("docker://127.0.0.1:5000/a:amd64\noci:/x".into());
        raw.copy_referrers = Some("true".into());
        let e = prepared(&raw).unwrap_err();
        assert!(matches!(e, PushError::CopyReferrersMerge), "{e:?}");
        assert!(e.to_string().starts_with("input `copy-referrers`: "), "{e}");
        raw.copy_referrers = None;
        assert!(
            prepared(&raw).is_ok(),
            "the default copies nothing for a merge"
        );
    }

    #[test]
    fn without_a_source_nothing_else_is_read() {
        let raw = inputs(None, "/nonexistent/ca.pem", Some("nonsense"));
        assert!(prepared(&raw).unwrap().is_none());
    }
}
