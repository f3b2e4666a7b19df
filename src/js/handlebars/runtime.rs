//! The runtime: the code shapes of `javascript-compiler.js`, `runtime.js` and the default helpers
//! (`helpers/*.js`): lookups, depths, `@data` frames, block params, partials and inline partials.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::lexer::is_word_char;
use super::parser::{Block, Expr, Hash, Literal, PathExpr, Program, Stmt};
use super::value::{
    array_index, escape_html, is_empty, js_key_order, loose_equals, own_property, set_property,
    to_js_string,
};
use super::{MAX_NESTING, Options, Scope, TemplateError, Value, err};

/// `AST.helpers.scopedId`: `/^\.|this\b/`.
pub(super) fn is_scoped(original: &str) -> bool {
    original.starts_with('.')
        || original
            .match_indices("this")
            .any(|(i, _)| !is_word_char(original[i + 4..].chars().next()))
}

/// `AST.helpers.simpleId`.
pub(super) fn is_simple_id(path: &PathExpr) -> bool {
    path.parts.len() == 1 && !is_scoped(&path.original) && path.depth == 0
}

/// The compiler's `knownHelpers`.
pub(super) fn is_known_helper(name: &str) -> bool {
    matches!(
        name,
        "helperMissing"
            | "blockHelperMissing"
            | "each"
            | "if"
            | "unless"
            | "with"
            | "log"
            | "lookup"
    )
}

/// The `depths` array: the contexts of the enclosing blocks, innermost first.
#[derive(Clone, Default)]
pub(super) struct Depths(pub(super) Option<std::rc::Rc<DepthNode>>);

pub(super) struct DepthNode {
    pub(super) value: Value,
    pub(super) next: Depths,
}

impl Depths {
    pub(super) fn get(&self, n: usize) -> Value {
        let mut node = self.0.as_ref();
        for _ in 0..n {
            node = node.and_then(|d| d.next.0.as_ref());
        }
        node.map_or(Value::Undefined, |d| d.value.clone())
    }

    pub(super) fn push(&self, value: Value) -> Depths {
        Depths(Some(std::rc::Rc::new(DepthNode {
            value,
            next: self.clone(),
        })))
    }
}

/// One level of the runtime `blockParams` array, with the names its program declares.
pub(super) struct BlockParamLevel<'a> {
    pub(super) names: Option<&'a [String]>,
    pub(super) value: Value,
    pub(super) next: Option<std::rc::Rc<BlockParamLevel<'a>>>,
}

/// `data` (the `@` variables) and `data['partial-block']`.
#[derive(Clone)]
pub(super) struct DataEnv<'a> {
    pub(super) data: Value,
    pub(super) partial_block: Option<std::rc::Rc<PartialBlockDef<'a>>>,
}

/// What a compiled program function sees: `depth0`, `depths`, `data`, `blockParams`.
#[derive(Clone)]
pub(super) struct Frame<'a> {
    /// The program being run (for the generated code's shape in error messages).
    pub(super) program: &'a Program,
    pub(super) context: Value,
    pub(super) depths: Depths,
    pub(super) data: DataEnv<'a>,
    pub(super) block_params: Option<std::rc::Rc<BlockParamLevel<'a>>>,
}

pub(super) type InlinePartials<'a> = Vec<(String, Option<std::rc::Rc<Instance<'a>>>)>;

/// `container.program(i, data, ..., blockParams, depths)` after its decorators ran.
pub(super) struct Instance<'a> {
    pub(super) program: &'a Program,
    /// The environment the program was created in.
    pub(super) creator: Frame<'a>,
    /// Partials its `{{#*inline}}` decorators registered (the decorator's wrapper).
    pub(super) inline: Option<InlinePartials<'a>>,
}

/// The `partial-block` function: a partial block's body and the `partial-block` it restores.
pub(super) struct PartialBlockDef<'a> {
    pub(super) block: std::rc::Rc<Instance<'a>>,
    pub(super) outer: Option<std::rc::Rc<PartialBlockDef<'a>>>,
}

/// `options.fn` / `options.inverse` of a block (`None` is `container.noop`).
pub(super) struct Fns<'a> {
    pub(super) program: Option<std::rc::Rc<Instance<'a>>>,
    pub(super) inverse: Option<std::rc::Rc<Instance<'a>>>,
}

/// The `options` a helper passes to `fn(context, options)`.
pub(super) struct InvokeOptions<'a> {
    pub(super) data: DataEnv<'a>,
    pub(super) block_params: Value,
}

/// A mustache, sub-expression or block head.
pub(super) struct Site<'a> {
    pub(super) path: &'a Expr,
    pub(super) params: &'a [Expr],
    pub(super) hash: Option<&'a Hash>,
    /// `AST.helpers.helperExpression`.
    pub(super) helper_expression: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SexprKind {
    Helper,
    Ambiguous,
    Simple,
}

/// The `aliasable` expressions of the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Alias {
    CallContext,
    HelperMissing,
    Function,
    Escape,
    Lambda,
    BlockHelperMissing,
}

pub(super) enum PartialTarget<'a> {
    Inline(std::rc::Rc<Instance<'a>>),
    Block(std::rc::Rc<PartialBlockDef<'a>>),
    Function(u32),
}

pub(super) struct Runtime<'s, 'a> {
    pub(super) scope: &'s dyn Scope,
    /// `container.nullContext`.
    pub(super) null_context: Value,
    /// `container.partials` (inline partials in scope), latest last.
    pub(super) partials: RefCell<InlinePartials<'a>>,
    pub(super) nesting: Cell<usize>,
}

pub(super) fn create_frame(data: &Value) -> Vec<(String, Value)> {
    let mut entries = match data {
        Value::Object(o) => o.entries.clone(),
        _ => Vec::new(),
    };
    set_property(&mut entries, "_parent", data.clone());
    entries
}

/// `value != null ? value : ""`
pub(super) fn non_null(value: Value) -> Value {
    if value.is_nullish() {
        Value::String(String::new())
    } else {
        value
    }
}

pub(super) fn index_value(i: usize) -> Value {
    Value::Number(u32::try_from(i).map_or(f64::MAX, f64::from))
}

pub(super) fn apply_indent(result: String, indent: &str) -> String {
    if indent.is_empty() {
        return result;
    }
    let lines: Vec<&str> = result.split('\n').collect();
    let count = lines.len();
    let mut out = Vec::with_capacity(count);
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() && i + 1 == count {
            out.push(String::new());
            break;
        }
        out.push(format!("{indent}{line}"));
    }
    out.join("\n")
}

impl<'a> Runtime<'_, 'a> {
    pub(super) fn enter(&self) -> Result<(), TemplateError> {
        let depth = self.nesting.get() + 1;
        self.nesting.set(depth);
        if depth > MAX_NESTING * 2 {
            return err("Maximum call stack size exceeded");
        }
        Ok(())
    }

    pub(super) fn leave(&self) {
        self.nesting.set(self.nesting.get().saturating_sub(1));
    }

    pub(super) fn string(&self, value: &Value) -> String {
        to_js_string(value, self.scope)
    }

    pub(super) fn call(
        &self,
        id: u32,
        this: &Value,
        args: &[Value],
        options: Option<&Options>,
    ) -> Result<Value, TemplateError> {
        self.scope
            .call_with_this(id, this, args, options)
            .map_err(TemplateError)
    }

    /// `depth0 != null ? depth0 : container.nullContext`
    pub(super) fn this_for(&self, context: &Value) -> Value {
        if context.is_nullish() {
            self.null_context.clone()
        } else {
            context.clone()
        }
    }

    pub(super) fn is_null_context(&self, value: &Value) -> bool {
        match (value, &self.null_context) {
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// `container.lambda`
    pub(super) fn lambda(&self, value: Value, context: &Value) -> Result<Value, TemplateError> {
        match value {
            Value::Function(id) => self.call(id, context, &[], None),
            v => Ok(v),
        }
    }

    /// `container.lookupProperty`: own properties only.
    pub(super) fn property(&self, parent: &Value, key: &str) -> Value {
        match parent {
            Value::String(s) => {
                if key == "length" {
                    return index_value(s.encode_utf16().count());
                }
                array_index(key)
                    .and_then(|i| s.encode_utf16().nth(i as usize))
                    .map_or(Value::Undefined, |unit| {
                        Value::String(String::from_utf16_lossy(&[unit]))
                    })
            }
            Value::Array(items) => {
                if key == "length" {
                    return index_value(items.len());
                }
                array_index(key)
                    .and_then(|i| items.get(i as usize))
                    .cloned()
                    .unwrap_or(Value::Undefined)
            }
            Value::Object(o) => own_property(o, key).cloned().unwrap_or(Value::Undefined),
            Value::Function(id) => self.scope.function_property(*id, key),
            Value::Undefined | Value::Null | Value::Bool(_) | Value::Number(_) => Value::Undefined,
        }
    }

    /// `resolvePath`: `a && lookup(a, p)` (falsy) or `a != null ? lookup(a, p) : a`.
    pub(super) fn resolve(&self, base: Value, parts: &[String], falsy: bool) -> Value {
        let mut current = base;
        for part in parts {
            let stop = if falsy {
                !current.is_truthy()
            } else {
                current.is_nullish()
            };
            if stop {
                return current;
            }
            current = self.property(&current, part);
        }
        current
    }

    pub(super) fn context_at(frame: &Frame<'a>, depth: usize) -> Value {
        if depth == 0 {
            frame.context.clone()
        } else {
            frame.depths.get(depth)
        }
    }

    /// `blockParamIndex(name)`: the innermost program declaring `name`.
    pub(super) fn block_param_index(frame: &Frame<'a>, name: &str) -> Option<(usize, usize)> {
        let mut level = frame.block_params.as_deref();
        let mut depth = 0;
        while let Some(l) = level {
            if let Some(i) = l.names.and_then(|ns| ns.iter().position(|n| n == name)) {
                return Some((depth, i));
            }
            level = l.next.as_deref();
            depth += 1;
        }
        None
    }

    pub(super) fn block_param_level(frame: &Frame<'a>, depth: usize) -> Value {
        let mut level = frame.block_params.as_deref();
        for _ in 0..depth {
            level = level.and_then(|l| l.next.as_deref());
        }
        level.map_or(Value::Undefined, |l| l.value.clone())
    }

    /// The runtime `blockParams` array itself (what `options.blockParams` holds).
    pub(super) fn block_params_snapshot(frame: &Frame<'a>) -> Value {
        let mut values = Vec::new();
        let mut level = frame.block_params.as_deref();
        while let Some(l) = level {
            values.push(l.value.clone());
            level = l.next.as_deref();
        }
        Value::array(values)
    }

    /// The compiler's `PathExpression`.
    pub(super) fn eval_path(
        &self,
        path: &PathExpr,
        falsy: bool,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        // `else if (!name) pushContext`: no parts, or the empty `[]` segment.
        let Some(name) = path.parts.first().filter(|n| !n.is_empty()) else {
            return Ok(Self::context_at(frame, path.depth));
        };
        if path.depth == 0
            && !is_scoped(&path.original)
            && let Some((depth, index)) = Self::block_param_index(frame, name)
        {
            let level = Self::block_param_level(frame, depth);
            if level.is_nullish() {
                return err(format!(
                    "Cannot read properties of {} (reading '{index}')",
                    self.string(&level)
                ));
            }
            let base = self.property(&level, &index.to_string());
            return Ok(self.resolve(base, &path.parts[1..], false));
        }
        if path.data {
            let mut data = frame.data.data.clone();
            for _ in 0..path.depth {
                if !data.is_truthy() {
                    break;
                }
                data = match &data {
                    Value::Object(o) => own_property(o, "_parent")
                        .cloned()
                        .unwrap_or(Value::Undefined),
                    _ => Value::Undefined,
                };
            }
            return Ok(self.resolve(data, &path.parts, true));
        }
        Ok(self.resolve(Self::context_at(frame, path.depth), &path.parts, falsy))
    }

    pub(super) fn eval_expr(
        &self,
        expr: &'a Expr,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        match expr {
            Expr::Literal(l, _) => Ok(l.value()),
            Expr::Path(p) => self.eval_path(p, false, frame),
            Expr::Sub(s) => {
                let site = Site {
                    path: &s.path,
                    params: &s.params,
                    hash: s.hash.as_ref(),
                    helper_expression: true,
                };
                self.eval_site(&site, frame, None)
            }
        }
    }

    pub(super) fn eval_params(
        &self,
        params: &'a [Expr],
        frame: &Frame<'a>,
    ) -> Result<Vec<Value>, TemplateError> {
        params.iter().map(|p| self.eval_expr(p, frame)).collect()
    }

    /// The hash object literal: keys from the last pair to the first (a repeated key keeps its
    /// first pair's value), integer-like keys first, `undefined` literals left out; evaluated in
    /// that order.
    pub(super) fn eval_hash(
        &self,
        pairs: &'a Hash,
        frame: &Frame<'a>,
    ) -> Result<Vec<(String, Value)>, TemplateError> {
        let mut order: Vec<(String, &'a Expr)> = Vec::new();
        for (key, expr) in pairs.iter().rev() {
            if let Some(slot) = order.iter_mut().find(|(k, _)| k == key) {
                slot.1 = expr;
            } else {
                order.push((key.clone(), expr));
            }
        }
        // `objectLiteral` drops members whose code is the literal `undefined`.
        order.retain(|(_, e)| !matches!(e, Expr::Literal(Literal::Undefined, _)));
        js_key_order(order)
            .into_iter()
            .map(|(k, e)| Ok((k, self.eval_expr(e, frame)?)))
            .collect()
    }

    /// `Utils.escapeExpression` (a string, or what an object's `toHTML()` returns).
    pub(super) fn escape_expression(&self, value: &Value) -> Result<Value, TemplateError> {
        if let Value::String(s) = value {
            return Ok(Value::String(escape_html(s)));
        }
        let to_html = match value {
            Value::Object(o) => own_property(o, "toHTML").cloned(),
            Value::Function(id) => Some(self.scope.function_property(*id, "toHTML")),
            _ => None,
        }
        .unwrap_or(Value::Undefined);
        if to_html.is_truthy() {
            return match to_html {
                Value::Function(id) => self.call(id, value, &[], None),
                _ => err("t.toHTML is not a function"),
            };
        }
        if value.is_nullish() {
            return Ok(Value::String(String::new()));
        }
        if !value.is_truthy() {
            return Ok(Value::String(self.string(value)));
        }
        Ok(Value::String(escape_html(&self.string(value))))
    }

    /// JavaScript's `+` operator.
    pub(super) fn add(&self, a: Value, b: Value) -> Value {
        let primitive = |v: Value| match v {
            Value::Array(_) | Value::Object(_) | Value::Function(_) => {
                Value::String(self.string(&v))
            }
            v => v,
        };
        let (a, b) = (primitive(a), primitive(b));
        if matches!(a, Value::String(_)) || matches!(b, Value::String(_)) {
            let mut joined = self.string(&a);
            joined.push_str(&self.string(&b));
            return Value::String(joined);
        }
        let number = |v: &Value| match v {
            Value::Number(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Null => 0.0,
            _ => f64::NAN,
        };
        Value::Number(number(&a) + number(&b))
    }

    /// `left + a1 + a2 + ...`
    pub(super) fn add_all(&self, left: Value, values: impl IntoIterator<Item = Value>) -> Value {
        values.into_iter().fold(left, |acc, v| self.add(acc, v))
    }

    pub(super) fn render_main(
        &self,
        program: &'a Program,
        root: &Value,
    ) -> Result<String, TemplateError> {
        let data = DataEnv {
            data: Value::object([("root", root.clone())]),
            partial_block: None,
        };
        // The main program's decorators run with `options.depths || []`.
        let creator = Frame {
            program,
            context: Value::Undefined,
            depths: Depths::default(),
            data: data.clone(),
            block_params: None,
        };
        let main = self.instantiate(program, &creator)?;
        let frame = Frame {
            program,
            context: root.clone(),
            depths: Depths::default().push(root.clone()),
            data,
            block_params: None,
        };
        // `'' + templateSpec.main(...)`
        let result = self.run(&main, &frame)?;
        Ok(self.string(&result))
    }

    /// `container.program(...)`: runs the program's decorators (`Missing decorator`, `inline`).
    pub(super) fn instantiate(
        &self,
        program: &'a Program,
        creator: &Frame<'a>,
    ) -> Result<Instance<'a>, TemplateError> {
        let mut inline: Option<InlinePartials<'a>> = None;
        for stmt in &program.body {
            let (path, params, hash, block) = match stmt {
                Stmt::Mustache(m) if m.decorator => (&m.path, &m.params, m.hash.as_ref(), None),
                Stmt::Block(b) if b.decorator => {
                    (&b.path, &b.params, b.hash.as_ref(), b.program.as_ref())
                }
                _ => continue,
            };
            let name = path.as_path().original;
            if name != "inline" {
                return err(format!("Missing decorator: \"{name}\""));
            }
            let decorator_frame = Self::decorator_frame(program, creator);
            let args = self.eval_params(params, &decorator_frame)?;
            if let Some(h) = hash {
                self.eval_hash(h, &decorator_frame)?;
            }
            let body = match block {
                Some(p) => Some(std::rc::Rc::new(self.instantiate(p, creator)?)),
                None => None,
            };
            let key = self.string(args.first().unwrap_or(&Value::Undefined));
            inline.get_or_insert_with(Vec::new).push((key, body));
        }
        Ok(Instance {
            program,
            creator: creator.clone(),
            inline,
        })
    }

    pub(super) fn instantiate_fns(
        &self,
        block: &'a Block,
        frame: &Frame<'a>,
    ) -> Result<Fns<'a>, TemplateError> {
        let program = match &block.program {
            Some(p) => Some(std::rc::Rc::new(self.instantiate(p, frame)?)),
            None => None,
        };
        let inverse = match &block.inverse {
            Some(p) => Some(std::rc::Rc::new(self.instantiate(p, frame)?)),
            None => None,
        };
        Ok(Fns { program, inverse })
    }

    /// Runs an instance's body, with its inline partials in scope.
    pub(super) fn run(
        &self,
        instance: &Instance<'a>,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        let before = instance.inline.as_ref().map(|inline| {
            let mut partials = self.partials.borrow_mut();
            let before = partials.len();
            partials.extend(inline.iter().cloned());
            before
        });
        let result = self.render_body(instance.program, frame);
        if let Some(before) = before {
            self.partials.borrow_mut().truncate(before);
        }
        result
    }

    /// `wrapProgram`'s `prog(context, options)`; `None` is `container.noop`.
    pub(super) fn invoke(
        &self,
        instance: Option<&std::rc::Rc<Instance<'a>>>,
        context: Value,
        options: Option<InvokeOptions<'a>>,
    ) -> Result<Value, TemplateError> {
        let Some(instance) = instance else {
            return Ok(Value::String(String::new()));
        };
        self.enter()?;
        let creator = &instance.creator;
        let first = creator.depths.get(0);
        let same = loose_equals(&context, &first, self.scope)
            || (self.is_null_context(&context) && matches!(first, Value::Null));
        let depths = if same {
            creator.depths.clone()
        } else {
            creator.depths.push(context.clone())
        };
        let (data, level) = match options {
            Some(o) if o.data.data.is_truthy() => (o.data, o.block_params),
            Some(o) => (creator.data.clone(), o.block_params),
            None => (creator.data.clone(), Value::Undefined),
        };
        let frame = Frame {
            program: instance.program,
            context,
            depths,
            data,
            block_params: Some(std::rc::Rc::new(BlockParamLevel {
                names: instance.program.block_params.as_deref(),
                value: level,
                next: creator.block_params.clone(),
            })),
        };
        let result = self.run(instance, &frame);
        self.leave();
        result
    }

    /// A program function: its appends joined with JavaScript's `+` (so two numbers add up, as
    /// in handlebars 4.7.9), ambiguous blocks (`{{#name}}`) as `buffer +=` statements.
    pub(super) fn render_body(
        &self,
        program: &'a Program,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        // (is a statement, value)
        let mut items: Vec<(bool, Value)> = Vec::new();
        for stmt in &program.body {
            match stmt {
                Stmt::Content(c) => {
                    if !c.value.is_empty() {
                        items.push((false, Value::String(c.value.clone())));
                    }
                }
                Stmt::Comment(_) => {}
                Stmt::Mustache(m) => {
                    if m.decorator {
                        continue;
                    }
                    let site = Site {
                        path: &m.path,
                        params: &m.params,
                        hash: m.hash.as_ref(),
                        helper_expression: !m.params.is_empty() || m.hash.is_some(),
                    };
                    let value = self.eval_site(&site, frame, None)?;
                    let value = if m.escaped {
                        self.escape_expression(&value)?
                    } else {
                        non_null(value)
                    };
                    items.push((false, value));
                }
                Stmt::Block(b) => {
                    if b.decorator {
                        continue;
                    }
                    let helper_expression = !b.params.is_empty() || b.hash.is_some();
                    let site = Site {
                        path: &b.path,
                        params: &b.params,
                        hash: b.hash.as_ref(),
                        helper_expression,
                    };
                    let statement = Self::classify(&b.path.as_path(), helper_expression, frame)
                        == SexprKind::Ambiguous;
                    let value = self.eval_site(&site, frame, Some(b))?;
                    if statement {
                        items.push((true, value));
                    } else {
                        items.push((false, non_null(value)));
                    }
                }
                Stmt::Partial(p) => {
                    let value = self.eval_partial(
                        &p.name,
                        &p.params,
                        p.hash.as_ref(),
                        None,
                        &p.indent,
                        frame,
                    )?;
                    items.push((false, non_null(value)));
                }
                Stmt::PartialBlock(p) => {
                    let value = self.eval_partial(
                        &p.name,
                        &p.params,
                        p.hash.as_ref(),
                        Some(&p.program),
                        "",
                        frame,
                    )?;
                    items.push((false, non_null(value)));
                }
            }
        }
        let simple = program.body.len() == 1;
        if simple || items.iter().all(|(statement, _)| !statement) {
            // `return a1 + a2 + ...;` (a simple program returns its one value, or '').
            let mut values = items.into_iter().map(|(_, v)| non_null(v));
            let Some(first) = values.next() else {
                return Ok(Value::String(String::new()));
            };
            return Ok(self.add_all(first, values));
        }
        // `var buffer = <first appends> | ""; if (stack1 != null) { buffer += stack1; }
        //  buffer += a + b; ... return buffer + y + z;`
        let mut rest = items.into_iter().peekable();
        let mut buffer = Value::String(String::new());
        if rest.peek().is_some_and(|(statement, _)| !statement) {
            let mut run = Vec::new();
            while let Some((_, v)) = rest.next_if(|(statement, _)| !statement) {
                run.push(v);
            }
            let mut run = run.into_iter();
            if let Some(first) = run.next() {
                buffer = self.add_all(first, run);
            }
        }
        while let Some((statement, value)) = rest.next() {
            if statement {
                if !value.is_nullish() {
                    buffer = self.add(buffer, value);
                }
                continue;
            }
            let mut run = vec![value];
            while let Some((_, v)) = rest.next_if(|(statement, _)| !statement) {
                run.push(v);
            }
            if rest.peek().is_none() {
                buffer = self.add_all(buffer, run);
            } else {
                let mut run = run.into_iter();
                if let Some(first) = run.next() {
                    let sum = self.add_all(first, run);
                    buffer = self.add(buffer, sum);
                }
            }
        }
        Ok(buffer)
    }

    /// `classifySexpr`.
    pub(super) fn classify(
        path: &PathExpr,
        helper_expression: bool,
        frame: &Frame<'a>,
    ) -> SexprKind {
        let simple = is_simple_id(path);
        let is_block_param = simple && Self::block_param_index(frame, &path.parts[0]).is_some();
        let mut is_helper = !is_block_param && helper_expression;
        let is_eligible = !is_block_param && (is_helper || simple);
        if is_eligible && !is_helper && path.parts.first().is_some_and(|n| is_known_helper(n)) {
            is_helper = true;
        }
        if is_helper {
            SexprKind::Helper
        } else if is_eligible {
            SexprKind::Ambiguous
        } else {
            SexprKind::Simple
        }
    }

    /// The environment a decorator's parameters see: the creator's `depths[0]`, `data` and
    /// runtime `blockParams`, looked up with the decorated program's compile-time names.
    pub(super) fn decorator_frame(program: &'a Program, creator: &Frame<'a>) -> Frame<'a> {
        let mut names: Vec<Option<&'a [String]>> = vec![program.block_params.as_deref()];
        let mut values = Vec::new();
        let mut level = creator.block_params.as_deref();
        while let Some(l) = level {
            names.push(l.names);
            values.push(l.value.clone());
            level = l.next.as_deref();
        }
        let mut chain = None;
        for (i, level_names) in names.iter().enumerate().rev() {
            chain = Some(std::rc::Rc::new(BlockParamLevel {
                names: *level_names,
                value: values.get(i).cloned().unwrap_or(Value::Undefined),
                next: chain,
            }));
        }
        Frame {
            program,
            context: creator.depths.get(0),
            depths: creator.depths.clone(),
            data: creator.data.clone(),
            block_params: chain,
        }
    }

    /// How the generated code names `container.hooks.helperMissing` in the current program's
    /// function: an `aliasN` variable when the function references it more than once.
    pub(super) fn helper_missing_name(frame: &Frame<'a>) -> String {
        let mut uses: Vec<(Alias, usize)> = Vec::new();
        for stmt in &frame.program.body {
            Self::count_statement_aliases(stmt, frame, &mut uses);
        }
        let mut rank = 0;
        for (alias, count) in &uses {
            if *count > 1 {
                rank += 1;
                if *alias == Alias::HelperMissing {
                    return format!("alias{rank}");
                }
            }
        }
        "container.hooks.helperMissing".to_owned()
    }

    pub(super) fn count_statement_aliases(
        stmt: &Stmt,
        frame: &Frame<'a>,
        uses: &mut Vec<(Alias, usize)>,
    ) {
        let add = |alias: Alias, uses: &mut Vec<(Alias, usize)>| {
            if let Some(slot) = uses.iter_mut().find(|(a, _)| *a == alias) {
                slot.1 += 1;
            } else {
                uses.push((alias, 1));
            }
        };
        let exprs = |params: &[Expr], hash: Option<&Hash>, uses: &mut Vec<(Alias, usize)>| {
            for e in params
                .iter()
                .chain(hash.into_iter().flatten().map(|(_, e)| e))
            {
                Self::count_expr_aliases(e, frame, uses);
            }
        };
        match stmt {
            Stmt::Mustache(m) if m.decorator => exprs(&m.params, m.hash.as_ref(), uses),
            Stmt::Mustache(m) => {
                let helper_expression = !m.params.is_empty() || m.hash.is_some();
                Self::count_site_aliases(
                    &m.path,
                    &m.params,
                    m.hash.as_ref(),
                    helper_expression,
                    frame,
                    uses,
                );
                if m.escaped {
                    add(Alias::Escape, uses);
                }
            }
            Stmt::Block(b) if b.decorator => exprs(&b.params, b.hash.as_ref(), uses),
            Stmt::Block(b) => {
                let helper_expression = !b.params.is_empty() || b.hash.is_some();
                let kind = Self::classify(&b.path.as_path(), helper_expression, frame);
                Self::count_site_aliases(
                    &b.path,
                    &b.params,
                    b.hash.as_ref(),
                    helper_expression,
                    frame,
                    uses,
                );
                if kind != SexprKind::Helper {
                    add(Alias::BlockHelperMissing, uses);
                }
            }
            Stmt::Partial(p) => {
                Self::count_expr_aliases(&p.name, frame, uses);
                exprs(&p.params, p.hash.as_ref(), uses);
            }
            Stmt::PartialBlock(p) => {
                Self::count_expr_aliases(&p.name, frame, uses);
                exprs(&p.params, p.hash.as_ref(), uses);
            }
            Stmt::Content(_) | Stmt::Comment(_) => {}
        }
    }

    pub(super) fn count_expr_aliases(
        expr: &Expr,
        frame: &Frame<'a>,
        uses: &mut Vec<(Alias, usize)>,
    ) {
        if let Expr::Sub(s) = expr {
            Self::count_site_aliases(&s.path, &s.params, s.hash.as_ref(), true, frame, uses);
        }
    }

    pub(super) fn count_site_aliases(
        path: &Expr,
        params: &[Expr],
        hash: Option<&Hash>,
        helper_expression: bool,
        frame: &Frame<'a>,
        uses: &mut Vec<(Alias, usize)>,
    ) {
        let add = |alias: Alias, uses: &mut Vec<(Alias, usize)>| {
            if let Some(slot) = uses.iter_mut().find(|(a, _)| *a == alias) {
                slot.1 += 1;
            } else {
                uses.push((alias, 1));
            }
        };
        let path = path.as_path();
        match Self::classify(&path, helper_expression, frame) {
            SexprKind::Helper => {
                for e in params
                    .iter()
                    .chain(hash.into_iter().flatten().map(|(_, e)| e))
                {
                    Self::count_expr_aliases(e, frame, uses);
                }
                add(Alias::CallContext, uses);
                if !path.parts.first().is_some_and(|n| is_known_helper(n)) {
                    add(Alias::HelperMissing, uses);
                }
            }
            SexprKind::Ambiguous => {
                add(Alias::CallContext, uses);
                add(Alias::HelperMissing, uses);
                add(Alias::Function, uses);
            }
            SexprKind::Simple => add(Alias::Lambda, uses),
        }
    }

    /// A mustache, sub-expression or block: `classifySexpr` then the helper, ambiguous or simple
    /// code shape.
    pub(super) fn eval_site(
        &self,
        site: &Site<'a>,
        frame: &Frame<'a>,
        block: Option<&'a Block>,
    ) -> Result<Value, TemplateError> {
        let path = site.path.as_path();
        let kind = Self::classify(&path, site.helper_expression, frame);
        if kind == SexprKind::Helper {
            return self.call_helper(&path, site, frame, block);
        }
        if kind == SexprKind::Ambiguous {
            // invokeAmbiguous: `helpers.name || depth0.name`, called if a function.
            let name = path.parts.first().cloned().unwrap_or_default();
            let helper = self.eval_path(&path, false, frame)?;
            let fns = match block {
                Some(b) => Some(self.instantiate_fns(b, frame)?),
                None => None,
            };
            let value = match helper {
                Value::Function(id) => {
                    let options = Options {
                        name,
                        hash: Vec::new(),
                        block: block.is_some(),
                    };
                    self.call(id, &self.this_for(&frame.context), &[], Some(&options))?
                }
                // `helperMissing(options)` returns undefined.
                v if v.is_nullish() => Value::Undefined,
                v => v,
            };
            return match fns {
                None => Ok(value),
                Some(fns) => self.block_helper_missing(&frame.context, value, &fns, frame),
            };
        }
        // simpleSexpr: the value, called with no arguments if it is a function.
        let value = self.eval_path(&path, false, frame)?;
        let value = self.lambda(value, &frame.context)?;
        match block {
            None => Ok(value),
            Some(b) => {
                let fns = self.instantiate_fns(b, frame)?;
                self.block_helper_missing(&frame.context, value, &fns, frame)
            }
        }
    }

    /// `helperSexpr`: a known helper, or `(helpers.name || context.name || helperMissing).call(...)`.
    pub(super) fn call_helper(
        &self,
        path: &PathExpr,
        site: &Site<'a>,
        frame: &Frame<'a>,
        block: Option<&'a Block>,
    ) -> Result<Value, TemplateError> {
        let this = self.this_for(&frame.context);
        if let Some(name) = path.parts.first().filter(|n| is_known_helper(n)) {
            if name == "helperMissing" || name == "blockHelperMissing" {
                // Moved to `container.hooks`: `helpers.helperMissing` is undefined.
                return err("Cannot read properties of undefined (reading 'call')");
            }
            let args = self.eval_params(site.params, frame)?;
            let hash = match site.hash {
                Some(h) => self.eval_hash(h, frame)?,
                None => Vec::new(),
            };
            let fns = match block {
                Some(b) => Some(self.instantiate_fns(b, frame)?),
                None => None,
            };
            return self.builtin(name, &this, args, &hash, fns.as_ref(), frame);
        }
        let callee = self.eval_path(path, true, frame)?;
        let args = self.eval_params(site.params, frame)?;
        let hash = match site.hash {
            Some(h) => self.eval_hash(h, frame)?,
            None => Vec::new(),
        };
        let fns = match block {
            Some(b) => Some(self.instantiate_fns(b, frame)?),
            None => None,
        };
        match callee {
            Value::Function(id) => {
                let options = Options {
                    name: path.original.clone(),
                    hash,
                    block: fns.is_some(),
                };
                self.call(id, &this, &args, Some(&options))
            }
            v if !v.is_truthy() => {
                if args.is_empty() {
                    Ok(Value::Undefined)
                } else {
                    err(format!("Missing helper: \"{}\"", path.original))
                }
            }
            _ => {
                // V8 prints the callee expression of the generated code.
                let holder = match (path.data, path.depth) {
                    (true, 0) => "data".to_owned(),
                    (true, _) => "container.data(...)".to_owned(),
                    (false, 0) => "depth0".to_owned(),
                    (false, d) => format!("depths[{d}]"),
                };
                let callee = match path.parts.len() {
                    1 if path.parts[0].is_empty() && is_simple_id(path) => {
                        format!("lookupProperty(...) || {holder}")
                    }
                    1 if path.parts[0].is_empty() => holder,
                    0 => holder,
                    1 if is_simple_id(path) => {
                        format!("lookupProperty(...) || ({holder} && lookupProperty(...))")
                    }
                    1 => format!("({holder} && lookupProperty(...))"),
                    _ => "(stack1 && lookupProperty(...))".to_owned(),
                };
                err(format!(
                    "({callee} || {}).call is not a function",
                    Self::helper_missing_name(frame)
                ))
            }
        }
    }

    /// `blockHelperMissing(context, options)` with `this` = `depth0`.
    pub(super) fn block_helper_missing(
        &self,
        this: &Value,
        context: Value,
        fns: &Fns<'a>,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        match &context {
            Value::Bool(true) => self.invoke(fns.program.as_ref(), this.clone(), None),
            Value::Bool(false) | Value::Undefined | Value::Null => {
                self.invoke(fns.inverse.as_ref(), this.clone(), None)
            }
            Value::Array(items) if items.is_empty() => {
                self.invoke(fns.inverse.as_ref(), this.clone(), None)
            }
            Value::Array(_) => self.each(this, context, Some(fns), frame),
            _ => self.invoke(
                fns.program.as_ref(),
                context,
                Some(InvokeOptions {
                    data: frame.data.clone(),
                    block_params: Self::block_params_snapshot(frame),
                }),
            ),
        }
    }

    pub(super) fn builtin(
        &self,
        name: &str,
        this: &Value,
        args: Vec<Value>,
        hash: &[(String, Value)],
        fns: Option<&Fns<'a>>,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        match name {
            "if" | "unless" => {
                let [condition] = <[Value; 1]>::try_from(args)
                    .map_err(|_| TemplateError(format!("#{name} requires exactly one argument")))?;
                let condition = self.lambda_this(condition, this)?;
                let include_zero = hash
                    .iter()
                    .find(|(k, _)| k == "includeZero")
                    .is_some_and(|(_, v)| v.is_truthy());
                let positive = !((!include_zero && !condition.is_truthy()) || is_empty(&condition));
                let take_program = if name == "unless" {
                    !positive
                } else {
                    positive
                };
                let Some(fns) = fns else {
                    return err(if positive {
                        "r.fn is not a function"
                    } else {
                        "r.inverse is not a function"
                    });
                };
                let target = if take_program {
                    fns.program.as_ref()
                } else {
                    fns.inverse.as_ref()
                };
                self.invoke(target, this.clone(), None)
            }
            "with" => {
                let [context] = <[Value; 1]>::try_from(args)
                    .map_err(|_| TemplateError("#with requires exactly one argument".into()))?;
                let context = self.lambda_this(context, this)?;
                let Some(fns) = fns else {
                    return err(if is_empty(&context) {
                        "r.inverse is not a function"
                    } else {
                        "n is not a function"
                    });
                };
                if is_empty(&context) {
                    return self.invoke(fns.inverse.as_ref(), this.clone(), None);
                }
                self.invoke(
                    fns.program.as_ref(),
                    context.clone(),
                    Some(InvokeOptions {
                        data: frame.data.clone(),
                        block_params: Value::array(vec![context]),
                    }),
                )
            }
            "each" => {
                let mut args = args.into_iter();
                let Some(context) = args.next() else {
                    return err("Must pass iterator to #each");
                };
                if let Some(second) = args.next() {
                    // `each(context, options)` got a parameter as its options.
                    if !second.is_truthy() {
                        return err("Must pass iterator to #each");
                    }
                    return self.each(this, context, None, frame);
                }
                self.each(this, context, fns, frame)
            }
            "lookup" => {
                let object = args.first().cloned().unwrap_or(Value::Undefined);
                if args.len() != 2 {
                    if !args.is_empty() && !object.is_truthy() {
                        return Ok(object);
                    }
                    // `lookup(obj, field, options)` got too few or too many arguments.
                    return match args.get(2) {
                        Some(v) if !v.is_nullish() => err("n.lookupProperty is not a function"),
                        Some(v) => err(format!(
                            "Cannot read properties of {} (reading 'lookupProperty')",
                            self.string(v)
                        )),
                        None => {
                            err("Cannot read properties of undefined (reading 'lookupProperty')")
                        }
                    };
                }
                if !object.is_truthy() {
                    return Ok(object);
                }
                let key = self.string(&args[1]);
                Ok(self.property(&object, &key))
            }
            // `log` prints (here: nothing) and returns undefined.
            _ => Ok(Value::Undefined),
        }
    }

    /// `if (isFunction(x)) x = x.call(this)`
    pub(super) fn lambda_this(&self, value: Value, this: &Value) -> Result<Value, TemplateError> {
        match value {
            Value::Function(id) => self.call(id, this, &[], None),
            v => Ok(v),
        }
    }

    /// The `each` helper.
    pub(super) fn each(
        &self,
        this: &Value,
        context: Value,
        fns: Option<&Fns<'a>>,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        let context = self.lambda_this(context, this)?;
        let items: Vec<(Value, Value)> = match &context {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (index_value(i), v.clone()))
                .collect(),
            Value::Object(o) => js_key_order(o.entries.clone())
                .into_iter()
                .map(|(k, v)| (Value::String(k), v))
                .collect(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            let Some(fns) = fns else {
                return err("o is not a function");
            };
            return self.invoke(fns.inverse.as_ref(), this.clone(), None);
        }
        let Some(fns) = fns else {
            return err("n is not a function");
        };
        let count = items.len();
        // `ret = ret + fn(...)` from `ret = ''`
        let mut out = Value::String(String::new());
        for (i, (key, value)) in items.into_iter().enumerate() {
            let mut entries = create_frame(&frame.data.data);
            set_property(&mut entries, "key", key.clone());
            set_property(&mut entries, "index", index_value(i));
            set_property(&mut entries, "first", Value::Bool(i == 0));
            set_property(&mut entries, "last", Value::Bool(i + 1 == count));
            let data = DataEnv {
                data: Value::object(entries),
                partial_block: frame.data.partial_block.clone(),
            };
            let rendered = self.invoke(
                fns.program.as_ref(),
                value.clone(),
                Some(InvokeOptions {
                    data,
                    block_params: Value::array(vec![value, key]),
                }),
            )?;
            out = self.add(out, rendered);
        }
        Ok(out)
    }

    pub(super) fn find_partial(&self, name: &str) -> Option<std::rc::Rc<Instance<'a>>> {
        self.partials
            .borrow()
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, p)| p.clone())
    }

    /// `Utils.extend({}, context, hash)`
    pub(super) fn extend_context(&self, context: &Value, hash: &[(String, Value)]) -> Value {
        let mut entries: Vec<(String, Value)> = Vec::new();
        match context {
            Value::Object(o) => {
                for (k, v) in js_key_order(o.entries.clone()) {
                    set_property(&mut entries, &k, v);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    set_property(&mut entries, &i.to_string(), v.clone());
                }
            }
            Value::String(s) => {
                for (i, _) in s.encode_utf16().enumerate() {
                    let value = self.property(context, &i.to_string());
                    set_property(&mut entries, &i.to_string(), value);
                }
            }
            _ => {}
        }
        for (k, v) in hash {
            set_property(&mut entries, k, v.clone());
        }
        Value::object(js_key_order(entries))
    }

    /// `{{> name}}` and `{{#> name}}...{{/name}}` (`invokePartialWrapper`, `resolvePartial`,
    /// `invokePartial`).
    pub(super) fn eval_partial(
        &self,
        name: &'a Expr,
        params: &'a [Expr],
        hash: Option<&'a Hash>,
        block: Option<&'a Program>,
        indent: &str,
        frame: &Frame<'a>,
    ) -> Result<Value, TemplateError> {
        let dynamic = match name {
            Expr::Sub(_) => Some(self.eval_expr(name, frame)?),
            _ => None,
        };
        let mut context = match params.first() {
            None => frame.context.clone(),
            Some(p) => self.eval_expr(p, frame)?,
        };
        let hash = match hash {
            Some(h) => Some(self.eval_hash(h, frame)?),
            None => None,
        };
        let block_fn = match block {
            Some(p) => Some(std::rc::Rc::new(self.instantiate(p, frame)?)),
            None => None,
        };
        if let Some(h) = &hash {
            context = self.extend_context(&context, h);
        }
        let (name_text, target) = match dynamic {
            None => {
                let n = name.as_path().original;
                let target = match self.find_partial(&n) {
                    Some(p) => Some(PartialTarget::Inline(p)),
                    None if n == "@partial-block" => {
                        frame.data.partial_block.clone().map(PartialTarget::Block)
                    }
                    None => None,
                };
                (n, target)
            }
            Some(Value::Function(id)) => (String::new(), Some(PartialTarget::Function(id))),
            Some(v) => {
                let n = if v.is_truthy() {
                    self.string(&v)
                } else {
                    "undefined".to_owned()
                };
                let target = self.find_partial(&n).map(PartialTarget::Inline);
                (n, target)
            }
        };
        let mut data = frame.data.clone();
        let mut target = target;
        if let Some(body) = block_fn {
            let def = std::rc::Rc::new(PartialBlockDef {
                block: body,
                outer: frame.data.partial_block.clone(),
            });
            data = DataEnv {
                data: Value::object(create_frame(&frame.data.data)),
                partial_block: Some(def.clone()),
            };
            if target.is_none() {
                target = Some(PartialTarget::Block(def));
            }
        }
        let Some(target) = target else {
            return err(format!("The partial {name_text} could not be found"));
        };
        let block_params = Self::block_params_snapshot(frame);
        let rendered = match target {
            PartialTarget::Inline(instance) => self.invoke(
                Some(&instance),
                context,
                Some(InvokeOptions { data, block_params }),
            )?,
            PartialTarget::Block(def) => {
                let inner = DataEnv {
                    data: Value::object(create_frame(&data.data)),
                    partial_block: def.outer.clone(),
                };
                self.invoke(
                    Some(&def.block),
                    context,
                    Some(InvokeOptions {
                        data: inner,
                        block_params,
                    }),
                )?
            }
            PartialTarget::Function(id) => {
                let options = Options {
                    name: String::new(),
                    hash: hash.unwrap_or_default(),
                    block: block.is_some(),
                };
                self.call(id, &Value::Undefined, &[context], Some(&options))?
            }
        };
        if rendered.is_nullish() {
            // `env.compile(partial)` on the partial function.
            return err(
                "You must pass a string or Handlebars AST to Handlebars.compile. You passed function",
            );
        }
        if indent.is_empty() {
            return Ok(rendered);
        }
        match rendered {
            Value::String(s) => Ok(Value::String(apply_indent(s, indent))),
            _ => err("r.split is not a function"),
        }
    }
}
