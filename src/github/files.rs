//! File commands: appends to `$GITHUB_OUTPUT`, `$GITHUB_ENV` and `$GITHUB_STEP_SUMMARY` in
//! @actions/core's heredoc form (`name<<ghadelimiter_<random>` … delimiter).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use super::commands::rand_u64;

/// A file command that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FileCommandError {
    /// The value contains the delimiter (cannot happen with a random one, but checked as
    /// @actions/core does).
    #[error("unexpected input: name or value of `{0}` contains the delimiter")]
    Delimiter(String),
    /// The file could not be appended to.
    #[error("cannot append to {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// `name<<delimiter\nvalue\ndelimiter\n`.
pub fn key_value_message(name: &str, value: &str) -> Result<String, FileCommandError> {
    let delimiter = format!("ghadelimiter_{:016x}{:016x}", rand_u64(), rand_u64());
    if name.contains(&delimiter) || value.contains(&delimiter) {
        return Err(FileCommandError::Delimiter(name.to_owned()));
    }
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// Appends text to a file command file.
pub fn append(path: &Path, text: &str) -> Result<(), FileCommandError> {
    let io = |source| FileCommandError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)
}

/// Appends `name=value` in heredoc form.
pub fn append_key_value(path: &Path, name: &str, value: &str) -> Result<(), FileCommandError> {
    append(path, &key_value_message(name, value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_form() {
        let msg = key_value_message("tags", "a\nb").expect("no collision");
        let lines: Vec<&str> = msg.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("tags<<ghadelimiter_"));
        assert_eq!(lines[1], "a");
        assert_eq!(lines[2], "b");
        assert_eq!(lines[3], &lines[0]["tags<<".len()..]);
        assert!(msg.ends_with('\n'));
    }

    #[test]
    fn appends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("out");
        append_key_value(&p, "a", "1").expect("append");
        append_key_value(&p, "b", "").expect("append");
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(text.matches("<<ghadelimiter_").count(), 2);
    }
}
