//! The `retention` input (issue 14): its rule grammar and the pure selection of what to delete.
//!
//! [`parse`] turns the input into a [`Policy`] before any network call: one rule per line, CSV
//! `key=value` fields as in `tags`, lines starting with `#` are comments, patterns are JavaScript
//! regexes (`/re/flags` or a plain source, searched as `RegExp.test` does). [`select`] then takes
//! what a repository holds (tags → digests → created times, and the manifest graph) and decides,
//! per tag, kept / delete / skipped with the rule and the reason. It never breaks a kept image: a
//! digest that a kept tag reaches (itself, index children, attestations, referrers, cosign
//! `sha256-<hex>.*` tags) is never deleted. Never reads the clock, the environment or the network.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::js::{csv, regex, semver};

/// How `type=keep-last` ranks the tags it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// node-semver precedence (tags that are not semver are left to the other rules).
    Semver,
    /// The image's created time (unknown times rank as newest, so they are kept).
    Age,
}

/// What one rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// `type=keep`: matching tags are never deleted (wins over every other rule).
    Keep,
    /// `type=keep-last`: of the matching tags keep the `count` newest, select the rest.
    KeepLast {
        /// How many to keep.
        count: usize,
        /// How to rank.
        order: Order,
    },
    /// `type=older-than`: select matching tags older than `age_secs`.
    OlderThan {
        /// The age in seconds.
        age_secs: i64,
    },
    /// `type=prerelease`: select semver prereleases whose release exists.
    Prerelease,
}

/// One parsed rule line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The line as written (named in the log and the results).
    pub line: String,
    /// What it does.
    pub kind: RuleKind,
    /// The pattern source and flags; `None` matches every tag.
    pattern: Option<(String, String)>,
}

impl Rule {
    /// Whether `tag` matches the rule's pattern (`RegExp.prototype.test`).
    #[must_use]
    pub fn matches(&self, tag: &str) -> bool {
        match &self.pattern {
            None => true,
            // Validated at parse time, so an error cannot happen here; treat it as no match.
            Some((body, flags)) => matches!(regex::js_match(tag, body, flags), Ok(Some(_))),
        }
    }
}

/// The parsed `retention` input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The rules in input order.
    pub rules: Vec<Rule>,
}

impl Policy {
    /// True when the input had no rule (retention is off).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// A `retention` line that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("retention line {line_no} `{line}`: {reason}")]
pub struct RetentionError {
    /// 1-based line number in the input.
    pub line_no: usize,
    /// The line as written.
    pub line: String,
    /// What is wrong (with a hint where the fix is known).
    pub reason: String,
}

/// Parses the `retention` input: blank lines and lines starting with `#` are skipped.
///
/// # Errors
/// A line with an unknown type or key, a missing or bad attribute, bad CSV or a bad regex.
pub fn parse(input: &str) -> Result<Policy, RetentionError> {
    let mut rules = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason: String| RetentionError {
            line_no: i + 1,
            line: line.to_owned(),
            reason,
        };
        rules.push(parse_line(line).map_err(err)?);
    }
    Ok(Policy { rules })
}

fn parse_line(line: &str) -> Result<Rule, String> {
    let records = csv::parse(line, &csv::CsvOptions::entry()).map_err(|e| e.message)?;
    let fields = records.into_iter().next().unwrap_or_default();
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    for field in &fields {
        let Some((k, v)) = field.split_once('=') else {
            return Err(format!(
                "field `{field}` is not `key=value`; hint: write e.g. `type=keep,pattern=^latest$`"
            ));
        };
        let key = k.trim().to_lowercase();
        if attrs.insert(key.clone(), v.trim().to_owned()).is_some() {
            return Err(format!("`{key}` is given twice"));
        }
    }
    let known: &[&str] = match attrs.get("type").map(String::as_str) {
        Some("keep" | "prerelease") => &["type", "pattern"],
        Some("keep-last") => &["type", "pattern", "count", "order"],
        Some("older-than") => &["type", "pattern", "age"],
        Some(other) => {
            return Err(format!(
                "unknown type `{other}`; hint: one of `keep`, `keep-last`, `older-than`, `prerelease`"
            ));
        }
        None => return Err("missing `type`; hint: e.g. `type=keep,pattern=^latest$`".to_owned()),
    };
    if let Some(k) = attrs.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "unknown key `{k}` for this type; hint: allowed keys are `{}`",
            known.join("`, `")
        ));
    }
    let pattern = match attrs.get("pattern") {
        None => None,
        Some(p) if p.is_empty() => return Err("`pattern` is empty".to_owned()),
        Some(p) => {
            let (body, flags) = super::version::regex_literal(p).unwrap_or((p.as_str(), ""));
            if flags.contains(['g', 'y']) {
                return Err(format!(
                    "`pattern` flags `{flags}`: `g` and `y` are not allowed"
                ));
            }
            regex::js_match("", body, flags)?;
            Some((body.to_owned(), flags.to_owned()))
        }
    };
    let kind = match attrs["type"].as_str() {
        "keep" => {
            if pattern.is_none() {
                return Err("`type=keep` needs `pattern`".to_owned());
            }
            RuleKind::Keep
        }
        "prerelease" => RuleKind::Prerelease,
        "keep-last" => {
            let count = attrs
                .get("count")
                .ok_or("`type=keep-last` needs `count` (e.g. `count=10`)")?;
            let count = count
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 100_000)
                .ok_or_else(|| format!("`count={count}` is not a whole number"))?;
            let order = match attrs.get("order").map_or("semver", String::as_str) {
                "semver" => Order::Semver,
                "age" => Order::Age,
                o => return Err(format!("`order={o}`: expected `semver` or `age`")),
            };
            RuleKind::KeepLast { count, order }
        }
        _ => {
            let age = attrs
                .get("age")
                .ok_or("`type=older-than` needs `age` (e.g. `age=30d`)")?;
            RuleKind::OlderThan {
                age_secs: parse_age(age)?,
            }
        }
    };
    Ok(Rule {
        line: line.to_owned(),
        kind,
        pattern,
    })
}

/// `30d`, `12h`, `90m`, `45s`, `2w`, or sums such as `1d12h`.
fn parse_age(text: &str) -> Result<i64, String> {
    let bad = || format!("`age={text}` is not a duration such as `30d`, `12h` or `1d12h`");
    let mut rest = text;
    let mut total: i64 = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = match rest.as_bytes().get(digits) {
            Some(b'w') => 7 * 86_400,
            Some(b'd') => 86_400,
            Some(b'h') => 3600,
            Some(b'm') => 60,
            Some(b's') => 1,
            _ => return Err(bad()),
        };
        total = total.saturating_add(n.saturating_mul(unit));
        rest = &rest[digits + 1..];
    }
    if total == 0 {
        return Err(bad());
    }
    Ok(total)
}

/// One tag of the repository as the registry reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag.
    pub name: String,
    /// The digest it points to.
    pub digest: String,
    /// The image's created time (unix seconds), when known.
    pub created: Option<i64>,
}

/// What a repository holds: its tags and the manifest graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Every tag.
    pub tags: Vec<TagInfo>,
    /// Digest → the digests it keeps alive: index children (platform images, attestation
    /// manifests) and OCI referrers whose subject it is.
    pub children: BTreeMap<String, Vec<String>>,
}

/// What the registry can do, which decides the fate of a selected tag sharing a kept digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteMode {
    /// Deletes by digest (the distribution API removes every tag of the digest at once).
    ByDigest,
    /// Deletes (untags) one tag at a time.
    ByTag,
}

/// The fate of one tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Kept, with the reason (a keep rule, just pushed, no rule selects it, ...).
    Kept(String),
    /// Selected and deletable, by the rule line.
    Delete(String),
    /// Selected by the rule line but kept, with the reason.
    Skipped {
        /// The selecting rule line.
        rule: String,
        /// Why it is kept anyway.
        reason: String,
    },
}

/// One tag's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The tag.
    pub tag: String,
    /// Its digest.
    pub digest: String,
    /// Its fate.
    pub outcome: Outcome,
}

/// The decisions for a repository, sorted by tag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// One per tag.
    pub decisions: Vec<Decision>,
}

impl Selection {
    /// The tags to delete, in order.
    pub fn deleted_tags(&self) -> impl Iterator<Item = &Decision> {
        self.decisions
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Delete(_)))
    }

    /// The distinct digests whose every tag is deleted (what a by-digest registry deletes).
    #[must_use]
    pub fn deleted_digests(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.deleted_tags().map(|d| d.digest.as_str()).collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// How many delete calls the plan makes under `mode` (what `retention-max-deletes` caps).
    #[must_use]
    pub fn delete_count(&self, mode: DeleteMode) -> usize {
        match mode {
            DeleteMode::ByDigest => self.deleted_digests().len(),
            DeleteMode::ByTag => self.deleted_tags().count(),
        }
    }
}

/// `retention-max-deletes` exceeded: nothing is deleted on that target.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "retention would delete {would} manifest(s) or tag(s) in `{repository}`, more than `retention-max-deletes` ({max}): nothing deleted there (hint: check the rules with `push: false`, then raise `retention-max-deletes`)"
)]
pub struct CapExceeded {
    /// The repository.
    pub repository: String,
    /// How many deletions the plan makes.
    pub would: usize,
    /// The cap.
    pub max: usize,
}

impl Selection {
    /// Refuses a plan that deletes more than `max` under `mode`.
    ///
    /// # Errors
    /// The plan's deletion count is over `max`.
    pub fn check_cap(
        &self,
        repository: &str,
        mode: DeleteMode,
        max: usize,
    ) -> Result<(), CapExceeded> {
        let would = self.delete_count(mode);
        if would > max {
            return Err(CapExceeded {
                repository: repository.to_owned(),
                would,
                max,
            });
        }
        Ok(())
    }
}

/// node-semver `compare` on two parsed versions (build metadata ignored).
fn semver_cmp(a: &semver::SemVer, b: &semver::SemVer) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(
            || match (a.prerelease.is_empty(), b.prerelease.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (x, y) in a.prerelease.iter().zip(&b.prerelease) {
                        let o = match (x, y) {
                            (semver::Ident::Num(x), semver::Ident::Num(y)) => x.cmp(y),
                            (semver::Ident::Num(_), semver::Ident::Str(_)) => Ordering::Less,
                            (semver::Ident::Str(_), semver::Ident::Num(_)) => Ordering::Greater,
                            (semver::Ident::Str(x), semver::Ident::Str(y)) => x.cmp(y),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    a.prerelease.len().cmp(&b.prerelease.len())
                }
            },
        )
}

/// `v1.2.0-rc.1` → `v1.2.0` (the release it precedes, same prefix); `None` when the tag is not
/// `<prefix><major>.<minor>.<patch>-<prerelease>` with a semver tail.
fn release_of(tag: &str) -> Option<String> {
    // The version starts at the first digit that begins a valid `x.y.z-pre` tail.
    for (i, c) in tag.char_indices() {
        if !c.is_ascii_digit() || (i > 0 && tag.as_bytes()[i - 1].is_ascii_digit()) {
            continue;
        }
        let tail = &tag[i..];
        if let Some(v) = semver::parse(tail, false) {
            if v.prerelease.is_empty() || tail.contains('+') {
                return None;
            }
            return Some(format!("{}{}.{}.{}", &tag[..i], v.major, v.minor, v.patch));
        }
    }
    None
}

/// The cosign subject digest of `sha256-<hex>` or `sha256-<hex>.<suffix>` tags.
fn cosign_subject(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("sha256-")?;
    let hex = rest.split_once('.').map_or(rest, |(h, _)| h);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("sha256:{hex}"))
}

/// Decides every tag of `inv` under `policy`. `pushed` are the tags this run just pushed
/// (never deleted); `now` is unix seconds (`SOURCE_DATE_EPOCH` when set, decided by the caller).
#[must_use]
pub fn select(
    policy: &Policy,
    inv: &Inventory,
    pushed: &[String],
    now: i64,
    mode: DeleteMode,
) -> Selection {
    let names: BTreeSet<&str> = inv.tags.iter().map(|t| t.name.as_str()).collect();
    // Explicit keeps (keep rules, keep-last's newest N) and selections, first rule wins.
    let mut kept: BTreeMap<&str, String> = BTreeMap::new();
    let mut selected: BTreeMap<&str, &str> = BTreeMap::new();
    for t in &inv.tags {
        if pushed.contains(&t.name) {
            kept.insert(&t.name, "pushed by this run".to_owned());
        }
    }
    for rule in &policy.rules {
        let matching: Vec<&TagInfo> = inv.tags.iter().filter(|t| rule.matches(&t.name)).collect();
        match &rule.kind {
            RuleKind::Keep => {
                for t in matching {
                    kept.entry(&t.name)
                        .or_insert_with(|| format!("kept by `{}`", rule.line));
                }
            }
            RuleKind::KeepLast { count, order } => {
                let mut ranked: Vec<(&TagInfo, Option<semver::SemVer>)> = matching
                    .into_iter()
                    .map(|t| (t, semver::parse_loose(&t.name)))
                    .filter(|(_, v)| *order == Order::Age || v.is_some())
                    .collect();
                ranked.sort_by(|(a, av), (b, bv)| {
                    let newest_first = match (order, av, bv) {
                        (Order::Semver, Some(x), Some(y)) => semver_cmp(y, x),
                        _ => b
                            .created
                            .unwrap_or(i64::MAX)
                            .cmp(&a.created.unwrap_or(i64::MAX)),
                    };
                    newest_first.then_with(|| b.name.cmp(&a.name))
                });
                for (i, (t, _)) in ranked.into_iter().enumerate() {
                    if i < *count {
                        kept.entry(&t.name).or_insert_with(|| {
                            format!("one of the last {count} of `{}`", rule.line)
                        });
                    } else {
                        selected.entry(&t.name).or_insert(&rule.line);
                    }
                }
            }
            RuleKind::OlderThan { age_secs } => {
                for t in matching {
                    if t.created.is_some_and(|c| now.saturating_sub(c) > *age_secs) {
                        selected.entry(&t.name).or_insert(&rule.line);
                    }
                }
            }
            RuleKind::Prerelease => {
                for t in matching {
                    if release_of(&t.name).is_some_and(|r| names.contains(r.as_str())) {
                        selected.entry(&t.name).or_insert(&rule.line);
                    }
                }
            }
        }
    }
    // Every tag not selected, or explicitly kept, is kept; the digests they reach are protected.
    let is_kept = |name: &str| kept.contains_key(name) || !selected.contains_key(name);
    let mut protected: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = inv
        .tags
        .iter()
        .filter(|t| is_kept(&t.name))
        .map(|t| t.digest.clone())
        .collect();
    let mut cosign_kept: BTreeSet<&str> = BTreeSet::new();
    loop {
        while let Some(d) = stack.pop() {
            if protected.insert(d.clone()) {
                stack.extend(inv.children.get(&d).into_iter().flatten().cloned());
            }
        }
        // cosign signatures/attestations/SBOMs of a protected image are protected in turn.
        for t in &inv.tags {
            if !cosign_kept.contains(t.name.as_str())
                && cosign_subject(&t.name).is_some_and(|s| protected.contains(&s))
            {
                cosign_kept.insert(&t.name);
                stack.push(t.digest.clone());
            }
        }
        if stack.is_empty() {
            break;
        }
    }
    let mut decisions: Vec<Decision> = inv
        .tags
        .iter()
        .map(|t| {
            let outcome = if let Some(reason) = kept.get(t.name.as_str()) {
                Outcome::Kept(reason.clone())
            } else if let Some(rule) = selected.get(t.name.as_str()) {
                let rule = (*rule).to_owned();
                if cosign_kept.contains(t.name.as_str()) {
                    Outcome::Skipped {
                        rule,
                        reason: "cosign tag of a kept image".to_owned(),
                    }
                } else if protected.contains(&t.digest) {
                    if mode == DeleteMode::ByTag && !is_child_of_kept(inv, &t.digest, &is_kept) {
                        // Another kept tag shares the digest: untag only this one.
                        Outcome::Delete(rule)
                    } else {
                        Outcome::Skipped {
                            rule,
                            reason: format!(
                                "digest `{}` is needed by a kept tag{}",
                                t.digest,
                                shared_with(inv, t, &is_kept)
                            ),
                        }
                    }
                } else {
                    Outcome::Delete(rule)
                }
            } else {
                Outcome::Kept("no rule selects it".to_owned())
            };
            Decision {
                tag: t.name.clone(),
                digest: t.digest.clone(),
                outcome,
            }
        })
        .collect();
    decisions.sort_by(|a, b| a.tag.cmp(&b.tag));
    Selection { decisions }
}

/// Whether `digest` is reached through the graph (not only by sharing a tag) from a kept tag.
fn is_child_of_kept(inv: &Inventory, digest: &str, is_kept: &dyn Fn(&str) -> bool) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = inv
        .tags
        .iter()
        .filter(|t| is_kept(&t.name))
        .flat_map(|t| inv.children.get(&t.digest).into_iter().flatten())
        .map(String::as_str)
        .collect();
    while let Some(d) = stack.pop() {
        if d == digest {
            return true;
        }
        if seen.insert(d) {
            stack.extend(
                inv.children
                    .get(d)
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
        }
    }
    // cosign tags are plain tags with their own digest; sharing them is covered by the caller.
    false
}

/// ` (also tagged `a`, `b`)` naming the kept tags on the same digest, or empty.
fn shared_with(inv: &Inventory, t: &TagInfo, is_kept: &dyn Fn(&str) -> bool) -> String {
    let others: Vec<&str> = inv
        .tags
        .iter()
        .filter(|o| o.digest == t.digest && o.name != t.name && is_kept(&o.name))
        .map(|o| o.name.as_str())
        .collect();
    if others.is_empty() {
        String::new()
    } else {
        format!(" (also tagged `{}`)", others.join("`, `"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u32) -> String {
        format!("sha256:{n:064x}")
    }

    fn tag(name: &str, digest: u32, created: i64) -> TagInfo {
        TagInfo {
            name: name.to_owned(),
            digest: d(digest),
            created: Some(created),
        }
    }

    fn deleted(sel: &Selection) -> Vec<&str> {
        sel.deleted_tags().map(|d| d.tag.as_str()).collect()
    }

    #[test]
    fn parses_the_documented_rules() {
        let p = parse(
            "# keep releases\n\
             type=keep,pattern=^latest$\n\
             \n\
             type=keep-last,pattern=/^[0-9a-f]{40}$/i,count=50,order=age\n\
             type=older-than,pattern=^edge-,age=30d\n\
             type=prerelease\n",
        )
        .unwrap();
        assert_eq!(p.rules.len(), 4);
        assert_eq!(p.rules[0].kind, RuleKind::Keep);
        assert_eq!(
            p.rules[1].kind,
            RuleKind::KeepLast {
                count: 50,
                order: Order::Age
            }
        );
        assert!(p.rules[1].matches(&"A".repeat(40)));
        assert_eq!(
            p.rules[2].kind,
            RuleKind::OlderThan {
                age_secs: 30 * 86_400
            }
        );
        assert_eq!(p.rules[3].kind, RuleKind::Prerelease);
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let cases = [
            ("type=nope", "unknown type `nope`"),
            ("pattern=x", "missing `type`"),
            ("type=keep", "needs `pattern`"),
            ("type=keep-last,pattern=x", "needs `count`"),
            ("type=keep-last,count=x", "`count=x` is not a whole number"),
            ("type=keep-last,count=1,order=date", "`order=date`"),
            ("type=older-than,age=30x", "`age=30x` is not a duration"),
            ("type=older-than,age=0d", "is not a duration"),
            ("type=older-than", "needs `age`"),
            ("type=keep,pattern=(", "Invalid regular expression"),
            ("type=keep,pattern=/a/g", "not allowed"),
            ("type=keep,pattern=a,count=3", "unknown key `count`"),
            ("type=keep,foo", "not `key=value`"),
            ("type=keep,pattern=a,pattern=b", "given twice"),
            ("type=keep,pattern=\"a", "Invalid Opening Quote"),
        ];
        for (line, want) in cases {
            let err = parse(&format!("# c\n{line}")).unwrap_err();
            assert_eq!(err.line_no, 2, "{line}");
            let text = err.to_string();
            assert!(text.contains(want), "{line}: {text}");
            assert!(
                text.starts_with(&format!("retention line 2 `{line}`")),
                "{text}"
            );
        }
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("12h"), Ok(12 * 3600));
        assert_eq!(parse_age("1d12h"), Ok(36 * 3600));
        assert_eq!(parse_age("2w"), Ok(14 * 86_400));
        assert!(parse_age("d").is_err());
        assert!(parse_age("").is_err());
    }

    #[test]
    fn release_of_keeps_the_prefix() {
        assert_eq!(release_of("v1.2.0-rc.1").as_deref(), Some("v1.2.0"));
        assert_eq!(release_of("1.2.0-beta1").as_deref(), Some("1.2.0"));
        assert_eq!(release_of("app-10.2.3-rc.2").as_deref(), Some("app-10.2.3"));
        assert_eq!(release_of("v1.2.0"), None);
        assert_eq!(release_of("latest"), None);
        assert_eq!(
            cosign_subject(&format!("sha256-{}.sig", "a".repeat(64))),
            Some(format!("sha256:{}", "a".repeat(64)))
        );
        assert_eq!(cosign_subject("sha256-abc.sig"), None);
    }

    #[test]
    fn semver_order_follows_node_semver() {
        let mut v: Vec<_> = [
            "1.10.0",
            "1.2.0",
            "1.2.0-rc.1",
            "1.2.0-rc.10",
            "1.2.0-rc.2",
            "1.2.0-beta",
        ]
        .iter()
        .map(|s| semver::parse_loose(s).unwrap())
        .collect();
        v.sort_by(semver_cmp);
        let got: Vec<&str> = v.iter().map(|s| s.raw.as_str()).collect();
        assert_eq!(
            got,
            [
                "1.2.0-beta",
                "1.2.0-rc.1",
                "1.2.0-rc.2",
                "1.2.0-rc.10",
                "1.2.0",
                "1.10.0"
            ]
        );
    }

    #[test]
    fn keep_last_by_semver_and_age_and_keep_wins() {
        let p = parse("type=keep,pattern=^v1\\.0\\.0$\ntype=keep-last,pattern=^v,count=2").unwrap();
        let inv = Inventory {
            tags: vec![
                tag("v1.0.0", 1, 10),
                tag("v1.1.0", 2, 5),
                tag("v1.10.0", 3, 1),
                tag("v1.9.0", 4, 100),
                tag("vnext", 5, 0),
            ],
            ..Inventory::default()
        };
        let sel = select(&p, &inv, &[], 1000, DeleteMode::ByDigest);
        assert_eq!(deleted(&sel), ["v1.1.0"]);
        let p = parse("type=keep-last,pattern=^v,count=2,order=age").unwrap();
        let sel = select(&p, &inv, &[], 1000, DeleteMode::ByDigest);
        assert_eq!(deleted(&sel), ["v1.1.0", "v1.10.0", "vnext"]);
        // Tags just pushed are never deleted.
        let sel = select(&p, &inv, &["vnext".to_owned()], 1000, DeleteMode::ByDigest);
        assert_eq!(deleted(&sel), ["v1.1.0", "v1.10.0"]);
    }

    #[test]
    fn older_than_and_prerelease() {
        let p = parse("type=older-than,pattern=^edge-,age=30d\ntype=prerelease").unwrap();
        let now = 100 * 86_400;
        let inv = Inventory {
            tags: vec![
                tag("edge-old", 1, now - 31 * 86_400),
                tag("edge-new", 2, now - 29 * 86_400),
                TagInfo {
                    name: "edge-unknown".to_owned(),
                    digest: d(3),
                    created: None,
                },
                tag("v1.2.0-rc.1", 4, 0),
                tag("v1.2.0", 5, 0),
                tag("v1.3.0-rc.1", 6, 0),
                tag("1.2.0-beta", 7, 0),
            ],
            ..Inventory::default()
        };
        let sel = select(&p, &inv, &[], now, DeleteMode::ByDigest);
        // `1.2.0-beta` precedes `1.2.0`, which does not exist (same prefix rule).
        assert_eq!(deleted(&sel), ["edge-old", "v1.2.0-rc.1"]);
        let rc = sel
            .decisions
            .iter()
            .find(|d| d.tag == "v1.2.0-rc.1")
            .unwrap();
        assert_eq!(rc.outcome, Outcome::Delete("type=prerelease".to_owned()));
    }

    #[test]
    fn never_breaks_a_kept_image() {
        let p = parse("type=keep,pattern=^latest$\ntype=older-than,pattern=.,age=1s").unwrap();
        let sig = format!("sha256-{:064x}.sig", 10);
        let inv = Inventory {
            tags: vec![
                tag("latest", 10, 0),
                tag("same-as-latest", 10, 0),
                tag("amd64-only", 11, 0),
                tag("attestation", 12, 0),
                tag("referrer", 14, 0),
                tag(&sig, 13, 0),
                tag("unrelated", 20, 0),
            ],
            children: BTreeMap::from([(d(10), vec![d(11), d(12)]), (d(11), vec![d(14)])]),
        };
        let sel = select(&p, &inv, &[], 100, DeleteMode::ByDigest);
        assert_eq!(deleted(&sel), ["unrelated"]);
        assert_eq!(sel.deleted_digests(), [d(20)]);
        let same = sel
            .decisions
            .iter()
            .find(|d| d.tag == "same-as-latest")
            .unwrap();
        assert!(
            matches!(&same.outcome, Outcome::Skipped { reason, .. } if reason.contains("also tagged `latest`"))
        );
        let s = sel.decisions.iter().find(|d| d.tag == sig).unwrap();
        assert!(matches!(&s.outcome, Outcome::Skipped { reason, .. } if reason.contains("cosign")));
        // Where the registry untags one tag at a time, the shared tag alone can go; a child of a
        // kept index still cannot.
        let sel = select(&p, &inv, &[], 100, DeleteMode::ByTag);
        assert_eq!(deleted(&sel), ["same-as-latest", "unrelated"]);
        assert_eq!(sel.delete_count(DeleteMode::ByTag), 2);
    }

    #[test]
    fn by_digest_needs_every_tag_selected() {
        let p = parse("type=older-than,pattern=^pr-,age=1s").unwrap();
        let inv = Inventory {
            tags: vec![
                tag("pr-1", 1, 0),
                tag("pr-2", 1, 0),
                tag("pr-3", 2, 0),
                tag("main", 2, 0),
            ],
            ..Inventory::default()
        };
        let sel = select(&p, &inv, &[], 100, DeleteMode::ByDigest);
        assert_eq!(deleted(&sel), ["pr-1", "pr-2"]);
        assert_eq!(sel.deleted_digests(), [d(1)]);
        assert_eq!(sel.delete_count(DeleteMode::ByDigest), 1);
        assert_eq!(sel.check_cap("r", DeleteMode::ByDigest, 1), Ok(()));
        let err = sel.check_cap("r", DeleteMode::ByTag, 1).unwrap_err();
        assert_eq!(err.would, 2);
        assert!(
            err.to_string().contains("`retention-max-deletes` (1)"),
            "{err}"
        );
    }
}
