//! The action image, run the way the GitHub runner runs a container action.
//!
//! Builds the image with the local Docker Engine (`scripts/build-image.sh`: the Dockerfile's
//! final stage from a host-built static binary), then starts it with the `docker run` command
//! line of actions/runner (`DockerCommandManager.DockerRun`, `ContainerActionHandler`): the same
//! option order, `-e NAME` flags whose values come from the docker CLI's own environment, the
//! runner's mounts, `HOME=/github/home`, workdir `/github/workspace`, and host directories laid
//! out like a runner's `_work`. Then reads what the runner reads after the step: the
//! file-command files on the host.
//!
//! Two runner generations: v2.329 and later mount `$RUNNER_TEMP` at `/github/runner_temp` and
//! translate `RUNNER_TEMP`; older runners pass the host path unmounted (actions/runner#1984). In
//! both, the bake-file paths hoist outputs must be valid on the host, for later steps
//! (docker/bake-action `files:`): the runner translates env values into the container, never
//! output values back out.
//!
//! Needs Docker. Where `docker info` fails the tests fail with that message: CI machines of this
//! project have an Engine. `HOIST_TEST_IMAGE=<image>` skips the build and uses that image.
//! The GitHub API is a loopback stub; the container reaches it with `--network host` (the one
//! deviation from the runner's command line, which puts the container on the default bridge or
//! the job network).

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::github::{GitHubStub, Recorded};
use support::registry::{Kind, Registry};
use support::step::parse_file_commands;

/// The hosted runner's user and the docker group (`uid=1001(runner) gid=121(docker)`): the
/// owner of every directory the runner mounts.
const RUNNER_UID: u32 = 1001;
const RUNNER_GID: u32 = 121;

const SHA: &str = "860c1904a1ce19322e91ac35af1ab07466440c37";
const MAX_IMAGE_BYTES: u64 = 15 * 1024 * 1024;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `docker {}`: {e}", args.join(" ")))
}

fn require_docker() {
    let info = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match info {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "these tests need a Docker Engine (`docker info` failed: {}); \
             on Debian: apt-get install docker.io and start dockerd",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!(
            "these tests need the docker CLI and a Docker Engine (`docker info`: {e}); \
             on Debian: apt-get install docker.io and start dockerd"
        ),
    }
}

/// Builds the image once per test binary (or takes `HOIST_TEST_IMAGE`).
fn image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        require_docker();
        #[allow(clippy::disallowed_methods)] // a test knob, not the product's environment
        let knob = std::env::var("HOIST_TEST_IMAGE");
        if let Ok(image) = knob
            && !image.is_empty()
        {
            return image;
        }
        let tag = "hoist:container-test";
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/build-image.sh"))
            .arg(tag)
            .output()
            .expect("run scripts/build-image.sh");
        assert!(
            out.status.success(),
            "scripts/build-image.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tag.to_owned()
    })
}

#[test]
fn the_image_is_scratch_with_the_binary_and_a_ca_bundle_only() {
    let image = image();
    let inspect = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.User}} {{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Size}} {{.Os}}/{{.Architecture}}",
        image,
    ]);
    assert!(inspect.status.success(), "docker image inspect {image}");
    let text = String::from_utf8_lossy(&inspect.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(
        fields[0], "\"\"",
        "no USER: the runner's mounts are writable by root only"
    );
    assert_eq!(fields[1], "[\"/hoist\"]", "exec-form entrypoint, no shell");
    assert_eq!(
        fields[2], "null",
        "no CMD: every setting is an INPUT_* variable"
    );
    let size: u64 = fields[3].parse().expect("image size");
    assert!(
        size < MAX_IMAGE_BYTES,
        "image is {size} bytes, budget 15 MiB"
    );
    assert_eq!(fields[4], "linux/amd64");

    // The filesystem: exactly the binary and the CA bundle, read from the image's layers.
    let saved = docker(&["save", image]);
    assert!(saved.status.success(), "docker save {image}");
    let outer = tar_entries(&saved.stdout);
    let manifest: serde_json::Value = serde_json::from_slice(
        outer
            .iter()
            .find(|e| e.name == "manifest.json")
            .expect("manifest.json in docker save")
            .data,
    )
    .expect("manifest.json");
    let mut files = Vec::new();
    for layer in manifest[0]["Layers"].as_array().expect("Layers") {
        let layer = layer.as_str().expect("layer path");
        let entry = outer
            .iter()
            .find(|e| e.name == layer)
            .unwrap_or_else(|| panic!("{layer} in docker save"));
        for file in tar_entries(entry.data) {
            if file.kind == b'0' || file.kind == 0 {
                let mode = file.mode;
                files.push((file.name, mode));
            }
        }
    }
    files.sort();
    assert_eq!(
        files,
        vec![
            ("etc/ssl/certs/ca-certificates.crt".to_owned(), 0o644),
            ("hoist".to_owned(), 0o755),
        ],
        "regular files in the image"
    );
}

/// One entry of a ustar stream.
struct TarEntry<'a> {
    name: String,
    kind: u8,
    mode: u32,
    data: &'a [u8],
}

/// The entries of a ustar stream (no PAX or GNU long names: docker writes none for these).
fn tar_entries(tar: &[u8]) -> Vec<TarEntry<'_>> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let field = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        };
        let octal = |range: std::ops::Range<usize>| {
            u64::from_str_radix(field(range).trim(), 8).unwrap_or(0)
        };
        let (name, prefix) = (field(0..100), field(345..500));
        let size = usize::try_from(octal(124..136)).expect("size");
        let full = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let data_at = at + 512;
        entries.push(TarEntry {
            name: full.trim_start_matches("./").to_owned(),
            kind: header[156],
            mode: u32::try_from(octal(100..108) & 0o7777).expect("mode"),
            data: &tar[data_at..(data_at + size).min(tar.len())],
        });
        at = data_at + size.div_ceil(512) * 512;
    }
    entries
}

// ---- a runner's host directories ----------------------------------------------------------

/// A runner's `_work` directory for one job: `_temp` (`RUNNER_TEMP`) with the runner's
/// `_github_home`, `_github_workflow` and `_runner_file_commands`, and the workspace
/// `_work/n/n` (`RUNNER_WORKSPACE` `_work/n`), all owned by the runner's user.
struct RunnerHost {
    _dir: tempfile::TempDir,
    work: PathBuf,
    temp: PathBuf,
    workspace: PathBuf,
    runner_workspace: PathBuf,
    /// Host path of each file command (`GITHUB_OUTPUT` → `.../set_output_<guid>`).
    files: BTreeMap<&'static str, PathBuf>,
}

/// Gives `path` to the hosted runner's user when the test runs as root (this project's machines).
/// Not being allowed to means the test runs as a normal user (a GitHub-hosted runner, uid 1001):
/// then the files are that user's already, like a runner's.
fn chown_runner(path: &Path) {
    match std::os::unix::fs::chown(path, Some(RUNNER_UID), Some(RUNNER_GID)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
        Err(e) => panic!("chown {}: {e}", path.display()),
    }
}

impl RunnerHost {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // Docker bind-mounts need a path the daemon can see: the test's own temp dir is on this
        // machine, like the runner's.
        let work = dir.path().join("_work");
        let temp = work.join("_temp");
        let runner_workspace = work.join("n");
        let workspace = runner_workspace.join("n");
        for d in [
            work.clone(),
            temp.clone(),
            temp.join("_github_home"),
            temp.join("_github_workflow"),
            temp.join("_runner_file_commands"),
            runner_workspace.clone(),
            workspace.clone(),
        ] {
            std::fs::create_dir_all(&d).expect("create runner dir");
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            chown_runner(&d);
        }
        // tempfile makes its directory 0700: the container (root) does not care, later host
        // steps (the runner's user) need to traverse it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::fs::write(workspace.join("Dockerfile"), "FROM scratch\n").expect("checkout");
        chown_runner(&workspace.join("Dockerfile"));

        let guid = "0b6b3c7e-5a3c-4a7e-9f0e-3b1e2c9d4f10";
        let mut files = BTreeMap::new();
        for (var, prefix) in [
            ("GITHUB_OUTPUT", "set_output_"),
            ("GITHUB_ENV", "set_env_"),
            ("GITHUB_PATH", "add_path_"),
            ("GITHUB_STATE", "save_state_"),
            ("GITHUB_STEP_SUMMARY", "step_summary_"),
        ] {
            // `FileCommandManager.InitializeFiles`: created empty before the step.
            let path = temp
                .join("_runner_file_commands")
                .join(format!("{prefix}{guid}"));
            std::fs::write(&path, "").expect("create file command file");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            chown_runner(&path);
            files.insert(var, path);
        }

        let event = serde_json::json!({
            "ref": "refs/tags/v1.2.3",
            "after": SHA,
            "created": true,
            "head_commit": { "id": SHA, "timestamp": "2026-11-20T10:00:00+01:00" },
            "commits": [],
            "repository": { "name": "n", "full_name": "o/n", "default_branch": "main" },
        });
        let event_path = temp.join("_github_workflow/event.json");
        std::fs::write(&event_path, event.to_string()).expect("event.json");
        chown_runner(&event_path);

        Self {
            _dir: dir,
            work,
            temp,
            workspace,
            runner_workspace,
            files,
        }
    }

    fn read(&self, var: &str) -> String {
        std::fs::read_to_string(&self.files[var]).expect("read file command file")
    }

    /// Host path → the path the runner passes into the container (`TranslateToContainerPath`).
    fn container_path(&self, host: &Path, temp_mounted: bool) -> String {
        let mappings: Vec<(PathBuf, &str)> = {
            // Last added wins: the runner inserts each mapping at index 0.
            let mut m = vec![
                (self.workspace.clone(), "/github/workspace"),
                (
                    self.temp.join("_runner_file_commands"),
                    "/github/file_commands",
                ),
                (self.temp.join("_github_workflow"), "/github/workflow"),
                (self.temp.join("_github_home"), "/github/home"),
            ];
            if temp_mounted {
                m.push((self.temp.clone(), "/github/runner_temp"));
            }
            m
        };
        for (from, to) in mappings {
            if host == from {
                return to.to_owned();
            }
            if let Ok(rest) = host.strip_prefix(&from) {
                return format!("{to}/{}", rest.display());
            }
        }
        host.display().to_string()
    }
}

// ---- the GitHub API stub --------------------------------------------------------------------

/// The repository the steps run in, as the API stub serves it (`GET /repos/o/n`; anything else,
/// the commit read included, answers an error: metadata-action then falls back to "now").
/// The image is built first: a stub lives a bounded time, and a cold build can take minutes.
fn api_stub() -> GitHubStub {
    image();
    GitHubStub::start(Recorded {
        owner: "o".to_owned(),
        name: "n".to_owned(),
        repo: Some(serde_json::json!({
            "id": 1, "name": "n", "full_name": "o/n", "description": "A test repository",
            "html_url": "https://github.com/o/n", "default_branch": "main",
            "license": {"key": "mit", "spdx_id": "MIT"}
        })),
        commits: BTreeMap::new(),
    })
}

// ---- the runner's docker run ---------------------------------------------------------------

/// The step's inputs as the runner evaluates them: every input of action.yml, `with:` values
/// over `default:`s, empty when neither (`ActionRunner.cs`). Read from action.yml so that a new
/// input reaches the container the way it will on a runner.
fn inputs(with: &[(&str, &str)]) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).expect("action.yml");
    let mut out = Vec::new();
    let mut section = "";
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = if line.starts_with("inputs:") {
                "inputs"
            } else {
                ""
            };
            continue;
        }
        if section != "inputs" {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            if let Some(done) = current.take() {
                out.push(done);
            }
            current = Some((name.to_owned(), String::new()));
        } else if let Some(default) = line.trim_start().strip_prefix("default:")
            && let Some((_, value)) = current.as_mut()
        {
            default.trim().trim_matches('"').clone_into(value);
        }
    }
    out.extend(current);
    for (name, value) in &mut out {
        if value == "${{ github.token }}" {
            "ghs_container_test_token".clone_into(value);
        }
        if let Some((_, v)) = with.iter().find(|(k, _)| k == name) {
            (*v).clone_into(value);
        }
    }
    out
}

struct Run {
    output: Output,
    stdout: String,
}

/// Runs the image the way `ContainerActionHandler` + `DockerCommandManager.DockerRun` do.
/// `temp_mounted`: runner v2.329+ (`RUNNER_TEMP` mounted at `/github/runner_temp`).
fn run_like_the_runner(
    host: &RunnerHost,
    api: &GitHubStub,
    temp_mounted: bool,
    with: &[(&str, &str)],
) -> Run {
    // Container names are unique per run: the tests of this binary run in parallel.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let image = image();
    // The step's environment, with values as the runner passes them (host paths translated).
    let mut env: Vec<(String, String)> = Vec::new();
    for (name, value) in inputs(with) {
        // Handler.cs AddInputsToEnvironment: upper-cased, spaces to `_`, hyphens kept.
        env.push((
            format!("INPUT_{}", name.replace(' ', "_").to_uppercase()),
            value,
        ));
    }
    let fc = |var: &str| host.container_path(&host.files[var], temp_mounted);
    let github: Vec<(&str, String)> = vec![
        ("GITHUB_ACTION", "meta".into()),
        (
            "GITHUB_ACTION_PATH",
            host.work.join("_actions/o/hoist/v1").display().to_string(),
        ),
        ("GITHUB_ACTION_REF", "v1".into()),
        ("GITHUB_ACTION_REPOSITORY", "o/hoist".into()),
        ("GITHUB_ACTOR", "octocat".into()),
        ("GITHUB_ACTOR_ID", "583231".into()),
        ("GITHUB_API_URL", api.url()),
        ("GITHUB_BASE_REF", String::new()),
        ("GITHUB_ENV", fc("GITHUB_ENV")),
        ("GITHUB_EVENT_NAME", "push".into()),
        (
            "GITHUB_EVENT_PATH",
            host.container_path(&host.temp.join("_github_workflow/event.json"), temp_mounted),
        ),
        ("GITHUB_GRAPHQL_URL", format!("{}/graphql", api.url())),
        ("GITHUB_HEAD_REF", String::new()),
        ("GITHUB_JOB", "release".into()),
        ("GITHUB_OUTPUT", fc("GITHUB_OUTPUT")),
        ("GITHUB_PATH", fc("GITHUB_PATH")),
        ("GITHUB_REF", "refs/tags/v1.2.3".into()),
        ("GITHUB_REF_NAME", "v1.2.3".into()),
        ("GITHUB_REF_PROTECTED", "false".into()),
        ("GITHUB_REF_TYPE", "tag".into()),
        ("GITHUB_REPOSITORY", "o/n".into()),
        ("GITHUB_REPOSITORY_ID", "42".into()),
        ("GITHUB_REPOSITORY_OWNER", "o".into()),
        ("GITHUB_REPOSITORY_OWNER_ID", "7".into()),
        ("GITHUB_RETENTION_DAYS", "90".into()),
        ("GITHUB_RUN_ATTEMPT", "1".into()),
        ("GITHUB_RUN_ID", "1234567890".into()),
        ("GITHUB_RUN_NUMBER", "12".into()),
        ("GITHUB_SERVER_URL", "https://github.com".into()),
        ("GITHUB_SHA", SHA.into()),
        ("GITHUB_STATE", fc("GITHUB_STATE")),
        ("GITHUB_STEP_SUMMARY", fc("GITHUB_STEP_SUMMARY")),
        ("GITHUB_TRIGGERING_ACTOR", "octocat".into()),
        ("GITHUB_WORKFLOW", "release".into()),
        (
            "GITHUB_WORKFLOW_REF",
            "o/n/.github/workflows/release.yml@refs/tags/v1.2.3".into(),
        ),
        ("GITHUB_WORKFLOW_SHA", SHA.into()),
        (
            "GITHUB_WORKSPACE",
            host.container_path(&host.workspace, temp_mounted),
        ),
        ("RUNNER_ARCH", "X64".into()),
        ("RUNNER_ENVIRONMENT", "github-hosted".into()),
        ("RUNNER_NAME", "GitHub Actions 1".into()),
        ("RUNNER_OS", "Linux".into()),
        ("RUNNER_TEMP", host.container_path(&host.temp, temp_mounted)),
        ("RUNNER_TOOL_CACHE", "/opt/hostedtoolcache".into()),
        (
            "RUNNER_WORKSPACE",
            host.container_path(&host.runner_workspace, temp_mounted),
        ),
        (
            "HOME",
            host.container_path(&host.temp.join("_github_home"), temp_mounted),
        ),
        ("ACTIONS_RUNTIME_URL", "http://127.0.0.1:9/runtime/".into()),
        ("ACTIONS_RUNTIME_TOKEN", "runtime-token".into()),
        ("ACTIONS_RESULTS_URL", "http://127.0.0.1:9/results/".into()),
        ("ACTIONS_CACHE_URL", "http://127.0.0.1:9/cache/".into()),
    ];
    env.extend(github.into_iter().map(|(k, v)| (k.to_owned(), v)));

    let mut cmd = Command::new("docker");
    // The docker CLI gets the values through its own environment, not the command line.
    cmd.env_clear();
    for keep in ["PATH", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT"] {
        #[allow(clippy::disallowed_methods)] // how this machine's docker CLI finds its Engine
        let value = std::env::var_os(keep);
        if let Some(v) = value {
            cmd.env(keep, v);
        }
    }
    let name = format!(
        "hoistcontainertest_{:06x}_{}_",
        std::process::id() & 0xff_ffff,
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    cmd.args([
        "run",
        "--name",
        &format!("{name}{}", u8::from(temp_mounted)),
        "--label",
        "hoist-container-test",
        "--workdir",
        "/github/workspace",
        "--rm",
    ]);
    for (k, v) in &env {
        cmd.arg("-e").arg(k);
        cmd.env(k, v);
    }
    cmd.args(["-e", "GITHUB_ACTIONS=true", "-e", "CI=true"]);
    cmd.args(["--entrypoint", "/hoist"]); // action.yml `runs.entrypoint`
    cmd.args(["--network", "host"]); // the API stub is on the host's loopback
    let mut mounts: Vec<(PathBuf, &str)> = vec![(
        PathBuf::from("/var/run/docker.sock"),
        "/var/run/docker.sock",
    )];
    if temp_mounted {
        mounts.push((host.temp.clone(), "/github/runner_temp"));
    }
    mounts.extend([
        (host.temp.join("_github_home"), "/github/home"),
        (host.temp.join("_github_workflow"), "/github/workflow"),
        (
            host.temp.join("_runner_file_commands"),
            "/github/file_commands",
        ),
        (host.workspace.clone(), "/github/workspace"),
    ]);
    for (from, to) in &mounts {
        cmd.arg("-v").arg(format!("{}:{to}", from.display()));
    }
    cmd.arg(image);
    let output = cmd.output().expect("docker run");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    Run { output, stdout }
}

/// A file-command file on the host, parsed as the runner does.
fn file_commands(text: &str) -> Vec<(String, String)> {
    parse_file_commands(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Everything a later step on the host relies on after a metadata-only run.
fn check_metadata_run(host: &RunnerHost, api: &GitHubStub, run: &Run) {
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        run.output.status.success(),
        "the container failed ({}):\nstdout:\n{}\nstderr:\n{stderr}",
        run.output.status,
        run.stdout
    );
    assert!(!run.stdout.contains("::error"), "stdout:\n{}", run.stdout);

    // Outputs, as the runner reads them after the step.
    let outputs: BTreeMap<String, String> = file_commands(&host.read("GITHUB_OUTPUT"))
        .into_iter()
        .collect();
    let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "annotations",
            "bake-file",
            "bake-file-annotations",
            "bake-file-labels",
            "bake-file-tags",
            "json",
            "labels",
            "tag-names",
            "tags",
            "version"
        ],
        "a metadata-only run writes metadata-action's outputs (digest/push-results need a source)"
    );
    assert_eq!(outputs["version"], "v1.2.3");
    assert_eq!(
        outputs["tags"],
        "ghcr.io/o/n:v1.2.3\nghcr.io/o/n:sha-860c190\nghcr.io/o/n:latest"
    );
    assert_eq!(outputs["tag-names"], "v1.2.3\nsha-860c190\nlatest");
    let labels: Vec<&str> = outputs["labels"].lines().collect();
    for expected in [
        "org.opencontainers.image.title=n",
        "org.opencontainers.image.description=A test repository",
        "org.opencontainers.image.source=https://github.com/o/n",
        "org.opencontainers.image.version=v1.2.3",
        "org.opencontainers.image.licenses=MIT",
    ] {
        assert!(labels.contains(&expected), "label {expected} in {labels:?}");
    }
    assert!(labels.contains(&format!("org.opencontainers.image.revision={SHA}").as_str()));
    // The API was reached through the stub, with the `github-token` input.
    let seen: Vec<String> = api
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.path,
                r.header("authorization").unwrap_or_default()
            )
        })
        .collect();
    assert!(
        seen.iter()
            .any(|r| r == "/repos/o/n token ghs_container_test_token"),
        "API requests: {seen:?}"
    );

    // The env export for later steps.
    let env: BTreeMap<String, String> = file_commands(&host.read("GITHUB_ENV"))
        .into_iter()
        .collect();
    for (name, value) in &outputs {
        let var = format!(
            "DOCKER_METADATA_OUTPUT_{}",
            name.to_uppercase().replace('-', "_")
        );
        assert_eq!(env.get(&var), Some(value), "{var}");
    }

    // Bake files: host paths under the host's RUNNER_TEMP, readable by the runner's user,
    // removable by the runner's end-of-job cleanup (owned like RUNNER_TEMP).
    let temp_meta = std::fs::metadata(&host.temp).expect("RUNNER_TEMP");
    let runner_owner = (temp_meta.uid(), temp_meta.gid());
    let mut dirs = Vec::new();
    for bake in [
        "bake-file",
        "bake-file-tags",
        "bake-file-labels",
        "bake-file-annotations",
    ] {
        let path = PathBuf::from(&outputs[bake]);
        assert!(
            path.starts_with(&host.temp),
            "`{bake}` = {} is not a host path under RUNNER_TEMP ({}); later steps cannot open it",
            path.display(),
            host.temp.display()
        );
        let meta = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("`{bake}` = {}: {e}", path.display()));
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o004, 0o004, "`{bake}` readable by others");
        assert_eq!(
            (meta.uid(), meta.gid()),
            runner_owner,
            "`{bake}` owned like RUNNER_TEMP, so that the runner can clean it up"
        );
        let dir = path.parent().expect("bake dir").to_path_buf();
        let dir_meta = std::fs::metadata(&dir).expect("bake dir");
        assert_eq!(
            (dir_meta.uid(), dir_meta.gid()),
            runner_owner,
            "bake directory owned like RUNNER_TEMP"
        );
        dirs.push(dir);
    }
    dirs.dedup();
    assert_eq!(dirs.len(), 1, "one bake directory per run");
    let tags_file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&outputs["bake-file-tags"]).expect("read bake-file-tags"),
    )
    .expect("bake-file-tags is JSON");
    let bake_tags: Vec<&str> = tags_file["target"]["docker-metadata-action"]["tags"]
        .as_array()
        .expect("tags array")
        .iter()
        .map(|t| t.as_str().expect("tag"))
        .collect();
    assert_eq!(bake_tags.join("\n"), outputs["tags"]);

    // Nothing written into the workspace (files there would be root-owned on the host).
    let entries: Vec<String> = std::fs::read_dir(&host.workspace)
        .expect("workspace")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries,
        vec!["Dockerfile".to_owned()],
        "workspace untouched"
    );
    // File commands the step does not use stay empty.
    assert_eq!(host.read("GITHUB_PATH"), "");
    assert_eq!(host.read("GITHUB_STATE"), "");
    // The job summary is for the push report (a metadata-only run may leave it empty); whatever
    // is there must be valid UTF-8 well under the runner's 1 MiB limit.
    assert!(host.read("GITHUB_STEP_SUMMARY").len() < 1024 * 1024);
}

const TAGS: &str = "type=ref,event=branch\ntype=ref,event=tag\ntype=sha";

#[test]
fn a_metadata_only_step_on_a_current_runner() {
    // Runner v2.329+: RUNNER_TEMP is mounted at /github/runner_temp and translated.
    let host = RunnerHost::new();
    let api = api_stub();
    let run = run_like_the_runner(
        &host,
        &api,
        true,
        &[("images", "ghcr.io/o/n"), ("tags", TAGS)],
    );
    check_metadata_run(&host, &api, &run);
}

#[test]
fn a_metadata_only_step_on_a_runner_without_the_runner_temp_mount() {
    // Runners before v2.329: RUNNER_TEMP holds the host path, which is not mounted.
    let host = RunnerHost::new();
    let api = api_stub();
    let run = run_like_the_runner(
        &host,
        &api,
        false,
        &[("images", "ghcr.io/o/n"), ("tags", TAGS)],
    );
    check_metadata_run(&host, &api, &run);
}

// ---- a push, once the push engine lands ------------------------------------------------------

/// Runs a push step with `source` like the runner does, then pulls every tag back with the
/// host's Engine and compares image IDs with `image`'s.
fn push_and_pull_back(host: &RunnerHost, image: &str, source: &str) {
    let api = api_stub();
    let registry = Registry::start(&Kind::Anonymous);
    let registry_host = registry.host();
    let target = format!("{registry_host}/test/hoist");
    let run = run_like_the_runner(
        host,
        &api,
        true,
        &[
            ("images", &target),
            ("tags", TAGS),
            ("source", source),
            ("insecure-registries", &registry_host),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        run.output.status.success(),
        "the push failed ({}):\nstdout:\n{}\nstderr:\n{stderr}",
        run.output.status,
        run.stdout
    );
    let outputs: BTreeMap<String, String> = file_commands(&host.read("GITHUB_OUTPUT"))
        .into_iter()
        .collect();
    // With a source, every declared output is written (tests/action_contract.rs checks the
    // metadata-only set).
    for name in ["digest", "push-results", "tags", "bake-file"] {
        assert!(outputs.contains_key(name), "output `{name}` after a push");
    }
    let digest = &outputs["digest"];
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "digest {digest}"
    );
    let results: serde_json::Value =
        serde_json::from_str(&outputs["push-results"]).expect("push-results is JSON");
    assert!(results.is_array(), "push-results: {results}");
    assert!(
        !host.read("GITHUB_STEP_SUMMARY").trim().is_empty(),
        "a push writes a job summary"
    );
    // Pull each tag back with the host's Engine (127.0.0.0/8 is plain HTTP for docker) and
    // compare image IDs: the config blob went through unchanged.
    let want = docker(&["image", "inspect", "-f", "{{.Id}}", image]);
    let want = String::from_utf8_lossy(&want.stdout).trim().to_owned();
    for tag in outputs["tag-names"].lines() {
        let reference = format!("{target}:{tag}");
        let pulled = docker(&["pull", "-q", &reference]);
        assert!(
            pulled.status.success(),
            "docker pull {reference}: {}",
            String::from_utf8_lossy(&pulled.stderr)
        );
        let got = docker(&["image", "inspect", "-f", "{{.Id}}", &reference]);
        let got = String::from_utf8_lossy(&got.stdout).trim().to_owned();
        let _ = docker(&["rmi", &reference]);
        assert_eq!(got, want, "{reference}");
    }
}

#[test]
fn a_push_step_from_a_docker_archive_to_a_local_registry() {
    let host = RunnerHost::new();
    let image = image();
    // `docker save` of hoist's own image, in the workspace (mounted on every runner version).
    let archive = host.workspace.join("image.tar");
    let saved = docker(&["save", "-o", &archive.display().to_string(), image]);
    assert!(saved.status.success(), "docker save");
    push_and_pull_back(&host, image, "docker-archive:image.tar");
}

#[test]
fn a_push_step_from_the_engine_through_the_mounted_socket() {
    let host = RunnerHost::new();
    let image = image();
    // hoist's own image, read from the host's Engine through /var/run/docker.sock.
    push_and_pull_back(&host, image, &format!("docker-daemon:{image}"));
}
