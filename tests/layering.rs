//! The module DAG (issue 9): reads `src/**/*.rs`, collects the `crate::X` edges between
//! top-level modules (in `use` lines and in paths), and fails on an edge the rules below do not
//! allow, on a top-level module the table does not list, and on any cycle. The checker itself is
//! tested on synthetic sources, so a bad edge really fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules it may import (`*`: any, for the edge that
/// wires everything together). A new module needs a row here.
const RULES: &[(&str, &[&str])] = &[
    // Pure leaves.
    ("js", &[]),
    ("duration", &[]),
    ("reference", &[]),
    ("plan", &[]),
    ("progress", &["plan"]),
    ("meta", &["js"]),
    // Layers.
    ("github", &["js", "meta"]),
    ("settings", &["js", "meta", "duration"]),
    ("source", &["plan", "reference"]),
    (
        "registry",
        &["plan", "progress", "duration", "reference", "js"],
    ),
    // The retention step (issue 14): reads through `registry`, decides with `meta`.
    ("retention", &["github", "meta", "registry", "settings"]),
    // The runner sink and the CLI printer (issue 9 item 2, on main): results, not decisions.
    (
        "outputs",
        &["github", "meta", "plan", "progress", "registry", "settings"],
    ),
    // The edges.
    (
        "push",
        &[
            "github",
            "meta",
            "outputs",
            "plan",
            "progress",
            "registry",
            "retention",
            "settings",
            "source",
        ],
    ),
    ("app", &["*"]),
];

/// The top-level module a source file belongs to (`src/registry/auth.rs` → `registry`);
/// `None` for the crate roots.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_owned())
}

/// The top-level modules named by `crate::X` in `text`, comments left out. Handles
/// `use crate::x::…`, paths such as `crate::x::f()`, and grouped `use crate::{x, y::z}`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            // `hoist_crate::` or `some_crate::` are not this crate.
            let before = rest[..i].chars().next_back();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let name = ident(item.trim());
                    if !name.is_empty() && name != "self" {
                        out.insert(name);
                    }
                }
            } else {
                let name = ident(rest);
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Edges between top-level modules, from (module, source text) pairs.
fn edges<'a>(
    files: impl IntoIterator<Item = (String, &'a str)>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in files {
        let entry = graph.entry(module.clone()).or_default();
        for to in imports(text) {
            if to != module {
                entry.insert(to);
            }
        }
    }
    graph
}

/// Every rule broken by `graph`, one message each (empty: the layering holds).
fn violations(
    graph: &BTreeMap<String, BTreeSet<String>>,
    rules: &[(&str, &[&str])],
) -> Vec<String> {
    let table: BTreeMap<&str, &[&str]> = rules.iter().copied().collect();
    let mut out = Vec::new();
    for (from, tos) in graph {
        let Some(allowed) = table.get(from.as_str()) else {
            out.push(format!(
                "module `{from}` has no row in the layering rules\nhint: add it to `RULES` in tests/layering.rs with the modules it may import"
            ));
            continue;
        };
        for to in tos {
            if !allowed.contains(&"*") && !allowed.contains(&to.as_str()) {
                out.push(format!("`{from}` imports `crate::{to}`, which the rules do not allow (allowed: {allowed:?})"));
            }
        }
    }
    if let Some(cycle) = find_cycle(graph) {
        out.push(format!(
            "cycle among top-level modules: {}",
            cycle.join(" → ")
        ));
    }
    out
}

/// A cycle in `graph` as a path that ends where it starts, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut done, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn top_level_modules_follow_the_layering_rules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| {
            let module = top_module(&src, f)?;
            let text =
                std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            Some((module, text))
        })
        .collect();
    let graph = edges(texts.iter().map(|(m, t)| (m.clone(), t.as_str())));
    // The walk saw the crate (not an empty directory).
    for m in ["plan", "registry", "source", "js", "meta"] {
        assert!(graph.contains_key(m), "no files found for module `{m}`");
    }
    assert!(
        graph["registry"].contains("plan"),
        "the edge collector missed `registry` → `plan`"
    );
    let broken = violations(&graph, RULES);
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn imports_are_collected_from_use_lines_paths_and_groups() {
    let text = "use crate::plan::{self, Digest};\n\
                use crate::{js, meta::x};\n\
                fn f() { crate::github::commands::rand_u64(); }\n\
                // crate::app is only a comment\n\
                use other_crate::thing;\n";
    let got: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(got, ["github", "js", "meta", "plan"]);
}

#[test]
fn a_forbidden_edge_fails() {
    let graph = edges([
        (
            "registry".to_owned(),
            "use crate::settings::push::TagPolicy;\n",
        ),
        ("settings".to_owned(), "use crate::js::x;\n"),
    ]);
    let broken = violations(&graph, RULES);
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].contains("`registry` imports `crate::settings`"),
        "{broken:?}"
    );
}

#[test]
fn a_module_without_a_rule_fails() {
    let graph = edges([("newthing".to_owned(), "use crate::plan::Plan;\n")]);
    let broken = violations(&graph, RULES);
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].contains("module `newthing` has no row"),
        "{broken:?}"
    );
}

#[test]
fn a_cycle_fails_even_when_every_edge_is_allowed() {
    let rules: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["c"]), ("c", &["a"])];
    let graph = edges([
        ("a".to_owned(), "use crate::b::X;"),
        ("b".to_owned(), "crate::c::f();"),
        ("c".to_owned(), "use crate::{a::Y};"),
    ]);
    let broken = violations(&graph, rules);
    assert_eq!(broken, ["cycle among top-level modules: a → b → c → a"]);
    // And without the closing edge there is none.
    let graph = edges([
        ("a".to_owned(), "use crate::b::X;"),
        ("b".to_owned(), "crate::c::f();"),
        ("c".to_owned(), ""),
    ]);
    assert!(violations(&graph, rules).is_empty());
}
