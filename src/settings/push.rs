//! The push inputs: [`PushInputs`] (raw, flattened into `RawInputs`) and
//! [`PushSettings::resolve`] (pure) into typed settings. `registry-auth` is docker/login-action's
//! format, a YAML list of `registry`/`username`/`password`. Must not read the environment or
//! files, and must never quote a password in an error.

use serde_norway::Value as Yaml;

/// The push inputs, raw (`INPUT_<NAME>` or `--flag`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct PushInputs {
    /// Image to push: `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`, `docker-archive:FILE[:REF]`, `docker-daemon:IMAGE[:TAG]` or `docker://IMAGE[:TAG|@DIGEST]` (empty: metadata only)
    #[arg(long, env = "INPUT_SOURCE")]
    pub source: Option<String>,
    /// Push to the registries (default `true` when `source` is set; `false` prints the plan)
    #[arg(long, env = "INPUT_PUSH")]
    pub push: Option<String>,
    /// Registry credentials: YAML list of `registry`, `username`, `password`
    #[arg(
        long = "registry-auth",
        env = "INPUT_REGISTRY-AUTH",
        hide_env_values = true
    )]
    pub registry_auth: Option<String>,
    /// Registries (`host[:port]`) spoken to over plain http, one per line
    #[arg(long = "insecure-registries", env = "INPUT_INSECURE-REGISTRIES")]
    pub insecure_registries: Option<String>,
    /// PEM files of extra certificate authorities, one per line
    #[arg(long = "registry-ca", env = "INPUT_REGISTRY-CA")]
    pub registry_ca: Option<String>,
    /// Platforms to keep from a multi-platform image (`os/arch[/variant]`, comma or newline separated)
    #[arg(long, env = "INPUT_PLATFORMS")]
    pub platforms: Option<String>,
    /// `atomic` (default: no tag moves unless every registry holds the image) or `partial`
    #[arg(long = "tag-policy", env = "INPUT_TAG-POLICY")]
    pub tag_policy: Option<String>,
    /// The longest the whole push may take (`90s`, `15m`, `1h`, `1h30m`; default `1h`)
    #[arg(long, env = "INPUT_TIMEOUT")]
    pub timeout: Option<String>,
    /// Test knob (a hidden flag, no input): retry pacing and request deadlines
    /// (`base=1ms,request=300ms,budget=2s`)
    #[arg(long = "retry-pacing", hide = true)]
    pub retry_pacing: Option<String>,
    /// Tags that never move once they exist: glob patterns over tag names (`*`, `?`, `[...]`), one per line
    #[arg(long = "immutable-tags", env = "INPUT_IMMUTABLE-TAGS")]
    pub immutable_tags: Option<String>,
    /// `none` (default) or `semver`: a `latest` tag moves only to a version greater than or equal to the one it holds
    #[arg(long = "latest-guard", env = "INPUT_LATEST-GUARD")]
    pub latest_guard: Option<String>,
    /// Copy signatures, SBOMs and attestations (referrers, cosign tags) with the image (`true`/`false`; default `true` for `docker://` sources)
    #[arg(long = "copy-referrers", env = "INPUT_COPY-REFERRERS")]
    pub copy_referrers: Option<String>,
    /// Retention rules, one per line (`type=keep|keep-last|older-than|prerelease,pattern=…`); deletes the tags they select after the push, alone without `source`, only plans with `push: false`
    #[arg(long, env = "INPUT_RETENTION")]
    pub retention: Option<String>,
    /// The most deletions per image per run (default `50`); over it nothing is deleted there
    #[arg(long = "retention-max-deletes", env = "INPUT_RETENTION-MAX-DELETES")]
    pub retention_max_deletes: Option<String>,
    /// Start the registry's garbage collection after deleting (`true`/`false`, default `false`; registry.digitalocean.com, not implemented yet)
    #[arg(long = "retention-gc", env = "INPUT_RETENTION-GC")]
    pub retention_gc: Option<String>,
    /// `true`: create missing Amazon ECR repositories (`CreateRepository`) before pushing to them
    #[arg(long = "ecr-create-repos", env = "INPUT_ECR-CREATE-REPOS")]
    pub ecr_create_repos: Option<String>,
    /// Upload blobs in chunks of this size (`8MiB`, `16M`, `5000000`), for registries and proxies that limit request bodies; default: one request per blob
    #[arg(long = "chunk-size", env = "INPUT_CHUNK-SIZE")]
    pub chunk_size: Option<String>,
}

/// When tags move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagPolicy {
    /// Tags move only when every registry holds all the content.
    #[default]
    Atomic,
    /// Registries that hold the content are tagged even when others failed.
    Partial,
}

/// Credentials for one registry, from `registry-auth`.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryCredential {
    /// The registry as written (`ghcr.io`, `docker.io`, `localhost:5000`).
    pub registry: String,
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
    /// login-action's `scope`: the repository path the item applies to (`None`: the whole
    /// registry; the `@actions` suffix is validated and dropped).
    pub scope: Option<String>,
    /// login-action's `ecr` (`None`: not given).
    pub ecr: Option<Ecr>,
}

/// login-action's `ecr` key: whether the registry is Amazon ECR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ecr {
    /// By host name (`*.dkr.ecr.*.amazonaws.com`, `public.ecr.aws`).
    Auto,
    /// Always.
    Yes,
    /// Never: `username`/`password` are the registry's own.
    No,
}

/// Whether `host` is an Amazon ECR registry by name (login-action's `isECR`: private
/// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` or `public.ecr.aws`).
#[must_use]
pub fn is_ecr_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "public.ecr.aws" {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let tail_ok = host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
    tail_ok
        && labels.len() >= 6
        && labels[1] == "dkr"
        && (labels[2] == "ecr" || labels[2] == "ecr-fips")
        && !labels[0].is_empty()
        && labels[0].bytes().all(|b| b.is_ascii_digit())
}

/// Validates login-action's `scope` (`path[@action,...]`) and returns its path without the
/// slashes around it. Errors never quote a secret (a scope is not one).
fn parse_scope(scope: &str, n: usize, registry: &str) -> Result<String, PushSettingsError> {
    let bad = |why: &str| {
        PushSettingsError::Auth(format!(
            "entry {n} ({registry}): `scope` `{scope}`: {why}\nhint: a repository path with optional actions, e.g. `scope: myorg/myimage@push`"
        ))
    };
    let (path, actions) = match scope.split_once('@') {
        Some((p, a)) => (p, Some(a)),
        None => (scope, None),
    };
    if let Some(a) = actions {
        let ok = !a.is_empty()
            && a.split(',')
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
        if a.contains('@') {
            return Err(bad("at most one `@` separator"));
        }
        if !ok {
            return Err(bad("actions must be lowercase names separated by commas"));
        }
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.starts_with('/') {
        return Err(bad("an absolute path escapes the registry"));
    }
    if !trimmed.is_empty()
        && trimmed
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(bad("empty, `.` or `..` path segments"));
    }
    Ok(trimmed.to_owned())
}

impl std::fmt::Debug for RegistryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCredential")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("scope", &self.scope)
            .field("ecr", &self.ecr)
            .finish()
    }
}

/// The resolved push settings.
#[derive(Clone, Debug, Default)]
pub struct PushSettings {
    /// The `source` input (`None`: metadata only).
    pub source: Option<String>,
    /// Whether to push (otherwise print the plan).
    pub push: bool,
    /// Explicit credentials.
    pub credentials: Vec<RegistryCredential>,
    /// Registries spoken to over plain http.
    pub insecure_registries: Vec<String>,
    /// Extra CA files.
    pub registry_ca: Vec<String>,
    /// Platform filter (empty: all).
    pub platforms: Vec<String>,
    /// When tags move.
    pub tag_policy: TagPolicy,
    /// The deadline of the whole push.
    pub timeout: std::time::Duration,
    /// The hidden test flag `--retry-pacing` (retry pacing and request deadlines), parsed by
    /// the registry layer (`RetryPolicy::parse_overrides`).
    pub retry_pacing: Option<String>,
    /// `immutable-tags`: (line number, glob pattern), blank lines and `#` comments dropped; the
    /// patterns are parsed by the registry layer (`registry::guard::Glob`).
    pub immutable_tags: Vec<(usize, String)>,
    /// `latest-guard: semver`: `latest` moves only forward.
    pub latest_guard: bool,
    /// `copy-referrers` as given (`None`: the default of the source's transport).
    pub copy_referrers: Option<bool>,
    /// The `retention` rules (empty: retention off).
    pub retention: crate::meta::retention::Policy,
    /// `retention-max-deletes`.
    pub retention_max_deletes: usize,
    /// `retention-gc`.
    pub retention_gc: bool,
    /// `ecr-create-repos: true`: create missing ECR repositories before the preflight.
    pub ecr_create_repos: bool,
    /// `chunk-size` in bytes (`None`: monolithic uploads).
    pub chunk_size: Option<u64>,
}

/// The default of `retention-max-deletes`.
pub const DEFAULT_RETENTION_MAX_DELETES: usize = 50;

/// The default of input `timeout`: well under a job's 6 hours.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);

pub use crate::duration::parse_duration;

/// A bad push input.
#[derive(Debug, thiserror::Error)]
pub enum PushSettingsError {
    /// `push` is not a boolean.
    #[error("input `push`: `{0}` is not a boolean (true or false)")]
    Push(String),
    /// `tag-policy` is unknown.
    #[error("input `tag-policy`: `{0}` is not `atomic` or `partial`")]
    TagPolicy(String),
    /// `copy-referrers` is not a boolean.
    #[error("input `copy-referrers`: `{0}` is not a boolean (true or false)")]
    CopyReferrers(String),
    /// `registry-auth` is malformed (the message never quotes a value).
    #[error(
        "input `registry-auth`: {0}\nhint: a YAML list such as `- registry: ghcr.io` / `  username: ${{{{ github.actor }}}}` / `  password: ${{{{ secrets.GITHUB_TOKEN }}}}`"
    )]
    Auth(String),
    /// A platform is not `os/arch[/variant]`.
    #[error("input `platforms`: `{0}` is not `os/arch[/variant]`")]
    Platform(String),
    /// `timeout` is not a duration.
    #[error("input `timeout`: {0}")]
    Timeout(String),
    /// `latest-guard` is unknown.
    #[error("input `latest-guard`: `{0}` is not `none` or `semver`")]
    LatestGuard(String),
    /// The hidden test flag `--retry-pacing` is malformed.
    #[error("flag `--retry-pacing`: {0}")]
    RetryPacing(String),
    /// A bad `retention` line (the error names the line).
    #[error("input `retention`: {0}")]
    Retention(#[from] crate::meta::retention::RetentionError),
    /// `retention-max-deletes` is not a whole number.
    #[error(
        "input `retention-max-deletes`: `{0}` is not a whole number (hint: e.g. `50`; `0` plans without deleting anything)"
    )]
    RetentionMaxDeletes(String),
    /// `retention-gc` is not a boolean.
    #[error("input `retention-gc`: `{0}` is not a boolean (true or false)")]
    RetentionGc(String),
    /// `ecr-create-repos` is not a boolean.
    #[error("input `ecr-create-repos`: `{0}` is not a boolean (true or false)")]
    EcrCreateRepos(String),
    /// `chunk-size` is not a size.
    #[error(
        "input `chunk-size`: `{0}` is not a size of at least 1 KiB and at most 4 GiB (hint: e.g. `8MiB`, `16M` or `5000000`)"
    )]
    ChunkSize(String),
}

/// The smallest `chunk-size` accepted (smaller chunks would turn a blob into a flood of
/// requests).
pub const MIN_CHUNK_SIZE: u64 = 1024;

/// The largest `chunk-size` accepted.
pub const MAX_CHUNK_SIZE: u64 = 4 << 30;

/// Parses a `chunk-size`: a whole number of bytes with an optional unit, `K`/`M`/`G` (powers
/// of 1000, `B` optional) or `KiB`/`MiB`/`GiB` (powers of 1024), case-insensitive, between
/// [`MIN_CHUNK_SIZE`] and [`MAX_CHUNK_SIZE`].
///
/// # Errors
/// The text is not such a size.
pub fn parse_chunk_size(text: &str) -> Result<u64, PushSettingsError> {
    let bad = || PushSettingsError::ChunkSize(text.to_owned());
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    let size = n.checked_mul(factor).ok_or_else(bad)?;
    if (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&size) {
        Ok(size)
    } else {
        Err(bad())
    }
}

fn trimmed(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A newline- or comma-separated list; blank lines and `#` comments dropped.
fn list(v: Option<&String>) -> Vec<String> {
    v.map(|s| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// The non-blank, non-comment lines of a newline list, each with its 1-based line number.
fn numbered_lines(v: Option<&String>) -> Vec<(usize, String)> {
    v.map(|s| {
        s.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .map(|(i, l)| (i, l.to_owned()))
            .collect()
    })
    .unwrap_or_default()
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A `username` or `password`: YAML must read it as a string. `1e3`, `0x1F`, `true`, `~` are
/// read as numbers, booleans or null and would not be the text the user typed: an error asking
/// to quote it (the value never quoted back).
fn secret_field(
    map: &serde_norway::Mapping,
    key: &str,
    n: usize,
    registry: &str,
) -> Result<String, PushSettingsError> {
    match map.get(key) {
        None => Err(PushSettingsError::Auth(format!(
            "entry {n} ({registry}): no `{key}`"
        ))),
        Some(Yaml::String(s)) if s.is_empty() => Err(PushSettingsError::Auth(format!(
            "entry {n} ({registry}): no `{key}`"
        ))),
        Some(Yaml::String(s)) => Ok(s.clone()),
        Some(_) => Err(PushSettingsError::Auth(format!(
            "entry {n} ({registry}): `{key}` is not a string to YAML (it reads as a number, boolean, list, mapping or nothing)\nhint: quote it, e.g. `{key}: '...'`, or pass it from a secret"
        ))),
    }
}

/// Parses `registry-auth`. Errors give the entry number and field, never a value.
pub fn parse_registry_auth(text: &str) -> Result<Vec<RegistryCredential>, PushSettingsError> {
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| {
        PushSettingsError::Auth(match e.location() {
            Some(l) => format!("not valid YAML (line {}, column {})", l.line(), l.column()),
            None => "not valid YAML".into(),
        })
    })?;
    let items = match doc {
        Yaml::Null => return Ok(Vec::new()),
        Yaml::Sequence(items) => items,
        Yaml::Mapping(_) => vec![doc],
        _ => return Err(PushSettingsError::Auth("not a YAML list".into())),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let Yaml::Mapping(map) = item else {
            return Err(PushSettingsError::Auth(format!(
                "entry {n} is not a mapping"
            )));
        };
        let field = |key: &str| map.get(key).and_then(scalar);
        for key in map.keys() {
            let k = key.as_str().unwrap_or_default();
            if !matches!(k, "registry" | "username" | "password" | "ecr" | "scope") {
                return Err(PushSettingsError::Auth(format!(
                    "entry {n}: unknown key `{k}` (expected registry, username, password, ecr, scope)"
                )));
            }
        }
        let registry = field("registry")
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "docker.io".to_owned());
        // YAML reads an unquoted `ecr: false` as a boolean: kept, as login-action keeps it.
        let ecr = match field("ecr").as_deref().map(str::trim) {
            None | Some("") => None,
            Some("auto") => Some(Ecr::Auto),
            Some("true") => Some(Ecr::Yes),
            Some("false") => Some(Ecr::No),
            Some(other) => {
                return Err(PushSettingsError::Auth(format!(
                    "entry {n} ({registry}): `ecr` `{other}` is not `auto`, `true` or `false`"
                )));
            }
        };
        // The host as login-action's `isECR` sees it (no scheme, no path).
        let host = registry
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        // `ecr: auto` on a host that is not ECR by name: the item's own credentials.
        let ecr = match ecr {
            Some(Ecr::Auto) if !is_ecr_host(host) => Some(Ecr::No),
            other => other,
        };
        let scope = match map.get("scope") {
            None | Some(Yaml::Null) => None,
            Some(Yaml::String(s)) if s.trim().is_empty() => None,
            Some(Yaml::String(s)) => Some(parse_scope(s.trim(), n, &registry)?),
            Some(_) => {
                return Err(PushSettingsError::Auth(format!(
                    "entry {n} ({registry}): `scope` is not a string"
                )));
            }
        };
        // An ECR item without `username`/`password` takes the AWS keys from the environment.
        let aws_env = ecr == Some(Ecr::Yes) || ecr == Some(Ecr::Auto);
        let absent = |key: &str| match map.get(key) {
            None | Some(Yaml::Null) => true,
            Some(Yaml::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        let (username, password) = if aws_env && absent("username") && absent("password") {
            (String::new(), String::new())
        } else {
            (
                secret_field(map, "username", n, &registry)?,
                secret_field(map, "password", n, &registry)?,
            )
        };
        out.push(RegistryCredential {
            registry,
            username,
            password,
            scope,
            ecr,
        });
    }
    Ok(out)
}

impl PushSettings {
    /// Resolves the raw push inputs.
    pub fn resolve(raw: &PushInputs) -> Result<Self, PushSettingsError> {
        let source = trimmed(raw.source.as_ref());
        let retention =
            crate::meta::retention::parse(raw.retention.as_deref().unwrap_or_default())?;
        let push = match trimmed(raw.push.as_ref()).as_deref() {
            // Retention alone (no `source`) deletes unless `push: false` asks for the plan only.
            None => source.is_some() || !retention.is_empty(),
            Some("true" | "True" | "TRUE" | "1") => true,
            Some("false" | "False" | "FALSE" | "0") => false,
            Some(other) => return Err(PushSettingsError::Push(other.to_owned())),
        };
        let tag_policy = match trimmed(raw.tag_policy.as_ref()).as_deref() {
            None | Some("atomic") => TagPolicy::Atomic,
            Some("partial") => TagPolicy::Partial,
            Some(other) => return Err(PushSettingsError::TagPolicy(other.to_owned())),
        };
        let credentials = match trimmed(raw.registry_auth.as_ref()) {
            Some(text) => parse_registry_auth(&text)?,
            None => Vec::new(),
        };
        let platforms = list(raw.platforms.as_ref());
        for p in &platforms {
            let parts: Vec<&str> = p.split('/').collect();
            if !(2..=3).contains(&parts.len()) || parts.iter().any(|s| s.is_empty()) {
                return Err(PushSettingsError::Platform(p.clone()));
            }
        }
        let latest_guard = match trimmed(raw.latest_guard.as_ref()).as_deref() {
            None | Some("none") => false,
            Some("semver") => true,
            Some(other) => return Err(PushSettingsError::LatestGuard(other.to_owned())),
        };
        let ecr_create_repos = match trimmed(raw.ecr_create_repos.as_ref()).as_deref() {
            None | Some("false" | "False" | "FALSE") => false,
            Some("true" | "True" | "TRUE") => true,
            Some(other) => return Err(PushSettingsError::EcrCreateRepos(other.to_owned())),
        };
        let timeout = match trimmed(raw.timeout.as_ref()) {
            Some(t) => parse_duration(&t).map_err(PushSettingsError::Timeout)?,
            None => DEFAULT_TIMEOUT,
        };
        let copy_referrers = match trimmed(raw.copy_referrers.as_ref()).as_deref() {
            None => None,
            Some("true" | "True" | "TRUE") => Some(true),
            Some("false" | "False" | "FALSE") => Some(false),
            Some(other) => return Err(PushSettingsError::CopyReferrers(other.to_owned())),
        };
        Ok(Self {
            copy_referrers,
            source,
            push,
            timeout,
            retry_pacing: trimmed(raw.retry_pacing.as_ref()),
            credentials,
            insecure_registries: list(raw.insecure_registries.as_ref()),
            registry_ca: list(raw.registry_ca.as_ref())
                .into_iter()
                .filter(|l| !l.is_empty())
                .collect(),
            platforms,
            tag_policy,
            immutable_tags: numbered_lines(raw.immutable_tags.as_ref()),
            latest_guard,
            retention,
            retention_max_deletes: match trimmed(raw.retention_max_deletes.as_ref()) {
                None => DEFAULT_RETENTION_MAX_DELETES,
                Some(n) => n
                    .parse()
                    .map_err(|_| PushSettingsError::RetentionMaxDeletes(n.clone()))?,
            },
            retention_gc: match trimmed(raw.retention_gc.as_ref()).as_deref() {
                None | Some("false" | "False" | "FALSE" | "0") => false,
                Some("true" | "True" | "TRUE" | "1") => true,
                Some(other) => return Err(PushSettingsError::RetentionGc(other.to_owned())),
            },
            ecr_create_repos,
            chunk_size: trimmed(raw.chunk_size.as_ref())
                .map(|t| parse_chunk_size(&t))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_referrers_is_a_boolean_or_unset() {
        let with = |v: Option<&str>| {
            PushSettings::resolve(&PushInputs {
                copy_referrers: v.map(str::to_owned),
                ..PushInputs::default()
            })
        };
        assert_eq!(with(None).unwrap().copy_referrers, None);
        assert_eq!(with(Some("true")).unwrap().copy_referrers, Some(true));
        assert_eq!(with(Some(" false ")).unwrap().copy_referrers, Some(false));
        let e = with(Some("yes")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "input `copy-referrers`: `yes` is not a boolean (true or false)"
        );
    }

    #[test]
    fn push_defaults_to_true_only_with_a_source() {
        let s = PushSettings::resolve(&PushInputs::default()).expect("resolves");
        assert!(!s.push);
        let s = PushSettings::resolve(&PushInputs {
            source: Some("oci:x".into()),
            ..PushInputs::default()
        })
        .expect("resolves");
        assert!(s.push);
        assert_eq!(s.tag_policy, TagPolicy::Atomic);
    }

    #[test]
    fn registry_auth_accepts_login_action_ecr_and_scope_and_still_rejects_unknown_keys() {
        let creds = parse_registry_auth(
            "- registry: docker.io\n  username: u\n  password: p\n  scope: myorg/app/@push\n  ecr: false\n- registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n  username: AWS\n  password: p\n  ecr: 'false'\n- registry: quay.io\n  username: u\n  password: p\n  ecr: auto\n  scope: '@push'\n",
        )
        .expect("parses");
        assert_eq!(creds[0].scope.as_deref(), Some("myorg/app"));
        assert_eq!(creds[0].ecr, Some(Ecr::No));
        assert_eq!(creds[1].ecr, Some(Ecr::No));
        assert_eq!(creds[2].ecr, Some(Ecr::No));
        assert_eq!(creds[2].scope.as_deref(), Some(""));
        let err = parse_registry_auth("- username: u\n  password: hunter2\n  logout: true\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown key `logout`"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        for (scope, why) in [
            ("a@push@pull", "at most one `@`"),
            ("a@Push", "lowercase"),
            ("../x", "`..`"),
            ("/abs", "absolute"),
        ] {
            let err = parse_registry_auth(&format!(
                "- username: u\n  password: hunter2\n  scope: '{scope}'\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(err.contains(why), "{scope}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        let err = parse_registry_auth("- username: u\n  password: p\n  ecr: maybe\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`ecr` `maybe` is not `auto`, `true` or `false`"),
            "{err}"
        );
    }

    #[test]
    fn ecr_items_are_kept_for_the_aws_login_and_hosts_are_recognised() {
        assert!(is_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com"));
        assert!(is_ecr_host(
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
        ));
        assert!(is_ecr_host(
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"
        ));
        assert!(is_ecr_host("public.ecr.aws"));
        assert!(!is_ecr_host("ecr.example.com"));
        assert!(!is_ecr_host("ghcr.io"));
        for item in [
            "- registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n  username: k\n  password: s\n  ecr: auto\n",
            "- registry: ghcr.io\n  username: k\n  password: s\n  ecr: true\n",
        ] {
            let creds = parse_registry_auth(item).expect("parses");
            assert_eq!(
                creds[0].ecr,
                Some(Ecr::Yes)
                    .filter(|_| item.contains("true"))
                    .or(Some(Ecr::Auto))
            );
            assert_eq!(
                (creds[0].username.as_str(), creds[0].password.as_str()),
                ("k", "s")
            );
        }
        // `auto` on a host that is not ECR: the item's own credentials.
        let creds =
            parse_registry_auth("- registry: ghcr.io\n  username: k\n  password: s\n  ecr: auto\n")
                .expect("parses");
        assert_eq!(creds[0].ecr, Some(Ecr::No));
        // Keys from the environment: no username/password needed.
        let creds =
            parse_registry_auth("- registry: 127.0.0.1:5000\n  ecr: true\n").expect("parses");
        assert_eq!(
            (creds[0].ecr, creds[0].username.as_str()),
            (Some(Ecr::Yes), "")
        );
        let err = parse_registry_auth("- registry: 127.0.0.1:5000\n  ecr: true\n  username: k\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `password`"), "{err}");
        // Without the key, an ECR host keeps today's meaning (a password from get-login-password).
        let creds = parse_registry_auth(
            "- registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n  username: AWS\n  password: s\n",
        )
        .expect("parses");
        assert_eq!(creds[0].ecr, None);
    }

    #[test]
    fn registry_auth_is_login_action_yaml() {
        let creds = parse_registry_auth(
            "- registry: ghcr.io\n  username: me\n  password: s3cret\n- username: hub\n  password: '1234'\n",
        )
        .expect("parses");
        assert_eq!(creds.len(), 2);
        assert_eq!(creds[0].registry, "ghcr.io");
        assert_eq!(creds[1].registry, "docker.io");
        assert_eq!(creds[1].password, "1234");
        assert!(!format!("{creds:?}").contains("s3cret"));
    }

    #[test]
    fn registry_auth_errors_never_quote_the_password() {
        let err = parse_registry_auth("- registry: x\n  username: u\n  pasword: hunter2\n")
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("pasword"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse_registry_auth("- registry: x\n  password: [hunter2\n")
            .expect_err("must fail")
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn timeout_is_a_duration_named_in_errors() {
        use std::time::Duration;
        let t = |v: &str| {
            PushSettings::resolve(&PushInputs {
                timeout: Some(v.into()),
                ..PushInputs::default()
            })
            .map(|s| s.timeout)
        };
        assert_eq!(t("90s").expect("ok"), Duration::from_secs(90));
        assert_eq!(t("15m").expect("ok"), Duration::from_secs(900));
        assert_eq!(t(" 1h30m ").expect("ok"), Duration::from_secs(5400));
        assert_eq!(
            PushSettings::resolve(&PushInputs::default())
                .expect("ok")
                .timeout,
            DEFAULT_TIMEOUT
        );
        for bad in ["0s", "1 h", "h", "10", "1d", "-5m", "99999999999s"] {
            let e = t(bad).expect_err(bad).to_string();
            assert!(e.starts_with("input `timeout`: "), "{e}");
        }
    }

    #[test]
    fn a_password_or_username_yaml_reads_as_a_non_string_is_an_error_asking_to_quote_it() {
        for (value, shown) in [
            ("1e3", "1000"),
            ("0x1F", "31"),
            ("true", "true"),
            ("null", "null"),
            ("1234", "1234"),
            ("[zq]", "zq"),
        ] {
            for key in ["username", "password"] {
                let other = if key == "username" {
                    "password"
                } else {
                    "username"
                };
                let text = format!("- registry: r.io\n  {other}: ok-x\n  {key}: {value}\n");
                let err = parse_registry_auth(&text)
                    .expect_err("must fail")
                    .to_string();
                assert!(err.contains(&format!("entry 1 (r.io): `{key}`")), "{err}");
                assert!(err.contains("quote it"), "{err}");
                assert!(!err.contains(value) && !err.contains(shown), "{err}");
            }
        }
        let creds =
            parse_registry_auth("- registry: r.io\n  username: \"007\"\n  password: '1e3'\n")
                .expect("quoted values are strings");
        assert_eq!(
            (creds[0].username.as_str(), creds[0].password.as_str()),
            ("007", "1e3")
        );
    }

    #[test]
    fn release_guard_inputs() {
        let s = PushSettings::resolve(&PushInputs {
            immutable_tags: Some("# versions\nv*.*.*\n\n  [0-9]*.*.*  \n".into()),
            latest_guard: Some("semver".into()),
            ..PushInputs::default()
        })
        .expect("resolves");
        assert_eq!(
            s.immutable_tags,
            [(2, "v*.*.*".to_owned()), (4, "[0-9]*.*.*".to_owned())]
        );
        assert!(s.latest_guard);
        let s = PushSettings::resolve(&PushInputs::default()).expect("resolves");
        assert!(s.immutable_tags.is_empty() && !s.latest_guard);
        let e = PushSettings::resolve(&PushInputs {
            latest_guard: Some("semvr".into()),
            ..PushInputs::default()
        })
        .expect_err("unknown")
        .to_string();
        assert_eq!(e, "input `latest-guard`: `semvr` is not `none` or `semver`");
    }

    #[test]
    fn lists_and_policies() {
        let s = PushSettings::resolve(&PushInputs {
            insecure_registries: Some("127.0.0.1:5000\n# c\nlocalhost:5001, reg:1".into()),
            platforms: Some("linux/amd64,linux/arm64/v8".into()),
            tag_policy: Some("partial".into()),
            push: Some("false".into()),
            ..PushInputs::default()
        })
        .expect("resolves");
        assert_eq!(
            s.insecure_registries,
            vec!["127.0.0.1:5000", "localhost:5001", "reg:1"]
        );
        assert_eq!(s.platforms.len(), 2);
        assert_eq!(s.tag_policy, TagPolicy::Partial);
        assert!(!s.push);
        assert!(
            PushSettings::resolve(&PushInputs {
                tag_policy: Some("some".into()),
                ..PushInputs::default()
            })
            .is_err()
        );
    }

    #[test]
    fn retention_inputs_are_resolved_before_any_network() {
        let s = PushSettings::resolve(&PushInputs::default()).expect("resolves");
        assert!(s.retention.is_empty());
        assert_eq!(s.retention_max_deletes, 50);
        assert!(!s.retention_gc);
        let s = PushSettings::resolve(&PushInputs {
            retention: Some("# old dev tags\ntype=older-than,pattern=^pr-,age=30d".into()),
            retention_max_deletes: Some("7".into()),
            retention_gc: Some("true".into()),
            ..PushInputs::default()
        })
        .expect("resolves");
        assert_eq!(s.retention.rules.len(), 1);
        assert_eq!(s.retention_max_deletes, 7);
        assert!(s.retention_gc);
        // Retention alone deletes unless `push: false`.
        assert!(s.push);
        let bad = |r: PushInputs| PushSettings::resolve(&r).unwrap_err().to_string();
        let e = bad(PushInputs {
            retention: Some("type=keep,pattern=^latest$\ntype=older-than,age=soon".into()),
            ..PushInputs::default()
        });
        assert!(
            e.starts_with("input `retention`: retention line 2 `type=older-than,age=soon`"),
            "{e}"
        );
        let e = bad(PushInputs {
            retention_max_deletes: Some("many".into()),
            ..PushInputs::default()
        });
        assert!(e.contains("input `retention-max-deletes`: `many`"), "{e}");
        let e = bad(PushInputs {
            retention_gc: Some("yes".into()),
            ..PushInputs::default()
        });
        assert!(e.contains("input `retention-gc`: `yes`"), "{e}");
    }

    #[test]
    fn ecr_create_repos_is_a_boolean_named_in_errors() {
        let resolve = |v: Option<&str>| {
            PushSettings::resolve(&PushInputs {
                ecr_create_repos: v.map(str::to_owned),
                ..PushInputs::default()
            })
        };
        assert!(!resolve(None).unwrap().ecr_create_repos);
        assert!(!resolve(Some("false")).unwrap().ecr_create_repos);
        assert!(resolve(Some(" true ")).unwrap().ecr_create_repos);
        let err = resolve(Some("yes")).unwrap_err().to_string();
        assert_eq!(
            err,
            "input `ecr-create-repos`: `yes` is not a boolean (true or false)"
        );
    }

    #[test]
    fn chunk_size_is_a_size_with_an_optional_unit() {
        let with = |v: &str| {
            PushSettings::resolve(&PushInputs {
                chunk_size: Some(v.to_owned()),
                ..PushInputs::default()
            })
        };
        assert_eq!(
            PushSettings::resolve(&PushInputs::default())
                .unwrap()
                .chunk_size,
            None
        );
        assert_eq!(with("").unwrap().chunk_size, None);
        assert_eq!(with("8MiB").unwrap().chunk_size, Some(8 << 20));
        assert_eq!(with("16M").unwrap().chunk_size, Some(16_000_000));
        assert_eq!(with("5000000").unwrap().chunk_size, Some(5_000_000));
        assert_eq!(with(" 512 KiB ").unwrap().chunk_size, Some(512 << 10));
        assert_eq!(with("1gb").unwrap().chunk_size, Some(1_000_000_000));
        for bad in [
            "abc",
            "8XB",
            "-1",
            "0",
            "1000",
            "5GiB",
            "1.5MiB",
            "MiB",
            "99999999999999999999",
        ] {
            let e = with(bad).unwrap_err().to_string();
            assert!(e.starts_with("input `chunk-size`: `"), "{bad}: {e}");
            assert!(e.contains(bad.trim()), "{bad}: {e}");
            assert!(e.contains("hint:"), "{bad}: {e}");
        }
    }
}
