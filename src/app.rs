//! The pipeline, in order: inputs → settings (every input resolved and validated, push inputs
//! included, before any network) → context → repository data → metadata → push → outputs.
//! [`run`] reads like the table of contents of a run, one call per step; the work is done by
//! the modules it calls.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};

use crate::github::api::GitHubApi;
use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::github::{context, git};
use crate::meta::{self, GitContext, Knobs, Metadata, RepoInfo, Rules};
use crate::outputs::{self, Outputs, Sink, group};
use crate::push::{self, Prepared, PushOutcome};
use crate::settings::{ContextSource, RawInputs, Settings};

/// "Now" as a JS time value: `SOURCE_DATE_EPOCH` when set, else the wall clock.
fn now_ms(env: &RunnerEnv) -> Result<f64> {
    if let Some(raw) = env.source_date_epoch.as_deref().filter(|v| !v.is_empty()) {
        let secs: i64 = raw.trim().parse().with_context(|| {
            format!("SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, got `{raw}`")
        })?;
        #[allow(clippy::cast_precision_loss)]
        return Ok(secs as f64 * 1000.0);
    }
    #[allow(clippy::disallowed_methods)]
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    #[allow(clippy::cast_precision_loss)]
    Ok(since.as_millis() as f64)
}

/// Reads the event payload the way `@actions/github` does.
fn load_payload(env: &RunnerEnv, log: &Log) -> Result<serde_json::Value> {
    let Some(path) = env.event_path.as_deref().filter(|p| !p.is_empty()) else {
        return Ok(context::parse_payload("", None)?);
    };
    match std::fs::read(path) {
        Ok(bytes) => Ok(context::parse_payload(path, Some(&bytes))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            log.info(&format!("GITHUB_EVENT_PATH {path} does not exist"));
            Ok(context::parse_payload(path, None)?)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read GITHUB_EVENT_PATH {path}")),
    }
}

fn api(env: &RunnerEnv, settings: &Settings) -> Result<GitHubApi> {
    let url = env
        .api_url
        .as_deref()
        .filter(|u| !u.is_empty())
        .unwrap_or("https://api.github.com");
    let token = settings.github_token.as_deref().or(env.token.as_deref());
    Ok(GitHubApi::new(url, token, env.ssl_cert_file.as_deref())?)
}

/// `GET /repos/{o}/{n}/commits/{sha}` → `commit.committer.date`; any failure means "now", as
/// metadata-action does.
async fn commit_date_from_api(
    api: Option<&(GitHubApi, String, String)>,
    ctx: &GitContext,
    now: f64,
    log: &Log,
) -> f64 {
    let fetched = match api {
        Some((api, owner, name)) => api
            .fetch_commit_date(owner, name, ctx.sha.as_deref().unwrap_or("undefined"))
            .await
            .map_err(|e| e.to_string()),
        None => Err(
            "context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'"
                .to_owned(),
        ),
    };
    match fetched {
        Ok(Some(serde_json::Value::String(d))) => crate::js::moment::parse_js_date(&d),
        Ok(_) => {
            log.debug("Failed to get commit date from GitHub API: Committer date not found");
            now
        }
        Err(e) => {
            log.debug(&format!("Failed to get commit date from GitHub API: {e}"));
            now
        }
    }
}

/// Builds the git context (`context` input); in workflow context the commit date is filled in
/// from the payload when it has one (`None` is returned then for "ask the API").
fn git_context(
    env: &RunnerEnv,
    settings: &Settings,
    payload: serde_json::Value,
) -> Result<(GitContext, bool)> {
    match settings.context {
        ContextSource::Workflow => {
            let mut ctx = context::from_workflow(env, payload);
            let from_payload = context::commit_date_from_payload(&ctx.payload, ctx.sha.as_deref());
            ctx.commit_date_ms = from_payload.unwrap_or(f64::NAN);
            Ok((ctx, from_payload.is_none()))
        }
        ContextSource::Git => {
            let cwd = std::env::current_dir().context("cannot read the working directory")?;
            let local = git::read_git_context(&cwd).with_context(|| {
                format!(
                    "context `git`: cannot read the git repository at {}",
                    cwd.display()
                )
            })?;
            Ok((
                GitContext {
                    event_name: env.event_name.clone(),
                    git_ref: Some(local.git_ref),
                    sha: Some(local.sha),
                    commit_date_ms: crate::js::moment::parse_js_date(&local.commit_date),
                    payload,
                },
                false,
            ))
        }
    }
}

async fn repo_info(
    env: &RunnerEnv,
    api: Option<&(GitHubApi, String, String)>,
    log: &Log,
) -> Result<RepoInfo> {
    let Some((api, owner, name)) = api else {
        if env.in_actions() {
            bail!(
                "context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'"
            );
        }
        log.info("no GITHUB_REPOSITORY: repository labels left empty");
        return Ok(RepoInfo::default());
    };
    match api.fetch_repo(owner, name).await {
        Ok(r) => Ok(r),
        Err(e) if !env.in_actions() => {
            log.warning(&format!(
                "cannot read the repository from the GitHub API: {e}; repository labels from what is known locally"
            ));
            Ok(RepoInfo::default())
        }
        Err(e) => Err(e.into()),
    }
}

/// Everything resolved from the inputs and the environment before any network call.
struct Resolved {
    settings: Settings,
    rules: Rules,
    knobs: Knobs,
    push: Prepared,
    now: f64,
    cwd: Option<PathBuf>,
}

/// Inputs → settings: resolves every input (the push inputs and the docker config included),
/// masks every secret before any other line, picks the context and parses the grammars.
fn resolve(raw: &RawInputs, env: &RunnerEnv, log: &Log) -> Result<Resolved> {
    let mut settings = Settings::resolve(raw)?;
    // Every secret first, before any other line (on a runner: `::add-mask::`).
    if let Some(t) = settings.github_token.as_deref() {
        log.add_mask(t);
    }
    if let Some(t) = env.token.as_deref() {
        // Not an input: scrubbed, not announced.
        log.secrets.add(t);
    }
    let push = push::prepare(&raw.push, env, log);
    let cwd = std::env::current_dir().ok();
    if !env.in_actions()
        && !settings.context_given
        && cwd
            .as_deref()
            .is_some_and(crate::github::remote::is_repository)
    {
        log.debug("no `context` given and a git repository is here: context `git`");
        settings.context = ContextSource::Git;
    }
    let rules = Rules::parse(&settings.meta)?;
    let now = now_ms(env)?;
    let knobs = Knobs::from_env(
        env.short_sha_length.as_deref(),
        env.annotations_levels.as_deref(),
    );
    Ok(Resolved {
        settings,
        rules,
        knobs,
        push,
        now,
        cwd,
    })
}

/// Repository data: the commit date (when the context did not carry it) and the repository,
/// read from the GitHub API at once (one client), with metadata-action's outcome: a commit-date
/// failure means "now", a repository failure fails the step. Offline, locally, what the
/// `origin` remote tells.
async fn repository_data(
    env: &RunnerEnv,
    run: &Resolved,
    ctx: &mut GitContext,
    date_from_api: bool,
    log: &Log,
) -> Result<RepoInfo> {
    let mut from_remote = None;
    let mut repo_of = context::repo_of(env, &ctx.payload);
    if repo_of.is_none()
        && !env.in_actions()
        && run.settings.context == ContextSource::Git
        && let Some(found) = run
            .cwd
            .as_deref()
            .and_then(crate::github::remote::origin_repo)
    {
        log.debug(&format!(
            "repository {}/{} from the `origin` remote",
            found.0, found.1
        ));
        from_remote = Some(found.clone());
        repo_of = Some(found);
    }
    let api = match repo_of {
        Some((owner, name)) => Some((api(env, &run.settings)?, owner, name)),
        None => None,
    };
    let (commit_date, repo) = tokio::join!(
        async {
            if date_from_api {
                Some(commit_date_from_api(api.as_ref(), ctx, run.now, log).await)
            } else {
                None
            }
        },
        repo_info(env, api.as_ref(), log)
    );
    if let Some(ms) = commit_date {
        ctx.commit_date_ms = ms;
    }
    let mut repo = repo?;
    if let Some((owner, name)) = &from_remote
        && repo.html_url.is_none()
    {
        // Offline: what the remote tells, so that `source` and `url` are still filled.
        repo.html_url = Some(format!("https://github.com/{owner}/{name}"));
        repo.name = Some(name.clone());
    }
    Ok(repo)
}

/// The `Context info` group (and `Webhook payload` in debug).
fn log_context(env: &RunnerEnv, ctx: &GitContext, log: &Log) {
    let in_actions = env.in_actions();
    let context_lines = [
        format!(
            "eventName: {}",
            ctx.event_name.as_deref().unwrap_or("undefined")
        ),
        format!("sha: {}", ctx.sha.as_deref().unwrap_or("undefined")),
        format!("ref: {}", ctx.git_ref.as_deref().unwrap_or("undefined")),
        format!(
            "workflow: {}",
            env.workflow.as_deref().unwrap_or("undefined")
        ),
        format!("action: {}", env.action.as_deref().unwrap_or("undefined")),
        format!("actor: {}", env.actor.as_deref().unwrap_or("undefined")),
        format!("runNumber: {}", env.run_number.as_deref().unwrap_or("NaN")),
        format!("runId: {}", env.run_id.as_deref().unwrap_or("NaN")),
        format!(
            "commitDate: {}",
            crate::js::moment::to_js_date_string(ctx.commit_date_ms)
        ),
    ];
    // A local run omits what it does not know rather than print JavaScript's `undefined`.
    let unknown = |l: &String| {
        !in_actions
            && [": undefined", ": NaN", ": Invalid Date"]
                .iter()
                .any(|u| l.ends_with(u))
    };
    group(
        log,
        "Context info",
        context_lines.into_iter().filter(|l| !unknown(l)),
    );
    if env.runner_debug.as_deref() == Some("1") {
        group(
            log,
            "Webhook payload",
            [serde_json::to_string_pretty(&ctx.payload).unwrap_or_default()],
        );
    }
}

/// Metadata: computes tags, labels and annotations and logs the parsed inputs and the warnings.
fn metadata(run: &Resolved, ctx: &GitContext, repo: &RepoInfo, log: &Log) -> Result<Metadata> {
    let meta = meta::compute(&run.rules, ctx, repo, &run.knobs, run.now)?;
    group(
        log,
        "Processing images input",
        run.rules
            .images
            .iter()
            .map(|i| format!("name={},enable={}", i.name, i.enable)),
    );
    group(
        log,
        "Processing tags input",
        run.rules.tag_specs.iter().map(ToString::to_string),
    );
    group(log, "Processing flavor input", run.rules.flavor.log_lines());
    for w in &meta.warnings {
        log.warning(w);
    }
    Ok(meta)
}

/// Runs the whole step.
pub async fn run(raw: &RawInputs, env: &RunnerEnv, log: &Log) -> Result<()> {
    let run = resolve(raw, env, log)?;
    let payload = load_payload(env, log)?;
    let (mut ctx, date_from_api) = git_context(env, &run.settings, payload)?;
    let repo = repository_data(env, &run, &mut ctx, date_from_api, log).await?;
    let mut sink = Sink::for_env(env)?;
    log_context(env, &ctx, log);
    let meta = metadata(&run, &ctx, &repo, log)?;
    let levels = &run.knobs.annotation_levels;
    let out = Outputs::new(&meta, levels, &run.settings.meta.bake_target);
    let lists = outputs::metadata(log, &mut sink, &meta, &out, &run.settings.meta, levels)?;
    let pushed = push::run(run.push, &run.settings, &meta, env, log)
        .await
        .unwrap_or_else(PushOutcome::failed);
    for (name, value) in pushed.outputs() {
        sink.set(log, name, value)?;
    }
    if let Sink::Cli(values) = &sink {
        outputs::cli::print(log, run.settings.format, values, &lists, &out);
    } else {
        outputs::bake::write(env, log, &mut sink, &out)?;
        sink.flush()?;
    }
    Ok(pushed.finish()?)
}
