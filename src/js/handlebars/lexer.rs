//! The lexer: `handlebars.l` as compiled by jison (rules tried in order, the first match wins),
//! with jison's locations (1-based line, 0-based UTF-16 column).

use super::TemplateError;
use super::value::{is_js_space, is_line_terminator};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    Content,
    Comment,
    OpenRawBlock,
    CloseRawBlock,
    EndRawBlock,
    OpenPartial,
    OpenPartialBlock,
    OpenBlock,
    OpenEndBlock,
    Inverse,
    OpenInverse,
    OpenInverseChain,
    OpenUnescaped,
    Open,
    OpenSexpr,
    CloseSexpr,
    Equals,
    Id,
    Sep,
    CloseUnescaped,
    Close,
    Str,
    Data,
    Boolean,
    Undefined,
    Null,
    Number,
    OpenBlockParams,
    CloseBlockParams,
    Invalid,
    Eof,
    /// End of input where no lexer rule applies (raw blocks): jison's bare `EOF` value `1`.
    NoMatchEof,
}

impl Tok {
    /// The jison terminal number (expected tokens are listed in this order).
    pub(super) fn terminal_id(self) -> u8 {
        match self {
            Tok::NoMatchEof => 1,
            Tok::Eof => 5,
            Tok::Comment => 14,
            Tok::Content => 15,
            Tok::EndRawBlock => 18,
            Tok::OpenRawBlock => 19,
            Tok::CloseRawBlock => 23,
            Tok::OpenBlock => 29,
            Tok::Close => 33,
            Tok::OpenInverse => 34,
            Tok::OpenInverseChain => 39,
            Tok::Inverse => 44,
            Tok::OpenEndBlock => 47,
            Tok::Open => 48,
            Tok::OpenUnescaped => 51,
            Tok::CloseUnescaped => 54,
            Tok::OpenPartial => 55,
            Tok::OpenPartialBlock => 60,
            Tok::OpenSexpr => 65,
            Tok::CloseSexpr => 68,
            Tok::Id => 72,
            Tok::Equals => 73,
            Tok::OpenBlockParams => 75,
            Tok::CloseBlockParams => 77,
            Tok::Str => 80,
            Tok::Number => 81,
            Tok::Boolean => 82,
            Tok::Undefined => 83,
            Tok::Null => 84,
            Tok::Data => 85,
            Tok::Sep => 87,
            Tok::Invalid => u8::MAX,
        }
    }

    /// The jison terminal name, as parse errors print it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Tok::Content => "CONTENT",
            Tok::Comment => "COMMENT",
            Tok::OpenRawBlock => "OPEN_RAW_BLOCK",
            Tok::CloseRawBlock => "CLOSE_RAW_BLOCK",
            Tok::EndRawBlock => "END_RAW_BLOCK",
            Tok::OpenPartial => "OPEN_PARTIAL",
            Tok::OpenPartialBlock => "OPEN_PARTIAL_BLOCK",
            Tok::OpenBlock => "OPEN_BLOCK",
            Tok::OpenEndBlock => "OPEN_ENDBLOCK",
            Tok::Inverse => "INVERSE",
            Tok::OpenInverse => "OPEN_INVERSE",
            Tok::OpenInverseChain => "OPEN_INVERSE_CHAIN",
            Tok::OpenUnescaped => "OPEN_UNESCAPED",
            Tok::Open => "OPEN",
            Tok::OpenSexpr => "OPEN_SEXPR",
            Tok::CloseSexpr => "CLOSE_SEXPR",
            Tok::Equals => "EQUALS",
            Tok::Id => "ID",
            Tok::Sep => "SEP",
            Tok::CloseUnescaped => "CLOSE_UNESCAPED",
            Tok::Close => "CLOSE",
            Tok::Str => "STRING",
            Tok::Data => "DATA",
            Tok::Boolean => "BOOLEAN",
            Tok::Undefined => "UNDEFINED",
            Tok::Null => "NULL",
            Tok::Number => "NUMBER",
            Tok::OpenBlockParams => "OPEN_BLOCK_PARAMS",
            Tok::CloseBlockParams => "CLOSE_BLOCK_PARAMS",
            Tok::Invalid => "INVALID",
            Tok::Eof => "EOF",
            Tok::NoMatchEof => "1",
        }
    }
}

/// A source position as jison reports it: 1-based line, 0-based UTF-16 column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Loc {
    pub(super) line: usize,
    pub(super) column: usize,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) text: String,
    pub(super) loc: Loc,
    /// jison's `pastInput()` while this token is the current match.
    pub(super) past: String,
    /// Char offsets of the matched text (for the parse error's position display).
    pub(super) start: usize,
    pub(super) end: usize,
    /// jison's `yylineno` after this token.
    pub(super) line_after: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cond {
    Initial,
    Mu,
    Emu,
    Com,
    Raw,
}

/// Characters of the `ID` token: anything but JS whitespace and ``!"#%&'()*+,./;<=>@[\]^`{|}~``.
pub(super) fn is_id_char(c: char) -> bool {
    !is_js_space(c)
        && !matches!(
            c,
            '!' | '"' | '#' | '%'..=',' | '.' | '/' | ';'..='>' | '@' | '['..='^' | '`' | '{'..='~'
        )
}

/// `[=~}\s/.)|]`, what may follow an `ID`.
pub(super) fn is_id_lookahead(c: Option<char>) -> bool {
    c.is_some_and(|c| matches!(c, '=' | '~' | '}' | '/' | '.' | ')' | '|') || is_js_space(c))
}

/// `[~}\s)]`, what may follow a literal.
pub(super) fn is_literal_lookahead(c: Option<char>) -> bool {
    c.is_some_and(|c| matches!(c, '~' | '}' | ')') || is_js_space(c))
}

pub(super) fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) enum Action {
    Emit(Tok),
    PopEmit(Tok),
    Skip,
}

pub(super) struct Lexer {
    pub(super) src: Vec<char>,
    pub(super) pos: usize,
    pub(super) conds: Vec<Cond>,
    /// jison `yylineno` (0-based count of line breaks consumed).
    pub(super) lineno: usize,
    /// jison `yylloc.last_column`.
    pub(super) column: usize,
    /// jison `matched`: everything consumed (its `unput` gives back only one character).
    pub(super) matched: Vec<char>,
}

impl Lexer {
    pub(super) fn new(src: &str) -> Self {
        Lexer {
            src: src.chars().collect(),
            pos: 0,
            conds: vec![Cond::Initial],
            lineno: 0,
            column: 0,
            matched: Vec::new(),
        }
    }

    pub(super) fn at(&self, i: usize) -> Option<char> {
        self.src.get(i).copied()
    }

    pub(super) fn starts(&self, i: usize, s: &str) -> bool {
        (i..).zip(s.chars()).all(|(j, c)| self.at(j) == Some(c))
    }

    pub(super) fn cond(&self) -> Cond {
        self.conds.last().copied().unwrap_or(Cond::Initial)
    }

    pub(super) fn pop(&mut self) {
        self.conds.pop();
    }

    pub(super) fn text(&self, start: usize, end: usize) -> String {
        self.src[start..end].iter().collect()
    }

    /// jison's `pastInput()` before the next match.
    pub(super) fn past_input(&self) -> String {
        let past = &self.matched;
        let mut shown: String = if past.len() > 20 {
            "...".to_owned()
        } else {
            String::new()
        };
        shown.extend(past[past.len().saturating_sub(20)..].iter());
        shown.replace('\n', "")
    }

    /// jison's `showPosition()` for the token matched at `[start, end)`.
    pub(super) fn show_position(&self, shown_past: &str, start: usize, end: usize) -> String {
        let matched = end.saturating_sub(start);
        let upcoming_len = matched.max(20);
        let upcoming: Vec<char> = self
            .src
            .iter()
            .skip(start)
            .take(upcoming_len)
            .copied()
            .collect();
        let mut shown_next: String = upcoming.iter().take(20).collect();
        if upcoming.len() > 20 {
            shown_next.push_str("...");
        }
        let shown_next = shown_next.replace('\n', "");
        let dashes = "-".repeat(shown_past.chars().count());
        format!("{shown_past}{shown_next}\n{dashes}^")
    }

    /// Advances over `[self.pos, end)`, updating line and column as jison does.
    pub(super) fn consume(&mut self, end: usize) -> Loc {
        let loc = Loc {
            line: self.lineno + 1,
            column: self.column,
        };
        let matched = &self.src[self.pos..end];
        let mut breaks = 0;
        let mut last_break_end = None;
        let mut i = 0;
        while i < matched.len() {
            match matched[i] {
                '\r' => {
                    breaks += 1;
                    i += if matched.get(i + 1) == Some(&'\n') {
                        2
                    } else {
                        1
                    };
                    last_break_end = Some(i);
                }
                '\n' => {
                    breaks += 1;
                    i += 1;
                    last_break_end = Some(i);
                }
                _ => i += 1,
            }
        }
        self.matched.extend_from_slice(matched);
        self.lineno += breaks;
        self.column = match last_break_end {
            Some(after) => matched[after..]
                .iter()
                .take_while(|c| !is_line_terminator(**c))
                .map(|c| c.len_utf16())
                .sum(),
            None => self.column + matched.iter().map(|c| c.len_utf16()).sum::<usize>(),
        };
        self.pos = end;
        loc
    }

    pub(super) fn lexical_error(&self) -> TemplateError {
        TemplateError(format!(
            "Lexical error on line {}. Unrecognized text.\n{}",
            self.lineno + 1,
            self.show_position(&self.past_input(), self.pos, self.pos)
        ))
    }

    /// The next token (jison `lex()`: skipped matches loop).
    pub(super) fn lex(&mut self) -> Result<Token, TemplateError> {
        loop {
            if self.pos >= self.src.len() {
                // `<INITIAL,mu><<EOF>>` gives `EOF`; elsewhere no rule matches the empty input.
                let kind = match self.cond() {
                    Cond::Initial | Cond::Mu => Tok::Eof,
                    Cond::Emu | Cond::Com | Cond::Raw => Tok::NoMatchEof,
                };
                return Ok(Token {
                    kind,
                    text: String::new(),
                    loc: Loc {
                        line: self.lineno + 1,
                        column: self.column,
                    },
                    past: self.past_input(),
                    start: self.pos,
                    end: self.pos,
                    line_after: self.lineno,
                });
            }
            let start = self.pos;
            let (end, action, text) = match self.cond() {
                Cond::Initial => self.match_initial()?,
                Cond::Emu => self.match_emu()?,
                Cond::Com => self.match_com()?,
                Cond::Raw => self.match_raw()?,
                Cond::Mu => self.match_mu(),
            };
            if end == start && matches!(action, Action::Skip) && self.cond() == Cond::Com {
                // `{{!--` was matched then put back for the comment state; jison's `unput`
                // removes only one character from `matched`.
                self.matched.extend(text.unwrap_or_default().chars());
                self.matched.pop();
                continue;
            }
            let past = self.past_input();
            let loc = self.consume(end);
            let kind = match action {
                Action::Skip => continue,
                Action::Emit(kind) => kind,
                Action::PopEmit(kind) => {
                    self.pop();
                    kind
                }
            };
            return Ok(Token {
                kind,
                text: text.unwrap_or_else(|| self.text(start, end)),
                loc,
                past,
                start,
                end,
                line_after: self.lineno,
            });
        }
    }

    pub(super) fn match_initial(
        &mut self,
    ) -> Result<(usize, Action, Option<String>), TemplateError> {
        // [^\x00]*?/("{{")
        let mut k = self.pos;
        let mut found = None;
        while k < self.src.len() {
            if self.src[k] == '\0' {
                break;
            }
            if self.starts(k, "{{") {
                found = Some(k);
                break;
            }
            k += 1;
        }
        if let Some(j) = found {
            let mut text = self.text(self.pos, j);
            if text.ends_with("\\\\") {
                text.pop();
                self.conds.push(Cond::Mu);
            } else if text.ends_with('\\') {
                text.pop();
                self.conds.push(Cond::Emu);
            } else {
                self.conds.push(Cond::Mu);
            }
            let action = if text.is_empty() {
                Action::Skip
            } else {
                Action::Emit(Tok::Content)
            };
            return Ok((j, action, Some(text)));
        }
        // [^\x00]+
        let end = (self.pos..self.src.len())
            .find(|&i| self.src[i] == '\0')
            .unwrap_or(self.src.len());
        if end > self.pos {
            return Ok((end, Action::Emit(Tok::Content), None));
        }
        Err(self.lexical_error())
    }

    pub(super) fn match_emu(&mut self) -> Result<(usize, Action, Option<String>), TemplateError> {
        // [^\x00]{2,}?/("{{"|"\\{{"|"\\\\{{"|<<EOF>>)
        let mut k = self.pos;
        while k < self.src.len() && self.src[k] != '\0' {
            k += 1;
            if k - self.pos >= 2
                && (k == self.src.len()
                    || self.starts(k, "{{")
                    || self.starts(k, "\\{{")
                    || self.starts(k, "\\\\{{"))
            {
                return Ok((k, Action::PopEmit(Tok::Content), None));
            }
        }
        Err(self.lexical_error())
    }

    pub(super) fn match_com(&mut self) -> Result<(usize, Action, Option<String>), TemplateError> {
        // [\s\S]*?"--"{RIGHT_STRIP}?"}}"
        for k in self.pos..self.src.len() {
            if self.starts(k, "--~}}") {
                return Ok((k + 5, Action::PopEmit(Tok::Comment), None));
            }
            if self.starts(k, "--}}") {
                return Ok((k + 4, Action::PopEmit(Tok::Comment), None));
            }
        }
        Err(self.lexical_error())
    }

    pub(super) fn match_raw(&mut self) -> Result<(usize, Action, Option<String>), TemplateError> {
        let pos = self.pos;
        // "{{{{"/[^/]
        if self.starts(pos, "{{{{") && self.at(pos + 4).is_some_and(|c| c != '/') {
            self.conds.push(Cond::Raw);
            return Ok((pos + 4, Action::Emit(Tok::Content), None));
        }
        // "{{{{/"{ID}"}}}}"
        if self.starts(pos, "{{{{/") {
            let mut j = pos + 5;
            while self.at(j).is_some_and(is_id_char) {
                j += 1;
            }
            if j > pos + 5 && self.starts(j, "}}}}") {
                self.pop();
                if self.cond() == Cond::Raw {
                    return Ok((j + 4, Action::Emit(Tok::Content), None));
                }
                return Ok((
                    j + 4,
                    Action::Emit(Tok::EndRawBlock),
                    Some(self.text(pos + 5, j)),
                ));
            }
        }
        // [^\x00]+?/("{{{{")
        let mut k = pos;
        while k < self.src.len() && self.src[k] != '\0' {
            k += 1;
            if self.starts(k, "{{{{") {
                return Ok((k, Action::Emit(Tok::Content), None));
            }
        }
        Err(self.lexical_error())
    }

    pub(super) fn skip_space(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_js_space) {
            i += 1;
        }
        i
    }

    /// `"…"` / `'…'` with `\"` escapes, as the backtracking regex `"(\\["]|[^"])*"` matches.
    pub(super) fn match_string(&self, quote: char) -> Option<(usize, String)> {
        let mut i = self.pos + 1;
        let mut last_escaped_quote = None;
        let end = loop {
            match self.at(i) {
                None => break last_escaped_quote.map(|q| q + 1)?,
                Some('\\') if self.at(i + 1) == Some(quote) => {
                    last_escaped_quote = Some(i + 1);
                    i += 2;
                }
                Some(c) if c == quote => break i + 1,
                Some(_) => i += 1,
            }
        };
        let inner = self.text(self.pos + 1, end - 1);
        let escaped = format!("\\{quote}");
        Some((end, inner.replace(&escaped, &quote.to_string())))
    }

    /// `[` ... `]` with `\]` escapes, then `\\` and `\]` unescaped.
    pub(super) fn match_bracket(&self) -> Option<(usize, String)> {
        let mut i = self.pos + 1;
        let mut last_escaped = None;
        let end = loop {
            match self.at(i) {
                None => break last_escaped.map(|q| q + 1)?,
                Some('\\') if self.at(i + 1) == Some(']') => {
                    last_escaped = Some(i + 1);
                    i += 2;
                }
                Some(']') => break i + 1,
                Some(_) => i += 1,
            }
        };
        let raw: Vec<char> = self.src[self.pos..end].to_vec();
        let mut text = String::new();
        let mut j = 0;
        while j < raw.len() {
            if raw[j] == '\\' && matches!(raw.get(j + 1), Some('\\' | ']')) {
                text.push(raw[j + 1]);
                j += 2;
            } else {
                text.push(raw[j]);
                j += 1;
            }
        }
        Some((end, text))
    }

    pub(super) fn match_mu(&mut self) -> (usize, Action, Option<String>) {
        let pos = self.pos;
        let emit = |end: usize, tok: Tok| (end, Action::Emit(tok), None);
        match self.at(pos) {
            Some('(') => return emit(pos + 1, Tok::OpenSexpr),
            Some(')') => return emit(pos + 1, Tok::CloseSexpr),
            _ => {}
        }
        if self.starts(pos, "{{{{") {
            return emit(pos + 4, Tok::OpenRawBlock);
        }
        if self.starts(pos, "}}}}") {
            self.pop();
            self.conds.push(Cond::Raw);
            return emit(pos + 4, Tok::CloseRawBlock);
        }
        if self.starts(pos, "{{") {
            return self.match_open(pos);
        }
        let c = self.at(pos);
        match c {
            Some('=') => return emit(pos + 1, Tok::Equals),
            Some('.') if self.at(pos + 1) == Some('.') => return emit(pos + 2, Tok::Id),
            Some('.') if is_id_lookahead(self.at(pos + 1)) => return emit(pos + 1, Tok::Id),
            Some('/' | '.') => return emit(pos + 1, Tok::Sep),
            Some(c) if is_js_space(c) => return (self.skip_space(pos), Action::Skip, None),
            Some('}') if self.starts(pos, "}~}}") => {
                return (pos + 4, Action::PopEmit(Tok::CloseUnescaped), None);
            }
            Some('}') if self.starts(pos, "}}}") => {
                return (pos + 3, Action::PopEmit(Tok::CloseUnescaped), None);
            }
            Some('}') if self.starts(pos, "}}") => {
                return (pos + 2, Action::PopEmit(Tok::Close), None);
            }
            Some('~') if self.starts(pos, "~}}") => {
                return (pos + 3, Action::PopEmit(Tok::Close), None);
            }
            Some(q @ ('"' | '\'')) => {
                if let Some((end, text)) = self.match_string(q) {
                    return (end, Action::Emit(Tok::Str), Some(text));
                }
            }
            Some('@') => return emit(pos + 1, Tok::Data),
            _ => {}
        }
        for (word, tok) in [
            ("true", Tok::Boolean),
            ("false", Tok::Boolean),
            ("undefined", Tok::Undefined),
            ("null", Tok::Null),
        ] {
            let end = pos + word.len();
            if self.starts(pos, word) && is_literal_lookahead(self.at(end)) {
                return emit(end, tok);
            }
        }
        if let Some(end) = self.match_number() {
            return emit(end, Tok::Number);
        }
        if self.starts(pos, "as") && self.at(pos + 2).is_some_and(is_js_space) {
            let after = self.skip_space(pos + 2);
            if self.at(after) == Some('|') {
                return emit(after + 1, Tok::OpenBlockParams);
            }
        }
        if c == Some('|') {
            return emit(pos + 1, Tok::CloseBlockParams);
        }
        let mut j = pos;
        while self.at(j).is_some_and(is_id_char) {
            j += 1;
        }
        if j > pos && is_id_lookahead(self.at(j)) {
            return emit(j, Tok::Id);
        }
        if c == Some('[')
            && let Some((end, text)) = self.match_bracket()
        {
            return (end, Action::Emit(Tok::Id), Some(text));
        }
        // `.` (never a line terminator here: whitespace was skipped above).
        emit(pos + 1, Tok::Invalid)
    }

    /// `-?[0-9]+(?:\.[0-9]+)?/{LITERAL_LOOKAHEAD}`
    pub(super) fn match_number(&self) -> Option<usize> {
        let mut i = self.pos;
        if self.at(i) == Some('-') {
            i += 1;
        }
        let digits_start = i;
        while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if i == digits_start {
            return None;
        }
        if self.at(i) == Some('.') && self.at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            let mut j = i + 1;
            while self.at(j).is_some_and(|c| c.is_ascii_digit()) {
                j += 1;
            }
            if is_literal_lookahead(self.at(j)) {
                return Some(j);
            }
        }
        is_literal_lookahead(self.at(i)).then_some(i)
    }

    /// The rules starting with `{{` (after `{{{{` was ruled out).
    pub(super) fn match_open(&mut self, pos: usize) -> (usize, Action, Option<String>) {
        let emit = |end: usize, tok: Tok| (end, Action::Emit(tok), None);
        let mut p = pos + 2;
        if self.at(p) == Some('~') {
            p += 1;
        }
        match self.at(p) {
            Some('>') => return emit(p + 1, Tok::OpenPartial),
            Some('#') if self.at(p + 1) == Some('>') => return emit(p + 2, Tok::OpenPartialBlock),
            Some('#') => {
                let end = if self.at(p + 1) == Some('*') {
                    p + 2
                } else {
                    p + 1
                };
                return emit(end, Tok::OpenBlock);
            }
            Some('/') => return emit(p + 1, Tok::OpenEndBlock),
            Some('^') => {
                let mut q = self.skip_space(p + 1);
                if self.at(q) == Some('~') {
                    q += 1;
                }
                if self.starts(q, "}}") {
                    return (q + 2, Action::PopEmit(Tok::Inverse), None);
                }
                return emit(p + 1, Tok::OpenInverse);
            }
            Some('{') => return emit(p + 1, Tok::OpenUnescaped),
            Some('&') => return emit(p + 1, Tok::Open),
            Some('!') => {
                if self.starts(p + 1, "--") {
                    // `this.unput(yytext); this.popState(); this.begin('com')`
                    self.pop();
                    self.conds.push(Cond::Com);
                    return (pos, Action::Skip, Some(self.text(pos, p + 3)));
                }
                if let Some(k) = (p + 1..self.src.len()).find(|&k| self.starts(k, "}}")) {
                    return (k + 2, Action::PopEmit(Tok::Comment), None);
                }
            }
            _ => {
                let q = self.skip_space(p);
                if self.starts(q, "else") {
                    let mut r = self.skip_space(q + 4);
                    if self.at(r) == Some('~') {
                        r += 1;
                    }
                    if self.starts(r, "}}") {
                        return (r + 2, Action::PopEmit(Tok::Inverse), None);
                    }
                    if !is_word_char(self.at(q + 4)) {
                        return emit(q + 4, Tok::OpenInverseChain);
                    }
                }
            }
        }
        let end = if self.at(p) == Some('*') { p + 1 } else { p };
        emit(end, Tok::Open)
    }
}
