//! The log: workflow commands on stdout (`::group::`, `::warning::`, `::error::`,
//! `::add-mask::`, `::debug::`) with @actions/core's escaping on a runner, a plain log on stderr
//! in a local run; and the run's [`Secrets`], scrubbed from every line. The only module that
//! prints. Text that is not ours (labels, registry error bodies) goes through
//! [`Log::untrusted`], which stops command processing around it so it cannot inject commands.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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

/// The run's known secrets (`github-token`, `registry-auth` and docker-config passwords,
/// registry tokens): every clone shares one set. [`Secrets::scrub`] replaces each occurrence
/// with `***` in text that comes from a peer or goes to a file (`push-results`, the summary).
#[derive(Clone, Default)]
pub struct Secrets {
    known: Arc<Mutex<Vec<String>>>,
    /// Those given to the runner with `::add-mask::` (a scrubbed-only secret, such as the
    /// `GITHUB_TOKEN` variable, may still be masked later when it is used as a credential).
    announced: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets(<{} redacted>)", self.lock().len())
    }
}

impl Secrets {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A poisoned set is still the set: the secrets in it must still be scrubbed.
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that `secret` is (about to be) masked on the runner; whether it was not yet.
    fn announce(&self, secret: &str) -> bool {
        let mut set = self
            .announced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if secret.is_empty() || set.iter().any(|s| s == secret) {
            return false;
        }
        set.push(secret.to_owned());
        true
    }

    /// Adds a secret; returns whether it was new (empty values are not secrets).
    pub fn add(&self, secret: &str) -> bool {
        if secret.is_empty() {
            return false;
        }
        let mut set = self.lock();
        if set.iter().any(|s| s == secret) {
            return false;
        }
        set.push(secret.to_owned());
        // Longest first, so that a secret containing another is replaced whole.
        set.sort_by_key(|s| std::cmp::Reverse(s.len()));
        true
    }

    /// The text with every known secret replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let set = self.lock();
        let mut out = text.to_owned();
        for s in set.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// The step's log. On a runner (`cli` false): workflow commands on stdout, as metadata-action
/// prints them. In a local run (`cli` true): a plain log on stderr (`warning:`, `error:`,
/// headings instead of groups, no workflow command ever), so that stdout carries only the
/// result. Every line is scrubbed of the known [`Secrets`] in both modes.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// Whether debug lines are printed (`RUNNER_DEBUG=1`, or `--verbose` locally).
    pub debug: bool,
    /// A local run (not a workflow step): the plain log on stderr.
    pub cli: bool,
    /// Local runs only: print errors only (`--quiet`).
    pub quiet: bool,
    /// The secrets scrubbed from every line.
    pub secrets: Secrets,
    /// Local runs: inside a group, whose lines are indented under its heading.
    in_group: Arc<AtomicBool>,
}

impl Log {
    /// The log of a workflow step.
    pub fn runner(debug: bool) -> Self {
        Self {
            debug,
            ..Self::default()
        }
    }

    /// The log of a local run.
    pub fn local(verbose: bool, quiet: bool) -> Self {
        Self {
            debug: verbose && !quiet,
            cli: true,
            quiet,
            ..Self::default()
        }
    }

    fn raw(&self, s: &str) {
        let line = format!("{s}\n");
        // A closed stream must not abort the run: outputs still go to their files.
        if self.cli {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        } else {
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
        }
    }

    fn write(&self, s: &str) {
        self.raw(&self.secrets.scrub(s));
    }

    /// A local run's body line: indented inside a group, hidden by `--quiet`.
    fn local_line(&self, s: &str) {
        if self.quiet {
            return;
        }
        if self.in_group.load(Ordering::Relaxed) {
            for l in s.lines() {
                self.write(&format!("  {l}"));
            }
        } else {
            self.write(s);
        }
    }

    /// The result of a local run, on stdout whatever the log's stream (scrubbed too).
    pub fn result(&self, s: &str) {
        let _ = std::io::stdout()
            .lock()
            .write_all(format!("{}\n", self.secrets.scrub(s)).as_bytes());
    }

    /// A plain line of our own.
    pub fn info(&self, s: &str) {
        if self.cli {
            self.local_line(s);
        } else {
            self.write(s);
        }
    }

    /// Text from outside (labels, server messages): printed so that the runner cannot read a
    /// command in it.
    pub fn untrusted(&self, s: &str) {
        if self.cli {
            self.local_line(s);
        } else if s.lines().any(looks_like_command) {
            let token = format!("hoist-{:016x}", rand_u64());
            self.write(&format!("::stop-commands::{token}"));
            self.write(s);
            self.write(&format!("::{token}::"));
        } else {
            self.write(s);
        }
    }

    /// `::group::title`; locally a plain heading line.
    pub fn group(&self, title: &str) {
        if self.cli {
            self.in_group.store(false, Ordering::Relaxed);
            self.local_line(&format!("{title}:"));
            self.in_group.store(true, Ordering::Relaxed);
        } else {
            self.write(&format!("::group::{}", escape_data(title)));
        }
    }

    /// `::endgroup::`; locally the end of the indentation.
    pub fn end_group(&self) {
        if self.cli {
            self.in_group.store(false, Ordering::Relaxed);
        } else {
            self.write("::endgroup::");
        }
    }

    /// `::notice::message`; locally `note: message` (hidden by `--quiet`).
    pub fn notice(&self, msg: &str) {
        if self.cli {
            if !self.quiet {
                self.write(&format!("note: {msg}"));
            }
        } else {
            self.write(&format!("::notice::{}", escape_data(msg)));
        }
    }

    /// `::warning::message`; locally `warning: message` (hidden by `--quiet`).
    pub fn warning(&self, msg: &str) {
        if self.cli {
            if !self.quiet {
                self.write(&format!("warning: {msg}"));
            }
        } else {
            self.write(&format!("::warning::{}", escape_data(msg)));
        }
    }

    /// `::error title=…::message` (title optional); locally `error: title: message`.
    pub fn error(&self, title: Option<&str>, msg: &str) {
        if self.cli {
            match title {
                Some(t) => self.write(&format!("error: {t}: {msg}")),
                None => self.write(&format!("error: {msg}")),
            }
            return;
        }
        match title {
            Some(t) => self.write(&format!(
                "::error title={}::{}",
                escape_property(t),
                escape_data(msg)
            )),
            None => self.write(&format!("::error::{}", escape_data(msg))),
        }
    }

    /// Records a secret; on a runner also `::add-mask::secret`, so that the runner redacts it
    /// from every later log line. Locally nothing is printed: there is no runner to mask it,
    /// and the scrubber keeps it out of every line.
    pub fn add_mask(&self, secret: &str) {
        self.secrets.add(secret);
        if !self.cli && self.secrets.announce(secret) {
            // The one line that carries the secret, unscrubbed: the runner reads it.
            self.raw(&format!("::add-mask::{}", escape_data(secret)));
        }
    }

    /// `::debug::message`, only when debugging; locally `debug: message` with `--verbose`.
    pub fn debug(&self, msg: &str) {
        if !self.debug {
            return;
        }
        if self.cli {
            self.write(&format!("debug: {msg}"));
        } else {
            self.write(&format!("::debug::{}", escape_data(msg)));
        }
    }

    /// The legacy stdout form of an output, when there is no `GITHUB_OUTPUT` file. Not
    /// scrubbed: an output's value is the contract (`push-results` is scrubbed before it gets
    /// here), and the runner masks the line.
    pub fn set_output_command(&self, name: &str, value: &str) {
        self.raw("");
        self.raw(&format!(
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

    #[test]
    fn secrets_are_scrubbed_longest_first_and_never_debug_printed() {
        let s = Secrets::default();
        assert!(s.add("pass"));
        assert!(s.add("password-1"));
        assert!(!s.add("pass"));
        assert!(!s.add(""));
        assert_eq!(
            s.scrub("bad password-1 or pass, pass"),
            "bad *** or ***, ***"
        );
        assert_eq!(format!("{s:?}"), "Secrets(<2 redacted>)");
        // Scrubbed-only secrets are still announced once when they are masked.
        assert!(s.announce("pass"));
        assert!(!s.announce("pass"));
        let log = Log::local(false, false);
        log.add_mask("hunter2");
        assert!(!format!("{log:?}").contains("hunter2"));
        assert_eq!(log.secrets.scrub("x hunter2"), "x ***");
    }
}
