//! The CLI printer: a local run's result, once, on stdout, as text or JSON (`--format`).

use crate::github::commands::Log;
use crate::settings::OutputFormat;

use super::{Lists, Outputs};

/// Prints a local run's result, once, on stdout: list outputs are JSON arrays and `json` and
/// `push-results` are objects in `--format json`.
pub fn print(
    log: &Log,
    format: OutputFormat,
    values: &[(String, String)],
    lists: &Lists,
    out: &Outputs<'_>,
) {
    match format {
        OutputFormat::Json => {
            let named = lists.named();
            let mut map = serde_json::Map::new();
            for (k, v) in values {
                let value = if let Some((_, list)) = named.iter().find(|(n, _)| n == k) {
                    serde_json::Value::from(list.to_vec())
                } else if k == "push-results" {
                    serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.clone()))
                } else {
                    serde_json::Value::String(v.clone())
                };
                map.insert(k.clone(), value);
            }
            map.insert("json".into(), out.json());
            log.result(
                &serde_json::to_string_pretty(&serde_json::Value::Object(map)).unwrap_or_default(),
            );
        }
        OutputFormat::Text => {
            for (k, v) in values.iter().filter(|(k, _)| k != "json") {
                log.result(&format!("{k}:"));
                for line in v.lines() {
                    log.result(&format!("  {line}"));
                }
            }
        }
    }
}
