//! Spool directories: hoist's scratch space in `RUNNER_TEMP` (`hoist-pull-*` for a `docker://`
//! pull, `hoist-spool-*` for a docker archive's compressed layers). Owns their life cycle on
//! every exit path hoist controls: removed on drop (errors included), by [`remove_all`] on
//! SIGTERM/SIGINT ([`watch_signals`]), and, after a run that was killed outright, by the next
//! run's [`sweep_stale`].
//!
//! Liveness is an advisory lock, not a PID (a container action is PID 1 in every run, and PIDs
//! do not cross PID namespaces sharing one `RUNNER_TEMP`): each spool holds `.hoist-lock` locked
//! for the life of its process; the kernel drops the lock when the process dies, however it
//! dies. A sweep deletes only directories with hoist's own prefixes whose lock it can take, and
//! creation and sweeping are serialised by a lock on `.hoist-spools.lock` in the same directory,
//! so a spool being created is never mistaken for a stale one. Must never delete anything else.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{SourceError, io_error};

/// The prefix of a `docker://` pull spool.
pub const PULL_PREFIX: &str = "hoist-pull-";
/// The prefix of a docker archive's spool.
pub const SPOOL_PREFIX: &str = "hoist-spool-";
/// The prefix of a `docker-daemon:` export spool (swept like the others once it is made by
/// [`create`]).
pub const DAEMON_PREFIX: &str = "hoist-daemon-";
/// The lock file inside each spool, held while its process lives.
const LOCK_NAME: &str = ".hoist-lock";
/// The lock file beside the spools that serialises creation and sweeping.
const GUARD_NAME: &str = ".hoist-spools.lock";

/// The spools of this process, each with its held lock file.
static LIVE: Mutex<Vec<(PathBuf, File)>> = Mutex::new(Vec::new());
/// Set once the process is stopping: no new spool is made after [`remove_all`].
static CLOSING: AtomicBool = AtomicBool::new(false);

fn live() -> std::sync::MutexGuard<'static, Vec<(PathBuf, File)>> {
    // A panic while holding the lock leaves plain data behind: still usable.
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes the creation/sweep guard of `base` (blocking; held only while creating or sweeping).
fn guard(base: &Path) -> Result<File, SourceError> {
    let path = base.join(GUARD_NAME);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error(&path, e))?;
    file.lock().map_err(|e| io_error(&path, e))?;
    Ok(file)
}

/// Makes a spool directory `<base>/<prefix>XXXXXX`, locked for the life of this process and
/// registered for removal on a signal; the returned guard removes it on drop.
pub fn create(base: &Path, prefix: &str) -> Result<tempfile::TempDir, SourceError> {
    std::fs::create_dir_all(base).map_err(|e| io_error(base, e))?;
    let guard = guard(base)?;
    if CLOSING.load(Ordering::SeqCst) {
        return Err(SourceError::Layout("hoist is stopping".into()));
    }
    sweep_locked(base);
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(base)
        .map_err(|e| io_error(base, e))?;
    let lock_path = dir.path().join(LOCK_NAME);
    let lock = File::create(&lock_path).map_err(|e| io_error(&lock_path, e))?;
    lock.try_lock().map_err(|e| {
        io_error(
            &lock_path,
            std::io::Error::other(format!("cannot lock a fresh spool: {e}")),
        )
    })?;
    let mut live = live();
    // Forget spools already removed by their guards (and close their lock files).
    live.retain(|(p, _)| p.exists());
    live.push((dir.path().to_path_buf(), lock));
    drop(live);
    drop(guard);
    Ok(dir)
}

/// Removes the spools a killed hoist left in `base` (best effort; a missing `base` is
/// nothing to sweep). Returns how many were removed.
pub fn sweep_stale(base: &Path) -> usize {
    if !base.is_dir() {
        return 0;
    }
    match guard(base) {
        Ok(g) => {
            let n = sweep_locked(base);
            drop(g);
            n
        }
        Err(_) => 0,
    }
}

/// The sweep, with the guard held.
fn sweep_locked(base: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(base) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if ![PULL_PREFIX, SPOOL_PREFIX, DAEMON_PREFIX]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        // A real directory only: never follow a symlink out of `base`.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        if is_stale(&dir) && std::fs::remove_dir_all(&dir).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a spool's owner is gone: its lock file exists and nobody holds it. A spool without
/// a lock file (an older hoist, or not hoist's) is left alone.
fn is_stale(dir: &Path) -> bool {
    let lock_path = dir.join(LOCK_NAME);
    if !std::fs::symlink_metadata(&lock_path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    if live().iter().any(|(p, _)| p == dir) {
        return false;
    }
    let Ok(lock) = File::open(&lock_path) else {
        return false;
    };
    // Taken: the owner is dead (the lock is released when this handle drops, after removal).
    lock.try_lock().is_ok()
}

/// Removes every spool of this process (the signal path: drop guards do not run on `exit`), and
/// refuses new ones from then on.
pub fn remove_all() {
    CLOSING.store(true, Ordering::SeqCst);
    let spools = std::mem::take(&mut *live());
    for (dir, lock) in spools {
        // Another thread may still be writing into it: a few tries.
        for _ in 0..5 {
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {}
                _ => break,
            }
        }
        drop(lock);
    }
}

/// Watches SIGTERM and SIGINT on a thread of its own (the main thread may be busy compressing a
/// layer): on either, removes this process's spools and exits 143 or 130, as a shell reports
/// those signals.
pub fn watch_signals() {
    let spawned = std::thread::Builder::new()
        .name("hoist-signals".into())
        .spawn(|| {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut term), Ok(mut int)) = (
                    signal(SignalKind::terminate()),
                    signal(SignalKind::interrupt()),
                ) else {
                    return;
                };
                let (code, name) = tokio::select! {
                    _ = term.recv() => (143, "SIGTERM"),
                    _ = int.recv() => (130, "SIGINT"),
                };
                remove_all();
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("hoist: stopped by {name}; temporary files removed");
                }
                std::process::exit(code);
            });
        });
    // Without the watcher a signal keeps its default action; the next run sweeps the spool.
    drop(spawned);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_of_a_dead_owner_is_swept_and_a_live_one_kept() {
        let base = tempfile::tempdir().expect("tempdir");
        let live_spool = create(base.path(), PULL_PREFIX).expect("spool");
        // A dead owner's spool: a lock file nobody holds.
        let dead = base.path().join(format!("{SPOOL_PREFIX}dead"));
        std::fs::create_dir(&dead).expect("mkdir");
        std::fs::write(dead.join(LOCK_NAME), b"").expect("lock file");
        std::fs::write(dead.join("layer"), vec![0_u8; 4096]).expect("layer");
        // Not hoist's, or not provably dead: kept.
        let foreign = base.path().join("other-dir");
        std::fs::create_dir(&foreign).expect("mkdir");
        let unlocked = base.path().join(format!("{PULL_PREFIX}nolock"));
        std::fs::create_dir(&unlocked).expect("mkdir");
        // Held by another open file description (as another process would hold it).
        let held = base.path().join(format!("{PULL_PREFIX}held"));
        std::fs::create_dir(&held).expect("mkdir");
        let holder = File::create(held.join(LOCK_NAME)).expect("lock file");
        holder.lock().expect("lock");

        assert_eq!(sweep_stale(base.path()), 1);
        assert!(!dead.exists(), "the dead owner's spool is removed");
        assert!(live_spool.path().exists(), "this process's spool is kept");
        assert!(foreign.exists() && unlocked.exists() && held.exists());
        drop(holder);
        assert_eq!(sweep_stale(base.path()), 1, "released: now stale");
        assert!(!held.exists());
    }
}
