//! Fuzzes the `tags`/`flavor`/`images` grammars and the whole computation over them: any input
//! must give `Ok` or a clean error, never a panic.
#![no_main]

use hoist::meta::{self, GitContext, Knobs, MetaInputs, RepoInfo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\u{0}');
    let list = |s: Option<&str>| {
        hoist::js::csv::input_list(s.unwrap_or_default()).unwrap_or_default()
    };
    let inputs = MetaInputs {
        tags: list(parts.next()),
        flavor: list(parts.next()),
        images: list(parts.next()),
        sep_tags: "\n".into(),
        sep_labels: "\n".into(),
        sep_annotations: "\n".into(),
        bake_target: "t".into(),
        ..MetaInputs::default()
    };
    let context = GitContext {
        event_name: Some("push".into()),
        git_ref: Some("refs/tags/v1.2.3-rc.1".into()),
        sha: Some("860c1904a1ce19322e91ac35af1ab07466440c37".into()),
        payload: serde_json::json!({}),
        commit_date_ms: 1_578_616_200_000.0,
    };
    let Ok(rules) = meta::Rules::parse(&inputs) else {
        return;
    };
    let _ = meta::compute(
        &rules,
        &context,
        &RepoInfo::default(),
        &Knobs::default(),
        1_578_616_200_000.0,
    );
});
