//! Docs that are tests: the recipes in docs/usage.md's "Recipes" section are run as written.
//!
//! For each recipe (a `### ` heading with a ```` ```yaml ```` workflow), this test takes the one
//! step that `uses: <owner>/hoist@v0` and the first Markdown table after the workflow, in the shape
//! the section documents: first column the event (``push to `main` ``, ``tag `v1.2.3` ``,
//! ``pull request #42 from `feature/xyz` to `main` ``), then one column per `images` line in
//! backticks (`${{ matrix.NAME }}` written `<NAME>`), each cell the tags in output order, in
//! backticks, separated by `, ` (`none`: no tag). The commit and the clock are read from the
//! section's introduction (``commit `<sha>` ``, `SOURCE_DATE_EPOCH=<secs>`).
//!
//! For every event of the table, and every matrix entry, it checks that the workflow's `on:`
//! triggers allow the event, evaluates the step's GitHub expressions (`${{ … }}`, with a small
//! evaluator below: contexts `github.*`, `matrix.*`, `secrets.*`, `vars.*`; functions `contains`,
//! `startsWith`, `endsWith`, `format`; operators `==`, `!=`, `!`, `&&`, `||`, parentheses), runs the
//! hoist binary as the runner does (cleared environment, `GITHUB_*`, a recorded event payload, the
//! GitHub API a local stub, `INPUT_*`), and compares the `tags` output, image by image, with the
//! table. Then it pushes a generated image with the same step (`push: true`) to local registries
//! standing in for the team's (each image's registry host rewritten to a local one, listed in
//! `insecure-registries`; a registry with a `registry-auth` entry is an htpasswd registry with the
//! entry's evaluated credentials), and checks every tag of the table with skopeo.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use serde_norway::Value as Yaml;

use support::github::{GitHubStub, Recorded};
use support::images::{write_archive, write_layout};
use support::registry::{Kind, Registry, skopeo_digest};
use support::step::parse_file_commands;

/// The repository every recipe runs in (`GITHUB_REPOSITORY`); its default branch is `main`.
const REPO_OWNER: &str = "octo-org";
const REPO_NAME: &str = "octo-repo";
/// `github.actor`.
const ACTOR: &str = "octocat";
/// The token the runner gives (`github.token`, `secrets.GITHUB_TOKEN`).
const TOKEN: &str = "ghs_hoistFakeToken0123456789abcdefABCDEF";
/// How long one step may run.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// How many recipes the section holds: one per team (five) and the pull-request previews.
const RECIPES: usize = 6;

// ---------------------------------------------------------------------------------------------
// The Recipes section
// ---------------------------------------------------------------------------------------------

/// One recipe as the docs write it.
struct Recipe {
    /// The `### ` heading.
    title: String,
    /// The whole workflow.
    workflow: Yaml,
    /// The event table: header cells, then rows.
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// What the section's introduction fixes for every table.
struct Section {
    sha: String,
    epoch: String,
    recipes: Vec<Recipe>,
}

fn read_section() -> Section {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/usage.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = text
        .find("\n## Recipes\n")
        .expect("docs/usage.md has no `## Recipes` section");
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let section = &rest[..end];
    let intro_end = section.find("\n### ").unwrap_or(section.len());
    let intro = &section[..intro_end];
    let sha = after(intro, "commit `")
        .and_then(|s| s.split('`').next())
        .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("the Recipes introduction names no ``commit `<40 hex>` ``")
        .to_owned();
    let epoch = after(intro, "SOURCE_DATE_EPOCH=")
        .map(|s| {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .expect("the Recipes introduction names no `SOURCE_DATE_EPOCH=<secs>`");
    let mut recipes = Vec::new();
    for part in section[intro_end..].split("\n### ").skip(1) {
        let title = part.lines().next().unwrap_or_default().to_owned();
        let Some(yaml_start) = part.find("```yaml\n") else {
            continue;
        };
        let body = &part[yaml_start + "```yaml\n".len()..];
        let yaml_end = body
            .find("\n```")
            .unwrap_or_else(|| panic!("recipe `{title}`: the ```yaml block is not closed"));
        let workflow: Yaml = serde_norway::from_str(&body[..yaml_end])
            .unwrap_or_else(|e| panic!("recipe `{title}`: the workflow is not YAML: {e}"));
        let table: Vec<&str> = body[yaml_end + 4..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert!(
            table.len() >= 3,
            "recipe `{title}`: no event table (header, `|---|` line, rows) after the workflow"
        );
        let header = cells(table[0]);
        let rows: Vec<Vec<String>> = table[2..].iter().map(|l| cells(l)).collect();
        for (n, row) in rows.iter().enumerate() {
            assert_eq!(
                row.len(),
                header.len(),
                "recipe `{title}`: table row {} has {} cells, the header {}",
                n + 1,
                row.len(),
                header.len()
            );
        }
        recipes.push(Recipe {
            title,
            workflow,
            header,
            rows,
        });
    }
    assert_eq!(
        recipes.len(),
        RECIPES,
        "docs/usage.md's Recipes section should hold {RECIPES} recipes with a workflow, found: {:?}",
        recipes.iter().map(|r| &r.title).collect::<Vec<_>>()
    );
    Section {
        sha,
        epoch,
        recipes,
    }
}

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|i| &text[i + marker.len()..])
}

/// The cells of a Markdown table line, trimmed.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// The text inside the first pair of backticks.
fn backticked(cell: &str) -> Option<&str> {
    let rest = &cell[cell.find('`')? + 1..];
    Some(&rest[..rest.find('`')?])
}

/// A tag cell: `none`, or `` `a`, `b` ``.
fn tag_cell(title: &str, cell: &str) -> Vec<String> {
    if cell == "none" {
        return Vec::new();
    }
    cell.split(", ")
        .map(|t| {
            t.strip_prefix('`')
                .and_then(|t| t.strip_suffix('`'))
                .filter(|t| !t.is_empty() && !t.contains('`'))
                .unwrap_or_else(|| {
                    panic!(
                        "recipe `{title}`: the cell `{cell}` is not `none` nor `` `tag`, `tag` ``"
                    )
                })
                .to_owned()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Event {
    Push {
        branch: String,
    },
    Tag {
        tag: String,
    },
    PullRequest {
        number: u32,
        head: String,
        base: String,
    },
}

impl Event {
    fn parse(title: &str, cell: &str) -> Self {
        let words = |s: &str| -> Vec<String> {
            s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
        };
        let bad = || -> ! {
            panic!(
                "recipe `{title}`: event `{cell}` is none of ``push to `BRANCH` ``, ``tag `TAG` ``, \
                 ``pull request #N from `HEAD` to `BASE` ``"
            )
        };
        if cell.starts_with("push to `") {
            let w = words(cell);
            if w.len() != 1 {
                bad();
            }
            Self::Push {
                branch: w[0].clone(),
            }
        } else if cell.starts_with("tag `") {
            let w = words(cell);
            if w.len() != 1 {
                bad();
            }
            Self::Tag { tag: w[0].clone() }
        } else if let Some(rest) = cell.strip_prefix("pull request #") {
            let number = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| bad());
            let w = words(cell);
            if w.len() != 2 || !cell.contains(" from `") || !cell.contains("` to `") {
                bad();
            }
            Self::PullRequest {
                number,
                head: w[0].clone(),
                base: w[1].clone(),
            }
        } else {
            bad()
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Push { .. } | Self::Tag { .. } => "push",
            Self::PullRequest { .. } => "pull_request",
        }
    }

    fn git_ref(&self) -> String {
        match self {
            Self::Push { branch } => format!("refs/heads/{branch}"),
            Self::Tag { tag } => format!("refs/tags/{tag}"),
            Self::PullRequest { number, .. } => format!("refs/pull/{number}/merge"),
        }
    }

    fn ref_name(&self) -> String {
        match self {
            Self::Push { branch } => branch.clone(),
            Self::Tag { tag } => tag.clone(),
            Self::PullRequest { number, .. } => format!("{number}/merge"),
        }
    }

    /// The webhook payload, as GitHub sends it (the fields hoist and the recipes read).
    fn payload(&self, sha: &str) -> Json {
        let repository = json!({
            "name": REPO_NAME,
            "full_name": format!("{REPO_OWNER}/{REPO_NAME}"),
            "default_branch": "main",
            "owner": {"login": REPO_OWNER},
        });
        match self {
            Self::Push { .. } | Self::Tag { .. } => json!({
                "ref": self.git_ref(),
                "before": "0000000000000000000000000000000000000000",
                "after": sha,
                "base_ref": null,
                "head_commit": {"id": sha, "timestamp": "2026-11-20T08:55:00Z"},
                "repository": repository,
                "sender": {"login": ACTOR},
            }),
            Self::PullRequest { number, head, base } => json!({
                "action": "synchronize",
                "number": number,
                "pull_request": {
                    "number": number,
                    "head": {"ref": head, "sha": "3370e228f2209994d57af4427fe64e71bb79ac96",
                             "repo": {"full_name": format!("{REPO_OWNER}/{REPO_NAME}")}},
                    "base": {"ref": base, "sha": "a9c8c5828b91be19d9728548b24759e352367ef1",
                             "repo": {"full_name": format!("{REPO_OWNER}/{REPO_NAME}")}},
                },
                "repository": repository,
                "sender": {"login": ACTOR},
            }),
        }
    }
}

/// Whether the workflow's `on:` triggers run it for `event`.
fn triggered(on: &Yaml, event: &Event) -> bool {
    let filter = |trigger: &str, key: &str, name: &str| -> bool {
        match on.get(trigger) {
            None => false,
            Some(Yaml::Null) => true,
            Some(t) => match t.get(key) {
                None => {
                    // `push:` with only `tags:` does not run for branches, and the reverse.
                    let other = if key == "branches" {
                        "tags"
                    } else {
                        "branches"
                    };
                    trigger != "push" || t.get(other).is_none()
                }
                Some(Yaml::Sequence(globs)) => {
                    globs.iter().filter_map(Yaml::as_str).any(|g| glob(g, name))
                }
                Some(_) => false,
            },
        }
    };
    match event {
        Event::Push { branch } => filter("push", "branches", branch),
        Event::Tag { tag } => filter("push", "tags", tag),
        Event::PullRequest { base, .. } => filter("pull_request", "branches", base),
    }
}

/// GitHub's filter patterns, the part the recipes use: `*` (not across `/`), `**`, literals.
fn glob(pattern: &str, name: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("**") {
        return (0..=name.len()).any(|i| name.is_char_boundary(i) && glob(rest, &name[i..]));
    }
    if let Some(rest) = pattern.strip_prefix('*') {
        let max = name.find('/').unwrap_or(name.len());
        return (0..=max).any(|i| name.is_char_boundary(i) && glob(rest, &name[i..]));
    }
    match (pattern.chars().next(), name.chars().next()) {
        (None, None) => true,
        (Some(p), Some(n)) if p == n => glob(&pattern[p.len_utf8()..], &name[n.len_utf8()..]),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// GitHub expressions
// ---------------------------------------------------------------------------------------------

/// A value of GitHub's expression language.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Self::Null => false,
            Self::Bool(b) => *b,
            Self::Num(n) => *n != 0.0 && !n.is_nan(),
            Self::Str(s) => !s.is_empty(),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Bool(b) => b.to_string(),
            Self::Num(n) => n.to_string(),
            Self::Str(s) => s.clone(),
        }
    }

    fn number(&self) -> f64 {
        match self {
            Self::Null => 0.0,
            Self::Bool(b) => f64::from(u8::from(*b)),
            Self::Num(n) => *n,
            Self::Str(s) if s.trim().is_empty() => 0.0,
            Self::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
        }
    }

    /// `==`: strings compare ignoring case; different types compare as numbers.
    fn loose_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Str(a), Self::Str(b)) => a.to_lowercase() == b.to_lowercase(),
            (Self::Null, Self::Null) => true,
            (Self::Bool(a), Self::Bool(b)) => a == b,
            _ => {
                let (a, b) = (self.number(), other.number());
                a == b
            }
        }
    }

    fn from_json(v: &Json) -> Self {
        match v {
            Json::Null | Json::Array(_) | Json::Object(_) => Self::Null,
            Json::Bool(b) => Self::Bool(*b),
            Json::Number(n) => Self::Num(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) => Self::Str(s.clone()),
        }
    }
}

/// What the expressions of one run see.
struct Contexts<'a> {
    event: &'a Event,
    sha: &'a str,
    payload: Json,
    matrix: &'a BTreeMap<String, String>,
    secrets: &'a BTreeMap<String, String>,
}

impl Contexts<'_> {
    fn lookup(&self, path: &str) -> Result<Value, String> {
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        let from_map = |m: &BTreeMap<String, String>| {
            m.get(rest).map_or(Value::Null, |v| Value::Str(v.clone()))
        };
        match head {
            "matrix" => match self.matrix.get(rest) {
                Some(v) => Ok(Value::Str(v.clone())),
                None => Err(format!("`{path}`: the matrix has no `{rest}`")),
            },
            "secrets" => Ok(from_map(self.secrets)),
            "vars" => Ok(Value::Null),
            "github" => {
                let s = |v: &str| Ok(Value::Str(v.to_owned()));
                match rest {
                    "ref" => s(&self.event.git_ref()),
                    "ref_name" => s(&self.event.ref_name()),
                    "event_name" => s(self.event.name()),
                    "sha" => s(self.sha),
                    "actor" => s(ACTOR),
                    "repository" => s(&format!("{REPO_OWNER}/{REPO_NAME}")),
                    "repository_owner" => s(REPO_OWNER),
                    "token" => s(TOKEN),
                    "head_ref" | "base_ref" => match self.event {
                        Event::PullRequest { head, base, .. } => {
                            s(if rest == "head_ref" { head } else { base })
                        }
                        _ => s(""),
                    },
                    _ => match rest.strip_prefix("event.") {
                        Some(p) => Ok(p
                            .split('.')
                            .try_fold(&self.payload, |v, k| v.get(k))
                            .map_or(Value::Null, Value::from_json)),
                        None => Err(format!("`{path}`: this evaluator knows no such context")),
                    },
                }
            }
            _ => Err(format!("`{path}`: unknown context `{head}`")),
        }
    }

    /// Replaces every `${{ expr }}` in `text` by its value.
    fn interpolate(&self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let expr_and_more = &rest[i + 3..];
            let end = closing(expr_and_more)
                .ok_or_else(|| format!("`{}`: no closing `}}}}`", &rest[i..]))?;
            let value = self.eval(&expr_and_more[..end])?;
            out.push_str(&value.text());
            rest = &expr_and_more[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn eval(&self, expr: &str) -> Result<Value, String> {
        let tokens = tokenize(expr)?;
        let mut p = Parser {
            tokens: &tokens,
            pos: 0,
            ctx: self,
        };
        let v = p.or()?;
        if p.pos != tokens.len() {
            return Err(format!("`{expr}`: unexpected {:?}", tokens[p.pos]));
        }
        Ok(v)
    }
}

/// The offset of the `}}` closing an expression (outside string literals).
fn closing(text: &str) -> Option<usize> {
    let mut in_string = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => in_string = !in_string,
            b'}' if !in_string && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    Open,
    Close,
    Comma,
    Not,
    Eq,
    Ne,
    And,
    Or,
}

fn tokenize(expr: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => (out.push(Token::Open), i += 1).1,
            ')' => (out.push(Token::Close), i += 1).1,
            ',' => (out.push(Token::Comma), i += 1).1,
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("`{expr}`: unterminated string")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
            }
            _ if two == "==" => (out.push(Token::Eq), i += 2).1,
            _ if two == "!=" => (out.push(Token::Ne), i += 2).1,
            _ if two == "&&" => (out.push(Token::And), i += 2).1,
            _ if two == "||" => (out.push(Token::Or), i += 2).1,
            '!' => (out.push(Token::Not), i += 1).1,
            _ if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                out.push(Token::Num(
                    s.parse().map_err(|_| format!("`{expr}`: bad number {s}"))?,
                ));
            }
            _ if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            _ => return Err(format!("`{expr}`: unexpected character `{c}`")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    ctx: &'a Contexts<'a>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn expect(&mut self, t: &Token) -> Result<(), String> {
        if self.peek() == Some(t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {t:?}, found {:?}", self.peek()))
        }
    }

    /// `||` returns the first truthy operand, else the last one.
    fn or(&mut self) -> Result<Value, String> {
        let mut v = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            let rhs = self.and()?;
            if !v.truthy() {
                v = rhs;
            }
        }
        Ok(v)
    }

    /// `&&` returns the first falsy operand, else the last one.
    fn and(&mut self) -> Result<Value, String> {
        let mut v = self.cmp()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            let rhs = self.cmp()?;
            if v.truthy() {
                v = rhs;
            }
        }
        Ok(v)
    }

    fn cmp(&mut self) -> Result<Value, String> {
        let lhs = self.unary()?;
        match self.peek() {
            Some(Token::Eq) => {
                self.pos += 1;
                Ok(Value::Bool(lhs.loose_eq(&self.unary()?)))
            }
            Some(Token::Ne) => {
                self.pos += 1;
                Ok(Value::Bool(!lhs.loose_eq(&self.unary()?)))
            }
            _ => Ok(lhs),
        }
    }

    fn unary(&mut self) -> Result<Value, String> {
        if self.peek() == Some(&Token::Not) {
            self.pos += 1;
            return Ok(Value::Bool(!self.unary()?.truthy()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Value, String> {
        let token = self.peek().cloned().ok_or("unexpected end of expression")?;
        self.pos += 1;
        match token {
            Token::Str(s) => Ok(Value::Str(s)),
            Token::Num(n) => Ok(Value::Num(n)),
            Token::Open => {
                let v = self.or()?;
                self.expect(&Token::Close)?;
                Ok(v)
            }
            Token::Ident(name) => match name.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                "null" => Ok(Value::Null),
                _ if self.peek() == Some(&Token::Open) => {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.peek() != Some(&Token::Close) {
                        loop {
                            args.push(self.or()?);
                            if self.peek() == Some(&Token::Comma) {
                                self.pos += 1;
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect(&Token::Close)?;
                    call(&name, &args)
                }
                _ => self.ctx.lookup(&name),
            },
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let two = |f: fn(&str, &str) -> bool| -> Result<Value, String> {
        match args {
            [a, b] => Ok(Value::Bool(f(
                &a.text().to_lowercase(),
                &b.text().to_lowercase(),
            ))),
            _ => Err(format!("`{name}` takes 2 arguments, got {}", args.len())),
        }
    };
    match name.to_lowercase().as_str() {
        "contains" => two(|a, b| a.contains(b)),
        "startswith" => two(|a, b| a.starts_with(b)),
        "endswith" => two(|a, b| a.ends_with(b)),
        "format" => {
            let (fmt, rest) = args.split_first().ok_or("`format` needs a format string")?;
            let fmt = fmt.text();
            let mut out = String::new();
            let mut chars = fmt.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '{' if chars.peek() == Some(&'{') => {
                        chars.next();
                        out.push('{');
                    }
                    '}' if chars.peek() == Some(&'}') => {
                        chars.next();
                        out.push('}');
                    }
                    '{' => {
                        let n: String = chars.by_ref().take_while(|&c| c != '}').collect();
                        let i: usize = n.parse().map_err(|_| format!("format: `{{{n}}}`"))?;
                        out.push_str(&rest.get(i).ok_or("format: missing argument")?.text());
                    }
                    _ => out.push(c),
                }
            }
            Ok(Value::Str(out))
        }
        _ => Err(format!("`{name}()`: this evaluator knows no such function")),
    }
}

// ---------------------------------------------------------------------------------------------
// The hoist step
// ---------------------------------------------------------------------------------------------

/// The one `<owner>/hoist@v0` step of a workflow and its job's matrix entries.
struct HoistStep {
    with: Vec<(String, String)>,
    matrix: Vec<BTreeMap<String, String>>,
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn hoist_step(recipe: &Recipe) -> HoistStep {
    let title = &recipe.title;
    let jobs = recipe
        .workflow
        .get("jobs")
        .and_then(Yaml::as_mapping)
        .unwrap_or_else(|| panic!("recipe `{title}`: no `jobs:`"));
    let mut found = Vec::new();
    for job in jobs.values() {
        let steps = job
            .get("steps")
            .and_then(Yaml::as_sequence)
            .unwrap_or_else(|| panic!("recipe `{title}`: a job without `steps:`"));
        for step in steps {
            let uses = step.get("uses").and_then(Yaml::as_str).unwrap_or_default();
            if uses.contains("/hoist@") {
                assert_eq!(
                    uses, "<owner>/hoist@v0",
                    "recipe `{title}`: the hoist step should be `uses: <owner>/hoist@v0`"
                );
                found.push((job, step));
            }
        }
    }
    assert_eq!(
        found.len(),
        1,
        "recipe `{title}`: expected one hoist step, found {}",
        found.len()
    );
    let (job, step) = found[0];
    let with = step
        .get("with")
        .and_then(Yaml::as_mapping)
        .unwrap_or_else(|| panic!("recipe `{title}`: the hoist step has no `with:`"))
        .iter()
        .map(|(k, v)| {
            let k = scalar(k).unwrap_or_else(|| panic!("recipe `{title}`: a `with:` key"));
            let v =
                scalar(v).unwrap_or_else(|| panic!("recipe `{title}`: `with.{k}` is no scalar"));
            (k, v)
        })
        .collect();
    let mut matrix = vec![BTreeMap::new()];
    if let Some(m) = job.get("strategy").and_then(|s| s.get("matrix")) {
        let m = m
            .as_mapping()
            .unwrap_or_else(|| panic!("recipe `{title}`: `strategy.matrix` is no mapping"));
        for (k, values) in m {
            let k = scalar(k).unwrap_or_default();
            let values = values
                .as_sequence()
                .unwrap_or_else(|| panic!("recipe `{title}`: `matrix.{k}` is no list"));
            matrix = matrix
                .iter()
                .flat_map(|entry| {
                    values.iter().map(|v| {
                        let mut e = entry.clone();
                        e.insert(k.clone(), scalar(v).unwrap_or_default());
                        e
                    })
                })
                .collect();
        }
    }
    HoistStep { with, matrix }
}

/// The secrets a run sees (`secrets.GITHUB_TOKEN` is the runner's token).
fn secrets() -> BTreeMap<String, String> {
    let mut s = BTreeMap::new();
    s.insert("GITHUB_TOKEN".to_owned(), TOKEN.to_owned());
    for name in [
        "DOCKERHUB_USERNAME",
        "DOCKERHUB_TOKEN",
        "DOCKER_USERNAME",
        "DOCKER_TOKEN",
        "DOCKER_HUB_USERNAME",
        "DOCKER_HUB_TOKEN",
        "DO_REGISTRY_TOKEN",
    ] {
        s.insert(name.to_owned(), format!("{}-value", name.to_lowercase()));
    }
    s
}

/// One run of the binary as the runner runs a step.
struct StepRun {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    outputs: Vec<(String, String)>,
}

impl StepRun {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn transcript(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status.code(),
            self.stdout,
            self.stderr
        )
    }
}

/// Runs hoist for `event` with `inputs`, the file `archive` copied into the workspace at
/// `source_path` (relative).
fn run_step(
    api_url: &str,
    sha: &str,
    epoch: &str,
    event: &Event,
    inputs: &[(String, String)],
    source: Option<(&Path, &str)>,
) -> StepRun {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let workspace = root.join("workspace");
    let home = root.join("home");
    let runner_temp = root.join("runner-temp");
    for d in [&workspace, &home, &runner_temp] {
        std::fs::create_dir_all(d).unwrap();
    }
    if let Some((archive, path)) = source {
        let to = workspace.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(archive, &to).unwrap();
    }
    let output_file = root.join("set_output");
    let event_path = root.join("event.json");
    std::fs::write(&event_path, event.payload(sha).to_string()).unwrap();
    #[allow(clippy::disallowed_methods)] // the test's own PATH, so `git` resolves
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_owned());
    let d = |p: &PathBuf| p.display().to_string();
    let mut vars: Vec<(String, String)> = [
        ("PATH", path),
        ("HOME", d(&home)),
        ("TZ", "UTC".to_owned()),
        ("CI", "true".to_owned()),
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_ACTOR", ACTOR.to_owned()),
        ("GITHUB_WORKFLOW", "image".to_owned()),
        ("GITHUB_ACTION", "__owner_hoist".to_owned()),
        ("GITHUB_RUN_ID", "1234567890".to_owned()),
        ("GITHUB_RUN_NUMBER", "42".to_owned()),
        ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
        ("GITHUB_API_URL", api_url.to_owned()),
        ("GITHUB_WORKSPACE", d(&workspace)),
        ("GITHUB_OUTPUT", d(&output_file)),
        ("GITHUB_ENV", d(&root.join("set_env"))),
        ("GITHUB_STEP_SUMMARY", d(&root.join("step_summary"))),
        ("GITHUB_EVENT_NAME", event.name().to_owned()),
        ("GITHUB_EVENT_PATH", d(&event_path)),
        ("GITHUB_REF", event.git_ref()),
        ("GITHUB_REF_NAME", event.ref_name()),
        ("GITHUB_SHA", sha.to_owned()),
        ("GITHUB_REPOSITORY", format!("{REPO_OWNER}/{REPO_NAME}")),
        ("RUNNER_TEMP", d(&runner_temp)),
        ("RUNNER_OS", "Linux".to_owned()),
        ("SOURCE_DATE_EPOCH", epoch.to_owned()),
        ("INPUT_CONTEXT", "workflow".to_owned()),
        ("INPUT_GITHUB-TOKEN", TOKEN.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Event::PullRequest { head, base, .. } = event {
        vars.push(("GITHUB_HEAD_REF".to_owned(), head.clone()));
        vars.push(("GITHUB_BASE_REF".to_owned(), base.clone()));
    }
    for f in ["set_output", "set_env", "step_summary"] {
        File::create(root.join(f)).unwrap();
    }
    for (name, value) in inputs {
        vars.push((
            format!("INPUT_{}", name.replace(' ', "_").to_uppercase()),
            value.clone(),
        ));
    }
    let (stdout_path, stderr_path) = (root.join("stdout"), root.join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(&workspace)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .expect("run the hoist binary");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > STEP_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the step ran for more than {STEP_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let output_text = read(&output_file);
    StepRun {
        status,
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
        outputs: parse_file_commands(&output_text)
            .unwrap_or_else(|e| panic!("$GITHUB_OUTPUT: {e}\n{output_text}")),
    }
}

fn api_stub() -> GitHubStub {
    GitHubStub::start(Recorded {
        owner: REPO_OWNER.to_owned(),
        name: REPO_NAME.to_owned(),
        repo: Some(json!({
            "id": 1, "name": REPO_NAME, "full_name": format!("{REPO_OWNER}/{REPO_NAME}"),
            "description": "docs recipes", "html_url": format!("https://github.com/{REPO_OWNER}/{REPO_NAME}"),
            "default_branch": "main", "license": {"spdx_id": "MIT"}, "owner": {"login": REPO_OWNER},
        })),
        commits: BTreeMap::new(),
    })
}

/// The lines of an `images` input (no attributes in the recipes).
fn image_lines(images: &str) -> Vec<String> {
    images
        .split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A table header cell as an image name for one matrix entry (`<NAME>` → `matrix.NAME`).
fn column_image(title: &str, cell: &str, matrix: &BTreeMap<String, String>) -> String {
    let mut image = backticked(cell)
        .unwrap_or_else(|| panic!("recipe `{title}`: header cell `{cell}` is not `image`"))
        .to_owned();
    for (k, v) in matrix {
        image = image.replace(&format!("<{k}>"), v);
    }
    image
}

/// One evaluated run: the inputs for `event` and matrix entry `matrix`.
fn evaluate(
    recipe: &Recipe,
    step: &HoistStep,
    event: &Event,
    sha: &str,
    matrix: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let ctx = Contexts {
        event,
        sha,
        payload: event.payload(sha),
        matrix,
        secrets,
    };
    step.with
        .iter()
        .map(|(k, v)| {
            let v = ctx.interpolate(v).unwrap_or_else(|e| {
                panic!(
                    "recipe `{}`, {event:?}, matrix {matrix:?}: `with.{k}`: {e}",
                    recipe.title
                )
            });
            (k.clone(), v)
        })
        .collect()
}

fn set(inputs: &mut Vec<(String, String)>, name: &str, value: &str) {
    inputs.retain(|(k, _)| k != name);
    inputs.push((name.to_owned(), value.to_owned()));
}

fn get<'a>(inputs: &'a [(String, String)], name: &str) -> &'a str {
    inputs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The archive's path in the workspace, from `source: oci-archive:PATH`.
fn archive_path(title: &str, source: &str) -> String {
    source
        .strip_prefix("oci-archive:")
        .unwrap_or_else(|| panic!("recipe `{title}`: `source: {source}` is not `oci-archive:FILE`"))
        .to_owned()
}

/// A generated multi-platform image, as an OCI archive; `seed` makes its content (and digest).
fn image_archive(dir: &Path, seed: u64) -> PathBuf {
    let layout = dir.join(format!("layout-{seed}"));
    write_layout(&layout, seed, true);
    let archive = dir.join(format!("image-{seed}.tar"));
    write_archive(&layout, &archive);
    archive
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// Every recipe's table equals what its hoist step computes, event by event, image by image.
#[test]
fn every_recipe_table_is_what_hoist_computes() {
    let section = read_section();
    let stub = api_stub();
    let secrets = secrets();
    let scratch = tempfile::tempdir().unwrap();
    let archive = image_archive(scratch.path(), 16);
    let mut failures = String::new();
    let mut runs = 0;
    for recipe in &section.recipes {
        let title = &recipe.title;
        let step = hoist_step(recipe);
        let on = recipe
            .workflow
            .get("on")
            .unwrap_or_else(|| panic!("recipe `{title}`: no `on:`"));
        for row in &recipe.rows {
            let event = Event::parse(title, &row[0]);
            if !triggered(on, &event) {
                let _ = writeln!(
                    failures,
                    "recipe `{title}`: the table has `{}`, which the workflow's `on:` never runs for",
                    row[0]
                );
                continue;
            }
            for matrix in &step.matrix {
                let mut inputs = evaluate(recipe, &step, &event, &section.sha, matrix, &secrets);
                let push = get(&inputs, "push");
                if !["", "true", "false"].contains(&push) {
                    let _ = writeln!(
                        failures,
                        "recipe `{title}`, event `{}`: `push` evaluates to `{push}`, not `true` or `false`",
                        row[0]
                    );
                }
                // Never to the teams' registries: the push is checked against local ones below.
                set(&mut inputs, "push", "false");
                let source = archive_path(title, get(&inputs, "source"));
                let run = run_step(
                    &stub.url(),
                    &section.sha,
                    &section.epoch,
                    &event,
                    &inputs,
                    Some((&archive, &source)),
                );
                runs += 1;
                let at = format!("recipe `{title}`, event `{}`, matrix {matrix:?}", row[0]);
                if !run.status.success() {
                    let _ = writeln!(failures, "{at}: hoist failed\n{}", run.transcript());
                    continue;
                }
                let images = image_lines(get(&inputs, "images"));
                let columns: Vec<String> = recipe.header[1..]
                    .iter()
                    .map(|c| column_image(title, c, matrix))
                    .collect();
                if columns != images {
                    let _ = writeln!(
                        failures,
                        "{at}: the table's columns {columns:?} are not the step's images {images:?}"
                    );
                    continue;
                }
                let tags = run.output("tags");
                for (image, cell) in columns.iter().zip(&row[1..]) {
                    let want = tag_cell(title, cell);
                    let got: Vec<String> = tags
                        .lines()
                        .filter_map(|t| t.rsplit_once(':'))
                        .filter(|(i, _)| i == image)
                        .map(|(_, t)| t.to_owned())
                        .collect();
                    if got != want {
                        let _ = writeln!(
                            failures,
                            "{at}, image `{image}`: the table says {want:?}, hoist gives {got:?}{}",
                            differing(&want, &got)
                        );
                    }
                }
            }
        }
    }
    assert!(runs > 0, "no recipe was run");
    assert!(
        failures.is_empty(),
        "docs/usage.md's recipes differ from hoist:\n{failures}"
    );
}

/// The tags in one list and not in the other, for the failure message.
fn differing(want: &[String], got: &[String]) -> String {
    let missing: Vec<&String> = want.iter().filter(|t| !got.contains(t)).collect();
    let extra: Vec<&String> = got.iter().filter(|t| !want.contains(t)).collect();
    let mut s = String::new();
    if !missing.is_empty() {
        let _ = write!(s, "; not produced: {missing:?}");
    }
    if !extra.is_empty() {
        let _ = write!(s, "; not in the table: {extra:?}");
    }
    if missing.is_empty() && extra.is_empty() {
        s.push_str("; same tags, another order");
    }
    s
}

/// The registry host of an image name and its path (`sighadd/app` → `docker.io`, `sighadd/app`).
fn split_image(image: &str) -> (String, String) {
    match image.split_once('/') {
        Some((host, path)) if host.contains(['.', ':']) || host == "localhost" => {
            (host.to_owned(), path.to_owned())
        }
        Some(_) => ("docker.io".to_owned(), image.to_owned()),
        None => ("docker.io".to_owned(), format!("library/{image}")),
    }
}

/// One local registry standing in for a team's registry.
struct Stand {
    registry: Registry,
    creds: Option<(String, String)>,
}

/// Every recipe's step pushes to local registries standing in for the team's, and every tag of
/// its table is there, on every registry, with the pushed digest.
#[test]
fn every_recipe_pushes_every_tag_of_its_table() {
    let section = read_section();
    let stub = api_stub();
    let secrets = secrets();
    let scratch = tempfile::tempdir().unwrap();
    // One image per table row, so that a tag an earlier event left behind cannot pass for one
    // this event should have moved.
    let archives: Vec<PathBuf> = (0..8)
        .map(|seed| image_archive(scratch.path(), 101 + 2 * seed))
        .collect();
    let mut failures = String::new();
    let mut checked = 0;
    let mut with_auth = 0;
    for recipe in &section.recipes {
        let title = &recipe.title;
        let step = hoist_step(recipe);
        // The registries, from the first matrix entry and the first event (the hosts are the
        // same for every entry), with the credentials the step gives each.
        let first = Event::parse(title, &recipe.rows[0][0]);
        let inputs = evaluate(
            recipe,
            &step,
            &first,
            &section.sha,
            &step.matrix[0],
            &secrets,
        );
        let auth: Vec<Yaml> = match get(&inputs, "registry-auth") {
            "" => Vec::new(),
            text => serde_norway::from_str(text).unwrap_or_else(|e| {
                panic!("recipe `{title}`: `registry-auth` is no YAML list: {e}")
            }),
        };
        let entry_host = |e: &Yaml| {
            e.get("registry")
                .and_then(Yaml::as_str)
                .unwrap_or("docker.io")
                .to_owned()
        };
        let mut stands: BTreeMap<String, Stand> = BTreeMap::new();
        for image in image_lines(get(&inputs, "images")) {
            let (host, _) = split_image(&image);
            if stands.contains_key(&host) {
                continue;
            }
            let creds = auth.iter().find(|e| entry_host(e) == host).map(|e| {
                let field = |k: &str| e.get(k).and_then(Yaml::as_str).unwrap_or("").to_owned();
                (field("username"), field("password"))
            });
            let registry = match &creds {
                Some((user, password)) => {
                    with_auth += 1;
                    Registry::start(&Kind::Htpasswd { user, password })
                }
                None => Registry::start(&Kind::Anonymous),
            };
            stands.insert(host, Stand { registry, creds });
        }
        let insecure: Vec<String> = stands.values().map(|s| s.registry.host()).collect();
        assert!(
            recipe.rows.len() <= archives.len(),
            "recipe `{title}`: more rows than generated images"
        );
        for (row, archive) in recipe.rows.iter().zip(&archives) {
            let event = Event::parse(title, &row[0]);
            for matrix in &step.matrix {
                let at = format!("recipe `{title}`, event `{}`, matrix {matrix:?}", row[0]);
                let mut inputs = evaluate(recipe, &step, &event, &section.sha, matrix, &secrets);
                let images = image_lines(get(&inputs, "images"));
                let local = |image: &str| {
                    let (host, path) = split_image(image);
                    format!("{}/{path}", stands[&host].registry.host())
                };
                let rewritten: Vec<String> = images.iter().map(|i| local(i)).collect();
                set(&mut inputs, "images", &rewritten.join("\n"));
                if !auth.is_empty() {
                    let entries: Vec<Yaml> = auth
                        .iter()
                        .map(|e| {
                            let mut e = e.as_mapping().cloned().unwrap_or_default();
                            let host = entry_host(&Yaml::Mapping(e.clone()));
                            let local_host = stands.get(&host).map_or(host, |s| s.registry.host());
                            e.insert("registry".into(), local_host.into());
                            Yaml::Mapping(e)
                        })
                        .collect();
                    let text = serde_norway::to_string(&entries).unwrap();
                    // The evaluated secrets again: the step's own `registry-auth` text is only
                    // rewritten in its `registry` fields.
                    set(&mut inputs, "registry-auth", &text);
                }
                set(&mut inputs, "insecure-registries", &insecure.join("\n"));
                set(&mut inputs, "push", "true");
                let source = archive_path(title, get(&inputs, "source"));
                let run = run_step(
                    &stub.url(),
                    &section.sha,
                    &section.epoch,
                    &event,
                    &inputs,
                    Some((archive, &source)),
                );
                if !run.status.success() {
                    let _ = writeln!(failures, "{at}: the push failed\n{}", run.transcript());
                    continue;
                }
                let digest = run.output("digest").to_owned();
                let tags = run.output("tags");
                for (cell_image, cell) in recipe.header[1..].iter().zip(&row[1..]) {
                    let image = column_image(title, cell_image, matrix);
                    let (host, _) = split_image(&image);
                    let stand = &stands[&host];
                    let creds = stand.creds.as_ref().map(|(u, p)| format!("{u}:{p}"));
                    let extra: Vec<&str> = creds
                        .as_deref()
                        .map(|c| vec!["--creds", c])
                        .unwrap_or_default();
                    let want = tag_cell(title, cell);
                    let got: Vec<String> = tags
                        .lines()
                        .filter_map(|t| t.rsplit_once(':'))
                        .filter(|(i, _)| *i == local(&image))
                        .map(|(_, t)| t.to_owned())
                        .collect();
                    if got != want {
                        let _ = writeln!(
                            failures,
                            "{at}, image `{image}` (pushed): the table says {want:?}, hoist \
                             gives {got:?}{}",
                            differing(&want, &got)
                        );
                    }
                    for tag in want {
                        checked += 1;
                        let reference = format!("{}:{tag}", local(&image));
                        let got = skopeo_digest(&reference, &extra);
                        if got.as_deref() != Some(digest.as_str()) {
                            let _ = writeln!(
                                failures,
                                "{at}, image `{image}`, tag `{tag}`: skopeo reads {got:?} at \
                                 `{reference}`, hoist pushed {digest}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 0, "no tag was checked");
    assert!(with_auth > 0, "no recipe pushed with credentials");
    assert!(
        failures.is_empty(),
        "docs/usage.md's recipes do not push their tables' tags:\n{failures}"
    );
}

#[test]
fn the_evaluator_follows_github_semantics() {
    let event = Event::Tag {
        tag: "v1.2.3-RC1".to_owned(),
    };
    let mut matrix = BTreeMap::new();
    matrix.insert("service".to_owned(), "auth".to_owned());
    let secrets = secrets();
    let ctx = Contexts {
        event: &event,
        sha: "860c1904a1ce19322e91ac35af1ab07466440c37",
        payload: event.payload("860c1904a1ce19322e91ac35af1ab07466440c37"),
        matrix: &matrix,
        secrets: &secrets,
    };
    let eval = |e: &str| ctx.interpolate(e).unwrap();
    assert_eq!(eval("${{ contains(github.ref, '-rc') }}"), "true");
    assert_eq!(eval("${{ !contains(github.ref, '-') }}"), "false");
    assert_eq!(eval("${{ startsWith(github.ref, 'refs/tags/') }}"), "true");
    assert_eq!(eval("${{ endsWith(github.ref_name, 'rc1') }}"), "true");
    assert_eq!(eval("${{ github.event_name == 'PUSH' }}"), "true");
    assert_eq!(eval("${{ github.event_name != 'push' }}"), "false");
    assert_eq!(eval("a-${{ matrix.service }}-b"), "a-auth-b");
    assert_eq!(
        eval("${{ github.event_name == 'push' && 'yes' || 'no' }}"),
        "yes"
    );
    assert_eq!(eval("${{ github.head_ref || 'none' }}"), "none");
    assert_eq!(eval("${{ (false || github.sha) && '' }}"), "");
    assert_eq!(
        eval("${{ format('{0}/{1}', 'a', matrix.service) }}"),
        "a/auth"
    );
    assert_eq!(
        eval("${{ github.event.repository.default_branch }}"),
        "main"
    );
    assert_eq!(eval("${{ vars.UNSET }}"), "");
    assert_eq!(eval("${{ 'it''s' }}"), "it's");
    assert!(ctx.interpolate("${{ matrix.nope }}").is_err());
    assert!(ctx.interpolate("${{ runner.os }}").is_err());
    assert!(ctx.interpolate("${{ github.ref").is_err());
}

#[test]
fn triggers_and_globs() {
    let on: Yaml = serde_norway::from_str(
        "push:\n  branches: [main]\n  tags: ['v*']\npull_request:\n  branches: [main]\n",
    )
    .unwrap();
    let push = |b: &str| Event::Push {
        branch: b.to_owned(),
    };
    let tag = |t: &str| Event::Tag { tag: t.to_owned() };
    let pr = |base: &str| Event::PullRequest {
        number: 1,
        head: "x".to_owned(),
        base: base.to_owned(),
    };
    assert!(triggered(&on, &push("main")));
    assert!(!triggered(&on, &push("develop")));
    assert!(triggered(&on, &tag("v1.0.0")));
    assert!(!triggered(&on, &tag("1.0.0")));
    assert!(triggered(&on, &pr("main")));
    assert!(!triggered(&on, &pr("develop")));
    let tags_only: Yaml = serde_norway::from_str("push:\n  tags: ['v*']\n").unwrap();
    assert!(!triggered(&tags_only, &push("main")));
    assert!(!triggered(&tags_only, &pr("main")));
    let any_pr: Yaml = serde_norway::from_str("pull_request:\n").unwrap();
    assert!(triggered(&any_pr, &pr("anything")));
    assert!(glob("feature/**", "feature/a/b"));
    assert!(!glob("feature/*", "feature/a/b"));
}
