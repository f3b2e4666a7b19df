//! The AST and the parser: `handlebars.yy` as a recursive-descent parser producing the same AST,
//! with `compiler/helpers.js` (`preparePath`, `prepareBlock`, `validateClose`, ...) and jison's
//! `Parse error` messages.

use super::lexer::{Lexer, Loc, Tok, Token};
use super::value::is_line_terminator;
use super::{MAX_NESTING, TemplateError, Value, err, js_to_string};

/// `{open, close}` strip flags of a tag (`{{~` and `~}}`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Strip {
    pub(super) open: bool,
    pub(super) close: bool,
}

/// `yy.stripFlags(open, close)`.
pub(super) fn strip_flags(open: &str, close: &str) -> Strip {
    Strip {
        open: open.chars().nth(2) == Some('~'),
        close: close.chars().rev().nth(2) == Some('~'),
    }
}

#[derive(Clone, Debug)]
pub(super) struct PathExpr {
    pub(super) data: bool,
    pub(super) depth: usize,
    pub(super) parts: Vec<String>,
    pub(super) original: String,
    pub(super) loc: Loc,
}

#[derive(Clone, Debug)]
pub(super) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Undefined,
    Null,
}

impl Literal {
    pub(super) fn value(&self) -> Value {
        match self {
            Literal::Str(s) => Value::String(s.clone()),
            Literal::Num(n) => Value::Number(*n),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Undefined => Value::Undefined,
            Literal::Null => Value::Null,
        }
    }
}

pub(super) type Hash = Vec<(String, Expr)>;

#[derive(Clone, Debug)]
pub(super) enum Expr {
    Path(PathExpr),
    Literal(Literal, Loc),
    Sub(Box<SubExpr>),
}

impl Expr {
    pub(super) fn loc(&self) -> Loc {
        match self {
            Expr::Path(p) => p.loc,
            Expr::Literal(_, loc) => *loc,
            Expr::Sub(s) => s.loc,
        }
    }

    /// `node.original` as `validateClose` compares it (`undefined` for a sub-expression).
    pub(super) fn original(&self) -> Value {
        match self {
            Expr::Path(p) => Value::String(p.original.clone()),
            Expr::Literal(l, _) => l.value(),
            Expr::Sub(_) => Value::Undefined,
        }
    }

    /// The helper name as a path, after the compiler's `transformLiteralToPath`.
    pub(super) fn as_path(&self) -> PathExpr {
        match self {
            Expr::Path(p) => p.clone(),
            Expr::Literal(l, loc) => {
                let name = js_to_string(&l.value());
                PathExpr {
                    data: false,
                    depth: 0,
                    parts: vec![name.clone()],
                    original: name,
                    loc: *loc,
                }
            }
            Expr::Sub(s) => PathExpr {
                data: false,
                depth: 0,
                parts: Vec::new(),
                original: String::new(),
                loc: s.loc,
            },
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct SubExpr {
    pub(super) path: Expr,
    pub(super) params: Vec<Expr>,
    pub(super) hash: Option<Hash>,
    pub(super) loc: Loc,
}

#[derive(Clone, Debug)]
pub(super) struct Content {
    pub(super) original: String,
    pub(super) value: String,
    pub(super) right_stripped: bool,
    pub(super) left_stripped: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Mustache {
    pub(super) path: Expr,
    pub(super) params: Vec<Expr>,
    pub(super) hash: Option<Hash>,
    pub(super) escaped: bool,
    pub(super) strip: Strip,
    /// `{{* name}}`: a decorator, not a mustache.
    pub(super) decorator: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Block {
    pub(super) path: Expr,
    pub(super) params: Vec<Expr>,
    pub(super) hash: Option<Hash>,
    pub(super) program: Option<Program>,
    pub(super) inverse: Option<Program>,
    pub(super) open_strip: Strip,
    pub(super) inverse_strip: Strip,
    pub(super) close_strip: Strip,
    /// `{{#* name}}`: a decorator block.
    pub(super) decorator: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Partial {
    pub(super) name: Expr,
    pub(super) params: Vec<Expr>,
    pub(super) hash: Option<Hash>,
    pub(super) indent: String,
    pub(super) strip: Strip,
    pub(super) loc: Loc,
}

#[derive(Clone, Debug)]
pub(super) struct PartialBlock {
    pub(super) name: Expr,
    pub(super) params: Vec<Expr>,
    pub(super) hash: Option<Hash>,
    pub(super) program: Program,
    pub(super) open_strip: Strip,
    pub(super) close_strip: Strip,
    pub(super) loc: Loc,
}

#[derive(Clone, Debug)]
pub(super) enum Stmt {
    Content(Content),
    Comment(Strip),
    Mustache(Mustache),
    Block(Box<Block>),
    Partial(Partial),
    PartialBlock(Box<PartialBlock>),
}

#[derive(Clone, Debug, Default)]
pub(super) struct Program {
    pub(super) body: Vec<Stmt>,
    pub(super) block_params: Option<Vec<String>>,
    pub(super) chained: bool,
}

/// The result of `openBlock`/`openInverse`/`openInverseChain`.
pub(super) struct Open {
    pub(super) text: String,
    pub(super) path: Expr,
    pub(super) params: Vec<Expr>,
    pub(super) hash: Option<Hash>,
    pub(super) block_params: Option<Vec<String>>,
    pub(super) strip: Strip,
}

/// `inverseAndProgram` / `inverseChain`.
pub(super) struct InverseAndProgram {
    pub(super) strip: Strip,
    pub(super) program: Program,
    pub(super) chain: bool,
}

pub(super) enum Close {
    /// `{{/name}}`: its name (to validate) and strip flags.
    Block(Value, Strip),
    /// A chained `{{else x}}`: `close` is the following inverse chain (if any).
    Chain(Option<Strip>),
}

/// `yy.id(token)`: `[literal]` segments lose their brackets.
pub(super) fn bracket_id(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() >= 2
        && chars[0] == '['
        && chars[chars.len() - 1] == ']'
        && !chars[1..chars.len() - 1]
            .iter()
            .any(|c| is_line_terminator(*c))
    {
        chars[1..chars.len() - 1].iter().collect()
    } else {
        token.to_owned()
    }
}

/// A handlebars `Exception` with a location.
pub(super) fn located(message: &str, loc: Loc) -> TemplateError {
    TemplateError(format!("{message} - {}:{}", loc.line, loc.column))
}

/// `validateClose(open, close)`: strict equality of the names' `original`.
#[allow(clippy::float_cmp)] // JavaScript compares numbers exactly
pub(super) fn validate_close(open: &Expr, close: &Value) -> Result<(), TemplateError> {
    let open_original = open.original();
    let same = match (&open_original, close) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(located(
        &format!(
            "{} doesn't match {}",
            js_to_string(&open_original),
            js_to_string(close)
        ),
        open.loc(),
    ))
}

/// `yy.preparePath`.
pub(super) fn prepare_path(
    data: bool,
    segments: Vec<(String, String, Option<String>)>,
    loc: Loc,
) -> Result<PathExpr, TemplateError> {
    let mut original = if data { "@".to_owned() } else { String::new() };
    let mut parts = Vec::new();
    let mut depth = 0;
    for (part, raw, separator) in segments {
        let is_literal = raw != part;
        if let Some(sep) = separator {
            original.push_str(&sep);
        }
        original.push_str(&part);
        if !is_literal && (part == ".." || part == "." || part == "this") {
            if !parts.is_empty() {
                return Err(located(&format!("Invalid path: {original}"), loc));
            }
            if part == ".." {
                depth += 1;
            }
        } else {
            parts.push(part);
        }
    }
    Ok(PathExpr {
        data,
        depth,
        parts,
        original,
        loc,
    })
}

pub(super) struct Parser {
    pub(super) lexer: Lexer,
    pub(super) ahead: Vec<Token>,
    /// `yylineno` after the last shifted token (what `Parse error on line N` reports).
    pub(super) last_line: usize,
    pub(super) nesting: usize,
}

/// What may start a statement.
pub(super) const STATEMENT_STARTS: &[Tok] = &[
    Tok::Comment,
    Tok::Content,
    Tok::OpenRawBlock,
    Tok::OpenBlock,
    Tok::OpenInverse,
    Tok::Open,
    Tok::OpenUnescaped,
    Tok::OpenPartial,
    Tok::OpenPartialBlock,
];
/// What may start a `helperName`.
pub(super) const HELPER_NAME_STARTS: &[Tok] = &[
    Tok::Id,
    Tok::Str,
    Tok::Number,
    Tok::Boolean,
    Tok::Undefined,
    Tok::Null,
    Tok::Data,
];
/// What the grammar's LALR tables accept after a complete expression (the union over contexts).
pub(super) const AFTER_EXPRESSION: &[Tok] = &[
    Tok::CloseRawBlock,
    Tok::Close,
    Tok::CloseUnescaped,
    Tok::OpenSexpr,
    Tok::CloseSexpr,
    Tok::Id,
    Tok::OpenBlockParams,
    Tok::Str,
    Tok::Number,
    Tok::Boolean,
    Tok::Undefined,
    Tok::Null,
    Tok::Data,
];

pub(super) fn is_param_start(kind: Tok) -> bool {
    kind == Tok::OpenSexpr || HELPER_NAME_STARTS.contains(&kind)
}

/// `parser.parse(src)` (`parseWithoutProcessing`).
pub(super) fn parse_template(src: &str) -> Result<Program, TemplateError> {
    let mut parser = Parser {
        lexer: Lexer::new(src),
        ahead: Vec::new(),
        last_line: 0,
        nesting: 0,
    };
    parser.program(&[Tok::Eof])
}

/// Where an expression sits, which decides the tokens jison lists after it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    /// A helper name, a hash value or a block's closing name.
    Name,
    /// A positional parameter (a lone `ID` there may also start a hash pair).
    Param,
}

impl Parser {
    pub(super) fn fill(&mut self, n: usize) -> Result<(), TemplateError> {
        while self.ahead.len() < n {
            let token = self.lexer.lex()?;
            self.ahead.push(token);
        }
        Ok(())
    }

    pub(super) fn peek(&mut self) -> Result<Tok, TemplateError> {
        self.fill(1)?;
        Ok(self.ahead[0].kind)
    }

    pub(super) fn peek2(&mut self) -> Result<Tok, TemplateError> {
        self.fill(2)?;
        Ok(self.ahead[1].kind)
    }

    pub(super) fn shift(&mut self) -> Result<Token, TemplateError> {
        self.fill(1)?;
        let token = self.ahead.remove(0);
        self.last_line = token.line_after;
        Ok(token)
    }

    pub(super) fn expect(&mut self, kind: Tok, expected: &[Tok]) -> Result<Token, TemplateError> {
        if self.peek()? == kind {
            self.shift()
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// jison's message: the tokens the current state accepts, in terminal order.
    pub(super) fn unexpected(&self, expected: &[Tok]) -> TemplateError {
        let Some(token) = self.ahead.first() else {
            return TemplateError(format!("Parse error on line {}:", self.last_line + 1));
        };
        let mut expected = expected.to_vec();
        expected.sort_by_key(|t| t.terminal_id());
        expected.dedup();
        let names: Vec<String> = expected.iter().map(|t| format!("'{}'", t.name())).collect();
        TemplateError(format!(
            "Parse error on line {}:\n{}\nExpecting {}, got '{}'",
            self.last_line + 1,
            self.lexer
                .show_position(&token.past, token.start, token.end),
            names.join(", "),
            token.kind.name()
        ))
    }

    /// The lookahead after a complete expression must be one the tables know there.
    pub(super) fn check_after_expression(&mut self, extra: &[Tok]) -> Result<(), TemplateError> {
        let next = self.peek()?;
        if AFTER_EXPRESSION.contains(&next) || extra.contains(&next) {
            return Ok(());
        }
        let mut expected = AFTER_EXPRESSION.to_vec();
        expected.extend_from_slice(extra);
        Err(self.unexpected(&expected))
    }

    pub(super) fn enter(&mut self) -> Result<(), TemplateError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return err(format!(
                "Template nesting deeper than {MAX_NESTING} levels is not supported"
            ));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.nesting -= 1;
    }

    /// `program: statement*`, ended by one of `followers`.
    pub(super) fn program(&mut self, followers: &[Tok]) -> Result<Program, TemplateError> {
        let mut body = Vec::new();
        loop {
            match self.peek()? {
                Tok::Content => {
                    let token = self.shift()?;
                    body.push(Stmt::Content(Content {
                        original: token.text.clone(),
                        value: token.text,
                        right_stripped: false,
                        left_stripped: false,
                    }));
                }
                Tok::Comment => {
                    let token = self.shift()?;
                    body.push(Stmt::Comment(strip_flags(&token.text, &token.text)));
                }
                Tok::Open | Tok::OpenUnescaped => body.push(self.mustache()?),
                Tok::OpenBlock | Tok::OpenInverse => {
                    self.enter()?;
                    let block = self.block()?;
                    self.leave();
                    body.push(Stmt::Block(Box::new(block)));
                }
                Tok::OpenRawBlock => body.push(self.raw_block()?),
                Tok::OpenPartial => body.push(self.partial()?),
                Tok::OpenPartialBlock => {
                    self.enter()?;
                    let partial = self.partial_block()?;
                    self.leave();
                    body.push(partial);
                }
                kind if followers.contains(&kind) => {
                    return Ok(Program {
                        body,
                        block_params: None,
                        chained: false,
                    });
                }
                _ => {
                    // An empty program fails in its own state (statements or followers); a
                    // non-empty one is reduced first and fails in the enclosing state.
                    let mut expected = followers.to_vec();
                    if body.is_empty() {
                        expected.extend_from_slice(STATEMENT_STARTS);
                    }
                    return Err(self.unexpected(&expected));
                }
            }
        }
    }

    /// What jison expects when `helperName param* hash?` is not followed by `close`.
    pub(super) fn close_expected(
        &mut self,
        close: Tok,
        hash: bool,
        block_params: bool,
    ) -> Vec<Tok> {
        const HASH_FOLLOWERS: &[Tok] = &[
            Tok::CloseRawBlock,
            Tok::Close,
            Tok::CloseUnescaped,
            Tok::CloseSexpr,
            Tok::OpenBlockParams,
        ];
        let mut expected = vec![close];
        if hash {
            // A lookahead that can follow some hash reduces it first; any other fails in the
            // hash's own state.
            if !self.peek().is_ok_and(|next| HASH_FOLLOWERS.contains(&next)) {
                let mut expected = HASH_FOLLOWERS.to_vec();
                expected.push(Tok::Id);
                return expected;
            }
        } else {
            expected.push(Tok::OpenSexpr);
            expected.extend_from_slice(HELPER_NAME_STARTS);
        }
        if block_params {
            expected.push(Tok::OpenBlockParams);
        }
        expected
    }

    pub(super) fn mustache(&mut self) -> Result<Stmt, TemplateError> {
        let open = self.shift()?;
        let path = self.helper_name(Position::Name)?;
        let (params, hash) = self.params_and_hash()?;
        let close_kind = if open.kind == Tok::OpenUnescaped {
            Tok::CloseUnescaped
        } else {
            Tok::Close
        };
        let expected = self.close_expected(close_kind, hash.is_some(), false);
        let close = self.expect(close_kind, &expected)?;
        let chars: Vec<char> = open.text.chars().collect();
        let flag = chars.get(3).or_else(|| chars.get(2)).copied();
        Ok(Stmt::Mustache(Mustache {
            path,
            params,
            hash,
            escaped: flag != Some('{') && flag != Some('&'),
            strip: strip_flags(&open.text, &close.text),
            decorator: open.text.contains('*'),
        }))
    }

    /// `helperName`.
    pub(super) fn helper_name(&mut self, position: Position) -> Result<Expr, TemplateError> {
        let kind = self.peek()?;
        let literal = match kind {
            Tok::Id => return Ok(Expr::Path(self.path(false, None, position)?)),
            Tok::Data => {
                let data = self.shift()?;
                return Ok(Expr::Path(self.path(
                    true,
                    Some(data.loc),
                    Position::Name,
                )?));
            }
            Tok::Str | Tok::Number | Tok::Boolean | Tok::Undefined | Tok::Null => {
                let t = self.shift()?;
                let literal = match kind {
                    Tok::Str => Literal::Str(t.text),
                    Tok::Number => Literal::Num(t.text.parse().unwrap_or(f64::NAN)),
                    Tok::Boolean => Literal::Bool(t.text == "true"),
                    Tok::Undefined => Literal::Undefined,
                    _ => Literal::Null,
                };
                Expr::Literal(literal, t.loc)
            }
            _ => {
                let mut expected = HELPER_NAME_STARTS.to_vec();
                if position == Position::Param {
                    expected.push(Tok::OpenSexpr);
                }
                return Err(self.unexpected(&expected));
            }
        };
        self.check_after_expression(&[])?;
        Ok(literal)
    }

    /// `pathSegments` then `preparePath`.
    pub(super) fn path(
        &mut self,
        data: bool,
        start: Option<Loc>,
        position: Position,
    ) -> Result<PathExpr, TemplateError> {
        let first = self.expect(Tok::Id, &[Tok::Id])?;
        let loc = start.unwrap_or(first.loc);
        let mut segments = vec![(bracket_id(&first.text), first.text, None)];
        while self.peek()? == Tok::Sep {
            let sep = self.shift()?;
            let id = self.expect(Tok::Id, &[Tok::Id])?;
            segments.push((bracket_id(&id.text), id.text, Some(sep.text)));
        }
        if segments.len() == 1 && position == Position::Param {
            self.check_after_expression(&[Tok::Sep, Tok::Equals])?;
        } else {
            self.check_after_expression(&[Tok::Sep])?;
        }
        prepare_path(data, segments, loc)
    }

    /// `param* hash?`
    pub(super) fn params_and_hash(&mut self) -> Result<(Vec<Expr>, Option<Hash>), TemplateError> {
        let mut params = Vec::new();
        loop {
            let kind = self.peek()?;
            if kind == Tok::Id && self.peek2()? == Tok::Equals {
                break;
            }
            if !is_param_start(kind) {
                return Ok((params, None));
            }
            params.push(self.param(Position::Param)?);
        }
        let mut pairs = Vec::new();
        while self.peek()? == Tok::Id {
            let key = self.shift()?;
            self.expect(Tok::Equals, &[Tok::Equals])?;
            let value = self.param(Position::Name)?;
            pairs.push((bracket_id(&key.text), value));
        }
        Ok((params, Some(pairs)))
    }

    /// `param: helperName | sexpr`
    pub(super) fn param(&mut self, position: Position) -> Result<Expr, TemplateError> {
        match self.peek()? {
            Tok::OpenSexpr => self.sexpr(),
            kind if HELPER_NAME_STARTS.contains(&kind) => self.helper_name(position),
            _ => {
                let mut expected = HELPER_NAME_STARTS.to_vec();
                expected.push(Tok::OpenSexpr);
                Err(self.unexpected(&expected))
            }
        }
    }

    pub(super) fn sexpr(&mut self) -> Result<Expr, TemplateError> {
        self.enter()?;
        let open = self.shift()?;
        let path = self.helper_name(Position::Name)?;
        let (params, hash) = self.params_and_hash()?;
        let expected = self.close_expected(Tok::CloseSexpr, hash.is_some(), false);
        self.expect(Tok::CloseSexpr, &expected)?;
        self.leave();
        self.check_after_expression(&[])?;
        Ok(Expr::Sub(Box::new(SubExpr {
            path,
            params,
            hash,
            loc: open.loc,
        })))
    }

    /// `openBlock` / `openInverse` / `openInverseChain`.
    pub(super) fn open(&mut self) -> Result<Open, TemplateError> {
        let open = self.shift()?;
        let path = self.helper_name(Position::Name)?;
        let (params, hash) = self.params_and_hash()?;
        let block_params = if self.peek()? == Tok::OpenBlockParams {
            self.shift()?;
            let mut ids = vec![self.expect(Tok::Id, &[Tok::Id])?.text];
            while self.peek()? == Tok::Id {
                ids.push(self.shift()?.text);
            }
            self.expect(Tok::CloseBlockParams, &[Tok::Id, Tok::CloseBlockParams])?;
            // `yy.id(array)`: the regex sees the array joined with commas, and a match calls
            // `array.substring`, which does not exist.
            let joined = ids.join(",");
            if bracket_id(&joined) != joined {
                return err("t.substring is not a function");
            }
            Some(ids)
        } else {
            None
        };
        let expected = if block_params.is_some() {
            vec![Tok::Close]
        } else {
            self.close_expected(Tok::Close, hash.is_some(), true)
        };
        let close = self.expect(Tok::Close, &expected)?;
        Ok(Open {
            strip: strip_flags(&open.text, &close.text),
            text: open.text,
            path,
            params,
            hash,
            block_params,
        })
    }

    /// `closeBlock: OPEN_ENDBLOCK helperName CLOSE` (the program before it already checked the
    /// `OPEN_ENDBLOCK`).
    pub(super) fn close_block(&mut self) -> Result<(Value, Strip), TemplateError> {
        let open = self.expect(Tok::OpenEndBlock, &[Tok::OpenEndBlock])?;
        let name = self.helper_name(Position::Name)?;
        let close = self.expect(Tok::Close, &[Tok::Close])?;
        // jison reads the next token before reducing the block (and validating its name).
        self.peek()?;
        Ok((name.original(), strip_flags(&open.text, &close.text)))
    }

    pub(super) fn inverse_and_program(&mut self) -> Result<InverseAndProgram, TemplateError> {
        let token = self.shift()?;
        let program = self.program(&[Tok::OpenEndBlock])?;
        Ok(InverseAndProgram {
            strip: strip_flags(&token.text, &token.text),
            program,
            chain: false,
        })
    }

    /// `inverseChain: openInverseChain program inverseChain? | inverseAndProgram`
    pub(super) fn inverse_chain(&mut self) -> Result<InverseAndProgram, TemplateError> {
        if self.peek()? == Tok::Inverse {
            return self.inverse_and_program();
        }
        self.enter()?;
        let open = self.open()?;
        let program = self.program(&[Tok::OpenInverseChain, Tok::Inverse, Tok::OpenEndBlock])?;
        let nested = match self.peek()? {
            Tok::OpenInverseChain | Tok::Inverse => Some(self.inverse_chain()?),
            _ => None,
        };
        self.leave();
        let strip = open.strip;
        let close = Close::Chain(nested.as_ref().map(|n| n.strip));
        let block = prepare_block(open, program, nested, &close, false)?;
        Ok(InverseAndProgram {
            strip,
            program: Program {
                body: vec![Stmt::Block(Box::new(block))],
                block_params: None,
                chained: true,
            },
            chain: true,
        })
    }

    pub(super) fn block(&mut self) -> Result<Block, TemplateError> {
        let inverted = self.peek()? == Tok::OpenInverse;
        let open = self.open()?;
        let followers: &[Tok] = if inverted {
            &[Tok::Inverse, Tok::OpenEndBlock]
        } else {
            &[Tok::OpenInverseChain, Tok::Inverse, Tok::OpenEndBlock]
        };
        let program = self.program(followers)?;
        let inverse = match self.peek()? {
            Tok::Inverse => Some(self.inverse_and_program()?),
            Tok::OpenInverseChain => Some(self.inverse_chain()?),
            _ => None,
        };
        let (name, strip) = self.close_block()?;
        prepare_block(open, program, inverse, &Close::Block(name, strip), inverted)
    }

    pub(super) fn raw_block(&mut self) -> Result<Stmt, TemplateError> {
        self.shift()?;
        let path = self.helper_name(Position::Name)?;
        let (params, hash) = self.params_and_hash()?;
        let expected = self.close_expected(Tok::CloseRawBlock, hash.is_some(), false);
        self.expect(Tok::CloseRawBlock, &expected)?;
        let mut body = Vec::new();
        while self.peek()? == Tok::Content {
            let token = self.shift()?;
            body.push(Stmt::Content(Content {
                original: token.text.clone(),
                value: token.text,
                right_stripped: false,
                left_stripped: false,
            }));
        }
        // After a `CONTENT`, jison's merged state lists everything that may follow content.
        let expected: &[Tok] = if body.is_empty() {
            &[Tok::Content, Tok::EndRawBlock]
        } else {
            &[
                Tok::Eof,
                Tok::Comment,
                Tok::Content,
                Tok::EndRawBlock,
                Tok::OpenRawBlock,
                Tok::OpenBlock,
                Tok::OpenInverse,
                Tok::OpenInverseChain,
                Tok::Inverse,
                Tok::OpenEndBlock,
                Tok::Open,
                Tok::OpenUnescaped,
                Tok::OpenPartial,
                Tok::OpenPartialBlock,
            ]
        };
        let end = self.expect(Tok::EndRawBlock, expected)?;
        self.peek()?;
        validate_close(&path, &Value::String(end.text))?;
        Ok(Stmt::Block(Box::new(Block {
            path,
            params,
            hash,
            program: Some(Program {
                body,
                block_params: None,
                chained: false,
            }),
            inverse: None,
            open_strip: Strip::default(),
            inverse_strip: Strip::default(),
            close_strip: Strip::default(),
            decorator: false,
        })))
    }

    /// `partialName: helperName | sexpr`
    pub(super) fn partial_name(&mut self) -> Result<Expr, TemplateError> {
        self.param(Position::Name)
    }

    pub(super) fn partial(&mut self) -> Result<Stmt, TemplateError> {
        let open = self.shift()?;
        let name = self.partial_name()?;
        let (params, hash) = self.params_and_hash()?;
        let expected = self.close_expected(Tok::Close, hash.is_some(), false);
        let close = self.expect(Tok::Close, &expected)?;
        Ok(Stmt::Partial(Partial {
            name,
            params,
            hash,
            indent: String::new(),
            strip: strip_flags(&open.text, &close.text),
            loc: open.loc,
        }))
    }

    pub(super) fn partial_block(&mut self) -> Result<Stmt, TemplateError> {
        let open = self.shift()?;
        let name = self.partial_name()?;
        let (params, hash) = self.params_and_hash()?;
        let expected = self.close_expected(Tok::Close, hash.is_some(), false);
        let close = self.expect(Tok::Close, &expected)?;
        let program = self.program(&[Tok::OpenEndBlock])?;
        let (end_name, end_strip) = self.close_block()?;
        validate_close(&name, &end_name)?;
        Ok(Stmt::PartialBlock(Box::new(PartialBlock {
            name,
            params,
            hash,
            program,
            open_strip: strip_flags(&open.text, &close.text),
            close_strip: end_strip,
            loc: open.loc,
        })))
    }
}

/// `yy.prepareBlock`.
pub(super) fn prepare_block(
    open: Open,
    mut program: Program,
    inverse_and_program: Option<InverseAndProgram>,
    close: &Close,
    inverted: bool,
) -> Result<Block, TemplateError> {
    if let Close::Block(name, _) = close {
        validate_close(&open.path, name)?;
    }
    let decorator = open.text.contains('*');
    program.block_params = open.block_params;
    let close_strip = match close {
        Close::Block(_, strip) => *strip,
        Close::Chain(strip) => strip.unwrap_or_default(),
    };
    let mut inverse = None;
    let mut inverse_strip = Strip::default();
    if let Some(mut iap) = inverse_and_program {
        if decorator {
            return err("Unexpected inverse block on decorator");
        }
        if iap.chain
            && let Some(Stmt::Block(first)) = iap.program.body.first_mut()
        {
            first.close_strip = close_strip;
        }
        inverse_strip = iap.strip;
        inverse = Some(iap.program);
    }
    let (program, inverse) = if inverted {
        (inverse, Some(program))
    } else {
        (Some(program), inverse)
    };
    Ok(Block {
        path: open.path,
        params: open.params,
        hash: open.hash,
        program,
        inverse,
        open_strip: open.strip,
        inverse_strip,
        close_strip,
        decorator,
    })
}
