//! STUB
pub enum Ident {
    Num(u64),
    Str(String),
}
pub struct SemVer {
    pub raw: String,
    pub version: String,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: Vec<Ident>,
    pub build: Vec<String>,
    pub loose: bool,
    pub include_prerelease: bool,
}
pub fn valid(_s: &str) -> Option<String> {
    None
}
pub fn parse_loose(_s: &str) -> Option<SemVer> {
    None
}
pub fn prerelease(_s: &str) -> Option<Vec<Ident>> {
    None
}
