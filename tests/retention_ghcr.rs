//! GHCR retention (issue 14) end to end, with loopback stand-ins for what cannot run here: a
//! GitHub Packages API stub serving the documented response shapes (versions = digests with
//! their tags, paginated through `Link`), and a real distribution registry holding the same
//! manifests, named as a GHCR host through `HOIST_GHCR_REGISTRY` (the registry hoist reads the
//! manifest graph from). The step runs as on a runner, without `source` (scheduled cleanup).
//!
//! Asserted: the token in `Authorization` on every API call, every page followed, exactly the
//! expected `DELETE`s (never an untagged version, never a kept index's platform image, nor a
//! cosign tag of a kept image), none in a dry run or over the cap, the org → user fallback, and
//! the 403 and 404 texts with their hints.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use support::pusher::Pusher;
use support::registry::{Kind, Registry};
use support::step::TOKEN;

/// "now" for the age rules (`SOURCE_DATE_EPOCH`): 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000;
const DAY: i64 = 86_400;
/// Versions per page the stub serves (GitHub's is `per_page`, up to 100; smaller pages make the
/// pagination visible with a dozen versions).
const PAGE: usize = 5;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// One version the Packages API stub lists.
#[derive(Clone)]
struct Version {
    id: u64,
    digest: String,
    tags: Vec<String>,
    created: i64,
}

/// The shape of "List package versions for a package owned by an organization":
/// <https://docs.github.com/en/rest/packages/packages#list-package-versions-for-a-package-owned-by-an-organization>
/// (`name` is the manifest digest, `metadata.container.tags` its tags).
fn version_json(owner_path: &str, package: &str, v: &Version) -> Json {
    json!({
        "id": v.id,
        "name": v.digest,
        "url": format!("https://api.github.com/{owner_path}/packages/container/{package}/versions/{}", v.id),
        "package_html_url": format!("https://github.com/{owner_path}/packages/container/package/{package}"),
        "created_at": iso(v.created),
        "updated_at": iso(v.created),
        "html_url": format!("https://github.com/{owner_path}/packages/container/{package}/{}", v.id),
        "metadata": {"package_type": "container", "container": {"tags": v.tags}}
    })
}

/// A request the stub received.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    method: String,
    /// Path and query, as sent (percent-encoding kept).
    target: String,
    authorization: Option<String>,
}

/// What one package answers: its namespace (`orgs/x` or `users/x`), its name as in the path,
/// its versions, and the status its deletes get.
#[derive(Clone)]
struct Served {
    owner_path: String,
    package: String,
    versions: Vec<Version>,
    delete_status: u16,
}

/// The GitHub API stub: `GET /repos/o/app` (the metadata read), the packages below, 404 for
/// the rest (GitHub's 404 body). One request per connection; stops on drop or after 5 minutes.
struct PackagesStub {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PackagesStub {
    fn start(served: Vec<Served>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(300);
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65_536 {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let mut lines = head.split("\r\n");
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_owned();
                let target = first.next().unwrap_or_default().to_owned();
                let authorization = lines
                    .take_while(|l| !l.is_empty())
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v.trim().to_owned());
                let (status, link, body) = route(&served, &method, &target, addr);
                seen2.lock().unwrap().push(Seen {
                    method,
                    target,
                    authorization,
                });
                let mut resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                if let Some(link) = link {
                    resp.push_str("Link: ");
                    resp.push_str(&link);
                    resp.push_str("\r\n");
                }
                resp.push_str("\r\n");
                resp.push_str(&body);
                let _ = s.write_all(resp.as_bytes());
            }
        });
        Self {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }

    fn deletes(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == "DELETE")
            .map(|s| s.target)
            .collect()
    }
}

impl Drop for PackagesStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn not_found() -> String {
    json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/packages/packages", "status": "404"}).to_string()
}

fn route(
    served: &[Served],
    method: &str,
    target: &str,
    addr: std::net::SocketAddr,
) -> (u16, Option<String>, String) {
    if method == "GET" && target == "/repos/o/app" {
        let repo = json!({
            "id": 1, "name": "app", "full_name": "o/app", "description": "test",
            "html_url": "https://github.com/o/app", "default_branch": "main",
            "license": {"key": "mit", "name": "MIT", "spdx_id": "MIT"}, "owner": {"login": "o", "id": 1}
        });
        return (200, None, repo.to_string());
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    for (n, p) in served.iter().enumerate() {
        let listing = format!(
            "/{}/packages/container/{}/versions",
            p.owner_path, p.package
        );
        // GitHub's next links name the owner by id (`/organizations/<id>/…`): absolute, same origin.
        let by_id = format!(
            "/organizations/{}/packages/container/{}/versions",
            4200 + n,
            p.package
        );
        if method == "GET" && (path == listing || path == by_id) {
            let page: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .map_or(1, |v| v.parse().unwrap());
            let items: Vec<Json> = p
                .versions
                .iter()
                .skip((page - 1) * PAGE)
                .take(PAGE)
                .map(|v| version_json(&p.owner_path, &p.package, v))
                .collect();
            let pages = p.versions.len().div_ceil(PAGE);
            let link = (page < pages).then(|| {
                format!(
                    "<http://{addr}{by_id}?per_page=100&page={}>; rel=\"next\", <http://{addr}{by_id}?per_page=100&page={pages}>; rel=\"last\"",
                    page + 1
                )
            });
            return (200, link, Json::Array(items).to_string());
        }
        if method == "DELETE"
            && let Some(id) = path.strip_prefix(&format!("{listing}/"))
        {
            if !p.versions.iter().any(|v| v.id.to_string() == id) {
                return (404, None, not_found());
            }
            return match p.delete_status {
                204 => (204, None, String::new()),
                status => (
                    status,
                    None,
                    json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/packages/packages#delete-package-version-for-an-organization", "status": status.to_string()}).to_string(),
                ),
            };
        }
    }
    (404, None, not_found())
}

/// Runs the action as a runner step at [`NOW`] against the stub, with `host` named a GHCR host.
fn step(api: &PackagesStub, host: &str, inputs: &[(&str, &str)]) -> (Option<i32>, String, Json) {
    let mut step = support::step::Step::push("refs/heads/main", support::github::APP_SHA)
        .env("HOIST_GHCR_REGISTRY", host);
    step.repository = Some("o/app".to_owned());
    step.epoch = NOW.to_string();
    for (k, v) in inputs {
        step = step.input(k, v);
    }
    let run = step.run(
        std::path::Path::new(env!("CARGO_BIN_EXE_hoist")),
        &api.url(),
    );
    run.assert_no_panic();
    run.assert_masked(TOKEN);
    let results = run
        .outputs()
        .into_iter()
        .find(|(k, _)| k == "retention-results")
        .map_or(Json::Null, |(_, v)| serde_json::from_str(&v).unwrap());
    let log = format!(
        "{}\n--- job summary ---\n{}",
        run.transcript(),
        run.summary_text
    );
    (run.code(), log, results)
}

fn tags(v: &Json) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["tag"].as_str().unwrap())
        .collect()
}

fn cosign(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

const POLICY: &str = "\
type=keep,pattern=^latest$
type=keep-last,pattern=^v\\d+\\.\\d+\\.\\d+$,count=1
type=older-than,pattern=^pr-\\d+$,age=30d
type=older-than,pattern=(-amd64|\\.sig)$,age=1d
";

#[test]
fn ghcr_versions_are_paged_and_deleted_by_id_sparing_untagged_children_and_what_kept_tags_need() {
    let reg = Registry::start(&Kind::Anonymous);
    let host = reg.host();
    let pusher = Pusher::new(&host, "octo-org/app");
    let (v1, v1_kids, v0, v0_kids, pr1, pr2, sig1, sig_pr1) = rt().block_on(async {
        let (v1, v1_kids) = pusher.multi_arch("v1.0.0", "v1").await;
        pusher.retag(&v1_kids[0], "v1.0.0-amd64").await;
        let (v0, v0_kids) = pusher.multi_arch("v0.9.0", "v0").await;
        let pr1 = pusher.image("pr-1", "pr-1", "amd64").await.0;
        let pr2 = pusher.image("pr-2", "pr-2", "amd64").await.0;
        let sig1 = pusher.image(&cosign(&v1), "sig-v1", "amd64").await.0;
        let sig_pr1 = pusher.image(&cosign(&pr1), "sig-pr1", "amd64").await.0;
        (v1, v1_kids, v0, v0_kids, pr1, pr2, sig1, sig_pr1)
    });
    let old = NOW - 10 * DAY;
    let version = |id, digest: &str, tags: &[&str], created| Version {
        id,
        digest: digest.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        created,
    };
    // As GHCR lists a buildx push: the index tagged, platform images and attestations untagged.
    let versions = vec![
        version(101, &v1, &["v1.0.0", "latest"], old),
        version(102, &v1_kids[0], &["v1.0.0-amd64"], old),
        version(103, &v1_kids[1], &[], old),
        version(104, &v1_kids[2], &[], old),
        version(105, &v0, &["v0.9.0"], old),
        version(106, &v0_kids[0], &[], old),
        version(107, &v0_kids[1], &[], old),
        version(108, &v0_kids[2], &[], old),
        version(109, &pr1, &["pr-1"], NOW - 40 * DAY),
        version(110, &pr2, &["pr-2"], NOW - 2 * DAY),
        version(111, &sig1, &[&cosign(&v1)], old),
        version(112, &sig_pr1, &[&cosign(&pr1)], old),
    ];
    let api = PackagesStub::start(vec![Served {
        owner_path: "orgs/octo-org".to_owned(),
        package: "app".to_owned(),
        versions,
        delete_status: 204,
    }]);
    let image = format!("{host}/octo-org/app");
    let base = [
        ("images", image.as_str()),
        ("tags", "type=raw,value=unused"),
        ("insecure-registries", host.as_str()),
        ("retention", POLICY),
    ];
    let pages = [
        "/orgs/octo-org/packages/container/app/versions?per_page=100".to_owned(),
        "/organizations/4200/packages/container/app/versions?per_page=100&page=2".to_owned(),
        "/organizations/4200/packages/container/app/versions?per_page=100&page=3".to_owned(),
    ];
    let expected_deleted = ["pr-1".to_owned(), cosign(&pr1), "v0.9.0".to_owned()];
    let mut expected_skipped = vec![cosign(&v1), "v1.0.0-amd64".to_owned()];
    expected_skipped.sort();

    // A dry run: the same selection, every page read with the token, nothing deleted.
    let mut dry = base.to_vec();
    dry.push(("push", "false"));
    let (code, log, results) = step(&api, &host, &dry);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(results[0]["dry-run"], true, "{log}");
    assert_eq!(tags(&results[0]["deleted"]), expected_deleted, "{log}");
    assert_eq!(tags(&results[0]["skipped"]), expected_skipped, "{log}");
    let packages: Vec<Seen> = api
        .seen()
        .into_iter()
        .filter(|s| s.target.contains("/packages/"))
        .collect();
    assert_eq!(
        packages
            .iter()
            .map(|s| s.target.clone())
            .collect::<Vec<_>>(),
        pages,
        "{log}"
    );
    assert!(
        packages
            .iter()
            .all(|s| s.method == "GET"
                && s.authorization.as_deref() == Some(&format!("token {TOKEN}"))),
        "{packages:?}"
    );
    let skipped: BTreeMap<&str, &str> = results[0]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["tag"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert!(
        skipped["v1.0.0-amd64"].contains("needed by a kept tag"),
        "{skipped:?}"
    );
    assert_eq!(skipped[cosign(&v1).as_str()], "cosign tag of a kept image");

    // Over the cap (three versions to delete, at most two): nothing deleted.
    api.clear();
    let mut capped = base.to_vec();
    capped.push(("retention-max-deletes", "2"));
    let (code, log, _) = step(&api, &host, &capped);
    assert_ne!(code, Some(0), "{log}");
    assert!(log.contains("retention-max-deletes"), "{log}");
    assert_eq!(api.deletes(), Vec::<String>::new(), "{log}");

    // The real run: exactly the three versions, by id, with the token.
    api.clear();
    let (code, log, results) = step(&api, &host, &base);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(results[0]["dry-run"], false);
    assert_eq!(tags(&results[0]["deleted"]), expected_deleted, "{log}");
    let mut deletes = api.deletes();
    deletes.sort();
    assert_eq!(
        deletes,
        [105, 109, 112].map(|id| format!("/orgs/octo-org/packages/container/app/versions/{id}")),
        "{log}"
    );
    assert!(
        api.seen()
            .iter()
            .filter(|s| s.target.contains("/packages/"))
            .all(|s| s.authorization.as_deref() == Some(&format!("token {TOKEN}"))),
        "{:?}",
        api.seen()
    );
    assert!(
        log.contains(&format!("retention {image}: deleting `v0.9.0` ({v0})")),
        "{log}"
    );
}

#[test]
fn user_packages_are_found_after_the_org_404_and_refusals_and_missing_packages_say_why() {
    let reg = Registry::start(&Kind::Anonymous);
    let host = reg.host();
    let pusher = Pusher::new(&host, "octocat/tool/cli");
    let old = rt().block_on(pusher.image("old", "old", "amd64")).0;
    let api = PackagesStub::start(vec![Served {
        owner_path: "users/octocat".to_owned(),
        // `tool/cli` as one path segment.
        package: "tool%2Fcli".to_owned(),
        versions: vec![Version {
            id: 7,
            digest: old,
            tags: vec!["old".to_owned()],
            created: NOW - 90 * DAY,
        }],
        delete_status: 403,
    }]);
    let images = format!("{host}/octocat/tool/cli\n{host}/nobody/gone");
    let (code, log, results) = step(
        &api,
        &host,
        &[
            ("images", images.as_str()),
            ("tags", "type=raw,value=unused"),
            ("insecure-registries", host.as_str()),
            ("retention", "type=older-than,pattern=^old$,age=30d"),
        ],
    );
    assert_ne!(code, Some(0), "{log}");
    let lines: Vec<String> = api
        .seen()
        .into_iter()
        .filter(|s| s.target.contains("/packages/"))
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    assert_eq!(
        lines,
        [
            "GET /orgs/octocat/packages/container/tool%2Fcli/versions?per_page=100",
            "GET /users/octocat/packages/container/tool%2Fcli/versions?per_page=100",
            "DELETE /users/octocat/packages/container/tool%2Fcli/versions/7",
            "GET /orgs/nobody/packages/container/gone/versions?per_page=100",
            "GET /users/nobody/packages/container/gone/versions?per_page=100",
        ],
        "{log}"
    );
    let refused = results[0]["error"].as_str().unwrap();
    assert!(refused.contains("HTTP 403"), "{refused}");
    assert!(
        refused.contains("permissions: packages: write"),
        "{refused}"
    );
    assert!(refused.contains("Admin role"), "{refused}");
    let missing = results[1]["error"].as_str().unwrap();
    assert!(
        missing.contains("the container package `gone` of `nobody` was not found"),
        "{missing}"
    );
}
