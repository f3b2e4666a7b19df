//! Untrusted text made inert: what a registry (or a source) says is shown, never obeyed.
//! [`inert`] escapes control characters (C0 with CR, LF and ESC; DEL; C1) so that nothing
//! reaches a terminal, a log line or a workflow command as a control; [`inert_bytes`] also shows
//! bytes that are not UTF-8 as `\xNN`; [`markdown`] additionally escapes Markdown and HTML for
//! a job-summary table cell. Pure functions, no state.

use std::fmt::Write as _;

/// `s` with every control character written as an escape (`\x1b`, `\r`, `\u{9b}`).
pub fn inert(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_inert(&mut out, c);
    }
    out
}

fn push_inert(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x80 && c.is_control() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        // C1 controls, and the invisible bidirectional overrides that reorder what is shown.
        c if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// `bytes` as inert text: valid UTF-8 as [`inert`], every other byte as `\xNN`.
pub fn inert_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_inert(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// `s` for a Markdown table cell: [`inert`], then every ASCII punctuation character that
/// Markdown or HTML could act on backslash-escaped (`<`, `>` and `&` as entities), so links,
/// images, emphasis, HTML tags and `|` cell breaks show as typed. `:` and `@` are escaped too,
/// which stops GitHub's autolinks (`https://…`, `user@host`); a backslash escape of ASCII
/// punctuation renders as the character itself (`CommonMark`).
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in inert(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' | '"' | '\'' | '$' | '%' | '^' | '=' | ':' | '@' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_nothing_else_changes() {
        assert_eq!(
            inert("\u{1b}[31mred\u{1b}[0m\r\nok\u{9b}2J\u{7f}\u{202e}"),
            "\\x1b[31mred\\x1b[0m\\r\\nok\\u{9b}2J\\x7f\\u{202e}"
        );
        assert_eq!(inert("plain: é ✓ | [x](y)"), "plain: é ✓ | [x](y)");
        assert!(!inert("a\u{0}b\u{7}c").chars().any(char::is_control));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_escaped() {
        assert_eq!(
            inert_bytes(b"ok \xff\xfe\x1b end \xc3\xa9"),
            "ok \\xff\\xfe\\x1b end é"
        );
    }

    #[test]
    fn markdown_and_html_are_shown_not_rendered() {
        assert_eq!(
            markdown("[link](http://x) <img src=x> **b** | `c` &amp;\r"),
            "\\[link\\]\\(http\\://x\\) &lt;img src\\=x&gt; \\*\\*b\\*\\* \\| \\`c\\` &amp;amp;\\\\r"
        );
    }
}
