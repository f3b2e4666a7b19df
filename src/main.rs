//! The `hoist` binary: reads inputs and the runner's environment, runs the pipeline on a
//! single-threaded tokio runtime, and is the single error sink (`::error::` on a runner, a
//! plain `error:` line locally; exit code 1).

use clap::Parser;

use hoist::github::commands::Log;
use hoist::github::env::RunnerEnv;
use hoist::settings::RawInputs;

fn main() -> std::process::ExitCode {
    let raw = RawInputs::parse();
    // SIGTERM/SIGINT remove the spools before exiting (drop guards do not run on a signal).
    hoist::source::spool::watch_signals();
    let env = RunnerEnv::read();
    let log = Log {
        debug: env.runner_debug.as_deref() == Some("1"),
        to_stderr: !env.in_actions(),
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
            // The whole cause chain, on one line.
            let msg = format!("{e:#}");
            if env.in_actions() {
                log.error(None, &msg);
            } else {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("error: {msg}");
                }
            }
            std::process::ExitCode::FAILURE
        }
    }
}
