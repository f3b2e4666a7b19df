//! Amazon ECR without a separate login step: AWS keys exchanged for a registry password at push
//! time through ECR's `GetAuthorizationToken` (private registries) or ecr-public's (for
//! `public.ecr.aws`), and `CreateRepository` when asked. Requests are AWS JSON 1.1 POSTs signed
//! with `SigV4` by the `aws-sigv4` crate; every answer is bounded in size and time, and every
//! secret (AWS secret key, session token, registry password) goes to the mask before use and
//! never into an error. Retention's ECR calls (`DescribeImages`, `BatchGetImage`,
//! `BatchDeleteImage`) live in `registry::retention::ecr` and sign through [`EcrApi`] too.

use std::time::{Duration, SystemTime};

use super::auth::{Credential, Masker};
use super::text;

/// The largest ECR API answer read (an authorization token is about 2 KiB).
pub const MAX_ANSWER: u64 = 64 * 1024;

/// The deadline of one ECR API call (connect, send and read).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// AWS access keys (from the environment or a `registry-auth` item's username/password).
#[derive(Clone)]
pub struct AwsKeys {
    /// `AWS_ACCESS_KEY_ID` (not a secret: it appears in the signed `Authorization` header).
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN` (temporary credentials, e.g. from an OIDC role).
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsKeys({}, <redacted>)", self.access_key_id)
    }
}

/// Where and how to reach the ECR API of one registry.
#[derive(Clone, Debug)]
pub struct EcrApi {
    /// The registry as users name it (for errors).
    pub registry: String,
    /// The signing region.
    pub region: String,
    /// `ecr` or `ecr-public` (the signing name and the API flavour).
    pub service: &'static str,
    /// The API endpoint (`https://api.ecr.<region>.amazonaws.com/`, or the override).
    pub endpoint: String,
}

/// Why an ECR API call failed (names the registry and the AWS operation, never a secret).
#[derive(Debug, thiserror::Error)]
pub enum EcrError {
    /// No region: neither the host name nor `AWS_REGION`/`AWS_DEFAULT_REGION` gives one.
    #[error(
        "registry `{registry}`: ECR login needs a region and `{registry}` is not an ECR host name (`<account>.dkr.ecr.<region>.amazonaws.com`)\nhint: set `AWS_REGION` (aws-actions/configure-aws-credentials sets it)"
    )]
    NoRegion {
        /// The registry.
        registry: String,
    },
    /// No AWS keys: neither the item's username/password nor the environment.
    #[error(
        "registry `{registry}`: ECR login needs AWS keys and none were given\nhint: run aws-actions/configure-aws-credentials before this step (it exports `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`), or give the key id and secret as the item's `username` and `password`"
    )]
    NoKeys {
        /// The registry.
        registry: String,
    },
    /// The call failed (transport, status, answer).
    #[error("registry `{registry}`: AWS `{operation}` ({service}): {why}")]
    Call {
        /// The registry.
        registry: String,
        /// The operation (`GetAuthorizationToken`, `CreateRepository`).
        operation: &'static str,
        /// `ecr` or `ecr-public`.
        service: &'static str,
        /// What went wrong (inert text, no secret).
        why: String,
    },
}

/// The region of a private ECR host name (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`),
/// `us-east-1` for `public.ecr.aws`, else `None`.
#[must_use]
pub fn region_of(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    if host == "public.ecr.aws" {
        return Some("us-east-1".to_owned());
    }
    let labels: Vec<&str> = host.split('.').collect();
    (labels.len() >= 6
        && labels[1] == "dkr"
        && (labels[2] == "ecr" || labels[2] == "ecr-fips")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")))
    .then(|| labels[3].to_owned())
    .filter(|r| !r.is_empty())
}

impl EcrApi {
    /// The API of `registry` (`host[:port]`): the region from the host name, else
    /// `fallback_region` (`AWS_REGION`, `AWS_DEFAULT_REGION`); the endpoint from
    /// `endpoint_override` (`AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL`) or AWS's.
    pub fn new(
        registry: &str,
        fallback_region: Option<&str>,
        endpoint_override: Option<&str>,
    ) -> Result<Self, EcrError> {
        let host = registry.split('/').next().unwrap_or_default();
        let public = host.eq_ignore_ascii_case("public.ecr.aws");
        let region = region_of(host)
            .or_else(|| fallback_region.filter(|r| !r.is_empty()).map(str::to_owned))
            .ok_or_else(|| EcrError::NoRegion {
                registry: text::inert(registry),
            })?;
        let service = if public { "ecr-public" } else { "ecr" };
        let endpoint = match endpoint_override.filter(|e| !e.is_empty()) {
            Some(e) if e.ends_with('/') => e.to_owned(),
            Some(e) => format!("{e}/"),
            None if public => "https://api.ecr-public.us-east-1.amazonaws.com/".to_owned(),
            None if region.starts_with("cn-") => {
                format!("https://api.ecr.{region}.amazonaws.com.cn/")
            }
            None => format!("https://api.ecr.{region}.amazonaws.com/"),
        };
        Ok(Self {
            registry: text::inert(registry),
            region,
            service,
            endpoint,
        })
    }

    fn target(&self, operation: &str) -> String {
        let prefix = if self.service == "ecr-public" {
            "SpencerFrontendService"
        } else {
            "AmazonEC2ContainerRegistry_V20150921"
        };
        format!("{prefix}.{operation}")
    }

    pub(crate) fn fail(&self, operation: &'static str, why: impl Into<String>) -> EcrError {
        EcrError::Call {
            registry: self.registry.clone(),
            operation,
            service: self.service,
            why: why.into(),
        }
    }

    /// One signed JSON 1.1 call: the HTTP status and the answer, at most [`MAX_ANSWER`] bytes.
    async fn call(
        &self,
        keys: &AwsKeys,
        operation: &'static str,
        body: &str,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), EcrError> {
        self.call_bounded(keys, operation, body, MAX_ANSWER).await
    }

    /// One signed JSON 1.1 call: the HTTP status and the answer, at most `limit` bytes (a
    /// `DescribeImages` page is larger than a token).
    pub(crate) async fn call_bounded(
        &self,
        keys: &AwsKeys,
        operation: &'static str,
        body: &str,
        limit: u64,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), EcrError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = reqwest::Url::parse(&self.endpoint)
            .map_err(|e| self.fail(operation, format!("bad endpoint URL: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(self.fail(operation, "the endpoint URL has no host")),
        };
        let target = self.target(operation);
        let content_type = "application/x-amz-json-1.1";
        let headers = [
            ("host", host.as_str()),
            ("content-type", content_type),
            ("x-amz-target", target.as_str()),
        ];
        let creds = aws_credential_types::Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            keys.session_token.clone(),
            None,
            "hoist",
        );
        let identity = creds.into();
        // The wall clock, read when the request is signed: AWS refuses a signature more than
        // 5 minutes off, so neither the run's start (a long build) nor `SOURCE_DATE_EPOCH` will do.
        #[allow(clippy::disallowed_methods)]
        let now = SystemTime::now();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(now)
            .settings(aws_sigv4::http_request::SigningSettings::default())
            .build()
            .map_err(|e| self.fail(operation, format!("cannot sign: {e}")))?
            .into();
        let signable = aws_sigv4::http_request::SignableRequest::new(
            "POST",
            url.as_str(),
            headers.iter().copied(),
            aws_sigv4::http_request::SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| self.fail(operation, format!("cannot sign: {e}")))?;
        let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
            .map_err(|e| self.fail(operation, format!("cannot sign: {e}")))?
            .into_parts();
        let client = reqwest::Client::builder()
            .user_agent(concat!("hoist/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CALL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| self.fail(operation, format!("no HTTP client: {e}")))?;
        let mut req = client
            .post(url)
            .header("content-type", content_type)
            .header("x-amz-target", target)
            .body(body.to_owned());
        for (name, value) in instructions.headers() {
            req = req.header(name, value);
        }
        let exchange = async {
            let resp = req
                .send()
                .await
                .map_err(|e| self.fail(operation, text::inert(&e.to_string())))?;
            let status = resp.status();
            let body = super::endpoint::read_body(resp, limit, "the ECR API answer")
                .await
                .map_err(|e| self.fail(operation, e.to_string()))?;
            Ok((status, body))
        };
        tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(self.fail(
                    operation,
                    format!("no answer within {}s", CALL_TIMEOUT.as_secs()),
                ))
            })
    }

    /// The AWS error of a non-2xx answer: its `__type` and `message` (inert), never the body.
    pub(crate) fn error_of(status: reqwest::StatusCode, body: &[u8]) -> (String, String) {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let kind = v
            .get("__type")
            .and_then(|t| t.as_str())
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
            .unwrap_or_default();
        let message = v
            .get("message")
            .or_else(|| v.get("Message"))
            .and_then(|m| m.as_str())
            .map(|m| text::inert(&m.chars().take(300).collect::<String>()))
            .unwrap_or_default();
        let why = match (kind.is_empty(), message.is_empty()) {
            (true, _) => format!("HTTP {status}"),
            (false, true) => format!("HTTP {status} `{}`", text::inert(&kind)),
            (false, false) => format!("HTTP {status} `{}`: {message}", text::inert(&kind)),
        };
        (kind, why)
    }

    /// `GetAuthorizationToken`: the registry credential (`AWS` and the decoded password), the
    /// password handed to `mask` before it is returned.
    pub async fn login(&self, keys: &AwsKeys, mask: &Masker) -> Result<Credential, EcrError> {
        const OP: &str = "GetAuthorizationToken";
        let (status, body) = self.call(keys, OP, "{}").await?;
        if !status.is_success() {
            let (_, why) = Self::error_of(status, &body);
            return Err(self.fail(OP, why));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| self.fail(OP, "the answer is not JSON"))?;
        // Private: `authorizationData` is a list; public: one object.
        let data = v.get("authorizationData");
        let token = data
            .and_then(|d| d.get(0).or(Some(d)))
            .and_then(|d| d.get("authorizationToken"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| self.fail(OP, "the answer has no `authorizationToken`"))?;
        let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, token)
            .map_err(|_| self.fail(OP, "the `authorizationToken` is not base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| self.fail(OP, "the `authorizationToken` is not UTF-8"))?;
        let Some((user, password)) = decoded.split_once(':') else {
            return Err(self.fail(OP, "the `authorizationToken` is not `user:password`"));
        };
        mask(password);
        Ok(Credential {
            username: user.to_owned(),
            password: password.to_owned(),
        })
    }

    /// `CreateRepository` for `repository` (tag mutability left to the registry's default); an
    /// existing repository is fine.
    pub async fn create_repository(
        &self,
        keys: &AwsKeys,
        repository: &str,
    ) -> Result<(), EcrError> {
        const OP: &str = "CreateRepository";
        let body = serde_json::json!({ "repositoryName": repository }).to_string();
        let (status, answer) = self.call(keys, OP, &body).await?;
        if status.is_success() {
            return Ok(());
        }
        let (kind, why) = Self::error_of(status, &answer);
        if kind == "RepositoryAlreadyExistsException" {
            return Ok(());
        }
        Err(self.fail(
            OP,
            format!("repository `{}`: {why}", text::inert(repository)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_and_endpoint_come_from_the_host_name_or_the_fallbacks() {
        assert_eq!(
            region_of("123456789012.dkr.ecr.eu-west-3.amazonaws.com").as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(region_of("public.ecr.aws").as_deref(), Some("us-east-1"));
        assert_eq!(region_of("127.0.0.1:5000"), None);
        let api = EcrApi::new("123456789012.dkr.ecr.eu-west-3.amazonaws.com", None, None).unwrap();
        assert_eq!(api.endpoint, "https://api.ecr.eu-west-3.amazonaws.com/");
        assert_eq!(api.service, "ecr");
        let public = EcrApi::new("public.ecr.aws", Some("eu-west-1"), None).unwrap();
        assert_eq!(public.region, "us-east-1");
        assert_eq!(public.service, "ecr-public");
        assert_eq!(
            public.target("GetAuthorizationToken"),
            "SpencerFrontendService.GetAuthorizationToken"
        );
        let local = EcrApi::new(
            "127.0.0.1:5000",
            Some("us-west-2"),
            Some("http://127.0.0.1:9"),
        )
        .unwrap();
        assert_eq!(local.region, "us-west-2");
        assert_eq!(local.endpoint, "http://127.0.0.1:9/");
        let err = EcrApi::new("127.0.0.1:5000", None, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("registry `127.0.0.1:5000`") && err.contains("hint: set `AWS_REGION`"),
            "{err}"
        );
    }

    #[test]
    fn aws_errors_keep_type_and_message_but_not_the_body() {
        let (kind, why) = EcrApi::error_of(
            reqwest::StatusCode::BAD_REQUEST,
            br#"{"__type":"com.amazonaws#RepositoryAlreadyExistsException","message":"exists","secret":"s3cr3t"}"#,
        );
        assert_eq!(kind, "RepositoryAlreadyExistsException");
        assert!(why.contains("exists") && !why.contains("s3cr3t"), "{why}");
        let keys = AwsKeys {
            access_key_id: "AKID".into(),
            secret_access_key: "SECRET".into(),
            session_token: Some("TOKEN".into()),
        };
        let shown = format!("{keys:?}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("TOKEN"),
            "{shown}"
        );
    }
}
