//! The one retry layer: a failed operation is classified by the pure [`classify`] (transient,
//! fatal), and transient failures are retried with exponential backoff and jitter, `Retry-After`
//! winning when the registry sent it (capped at a minute), a bounded number of times and within
//! a time budget per operation. Retries are per operation (a HEAD, a blob POST+PUT with a fresh
//! stream, a manifest PUT), never per registry. [`RetryPolicy`] also carries the per-request
//! deadlines the endpoint applies, so tests can shrink every wait at once.

use std::future::Future;
use std::time::{Duration, Instant};

/// A TLS failure that a retry will not heal, told apart by the error's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    /// The certificate is not trusted by the roots (or none was presented).
    Untrusted,
    /// The peer does not speak TLS (a plain-http registry).
    NotTls,
    /// Another lasting handshake failure.
    Other,
}

/// What went wrong in one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request did not get a response.
    Transport {
        /// Whether it is worth retrying (connect, timeout, reset, body error).
        transient: bool,
        /// The cause chain.
        message: String,
        /// A TLS failure found in the cause chain (by type), which decides the hint.
        tls: Option<TlsFailure>,
    },
    /// The registry answered with an unexpected status.
    Status {
        /// The HTTP status.
        status: u16,
        /// The first registry error code in the body (`DENIED`, `NAME_UNKNOWN`...).
        code: Option<String>,
        /// The registry's message (or a short body excerpt).
        message: String,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// A local problem (reading the source) or a protocol violation: never retried.
    Fatal(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transport { message, .. } | Self::Fatal(message) => f.write_str(message),
            Self::Status {
                status,
                code,
                message,
                ..
            } => {
                write!(f, "HTTP {status}")?;
                if let Some(c) = code {
                    write!(f, " {c}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
        }
    }
}

/// Whether to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Try again, after the server's delay if it named one.
    Retry(Option<Duration>),
    /// Give up.
    Fatal,
}

/// HTTP statuses that are retried (ggcr's list: nginx's 499 and Cloudflare's 522 included).
pub const RETRIED_STATUSES: [u16; 9] = [408, 429, 499, 500, 502, 503, 504, 522, 524];

/// Registry error codes that are retried whatever the status.
pub const RETRIED_CODES: [&str; 3] = [
    "TOOMANYREQUESTS",
    "BLOB_UPLOAD_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
];

/// Pure classification of a failure.
pub fn classify(f: &Failure) -> Decision {
    match f {
        Failure::Transport { transient, .. } => {
            if *transient {
                Decision::Retry(None)
            } else {
                Decision::Fatal
            }
        }
        Failure::Status {
            status,
            code,
            retry_after,
            ..
        } => {
            if RETRIED_STATUSES.contains(status)
                || code.as_deref().is_some_and(|c| RETRIED_CODES.contains(&c))
            {
                Decision::Retry(*retry_after)
            } else {
                Decision::Fatal
            }
        }
        Failure::Fatal(_) => Decision::Fatal,
    }
}

/// A hint for a fatal failure, when the fix is known.
pub fn hint(f: &Failure, registry: &str) -> Option<String> {
    if let Failure::Transport { tls, .. } = f {
        return match tls {
            Some(TlsFailure::Untrusted) => Some(format!(
                "the certificate of `{registry}` is not trusted: add its CA with `registry-ca`"
            )),
            Some(TlsFailure::NotTls) => Some(format!(
                "`{registry}` may speak plain http: list it in `insecure-registries`"
            )),
            Some(TlsFailure::Other) | None => None,
        };
    }
    let Failure::Status { status, code, .. } = f else {
        return None;
    };
    match (status, code.as_deref()) {
        (401, _) | (_, Some("UNAUTHORIZED")) => Some(format!(
            "check the credentials for `{registry}` in `registry-auth`"
        )),
        (403, _) | (_, Some("DENIED")) => Some(if registry == "ghcr.io" {
            "GHCR needs `permissions: packages: write` and a token that may write this package"
                .into()
        } else {
            format!("the credentials for `{registry}` may not push to this repository")
        }),
        (_, Some("NAME_UNKNOWN")) => Some(
            "the repository does not exist (ECR repositories must be created before a push: set `ecr-create-repos: true` or create it)".into(),
        ),
        (_, Some("NAME_INVALID")) => {
            Some("repository names must be lowercase (`[a-z0-9._/-]`)".into())
        }
        (413, _) => Some(
            "a proxy or the registry limits request bodies: set `chunk-size` below its limit (e.g. `chunk-size: 8MiB`)"
                .into(),
        ),
        _ => None,
    }
}

/// The retry budget, pacing and per-request deadlines.
///
/// Deadlines (documented in `docs/usage.md`, section `timeout`): every request has a total
/// deadline covering its headers and its body ([`Self::request_timeout`]); a blob upload gets
/// that plus the time its size takes at [`Self::min_throughput`] bytes per second (a slower
/// transfer is a stall). An operation starts no new attempt once [`Self::budget`] has passed
/// since its first attempt, so a stalled peer fails an operation within `budget` plus one
/// request's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first included).
    pub attempts: u32,
    /// The first backoff delay.
    pub base: Duration,
    /// The largest backoff delay.
    pub cap: Duration,
    /// The largest `Retry-After` honoured.
    pub retry_after_cap: Duration,
    /// The time after which an operation starts no new attempt.
    pub budget: Duration,
    /// The total deadline of one request (headers and body), blob uploads aside.
    pub request_timeout: Duration,
    /// The slowest blob upload accepted, in bytes per second.
    pub min_throughput: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(60),
            budget: Duration::from_secs(120),
            request_timeout: Duration::from_secs(60),
            min_throughput: 256 * 1024,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1` (attempt counts from 1): exponential with ±20 %
    /// jitter (`jitter` in `[0, 1)`), or the server's `Retry-After`, capped.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.retry_after_cap);
        }
        let exp = self
            .base
            .saturating_mul(2_u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.cap);
        exp.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
    }

    /// The deadline of one upload of `size` bytes: the request deadline plus the time the
    /// size takes at the minimum throughput.
    pub fn upload_timeout(&self, size: u64) -> Duration {
        self.request_timeout
            .saturating_add(Duration::from_secs(size / self.min_throughput.max(1)))
    }

    /// A policy scaled down for tests: every delay and deadline divided by the same factor.
    /// Parsed from `base=1ms,request=300ms,budget=2s,retry-after-cap=100ms,attempts=3`
    /// (any subset; units `ms`, `s`, `m`, `h`).
    pub fn parse_overrides(spec: &str) -> Result<Self, String> {
        let mut p = Self::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not `key=value`"))?;
            let dur = || crate::duration::parse_duration(value);
            match key.trim() {
                "attempts" => {
                    p.attempts = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("`{value}` is not a number of attempts"))?;
                }
                "base" => p.base = dur()?,
                "cap" => p.cap = dur()?,
                "retry-after-cap" => p.retry_after_cap = dur()?,
                "budget" => p.budget = dur()?,
                "request" => p.request_timeout = dur()?,
                other => return Err(format!("unknown key `{other}`")),
            }
        }
        Ok(p)
    }
}

/// Runs `fut` within `limit`; a late answer becomes a transient transport failure naming
/// `what` (the endpoint adds the registry and the executor the operation).
pub async fn within<T>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::time::timeout(limit, fut).await.unwrap_or_else(|_| {
        Err(Failure::Transport {
            transient: true,
            tls: None,
            message: format!("{what} got no complete answer within {}", human(limit)),
        })
    })
}

/// A duration as users write it (`90s`, `1h30m`, `250ms`).
pub fn human(d: Duration) -> String {
    use std::fmt::Write as _;
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) || ms == 0 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if s > 0 {
        let _ = write!(out, "{s}s");
    }
    out
}

#[allow(clippy::cast_precision_loss)]
fn jitter() -> f64 {
    // 53 random bits scaled into [0, 1): exact in an f64.
    let mut buf = [0_u8; 8];
    if getrandom::fill(&mut buf).is_err() {
        return 0.5; // No entropy source: the middle of the range, still bounded.
    }
    let x = (u64::from_le_bytes(buf) >> 11) as f64;
    x / (1_u64 << 53) as f64
}

/// Runs `op` until it succeeds, fails fatally, or the budget (attempts, or time: no attempt
/// starts after `policy.budget`) is spent. The error says how many attempts were made.
pub async fn with_retry<T, F, Fut>(policy: &RetryPolicy, mut op: F) -> Result<T, (Failure, u32)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let start = Instant::now();
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(f) => match classify(&f) {
                Decision::Retry(after) if attempt < policy.attempts => {
                    let delay = policy.delay(attempt, after, jitter());
                    if start.elapsed() + delay > policy.budget {
                        return Err((f, attempt));
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => return Err((f, attempt)),
            },
        }
    }
}

/// Parses `Retry-After`: delta-seconds (HTTP dates are rare on registries and treated as absent).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_hints_follow_the_failure_type_not_its_text() {
        let t = |tls, message: &str| Failure::Transport {
            transient: false,
            message: message.into(),
            tls,
        };
        let untrusted = hint(&t(Some(TlsFailure::Untrusted), "x"), "r.io").expect("a hint");
        assert!(
            untrusted.contains("add its CA with `registry-ca`"),
            "{untrusted}"
        );
        let plain = hint(&t(Some(TlsFailure::NotTls), "x"), "r.io").expect("a hint");
        assert!(plain.contains("`insecure-registries`"), "{plain}");
        assert_eq!(hint(&t(Some(TlsFailure::Other), "x"), "r.io"), None);
        // A message that only mentions a certificate gets no TLS hint.
        assert_eq!(
            hint(
                &t(None, "reset fetching the certificate InvalidContentType"),
                "r.io"
            ),
            None
        );
    }

    fn status(s: u16, code: Option<&str>) -> Failure {
        Failure::Status {
            status: s,
            code: code.map(str::to_owned),
            message: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn retried_statuses_are_exactly_these() {
        let retried: Vec<u16> = (100..600)
            .filter(|s| classify(&status(*s, None)) != Decision::Fatal)
            .collect();
        assert_eq!(retried, vec![408, 429, 499, 500, 502, 503, 504, 522, 524]);
    }

    #[test]
    fn retried_codes_and_fatal_codes() {
        for c in [
            "TOOMANYREQUESTS",
            "BLOB_UPLOAD_UNKNOWN",
            "BLOB_UPLOAD_INVALID",
        ] {
            assert_eq!(
                classify(&status(400, Some(c))),
                Decision::Retry(None),
                "{c}"
            );
        }
        for c in [
            "DENIED",
            "NAME_UNKNOWN",
            "NAME_INVALID",
            "DIGEST_INVALID",
            "MANIFEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN",
            "UNAUTHORIZED",
        ] {
            assert_eq!(classify(&status(400, Some(c))), Decision::Fatal, "{c}");
        }
        assert_eq!(
            classify(&Failure::Transport {
                transient: true,
                message: "reset".into(),
                tls: None,
            }),
            Decision::Retry(None)
        );
        assert_eq!(classify(&Failure::Fatal("io".into())), Decision::Fatal);
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy::default();
        let f = Failure::Status {
            status: 429,
            code: None,
            message: String::new(),
            retry_after: parse_retry_after("3"),
        };
        let Decision::Retry(after) = classify(&f) else {
            panic!("429 is retried")
        };
        assert_eq!(p.delay(1, after, 0.5), Duration::from_secs(3));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(100_000)), 0.5),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn deadlines_scale_with_size_and_overrides_parse() {
        let p = RetryPolicy::default();
        assert_eq!(p.upload_timeout(0), Duration::from_secs(60));
        assert_eq!(
            p.upload_timeout(1024 * 1024 * 1024),
            Duration::from_secs(60 + 4096)
        );
        let t = RetryPolicy::parse_overrides("base=1ms, request=300ms,budget=2s,attempts=3")
            .expect("parses");
        assert_eq!(t.base, Duration::from_millis(1));
        assert_eq!(t.request_timeout, Duration::from_millis(300));
        assert_eq!(t.budget, Duration::from_secs(2));
        assert_eq!(t.attempts, 3);
        assert_eq!(t.retry_after_cap, Duration::from_secs(60));
        assert!(RetryPolicy::parse_overrides("speed=1s").is_err());
        assert!(RetryPolicy::parse_overrides("base").is_err());
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human(Duration::from_millis(300)), "300ms");
    }

    #[tokio::test]
    async fn with_retry_stops_when_the_time_budget_is_spent() {
        let p = RetryPolicy {
            base: Duration::from_millis(20),
            budget: Duration::from_millis(40),
            ..RetryPolicy::default()
        };
        let mut calls = 0;
        let r: Result<(), _> = with_retry(&p, || {
            calls += 1;
            async { Err(status(503, None)) }
        })
        .await;
        // 1st attempt, ~20 ms, 2nd attempt; the ~40 ms delay would pass the 40 ms budget.
        assert_eq!(r.expect_err("must fail").1, 2);
        assert_eq!(calls, 2);
    }

    #[tokio::test]
    async fn within_turns_a_stall_into_a_transient_failure() {
        let r: Result<(), Failure> =
            within(Duration::from_millis(20), "HEAD x", std::future::pending()).await;
        let f = r.expect_err("times out");
        assert_eq!(classify(&f), Decision::Retry(None));
        assert_eq!(f.to_string(), "HEAD x got no complete answer within 20ms");
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, None, 0.5), Duration::from_millis(500));
        assert_eq!(p.delay(2, None, 0.5), Duration::from_secs(1));
        assert_eq!(p.delay(1, None, 0.0), Duration::from_millis(400));
        assert_eq!(p.delay(1, None, 1.0), Duration::from_millis(600));
        assert_eq!(p.delay(30, None, 0.5), p.cap);
    }

    #[tokio::test]
    async fn with_retry_is_bounded() {
        let p = RetryPolicy {
            base: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let mut calls = 0;
        let r: Result<(), _> = with_retry(&p, || {
            calls += 1;
            async { Err(status(503, None)) }
        })
        .await;
        assert_eq!(r.expect_err("must fail").1, 5);
        assert_eq!(calls, 5);
    }

    #[test]
    fn a_missing_repository_hints_at_ecr_create_repos() {
        let f = Failure::Status {
            status: 404,
            code: Some("NAME_UNKNOWN".into()),
            message: "The repository with name 'app' does not exist".into(),
            retry_after: None,
        };
        let h = hint(&f, "123456789012.dkr.ecr.eu-west-1.amazonaws.com").expect("a hint");
        assert!(h.contains("set `ecr-create-repos: true`"), "{h}");
    }
}
