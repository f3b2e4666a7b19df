//! Retention (issue 14) through Docker Hub's tag API and Quay's REST API, end to end: the
//! binary runs as a scheduled cleanup step (`source` empty) against loopback stubs serving the
//! answers those APIs document (`HOIST_DOCKER_HUB_API_URL`, `HOIST_QUAY_API_URL`). Each stub
//! records every request (method, path and query, `Authorization`, body), so the tests assert the
//! login and its credentials, that every page was read, the exact untag calls (nothing a kept
//! tag needs: a kept index's platform images, the cosign tags of kept images), that the dry run
//! selects the same and calls no `DELETE`, the cap, and that no secret is printed.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::sync::{Arc, Mutex};

use serde_json::{Value as Json, json};
use support::api_stub::{ApiStub as Stub, Seen};

/// "Now" (`SOURCE_DATE_EPOCH`): 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000;
const DAY: i64 = 86_400;

const HUB_USER: &str = "hubuser";
const HUB_PAT: &str = "dckr_pat_hoistTestSecret0123";
/// The access token the Hub stub hands out.
const HUB_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.hub-access-token.sig42";
const QUAY_TOKEN: &str = "quayOAuthTokenHoistTest0123456789";

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn hex(d: &str) -> &str {
    d.strip_prefix("sha256:").unwrap()
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The repository both stubs hold: `(tag, digest, pushed, platform images)`.
///
/// * `latest` is a two-platform index (`a`: children `b`, `c`), kept by the policy;
/// * `pr-1` shares `latest`'s digest: selected, untagged alone (the index stays tagged);
/// * `pr-2` (`d`) is old and alone: untagged, and so is its cosign signature;
/// * `pr-3` is recent: kept; `pr-4` points to `latest`'s arm64 image: selected but kept;
/// * the cosign signature of `latest` and the attestation of its amd64 image: selected, kept;
/// * `main`: no rule selects it.
fn repository() -> Vec<(String, String, i64, Vec<String>)> {
    let old = NOW - 90 * DAY;
    vec![
        (
            "latest".into(),
            digest('a'),
            old,
            vec![digest('b'), digest('c')],
        ),
        ("main".into(), digest('e'), old, vec![]),
        (
            "pr-1".into(),
            digest('a'),
            NOW - 40 * DAY,
            vec![digest('b'), digest('c')],
        ),
        ("pr-2".into(), digest('d'), NOW - 40 * DAY, vec![]),
        ("pr-3".into(), digest('f'), NOW - 2 * DAY, vec![]),
        ("pr-4".into(), digest('c'), NOW - 40 * DAY, vec![]),
        (
            format!("sha256-{}.sig", hex(&digest('a'))),
            digest('1'),
            old,
            vec![],
        ),
        (
            format!("sha256-{}.att", hex(&digest('b'))),
            digest('2'),
            old,
            vec![],
        ),
        (
            format!("sha256-{}.sig", hex(&digest('d'))),
            digest('3'),
            old,
            vec![],
        ),
    ]
}

const POLICY: &str = "\
type=keep,pattern=^latest$
# old pull-request builds and their signatures
type=older-than,pattern=^(pr-\\d+|sha256-.*)$,age=30d
";

/// What the policy untags, in tag order.
fn expected_deletes() -> Vec<String> {
    vec![
        "pr-1".to_owned(),
        "pr-2".to_owned(),
        format!("sha256-{}.sig", hex(&digest('d'))),
    ]
}

/// Tags per page the Hub stub serves (the client asks for 100; the API may serve fewer).
const HUB_PAGE: usize = 4;

/// One tag as Docker Hub's `ListRepositoryTags` answers it
/// (<https://docs.docker.com/reference/api/hub/latest/schemas/paginated_tags/>; `digest` on the
/// tag and its images as the live API and docker/hub-tool's `hubTagResult` have them).
fn hub_tag(name: &str, d: &str, pushed: i64, images: &[String]) -> Json {
    let images: Vec<Json> = if images.is_empty() {
        vec![
            json!({"architecture": "amd64", "features": "", "variant": null, "digest": d,
                    "os": "linux", "os_features": "", "os_version": null, "size": 1234,
                    "status": "active", "last_pulled": null, "last_pushed": iso(pushed)}),
        ]
    } else {
        images
            .iter()
            .zip(["amd64", "arm64"])
            .map(|(i, arch)| {
                json!({"architecture": arch, "features": "", "variant": null, "digest": i,
                       "os": "linux", "os_features": "", "os_version": null, "size": 1234,
                       "status": "active", "last_pulled": null, "last_pushed": iso(pushed)})
            })
            .collect()
    };
    json!({
        "creator": 7, "id": 1, "images": images, "last_updated": iso(pushed),
        "last_updater": 7, "last_updater_username": HUB_USER, "name": name, "repository": 9,
        "full_size": 2468, "v2": true, "tag_status": "active", "tag_last_pulled": null,
        "tag_last_pushed": iso(pushed),
        "media_type": if images.len() > 1 { "application/vnd.oci.image.index.v1+json" } else { "application/vnd.oci.image.manifest.v1+json" },
        "content_type": "image", "digest": d,
    })
}

/// The Docker Hub stub: `POST /v2/auth/token`, the paginated tag list (`next` absolute, as
/// Docker Hub writes it), `DELETE /v2/repositories/{ns}/{repo}/tags/{tag}/`. `next_host`
/// replaces the host of `next` links (a hostile answer).
fn hub_stub(next_host: Option<&'static str>) -> Stub {
    let addr_cell: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    let cell = Arc::clone(&addr_cell);
    let stub = Stub::start(Box::new(move |req: &Seen| {
        let base = next_host.map_or_else(|| cell.lock().unwrap().clone(), str::to_owned);
        let bearer = format!("Bearer {HUB_TOKEN}");
        if req.method == "POST" && req.target == "/v2/auth/token" {
            let body: Json = serde_json::from_str(&req.body).unwrap_or(Json::Null);
            return if body["identifier"] == HUB_USER && body["secret"] == HUB_PAT {
                (200, json!({"access_token": HUB_TOKEN}).to_string())
            } else {
                (
                    401,
                    json!({"detail": "Incorrect authentication credentials"}).to_string(),
                )
            };
        }
        if req.authorization != bearer {
            return (
                401,
                json!({"detail": "authentication required"}).to_string(),
            );
        }
        let list = "/v2/namespaces/owner/repositories/app/tags";
        if req.method == "GET" && req.target.starts_with(list) {
            let page: usize = req
                .target
                .split(['?', '&'])
                .find_map(|p| p.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let all = repository();
            let chunk: Vec<Json> = all
                .iter()
                .skip((page - 1) * HUB_PAGE)
                .take(HUB_PAGE)
                .map(|(n, d, t, i)| hub_tag(n, d, *t, i))
                .collect();
            let more = page * HUB_PAGE < all.len();
            let next = more.then(|| format!("{base}{list}?page={}&page_size=100", page + 1));
            return (
                200,
                json!({"count": all.len(), "next": next, "previous": null, "results": chunk})
                    .to_string(),
            );
        }
        if req.method == "DELETE" {
            let tag = req
                .target
                .strip_prefix("/v2/repositories/owner/app/tags/")
                .and_then(|t| t.strip_suffix('/'));
            return match tag {
                Some(t) if repository().iter().any(|(n, ..)| n == t) => (204, String::new()),
                _ => (404, json!({"message": "tag not found"}).to_string()),
            };
        }
        (404, json!({"message": "not found"}).to_string())
    }));
    *addr_cell.lock().unwrap() = stub.url();
    stub
}

/// The step's outcome: exit code, transcript, `retention-results`, and the run itself.
struct Outcome {
    code: Option<i32>,
    log: String,
    results: Json,
    run: support::step::StepRun,
}

fn step(inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Outcome {
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
    step.env = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
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
    Outcome {
        code: run.code(),
        log: run.transcript(),
        results,
        run,
    }
}

fn names(v: &Json) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["tag"].as_str().unwrap().to_owned())
        .collect()
}

fn hub_auth() -> String {
    format!("- registry: docker.io\n  username: {HUB_USER}\n  password: {HUB_PAT}\n")
}

fn hub_inputs<'a>(auth: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut inputs = vec![
        ("images", "docker.io/owner/app"),
        ("registry-auth", auth),
        ("retention", POLICY),
    ];
    inputs.extend_from_slice(extra);
    inputs
}

fn deletes(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.target.clone())
        .collect()
}

#[test]
fn docker_hub_logs_in_reads_every_page_and_untags_only_what_no_kept_image_needs() {
    let hub = hub_stub(None);
    let url = hub.url();
    let auth = hub_auth();
    let out = step(
        &hub_inputs(&auth, &[]),
        &[("HOIST_DOCKER_HUB_API_URL", url.as_str())],
    );
    assert_eq!(out.code, Some(0), "{}", out.log);
    let seen = hub.seen();

    // One login, with the Docker Hub user and token in the documented body, and no bearer.
    let logins: Vec<&Seen> = seen
        .iter()
        .filter(|r| r.target == "/v2/auth/token")
        .collect();
    assert_eq!(logins.len(), 1, "{seen:#?}");
    assert_eq!(logins[0].method, "POST");
    assert!(logins[0].authorization.is_empty());
    let body: Json = serde_json::from_str(&logins[0].body).unwrap();
    assert_eq!(body, json!({"identifier": HUB_USER, "secret": HUB_PAT}));
    // Every other call carries the access token, never the personal access token.
    for r in seen.iter().filter(|r| r.target != "/v2/auth/token") {
        assert_eq!(
            r.authorization,
            format!("Bearer {HUB_TOKEN}"),
            "{}",
            r.line()
        );
        assert!(!r.body.contains(HUB_PAT), "{}", r.line());
    }
    // Three pages: the first as hoist asks for it, then the `next` links.
    let gets: Vec<String> = seen
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        gets,
        [
            "/v2/namespaces/owner/repositories/app/tags?page_size=100",
            "/v2/namespaces/owner/repositories/app/tags?page=2&page_size=100",
            "/v2/namespaces/owner/repositories/app/tags?page=3&page_size=100",
        ]
    );
    // Exactly the untag calls of the plan, in tag order.
    let expected: Vec<String> = expected_deletes()
        .iter()
        .map(|t| format!("/v2/repositories/owner/app/tags/{t}/"))
        .collect();
    assert_eq!(deletes(&seen), expected);

    let r = &out.results[0];
    assert_eq!(r["registry"], "docker.io");
    assert_eq!(r["repository"], "owner/app");
    assert_eq!(r["dry-run"], false);
    assert_eq!(names(&r["deleted"]), expected_deletes());
    let mut skipped = names(&r["skipped"]);
    skipped.sort();
    let mut want_skipped = vec![
        "pr-4".to_owned(),
        format!("sha256-{}.att", hex(&digest('b'))),
        format!("sha256-{}.sig", hex(&digest('a'))),
    ];
    want_skipped.sort();
    assert_eq!(skipped, want_skipped, "{}", out.log);
    assert!(
        out.log
            .contains("retention docker.io/owner/app: deleting `pr-1` (sha256:aaaa"),
        "{}",
        out.log
    );
    // Both secrets are masked before anything else is printed, and never printed otherwise.
    assert!(out.run.stdout.contains(&format!("::add-mask::{HUB_TOKEN}")));
    out.run.assert_masked(HUB_TOKEN);
    out.run.assert_masked(HUB_PAT);
}

#[test]
fn docker_hub_dry_run_selects_the_same_and_deletes_nothing() {
    let hub = hub_stub(None);
    let url = hub.url();
    let auth = hub_auth();
    let out = step(
        &hub_inputs(&auth, &[("push", "false")]),
        &[("HOIST_DOCKER_HUB_API_URL", url.as_str())],
    );
    assert_eq!(out.code, Some(0), "{}", out.log);
    assert!(deletes(&hub.seen()).is_empty(), "{:#?}", hub.seen());
    assert_eq!(out.results[0]["dry-run"], true);
    assert_eq!(names(&out.results[0]["deleted"]), expected_deletes());
    assert!(
        out.log
            .contains("retention docker.io/owner/app: would delete `pr-2`"),
        "{}",
        out.log
    );
}

#[test]
fn docker_hub_over_the_cap_deletes_nothing_and_fails() {
    let hub = hub_stub(None);
    let url = hub.url();
    let auth = hub_auth();
    let out = step(
        &hub_inputs(&auth, &[("retention-max-deletes", "2")]),
        &[("HOIST_DOCKER_HUB_API_URL", url.as_str())],
    );
    assert_eq!(out.code, Some(1), "{}", out.log);
    assert!(deletes(&hub.seen()).is_empty(), "{:#?}", hub.seen());
    let error = out.results[0]["error"].as_str().unwrap();
    assert!(
        error.contains("would delete 3") && error.contains("`retention-max-deletes` (2)"),
        "{error}"
    );
}

#[test]
fn docker_hub_refusals_stop_before_any_delete_without_printing_a_secret() {
    // A `next` link to another host: refused, the token never goes there.
    let hub = hub_stub(Some("http://127.0.0.2:9"));
    let url = hub.url();
    let auth = hub_auth();
    let out = step(
        &hub_inputs(&auth, &[]),
        &[("HOIST_DOCKER_HUB_API_URL", url.as_str())],
    );
    assert_eq!(out.code, Some(1), "{}", out.log);
    assert!(deletes(&hub.seen()).is_empty());
    let error = out.results[0]["error"].as_str().unwrap();
    assert!(error.contains("off its origin"), "{error}");

    // Wrong credentials: the login is refused with a hint, and the secret is not printed.
    let hub = hub_stub(None);
    let url = hub.url();
    let wrong = "- registry: docker.io\n  username: hubuser\n  password: wrong-secret-77\n";
    let out = step(
        &hub_inputs(wrong, &[]),
        &[("HOIST_DOCKER_HUB_API_URL", url.as_str())],
    );
    assert_eq!(out.code, Some(1), "{}", out.log);
    assert_eq!(hub.seen().len(), 1, "{:#?}", hub.seen());
    let error = out.results[0]["error"].as_str().unwrap();
    assert!(error.contains("refused the login of `hubuser`"), "{error}");
    out.run.assert_masked("wrong-secret-77");

    // No credentials for docker.io: refused before any call.
    let hub = hub_stub(None);
    let url = hub.url();
    let out = step(
        &[("images", "docker.io/owner/app"), ("retention", POLICY)],
        &[("HOIST_DOCKER_HUB_API_URL", url.as_str())],
    );
    assert_eq!(out.code, Some(1), "{}", out.log);
    assert!(hub.seen().is_empty());
    assert!(
        out.results[0]["error"]
            .as_str()
            .unwrap()
            .contains("registry-auth"),
        "{}",
        out.log
    );

    // A plain-http API off loopback is refused before any call.
    let out = step(
        &hub_inputs(&auth, &[]),
        &[("HOIST_DOCKER_HUB_API_URL", "http://hub.example")],
    );
    assert_eq!(out.code, Some(1), "{}", out.log);
    assert!(
        out.results[0]["error"]
            .as_str()
            .unwrap()
            .contains("HOIST_DOCKER_HUB_API_URL"),
        "{}",
        out.log
    );
}

/// Tags per page the Quay stub serves.
const QUAY_PAGE: usize = 5;

/// The Quay stub: `GET /api/v1/repository/{repo}/tag/` paginated with `page`/`has_additional`
/// (<https://docs.redhat.com/en/documentation/red_hat_quay/3/html/use_red_hat_quay/viewing-and-modifying-tags-api>),
/// `GET /api/v1/repository/{repo}/manifest/{digest}` (`manifest_data` as Quay's
/// `endpoints/api/manifest.py` writes it) and `DELETE /api/v1/repository/{repo}/tag/{tag}`.
fn quay_stub() -> Stub {
    Stub::start(Box::new(|req: &Seen| {
        if req.authorization != format!("Bearer {QUAY_TOKEN}") {
            return (
                401,
                json!({"error": "invalid_token", "detail": "no session"}).to_string(),
            );
        }
        let tags = "/api/v1/repository/owner/app/tag/";
        let all = repository();
        if req.method == "GET" && req.target.starts_with(tags) {
            let page: usize = req
                .target
                .split(['?', '&'])
                .find_map(|p| p.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let chunk: Vec<Json> = all
                .iter()
                .skip((page - 1) * QUAY_PAGE)
                .take(QUAY_PAGE)
                .map(|(n, d, t, i)| {
                    json!({"name": n, "reversion": false, "start_ts": t, "manifest_digest": d,
                           "is_manifest_list": !i.is_empty(), "size": 1234,
                           "last_modified": "Tue, 14 May 2024 14:48:51 -0000"})
                })
                .collect();
            return (
                200,
                json!({"tags": chunk, "page": page, "has_additional": page * QUAY_PAGE < all.len()})
                    .to_string(),
            );
        }
        let manifest = "/api/v1/repository/owner/app/manifest/";
        if req.method == "GET" && req.target.starts_with(manifest) {
            let d = &req.target[manifest.len()..];
            if let Some((_, _, _, kids)) = all.iter().find(|(_, x, _, k)| x == d && !k.is_empty()) {
                let data = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": kids.iter().map(|k| json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": k, "size": 500})).collect::<Vec<_>>()});
                return (
                    200,
                    json!({"digest": d, "is_manifest_list": true, "manifest_data": data.to_string(),
                           "config_media_type": null, "layers": null})
                    .to_string(),
                );
            }
            return (404, json!({"detail": "Not Found"}).to_string());
        }
        if req.method == "DELETE" {
            return match req.target.strip_prefix(tags) {
                Some(t) if all.iter().any(|(n, ..)| n == t) => (204, String::new()),
                _ => (404, json!({"detail": "Not Found"}).to_string()),
            };
        }
        (404, json!({"detail": "Not Found"}).to_string())
    }))
}

#[test]
fn quay_with_an_oauth_token_reads_every_page_and_the_index_and_untags_the_plan() {
    let quay = quay_stub();
    let url = quay.url();
    let auth = format!("- registry: quay.io\n  username: $oauthtoken\n  password: {QUAY_TOKEN}\n");
    let base = [
        ("images", "quay.io/owner/app"),
        ("registry-auth", auth.as_str()),
        ("retention", POLICY),
    ];
    let env = [("HOIST_QUAY_API_URL", url.as_str())];

    // The dry run first: the same selection, no DELETE.
    let mut dry = base.to_vec();
    dry.push(("push", "false"));
    let out = step(&dry, &env);
    assert_eq!(out.code, Some(0), "{}", out.log);
    assert!(deletes(&quay.seen()).is_empty());
    assert_eq!(names(&out.results[0]["deleted"]), expected_deletes());

    let before = quay.seen().len();
    let out = step(&base, &env);
    assert_eq!(out.code, Some(0), "{}", out.log);
    let seen: Vec<Seen> = quay.seen().split_off(before);
    for r in &seen {
        assert_eq!(
            r.authorization,
            format!("Bearer {QUAY_TOKEN}"),
            "{}",
            r.line()
        );
    }
    let lines: Vec<String> = seen
        .iter()
        .filter(|r| r.method == "GET")
        .map(Seen::line)
        .collect();
    assert_eq!(
        lines,
        [
            "GET /api/v1/repository/owner/app/tag/?onlyActiveTags=true&limit=100&page=1".to_owned(),
            "GET /api/v1/repository/owner/app/tag/?onlyActiveTags=true&limit=100&page=2".to_owned(),
            format!("GET /api/v1/repository/owner/app/manifest/{}", digest('a')),
        ]
    );
    let expected: Vec<String> = expected_deletes()
        .iter()
        .map(|t| format!("/api/v1/repository/owner/app/tag/{t}"))
        .collect();
    assert_eq!(deletes(&seen), expected);
    assert_eq!(names(&out.results[0]["deleted"]), expected_deletes());
    out.run.assert_masked(QUAY_TOKEN);
}
