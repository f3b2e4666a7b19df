//! Retention on Amazon ECR (private registries, `<account>.dkr.ecr.<region>.amazonaws.com`)
//! through ECR's API (issue 14), signed with `SigV4` by [`crate::registry::ecr::EcrApi`]:
//! `DescribeImages` (every image of the repository with its digest, tags, push time and manifest
//! media type, paginated with `nextToken`), `BatchGetImage` for the tagged indexes (their
//! children, so that a tag on a kept index's platform image is kept) and `BatchDeleteImage` with
//! one `imageTag` per call (untag; ECR deletes the image with its last tag).
//!
//! Reference: <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html>,
//! <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html>,
//! <https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html>.
//!
//! ECR keeps an index's children as untagged images; untagging never deletes them, and ECR
//! itself refuses to delete an image an index references (`ImageReferencedByManifestList`).
//! Every answer is bounded, the pages capped; a per-id `failures` entry is an error naming the
//! tag. Decides nothing: the selection is the caller's.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::TagEntry;
use crate::plan::Digest;
use crate::registry::ecr::{AwsKeys, EcrApi};
use crate::registry::text;

/// Images asked for per `DescribeImages` page (the API's largest `maxResults`).
const PAGE_SIZE: usize = 1000;
/// The most pages followed.
const MAX_PAGES: usize = 1000;
/// The most images read from one repository.
const MAX_IMAGES: usize = 100_000;
/// Indexes read per `BatchGetImage` call (the API's largest).
const BATCH: usize = 100;
/// The largest `DescribeImages` page or `BatchGetImage` answer read.
const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;
/// The index media types whose children are read.
const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// One image of a `DescribeImages` page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDetail {
    /// `imageDigest`.
    pub digest: String,
    /// `imageTags` (empty for an untagged image).
    pub tags: Vec<String>,
    /// `imagePushedAt`, unix seconds.
    pub pushed_at: Option<i64>,
    /// `imageManifestMediaType`.
    pub media_type: Option<String>,
}

/// The ECR API of one repository.
#[derive(Debug)]
pub struct EcrRepository {
    api: EcrApi,
    keys: AwsKeys,
    repository: String,
    registry_id: Option<String>,
}

/// Parses one `DescribeImages` answer: the images and the `nextToken`.
///
/// # Errors
/// Not JSON, no `imageDetails` list, an image without a valid digest or with an invalid tag.
pub fn parse_describe_images(body: &[u8]) -> Result<(Vec<ImageDetail>, Option<String>), String> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| format!("the `DescribeImages` answer is not JSON: {e}"))?;
    let list = match json.get("imageDetails") {
        Some(Json::Array(l)) => l.as_slice(),
        None | Some(Json::Null) => &[],
        Some(_) => return Err("`imageDetails` is not a list".to_owned()),
    };
    let mut out = Vec::with_capacity(list.len());
    for image in list {
        let digest = image
            .get("imageDigest")
            .and_then(Json::as_str)
            .and_then(|d| Digest::parse(d).ok())
            .ok_or("an image has no valid `imageDigest`")?;
        let mut tags = Vec::new();
        for t in image
            .get("imageTags")
            .and_then(Json::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            match t.as_str() {
                Some(t) if crate::reference::valid_tag(t) => tags.push(t.to_owned()),
                _ => {
                    return Err(format!(
                        "image {digest} has a tag that is not a valid tag: refused"
                    ));
                }
            }
        }
        // AWS JSON 1.1 timestamps are seconds since the epoch, as a number.
        #[allow(clippy::cast_possible_truncation)]
        let pushed_at = image
            .get("imagePushedAt")
            .and_then(Json::as_f64)
            .filter(|t| t.is_finite() && t.abs() < 1e12)
            .map(|t| t.floor() as i64);
        out.push(ImageDetail {
            digest: digest.as_str().to_owned(),
            tags,
            pushed_at,
            media_type: image
                .get("imageManifestMediaType")
                .and_then(Json::as_str)
                .map(str::to_owned),
        });
    }
    let next = json
        .get("nextToken")
        .and_then(Json::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok((out, next))
}

/// Parses a `BatchGetImage` answer into index digest → child digests.
///
/// # Errors
/// Not JSON, or an image whose `imageManifest` is not JSON.
pub fn parse_batch_get_image(body: &[u8]) -> Result<BTreeMap<String, Vec<String>>, String> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| format!("the `BatchGetImage` answer is not JSON: {e}"))?;
    let mut children = BTreeMap::new();
    for image in json
        .get("images")
        .and_then(Json::as_array)
        .map_or(&[][..], Vec::as_slice)
    {
        let Some(manifest) = image.get("imageManifest").and_then(Json::as_str) else {
            continue;
        };
        let digest = Digest::of(manifest.as_bytes()).as_str().to_owned();
        let parsed: Json = serde_json::from_str(manifest)
            .map_err(|e| format!("the manifest {digest} is not JSON: {e}"))?;
        let kids = super::descriptor_digests(&parsed);
        if !kids.is_empty() {
            children.insert(digest, kids);
        }
    }
    Ok(children)
}

/// The `failures` of a `BatchDeleteImage` answer: `(failureCode, failureReason)` per entry.
///
/// # Errors
/// Not JSON.
pub fn parse_batch_delete(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| format!("the `BatchDeleteImage` answer is not JSON: {e}"))?;
    Ok(json
        .get("failures")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            let field = |k: &str| {
                f.get(k)
                    .and_then(Json::as_str)
                    .map(|v| text::inert(&v.chars().take(300).collect::<String>()))
                    .unwrap_or_default()
            };
            (field("failureCode"), field("failureReason"))
        })
        .collect())
}

impl EcrRepository {
    /// The repository `repository` of the registry `api` speaks to, with `keys`. The account
    /// id (the host name's first label, when all digits) is sent as `registryId`.
    #[must_use]
    pub fn new(api: EcrApi, keys: AwsKeys, repository: &str) -> Self {
        let account = api.registry.split('.').next().unwrap_or_default();
        let registry_id = (!account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()))
            .then(|| account.to_owned());
        Self {
            api,
            keys,
            repository: repository.to_owned(),
            registry_id,
        }
    }

    fn request(&self, mut fields: Json) -> String {
        fields["repositoryName"] = json!(self.repository);
        if let Some(id) = &self.registry_id {
            fields["registryId"] = json!(id);
        }
        fields.to_string()
    }

    async fn call(&self, operation: &'static str, body: &str) -> Result<Vec<u8>, String> {
        let (status, answer) = self
            .api
            .call_bounded(&self.keys, operation, body, MAX_PAGE_BYTES)
            .await
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            let (_, why) = EcrApi::error_of(status, &answer);
            return Err(self.api.fail(operation, why).to_string());
        }
        Ok(answer)
    }

    /// Every image of the repository (`DescribeImages`, every page).
    ///
    /// # Errors
    /// A failed or malformed page, more than 1000 pages or 100000 images.
    pub async fn images(&self) -> Result<Vec<ImageDetail>, String> {
        const OP: &str = "DescribeImages";
        let mut images = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut fields = json!({ "maxResults": PAGE_SIZE });
            if let Some(t) = &token {
                fields["nextToken"] = json!(t);
            }
            let answer = self.call(OP, &self.request(fields)).await?;
            let (page, next) =
                parse_describe_images(&answer).map_err(|e| self.api.fail(OP, e).to_string())?;
            images.extend(page);
            if images.len() > MAX_IMAGES {
                return Err(self
                    .api
                    .fail(OP, format!("more than {MAX_IMAGES} images: refused"))
                    .to_string());
            }
            match next {
                None => return Ok(images),
                Some(n) if token.as_deref() == Some(n.as_str()) => {
                    return Err(self
                        .api
                        .fail(OP, "the same `nextToken` twice: refused")
                        .to_string());
                }
                Some(n) => token = Some(n),
            }
        }
        Err(self
            .api
            .fail(OP, format!("more than {MAX_PAGES} pages: refused"))
            .to_string())
    }

    /// The children of the indexes `digests` (`BatchGetImage`, 100 at a time).
    ///
    /// # Errors
    /// A failed or malformed answer.
    pub async fn index_children(
        &self,
        digests: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>, String> {
        const OP: &str = "BatchGetImage";
        let mut children = BTreeMap::new();
        for chunk in digests.chunks(BATCH) {
            let ids: Vec<Json> = chunk.iter().map(|d| json!({ "imageDigest": d })).collect();
            let body = self.request(json!({
                "imageIds": ids,
                "acceptedMediaTypes": INDEX_TYPES,
            }));
            let answer = self.call(OP, &body).await?;
            children.extend(
                parse_batch_get_image(&answer).map_err(|e| self.api.fail(OP, e).to_string())?,
            );
        }
        Ok(children)
    }

    /// Every tag with its digest and push time, and the index graph.
    ///
    /// # Errors
    /// See [`Self::images`] and [`Self::index_children`].
    pub async fn inventory(&self) -> Result<super::Listing, String> {
        let images = self.images().await?;
        let indexes: Vec<String> = images
            .iter()
            .filter(|i| {
                !i.tags.is_empty()
                    && i.media_type
                        .as_deref()
                        .is_some_and(|m| INDEX_TYPES.contains(&m))
            })
            .map(|i| i.digest.clone())
            .collect();
        let children = self.index_children(&indexes).await?;
        let tags = images
            .into_iter()
            .flat_map(|i| {
                let (digest, created) = (i.digest, i.pushed_at);
                i.tags.into_iter().map(move |name| TagEntry {
                    name,
                    digest: digest.clone(),
                    created,
                })
            })
            .collect();
        Ok(super::Listing { tags, children })
    }

    /// `BatchDeleteImage` of one `imageTag`: untags (the image goes with its last tag).
    /// `Ok(false)` when the tag was already gone.
    ///
    /// # Errors
    /// The call failed, or its `failures` name the tag (the code and reason quoted).
    pub async fn untag(&self, tag: &str) -> Result<bool, String> {
        const OP: &str = "BatchDeleteImage";
        let body = self.request(json!({ "imageIds": [{ "imageTag": tag }] }));
        let answer = self.call(OP, &body).await?;
        let failures = parse_batch_delete(&answer).map_err(|e| self.api.fail(OP, e).to_string())?;
        match failures.first() {
            None => Ok(true),
            Some((code, _)) if code == "ImageNotFound" => Ok(false),
            Some((code, reason)) => Err(self
                .api
                .fail(OP, format!("tag `{tag}`: `{code}`: {reason}"))
                .to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_images_pages_parse_and_malformed_ones_are_errors() {
        let d = format!("sha256:{}", "b".repeat(64));
        let page = format!(
            r#"{{"imageDetails":[{{"registryId":"123456789012","repositoryName":"app","imageDigest":"{d}","imageTags":["v1","latest"],"imageSizeInBytes":1,"imagePushedAt":1.767323045123E9,"imageManifestMediaType":"application/vnd.oci.image.index.v1+json"}},{{"imageDigest":"{d}"}}],"nextToken":"abc"}}"#
        );
        let (images, next) = parse_describe_images(page.as_bytes()).unwrap();
        assert_eq!(next.as_deref(), Some("abc"));
        assert_eq!(images[0].tags, ["v1", "latest"]);
        assert_eq!(images[0].pushed_at, Some(1_767_323_045));
        assert!(images[1].tags.is_empty() && images[1].pushed_at.is_none());
        for bad in [
            &b"[]x"[..],
            br#"{"imageDetails":{}}"#,
            br#"{"imageDetails":[{"imageTags":["v1"]}]}"#,
            br#"{"imageDetails":[{"imageDigest":"sha256:zz"}]}"#,
        ] {
            assert!(parse_describe_images(bad).is_err());
        }
        let tagged = format!(r#"{{"imageDetails":[{{"imageDigest":"{d}","imageTags":["a b"]}}]}}"#);
        assert!(parse_describe_images(tagged.as_bytes()).is_err());
    }

    #[test]
    fn batch_answers_parse() {
        let kid = format!("sha256:{}", "c".repeat(64));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"digest":"{kid}","size":1,"mediaType":"application/vnd.oci.image.manifest.v1+json"}}]}}"#
        );
        let answer = json!({ "images": [{ "imageManifest": manifest }], "failures": [] });
        let children = parse_batch_get_image(answer.to_string().as_bytes()).unwrap();
        assert_eq!(
            children.get(Digest::of(manifest.as_bytes()).as_str()),
            Some(&vec![kid])
        );
        assert!(parse_batch_get_image(br#"{"images":[{"imageManifest":"{"}]}"#).is_err());
        assert_eq!(
            parse_batch_delete(
                br#"{"imageIds":[],"failures":[{"imageId":{"imageTag":"x"},"failureCode":"ImageReferencedByManifestList","failureReason":"in use"}]}"#
            )
            .unwrap(),
            [("ImageReferencedByManifestList".to_owned(), "in use".to_owned())]
        );
        assert!(parse_batch_delete(b"").is_err());
    }
}
