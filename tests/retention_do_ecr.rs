//! Retention (issue 14) through the `DigitalOcean` API and Amazon ECR's API, each on a loopback
//! stub that serves the documented answer shapes and records every request (method, path and
//! query, `Authorization`, `X-Amz-Target`, body). hoist runs as a runner step with no `source`
//! (a scheduled cleanup). `DigitalOcean`'s registry is a real distribution registry named as one
//! through `HOIST_DIGITALOCEAN_REGISTRY` (hoist reads the manifest graph from it). The tests
//! assert the exact calls, the credentials on each (a Bearer `DigitalOcean` token; a `SigV4`
//! `Authorization` for ECR), that every page was read, exactly the expected deletes (by digest on
//! `DigitalOcean`, by tag on ECR), nothing a kept tag needs deleted (a kept index's platform
//! manifests, cosign tags), a dry run calling no delete, the garbage collection (`unreferenced
//! blobs only`) started only with `retention-gc: true` and only after the deletions (409: a
//! warning), the cap, and ECR's per-tag `failures` reported as an error naming the tag.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use serde_json::{Value as Json, json};
use support::api_stub::{ApiStub as Stub, Seen};
use support::pusher::Pusher;

/// "now" for the age rules (`SOURCE_DATE_EPOCH`): 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000;
const DAY: i64 = 86_400;
const DO_TOKEN: &str = "dop_v1_hoistTestToken0123456789abcdef";
const KEY_ID: &str = "AKIAHOISTRETENTION01";
const SECRET_KEY: &str = "aws-secret-retention-93";
const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-3.amazonaws.com";

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// The step as a runner runs it with `SOURCE_DATE_EPOCH` at [`NOW`] and `env`: exit code, the
/// log and job summary, and `retention-results`.
fn step(inputs: &[(&str, &str)], env: &[(&str, &str)]) -> (Option<i32>, String, Json) {
    let api = support::github::GitHubStub::app();
    let mut step = support::step::Step::push("refs/heads/main", support::github::APP_SHA);
    step.repository = Some("o/app".to_owned());
    step.payload = Some(json!({
        "head_commit": {"id": support::github::APP_SHA, "timestamp": "2026-01-02T03:04:05Z"}
    }));
    step.token = None;
    step.epoch = NOW.to_string();
    step.inputs = inputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (k, v) in env {
        step = step.env(k, v);
    }
    let run = step.run(
        std::path::Path::new(env!("CARGO_BIN_EXE_hoist")),
        &api.url(),
    );
    run.assert_no_panic();
    let results = run
        .outputs()
        .into_iter()
        .find(|(k, _)| k == "retention-results")
        .map_or(Json::Null, |(_, v)| serde_json::from_str(&v).unwrap());
    let log = format!("{}\n--- job summary ---\n{}", run.stdout, run.summary_text);
    (run.code(), log, results)
}

/// `secret` appears only in the `::add-mask::` command that hides it.
fn assert_only_masked(log: &str, secret: &str) {
    assert!(log.contains(&format!("::add-mask::{secret}")), "{log}");
    for line in log.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(secret), "{line}");
    }
}

fn names(v: &Json) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["tag"].as_str().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// DigitalOcean

/// One tag entry as `GET /v2/registry/{registry}/repositories/{repo}/tags` answers it.
/// Shape: <https://docs.digitalocean.com/reference/api/api-reference/#operation/registry_list_repositoryTags>
fn do_tag(tag: &str, d: &str, updated: i64) -> Json {
    json!({
        "registry_name": "myreg",
        "repository": "team/app",
        "tag": tag,
        "manifest_digest": d,
        "compressed_size_bytes": 2_803_255,
        "size_bytes": 5_861_888,
        "updated_at": iso(updated),
    })
}

const DO_TAGS: &str = "/v2/registry/myreg/repositories/team%2Fapp/tags";
const DO_DIGESTS: &str = "/v2/registry/myreg/repositories/team%2Fapp/digests/";
const DO_GC: &str = "/v2/registry/myreg/garbage-collection";

/// The `DigitalOcean` API stub: `tags` in two pages (`links.pages.next` on the first, three
/// tags a page), `DELETE` of a manifest by digest (204), and the garbage collection start (201,
/// or 409 when `gc_busy`).
fn do_stub(tags: &[Json], gc_busy: bool) -> Stub {
    let (first, second) = tags.split_at(3.min(tags.len()));
    let (first, second) = (first.to_vec(), second.to_vec());
    Stub::start(Box::new(move |r: &Seen| {
        if r.authorization != format!("Bearer {DO_TOKEN}") {
            return (
                401,
                json!({"id": "unauthorized", "message": "Unable to authenticate you."}).to_string(),
            );
        }
        let total = first.len() + second.len();
        match (r.method.as_str(), r.target.as_str()) {
            ("GET", t) if t == format!("{DO_TAGS}?page=1&per_page=200") => (
                200,
                json!({
                    "tags": first,
                    "meta": {"total": total},
                    "links": {"pages": {
                        "next": "https://api.digitalocean.com/v2/registry/myreg/repositories/team%2Fapp/tags?page=2&per_page=200",
                        "last": "https://api.digitalocean.com/v2/registry/myreg/repositories/team%2Fapp/tags?page=2&per_page=200"
                    }}
                })
                .to_string(),
            ),
            ("GET", t) if t == format!("{DO_TAGS}?page=2&per_page=200") => (
                200,
                json!({
                    "tags": second,
                    "meta": {"total": total},
                    "links": {"pages": {
                        "first": "https://api.digitalocean.com/v2/registry/myreg/repositories/team%2Fapp/tags?page=1&per_page=200",
                        "prev": "https://api.digitalocean.com/v2/registry/myreg/repositories/team%2Fapp/tags?page=1&per_page=200"
                    }}
                })
                .to_string(),
            ),
            // "Delete Container Registry Repository Manifest": 204, no body.
            // <https://docs.digitalocean.com/reference/api/api-reference/#operation/registry_delete_repositoryManifest>
            ("DELETE", t) if t.starts_with(DO_DIGESTS) => (204, String::new()),
            // <https://docs.digitalocean.com/reference/api/api-reference/#operation/registry_run_garbageCollection>
            ("POST", DO_GC) if gc_busy => (
                409,
                json!({"id": "conflict", "message": "a garbage collection is already active"}).to_string(),
            ),
            ("POST", DO_GC) => (
                201,
                json!({"garbage_collection": {
                    "uuid": "eff0feee-49c7-4e8f-ba5c-a320c109c8a8",
                    "registry_name": "myreg",
                    "status": "requested",
                    "created_at": "2020-10-30T21:03:24Z",
                    "updated_at": "2020-10-30T21:03:44Z",
                    "blobs_deleted": 0,
                    "freed_bytes": 0
                }})
                .to_string(),
            ),
            _ => (404, json!({"id": "not_found", "message": "not found"}).to_string()),
        }
    }))
}

fn calls(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect()
}

fn cosign(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

#[test]
fn digitalocean_deletes_by_digest_what_no_kept_tag_needs_and_collects_only_blobs() {
    let reg = support::registry::Registry::start(&support::registry::Kind::Anonymous);
    let host = reg.host();
    let pusher = Pusher::new(&host, "myreg/team/app");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (latest, kids, pr2, pr3, pr4, sig) = rt.block_on(async {
        let (latest, kids) = pusher.multi_arch("latest", "latest").await;
        let pr2 = pusher.image("pr-2", "pr-2", "amd64").await.0;
        let pr3 = pusher.image("pr-3", "pr-3", "amd64").await.0;
        let pr4 = pusher.image("pr-4", "pr-4", "amd64").await.0;
        let sig = pusher.image(&cosign(&latest), "sig", "amd64").await.0;
        (latest, kids, pr2, pr3, pr4, sig)
    });
    // As the API lists them: `pr-1` is a tag on `latest`'s amd64 platform manifest (the
    // manifest is only in the registry, so the stub serves the same digests).
    let listed = vec![
        do_tag("latest", &latest, NOW - DAY),
        do_tag("pr-1", &kids[0], NOW - 40 * DAY),
        do_tag("pr-2", &pr2, NOW - 45 * DAY),
        do_tag("pr-3", &pr3, NOW - 2 * DAY),
        do_tag("pr-4", &pr4, NOW - 90 * DAY),
        do_tag(&cosign(&latest), &sig, NOW - 10 * DAY),
    ];
    let image = format!("{host}/myreg/team/app");
    let auth = format!("- registry: {host}\n  username: {DO_TOKEN}\n  password: {DO_TOKEN}\n");
    let base = [
        ("images", image.as_str()),
        ("insecure-registries", host.as_str()),
        ("registry-auth", auth.as_str()),
        (
            "retention",
            "type=keep,pattern=^latest$\ntype=older-than,pattern=^pr-,age=30d\ntype=older-than,pattern=\\.sig$,age=1d",
        ),
    ];
    let stub = do_stub(&listed, false);
    let url = stub.url();
    let env = [
        ("HOIST_DIGITALOCEAN_API_URL", url.as_str()),
        ("HOIST_DIGITALOCEAN_REGISTRY", host.as_str()),
    ];
    let pages = [
        format!("GET {DO_TAGS}?page=1&per_page=200"),
        format!("GET {DO_TAGS}?page=2&per_page=200"),
    ];
    let mut deletes = [&pr2, &pr4].map(|d| format!("DELETE {DO_DIGESTS}{d}"));
    deletes.sort();

    // A dry run: both pages read, the same selection, no DELETE, no garbage collection.
    let mut inputs = base.to_vec();
    inputs.extend([("push", "false"), ("retention-gc", "true")]);
    let (code, log, results) = step(&inputs, &env);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(names(&results[0]["deleted"]), ["pr-2", "pr-4"], "{log}");
    assert_eq!(calls(&stub.take()), pages);
    assert_only_masked(&log, DO_TOKEN);
    // `pr-1` is on the kept index's platform manifest, the signature is the kept image's.
    let skipped: Vec<(&str, &str)> = results[0]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["tag"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    let mut skipped_tags: Vec<&str> = skipped.iter().map(|(t, _)| *t).collect();
    skipped_tags.sort_unstable();
    let sig_tag = cosign(&latest);
    let mut expected_skipped = [sig_tag.as_str(), "pr-1"];
    expected_skipped.sort_unstable();
    assert_eq!(skipped_tags, expected_skipped, "{results}");
    for (tag, reason) in &skipped {
        let want = if *tag == "pr-1" {
            "needed by a kept tag"
        } else {
            "cosign tag of a kept image"
        };
        assert!(reason.contains(want), "{tag}: {reason}");
    }

    // Over the cap (two digests, at most one): nothing deleted, the step fails.
    let mut inputs = base.to_vec();
    inputs.push(("retention-max-deletes", "1"));
    let (code, log, results) = step(&inputs, &env);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        results[0]["error"]
            .as_str()
            .unwrap()
            .contains("would delete 2"),
        "{results}"
    );
    assert_eq!(calls(&stub.take()), pages);

    // Deleting, without `retention-gc`: exactly the two old single-platform manifests, by
    // digest; never `latest`'s index, its platform or attestation manifests, nor the signature.
    let (code, log, results) = step(&base, &env);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(names(&results[0]["deleted"]), ["pr-2", "pr-4"]);
    assert_eq!(results[0]["dry-run"], false);
    let seen = stub.take();
    let mut got = calls(&seen);
    assert_eq!(got[..2], pages);
    got[2..].sort();
    assert_eq!(got[2..], deletes, "{log}");
    for d in kids.iter().chain([&latest, &sig, &pr3]) {
        assert!(!got.iter().any(|c| c.contains(d.as_str())), "{d}: {got:?}");
    }
    assert!(
        seen.iter()
            .all(|s| s.authorization == format!("Bearer {DO_TOKEN}")),
        "{seen:?}"
    );
    assert!(
        log.contains(&format!("retention {image}: deleting `pr-2` ({pr2})")),
        "{log}"
    );

    // With `retention-gc: true`: `unreferenced blobs only` (never `untagged manifests`, which
    // would reach every multi-arch image's platform manifests), once, after the deletions.
    let mut inputs = base.to_vec();
    inputs.push(("retention-gc", "true"));
    let (code, log, _) = step(&inputs, &env);
    assert_eq!(code, Some(0), "{log}");
    let seen = stub.take();
    let got = calls(&seen);
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(
        got[2..4].iter().all(|c| c.starts_with("DELETE ")),
        "{got:?}"
    );
    assert_eq!(got[4], format!("POST {DO_GC}"));
    let gc: Json = serde_json::from_str(&seen[4].body).unwrap();
    assert_eq!(gc, json!({"type": "unreferenced blobs only"}));
    assert!(
        log.contains("garbage collection started: registry `myreg`, uuid eff0feee-49c7-4e8f-ba5c-a320c109c8a8"),
        "{log}"
    );
    drop(stub);

    // A garbage collection already running (409) is a warning, not a failure.
    let busy = do_stub(&listed, true);
    let url = busy.url();
    let (code, log, _) = step(
        &inputs,
        &[
            ("HOIST_DIGITALOCEAN_API_URL", url.as_str()),
            ("HOIST_DIGITALOCEAN_REGISTRY", host.as_str()),
        ],
    );
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("::warning") && log.contains("already running on registry `myreg`"),
        "{log}"
    );
    assert_eq!(
        calls(&busy.take()).last().unwrap(),
        &format!("POST {DO_GC}")
    );
}

#[test]
fn digitalocean_without_a_token_fails_naming_the_input_and_calls_nothing() {
    let stub = do_stub(&[], false);
    let url = stub.url();
    let (code, log, results) = step(
        &[
            ("images", "registry.digitalocean.com/myreg/team/app"),
            ("retention", "type=older-than,pattern=^pr-,age=30d"),
        ],
        &[("HOIST_DIGITALOCEAN_API_URL", url.as_str())],
    );
    assert_eq!(code, Some(1), "{log}");
    assert!(
        results[0]["error"]
            .as_str()
            .unwrap()
            .contains("needs the DigitalOcean API token"),
        "{results}"
    );
    assert!(stub.take().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Amazon ECR

/// The index `latest` and `v1` point to (its bytes are what `BatchGetImage` answers).
fn ecr_index() -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest('1'), "size": 500,
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest('2'), "size": 500,
             "platform": {"architecture": "arm64", "os": "linux"}}
        ]
    })
    .to_string()
}

/// One `imageDetails` entry.
/// Shape: <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html>
fn ecr_image(d: &str, tags: &[&str], pushed: i64, media_type: &str) -> Json {
    let mut v = json!({
        "registryId": "123456789012",
        "repositoryName": "team/app",
        "imageDigest": d,
        "imageSizeInBytes": 2_803_255,
        "imagePushedAt": pushed,
        "imageManifestMediaType": media_type,
    });
    if !tags.is_empty() {
        v["imageTags"] = json!(tags);
    }
    v
}

/// The ECR API stub: `GetAuthorizationToken` (the login a run makes for an ECR host),
/// `DescribeImages` in two pages (`nextToken`), `BatchGetImage` of the index, and
/// `BatchDeleteImage` answering `failures` for the tags in `refuse`.
fn ecr_stub(refuse: &'static [&'static str]) -> Stub {
    let index = ecr_index();
    let index_digest = hoist::plan::Digest::of(index.as_bytes()).to_string();
    Stub::start(Box::new(move |r: &Seen| {
        let op = r.amz_target.rsplit('.').next().unwrap_or_default();
        let body: Json = serde_json::from_str(&r.body).unwrap_or_default();
        let manifest = "application/vnd.oci.image.manifest.v1+json";
        let answer = match op {
            // <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html>
            "GetAuthorizationToken" => json!({"authorizationData": [{
                "authorizationToken": "QVdTOnJlZ2lzdHJ5LXBhc3N3b3Jk",
                "expiresAt": 1.7E9,
                "proxyEndpoint": format!("https://{ECR_HOST}")
            }]}),
            // <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html>
            "DescribeImages" if body.get("nextToken").is_none() => json!({
                "imageDetails": [
                    ecr_image(&index_digest, &["latest", "v1"], NOW - 60 * DAY, "application/vnd.oci.image.index.v1+json"),
                    ecr_image(&digest('1'), &[], NOW - 60 * DAY, manifest),
                    ecr_image(&digest('2'), &["arm-old"], NOW - 60 * DAY, manifest),
                ],
                "nextToken": "page-2-token"
            }),
            "DescribeImages" if body["nextToken"] == "page-2-token" => json!({
                "imageDetails": [
                    ecr_image(&digest('b'), &["pr-1"], NOW - 40 * DAY, manifest),
                    ecr_image(&digest('c'), &["pr-2"], NOW - 2 * DAY, manifest),
                ]
            }),
            // <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html>
            "BatchGetImage" => json!({
                "images": [{
                    "registryId": "123456789012",
                    "repositoryName": "team/app",
                    "imageId": {"imageDigest": index_digest},
                    "imageManifest": index,
                    "imageManifestMediaType": "application/vnd.oci.image.index.v1+json"
                }],
                "failures": []
            }),
            // <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html>
            "BatchDeleteImage" => {
                let tag = body["imageIds"][0]["imageTag"].as_str().unwrap_or_default();
                if refuse.contains(&tag) {
                    json!({"imageIds": [], "failures": [{
                        "imageId": {"imageTag": tag},
                        "failureCode": "ImageReferencedByManifestList",
                        "failureReason": "Requested image referenced by manifest list"
                    }]})
                } else {
                    json!({"imageIds": [{"imageTag": tag, "imageDigest": digest('b')}], "failures": []})
                }
            }
            _ => {
                return (
                    400,
                    json!({"__type": "UnknownOperationException"}).to_string(),
                );
            }
        };
        (200, answer.to_string())
    }))
}

fn ecr_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_ENDPOINT_URL_ECR", url.to_owned()),
    ]
}

fn ops(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| {
            let op = s.amz_target.rsplit('.').next().unwrap_or_default();
            let body: Json = serde_json::from_str(&s.body).unwrap_or_default();
            match op {
                "BatchDeleteImage" => {
                    format!("{op} {}", body["imageIds"][0]["imageTag"].as_str().unwrap())
                }
                "DescribeImages" => format!("{op} {}", body["nextToken"].as_str().unwrap_or("-")),
                _ => op.to_owned(),
            }
        })
        .collect()
}

#[test]
fn ecr_untags_the_selection_keeps_a_kept_index_s_children_and_follows_next_token() {
    let stub = ecr_stub(&[]);
    let env = ecr_env(&stub.url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let image = format!("{ECR_HOST}/team/app");
    let base = [
        ("images", image.as_str()),
        (
            "retention",
            "type=keep,pattern=^latest$\ntype=older-than,age=30d",
        ),
    ];
    let reads = [
        "GetAuthorizationToken",
        "DescribeImages -",
        "DescribeImages page-2-token",
        "BatchGetImage",
    ];

    // Dry run: every page and the index read, nothing untagged.
    let mut inputs = base.to_vec();
    inputs.push(("push", "false"));
    let (code, log, results) = step(&inputs, &env);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(names(&results[0]["deleted"]), ["pr-1", "v1"], "{log}");
    assert_eq!(ops(&stub.take()), reads);

    // `v1` shares `latest`'s index: untagged (ECR keeps the index for `latest`); `arm-old` is
    // the kept index's arm64 image: kept and reported; `pr-2` is recent.
    let mut inputs = base.to_vec();
    inputs.push(("retention-gc", "true"));
    let (code, log, results) = step(&inputs, &env);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(names(&results[0]["deleted"]), ["pr-1", "v1"]);
    assert_eq!(names(&results[0]["skipped"]), ["arm-old"]);
    assert!(
        results[0]["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("needed by a kept tag"),
        "{results}"
    );
    let seen = stub.take();
    let mut expected: Vec<String> = reads.iter().map(|s| (*s).to_owned()).collect();
    expected.extend([
        "BatchDeleteImage pr-1".to_owned(),
        "BatchDeleteImage v1".to_owned(),
    ]);
    assert_eq!(ops(&seen), expected, "no call for `retention-gc` on ECR");
    let delete: Json = serde_json::from_str(&seen[4].body).unwrap();
    assert_eq!(
        delete,
        json!({"registryId": "123456789012", "repositoryName": "team/app", "imageIds": [{"imageTag": "pr-1"}]})
    );
    let get: Json = serde_json::from_str(&seen[3].body).unwrap();
    assert_eq!(
        get["imageIds"].as_array().unwrap().len(),
        1,
        "only the tagged index is read"
    );
    for s in &seen {
        assert!(
            s.authorization
                .starts_with(&format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/"))
                && s.authorization.contains("/eu-west-3/ecr/aws4_request")
                && s.amz_target
                    .starts_with("AmazonEC2ContainerRegistry_V20150921."),
            "{s:?}"
        );
        assert_eq!(s.method, "POST");
    }
    assert!(
        log.contains("::warning") && log.contains("`retention-gc` does nothing on ECR"),
        "{log}"
    );
    assert_only_masked(&log, SECRET_KEY);
}

#[test]
fn ecr_failures_are_errors_naming_the_tag() {
    let stub = ecr_stub(&["pr-1"]);
    let env = ecr_env(&stub.url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let image = format!("{ECR_HOST}/team/app");
    let (code, log, results) = step(
        &[
            ("images", image.as_str()),
            ("retention", "type=older-than,pattern=^pr-,age=30d"),
        ],
        &env,
    );
    assert_eq!(code, Some(1), "{log}");
    let error = results[0]["error"].as_str().unwrap();
    assert!(
        error.contains("BatchDeleteImage")
            && error.contains("tag `pr-1`: `ImageReferencedByManifestList`"),
        "{error}"
    );
    assert!(ops(&stub.take()).contains(&"BatchDeleteImage pr-1".to_owned()));
}
