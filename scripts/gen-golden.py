#!/usr/bin/env python3
"""Regenerates fixtures/golden/*.json from docker/metadata-action's own unit tests.

Usage: scripts/gen-golden.py UPSTREAM_TESTS_DIR
  (the `__tests__` directory of a docker/metadata-action checkout; a maintainer's tool, not run
  by the tests: they read the generated fixtures/golden/*.json)

Reads the `test.each` tables of `meta.test.ts` (every row), the `getInputs` and `getContext`
cases of `context.test.ts`, and the rows of `tag.test.ts` / `flavor.test.ts` /
`image.test.ts` that must fail, and writes one JSON file per upstream table: an array of case
objects that `tests/golden.rs` runs through `hoist::meta::compute` and `hoist::report`.

How the upstream test runs a row, and how a case reproduces it:

* `process.env` is replaced by the row's `.env` fixture (parsed by `dotenv`: an unquoted value
  stops at `#`, a commented-out `#GITHUB_EVENT_PATH` means no payload). Its mocked
  `GitHub.context` turns unset `GITHUB_EVENT_NAME`/`GITHUB_REF`/`GITHUB_SHA` into `""`, so the
  cases carry `""`, not null.
* The repository comes from `fixtures/repo.json` (the `repoData` mock).
* Inputs are arrays merged over `getInputs()` and handed straight to `new Meta(...)`: no list
  parsing, so the cases keep them as arrays (tests/golden.rs passes arrays through untouched
  and runs strings through `hoist::js::csv::input_list`).
* The clock: `Date.prototype.toISOString` and every `moment(...)` call return
  2020-01-10T00:30:00.000Z, so `now` *and* the commit date are that instant.
* `bakeFile` asks for `annotations:index,manifest-descriptor`: the case sets
  `DOCKER_METADATA_ANNOTATIONS_LEVELS` to those levels (what `main.ts` passes).
* `pr-head-sha` sets `DOCKER_METADATA_PR_HEAD_SHA=true`.

Only the payload fields metadata-action reads are kept (repository.default_branch, base_ref,
number, pull_request.base.ref, pull_request.head.sha, commits[].id/timestamp,
head_commit.id/timestamp).

The JS tables are evaluated with `node` (any version) after stripping TypeScript casts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

if len(sys.argv) != 2:
    sys.exit("usage: scripts/gen-golden.py UPSTREAM_TESTS_DIR (docker/metadata-action's `__tests__`)")
UP = Path(sys.argv[1])
OUT = Path(__file__).resolve().parent.parent / "fixtures" / "golden"
NOW = "2020-01-10T00:30:00Z"
UNDEF = {"__undefined__": True}

# ---------------------------------------------------------------------------------------------
# JS table extraction


def skip_string(src: str, i: int) -> int:
    """Index just past the string literal starting at src[i]."""
    q = src[i]
    i += 1
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == q:
            return i + 1
        if q == "`" and src.startswith("${", i):
            raise ValueError("template substitutions are not supported")
        i += 1
    raise ValueError("unterminated string")


def match_bracket(src: str, i: int) -> int:
    """Index just past the bracket expression opening at src[i]."""
    depth = 0
    while i < len(src):
        c = src[i]
        if c in "'\"`":
            i = skip_string(src, i)
            continue
        if src.startswith("//", i):
            i = src.index("\n", i)
            continue
        if src.startswith("/*", i):
            i = src.index("*/", i) + 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced brackets")


def strip_ts(js: str) -> str:
    """Removes `} as Inputs`, `] as Tag[]` casts and the `new Map<..>(` generics."""
    out = []
    i = 0
    while i < len(js):
        c = js[i]
        if c in "'\"`":
            j = skip_string(js, i)
            out.append(js[i:j])
            i = j
            continue
        m = re.compile(r"\s+as\s+[A-Za-z_][\w.]*(?:\[\])?").match(js, i)
        if m and out and out[-1].rstrip()[-1:] in ("}", "]"):
            i = m.end()
            continue
        m = re.compile(r"new Map<[^>]*>\(").match(js, i)
        if m:
            out.append("Object.fromEntries(")
            i = m.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


def tables(path: Path) -> dict[str, list[str]]:
    """`describe` name -> the JS source of each `test.each([...])` array inside it."""
    src = path.read_text()
    found: dict[str, list[str]] = {}
    describes = [(m.start(), m.group(1)) for m in re.finditer(r"describe\('([^']+)'", src)]
    for m in re.finditer(r"test\.each\(", src):
        name = [d for (pos, d) in describes if pos < m.start()][-1]
        start = m.end()
        if src[start] == "[":
            found.setdefault(name, []).append(strip_ts(src[start : match_bracket(src, start)]))
        else:  # test.each(cases): the `const cases ... = [` before it
            cm = re.search(r"const cases[^=]*=\s*\[", src[: m.start()])
            assert cm, "no cases array"
            b = cm.end() - 1
            found.setdefault(name, []).append(strip_ts(src[b : match_bracket(src, b)]))
    return found


PRELUDE = """
const named = new Proxy({}, {get: (_, k) => String(k)});
const Type = named, RefEvent = named, ShaFormat = named;
const DefaultPriorities = new Proxy({}, {get: () => 0});
const context = {ContextSource: {workflow: 'workflow', git: 'git'}};
"""


def evaluate(arrays: dict[str, list[str]]) -> dict[str, list]:
    body = ",\n".join(
        f"{json.dumps(k)}: [{', '.join(v)}]" for k, v in arrays.items()
    )
    prog = (
        PRELUDE
        + f"const t = {{{body}}};\n"
        + "process.stdout.write(JSON.stringify(t, (k, v) => v === undefined ? {__undefined__: true} : v));\n"
    )
    return json.loads(node(prog))


def node(prog: str) -> str:
    """Runs a JS program (on stdin: the tables are too big for argv) and returns its stdout."""
    res = subprocess.run(["node", "-"], input=prog, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"node failed:\n{res.stderr}")
    return res.stdout


# ---------------------------------------------------------------------------------------------
# fixtures


def dotenv(path: Path) -> dict[str, str]:
    """`dotenv.parse`: `KEY=value`, `#` lines ignored, an unquoted value stops at `#`."""
    env = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        if value[:1] in ("'", '"', "`") and value.rstrip().endswith(value[0]) and len(value.rstrip()) > 1:
            value = value.rstrip()[1:-1]
        else:
            value = value.split("#", 1)[0].strip()
        env[key] = value
    return env


def trim_payload(p: dict) -> dict:
    """Only what metadata-action reads."""
    out: dict = {}
    repo = p.get("repository")
    if isinstance(repo, dict) and "default_branch" in repo:
        out["repository"] = {"default_branch": repo["default_branch"]}
    for key in ("base_ref", "number"):
        if key in p:
            out[key] = p[key]
    pr = p.get("pull_request")
    if isinstance(pr, dict):
        sub: dict = {}
        if isinstance(pr.get("base"), dict) and "ref" in pr["base"]:
            sub["base"] = {"ref": pr["base"]["ref"]}
        if isinstance(pr.get("head"), dict) and "sha" in pr["head"]:
            sub["head"] = {"sha": pr["head"]["sha"]}
        out["pull_request"] = sub
    if isinstance(p.get("commits"), list):
        out["commits"] = [
            {k: c[k] for k in ("id", "timestamp") if k in c} for c in p["commits"]
        ]
    if "head_commit" in p:
        hc = p["head_commit"]
        out["head_commit"] = (
            {k: hc[k] for k in ("id", "timestamp") if k in hc} if isinstance(hc, dict) else hc
        )
    return out


def repo_fixture() -> dict:
    r = json.loads((UP / "fixtures" / "repo.json").read_text())
    return {
        "name": r.get("name"),
        "description": r.get("description"),
        "html_url": r.get("html_url"),
        "license": (r.get("license") or {}).get("spdx_id"),
        "default_branch": r.get("default_branch"),
    }


def context_from_env(env_file: str) -> dict:
    env = dotenv(UP / "fixtures" / env_file)
    payload: dict = {}
    event_path = env.get("GITHUB_EVENT_PATH", "")
    if event_path:
        p = UP.parent / event_path
        if p.exists():
            payload = trim_payload(json.loads(p.read_text()))
    return {
        "event_name": env.get("GITHUB_EVENT_NAME", ""),
        "ref": env.get("GITHUB_REF", ""),
        "sha": env.get("GITHUB_SHA", ""),
        "payload": payload,
        # the moment-timezone mock answers the frozen instant for the commit date too
        "commit_date": NOW,
    }


INPUT_NAMES = {
    "sepTags": "sep-tags",
    "sepLabels": "sep-labels",
    "sepAnnotations": "sep-annotations",
    "bakeTarget": "bake-target",
    "githubToken": "github-token",
}


def inputs_of(row_inputs: dict) -> dict:
    return {INPUT_NAMES.get(k, k): v for k, v in row_inputs.items()}


def undef(v):
    return None if v == UNDEF else v


def version_of(v: dict) -> dict:
    return {
        "main": undef(v.get("main", UNDEF)),
        "partial": v.get("partial", []),
        "latest": bool(undef(v.get("latest", UNDEF))),
    }


# ---------------------------------------------------------------------------------------------
# cases


def meta_case(table: str, row: list) -> dict:
    name, env_file, inputs = row[0], row[1], row[2]
    case = {
        "name": f"meta/{table}/{name}",
        "source": f"meta.test.ts describe('{table}') row {name} ({env_file})",
        "context": context_from_env(env_file),
        "repo": repo_fixture(),
        "inputs": inputs_of(inputs),
        "knobs": {},
        "now": NOW,
    }
    ex: dict = {}
    if table == "pr-head-sha":
        case["knobs"]["DOCKER_METADATA_PR_HEAD_SHA"] = "true"
        ex = {"version": version_of(row[3]), "tags": row[4], "labels": row[5], "annotations": row[5]}
    elif table == "json":
        ex = {"json": row[3]}
    elif table == "bakeFile":
        case["knobs"]["DOCKER_METADATA_ANNOTATIONS_LEVELS"] = "index,manifest-descriptor"
        ex = {"bake-file-tags": row[3], "bake-file-labels": row[4], "bake-file-annotations": row[5]}
    elif table == "bakeFileTagsLabels":
        ex = {"bake-file": row[3]}
    elif table == "sepTags":
        ex = {"outputs": {"tags": row[3]}}
    else:
        labels = row[5]
        annotations = undef(row[6]) if len(row) > 6 else None
        ex = {
            "version": version_of(row[3]),
            "tags": row[4],
            "labels": labels,
            "annotations": labels if annotations is None else annotations,
        }
    if not case["knobs"]:
        del case["knobs"]
    case["expected"] = ex
    return case


# Rows the upstream tests mark `invalid` whose parse does NOT throw: the test's try/catch also
# swallows the `toEqual` mismatch, so the flag proves nothing for them. Checked against the
# upstream sources (src/image.ts keeps the last `name=`).
NOT_ACTUALLY_INVALID = {
    ("image.test.ts", "name/foo,name=name/bar,enable=true"),
}


def error_cases(file: str, table: str, input_name: str, rows: list, single: bool) -> list[dict]:
    ctx = context_from_env("event_tag_v1.1.1.env")
    out = []
    for i, row in enumerate(rows):
        if not row[-1]:
            continue
        lines = [row[0]] if single else row[0]
        if any((file, line) in NOT_ACTUALLY_INVALID for line in lines):
            continue
        inputs = {"images": ["user/app"], input_name: lines}
        if input_name == "images":
            inputs = {"images": lines}
        out.append(
            {
                "name": f"invalid/{file.split('.')[0]}/{table}/{i:02}",
                "source": f"{file} describe('{table}') row {i} (marked invalid): {json.dumps(lines)}",
                "context": ctx,
                "repo": repo_fixture(),
                "inputs": inputs,
                "now": NOW,
                "expected": {"error": True},
            }
        )
    return out


def context_cases(t: dict[str, list]) -> tuple[list, list]:
    inputs_cases = []
    for num, raw, expected in t["getInputs"][0]:
        inputs_cases.append(
            {
                "name": f"context/getInputs/{num}",
                "kind": "inputs",
                "source": f"context.test.ts getInputs case {num}",
                "raw": raw,
                "expected": {
                    "context": expected["context"],
                    "images": expected["images"],
                    "tags": expected["tags"],
                    "flavor": expected["flavor"],
                    "labels": expected["labels"],
                    "annotations": expected["annotations"],
                    "sep-tags": expected["sepTags"],
                    "sep-labels": expected["sepLabels"],
                    "sep-annotations": expected["sepAnnotations"],
                    "bake-target": expected["bakeTarget"],
                    "github-token": expected["githubToken"] or None,
                },
            }
        )
    # getContext('workflow'): the setup file's push payload, commit date from its `commits`.
    setup = (UP / "setup.unit.ts").read_text()
    start = setup.index("const githubPayload = ") + len("const githubPayload = ")
    payload_js = setup[start : match_bracket(setup, start)]
    payload = json.loads(node(f"process.stdout.write(JSON.stringify({payload_js}))"))
    sha = "5f3331d7f7044c18ca9f12c77d961c4d7cf3276a"
    base = {
        "repo": repo_fixture(),
        "now": NOW,
        "inputs": {
            "images": ["user/app"],
            "tags": ["type=raw,value={{commit_date 'YYYYMMDD-HHmmss'}}"],
            "labels": ["commit={{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}"],
        },
    }
    labels = [
        "commit=2024-11-13T13:42:28.000Z",
        "org.opencontainers.image.created=2020-01-10T00:30:00.000Z",
        "org.opencontainers.image.description=This your first repo!",
        "org.opencontainers.image.licenses=MIT",
        f"org.opencontainers.image.revision={sha}",
        "org.opencontainers.image.source=https://github.com/octocat/Hello-World",
        "org.opencontainers.image.title=Hello-World",
        "org.opencontainers.image.url=https://github.com/octocat/Hello-World",
        "org.opencontainers.image.version=20241113-134228",
    ]
    commit_cases = [
        {
            "name": "context/getContext/workflow",
            "source": "context.test.ts getContext('workflow'): commit date from payload.commits[]",
            "context": {"event_name": None, "ref": "refs/heads/dev", "sha": sha, "payload": trim_payload(payload)},
            **base,
            "expected": {
                "version": {"main": "20241113-134228", "partial": [], "latest": False},
                "tags": ["user/app:20241113-134228"],
                "labels": labels,
            },
        },
        {
            "name": "context/getContext/workflow-head-commit",
            "source": "context.ts getCommitDateFromWorkflow: no matching commits[] entry, head_commit.id is the sha",
            "context": {
                "event_name": "push",
                "ref": "refs/heads/dev",
                "sha": sha,
                "payload": {
                    "commits": [{"id": "0000000000000000000000000000000000000000", "timestamp": "2001-01-01T00:00:00Z"}],
                    "head_commit": {"id": sha, "timestamp": "2024-11-13T13:42:28Z"},
                },
            },
            **base,
            "expected": {
                "version": {"main": "20241113-134228", "partial": [], "latest": False},
                "tags": ["user/app:20241113-134228"],
                "labels": labels,
            },
        },
    ]
    return inputs_cases, commit_cases


def write(name: str, cases: list) -> None:
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(cases, indent=2, ensure_ascii=False) + "\n")
    print(f"{path.relative_to(OUT.parent.parent)}: {len(cases)} cases")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta = evaluate(tables(UP / "meta.test.ts"))
    total = 0
    raw = meta.pop("isRawStatement")[0]
    write(
        "meta-isRawStatement",
        [
            {
                "name": f"meta/isRawStatement/{i:02}",
                "kind": "is_raw_statement",
                "source": f"meta.test.ts isRawStatement {p!r}",
                "pattern": p,
                "expected": e,
            }
            for i, (p, e) in enumerate(raw)
        ],
    )
    total += len(raw)
    for table, arrays in meta.items():
        cases = [meta_case(table, row) for rows in arrays for row in rows]
        write(f"meta-{table}", cases)
        total += len(cases)

    inputs_cases, commit_cases = context_cases(evaluate(tables(UP / "context.test.ts")))
    write("context-getInputs", inputs_cases)
    write("context-getContext", commit_cases)
    total += len(inputs_cases) + len(commit_cases)

    invalid = []
    tag = evaluate(tables(UP / "tag.test.ts"))
    invalid += error_cases("tag.test.ts", "transform", "tags", tag["transform"][0], single=False)
    invalid += error_cases("tag.test.ts", "parse", "tags", tag["parse"][0], single=True)
    flavor = evaluate(tables(UP / "flavor.test.ts"))
    invalid += error_cases("flavor.test.ts", "transform", "flavor", flavor["transform"][0], single=False)
    image = evaluate(tables(UP / "image.test.ts"))
    invalid += error_cases("image.test.ts", "transform", "images", image["transform"][0], single=False)
    write("invalid-inputs", invalid)
    total += len(invalid)
    print(f"total: {total} cases")


if __name__ == "__main__":
    main()
