//! JavaScript number and whitespace semantics, as the reference action's
//! JavaScript runtime applies them: `String.prototype.trim`, `Number(string)`
//! (ECMAScript `StringToNumber`) and `Number.prototype.toString()` in radix 10.
//!
//! Owns: exact parity of those three operations for every input string / every
//! `f64`. Must not: read the environment, print, or know anything about where
//! the strings come from (inputs, env vars, tag attributes): callers decide.

/// True for the characters ECMAScript calls `WhiteSpace` or `LineTerminator`
/// (the set `String.prototype.trim` strips and `Number()` ignores around a
/// literal). Differs from [`char::is_whitespace`]: U+FEFF is included, U+0085
/// (NEXT LINE) is not.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{0009}'
            | '\u{000A}'
            | '\u{000B}'
            | '\u{000C}'
            | '\u{000D}'
            | '\u{0020}'
            | '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `s.trim()` as JavaScript does it: strips [`is_js_whitespace`] characters
/// from both ends.
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_whitespace)
}

/// `Number(s)` for a string `s` (ECMAScript `StringToNumber`).
///
/// Surrounding JS whitespace is ignored; an empty (or all-whitespace) string
/// is `0`; `0x`/`0o`/`0b` prefixes (either case, no sign, no separators) give
/// integers rounded to the nearest double; `Infinity` with an optional sign;
/// decimal literals with optional sign, optional integer or fraction part
/// (`.5`, `5.`) and exponent. Anything else (`1_000`, `inf`, `NaN`, `+0x1`,
/// `1e`, non-ASCII digits) is `NaN`.
pub fn js_number(s: &str) -> f64 {
    let t = js_trim(s);
    if t.is_empty() {
        return 0.0;
    }
    let bytes = t.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'0' {
        let radix = match bytes[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return parse_radix_integer(&t[2..], radix);
        }
    }
    let (negative, body) = match bytes[0] {
        b'+' => (false, &t[1..]),
        b'-' => (true, &t[1..]),
        _ => (false, t),
    };
    if body == "Infinity" {
        return if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if !is_decimal_literal(body) {
        return f64::NAN;
    }
    // The grammar was checked above; Rust's parser accepts a superset
    // (`inf`, `nan`) that is already excluded, and rounds correctly.
    let magnitude = body.parse::<f64>().unwrap_or(f64::NAN);
    if negative { -magnitude } else { magnitude }
}

/// Checks `StrUnsignedDecimalLiteral` without `Infinity`: digits with an
/// optional `.` (at least one digit on either side), then an optional
/// exponent `e`/`E`, optional sign, one or more digits.
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Value of a non-empty digit string in radix 2, 8 or 16, rounded to the
/// nearest double (ties to even), or `NaN` for an empty or invalid string.
fn parse_radix_integer(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let bits_per_digit = radix.trailing_zeros() as usize;
    // Binary expansion, most significant bit first, leading zeros dropped.
    let mut bits: Vec<bool> = Vec::with_capacity(digits.len() * bits_per_digit);
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        for shift in (0..bits_per_digit).rev() {
            let bit = (d >> shift) & 1 == 1;
            if bit || !bits.is_empty() {
                bits.push(bit);
            }
        }
    }
    let significant = 53;
    if bits.len() <= significant {
        let value = bits.iter().fold(0u64, |acc, &b| (acc << 1) | u64::from(b));
        return exact_integer_to_f64(value);
    }
    let mut mantissa = bits[..significant]
        .iter()
        .fold(0u64, |acc, &b| (acc << 1) | u64::from(b));
    let round_bit = bits[significant];
    let sticky = bits[significant + 1..].iter().any(|&b| b);
    if round_bit && (sticky || mantissa & 1 == 1) {
        mantissa += 1;
    }
    let shift = bits.len() - significant;
    scale_by_power_of_two(exact_integer_to_f64(mantissa), shift)
}

/// An integer below 2^54 with at most 53 significant bits, as a double
/// (exact).
#[expect(
    clippy::cast_precision_loss,
    reason = "callers pass at most 53 significant bits"
)]
fn exact_integer_to_f64(m: u64) -> f64 {
    m as f64
}

/// `m * 2^shift` for an exact integer `m < 2^54`, saturating to infinity.
fn scale_by_power_of_two(m: f64, shift: usize) -> f64 {
    if shift > 1100 {
        return f64::INFINITY;
    }
    let mut value = m;
    let mut left = shift;
    while left > 0 {
        let step = left.min(1000);
        // `step <= 1000`: the power of two is a finite, exact double.
        value *= 2f64.powi(i32::try_from(step).unwrap_or(1000));
        left -= step;
    }
    value
}

/// `String(x)` / `x.toString()` for a JS number: the shortest decimal digits
/// that round-trip, in plain notation for `1e-7 < |x| < 1e21` and in
/// exponent form (`1e+21`, `1.5e-7`) otherwise; `NaN`, `Infinity`,
/// `-Infinity`; `-0` prints as `0`.
pub fn js_number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.classify() == std::num::FpCategory::Zero {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (digits, exp10) = shortest_digits(x.abs());
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // JS names: value = 0.d1d2..dk * 10^n.
    let n = exp10 + 1;
    let count = |m: i64| usize::try_from(m).unwrap_or(0);
    let body = if k <= n && n <= 21 {
        let mut s = digits.clone();
        s.extend(std::iter::repeat_n('0', count(n - k)));
        s
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(count(n));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        let zeros: String = std::iter::repeat_n('0', count(-n)).collect();
        format!("0.{zeros}{digits}")
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

/// Splits Rust's scientific rendering (`1.2345e-7`) into its significant
/// digits (`"12345"`) and decimal exponent (`-7`).
fn split_scientific(sci: &str) -> (String, i64) {
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// Shortest round-trip significant digits of a finite `x > 0` and the
/// decimal exponent of the first digit, choosing like ECMAScript when two
/// candidates of that length are equally close to `x`: the even one. (Rust's
/// shortest formatting rounds such exact ties up instead.)
fn shortest_digits(x: f64) -> (String, i64) {
    let (digits, exp10) = split_scientific(&format!("{x:e}"));
    // The exact decimal value of `x` (at most 767 significant digits).
    let (exact, exact_exp) = split_scientific(&format!("{x:.800e}"));
    let exact = exact.trim_end_matches('0');
    if exact.len() != digits.len() + 1 || exact_exp != exp10 || !exact.ends_with('5') {
        return (digits, exp10);
    }
    // `x` lies exactly halfway between `lower` and `lower + 1` (last place).
    let lower = &exact[..exact.len() - 1];
    let Some(upper) = increment_digits(lower) else {
        return (digits, exp10);
    };
    let chosen_is_candidate = digits == lower || digits == upper;
    let even_is_lower = lower.bytes().last().is_some_and(|d| d % 2 == 0);
    let even = if even_is_lower {
        lower.to_owned()
    } else {
        upper
    };
    let last_place = exp10 - i64::try_from(even.len()).unwrap_or(i64::MAX) + 1;
    let round_trips = format!("{even}e{last_place}")
        .parse::<f64>()
        .is_ok_and(|v| v.to_bits() == x.to_bits());
    if chosen_is_candidate && round_trips {
        let trimmed = even.trim_end_matches('0');
        (trimmed.to_owned(), exp10)
    } else {
        (digits, exp10)
    }
}

/// Adds one in the last place of a decimal digit string; `None` when it
/// would carry past the first digit.
fn increment_digits(d: &str) -> Option<String> {
    let mut bytes = d.as_bytes().to_vec();
    for i in (0..bytes.len()).rev() {
        if bytes[i] == b'9' {
            bytes[i] = b'0';
        } else {
            bytes[i] += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
    }

    /// Expected values printed by node v20: `Number(s)` for each string.
    /// Doubles are given as their bit patterns to compare exactly.
    #[test]
    fn number_matches_node() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("   ", 0.0),
            ("\u{FEFF}", 0.0),
            ("\u{00A0}7\u{2028}", 7.0),
            ("\u{0085}7", nan),
            ("\u{180E}7", nan),
            (" 10 ", 10.0),
            ("\t\n\r\u{000B}\u{000C}10\u{3000}", 10.0),
            ("1e1", 10.0),
            ("1E+1", 10.0),
            ("1e-1", 0.1),
            ("1e", nan),
            ("e1", nan),
            (".5", 0.5),
            ("5.", 5.0),
            (".", nan),
            ("+.5", 0.5),
            ("-.5e1", -5.0),
            ("-0", -0.0),
            ("+0", 0.0),
            ("007", 7.0),
            ("010", 10.0),
            ("0x8", 8.0),
            ("0X1f", 31.0),
            ("0xg", nan),
            ("0x", nan),
            ("-0x8", nan),
            ("+0x8", nan),
            ("0o17", 15.0),
            ("0O8", nan),
            ("0b101", 5.0),
            ("0B2", nan),
            ("0x1_0", nan),
            ("1_000", nan),
            ("1.5", 1.5),
            ("1.5.1", nan),
            ("Infinity", inf),
            ("+Infinity", inf),
            ("-Infinity", -inf),
            ("infinity", nan),
            ("inf", nan),
            ("NaN", nan),
            ("nan", nan),
            ("1e400", inf),
            ("-1e400", -inf),
            ("1e-400", 0.0),
            ("0x20000000000001", 9_007_199_254_740_992.0),
            ("0x20000000000003", 9_007_199_254_740_996.0),
            ("0x1fffffffffffff", 9_007_199_254_740_991.0),
            ("12abc", nan),
            ("1 2", nan),
            ("++1", nan),
            ("- 1", nan),
            ("7 ", 7.0),
            ("١", nan),
            ("８", nan),
        ];
        for (s, want) in cases {
            let got = js_number(s);
            assert!(same(got, *want), "Number({s:?}) = {got}, want {want}");
        }
    }

    #[test]
    fn number_huge_hex_rounds_like_node() {
        // node: Number('0x' + 'f'.repeat(300)) === Infinity
        assert!(same(
            js_number(&format!("0x{}", "f".repeat(300))),
            f64::INFINITY
        ));
        // node: String(Number('0x' + 'f'.repeat(64))) and 2^61 + 1 in binary
        assert_eq!(
            js_number_to_string(js_number(&format!("0x{}", "f".repeat(64)))),
            "1.157920892373162e+77"
        );
        assert_eq!(
            js_number_to_string(js_number(&format!("0b1{}1", "0".repeat(60)))),
            "2305843009213694000"
        );
    }

    #[test]
    fn trim_matches_js() {
        assert_eq!(js_trim(" \u{FEFF}a b\u{2029}\u{00A0}"), "a b");
        assert_eq!(js_trim("\u{0085}a\u{0085}"), "\u{0085}a\u{0085}");
        assert_eq!(js_trim("\u{200B}a"), "\u{200B}a");
        assert_eq!(js_trim(""), "");
    }

    /// Expected strings printed by node v20 `String(x)`.
    #[test]
    #[allow(clippy::excessive_precision)] // exact tie values on purpose
    fn to_string_matches_node() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (1.5e21, "1.5e+21"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.2345e-7, "1.2345e-7"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (9_007_199_254_740_993.0, "9007199254740992"),
            (123.456, "123.456"),
            (100.0, "100"),
            (7.0, "7"),
            (0.000_123, "0.000123"),
            (2f64.powi(70), "1.1805916207174113e+21"),
            // Exact ties between two shortest candidates: ECMAScript picks
            // the even one, Rust's `{}` would round up.
            (3_931_939_136_236.906_25, "3931939136236.9062"),
            (-1_992_138_053_756_207.25, "-1992138053756207.2"),
        ];
        for (x, want) in cases {
            assert_eq!(js_number_to_string(*x), *want, "String({x:e})");
        }
    }
}
