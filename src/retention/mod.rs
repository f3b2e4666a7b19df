//! The retention step (issue 14), at the edge: for each target repository, reads what it holds
//! through the registry adapter, lets the pure selection ([`crate::meta::retention`]) decide,
//! enforces `retention-max-deletes`, deletes (or, with `push: false`, only plans), logs one line
//! per deletion and skipped tag, and renders the `retention-results` output.
//!
//! Runs only after the tag phase of a target that succeeded (the caller never passes a failed
//! one), only in repositories named in `images`, one target after the other, within what is left
//! of the step's `timeout`. Which registry API a target goes through is [`backend`]'s choice.

use std::fmt::Write as _;

use serde::Serialize;

use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::meta::retention::{self as rules, DeleteMode, Outcome, Policy};
use crate::registry::{self, Masker, PublishOptions, Target};

pub mod backend;
pub mod digitalocean;
pub mod ghcr;

use backend::{Backend, Gc, Unit};

/// What one retention run is asked to do.
pub struct Job<'a> {
    /// The rules.
    pub policy: &'a Policy,
    /// `retention-max-deletes`.
    pub max_deletes: usize,
    /// `retention-gc`.
    pub gc: bool,
    /// `push: false`: plan only.
    pub dry_run: bool,
    /// "Now" in unix seconds (`SOURCE_DATE_EPOCH` when set).
    pub now: i64,
    /// The environment: the vendor API base URLs (`GITHUB_API_URL`, `HOIST_*_API_URL`, the AWS
    /// endpoints) and the AWS keys.
    pub env: &'a RunnerEnv,
    /// `github-token` (else `GITHUB_TOKEN`): GHCR's package API.
    pub github_token: Option<&'a str>,
}

/// One deleted (or, in a dry run, to-be-deleted) tag.
#[derive(Debug, Serialize)]
struct Deleted {
    tag: String,
    digest: String,
    rule: String,
}

/// One tag a rule selected but that is kept.
#[derive(Debug, Serialize)]
struct Skipped {
    tag: String,
    digest: String,
    rule: String,
    reason: String,
}

/// The `retention-results` entry of one target.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct TargetResult {
    image: String,
    registry: String,
    repository: String,
    dry_run: bool,
    kept: Vec<String>,
    deleted: Vec<Deleted>,
    skipped: Vec<Skipped>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The results of a retention run over every target.
#[derive(Debug, Default)]
pub struct Results {
    targets: Vec<TargetResult>,
}

impl Results {
    /// The `retention-results` output: a JSON list, one object per target.
    #[must_use]
    pub fn render_json(&self) -> String {
        serde_json::to_string(&self.targets).unwrap_or_else(|_| "[]".to_owned())
    }

    /// The job summary: one row per deleted (or, in a dry run, to-be-deleted) and skipped tag.
    #[must_use]
    pub fn render_summary(&self) -> String {
        let cell = registry::text::markdown;
        let mut md = String::from(
            "### hoist retention\n\n| Image | Tag | Digest | Rule | Result |\n|---|---|---|---|---|\n",
        );
        for t in &self.targets {
            let done = if t.dry_run {
                "would be deleted"
            } else if t.error.is_some() {
                "not deleted"
            } else {
                "deleted"
            };
            for d in &t.deleted {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {done} |",
                    cell(&t.image),
                    cell(&d.tag),
                    cell(&d.digest),
                    cell(&d.rule)
                );
            }
            for s in &t.skipped {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | kept: {} |",
                    cell(&t.image),
                    cell(&s.tag),
                    cell(&s.digest),
                    cell(&s.rule),
                    cell(&s.reason)
                );
            }
            if let Some(e) = &t.error {
                let _ = writeln!(md, "| {} | | | | ❌ {} |", cell(&t.image), cell(e));
            }
        }
        md
    }

    /// How many targets failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.targets.iter().filter(|t| t.error.is_some()).count()
    }

    /// How many targets ran.
    #[must_use]
    pub fn total(&self) -> usize {
        self.targets.len()
    }
}

/// "Now" for the age rules: `SOURCE_DATE_EPOCH` when set (whole seconds), else the clock.
///
/// # Errors
/// `SOURCE_DATE_EPOCH` is set but not whole seconds.
pub fn now_secs(env: &RunnerEnv) -> Result<i64, String> {
    if let Some(raw) = env.source_date_epoch.as_deref().filter(|v| !v.is_empty()) {
        return raw.trim().parse().map_err(|_| {
            format!("SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, got `{raw}`")
        });
    }
    #[allow(clippy::disallowed_methods)]
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_owned())?;
    Ok(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

/// Runs retention on `targets`, each paired with the tags this run pushed there (never deleted).
pub async fn run(
    job: &Job<'_>,
    targets: &[(&Target, &[String])],
    options: &PublishOptions,
    mask: &Masker,
    log: &Log,
) -> Results {
    let mut results = Results::default();
    // Input `timeout` bounds the whole step, retention included.
    let deadline = options.timeout.map(|t| {
        tokio::time::Instant::from_std(options.started.unwrap_or_else(std::time::Instant::now)) + t
    });
    for (target, pushed) in targets {
        let mut result = TargetResult {
            image: target.image.clone(),
            registry: target.registry.clone(),
            repository: target.repository.clone(),
            dry_run: job.dry_run,
            kept: Vec::new(),
            deleted: Vec::new(),
            skipped: Vec::new(),
            error: None,
        };
        let bounded = async {
            match deadline {
                Some(at) => tokio::time::timeout_at(at, one(job, target, pushed, options, mask, log, &mut result))
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!(
                            "retention did not finish within the `timeout` of {} (what was deleted before is in the log)",
                            registry::retry::human(options.timeout.unwrap_or_default())
                        ))
                    }),
                None => one(job, target, pushed, options, mask, log, &mut result).await,
            }
        };
        if let Err(e) = bounded.await {
            let e = log.secrets.scrub(&e);
            log.error(
                Some("retention"),
                &format!("retention on `{}`: {e}", target.image),
            );
            result.error = Some(e);
        }
        results.targets.push(result);
    }
    results
}

async fn one(
    job: &Job<'_>,
    target: &Target,
    pushed: &[String],
    options: &PublishOptions,
    mask: &Masker,
    log: &Log,
    result: &mut TargetResult,
) -> Result<(), String> {
    let backend = Backend::for_target(job, target, options, mask)?;
    let repo = target.repository.as_str();
    let inventory = backend.inventory().await?;
    let mode = backend.mode();
    let selection = rules::select(job.policy, &inventory, pushed, job.now, mode);
    for d in &selection.decisions {
        match &d.outcome {
            Outcome::Kept(_) => result.kept.push(d.tag.clone()),
            Outcome::Delete(rule) => result.deleted.push(Deleted {
                tag: d.tag.clone(),
                digest: d.digest.clone(),
                rule: rule.clone(),
            }),
            Outcome::Skipped { rule, reason } => {
                log.untrusted(&format!(
                    "retention {}: kept `{}` ({}) selected by `{rule}`: {reason}",
                    target.image, d.tag, d.digest
                ));
                result.skipped.push(Skipped {
                    tag: d.tag.clone(),
                    digest: d.digest.clone(),
                    rule: rule.clone(),
                    reason: reason.clone(),
                });
            }
        }
    }
    let verb = if job.dry_run {
        "would delete"
    } else {
        "deleting"
    };
    for d in &result.deleted {
        log.untrusted(&format!(
            "retention {}: {verb} `{}` ({}) by `{}`",
            target.image, d.tag, d.digest, d.rule
        ));
    }
    if let Err(cap) = selection.check_cap(repo, mode, job.max_deletes) {
        // Nothing deleted on this target: the results say what would have gone.
        return Err(cap.to_string());
    }
    if job.dry_run {
        log.info(&format!(
            "retention {}: push is false: {} tag(s) would be deleted, nothing deleted",
            target.image,
            result.deleted.len()
        ));
        return Ok(());
    }
    let digests = selection.deleted_digests();
    let units: Vec<Unit<'_>> = match mode {
        DeleteMode::ByDigest => digests.iter().map(|d| Unit::Digest(d)).collect(),
        DeleteMode::ByTag => selection
            .deleted_tags()
            .map(|d| Unit::Tag {
                tag: &d.tag,
                digest: &d.digest,
            })
            .collect(),
    };
    for unit in &units {
        backend.delete(*unit).await?;
    }
    log.info(&format!(
        "retention {}: deleted {} tag(s) ({} call(s)), kept {}",
        target.image,
        result.deleted.len(),
        units.len(),
        result.kept.len() + result.skipped.len()
    ));
    if job.gc {
        match backend.gc().await? {
            Gc::Started(what) => log.info(&format!(
                "retention {}: garbage collection started: {what}",
                target.image
            )),
            Gc::Unsupported(why) | Gc::AlreadyRunning(why) => {
                log.warning(&format!("retention {}: {why}", target.image));
            }
        }
    }
    Ok(())
}
