//! Runs the built binary the way a GitHub runner runs a step: a cleared environment with only
//! `PATH`, `HOME`, `TZ=UTC`, the runner's `GITHUB_*` variables (the event payload written to
//! `GITHUB_EVENT_PATH`; `GITHUB_OUTPUT`, `GITHUB_ENV` and `GITHUB_STEP_SUMMARY` fresh empty
//! files), `RUNNER_TEMP`, the inputs as `INPUT_<NAME>` (upper-case, spaces to `_`, hyphens kept,
//! action.yml defaults applied) and `SOURCE_DATE_EPOCH` for the clock; cwd is the workspace.
//! Then parses the file commands the step wrote, with the one parser of the file-command format
//! ([`parse_file_commands`]).
//!
//! [`run_hoist`] is the short form the push tests use: a `push` step on `main` in `o/app`, the
//! GitHub API stubbed, the outputs and the job summary read back into a [`Run`].

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use super::github::{APP_SHA, GitHubStub};

/// The fake `github-token` every step gets (action.yml's default is `${{ github.token }}`).
pub const TOKEN: &str = "ghs_hoistFakeToken0123456789abcdefABCDEF";

/// 2020-01-10T00:30:00Z, the instant metadata-action's own tests freeze.
pub const EPOCH_2020_01_10: &str = "1578616200";

/// How long a step may run.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One step to run.
#[derive(Clone, Debug)]
pub struct Step {
    /// `GITHUB_EVENT_NAME` (`None`: unset).
    pub event_name: Option<String>,
    /// `GITHUB_REF`.
    pub git_ref: Option<String>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// `GITHUB_REPOSITORY`.
    pub repository: Option<String>,
    /// The webhook payload written to `GITHUB_EVENT_PATH` (`None`: variable unset).
    pub payload: Option<Json>,
    /// The step's `with:` map, in order.
    pub inputs: Vec<(String, String)>,
    /// Extra variables (`DOCKER_METADATA_*`, …).
    pub env: Vec<(String, String)>,
    /// `SOURCE_DATE_EPOCH`.
    pub epoch: String,
    /// `github-token` (action.yml default applied when `Some`).
    pub token: Option<String>,
    /// Command-line arguments after the binary (e.g. the hidden `--retry-pacing` test flag).
    pub args: Vec<String>,
}

impl Step {
    /// A `push` step on `git_ref` at `sha` in `octo-org/octo-repo`, frozen at 2020-01-10T00:30Z.
    pub fn push(git_ref: &str, sha: &str) -> Self {
        Self {
            event_name: Some("push".to_owned()),
            git_ref: Some(git_ref.to_owned()),
            sha: Some(sha.to_owned()),
            repository: Some("octo-org/octo-repo".to_owned()),
            payload: Some(Json::Object(serde_json::Map::new())),
            inputs: Vec::new(),
            env: Vec::new(),
            epoch: EPOCH_2020_01_10.to_owned(),
            token: Some(TOKEN.to_owned()),
            args: Vec::new(),
        }
    }

    /// Sets an input (`with:`), by its action.yml name.
    #[must_use]
    pub fn input(mut self, name: &str, value: &str) -> Self {
        self.inputs.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a command-line argument.
    #[must_use]
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Sets an extra variable.
    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Runs `binary` as this step against the API at `api_url`.
    pub fn run(&self, binary: &Path, api_url: &str) -> StepRun {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        let workspace = root.join("workspace");
        let home = root.join("home");
        let runner_temp = root.join("runner-temp");
        let commands = root.join("file-commands");
        for d in [&workspace, &home, &runner_temp, &commands] {
            std::fs::create_dir_all(d).expect("create step dir");
        }
        let output_file = commands.join("set_output");
        let env_file = commands.join("set_env");
        let summary_file = commands.join("step_summary");
        for f in [&output_file, &env_file, &summary_file] {
            File::create(f).expect("create file command file");
        }

        let mut vars: Vec<(String, String)> = Vec::new();
        let mut set = |k: &str, v: &str| vars.push((k.to_owned(), v.to_owned()));
        #[allow(clippy::disallowed_methods)] // the test's own PATH, so `git` and friends resolve
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_owned());
        set("PATH", &path);
        set("HOME", &home.display().to_string());
        set("TZ", "UTC");
        set("CI", "true");
        set("GITHUB_ACTIONS", "true");
        set("GITHUB_ACTOR", "octocat");
        set("GITHUB_WORKFLOW", "ci");
        set("GITHUB_ACTION", "__run");
        set("GITHUB_RUN_ID", "1234567890");
        set("GITHUB_RUN_NUMBER", "42");
        set("GITHUB_SERVER_URL", "https://github.com");
        set("GITHUB_API_URL", api_url);
        set("GITHUB_WORKSPACE", &workspace.display().to_string());
        set("GITHUB_OUTPUT", &output_file.display().to_string());
        set("GITHUB_ENV", &env_file.display().to_string());
        set("GITHUB_STEP_SUMMARY", &summary_file.display().to_string());
        set("RUNNER_TEMP", &runner_temp.display().to_string());
        set("RUNNER_OS", "Linux");
        set("SOURCE_DATE_EPOCH", &self.epoch);
        for (k, v) in [
            ("GITHUB_EVENT_NAME", &self.event_name),
            ("GITHUB_REF", &self.git_ref),
            ("GITHUB_SHA", &self.sha),
            ("GITHUB_REPOSITORY", &self.repository),
        ] {
            if let Some(v) = v {
                set(k, v);
            }
        }
        if let Some(payload) = &self.payload {
            let event_path = commands.join("event.json");
            std::fs::write(&event_path, payload.to_string()).expect("write event payload");
            set("GITHUB_EVENT_PATH", &event_path.display().to_string());
        }
        // action.yml defaults, as the runner applies them, then the step's own inputs.
        set(&input_var("context"), "workflow");
        if let Some(t) = &self.token {
            set(&input_var("github-token"), t);
        }
        for (name, value) in &self.inputs {
            set(&input_var(name), value);
        }
        for (k, v) in &self.env {
            set(k, v);
        }

        let stdout_path = root.join("stdout");
        let stderr_path = root.join("stderr");
        let mut child = Command::new(binary)
            .args(&self.args)
            .env_clear()
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&workspace)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the step") {
                break status;
            }
            if started.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the step ran for more than {TIMEOUT:?}; stdout so far:\n{}",
                    std::fs::read_to_string(&stdout_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let read = |p: &Path| std::fs::read_to_string(p).expect("read step file");
        StepRun {
            status,
            stdout: read(&stdout_path),
            stderr: read(&stderr_path),
            output_text: read(&output_file),
            env_text: read(&env_file),
            summary_text: read(&summary_file),
            runner_temp,
            _dir: dir,
        }
    }
}

/// `INPUT_<NAME>`: upper-case, spaces to `_`, hyphens kept (`sep-tags` → `INPUT_SEP-TAGS`).
pub fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// What a step did. Its temporary directory lives as long as this value.
#[derive(Debug)]
pub struct StepRun {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything printed on stdout (the log, workflow commands).
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
    /// The text of `$GITHUB_OUTPUT`.
    pub output_text: String,
    /// The text of `$GITHUB_ENV`.
    pub env_text: String,
    /// The text of `$GITHUB_STEP_SUMMARY`.
    pub summary_text: String,
    /// `RUNNER_TEMP`.
    pub runner_temp: PathBuf,
    _dir: tempfile::TempDir,
}

impl StepRun {
    /// The outputs, in the order written (panics on a malformed file).
    pub fn outputs(&self) -> Vec<(String, String)> {
        parse_file_commands(&self.output_text)
            .unwrap_or_else(|e| panic!("$GITHUB_OUTPUT: {e}\n{}", self.output_text))
    }

    /// The `$GITHUB_ENV` exports, in the order written.
    pub fn exports(&self) -> Vec<(String, String)> {
        parse_file_commands(&self.env_text)
            .unwrap_or_else(|e| panic!("$GITHUB_ENV: {e}\n{}", self.env_text))
    }

    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stdout lines that are `::error` commands.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error"))
            .collect()
    }

    /// stdout and stderr, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- $GITHUB_OUTPUT ---\n{}",
            self.status.code(),
            self.stdout,
            self.stderr,
            self.output_text
        )
    }

    /// No panic message anywhere.
    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "the binary panicked:\n{}",
            self.transcript()
        );
    }

    /// `secret` appears in no stdout/stderr line but `::add-mask::<secret>`.
    pub fn assert_masked(&self, secret: &str) {
        for (stream, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            for line in text.lines() {
                if line.contains(secret) {
                    assert_eq!(
                        line,
                        format!("::add-mask::{secret}"),
                        "the token leaked unmasked on {stream}"
                    );
                }
            }
        }
    }
}

/// Parses a file-command file the way the runner does (actions/runner `FileCommandManager.cs`
/// `EnvFileKeyValuePairs`): `name=value` lines (an `=` before any `<<`) or `name<<DELIMITER`
/// heredocs closed by a line that is exactly the delimiter; `\n` only; empty lines skipped.
pub fn parse_file_commands(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text.split('\n').enumerate();
    while let Some((n, line)) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.push((line[..e].to_owned(), line[e + 1..].to_owned()));
            }
            (_, Some(h)) => {
                let (name, delimiter) = (&line[..h], &line[h + 2..]);
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!("line {}: invalid format {line:?}", n + 1));
                }
                let mut value: Vec<&str> = Vec::new();
                loop {
                    let Some((_, l)) = lines.next() else {
                        return Err(format!(
                            "line {}: `{name}`: no closing delimiter `{delimiter}`",
                            n + 1
                        ));
                    };
                    if l == delimiter {
                        break;
                    }
                    value.push(l);
                }
                out.push((name.to_owned(), value.join("\n")));
            }
            _ => return Err(format!("line {}: not a file command: {line:?}", n + 1)),
        }
    }
    Ok(out)
}

/// What [`run_hoist`] produced.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub outputs: HashMap<String, String>,
    pub summary: String,
}

impl Run {
    /// An output's value (empty when not written).
    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map_or("", String::as_str)
    }

    /// `push-results`, parsed (empty when absent or not JSON).
    pub fn results(&self) -> Vec<Json> {
        serde_json::from_str(self.output("push-results")).unwrap_or_default()
    }
}

/// Runs `hoist` as a workflow step with these inputs (names as in action.yml).
pub fn run_hoist(inputs: &[(&str, &str)]) -> Run {
    run_hoist_args(inputs, &[])
}

/// [`run_hoist`] with extra command-line arguments (e.g. the hidden `--retry-pacing` test flag,
/// [`super::faults::FAST_RETRIES`] in fault tests).
pub fn run_hoist_args(inputs: &[(&str, &str)], args: &[&str]) -> Run {
    let api = GitHubStub::app();
    let mut step = Step::push("refs/heads/main", APP_SHA);
    step.repository = Some("o/app".to_owned());
    step.payload = Some(json!({
        "head_commit": {"id": APP_SHA, "timestamp": "2026-01-02T03:04:05Z"}
    }));
    step.token = None;
    step.inputs = inputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    step.args = args.iter().map(|a| (*a).to_owned()).collect();
    let run = step.run(Path::new(env!("CARGO_BIN_EXE_hoist")), &api.url());
    let outputs = run.outputs().into_iter().collect();
    Run {
        code: run.code(),
        stdout: run.stdout,
        stderr: run.stderr,
        outputs,
        summary: run.summary_text,
    }
}

#[cfg(test)]
#[allow(unused_imports)] // a `harness = false` target compiles this module without its `#[test]`s
mod tests {
    use super::*;

    #[test]
    fn parses_heredoc_and_single_line_forms() {
        let text = "tags<<ghadelimiter_1\na\nb\nghadelimiter_1\nversion=1.0\nempty<<D\n\nD\n";
        assert_eq!(
            parse_file_commands(text).expect("parses"),
            [
                ("tags".to_owned(), "a\nb".to_owned()),
                ("version".to_owned(), "1.0".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
        assert!(parse_file_commands("x<<D\nvalue\n").is_err());
    }

    #[test]
    fn parser_follows_the_runner() {
        let parsed =
            parse_file_commands("a=b=c\nk<<EOF\nl1\nl2\nEOF\n\ne<<D\nD\nq=x<<y\n").expect("parses");
        assert_eq!(
            parsed,
            [
                ("a".to_owned(), "b=c".to_owned()),
                ("k".to_owned(), "l1\nl2".to_owned()),
                ("e".to_owned(), String::new()),
                ("q".to_owned(), "x<<y".to_owned()),
            ]
        );
        assert!(parse_file_commands("<<D\nD\n").is_err());
        assert!(parse_file_commands("no-separator\n").is_err());
    }
}
