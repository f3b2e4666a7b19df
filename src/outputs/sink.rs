//! Where outputs go: on a runner `$GITHUB_OUTPUT` (and the `$GITHUB_ENV` exports), or the legacy
//! stdout commands when the files are missing; locally a collection printed at the end.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::github::commands::{Log, escape_data, escape_property};
use crate::github::env::RunnerEnv;
use crate::github::files;

use super::values::env_name;

/// Where outputs go.
pub enum Sink {
    /// A workflow step: `$GITHUB_OUTPUT` (and `$GITHUB_ENV` exports), or the legacy stdout
    /// commands when the files are missing. File commands are collected and appended once per
    /// file ([`Sink::flush`], and on drop, so that the outputs set before a failure stay written
    /// as metadata-action's do).
    Runner {
        /// `$GITHUB_OUTPUT`.
        output_file: Option<PathBuf>,
        /// `$GITHUB_ENV`.
        env_file: Option<PathBuf>,
        /// Whether outputs are exported as `DOCKER_METADATA_OUTPUT_*` too.
        export_env: bool,
        /// Collected `$GITHUB_OUTPUT` text.
        pending_output: String,
        /// Collected `$GITHUB_ENV` text.
        pending_env: String,
    },
    /// A local run: collected, printed at the end.
    Cli(Vec<(String, String)>),
}

/// `Util.parseBool` of @docker/actions-toolkit.
fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => bail!("{name}: parseBool syntax error: {v}"),
    }
}

impl Sink {
    /// The sink of this run: the runner's files on a runner (with `DOCKER_METADATA_SET_OUTPUT_ENV`
    /// deciding the exports), the CLI collection elsewhere.
    pub fn for_env(env: &RunnerEnv) -> Result<Self> {
        if !env.in_actions() {
            return Ok(Self::Cli(Vec::new()));
        }
        let export_env = match env.set_output_env.as_deref().filter(|v| !v.is_empty()) {
            None => true,
            Some(v) => parse_bool("DOCKER_METADATA_SET_OUTPUT_ENV", v)?,
        };
        Ok(Self::Runner {
            output_file: env.output_file.clone(),
            env_file: env.env_file.clone(),
            export_env,
            pending_output: String::new(),
            pending_env: String::new(),
        })
    }

    /// Whether this is a runner's sink.
    #[must_use]
    pub fn is_runner(&self) -> bool {
        matches!(self, Self::Runner { .. })
    }

    /// Sets one output.
    pub fn set(&mut self, log: &Log, name: &str, value: &str) -> Result<()> {
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
                    let var = env_name(name);
                    if env_file.is_some() {
                        pending_env.push_str(&files::key_value_message(&var, value)?);
                    } else {
                        log.info(&format!(
                            "::set-env name={}::{}",
                            escape_property(&var),
                            escape_data(value)
                        ));
                    }
                }
            }
            Self::Cli(v) => v.push((name.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// Appends what was collected to `$GITHUB_OUTPUT` and `$GITHUB_ENV`.
    pub fn flush(&mut self) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bool_is_the_toolkits() {
        for v in ["1", "t", "T", "true", "TRUE", "True"] {
            assert!(parse_bool("X", v).unwrap(), "{v}");
        }
        for v in ["0", "f", "F", "false", "FALSE", "False"] {
            assert!(!parse_bool("X", v).unwrap(), "{v}");
        }
        let e = parse_bool("X", "yes").unwrap_err().to_string();
        assert_eq!(e, "X: parseBool syntax error: yes");
    }
}
