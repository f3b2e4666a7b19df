//! V8's `Date` as Node 20 runs it with `TZ=UTC`: the string parser behind `new Date(string)` /
//! `Date.parse` (`src/date/dateparser*.{h,cc}`), and `Date.prototype.toISOString` / `toString`.
//!
//! Instants are JavaScript time values: `f64` milliseconds since the epoch, `NaN` for an Invalid
//! Date. Must not: read the clock, the environment or files, print, or panic on any input.

use super::civil::{
    MAX_TIME_MS, days_from_civil, fields, month_name, short, time_clip, weekday_name,
};

/// `Date.prototype.toISOString()`: `2020-01-10T00:30:00.000Z`, years outside 0..=9999 as
/// `±YYYYYY`. `None` for an Invalid Date (where JS throws a `RangeError`).
#[must_use]
pub fn to_iso_string(ms: f64) -> Option<String> {
    let ms = time_clip(ms);
    if ms.is_nan() {
        return None;
    }
    let f = fields(ms);
    let year = if (0..=9999).contains(&f.year) {
        format!("{:04}", f.year)
    } else if f.year < 0 {
        format!("-{:06}", -f.year)
    } else {
        format!("+{:06}", f.year)
    };
    Some(format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        f.month + 1,
        f.date,
        f.hour,
        f.minute,
        f.second,
        f.millisecond
    ))
}

/// `Date.prototype.toString()` with `TZ=UTC`:
/// `Fri Jan 10 2020 00:30:00 GMT+0000 (Coordinated Universal Time)`, or `Invalid Date`.
#[must_use]
pub fn to_js_date_string(ms: f64) -> String {
    let ms = time_clip(ms);
    if ms.is_nan() {
        return "Invalid Date".to_owned();
    }
    let f = fields(ms);
    let year = if f.year < 0 {
        format!("-{:04}", -f.year)
    } else {
        format!("{:04}", f.year)
    };
    format!(
        "{} {} {:02} {year} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        short(weekday_name(f.weekday)),
        short(month_name(f.month)),
        f.date,
        f.hour,
        f.minute,
        f.second
    )
}

/// "No value" marker of V8's composers (`kMaxInt`).
pub(super) const NONE: i32 = i32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeywordType {
    Invalid,
    MonthName,
    TimeZoneName,
    TimeSeparator,
    AmPm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    Invalid,
    Unknown,
    WhiteSpace,
    Number {
        value: i32,
        length: usize,
    },
    Symbol(u16),
    EndOfInput,
    Keyword {
        kind: KeywordType,
        value: i32,
        length: usize,
    },
}

impl Token {
    pub(super) fn is_symbol(self, c: u8) -> bool {
        self == Token::Symbol(u16::from(c))
    }
    pub(super) fn is_ascii_sign(self) -> bool {
        self.is_symbol(b'+') || self.is_symbol(b'-')
    }
    pub(super) fn ascii_sign(self) -> i32 {
        if self.is_symbol(b'-') { -1 } else { 1 }
    }
    pub(super) fn is_fixed_length_number(self, len: usize) -> bool {
        matches!(self, Token::Number { length, .. } if length == len)
    }
    pub(super) fn number(self) -> i32 {
        match self {
            Token::Number { value, .. } => value,
            _ => 0,
        }
    }
    pub(super) fn is_keyword_z(self) -> bool {
        matches!(
            self,
            Token::Keyword {
                kind: KeywordType::TimeZoneName,
                value: 0,
                length: 1
            }
        )
    }
}

/// JS `WhiteSpace` above `A` (V8 treats these as separators, not word characters).
pub(super) fn is_unicode_space(c: u16) -> bool {
    matches!(
        c,
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 | 0xFEFF
    )
}

pub(super) fn is_ascii_space_or_line_terminator(c: u16) -> bool {
    matches!(c, 0x09..=0x0D | 0x20)
}

pub(super) struct Scanner {
    pub(super) units: Vec<u16>,
    /// Index of the next unit to read into `ch`.
    pub(super) index: usize,
    /// Current unit; 0 at the end (an embedded NUL also ends the input, as in V8).
    pub(super) ch: u16,
    pub(super) next: Token,
}

impl Scanner {
    pub(super) fn new(s: &str) -> Scanner {
        let mut scanner = Scanner {
            units: s.encode_utf16().collect(),
            index: 0,
            ch: 0,
            next: Token::EndOfInput,
        };
        scanner.advance();
        scanner.next = scanner.scan();
        scanner
    }

    pub(super) fn advance(&mut self) {
        self.ch = self.units.get(self.index).copied().unwrap_or(0);
        self.index += 1;
    }

    pub(super) fn is_word_char(&self) -> bool {
        self.ch >= u16::from(b'A') && !is_unicode_space(self.ch)
    }

    pub(super) fn scan(&mut self) -> Token {
        let start = self.index;
        if self.ch == 0 {
            return Token::EndOfInput;
        }
        if (0x30..=0x39).contains(&self.ch) {
            let mut value: i32 = 0;
            let mut digits = 0;
            while (0x30..=0x39).contains(&self.ch) {
                if digits < 9 {
                    value = value * 10 + i32::from(self.ch - u16::from(b'0'));
                }
                digits += 1;
                self.advance();
            }
            return Token::Number {
                value,
                length: self.index - start,
            };
        }
        for symbol in [b':', b'-', b'+', b'.', b')'] {
            if self.ch == u16::from(symbol) {
                self.advance();
                return Token::Symbol(u16::from(symbol));
            }
        }
        if self.is_word_char() {
            let mut prefix = [0u16; 3];
            let mut length = 0;
            while self.is_word_char() {
                if let Some(slot) = prefix.get_mut(length) {
                    *slot = self.ch | 0x20;
                }
                length += 1;
                self.advance();
            }
            let (kind, value) = keyword(prefix, length);
            return Token::Keyword {
                kind,
                value,
                length,
            };
        }
        if is_ascii_space_or_line_terminator(self.ch) || is_unicode_space(self.ch) {
            self.advance();
            return Token::WhiteSpace;
        }
        if self.ch == u16::from(b'(') {
            let mut balance = 0;
            loop {
                if self.ch == u16::from(b')') {
                    balance -= 1;
                } else if self.ch == u16::from(b'(') {
                    balance += 1;
                }
                self.advance();
                if balance <= 0 || self.ch == 0 {
                    break;
                }
            }
            return Token::Unknown;
        }
        self.advance();
        Token::Unknown
    }

    pub(super) fn next(&mut self) -> Token {
        let result = self.next;
        self.next = self.scan();
        result
    }

    pub(super) fn peek(&self) -> Token {
        self.next
    }

    pub(super) fn skip_symbol(&mut self, c: u8) -> bool {
        if self.next.is_symbol(c) {
            self.next = self.scan();
            true
        } else {
            false
        }
    }
}

/// V8's `KeywordTable::Lookup`.
pub(super) fn keyword(prefix: [u16; 3], length: usize) -> (KeywordType, i32) {
    const TABLE: [(&[u8; 3], KeywordType, i32); 27] = [
        (b"jan", KeywordType::MonthName, 1),
        (b"feb", KeywordType::MonthName, 2),
        (b"mar", KeywordType::MonthName, 3),
        (b"apr", KeywordType::MonthName, 4),
        (b"may", KeywordType::MonthName, 5),
        (b"jun", KeywordType::MonthName, 6),
        (b"jul", KeywordType::MonthName, 7),
        (b"aug", KeywordType::MonthName, 8),
        (b"sep", KeywordType::MonthName, 9),
        (b"oct", KeywordType::MonthName, 10),
        (b"nov", KeywordType::MonthName, 11),
        (b"dec", KeywordType::MonthName, 12),
        (b"am\0", KeywordType::AmPm, 0),
        (b"pm\0", KeywordType::AmPm, 12),
        (b"ut\0", KeywordType::TimeZoneName, 0),
        (b"utc", KeywordType::TimeZoneName, 0),
        (b"z\0\0", KeywordType::TimeZoneName, 0),
        (b"gmt", KeywordType::TimeZoneName, 0),
        (b"cdt", KeywordType::TimeZoneName, -5),
        (b"cst", KeywordType::TimeZoneName, -6),
        (b"edt", KeywordType::TimeZoneName, -4),
        (b"est", KeywordType::TimeZoneName, -5),
        (b"mdt", KeywordType::TimeZoneName, -6),
        (b"mst", KeywordType::TimeZoneName, -7),
        (b"pdt", KeywordType::TimeZoneName, -7),
        (b"pst", KeywordType::TimeZoneName, -8),
        (b"t\0\0", KeywordType::TimeSeparator, 0),
    ];
    for (name, kind, value) in TABLE {
        let matches = name
            .iter()
            .zip(prefix.iter())
            .all(|(a, b)| u16::from(*a) == *b);
        if matches && (length <= 3 || kind == KeywordType::MonthName) {
            return (kind, value);
        }
    }
    (KeywordType::Invalid, 0)
}

/// `static_cast<unsigned>(x - lo) <= static_cast<unsigned>(hi - lo)`.
pub(super) fn between(x: i32, lo: i32, hi: i32) -> bool {
    i64::from(x) >= i64::from(lo) && i64::from(x) <= i64::from(hi)
}

pub(super) fn is_minute(x: i32) -> bool {
    between(x, 0, 59)
}

pub(super) fn is_hour(x: i32) -> bool {
    between(x, 0, 23)
}

pub(super) fn is_month(x: i32) -> bool {
    between(x, 1, 12)
}

pub(super) fn is_day(x: i32) -> bool {
    between(x, 1, 31)
}

pub(super) struct TimeZoneComposer {
    pub(super) sign: i32,
    pub(super) hour: i32,
    pub(super) minute: i32,
}

impl TimeZoneComposer {
    pub(super) fn set(&mut self, offset_in_hours: i32) {
        self.sign = if offset_in_hours < 0 { -1 } else { 1 };
        self.hour = offset_in_hours * self.sign;
        self.minute = 0;
    }
    pub(super) fn set_sign(&mut self, sign: i32) {
        self.sign = if sign < 0 { -1 } else { 1 };
    }
    pub(super) fn is_expecting(&self, n: i32) -> bool {
        self.hour != NONE && self.minute == NONE && is_minute(n)
    }
    pub(super) fn is_utc(&self) -> bool {
        self.hour == 0 && self.minute == 0
    }
    pub(super) fn is_empty(&self) -> bool {
        self.hour == NONE
    }
    /// UTC offset in seconds; `Ok(None)` when no zone was given.
    pub(super) fn write(&self) -> Result<Option<i64>, ()> {
        if self.sign == NONE {
            return Ok(None);
        }
        let hour = if self.hour == NONE { 0 } else { self.hour };
        let minute = if self.minute == NONE { 0 } else { self.minute };
        // Unsigned 32-bit arithmetic, compared with Smi::kMaxValue (2^31 - 1 in Node).
        #[allow(clippy::cast_sign_loss)]
        let total = (hour as u32)
            .wrapping_mul(3600)
            .wrapping_add((minute as u32).wrapping_mul(60));
        if total > 0x7FFF_FFFF {
            return Err(());
        }
        let total = i64::from(total);
        Ok(Some(if self.sign < 0 { -total } else { total }))
    }
}

pub(super) struct TimeComposer {
    pub(super) comp: [i32; 4],
    pub(super) index: usize,
    pub(super) hour_offset: i32,
}

impl TimeComposer {
    pub(super) fn is_empty(&self) -> bool {
        self.index == 0
    }
    pub(super) fn is_expecting(&self, n: i32) -> bool {
        (self.index == 1 && is_minute(n))
            || (self.index == 2 && between(n, 0, 59))
            || (self.index == 3 && between(n, 0, 999))
    }
    pub(super) fn add(&mut self, n: i32) -> bool {
        match self.comp.get_mut(self.index) {
            Some(slot) => {
                *slot = n;
                self.index += 1;
                true
            }
            None => false,
        }
    }
    pub(super) fn add_final(&mut self, n: i32) -> bool {
        if !self.add(n) {
            return false;
        }
        while self.index < 4 {
            self.comp[self.index] = 0;
            self.index += 1;
        }
        true
    }
    /// `[hour, minute, second, millisecond]`.
    pub(super) fn write(&mut self) -> Option<[i32; 4]> {
        while self.index < 4 {
            self.comp[self.index] = 0;
            self.index += 1;
        }
        let [mut hour, minute, second, millisecond] = self.comp;
        if self.hour_offset != NONE {
            if !between(hour, 0, 12) {
                return None;
            }
            hour %= 12;
            hour += self.hour_offset;
        }
        if !is_hour(hour)
            || !is_minute(minute)
            || !between(second, 0, 59)
            || !between(millisecond, 0, 999)
        {
            // 24:00:00.000 is allowed.
            if hour != 24 || minute != 0 || second != 0 || millisecond != 0 {
                return None;
            }
        }
        Some([hour, minute, second, millisecond])
    }
}

pub(super) struct DayComposer {
    pub(super) comp: [i32; 3],
    pub(super) index: usize,
    pub(super) named_month: i32,
    pub(super) is_iso_date: bool,
}

impl DayComposer {
    pub(super) fn is_empty(&self) -> bool {
        self.index == 0
    }
    pub(super) fn add(&mut self, n: i32) -> bool {
        match self.comp.get_mut(self.index) {
            Some(slot) => {
                *slot = n;
                self.index += 1;
                true
            }
            None => false,
        }
    }
    /// `[year, month (1-based), day]`.
    pub(super) fn write(&mut self) -> Option<[i32; 3]> {
        if self.index < 1 {
            return None;
        }
        while self.index < 3 {
            self.comp[self.index] = 1;
            self.index += 1;
        }
        let mut year = 0; // Default year is 0 (=> 2000) for KJS compatibility.
        let month;
        let day;
        if self.named_month == NONE {
            if self.is_iso_date || (self.index == 3 && !is_day(self.comp[0])) {
                year = self.comp[0];
                month = self.comp[1];
                day = self.comp[2];
            } else {
                month = self.comp[0];
                day = self.comp[1];
                if self.index == 3 {
                    year = self.comp[2];
                }
            }
        } else {
            month = self.named_month;
            if self.index == 1 {
                day = self.comp[0];
            } else if !is_day(self.comp[0]) {
                year = self.comp[0];
                day = self.comp[1];
            } else {
                day = self.comp[0];
                year = self.comp[1];
            }
        }
        if !self.is_iso_date {
            if between(year, 0, 49) {
                year += 2000;
            } else if between(year, 50, 99) {
                year += 1900;
            }
        }
        if !is_month(month) || !is_day(day) {
            return None;
        }
        Some([year, month, day])
    }
}

/// V8's `ReadMilliseconds`: the first three significant digits of the numeral.
pub(super) fn read_milliseconds(token: Token) -> i32 {
    let Token::Number { value, length } = token else {
        return 0;
    };
    match length {
        1 => value * 100,
        2 => value * 10,
        3 => value,
        _ => {
            let mut length = length.min(9);
            let mut factor = 1;
            while length > 3 {
                factor *= 10;
                length -= 1;
            }
            value / factor
        }
    }
}

pub(super) struct Composers {
    pub(super) day: DayComposer,
    pub(super) time: TimeComposer,
    pub(super) tz: TimeZoneComposer,
}

/// V8's `ParseES5DateTime`: the next token for the legacy parser, `EndOfInput` when the string
/// was a complete ES5 date-time, `Invalid` when it must be rejected.
pub(super) fn parse_es5(scanner: &mut Scanner, c: &mut Composers) -> Token {
    if scanner.peek().is_ascii_sign() {
        let sign_token = scanner.next();
        if !scanner.peek().is_fixed_length_number(6) {
            return sign_token;
        }
        let sign = sign_token.ascii_sign();
        let year = scanner.next().number();
        if sign < 0 && year == 0 {
            return sign_token;
        }
        c.day.add(sign * year);
    } else if scanner.peek().is_fixed_length_number(4) {
        let year = scanner.next().number();
        c.day.add(year);
    } else {
        return scanner.next();
    }
    if scanner.skip_symbol(b'-') {
        if !scanner.peek().is_fixed_length_number(2) || !is_month(scanner.peek().number()) {
            return scanner.next();
        }
        let month = scanner.next().number();
        c.day.add(month);
        if scanner.skip_symbol(b'-') {
            if !scanner.peek().is_fixed_length_number(2) || !is_day(scanner.peek().number()) {
                return scanner.next();
            }
            let day = scanner.next().number();
            c.day.add(day);
        }
    }
    if matches!(
        scanner.peek(),
        Token::Keyword {
            kind: KeywordType::TimeSeparator,
            ..
        }
    ) {
        if !parse_es5_time(scanner, c) {
            return Token::Invalid;
        }
    } else if scanner.peek() != Token::EndOfInput {
        return scanner.next();
    }
    // Date-only forms are UTC; date-time forms without an offset are local time.
    if c.tz.is_empty() && c.time.is_empty() {
        c.tz.set(0);
    }
    c.day.is_iso_date = true;
    Token::EndOfInput
}

/// The `T…` part of an ES5 date-time: `HH:mm[:ss[.sss]][Z|±HH:mm|±HHmm]` up to the end of
/// the input; `false` when the string must be rejected.
pub(super) fn parse_es5_time(scanner: &mut Scanner, c: &mut Composers) -> bool {
    scanner.next();
    if !scanner.peek().is_fixed_length_number(2) || !between(scanner.peek().number(), 0, 24) {
        return false;
    }
    let hour_is_24 = scanner.peek().number() == 24;
    let hour = scanner.next().number();
    c.time.add(hour);
    if !scanner.skip_symbol(b':') {
        return false;
    }
    if !scanner.peek().is_fixed_length_number(2)
        || !is_minute(scanner.peek().number())
        || (hour_is_24 && scanner.peek().number() > 0)
    {
        return false;
    }
    let minute = scanner.next().number();
    c.time.add(minute);
    if scanner.skip_symbol(b':') {
        if !scanner.peek().is_fixed_length_number(2)
            || !between(scanner.peek().number(), 0, 59)
            || (hour_is_24 && scanner.peek().number() > 0)
        {
            return false;
        }
        let second = scanner.next().number();
        c.time.add(second);
        if scanner.skip_symbol(b'.') {
            if !matches!(scanner.peek(), Token::Number { .. })
                || (hour_is_24 && scanner.peek().number() > 0)
            {
                return false;
            }
            let ms = read_milliseconds(scanner.next());
            c.time.add(ms);
        }
    }
    if scanner.peek().is_keyword_z() {
        scanner.next();
        c.tz.set(0);
    } else if scanner.peek().is_ascii_sign() {
        let sign = scanner.next().ascii_sign();
        c.tz.set_sign(sign);
        if scanner.peek().is_fixed_length_number(4) {
            let hourmin = scanner.next().number();
            let (hour, min) = (hourmin / 100, hourmin % 100);
            if !is_hour(hour) || !is_minute(min) {
                return false;
            }
            c.tz.hour = hour;
            c.tz.minute = min;
        } else {
            if !scanner.peek().is_fixed_length_number(2) || !is_hour(scanner.peek().number()) {
                return false;
            }
            c.tz.hour = scanner.next().number();
            if !scanner.skip_symbol(b':') {
                return false;
            }
            if !scanner.peek().is_fixed_length_number(2) || !is_minute(scanner.peek().number()) {
                return false;
            }
            c.tz.minute = scanner.next().number();
        }
    }
    if scanner.peek() != Token::EndOfInput {
        return false;
    }
    true
}

/// V8's `DateParser::Parse`: `[year, month (1-based), day, hour, minute, second, ms]` and the
/// UTC offset in seconds (`None` = local time).
#[allow(clippy::too_many_lines)]
pub(super) fn parse_components(s: &str) -> Option<([i32; 7], Option<i64>)> {
    let mut scanner = Scanner::new(s);
    let mut c = Composers {
        day: DayComposer {
            comp: [0; 3],
            index: 0,
            named_month: NONE,
            is_iso_date: false,
        },
        time: TimeComposer {
            comp: [0; 4],
            index: 0,
            hour_offset: NONE,
        },
        tz: TimeZoneComposer {
            sign: NONE,
            hour: NONE,
            minute: NONE,
        },
    };
    let mut token = parse_es5(&mut scanner, &mut c);
    if token == Token::Invalid {
        return None;
    }
    let mut has_read_number = !c.day.is_empty();
    while token != Token::EndOfInput {
        match token {
            Token::Number { value: n, .. } => {
                has_read_number = true;
                if scanner.skip_symbol(b':') {
                    if scanner.skip_symbol(b':') {
                        // n + "::"
                        if !c.time.is_empty() {
                            return None;
                        }
                        c.time.add(n);
                        c.time.add(0);
                    } else {
                        // n + ":"
                        if !c.time.add(n) {
                            return None;
                        }
                        if scanner.peek().is_symbol(b'.') {
                            scanner.next();
                        }
                    }
                } else if scanner.skip_symbol(b'.') && c.time.is_expecting(n) {
                    c.time.add(n);
                    if !matches!(scanner.peek(), Token::Number { .. }) {
                        return None;
                    }
                    let ms = read_milliseconds(scanner.next());
                    c.time.add_final(ms);
                } else if c.tz.is_expecting(n) {
                    c.tz.minute = n;
                } else if c.time.is_expecting(n) {
                    c.time.add_final(n);
                    // End, white space, "Z", "+" or "-" must follow a finished time.
                    let peek = scanner.peek();
                    if peek != Token::EndOfInput
                        && peek != Token::WhiteSpace
                        && !peek.is_keyword_z()
                        && !peek.is_ascii_sign()
                    {
                        return None;
                    }
                } else {
                    if !c.day.add(n) {
                        return None;
                    }
                    scanner.skip_symbol(b'-');
                }
            }
            Token::Keyword { kind, value, .. } => {
                if kind == KeywordType::AmPm && !c.time.is_empty() {
                    c.time.hour_offset = value;
                } else if kind == KeywordType::MonthName {
                    c.day.named_month = value;
                    scanner.skip_symbol(b'-');
                } else if kind == KeywordType::TimeZoneName && has_read_number {
                    c.tz.set(value);
                } else {
                    // Garbage words are illegal once a number has been read, and must be
                    // separated from the first number.
                    if has_read_number || matches!(scanner.peek(), Token::Number { .. }) {
                        return None;
                    }
                }
            }
            t if t.is_ascii_sign() && (c.tz.is_utc() || !c.time.is_empty()) => {
                c.tz.set_sign(t.ascii_sign());
                let (mut n, mut length) = (0, 0);
                if let Token::Number { value, length: l } = scanner.peek() {
                    scanner.next();
                    n = value;
                    length = l;
                }
                has_read_number = true;
                if scanner.peek().is_symbol(b':') {
                    c.tz.hour = n;
                    c.tz.minute = NONE;
                } else if length == 1 || length == 2 {
                    c.tz.hour = n;
                    c.tz.minute = 0;
                } else if length == 3 || length == 4 {
                    c.tz.hour = n / 100;
                    c.tz.minute = n % 100;
                } else {
                    return None;
                }
            }
            t if (t.is_ascii_sign() || t.is_symbol(b')')) && has_read_number => return None,
            _ => {}
        }
        token = scanner.next();
    }
    let [year, month, day] = c.day.write()?;
    let [hour, minute, second, ms] = c.time.write()?;
    let offset = c.tz.write().ok()?;
    Some(([year, month, day, hour, minute, second, ms], offset))
}

/// `new Date(s).getTime()` / `Date.parse(s)` in Node 20 (V8) with `TZ=UTC`: ES5 ISO forms
/// (date-only = UTC, date-time without offset = local = UTC here, `Z`, `±HH:MM`, `±HHMM`, any
/// number of fraction digits, `24:00`) and V8's legacy fallback, which reads git's `%ci`
/// (`2022-04-19 11:39:35 +0200`), ignores unknown punctuation such as the literal double quotes
/// of `--format="%ci"`, and accepts RFC 2822 style dates. `NaN` when V8 rejects the string.
#[must_use]
pub fn parse_js_date(s: &str) -> f64 {
    let Some(([year, month, day, hour, minute, second, ms], offset)) = parse_components(s) else {
        return f64::NAN;
    };
    // MakeDay: V8 rejects years outside ±1,000,000 outright.
    if !(-1_000_000..=1_000_000).contains(&year) {
        return f64::NAN;
    }
    let days = days_from_civil(i64::from(year), i64::from(month), 1) + i64::from(day) - 1;
    let time = i64::from(hour) * 3_600_000
        + i64::from(minute) * 60_000
        + i64::from(second) * 1000
        + i64::from(ms);
    #[allow(clippy::cast_precision_loss)]
    let mut date = (days * 86_400_000 + time) as f64;
    match offset {
        None => {
            // Local time (UTC): V8 first bounds it by the range plus ten days.
            if date.abs() > MAX_TIME_MS + 864_000_000.0 {
                return f64::NAN;
            }
        }
        Some(seconds) => {
            #[allow(clippy::cast_precision_loss)]
            let shift = seconds as f64 * 1000.0;
            date -= shift;
            if date.abs() > MAX_TIME_MS {
                return f64::NAN;
            }
        }
    }
    time_clip(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_number(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.total_cmp(&b).is_eq()
    }

    /// (input, `Date.parse` (NaN as `f64::NAN`)), node 20 with `TZ=UTC`.
    const PARSES: &[(&str, f64)] = &[
        ("2022-04-19T11:39:35+02:00", 1_650_361_175_000.0),
        ("2020-01-10T00:30:00Z", 1_578_616_200_000.0),
        ("2022-04-19 11:39:35 +0200", 1_650_361_175_000.0),
        ("\"2022-04-19 11:39:35 +0200\"", 1_650_361_175_000.0),
        ("\"2022-04-19 11:39:35 -0700\"", 1_650_393_575_000.0),
        ("\"2022-04-19 11:39:35 +0530\"\n", 1_650_348_575_000.0),
        ("2022-04-19T11:39:35", 1_650_368_375_000.0),
        ("2022-04-19T11:39:35.5", 1_650_368_375_500.0),
        ("2022-04-19T11:39:35.1234567Z", 1_650_368_375_123.0),
        ("2022-04-19", 1_650_326_400_000.0),
        ("2022-04", 1_648_771_200_000.0),
        ("2022", 1_640_995_200_000.0),
        ("2022-02-31", 1_646_265_600_000.0),
        ("2022-04-19T24:00:00Z", 1_650_412_800_000.0),
        ("2022-04-19T24:00:01Z", f64::NAN),
        ("2022-04-19T25:00:00Z", f64::NAN),
        ("2022-04-19T11:39:35+2400", f64::NAN),
        ("2022-04-19T11:39:35 +01:00", f64::NAN),
        ("2022-04-19t11:39:35z", 1_650_368_375_000.0),
        ("+002022-04-19T00:00:00Z", 1_650_326_400_000.0),
        ("-000001-01-01T00:00:00Z", -62_198_755_200_000.0),
        ("-000000-01-01T00:00:00Z", f64::NAN),
        ("+275760-09-13T00:00:00.000Z", 8_640_000_000_000_000.0),
        ("+275760-09-13T00:00:00.001Z", f64::NAN),
        ("2022-13-01", f64::NAN),
        ("  2022-04-19T11:39:35Z", f64::NAN),
        ("2022-04-19T11:39:35Z ", f64::NAN),
        ("Tue, 19 Apr 2022 09:39:35 GMT", 1_650_361_175_000.0),
        (
            "Tue Apr 19 2022 11:39:35 GMT+0200 (Central European Summer Time)",
            1_650_361_175_000.0,
        ),
        ("Apr 19 2022", 1_650_326_400_000.0),
        ("19 April 2022 10:00 pm", 1_650_405_600_000.0),
        ("12/31/1999 12:00 am", 946_598_400_000.0),
        ("12/31/1999 13:00 pm", f64::NAN),
        ("1/2/3", 1_041_465_600_000.0),
        ("49/1/1", 2_493_072_000_000.0),
        ("99-01-01", 915_148_800_000.0),
        ("2022-04-19 11:39:35 EST", 1_650_386_375_000.0),
        ("2022-04-19 11:39:35 + 0200", f64::NAN),
        ("2022-04-19 10::", 1_650_362_400_000.0),
        ("2022-04-19\u{0}garbage", 1_650_326_400_000.0),
        ("1/2/2020, 10:00\u{202f}AM", 1_577_959_200_000.0),
        ("2022-04-19\u{2028}10:00", f64::NAN),
        ("(comment) 2022-04-19", 1_650_326_400_000.0),
        ("2022-04-19 (a(b)c) 10:00", 1_650_362_400_000.0),
        ("x2022-04-19", f64::NAN),
        ("2022-04-19x", f64::NAN),
        ("Jan", f64::NAN),
        ("", f64::NAN),
        ("not a date", f64::NAN),
        ("2022-04-19 10:00 +123456789:30", -412_448_312_000.0),
    ];
    /// (time value, `toISOString` (empty = `RangeError`), `toString`).
    const DATE_STRINGS: &[(f64, &str, &str)] = &[
        (
            0.0,
            "1970-01-01T00:00:00.000Z",
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            -1.0,
            "1969-12-31T23:59:59.999Z",
            "Wed Dec 31 1969 23:59:59 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            1_578_616_200_123.0,
            "2020-01-10T00:30:00.123Z",
            "Fri Jan 10 2020 00:30:00 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            -62_198_755_200_000.0,
            "-000001-01-01T00:00:00.000Z",
            "Fri Jan 01 -0001 00:00:00 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            -62_135_596_800_001.0,
            "0000-12-31T23:59:59.999Z",
            "Sun Dec 31 0000 23:59:59 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            253_402_300_800_000.0,
            "+010000-01-01T00:00:00.000Z",
            "Sat Jan 01 10000 00:00:00 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            8_640_000_000_000_000.0,
            "+275760-09-13T00:00:00.000Z",
            "Sat Sep 13 275760 00:00:00 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            -8_640_000_000_000_000.0,
            "-271821-04-20T00:00:00.000Z",
            "Tue Apr 20 -271821 00:00:00 GMT+0000 (Coordinated Universal Time)",
        ),
        (f64::NAN, "", "Invalid Date"),
    ];

    #[test]
    fn date_parse_matches_v8() {
        for (input, want) in PARSES {
            let got = parse_js_date(input);
            assert!(same_number(got, *want), "{input:?}: got {got}, want {want}");
        }
    }

    #[test]
    fn date_strings_match_v8() {
        for (ms, iso, string) in DATE_STRINGS {
            assert_eq!(to_iso_string(*ms).unwrap_or_default(), *iso, "{ms}");
            assert_eq!(to_js_date_string(*ms), *string, "{ms}");
        }
    }
}
