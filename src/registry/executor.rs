//! The phased executor: preflight every target, then content (blobs HEAD-skipped or streamed,
//! then manifests by digest, children first), then — only when the tag policy allows — tags,
//! [`TAG_CONCURRENCY`] at a time in family order ([`super::tag_order`]: a less specific tag
//! after the more specific ones), skipping a tag already at our digest; then every tag is read
//! back on every registry, and one that no longer points at our digest fails its target (another run
//! moved it: registries have no compare-and-swap, so this detects a race, it cannot prevent
//! it). Targets run concurrently and never cancel each other; every outcome is kept in the
//! report. The whole publish is bounded by [`PublishOptions::timeout`].

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::future::join_all;

use super::auth::RegistryCredential;
use super::endpoint::{Endpoint, EndpointConfig, EndpointError, Masker};
use super::report::{
    BlobStats, OpError, PushReport, TagReport, TagStatus, TargetReport, TargetStatus,
};
use super::retry::{Failure, RetryPolicy, hint, human, with_retry};
use super::text;
use super::verify::{Hashes, Verifying};
use super::{Credential, Target, credential_for};
use crate::plan::BlobReader;
use crate::plan::{Digest, Plan};

/// Concurrent blob uploads per target.
const BLOB_CONCURRENCY: usize = 3;

/// Concurrent blob HEADs per target.
const HEAD_CONCURRENCY: usize = 8;

/// Concurrent tag moves, tag read-backs and guarded-tag reads per target.
pub(super) const TAG_CONCURRENCY: usize = 8;

/// When tags move (the registry's own type; the edge converts the `tag-policy` input).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TagPolicy {
    /// Tags move only when every registry holds all the content.
    #[default]
    Atomic,
    /// Registries that hold the content are tagged even when others failed.
    Partial,
}

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
    /// Retry pacing and request deadlines.
    pub retry: RetryPolicy,
    /// The deadline of the whole push (input `timeout`); `None`: unbounded.
    pub timeout: Option<Duration>,
    /// When the `timeout` started counting (the push began before the publish, reading the
    /// source); `None`: when the publish starts.
    pub started: Option<std::time::Instant>,
    /// Where progress events go.
    pub progress: crate::progress::Progress,
    /// `immutable-tags`: tags matching one of these never move to another digest.
    pub immutable_tags: Vec<super::guard::Glob>,
    /// `latest-guard: semver`: the `latest` tags move only forward.
    pub latest_guard: Option<super::guard::LatestGuard>,
    /// The referrers to copy with the image (input `copy-referrers`): written after the
    /// image's content, before the tags, as content ([`super::referrers::push`]).
    pub referrers: Option<Arc<crate::plan::ReferrerSet>>,
    /// Input `chunk-size`: blob uploads in `PATCH` chunks of this many bytes (`None`:
    /// monolithic).
    pub chunk_size: Option<u64>,
}

/// The endpoint for a target's host, with its credentials (per the precedence), TLS roots and
/// scheme (plain http only when listed in `insecure-registries`).
pub fn endpoint_for(
    target: &Target,
    options: &PublishOptions,
    mask: &Masker,
) -> Result<Endpoint, EndpointError> {
    let config = EndpointConfig {
        insecure: options
            .insecure_registries
            .iter()
            .any(|h| h == &target.host || h == &target.registry),
        ca_pems: options.ca_pems.clone(),
        policy: options.retry,
        chunk_size: options.chunk_size,
    };
    let cred = credential_for(
        &target.registry,
        &target.repository,
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

pub(super) fn op_error(operation: &str, f: &Failure, attempts: u32, registry: &str) -> OpError {
    let mut cause = text::inert(&f.to_string());
    if attempts > 1 {
        let _ = write!(cause, " (after {attempts} attempts)");
    }
    OpError {
        operation: text::inert(operation),
        cause,
        hint: hint(f, registry).map(|h| text::inert(&h)),
    }
}

/// The whole push's deadline.
#[derive(Clone, Copy)]
struct Deadline {
    at: Option<tokio::time::Instant>,
    timeout: Duration,
}

impl Deadline {
    /// Runs `fut` (the `phase` of one target) until the deadline; past it, the target fails.
    async fn bound<T>(
        self,
        phase: &str,
        fut: impl Future<Output = Result<T, OpError>>,
    ) -> Result<T, OpError> {
        let Some(at) = self.at else {
            return fut.await;
        };
        tokio::time::timeout_at(at, fut)
            .await
            .unwrap_or_else(|_| Err(self.expired(phase)))
    }

    fn expired(self, phase: &str) -> OpError {
        OpError {
            operation: phase.to_owned(),
            cause: format!(
                "the push did not finish within its `timeout` of {}",
                human(self.timeout)
            ),
            hint: Some("a registry is stalling or the push is large: raise input `timeout`".into()),
        }
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
    let mut results = futures_util::stream::iter(&plan.blobs)
        .map(|blob| async move {
            let exists = with_retry(retry, || ep.blob_exists(repo, &blob.digest))
                .await
                .map_err(|(f, n)| {
                    op_error(
                        &format!("check blob {}", blob.digest),
                        &f,
                        n,
                        &target.registry,
                    )
                })?;
            Ok((!exists).then(|| blob.digest.clone()))
        })
        .buffer_unordered(HEAD_CONCURRENCY);
    let mut missing = HashSet::new();
    // The first failure ends the target: the HEADs still in flight are dropped, not waited for.
    while let Some(r) = results.next().await {
        if let Some(d) = r? {
            missing.insert(d);
        }
    }
    Ok(missing)
}

/// The failure of a blob whose source bytes do not match its digest (found while uploading).
fn corrupt_source(digest: &Digest, why: &str) -> OpError {
    OpError {
        operation: format!("verify source blob {digest}"),
        cause: text::inert(why),
        hint: Some("the source is corrupt: rebuild or re-export the image".into()),
    }
}

/// Puts the content (the missing blobs, then manifests children first) into one target. The
/// blobs are verified as they are uploaded ([`super::verify`]): a blob whose source does not
/// match its digest fails the target with a fatal error, never retried.
#[allow(clippy::too_many_arguments)]
async fn push_content(
    ep: &Endpoint,
    target: &Target,
    plan: &Plan,
    reader: &dyn BlobReader,
    hashes: &Hashes,
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
    let mut results = futures_util::stream::iter(&plan.blobs)
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
            // Another upload of this blob may have found it corrupt already.
            let failure = || hashes.get(&blob.digest).and_then(|h| h.failure());
            if let Some(why) = failure() {
                return Err(corrupt_source(&blob.digest, &why));
            }
            let session = super::resume::UploadSession::default();
            with_retry(retry, || async {
                // A request cut by the verdict is not a transport failure: never retried.
                ep.upload_blob(repo, blob, reader, &session)
                    .await
                    .map_err(|f| failure().map_or(f, Failure::Fatal))
            })
            .await
            .map_err(|(f, n)| match failure() {
                Some(why) => corrupt_source(&blob.digest, &why),
                None => op_error(
                    &format!("upload blob {}", blob.digest),
                    &f,
                    n,
                    &target.registry,
                ),
            })?;
            done(blob.size, false);
            Ok(BlobOutcome::Uploaded(blob.size))
        })
        .buffer_unordered(BLOB_CONCURRENCY);
    let mut first_error = None;
    // The first failure ends the target: the uploads still in flight are dropped (their upload
    // sessions expire on the registry), not waited for.
    while let Some(r) = results.next().await {
        match r {
            Ok(BlobOutcome::Existing) => stats.existing += 1,
            Ok(BlobOutcome::Mounted) => stats.mounted += 1,
            Ok(BlobOutcome::Uploaded(n)) => {
                stats.uploaded += 1;
                stats.bytes_uploaded += n;
            }
            Err(e) => {
                first_error = Some(e);
                break;
            }
        }
    }
    drop(results);
    if let Some(e) = first_error {
        return Err(e);
    }
    for m in &plan.manifests {
        let reference = m.digest.as_str();
        let present = with_retry(retry, || ep.manifest_digest(repo, reference))
            .await
            .map_err(|(f, n)| {
                op_error(
                    &format!("check manifest {}", m.digest),
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
                    &format!("push manifest {}", m.digest),
                    &f,
                    n,
                    &target.registry,
                )
            })?;
    }
    Ok(())
}

/// What moving one tag came to.
enum TagMove {
    /// It already pointed at the root.
    Unchanged,
    /// It moved; it pointed at `previous` before.
    Pushed { previous: Option<String> },
    /// A guarded `latest` another run moved since the decision: left alone.
    LeftAlone { now: Option<String> },
    /// An immutable tag another run created meanwhile (holding `held`): the target fails.
    Held { held: String, error: OpError },
    /// The read or the PUT failed: the target fails.
    Failed(OpError),
}

/// Moves one tag: reads it, leaves it when it already points at the root, re-reads the guards
/// (a guarded `latest` moved by another run, an immutable tag created meanwhile), then PUTs the
/// root's bytes by tag.
async fn move_tag(
    ep: &Endpoint,
    target: &Target,
    root: &crate::plan::Manifest,
    options: &PublishOptions,
    tag: &str,
    guard: Option<&str>,
    guard_previous: Option<&str>,
) -> TagMove {
    let retry = &options.retry;
    let repo = target.repository.as_str();
    let previous = match with_retry(retry, || ep.manifest_digest(repo, tag)).await {
        Ok(p) => p,
        Err((f, n)) => {
            return TagMove::Failed(op_error(
                &format!("read tag `{tag}`"),
                &f,
                n,
                &target.registry,
            ));
        }
    };
    if previous.as_ref() == Some(&root.digest) {
        return TagMove::Unchanged;
    }
    // Read again just before it moves: a guarded `latest` another run moved since the
    // decision is left alone (the window shrinks to one round trip).
    let now = previous.as_ref().map(ToString::to_string);
    if guard == Some("semver") && now.as_deref() != guard_previous {
        return TagMove::LeftAlone { now };
    }
    // Read again just before it moves: an immutable tag another run created meanwhile.
    if let Some(held) = previous
        .as_ref()
        .filter(|_| super::guard::is_guarded(&options.immutable_tags, tag))
    {
        let held = held.to_string();
        let error = super::guard::moved(tag, &held, &root.digest.to_string());
        return TagMove::Held { held, error };
    }
    match with_retry(retry, || ep.put_manifest(repo, tag, root)).await {
        Ok(()) => TagMove::Pushed { previous: now },
        Err((f, n)) => TagMove::Failed(op_error(&format!("tag `{tag}`"), &f, n, &target.registry)),
    }
}

/// Points every tag of one target at the root, [`TAG_CONCURRENCY`] at a time, in the order of
/// [`super::tag_order`]: a less specific tag of a family (`1.2`, `1`, `latest`) starts only
/// once the more specific ones (`1.2.3`) have moved. The first failure stops the target: no
/// further tag starts, the moves already in flight finish and are reported as they ended.
async fn push_tags(
    ep: &Endpoint,
    target: &Target,
    plan: &Plan,
    options: &PublishOptions,
    report: &mut TargetReport,
) {
    let root = plan.root();
    let predecessors = super::tag_order::predecessors(&target.tags);
    // Left where it is by the guard: its family goes on without it.
    let skip: Vec<bool> = report
        .tags
        .iter()
        .map(|t| t.guard.as_ref().is_some_and(|g| g.starts_with("skipped")))
        .collect();
    let guards: Vec<(Option<String>, Option<String>)> = report
        .tags
        .iter()
        .map(|t| (t.guard.clone(), t.previous.clone()))
        .collect();
    let guards = &guards;
    super::tag_order::run_in_order(
        &predecessors,
        TAG_CONCURRENCY,
        &skip,
        |i| async move {
            let (guard, previous) = &guards[i];
            move_tag(
                ep,
                target,
                root,
                options,
                &target.tags[i],
                guard.as_deref(),
                previous.as_deref(),
            )
            .await
        },
        |i, outcome| {
            let t = &mut report.tags[i];
            match outcome {
                TagMove::Unchanged => t.status = TagStatus::Unchanged,
                TagMove::Pushed { previous } => {
                    t.status = TagStatus::Pushed;
                    t.previous = previous;
                }
                TagMove::LeftAlone { now } => {
                    t.guard = Some("skipped: moved by another run".into());
                    t.previous = now;
                }
                TagMove::Held { held, error } => {
                    t.previous = Some(held);
                    report.status = TargetStatus::Failed;
                    report.error.get_or_insert(error);
                    return false;
                }
                TagMove::Failed(error) => {
                    t.status = TagStatus::Failed;
                    report.status = TargetStatus::Failed;
                    report.error.get_or_insert(error);
                    return false;
                }
            }
            true
        },
    )
    .await;
}

/// `latest-guard: semver`: reads what every target's `latest` tags hold, then takes one
/// decision from all of them (the highest version held) so that `latest` ends identical
/// everywhere: older than that, the `latest` tags are skipped on every target. Each guarded tag
/// remembers the digest it held (`previous`) for the re-read before it moves. Returns whether a
/// target failed.
async fn guard_latest(
    runs: &mut [Run<'_>],
    guard: &super::guard::LatestGuard,
    plan: &Plan,
    options: &PublishOptions,
    deadline: Deadline,
) -> bool {
    let ours = &plan.root().digest;
    let reads = join_all(runs.iter().map(|r| async move {
        let (Ok(ep), TargetStatus::Ok) = (&r.endpoint, r.report.status) else {
            return Ok(Vec::new());
        };
        deadline
            .bound("read latest", async {
                let mut held = Vec::new();
                for (i, tag) in r.target.tags.iter().enumerate() {
                    if guard.tags.contains(tag) {
                        let h = super::guard::read_latest(
                            ep,
                            &r.target.repository,
                            &r.target.registry,
                            tag,
                            ours,
                            &options.retry,
                        )
                        .await?;
                        held.push((i, h));
                    }
                }
                Ok(held)
            })
            .await
    }))
    .await;
    let mut any_failed = false;
    let mut helds = Vec::new();
    for (r, read) in runs.iter_mut().zip(reads) {
        match read {
            Ok(h) => helds.push(h),
            Err(e) => {
                r.fail(e);
                any_failed = true;
                helds.push(Vec::new());
            }
        }
    }
    let all: Vec<&super::guard::Held> = helds.iter().flatten().map(|(_, h)| h).collect();
    let decision = super::guard::decide(guard, &all);
    for (r, held) in runs.iter_mut().zip(&helds) {
        for (i, h) in held {
            let t = &mut r.report.tags[*i];
            t.previous = h.digest.as_ref().map(ToString::to_string);
            t.guard = Some(match &decision {
                Some(v) => format!("skipped: older than {}", v.version),
                None => "semver".to_owned(),
            });
        }
    }
    any_failed
}

/// Reads every tag of one target back (after every target's tag phase), [`TAG_CONCURRENCY`]
/// at a time: a tag that no longer points at the root was moved by another run; the target
/// fails and the tag says so (the first such tag in list order names the error).
async fn verify_tags(
    ep: &Endpoint,
    target: &Target,
    plan: &Plan,
    retry: &RetryPolicy,
    report: &mut TargetReport,
) {
    let repo = target.repository.as_str();
    let root = &plan.root().digest;
    let moved: Vec<usize> = (0..target.tags.len())
        .filter(|&i| {
            matches!(
                report.tags[i].status,
                TagStatus::Pushed | TagStatus::Unchanged
            )
        })
        .collect();
    let reads: Vec<_> = futures_util::stream::iter(moved)
        .map(|i| async move {
            let tag = target.tags[i].as_str();
            (i, with_retry(retry, || ep.manifest_digest(repo, tag)).await)
        })
        .buffered(TAG_CONCURRENCY)
        .collect()
        .await;
    for (i, read) in reads {
        let tag = target.tags[i].as_str();
        match read {
            Ok(Some(d)) if &d == root => {}
            Ok(now) => {
                report.tags[i].status = TagStatus::Overwritten;
                let now = now.map_or_else(|| "nothing".to_owned(), |d| d.to_string());
                report.status = TargetStatus::Failed;
                report.error.get_or_insert(OpError {
                    operation: format!("verify tag `{tag}`"),
                    cause: format!(
                        "the tag now points at {now}, not at {root}: another run moved it after this one"
                    ),
                    hint: Some(
                        "give the workflow a `concurrency:` group per image so that two runs never push the same tags at once"
                            .into(),
                    ),
                });
            }
            Err((f, n)) => {
                report.status = TargetStatus::Failed;
                report.error.get_or_insert(op_error(
                    &format!("verify tag `{tag}`"),
                    &f,
                    n,
                    &target.registry,
                ));
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
    let image_plan = plan;
    let with_referrers = options.referrers.as_ref().map(|set| set.extend(plan));
    let plan = with_referrers.as_ref().unwrap_or(plan);
    let digest = plan.root().digest.to_string();
    let deadline = Deadline {
        at: options.timeout.map(|t| {
            options
                .started
                .map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std)
                + t
        }),
        timeout: options.timeout.unwrap_or_default(),
    };
    let mut endpoints: HashMap<&str, Result<Arc<Endpoint>, String>> = HashMap::new();
    for t in targets {
        endpoints.entry(t.host.as_str()).or_insert_with(|| {
            endpoint_for(t, options, mask)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
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
                        guard: super::guard::is_guarded(&options.immutable_tags, tag)
                            .then(|| "immutable".to_owned()),
                    })
                    .collect(),
                blobs: BlobStats::default(),
                error: None,
                referrers: None,
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
            Ok(ep) => {
                deadline
                    .bound("preflight", async {
                        with_retry(&options.retry, || ep.preflight(&r.target.repository))
                            .await
                            .map_err(|(f, n)| op_error("preflight", &f, n, &r.target.registry))?;
                        super::guard::check_immutable(
                            ep,
                            &r.target.repository,
                            &r.target.registry,
                            &r.target.tags,
                            &options.immutable_tags,
                            &plan.root().digest,
                            &options.retry,
                        )
                        .await
                    })
                    .await
            }
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
    if let Some(guard) = &options.latest_guard {
        any_failed |= guard_latest(&mut runs, guard, plan, options, deadline).await;
        runs = match stop_if_atomic(runs, any_failed, options.policy, digest.clone()) {
            Ok(runs) => runs,
            Err(report) => return report,
        };
    }

    // What each target lacks: exactly those blobs are read, and hashed while they are
    // uploaded (once each, however many targets lack them; see `super::verify`); a re-push
    // of present content reads no blob.
    let lacks = join_all(runs.iter().map(|r| async move {
        match (&r.endpoint, r.report.status) {
            (Ok(ep), TargetStatus::Ok) => Some(
                deadline
                    .bound(
                        "check blobs",
                        missing_blobs(ep, r.target, plan, &options.retry),
                    )
                    .await,
            ),
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
    let hashes = super::verify::hashes(
        reader,
        plan.blobs.iter().filter(|b| needed.contains(&b.digest)),
    );
    let verifying = Verifying::new(reader, &hashes);

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
        let (verifying, hashes) = (&verifying, &hashes);
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
                let counted = options.progress.reader(verifying, image);
                let result = deadline
                    .bound("push content", async {
                        push_content(
                            ep,
                            r.target,
                            plan,
                            &counted,
                            hashes,
                            &options.retry,
                            &missing[i],
                            &siblings,
                            &mut stats,
                            &options.progress,
                        )
                        .await?;
                        match &options.referrers {
                            Some(set) => super::referrers::push(
                                ep,
                                r.target,
                                &image_plan.root().digest,
                                set,
                                &options.retry,
                            )
                            .await
                            .map(Some),
                            None => Ok(None),
                        }
                    })
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
    let mut contents: Vec<Option<(BlobStats, Result<_, OpError>)>> =
        runs.iter().map(|_| None).collect();
    for (i, stats, result) in per_host.into_iter().flatten() {
        contents[i] = Some((stats, result));
    }
    for (r, c) in runs.iter_mut().zip(contents) {
        if let Some((stats, result)) = c {
            r.report.blobs = stats;
            match result {
                Ok(referrers) => {
                    r.report.digest = Some(digest.clone());
                    r.report.referrers = referrers;
                }
                Err(e) => {
                    r.fail(e);
                    any_failed = true;
                }
            }
        }
    }
    // A corrupt source blob fails every target, whatever the tag policy (as a corrupt
    // manifest does at the plan): the targets that already held it are not tagged either.
    if let Some((d, why)) = plan
        .blobs
        .iter()
        .find_map(|b| Some((&b.digest, hashes.get(&b.digest)?.failure()?)))
    {
        for r in &mut runs {
            if r.report.status == TargetStatus::Ok {
                r.fail(corrupt_source(d, &why));
                any_failed = true;
            }
        }
    }
    let mut runs = match stop_if_atomic(runs, any_failed, options.policy, digest.clone()) {
        Ok(runs) => runs,
        Err(report) => return report,
    };

    // Tags, every completed target concurrently; then, once every tag phase is over, every tag
    // is read back.
    for phase in ["tag", "verify tags"] {
        join_all(runs.iter_mut().map(|r| async move {
            let (Ok(ep), TargetStatus::Ok) = (&r.endpoint, r.report.status) else {
                return;
            };
            let report = &mut r.report;
            let done = deadline
                .bound(phase, async {
                    if phase == "tag" {
                        push_tags(ep, r.target, plan, options, report).await;
                    } else {
                        verify_tags(ep, r.target, plan, &options.retry, report).await;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = done {
                r.report.status = TargetStatus::Failed;
                r.report.error.get_or_insert(e);
            }
        }))
        .await;
    }
    finish(runs, digest)
}
