//! Paths as later steps on the runner's host see them. A container action runs with the runner's
//! directories mounted under `/github/...`; the runner rewrites env values that hold host paths
//! into container paths (`ContainerInfo.TranslateToContainerPath`) but never rewrites output
//! values back. Owns that mapping for the files hoist leaves for later steps (bake files), and
//! giving them the owner of the directory they are in. Must not read the environment itself.

use std::path::{Path, PathBuf};

/// Where `RUNNER_TEMP` is mounted in container actions (actions/runner v2.329 and later).
const CONTAINER_RUNNER_TEMP: &str = "/github/runner_temp";
/// Where `$RUNNER_TEMP/_github_home` is mounted in container actions (every runner version).
const CONTAINER_HOME: &str = "/github/home";

/// A directory for files that later steps read: where to write, and the name to output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedDir {
    /// The directory as this process sees it.
    pub local: PathBuf,
    /// The same directory as later steps on the host see it; `None` when it cannot be known.
    pub host: Option<PathBuf>,
}

/// The base directory for metadata-action's bake files (`RUNNER_TEMP`, else `fallback`, the
/// system temp directory), and its host path.
///
/// * Not in a container action: `RUNNER_TEMP` as it is.
/// * Runner v2.329+: `RUNNER_TEMP` is `/github/runner_temp`. The host's is `_work/_temp`, the
///   sibling of `RUNNER_WORKSPACE` (`_work/<repo>`, not mounted, so never rewritten).
/// * Older runners: `RUNNER_TEMP` holds the host path, which is not mounted (actions/runner#1984);
///   its `_github_home` is, at `HOME` = `/github/home`. Write there.
///
/// `is_dir` says whether a path is a directory here.
pub fn bake_base(
    runner_temp: Option<&Path>,
    runner_workspace: Option<&Path>,
    home: Option<&Path>,
    fallback: &Path,
    is_dir: impl Fn(&Path) -> bool,
) -> SharedDir {
    let same = |p: &Path| SharedDir {
        local: p.to_path_buf(),
        host: Some(p.to_path_buf()),
    };
    let Some(temp) = runner_temp else {
        return same(fallback);
    };
    if let Ok(rest) = temp.strip_prefix(CONTAINER_RUNNER_TEMP) {
        let host_temp = runner_workspace
            .filter(|w| w.is_absolute() && !w.starts_with("/github"))
            .and_then(Path::parent)
            .map(|work| work.join("_temp").join(rest));
        return SharedDir {
            local: temp.to_path_buf(),
            host: host_temp,
        };
    }
    let home_mount = Path::new(CONTAINER_HOME);
    if home == Some(home_mount) && temp.is_absolute() && !is_dir(temp) && is_dir(home_mount) {
        return SharedDir {
            local: home_mount.to_path_buf(),
            host: Some(temp.join("_github_home")),
        };
    }
    same(temp)
}

/// Gives `path` the owner and group of `like` (the runner's user owns its mounts; hoist runs as
/// root in the container, and the runner cleans `_temp` up as its user after the job). Not being
/// allowed to (not root) is fine: then the files are ours already.
pub fn chown_like(like: &Path, path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let want = std::fs::metadata(like)?;
    let have = std::fs::symlink_metadata(path)?;
    if (have.uid(), have.gid()) == (want.uid(), want.gid()) {
        return Ok(());
    }
    match std::os::unix::fs::chown(path, Some(want.uid()), Some(want.gid())) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn outside_a_container_runner_temp_is_used_as_it_is() {
        let d = bake_base(
            Some(&p("/home/runner/work/_temp")),
            Some(&p("/home/runner/work/n")),
            Some(&p("/home/runner")),
            &p("/tmp"),
            |_| true,
        );
        assert_eq!(d.local, p("/home/runner/work/_temp"));
        assert_eq!(d.host, Some(p("/home/runner/work/_temp")));
    }

    #[test]
    fn no_runner_temp_is_the_system_temp_dir() {
        let d = bake_base(None, None, None, &p("/tmp"), |_| true);
        assert_eq!(d.local, p("/tmp"));
        assert_eq!(d.host, Some(p("/tmp")));
    }

    #[test]
    fn mounted_runner_temp_maps_to_the_work_dirs_temp() {
        let d = bake_base(
            Some(&p("/github/runner_temp")),
            Some(&p("/home/runner/work/n")),
            Some(&p("/github/home")),
            &p("/tmp"),
            |_| true,
        );
        assert_eq!(d.local, p("/github/runner_temp"));
        assert_eq!(d.host, Some(p("/home/runner/work/_temp")));
    }

    #[test]
    fn mounted_runner_temp_without_runner_workspace_has_no_host_path() {
        let d = bake_base(
            Some(&p("/github/runner_temp")),
            None,
            Some(&p("/github/home")),
            &p("/tmp"),
            |_| true,
        );
        assert_eq!(d.host, None);
    }

    #[test]
    fn unmounted_runner_temp_writes_in_the_home_mount() {
        let d = bake_base(
            Some(&p("/home/runner/work/_temp")),
            Some(&p("/home/runner/work/n")),
            Some(&p("/github/home")),
            &p("/tmp"),
            |d| d == Path::new("/github/home"),
        );
        assert_eq!(d.local, p("/github/home"));
        assert_eq!(d.host, Some(p("/home/runner/work/_temp/_github_home")));
    }
}
