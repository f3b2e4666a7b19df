//! Pushes test content straight through the distribution API (plain HTTP, anonymous): blobs,
//! manifests by tag or digest, one-layer images, buildx-style multi-arch indexes, retags. For
//! tests that need a repository in an exact shape (retention), not a push by hoist.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use serde_json::{Value as Json, json};

/// Pushes blobs and manifests straight through the distribution API (plain HTTP, anonymous).
pub struct Pusher {
    http: reqwest::Client,
    base: String,
    repo: String,
}

impl Pusher {
    pub fn new(host: &str, repo: &str) -> Self {
        // reqwest is built without a default crypto provider; hoist uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            http: reqwest::Client::new(),
            base: format!("http://{host}"),
            repo: repo.to_owned(),
        }
    }

    pub async fn blob(&self, bytes: &[u8]) -> String {
        let d = super::digest(bytes);
        let start = self
            .http
            .post(format!("{}/v2/{}/blobs/uploads/", self.base, self.repo))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 202, "upload start");
        let loc = start.headers()["location"].to_str().unwrap().to_owned();
        let url = if loc.starts_with("http") {
            loc
        } else {
            format!("{}{loc}", self.base)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let put = self
            .http
            .put(format!("{url}{sep}digest={d}"))
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "blob put");
        d
    }

    /// Puts a manifest under `reference` (a tag, or its own digest for an untagged one).
    pub async fn manifest(&self, reference: &str, json: &Json) -> (String, usize) {
        let bytes = serde_json::to_vec(json).unwrap();
        let digest = super::digest(&bytes);
        let reference = if reference.is_empty() {
            digest.as_str()
        } else {
            reference
        };
        let put = self
            .http
            .put(format!(
                "{}/v2/{}/manifests/{reference}",
                self.base, self.repo
            ))
            .header("content-type", json["mediaType"].as_str().unwrap())
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 201, "manifest put {reference}");
        (digest, bytes.len())
    }

    /// A one-layer image unique by `salt`, under `reference`.
    pub async fn image(&self, reference: &str, salt: &str, arch: &str) -> (String, usize) {
        let layer = format!("layer {salt}").into_bytes();
        let layer_digest = self.blob(&layer).await;
        let config = serde_json::to_vec(&json!({
            "architecture": arch, "os": "linux",
            "config": {"Labels": {"salt": salt}},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        }))
        .unwrap();
        let config_digest = self.blob(&config).await;
        self.manifest(
            reference,
            &json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
            }),
        )
        .await
    }

    /// A buildx-style multi-arch index under `tag`: amd64, arm64 and an attestation manifest,
    /// each pushed untagged. Returns the index digest and the children's.
    pub async fn multi_arch(&self, tag: &str, salt: &str) -> (String, Vec<String>) {
        let amd = self.image("", &format!("{salt}-amd64"), "amd64").await;
        let arm = self.image("", &format!("{salt}-arm64"), "arm64").await;
        let att = self
            .image("", &format!("{salt}-attestation"), "unknown")
            .await;
        let desc = |(d, s): &(String, usize), platform: Json, annotations: Json| {
            let mut v = json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": s, "platform": platform});
            if !annotations.is_null() {
                v["annotations"] = annotations;
            }
            v
        };
        let (index, _) = self
            .manifest(
                tag,
                &json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [
                        desc(&amd, json!({"architecture": "amd64", "os": "linux"}), Json::Null),
                        desc(&arm, json!({"architecture": "arm64", "os": "linux"}), Json::Null),
                        desc(&att, json!({"architecture": "unknown", "os": "unknown"}), json!({
                            "vnd.docker.reference.type": "attestation-manifest",
                            "vnd.docker.reference.digest": amd.0,
                        })),
                    ],
                }),
            )
            .await;
        (index, vec![amd.0, arm.0, att.0])
    }

    /// Tags the manifest `digest` as `tag` too.
    pub async fn retag(&self, digest: &str, tag: &str) {
        let resp = self
            .http
            .get(format!("{}/v2/{}/manifests/{digest}", self.base, self.repo))
            .header("accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "get {digest}");
        let bytes = resp.bytes().await.unwrap();
        let json: Json = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(self.manifest(tag, &json).await.0, digest, "retag {tag}");
    }
}
