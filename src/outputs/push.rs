//! The push step rendered: the plan as logged before publishing, and after publishing the
//! results group, one `::error::` per failed target and the job summary.

use crate::github::commands::Log;
use crate::github::env::RunnerEnv;
use crate::github::files::{self, FileCommandError};
use crate::plan::Plan;
use crate::registry::Target;
use crate::registry::report::{PushReport, TargetReport};

/// The `Push plan` group: the root digest, each platform manifest, the blobs and every target.
pub fn plan(log: &Log, plan: &Plan, targets: &[Target]) {
    log.group("Push plan");
    for line in describe_plan(plan, targets) {
        log.untrusted(&line);
    }
    log.end_group();
}

/// The `Push plan` group of a merged index (several `source` lines): as [`plan`], with the
/// merged platforms listed after the digest.
pub fn merged_plan(log: &Log, plan: &Plan, targets: &[Target], platforms: &[String]) {
    log.group("Push plan");
    let mut lines = describe_plan(plan, targets);
    lines.insert(1, format!("platforms: {}", platforms.join(", ")));
    for line in lines {
        log.untrusted(&line);
    }
    log.end_group();
}

/// The referrers found at the source (input `copy-referrers`), one line each: how it was found
/// (`subject` or the cosign tag), its artifact type, its digest and what it refers to.
pub fn referrers(log: &Log, set: &crate::plan::ReferrerSet) {
    log.group("Referrers");
    for line in describe_referrers(set) {
        log.untrusted(&line);
    }
    log.end_group();
}

/// The children of a merged index (every manifest but the root), as `push-results` lists them
/// per target whose content landed: `digest`, `platform` (`attestation` for an attestation
/// manifest) and `mediaType`.
pub fn merged_results(plan: &Plan, push_results: &str) -> String {
    let children: Vec<serde_json::Value> = plan.manifests[..plan.manifests.len() - 1]
        .iter()
        .map(|m| {
            serde_json::json!({
                "digest": m.digest.as_str(),
                "platform": m.platform.as_deref().unwrap_or("-"),
                "mediaType": m.media_type,
            })
        })
        .collect();
    let Ok(mut targets) = serde_json::from_str::<Vec<serde_json::Value>>(push_results) else {
        return push_results.to_owned();
    };
    for t in &mut targets {
        let landed = t.get("digest").is_some_and(|d| !d.is_null());
        if let Some(obj) = t.as_object_mut() {
            let list = if landed { children.clone() } else { Vec::new() };
            obj.insert("children".into(), serde_json::Value::Array(list));
        }
    }
    serde_json::to_string(&targets).unwrap_or_else(|_| push_results.to_owned())
}

/// Appends the merged platforms to the job summary (after the results table), when there is one.
pub fn merged_summary(env: &RunnerEnv, platforms: &[String]) -> Result<(), FileCommandError> {
    let Some(path) = env.step_summary_file.as_deref() else {
        return Ok(());
    };
    let list: Vec<String> = platforms
        .iter()
        .map(|p| format!("`{}`", crate::registry::text::markdown(p)))
        .collect();
    files::append(
        path,
        &format!("\nPlatforms (one index): {}\n", list.join(", ")),
    )
}

fn describe_referrers(set: &crate::plan::ReferrerSet) -> Vec<String> {
    let mut lines = vec![format!(
        "referrers: {} ({} blobs)",
        set.referrers.len(),
        set.blobs.len()
    )];
    for r in &set.referrers {
        lines.push(format!(
            "referrer: {} {} {} of {}",
            r.tag.as_deref().unwrap_or("subject"),
            r.artifact_type.as_deref().unwrap_or("-"),
            r.manifest.digest,
            r.subject
        ));
    }
    lines
}

fn describe_plan(plan: &Plan, targets: &[Target]) -> Vec<String> {
    let root = plan.root();
    let mut lines = vec![format!("digest: {} ({})", root.digest, root.media_type)];
    for m in &plan.manifests[..plan.manifests.len() - 1] {
        lines.push(format!(
            "manifest: {} {} {}",
            m.digest,
            m.platform.as_deref().unwrap_or("-"),
            m.media_type
        ));
    }
    lines.push(format!(
        "blobs: {} ({} bytes)",
        plan.blobs.len(),
        plan.blob_bytes()
    ));
    for t in targets {
        if t.tags.is_empty() {
            lines.push(format!("{} (by digest only, no tag)", t.image));
        }
        for tag in &t.tags {
            lines.push(format!("{}:{tag}", t.image));
        }
    }
    lines
}

/// Logs the `Push results` group and one error per failed target, and appends the job summary
/// to `$GITHUB_STEP_SUMMARY` when there is one.
pub fn results(log: &Log, env: &RunnerEnv, report: &PushReport) -> Result<(), FileCommandError> {
    log.group("Push results");
    for t in &report.targets {
        let tags: Vec<String> = t
            .tags
            .iter()
            .map(|g| format!("{}={:?}", g.tag, g.status))
            .collect();
        log.untrusted(&format!(
            "{}: {:?}; blobs uploaded {}, existing {}, {} bytes; tags {}",
            t.image,
            t.status,
            t.blobs.uploaded,
            t.blobs.existing,
            t.blobs.bytes_uploaded,
            tags.join(", ")
        ));
    }
    log.end_group();
    for line in report.targets.iter().filter_map(TargetReport::error_line) {
        log.error(Some("hoist push"), &line);
    }
    if let Some(path) = env.step_summary_file.as_deref() {
        files::append(path, &report.render_summary())?;
    }
    Ok(())
}
