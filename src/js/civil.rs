//! Proleptic Gregorian calendar arithmetic (days since 1970-01-01), the broken-down UTC fields
//! of a JavaScript time value, `TimeClip`, and the English month and weekday names. Shared by
//! moment formatting, V8's `Date` and git's `%ci` dates.

/// Milliseconds in a day.
pub const MS_PER_DAY: f64 = 86_400_000.0;
/// `Date` time values are limited to ±8.64e15 ms (ECMA-262 `TimeClip`).
pub const MAX_TIME_MS: f64 = 8.64e15;

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1..=12; any year).
#[must_use]
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Howard Hinnant's algorithm; month 1..=12.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month 1..=12, day 1..=31)` of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `year` is a Gregorian leap year.
#[must_use]
pub fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// The weekday of a day count since 1970-01-01, 0 = Sunday.
#[must_use]
pub fn weekday_of_days(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Broken-down UTC fields of a finite, integral time value.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The year (astronomical: 0 is 1 BC).
    pub year: i64,
    /// 0-based.
    pub month: i64,
    /// The day of the month, 1-based.
    pub date: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    /// 0..=23.
    pub hour: i64,
    /// 0..=59.
    pub minute: i64,
    /// 0..=59.
    pub second: i64,
    /// 0..=999.
    pub millisecond: i64,
}

/// The UTC fields of a `TimeClip`ped time value (milliseconds since the epoch).
#[allow(clippy::cast_possible_truncation)]
#[must_use]
pub fn fields(ms: f64) -> Fields {
    // Callers pass TimeClip'd values (|ms| <= 8.64e15), which fit i64 exactly.
    let ms = ms as i64;
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, date) = civil_from_days(days);
    Fields {
        year,
        month: month - 1,
        date,
        weekday: weekday_of_days(days),
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        millisecond: in_day % 1000,
    }
}

/// ECMA-262 `TimeClip`: `NaN` outside ±8.64e15 ms, else truncated to an integer.
#[must_use]
pub fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > MAX_TIME_MS {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The English name of a 0-based month (`""` out of range).
#[must_use]
pub fn month_name(month0: i64) -> &'static str {
    usize::try_from(month0)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("")
}

/// The English name of a weekday, 0 = Sunday (`""` out of range).
#[must_use]
pub fn weekday_name(weekday: i64) -> &'static str {
    usize::try_from(weekday)
        .ok()
        .and_then(|i| WEEKDAYS.get(i))
        .copied()
        .unwrap_or("")
}

/// The three-letter abbreviation of an English month or weekday name.
#[must_use]
pub fn short(name: &str) -> &str {
    name.get(..3).unwrap_or(name)
}
