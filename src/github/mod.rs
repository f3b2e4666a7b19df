//! Everything that touches the GitHub Actions runner and the GitHub API: the environment
//! (`env`), the workflow context (`context`), the local checkout (`git`), the REST API (`api`), the Packages API for GHCR retention (`packages`),
//! workflow commands on stdout (`commands`), file commands (`files`) and host paths (`paths`).

pub mod api;
pub mod commands;
pub mod context;
pub mod env;
pub mod files;
pub mod git;
pub mod packages;
pub mod paths;
pub mod remote;
