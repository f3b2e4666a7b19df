//! `moment#format` of moment 2.30.1 (English locale): the moment being formatted (fields in its
//! zone, week years), the format tokens and the format-string tokenizer.

use chrono_tz::Tz;

use super::super::civil::{
    Fields, MS_PER_DAY, days_from_civil, fields, is_leap, month_name, short, time_clip,
    weekday_name, weekday_of_days,
};
use super::MomentError;
use super::zones::{Zone, moment_offset, zone_offset};

/// `Math.round`.
pub(super) fn js_round(x: f64) -> f64 {
    let floor = x.floor();
    if x - floor >= 0.5 { floor + 1.0 } else { floor }
}

/// `Number.prototype.toString()` for the values moment prints (|v| < 1e21).
pub(super) fn js_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v == 0.0 {
        "0".to_owned()
    } else {
        // Rust's shortest round-trip representation matches JS digits for 1e-7 <= |v| < 1e21.
        format!("{v}")
    }
}

pub(super) struct Moment {
    /// `_d`: wall-clock time in the moment's zone, as a UTC time value.
    pub(super) wall: f64,
    /// `_offset` in minutes east (0 in local mode).
    pub(super) offset: f64,
    /// `_isUTC`: false only in local mode.
    pub(super) is_utc: bool,
    pub(super) tz: Option<Tz>,
    pub(super) f: Fields,
}

impl Moment {
    pub(super) fn new(instant_ms: f64, zone: Zone) -> Option<Moment> {
        let ms = time_clip(instant_ms);
        if ms.is_nan() {
            return None;
        }
        let (wall, offset, is_utc, tz) = match zone {
            Zone::LocalUtc => (ms, 0.0, false, None),
            Zone::Named(tz) => {
                let (east, _) = zone_offset(tz, ms);
                let offset = moment_offset(east);
                // `addSubtract` shifts `_d` by the offset only when it differs from 0.
                let wall = if offset == 0.0 {
                    ms
                } else {
                    time_clip(ms + offset * 60_000.0)
                };
                (wall, offset, true, Some(tz))
            }
        };
        if wall.is_nan() {
            return None;
        }
        Some(Moment {
            wall,
            offset,
            is_utc,
            tz,
            f: fields(wall),
        })
    }

    /// `valueOf()`: `_d - _offset * 60000`.
    pub(super) fn value_of(&self) -> f64 {
        self.wall - self.offset * 60_000.0
    }

    /// `clone().startOf(...)`'s `valueOf()` for the local midnight starting the given date.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn start_of_date(&self, year: i64, month0: i64, date: i64) -> f64 {
        // `_d.setTime` clips: the first day of the year -271821 is outside the Date range.
        let wall = time_clip(days_from_civil(year, month0 + 1, date) as f64 * MS_PER_DAY);
        if wall.is_nan() {
            return f64::NAN;
        }
        match self.tz {
            None => wall,
            Some(tz) => {
                // `_d.setTime(wall)`, then `updateOffset(m, true)`: the offset at
                // `wall - old offset` is taken, keeping the wall clock (moment-timezone
                // clears `_z` during the nested update, so there is no second pass).
                let (east, _) = zone_offset(tz, wall - self.offset * 60_000.0);
                wall - moment_offset(east) * 60_000.0
            }
        }
    }

    /// `dayOfYear()`: the rounded number of days between the starts of the day and of the
    /// year, plus one (so a zone skipping a calendar day, like Pacific/Apia on 2011-12-30,
    /// counts one day less). `None` for NaN.
    pub(super) fn day_of_year(&self) -> Option<i64> {
        let day = self.start_of_date(self.f.year, self.f.month, self.f.date);
        let year = self.start_of_date(self.f.year, 0, 1);
        let diff = js_round((day - year) / MS_PER_DAY);
        #[allow(clippy::cast_possible_truncation)]
        diff.is_finite().then(|| diff as i64 + 1)
    }

    /// `(week, week-year)` for a locale's first day of week and of year; the week is `None`
    /// (NaN) when the day of the year is.
    pub(super) fn week_of_year(&self, dow: i64, doy: i64) -> (Option<i64>, i64) {
        let year = self.f.year;
        let Some(day_of_year) = self.day_of_year() else {
            return (None, year);
        };
        let offset = first_week_offset(year, dow, doy);
        let week = (day_of_year - offset - 1).div_euclid(7) + 1;
        if week < 1 {
            (Some(week + weeks_in_year(year - 1, dow, doy)), year - 1)
        } else if week > weeks_in_year(year, dow, doy) {
            (Some(week - weeks_in_year(year, dow, doy)), year + 1)
        } else {
            (Some(week), year)
        }
    }

    /// Index into the English eras (0 = AD, 1 = BC), as `getEraName` finds it.
    pub(super) fn era(&self) -> Option<usize> {
        const AD_SINCE: f64 = -62_135_596_800_000.0; // 0001-01-01
        const BC_SINCE: f64 = -62_135_683_200_000.0; // 0000-12-31
        let day = self.start_of_date(self.f.year, self.f.month, self.f.date);
        if AD_SINCE <= day {
            Some(0)
        } else if day <= BC_SINCE {
            Some(1)
        } else {
            None
        }
    }

    pub(super) fn era_year(&self) -> i64 {
        // (year - year of the era's start) * direction + 1; outside both eras: the year.
        if self.era() == Some(1) {
            1 - self.f.year
        } else {
            self.f.year
        }
    }

    pub(super) fn zone_abbr(&self) -> String {
        match self.tz {
            None => String::new(),
            Some(tz) => zone_offset(tz, self.value_of()).1,
        }
    }

    /// `Z` / `ZZ`.
    #[allow(clippy::cast_possible_truncation)]
    pub(super) fn offset_string(&self, separator: &str) -> String {
        let mut offset = self.offset;
        let mut sign = '+';
        if offset < 0.0 {
            offset = -offset;
            sign = '-';
        }
        // `~~(offset / 60)` and `~~offset % 60`.
        let hours = (offset / 60.0).trunc() as i64;
        let minutes = (offset.trunc() as i64) % 60;
        format!(
            "{sign}{}{separator}{}",
            zero_fill(hours, 2, false),
            zero_fill(minutes, 2, false)
        )
    }
}

pub(super) fn first_week_offset(year: i64, dow: i64, doy: i64) -> i64 {
    let fwd = 7 + dow - doy;
    let fwdlw = (7 + weekday_of_days(days_from_civil(year, 1, fwd)) - dow) % 7;
    -fwdlw + fwd - 1
}

pub(super) fn weeks_in_year(year: i64, dow: i64, doy: i64) -> i64 {
    let days = if is_leap(year) { 366 } else { 365 };
    (days - first_week_offset(year, dow, doy) + first_week_offset(year + 1, dow, doy)) / 7
}

/// moment's `zeroFill`.
pub(super) fn zero_fill(number: i64, target: usize, force_sign: bool) -> String {
    let abs = number.unsigned_abs().to_string();
    let sign = if number >= 0 {
        if force_sign { "+" } else { "" }
    } else {
        "-"
    };
    let zeros = target.saturating_sub(abs.len());
    format!("{sign}{}{abs}", "0".repeat(zeros))
}

/// `String(n)` for a number that may be NaN.
pub(super) fn number_or_nan(number: Option<i64>) -> String {
    number.map_or_else(|| "NaN".to_owned(), |n| n.to_string())
}

/// `zeroFill` for a number that may be NaN (`-NaN`: NaN is not `>= 0`).
pub(super) fn zero_fill_or_nan(number: Option<i64>, target: usize) -> String {
    number.map_or_else(|| "-NaN".to_owned(), |n| zero_fill(n, target, false))
}

/// `ordinal` for a number that may be NaN.
pub(super) fn ordinal_or_nan(number: Option<i64>) -> String {
    number.map_or_else(|| "NaNth".to_owned(), ordinal)
}

/// The English locale's `ordinal`.
pub(super) fn ordinal(number: i64) -> String {
    let b = number % 10;
    let suffix = if (number % 100) / 10 == 1 {
        "th"
    } else {
        match b {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        }
    };
    format!("{number}{suffix}")
}

pub(super) const WEEKDAYS_MIN: [&str; 7] = ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"];

/// The value of a moment format token, `None` when `token` is not one (moment's
/// `formatTokenFunctions`).
#[allow(clippy::too_many_lines)]
pub(super) fn render_token(token: &str, m: &Moment) -> Option<String> {
    let f = &m.f;
    let h12 = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
    let meridiem = |lower: bool| match (f.hour > 11, lower) {
        (true, true) => "pm",
        (true, false) => "PM",
        (false, true) => "am",
        (false, false) => "AM",
    };
    let quarter = (f.month + 1 + 2) / 3;
    let value = match token {
        "M" => (f.month + 1).to_string(),
        "MM" => zero_fill(f.month + 1, 2, false),
        "Mo" => ordinal(f.month + 1),
        "MMM" => short(month_name(f.month)).to_owned(),
        "MMMM" => month_name(f.month).to_owned(),
        "Q" => quarter.to_string(),
        "Qo" => ordinal(quarter),
        "D" => f.date.to_string(),
        "DD" => zero_fill(f.date, 2, false),
        "Do" => ordinal(f.date),
        "DDD" => number_or_nan(m.day_of_year()),
        "DDDD" => zero_fill_or_nan(m.day_of_year(), 3),
        "DDDo" => ordinal_or_nan(m.day_of_year()),
        "d" | "e" => f.weekday.to_string(),
        "do" => ordinal(f.weekday),
        "dd" => WEEKDAYS_MIN
            .get(usize::try_from(f.weekday).unwrap_or(0))
            .copied()
            .unwrap_or("")
            .to_owned(),
        "ddd" => short(weekday_name(f.weekday)).to_owned(),
        "dddd" => weekday_name(f.weekday).to_owned(),
        "E" => (if f.weekday == 0 { 7 } else { f.weekday }).to_string(),
        "w" => number_or_nan(m.week_of_year(0, 6).0),
        "ww" => zero_fill_or_nan(m.week_of_year(0, 6).0, 2),
        "wo" => ordinal_or_nan(m.week_of_year(0, 6).0),
        "W" => number_or_nan(m.week_of_year(1, 4).0),
        "WW" => zero_fill_or_nan(m.week_of_year(1, 4).0, 2),
        "Wo" => ordinal_or_nan(m.week_of_year(1, 4).0),
        "Y" => {
            if f.year <= 9999 {
                zero_fill(f.year, 4, false)
            } else {
                format!("+{}", f.year)
            }
        }
        "YY" => zero_fill(f.year % 100, 2, false),
        "YYYY" => zero_fill(f.year, 4, false),
        "YYYYY" => zero_fill(f.year, 5, false),
        "YYYYYY" => zero_fill(f.year, 6, true),
        "gg" => zero_fill(m.week_of_year(0, 6).1 % 100, 2, false),
        "gggg" => zero_fill(m.week_of_year(0, 6).1, 4, false),
        "ggggg" => zero_fill(m.week_of_year(0, 6).1, 5, false),
        "GG" => zero_fill(m.week_of_year(1, 4).1 % 100, 2, false),
        "GGGG" => zero_fill(m.week_of_year(1, 4).1, 4, false),
        "GGGGG" => zero_fill(m.week_of_year(1, 4).1, 5, false),
        "N" | "NN" | "NNN" | "NNNNN" => match m.era() {
            Some(0) => "AD".to_owned(),
            Some(_) => "BC".to_owned(),
            None => String::new(),
        },
        "NNNN" => match m.era() {
            Some(0) => "Anno Domini".to_owned(),
            Some(_) => "Before Christ".to_owned(),
            None => String::new(),
        },
        "y" => m.era_year().to_string(),
        "yy" => zero_fill(m.era_year(), 2, false),
        "yyy" => zero_fill(m.era_year(), 3, false),
        "yyyy" => zero_fill(m.era_year(), 4, false),
        "yo" => ordinal(m.era_year()),
        "H" => f.hour.to_string(),
        "HH" => zero_fill(f.hour, 2, false),
        "h" => h12.to_string(),
        "hh" => zero_fill(h12, 2, false),
        "k" => (if f.hour == 0 { 24 } else { f.hour }).to_string(),
        "kk" => zero_fill(if f.hour == 0 { 24 } else { f.hour }, 2, false),
        "hmm" => format!("{h12}{}", zero_fill(f.minute, 2, false)),
        "hmmss" => format!(
            "{h12}{}{}",
            zero_fill(f.minute, 2, false),
            zero_fill(f.second, 2, false)
        ),
        "Hmm" => format!("{}{}", f.hour, zero_fill(f.minute, 2, false)),
        "Hmmss" => format!(
            "{}{}{}",
            f.hour,
            zero_fill(f.minute, 2, false),
            zero_fill(f.second, 2, false)
        ),
        "a" => meridiem(true).to_owned(),
        "A" => meridiem(false).to_owned(),
        "m" => f.minute.to_string(),
        "mm" => zero_fill(f.minute, 2, false),
        "s" => f.second.to_string(),
        "ss" => zero_fill(f.second, 2, false),
        "S" => (f.millisecond / 100).to_string(),
        "SS" => zero_fill(f.millisecond / 10, 2, false),
        "SSS" => zero_fill(f.millisecond, 3, false),
        "SSSS" => zero_fill(f.millisecond * 10, 4, false),
        "SSSSS" => zero_fill(f.millisecond * 100, 5, false),
        "SSSSSS" => zero_fill(f.millisecond * 1000, 6, false),
        "SSSSSSS" => zero_fill(f.millisecond * 10_000, 7, false),
        "SSSSSSSS" => zero_fill(f.millisecond * 100_000, 8, false),
        "SSSSSSSSS" => zero_fill(f.millisecond * 1_000_000, 9, false),
        "X" => js_number((m.value_of() / 1000.0).floor()),
        "x" => js_number(m.value_of()),
        "z" | "zz" => m.zone_abbr(),
        "Z" => m.offset_string(":"),
        "ZZ" => m.offset_string(""),
        _ => return None,
    };
    Some(value)
}

/// Characters JavaScript's `.` does not match (line terminators).
pub(super) fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Length of `\[[^\[]*\]` at `i`: up to the last `]` before the next `[` (greedy).
pub(super) fn bracket_len(chars: &[char], i: usize) -> Option<usize> {
    if chars.get(i) != Some(&'[') {
        return None;
    }
    let mut last_close = None;
    for (j, c) in chars.iter().enumerate().skip(i + 1) {
        match c {
            '[' => break,
            ']' => last_close = Some(j),
            _ => {}
        }
    }
    last_close.map(|j| j - i + 1)
}

pub(super) fn run_len(chars: &[char], i: usize, c: char, max: usize) -> usize {
    chars
        .iter()
        .skip(i)
        .take(max)
        .take_while(|x| **x == c)
        .count()
}

pub(super) fn starts_with(chars: &[char], i: usize, s: &str) -> bool {
    (i..).zip(s.chars()).all(|(j, c)| chars.get(j) == Some(&c))
}

/// Length of the first alternative of moment's token list (without the `.` fallback) at `i`.
pub(super) fn format_token_len(chars: &[char], i: usize) -> Option<usize> {
    let c = *chars.get(i)?;
    let next = chars.get(i + 1).copied();
    let len = match c {
        'H' | 'h' if starts_with(chars, i + 1, "mm") => {
            if starts_with(chars, i + 3, "ss") {
                5
            } else {
                3
            }
        }
        // `Mo`, `Do`, `do`, `Qo`, `yo` (each tried before the longer forms of its letter).
        'M' | 'D' | 'd' | 'Q' | 'y' if next == Some('o') => 2,
        'M' => run_len(chars, i, 'M', 4),
        'D' if starts_with(chars, i, "DDDo") => 4,
        'D' => run_len(chars, i, 'D', 4),
        'd' if next == Some('d') => run_len(chars, i, 'd', 4),
        'w' | 'W' if next == Some('o') || next == Some('|') || next == Some(c) => 2,
        'N' => run_len(chars, i, 'N', 5),
        'Y' => match run_len(chars, i, 'Y', 6) {
            6 => 6,
            5 => 5,
            4 => 4,
            2 | 3 => 2,
            _ => return None,
        },
        'y' if next == Some('y') => run_len(chars, i, 'y', 4),
        'g' | 'G' => match run_len(chars, i, c, 5) {
            5 => 5,
            4 => 4,
            2 | 3 => 2,
            _ => return None,
        },
        'h' | 'H' | 'k' | 'm' | 's' | 'z' | 'Z' => run_len(chars, i, c, 2),
        'S' => run_len(chars, i, 'S', 9),
        'd' | 'w' | 'W' | 'Q' | 'y' | 'e' | 'E' | 'a' | 'A' | 'x' | 'X' => 1,
        _ => return None,
    };
    Some(len)
}

/// `format.match(formattingTokens)`: the matched pieces, in order. Line terminators outside
/// brackets match nothing and vanish.
pub(super) fn tokenize(chars: &[char]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let len = if let Some(len) = bracket_len(chars, i) {
            Some(len)
        } else if chars[i] == '\\'
            && let Some(len) = format_token_len(chars, i + 1)
        {
            Some(len + 1)
        } else if chars[i] == '\\' && chars.get(i + 1).is_some_and(|c| !is_line_terminator(*c)) {
            Some(2)
        } else if let Some(len) = format_token_len(chars, i) {
            Some(len)
        } else if is_line_terminator(chars[i]) {
            None
        } else {
            Some(1)
        };
        match len {
            Some(len) => {
                pieces.push(chars[i..i + len].iter().collect());
                i += len;
            }
            None => i += 1,
        }
    }
    pieces
}

/// The English `longDateFormat` expansions.
pub(super) fn long_date_format(token: &str) -> Option<&'static str> {
    Some(match token {
        "LTS" => "h:mm:ss A",
        "LT" => "h:mm A",
        "L" => "MM/DD/YYYY",
        "LL" => "MMMM D, YYYY",
        "LLL" => "MMMM D, YYYY h:mm A",
        "LLLL" => "dddd, MMMM D, YYYY h:mm A",
        "l" => "M/D/YYYY",
        "ll" => "MMM D, YYYY",
        "lll" => "MMM D, YYYY h:mm A",
        "llll" => "ddd, MMM D, YYYY h:mm A",
        _ => return None,
    })
}

/// Length of `(LTS|LT|LL?L?L?|l{1,4})` at `i`.
pub(super) fn long_token_len(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i)? {
        'L' if starts_with(chars, i, "LTS") => Some(3),
        'L' if starts_with(chars, i, "LT") => Some(2),
        'L' => Some(run_len(chars, i, 'L', 4)),
        'l' => Some(run_len(chars, i, 'l', 4)),
        _ => None,
    }
}

/// moment's `expandFormat`: long-date tokens replaced, brackets and `\`-escaped tokens kept.
/// The replacements contain no `L`, `l`, `[`, `]` or `\`, so one pass reaches the fixed point
/// moment's loop stops at.
pub(super) fn expand_format(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(len) = bracket_len(chars, i) {
            out.extend_from_slice(&chars[i..i + len]);
            i += len;
        } else if chars[i] == '\\'
            && let Some(len) = long_token_len(chars, i + 1)
        {
            out.extend_from_slice(&chars[i..=i + len]);
            i += len + 1;
        } else if let Some(len) = long_token_len(chars, i) {
            let token: String = chars[i..i + len].iter().collect();
            match long_date_format(&token) {
                Some(expansion) => out.extend(expansion.chars()),
                None => out.extend_from_slice(&chars[i..i + len]),
            }
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// moment's `removeFormattingTokens` for a piece that is not a token.
pub(super) fn literal(piece: &str) -> String {
    if piece.starts_with('[') && piece.chars().count() >= 2 {
        let inner = piece.strip_prefix('[').unwrap_or(piece);
        inner.strip_suffix(']').unwrap_or(inner).to_owned()
    } else {
        piece.replace('\\', "")
    }
}

/// `moment(instant).tz(zone).format(fmt)` as metadata-action's date helpers compute it
/// (moment 2.30.1, moment-timezone 0.6.2, English locale, process `TZ=UTC`).
///
/// * An Invalid Date (`NaN`, or a wall time outside the `Date` range) gives `Invalid date`.
/// * An empty `fmt` uses moment's default format: `YYYY-MM-DDTHH:mm:ss[Z]` when the offset is
///   zero in a named zone, else `YYYY-MM-DDTHH:mm:ssZ`.
/// * Text in `[brackets]` is literal (up to the last `]` before the next `[`), `\` escapes one
///   character, other non-token characters pass through, line breaks outside brackets vanish.
/// * Formats that are `Object.prototype` member names after expansion behave as in the
///   reference: `constructor` renders the time value, `toString` renders `[object Object]`,
///   `hasOwnProperty`/`isPrototypeOf` render `false` (what Handlebars prints for them).
///
/// # Errors
/// The formats the reference throws on: nothing to tokenize (only line breaks), `__proto__`,
/// `__defineGetter__`, `__defineSetter__`.
pub fn format(instant_ms: f64, zone: &Zone, fmt: &str) -> Result<String, MomentError> {
    let Some(m) = Moment::new(instant_ms, *zone) else {
        return Ok("Invalid date".to_owned());
    };
    let fmt = if fmt.is_empty() {
        if m.is_utc && m.offset == 0.0 {
            "YYYY-MM-DDTHH:mm:ss[Z]"
        } else {
            "YYYY-MM-DDTHH:mm:ssZ"
        }
    } else {
        fmt
    };
    let chars: Vec<char> = fmt.chars().collect();
    let expanded = expand_format(&chars);
    let expanded_str: String = expanded.iter().collect();
    let throws = |message: &str| MomentError::FormatThrows {
        format: fmt.to_owned(),
        message: message.to_owned(),
    };
    // moment caches compiled formats in a plain object: these keys resolve to
    // Object.prototype members instead of compiled format functions.
    match expanded_str.as_str() {
        "constructor" => return Ok(js_number(m.value_of())),
        "toString" => return Ok("[object Object]".to_owned()),
        "hasOwnProperty" | "isPrototypeOf" => return Ok("false".to_owned()),
        "__proto__" => return Err(throws("V1[M] is not a function")),
        "__defineGetter__" => {
            return Err(throws(
                "Object.prototype.__defineGetter__: Expecting function",
            ));
        }
        "__defineSetter__" => {
            return Err(throws(
                "Object.prototype.__defineSetter__: Expecting function",
            ));
        }
        _ => {}
    }
    let pieces = tokenize(&expanded);
    if pieces.is_empty() {
        return Err(throws("Cannot read properties of null (reading 'length')"));
    }
    let mut out = String::new();
    for piece in &pieces {
        match render_token(piece, &m) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&literal(piece)),
        }
    }
    Ok(out)
}
