//! Golden cases: docker/metadata-action's own test tables as data (`fixtures/golden/*.json`,
//! written by `scripts/gen-golden.py` from the upstream `__tests__`, plus hoist's own cases in
//! `fixtures/golden/hoist-*.json`), run through the pure core (`meta::compute`,
//! `outputs::values::Outputs`) with the clock injected, and compared exactly. Each case is its
//! own named test (this target has `harness = false` and runs under `libtest-mimic`), so a
//! failure names the case, where it comes from and a diff, and the usual filters work:
//! `cargo nextest run --test golden meta/tag/` or `cargo test --test golden -- --exact meta/tag/tag1`.
//!
//! A case (one JSON object):
//!
//! * `name`, `source`; `kind`: `meta` (default), `inputs` (settings resolution) or
//!   `is_raw_statement`;
//! * `context`: `event_name`, `ref`, `sha` (string, or null for unset), `payload`, and
//!   `commit_date` (ISO; when absent, taken from the payload as metadata-action does, else
//!   `now`, which is what a failed API lookup gives);
//! * `repo`: `name`, `description`, `html_url`, `license` (SPDX id), `default_branch`;
//! * `inputs`: by action.yml name; an array is handed to the engine as is (what the upstream
//!   tests do), a string goes through hoist's input resolution (what the runner does);
//! * `knobs`: `DOCKER_METADATA_*` variables;
//! * `now`: ISO instant;
//! * `expected`: any of `version` ({main, partial, latest}), `tags`, `tag-names`, `labels`,
//!   `annotations` (not level-prefixed), `json`, `bake-file-tags`, `bake-file-labels`,
//!   `bake-file-annotations`, `bake-file` (parsed documents), `outputs` (output name → the exact
//!   value string), or `error: true`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value as Json, json};

use hoist::github::env::RunnerEnv;
use hoist::meta::{self, GitContext, Knobs, MetaInputs, RepoInfo};
use hoist::outputs::values::{self as report, Outputs};
use hoist::settings::{ContextSource, RawInputs, Settings};

use support::{diff_json, diff_lines, diff_text, iso_ms, string_list};

/// One loaded case.
struct Case {
    file: String,
    name: String,
    source: String,
    body: Json,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden")
}

fn load_cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("fixtures/golden exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("read golden file");
        let doc: Json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("fixtures/golden/{file}: not JSON: {e}"));
        let list = match doc {
            Json::Array(items) => items,
            one @ Json::Object(_) => vec![one],
            _ => panic!("fixtures/golden/{file}: expected a case or an array of cases"),
        };
        for body in list {
            let name = body["name"]
                .as_str()
                .unwrap_or_else(|| panic!("fixtures/golden/{file}: a case without a name"))
                .to_owned();
            let source = body["source"].as_str().unwrap_or_default().to_owned();
            cases.push(Case {
                file: file.clone(),
                name,
                source,
                body,
            });
        }
    }
    cases
}

fn main() {
    let args = Arguments::from_args();
    let cases = load_cases();
    let mut trials = vec![Trial::test("fixtures/names", {
        let names: Vec<(String, String)> = cases
            .iter()
            .map(|c| (c.name.clone(), c.file.clone()))
            .collect();
        move || check_names(&names)
    })];
    trials.extend(cases.into_iter().map(|case| {
        Trial::test(case.name.clone(), move || {
            let problems = run_case(&case);
            if problems.is_empty() {
                return Ok(());
            }
            let mut report = format!("{}  [{}: {}]\n", case.name, case.file, case.source);
            for p in &problems {
                for line in p.lines() {
                    let _ = writeln!(report, "  {line}");
                }
            }
            Err(Failed::from(report))
        })
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// The cases exist and their names are unique (a name is the test's name, the filter's handle).
fn check_names(names: &[(String, String)]) -> Result<(), Failed> {
    if names.is_empty() {
        return Err("no golden cases in fixtures/golden".into());
    }
    let mut seen = BTreeMap::new();
    for (name, file) in names {
        if let Some(other) = seen.insert(name, file) {
            return Err(
                format!("duplicate golden case name `{name}` (in {other} and {file})").into(),
            );
        }
    }
    Ok(())
}

fn run_case(case: &Case) -> Vec<String> {
    match case.body["kind"].as_str().unwrap_or("meta") {
        "meta" => run_meta(&case.body),
        "inputs" => run_inputs(&case.body),
        "is_raw_statement" => {
            let pattern = case.body["pattern"].as_str().expect("pattern");
            let expected = case.body["expected"].as_bool().expect("expected bool");
            let actual = meta::expr::is_raw_statement(pattern);
            if actual == expected {
                vec![]
            } else {
                vec![format!(
                    "is_raw_statement({pattern:?}): expected {expected}, got {actual}"
                )]
            }
        }
        other => vec![format!("unknown case kind `{other}`")],
    }
}

fn opt_str(v: &Json) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// The upstream `Inputs` from raw `with:` strings, through hoist's settings resolution.
fn raw_inputs(map: &serde_json::Map<String, Json>) -> RawInputs {
    let get = |name: &str| map.get(name).and_then(Json::as_str).map(str::to_owned);
    RawInputs {
        context: get("context"),
        images: get("images"),
        tags: get("tags"),
        flavor: get("flavor"),
        labels: get("labels"),
        annotations: get("annotations"),
        sep_tags: get("sep-tags"),
        sep_labels: get("sep-labels"),
        sep_annotations: get("sep-annotations"),
        bake_target: get("bake-target"),
        github_token: get("github-token"),
        ..RawInputs::default()
    }
}

fn meta_inputs(inputs: &Json) -> Result<MetaInputs, String> {
    let empty = serde_json::Map::new();
    let map = inputs.as_object().unwrap_or(&empty);
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "images"
                | "tags"
                | "flavor"
                | "labels"
                | "annotations"
                | "sep-tags"
                | "sep-labels"
                | "sep-annotations"
                | "bake-target"
        ) {
            return Err(format!("unknown input `{key}` in the case"));
        }
    }
    let mut resolved = Settings::resolve(&raw_inputs(map))
        .map_err(|e| format!("input resolution failed: {e}"))?
        .meta;
    let arrays = [
        ("images", &mut resolved.images),
        ("tags", &mut resolved.tags),
        ("flavor", &mut resolved.flavor),
        ("labels", &mut resolved.labels),
        ("annotations", &mut resolved.annotations),
    ];
    for (name, slot) in arrays {
        if let Some(v) = map.get(name).filter(|v| v.is_array()) {
            *slot = string_list(v).ok_or_else(|| format!("input `{name}`: not strings"))?;
        }
    }
    Ok(resolved)
}

fn knob<'a>(case: &'a Json, name: &str) -> Option<&'a str> {
    case["knobs"].get(name).and_then(Json::as_str)
}

/// `Knobs` from the `DOCKER_METADATA_*` variables, through the constructor app.rs uses.
fn knobs(case: &Json) -> Knobs {
    Knobs::from_env(
        knob(case, "DOCKER_METADATA_SHORT_SHA_LENGTH"),
        knob(case, "DOCKER_METADATA_ANNOTATIONS_LEVELS"),
    )
}

fn git_context(case: &Json, now: f64) -> GitContext {
    let ctx = &case["context"];
    let env = RunnerEnv {
        event_name: opt_str(&ctx["event_name"]),
        git_ref: opt_str(&ctx["ref"]),
        sha: opt_str(&ctx["sha"]),
        pr_head_sha: knob(case, "DOCKER_METADATA_PR_HEAD_SHA").map(str::to_owned),
        ..RunnerEnv::default()
    };
    let payload = match &ctx["payload"] {
        Json::Null => json!({}),
        p => p.clone(),
    };
    let mut context = hoist::github::context::from_workflow(&env, payload);
    context.commit_date_ms = match ctx["commit_date"].as_str() {
        Some(iso) => iso_ms(iso),
        None => hoist::github::context::commit_date_from_payload(
            &context.payload,
            context.sha.as_deref(),
        )
        .unwrap_or(now),
    };
    context
}

fn repo_info(case: &Json) -> RepoInfo {
    let r = &case["repo"];
    RepoInfo {
        name: opt_str(&r["name"]),
        description: opt_str(&r["description"]),
        html_url: opt_str(&r["html_url"]),
        license: opt_str(&r["license"]),
        default_branch: opt_str(&r["default_branch"]),
    }
}

fn compare_list(problems: &mut Vec<String>, what: &str, expected: &Json, actual: &[String]) {
    let Some(expected) = string_list(expected) else {
        problems.push(format!("expected.{what} is not a list of strings"));
        return;
    };
    if expected != actual {
        problems.push(format!(
            "{what} (- expected, + actual):\n{}",
            diff_lines(&expected, actual)
        ));
    }
}

fn compare_json(problems: &mut Vec<String>, what: &str, expected: &Json, actual: &Json) {
    if expected != actual {
        problems.push(format!(
            "{what} (- expected, + actual):\n{}",
            diff_json(expected, actual)
        ));
    }
}

fn parse_doc(what: &str, text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| json!(format!("<{what} is not JSON: {e}>")))
}

fn run_meta(case: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let now = iso_ms(case["now"].as_str().expect("`now` is an ISO instant"));
    let inputs = match meta_inputs(&case["inputs"]) {
        Ok(i) => i,
        Err(e) => return vec![e],
    };
    let knobs = knobs(case);
    let context = git_context(case, now);
    let repo = repo_info(case);
    let expected = case["expected"]
        .as_object()
        .expect("`expected` is an object");
    let want_error = expected.get("error").and_then(Json::as_bool) == Some(true);

    let meta = match meta::Rules::parse(&inputs)
        .and_then(|rules| meta::compute(&rules, &context, &repo, &knobs, now))
    {
        Ok(m) => m,
        Err(e) if want_error => {
            let _ = e;
            return problems;
        }
        Err(e) => return vec![format!("compute failed: {e}")],
    };
    let out = Outputs::new(&meta, &knobs.annotation_levels, &inputs.bake_target);
    if want_error {
        if out.labels().is_err() || out.annotations().is_err() {
            return problems;
        }
        return vec![format!(
            "expected an error, got success: version {:?}, tags {:?}",
            meta.version.main, meta.tags
        )];
    }
    let labels = out.labels().map_err(|e| format!("labels failed: {e}"));
    let annotations = out
        .annotations()
        .map_err(|e| format!("annotations failed: {e}"));

    for (key, want) in expected {
        match key.as_str() {
            "version" => {
                let actual = json!({
                    "main": meta.version.main,
                    "partial": meta.version.partial,
                    "latest": meta.version.latest,
                });
                compare_json(&mut problems, "version", want, &actual);
            }
            "tags" => compare_list(&mut problems, "tags", want, &meta.tags),
            "tag-names" => compare_list(&mut problems, "tag-names", want, &meta.tag_names),
            "labels" => match &labels {
                Ok(l) => compare_list(&mut problems, "labels", want, l),
                Err(e) => problems.push(e.clone()),
            },
            "annotations" => match &annotations {
                Ok(a) => compare_list(&mut problems, "annotations", want, a),
                Err(e) => problems.push(e.clone()),
            },
            "json" => compare_json(&mut problems, "json", want, &out.json()),
            "bake-file-tags" => {
                let doc = parse_doc(key, &out.bake_tags());
                compare_json(&mut problems, key, want, &doc);
            }
            "bake-file-labels" => {
                let doc = parse_doc(key, &out.bake_labels());
                compare_json(&mut problems, key, want, &doc);
            }
            "bake-file-annotations" => {
                let doc = parse_doc(key, &out.bake_annotations());
                compare_json(&mut problems, key, want, &doc);
            }
            "bake-file" => {
                let doc = parse_doc(key, &out.bake_all());
                compare_json(&mut problems, key, want, &doc);
            }
            "outputs" => {
                for (name, value) in want.as_object().expect("`outputs` is an object") {
                    let want = value.as_str().expect("output values are strings");
                    let actual = match name.as_str() {
                        "version" => Ok(out.version().to_owned()),
                        "tags" => Ok(meta.tags.join(&inputs.sep_tags)),
                        "tag-names" => Ok(meta.tag_names.join(&inputs.sep_tags)),
                        "labels" => labels.clone().map(|l| l.join(&inputs.sep_labels)),
                        "annotations" => annotations.clone().map(|a| {
                            report::level_prefixed(a, &knobs.annotation_levels)
                                .join(&inputs.sep_annotations)
                        }),
                        "json" => Ok(out.json().to_string()),
                        other => Err(format!("no output `{other}` in golden cases")),
                    };
                    match actual {
                        Ok(actual) if name == "json" => compare_json(
                            &mut problems,
                            "output json",
                            &parse_doc("expected json", want),
                            &parse_doc("json", &actual),
                        ),
                        Ok(actual) if actual != want => problems.push(format!(
                            "output `{name}` (- expected, + actual):\n{}",
                            diff_text(want, &actual)
                        )),
                        Ok(_) => {}
                        Err(e) => problems.push(e),
                    }
                }
            }
            other => problems.push(format!("unknown expected key `{other}`")),
        }
    }
    problems
}

fn run_inputs(case: &Json) -> Vec<String> {
    let raw = raw_inputs(case["raw"].as_object().expect("`raw` is an object"));
    let settings = match Settings::resolve(&raw) {
        Ok(s) => s,
        Err(e) => return vec![format!("resolve failed: {e}")],
    };
    let m = &settings.meta;
    let actual = json!({
        "context": match settings.context {
            ContextSource::Workflow => "workflow",
            ContextSource::Git => "git",
        },
        "images": m.images,
        "tags": m.tags,
        "flavor": m.flavor,
        "labels": m.labels,
        "annotations": m.annotations,
        "sep-tags": m.sep_tags,
        "sep-labels": m.sep_labels,
        "sep-annotations": m.sep_annotations,
        "bake-target": m.bake_target,
        "github-token": settings.github_token,
    });
    let mut problems = Vec::new();
    compare_json(&mut problems, "resolved inputs", &case["expected"], &actual);
    problems
}
