//! A faithful re-implementation of the part of JavaScript **handlebars 4.7.9** that
//! docker/metadata-action uses: `handlebars.compile(src)(context)` with default options, and
//! `handlebars.parseWithoutProcessing(src)` (for [`is_raw_statement`]).
//!
//! Owns: the lexer (the jison rules of `handlebars.l`, in order, first match wins), the grammar of
//! `handlebars.yy` (as a recursive-descent parser producing the same AST, including the AST
//! helpers' errors such as `Invalid path` and `x doesn't match y`), `WhitespaceControl`
//! (standalone lines and `~`), and the default runtime: how `javascript-compiler.js` classifies a
//! mustache (helper / ambiguous / simple), `container.lambda`, `lookupProperty` (own properties
//! only), `escapeExpression`, the default helpers (`if`, `unless`, `each`, `with`, `lookup`, `log`,
//! `helperMissing`, `blockHelperMissing`), block params, `../` depths, `@data` frames, inline
//! partials (`{{#*inline}}`), partial blocks and `@partial-block`.
//!
//! Must not: touch the environment, the clock, files or stdout (`{{log}}` prints nothing, and the
//! prototype-access warnings handlebars logs are not reproduced), or know what the JavaScript
//! functions in the context do: the caller implements them through [`Scope`].
//!
//! Parity: outputs and error messages (jison's `Parse error on line N:` with its position display
//! and `Expecting` list, handlebars' exceptions, and the `TypeError`s of the bundled, minified
//! code) were checked against the real handlebars 4.7.9 on thousands of generated templates.
//! Nesting deeper than [`MAX_NESTING`] is rejected (JavaScript would overflow its stack later).

mod checks;
mod lexer;
mod parser;
mod runtime;
#[cfg(test)]
mod tests;
mod value;
mod whitespace;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;

use checks::check_compile;
use parser::{Expr, Stmt, parse_template};
use runtime::Runtime;
use value::to_js_string;
use whitespace::strip_whitespace;

/// The deepest nesting of blocks, `{{else x}}` links, sub-expressions and partial blocks a
/// template may have (parse error beyond); rendering allows twice as many nested program calls
/// (a recursive inline partial fails with `Maximum call stack size exceeded`, as in JavaScript).
pub const MAX_NESTING: usize = 64;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// A JavaScript value as a template sees it.
///
/// Arrays and objects are shared (`Arc`) because JavaScript compares them by identity (handlebars
/// does, when deciding whether a block's context is a new `../` level); clone the `Arc` to put
/// the same object in two places.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (`-0`, `NaN` and the infinities included).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Arc<Vec<Value>>),
    /// A plain object, or a class instance seen through its own properties.
    Object(Arc<Object>),
    /// A JavaScript function, identified for the caller's [`Scope`].
    Function(u32),
}

/// The own enumerable properties of a JavaScript object, in insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    /// Own properties. Keys are unique (the first of duplicates wins). Integer-like keys are
    /// enumerated first, in ascending order, as JavaScript does.
    pub entries: Vec<(String, Value)>,
    /// What `String(obj)` gives when the object's class defines `toString` (node-semver's `SemVer`
    /// returns its `version`); `None` gives `[object Object]`.
    pub to_string: Option<String>,
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }

    /// An array value.
    pub fn array(items: Vec<Value>) -> Self {
        Value::Array(Arc::new(items))
    }

    /// A plain object from its own properties, in order.
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Object(Arc::new(Object {
            entries: entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            to_string: None,
        }))
    }

    /// An object whose class defines `toString` (see [`Object::to_string`]).
    pub fn object_with_to_string<K: Into<String>>(
        entries: impl IntoIterator<Item = (K, Value)>,
        to_string: impl Into<String>,
    ) -> Self {
        Value::Object(Arc::new(Object {
            entries: entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            to_string: Some(to_string.into()),
        }))
    }

    /// JavaScript truthiness (`!!value`).
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) | Value::Function(_) => true,
        }
    }

    fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// The `options` object handlebars passes as the last argument when it calls a context function
/// as a helper (`{{date 'YYYY' tz='UTC'}}`, or `{{date}}` alone).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// `options.name`: the helper's name as written (`date`, `a.b`).
    pub name: String,
    /// `options.hash`, in `Object.keys` order (handlebars builds it from the last pair to the
    /// first; for a repeated key the first pair's value wins).
    pub hash: Vec<(String, Value)>,
    /// Whether `options.fn`/`options.inverse` exist (a block call, `{{#name}}...{{/name}}`).
    pub block: bool,
}

/// The caller's JavaScript functions.
///
/// Handlebars calls a context function in two ways, and the difference is observable:
/// - as a value (`{{this.f}}`, `{{a.f}}`, `{{#if f}}`, `{{#with f}}`, `{{#each f}}`): no
///   arguments at all, `options` is `None`;
/// - as a helper (`{{f}}`, `{{f x}}`, `{{f tz='Y'}}`, `(f x)`, `{{#f}}`): the parameters, then
///   `options` (`Some`). So `{{date}}` runs `date(options)` and `{{date tz='X'}}` also runs
///   `date(options)`: JavaScript's `format` is the options object and `options` is `undefined`.
///
/// An `Err` fails the render with that message (a JavaScript exception).
pub trait Scope {
    /// Calls function `id` with the JavaScript arguments `args` followed by `options` if `Some`.
    fn call(&self, id: u32, args: &[Value], options: Option<&Options>) -> Result<Value, String>;

    /// Like [`Scope::call`], with the JavaScript receiver (`this`): the current context, or an
    /// empty object when the context is `null`/`undefined` and the call is a helper call.
    fn call_with_this(
        &self,
        id: u32,
        this: &Value,
        args: &[Value],
        options: Option<&Options>,
    ) -> Result<Value, String> {
        let _ = this;
        self.call(id, args, options)
    }

    /// An own property of function `id` (`length`, `name`, `prototype`): `{{f.length}}`.
    fn function_property(&self, id: u32, name: &str) -> Value {
        let _ = (id, name);
        Value::Undefined
    }

    /// `String(f)`: the function's source text.
    fn function_source(&self, id: u32) -> String {
        let _ = id;
        "function () { [native code] }".to_owned()
    }
}

/// A [`Scope`] for contexts without functions: any call returns `undefined`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFunctions;

impl Scope for NoFunctions {
    fn call(&self, _: u32, _: &[Value], _: Option<&Options>) -> Result<Value, String> {
        Ok(Value::Undefined)
    }
}

/// A template that failed to parse, compile or render: the message JavaScript handlebars (or the
/// caller's function) would throw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

fn err<T>(message: impl Into<String>) -> Result<T, TemplateError> {
    Err(TemplateError(message.into()))
}

/// `handlebars.compile(src)(root)`: renders `src` over `root`, calling the context's functions
/// through `scope`.
pub fn render(src: &str, root: &Value, scope: &dyn Scope) -> Result<String, TemplateError> {
    let mut program = parse_template(src)?;
    strip_whitespace(&mut program);
    check_compile(&program)?;
    let rt = Runtime {
        scope,
        null_context: Value::object(Vec::<(String, Value)>::new()),
        partials: RefCell::new(Vec::new()),
        nesting: Cell::new(0),
    };
    rt.render_main(&program, root)
}

/// metadata-action's `Meta.isRawStatement`: `parseWithoutProcessing(src)` gives exactly one
/// `MustacheStatement` whose path has the single part `raw` (any parse error gives `false`).
pub fn is_raw_statement(src: &str) -> bool {
    let Ok(program) = parse_template(src) else {
        return false;
    };
    match program.body.as_slice() {
        [Stmt::Mustache(m)] if !m.decorator => {
            matches!(&m.path, Expr::Path(p) if p.parts.len() == 1 && p.parts[0] == "raw")
        }
        _ => false,
    }
}

/// JavaScript `String(value)` (functions print as `function () { [native code] }`).
pub fn js_to_string(value: &Value) -> String {
    to_js_string(value, &NoFunctions)
}

/// JavaScript `Number.prototype.toString()` (radix 10).
pub use super::jsnum::js_number_to_string;
