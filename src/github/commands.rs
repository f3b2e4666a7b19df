//! Workflow commands on stdout (`::group::`, `::warning::`, `::error::`, `::add-mask::`,
//! `::debug::`) with @actions/core's escaping, and plain log lines. The only module that prints
//! to stdout. Text that is not ours (labels, registry error bodies) goes through
//! [`Log::untrusted`], which stops command processing around it so it cannot inject commands.

use std::io::Write;

/// `%`, CR and LF escaped as in a command's data.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command property value: data escaping plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Whether a line would be read by the runner as a command.
fn looks_like_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[")
}

/// The step's log.
#[derive(Debug, Default)]
pub struct Log {
    /// Whether `::debug::` lines are printed (`RUNNER_DEBUG=1`).
    pub debug: bool,
    /// A local run: the log goes to stderr so that stdout carries only the result
    /// (`--format json | jq …`).
    pub to_stderr: bool,
}

impl Log {
    fn write(&self, s: &str) {
        let line = format!("{s}\n");
        // A closed stream must not abort the run: outputs still go to their files.
        if self.to_stderr {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        } else {
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
        }
    }

    /// The result of a local run, on stdout whatever the log's stream.
    pub fn result(&self, s: &str) {
        let _ = std::io::stdout()
            .lock()
            .write_all(format!("{s}\n").as_bytes());
    }

    /// A plain line of our own.
    pub fn info(&self, s: &str) {
        self.write(s);
    }

    /// Text from outside (labels, server messages): printed so that the runner cannot read a
    /// command in it.
    pub fn untrusted(&self, s: &str) {
        if s.lines().any(looks_like_command) {
            let token = format!("hoist-{:016x}", rand_u64());
            self.write(&format!("::stop-commands::{token}"));
            self.write(s);
            self.write(&format!("::{token}::"));
        } else {
            self.write(s);
        }
    }

    /// `::group::title`.
    pub fn group(&self, title: &str) {
        self.write(&format!("::group::{}", escape_data(title)));
    }

    /// `::endgroup::`.
    pub fn end_group(&self) {
        self.write("::endgroup::");
    }

    /// `::warning::message`.
    pub fn warning(&self, msg: &str) {
        self.write(&format!("::warning::{}", escape_data(msg)));
    }

    /// `::error title=…::message` (title optional).
    pub fn error(&self, title: Option<&str>, msg: &str) {
        match title {
            Some(t) => self.write(&format!(
                "::error title={}::{}",
                escape_property(t),
                escape_data(msg)
            )),
            None => self.write(&format!("::error::{}", escape_data(msg))),
        }
    }

    /// `::add-mask::secret`: the runner redacts the value from every later log line.
    pub fn add_mask(&self, secret: &str) {
        if !secret.is_empty() {
            self.write(&format!("::add-mask::{}", escape_data(secret)));
        }
    }

    /// `::debug::message`, only when debugging.
    pub fn debug(&self, msg: &str) {
        if self.debug {
            self.write(&format!("::debug::{}", escape_data(msg)));
        }
    }

    /// The legacy stdout form of an output, when there is no `GITHUB_OUTPUT` file.
    pub fn set_output_command(&self, name: &str, value: &str) {
        self.write("");
        self.write(&format!(
            "::set-output name={}::{}",
            escape_property(name),
            escape_data(value)
        ));
    }
}

/// A random 64-bit number for command tokens and delimiters.
pub fn rand_u64() -> u64 {
    let mut buf = [0_u8; 8];
    if getrandom::fill(&mut buf).is_err() {
        // No entropy source: fall back to the clock and pid, still unguessable enough for a
        // delimiter that must only not collide with the value.
        #[allow(clippy::disallowed_methods)]
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        #[allow(clippy::cast_possible_truncation)]
        return (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32);
    }
    u64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_actions_core() {
        assert_eq!(escape_data("a%b\r\nc"), "a%25b%0D%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn command_lookalikes_are_detected() {
        assert!(looks_like_command("::set-output name=x::y"));
        assert!(looks_like_command("  ##[error]boom"));
        assert!(!looks_like_command("org.opencontainers.image.title=x::y"));
    }
}
