//! Fuzzes the handlebars parser and renderer with metadata-action's global expression helpers:
//! any template must render or fail cleanly, never panic or recurse without bound.
#![no_main]

use hoist::meta::{GitContext, Knobs, expr::Scope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let context = GitContext {
        event_name: Some("push".into()),
        git_ref: Some("refs/heads/main".into()),
        sha: Some("860c1904a1ce19322e91ac35af1ab07466440c37".into()),
        payload: serde_json::json!({"repository": {"default_branch": "main"}}),
        commit_date_ms: 1_578_616_200_000.0,
    };
    let knobs = Knobs::default();
    let scope = Scope::new(&context, &knobs, 1_578_616_200_000.0);
    let _ = scope.render(src);
    let _ = scope.render_dates_only(src);
    let _ = hoist::meta::expr::is_raw_statement(src);
});
