//! STUB
pub struct Explain {
    pub is_prerelease: bool,
    pub is_postrelease: bool,
    pub is_devrelease: bool,
}
pub fn valid(_s: &str) -> Option<String> {
    None
}
pub fn explain(_s: &str) -> Option<Explain> {
    None
}
pub fn clean(_s: &str) -> Option<String> {
    None
}
pub fn major(_s: &str) -> Option<u64> {
    None
}
pub fn minor(_s: &str) -> Option<u64> {
    None
}
pub fn patch(_s: &str) -> Option<u64> {
    None
}
