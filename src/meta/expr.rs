//! metadata-action's expressions: handlebars templates rendered over its helper objects.
//!
//! [`Scope`] is the global-expression object (`{{branch}}`, `{{tag}}`, `{{sha}}`, `{{base_ref}}`,
//! `{{is_default_branch}}`, `{{is_not_default_branch}}`, `{{date}}`, `{{commit_date}}`) that
//! metadata-action's `setGlobalExp` builds; the schedule pattern sees only the two date helpers;
//! semver patterns see node-semver's `SemVer` object; pep440 patterns see five functions. The
//! helpers reproduce the JS functions' argument handling, including the ways they throw. Pure.

use serde_json::Value as Json;

use super::{GitContext, Knobs};
use crate::js::handlebars::{self as hb, NoFunctions, Options, Value};
use crate::js::{jsnum, moment, pep440, semver};

/// An expression that failed: a handlebars parse error or a helper that threw.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExprError(pub String);

impl From<hb::TemplateError> for ExprError {
    fn from(e: hb::TemplateError) -> Self {
        Self(e.to_string())
    }
}

// Function ids of the global helper object, in metadata-action's property order.
const BRANCH: u32 = 0;
const TAG: u32 = 1;
const SHA: u32 = 2;
const BASE_REF: u32 = 3;
const COMMIT_DATE: u32 = 4;
const IS_DEFAULT_BRANCH: u32 = 5;
const IS_NOT_DEFAULT_BRANCH: u32 = 6;
const DATE: u32 = 7;

/// The global expression object.
pub struct Scope<'a> {
    context: &'a GitContext,
    knobs: &'a Knobs,
    now_ms: f64,
}

impl<'a> Scope<'a> {
    /// Builds the scope over a context, the env knobs and the frozen clock.
    pub fn new(context: &'a GitContext, knobs: &'a Knobs, now_ms: f64) -> Self {
        Self {
            context,
            knobs,
            now_ms,
        }
    }

    /// `setGlobalExp(src)`.
    pub fn render(&self, src: &str) -> Result<String, ExprError> {
        let root = Value::object(vec![
            (String::from("branch"), Value::Function(BRANCH)),
            (String::from("tag"), Value::Function(TAG)),
            (String::from("sha"), Value::Function(SHA)),
            (String::from("base_ref"), Value::Function(BASE_REF)),
            (String::from("commit_date"), Value::Function(COMMIT_DATE)),
            (
                "is_default_branch".into(),
                Value::Function(IS_DEFAULT_BRANCH),
            ),
            (
                "is_not_default_branch".into(),
                Value::Function(IS_NOT_DEFAULT_BRANCH),
            ),
            (String::from("date"), Value::Function(DATE)),
        ]);
        Ok(hb::render(src, &root, self)?)
    }

    /// A schedule pattern: only `date` and `commit_date` exist there.
    pub fn render_dates_only(&self, src: &str) -> Result<String, ExprError> {
        let root = Value::object(vec![
            (String::from("date"), Value::Function(DATE)),
            (String::from("commit_date"), Value::Function(COMMIT_DATE)),
        ]);
        Ok(hb::render(src, &root, self)?)
    }

    fn ref_after(&self, prefix: &str) -> String {
        self.context
            .git_ref
            .as_deref()
            .and_then(|r| r.strip_prefix(prefix))
            .unwrap_or_default()
            .to_owned()
    }

    /// metadata-action's `Meta.shortSha(context.sha)`.
    pub fn short_sha(&self) -> Result<String, ExprError> {
        let Some(sha) = self.context.sha.as_deref() else {
            return Err(ExprError(
                "Cannot read properties of undefined (reading 'length'): GITHUB_SHA is not set"
                    .into(),
            ));
        };
        let mut len = 7.0_f64;
        if let Some(raw) = self.knobs.short_sha_length.as_deref() {
            let n = jsnum::js_number(raw);
            if n.is_nan() {
                return Err(ExprError(format!(
                    "DOCKER_METADATA_SHORT_SHA_LENGTH is not a valid number: {raw}"
                )));
            }
            len = n;
        }
        // JS strings count UTF-16 units; a sha is ASCII, so bytes are units.
        #[allow(clippy::cast_precision_loss)]
        let total = sha.len() as f64;
        if len >= total {
            return Ok(sha.to_owned());
        }
        // `substring(0, len)`: NaN and negatives clamp to 0, fractions truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let end = if len > 0.0 { len.trunc() as usize } else { 0 };
        Ok(sha.get(..end).unwrap_or(sha).to_owned())
    }

    fn is_default_branch(&self) -> Result<bool, String> {
        let Some(git_ref) = self.context.git_ref.as_deref() else {
            return Err(
                "Cannot read properties of undefined (reading 'replace'): GITHUB_REF is not set"
                    .into(),
            );
        };
        let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
        if branch.is_empty() {
            return Ok(false);
        }
        let default = self
            .context
            .payload
            .get("repository")
            .and_then(|r| r.get("default_branch"));
        if default.is_some_and(|d| loose_equals_str(d, branch)) {
            return Ok(true);
        }
        let event = self.context.event_name.as_deref().unwrap_or("undefined");
        Ok(["create", "discussion", "issues", "schedule"]
            .iter()
            .any(|e| event.contains(e)))
    }

    fn base_ref(&self) -> Result<Value, String> {
        let git_ref = self.context.git_ref.as_deref().unwrap_or("undefined");
        let payload = &self.context.payload;
        if git_ref.starts_with("refs/tags/") {
            match payload.get("base_ref") {
                None | Some(Json::Null) => {}
                Some(Json::String(s)) => {
                    return Ok(Value::String(
                        s.strip_prefix("refs/heads/").unwrap_or(s).to_owned(),
                    ));
                }
                Some(_) => return Err("context.payload.base_ref.replace is not a function".into()),
            }
        }
        if git_ref.starts_with("refs/pull/")
            && let Some(v) = payload
                .get("pull_request")
                .and_then(|p| p.get("base"))
                .and_then(|b| b.get("ref"))
                .filter(|v| !v.is_null())
        {
            return Ok(json_value(v));
        }
        Ok(Value::String(String::new()))
    }

    /// metadata-action's `date`/`commit_date` helper: `function (format, options)`.
    fn date(at_ms: f64, args: &[Value], options: Option<&Options>) -> Result<Value, String> {
        // The JS arguments: the params, then the options object when called as a helper.
        let mut js_args: Vec<Value> = args.to_vec();
        if let Some(o) = options {
            js_args.push(Value::object(o.hash.clone()));
        }
        let format = js_args.first().cloned().unwrap_or(Value::Undefined);
        let hash_keys: Vec<(String, Value)> = match (args.len(), options, js_args.get(1)) {
            // (format, options): the normal call.
            (1, Some(o), _) => o.hash.clone(),
            // `Object.keys(x.hash)` where `x` is a param: primitives have no `hash`.
            (_, _, None | Some(Value::Undefined | Value::Null)) => {
                return Err("Cannot read properties of undefined (reading 'hash')".into());
            }
            (_, _, Some(_)) => {
                return Err("Cannot convert undefined or null to object".into());
            }
        };
        let mut tz: Value = Value::String("UTC".into());
        for (key, value) in hash_keys {
            if key == "tz" {
                tz = value;
            } else {
                return Err(format!("Unknown {key} attribute"));
            }
        }
        let zone = match &tz {
            Value::String(name) => {
                moment::resolve_helper_zone(name)
                    .map_err(|e| e.js_message().to_owned())?
                    .zone
            }
            Value::Undefined | Value::Null | Value::Bool(false) => {
                return Err("Cannot read properties of undefined (reading 'format')".into());
            }
            Value::Number(n) if *n == 0.0 || n.is_nan() => {
                return Err("Cannot read properties of undefined (reading 'format')".into());
            }
            other => {
                return Err(format!(
                    "Time zone name must be a string, got {}",
                    hb::js_to_string(other)
                ));
            }
        };
        // moment's `format()` uses its default format for a falsy argument.
        let fmt = match &format {
            Value::String(s) => s.clone(),
            Value::Undefined | Value::Null | Value::Bool(false) => String::new(),
            Value::Number(n) if *n == 0.0 || n.is_nan() => String::new(),
            _ => return Err("format.replace is not a function".into()),
        };
        moment::format(at_ms, &zone, &fmt)
            .map(Value::String)
            .map_err(|e| e.js_message().to_owned())
    }
}

/// JS `payload.repository.default_branch == branch` (loose equality against a string).
fn loose_equals_str(v: &Json, s: &str) -> bool {
    match v {
        Json::String(x) => x == s,
        Json::Number(n) => n
            .as_f64()
            .is_some_and(|f| jsnum::js_number(s).total_cmp(&f).is_eq()),
        Json::Bool(b) => jsnum::js_number(s)
            .total_cmp(&f64::from(u8::from(*b)))
            .is_eq(),
        _ => false,
    }
}

/// A JSON payload value as a template value.
fn json_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::array(a.iter().map(json_value).collect()),
        Json::Object(o) => Value::object(o.iter().map(|(k, v)| (k.clone(), json_value(v)))),
    }
}

impl hb::Scope for Scope<'_> {
    fn call(&self, id: u32, args: &[Value], options: Option<&Options>) -> Result<Value, String> {
        let s = |v: String| Ok(Value::String(v));
        match id {
            BRANCH => s(self.ref_after("refs/heads/")),
            TAG => s(self.ref_after("refs/tags/")),
            SHA => self.short_sha().map(Value::String).map_err(|e| e.0),
            BASE_REF => self.base_ref(),
            COMMIT_DATE => Self::date(self.context.commit_date_ms, args, options),
            IS_DEFAULT_BRANCH => s(self.is_default_branch()?.to_string()),
            IS_NOT_DEFAULT_BRANCH => s((!self.is_default_branch()?).to_string()),
            DATE => Self::date(self.now_ms, args, options),
            _ => Ok(Value::Undefined),
        }
    }

    /// `is_not_default_branch` calls `this.is_default_branch()`: inside a block whose context
    /// changed, `this` has no such function and JavaScript throws.
    fn call_with_this(
        &self,
        id: u32,
        this: &Value,
        args: &[Value],
        options: Option<&Options>,
    ) -> Result<Value, String> {
        if id != IS_NOT_DEFAULT_BRANCH {
            return self.call(id, args, options);
        }
        let own = match this {
            Value::Object(o) => o
                .entries
                .iter()
                .find(|(k, _)| k == "is_default_branch")
                .map(|(_, v)| v.clone()),
            _ => None,
        };
        match own {
            Some(Value::Function(f)) => {
                let is_default = self.call_with_this(f, this, &[], None)?;
                Ok(Value::string(
                    if matches!(&is_default, Value::String(s) if s == "false") {
                        "true"
                    } else {
                        "false"
                    },
                ))
            }
            _ => Err("this.is_default_branch is not a function".to_owned()),
        }
    }
}

/// node-semver's `SemVer` object as handlebars sees it (own properties only).
pub fn semver_value(v: &semver::SemVer) -> Value {
    #[allow(clippy::cast_precision_loss)]
    let num = |n: u64| Value::Number(n as f64);
    let ident = |i: &semver::Ident| match i {
        #[allow(clippy::cast_precision_loss)]
        semver::Ident::Num(n) => Value::Number(*n as f64),
        semver::Ident::Str(s) => Value::String(s.clone()),
    };
    Value::object_with_to_string(
        vec![
            (
                String::from("options"),
                Value::object(vec![(String::from("loose"), Value::Bool(true))]),
            ),
            (String::from("loose"), Value::Bool(v.loose)),
            (
                "includePrerelease".into(),
                Value::Bool(v.include_prerelease),
            ),
            (String::from("raw"), Value::String(v.raw.clone())),
            (String::from("major"), num(v.major)),
            (String::from("minor"), num(v.minor)),
            (String::from("patch"), num(v.patch)),
            (
                "prerelease".into(),
                Value::array(v.prerelease.iter().map(ident).collect()),
            ),
            (
                "build".into(),
                Value::array(v.build.iter().map(|b| Value::String(b.clone())).collect()),
            ),
            (String::from("version"), Value::String(v.version.clone())),
        ],
        // SemVer's toString is its version: `{{this}}` renders it.
        v.version.clone(),
    )
}

/// Renders a template over a plain value (the semver object).
pub fn render_with(src: &str, root: &Value) -> Result<String, ExprError> {
    Ok(hb::render(src, root, &NoFunctions)?)
}

/// The pep440 pattern's functions over one version string.
struct Pep440Scope<'a>(&'a str);

const P_RAW: u32 = 0;
const P_VERSION: u32 = 1;
const P_MAJOR: u32 = 2;
const P_MINOR: u32 = 3;
const P_PATCH: u32 = 4;

impl hb::Scope for Pep440Scope<'_> {
    fn call(&self, id: u32, _: &[Value], _: Option<&Options>) -> Result<Value, String> {
        let num =
            |n: Option<pep440::JsNumber>| n.map_or(Value::Null, |n| Value::Number(n.as_f64()));
        Ok(match id {
            P_RAW => Value::String(self.0.to_owned()),
            P_VERSION => pep440::clean(self.0).map_or(Value::Null, Value::String),
            P_MAJOR => num(pep440::major(self.0)),
            P_MINOR => num(pep440::minor(self.0)),
            P_PATCH => num(pep440::patch(self.0)),
            _ => Value::Undefined,
        })
    }
}

/// Renders a pep440 pattern (`{{raw}}`, `{{version}}`, `{{major}}`, `{{minor}}`, `{{patch}}`).
pub fn render_pep440(src: &str, vraw: &str) -> Result<String, ExprError> {
    let root = Value::object(vec![
        (String::from("raw"), Value::Function(P_RAW)),
        (String::from("version"), Value::Function(P_VERSION)),
        (String::from("major"), Value::Function(P_MAJOR)),
        (String::from("minor"), Value::Function(P_MINOR)),
        (String::from("patch"), Value::Function(P_PATCH)),
    ]);
    Ok(hb::render(src, &root, &Pep440Scope(vraw))?)
}

/// metadata-action's `isRawStatement`: the pattern is exactly one `{{raw}}` mustache.
pub fn is_raw_statement(src: &str) -> bool {
    hb::is_raw_statement(src)
}
