//! CSV parsing with the exact semantics of `csv-parse` 7.0.0 (the sync API,
//! default delimiter `,`, quote `"`, escape `"`, auto-detected record
//! delimiter, no BOM handling, no trimming, no casting) for the option sets the
//! reference action uses, plus actions-toolkit's `Util.getInputList` built on
//! it.
//!
//! Owns: splitting a list input into entries ([`input_list`]) and splitting
//! one entry into fields ([`parse`] with [`CsvOptions::ENTRY`]), including the
//! upstream error messages. Must not: interpret fields (tag/flavor/image
//! attributes belong to their parsers), read inputs, or print.
//!
//! Notes on fidelity: csv-parse works on the UTF-8 bytes; every special
//! character is ASCII, so splitting on them keeps each field valid UTF-8.
//! The record delimiter is the first of `\r\n`, `\n`, `\r` met outside a
//! quoted field (or right after a closing quote); afterwards the other line
//! endings are ordinary field characters.

use std::fmt::{self, Write as _};

const QUOTE: u8 = b'"';
const DELIMITER: u8 = b',';
const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// The subset of csv-parse options the reference action sets. Everything
/// else keeps csv-parse's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// `relax_quotes`: a quote inside an unquoted field is kept as a plain
    /// character, and a closing quote followed by anything other than a
    /// delimiter / record delimiter / comment re-opens the field as text.
    pub relax_quotes: bool,
    /// `relax_column_count`: records may have differing field counts.
    pub relax_column_count: bool,
    /// `skip_empty_lines`: records whose line holds no character at all are
    /// dropped (a line of spaces is not empty; `""` is not empty).
    pub skip_empty_lines: bool,
    /// `comment`: the character that starts a comment running to the end of
    /// the line.
    pub comment: Option<char>,
    /// `comment_no_infix`: a comment starts only where a record's first field
    /// would start (line start, or right after a leading `""`).
    pub comment_no_infix: bool,
}

impl CsvOptions {
    /// Options of actions-toolkit `Util.getInputList(…, {ignoreComma: true,
    /// comment: '#', commentNoInfix: true})` (the first pass over a list
    /// input).
    pub const LIST_INPUT: CsvOptions = CsvOptions {
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        comment: Some('#'),
        comment_no_infix: true,
    };

    /// Options of the per-entry pass in the tag, flavor and image parsers
    /// (`{relaxColumnCount: true, skipEmptyLines: true}`): quotes are strict.
    pub const ENTRY: CsvOptions = CsvOptions {
        relax_quotes: false,
        relax_column_count: true,
        skip_empty_lines: true,
        comment: None,
        comment_no_infix: false,
    };

    /// [`CsvOptions::LIST_INPUT`] as a function.
    pub const fn list_input() -> Self {
        Self::LIST_INPUT
    }

    /// [`CsvOptions::ENTRY`] as a function.
    pub const fn entry() -> Self {
        Self::ENTRY
    }
}

/// A csv-parse error: its `code` and its exact `message` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// csv-parse's error code, e.g. `INVALID_OPENING_QUOTE`,
    /// `CSV_INVALID_CLOSING_QUOTE`, `CSV_QUOTE_NOT_CLOSED`,
    /// `CSV_RECORD_INCONSISTENT_FIELDS_LENGTH`.
    pub code: &'static str,
    /// The message exactly as csv-parse builds it (what `error.message`
    /// shows in the reference's failure output).
    pub message: String,
    /// csv-parse's 1-based line counter when the error was raised.
    pub line: usize,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CsvError {}

/// Parses `input` like `csv-parse/sync`'s `parse(input, options)` with
/// `columns: false`: one `Vec<String>` per record, fields unquoted.
///
/// An empty input gives no record. Errors carry csv-parse's message, e.g.
/// `Invalid Opening Quote: a quote is found on field 0 at line 1, value is "a"`.
pub fn parse(input: &str, opts: &CsvOptions) -> Result<Vec<Vec<String>>, CsvError> {
    let mut comment_buf = [0u8; 4];
    let comment: Option<&[u8]> = opts
        .comment
        .map(|c| c.encode_utf8(&mut comment_buf).as_bytes());
    let mut parser = Parser {
        buf: input.as_bytes(),
        opts,
        comment,
        record_delimiter: None,
        lines: 1,
        quoting: false,
        was_quoting: false,
        escaping: false,
        commenting: false,
        was_row_delimiter: false,
        record: Vec::new(),
        field: Vec::new(),
        records: Vec::new(),
        expected_len: None,
    };
    parser.run()?;
    Ok(parser.records)
}

/// actions-toolkit `Util.getInputList` with `{ignoreComma: true, comment:
/// '#', commentNoInfix: true}` applied to an input value already read (and
/// trimmed) by `core.getInput`.
///
/// Empty value → no entry. Otherwise each CSV record (a line, or several lines
/// when a quoted field spans them) becomes one entry: its fields re-joined
/// with `,` (so CSV quotes are consumed). Empty entries are dropped, *then*
/// every entry is JS-trimmed (so a line of spaces yields an empty entry).
pub fn input_list(raw: &str) -> Result<Vec<String>, CsvError> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let records = parse(raw, &CsvOptions::LIST_INPUT)?;
    Ok(records
        .into_iter()
        .map(|record| record.join(","))
        .filter(|entry| !entry.is_empty())
        .map(|entry| super::jsnum::js_trim(&entry).to_owned())
        .collect())
}

struct Parser<'a> {
    buf: &'a [u8],
    opts: &'a CsvOptions,
    comment: Option<&'a [u8]>,
    record_delimiter: Option<&'static [u8]>,
    lines: usize,
    quoting: bool,
    was_quoting: bool,
    escaping: bool,
    commenting: bool,
    was_row_delimiter: bool,
    record: Vec<String>,
    field: Vec<u8>,
    records: Vec<Vec<String>>,
    expected_len: Option<usize>,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), CsvError> {
        let buf = self.buf;
        let len = buf.len();
        let mut pos = 0;
        while pos < len {
            if self.was_row_delimiter {
                self.lines += 1;
                self.was_row_delimiter = false;
            }
            if !self.quoting && self.record_delimiter.is_none() {
                self.discover_record_delimiter(pos);
            }
            let chr = buf[pos];
            if (chr == CR || chr == LF) && !self.was_row_delimiter {
                self.was_row_delimiter = true;
            }
            if self.escaping {
                // The byte after an escape is plain text.
                self.escaping = false;
            } else {
                // Inside quotes, `""` is an escaped quote: skip the first.
                if self.quoting && chr == QUOTE && buf.get(pos + 1) == Some(&QUOTE) {
                    self.escaping = true;
                    pos += 1;
                    continue;
                }
                if !self.commenting && chr == QUOTE {
                    if self.quoting {
                        let next = buf.get(pos + 1).copied();
                        let next_is_comment = self.comment_at(pos + 1);
                        let next_is_delimiter = next == Some(DELIMITER);
                        let next_is_record_delimiter = if self.record_delimiter.is_none() {
                            self.discover_record_delimiter(pos + 1) != 0
                        } else {
                            self.record_delimiter_at(pos + 1) != 0
                        };
                        // JS `!nextChr`: end of input, or a NUL byte.
                        if matches!(next, None | Some(0))
                            || next_is_delimiter
                            || next_is_record_delimiter
                            || next_is_comment
                        {
                            self.quoting = false;
                            self.was_quoting = true;
                            pos += 1;
                            continue;
                        }
                        if !self.opts.relax_quotes {
                            let got = char::from(next.unwrap_or(0));
                            return Err(CsvError {
                                code: "CSV_INVALID_CLOSING_QUOTE",
                                message: format!(
                                    "Invalid Closing Quote: got \"{got}\" at line {} instead of \
                                     delimiter, record delimiter, trimable character (if \
                                     activated) or comment",
                                    self.lines
                                ),
                                line: self.lines,
                            });
                        }
                        // Relaxed: the field becomes text, opening quote
                        // included; this quote is appended below.
                        self.quoting = false;
                        self.was_quoting = true;
                        self.field.insert(0, QUOTE);
                    } else if !self.field.is_empty() {
                        if !self.opts.relax_quotes {
                            return Err(self.invalid_opening_quote());
                        }
                        // Relaxed: a plain character, appended below.
                    } else {
                        self.quoting = true;
                        pos += 1;
                        continue;
                    }
                }
                if !self.quoting {
                    let rd_len = self.record_delimiter_at(pos);
                    if rd_len != 0 {
                        let nothing_read =
                            !self.was_quoting && self.record.is_empty() && self.field.is_empty();
                        let skip_comment_line = self.commenting && nothing_read;
                        if !skip_comment_line {
                            if self.opts.skip_empty_lines && nothing_read {
                                pos += rd_len;
                                continue;
                            }
                            self.end_field();
                            self.end_record()?;
                        }
                        self.commenting = false;
                        pos += rd_len;
                        continue;
                    }
                    if self.commenting {
                        pos += 1;
                        continue;
                    }
                    let comment_allowed = !self.opts.comment_no_infix
                        || (self.record.is_empty() && self.field.is_empty());
                    if comment_allowed && self.comment_at(pos) {
                        self.commenting = true;
                        pos += 1;
                        continue;
                    }
                    if chr == DELIMITER {
                        self.end_field();
                        pos += 1;
                        continue;
                    }
                }
            }
            self.field.push(chr);
            pos += 1;
        }
        if self.quoting {
            return Err(CsvError {
                code: "CSV_QUOTE_NOT_CLOSED",
                message: format!(
                    "Quote Not Closed: the parsing is finished with an opening quote at line {}",
                    self.lines
                ),
                line: self.lines,
            });
        }
        if self.was_quoting || !self.record.is_empty() || !self.field.is_empty() {
            self.end_field();
            self.end_record()?;
        }
        Ok(())
    }

    /// csv-parse's `__autoDiscoverRecordDelimiter`: adopts the line ending
    /// found at `pos` (`\r\n` preferred over `\r`) and returns its length.
    fn discover_record_delimiter(&mut self, pos: usize) -> usize {
        let rest = self.buf.get(pos..).unwrap_or_default();
        let found: Option<&'static [u8]> = if rest.starts_with(b"\r\n") {
            Some(b"\r\n")
        } else if rest.starts_with(b"\n") {
            Some(b"\n")
        } else if rest.starts_with(b"\r") {
            Some(b"\r")
        } else {
            None
        };
        match found {
            Some(rd) => {
                self.record_delimiter = Some(rd);
                rd.len()
            }
            None => 0,
        }
    }

    fn record_delimiter_at(&self, pos: usize) -> usize {
        match self.record_delimiter {
            Some(rd) if self.buf.get(pos..).is_some_and(|rest| rest.starts_with(rd)) => rd.len(),
            _ => 0,
        }
    }

    fn comment_at(&self, pos: usize) -> bool {
        match self.comment {
            Some(c) => self.buf.get(pos..).is_some_and(|rest| rest.starts_with(c)),
            None => false,
        }
    }

    fn invalid_opening_quote(&self) -> CsvError {
        let value = String::from_utf8_lossy(&self.field);
        let bom = if self.field == [0xEF, 0xBB, 0xBF] {
            " (utf8 bom)"
        } else {
            ""
        };
        CsvError {
            code: "INVALID_OPENING_QUOTE",
            message: format!(
                "Invalid Opening Quote: a quote is found on field {} at line {}, value is {}{bom}",
                self.record.len(),
                self.lines,
                json_string(&value)
            ),
            line: self.lines,
        }
    }

    fn end_field(&mut self) {
        let field = String::from_utf8_lossy(&self.field).into_owned();
        self.record.push(field);
        self.field.clear();
        self.was_quoting = false;
    }

    fn end_record(&mut self) -> Result<(), CsvError> {
        let record = std::mem::take(&mut self.record);
        let expected = *self.expected_len.get_or_insert(record.len());
        if record.len() != expected && !self.opts.relax_column_count {
            return Err(CsvError {
                code: "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
                message: format!(
                    "Invalid Record Length: expect {expected}, got {} on line {}",
                    record.len(),
                    self.lines
                ),
                line: self.lines,
            });
        }
        self.records.push(record);
        Ok(())
    }
}

/// `JSON.stringify(s)` for a string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a `String` cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values produced by running the csv-parse 7.0.0 code bundled in
    // docker/metadata-action v6 (dist/index.cjs) under node v20, and its
    // `Util.getList` for the list pass. A larger random differential run
    // (200k inputs over `,` `"` `#` CR LF space NUL NBSP BOM é) matched too.
    type ListCase = (&'static str, Result<&'static [&'static str], &'static str>);
    type EntryCase = (
        &'static str,
        Result<&'static [&'static [&'static str]], &'static str>,
    );

    const LIST_CASES: &[ListCase] = &[
        (
            "type=ref,event=branch\ntype=semver,pattern={{version}}",
            Ok(&["type=ref,event=branch", "type=semver,pattern={{version}}"]),
        ),
        (
            "type=match,\"pattern=\\d{1,2}\"",
            Ok(&["type=match,pattern=\\d{1,2}"]),
        ),
        (
            "\"type=match,\"\"pattern=^v\\d{1,2}\"\"\"",
            Ok(&["type=match,\"pattern=^v\\d{1,2}\""]),
        ),
        ("# comment\ntype=raw,value=a", Ok(&["type=raw,value=a"])),
        (
            "type=raw,value=a # not a comment",
            Ok(&["type=raw,value=a # not a comment"]),
        ),
        ("type=raw,value=a#b", Ok(&["type=raw,value=a#b"])),
        ("  # indented\nfoo", Ok(&["# indented", "foo"])),
        ("a\n\n\nb", Ok(&["a", "b"])),
        ("a\n   \nb", Ok(&["a", "", "b"])),
        ("a\r\nb\r\nc", Ok(&["a", "b", "c"])),
        ("a\rb", Ok(&["a", "b"])),
        ("a\r\nb\nc", Ok(&["a", "b\nc"])),
        ("a\nb\r\nc", Ok(&["a", "b", "c"])),
        ("\"multi\nline\",x", Ok(&["multi\nline,x"])),
        (
            "\"unterminated",
            Err("Quote Not Closed: the parsing is finished with an opening quote at line 1"),
        ),
        ("a\"b\"c", Ok(&["a\"b\"c"])),
        ("\"a\"b", Ok(&["\"a\"b"])),
        ("\"a\" ,b", Ok(&["\"a\" ,b"])),
        ("\"\",#x", Ok(&[",#x"])),
        ("\"\"#x", Ok(&[])),
        ("\"a\"#x", Ok(&["a#x"])),
        ("a,b,", Ok(&["a,b,"])),
        (",,", Ok(&[",,"])),
        (" , ", Ok(&[","])),
        ("a\n#\nb", Ok(&["a", "b"])),
        (
            "{{#if is_default_branch}}x{{/if}}",
            Ok(&["{{#if is_default_branch}}x{{/if}}"]),
        ),
        (
            "type=raw,value={{date 'YYYYMMDD'}}",
            Ok(&["type=raw,value={{date 'YYYYMMDD'}}"]),
        ),
        (
            "user/app\nghcr.io/user/app,enable=false",
            Ok(&["user/app", "ghcr.io/user/app,enable=false"]),
        ),
        ("#only", Ok(&[])),
        ("\"\"", Ok(&[])),
        ("\"\n\"", Ok(&[""])),
        ("a,\"b\nc\",d\ne", Ok(&["a,b\nc,d", "e"])),
        ("\"a\"\"b\"", Ok(&["a\"b"])),
        ("\"a\"\"\"", Ok(&["a\""])),
        ("\"\"\"a\"", Ok(&["\"a"])),
        ("\u{a0}x\u{a0}", Ok(&["x"])),
        ("\u{0}", Ok(&["\u{0}"])),
        ("é,\"ü\"", Ok(&["é,ü"])),
    ];
    const ENTRY_CASES: &[EntryCase] = &[
        (
            "type=ref,event=branch",
            Ok(&[&["type=ref", "event=branch"]]),
        ),
        (
            "type=raw,value=a\"b",
            Err(
                "Invalid Opening Quote: a quote is found on field 1 at line 1, value is \"value=a\"",
            ),
        ),
        ("\"type=raw\",value", Ok(&[&["type=raw", "value"]])),
        (
            "\"a\"b",
            Err(
                "Invalid Closing Quote: got \"b\" at line 1 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "\"a",
            Err("Quote Not Closed: the parsing is finished with an opening quote at line 1"),
        ),
        ("a,\"b,c\",d", Ok(&[&["a", "b,c", "d"]])),
        ("a,,b,", Ok(&[&["a", "", "b", ""]])),
        (
            "x,\u{feff}\"y\"",
            Err(
                "Invalid Opening Quote: a quote is found on field 1 at line 1, value is \"\u{feff}\" (utf8 bom)",
            ),
        ),
        ("a\nb", Ok(&[&["a"], &["b"]])),
        ("", Ok(&[])),
        (
            "k=v\"",
            Err("Invalid Opening Quote: a quote is found on field 0 at line 1, value is \"k=v\""),
        ),
        (
            "a,\"é\"x",
            Err(
                "Invalid Closing Quote: got \"x\" at line 1 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "a,\t\"b\"",
            Err("Invalid Opening Quote: a quote is found on field 1 at line 1, value is \"\\t\""),
        ),
        (
            "a, \"b\"",
            Err("Invalid Opening Quote: a quote is found on field 1 at line 1, value is \" \""),
        ),
        (
            "\"a\" ",
            Err(
                "Invalid Closing Quote: got \" \" at line 1 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        ("\"a\"\r\nb", Ok(&[&["a"], &["b"]])),
        ("#x,y", Ok(&[&["#x", "y"]])),
        (
            "\"a\"#",
            Err(
                "Invalid Closing Quote: got \"#\" at line 1 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "\"a\"é",
            Err(
                "Invalid Closing Quote: got \"Ã\" at line 1 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "a\nb\n\"c\"d",
            Err(
                "Invalid Closing Quote: got \"d\" at line 3 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "a\r\n\"b\r\nc\"d",
            Err(
                "Invalid Closing Quote: got \"d\" at line 4 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "\"a\r\nb\nc\rd\"x",
            Err(
                "Invalid Closing Quote: got \"x\" at line 5 instead of delimiter, record delimiter, trimable character (if activated) or comment",
            ),
        ),
        (
            "type=match,pattern=\\d{1,2}",
            Ok(&[&["type=match", "pattern=\\d{1", "2}"]]),
        ),
        ("\"a\nb\"", Ok(&[&["a\nb"]])),
        ("\n\n", Ok(&[])),
        (" ", Ok(&[&[" "]])),
        ("\"\",\"\",\"\"", Ok(&[&["", "", ""]])),
    ];

    #[test]
    fn input_list_matches_reference() {
        for (input, want) in LIST_CASES {
            let got = input_list(input);
            match (want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(g, w, "input {input:?}"),
                (Err(w), Err(g)) => assert_eq!(g.message, *w, "input {input:?}"),
                _ => panic!("input {input:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn entry_parse_matches_reference() {
        for (input, want) in ENTRY_CASES {
            let got = parse(input, &CsvOptions::ENTRY);
            match (want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(g, w, "input {input:?}"),
                (Err(w), Err(g)) => assert_eq!(g.message, *w, "input {input:?}"),
                _ => panic!("input {input:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn error_codes_and_lines() {
        let e = parse("a\n\"b", &CsvOptions::ENTRY).unwrap_err();
        assert_eq!((e.code, e.line), ("CSV_QUOTE_NOT_CLOSED", 2));
        let e = parse("ab\"", &CsvOptions::ENTRY).unwrap_err();
        assert_eq!(e.code, "INVALID_OPENING_QUOTE");
        assert_eq!(e.to_string(), e.message);
        let e = parse("\"a\"b", &CsvOptions::ENTRY).unwrap_err();
        assert_eq!(e.code, "CSV_INVALID_CLOSING_QUOTE");
    }

    #[test]
    fn strict_column_count() {
        let opts = CsvOptions {
            relax_column_count: false,
            ..CsvOptions::ENTRY
        };
        let e = parse("a,b\nc", &opts).unwrap_err();
        assert_eq!(e.code, "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH");
        assert_eq!(
            e.message,
            "Invalid Record Length: expect 2, got 1 on line 2"
        );
    }

    #[test]
    fn infix_comments_when_enabled() {
        // csv-parse with comment '#' and no comment_no_infix (metadata-action v5).
        let opts = CsvOptions {
            comment_no_infix: false,
            ..CsvOptions::LIST_INPUT
        };
        let got = parse("a,b#c\n{{#if x}}\n\"q\"#r", &opts).unwrap();
        assert_eq!(got, vec![vec!["a", "b"], vec!["{{"], vec!["q"]]);
    }

    #[test]
    fn json_string_escapes_like_js() {
        assert_eq!(
            json_string("a\"\\\u{1}\u{8}\u{c}\n\r\t\u{7f}é"),
            "\"a\\\"\\\\\\u0001\\b\\f\\n\\r\\t\u{7f}é\""
        );
    }
}
