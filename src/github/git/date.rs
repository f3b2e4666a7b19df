//! `%ci`: git's ISO-8601-like committer date (`show_date(…, DATE_ISO8601)`) of a raw commit,
//! with git's ident parsing and overflow errors; the calendar is [`crate::js::civil`].

use gix::bstr::ByteSlice;

use super::GitError;
use super::commands::{header_lines, strtoumax};
use crate::js::civil::civil_from_days;

/// `%ci` of a raw commit: the last `committer ` header line, split like git's
/// `split_ident_line`, dated like `show_ident_date(…, DATE_ISO8601)`. Empty when the ident is
/// unusable (git prints nothing then).
pub(super) fn format_ci(commit: &[u8]) -> Result<String, GitError> {
    let Some(line) = header_lines(commit)
        .filter_map(|l| l.strip_prefix(b"committer "))
        .last()
    else {
        return Ok(String::new());
    };
    let Some((date, tz)) = split_ident_date(line) else {
        return Ok(String::new());
    };
    show_iso_date(date, tz)
}

pub(super) fn is_git_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `Some((date, tz))` for an ident with `<…>`, a date and a timezone (`(0, 0)` when the date
/// overflows, as in `show_ident_date`); None when git prints nothing for `%ci` (no `<…>`, or a
/// "person only" ident without date or timezone).
pub(super) fn split_ident_date(line: &[u8]) -> Option<(u64, i64)> {
    let lt = line.find_byte(b'<')?;
    line[lt + 1..].find_byte(b'>')?;
    let gt = line.rfind_byte(b'>')?;
    let mut i = gt + 1;
    while i < line.len() && is_git_space(line[i]) {
        i += 1;
    }
    let date_digits = line[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if date_digits == 0 {
        return None;
    }
    let date_text = &line[i..i + date_digits];
    i += date_digits;
    while i < line.len() && is_git_space(line[i]) {
        i += 1;
    }
    let tz_text = match line.get(i) {
        Some(b'+' | b'-') => {
            let digits = line[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            &line[i..i + 1 + digits]
        }
        _ => return None,
    };
    let date = match strtoumax(date_text) {
        Some(d) if i64::try_from(d).is_ok() => d,
        _ => return Some((0, 0)),
    };
    Some((date, strtol_tz(tz_text)))
}

/// `strtol` of `[+-]digits`, then git's `tz >= INT_MAX || tz <= INT_MIN` → 0.
pub(super) fn strtol_tz(text: &[u8]) -> i64 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', d)) => (true, d),
        Some((_, d)) => (false, d),
        None => return 0,
    };
    let mut value: i64 = 0;
    for &b in digits {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
        {
            Some(v) => value = v,
            None => return 0,
        }
    }
    let value = if negative { -value } else { value };
    if value >= i64::from(i32::MAX) || value <= i64::from(i32::MIN) {
        0
    } else {
        value
    }
}

/// `show_date(date, tz, DATE_ISO8601)`: `%04d-%02d-%02d %02d:%02d:%02d %+05d`.
pub(super) fn show_iso_date(date: u64, tz: i64) -> Result<String, GitError> {
    let abs = tz.abs();
    let magnitude = (abs / 100) * 60 + abs % 100;
    let minutes = if tz < 0 { -magnitude } else { magnitude };
    let date = i128::from(date);
    let shifted = date + i128::from(minutes) * 60;
    if minutes < 0 && shifted < 0 {
        return Err(GitError::Command(format!(
            "fatal: Timestamp before Unix epoch: {date} {tz:04}\n"
        )));
    }
    if shifted > i128::from(i64::MAX) {
        if minutes > 0 && shifted > i128::from(u64::MAX) {
            return Err(GitError::Command(format!(
                "fatal: Timestamp+tz \"{date}\" exceeds 64 bits\n"
            )));
        }
        return Err(GitError::Command(format!(
            "fatal: Timestamp too large for this system: {shifted}\n"
        )));
    }
    // 0 <= shifted <= i64::MAX here.
    let (parts, tz) = match i64::try_from(shifted).ok().and_then(gmtime) {
        Some(parts) => (parts, tz),
        None => (gmtime(0).unwrap_or((1970, 1, 1, 0, 0, 0)), 0),
    };
    let (year, month, day, hour, min, sec) = parts;
    let sign = if tz < 0 { '-' } else { '+' };
    Ok(format!(
        "{year:04}-{month:02}-{day:02} {hour:02}:{min:02}:{sec:02} {sign}{:04}",
        tz.abs()
    ))
}

/// UTC calendar fields of a non-negative Unix time; None when the year does not fit glibc's
/// `struct tm` (`gmtime_r` fails with EOVERFLOW).
pub(super) fn gmtime(t: i64) -> Option<(i64, i64, i64, i64, i64, i64)> {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if year - 1900 > i64::from(i32::MAX) {
        return None;
    }
    Some((year, month, day, secs / 3600, secs % 3600 / 60, secs % 60))
}
