//! Release guards against real distribution registries, checked with skopeo: `immutable-tags`
//! (a tag matching a pattern never moves to another image; re-runs with the same image pass).

#![allow(clippy::unwrap_used)]

mod support;

use support::images::write_layout;
use support::registry::{Kind, Registry, skopeo_digest};
use support::step::run_hoist;

fn images(regs: &[&Registry]) -> String {
    regs.iter()
        .map(|r| format!("{}/team/app", r.host()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn insecure(regs: &[&Registry]) -> String {
    regs.iter().map(|r| r.host()).collect::<Vec<_>>().join("\n")
}

/// An OCI layout of a single-platform image, distinct for each odd `seed` (the generator
/// seeds with `seed | 1`); returns (source, digest).
fn image(dir: &tempfile::TempDir, seed: u64) -> (String, String) {
    let path = dir.path().join(format!("img-{seed}"));
    let digest = write_layout(&path, seed, false);
    (format!("oci:{}", path.display()), digest)
}

/// Publishes `source` as `version` and `latest` to every registry, with the extra inputs.
fn release(
    regs: &[&Registry],
    source: &str,
    version: &str,
    extra: &[(&str, &str)],
) -> support::step::Run {
    let tags = format!("type=raw,value={version}\ntype=raw,value=latest");
    let (imgs, ins) = (images(regs), insecure(regs));
    let mut inputs = vec![
        ("images", imgs.as_str()),
        ("tags", tags.as_str()),
        ("source", source),
        ("insecure-registries", ins.as_str()),
    ];
    inputs.extend_from_slice(extra);
    run_hoist(&inputs)
}

fn at(reg: &Registry, tag: &str) -> Option<String> {
    skopeo_digest(&format!("{}/team/app:{tag}", reg.host()), &[])
}

const IMMUTABLE: (&str, &str) = ("immutable-tags", "# releases\n*.*.*\n");

#[test]
fn an_immutable_tag_never_moves_and_a_rerun_of_the_same_image_passes() {
    let (a, b, c) = (
        Registry::start(&Kind::Anonymous),
        Registry::start(&Kind::Anonymous),
        Registry::start(&Kind::Anonymous),
    );
    let regs = [&a, &b, &c];
    let dir = tempfile::tempdir().unwrap();
    let (src_a, dig_a) = image(&dir, 11);
    let (src_b, dig_b) = image(&dir, 15);
    let (src_c, dig_c) = image(&dir, 17);

    let first = release(&regs, &src_a, "1.0.0", &[IMMUTABLE]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    for r in regs {
        assert_eq!(at(r, "1.0.0").as_deref(), Some(dig_a.as_str()));
        assert_eq!(at(r, "latest").as_deref(), Some(dig_a.as_str()));
    }

    // Another image under the same version: every target fails before any upload, nothing moves.
    let clash = release(&regs, &src_b, "1.0.0", &[IMMUTABLE]);
    assert_eq!(clash.code, Some(1), "{}\n{}", clash.stdout, clash.stderr);
    for r in regs {
        assert_eq!(
            at(r, "1.0.0").as_deref(),
            Some(dig_a.as_str()),
            "{}",
            r.host()
        );
        assert_eq!(
            at(r, "latest").as_deref(),
            Some(dig_a.as_str()),
            "{}",
            r.host()
        );
        assert!(
            clash.stdout.contains(&format!(
                "registry `{}`, repository `team/app`: immutable tag `1.0.0`: the tag holds {dig_a}, not this image {dig_b}",
                r.host()
            )),
            "{}",
            clash.stdout
        );
    }
    let results = clash.results();
    assert_eq!(results.len(), 3);
    for t in &results {
        assert_eq!(t["status"], "failed", "{t}");
        assert_eq!(t["blobs"]["uploaded"], 0, "{t}");
        assert!(t["digest"].is_null(), "{t}");
        for tag in t["tags"].as_array().unwrap() {
            assert_eq!(tag["status"], "not-moved", "{t}");
        }
    }

    // The same image again (a re-run): success, no tag touched.
    let rerun = release(&regs, &src_a, "1.0.0", &[IMMUTABLE]);
    assert_eq!(rerun.code, Some(0), "{}\n{}", rerun.stdout, rerun.stderr);
    for t in rerun.results() {
        assert_eq!(t["blobs"]["uploaded"], 0, "{t}");
        for tag in t["tags"].as_array().unwrap() {
            assert_eq!(tag["status"], "unchanged", "{t}");
        }
    }

    // A new version: its tag is created and `latest` (not matching `*.*.*`) moves.
    let next = release(&regs, &src_c, "2.0.0", &[IMMUTABLE]);
    assert_eq!(next.code, Some(0), "{}\n{}", next.stdout, next.stderr);
    for r in regs {
        assert_eq!(at(r, "1.0.0").as_deref(), Some(dig_a.as_str()));
        assert_eq!(at(r, "2.0.0").as_deref(), Some(dig_c.as_str()));
        assert_eq!(at(r, "latest").as_deref(), Some(dig_c.as_str()));
    }
    let t = &next.results()[0];
    assert_eq!(t["tags"][1]["tag"], "latest");
    assert_eq!(t["tags"][1]["previous"], dig_a.as_str(), "{t}");
}

#[test]
fn with_partial_only_the_registry_holding_another_image_fails() {
    let (a, b) = (
        Registry::start(&Kind::Anonymous),
        Registry::start(&Kind::Anonymous),
    );
    let dir = tempfile::tempdir().unwrap();
    let (src_a, dig_a) = image(&dir, 21);
    let (src_b, dig_b) = image(&dir, 25);
    // Only `b` already holds 1.0.0 (at image A).
    let first = release(&[&b], &src_a, "1.0.0", &[]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);

    let run = release(
        &[&a, &b],
        &src_b,
        "1.0.0",
        &[IMMUTABLE, ("tag-policy", "partial")],
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(at(&a, "1.0.0").as_deref(), Some(dig_b.as_str()));
    assert_eq!(at(&a, "latest").as_deref(), Some(dig_b.as_str()));
    assert_eq!(at(&b, "1.0.0").as_deref(), Some(dig_a.as_str()));
    assert_eq!(at(&b, "latest").as_deref(), Some(dig_a.as_str()));
    let results = run.results();
    assert_eq!(results[0]["status"], "ok", "{}", results[0]);
    assert_eq!(results[1]["status"], "failed", "{}", results[1]);

    // Atomic (the default): `b`'s clash keeps every registry where it was, a fresh one too.
    let fresh = Registry::start(&Kind::Anonymous);
    let atomic = release(&[&fresh, &b], &src_b, "1.0.0", &[IMMUTABLE]);
    assert_eq!(atomic.code, Some(1));
    assert_eq!(at(&fresh, "1.0.0"), None);
    assert_eq!(at(&fresh, "latest"), None);
    assert!(!fresh.has_blobs());
    assert_eq!(at(&b, "1.0.0").as_deref(), Some(dig_a.as_str()));
    let results = atomic.results();
    assert_eq!(results[0]["status"], "skipped", "{}", results[0]);
    assert_eq!(results[1]["status"], "failed", "{}", results[1]);
}

#[test]
fn a_malformed_pattern_fails_naming_the_input_and_line_before_any_network() {
    let reg = Registry::start(&Kind::Anonymous);
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = image(&dir, 31);
    let run = release(
        &[&reg],
        &src,
        "1.0.0",
        &[("immutable-tags", "v*.*.*\n\n[0-9*.*\n")],
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .contains("input `immutable-tags`: line 3: `[0-9*.*`: `[` is never closed"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(at(&reg, "1.0.0"), None);
    assert!(!reg.has_blobs());
}

/// A layout of a distinct image whose manifest carries `org.opencontainers.image.version`;
/// returns (source, digest).
fn annotated(dir: &tempfile::TempDir, seed: u64, version: &str) -> (String, String) {
    let path = dir.path().join(format!("ann-{seed}"));
    let plain = write_layout(&path, seed, false);
    let blob = |d: &str| {
        path.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(&plain)).unwrap()).unwrap();
    manifest["annotations"] = serde_json::json!({"org.opencontainers.image.version": version});
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = support::digest(&bytes);
    std::fs::write(blob(&digest), &bytes).unwrap();
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"] = digest.clone().into();
    index["manifests"][0]["size"] = bytes.len().into();
    std::fs::write(path.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    (format!("oci:{}", path.display()), digest)
}

const SEMVER: (&str, &str) = ("latest-guard", "semver");

#[test]
fn latest_moves_only_forward_and_ends_identical_on_every_registry() {
    let (a, b, c) = (
        Registry::start(&Kind::Anonymous),
        Registry::start(&Kind::Anonymous),
        Registry::start(&Kind::Anonymous),
    );
    let regs = [&a, &b, &c];
    let dir = tempfile::tempdir().unwrap();
    let (src_a, dig_a) = image(&dir, 41);
    let (src_c, dig_c) = image(&dir, 45);
    let (src_d, dig_d) = image(&dir, 47);
    let (src_g, dig_g) = image(&dir, 49);

    // 1.0.0 (A) everywhere; 2.0.0 (C) only on `c`: one registry holds a different `latest`.
    let first = release(&regs, &src_a, "1.0.0", &[SEMVER]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let only_c = release(&[&c], &src_c, "2.0.0", &[SEMVER]);
    assert_eq!(only_c.code, Some(0), "{}\n{}", only_c.stdout, only_c.stderr);
    assert_eq!(at(&c, "latest").as_deref(), Some(dig_c.as_str()));

    // Hotfix 1.0.1 (D): above what `a` and `b` hold, below `c`'s 2.0.0 (read from the tag
    // list: these images carry no version). One decision: `latest` moves nowhere.
    let hotfix = release(&regs, &src_d, "1.0.1", &[SEMVER]);
    assert_eq!(hotfix.code, Some(0), "{}\n{}", hotfix.stdout, hotfix.stderr);
    for r in regs {
        assert_eq!(
            at(r, "1.0.1").as_deref(),
            Some(dig_d.as_str()),
            "{}",
            r.host()
        );
    }
    assert_eq!(at(&a, "latest").as_deref(), Some(dig_a.as_str()));
    assert_eq!(at(&b, "latest").as_deref(), Some(dig_a.as_str()));
    assert_eq!(at(&c, "latest").as_deref(), Some(dig_c.as_str()));
    assert!(
        hotfix.stdout.contains(
            "::notice::tag `latest` left where it is (skipped: older than 2.0.0; input `latest-guard`)"
        ),
        "{}",
        hotfix.stdout
    );
    for t in hotfix.results() {
        assert_eq!(t["status"], "ok", "{t}");
        assert_eq!(t["tags"][1]["tag"], "latest");
        assert_eq!(t["tags"][1]["status"], "not-moved", "{t}");
        assert_eq!(t["tags"][1]["guard"], "skipped: older than 2.0.0", "{t}");
        assert!(t["tags"][0].get("guard").is_none(), "{t}");
    }
    assert!(
        hotfix
            .summary
            .contains("latest (not moved) (guard: skipped\\: older than 2.0.0)"),
        "{}",
        hotfix.summary
    );

    // 2.0.0 again (C, the version `c` holds): greater than or equal everywhere, so `latest`
    // ends identical on every registry.
    let level = release(&regs, &src_c, "2.0.0", &[SEMVER]);
    assert_eq!(level.code, Some(0), "{}\n{}", level.stdout, level.stderr);
    for r in regs {
        assert_eq!(
            at(r, "latest").as_deref(),
            Some(dig_c.as_str()),
            "{}",
            r.host()
        );
    }
    let t = &level.results()[0];
    assert_eq!(t["tags"][1]["guard"], "semver", "{t}");
    assert_eq!(t["tags"][1]["previous"], dig_a.as_str(), "{t}");

    // Without the guard `latest` moves as metadata-action says, even backwards.
    let unguarded = release(&regs, &src_g, "1.0.2", &[]);
    assert_eq!(unguarded.code, Some(0));
    for r in regs {
        assert_eq!(
            at(r, "latest").as_deref(),
            Some(dig_g.as_str()),
            "{}",
            r.host()
        );
    }
    assert!(
        unguarded
            .results()
            .iter()
            .all(|t| t["tags"][1].get("guard").is_none())
    );
}

#[test]
fn the_version_annotation_wins_over_the_tags() {
    let reg = Registry::start(&Kind::Anonymous);
    let dir = tempfile::tempdir().unwrap();
    // Tagged 3.0.0 but annotated 5.0.0: the annotation is what `latest` holds.
    let (src_e, dig_e) = annotated(&dir, 51, "5.0.0");
    let (src_f, dig_f) = image(&dir, 55);
    let first = release(&[&reg], &src_e, "3.0.0", &[SEMVER]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    assert_eq!(at(&reg, "latest").as_deref(), Some(dig_e.as_str()));

    let run = release(&[&reg], &src_f, "4.0.0", &[SEMVER]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(at(&reg, "4.0.0").as_deref(), Some(dig_f.as_str()));
    assert_eq!(at(&reg, "latest").as_deref(), Some(dig_e.as_str()));
    assert_eq!(
        run.results()[0]["tags"][1]["guard"],
        "skipped: older than 5.0.0"
    );
}

#[test]
fn outside_a_runner_the_flags_guard_the_same_way_and_a_skipped_latest_is_a_note() {
    let reg = Registry::start(&Kind::Anonymous);
    let dir = tempfile::tempdir().unwrap();
    let (src_c, dig_c) = image(&dir, 61);
    let (src_d, dig_d) = image(&dir, 65);
    let (src_e, _) = image(&dir, 67);
    let images = format!("{}/team/app", reg.host());
    let cli = |source: &str, version: &str| {
        let tags = format!("type=raw,value={version}\ntype=raw,value=latest");
        support::cli::hoist(
            dir.path(),
            &[("NO_COLOR", "1")],
            &[
                "--images",
                &images,
                "--tags",
                &tags,
                "--source",
                source,
                "--insecure-registries",
                &reg.host(),
                "--latest-guard",
                "semver",
                "--immutable-tags",
                "*.*.*",
            ],
        )
    };
    let first = cli(&src_c, "2.0.0");
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let hotfix = cli(&src_d, "1.0.1");
    assert_eq!(hotfix.code, Some(0), "{}\n{}", hotfix.stdout, hotfix.stderr);
    assert!(
        hotfix.stderr.lines().any(|l| l
            == "note: tag `latest` left where it is (skipped: older than 2.0.0; input `latest-guard`)"),
        "{}",
        hotfix.stderr
    );
    assert_eq!(at(&reg, "latest").as_deref(), Some(dig_c.as_str()));
    assert_eq!(at(&reg, "1.0.1").as_deref(), Some(dig_d.as_str()));
    let clash = cli(&src_e, "1.0.1");
    assert_ne!(clash.code, Some(0), "{}\n{}", clash.stdout, clash.stderr);
    assert!(
        clash
            .stderr
            .contains("immutable tag `1.0.1`: the tag holds"),
        "{}",
        clash.stderr
    );
    assert_eq!(at(&reg, "1.0.1").as_deref(), Some(dig_d.as_str()));
}
