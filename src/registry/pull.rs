//! The registry side of `docker://` sources: [`Pull`] implements [`plan::Fetch`] over one
//! endpoint and repository, each call under the retry policy, so `source` walks an image graph
//! without knowing the endpoint or the retry layer.

use super::endpoint::Endpoint;
use super::retry::{RetryPolicy, with_retry};
use crate::plan::{self, Digest, FetchError};

/// One repository on one registry, pulled from with retries.
pub struct Pull<'a> {
    /// The endpoint spoken to.
    pub endpoint: &'a Endpoint,
    /// The repository (`library/alpine`).
    pub repository: &'a str,
    /// Retry pacing and request deadlines.
    pub retry: &'a RetryPolicy,
}

impl plan::Fetch for Pull<'_> {
    fn host(&self) -> &str {
        &self.endpoint.host
    }

    async fn fetch_manifest(
        &self,
        reference: &str,
    ) -> Result<(Vec<u8>, Option<String>), FetchError> {
        with_retry(self.retry, || {
            self.endpoint.fetch_manifest(self.repository, reference)
        })
        .await
        .map_err(|(f, _)| FetchError(f.to_string()))
    }

    async fn fetch_blob(
        &self,
        digest: &Digest,
        size: u64,
        dest: &std::path::Path,
    ) -> Result<u64, FetchError> {
        with_retry(self.retry, || {
            self.endpoint
                .fetch_blob(self.repository, digest, size, dest)
        })
        .await
        .map_err(|(f, _)| FetchError(f.to_string()))
    }
}
