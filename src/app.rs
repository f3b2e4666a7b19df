//! The pipeline, in order: inputs → context → repository data → metadata → outputs. Reads like
//! the table of contents of a run; the work is done by the modules it calls.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::github::api::GitHubApi;
use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::github::{context, files, git, paths};
use crate::meta::{self, GitContext, Knobs, RepoInfo};
use crate::report::{self, Outputs};
use crate::settings::{ContextSource, OutputFormat, RawInputs, Settings};

/// Where outputs go.
enum Sink {
    /// A workflow step: `$GITHUB_OUTPUT` (and `$GITHUB_ENV` exports), or the legacy stdout
    /// commands when the files are missing. File commands are collected and appended once per
    /// file ([`Sink::flush`], and on drop, so that the outputs set before a failure stay written
    /// as metadata-action's do).
    Runner {
        output_file: Option<PathBuf>,
        env_file: Option<PathBuf>,
        export_env: bool,
        pending_output: String,
        pending_env: String,
    },
    /// A local run: collected, printed at the end.
    Cli(Vec<(String, String)>),
}

impl Sink {
    fn runner(output_file: Option<PathBuf>, env_file: Option<PathBuf>, export_env: bool) -> Self {
        Self::Runner {
            output_file,
            env_file,
            export_env,
            pending_output: String::new(),
            pending_env: String::new(),
        }
    }

    fn set(&mut self, log: &Log, name: &str, value: &str) -> Result<()> {
        match self {
            Self::Runner {
                output_file,
                env_file,
                export_env,
                pending_output,
                pending_env,
            } => {
                if output_file.is_some() {
                    pending_output.push_str(&files::key_value_message(name, value)?);
                } else {
                    log.set_output_command(name, value);
                }
                if *export_env {
                    let var = report::env_name(name);
                    if env_file.is_some() {
                        pending_env.push_str(&files::key_value_message(&var, value)?);
                    } else {
                        log.info(&format!(
                            "::set-env name={}::{}",
                            crate::github::commands::escape_property(&var),
                            crate::github::commands::escape_data(value)
                        ));
                    }
                }
            }
            Self::Cli(v) => v.push((name.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// Appends what was collected to `$GITHUB_OUTPUT` and `$GITHUB_ENV`.
    fn flush(&mut self) -> Result<()> {
        if let Self::Runner {
            output_file,
            env_file,
            pending_output,
            pending_env,
            ..
        } = self
        {
            for (file, pending) in [(output_file, pending_output), (env_file, pending_env)] {
                if let Some(path) = file.as_deref()
                    && !pending.is_empty()
                {
                    let text = std::mem::take(pending);
                    files::append(path, &text)?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // A failure path: the outputs set so far are still written; an error writing them has
        // nowhere better to go than the log.
        if let Err(e) = self.flush() {
            Log::default().warning(&format!("cannot write outputs: {e:#}"));
        }
    }
}

/// `Util.parseBool` of @docker/actions-toolkit.
fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => bail!("{name}: parseBool syntax error: {v}"),
    }
}

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

fn group(log: &Log, title: &str, lines: impl IntoIterator<Item = String>) {
    log.group(title);
    for l in lines {
        log.untrusted(&l);
    }
    log.end_group();
}

/// metadata-action's bake directory (`docker-actions-toolkit-XXXXXX` in `RUNNER_TEMP`): where
/// hoist writes, and the path later steps on the host see.
struct BakeDir {
    local: PathBuf,
    host: PathBuf,
}

/// Creates the bake directory; in a container action, in a mounted directory, owned like it.
fn bake_dir(env: &RunnerEnv, log: &Log) -> Result<BakeDir> {
    let base = paths::bake_base(
        env.runner_temp.as_deref(),
        env.runner_workspace.as_deref(),
        env.home.as_deref(),
        &std::env::temp_dir(),
        Path::is_dir,
    );
    std::fs::create_dir_all(&base.local)
        .with_context(|| format!("cannot create {}", base.local.display()))?;
    for _ in 0..16 {
        let suffix: String = format!("{:016x}", crate::github::commands::rand_u64())
            .chars()
            .take(6)
            .collect();
        let name = format!("docker-actions-toolkit-{suffix}");
        let local = base.local.join(&name);
        match std::fs::create_dir(&local) {
            Ok(()) => {
                paths::chown_like(&base.local, &local)
                    .with_context(|| format!("cannot chown {}", local.display()))?;
                let host = if let Some(h) = &base.host {
                    h.join(&name)
                } else {
                    log.warning(&format!(
                        "bake files are in {}, which later steps may not see: RUNNER_WORKSPACE is not set",
                        local.display()
                    ));
                    local.clone()
                };
                return Ok(BakeDir { local, host });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", local.display())),
        }
    }
    bail!("cannot create a bake directory in {}", base.local.display())
}

/// Writes one bake file; returns its path as later steps see it.
fn write_bake(dir: &BakeDir, name: &str, text: &str) -> Result<String> {
    let path = dir.local.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    paths::chown_like(&dir.local, &path)
        .with_context(|| format!("cannot chown {}", path.display()))?;
    Ok(dir.host.join(name).display().to_string())
}

/// Runs the whole step.
pub async fn run(raw: &RawInputs, env: &RunnerEnv, log: &Log) -> Result<()> {
    let mut settings = Settings::resolve(raw)?;
    // Every secret first, before any other line (on a runner: `::add-mask::`).
    if let Some(t) = settings.github_token.as_deref() {
        log.add_mask(t);
    }
    if let Some(t) = env.token.as_deref() {
        // Not an input: scrubbed, not announced.
        log.secrets.add(t);
    }
    let prepared = crate::push::prepare(&raw.push, env, log);
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
    let rules = meta::Rules::parse(&settings.meta)?;
    let now = now_ms(env)?;
    let payload = load_payload(env, log)?;
    let (mut ctx, date_from_api) = git_context(env, &settings, payload)?;
    // metadata-action reads the commit date, then the repository; both reads go out at once
    // here (one client), with the same outcome: a commit-date failure means "now", a repository
    // failure fails the step.
    let mut from_remote = None;
    let mut repo_of = context::repo_of(env, &ctx.payload);
    if repo_of.is_none()
        && !env.in_actions()
        && settings.context == ContextSource::Git
        && let Some(found) = cwd.as_deref().and_then(crate::github::remote::origin_repo)
    {
        log.debug(&format!(
            "repository {}/{} from the `origin` remote",
            found.0, found.1
        ));
        from_remote = Some(found.clone());
        repo_of = Some(found);
    }
    let api = match repo_of {
        Some((owner, name)) => Some((api(env, &settings)?, owner, name)),
        None => None,
    };
    let (commit_date, repo) = tokio::join!(
        async {
            if date_from_api {
                Some(commit_date_from_api(api.as_ref(), &ctx, now, log).await)
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
    let in_actions = env.in_actions();
    let mut sink = if in_actions {
        let export_env = match env.set_output_env.as_deref().filter(|v| !v.is_empty()) {
            None => true,
            Some(v) => parse_bool("DOCKER_METADATA_SET_OUTPUT_ENV", v)?,
        };
        Sink::runner(env.output_file.clone(), env.env_file.clone(), export_env)
    } else {
        Sink::Cli(Vec::new())
    };

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

    let knobs = Knobs::from_env(
        env.short_sha_length.as_deref(),
        env.annotations_levels.as_deref(),
    );
    let meta = meta::compute(&rules, &ctx, &repo, &knobs, now)?;
    group(
        log,
        "Processing images input",
        rules
            .images
            .iter()
            .map(|i| format!("name={},enable={}", i.name, i.enable)),
    );
    group(
        log,
        "Processing tags input",
        rules.tag_specs.iter().map(ToString::to_string),
    );
    group(log, "Processing flavor input", rules.flavor.log_lines());
    for w in &meta.warnings {
        log.warning(w);
    }

    let out = Outputs::new(&meta, &knobs.annotation_levels, &settings.meta.bake_target);
    let sep = &settings.meta;
    if out.version().is_empty() {
        log.warning("No Docker image version has been generated. Check tags input.");
    } else {
        group(log, "Docker image version", [out.version().to_owned()]);
    }
    sink.set(log, "version", out.version())?;
    if meta.tags.is_empty() {
        log.warning("No Docker tag has been generated. Check tags input.");
    } else {
        group(log, "Docker tags", meta.tags.iter().cloned());
    }
    sink.set(log, "tags", &meta.tags.join(&sep.sep_tags))?;
    sink.set(log, "tag-names", &meta.tag_names.join(&sep.sep_tags))?;

    let labels = out
        .labels()
        .map_err(|e| anyhow::anyhow!("input `labels`: {e}"))?;
    group(log, "Docker labels", labels.iter().cloned());
    sink.set(log, "labels", &labels.join(&sep.sep_labels))?;

    let annotations = out
        .annotations()
        .map_err(|e| anyhow::anyhow!("input `annotations`: {e}"))?;
    let prefixed = report::level_prefixed(annotations, &knobs.annotation_levels);
    group(log, "Annotations", prefixed.iter().cloned());
    sink.set(log, "annotations", &prefixed.join(&sep.sep_annotations))?;

    if in_actions {
        // Locally the result carries it, once.
        group(log, "JSON output", [out.json_pretty()]);
    }
    sink.set(log, "json", &out.json().to_string())?;

    let pushed = crate::push::run(prepared, &settings, &meta, env, log)
        .await
        .unwrap_or_else(crate::push::PushOutcome::failed);
    for (name, value) in pushed.outputs() {
        sink.set(log, name, value)?;
    }

    if let Sink::Cli(values) = &sink {
        let lists = [
            ("tags", meta.tags.clone()),
            ("tag-names", meta.tag_names.clone()),
            ("labels", labels.to_vec()),
            ("annotations", prefixed),
        ];
        print_cli(log, settings.format, values, &lists, &out);
        return Ok(pushed.finish()?);
    }
    let dir = bake_dir(env, log)?;
    for (kind, name, text) in [
        (
            "tags",
            "docker-metadata-action-bake-tags.json",
            out.bake_tags(),
        ),
        (
            "labels",
            "docker-metadata-action-bake-labels.json",
            out.bake_labels(),
        ),
        (
            "annotations",
            "docker-metadata-action-bake-annotations.json",
            out.bake_annotations(),
        ),
    ] {
        let path = write_bake(&dir, name, &text)?;
        group(log, &format!("Bake file definition ({kind})"), [text]);
        sink.set(log, &format!("bake-file-{kind}"), &path)?;
    }
    let path = write_bake(&dir, "docker-metadata-action-bake.json", &out.bake_all())?;
    sink.set(log, "bake-file", &path)?;
    sink.flush()?;
    Ok(pushed.finish()?)
}

/// Prints a local run's result, once, on stdout: list outputs are JSON arrays and `json` and
/// `push-results` are objects in `--format json`.
fn print_cli(
    log: &Log,
    format: OutputFormat,
    values: &[(String, String)],
    lists: &[(&str, Vec<String>)],
    out: &Outputs<'_>,
) {
    match format {
        OutputFormat::Json => {
            let mut map = serde_json::Map::new();
            for (k, v) in values {
                let value = if let Some((_, list)) = lists.iter().find(|(n, _)| n == k) {
                    serde_json::Value::from(list.clone())
                } else if k == "push-results" {
                    serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.clone()))
                } else {
                    serde_json::Value::String(v.clone())
                };
                map.insert(k.clone(), value);
            }
            map.insert("json".into(), out.json());
            log.result(
                &serde_json::to_string_pretty(&serde_json::Value::Object(map)).unwrap_or_default(),
            );
        }
        OutputFormat::Text => {
            for (k, v) in values.iter().filter(|(k, _)| k != "json") {
                log.result(&format!("{k}:"));
                for line in v.lines() {
                    log.result(&format!("  {line}"));
                }
            }
        }
    }
}
