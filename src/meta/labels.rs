//! The OCI label/annotation set (metadata-action's `getOCIAnnotationsWithCustoms`) and its JSON
//! object form (`getJSON`, bake files): the eight base keys, custom entries rendered with the
//! global expressions, last value per key, ICU `localeCompare` order. Pure.

use serde_json::{Map, Value as Json};

use super::expr::Scope;
use super::{GitContext, MetaError, RepoInfo, Version};
use crate::js::{collate, moment};

/// The eight `org.opencontainers.image.*` entries.
pub fn base(repo: &RepoInfo, version: &Version, context: &GitContext, now_ms: f64) -> Vec<String> {
    let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        format!("org.opencontainers.image.title={}", or_empty(&repo.name)),
        format!(
            "org.opencontainers.image.description={}",
            or_empty(&repo.description)
        ),
        format!("org.opencontainers.image.url={}", or_empty(&repo.html_url)),
        format!(
            "org.opencontainers.image.source={}",
            or_empty(&repo.html_url)
        ),
        format!(
            "org.opencontainers.image.version={}",
            version.main.clone().unwrap_or_default()
        ),
        format!(
            "org.opencontainers.image.created={}",
            moment::to_iso_string(now_ms).unwrap_or_default()
        ),
        format!(
            "org.opencontainers.image.revision={}",
            or_empty(&context.sha)
        ),
        format!(
            "org.opencontainers.image.licenses={}",
            or_empty(&repo.license)
        ),
    ]
}

/// Base entries plus rendered custom ones: entries without `=` dropped, the last value of a key
/// kept at the key's first position, sorted by `localeCompare` of the key (stable).
pub fn with_customs(
    input: &'static str,
    base: &[String],
    extra: &[String],
    scope: &Scope<'_>,
) -> Result<Vec<String>, MetaError> {
    let mut all: Vec<String> = base.to_vec();
    for entry in extra {
        all.push(
            scope
                .render(entry)
                .map_err(|e| MetaError::from(e).in_line(input, entry))?,
        );
    }
    let mut map: Vec<(String, String)> = Vec::with_capacity(all.len());
    for entry in &all {
        let Some((key, value)) = entry.split_once('=') else {
            continue;
        };
        if let Some(slot) = map.iter_mut().find(|(k, _)| k == key) {
            value.clone_into(&mut slot.1);
        } else {
            map.push((key.to_owned(), value.to_owned()));
        }
    }
    map.sort_by(|a, b| collate::locale_compare(&a.0, &b.0));
    Ok(map.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

/// Whether `key` is a JS array index ("0", "17", not "01"), which JS objects order first.
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty()
        || (key.len() > 1 && key.starts_with('0'))
        || !key.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    key.parse::<u32>().ok().filter(|n| *n != u32::MAX)
}

/// The labels as a JS object: `label.match(/([^=]*)=(.*)/)` (value cut at the first line
/// terminator), integer-like keys first in numeric order, `__proto__` silently dropped.
pub fn to_object(entries: &[String]) -> Json {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for entry in entries {
        let Some((key, rest)) = entry.split_once('=') else {
            continue;
        };
        let end = rest
            .find(['\n', '\r', '\u{2028}', '\u{2029}'])
            .unwrap_or(rest.len());
        if key == "__proto__" {
            continue;
        }
        let value = rest[..end].to_owned();
        if let Some(slot) = pairs.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            pairs.push((key.to_owned(), value));
        }
    }
    let (mut ints, strs): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(k, _)| array_index(k).is_some());
    ints.sort_by_key(|(k, _)| array_index(k));
    let mut map = Map::new();
    for (k, v) in ints.into_iter().chain(strs) {
        map.insert(k, Json::String(v));
    }
    Json::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_puts_integer_keys_first_and_cuts_values_at_newlines() {
        let obj = to_object(&[
            "b=1".to_owned(),
            "10=x".to_owned(),
            "2=y".to_owned(),
            "01=z".to_owned(),
            "m=line1\nline2".to_owned(),
            "__proto__=gone".to_owned(),
        ]);
        assert_eq!(
            serde_json::to_string(&obj).expect("serialises"),
            r#"{"2":"y","10":"x","b":"1","01":"z","m":"line1"}"#
        );
    }
}
