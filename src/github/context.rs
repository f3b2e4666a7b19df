//! The workflow context metadata-action computes (`@actions/github`'s `Context` plus its own
//! rewrites in `context.ts`): from [`RunnerEnv`] and the event payload's bytes to a
//! [`GitContext`]. Commit dates come from the payload when it has them; otherwise the caller asks
//! the API (see [`commit_date_from_payload`]). Reads no files and no network itself.

use serde_json::Value as Json;

use super::env::RunnerEnv;
use crate::meta::GitContext;

/// A payload that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("GITHUB_EVENT_PATH {path}: the event payload is not valid JSON: {source}")]
pub struct PayloadError {
    /// The file.
    pub path: String,
    /// Why.
    pub source: serde_json::Error,
}

/// Parses the event payload (`{}` when there is none).
pub fn parse_payload(path: &str, bytes: Option<&[u8]>) -> Result<Json, PayloadError> {
    match bytes {
        None => Ok(Json::Object(serde_json::Map::new())),
        Some(b) => serde_json::from_slice(b).map_err(|source| PayloadError {
            path: path.to_owned(),
            source,
        }),
    }
}

/// JS template-literal rendering of a payload value (`${payload.number}`).
fn js_display(v: Option<&Json>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(Json::Null) => "null".to_owned(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n
            .as_f64()
            .map_or_else(|| n.to_string(), crate::js::jsnum::js_number_to_string),
        Some(Json::Bool(b)) => b.to_string(),
        Some(Json::Array(_)) => String::new(),
        Some(Json::Object(_)) => "[object Object]".to_owned(),
    }
}

/// `context: workflow`: the runner's context with metadata-action's rewrites, commit date NaN
/// (filled in by the caller).
pub fn from_workflow(env: &RunnerEnv, payload: Json) -> GitContext {
    let event_name = env.event_name.clone();
    let mut git_ref = env.git_ref.clone();
    let mut sha = env.sha.clone();
    let event = event_name.as_deref().unwrap_or("undefined");
    // pull_request_target runs on the base branch: metadata-action points it at the PR ref.
    if event.contains("pull_request_target") {
        git_ref = Some(format!(
            "refs/pull/{}/merge",
            js_display(payload.get("number"))
        ));
    }
    // `/true/i.test(DOCKER_METADATA_PR_HEAD_SHA)`: a case-insensitive substring test.
    let head_sha_wanted = env
        .pr_head_sha
        .as_deref()
        .is_some_and(|v| v.to_ascii_lowercase().contains("true"));
    if head_sha_wanted
        && event.contains("pull_request")
        && let Some(head) = payload
            .get("pull_request")
            .and_then(|p| p.get("head"))
            .and_then(|h| h.get("sha"))
            .filter(|s| !s.is_null())
    {
        sha = Some(js_display(Some(head)));
    }
    GitContext {
        event_name,
        git_ref,
        sha,
        payload,
        commit_date_ms: f64::NAN,
    }
}

/// A date value from the payload as `new Date(v)` sees it.
fn js_date(v: Option<&Json>) -> f64 {
    match v {
        Some(Json::String(s)) => crate::js::moment::parse_js_date(s),
        Some(Json::Number(n)) => n.as_f64().map_or(f64::NAN, |f| {
            if f.abs() <= 8.64e15 {
                f.trunc()
            } else {
                f64::NAN
            }
        }),
        Some(Json::Null) => 0.0,
        _ => f64::NAN,
    }
}

/// `payload.commits[].timestamp` of the entry whose `id` is the sha, else `head_commit.timestamp`
/// when `head_commit.id` is the sha; `None` means "ask the API".
pub fn commit_date_from_payload(payload: &Json, sha: Option<&str>) -> Option<f64> {
    let same = |id: Option<&Json>| match (id, sha) {
        (Some(Json::String(id)), Some(sha)) => id == sha,
        (None, None) => true,
        _ => false,
    };
    if let Some(Json::Array(commits)) = payload.get("commits") {
        let found = commits
            .iter()
            .find(|c| same(c.get("id")))
            .and_then(|c| c.get("timestamp"));
        let truthy = match found {
            Some(Json::String(s)) => !s.is_empty(),
            Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Json::Bool(b)) => *b,
            Some(Json::Array(_) | Json::Object(_)) => true,
            Some(Json::Null) | None => false,
        };
        if truthy {
            return Some(js_date(found));
        }
    }
    if let Some(head) = payload.get("head_commit").filter(|h| is_truthy(h))
        && same(head.get("id"))
    {
        return Some(js_date(head.get("timestamp")));
    }
    None
}

fn is_truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Json::String(s) => !s.is_empty(),
        Json::Array(_) | Json::Object(_) => true,
    }
}

/// `context.repo`: `GITHUB_REPOSITORY` split on `/`, else the payload's repository.
pub fn repo_of(env: &RunnerEnv, payload: &Json) -> Option<(String, String)> {
    if let Some(full) = env.repository.as_deref().filter(|r| !r.is_empty()) {
        let mut parts = full.split('/');
        let owner = parts.next().unwrap_or_default().to_owned();
        let name = parts.next().unwrap_or("undefined").to_owned();
        return Some((owner, name));
    }
    let repo = payload.get("repository")?;
    let owner = js_display(repo.get("owner").and_then(|o| o.get("login")));
    let name = js_display(repo.get("name"));
    Some((owner, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(f: impl FnOnce(&mut RunnerEnv)) -> RunnerEnv {
        let mut e = RunnerEnv::default();
        f(&mut e);
        e
    }

    #[test]
    fn pull_request_target_points_at_the_pr_merge_ref() {
        let e = env(|e| {
            e.event_name = Some("pull_request_target".into());
            e.git_ref = Some("refs/heads/main".into());
        });
        let c = from_workflow(&e, json!({"number": 15}));
        assert_eq!(c.git_ref.as_deref(), Some("refs/pull/15/merge"));
        let c = from_workflow(&e, json!({}));
        assert_eq!(c.git_ref.as_deref(), Some("refs/pull/undefined/merge"));
    }

    #[test]
    fn pr_head_sha_is_a_case_insensitive_substring_test() {
        let payload = json!({"pull_request": {"head": {"sha": "abc"}}});
        for (v, expect) in [
            ("TRUE", "abc"),
            ("untrue", "abc"),
            ("1", "base"),
            ("yes", "base"),
        ] {
            let e = env(|e| {
                e.event_name = Some("pull_request".into());
                e.sha = Some("base".into());
                e.pr_head_sha = Some(v.into());
            });
            assert_eq!(
                from_workflow(&e, payload.clone()).sha.as_deref(),
                Some(expect),
                "{v}"
            );
        }
    }

    #[test]
    fn commit_date_lookup_order() {
        let p = json!({
            "commits": [{"id": "a", "timestamp": "2020-01-01T00:00:00Z"}],
            "head_commit": {"id": "b", "timestamp": "2021-01-01T00:00:00Z"}
        });
        assert!(commit_date_from_payload(&p, Some("a")).is_some());
        assert!(commit_date_from_payload(&p, Some("b")).is_some());
        assert_eq!(commit_date_from_payload(&p, Some("c")), None);
    }

    #[test]
    fn repo_from_env_then_payload() {
        let e = env(|e| e.repository = Some("octo/repo".into()));
        assert_eq!(
            repo_of(&e, &json!({})),
            Some(("octo".into(), "repo".into()))
        );
        let e = RunnerEnv::default();
        let p = json!({"repository": {"name": "r", "owner": {"login": "o"}}});
        assert_eq!(repo_of(&e, &p), Some(("o".into(), "r".into())));
        assert_eq!(repo_of(&e, &json!({})), None);
    }
}
