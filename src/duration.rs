//! Durations as users write them (`90s`, `15m`, `1h30m`, `250ms`): the one grammar shared by the
//! `timeout` input and the registry's `--retry-pacing` knobs. A pure leaf: imports nothing of the
//! crate.

/// Parses a duration: one or more `<number><unit>` with units `h`, `m`, `s`, `ms`
/// (`90s`, `15m`, `1h30m`, `250ms`). Zero is refused.
///
/// # Errors
/// The text is not such a duration, or is zero (the message quotes it).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let s = text.trim();
    let bad = || format!("`{s}` is not a duration such as `90s`, `15m`, `1h` or `1h30m`");
    let mut total = std::time::Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..letters] {
            "h" => std::time::Duration::from_secs(n * 3600),
            "m" => std::time::Duration::from_secs(n * 60),
            "s" => std::time::Duration::from_secs(n),
            "ms" => std::time::Duration::from_millis(n),
            _ => return Err(bad()),
        };
        rest = &rest[letters..];
        total = total.saturating_add(unit);
    }
    if total.is_zero() {
        return Err(bad());
    }
    Ok(total)
}
