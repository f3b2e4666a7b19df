//! Every environment read of the crate (but clap's `INPUT_*` binding): the runner's `GITHUB_*`
//! and `RUNNER_*` variables and metadata-action's `DOCKER_METADATA_*` knobs, read once into
//! [`RunnerEnv`]. Values are kept raw (unset is `None`, empty stays empty): interpretation
//! belongs to the modules that use them.

use std::path::PathBuf;

/// The runner's environment, raw.
#[derive(Clone, Debug, Default)]
pub struct RunnerEnv {
    /// `GITHUB_ACTIONS` (`true` on a runner).
    pub github_actions: Option<String>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`.
    pub event_path: Option<String>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// `GITHUB_REF`.
    pub git_ref: Option<String>,
    /// `GITHUB_REPOSITORY` (`owner/name`).
    pub repository: Option<String>,
    /// `GITHUB_WORKFLOW`.
    pub workflow: Option<String>,
    /// `GITHUB_ACTION`.
    pub action: Option<String>,
    /// `GITHUB_ACTOR`.
    pub actor: Option<String>,
    /// `GITHUB_RUN_NUMBER`.
    pub run_number: Option<String>,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
    /// `GITHUB_API_URL`.
    pub api_url: Option<String>,
    /// `GITHUB_TOKEN` (the API token fallback when the input is empty).
    pub token: Option<String>,
    /// `GITHUB_OUTPUT`.
    pub output_file: Option<PathBuf>,
    /// `GITHUB_ENV`.
    pub env_file: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`.
    pub step_summary_file: Option<PathBuf>,
    /// `GITHUB_WORKSPACE`.
    pub workspace: Option<PathBuf>,
    /// `RUNNER_TEMP`.
    pub runner_temp: Option<PathBuf>,
    /// `RUNNER_WORKSPACE` (a host path even in a container action: it is not mounted).
    pub runner_workspace: Option<PathBuf>,
    /// `HOME` (`/github/home` in a container action; `$HOME/.docker/config.json` is the credentials fallback).
    pub home: Option<PathBuf>,
    /// `RUNNER_DEBUG`.
    pub runner_debug: Option<String>,
    /// `DOCKER_METADATA_PR_HEAD_SHA`.
    pub pr_head_sha: Option<String>,
    /// `DOCKER_METADATA_SHORT_SHA_LENGTH`.
    pub short_sha_length: Option<String>,
    /// `DOCKER_METADATA_ANNOTATIONS_LEVELS`.
    pub annotations_levels: Option<String>,
    /// `DOCKER_METADATA_SET_OUTPUT_ENV`.
    pub set_output_env: Option<String>,
    /// `SSL_CERT_FILE`: a CA bundle replacing the system's (GitHub Enterprise with a private CA).
    pub ssl_cert_file: Option<PathBuf>,
    /// `SOURCE_DATE_EPOCH`: the reproducible-builds clock.
    pub source_date_epoch: Option<String>,
    /// `DOCKER_CONFIG`: the docker CLI config directory (registry credentials fallback).
    pub docker_config: Option<PathBuf>,
    /// `DOCKER_HOST`: the Docker Engine socket for `docker-daemon:` (`unix:///path`).
    pub docker_host: Option<String>,
    /// `REGISTRY_AUTH_FILE`: podman's credentials file (after the docker config).
    pub registry_auth_file: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`: where podman keeps `containers/auth.json` by default.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `AWS_ACCESS_KEY_ID`: ECR login without a separate step (as configure-aws-credentials exports it).
    pub aws_access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY` (a secret).
    pub aws_secret_access_key: Option<String>,
    /// `AWS_SESSION_TOKEN` (a secret; temporary credentials).
    pub aws_session_token: Option<String>,
    /// `AWS_REGION`: the ECR API region when the registry's host name does not say it.
    pub aws_region: Option<String>,
    /// `AWS_DEFAULT_REGION`: the region after `AWS_REGION`.
    pub aws_default_region: Option<String>,
    /// `AWS_ENDPOINT_URL_ECR`: the ECR API endpoint (before `AWS_ENDPOINT_URL`).
    pub aws_endpoint_url_ecr: Option<String>,
    /// `AWS_ENDPOINT_URL`: every AWS API's endpoint.
    pub aws_endpoint_url: Option<String>,
    /// `HOIST_DOCKER_HUB_API_URL`: the Docker Hub API (retention), default `https://hub.docker.com`.
    pub docker_hub_api_url: Option<String>,
    /// `HOIST_QUAY_API_URL`: the Quay API (retention), default `https://<registry>` (`quay.io`).
    pub quay_api_url: Option<String>,
    /// `HOIST_DIGITALOCEAN_API_URL`: the `DigitalOcean` API (retention, `retention-gc`), default
    /// `https://api.digitalocean.com`.
    pub digitalocean_api_url: Option<String>,
    /// `HOIST_GHCR_REGISTRY`: one more registry host served by GitHub Packages (GHCR retention
    /// through the Packages API at `GITHUB_API_URL`), e.g. GitHub Enterprise Server's
    /// `containers.<host>`; `ghcr.io` always is.
    pub ghcr_registry: Option<String>,
    /// `HOIST_DIGITALOCEAN_REGISTRY`: one more registry host served as `DigitalOcean` Container
    /// Registry (retention through the `DigitalOcean` API, the registry name the first path
    /// segment); `registry.digitalocean.com` always is.
    pub digitalocean_registry: Option<String>,
}

fn var(name: &str) -> Option<String> {
    #[allow(clippy::disallowed_methods)]
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

fn path(name: &str) -> Option<PathBuf> {
    var(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

impl RunnerEnv {
    /// Reads the process environment.
    pub fn read() -> Self {
        Self {
            github_actions: var("GITHUB_ACTIONS"),
            event_name: var("GITHUB_EVENT_NAME"),
            event_path: var("GITHUB_EVENT_PATH"),
            sha: var("GITHUB_SHA"),
            git_ref: var("GITHUB_REF"),
            repository: var("GITHUB_REPOSITORY"),
            workflow: var("GITHUB_WORKFLOW"),
            action: var("GITHUB_ACTION"),
            actor: var("GITHUB_ACTOR"),
            run_number: var("GITHUB_RUN_NUMBER"),
            run_id: var("GITHUB_RUN_ID"),
            api_url: var("GITHUB_API_URL"),
            token: var("GITHUB_TOKEN"),
            output_file: path("GITHUB_OUTPUT"),
            env_file: path("GITHUB_ENV"),
            step_summary_file: path("GITHUB_STEP_SUMMARY"),
            workspace: path("GITHUB_WORKSPACE"),
            runner_temp: path("RUNNER_TEMP"),
            runner_workspace: path("RUNNER_WORKSPACE"),
            home: path("HOME"),
            runner_debug: var("RUNNER_DEBUG"),
            pr_head_sha: var("DOCKER_METADATA_PR_HEAD_SHA"),
            short_sha_length: var("DOCKER_METADATA_SHORT_SHA_LENGTH"),
            annotations_levels: var("DOCKER_METADATA_ANNOTATIONS_LEVELS"),
            set_output_env: var("DOCKER_METADATA_SET_OUTPUT_ENV"),
            ssl_cert_file: path("SSL_CERT_FILE"),
            source_date_epoch: var("SOURCE_DATE_EPOCH"),
            docker_config: path("DOCKER_CONFIG"),
            docker_host: var("DOCKER_HOST"),
            registry_auth_file: path("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: path("XDG_RUNTIME_DIR"),
            aws_access_key_id: var("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
            aws_session_token: var("AWS_SESSION_TOKEN"),
            aws_region: var("AWS_REGION"),
            aws_default_region: var("AWS_DEFAULT_REGION"),
            aws_endpoint_url_ecr: var("AWS_ENDPOINT_URL_ECR"),
            aws_endpoint_url: var("AWS_ENDPOINT_URL"),
            docker_hub_api_url: var("HOIST_DOCKER_HUB_API_URL").filter(|v| !v.is_empty()),
            quay_api_url: var("HOIST_QUAY_API_URL").filter(|v| !v.is_empty()),
            digitalocean_api_url: var("HOIST_DIGITALOCEAN_API_URL").filter(|v| !v.is_empty()),
            ghcr_registry: var("HOIST_GHCR_REGISTRY").filter(|v| !v.is_empty()),
            digitalocean_registry: var("HOIST_DIGITALOCEAN_REGISTRY").filter(|v| !v.is_empty()),
        }
    }

    /// Whether the process runs as a workflow step.
    pub fn in_actions(&self) -> bool {
        self.github_actions.as_deref() == Some("true") || self.output_file.is_some()
    }
}
