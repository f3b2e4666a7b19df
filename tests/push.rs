//! End-to-end push tests against real distribution registries, checked with skopeo.

#![allow(clippy::unwrap_used)]

mod support;

use support::faults::{FAST_RETRIES, Fault, FaultProxy};
use support::images::{layer_files, write_archive, write_layout};
use support::registry::{Ca, Kind, Registry, skopeo_digest};
use support::step::{run_hoist, run_hoist_args};

const TAGS: &str = "type=raw,value=1.2.3\ntype=raw,value=latest";

fn images(regs: &[&Registry]) -> String {
    regs.iter()
        .map(|r| format!("{}/team/app", r.host()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn insecure(regs: &[&Registry]) -> String {
    regs.iter().map(|r| r.host()).collect::<Vec<_>>().join("\n")
}

#[test]
fn multi_platform_index_lands_on_three_registries_and_a_second_run_uploads_nothing() {
    let a = Registry::start(&Kind::Anonymous);
    let b = Registry::start(&Kind::Anonymous);
    let c = Registry::start(&Kind::Anonymous);
    let regs = [&a, &b, &c];
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 7, true);
    let source = format!("oci:{}", src.path().display());
    let inputs = [
        ("images", images(&regs)),
        ("tags", TAGS.to_owned()),
        ("source", source),
        ("insecure-registries", insecure(&regs)),
    ];
    let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let first = run_hoist(&inputs);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    assert_eq!(first.output("digest"), root);
    for r in regs {
        for tag in ["1.2.3", "latest"] {
            assert_eq!(
                skopeo_digest(&format!("{}/team/app:{tag}", r.host()), &[]).as_deref(),
                Some(root.as_str()),
                "{} {tag}",
                r.host()
            );
        }
    }
    let results = first.results();
    assert_eq!(results.len(), 3);
    for t in &results {
        assert_eq!(t["status"], "ok", "{t}");
        assert_eq!(t["digest"], root.as_str());
        // 2 images × (config + layers) + attestation (config + statement).
        assert_eq!(t["blobs"]["uploaded"], 3 + 1 + 2 + 1 + 2, "{t}");
        assert_eq!(t["blobs"]["existing"], 0);
        assert_eq!(t["tags"][0]["tag"], "1.2.3");
        assert_eq!(t["tags"][0]["status"], "pushed");
        assert!(t["tags"][0]["previous"].is_null());
    }
    assert!(
        first.summary.contains("| Image | Status |"),
        "{}",
        first.summary
    );

    let second = run_hoist(&inputs);
    assert_eq!(second.code, Some(0), "{}\n{}", second.stdout, second.stderr);
    for t in second.results() {
        assert_eq!(t["blobs"]["uploaded"], 0, "{t}");
        assert_eq!(t["blobs"]["bytes_uploaded"], 0, "{t}");
        assert_eq!(t["tags"][0]["status"], "unchanged", "{t}");
        assert_eq!(t["tags"][1]["status"], "unchanged", "{t}");
    }
}

#[test]
fn oci_archive_and_layout_give_the_same_digest() {
    let reg = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    let layout = src.path().join("layout");
    let root = write_layout(&layout, 11, false);
    let archive = src.path().join("image.tar");
    write_archive(&layout, &archive);
    let run = run_hoist(&[
        ("images", &format!("{}/arch/app", reg.host())),
        ("tags", "type=raw,value=v1"),
        ("source", &format!("oci-archive:{}", archive.display())),
        ("insecure-registries", &reg.host()),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("digest"), root);
    assert_eq!(
        skopeo_digest(&format!("{}/arch/app:v1", reg.host()), &[]).as_deref(),
        Some(root.as_str())
    );
}

#[test]
fn a_wrong_password_fails_preflight_naming_the_registry_and_moves_no_tag() {
    let open = Registry::start(&Kind::Anonymous);
    let locked = Registry::start(&Kind::Htpasswd {
        user: "alice",
        password: "correct-horse-9",
    });
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 3, false);
    let regs = [&open, &locked];
    let wrong = format!(
        "- registry: {}\n  username: alice\n  password: wrong-battery-7\n",
        locked.host()
    );
    let source = format!("oci:{}", src.path().display());
    let run = run_hoist(&[
        ("images", &images(&regs)),
        ("tags", TAGS),
        ("source", &source),
        ("insecure-registries", &insecure(&regs)),
        ("registry-auth", &wrong),
    ]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&locked.host()) && l.contains("preflight") && l.contains("401")),
        "{errors:?}"
    );
    assert!(!open.has_blobs(), "atomic: nothing uploaded anywhere");
    assert_eq!(
        skopeo_digest(&format!("{}/team/app:latest", open.host()), &[]),
        None
    );
    let results = run.results();
    assert_eq!(results[0]["status"], "skipped");
    assert_eq!(results[1]["status"], "failed");
    assert_eq!(results[1]["error"]["operation"], "preflight");

    // The right password: everything lands, and the password is only ever in `::add-mask::`.
    let right = format!(
        "- registry: {}\n  username: alice\n  password: correct-horse-9\n",
        locked.host()
    );
    let run = run_hoist(&[
        ("images", &images(&regs)),
        ("tags", TAGS),
        ("source", &source),
        ("insecure-registries", &insecure(&regs)),
        ("registry-auth", &right),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        skopeo_digest(
            &format!("{}/team/app:1.2.3", locked.host()),
            &["--creds", "alice:correct-horse-9"]
        )
        .as_deref(),
        Some(root.as_str())
    );
    for l in run.stdout.lines().chain(run.stderr.lines()) {
        if l.contains("correct-horse-9") {
            assert!(l.starts_with("::add-mask::"), "password leaked: {l}");
        }
    }
    assert!(!run.summary.contains("correct-horse-9"));
    assert!(!run.output("push-results").contains("correct-horse-9"));
}

/// The blob is hashed while it is uploaded: the upload of the corrupt one never completes (its
/// last bytes are withheld) and no tag moves; intact blobs may land, as in any failed push.
#[test]
fn a_corrupt_blob_never_completes_an_upload_and_moves_no_tag() {
    let reg = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    write_layout(src.path(), 5, false);
    let victim = &layer_files(src.path())[0];
    let victim_digest = format!("sha256:{}", victim.file_name().unwrap().to_string_lossy());
    let mut bytes = std::fs::read(victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(victim, bytes).unwrap();
    let run = run_hoist(&[
        ("images", &format!("{}/team/app", reg.host())),
        ("tags", "type=raw,value=v1"),
        ("source", &format!("oci:{}", src.path().display())),
        ("insecure-registries", &reg.host()),
    ]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("::error")
            && l.contains("verify source blob")
            && l.contains("is corrupt")),
        "{}",
        run.stdout
    );
    let image = format!("{}/team/app", reg.host());
    assert_eq!(skopeo_digest(&format!("{image}:v1"), &[]), None);
    let blob = reg
        .dir
        .path()
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&victim_digest["sha256:".len().."sha256:".len() + 2])
        .join(&victim_digest["sha256:".len()..]);
    assert!(!blob.exists(), "the corrupt blob was stored");
}

#[test]
fn push_false_prints_the_plan_and_touches_no_registry() {
    let reg = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 9, true);
    let run = run_hoist(&[
        ("images", &format!("{}/team/app", reg.host())),
        ("tags", "type=raw,value=v1"),
        ("source", &format!("oci:{}", src.path().display())),
        ("push", "false"),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("digest"), root);
    assert!(run.stdout.contains(&format!("{}/team/app:v1", reg.host())));
    assert!(run.stdout.contains("unknown/unknown"));
    assert!(!reg.has_blobs());
}

#[test]
fn tls_registry_with_a_ca_from_registry_ca() {
    let ca = Ca::new();
    let reg = Registry::start(&Kind::Tls(&ca));
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 13, false);
    let image = format!("{}/tls/app", reg.host());
    let source = format!("oci:{}", src.path().display());
    // Without the CA: a clear TLS failure.
    let run = run_hoist(&[
        ("images", &image),
        ("tags", "type=raw,value=v1"),
        ("source", &source),
    ]);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("::error")
            && l.contains("preflight")
            && l.contains("registry-ca")),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("attempts"),
        "a TLS trust error is not retried"
    );
    let ca_path = ca.ca_pem().display().to_string();
    let run = run_hoist(&[
        ("images", &image),
        ("tags", "type=raw,value=v1"),
        ("source", &source),
        ("registry-ca", &ca_path),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        skopeo_digest(&format!("{image}:v1"), &[]).as_deref(),
        Some(root.as_str())
    );
}

#[test]
fn faults_are_retried_and_a_repush_through_the_proxy_uploads_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let direct = Registry::start(&Kind::Anonymous);
    let behind = Registry::start(&Kind::Anonymous);
    let puts = AtomicUsize::new(0);
    let heads = AtomicUsize::new(0);
    let manifests = AtomicUsize::new(0);
    let proxy = FaultProxy::start(behind.port, move |_, line| {
        if line.starts_with("PUT ") && line.contains("/blobs/uploads/") {
            match puts.fetch_add(1, Ordering::SeqCst) {
                0 => Fault::Reset,
                1 => Fault::Status(503),
                _ => Fault::Pass,
            }
        } else if line.starts_with("HEAD ") && line.contains("/blobs/") {
            match heads.fetch_add(1, Ordering::SeqCst) {
                0 => Fault::Status(502),
                _ => Fault::Pass,
            }
        } else if line.starts_with("PUT ") && line.contains("/manifests/") {
            match manifests.fetch_add(1, Ordering::SeqCst) {
                0 => Fault::TooManyRequests(1),
                _ => Fault::Pass,
            }
        } else {
            Fault::Pass
        }
    });
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 21, true);
    let images = format!("{}/team/app\n{}/team/app", direct.host(), proxy.host());
    let insecure = format!("{}\n{}", direct.host(), proxy.host());
    let source = format!("oci:{}", src.path().display());
    let inputs = [
        ("images", images.as_str()),
        ("tags", TAGS),
        ("source", source.as_str()),
        ("insecure-registries", insecure.as_str()),
    ];
    let run = run_hoist_args(&inputs, &["--retry-pacing", FAST_RETRIES]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let seen = proxy.seen();
    let count = |method: &str, path: &str| {
        seen.iter()
            .filter(|l| l.starts_with(method) && l.contains(path))
            .count()
    };
    // 9 blobs, two uploads faulted and retried; 4 manifests + 2 tags, one 429.
    assert_eq!(count("PUT ", "/blobs/uploads/"), 11, "{seen:#?}");
    assert_eq!(count("PUT ", "/manifests/"), 7, "{seen:#?}");
    assert_eq!(count("HEAD ", "/blobs/"), 10, "{seen:#?}");
    for r in [&direct, &behind] {
        for tag in ["1.2.3", "latest"] {
            assert_eq!(
                skopeo_digest(&format!("{}/team/app:{tag}", r.host()), &[]).as_deref(),
                Some(root.as_str())
            );
        }
    }

    // The second run, through a clean proxy, counts the requests: no blob upload at all.
    let clean = FaultProxy::start(behind.port, |_, _| Fault::Pass);
    let images = format!("{}/team/app", clean.host());
    let run = run_hoist(&[
        ("images", images.as_str()),
        ("tags", TAGS),
        ("source", source.as_str()),
        ("insecure-registries", clean.host().as_str()),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let seen = clean.seen();
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("PUT ")).count(),
        0,
        "{seen:#?}"
    );
    // Only the preflight's upload probe.
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("POST ")).count(),
        1,
        "{seen:#?}"
    );
    assert_eq!(run.results()[0]["blobs"]["uploaded"], 0);
}

#[test]
fn docker_archives_legacy_and_modern_land_with_one_digest_everywhere() {
    let a = Registry::start(&Kind::Anonymous);
    let b = Registry::start(&Kind::Anonymous);
    let regs = [&a, &b];
    let src = tempfile::tempdir().unwrap();
    for (modern, seed) in [(false, 31), (true, 37)] {
        let tar = src.path().join(format!("save-{modern}.tar"));
        let config = support::images::write_docker_archive(&tar, seed, modern);
        let source = format!("docker-archive:{}", tar.display());
        let tag = if modern {
            "type=raw,value=modern"
        } else {
            "type=raw,value=legacy"
        };
        let inputs = [
            ("images", images(&regs)),
            ("tags", tag.to_owned()),
            ("source", source),
            ("insecure-registries", insecure(&regs)),
        ];
        let inputs: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let run = run_hoist(&inputs);
        assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
        let root = run.output("digest").to_owned();
        assert!(root.starts_with("sha256:"), "{root}");
        let tag = if modern { "modern" } else { "legacy" };
        for r in regs {
            let reference = format!("{}/team/app:{tag}", r.host());
            assert_eq!(
                skopeo_digest(&reference, &[]).as_deref(),
                Some(root.as_str())
            );
            // The config is unchanged: its digest is still the image ID.
            let out = std::process::Command::new("skopeo")
                .args(["inspect", "--tls-verify=false", "--config", "--raw"])
                .arg(format!("docker://{reference}"))
                .env_clear()
                .output()
                .unwrap();
            assert_eq!(support::digest(&out.stdout), config);
        }
        // Compressed once, reproducibly: a second run computes the same digest, uploads nothing.
        let again = run_hoist(&inputs);
        assert_eq!(again.code, Some(0), "{}\n{}", again.stdout, again.stderr);
        assert_eq!(again.output("digest"), root);
        for t in again.results() {
            assert_eq!(t["blobs"]["uploaded"], 0, "{t}");
        }
    }
}

#[test]
fn a_registry_dying_mid_push_leaves_the_others_complete_and_no_tag_moved() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let alive = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 41, false);
    let source = format!("oci:{}", src.path().display());
    for policy in ["atomic", "partial"] {
        let dying = Registry::start(&Kind::Anonymous);
        let uploads = AtomicUsize::new(0);
        let dead = AtomicBool::new(false);
        let proxy = FaultProxy::start(dying.port, move |_, line| {
            if line.starts_with("PUT ")
                && line.contains("/blobs/uploads/")
                && uploads.fetch_add(1, Ordering::SeqCst) >= 2
            {
                dead.store(true, Ordering::SeqCst);
            }
            if dead.load(Ordering::SeqCst) {
                Fault::Dead
            } else {
                Fault::Pass
            }
        });
        let images = format!("{}/team/app\n{}/team/app", alive.host(), proxy.host());
        let insecure = format!("{}\n{}", alive.host(), proxy.host());
        let run = run_hoist_args(
            &[
                ("images", images.as_str()),
                ("tags", "type=raw,value=v1"),
                ("source", source.as_str()),
                ("insecure-registries", insecure.as_str()),
                ("tag-policy", policy),
            ],
            &["--retry-pacing", FAST_RETRIES],
        );
        assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
        let results = run.results();
        assert_eq!(results[1]["status"], "failed", "{results:#?}");
        assert_eq!(results[1]["tags"][0]["status"], "not-moved");
        let op = results[1]["error"]["operation"]
            .as_str()
            .unwrap_or_default();
        assert!(
            op.starts_with("upload blob sha256:") || op.starts_with("check blob sha256:"),
            "{op}"
        );
        assert!(
            run.stdout.lines().any(|l| l.starts_with("::error")
                && l.contains(&proxy.host())
                && l.contains("blob sha256:")),
            "{}",
            run.stdout
        );
        // The content is complete on the live registry, by digest.
        assert_eq!(results[0]["digest"], root.as_str());
        assert_eq!(
            skopeo_digest(&format!("{}/team/app@{root}", alive.host()), &[]).as_deref(),
            Some(root.as_str())
        );
        let tagged = skopeo_digest(&format!("{}/team/app:v1", alive.host()), &[]);
        if policy == "atomic" {
            assert_eq!(results[0]["status"], "skipped");
            assert_eq!(results[0]["tags"][0]["status"], "not-moved");
            assert_eq!(tagged, None, "atomic: no tag moves anywhere");
        } else {
            assert_eq!(results[0]["status"], "ok");
            assert_eq!(results[0]["tags"][0]["status"], "pushed");
            assert_eq!(tagged.as_deref(), Some(root.as_str()));
        }
        assert_eq!(
            skopeo_digest(&format!("{}/team/app:v1", dying.host()), &[]),
            None
        );
    }
}

#[test]
fn docker_source_copies_an_index_between_registries_byte_for_byte() {
    let from = Registry::start(&Kind::Anonymous);
    let to = Registry::start(&Kind::Htpasswd {
        user: "bob",
        password: "promote-me-42",
    });
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 51, true);
    let seed = run_hoist(&[
        ("images", &format!("{}/origin/app", from.host())),
        ("tags", "type=raw,value=rc1"),
        ("source", &format!("oci:{}", src.path().display())),
        ("insecure-registries", &from.host()),
    ]);
    assert_eq!(seed.code, Some(0), "{}\n{}", seed.stdout, seed.stderr);

    let auth = format!(
        "- registry: {}\n  username: bob\n  password: promote-me-42\n",
        to.host()
    );
    let run = run_hoist(&[
        ("images", &format!("{}/released/app", to.host())),
        ("tags", "type=raw,value=1.0.0"),
        (
            "source",
            &format!("docker://{}/origin/app:rc1", from.host()),
        ),
        (
            "insecure-registries",
            &format!("{}\n{}", from.host(), to.host()),
        ),
        ("registry-auth", &auth),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("digest"), root);
    assert_eq!(
        skopeo_digest(
            &format!("{}/released/app:1.0.0", to.host()),
            &["--creds", "bob:promote-me-42"]
        )
        .as_deref(),
        Some(root.as_str())
    );
}

#[test]
fn a_second_repository_on_the_same_host_mounts_instead_of_uploading() {
    let reg = Registry::start(&Kind::Htpasswd {
        user: "carol",
        password: "mount-it-77",
    });
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 61, false);
    let auth = format!(
        "- registry: {}\n  username: carol\n  password: mount-it-77\n",
        reg.host()
    );
    let run = run_hoist(&[
        ("images", &format!("{0}/one/app\n{0}/two/app", reg.host())),
        ("tags", "type=raw,value=v1"),
        ("source", &format!("oci:{}", src.path().display())),
        ("insecure-registries", &reg.host()),
        ("registry-auth", &auth),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let results = run.results();
    assert_eq!(results[0]["blobs"]["uploaded"], 4, "{results:#?}");
    assert_eq!(results[1]["blobs"]["uploaded"], 0, "{results:#?}");
    assert_eq!(results[1]["blobs"]["mounted"], 4, "{results:#?}");
    for repo in ["one", "two"] {
        assert_eq!(
            skopeo_digest(
                &format!("{}/{repo}/app:v1", reg.host()),
                &["--creds", "carol:mount-it-77"]
            )
            .as_deref(),
            Some(root.as_str())
        );
    }
}

#[test]
fn platforms_narrow_the_index_and_keep_the_attestation_of_kept_images() {
    let reg = Registry::start(&Kind::Anonymous);
    let src = tempfile::tempdir().unwrap();
    let full = write_layout(src.path(), 71, true);
    let source = format!("oci:{}", src.path().display());
    let image = format!("{}/team/app", reg.host());
    for (platforms, expected) in [("linux/amd64", 2), ("linux/arm64", 1)] {
        let run = run_hoist(&[
            ("images", &image),
            ("tags", "type=raw,value=v1"),
            ("source", &source),
            ("insecure-registries", &reg.host()),
            ("platforms", platforms),
        ]);
        assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
        let digest = run.output("digest").to_owned();
        assert_ne!(digest, full, "a narrowed index is a new index");
        let out = std::process::Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--raw"])
            .arg(format!("docker://{image}:v1"))
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(support::digest(&out.stdout), digest);
        let index: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let entries = index["manifests"].as_array().unwrap();
        assert_eq!(entries.len(), expected, "{platforms}: {index}");
        assert_eq!(
            entries[0]["platform"]["architecture"],
            platforms.split('/').nth(1).unwrap()
        );
    }
}

#[test]
fn token_auth_registry_preflight_mount_and_masked_tokens() {
    let tokens = support::registry::TokenServer::start("alice", "token-pass-5");
    let reg = Registry::start(&Kind::Token(&tokens));
    let src = tempfile::tempdir().unwrap();
    let root = write_layout(src.path(), 81, false);
    let source = format!("oci:{}", src.path().display());
    let images = format!("{0}/one/app\n{0}/two/app", reg.host());
    let auth = |password: &str| {
        format!(
            "- registry: {}\n  username: alice\n  password: {password}\n",
            reg.host()
        )
    };
    let wrong = run_hoist(&[
        ("images", &images),
        ("tags", "type=raw,value=v1"),
        ("source", &source),
        ("insecure-registries", &reg.host()),
        ("registry-auth", &auth("nope-0")),
    ]);
    assert_eq!(wrong.code, Some(1), "{}\n{}", wrong.stdout, wrong.stderr);
    assert!(
        wrong.stdout.lines().any(|l| l.starts_with("::error")
            && l.contains(&reg.host())
            && l.contains("preflight")
            && l.contains("401")),
        "{}",
        wrong.stdout
    );
    let run = run_hoist(&[
        ("images", &images),
        ("tags", "type=raw,value=v1"),
        ("source", &source),
        ("insecure-registries", &reg.host()),
        ("registry-auth", &auth("token-pass-5")),
    ]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let results = run.results();
    assert_eq!(results[1]["blobs"]["mounted"], 4, "{results:#?}");
    assert_eq!(run.output("digest"), root);
    // Every token is masked before use and never printed otherwise.
    let issued = tokens.issued.lock().unwrap().clone();
    assert!(!issued.is_empty());
    for t in &issued {
        for l in run.stdout.lines().chain(run.stderr.lines()) {
            if l.contains(t.as_str()) {
                assert!(l.starts_with("::add-mask::"), "token leaked: {l}");
            }
        }
    }
    assert!(
        issued
            .iter()
            .any(|t| run.stdout.contains(&format!("::add-mask::{t}"))),
        "tokens are masked"
    );
}
