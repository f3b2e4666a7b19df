//! JavaScript date semantics behind metadata-action's `{{date}}` and `{{commit_date}}` helpers.
//!
//! Owns, byte for byte as the reference runs them on a runner (Node, process `TZ=UTC`),
//! `moment(date).tz(name).format(fmt)` of moment 2.30.1 with moment-timezone 0.6.2 and the
//! English locale ([`format()`], [`zone`], [`resolve_helper_zone`]) and the helpers' errors
//! ([`MomentError`]). Formatting lives in `format`, zones and their tzdata patches in `zones`.
//! V8's `Date` (`Date.parse`, `toISOString`, `toString`), which is not moment, lives in
//! [`super::v8date`] and is re-exported here ([`parse_js_date`], [`to_iso_string`],
//! [`to_js_date_string`]).
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

mod format;
#[cfg(test)]
mod tests;
mod zones;

use std::fmt;

pub use super::v8date::{parse_js_date, to_iso_string, to_js_date_string};
pub use format::format;
pub use zones::{ResolvedZone, Zone, resolve_helper_zone, zone};

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
