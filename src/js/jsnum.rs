//! STUB
pub fn js_trim(s: &str) -> &str {
    s.trim()
}
pub fn js_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        0.0
    } else {
        t.parse().unwrap_or(f64::NAN)
    }
}
pub fn js_number_to_string(f: f64) -> String {
    format!("{f}")
}
