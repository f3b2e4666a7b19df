//! Amazon ECR without a separate login step (issue 12, item 4): a loopback stub of ECR's
//! `GetAuthorizationToken` and `CreateRepository` (AWS JSON 1.1) checks the `SigV4`
//! `Authorization` header's shape and credential scope and answers a base64 `AWS:<password>`
//! for a real htpasswd registry on 127.0.0.1, which the tests mark as ECR with an `ecr: true`
//! `registry-auth` item (the region from `AWS_REGION`, the API from `AWS_ENDPOINT_URL_ECR` or
//! `AWS_ENDPOINT_URL`). The push lands (checked with skopeo), `CreateRepository` is called only
//! with `ecr-create-repos: true`, and no secret appears in any output. A registry that is ECR
//! by host name (private, and `public.ecr.aws` through ecr-public's API in `us-east-1`) logs in
//! with the environment's keys in a `push: false` run. No real AWS is reachable here: the stub
//! follows the documented API.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod support;

use base64::Engine as _;
use support::api_stub::{self, ApiStub};
use support::github::GitHubStub;
use support::images::write_layout;
use support::registry::{Kind, Registry, skopeo_digest};

/// The registry password ECR hands out (what `GetAuthorizationToken` encodes).
const PASS: &str = "ecr-registry-password-77";
const KEY_ID: &str = "AKIAHOISTTEST0000001";
const SECRET_KEY: &str = "aws-secret-access-key-31";
const SESSION: &str = "aws-session-token-45";
const REGION: &str = "eu-west-3";

/// One call the stub received, as the tests read it.
#[derive(Clone, Debug)]
struct Seen {
    target: String,
    authorization: String,
    amz_date: String,
    security_token: Option<String>,
    body: String,
    /// Empty when the request was a `SigV4`-signed JSON `POST /` with the right scope, else why not.
    problem: String,
}

/// A loopback ECR API stub (over [`ApiStub`]); stopped when dropped.
struct EcrStub {
    stub: ApiStub,
    accept: Accept,
}

/// Checks `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/ecr/aws4_request,
/// SignedHeaders=<..;host;..;x-amz-date;..>, Signature=<64 hex>`: empty when it holds.
fn check_authorization(
    auth: &str,
    amz_date: &str,
    key: &str,
    region: &str,
    service: &str,
) -> String {
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 Credential=") else {
        return format!("not AWS4-HMAC-SHA256: {auth}");
    };
    let parts: Vec<&str> = rest.split(", ").collect();
    let [credential, signed, signature] = parts.as_slice() else {
        return format!("not three parts: {auth}");
    };
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 {
        return format!("credential scope: {credential}");
    }
    if scope[0] != key {
        return format!("key id `{}`", scope[0]);
    }
    if amz_date.len() != 16 || !amz_date.starts_with(scope[1]) || scope[1].len() != 8 {
        return format!("date `{}` vs x-amz-date `{amz_date}`", scope[1]);
    }
    if scope[2] != region || scope[3] != service || scope[4] != "aws4_request" {
        return format!("scope `{credential}`");
    }
    let Some(headers) = signed.strip_prefix("SignedHeaders=") else {
        return format!("no SignedHeaders: {signed}");
    };
    let headers: Vec<&str> = headers.split(';').collect();
    for h in ["host", "x-amz-date", "x-amz-target", "content-type"] {
        if !headers.contains(&h) {
            return format!("`{h}` not signed: {signed}");
        }
    }
    let Some(sig) = signature.strip_prefix("Signature=") else {
        return format!("no Signature: {signature}");
    };
    if sig.len() != 64
        || !sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return format!("signature `{sig}` is not 64 lowercase hex digits");
    }
    String::new()
}

/// What the stub accepts: a key id, and the API (`ecr` in `REGION`, or `ecr-public` in
/// `us-east-1`).
#[derive(Clone, Copy)]
struct Accept {
    key: &'static str,
    public: bool,
}

impl Accept {
    /// The API's region, service name and `X-Amz-Target` prefix.
    fn api(self) -> (&'static str, &'static str, &'static str) {
        if self.public {
            ("us-east-1", "ecr-public", "SpencerFrontendService")
        } else {
            (REGION, "ecr", "AmazonEC2ContainerRegistry_V20150921")
        }
    }
}

/// What the stub makes of one request.
fn inspect(r: &api_stub::Seen, accept: Accept) -> Seen {
    let (region, service, _) = accept.api();
    let header = |name: &str| r.header(name).map(str::to_owned);
    let authorization = header("authorization").unwrap_or_default();
    let amz_date = header("x-amz-date").unwrap_or_default();
    let mut problem = check_authorization(&authorization, &amz_date, accept.key, region, service);
    if r.method != "POST" || r.target != "/" {
        problem = format!("request line: {}", r.line());
    }
    if r.header("content-type") != Some("application/x-amz-json-1.1") {
        problem = format!("content-type {:?}", r.header("content-type"));
    }
    Seen {
        target: r.amz_target.clone(),
        authorization,
        amz_date,
        security_token: header("x-amz-security-token"),
        body: r.body.clone(),
        problem,
    }
}

/// The stub's answer to one request.
fn answer(call: &Seen, accept: Accept) -> (u16, String) {
    let (_, _, prefix) = accept.api();
    if !call.problem.is_empty() {
        (
            403,
            r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match"}"#.to_owned(),
        )
    } else if call.target == format!("{prefix}.GetAuthorizationToken") {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{PASS}"));
        // ecr-public answers one object, ECR a list.
        let answer = if accept.public {
            format!(
                r#"{{"authorizationData":{{"authorizationToken":"{token}","expiresAt":1.7E9}}}}"#
            )
        } else {
            format!(
                r#"{{"authorizationData":[{{"authorizationToken":"{token}","expiresAt":1.7E9,"proxyEndpoint":"https://example"}}]}}"#
            )
        };
        (200, answer)
    } else if call.target == format!("{prefix}.CreateRepository") {
        (200, r#"{"repository":{"repositoryName":"x"}}"#.to_owned())
    } else {
        (400, r#"{"__type":"UnknownOperationException"}"#.to_owned())
    }
}

impl EcrStub {
    /// Serves ECR's API, accepting signatures made with the key id `key`.
    fn start(key: &'static str) -> Self {
        Self::serve(Accept { key, public: false })
    }

    /// Serves ecr-public's API (`us-east-1`).
    fn start_public(key: &'static str) -> Self {
        Self::serve(Accept { key, public: true })
    }

    fn serve(accept: Accept) -> Self {
        let stub = ApiStub::start(Box::new(move |r| answer(&inspect(r, accept), accept)));
        Self { stub, accept }
    }

    fn url(&self) -> String {
        self.stub.url()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stub
            .seen()
            .iter()
            .map(|r| inspect(r, self.accept))
            .collect()
    }

    fn targets(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| s.target.rsplit('.').next().unwrap_or_default().to_owned())
            .collect()
    }
}

struct Setup {
    registry: Registry,
    work: tempfile::TempDir,
    api: GitHubStub,
}

impl Setup {
    fn new() -> Self {
        let registry = Registry::start(&Kind::Htpasswd {
            user: "AWS",
            password: PASS,
        });
        let work = tempfile::tempdir().unwrap();
        write_layout(&work.path().join("layout"), 14, false);
        Self {
            registry,
            work,
            api: GitHubStub::app(),
        }
    }

    fn base_env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "DOCKER_CONFIG",
                self.work.path().join("no-docker").display().to_string(),
            ),
            ("PATH", "/usr/bin:/bin".into()),
            ("GITHUB_REPOSITORY", "o/app".into()),
            ("GITHUB_API_URL", self.api.url()),
            (
                "GITHUB_SHA",
                "0123456789abcdef0123456789abcdef01234567".into(),
            ),
            ("GITHUB_REF", "refs/heads/main".into()),
            ("GITHUB_EVENT_NAME", "push".into()),
        ]
    }

    /// A CLI push of the layout to `repo` with `registry-auth` `auth`, `env` and `extra` args.
    fn push(
        &self,
        repo: &str,
        auth: &str,
        env: &[(&'static str, String)],
        extra: &[&str],
    ) -> support::cli::Out {
        let source = format!("oci:{}", self.work.path().join("layout").display());
        let images = format!("{}/{repo}", self.registry.host());
        let host = self.registry.host();
        let mut args = vec![
            "--images",
            images.as_str(),
            "--tags",
            "type=raw,value=v1",
            "--source",
            source.as_str(),
            "--insecure-registries",
            host.as_str(),
            "--registry-auth",
            auth,
        ];
        args.extend_from_slice(extra);
        let mut all = self.base_env();
        all.extend(env.iter().cloned());
        support::cli::hoist(self.work.path(), &all, &args)
    }

    fn landed(&self, repo: &str) -> bool {
        let creds = format!("AWS:{PASS}");
        skopeo_digest(
            &format!("{}/{repo}:v1", self.registry.host()),
            &["--creds", creds.as_str()],
        )
        .is_some()
    }
}

fn assert_no_secret(label: &str, out: &support::cli::Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for secret in [PASS, SECRET_KEY, SESSION] {
            assert!(
                !text.contains(secret),
                "{label}: {stream} prints a secret:\n{text}"
            );
        }
    }
}

#[test]
fn env_keys_are_exchanged_for_the_registry_password_at_push_time_and_the_push_lands() {
    let s = Setup::new();
    let stub = EcrStub::start(KEY_ID);
    let auth = format!("- registry: {}\n  ecr: true\n", s.registry.host());
    let env = [
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_SESSION_TOKEN", SESSION.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL_ECR", stub.url()),
        // The ECR-specific endpoint wins over the generic one.
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned()),
    ];
    let out = s.push("team/app", &auth, &env, &[]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("env keys", &out);
    assert!(s.landed("team/app"), "not pushed:\n{}", out.stderr);
    let seen = stub.seen();
    assert_eq!(stub.targets(), ["GetAuthorizationToken"], "{seen:?}");
    let call = &seen[0];
    assert_eq!(call.problem, "", "{}", call.authorization);
    assert_eq!(call.body, "{}");
    assert_eq!(call.security_token.as_deref(), Some(SESSION));
    assert!(
        call.authorization.contains(&format!(
            "Credential={KEY_ID}/{}/{REGION}/ecr/aws4_request",
            &call.amz_date[..8]
        )),
        "{}",
        call.authorization
    );
    assert!(
        !call.authorization.contains(SECRET_KEY),
        "{}",
        call.authorization
    );
}

#[test]
fn item_keys_and_create_repos_call_create_repository_only_when_asked() {
    const ITEM_KEY: &str = "AKIAHOISTITEMKEY0002";
    let s = Setup::new();
    let stub = EcrStub::start(ITEM_KEY);
    // The item's username/password are the AWS key id and secret (as login-action reads them).
    let auth = format!(
        "- registry: {}\n  username: {ITEM_KEY}\n  password: {SECRET_KEY}\n  ecr: true\n",
        s.registry.host()
    );
    let env = [
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL", stub.url()),
    ];
    let out = s.push("made/first", &auth, &env, &[]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("item keys", &out);
    assert!(s.landed("made/first"));
    assert_eq!(stub.targets(), ["GetAuthorizationToken"]);
    assert_eq!(stub.seen()[0].security_token, None);

    let out = s.push("made/second", &auth, &env, &["--ecr-create-repos", "true"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("create repos", &out);
    assert!(s.landed("made/second"));
    assert_eq!(
        stub.targets(),
        [
            "GetAuthorizationToken",
            "GetAuthorizationToken",
            "CreateRepository"
        ]
    );
    let create = &stub.seen()[2];
    assert_eq!(create.problem, "");
    let body: serde_json::Value = serde_json::from_str(&create.body).unwrap();
    // Only the name: tag mutability is left to the registry's default.
    assert_eq!(body, serde_json::json!({"repositoryName": "made/second"}));
    assert!(
        out.stderr
            .contains("ecr-create-repos: repository `made/second` ready on"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_refused_login_names_the_registry_and_the_operation_and_pushes_nothing() {
    let s = Setup::new();
    // The stub accepts only another key id: the signature check fails with AWS's 403.
    let stub = EcrStub::start("AKIAOTHERKEY00000003");
    let host = s.registry.host();
    let auth = format!("- registry: {host}\n  ecr: true\n");
    let env = [
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL_ECR", stub.url()),
    ];
    let out = s.push("refused/app", &auth, &env, &["--ecr-create-repos", "true"]);
    assert_ne!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("refused", &out);
    assert!(
        out.stderr.contains(&format!(
            "registry `{host}`: AWS `GetAuthorizationToken` (ecr): HTTP 403 Forbidden `InvalidSignatureException`"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(stub.targets(), ["GetAuthorizationToken"]);
    assert!(!s.registry.has_blobs(), "something was pushed");

    // No region (the host name is not ECR's and no AWS_REGION): an error with the hint.
    let env = [
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_ENDPOINT_URL_ECR", stub.url()),
    ];
    let out = s.push("refused/app", &auth, &env, &[]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr
            .contains(&format!("registry `{host}`: ECR login needs a region"))
            && out.stderr.contains("hint: set `AWS_REGION`"),
        "{}",
        out.stderr
    );
    // No keys at all: an error with the hint, no call made.
    let out = s.push(
        "refused/app",
        &auth,
        &[("AWS_REGION", REGION.to_owned())],
        &[],
    );
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr
            .contains(&format!("registry `{host}`: ECR login needs AWS keys")),
        "{}",
        out.stderr
    );
    assert_eq!(stub.targets().len(), 1, "a call was made without keys");
}

#[test]
fn on_a_runner_the_registry_password_is_masked_and_the_aws_secrets_never_printed() {
    let s = Setup::new();
    let stub = EcrStub::start(KEY_ID);
    let host = s.registry.host();
    let mut step = support::step::Step::push("refs/heads/main", support::github::APP_SHA);
    step.repository = Some("o/app".to_owned());
    step.token = None;
    let source = format!("oci:{}", s.work.path().join("layout").display());
    let step = step
        .input("images", &format!("{host}/runner/app"))
        .input("tags", "type=raw,value=v1")
        .input("source", &source)
        .input("insecure-registries", &host)
        .input(
            "registry-auth",
            &format!("- registry: {host}\n  ecr: true\n  scope: runner\n"),
        )
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL_ECR", &stub.url());
    let run = step.run(
        std::path::Path::new(env!("CARGO_BIN_EXE_hoist")),
        &s.api.url(),
    );
    let t = run.transcript();
    assert_eq!(run.code(), Some(0), "{t}");
    run.assert_no_panic();
    run.assert_masked(PASS);
    assert!(
        run.stdout.contains(&format!("::add-mask::{PASS}")),
        "the ECR password is not masked:\n{t}"
    );
    for secret in [SECRET_KEY, SESSION] {
        assert!(!t.contains(secret), "an AWS secret is printed:\n{t}");
    }
    for (name, value) in run.outputs() {
        for secret in [PASS, SECRET_KEY, SESSION] {
            assert!(!value.contains(secret), "output `{name}` holds a secret");
        }
    }
    assert!(s.landed("runner/app"), "not pushed:\n{t}");
    assert_eq!(stub.targets(), ["GetAuthorizationToken"]);
}

#[test]
fn an_ecr_host_name_logs_in_with_env_keys_unless_the_docker_config_has_its_credential() {
    let s = Setup::new();
    let stub = EcrStub::start(KEY_ID);
    // The region comes from the host name (the stub checks `eu-west-3`), not `AWS_REGION`.
    let ecr_host = format!("123456789012.dkr.ecr.{REGION}.amazonaws.com");
    let images = format!("{ecr_host}/team/app");
    let source = format!("oci:{}", s.work.path().join("layout").display());
    let docker = s.work.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let run = |config: &str| {
        std::fs::write(docker.join("config.json"), config).unwrap();
        let mut env = s.base_env();
        env.extend([
            ("DOCKER_CONFIG", docker.display().to_string()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_REGION", "us-west-2".to_owned()),
            ("AWS_ENDPOINT_URL_ECR", stub.url()),
        ]);
        // `push: false`: the plan is printed, no registry is contacted, the login is made.
        let args = [
            "--images",
            images.as_str(),
            "--tags",
            "type=raw,value=v1",
            "--source",
            source.as_str(),
            "--push",
            "false",
        ];
        support::cli::hoist(s.work.path(), &env, &args)
    };
    let out = run("{}");
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("host name", &out);
    let seen = stub.seen();
    assert_eq!(stub.targets(), ["GetAuthorizationToken"], "{seen:?}");
    assert_eq!(seen[0].problem, "", "{}", seen[0].authorization);

    // A docker config credential for the registry (amazon-ecr-login ran): used as today.
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{PASS}"));
    let out = run(&format!(
        r#"{{"auths":{{"{ecr_host}":{{"auth":"{auth}"}}}}}}"#
    ));
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(stub.targets().len(), 1, "a login despite the docker config");
}

#[test]
fn public_ecr_uses_ecr_public_in_us_east_1() {
    let s = Setup::new();
    let stub = EcrStub::start_public(KEY_ID);
    let source = format!("oci:{}", s.work.path().join("layout").display());
    let mut env = s.base_env();
    env.extend([
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL_ECR", stub.url()),
    ]);
    let args = [
        "--images",
        "public.ecr.aws/a1b2c3/app",
        "--tags",
        "type=raw,value=v1",
        "--source",
        source.as_str(),
        "--push",
        "false",
    ];
    let out = support::cli::hoist(s.work.path(), &env, &args);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_no_secret("public", &out);
    let seen = stub.seen();
    assert_eq!(stub.targets(), ["GetAuthorizationToken"], "{seen:?}");
    assert_eq!(
        seen[0].target,
        "SpencerFrontendService.GetAuthorizationToken"
    );
    assert_eq!(seen[0].problem, "", "{}", seen[0].authorization);
}
