//! STUB (replaced by the csv-parse port).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct CsvError(pub String);
pub struct CsvOptions;
impl CsvOptions {
    pub fn entry() -> Self {
        Self
    }
}
pub fn parse(input: &str, _o: &CsvOptions) -> Result<Vec<Vec<String>>, CsvError> {
    Ok(input
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect())
}
pub fn input_list(raw: &str) -> Result<Vec<String>, CsvError> {
    Ok(raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}
