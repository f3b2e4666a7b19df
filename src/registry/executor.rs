//! The phased executor: preflight every target, then content (blobs HEAD-skipped or streamed,
//! then manifests by digest, children first), then — only when the tag policy allows — tags,
//! most specific first, skipping a tag already at our digest. Targets run concurrently and
//! never cancel each other; every outcome is kept in the report.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use futures_util::StreamExt as _;
use futures_util::future::join_all;

use super::endpoint::{Endpoint, EndpointConfig, Masker};
use super::report::{
    BlobStats, OpError, PushReport, TagReport, TagStatus, TargetReport, TargetStatus,
};
use super::retry::{Failure, RetryPolicy, hint, with_retry};
use super::{Credential, Target, credential_for};
use crate::plan::{Digest, Plan};
use crate::settings::push::{RegistryCredential, TagPolicy};
use crate::source::BlobReader;

/// Concurrent blob uploads per target.
const BLOB_CONCURRENCY: usize = 3;

/// Concurrent blob HEADs per target.
const HEAD_CONCURRENCY: usize = 8;

/// How to publish.
#[derive(Clone, Debug, Default)]
pub struct PublishOptions {
    /// When tags move.
    pub policy: TagPolicy,
    /// Hosts spoken to over plain http.
    pub insecure_registries: Vec<String>,
    /// Extra CAs (file name, PEM bytes).
    pub ca_pems: Vec<(String, Vec<u8>)>,
    /// `registry-auth`.
    pub credentials: Vec<RegistryCredential>,
    /// The GHCR default credential (`github.actor` + `github-token`).
    pub ghcr_default: Option<Credential>,
    /// Credentials from the docker config file (the last fallback).
    pub docker_config: Vec<RegistryCredential>,
    /// Retry pacing.
    pub retry: RetryPolicy,
    /// Where progress events go.
    pub progress: crate::progress::Progress,
}

/// The endpoint for a target's host, with its credentials (per the precedence), TLS roots and
/// scheme (plain http only when listed in `insecure-registries`).
pub fn endpoint_for(
    target: &Target,
    options: &PublishOptions,
    mask: &Masker,
) -> Result<Endpoint, String> {
    let config = EndpointConfig {
        insecure: options
            .insecure_registries
            .iter()
            .any(|h| h == &target.host || h == &target.registry),
        ca_pems: options.ca_pems.clone(),
    };
    let cred = credential_for(
        &target.registry,
        &options.credentials,
        options.ghcr_default.as_ref(),
        &options.docker_config,
    );
    Endpoint::new(&target.host, &config, cred, Arc::clone(mask))
}

struct Run<'a> {
    target: &'a Target,
    endpoint: Result<Arc<Endpoint>, String>,
    report: TargetReport,
}

impl Run<'_> {
    /// Records this target's failure.
    fn fail(&mut self, error: OpError) {
        self.report.status = TargetStatus::Failed;
        self.report.error = Some(error);
    }
}

/// The report as it stands.
fn finish(runs: Vec<Run<'_>>, digest: String) -> PushReport {
    PushReport {
        digest,
        targets: runs.into_iter().map(|r| r.report).collect(),
    }
}

/// Under the atomic policy one failed target stops the others before anything more moves:
/// they are marked skipped and the report is returned; otherwise the runs go on.
fn stop_if_atomic(
    runs: Vec<Run<'_>>,
    any_failed: bool,
    policy: TagPolicy,
    digest: String,
) -> Result<Vec<Run<'_>>, PushReport> {
    if !(any_failed && policy == TagPolicy::Atomic) {
        return Ok(runs);
    }
    let mut runs = runs;
    for r in &mut runs {
        if r.report.status == TargetStatus::Ok {
            r.report.status = TargetStatus::Skipped;
        }
    }
    Err(finish(runs, digest))
}

fn op_error(operation: String, f: &Failure, attempts: u32, registry: &str) -> OpError {
    let mut cause = f.to_string();
    if attempts > 1 {
        let _ = write!(cause, " (after {attempts} attempts)");
    }
    OpError {
        operation,
        cause,
        hint: hint(f, registry),
    }
}

enum BlobOutcome {
    Existing,
    Mounted,
    Uploaded(u64),
}

/// The blobs a target lacks (HEAD each, bounded).
async fn missing_blobs(
    ep: &Endpoint,
    target: &Target,
    plan: &Plan,
    retry: &RetryPolicy,
) -> Result<HashSet<Digest>, OpError> {
    let repo = target.repository.as_str();
    let results: Vec<Result<Option<Digest>, OpError>> = futures_util::stream::iter(&plan.blobs)
        .map(|blob| async move {
            let exists = with_retry(retry, || ep.blob_exists(repo, &blob.digest))
                .await
                .map_err(|(f, n)| {
                    op_error(
                        format!("check blob {}", blob.digest),
                        &f,
                        n,
                        &target.registry,
                    )
                })?;
            Ok((!exists).then(|| blob.digest.clone()))
        })
        .buffer_unordered(HEAD_CONCURRENCY)
        .collect()
        .await;
    let mut missing = HashSet::new();
    for r in results {
        if let Some(d) = r? {
            missing.insert(d);
        }
    }
    Ok(missing)
}

/// Puts the content (the missing blobs, then manifests children first) into one target.
#[allow(clippy::too_many_arguments)]
async fn push_content(
    ep: &Endpoint,
    target: &Target,
    plan: &Plan,
    reader: &dyn BlobReader,
    retry: &RetryPolicy,
    missing: &HashSet<Digest>,
    siblings: &[&str],
    stats: &mut BlobStats,
    progress: &crate::progress::Progress,
) -> Result<(), OpError> {
    let done = |size: u64, mounted: bool| {
        progress.emit(&crate::progress::Event::BlobDone {
            image: &target.image,
            size,
            mounted,
        });
    };
    let repo = target.repository.as_str();
    let results: Vec<Result<BlobOutcome, OpError>> = futures_util::stream::iter(&plan.blobs)
        .map(|blob| async move {
            if !missing.contains(&blob.digest) {
                done(blob.size, false);
                return Ok(BlobOutcome::Existing);
            }
            // Mount from a sibling repository on the same host; any failure falls back to
            // an upload (mount is an optimisation only).
            for from in siblings {
                if ep.mount_blob(repo, from, &blob.digest).await {
                    done(blob.size, true);
                    return Ok(BlobOutcome::Mounted);
                }
            }
            with_retry(retry, || ep.upload_blob(repo, blob, reader))
                .await
                .map_err(|(f, n)| {
                    op_error(
                        format!("upload blob {}", blob.digest),
                        &f,
                        n,
                        &target.registry,
                    )
                })?;
            done(blob.size, false);
            Ok(BlobOutcome::Uploaded(blob.size))
        })
        .buffer_unordered(BLOB_CONCURRENCY)
        .collect()
        .await;
    let mut first_error = None;
    for r in results {
        match r {
            Ok(BlobOutcome::Existing) => stats.existing += 1,
            Ok(BlobOutcome::Mounted) => stats.mounted += 1,
            Ok(BlobOutcome::Uploaded(n)) => {
                stats.uploaded += 1;
                stats.bytes_uploaded += n;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    for m in &plan.manifests {
        let reference = m.digest.as_str();
        let present = with_retry(retry, || ep.manifest_digest(repo, reference))
            .await
            .map_err(|(f, n)| {
                op_error(
                    format!("check manifest {}", m.digest),
                    &f,
                    n,
                    &target.registry,
                )
            })?;
        if present.as_ref() == Some(&m.digest) {
            continue;
        }
        with_retry(retry, || ep.put_manifest(repo, reference, m))
            .await
            .map_err(|(f, n)| {
                op_error(
                    format!("push manifest {}", m.digest),
                    &f,
                    n,
                    &target.registry,
                )
            })?;
    }
    Ok(())
}

/// Points every tag of one target at the root, most specific first; stops at the first failure.
async fn push_tags(
    ep: &Endpoint,
    target: &Target,
    plan: &Plan,
    retry: &RetryPolicy,
    report: &mut TargetReport,
) {
    let repo = target.repository.as_str();
    let root = plan.root();
    for i in 0..target.tags.len() {
        let tag = target.tags[i].as_str();
        let previous = match with_retry(retry, || ep.manifest_digest(repo, tag)).await {
            Ok(p) => p,
            Err((f, n)) => {
                report.tags[i].status = TagStatus::Failed;
                report.error = Some(op_error(
                    format!("read tag `{tag}`"),
                    &f,
                    n,
                    &target.registry,
                ));
                report.status = TargetStatus::Failed;
                return;
            }
        };
        if previous.as_ref() == Some(&root.digest) {
            report.tags[i].status = TagStatus::Unchanged;
            continue;
        }
        match with_retry(retry, || ep.put_manifest(repo, tag, root)).await {
            Ok(()) => {
                report.tags[i].status = TagStatus::Pushed;
                report.tags[i].previous = previous.map(|d| d.to_string());
            }
            Err((f, n)) => {
                report.tags[i].status = TagStatus::Failed;
                report.error = Some(op_error(format!("tag `{tag}`"), &f, n, &target.registry));
                report.status = TargetStatus::Failed;
                return;
            }
        }
    }
}

/// Publishes `plan` to every target and reports what landed where.
pub async fn publish(
    plan: &Plan,
    reader: &dyn BlobReader,
    targets: &[Target],
    options: &PublishOptions,
    mask: &Masker,
) -> PushReport {
    let digest = plan.root().digest.to_string();
    let mut endpoints: HashMap<&str, Result<Arc<Endpoint>, String>> = HashMap::new();
    for t in targets {
        endpoints
            .entry(t.host.as_str())
            .or_insert_with(|| endpoint_for(t, options, mask).map(Arc::new));
    }
    let mut runs: Vec<Run<'_>> = targets
        .iter()
        .map(|t| Run {
            target: t,
            endpoint: endpoints
                .get(t.host.as_str())
                .cloned()
                .unwrap_or_else(|| Err("no endpoint".into())),
            report: TargetReport {
                image: t.image.clone(),
                registry: t.registry.clone(),
                repository: t.repository.clone(),
                status: TargetStatus::Ok,
                digest: None,
                tags: t
                    .tags
                    .iter()
                    .map(|tag| TagReport {
                        tag: tag.clone(),
                        status: TagStatus::NotMoved,
                        previous: None,
                    })
                    .collect(),
                blobs: BlobStats::default(),
                error: None,
            },
        })
        .collect();

    // Preflight, every target concurrently.
    let preflights = join_all(runs.iter().map(|r| async move {
        match &r.endpoint {
            Err(e) => Err(OpError {
                operation: "configure".into(),
                cause: e.clone(),
                hint: None,
            }),
            Ok(ep) => with_retry(&options.retry, || ep.preflight(&r.target.repository))
                .await
                .map_err(|(f, n)| op_error("preflight".into(), &f, n, &r.target.registry)),
        }
    }))
    .await;
    let mut any_failed = false;
    for (r, p) in runs.iter_mut().zip(preflights) {
        if let Err(e) = p {
            r.fail(e);
            any_failed = true;
        }
    }
    let mut runs = match stop_if_atomic(runs, any_failed, options.policy, digest.clone()) {
        Ok(runs) => runs,
        Err(report) => return report,
    };

    // What each target lacks, then the local check of exactly those blobs: a corrupt source
    // fails here, before any upload, and a re-push of present content reads no blob.
    let lacks = join_all(runs.iter().map(|r| async move {
        match (&r.endpoint, r.report.status) {
            (Ok(ep), TargetStatus::Ok) => {
                Some(missing_blobs(ep, r.target, plan, &options.retry).await)
            }
            _ => None,
        }
    }))
    .await;
    let mut missing: Vec<HashSet<Digest>> = Vec::new();
    for (r, l) in runs.iter_mut().zip(lacks) {
        match l {
            Some(Ok(set)) => missing.push(set),
            Some(Err(e)) => {
                r.fail(e);
                any_failed = true;
                missing.push(HashSet::new());
            }
            None => missing.push(HashSet::new()),
        }
    }
    let needed: HashSet<&Digest> = missing.iter().flatten().collect();
    for blob in plan.blobs.iter().filter(|b| needed.contains(&b.digest)) {
        if let Err(cause) = reader.verify_blob(blob) {
            for r in &mut runs {
                if r.report.status == TargetStatus::Ok {
                    r.fail(OpError {
                        operation: format!("verify source blob {}", blob.digest),
                        cause: cause.clone(),
                        hint: Some("the source is corrupt: rebuild or re-export the image".into()),
                    });
                }
            }
            return finish(runs, digest);
        }
    }

    // Content: hosts concurrently; the targets of one host in turn, so that each can mount
    // the blobs its predecessors uploaded instead of uploading them again.
    let mut hosts: Vec<&str> = Vec::new();
    for r in &runs {
        if !hosts.contains(&r.target.host.as_str()) {
            hosts.push(&r.target.host);
        }
    }
    let per_host = join_all(hosts.iter().map(|host| {
        let runs = &runs;
        let missing = &missing;
        async move {
            let mut done: Vec<&str> = Vec::new();
            let mut out = Vec::new();
            for (i, r) in runs.iter().enumerate() {
                if r.target.host != *host {
                    continue;
                }
                let (Ok(ep), TargetStatus::Ok) = (&r.endpoint, r.report.status) else {
                    continue;
                };
                let mut stats = BlobStats::default();
                let siblings: Vec<&str> = done
                    .iter()
                    .copied()
                    .filter(|s| *s != r.target.repository)
                    .collect();
                let image = r.target.image.as_str();
                options.progress.emit(&crate::progress::Event::Start {
                    image,
                    blobs: plan.blobs.len(),
                    bytes: plan
                        .blobs
                        .iter()
                        .filter(|b| missing[i].contains(&b.digest))
                        .map(|b| b.size)
                        .sum(),
                });
                let result = push_content(
                    ep,
                    r.target,
                    plan,
                    &options.progress.reader(reader, image),
                    &options.retry,
                    &missing[i],
                    &siblings,
                    &mut stats,
                    &options.progress,
                )
                .await;
                let ok = result.is_ok();
                options
                    .progress
                    .emit(&crate::progress::Event::Done { image, ok });
                if result.is_ok() {
                    done.push(&r.target.repository);
                }
                out.push((i, stats, result));
            }
            out
        }
    }))
    .await;
    let mut contents: Vec<Option<(BlobStats, Result<(), OpError>)>> =
        runs.iter().map(|_| None).collect();
    for (i, stats, result) in per_host.into_iter().flatten() {
        contents[i] = Some((stats, result));
    }
    for (r, c) in runs.iter_mut().zip(contents) {
        if let Some((stats, result)) = c {
            r.report.blobs = stats;
            match result {
                Ok(()) => r.report.digest = Some(digest.clone()),
                Err(e) => {
                    r.fail(e);
                    any_failed = true;
                }
            }
        }
    }
    let mut runs = match stop_if_atomic(runs, any_failed, options.policy, digest.clone()) {
        Ok(runs) => runs,
        Err(report) => return report,
    };

    // Tags, every completed target concurrently.
    join_all(runs.iter_mut().map(|r| async move {
        if let (Ok(ep), TargetStatus::Ok) = (&r.endpoint, r.report.status) {
            push_tags(ep, r.target, plan, &options.retry, &mut r.report).await;
        }
    }))
    .await;
    finish(runs, digest)
}
