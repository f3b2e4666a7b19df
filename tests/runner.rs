//! The built binary run exactly as a GitHub runner runs a step (cleared environment, `GITHUB_*`,
//! `INPUT_*`, file-command files, `SOURCE_DATE_EPOCH`), against a local GitHub API stub serving
//! recorded payloads. Every output and every `DOCKER_METADATA_OUTPUT_*` export is compared, bake
//! files are read back, API calls and their token are checked, and failures must be one
//! `::error::` line that quotes the offending input, exit code 1, no panic, no leaked token.

mod support;

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use support::github::{GitHubStub, Recorded};
use support::step::{Step, StepRun, TOKEN};
use support::{diff_json, diff_text};

const SHA: &str = "860c1904a1ce19322e91ac35af1ab07466440c37";
const PR_SHA: &str = "a9c8c5828b91be19d9728548b24759e352367ef1";
const PR_HEAD_SHA: &str = "3370e228f2209994d57af4427fe64e71bb79ac96";
const CREATED: &str = "2020-01-10T00:30:00.000Z";
const REPO_PATH: &str = "GET /repos/octo-org/octo-repo";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_hoist"))
}

fn repo_body() -> Json {
    json!({
        "id": 1_296_269,
        "name": "octo-repo",
        "full_name": "octo-org/octo-repo",
        "owner": {"login": "octo-org"},
        "private": false,
        "description": "A repository for tests",
        "html_url": "https://github.com/octo-org/octo-repo",
        "license": {"key": "apache-2.0", "name": "Apache License 2.0", "spdx_id": "Apache-2.0"},
        "default_branch": "main"
    })
}

/// A stub serving `octo-org/octo-repo` (or a 404 for it) and the given commit dates.
fn stub(repo: Option<Json>, commits: &[(&str, &str)]) -> GitHubStub {
    GitHubStub::start(Recorded {
        owner: "octo-org".to_owned(),
        name: "octo-repo".to_owned(),
        repo,
        commits: commits
            .iter()
            .map(|(r, d)| ((*r).to_owned(), json!(d)))
            .collect(),
    })
}

/// The eight base labels for `octo-org/octo-repo` at `sha` with `version`.
fn base_labels(sha: &str, version: &str) -> Vec<String> {
    vec![
        format!("org.opencontainers.image.created={CREATED}"),
        "org.opencontainers.image.description=A repository for tests".to_owned(),
        "org.opencontainers.image.licenses=Apache-2.0".to_owned(),
        format!("org.opencontainers.image.revision={sha}"),
        "org.opencontainers.image.source=https://github.com/octo-org/octo-repo".to_owned(),
        "org.opencontainers.image.title=octo-repo".to_owned(),
        "org.opencontainers.image.url=https://github.com/octo-org/octo-repo".to_owned(),
        format!("org.opencontainers.image.version={version}"),
    ]
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// What a successful step must have written.
struct Expect {
    version: String,
    images: Vec<String>,
    tags: Vec<String>,
    tag_names: Vec<String>,
    labels: Vec<String>,
    /// Level-prefixed.
    annotations: Vec<String>,
    sep_tags: String,
    bake_target: String,
    export_env: bool,
}

impl Expect {
    fn labels_object(&self) -> Json {
        let mut map = Map::new();
        for l in &self.labels {
            let (k, v) = l.split_once('=').expect("label has `=`");
            map.insert(k.to_owned(), json!(v));
        }
        Json::Object(map)
    }

    fn json(&self) -> Json {
        json!({
            "tags": self.tags,
            "tag-names": self.tag_names,
            "labels": self.labels_object(),
            "annotations": self.annotations,
        })
    }

    fn bake(&self, body: &Json) -> Json {
        json!({ "target": { self.bake_target.clone(): body } })
    }

    fn args(&self) -> Json {
        json!({
            "DOCKER_META_IMAGES": self.images.join(","),
            "DOCKER_META_VERSION": self.version,
        })
    }

    /// Output name → expected bake document.
    fn bake_files(&self) -> Vec<(&'static str, Json)> {
        vec![
            (
                "bake-file-tags",
                self.bake(&json!({"tags": self.tags, "args": self.args()})),
            ),
            (
                "bake-file-labels",
                self.bake(&json!({"labels": self.labels_object()})),
            ),
            (
                "bake-file-annotations",
                self.bake(&json!({"annotations": self.annotations})),
            ),
            (
                "bake-file",
                self.bake(&json!({
                    "tags": self.tags,
                    "labels": self.labels_object(),
                    "args": self.args(),
                })),
            ),
        ]
    }
}

const OUTPUT_ORDER: [&str; 10] = [
    "version",
    "tags",
    "tag-names",
    "labels",
    "annotations",
    "json",
    "bake-file-tags",
    "bake-file-labels",
    "bake-file-annotations",
    "bake-file",
];

/// `DOCKER_METADATA_OUTPUT_<NAME>`.
fn export_name(output: &str) -> String {
    format!(
        "DOCKER_METADATA_OUTPUT_{}",
        output.replace('-', "_").to_uppercase()
    )
}

/// Checks every output (and export) of a successful run.
fn check_success(run: &StepRun, want: &Expect) {
    let t = run.transcript();
    assert_eq!(run.code(), Some(0), "the step failed:\n{t}");
    run.assert_no_panic();
    run.assert_masked(TOKEN);
    assert!(run.error_lines().is_empty(), "error lines:\n{t}");

    let outputs = run.outputs();
    let names: Vec<&str> = outputs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, OUTPUT_ORDER, "output names and order:\n{t}");
    let value = |name: &str| -> &str {
        &outputs
            .iter()
            .find(|(k, _)| k == name)
            .expect("output present")
            .1
    };

    let mut problems = Vec::new();
    let mut text = |name: &str, expected: String| {
        let actual = value(name);
        if actual != expected {
            problems.push(format!(
                "output `{name}` (- expected, + actual):\n{}",
                diff_text(&expected, actual)
            ));
        }
    };
    text("version", want.version.clone());
    text("tags", want.tags.join(&want.sep_tags));
    text("tag-names", want.tag_names.join(&want.sep_tags));
    text("labels", want.labels.join("\n"));
    text("annotations", want.annotations.join("\n"));

    match serde_json::from_str::<Json>(value("json")) {
        Ok(actual) if actual == want.json() => {}
        Ok(actual) => problems.push(format!(
            "output `json` (- expected, + actual):\n{}",
            diff_json(&want.json(), &actual)
        )),
        Err(e) => problems.push(format!("output `json` is not JSON: {e}")),
    }

    for (name, expected) in want.bake_files() {
        let path = Path::new(value(name));
        if !path.starts_with(&run.runner_temp) {
            problems.push(format!(
                "`{name}` = {} is not inside RUNNER_TEMP {}",
                path.display(),
                run.runner_temp.display()
            ));
        }
        match std::fs::read_to_string(path).map(|s| serde_json::from_str::<Json>(&s)) {
            Ok(Ok(actual)) if actual == expected => {}
            Ok(Ok(actual)) => problems.push(format!(
                "`{name}` file (- expected, + actual):\n{}",
                diff_json(&expected, &actual)
            )),
            Ok(Err(e)) => problems.push(format!("`{name}` file is not JSON: {e}")),
            Err(e) => problems.push(format!("`{name}` file {}: {e}", path.display())),
        }
    }

    let exports = run.exports();
    if want.export_env {
        let expected: Vec<(String, String)> = outputs
            .iter()
            .map(|(k, v)| (export_name(k), v.clone()))
            .collect();
        if exports != expected {
            problems.push(format!(
                "$GITHUB_ENV exports differ from the outputs:\n  expected {expected:#?}\n  actual {exports:#?}"
            ));
        }
    } else if !run.env_text.is_empty() {
        problems.push(format!(
            "$GITHUB_ENV must stay empty, got:\n{}",
            run.env_text
        ));
    }
    assert!(problems.is_empty(), "{}\n\n{t}", problems.join("\n"));
}

/// Every request carried the token.
fn check_token_sent(stub: &GitHubStub) {
    for r in stub.requests() {
        let auth = r.header("authorization").unwrap_or_default();
        assert!(
            auth == format!("token {TOKEN}") || auth == format!("Bearer {TOKEN}"),
            "{} was sent without the token (Authorization: {auth:?})",
            r.line()
        );
    }
}

#[test]
fn tag_push_with_semver_rules_tags_every_registry() {
    let api = stub(Some(repo_body()), &[(SHA, "2024-11-13T13:42:28Z")]);
    let step = Step {
        payload: Some(json!({
            "ref": "refs/tags/v1.2.3",
            "base_ref": null,
            "repository": {"default_branch": "main"}
        })),
        ..Step::push("refs/tags/v1.2.3", SHA)
    }
    .input("images", "ghcr.io/octo-org/app\nquay.io/octo/app")
    .input(
        "tags",
        "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}\ntype=sha",
    )
    .input(
        "labels",
        "org.opencontainers.image.vendor=Octo\ncommitted={{commit_date 'YYYY-MM-DD'}}",
    );
    let run = step.run(binary(), &api.url());

    let names = strings(&["1.2.3", "1.2", "1", "sha-860c190", "latest"]);
    let images = strings(&["ghcr.io/octo-org/app", "quay.io/octo/app"]);
    let tags = images
        .iter()
        .flat_map(|i| names.iter().map(move |n| format!("{i}:{n}")))
        .collect();
    let mut labels = vec!["committed=2024-11-13".to_owned()];
    let base = base_labels(SHA, "1.2.3");
    labels.extend(base[..7].iter().cloned());
    labels.push("org.opencontainers.image.vendor=Octo".to_owned());
    labels.push(base[7].clone());
    check_success(
        &run,
        &Expect {
            version: "1.2.3".to_owned(),
            images,
            tags,
            tag_names: names,
            labels,
            annotations: base.iter().map(|l| format!("manifest:{l}")).collect(),
            sep_tags: "\n".to_owned(),
            bake_target: "docker-metadata-action".to_owned(),
            export_env: true,
        },
    );
    // the commit date is not in the payload: the API is asked for it and for the repository
    // (both reads go out at once, so their order is not fixed)
    assert_eq!(
        sorted(api.request_lines()),
        [REPO_PATH.to_owned(), format!("{REPO_PATH}/commits/{SHA}")]
    );
    check_token_sent(&api);
}

#[test]
fn pull_request_tags_the_pr_and_falls_back_to_now_when_the_commit_is_unknown() {
    // no recorded commit: the API answers 422 and the commit date falls back to the clock
    let api = stub(Some(repo_body()), &[]);
    let step = Step {
        event_name: Some("pull_request".to_owned()),
        payload: Some(json!({
            "number": 15,
            "pull_request": {
                "number": 15,
                "base": {"ref": "main"},
                "head": {"ref": "feature", "sha": PR_HEAD_SHA}
            },
            "repository": {"default_branch": "main"}
        })),
        ..Step::push("refs/pull/15/merge", PR_SHA)
    }
    .input("images", "ghcr.io/octo-org/app")
    .input("labels", "built={{commit_date 'YYYYMMDD'}}")
    .input("bake-target", "meta");
    let run = step.run(binary(), &api.url());

    let base = base_labels(PR_SHA, "pr-15");
    let mut labels = vec!["built=20200110".to_owned()];
    labels.extend(base.iter().cloned());
    check_success(
        &run,
        &Expect {
            version: "pr-15".to_owned(),
            images: strings(&["ghcr.io/octo-org/app"]),
            tags: strings(&["ghcr.io/octo-org/app:pr-15"]),
            tag_names: strings(&["pr-15"]),
            labels,
            annotations: base.iter().map(|l| format!("manifest:{l}")).collect(),
            sep_tags: "\n".to_owned(),
            bake_target: "meta".to_owned(),
            export_env: true,
        },
    );
    assert_eq!(
        sorted(api.request_lines()),
        [
            REPO_PATH.to_owned(),
            format!("{REPO_PATH}/commits/{PR_SHA}"),
        ]
    );
    check_token_sent(&api);
}

#[test]
fn set_output_env_false_writes_outputs_but_no_exports() {
    let api = stub(Some(repo_body()), &[]);
    let step = Step {
        payload: Some(json!({
            "ref": "refs/heads/main",
            "commits": [{"id": SHA, "timestamp": "2024-11-13T13:42:28Z"}],
            "head_commit": {"id": SHA, "timestamp": "2024-11-13T13:42:28Z"},
            "repository": {"default_branch": "main"}
        })),
        ..Step::push("refs/heads/main", SHA)
    }
    .input("images", "octo/app")
    .input(
        "tags",
        "type=ref,event=branch\ntype=raw,value=latest,enable={{is_default_branch}}",
    )
    .input("sep-tags", ",")
    .env("DOCKER_METADATA_SET_OUTPUT_ENV", "false");
    let run = step.run(binary(), &api.url());

    let base = base_labels(SHA, "main");
    check_success(
        &run,
        &Expect {
            version: "main".to_owned(),
            images: strings(&["octo/app"]),
            tags: strings(&["octo/app:main", "octo/app:latest"]),
            tag_names: strings(&["main", "latest"]),
            labels: base.clone(),
            annotations: base.iter().map(|l| format!("manifest:{l}")).collect(),
            sep_tags: ",".to_owned(),
            bake_target: "docker-metadata-action".to_owned(),
            export_env: false,
        },
    );
    // the payload has the commit date: only the repository is fetched
    assert_eq!(api.request_lines(), [REPO_PATH]);
    check_token_sent(&api);
}

#[test]
fn unknown_timezone_is_not_an_error() {
    let api = stub(Some(repo_body()), &[(SHA, "2024-11-13T13:42:28Z")]);
    let run = Step::push("refs/heads/main", SHA)
        .input("images", "octo/app")
        .input(
            "tags",
            "type=raw,value={{date 'YYYYMMDD-HHmm' tz='Mars/Olympus'}}",
        )
        .run(binary(), &api.url());
    let t = run.transcript();
    assert_eq!(run.code(), Some(0), "{t}");
    run.assert_no_panic();
    run.assert_masked(TOKEN);
    let outputs = run.outputs();
    assert_eq!(
        outputs.first(),
        Some(&("version".to_owned(), "20200110-0030".to_owned())),
        "moment-timezone keeps local time (TZ=UTC) for a zone it has no data for:\n{t}"
    );
}

/// A failing step: exit 1, exactly one `::error::` line quoting `needle`, nothing written.
fn check_input_error(step: &Step, needle: &str) {
    let api = stub(Some(repo_body()), &[(SHA, "2024-11-13T13:42:28Z")]);
    let run = step.run(binary(), &api.url());
    let t = run.transcript();
    assert_eq!(run.code(), Some(1), "{t}");
    run.assert_no_panic();
    run.assert_masked(TOKEN);
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "exactly one ::error:: line:\n{t}");
    assert!(
        errors[0].contains(needle),
        "the error must quote `{needle}`:\n{}",
        errors[0]
    );
    assert_eq!(run.output_text, "", "a bad input fails before any output");
}

#[test]
fn unknown_tag_type_fails_quoting_the_line() {
    let step = Step::push("refs/heads/main", SHA)
        .input("images", "octo/app")
        .input("tags", "type=raw,value=ok\ntype=foo,value=bar");
    check_input_error(&step, "type=foo,value=bar");
}

#[test]
fn invalid_flavor_fails_quoting_the_line() {
    let step = Step::push("refs/heads/main", SHA)
        .input("images", "octo/app")
        .input("flavor", "prefix=v\nlatest=sometimes");
    check_input_error(&step, "latest=sometimes");
}

#[test]
fn bad_match_regex_fails_quoting_the_line() {
    let step = Step::push("refs/tags/v1.2.3", SHA)
        .input("images", "octo/app")
        .input("tags", r"type=match,pattern=v(\d+");
    check_input_error(&step, r"type=match,pattern=v(\d+");
}

#[test]
fn invalid_enable_expression_fails_quoting_the_line() {
    let step = Step::push("refs/heads/main", SHA)
        .input("images", "octo/app")
        .input("tags", "type=raw,value=foo,enable=maybe");
    check_input_error(&step, "type=raw,value=foo,enable=maybe");
}

#[test]
fn malformed_image_line_fails_quoting_the_line() {
    let step = Step::push("refs/heads/main", SHA)
        .input("images", "octo/app\nghcr.io/octo-org/app,bar=baz");
    check_input_error(&step, "ghcr.io/octo-org/app,bar=baz");
}

#[test]
fn repository_not_found_fails_naming_the_request() {
    let api = stub(None, &[]);
    let step = Step {
        payload: Some(json!({
            "head_commit": {"id": SHA, "timestamp": "2024-11-13T13:42:28Z"}
        })),
        ..Step::push("refs/heads/main", SHA)
    }
    .input("images", "octo/app");
    let run = step.run(binary(), &api.url());
    let t = run.transcript();
    assert_eq!(run.code(), Some(1), "{t}");
    run.assert_no_panic();
    run.assert_masked(TOKEN);
    let errors = run.error_lines();
    assert_eq!(errors.len(), 1, "exactly one ::error:: line:\n{t}");
    assert!(
        errors[0].contains("/repos/octo-org/octo-repo"),
        "the error must name the request:\n{}",
        errors[0]
    );
    assert_eq!(api.request_lines(), [REPO_PATH]);
    check_token_sent(&api);
}

/// The requests in a fixed order (the commit-date and repository reads are concurrent).
fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}
