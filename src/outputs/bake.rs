//! The bake directory (metadata-action's `docker-actions-toolkit-XXXXXX` in `RUNNER_TEMP`) and
//! the four bake files written there, with their `bake-file*` outputs.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::github::paths;

use super::{Outputs, Sink, group};

/// Where hoist writes the bake files, and the path later steps on the host see.
struct BakeDir {
    local: PathBuf,
    host: PathBuf,
}

/// Creates the bake directory; in a container action, in a mounted directory, owned like it.
fn bake_dir(env: &RunnerEnv, log: &Log) -> Result<BakeDir> {
    let base = paths::bake_base(
        env.runner_temp.as_deref(),
        env.runner_workspace.as_deref(),
        env.home.as_deref(),
        &std::env::temp_dir(),
        Path::is_dir,
    );
    std::fs::create_dir_all(&base.local)
        .with_context(|| format!("cannot create {}", base.local.display()))?;
    for _ in 0..16 {
        let suffix: String = format!("{:016x}", crate::github::commands::rand_u64())
            .chars()
            .take(6)
            .collect();
        let name = format!("docker-actions-toolkit-{suffix}");
        let local = base.local.join(&name);
        match std::fs::create_dir(&local) {
            Ok(()) => {
                paths::chown_like(&base.local, &local)
                    .with_context(|| format!("cannot chown {}", local.display()))?;
                let host = if let Some(h) = &base.host {
                    h.join(&name)
                } else {
                    log.warning(&format!(
                        "bake files are in {}, which later steps may not see: RUNNER_WORKSPACE is not set",
                        local.display()
                    ));
                    local.clone()
                };
                return Ok(BakeDir { local, host });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", local.display())),
        }
    }
    bail!("cannot create a bake directory in {}", base.local.display())
}

/// Writes one bake file; returns its path as later steps see it.
fn write_bake(dir: &BakeDir, name: &str, text: &str) -> Result<String> {
    let path = dir.local.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    paths::chown_like(&dir.local, &path)
        .with_context(|| format!("cannot chown {}", path.display()))?;
    Ok(dir.host.join(name).display().to_string())
}

/// Creates the bake directory, writes the tags, labels, annotations and combined bake files,
/// logs each of the first three and sets the `bake-file-*` and `bake-file` outputs.
pub fn write(env: &RunnerEnv, log: &Log, sink: &mut Sink, out: &Outputs<'_>) -> Result<()> {
    let dir = bake_dir(env, log)?;
    for (kind, name, text) in [
        (
            "tags",
            "docker-metadata-action-bake-tags.json",
            out.bake_tags(),
        ),
        (
            "labels",
            "docker-metadata-action-bake-labels.json",
            out.bake_labels(),
        ),
        (
            "annotations",
            "docker-metadata-action-bake-annotations.json",
            out.bake_annotations(),
        ),
    ] {
        let path = write_bake(&dir, name, &text)?;
        group(log, &format!("Bake file definition ({kind})"), [text]);
        sink.set(log, &format!("bake-file-{kind}"), &path)?;
    }
    let path = write_bake(&dir, "docker-metadata-action-bake.json", &out.bake_all())?;
    sink.set(log, "bake-file", &path)
}
