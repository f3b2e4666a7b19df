//! The `hoist` binary: reads inputs and the runner's environment, runs the pipeline on a
//! single-threaded tokio runtime, and is the single error sink (`::error::` on a runner, a
//! plain `error:` line locally). Exit codes: 0 ok, 1 the run failed, 2 usage error (clap).
//! Also the `completions` and `man` subcommands.

use std::io::Write as _;

use clap::{CommandFactory as _, Parser as _};

use hoist::github::commands::Log;
use hoist::github::env::RunnerEnv;
use hoist::settings::{Command, RawInputs};

/// The first `INPUT_*` variable whose value is not UTF-8, as the input's name.
fn non_utf8_input() -> Option<String> {
    std::env::vars_os().find_map(|(k, v)| {
        let k = k.to_str()?;
        let name = k.strip_prefix("INPUT_")?;
        v.to_str().is_none().then(|| name.to_ascii_lowercase())
    })
}

fn print_stdout(bytes: &[u8]) -> std::process::ExitCode {
    match std::io::stdout().lock().write_all(bytes) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

fn helper(command: &Command) -> std::process::ExitCode {
    let mut cmd = RawInputs::command();
    match command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "hoist", &mut out);
            print_stdout(&out)
        }
        Command::Man => {
            let mut out = Vec::new();
            if clap_mangen::Man::new(cmd).render(&mut out).is_err() {
                return std::process::ExitCode::FAILURE;
            }
            print_stdout(&out)
        }
    }
}

fn main() -> std::process::ExitCode {
    let env = RunnerEnv::read();
    if let Some(name) = non_utf8_input() {
        let log = if env.in_actions() {
            Log::runner(false)
        } else {
            Log::local(false, false)
        };
        log.error(None, &format!("input `{name}` is not valid UTF-8"));
        return std::process::ExitCode::FAILURE;
    }
    let raw = RawInputs::parse();
    if let Some(command) = &raw.command {
        return helper(command);
    }
    let log = if env.in_actions() {
        Log::runner(env.runner_debug.as_deref() == Some("1"))
    } else {
        Log::local(
            raw.verbose || env.runner_debug.as_deref() == Some("1"),
            raw.quiet,
        )
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log.error(None, &format!("cannot start the async runtime: {e}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(hoist::app::run(&raw, &env, &log)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain, on one line, scrubbed of every known secret.
            log.error(None, &format!("{e:#}"));
            std::process::ExitCode::FAILURE
        }
    }
}
