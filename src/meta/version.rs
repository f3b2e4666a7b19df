//! The per-type tag processors (metadata-action's `Meta.getVersion` and `proc*`): which rule
//! fires for the context, the value it produces, prefix/suffix, and the `latest` decision.
//! Pure; warnings are pushed to the caller's list.

use super::expr::{self, Scope};
use super::flavor::{Flavor, Latest};
use super::tag_spec::{RefEvent, ShaFormat, TagKind, TagSpec, VersionScheme};
use super::{GitContext, MetaError, RepoInfo, Version, sanitize_tag};
use crate::js::{pep440, regex, semver};

/// Runs every enabled rule in priority order and collects the version.
pub fn compute(
    specs: &[TagSpec],
    flavor: &Flavor,
    context: &GitContext,
    repo: &RepoInfo,
    scope: &Scope<'_>,
    warnings: &mut Vec<String>,
) -> Result<Version, MetaError> {
    let mut acc = Acc::default();
    for spec in specs {
        process(spec, flavor, context, repo, scope, warnings, &mut acc)
            .map_err(|e| e.in_line("tags", &spec.line))?;
    }
    let mut seen = std::collections::HashSet::new();
    acc.version.partial.retain(|p| seen.insert(p.clone()));
    acc.version.latest = acc.latest.unwrap_or(false);
    Ok(acc.version)
}

/// Runs one rule.
fn process(
    spec: &TagSpec,
    flavor: &Flavor,
    context: &GitContext,
    repo: &RepoInfo,
    scope: &Scope<'_>,
    warnings: &mut Vec<String>,
    acc: &mut Acc,
) -> Result<(), MetaError> {
    let git_ref = context.git_ref.as_deref();
    {
        let enabled = scope.render(&spec.enable)?;
        match enabled.as_str() {
            "true" => {}
            "false" => return Ok(()),
            _ => return Err(MetaError::Enable(enabled)),
        }
        let p = Proc {
            spec,
            flavor,
            scope,
        };
        match &spec.kind {
            TagKind::Schedule { pattern } => {
                if context
                    .event_name
                    .as_deref()
                    .is_some_and(|e| e.contains("schedule"))
                {
                    let v = p.affix(&scope.render_dates_only(pattern)?)?;
                    acc.set(&v, p.latest(false));
                }
            }
            TagKind::Version {
                scheme,
                pattern,
                value,
                match_re,
            } => {
                let Some(vraw) = p.source_value(value, git_ref)? else {
                    return Ok(());
                };
                let mut vraw = vraw;
                if !match_re.is_empty() {
                    match regex::js_match(&vraw, match_re, "")
                        .map_err(|reason| regex_error(match_re, reason))?
                    {
                        None => warnings.push(format!("{match_re} does not match {vraw}.")),
                        Some(m) => match m.group(1) {
                            Some(g) => g.clone_into(&mut vraw),
                            None => {
                                return Err(MetaError::NoGroupOne {
                                    pattern: match_re.clone(),
                                    value: vraw,
                                });
                            }
                        },
                    }
                }
                let vraw = vraw.replace('/', "-");
                let produced = match scheme {
                    VersionScheme::Semver => p.semver(&vraw, pattern, warnings)?,
                    VersionScheme::Pep440 => p.pep440(&vraw, pattern, warnings)?,
                };
                if let Some((v, latest)) = produced {
                    acc.set(&v, p.latest(latest));
                }
            }
            TagKind::Match {
                pattern,
                group,
                value,
            } => {
                let Some(vraw) = p.source_value(value, git_ref)? else {
                    return Ok(());
                };
                let found = match regex_literal(pattern) {
                    Some((body, flags)) => regex::js_match(&vraw, body, flags),
                    None => regex::js_match(&vraw, pattern, ""),
                }
                .map_err(|reason| regex_error(pattern, reason))?;
                let Some(found) = found else {
                    warnings.push(format!("{pattern} does not match {vraw}."));
                    return Ok(());
                };
                let Some(g) = found.index(group) else {
                    warnings.push(format!(
                        "Group {group} does not exist for {pattern} pattern."
                    ));
                    return Ok(());
                };
                let v = p.affix(g)?;
                acc.set(&v, p.latest(true));
            }
            TagKind::Ref { event } => {
                let (prefix, latest) = match event {
                    RefEvent::Branch => ("refs/heads/", false),
                    RefEvent::Tag => ("refs/tags/", true),
                    RefEvent::Pr => ("refs/pull/", false),
                };
                let Some(rest) = git_ref.and_then(|r| r.strip_prefix(prefix)) else {
                    return Ok(());
                };
                let rest = if *event == RefEvent::Pr {
                    rest.strip_suffix("/merge").unwrap_or(rest)
                } else {
                    rest
                };
                let v = p.affix(rest)?;
                acc.set(&v, p.latest(latest));
            }
            TagKind::Edge { branch } => {
                let Some(current) = git_ref.and_then(|r| r.strip_prefix("refs/heads/")) else {
                    return Ok(());
                };
                let wanted = if branch.is_empty() {
                    repo.default_branch.as_deref()
                } else {
                    Some(branch.as_str())
                };
                if wanted != Some(current) {
                    return Ok(());
                }
                let v = p.affix("edge")?;
                acc.set(&v, p.latest(false));
            }
            TagKind::Raw { value } => {
                let v = p.affix(&scope.render(value)?)?;
                acc.set(&v, p.latest(false));
            }
            TagKind::Sha { format } => {
                let Some(sha) = context.sha.as_deref().filter(|s| !s.is_empty()) else {
                    return Ok(());
                };
                let val = match format {
                    ShaFormat::Short => scope.short_sha()?,
                    ShaFormat::Long => sha.to_owned(),
                };
                let v = p.affix(&val)?;
                acc.set(&v, p.latest(false));
            }
        }
    }
    Ok(())
}

fn regex_error(pattern: &str, reason: String) -> MetaError {
    MetaError::Regex {
        pattern: pattern.to_owned(),
        reason,
    }
}

/// `/^\/(.+)\/(.*)$/` on a `match` pattern: the `/body/flags` form.
pub(super) fn regex_literal(pattern: &str) -> Option<(&str, &str)> {
    let rest = pattern.strip_prefix('/')?;
    // `.` does not cross line terminators; the greedy body ends at the last `/` of the line.
    if rest.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let slash = rest.rfind('/')?;
    if slash == 0 {
        return None;
    }
    Some((&rest[..slash], &rest[slash + 1..]))
}

#[derive(Default)]
struct Acc {
    version: Version,
    latest: Option<bool>,
}

impl Acc {
    /// metadata-action's `setVersion`: empty values are skipped before sanitising; the first
    /// rule that produces a value decides `latest`.
    fn set(&mut self, value: &str, latest: bool) {
        if value.is_empty() {
            return;
        }
        let value = sanitize_tag(value);
        match &self.version.main {
            None => self.version.main = Some(value),
            Some(main) if *main != value => self.version.partial.push(value),
            Some(_) => {}
        }
        if self.latest.is_none() {
            self.latest = Some(latest);
        }
    }
}

struct Proc<'a> {
    spec: &'a TagSpec,
    flavor: &'a Flavor,
    scope: &'a Scope<'a>,
}

impl Proc<'_> {
    fn latest(&self, auto: bool) -> bool {
        match self.flavor.latest {
            Latest::Auto => auto,
            Latest::True => true,
            Latest::False => false,
        }
    }

    /// `setValue`: the rule's own prefix/suffix (even empty) win over the flavor's.
    fn affix(&self, value: &str) -> Result<String, MetaError> {
        let mut out = match &self.spec.prefix {
            Some(p) => self.scope.render(p)?,
            None if !self.flavor.prefix.is_empty() => self.scope.render(&self.flavor.prefix)?,
            None => String::new(),
        };
        out.push_str(value);
        match &self.spec.suffix {
            Some(s) => out.push_str(&self.scope.render(s)?),
            None if !self.flavor.suffix.is_empty() => {
                out.push_str(&self.scope.render(&self.flavor.suffix)?);
            }
            None => {}
        }
        Ok(out)
    }

    /// The value semver/pep440/match work on: the rendered `value`, else the git tag; `None`
    /// when neither applies.
    fn source_value(
        &self,
        value: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<String>, MetaError> {
        let tag = git_ref.and_then(|r| r.strip_prefix("refs/tags/"));
        if value.is_empty() {
            return Ok(tag.map(str::to_owned));
        }
        Ok(Some(self.scope.render(value)?))
    }

    fn semver(
        &self,
        vraw: &str,
        pattern: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<(String, bool)>, MetaError> {
        if semver::valid(vraw).is_none() {
            warnings.push(format!(
                "{vraw} is not a valid semver. More info: https://semver.org/"
            ));
            return Ok(None);
        }
        let Some(parsed) = semver::parse_loose(vraw) else {
            return Ok(None);
        };
        let root = expr::semver_value(&parsed);
        if semver::prerelease(vraw).is_some() {
            let pattern = if expr::is_raw_statement(pattern) {
                pattern
            } else {
                "{{version}}"
            };
            let v = self.affix(&expr::render_with(pattern, &root)?)?;
            Ok(Some((v, false)))
        } else {
            let v = self.affix(&expr::render_with(pattern, &root)?)?;
            Ok(Some((v, true)))
        }
    }

    fn pep440(
        &self,
        vraw: &str,
        pattern: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<(String, bool)>, MetaError> {
        if pep440::valid(vraw).is_none() {
            warnings.push(format!(
                "{vraw} does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440"
            ));
            return Ok(None);
        }
        let Some(explained) = pep440::explain(vraw) else {
            return Ok(None);
        };
        if explained.is_prerelease || explained.is_postrelease || explained.is_devrelease {
            let v = if expr::is_raw_statement(pattern) {
                vraw.to_owned()
            } else {
                pep440::clean(vraw).unwrap_or_default()
            };
            Ok(Some((self.affix(&v)?, false)))
        } else {
            let v = self.affix(&expr::render_pep440(pattern, vraw)?)?;
            Ok(Some((v, true)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_literal_form() {
        assert_eq!(regex_literal("/v(\\d)/i"), Some(("v(\\d)", "i")));
        assert_eq!(regex_literal("/a/b/g"), Some(("a/b", "g")));
        assert_eq!(regex_literal("//"), None);
        assert_eq!(regex_literal("abc"), None);
    }
}
