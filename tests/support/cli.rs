//! Runs the built binary outside a runner, as a person runs the CLI: a cleared environment with
//! only `HOME` (the working directory) and the variables a test passes, stdin closed, a bounded
//! wait; stdout (the result) and stderr (the plain log) kept apart.

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a CLI run printed.
pub struct Out {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// stdout: the result.
    pub stdout: String,
    /// stderr: the log.
    pub stderr: String,
}

/// Runs `hoist args…` in `cwd` with a cleared environment plus `HOME=cwd` and `env` (in order;
/// a later variable overrides an earlier one).
pub fn hoist<K: AsRef<OsStr>, V: AsRef<OsStr>>(cwd: &Path, env: &[(K, V)], args: &[&str]) -> Out {
    let logs = tempfile::tempdir().expect("temp dir");
    let stdout_path = logs.path().join("stdout");
    let stderr_path = logs.path().join("stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.env_clear()
        .env("HOME", cwd)
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("stdout file"))
        .stderr(File::create(&stderr_path).expect("stderr file"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run the hoist binary");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for hoist") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hoist {args:?} ran for more than {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).expect("read output")).into_owned();
    Out {
        code: status.code(),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    }
}
