//! STUB
pub struct Zone;
pub fn zone(_n: &str) -> Zone {
    Zone
}
pub fn default_format(_ms: f64, _z: &Zone) -> &'static str {
    "YYYY-MM-DDTHH:mm:ss[Z]"
}
pub fn format(_ms: f64, _z: &Zone, f: &str) -> String {
    f.to_owned()
}
pub fn to_iso_string(ms: f64) -> Option<String> {
    Some(format!("{ms}"))
}
pub fn parse_js_date(_s: &str) -> f64 {
    f64::NAN
}
pub fn to_js_date_string(ms: f64) -> String {
    format!("{ms}")
}
