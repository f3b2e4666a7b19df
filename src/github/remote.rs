//! The local checkout's GitHub repository, for a local run with `context: git` and no
//! `GITHUB_REPOSITORY`: whether a repository is here, and `owner/name` from its `origin` remote
//! when that is a GitHub URL (`https://github.com/o/n(.git)`, `git@github.com:o/n.git`,
//! `ssh://git@github.com/o/n`). Reads only the repository's own config (gix, isolated).

use std::path::Path;

fn open(dir: &Path) -> Option<gix::Repository> {
    gix::discover_opts(
        dir,
        gix::discover::upwards::Options::default(),
        gix::open::Options::isolated(),
    )
    .ok()
}

/// Whether `dir` is inside a git repository.
pub fn is_repository(dir: &Path) -> bool {
    open(dir).is_some()
}

/// `owner/name` of the `origin` remote of the repository at `dir`, when it is on github.com.
pub fn origin_repo(dir: &Path) -> Option<(String, String)> {
    let repo = open(dir)?;
    let url = repo.config_snapshot().string("remote.origin.url")?;
    github_repo_from_url(&String::from_utf8_lossy(url.as_ref()))
}

/// `owner/name` from a GitHub remote URL; `None` for any other host or shape.
pub fn github_repo_from_url(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let path = if let Some(rest) = url.strip_prefix("git@github.com:") {
        rest
    } else {
        let rest = ["https://", "http://", "ssh://", "git://", "git+ssh://"]
            .iter()
            .find_map(|scheme| url.strip_prefix(scheme))?;
        let (authority, path) = rest.split_once('/')?;
        // `user[:password]@host[:port]`: the host alone decides.
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host.split(':').next().unwrap_or(host);
        if !host.eq_ignore_ascii_case("github.com") && !host.eq_ignore_ascii_case("www.github.com")
        {
            return None;
        }
        path
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.split_once('/')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    (valid(owner) && valid(name) && name != "." && name != "..")
        .then(|| (owner.to_owned(), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_urls_of_every_shape_give_owner_and_name() {
        let want = Some(("o".to_owned(), "n".to_owned()));
        for url in [
            "https://github.com/o/n",
            "https://github.com/o/n.git",
            "https://github.com/o/n/",
            "https://user:tok@github.com/o/n.git",
            "git@github.com:o/n.git",
            "git@github.com:o/n",
            "ssh://git@github.com/o/n",
            "ssh://git@github.com:22/o/n.git",
        ] {
            assert_eq!(github_repo_from_url(url), want, "{url}");
        }
    }

    #[test]
    fn other_hosts_and_shapes_give_nothing() {
        for url in [
            "https://gitlab.com/o/n.git",
            "git@gitlab.com:o/n.git",
            "https://github.com.evil.example/o/n",
            "https://github.com/o",
            "https://github.com/o/n/extra",
            "/srv/git/n.git",
            "",
        ] {
            assert_eq!(github_repo_from_url(url), None, "{url}");
        }
    }

    #[test]
    fn origin_is_read_from_the_repository_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".git/objects")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join(".git/refs/heads")).expect("mkdir");
        std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").expect("HEAD");
        std::fs::write(
            dir.path().join(".git/config"),
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:octo/app.git\n",
        )
        .expect("config");
        assert!(is_repository(dir.path()));
        assert_eq!(
            origin_repo(dir.path()),
            Some(("octo".to_owned(), "app".to_owned()))
        );
    }
}
