//! The push step's shell: resolves the push inputs, reads the source into a validated plan,
//! prints the plan, publishes it to every image name × tag of the metadata (unless `push` is
//! false), and turns the report into the `digest` and `push-results` outputs, the job summary
//! and one `::error::` per failed target. The work is done by `source`, `plan` and `registry`.

use std::sync::Arc;

use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::github::files;
use crate::meta::Metadata;
use crate::registry::{self, Credential, Masker, PublishOptions, Target};
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

/// Why the push step could not run (before any registry was contacted) or failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// A bad push input.
    #[error(transparent)]
    Settings(#[from] PushSettingsError),
    /// The source is unreadable or invalid.
    #[error("input `source`: {0}")]
    Source(SourceError),
    /// An image name or tag cannot be pushed to (the error names the input).
    #[error(transparent)]
    Target(#[from] registry::TargetError),
    /// The plan holds a media type registries refuse.
    #[error(transparent)]
    Plan(#[from] registry::PlanError),
    /// The source registry cannot be reached as configured.
    #[error("input `source`: {0}")]
    SourceRegistry(String),
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
    /// The job summary could not be written.
    #[error(transparent)]
    Summary(#[from] files::FileCommandError),
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

fn describe_plan(plan: &crate::plan::Plan, targets: &[Target]) -> Vec<String> {
    let root = plan.root();
    let mut lines = vec![format!("digest: {} ({})", root.digest, root.media_type)];
    for m in &plan.manifests[..plan.manifests.len() - 1] {
        lines.push(format!(
            "manifest: {} {} {}",
            m.digest,
            m.platform.as_deref().unwrap_or("-"),
            m.media_type
        ));
    }
    lines.push(format!(
        "blobs: {} ({} bytes)",
        plan.blobs.len(),
        plan.blob_bytes()
    ));
    for t in targets {
        if t.tags.is_empty() {
            lines.push(format!("{} (by digest only, no tag)", t.image));
        }
        for tag in &t.tags {
            lines.push(format!("{}:{tag}", t.image));
        }
    }
    lines
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
    }
}

/// Reads the docker config for the credentials fallback (see
/// [`registry::auth::load_docker_config`]), masking every password and warning through the log.
fn load_docker_config(env: &RunnerEnv, log: &Log) -> Vec<registry::RegistryCredential> {
    registry::auth::load_docker_config(
        env.docker_config.as_deref(),
        env.home.as_deref(),
        &|secret| log.add_mask(secret),
        &|warning| log.warning(warning),
    )
}

/// The push inputs and the docker config, read and masked at the start of the run, before any
/// other output and before any network.
#[derive(Debug)]
pub struct Prepared {
    push: Result<PushSettings, PushSettingsError>,
    docker_config: Vec<registry::RegistryCredential>,
}

/// Resolves the push inputs and reads the docker config (only when there is a `source`), and
/// hands every password to the log's mask (`::add-mask::` on a runner, the scrubber locally).
/// A bad push input is kept and fails the step after the metadata outputs are written.
pub fn prepare(raw: &PushInputs, env: &RunnerEnv, log: &Log) -> Prepared {
    let push = PushSettings::resolve(raw);
    let mut docker_config = Vec::new();
    if let Ok(push) = &push {
        for c in &push.credentials {
            log.add_mask(&c.password);
        }
        if push.source.is_some() {
            docker_config = load_docker_config(env, log);
        }
    }
    Prepared {
        push,
        docker_config,
    }
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
    let push = prepared.push?;
    let Some(source_input) = push.source.as_deref() else {
        return Ok(PushOutcome::default());
    };
    let mut ca_pems = Vec::new();
    for path in &push.registry_ca {
        let pem = std::fs::read(path).map_err(|cause| PushError::Ca {
            path: path.clone(),
            cause,
        })?;
        ca_pems.push((path.clone(), pem));
    }
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
    let docker_config = prepared.docker_config;
    let retry = match push.retry_pacing.as_deref() {
        Some(spec) => registry::retry::RetryPolicy::parse_overrides(spec)
            .map_err(PushSettingsError::RetryPacing)?,
        None => registry::retry::RetryPolicy::default(),
    };
    let options = PublishOptions {
        policy: to_registry_policy(push.tag_policy),
        insecure_registries: push.insecure_registries.clone(),
        ca_pems,
        credentials: push
            .credentials
            .iter()
            .map(to_registry_credential)
            .collect(),
        ghcr_default,
        docker_config,
        retry,
        timeout: Some(push.timeout),
        started: Some(started),
        progress: crate::progress::Renderer::new(
            log,
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
        .progress(),
    };
    let mask_log = log.clone();
    let mask: Masker = Arc::new(move |secret: &str| mask_log.add_mask(secret));
    let source_ref = source::parse_source(source_input)?;
    let spool_base = env.runner_temp.clone().unwrap_or_else(std::env::temp_dir);
    let image = match &source_ref {
        SourceRef::Remote { image } => {
            let remote = source::remote::parse_remote(image);
            // Named under `source`, once (a `TargetError` is about `images`).
            let from = registry::parse_target(&remote.name, &[])
                .map_err(|e| PushError::SourceRegistry(format!("`docker://{image}`: {}", e.why)))?;
            let endpoint = registry::endpoint_for(&from, &options, &mask)
                .map_err(|cause| PushError::SourceRegistry(format!("{}: {cause}", from.host)))?;
            let pull = registry::Pull {
                endpoint: &endpoint,
                repository: &from.repository,
                retry: &options.retry,
            };
            let load =
                source::remote::load(&pull, &from.repository, &remote.reference, &spool_base);
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
        local => source::load(local, &spool_base, env.docker_host.as_deref())?,
    };
    let plan = source::plan(&image, &push.platforms)?;
    registry::check_plan(&plan)?;
    if meta.image_names.is_empty() {
        return Err(PushError::NoImages);
    }
    let targets = meta
        .image_names
        .iter()
        .map(|name| registry::parse_target(name, &meta.tag_names))
        .collect::<Result<Vec<_>, _>>()?;
    log.group("Push plan");
    for line in describe_plan(&plan, &targets) {
        log.untrusted(&line);
    }
    log.end_group();
    let digest = plan.root().digest.to_string();
    if !push.push {
        source::verify_all(&image, &plan)?;
        log.info("push is false: nothing was pushed");
        return Ok(PushOutcome {
            outputs: vec![("digest", digest)],
            failure: None,
        });
    }

    let mut report = registry::publish(&plan, &image, &targets, &options, &mask).await;
    scrub_report(&mut report, log);

    log.group("Push results");
    for t in &report.targets {
        let tags: Vec<String> = t
            .tags
            .iter()
            .map(|g| format!("{}={:?}", g.tag, g.status))
            .collect();
        log.untrusted(&format!(
            "{}: {:?}; blobs uploaded {}, existing {}, {} bytes; tags {}",
            t.image,
            t.status,
            t.blobs.uploaded,
            t.blobs.existing,
            t.blobs.bytes_uploaded,
            tags.join(", ")
        ));
    }
    log.end_group();
    for line in report
        .targets
        .iter()
        .filter_map(registry::report::TargetReport::error_line)
    {
        log.error(Some("hoist push"), &line);
    }
    if let Some(path) = env.step_summary_file.as_deref() {
        files::append(path, &report.render_summary())?;
    }
    let count = |status| report.targets.iter().filter(|t| t.status == status).count();
    let failure = report.failed().then(|| PushError::Failed {
        failed: count(registry::report::TargetStatus::Failed),
        skipped: count(registry::report::TargetStatus::Skipped),
        total: report.targets.len(),
    });
    Ok(PushOutcome {
        outputs: vec![("digest", digest), ("push-results", report.render_json())],
        failure,
    })
}
