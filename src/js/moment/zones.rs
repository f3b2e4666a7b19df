//! Time zones as moment-timezone 0.6.2 sees them: name lookup (`moment.tz.zone`), the helper's
//! `tz` resolution, and zone offsets from chrono-tz with the tzdata 2026b patches (Moldova,
//! British Columbia, Tijuana) and the annual rules continued to 2499.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::{OffsetName, Tz};

use super::super::civil::{civil_from_days, days_from_civil, weekday_of_days};
use super::MomentError;

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
pub(super) fn normalize_zone_name(name: &str) -> String {
    name.to_lowercase().replace('/', "_")
}

pub(super) fn zone_index() -> &'static HashMap<String, Tz> {
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

/// 2100-01-01T00:00:00Z, seconds: chrono-tz precomputes rule-based transitions up to 2099.
pub(super) const SECS_2100: i64 = 4_102_444_800;
/// 2500-01-01T00:00:00Z, seconds: moment-timezone's packed data ends with 2499's transitions.
pub(super) const SECS_2500: i64 = 16_725_225_600;

/// Whether the zone still follows annual daylight-saving rules at the end of chrono-tz's data.
pub(super) fn has_ongoing_rules(tz: Tz) -> bool {
    let jan = tz.offset_from_utc_datetime(&utc_naive(4_071_945_600)); // 2099-01-15
    let jul = tz.offset_from_utc_datetime(&utc_naive(4_087_584_000)); // 2099-07-15
    jan.fix() != jul.fix() || jan.abbreviation() != jul.abbreviation()
}

pub(super) fn utc_naive(secs: i64) -> chrono::NaiveDateTime {
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
pub(super) fn lookup_secs(tz: Tz, secs: i64) -> i64 {
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
pub(super) const TIJUANA_1953_1975_PDT: [(i64, i64); 23] = [
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
pub(super) enum TzdataUpdate {
    Zone(Tz),
    Fixed(i64, &'static str),
}

pub(super) fn tzdata_update(tz: Tz, secs: i64) -> Option<TzdataUpdate> {
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
pub(super) fn zone_offset(tz: Tz, t_ms: f64) -> (i64, String) {
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
pub(super) fn numeric_abbreviation(east: i64) -> String {
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
pub(super) fn packed_minutes_west(east_secs: i64) -> f64 {
    let west = -east_secs;
    let abs = west.abs();
    let value = (abs / 60) as f64 + (abs % 60) as f64 * (1.0 / 60.0);
    if west < 0 { -value } else { value }
}

/// moment-timezone's `updateOffset` then moment's `utcOffset(-k)`: the `_offset` (minutes east)
/// the moment ends up with, including both libraries' "|x| < 16 means hours" conversions.
pub(super) fn moment_offset(east_secs: i64) -> f64 {
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
