//! The action's contract: `action.yml` ⇔ the binary's inputs (`RawInputs`, clap `env`) ⇔ the
//! outputs the binary actually writes to `$GITHUB_OUTPUT`.
//!
//! `action.yml` is read with `serde_norway` (the crate's YAML parser); a construct the contract
//! does not expect (a list where a scalar belongs) fails the test rather than being skipped.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use clap::CommandFactory as _;
use serde_norway::Value as Yaml;

use support::github::{GitHubStub, Recorded};
use support::step::parse_file_commands;

/// Push inputs, in their `action.yml` order (`src/settings/push.rs`, `PushInputs` flattened into
/// `RawInputs`).
const PUSH_INPUTS: &[&str] = &[
    "source",
    "push",
    "registry-auth",
    "insecure-registries",
    "registry-ca",
    "platforms",
    "tag-policy",
    "timeout",
    "immutable-tags",
    "latest-guard",
    "copy-referrers",
    "retention",
    "retention-max-deletes",
    "retention-gc",
    "ecr-create-repos",
    "chunk-size",
];

/// Written only when `source` is set (a push or a `push: false` preview), so a metadata-only run
/// does not write them (tests/push.rs and tests/container.rs read them on real pushes).
const PUSH_OUTPUTS: &[&str] = &["digest", "push-results", "retention-results"];

/// docker/metadata-action's inputs, in its order, with the defaults its action.yml declares
/// (`None`: no `default:` key) and its `required` flags. Users swap `uses:` lines, so these are
/// part of the contract.
const METADATA_ACTION_INPUTS: &[(&str, Option<&str>, bool)] = &[
    ("context", Some("workflow"), true),
    ("images", None, false),
    ("tags", None, false),
    ("flavor", None, false),
    ("labels", None, false),
    ("annotations", None, false),
    ("sep-tags", None, false),
    ("sep-labels", None, false),
    ("sep-annotations", None, false),
    ("bake-target", None, false),
    ("github-token", Some("${{ github.token }}"), true),
];

/// docker/metadata-action's outputs, in the order it writes them.
const METADATA_ACTION_OUTPUTS: &[&str] = &[
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

/// One entry of `inputs:` or `outputs:`.
#[derive(Debug, Default, Clone)]
struct Entry {
    /// `key: value` pairs under the entry, values unquoted.
    props: BTreeMap<String, String>,
}

/// The parts of `action.yml` the contract is about.
#[derive(Debug, Default)]
struct ActionYml {
    /// Inputs in file order.
    inputs: Vec<(String, Entry)>,
    /// Outputs in file order.
    outputs: Vec<(String, Entry)>,
    /// Every top-level `key: value` and the keys of `runs:` as `runs.key`.
    scalars: BTreeMap<String, String>,
}

/// A scalar as text, the way a workflow reads it (`true` → `"true"`, `~` → `""`).
fn scalar_text(v: &Yaml, at: &str) -> String {
    match v {
        Yaml::String(s) => s.clone(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Null => String::new(),
        other => panic!("action.yml: `{at}` is not a scalar: {other:?}"),
    }
}

fn key_text(k: &Yaml) -> String {
    k.as_str()
        .unwrap_or_else(|| panic!("action.yml: a key that is not a string: {k:?}"))
        .to_owned()
}

/// Reads action.yml with `serde_norway`: `inputs` and `outputs` in file order (each a mapping of
/// scalars), every other top-level scalar, and the keys of other mappings as `section.key`.
fn parse_action_yml(text: &str) -> ActionYml {
    let doc: Yaml = serde_norway::from_str(text).expect("action.yml is valid YAML");
    let Yaml::Mapping(top) = doc else {
        panic!("action.yml is not a mapping")
    };
    let mut yml = ActionYml::default();
    for (key, value) in &top {
        let section = key_text(key);
        match (section.as_str(), value) {
            ("inputs" | "outputs", Yaml::Mapping(entries)) => {
                for (name, props) in entries {
                    let name = key_text(name);
                    let Yaml::Mapping(props) = props else {
                        panic!("{section} `{name}` must be a mapping")
                    };
                    let mut entry = Entry::default();
                    for (k, v) in props {
                        let k = key_text(k);
                        let text = scalar_text(v, &format!("{section}.{name}.{k}"));
                        entry.props.insert(k, text);
                    }
                    if section == "inputs" {
                        yml.inputs.push((name, entry));
                    } else {
                        yml.outputs.push((name, entry));
                    }
                }
            }
            (_, Yaml::Mapping(entries)) => {
                for (k, v) in entries {
                    let k = key_text(k);
                    let at = format!("{section}.{k}");
                    let text = scalar_text(v, &at);
                    yml.scalars.insert(at, text);
                }
            }
            (_, v) => {
                let text = scalar_text(v, &section);
                yml.scalars.insert(section, text);
            }
        }
    }
    yml
}

fn action_yml() -> ActionYml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    let text = std::fs::read_to_string(&path).expect("read action.yml");
    parse_action_yml(&text)
}

/// The runner's variable for an input (actions/runner `Handler.cs` `AddInputsToEnvironment`:
/// spaces to `_`, upper-cased, hyphens kept).
fn runner_env_name(input: &str) -> String {
    format!("INPUT_{}", input.replace(' ', "_").to_uppercase())
}

/// The `INPUT_*` variables `RawInputs` binds, mapped back to input names (`INPUT_SEP-TAGS` →
/// `sep-tags`). Args without `env` are CLI-only (`--format`, `--help`).
fn clap_inputs() -> BTreeSet<String> {
    let cmd = hoist::settings::RawInputs::command();
    let mut names = BTreeSet::new();
    for arg in cmd.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        let env = env.to_str().expect("env names are UTF-8");
        let name = env
            .strip_prefix("INPUT_")
            .unwrap_or_else(|| panic!("arg `{}` binds `{env}`, not an INPUT_*", arg.get_id()))
            .to_lowercase();
        assert_eq!(
            runner_env_name(&name),
            env,
            "arg `{}`: env must be exactly the runner's spelling",
            arg.get_id()
        );
        if let Some(long) = arg.get_long() {
            assert_eq!(long, name, "the --flag and the input must share one name");
        }
        assert!(names.insert(name.clone()), "input `{name}` bound twice");
    }
    names
}

#[test]
fn action_yml_inputs_are_exactly_the_binary_inputs() {
    let yml = action_yml();
    let declared: Vec<&str> = yml.inputs.iter().map(|(k, _)| k.as_str()).collect();
    let declared_set: BTreeSet<String> = declared.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        declared.len(),
        declared_set.len(),
        "duplicate input in action.yml"
    );

    let expected = clap_inputs();
    let unbound: Vec<&&str> = PUSH_INPUTS
        .iter()
        .filter(|p| !expected.contains(**p))
        .collect();
    assert!(unbound.is_empty(), "push inputs not bound: {unbound:?}");
    let missing: Vec<_> = expected.difference(&declared_set).collect();
    let extra: Vec<_> = declared_set.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "action.yml inputs differ from RawInputs: not in action.yml {missing:?}, not in RawInputs {extra:?}"
    );

    // metadata-action's inputs first, in its order, then the push inputs in theirs.
    let order: Vec<&str> = METADATA_ACTION_INPUTS
        .iter()
        .map(|(n, _, _)| *n)
        .chain(PUSH_INPUTS.iter().copied())
        .collect();
    assert_eq!(declared, order, "action.yml input order");
}

/// The variables the built binary reads, as its own `--help` lists them (`[env: INPUT_…=]`).
fn binary_input_vars() -> BTreeSet<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = support::cli::hoist(dir.path(), &[("TERM", "dumb")], &["--help"]);
    assert_eq!(out.code, Some(0), "hoist --help: {}", out.stderr);
    let vars: BTreeSet<String> = out
        .stdout
        .split("[env: ")
        .skip(1)
        .map(|rest| {
            let end = rest.find(['=', ']']).expect("`[env: NAME=]` is closed");
            rest[..end].to_owned()
        })
        .collect();
    assert!(
        !vars.is_empty(),
        "no `[env: …]` in hoist --help:\n{}",
        out.stdout
    );
    vars
}

#[test]
fn every_declared_input_is_read_from_the_variable_the_runner_sets() {
    let yml = action_yml();
    let runner: BTreeSet<String> = yml.inputs.iter().map(|(k, _)| runner_env_name(k)).collect();
    let read = binary_input_vars();
    let unread: Vec<_> = runner.difference(&read).collect();
    let undeclared: Vec<_> = read.difference(&runner).collect();
    assert!(
        unread.is_empty() && undeclared.is_empty(),
        "the runner sets {unread:?} that the binary does not read; the binary reads {undeclared:?} that no declared input sets"
    );
}

#[test]
fn action_yml_keeps_metadata_action_defaults_and_documents_every_input() {
    let yml = action_yml();
    let inputs: BTreeMap<&str, &Entry> = yml.inputs.iter().map(|(k, e)| (k.as_str(), e)).collect();
    for (name, default, required) in METADATA_ACTION_INPUTS {
        let entry = inputs[name];
        assert_eq!(
            entry.props.get("default").map(String::as_str),
            *default,
            "input `{name}`: default must be metadata-action's"
        );
        assert_eq!(
            entry.props.get("required").map(String::as_str),
            Some(if *required { "true" } else { "false" }),
            "input `{name}`: required must be metadata-action's"
        );
    }
    // `push` has no default: empty means "true when `source` is set".
    assert_eq!(inputs["push"].props.get("default"), None);
    assert_eq!(
        inputs["tag-policy"]
            .props
            .get("default")
            .map(String::as_str),
        Some("atomic")
    );
    for (name, entry) in &yml.inputs {
        let description = entry.props.get("description").map_or("", String::as_str);
        assert!(!description.is_empty(), "input `{name}` has no description");
        assert!(
            entry.props.keys().all(|k| [
                "description",
                "default",
                "required",
                "deprecationMessage"
            ]
            .contains(&k.as_str())),
            "input `{name}`: unknown key in {:?}",
            entry.props.keys()
        );
        // The runner's id rule: a letter or `_` first, then alphanumerics, `-` and `_`.
        assert!(
            name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
            "input id `{name}`"
        );
    }
    for (name, entry) in &yml.outputs {
        assert!(
            entry
                .props
                .get("description")
                .is_some_and(|d| !d.is_empty()),
            "output `{name}` has no description"
        );
        assert_eq!(
            entry.props.len(),
            1,
            "docker actions declare outputs without `value`"
        );
    }
}

#[test]
fn action_yml_runs_the_container_the_way_the_docs_say() {
    let yml = action_yml();
    assert_eq!(yml.scalars.get("name").map(String::as_str), Some("hoist"));
    assert!(
        yml.scalars
            .get("description")
            .is_some_and(|d| !d.is_empty())
    );
    assert!(yml.scalars.contains_key("branding.icon"));
    assert!(yml.scalars.contains_key("branding.color"));
    assert_eq!(
        yml.scalars.get("runs.using").map(String::as_str),
        Some("docker")
    );
    // The default branch builds the Dockerfile; a release commit pins the published image by
    // digest (docs/release.md). Either way no `args`: every setting is an INPUT_* variable.
    let image = yml.scalars.get("runs.image").expect("runs.image");
    assert!(
        image == "Dockerfile"
            || (image.starts_with("docker://ghcr.io/") && image.contains("@sha256:")),
        "runs.image must be `Dockerfile` or a digest-pinned ghcr.io image, got `{image}`"
    );
    assert_eq!(
        yml.scalars.get("runs.entrypoint").map(String::as_str),
        Some("/hoist")
    );
    assert!(!yml.scalars.contains_key("runs.args"));
}

/// The file-command file at `path`, parsed as the runner does.
fn read_file_commands(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).expect("read a file-command file");
    parse_file_commands(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// metadata-action's `DOCKER_METADATA_OUTPUT_<NAME>` (`\W` → `_`, upper-cased).
fn exported_name(output: &str) -> String {
    let mapped: String = output
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("DOCKER_METADATA_OUTPUT_{}", mapped.to_uppercase())
}

#[test]
fn a_metadata_only_run_writes_exactly_the_declared_outputs() {
    let yml = action_yml();
    let stub = GitHubStub::start(Recorded {
        owner: "o".to_owned(),
        name: "n".to_owned(),
        repo: Some(serde_json::json!({
            "id": 1, "name": "n", "full_name": "o/n", "description": "A test repository",
            "html_url": "https://github.com/o/n", "default_branch": "main",
            "license": {"key": "mit", "spdx_id": "MIT"}
        })),
        commits: BTreeMap::new(),
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("set_output");
    let env_file = dir.path().join("set_env");
    let runner_temp = dir.path().join("temp");
    std::fs::create_dir(&runner_temp).expect("runner temp");
    std::fs::write(&output, "").expect("create GITHUB_OUTPUT");
    std::fs::write(&env_file, "").expect("create GITHUB_ENV");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.env_clear().current_dir(dir.path());
    // As the runner does: every declared input is set, to its default when the workflow does
    // not give one (an empty string when there is no default; `${{ github.token }}` evaluated).
    for (name, entry) in &yml.inputs {
        let value = match entry.props.get("default").map(String::as_str) {
            Some("${{ github.token }}") => "ghs_contract_test_token",
            Some(v) => v,
            None => "",
        };
        cmd.env(runner_env_name(name), value);
    }
    cmd.env("INPUT_IMAGES", "ghcr.io/o/n")
        .env(
            "INPUT_TAGS",
            "type=ref,event=branch\ntype=ref,event=tag\ntype=sha",
        )
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_ENV", &env_file)
        .env("GITHUB_API_URL", stub.url())
        .env("GITHUB_REPOSITORY", "o/n")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REF", "refs/tags/v1.2.3")
        .env("GITHUB_SHA", "860c1904a1ce19322e91ac35af1ab07466440c37")
        .env("RUNNER_TEMP", &runner_temp)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    let run = cmd.output().expect("spawn hoist");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "hoist failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        run.status
    );

    let written = read_file_commands(&output);
    let written_names: Vec<&str> = written.iter().map(|(k, _)| k.as_str()).collect();
    let declared: BTreeSet<&str> = yml.outputs.iter().map(|(k, _)| k.as_str()).collect();
    let expected: BTreeSet<&str> = declared
        .iter()
        .copied()
        .filter(|o| !PUSH_OUTPUTS.contains(o))
        .collect();
    assert_eq!(
        written_names.iter().copied().collect::<BTreeSet<_>>(),
        expected,
        "outputs written by a metadata-only run vs action.yml (push outputs excepted)"
    );
    assert_eq!(
        written_names, METADATA_ACTION_OUTPUTS,
        "written once each, in metadata-action's order"
    );
    for p in PUSH_OUTPUTS {
        assert!(declared.contains(p), "push output `{p}` must be declared");
    }
    let values: BTreeMap<&str, &str> = written
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(values["version"], "v1.2.3");
    assert_eq!(
        values["tags"],
        "ghcr.io/o/n:v1.2.3\nghcr.io/o/n:sha-860c190\nghcr.io/o/n:latest"
    );
    for bake in [
        "bake-file",
        "bake-file-tags",
        "bake-file-labels",
        "bake-file-annotations",
    ] {
        let path = Path::new(values[bake]);
        assert!(
            path.starts_with(&runner_temp) && path.is_file(),
            "`{bake}` must be a file under RUNNER_TEMP: {}",
            path.display()
        );
    }

    // The env export mirrors the metadata outputs.
    let exported = read_file_commands(&env_file);
    let exported: BTreeMap<String, String> = exported.into_iter().collect();
    for (name, value) in &written {
        assert_eq!(
            exported.get(&exported_name(name)),
            Some(value),
            "`{name}` exported as {}",
            exported_name(name)
        );
    }
    assert_eq!(exported.len(), written.len());
}
