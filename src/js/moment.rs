//! JavaScript date semantics behind metadata-action's `{{date}}` and `{{commit_date}}` helpers.
//!
//! Owns, byte for byte as the reference runs them on a runner (Node, process `TZ=UTC`):
//! * `moment(date).tz(name).format(fmt)` of moment 2.30.1 with moment-timezone 0.6.2 and the
//!   English locale ([`format`], [`zone`], [`resolve_helper_zone`]);
//! * V8's `Date` string parser, i.e. `new Date(string)` / `Date.parse` ([`parse_js_date`]);
//! * `Date.prototype.toISOString` and `Date.prototype.toString` ([`to_iso_string`],
//!   [`to_js_date_string`]).
//!
//! Instants are JS time values: `f64` milliseconds since the epoch, `NaN` for an Invalid Date.
//!
//! Zone data comes from chrono-tz 0.10 (tzdata 2025b). The reference bundles tzdata 2026b, so
//! the three places where they differ are patched (Moldova since 2022, British Columbia from
//! 2026-11-01, Tijuana 1953–1975), and past chrono-tz's last computed transition (2099) annual
//! rules are continued to 2499 with the last offset kept afterwards, as moment-timezone's packed
//! data does. Checked against the reference's own zone data for all 597 names: every
//! transition up to 2100, and daily from 1800 to 2600.
//!
//! Must not: read the clock, the environment or files, print, or panic on any input. Warnings
//! (moment-timezone's "no data" message) are returned as data.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::{OffsetName, Tz};

const MS_PER_DAY: f64 = 86_400_000.0;
/// `Date` time values are limited to ±8.64e15 ms (ECMA-262 `TimeClip`).
const MAX_TIME_MS: f64 = 8.64e15;

// ---------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------

/// The zone a moment is formatted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A moment left in local mode (the process runs with `TZ=UTC`): what metadata-action
    /// formats with when moment-timezone has no data for the requested name. Wall time is UTC,
    /// `Z` is `+00:00`, but `z`/`zz` render empty and the default format ends in `+00:00`.
    LocalUtc,
    /// A zone known to moment-timezone (`z`/`zz` render its abbreviation, e.g. `UTC`, `JST`).
    Named(Tz),
}

impl Zone {
    /// `tz('UTC')`, metadata-action's default zone.
    #[must_use]
    pub fn utc() -> Zone {
        Zone::Named(Tz::UTC)
    }
}

/// moment-timezone's `normalizeName`: lower case (Unicode, like `String#toLowerCase`), every `/`
/// replaced by `_`.
fn normalize_zone_name(name: &str) -> String {
    name.to_lowercase().replace('/', "_")
}

fn zone_index() -> &'static HashMap<String, Tz> {
    static INDEX: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    INDEX.get_or_init(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| (normalize_zone_name(tz.name()), *tz))
            .collect()
    })
}

/// Looks a zone up the way moment-timezone's `tz.zone(name)` does: case-insensitively, with
/// `/` and `_` interchangeable, zones and links (`US/Eastern`, `Etc/GMT+5`, `UTC`, `GMT`,
/// `Zulu`, …) alike. `None` when moment-timezone has no data for the name (`Z`, `Local`,
/// `+09:00`, `America/New York`, …).
#[must_use]
pub fn zone(name: &str) -> Option<Zone> {
    zone_index()
        .get(&normalize_zone_name(name))
        .map(|tz| Zone::Named(*tz))
}

/// The zone a `{{date … tz='name'}}` helper call formats in, with what moment-timezone logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedZone {
    /// Zone to pass to [`format`].
    pub zone: Zone,
    /// The line moment-timezone writes to stderr (`console.error`) for an unknown name; the
    /// step goes on, formatting in UTC with an empty `z`.
    pub warning: Option<String>,
}

/// What `moment(d).tz(name)` does inside metadata-action's helpers (`fn.tz` of
/// moment-timezone 0.6.2): a known name selects the zone; an unknown one logs
/// `Moment Timezone has no data for <name>. See http://momentjs.com/timezone/docs/#/data-loading/.`
/// and leaves the moment in local mode ([`Zone::LocalUtc`]).
///
/// # Errors
/// The cases where the reference throws and the step fails: an empty name (`tz('')` is the
/// getter, returning `undefined`), and names normalising to `constructor` or `__proto__` (they
/// hit `Object.prototype` in moment-timezone's name tables).
pub fn resolve_helper_zone(name: &str) -> Result<ResolvedZone, MomentError> {
    if name.is_empty() {
        return Err(MomentError::EmptyZoneName);
    }
    let normalized = normalize_zone_name(name);
    if normalized == "constructor" || normalized == "__proto__" {
        return Err(MomentError::ZoneLookupThrows {
            name: name.to_owned(),
        });
    }
    Ok(match zone(name) {
        Some(zone) => ResolvedZone {
            zone,
            warning: None,
        },
        None => ResolvedZone {
            zone: Zone::LocalUtc,
            warning: Some(format!(
                "Moment Timezone has no data for {name}. See http://momentjs.com/timezone/docs/#/data-loading/."
            )),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A helper call that throws in the reference (the step fails with [`MomentError::js_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MomentError {
    /// `tz=''`: `moment#tz('')` returns `undefined`, then `.format` throws.
    EmptyZoneName,
    /// A zone name normalising to `constructor` or `__proto__`.
    ZoneLookupThrows {
        /// The zone name as given.
        name: String,
    },
    /// A format string that moment cannot format (e.g. only line breaks, or `__proto__`).
    FormatThrows {
        /// The format string as given.
        format: String,
        /// The JavaScript error message.
        message: String,
    },
}

impl MomentError {
    /// The JavaScript error message the reference fails the step with.
    #[must_use]
    pub fn js_message(&self) -> &str {
        match self {
            MomentError::EmptyZoneName => "Cannot read properties of undefined (reading 'format')",
            MomentError::ZoneLookupThrows { .. } => "(R || \"\").toLowerCase is not a function",
            MomentError::FormatThrows { message, .. } => message,
        }
    }
}

impl fmt::Display for MomentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MomentError::EmptyZoneName => {
                write!(f, "empty `tz` attribute: {}", self.js_message())
            }
            MomentError::ZoneLookupThrows { name } => {
                write!(
                    f,
                    "time zone `{name}` cannot be looked up: {}",
                    self.js_message()
                )
            }
            MomentError::FormatThrows { format, message } => {
                write!(f, "date format `{format}` cannot be formatted: {message}")
            }
        }
    }
}

impl std::error::Error for MomentError {}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, days since 1970-01-01)
// ---------------------------------------------------------------------------------------------

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Howard Hinnant's algorithm; month 1..=12.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
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

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// 0 = Sunday.
fn weekday_of_days(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Broken-down UTC fields of a finite, integral time value.
#[derive(Debug, Clone, Copy)]
struct Fields {
    year: i64,
    /// 0-based.
    month: i64,
    date: i64,
    /// 0 = Sunday.
    weekday: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millisecond: i64,
}

#[allow(clippy::cast_possible_truncation)]
fn fields(ms: f64) -> Fields {
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

/// ECMA-262 `TimeClip`.
fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > MAX_TIME_MS {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

/// `Math.round`.
fn js_round(x: f64) -> f64 {
    let floor = x.floor();
    if x - floor >= 0.5 { floor + 1.0 } else { floor }
}

/// `Number.prototype.toString()` for the values moment prints (|v| < 1e21).
fn js_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v == 0.0 {
        "0".to_owned()
    } else {
        // Rust's shortest round-trip representation matches JS digits for 1e-7 <= |v| < 1e21.
        format!("{v}")
    }
}

// ---------------------------------------------------------------------------------------------
// Zone offsets as moment-timezone 0.6.2 sees them
// ---------------------------------------------------------------------------------------------

/// 2100-01-01T00:00:00Z, seconds: chrono-tz precomputes rule-based transitions up to 2099.
const SECS_2100: i64 = 4_102_444_800;
/// 2500-01-01T00:00:00Z, seconds: moment-timezone's packed data ends with 2499's transitions.
const SECS_2500: i64 = 16_725_225_600;

/// Whether the zone still follows annual daylight-saving rules at the end of chrono-tz's data.
fn has_ongoing_rules(tz: Tz) -> bool {
    let jan = tz.offset_from_utc_datetime(&utc_naive(4_071_945_600)); // 2099-01-15
    let jul = tz.offset_from_utc_datetime(&utc_naive(4_087_584_000)); // 2099-07-15
    jan.fix() != jul.fix() || jan.abbreviation() != jul.abbreviation()
}

fn utc_naive(secs: i64) -> chrono::NaiveDateTime {
    // Clamp into chrono's range; offsets are constant that far out anyway.
    let secs = secs.clamp(-8_210_298_412_800, 8_210_266_876_799);
    DateTime::from_timestamp(secs, 0).map_or(chrono::NaiveDateTime::MIN, |dt| dt.naive_utc())
}

/// The instant whose chrono-tz offset equals moment-timezone's offset at `secs`.
///
/// Past 2099 a zone with ongoing rules repeats its transitions: every current rule places them
/// between March and December by weekday or fixed date, so a year behaves like any year whose
/// 1 March falls on the same weekday. The years 2088..=2099 cover all seven weekdays and lie
/// after the last irregular (Ramadan-dependent) transitions of Palestine and Morocco.
fn lookup_secs(tz: Tz, secs: i64) -> i64 {
    if secs < SECS_2100 || !has_ongoing_rules(tz) {
        return secs;
    }
    // moment-timezone's last offset holds forever after its 2499 transitions.
    let secs = secs.min(SECS_2500 - 1);
    let (year, _, _) = civil_from_days(secs.div_euclid(86_400));
    let march1 = days_from_civil(year, 3, 1);
    let weekday = weekday_of_days(march1);
    (2088..=2099)
        .map(|same| days_from_civil(same, 3, 1))
        .find(|same_march1| weekday_of_days(*same_march1) == weekday)
        .map_or(secs, |same_march1| secs - (march1 - same_march1) * 86_400)
}

/// PDT periods of America/Tijuana 1953–1975 (start, end) in moment-timezone's tzdata 2026b,
/// which rewrote that history; chrono-tz 0.10.4 carries tzdata 2025b.
const TIJUANA_1953_1975_PDT: [(i64, i64); 23] = [
    (-526_489_200, -513_183_600),
    (-495_039_600, -481_734_000),
    (-463_590_000, -450_284_400),
    (-431_535_600, -418_230_000),
    (-400_086_000, -386_780_400),
    (-368_636_400, -355_330_800),
    (-337_186_800, -323_881_200),
    (-305_737_200, -292_431_600),
    (-273_682_800, -260_982_000),
    (-242_233_200, -226_508_400),
    (-210_783_600, -195_058_800),
    (-179_334_000, -163_609_200),
    (-147_884_400, -131_554_800),
    (-116_434_800, -100_105_200),
    (-84_376_800, -68_655_600),
    (-52_927_200, -37_206_000),
    (-21_477_600, -5_756_400),
    (9_972_000, 25_693_200),
    (41_421_600, 57_747_600),
    (73_476_000, 89_197_200),
    (104_925_600, 120_646_800),
    (126_698_400, 152_096_400),
    (162_381_600, 183_546_000),
];

/// Where moment-timezone's tzdata 2026b differs from chrono-tz's 2025b: the zone (or fixed
/// offset and abbreviation) to use instead.
enum TzdataUpdate {
    Zone(Tz),
    Fixed(i64, &'static str),
}

fn tzdata_update(tz: Tz, secs: i64) -> Option<TzdataUpdate> {
    use chrono_tz::{America, Canada, Europe, Mexico};
    match tz {
        // Moldova has used the EU transition times (01:00 UTC) since 2022: Helsinki's rules.
        Europe::Chisinau | Europe::Tiraspol if secs >= 1_640_995_200 => {
            Some(TzdataUpdate::Zone(Europe::Helsinki))
        }
        // British Columbia stays on -07 ("MST") from 2026-11-01.
        America::Vancouver | Canada::Pacific if secs >= 1_793_523_600 => {
            Some(TzdataUpdate::Fixed(-25_200, "MST"))
        }
        America::Tijuana | America::Ensenada | America::Santa_Isabel | Mexico::BajaNorte
            if (-536_457_600..189_302_400).contains(&secs) =>
        {
            let pdt = TIJUANA_1953_1975_PDT
                .iter()
                .any(|(start, end)| (*start..*end).contains(&secs));
            Some(if pdt {
                TzdataUpdate::Fixed(-25_200, "PDT")
            } else {
                TzdataUpdate::Fixed(-28_800, "PST")
            })
        }
        _ => None,
    }
}

/// UTC offset (seconds east) and abbreviation at an instant, as moment-timezone's data has them.
fn zone_offset(tz: Tz, t_ms: f64) -> (i64, String) {
    #[allow(clippy::cast_possible_truncation)]
    let secs = if t_ms.is_finite() {
        (t_ms / 1000.0).floor().clamp(-1e15, 1e15) as i64
    } else {
        0
    };
    let tz = match tzdata_update(tz, secs) {
        Some(TzdataUpdate::Fixed(east, abbr)) => return (east, abbr.to_owned()),
        Some(TzdataUpdate::Zone(other)) => other,
        None => tz,
    };
    let offset = tz.offset_from_utc_datetime(&utc_naive(lookup_secs(tz, secs)));
    let east = i64::from(offset.fix().local_minus_utc());
    let abbr = match offset.abbreviation() {
        Some(abbr) => abbr.to_owned(),
        None => numeric_abbreviation(east),
    };
    (east, abbr)
}

/// tzdata's `%z` abbreviation (`-03`, `+0530`, `+0545`), used when the zone has no letters.
fn numeric_abbreviation(east: i64) -> String {
    let sign = if east < 0 { '-' } else { '+' };
    let abs = east.abs();
    let (hours, minutes, seconds) = (abs / 3600, abs / 60 % 60, abs % 60);
    if seconds != 0 {
        format!("{sign}{hours:02}{minutes:02}{seconds:02}")
    } else if minutes != 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}")
    }
}

/// moment-timezone's `zone.utcOffset(t)`: minutes west, unpacked from base 60 the way its packed
/// data stores them (whole minutes plus seconds * (1/60)).
#[allow(clippy::cast_precision_loss)]
fn packed_minutes_west(east_secs: i64) -> f64 {
    let west = -east_secs;
    let abs = west.abs();
    let value = (abs / 60) as f64 + (abs % 60) as f64 * (1.0 / 60.0);
    if west < 0 { -value } else { value }
}

/// moment-timezone's `updateOffset` then moment's `utcOffset(-k)`: the `_offset` (minutes east)
/// the moment ends up with, including both libraries' "|x| < 16 means hours" conversions.
fn moment_offset(east_secs: i64) -> f64 {
    let mut k = packed_minutes_west(east_secs);
    if k.abs() < 16.0 {
        k /= 60.0;
    }
    let mut input = -k;
    if input.abs() < 16.0 {
        input *= 60.0;
    }
    input
}

// ---------------------------------------------------------------------------------------------
// The moment being formatted
// ---------------------------------------------------------------------------------------------

struct Moment {
    /// `_d`: wall-clock time in the moment's zone, as a UTC time value.
    wall: f64,
    /// `_offset` in minutes east (0 in local mode).
    offset: f64,
    /// `_isUTC`: false only in local mode.
    is_utc: bool,
    tz: Option<Tz>,
    f: Fields,
}

impl Moment {
    fn new(instant_ms: f64, zone: Zone) -> Option<Moment> {
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
    fn value_of(&self) -> f64 {
        self.wall - self.offset * 60_000.0
    }

    /// `clone().startOf(...)`'s `valueOf()` for the local midnight starting the given date.
    #[allow(clippy::cast_precision_loss)]
    fn start_of_date(&self, year: i64, month0: i64, date: i64) -> f64 {
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
    fn day_of_year(&self) -> Option<i64> {
        let day = self.start_of_date(self.f.year, self.f.month, self.f.date);
        let year = self.start_of_date(self.f.year, 0, 1);
        let diff = js_round((day - year) / MS_PER_DAY);
        #[allow(clippy::cast_possible_truncation)]
        diff.is_finite().then(|| diff as i64 + 1)
    }

    /// `(week, week-year)` for a locale's first day of week and of year; the week is `None`
    /// (NaN) when the day of the year is.
    fn week_of_year(&self, dow: i64, doy: i64) -> (Option<i64>, i64) {
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
    fn era(&self) -> Option<usize> {
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

    fn era_year(&self) -> i64 {
        // (year - year of the era's start) * direction + 1; outside both eras: the year.
        if self.era() == Some(1) {
            1 - self.f.year
        } else {
            self.f.year
        }
    }

    fn zone_abbr(&self) -> String {
        match self.tz {
            None => String::new(),
            Some(tz) => zone_offset(tz, self.value_of()).1,
        }
    }

    /// `Z` / `ZZ`.
    #[allow(clippy::cast_possible_truncation)]
    fn offset_string(&self, separator: &str) -> String {
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

fn first_week_offset(year: i64, dow: i64, doy: i64) -> i64 {
    let fwd = 7 + dow - doy;
    let fwdlw = (7 + weekday_of_days(days_from_civil(year, 1, fwd)) - dow) % 7;
    -fwdlw + fwd - 1
}

fn weeks_in_year(year: i64, dow: i64, doy: i64) -> i64 {
    let days = if is_leap(year) { 366 } else { 365 };
    (days - first_week_offset(year, dow, doy) + first_week_offset(year + 1, dow, doy)) / 7
}

/// moment's `zeroFill`.
fn zero_fill(number: i64, target: usize, force_sign: bool) -> String {
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
fn number_or_nan(number: Option<i64>) -> String {
    number.map_or_else(|| "NaN".to_owned(), |n| n.to_string())
}

/// `zeroFill` for a number that may be NaN (`-NaN`: NaN is not `>= 0`).
fn zero_fill_or_nan(number: Option<i64>, target: usize) -> String {
    number.map_or_else(|| "-NaN".to_owned(), |n| zero_fill(n, target, false))
}

/// `ordinal` for a number that may be NaN.
fn ordinal_or_nan(number: Option<i64>) -> String {
    number.map_or_else(|| "NaNth".to_owned(), ordinal)
}

/// The English locale's `ordinal`.
fn ordinal(number: i64) -> String {
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
const WEEKDAYS_MIN: [&str; 7] = ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"];

fn month_name(month0: i64) -> &'static str {
    usize::try_from(month0)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("")
}

fn weekday_name(weekday: i64) -> &'static str {
    usize::try_from(weekday)
        .ok()
        .and_then(|i| WEEKDAYS.get(i))
        .copied()
        .unwrap_or("")
}

fn short(name: &str) -> &str {
    name.get(..3).unwrap_or(name)
}

/// The value of a moment format token, `None` when `token` is not one (moment's
/// `formatTokenFunctions`).
#[allow(clippy::too_many_lines)]
fn render_token(token: &str, m: &Moment) -> Option<String> {
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

// ---------------------------------------------------------------------------------------------
// Format strings
// ---------------------------------------------------------------------------------------------

/// Characters JavaScript's `.` does not match (line terminators).
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Length of `\[[^\[]*\]` at `i`: up to the last `]` before the next `[` (greedy).
fn bracket_len(chars: &[char], i: usize) -> Option<usize> {
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

fn run_len(chars: &[char], i: usize, c: char, max: usize) -> usize {
    chars
        .iter()
        .skip(i)
        .take(max)
        .take_while(|x| **x == c)
        .count()
}

fn starts_with(chars: &[char], i: usize, s: &str) -> bool {
    (i..).zip(s.chars()).all(|(j, c)| chars.get(j) == Some(&c))
}

/// Length of the first alternative of moment's token list (without the `.` fallback) at `i`.
fn format_token_len(chars: &[char], i: usize) -> Option<usize> {
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
fn tokenize(chars: &[char]) -> Vec<String> {
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
fn long_date_format(token: &str) -> Option<&'static str> {
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
fn long_token_len(chars: &[char], i: usize) -> Option<usize> {
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
fn expand_format(chars: &[char]) -> Vec<char> {
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
fn literal(piece: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// Date.prototype.toISOString / toString
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// V8's Date parser (src/date/dateparser*.{h,cc}, Node 20), process TZ=UTC
// ---------------------------------------------------------------------------------------------

/// "No value" marker of V8's composers (`kMaxInt`).
const NONE: i32 = i32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeywordType {
    Invalid,
    MonthName,
    TimeZoneName,
    TimeSeparator,
    AmPm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
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
    fn is_symbol(self, c: u8) -> bool {
        self == Token::Symbol(u16::from(c))
    }
    fn is_ascii_sign(self) -> bool {
        self.is_symbol(b'+') || self.is_symbol(b'-')
    }
    fn ascii_sign(self) -> i32 {
        if self.is_symbol(b'-') { -1 } else { 1 }
    }
    fn is_fixed_length_number(self, len: usize) -> bool {
        matches!(self, Token::Number { length, .. } if length == len)
    }
    fn number(self) -> i32 {
        match self {
            Token::Number { value, .. } => value,
            _ => 0,
        }
    }
    fn is_keyword_z(self) -> bool {
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
fn is_unicode_space(c: u16) -> bool {
    matches!(
        c,
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 | 0xFEFF
    )
}

fn is_ascii_space_or_line_terminator(c: u16) -> bool {
    matches!(c, 0x09..=0x0D | 0x20)
}

struct Scanner {
    units: Vec<u16>,
    /// Index of the next unit to read into `ch`.
    index: usize,
    /// Current unit; 0 at the end (an embedded NUL also ends the input, as in V8).
    ch: u16,
    next: Token,
}

impl Scanner {
    fn new(s: &str) -> Scanner {
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

    fn advance(&mut self) {
        self.ch = self.units.get(self.index).copied().unwrap_or(0);
        self.index += 1;
    }

    fn is_word_char(&self) -> bool {
        self.ch >= u16::from(b'A') && !is_unicode_space(self.ch)
    }

    fn scan(&mut self) -> Token {
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

    fn next(&mut self) -> Token {
        let result = self.next;
        self.next = self.scan();
        result
    }

    fn peek(&self) -> Token {
        self.next
    }

    fn skip_symbol(&mut self, c: u8) -> bool {
        if self.next.is_symbol(c) {
            self.next = self.scan();
            true
        } else {
            false
        }
    }
}

/// V8's `KeywordTable::Lookup`.
fn keyword(prefix: [u16; 3], length: usize) -> (KeywordType, i32) {
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
fn between(x: i32, lo: i32, hi: i32) -> bool {
    i64::from(x) >= i64::from(lo) && i64::from(x) <= i64::from(hi)
}

fn is_minute(x: i32) -> bool {
    between(x, 0, 59)
}

fn is_hour(x: i32) -> bool {
    between(x, 0, 23)
}

fn is_month(x: i32) -> bool {
    between(x, 1, 12)
}

fn is_day(x: i32) -> bool {
    between(x, 1, 31)
}

struct TimeZoneComposer {
    sign: i32,
    hour: i32,
    minute: i32,
}

impl TimeZoneComposer {
    fn set(&mut self, offset_in_hours: i32) {
        self.sign = if offset_in_hours < 0 { -1 } else { 1 };
        self.hour = offset_in_hours * self.sign;
        self.minute = 0;
    }
    fn set_sign(&mut self, sign: i32) {
        self.sign = if sign < 0 { -1 } else { 1 };
    }
    fn is_expecting(&self, n: i32) -> bool {
        self.hour != NONE && self.minute == NONE && is_minute(n)
    }
    fn is_utc(&self) -> bool {
        self.hour == 0 && self.minute == 0
    }
    fn is_empty(&self) -> bool {
        self.hour == NONE
    }
    /// UTC offset in seconds; `Ok(None)` when no zone was given.
    fn write(&self) -> Result<Option<i64>, ()> {
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

struct TimeComposer {
    comp: [i32; 4],
    index: usize,
    hour_offset: i32,
}

impl TimeComposer {
    fn is_empty(&self) -> bool {
        self.index == 0
    }
    fn is_expecting(&self, n: i32) -> bool {
        (self.index == 1 && is_minute(n))
            || (self.index == 2 && between(n, 0, 59))
            || (self.index == 3 && between(n, 0, 999))
    }
    fn add(&mut self, n: i32) -> bool {
        match self.comp.get_mut(self.index) {
            Some(slot) => {
                *slot = n;
                self.index += 1;
                true
            }
            None => false,
        }
    }
    fn add_final(&mut self, n: i32) -> bool {
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
    fn write(&mut self) -> Option<[i32; 4]> {
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

struct DayComposer {
    comp: [i32; 3],
    index: usize,
    named_month: i32,
    is_iso_date: bool,
}

impl DayComposer {
    fn is_empty(&self) -> bool {
        self.index == 0
    }
    fn add(&mut self, n: i32) -> bool {
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
    fn write(&mut self) -> Option<[i32; 3]> {
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
fn read_milliseconds(token: Token) -> i32 {
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

struct Composers {
    day: DayComposer,
    time: TimeComposer,
    tz: TimeZoneComposer,
}

/// V8's `ParseES5DateTime`: the next token for the legacy parser, `EndOfInput` when the string
/// was a complete ES5 date-time, `Invalid` when it must be rejected.
fn parse_es5(scanner: &mut Scanner, c: &mut Composers) -> Token {
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
fn parse_es5_time(scanner: &mut Scanner, c: &mut Composers) -> bool {
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
fn parse_components(s: &str) -> Option<([i32; 7], Option<i64>)> {
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

    // Expected values below were produced by the reference itself: moment 2.30.1 and
    // moment-timezone 0.6.2 (tzdata 2026b) extracted from metadata-action's bundled
    // `dist/index.cjs`, and V8's Date, all run under node 20 with TZ=UTC.

    fn helper(ms: f64, zone_name: &str, fmt: &str) -> String {
        match resolve_helper_zone(zone_name) {
            Err(e) => format!("THROW:{}", e.js_message()),
            Ok(resolved) => match format(ms, &resolved.zone, fmt) {
                Ok(out) => out,
                Err(e) => format!("THROW:{}", e.js_message()),
            },
        }
    }

    fn same_number(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.total_cmp(&b).is_eq()
    }

    const FMT_ALL: &str = "YYYY-MM-DD HH:mm:ss.SSS Z ZZ z zz X x|M Mo MMM MMMM Q Qo D Do DDD DDDo DDDD d do dd ddd dddd e E w wo ww W Wo WW|YY Y YYYYY YYYYYY gg gggg ggggg GG GGGG GGGGG|A a h hh k kk hmm hmmss Hmm Hmmss|S SS SSSS SSSSSSSSS|N NNNN y yy yo|LTS/LT/L/LL/LLL/LLLL/l/ll/lll/llll";
    /// (comment, instant, zone, moment output for `FMT_ALL`), from moment 2.30.1 + moment-timezone 0.6.2 under node 20, `TZ=UTC`.
    const ALL_TOKENS: &[(&str, f64, &str, &str)] = &[
        (
            "metadata-action test fixture",
            1_578_616_200_000.0,
            "UTC",
            "2020-01-10 00:30:00.000 +00:00 +0000 UTC UTC 1578616200 1578616200000|1 1st Jan January 1 1st 10 10th 10 10th 010 5 5th Fr Fri Friday 5 5 2 2nd 02 2 2nd 02|20 2020 02020 +002020 20 2020 02020 20 2020 02020|AM am 12 12 24 24 1230 123000 030 03000|0 00 0000 000000000|AD Anno Domini 2020 2020 2020th|12:30:00 AM/12:30 AM/01/10/2020/January 10, 2020/January 10, 2020 12:30 AM/Friday, January 10, 2020 12:30 AM/1/10/2020/Jan 10, 2020/Jan 10, 2020 12:30 AM/Fri, Jan 10, 2020 12:30 AM",
        ),
        (
            "fixture in Tokyo",
            1_578_616_200_000.0,
            "Asia/Tokyo",
            "2020-01-10 09:30:00.000 +09:00 +0900 JST JST 1578616200 1578616200000|1 1st Jan January 1 1st 10 10th 10 10th 010 5 5th Fr Fri Friday 5 5 2 2nd 02 2 2nd 02|20 2020 02020 +002020 20 2020 02020 20 2020 02020|AM am 9 09 9 09 930 93000 930 93000|0 00 0000 000000000|AD Anno Domini 2020 2020 2020th|9:30:00 AM/9:30 AM/01/10/2020/January 10, 2020/January 10, 2020 9:30 AM/Friday, January 10, 2020 9:30 AM/1/10/2020/Jan 10, 2020/Jan 10, 2020 9:30 AM/Fri, Jan 10, 2020 9:30 AM",
        ),
        (
            "fixture, unknown zone: local mode",
            1_578_616_200_000.0,
            "Nope/Zone",
            "2020-01-10 00:30:00.000 +00:00 +0000   1578616200 1578616200000|1 1st Jan January 1 1st 10 10th 10 10th 010 5 5th Fr Fri Friday 5 5 2 2nd 02 2 2nd 02|20 2020 02020 +002020 20 2020 02020 20 2020 02020|AM am 12 12 24 24 1230 123000 030 03000|0 00 0000 000000000|AD Anno Domini 2020 2020 2020th|12:30:00 AM/12:30 AM/01/10/2020/January 10, 2020/January 10, 2020 12:30 AM/Friday, January 10, 2020 12:30 AM/1/10/2020/Jan 10, 2020/Jan 10, 2020 12:30 AM/Fri, Jan 10, 2020 12:30 AM",
        ),
        (
            "NY last ms of EST before spring forward",
            1_615_705_199_999.0,
            "America/New_York",
            "2021-03-14 01:59:59.999 -05:00 -0500 EST EST 1615705199 1615705199999|3 3rd Mar March 1 1st 14 14th 73 73rd 073 0 0th Su Sun Sunday 0 7 12 12th 12 10 10th 10|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 1 01 1 01 159 15959 159 15959|9 99 9990 999000000|AD Anno Domini 2021 2021 2021st|1:59:59 AM/1:59 AM/03/14/2021/March 14, 2021/March 14, 2021 1:59 AM/Sunday, March 14, 2021 1:59 AM/3/14/2021/Mar 14, 2021/Mar 14, 2021 1:59 AM/Sun, Mar 14, 2021 1:59 AM",
        ),
        (
            "NY first ms of EDT",
            1_615_705_200_000.0,
            "America/New_York",
            "2021-03-14 03:00:00.000 -04:00 -0400 EDT EDT 1615705200 1615705200000|3 3rd Mar March 1 1st 14 14th 73 73rd 073 0 0th Su Sun Sunday 0 7 12 12th 12 10 10th 10|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 3 03 3 03 300 30000 300 30000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|3:00:00 AM/3:00 AM/03/14/2021/March 14, 2021/March 14, 2021 3:00 AM/Sunday, March 14, 2021 3:00 AM/3/14/2021/Mar 14, 2021/Mar 14, 2021 3:00 AM/Sun, Mar 14, 2021 3:00 AM",
        ),
        (
            "NY fall back, first 01:xx (EDT)",
            1_636_263_000_000.0,
            "America/New_York",
            "2021-11-07 01:30:00.000 -04:00 -0400 EDT EDT 1636263000 1636263000000|11 11th Nov November 4 4th 7 7th 311 311th 311 0 0th Su Sun Sunday 0 7 46 46th 46 44 44th 44|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 1 01 1 01 130 13000 130 13000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|1:30:00 AM/1:30 AM/11/07/2021/November 7, 2021/November 7, 2021 1:30 AM/Sunday, November 7, 2021 1:30 AM/11/7/2021/Nov 7, 2021/Nov 7, 2021 1:30 AM/Sun, Nov 7, 2021 1:30 AM",
        ),
        (
            "NY fall back, second 01:xx (EST)",
            1_636_266_600_000.0,
            "America/New_York",
            "2021-11-07 01:30:00.000 -05:00 -0500 EST EST 1636266600 1636266600000|11 11th Nov November 4 4th 7 7th 311 311th 311 0 0th Su Sun Sunday 0 7 46 46th 46 44 44th 44|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 1 01 1 01 130 13000 130 13000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|1:30:00 AM/1:30 AM/11/07/2021/November 7, 2021/November 7, 2021 1:30 AM/Sunday, November 7, 2021 1:30 AM/11/7/2021/Nov 7, 2021/Nov 7, 2021 1:30 AM/Sun, Nov 7, 2021 1:30 AM",
        ),
        (
            "Berlin CET->CEST",
            1_616_893_200_000.0,
            "Europe/Berlin",
            "2021-03-28 03:00:00.000 +02:00 +0200 CEST CEST 1616893200 1616893200000|3 3rd Mar March 1 1st 28 28th 87 87th 087 0 0th Su Sun Sunday 0 7 14 14th 14 12 12th 12|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 3 03 3 03 300 30000 300 30000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|3:00:00 AM/3:00 AM/03/28/2021/March 28, 2021/March 28, 2021 3:00 AM/Sunday, March 28, 2021 3:00 AM/3/28/2021/Mar 28, 2021/Mar 28, 2021 3:00 AM/Sun, Mar 28, 2021 3:00 AM",
        ),
        (
            "Sydney AEDT->AEST",
            1_617_465_600_000.0,
            "Australia/Sydney",
            "2021-04-04 02:00:00.000 +10:00 +1000 AEST AEST 1617465600 1617465600000|4 4th Apr April 2 2nd 4 4th 94 94th 094 0 0th Su Sun Sunday 0 7 15 15th 15 13 13th 13|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 2 02 2 02 200 20000 200 20000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|2:00:00 AM/2:00 AM/04/04/2021/April 4, 2021/April 4, 2021 2:00 AM/Sunday, April 4, 2021 2:00 AM/4/4/2021/Apr 4, 2021/Apr 4, 2021 2:00 AM/Sun, Apr 4, 2021 2:00 AM",
        ),
        (
            "Dublin winter (negative DST, GMT)",
            1_610_712_000_000.0,
            "Europe/Dublin",
            "2021-01-15 12:00:00.000 +00:00 +0000 GMT GMT 1610712000 1610712000000|1 1st Jan January 1 1st 15 15th 15 15th 015 5 5th Fr Fri Friday 5 5 3 3rd 03 2 2nd 02|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/01/15/2021/January 15, 2021/January 15, 2021 12:00 PM/Friday, January 15, 2021 12:00 PM/1/15/2021/Jan 15, 2021/Jan 15, 2021 12:00 PM/Fri, Jan 15, 2021 12:00 PM",
        ),
        (
            "Kathmandu +05:45",
            1_623_758_400_000.0,
            "Asia/Kathmandu",
            "2021-06-15 17:45:00.000 +05:45 +0545 +0545 +0545 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 5 05 17 17 545 54500 1745 174500|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|5:45:00 PM/5:45 PM/06/15/2021/June 15, 2021/June 15, 2021 5:45 PM/Tuesday, June 15, 2021 5:45 PM/6/15/2021/Jun 15, 2021/Jun 15, 2021 5:45 PM/Tue, Jun 15, 2021 5:45 PM",
        ),
        (
            "St Johns -02:30",
            1_623_758_400_000.0,
            "America/St_Johns",
            "2021-06-15 09:30:00.000 -02:30 -0230 NDT NDT 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 9 09 9 09 930 93000 930 93000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|9:30:00 AM/9:30 AM/06/15/2021/June 15, 2021/June 15, 2021 9:30 AM/Tuesday, June 15, 2021 9:30 AM/6/15/2021/Jun 15, 2021/Jun 15, 2021 9:30 AM/Tue, Jun 15, 2021 9:30 AM",
        ),
        (
            "numeric abbreviation",
            1_623_758_400_000.0,
            "America/Sao_Paulo",
            "2021-06-15 09:00:00.000 -03:00 -0300 -03 -03 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 9 09 9 09 900 90000 900 90000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|9:00:00 AM/9:00 AM/06/15/2021/June 15, 2021/June 15, 2021 9:00 AM/Tuesday, June 15, 2021 9:00 AM/6/15/2021/Jun 15, 2021/Jun 15, 2021 9:00 AM/Tue, Jun 15, 2021 9:00 AM",
        ),
        (
            "Etc/GMT+5 is UTC-5",
            1_623_758_400_000.0,
            "Etc/GMT+5",
            "2021-06-15 07:00:00.000 -05:00 -0500 -05 -05 1623758400 1623758400000|6 6th Jun June 2 2nd 15 15th 166 166th 166 2 2nd Tu Tue Tuesday 2 2 25 25th 25 24 24th 24|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 7 07 7 07 700 70000 700 70000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|7:00:00 AM/7:00 AM/06/15/2021/June 15, 2021/June 15, 2021 7:00 AM/Tuesday, June 15, 2021 7:00 AM/6/15/2021/Jun 15, 2021/Jun 15, 2021 7:00 AM/Tue, Jun 15, 2021 7:00 AM",
        ),
        (
            "Apia skipped 2011-12-30: day of year one short",
            1_325_325_600_000.0,
            "Pacific/Apia",
            "2012-01-01 00:00:00.000 +14:00 +1400 +14 +14 1325325600 1325325600000|1 1st Jan January 1 1st 1 1st 1 1st 001 0 0th Su Sun Sunday 0 7 1 1st 01 52 52nd 52|12 2012 02012 +002012 12 2012 02012 11 2011 02011|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 2012 2012 2012th|12:00:00 AM/12:00 AM/01/01/2012/January 1, 2012/January 1, 2012 12:00 AM/Sunday, January 1, 2012 12:00 AM/1/1/2012/Jan 1, 2012/Jan 1, 2012 12:00 AM/Sun, Jan 1, 2012 12:00 AM",
        ),
        (
            "ISO week 53 of 2020, locale week 1 of 2021",
            1_609_502_400_000.0,
            "UTC",
            "2021-01-01 12:00:00.000 +00:00 +0000 UTC UTC 1609502400 1609502400000|1 1st Jan January 1 1st 1 1st 1 1st 001 5 5th Fr Fri Friday 5 5 1 1st 01 53 53rd 53|21 2021 02021 +002021 21 2021 02021 20 2020 02020|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/01/01/2021/January 1, 2021/January 1, 2021 12:00 PM/Friday, January 1, 2021 12:00 PM/1/1/2021/Jan 1, 2021/Jan 1, 2021 12:00 PM/Fri, Jan 1, 2021 12:00 PM",
        ),
        (
            "Sunday 2021-01-03: locale week 2, ISO week 53",
            1_609_675_200_000.0,
            "UTC",
            "2021-01-03 12:00:00.000 +00:00 +0000 UTC UTC 1609675200 1609675200000|1 1st Jan January 1 1st 3 3rd 3 3rd 003 0 0th Su Sun Sunday 0 7 2 2nd 02 53 53rd 53|21 2021 02021 +002021 21 2021 02021 20 2020 02020|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/01/03/2021/January 3, 2021/January 3, 2021 12:00 PM/Sunday, January 3, 2021 12:00 PM/1/3/2021/Jan 3, 2021/Jan 3, 2021 12:00 PM/Sun, Jan 3, 2021 12:00 PM",
        ),
        (
            "2024-12-30 Monday: ISO week 1 of 2025",
            1_735_560_000_000.0,
            "UTC",
            "2024-12-30 12:00:00.000 +00:00 +0000 UTC UTC 1735560000 1735560000000|12 12th Dec December 4 4th 30 30th 365 365th 365 1 1st Mo Mon Monday 1 1 1 1st 01 1 1st 01|24 2024 02024 +002024 25 2025 02025 25 2025 02025|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2024 2024 2024th|12:00:00 PM/12:00 PM/12/30/2024/December 30, 2024/December 30, 2024 12:00 PM/Monday, December 30, 2024 12:00 PM/12/30/2024/Dec 30, 2024/Dec 30, 2024 12:00 PM/Mon, Dec 30, 2024 12:00 PM",
        ),
        (
            "2027-01-01 Friday: ISO week 53 of 2026",
            1_798_804_800_000.0,
            "UTC",
            "2027-01-01 12:00:00.000 +00:00 +0000 UTC UTC 1798804800 1798804800000|1 1st Jan January 1 1st 1 1st 1 1st 001 5 5th Fr Fri Friday 5 5 1 1st 01 53 53rd 53|27 2027 02027 +002027 27 2027 02027 26 2026 02026|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2027 2027 2027th|12:00:00 PM/12:00 PM/01/01/2027/January 1, 2027/January 1, 2027 12:00 PM/Friday, January 1, 2027 12:00 PM/1/1/2027/Jan 1, 2027/Jan 1, 2027 12:00 PM/Fri, Jan 1, 2027 12:00 PM",
        ),
        (
            "2016-01-01 Friday: locale week 1 of 2016",
            1_451_649_600_000.0,
            "UTC",
            "2016-01-01 12:00:00.000 +00:00 +0000 UTC UTC 1451649600 1451649600000|1 1st Jan January 1 1st 1 1st 1 1st 001 5 5th Fr Fri Friday 5 5 1 1st 01 53 53rd 53|16 2016 02016 +002016 16 2016 02016 15 2015 02015|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2016 2016 2016th|12:00:00 PM/12:00 PM/01/01/2016/January 1, 2016/January 1, 2016 12:00 PM/Friday, January 1, 2016 12:00 PM/1/1/2016/Jan 1, 2016/Jan 1, 2016 12:00 PM/Fri, Jan 1, 2016 12:00 PM",
        ),
        (
            "2022-01-01 Saturday: locale week 1, ISO week 52 of 2021",
            1_641_081_599_999.0,
            "UTC",
            "2022-01-01 23:59:59.999 +00:00 +0000 UTC UTC 1641081599 1641081599999|1 1st Jan January 1 1st 1 1st 1 1st 001 6 6th Sa Sat Saturday 6 6 1 1st 01 52 52nd 52|22 2022 02022 +002022 22 2022 02022 21 2021 02021|PM pm 11 11 23 23 1159 115959 2359 235959|9 99 9990 999000000|AD Anno Domini 2022 2022 2022nd|11:59:59 PM/11:59 PM/01/01/2022/January 1, 2022/January 1, 2022 11:59 PM/Saturday, January 1, 2022 11:59 PM/1/1/2022/Jan 1, 2022/Jan 1, 2022 11:59 PM/Sat, Jan 1, 2022 11:59 PM",
        ),
        (
            "New Year in Tokyo while still 2021 in UTC",
            1_640_962_800_000.0,
            "Asia/Tokyo",
            "2022-01-01 00:00:00.000 +09:00 +0900 JST JST 1640962800 1640962800000|1 1st Jan January 1 1st 1 1st 1 1st 001 6 6th Sa Sat Saturday 6 6 1 1st 01 52 52nd 52|22 2022 02022 +002022 22 2022 02022 21 2021 02021|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 2022 2022 2022nd|12:00:00 AM/12:00 AM/01/01/2022/January 1, 2022/January 1, 2022 12:00 AM/Saturday, January 1, 2022 12:00 AM/1/1/2022/Jan 1, 2022/Jan 1, 2022 12:00 AM/Sat, Jan 1, 2022 12:00 AM",
        ),
        (
            "midnight: 12 AM, k=24",
            1_622_505_600_000.0,
            "UTC",
            "2021-06-01 00:00:00.000 +00:00 +0000 UTC UTC 1622505600 1622505600000|6 6th Jun June 2 2nd 1 1st 152 152nd 152 2 2nd Tu Tue Tuesday 2 2 23 23rd 23 22 22nd 22|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 AM/12:00 AM/06/01/2021/June 1, 2021/June 1, 2021 12:00 AM/Tuesday, June 1, 2021 12:00 AM/6/1/2021/Jun 1, 2021/Jun 1, 2021 12:00 AM/Tue, Jun 1, 2021 12:00 AM",
        ),
        (
            "11:59 AM",
            1_622_635_199_000.0,
            "UTC",
            "2021-06-02 11:59:59.000 +00:00 +0000 UTC UTC 1622635199 1622635199000|6 6th Jun June 2 2nd 2 2nd 153 153rd 153 3 3rd We Wed Wednesday 3 3 23 23rd 23 22 22nd 22|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 11 11 11 11 1159 115959 1159 115959|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|11:59:59 AM/11:59 AM/06/02/2021/June 2, 2021/June 2, 2021 11:59 AM/Wednesday, June 2, 2021 11:59 AM/6/2/2021/Jun 2, 2021/Jun 2, 2021 11:59 AM/Wed, Jun 2, 2021 11:59 AM",
        ),
        (
            "noon: 12 PM",
            1_622_721_600_000.0,
            "UTC",
            "2021-06-03 12:00:00.000 +00:00 +0000 UTC UTC 1622721600 1622721600000|6 6th Jun June 2 2nd 3 3rd 154 154th 154 4 4th Th Thu Thursday 4 4 23 23rd 23 22 22nd 22|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|12:00:00 PM/12:00 PM/06/03/2021/June 3, 2021/June 3, 2021 12:00 PM/Thursday, June 3, 2021 12:00 PM/6/3/2021/Jun 3, 2021/Jun 3, 2021 12:00 PM/Thu, Jun 3, 2021 12:00 PM",
        ),
        (
            "1 PM",
            1_623_416_709_050.0,
            "UTC",
            "2021-06-11 13:05:09.050 +00:00 +0000 UTC UTC 1623416709 1623416709050|6 6th Jun June 2 2nd 11 11th 162 162nd 162 5 5th Fr Fri Friday 5 5 24 24th 24 23 23rd 23|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 1 01 13 13 105 10509 1305 130509|0 05 0500 050000000|AD Anno Domini 2021 2021 2021st|1:05:09 PM/1:05 PM/06/11/2021/June 11, 2021/June 11, 2021 1:05 PM/Friday, June 11, 2021 1:05 PM/6/11/2021/Jun 11, 2021/Jun 11, 2021 1:05 PM/Fri, Jun 11, 2021 1:05 PM",
        ),
        (
            "23:59",
            1_623_542_340_007.0,
            "UTC",
            "2021-06-12 23:59:00.007 +00:00 +0000 UTC UTC 1623542340 1623542340007|6 6th Jun June 2 2nd 12 12th 163 163rd 163 6 6th Sa Sat Saturday 6 6 24 24th 24 23 23rd 23|21 2021 02021 +002021 21 2021 02021 21 2021 02021|PM pm 11 11 23 23 1159 115900 2359 235900|0 00 0070 007000000|AD Anno Domini 2021 2021 2021st|11:59:00 PM/11:59 PM/06/12/2021/June 12, 2021/June 12, 2021 11:59 PM/Saturday, June 12, 2021 11:59 PM/6/12/2021/Jun 12, 2021/Jun 12, 2021 11:59 PM/Sat, Jun 12, 2021 11:59 PM",
        ),
        (
            "21st",
            1_624_262_400_000.0,
            "UTC",
            "2021-06-21 08:00:00.000 +00:00 +0000 UTC UTC 1624262400 1624262400000|6 6th Jun June 2 2nd 21 21st 172 172nd 172 1 1st Mo Mon Monday 1 1 26 26th 26 25 25th 25|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/06/21/2021/June 21, 2021/June 21, 2021 8:00 AM/Monday, June 21, 2021 8:00 AM/6/21/2021/Jun 21, 2021/Jun 21, 2021 8:00 AM/Mon, Jun 21, 2021 8:00 AM",
        ),
        (
            "22nd",
            1_624_348_800_000.0,
            "UTC",
            "2021-06-22 08:00:00.000 +00:00 +0000 UTC UTC 1624348800 1624348800000|6 6th Jun June 2 2nd 22 22nd 173 173rd 173 2 2nd Tu Tue Tuesday 2 2 26 26th 26 25 25th 25|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/06/22/2021/June 22, 2021/June 22, 2021 8:00 AM/Tuesday, June 22, 2021 8:00 AM/6/22/2021/Jun 22, 2021/Jun 22, 2021 8:00 AM/Tue, Jun 22, 2021 8:00 AM",
        ),
        (
            "13th",
            1_623_571_200_000.0,
            "UTC",
            "2021-06-13 08:00:00.000 +00:00 +0000 UTC UTC 1623571200 1623571200000|6 6th Jun June 2 2nd 13 13th 164 164th 164 0 0th Su Sun Sunday 0 7 25 25th 25 23 23rd 23|21 2021 02021 +002021 21 2021 02021 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/06/13/2021/June 13, 2021/June 13, 2021 8:00 AM/Sunday, June 13, 2021 8:00 AM/6/13/2021/Jun 13, 2021/Jun 13, 2021 8:00 AM/Sun, Jun 13, 2021 8:00 AM",
        ),
        (
            "31st, day 365",
            1_640_937_600_000.0,
            "UTC",
            "2021-12-31 08:00:00.000 +00:00 +0000 UTC UTC 1640937600 1640937600000|12 12th Dec December 4 4th 31 31st 365 365th 365 5 5th Fr Fri Friday 5 5 1 1st 01 52 52nd 52|21 2021 02021 +002021 22 2022 02022 21 2021 02021|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2021 2021 2021st|8:00:00 AM/8:00 AM/12/31/2021/December 31, 2021/December 31, 2021 8:00 AM/Friday, December 31, 2021 8:00 AM/12/31/2021/Dec 31, 2021/Dec 31, 2021 8:00 AM/Fri, Dec 31, 2021 8:00 AM",
        ),
        (
            "leap day, day 60",
            1_709_193_600_000.0,
            "UTC",
            "2024-02-29 08:00:00.000 +00:00 +0000 UTC UTC 1709193600 1709193600000|2 2nd Feb February 1 1st 29 29th 60 60th 060 4 4th Th Thu Thursday 4 4 9 9th 09 9 9th 09|24 2024 02024 +002024 24 2024 02024 24 2024 02024|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2024 2024 2024th|8:00:00 AM/8:00 AM/02/29/2024/February 29, 2024/February 29, 2024 8:00 AM/Thursday, February 29, 2024 8:00 AM/2/29/2024/Feb 29, 2024/Feb 29, 2024 8:00 AM/Thu, Feb 29, 2024 8:00 AM",
        ),
        (
            "LMT offset with seconds",
            -5_364_662_400_000.0,
            "America/New_York",
            "1799-12-31 19:03:58.000 -04:56 -0456 LMT LMT -5364662400 -5364662400000|12 12th Dec December 4 4th 31 31st 365 365th 365 2 2nd Tu Tue Tuesday 2 2 1 1st 01 1 1st 01|99 1799 01799 +001799 00 1800 01800 00 1800 01800|PM pm 7 07 19 19 703 70358 1903 190358|0 00 0000 000000000|AD Anno Domini 1799 1799 1799th|7:03:58 PM/7:03 PM/12/31/1799/December 31, 1799/December 31, 1799 7:03 PM/Tuesday, December 31, 1799 7:03 PM/12/31/1799/Dec 31, 1799/Dec 31, 1799 7:03 PM/Tue, Dec 31, 1799 7:03 PM",
        ),
        (
            "LMT under 16 minutes",
            -5_364_662_400_000.0,
            "Europe/Madrid",
            "1799-12-31 23:45:16.000 -00:14 -0014 LMT LMT -5364662400 -5364662400000|12 12th Dec December 4 4th 31 31st 365 365th 365 2 2nd Tu Tue Tuesday 2 2 1 1st 01 1 1st 01|99 1799 01799 +001799 00 1800 01800 00 1800 01800|PM pm 11 11 23 23 1145 114516 2345 234516|0 00 0000 000000000|AD Anno Domini 1799 1799 1799th|11:45:16 PM/11:45 PM/12/31/1799/December 31, 1799/December 31, 1799 11:45 PM/Tuesday, December 31, 1799 11:45 PM/12/31/1799/Dec 31, 1799/Dec 31, 1799 11:45 PM/Tue, Dec 31, 1799 11:45 PM",
        ),
        (
            "LMT fraction, Amsterdam (Brussels)",
            -3_773_779_199_877.0,
            "Europe/Amsterdam",
            "1850-06-01 00:17:30.123 +00:17 +0017 LMT LMT -3773779200 -3773779199877|6 6th Jun June 2 2nd 1 1st 152 152nd 152 6 6th Sa Sat Saturday 6 6 22 22nd 22 22 22nd 22|50 1850 01850 +001850 50 1850 01850 50 1850 01850|AM am 12 12 24 24 1217 121730 017 01730|1 12 1230 123000000|AD Anno Domini 1850 1850 1850th|12:17:30 AM/12:17 AM/06/01/1850/June 1, 1850/June 1, 1850 12:17 AM/Saturday, June 1, 1850 12:17 AM/6/1/1850/Jun 1, 1850/Jun 1, 1850 12:17 AM/Sat, Jun 1, 1850 12:17 AM",
        ),
        (
            "DST past 2099 (moment data runs to 2499)",
            10_429_473_600_000.0,
            "America/New_York",
            "2300-07-01 08:00:00.000 -04:00 -0400 EDT EDT 10429473600 10429473600000|7 7th Jul July 3 3rd 1 1st 182 182nd 182 0 0th Su Sun Sunday 0 7 27 27th 27 26 26th 26|00 2300 02300 +002300 00 2300 02300 00 2300 02300|AM am 8 08 8 08 800 80000 800 80000|0 00 0000 000000000|AD Anno Domini 2300 2300 2300th|8:00:00 AM/8:00 AM/07/01/2300/July 1, 2300/July 1, 2300 8:00 AM/Sunday, July 1, 2300 8:00 AM/7/1/2300/Jul 1, 2300/Jul 1, 2300 8:00 AM/Sun, Jul 1, 2300 8:00 AM",
        ),
        (
            "after 2499: last offset forever",
            19_896_580_800_000.0,
            "America/New_York",
            "2600-07-01 07:00:00.000 -05:00 -0500 EST EST 19896580800 19896580800000|7 7th Jul July 3 3rd 1 1st 182 182nd 182 2 2nd Tu Tue Tuesday 2 2 27 27th 27 27 27th 27|00 2600 02600 +002600 00 2600 02600 00 2600 02600|AM am 7 07 7 07 700 70000 700 70000|0 00 0000 000000000|AD Anno Domini 2600 2600 2600th|7:00:00 AM/7:00 AM/07/01/2600/July 1, 2600/July 1, 2600 7:00 AM/Tuesday, July 1, 2600 7:00 AM/7/1/2600/Jul 1, 2600/Jul 1, 2600 7:00 AM/Tue, Jul 1, 2600 7:00 AM",
        ),
        (
            "southern hemisphere past 2100",
            8_837_164_800_000.0,
            "Australia/Sydney",
            "2250-01-15 11:00:00.000 +11:00 +1100 AEDT AEDT 8837164800 8837164800000|1 1st Jan January 1 1st 15 15th 15 15th 015 2 2nd Tu Tue Tuesday 2 2 3 3rd 03 3 3rd 03|50 2250 02250 +002250 50 2250 02250 50 2250 02250|AM am 11 11 11 11 1100 110000 1100 110000|0 00 0000 000000000|AD Anno Domini 2250 2250 2250th|11:00:00 AM/11:00 AM/01/15/2250/January 15, 2250/January 15, 2250 11:00 AM/Tuesday, January 15, 2250 11:00 AM/1/15/2250/Jan 15, 2250/Jan 15, 2250 11:00 AM/Tue, Jan 15, 2250 11:00 AM",
        ),
        (
            "Moldova on EU transition times (tzdata 2026)",
            1_743_294_600_000.0,
            "Europe/Chisinau",
            "2025-03-30 02:30:00.000 +02:00 +0200 EET EET 1743294600 1743294600000|3 3rd Mar March 1 1st 30 30th 89 89th 089 0 0th Su Sun Sunday 0 7 14 14th 14 13 13th 13|25 2025 02025 +002025 25 2025 02025 25 2025 02025|AM am 2 02 2 02 230 23000 230 23000|0 00 0000 000000000|AD Anno Domini 2025 2025 2025th|2:30:00 AM/2:30 AM/03/30/2025/March 30, 2025/March 30, 2025 2:30 AM/Sunday, March 30, 2025 2:30 AM/3/30/2025/Mar 30, 2025/Mar 30, 2025 2:30 AM/Sun, Mar 30, 2025 2:30 AM",
        ),
        (
            "British Columbia on permanent -07 MST (tzdata 2026)",
            1_800_014_400_000.0,
            "America/Vancouver",
            "2027-01-15 05:00:00.000 -07:00 -0700 MST MST 1800014400 1800014400000|1 1st Jan January 1 1st 15 15th 15 15th 015 5 5th Fr Fri Friday 5 5 3 3rd 03 2 2nd 02|27 2027 02027 +002027 27 2027 02027 27 2027 02027|AM am 5 05 5 05 500 50000 500 50000|0 00 0000 000000000|AD Anno Domini 2027 2027 2027th|5:00:00 AM/5:00 AM/01/15/2027/January 15, 2027/January 15, 2027 5:00 AM/Friday, January 15, 2027 5:00 AM/1/15/2027/Jan 15, 2027/Jan 15, 2027 5:00 AM/Fri, Jan 15, 2027 5:00 AM",
        ),
        (
            "year 0 (1 BC)",
            -62_152_876_800_000.0,
            "UTC",
            "0000-06-15 00:00:00.000 +00:00 +0000 UTC UTC -62152876800 -62152876800000|6 6th Jun June 2 2nd 15 15th 167 167th 167 4 4th Th Thu Thursday 4 4 25 25th 25 24 24th 24|00 0000 00000 +000000 00 0000 00000 00 0000 00000|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|BC Before Christ 1 01 1st|12:00:00 AM/12:00 AM/06/15/0000/June 15, 0000/June 15, 0000 12:00 AM/Thursday, June 15, 0000 12:00 AM/6/15/0000/Jun 15, 0000/Jun 15, 0000 12:00 AM/Thu, Jun 15, 0000 12:00 AM",
        ),
        (
            "year 1 AD",
            -62_135_596_800_000.0,
            "UTC",
            "0001-01-01 00:00:00.000 +00:00 +0000 UTC UTC -62135596800 -62135596800000|1 1st Jan January 1 1st 1 1st 1 1st 001 1 1st Mo Mon Monday 1 1 1 1st 01 1 1st 01|01 0001 00001 +000001 01 0001 00001 01 0001 00001|AM am 12 12 24 24 1200 120000 000 00000|0 00 0000 000000000|AD Anno Domini 1 01 1st|12:00:00 AM/12:00 AM/01/01/0001/January 1, 0001/January 1, 0001 12:00 AM/Monday, January 1, 0001 12:00 AM/1/1/0001/Jan 1, 0001/Jan 1, 0001 12:00 AM/Mon, Jan 1, 0001 12:00 AM",
        ),
        (
            "first day AD in Tokyo: no era",
            -62_135_560_800_000.0,
            "Asia/Tokyo",
            "0001-01-01 19:18:59.000 +09:18 +0918 LMT LMT -62135560800 -62135560800000|1 1st Jan January 1 1st 1 1st 1 1st 001 1 1st Mo Mon Monday 1 1 1 1st 01 1 1st 01|01 0001 00001 +000001 01 0001 00001 01 0001 00001|PM pm 7 07 19 19 718 71859 1918 191859|0 00 0000 000000000|  1 01 1st|7:18:59 PM/7:18 PM/01/01/0001/January 1, 0001/January 1, 0001 7:18 PM/Monday, January 1, 0001 7:18 PM/1/1/0001/Jan 1, 0001/Jan 1, 0001 7:18 PM/Mon, Jan 1, 0001 7:18 PM",
        ),
        (
            "negative year",
            -66_043_277_632_911.0,
            "UTC",
            "-0123-03-04 05:06:07.089 +00:00 +0000 UTC UTC -66043277633 -66043277632911|3 3rd Mar March 1 1st 4 4th 63 63rd 063 0 0th Su Sun Sunday 0 7 10 10th 10 9 9th 09|-23 -0123 -00123 -000123 -23 -0123 -00123 -23 -0123 -00123|AM am 5 05 5 05 506 50607 506 50607|0 08 0890 089000000|BC Before Christ 124 124 124th|5:06:07 AM/5:06 AM/03/04/-0123/March 4, -0123/March 4, -0123 5:06 AM/Sunday, March 4, -0123 5:06 AM/3/4/-0123/Mar 4, -0123/Mar 4, -0123 5:06 AM/Sun, Mar 4, -0123 5:06 AM",
        ),
        (
            "five-digit year",
            327_416_976_550_011.0,
            "UTC",
            "12345-06-07 08:09:10.011 +00:00 +0000 UTC UTC 327416976550 327416976550011|6 6th Jun June 2 2nd 7 7th 158 158th 158 4 4th Th Thu Thursday 4 4 23 23rd 23 23 23rd 23|45 +12345 12345 +012345 45 12345 12345 45 12345 12345|AM am 8 08 8 08 809 80910 809 80910|0 01 0110 011000000|AD Anno Domini 12345 12345 12345th|8:09:10 AM/8:09 AM/06/07/12345/June 7, 12345/June 7, 12345 8:09 AM/Thursday, June 7, 12345 8:09 AM/6/7/12345/Jun 7, 12345/Jun 7, 12345 8:09 AM/Thu, Jun 7, 12345 8:09 AM",
        ),
        (
            "end of the Date range",
            8_640_000_000_000_000.0,
            "America/New_York",
            "275760-09-12 19:00:00.000 -05:00 -0500 EST EST 8640000000000 8640000000000000|9 9th Sep September 3 3rd 12 12th 256 256th 256 5 5th Fr Fri Friday 5 5 37 37th 37 37 37th 37|60 +275760 275760 +275760 60 275760 275760 60 275760 275760|PM pm 7 07 19 19 700 70000 1900 190000|0 00 0000 000000000|AD Anno Domini 275760 275760 275760th|7:00:00 PM/7:00 PM/09/12/275760/September 12, 275760/September 12, 275760 7:00 PM/Friday, September 12, 275760 7:00 PM/9/12/275760/Sep 12, 275760/Sep 12, 275760 7:00 PM/Fri, Sep 12, 275760 7:00 PM",
        ),
        (
            "start of the Date range, first day of year is NaN",
            -8_639_999_956_800_000.0,
            "UTC",
            "-271821-04-20 12:00:00.000 +00:00 +0000 UTC UTC -8639999956800 -8639999956800000|4 4th Apr April 2 2nd 20 20th NaN NaNth -NaN 2 2nd Tu Tue Tuesday 2 2 NaN NaNth -NaN NaN NaNth -NaN|-21 -271821 -271821 -271821 -21 -271821 -271821 -21 -271821 -271821|PM pm 12 12 12 12 1200 120000 1200 120000|0 00 0000 000000000|BC Before Christ 271822 271822 271822nd|12:00:00 PM/12:00 PM/04/20/-271821/April 20, -271821/April 20, -271821 12:00 PM/Tuesday, April 20, -271821 12:00 PM/4/20/-271821/Apr 20, -271821/Apr 20, -271821 12:00 PM/Tue, Apr 20, -271821 12:00 PM",
        ),
    ];
    /// (format, zone, output) at 2020-01-10T00:30:00.000Z; `THROW:` marks the reference's error message.
    const QUIRKS: &[(&str, &str, &str)] = &[
        ("", "UTC", "2020-01-10T00:30:00Z"),
        ("", "Asia/Tokyo", "2020-01-10T09:30:00+09:00"),
        ("", "Nope/Zone", "2020-01-10T00:30:00+00:00"),
        ("YYYYMMDD", "UTC", "20200110"),
        ("YYYYMMDD-HHmmss", "UTC", "20200110-003000"),
        ("YYYYMMDD-HHmmss", "Asia/Tokyo", "20200110-093000"),
        ("YYYYMMDD-HHmmss", "Nope/Zone", "20200110-003000"),
        (
            "YYYY-MM-DDTHH:mm:ss.SSS[Z]",
            "UTC",
            "2020-01-10T00:30:00.000Z",
        ),
        ("[Today is] dddd", "UTC", "Today is Friday"),
        ("[a]b]", "UTC", "a]b"),
        ("[]x", "UTC", "1578616200000"),
        ("[", "UTC", "["),
        ("[[x]", "UTC", "[x"),
        ("\\\\YYYY\\", "UTC", "2020"),
        ("\\YYYY \\[MM]", "UTC", "YYYY [01]"),
        ("\\LT [LT] \\[LT]", "UTC", "LT LT [LT]"),
        ("YYY", "UTC", "202020"),
        ("ggg GGG g G", "UTC", "20g 20G g G"),
        ("w| W|", "UTC", "w| W|"),
        ("a\nb", "UTC", "amb"),
        ("[a\nb]", "UTC", "a\nb"),
        (
            "\n",
            "UTC",
            "THROW:Cannot read properties of null (reading 'length')",
        ),
        (
            "\r\u{2028}",
            "UTC",
            "THROW:Cannot read properties of null (reading 'length')",
        ),
        (
            "LLLLL lllll LLT",
            "UTC",
            "Friday, January 10, 2020 12:30 AM01/10/2020 Fri, Jan 10, 2020 12:30 AM1/10/2020 January 10, 2020T",
        ),
        (
            "Hmm hmm Hmmss hmmss HHmm",
            "UTC",
            "030 1230 03000 123000 0030",
        ),
        (
            "yyyy yo N NN NNN NNNN NNNNN",
            "UTC",
            "2020 2020th AD AD AD Anno Domini AD",
        ),
        ("constructor", "UTC", "1578616200000"),
        ("constructor", "Asia/Tokyo", "1578616200000"),
        ("constructor", "Nope/Zone", "1578616200000"),
        ("toString", "UTC", "[object Object]"),
        ("valueOf", "UTC", "vam1/10/2020u5Of"),
        ("hasOwnProperty", "UTC", "false"),
        ("isPrototypeOf", "UTC", "false"),
        ("__proto__", "UTC", "THROW:V1[M] is not a function"),
        (
            "__defineGetter__",
            "UTC",
            "THROW:Object.prototype.__defineGetter__: Expecting function",
        ),
        (
            "__defineSetter__",
            "UTC",
            "THROW:Object.prototype.__defineSetter__: Expecting function",
        ),
        ("__lookupGetter__", "UTC", "__1/10/2020oo24upG5tt5r__"),
        (
            "propertyIsEnumerable",
            "UTC",
            "prop5rt2020I05nu305ramb1/10/20205",
        ),
        (
            "qBcfijnpqrtuvJKOPRTUV!@#$%^&*()_+=",
            "UTC",
            "qBcfijnpqrtuvJKOPRTUV!@#$%^&*()_+=",
        ),
        ("\u{e9}\u{1f600} YYYY", "UTC", "\u{e9}\u{1f600} 2020"),
        (
            "MoMMMoMMMMo DoDDo DDDDo",
            "UTC",
            "1stJanoJanuaryo 10th10o 010o",
        ),
        ("SSSSSSSSSS", "UTC", "0000000000"),
        ("NNNNNN", "UTC", "ADAD"),
        ("zzz ZZZ", "UTC", "UTCUTC +0000+00:00"),
        ("zzz ZZZ", "Asia/Tokyo", "JSTJST +0900+09:00"),
        ("zzz ZZZ", "Nope/Zone", " +0000+00:00"),
        ("X.x", "UTC", "1578616200.1578616200000"),
        ("X.x", "Asia/Tokyo", "1578616200.1578616200000"),
        ("X.x", "Nope/Zone", "1578616200.1578616200000"),
    ];
    /// (zone name, `YYYY-MM-DD HH:mm Z z zz` at the fixture instant, or `THROW:` message).
    const ZONE_NAMES: &[(&str, &str)] = &[
        ("UTC", "2020-01-10 00:30 +00:00 UTC UTC"),
        ("utc", "2020-01-10 00:30 +00:00 UTC UTC"),
        ("Etc/UTC", "2020-01-10 00:30 +00:00 UTC UTC"),
        ("GMT", "2020-01-10 00:30 +00:00 GMT GMT"),
        ("gmt", "2020-01-10 00:30 +00:00 GMT GMT"),
        ("Z", "2020-01-10 00:30 +00:00  "),
        ("z", "2020-01-10 00:30 +00:00  "),
        ("Zulu", "2020-01-10 00:30 +00:00 UTC UTC"),
        ("UCT", "2020-01-10 00:30 +00:00 UTC UTC"),
        ("Universal", "2020-01-10 00:30 +00:00 UTC UTC"),
        ("Etc/GMT+5", "2020-01-09 19:30 -05:00 -05 -05"),
        ("etc/gmt-14", "2020-01-10 14:30 +14:00 +14 +14"),
        ("US/Eastern", "2020-01-09 19:30 -05:00 EST EST"),
        ("us_eastern", "2020-01-09 19:30 -05:00 EST EST"),
        ("America_New_York", "2020-01-09 19:30 -05:00 EST EST"),
        ("AMERICA/NEW_YORK", "2020-01-09 19:30 -05:00 EST EST"),
        ("America/New York", "2020-01-10 00:30 +00:00  "),
        (" UTC", "2020-01-10 00:30 +00:00  "),
        ("EST", "2020-01-09 19:30 -05:00 EST EST"),
        ("EST5EDT", "2020-01-09 19:30 -05:00 EST EST"),
        ("Asia/Calcutta", "2020-01-10 06:00 +05:30 IST IST"),
        ("Asia/Kolkata", "2020-01-10 06:00 +05:30 IST IST"),
        ("\u{212a}olkata", "2020-01-10 00:30 +00:00  "),
        ("Asia/\u{212a}olkata", "2020-01-10 06:00 +05:30 IST IST"),
        ("Europe/Kyiv", "2020-01-10 02:30 +02:00 EET EET"),
        ("Europe/Kiev", "2020-01-10 02:30 +02:00 EET EET"),
        ("America/Ciudad_Juarez", "2020-01-09 17:30 -07:00 MST MST"),
        ("America/Coyhaique", "2020-01-09 21:30 -03:00 -03 -03"),
        ("Local", "2020-01-10 00:30 +00:00  "),
        ("local", "2020-01-10 00:30 +00:00  "),
        ("+09:00", "2020-01-10 00:30 +00:00  "),
        ("Factory", "2020-01-10 00:30 +00:00  "),
        ("CET", "2020-01-10 01:30 +01:00 CET CET"),
        ("WET", "2020-01-10 00:30 +00:00 WET WET"),
        ("toString", "2020-01-10 00:30 +00:00  "),
        ("hasOwnProperty", "2020-01-10 00:30 +00:00  "),
        (
            "",
            "THROW:Cannot read properties of undefined (reading 'format')",
        ),
        (
            "constructor",
            "THROW:(R || \"\").toLowerCase is not a function",
        ),
        (
            "Constructor",
            "THROW:(R || \"\").toLowerCase is not a function",
        ),
        (
            "__proto__",
            "THROW:(R || \"\").toLowerCase is not a function",
        ),
    ];
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
    fn every_token_matches_moment() {
        for (comment, ms, zone_name, want) in ALL_TOKENS {
            assert_eq!(helper(*ms, zone_name, FMT_ALL), *want, "{comment}");
        }
    }

    #[test]
    fn format_quirks_match_moment() {
        for (fmt, zone_name, want) in QUIRKS {
            assert_eq!(
                helper(1_578_616_200_000.0, zone_name, fmt),
                *want,
                "{fmt:?} in {zone_name}"
            );
        }
    }

    #[test]
    fn zone_names_resolve_like_moment_timezone() {
        for (name, want) in ZONE_NAMES {
            assert_eq!(
                helper(1_578_616_200_000.0, name, "YYYY-MM-DD HH:mm Z z zz"),
                *want,
                "{name:?}"
            );
        }
    }

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

    /// metadata-action's own test expectations (`__tests__/meta.test.ts`, fixture instant
    /// 2020-01-10T00:30:00.000Z for both `date` and `commit_date`).
    #[test]
    fn metadata_action_test_expectations() {
        let now = parse_js_date("2020-01-10T00:30:00.000Z");
        let utc = Zone::utc();
        let tokyo = zone("Asia/Tokyo").unwrap_or(Zone::LocalUtc);
        assert_eq!(format(now, &utc, "YYYYMMDD"), Ok("20200110".to_owned()));
        assert_eq!(
            format(now, &tokyo, "YYYYMMDD-HHmmss"),
            Ok("20200110-093000".to_owned())
        );
        assert_eq!(
            format(now, &utc, "YYYY-MM-DDTHH:mm:ss.SSS[Z]"),
            Ok("2020-01-10T00:30:00.000Z".to_owned())
        );
        // `{{commit_date YYYY-MM-DD-HHmmSS}}` (unquoted): Handlebars passes `undefined`, which
        // moment formats with its default format, like "".
        assert_eq!(format(now, &utc, ""), Ok("2020-01-10T00:30:00Z".to_owned()));
        assert_eq!(
            to_iso_string(now),
            Some("2020-01-10T00:30:00.000Z".to_owned())
        );
    }

    #[test]
    fn commit_dates_from_payloads_and_git() {
        let want = 1_650_361_175_000.0; // 2022-04-19T09:39:35Z
        // Webhook payload `timestamp`, GitHub API `committer.date`.
        assert!(same_number(
            parse_js_date("2022-04-19T11:39:35+02:00"),
            want
        ));
        assert!(same_number(parse_js_date("2022-04-19T09:39:35Z"), want));
        // `git show -s --format="%ci"`: the quotes are part of the output, V8 skips them.
        assert!(same_number(
            parse_js_date("\"2022-04-19 11:39:35 +0200\""),
            want
        ));
        assert!(same_number(
            parse_js_date("2022-04-19 11:39:35 +0200"),
            want
        ));
        // An offset-less date-time is local time (UTC on the runner); a date alone is UTC.
        assert!(same_number(parse_js_date("2022-04-19T09:39:35"), want));
        assert!(same_number(
            parse_js_date("2022-04-19"),
            1_650_326_400_000.0
        ));
        assert!(parse_js_date("").is_nan());
        assert!(parse_js_date("not a date").is_nan());
    }

    #[test]
    fn unknown_zone_formats_in_local_mode_with_a_warning() {
        let resolved = resolve_helper_zone("Mars/Olympus");
        assert_eq!(
            resolved,
            Ok(ResolvedZone {
                zone: Zone::LocalUtc,
                warning: Some(
                    "Moment Timezone has no data for Mars/Olympus. See http://momentjs.com/timezone/docs/#/data-loading/."
                        .to_owned()
                ),
            })
        );
        assert_eq!(zone("Mars/Olympus"), None);
        let utc = resolve_helper_zone("UTC").map(|r| r.warning);
        assert_eq!(utc, Ok(None));
        assert_eq!(
            format(0.0, &Zone::LocalUtc, "z|zz|Z|ZZ"),
            Ok("||+00:00|+0000".to_owned())
        );
        assert_eq!(
            format(0.0, &Zone::utc(), "z|zz|Z|ZZ"),
            Ok("UTC|UTC|+00:00|+0000".to_owned())
        );
    }

    #[test]
    fn failing_helper_calls_carry_the_reference_message() {
        assert_eq!(resolve_helper_zone(""), Err(MomentError::EmptyZoneName));
        let err = resolve_helper_zone("constructor").err();
        assert_eq!(
            err.as_ref().map(MomentError::js_message),
            Some("(R || \"\").toLowerCase is not a function")
        );
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(
                "time zone `constructor` cannot be looked up: (R || \"\").toLowerCase is not a function"
                    .to_owned()
            )
        );
        let err = format(0.0, &Zone::utc(), "\n").err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some(
                "date format `\n` cannot be formatted: Cannot read properties of null (reading 'length')"
                    .to_owned()
            )
        );
    }

    #[test]
    fn invalid_dates() {
        for ms in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 8.64e15 + 1.0] {
            assert_eq!(
                format(ms, &Zone::utc(), "YYYY"),
                Ok("Invalid date".to_owned())
            );
            assert_eq!(
                format(ms, &Zone::utc(), "__proto__"),
                Ok("Invalid date".to_owned())
            );
            assert_eq!(to_iso_string(ms), None);
            assert_eq!(to_js_date_string(ms), "Invalid Date");
        }
        // The wall time leaves the Date range: moment reports an invalid date.
        let tokyo = zone("Asia/Tokyo").unwrap_or(Zone::LocalUtc);
        assert_eq!(
            format(8.64e15, &tokyo, "YYYY"),
            Ok("Invalid date".to_owned())
        );
        assert_eq!(
            format(8.64e15, &Zone::utc(), "YYYY Y"),
            Ok("275760 +275760".to_owned())
        );
    }

    #[test]
    fn english_ordinals() {
        let cases = [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (10, "10th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (101, "101st"),
            (111, "111th"),
            (112, "112th"),
            (0, "0th"),
        ];
        for (n, want) in cases {
            assert_eq!(ordinal(n), want);
        }
    }

    #[test]
    fn day_of_month_ordinals_through_a_month() {
        let want = [
            "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "11th", "12th",
            "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th", "21st", "22nd", "23rd",
            "24th", "25th", "26th", "27th", "28th", "29th", "30th", "31st",
        ];
        let jan1 = parse_js_date("2021-01-01T12:00:00Z");
        for (i, want) in want.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let ms = jan1 + i as f64 * MS_PER_DAY;
            assert_eq!(format(ms, &Zone::utc(), "Do"), Ok((*want).to_owned()));
        }
    }

    #[test]
    fn twelve_hour_clock_edges() {
        let cases = [
            ("2021-06-01T00:00:00Z", "12 AM 00 24"),
            ("2021-06-01T00:59:00Z", "12 AM 00 24"),
            ("2021-06-01T01:00:00Z", "1 AM 01 1"),
            ("2021-06-01T11:59:00Z", "11 AM 11 11"),
            ("2021-06-01T12:00:00Z", "12 PM 12 12"),
            ("2021-06-01T12:59:00Z", "12 PM 12 12"),
            ("2021-06-01T13:00:00Z", "1 PM 13 13"),
            ("2021-06-01T23:59:00Z", "11 PM 23 23"),
        ];
        for (iso, want) in cases {
            assert_eq!(
                format(parse_js_date(iso), &Zone::utc(), "h A HH k"),
                Ok(want.to_owned()),
                "{iso}"
            );
        }
    }

    #[test]
    fn week_years_at_year_boundaries() {
        // (instant, `gggg-[w]ww GGGG-[W]WW e E`), locale en: weeks start Sunday, week 1 holds
        // 1 January; ISO: weeks start Monday, week 1 holds 4 January.
        let cases = [
            ("2020-12-26T12:00:00Z", "2020-w52 2020-W52 6 6"),
            ("2020-12-27T12:00:00Z", "2021-w01 2020-W52 0 7"),
            ("2020-12-31T12:00:00Z", "2021-w01 2020-W53 4 4"),
            ("2021-01-03T12:00:00Z", "2021-w02 2020-W53 0 7"),
            ("2021-01-04T12:00:00Z", "2021-w02 2021-W01 1 1"),
            ("2024-12-30T12:00:00Z", "2025-w01 2025-W01 1 1"),
            ("2026-12-31T12:00:00Z", "2027-w01 2026-W53 4 4"),
            ("2027-01-01T12:00:00Z", "2027-w01 2026-W53 5 5"),
        ];
        for (iso, want) in cases {
            assert_eq!(
                format(
                    parse_js_date(iso),
                    &Zone::utc(),
                    "gggg-[w]ww GGGG-[W]WW e E"
                ),
                Ok(want.to_owned()),
                "{iso}"
            );
        }
    }

    #[test]
    fn dst_transitions_in_new_york() {
        let ny = zone("America/New_York").unwrap_or(Zone::LocalUtc);
        let cases = [
            (
                "2021-03-14T06:59:59.999Z",
                "2021-03-14 01:59:59.999 EST -05:00",
            ),
            (
                "2021-03-14T07:00:00.000Z",
                "2021-03-14 03:00:00.000 EDT -04:00",
            ),
            (
                "2021-11-07T05:59:59.999Z",
                "2021-11-07 01:59:59.999 EDT -04:00",
            ),
            (
                "2021-11-07T06:00:00.000Z",
                "2021-11-07 01:00:00.000 EST -05:00",
            ),
        ];
        for (iso, want) in cases {
            assert_eq!(
                format(parse_js_date(iso), &ny, "YYYY-MM-DD HH:mm:ss.SSS z Z"),
                Ok(want.to_owned()),
                "{iso}"
            );
        }
    }

    #[test]
    fn no_panic_on_odd_input() {
        let formats = [
            "",
            "[",
            "]",
            "\\",
            "\\\\",
            "[[[]]]",
            "LLLLLLLLLL",
            "\u{0}",
            "😀\n\r",
            "YYYYYYYYYYYY",
            "gggggggggg",
            "SSSSSSSSSSSSSSSSSS",
            "x X z Z",
        ];
        let instants = [
            0.0,
            -0.0,
            1.5,
            -1.5,
            8.64e15,
            -8.64e15,
            8.64e15 - 1.0,
            -8.64e15 + 1.0,
            f64::NAN,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        let zones = [
            Zone::utc(),
            Zone::LocalUtc,
            zone("Pacific/Kiritimati").unwrap_or(Zone::LocalUtc),
            zone("America/Adak").unwrap_or(Zone::LocalUtc),
        ];
        for fmt in formats {
            for ms in instants {
                for zone in &zones {
                    let _ = format(ms, zone, fmt);
                }
            }
        }
        for input in [
            "(",
            "((",
            ")",
            "+",
            "-",
            "+-",
            "99999999999999999999",
            "-999999-01-01",
            "+999999-12-31T23:59:59Z",
            "1:2:3:4:5",
            "1.2.3.4",
            "12:00 pm pm",
            "\u{0}",
            "Jan Feb Mar",
            "2020-01-01 +9999999999:",
            "GMT+",
            "UTC-12345",
            "\u{feff}2020-01-01",
            "\u{10ffff}",
        ] {
            let _ = parse_js_date(input);
        }
    }
}
