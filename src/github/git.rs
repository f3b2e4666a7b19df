//! STUB: replaced by the gix-based reader.
use std::path::Path;
pub struct GitRef {
    pub git_ref: String,
    pub sha: String,
    pub commit_date: String,
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GitError(pub String);
pub fn read_git_context(_dir: &Path) -> Result<GitRef, GitError> {
    Err(GitError("not implemented".into()))
}
