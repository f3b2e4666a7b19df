//! Input `copy-referrers`: signatures, SBOMs and attestations promoted with a `docker://` image,
//! against real distribution 2.8 registries (no referrers API: the fallback tag index), a
//! loopback front serving the referrers API, and faults on the referrer copy under `atomic`.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value as Json, json};
use sha2::{Digest as _, Sha256};

use support::faults::{FAST_RETRIES, Fault, FaultProxy};
use support::images::write_layout;
use support::registry::{Kind, Registry};
use support::step::{Run, run_hoist, run_hoist_args};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY: &str = "application/vnd.oci.empty.v1+json";

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// One HTTP/1.1 request to a loopback registry (`Connection: close`, bounded by a timeout):
/// status and body.
fn http(host: &str, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: {MANIFEST}, {INDEX}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.take(16 << 20).read_to_end(&mut out).unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let status = head[9..12].parse().unwrap();
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("Location: ").map(str::to_owned));
    let body = out[end + 4..].to_vec();
    (status, location.map_or(body, String::into_bytes))
}

fn put_blob(host: &str, repo: &str, bytes: &[u8]) -> Json {
    let (status, location) = http(host, "POST", &format!("/v2/{repo}/blobs/uploads/"), "", b"");
    assert_eq!(status, 202);
    let location = String::from_utf8(location).unwrap();
    let path = location
        .split_once(&host.to_string())
        .map_or(location.as_str(), |(_, p)| p);
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, _) = http(
        host,
        "PUT",
        &format!("{path}{sep}digest={}", sha(bytes)),
        "application/octet-stream",
        bytes,
    );
    assert_eq!(status, 201, "blob upload");
    json!({"digest": sha(bytes), "size": bytes.len()})
}

fn put_manifest(host: &str, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
    let (status, body) = http(
        host,
        "PUT",
        &format!("/v2/{repo}/manifests/{reference}"),
        media_type,
        bytes,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
}

/// The raw manifest at `reference`, `None` on 404.
fn get_manifest(host: &str, repo: &str, reference: &str) -> Option<Vec<u8>> {
    let (status, body) = http(
        host,
        "GET",
        &format!("/v2/{repo}/manifests/{reference}"),
        "",
        b"",
    );
    match status {
        200 => Some(body),
        404 => None,
        s => panic!("GET {reference} on {host}: {s}"),
    }
}

/// An artifact manifest (empty config, one layer) referring to `subject`.
fn artifact(host: &str, repo: &str, artifact_type: &str, layer: &[u8], subject: &Json) -> Vec<u8> {
    let mut config = put_blob(host, repo, b"{}");
    config["mediaType"] = json!(EMPTY);
    let mut l = put_blob(host, repo, layer);
    l["mediaType"] = json!("application/octet-stream");
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "artifactType": artifact_type,
        "config": config,
        "layers": [l],
        "subject": subject,
    }))
    .unwrap()
}

fn descriptor(bytes: &[u8], artifact_type: &str) -> Json {
    json!({"mediaType": MANIFEST, "digest": sha(bytes), "size": bytes.len(), "artifactType": artifact_type})
}

/// Pushes `m` by digest and lists it in the fallback tag index of `subject`, as a client
/// writing referrers to a registry without the referrers API does.
fn put_referrer(
    host: &str,
    repo: &str,
    m: &[u8],
    subject: &str,
    artifact_type: &str,
    also: &[Json],
) {
    put_manifest(host, repo, &sha(m), MANIFEST, m);
    let mut manifests = also.to_vec();
    manifests.push(descriptor(m, artifact_type));
    let index = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}),
    )
    .unwrap();
    let tag = format!("sha256-{}", &subject[7..]);
    put_manifest(host, repo, &tag, INDEX, &index);
}

/// The source: an image at `team/app:1.0` (pushed by hoist from a layout), a cosign-style
/// signature at `sha256-<hex>.sig`, an SBOM with `subject` listed in the fallback tag index, and
/// a signature of the SBOM.
struct Source {
    root: String,
    sig: Vec<u8>,
    sbom: Vec<u8>,
    sbom_sig: Vec<u8>,
}

fn seed_source(src: &Registry) -> Source {
    let dir = tempfile::tempdir().unwrap();
    let root = write_layout(dir.path(), 11, false);
    let layout = format!("oci:{}", dir.path().display());
    let host = src.host();
    let seeded = run_hoist(&[
        ("images", &format!("{host}/team/app")),
        ("tags", "type=raw,value=1.0"),
        ("source", &layout),
        ("insecure-registries", &host),
    ]);
    assert_eq!(seeded.code, Some(0), "{}", seeded.stderr);
    let repo = "team/app";
    let root_bytes = get_manifest(&host, repo, &root).unwrap();
    let subject = json!({"mediaType": MANIFEST, "digest": root, "size": root_bytes.len()});
    // cosign's tag scheme: a manifest (no subject) at `sha256-<hex>.sig`.
    let mut config = put_blob(&host, repo, b"{}");
    config["mediaType"] = json!("application/vnd.oci.image.config.v1+json");
    let mut payload = put_blob(
        &host,
        repo,
        br#"{"critical":{"image":{"docker-manifest-digest":"x"}}}"#,
    );
    payload["mediaType"] = json!("application/vnd.dev.cosign.simplesigning.v1+json");
    payload["annotations"] = json!({"dev.cosignproject.cosign/signature": "MEUCIQ=="});
    let sig = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": [payload]}),
    )
    .unwrap();
    put_manifest(
        &host,
        repo,
        &format!("sha256-{}.sig", &root[7..]),
        MANIFEST,
        &sig,
    );
    let sbom = artifact(
        &host,
        repo,
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3"}"#,
        &subject,
    );
    put_referrer(&host, repo, &sbom, &root, "application/spdx+json", &[]);
    let sbom_subject = json!({"mediaType": MANIFEST, "digest": sha(&sbom), "size": sbom.len()});
    let sbom_sig = artifact(
        &host,
        repo,
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        b"bundle",
        &sbom_subject,
    );
    put_referrer(
        &host,
        repo,
        &sbom_sig,
        &sha(&sbom),
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        &[],
    );
    Source {
        root,
        sig,
        sbom,
        sbom_sig,
    }
}

fn promote(src: &Registry, dests: &[String], extra: &[&str]) -> Run {
    let images = dests
        .iter()
        .map(|d| format!("{d}/team/app"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut insecure = dests.to_vec();
    insecure.push(src.host());
    run_hoist_args(
        &[
            ("images", &images),
            ("tags", "type=raw,value=1.2.3"),
            ("source", &format!("docker://{}/team/app:1.0", src.host())),
            ("insecure-registries", &insecure.join("\n")),
        ],
        extra,
    )
}

/// The digests listed by the fallback tag index of `subject` on `host`.
fn fallback(host: &str, subject: &str) -> Option<Vec<String>> {
    let bytes = get_manifest(host, "team/app", &format!("sha256-{}", &subject[7..]))?;
    let index: Json = serde_json::from_slice(&bytes).unwrap();
    Some(
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["digest"].as_str().unwrap().to_owned())
            .collect(),
    )
}

#[test]
fn signatures_and_sboms_are_promoted_byte_for_byte_and_a_second_run_uploads_nothing() {
    let src = Registry::start(&Kind::Anonymous);
    let s = seed_source(&src);
    let d1 = Registry::start(&Kind::Anonymous);
    let d2 = Registry::start(&Kind::Anonymous);
    // d2 already holds another referrer of the image: the merged index must keep it.
    let other = artifact(
        &d2.host(),
        "team/app",
        "application/vnd.example+json",
        b"other",
        &json!({"mediaType": MANIFEST, "digest": s.root, "size": 1}),
    );
    put_referrer(
        &d2.host(),
        "team/app",
        &other,
        &s.root,
        "application/vnd.example+json",
        &[],
    );
    let dests = [d1.host(), d2.host()];

    let first = promote(&src, &dests, &[]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    assert!(
        first
            .stdout
            .contains("referrer: subject application/spdx+json"),
        "{}",
        first.stdout
    );
    for d in &dests {
        let root = get_manifest(d, "team/app", "1.2.3").unwrap();
        assert_eq!(sha(&root), s.root, "{d}");
        for m in [&s.sig, &s.sbom, &s.sbom_sig] {
            assert_eq!(
                get_manifest(d, "team/app", &sha(m)).as_deref(),
                Some(m.as_slice()),
                "{d}"
            );
        }
        assert_eq!(
            get_manifest(d, "team/app", &format!("sha256-{}.sig", &s.root[7..])).as_deref(),
            Some(s.sig.as_slice()),
            "{d}: the .sig tag resolves to the same bytes"
        );
        let index = fallback(d, &s.root).unwrap();
        assert!(index.contains(&sha(&s.sbom)), "{d}: {index:?}");
        assert_eq!(index.iter().filter(|x| **x == sha(&s.sbom)).count(), 1);
        assert_eq!(
            fallback(d, &sha(&s.sbom)).unwrap(),
            vec![sha(&s.sbom_sig)],
            "{d}"
        );
    }
    assert_eq!(
        fallback(&d2.host(), &s.root).unwrap(),
        vec![sha(&other), sha(&s.sbom)],
        "the existing referrer is kept, ours appended"
    );
    for t in first.results() {
        let r = &t["referrers"];
        assert_eq!(r["referrers-api"], false, "{t}");
        let copied = r["copied"].as_array().unwrap();
        assert_eq!(copied.len(), 3, "{t}");
        assert!(copied.iter().all(|c| c["pushed"] == true), "{t}");
        // The referrers' blobs are counted as content: image (config + 3 layers) + `{}` + 3
        // layers (a registry may already answer for the empty `{}` blob).
        let blobs =
            t["blobs"]["uploaded"].as_u64().unwrap() + t["blobs"]["existing"].as_u64().unwrap();
        assert_eq!(blobs, 4 + 1 + 3, "{t}");
    }

    assert!(
        first.summary.contains(
            "| Image | Referrers API | Referrers pushed / present | Fallback tags written |"
        ),
        "{}",
        first.summary
    );
    assert_eq!(
        first
            .summary
            .matches("| no (fallback tag) | 3 / 0 | 2 |")
            .count(),
        2,
        "{}",
        first.summary
    );

    let second = promote(&src, &dests, &[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    for t in second.results() {
        assert_eq!(t["blobs"]["uploaded"], 0, "{t}");
        let r = &t["referrers"];
        assert!(
            r["copied"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["pushed"] == false),
            "{t}"
        );
        assert_eq!(r["fallback-tags"], json!([]), "{t}");
    }
    assert_eq!(fallback(&d2.host(), &s.root).unwrap().len(), 2);

    // `copy-referrers: false` copies the image only.
    let d3 = Registry::start(&Kind::Anonymous);
    let plain = promote(&src, &[d3.host()], &["--copy-referrers", "false"]);
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(get_manifest(&d3.host(), "team/app", &sha(&s.sbom)).is_none());
    assert!(fallback(&d3.host(), &s.root).is_none());
    assert!(plain.results()[0].get("referrers").is_none());
}

#[test]
fn a_registry_serving_the_referrers_api_gets_them_by_digest_and_no_fallback_tag() {
    let src = Registry::start(&Kind::Anonymous);
    let s = seed_source(&src);
    let d1 = Registry::start(&Kind::Anonymous);
    let d2 = Registry::start(&Kind::Anonymous);
    let front = FaultProxy::start(d1.port, |_, line| {
        if line.starts_with("GET /v2/team/app/referrers/") {
            Fault::EmptyIndex
        } else {
            Fault::Pass
        }
    });
    // d2 answers 405 for the route it does not know, as some registries do: no API there.
    let front2 = FaultProxy::start(d2.port, |_, line| {
        if line.starts_with("GET /v2/team/app/referrers/") {
            Fault::Status(405)
        } else {
            Fault::Pass
        }
    });
    let run = promote(&src, &[front.host(), front2.host()], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let results = run.results();
    assert_eq!(
        results[0]["referrers"]["referrers-api"], true,
        "{}",
        results[0]
    );
    assert_eq!(
        results[1]["referrers"]["referrers-api"], false,
        "{}",
        results[1]
    );
    for m in [&s.sig, &s.sbom, &s.sbom_sig] {
        assert_eq!(
            get_manifest(&d1.host(), "team/app", &sha(m)).as_deref(),
            Some(m.as_slice())
        );
    }
    assert!(
        fallback(&d1.host(), &s.root).is_none(),
        "no fallback tag behind the API"
    );
    assert!(fallback(&d1.host(), &sha(&s.sbom)).is_none());
    assert!(fallback(&d2.host(), &s.root).is_some());
}

#[test]
fn a_source_failing_to_serve_a_referrer_moves_no_tag() {
    let src = Registry::start(&Kind::Anonymous);
    let s = seed_source(&src);
    let target = format!("GET /v2/team/app/manifests/{} ", sha(&s.sbom));
    let front = FaultProxy::start(src.port, move |_, line| {
        if line.starts_with(&target) {
            Fault::Status(400)
        } else {
            Fault::Pass
        }
    });
    let d1 = Registry::start(&Kind::Anonymous);
    let d2 = Registry::start(&Kind::Anonymous);
    let hosts = [d1.host(), d2.host()];
    let images = hosts
        .iter()
        .map(|d| format!("{d}/team/app"))
        .collect::<Vec<_>>()
        .join("\n");
    let run = run_hoist_args(
        &[
            ("images", &images),
            ("tags", "type=raw,value=1.2.3"),
            ("source", &format!("docker://{}/team/app:1.0", front.host())),
            (
                "insecure-registries",
                &format!("{}\n{}", hosts.join("\n"), front.host()),
            ),
        ],
        &["--retry-pacing", FAST_RETRIES],
    );
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(run.stdout.contains(&sha(&s.sbom)), "{}", run.stdout);
    for d in &hosts {
        assert!(
            get_manifest(d, "team/app", "1.2.3").is_none(),
            "{d}: a tag moved"
        );
    }
}

#[test]
fn a_registry_refusing_a_referrer_moves_no_tag_anywhere_under_atomic() {
    let src = Registry::start(&Kind::Anonymous);
    let s = seed_source(&src);
    let sbom = sha(&s.sbom);
    for failing in 0..3 {
        let regs: Vec<Registry> = (0..3).map(|_| Registry::start(&Kind::Anonymous)).collect();
        let target = format!("PUT /v2/team/app/manifests/{sbom} ");
        let proxy = FaultProxy::start(regs[failing].port, move |_, line| {
            if line.starts_with(&target) {
                Fault::Status(400)
            } else {
                Fault::Pass
            }
        });
        let hosts: Vec<String> = regs
            .iter()
            .enumerate()
            .map(|(i, r)| if i == failing { proxy.host() } else { r.host() })
            .collect();
        let run = promote(&src, &hosts, &["--retry-pacing", FAST_RETRIES]);
        assert_ne!(run.code, Some(0), "registry {failing}: {}", run.stderr);
        let results = run.results();
        assert_eq!(results[failing]["status"], "failed", "{}", results[failing]);
        assert!(
            results[failing]["error"]["operation"]
                .as_str()
                .unwrap()
                .contains(&sbom),
            "{}",
            results[failing]
        );
        for r in &regs {
            assert!(
                get_manifest(&r.host(), "team/app", "1.2.3").is_none(),
                "registry {failing}: a tag moved"
            );
        }
    }
}

#[test]
fn an_oci_layout_pushes_the_manifests_whose_subject_is_the_image_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_layout(dir.path(), 13, false);
    let blob = |bytes: &[u8]| {
        std::fs::write(
            dir.path().join("blobs/sha256").join(&sha(bytes)[7..]),
            bytes,
        )
        .unwrap();
        json!({"digest": sha(bytes), "size": bytes.len()})
    };
    let root_bytes = std::fs::read(dir.path().join("blobs/sha256").join(&root[7..])).unwrap();
    let mut config = blob(b"{}");
    config["mediaType"] = json!(EMPTY);
    let mut layer = blob(br#"{"spdxVersion":"SPDX-2.3"}"#);
    layer["mediaType"] = json!("application/spdx+json");
    let sbom = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "application/spdx+json",
        "config": config, "layers": [layer],
        "subject": {"mediaType": MANIFEST, "digest": root, "size": root_bytes.len()},
    }))
    .unwrap();
    blob(&sbom);
    let index_path = dir.path().join("index.json");
    let mut index: Json = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .push(descriptor(&sbom, "application/spdx+json"));
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let source = format!("oci:{}:latest", dir.path().display());

    let reg = Registry::start(&Kind::Anonymous);
    let host = reg.host();
    let inputs = |copy: Option<&'static str>| {
        let mut v = vec![
            ("images", format!("{host}/team/app")),
            ("tags", "type=raw,value=1.2.3".to_owned()),
            ("source", source.clone()),
            ("insecure-registries", host.clone()),
        ];
        if let Some(c) = copy {
            v.push(("copy-referrers", c.to_owned()));
        }
        v
    };
    let run = |v: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
        run_hoist(&refs)
    };
    // The default for a layout: the image only.
    let plain = run(inputs(None));
    assert_eq!(plain.code, Some(0), "{}", plain.stdout);
    assert!(get_manifest(&host, "team/app", &sha(&sbom)).is_none());
    assert!(plain.results()[0].get("referrers").is_none());

    let with = run(inputs(Some("true")));
    assert_eq!(with.code, Some(0), "{}", with.stdout);
    assert_eq!(
        get_manifest(&host, "team/app", &sha(&sbom)).as_deref(),
        Some(sbom.as_slice())
    );
    assert_eq!(fallback(&host, &root).unwrap(), vec![sha(&sbom)]);
    assert_eq!(
        get_manifest(&host, "team/app", "1.2.3").map(|b| sha(&b)),
        Some(root)
    );
}

#[test]
fn the_cli_json_reports_the_referrers_copied_and_the_detection() {
    let src = Registry::start(&Kind::Anonymous);
    let s = seed_source(&src);
    let dest = Registry::start(&Kind::Anonymous);
    let cwd = tempfile::tempdir().unwrap();
    let image = format!("{}/team/app", dest.host());
    let source = format!("docker://{}/team/app:1.0", src.host());
    let insecure = format!("{}\n{}", src.host(), dest.host());
    let out = support::cli::hoist(
        cwd.path(),
        &[] as &[(&str, &str)],
        &[
            "--images",
            &image,
            "--tags",
            "type=raw,value=1.2.3",
            "--source",
            &source,
            "--insecure-registries",
            &insecure,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let json: Json = serde_json::from_str(&out.stdout).unwrap();
    let r = &json["push-results"][0]["referrers"];
    assert_eq!(r["referrers-api"], false, "{json}");
    let copied: Vec<&str> = r["copied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["digest"].as_str().unwrap())
        .collect();
    assert_eq!(
        copied,
        vec![sha(&s.sbom), sha(&s.sig), sha(&s.sbom_sig)],
        "{json}"
    );
    assert!(
        out.stderr
            .contains("referrer: subject application/spdx+json"),
        "{}",
        out.stderr
    );
}
