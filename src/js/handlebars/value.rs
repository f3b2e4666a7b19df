//! JavaScript value semantics the runtime relies on: `String(value)`, `Number(string)`, `==`,
//! `Utils.isEmpty`, `Object.keys` order, own properties and `Utils.escapeExpression`.

use std::sync::Arc;

use super::{Object, Scope, Value, js_number_to_string};

/// JavaScript `\s` (`WhiteSpace` and `LineTerminator`).
pub(super) use super::super::jsnum::is_js_whitespace as is_js_space;

/// The characters regex `.` does not match.
pub(super) fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

pub(super) fn to_js_string(value: &Value, scope: &dyn Scope) -> String {
    match value {
        Value::Undefined => "undefined".to_owned(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number_to_string(*n),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| {
                    if v.is_nullish() {
                        String::new()
                    } else {
                        to_js_string(v, scope)
                    }
                })
                .collect();
            parts.join(",")
        }
        Value::Object(o) => o
            .to_string
            .clone()
            .unwrap_or_else(|| "[object Object]".to_owned()),
        Value::Function(id) => scope.function_source(*id),
    }
}

/// JavaScript `Number(string)`.
pub(super) fn js_string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.is_empty() || !rest.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return rest.chars().fold(0.0, |acc, c| {
                acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
            });
        }
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    // StrDecimalLiteral: digits, optional fraction, optional exponent; at least one digit.
    let bytes = unsigned.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return f64::NAN;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return f64::NAN;
        }
    }
    if i != bytes.len() {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// JavaScript abstract equality (`==`).
#[allow(clippy::float_cmp)] // JavaScript compares numbers exactly
pub(super) fn loose_equals(a: &Value, b: &Value, scope: &dyn Scope) -> bool {
    use Value as V;
    match (a, b) {
        (V::Undefined | V::Null, V::Undefined | V::Null) => true,
        (V::Undefined | V::Null, _) | (_, V::Undefined | V::Null) => false,
        (V::Number(x), V::Number(y)) => x == y,
        (V::String(x), V::String(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Array(x), V::Array(y)) => Arc::ptr_eq(x, y),
        (V::Object(x), V::Object(y)) => Arc::ptr_eq(x, y),
        (V::Function(x), V::Function(y)) => x == y,
        (V::Number(x), V::String(s)) | (V::String(s), V::Number(x)) => *x == js_string_to_number(s),
        (V::Bool(x), _) => loose_equals(&V::Number(f64::from(u8::from(*x))), b, scope),
        (_, V::Bool(y)) => loose_equals(a, &V::Number(f64::from(u8::from(*y))), scope),
        (V::Array(_) | V::Object(_) | V::Function(_), V::Number(_) | V::String(_)) => {
            loose_equals(&V::String(to_js_string(a, scope)), b, scope)
        }
        (V::Number(_) | V::String(_), V::Array(_) | V::Object(_) | V::Function(_)) => {
            loose_equals(a, &V::String(to_js_string(b, scope)), scope)
        }
        _ => false,
    }
}

/// handlebars `Utils.isEmpty`.
pub(super) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Number(n) if *n == 0.0 => false,
        Value::Array(items) => items.is_empty(),
        v => !v.is_truthy(),
    }
}

/// A canonical array index (`"0"`, `"17"`; not `"01"` or `"-0"`).
pub(super) fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u32>().ok().filter(|n| *n != u32::MAX)
}

/// Orders keys as `Object.keys` does: integer-like keys ascending first, then insertion order.
pub(super) fn js_key_order<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    let (mut indices, others): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(k, _)| array_index(k).is_some());
    indices.sort_by_key(|(k, _)| array_index(k));
    indices.extend(others);
    indices
}

/// Sets an own property, keeping the position of an existing key.
pub(super) fn set_property(entries: &mut Vec<(String, Value)>, key: &str, value: Value) {
    if let Some(slot) = entries.iter_mut().find(|(k, _)| k == key) {
        slot.1 = value;
    } else {
        entries.push((key.to_owned(), value));
    }
}

pub(super) fn own_property<'v>(object: &'v Object, key: &str) -> Option<&'v Value> {
    object
        .entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// handlebars `Utils.escapeExpression` on a string.
pub(super) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            c => out.push(c),
        }
    }
    out
}
