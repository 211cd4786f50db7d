//! The authorizer's configuration from environment variables: one reading for every host (the
//! Rust Lambda binary and the Python handler).

use std::time::Duration;

use super::{Authorizer, AuthorizerType, PolicyScope};
use crate::{
    CognitoVerifier, HttpFetcher, JwtVerifier, KeyCacheConfig, MultiPoolVerifier, TokenUse,
};

/// How long a cold start may spend on its first key fetch. Lambda bounds the init phase at
/// 10 s; whatever is not done by then is retried on the first request.
const INIT_BUDGET: Duration = Duration::from_secs(2);

/// A missing or invalid environment variable: the message names it and says what it takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EnvError {
    message: String,
}

impl EnvError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The environment, through `lookup`: blank values count as unset.
struct Env<F>(F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn var(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.var(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A list that restricts (required groups, scopes, resources): unset (or blank) is `None`;
    /// set but naming nothing (`","`) is an error naming the variable, never "no restriction".
    fn required(&self, name: &str) -> Result<Option<Vec<String>>, EnvError> {
        if self.var(name).is_none() {
            return Ok(None);
        }
        let items = self.list(name);
        if items.is_empty() {
            return Err(EnvError::new(format!(
                "{name} names nothing (unset it, or name at least one)"
            )));
        }
        Ok(Some(items))
    }

    /// A duration in milliseconds: 1 ms to 60 s.
    fn millis(&self, name: &str, default: u64) -> Result<Duration, EnvError> {
        let Some(value) = self.var(name) else {
            return Ok(Duration::from_millis(default));
        };
        match value.trim().parse::<u64>() {
            Ok(ms) if (1..=60_000).contains(&ms) => Ok(Duration::from_millis(ms)),
            _ => Err(EnvError::new(format!(
                "{name} {value:?} is not a whole number of milliseconds from 1 to 60000"
            ))),
        }
    }
}

/// The settings of Cognito pools.
struct PoolSettings {
    token_use: TokenUse,
    client_ids: Vec<String>,
    resources: Vec<String>,
}

/// A key set bundled with the function (`JWKS_FILE`), used as `JWKS_FILE_MODE` says.
enum Bundled {
    /// `static`: only these keys, never fetched: no egress ever (a rotation needs a redeploy).
    Static(String),
    /// `refresh`: verifies at once, then is refreshed from the pool's endpoint (egress needed
    /// to follow rotations; the file stays a floor while fetches fail).
    Refresh(String),
}

/// How keys are fetched: one client for every pool.
struct Fetching {
    fetcher: HttpFetcher,
    deadline: Duration,
    loopback: bool,
}

/// A builder's refusal, named by the variable it came from: the builders name their own
/// settings (`invalid JWKS URI ...`, `invalid setting resources`), not this module's variables.
fn built<T>(result: Result<T, crate::BuildError>) -> Result<T, EnvError> {
    use crate::BuildError::{DuplicateIssuer, InvalidSetting, InvalidUrl, InvalidUserPoolId};
    result.map_err(|error| {
        let variable = match &error {
            InvalidUserPoolId(_) | DuplicateIssuer(_) => "USER_POOL_ID or USER_POOL_IDS",
            InvalidUrl { what, .. } if what.starts_with("JWKS") => "JWKS_URI",
            InvalidUrl { .. } => "ISSUER",
            InvalidSetting { setting, .. } => match *setting {
                "jwks" | "static_jwks" => "JWKS_FILE",
                "resources" => "RESOURCES",
                "required_groups" => "REQUIRED_GROUPS",
                "required_scopes" => "REQUIRED_SCOPES",
                "client_ids" => "CLIENT_IDS",
                "audiences" => "AUDIENCES",
                _ => return EnvError::new(error.to_string()),
            },
            _ => return EnvError::new(error.to_string()),
        };
        EnvError::new(format!("{variable}: {error}"))
    })
}

impl Authorizer {
    /// An authorizer configured by the process's environment variables, with its first key
    /// fetch done (for at most 2 s: Lambda bounds a cold start's init at 10 s; what is not
    /// done then is retried on the first request).
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `USER_POOL_ID` | the pool, `<region>_<id>` | required (or `USER_POOL_IDS`, or `ISSUER`) |
    /// | `USER_POOL_IDS` | several pools, comma-separated: tokens are routed by `iss` (keys fetched; `JWKS_FILE` and `JWKS_URI` are for one pool) | |
    /// | `ISSUER` | instead of a pool: a generic `OpenID Connect` issuer (`iss`), with `JWKS_URI` and `AUDIENCES` | |
    /// | `CLIENT_IDS` | accepted app client ids, comma-separated | required for pools |
    /// | `AUDIENCES` | with `ISSUER`: accepted `aud` values, comma-separated | required with `ISSUER` |
    /// | `TOKEN_USE` | `id`, `access` or `any` (pools only) | `access` |
    /// | `RESOURCES` | pools only: resource server identifiers, comma-separated; an access token must be bound to one (`aud`), else it is refused as `wrong_audience` | not required |
    /// | `AUTHORIZER_TYPE` | `rest-token`, `rest-request`, `http-simple` or `http-iam` | `rest-token` |
    /// | `TOKEN_HEADER` | header with the token (REQUEST and HTTP API) | `Authorization` |
    /// | `PRINCIPAL_CLAIM` | claim used as `principalId`; a token without it is allowed under its `sub` | `sub` |
    /// | `POLICY_SCOPE` | `api` (whole API and stage, cache-friendly) or `method` | `api` |
    /// | `REQUIRED_GROUPS`, `REQUIRED_SCOPES` | comma-separated, any-of; others get a Deny | none |
    /// | `JWKS_FILE` | a JWKS bundled with the function: no network on cold start | fetch it |
    /// | `JWKS_FILE_MODE` | required with `JWKS_FILE`: `static` (only these keys, never fetched: no egress ever) or `refresh` (these keys at once, then refreshed from the pool's endpoint) | |
    /// | `JWKS_URI` | where the key set is fetched (a mirror; plain `http` only on loopback) | the pool's; required with `ISSUER` |
    /// | `FETCH_TIMEOUT_MS` | one HTTP request for the JWKS (connect included) | `1000` |
    /// | `FETCH_DEADLINE_MS` | a whole key fetch, retries and waiting included | `1500` |
    ///
    /// Blank values count as unset; a list that restricts (`REQUIRED_GROUPS`,
    /// `REQUIRED_SCOPES`, `RESOURCES`) but names nothing is an error, never "no restriction".
    ///
    /// # Errors
    /// [`EnvError`], naming the variable, for a missing or invalid setting or an unreadable
    /// `JWKS_FILE`.
    pub async fn from_env() -> Result<Self, EnvError> {
        Self::from_env_with(|name| std::env::var(name).ok()).await
    }

    /// As [`from_env`](Self::from_env), reading the variables through `lookup` (a map of your
    /// own, a test's settings, another language's environment).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub async fn from_env_with<F>(lookup: F) -> Result<Self, EnvError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let env = Env(lookup);
        // Everything that needs no network is checked before the first fetch.
        let kind = match env.var("AUTHORIZER_TYPE") {
            None => AuthorizerType::RestToken,
            Some(name) => name
                .parse()
                .map_err(|e| EnvError::new(format!("AUTHORIZER_TYPE {e}")))?,
        };
        let scope = match env.var("POLICY_SCOPE").as_deref() {
            None | Some("api") => PolicyScope::Api,
            Some("method") => PolicyScope::Method,
            Some(other) => {
                return Err(EnvError::new(format!(
                    "POLICY_SCOPE {other:?} is not api (the whole API and stage) or method"
                )));
            }
        };
        let groups = env.required("REQUIRED_GROUPS")?;
        let scopes = env.required("REQUIRED_SCOPES")?;
        let authorizer = authorizer(&env).await?;
        let mut authorizer = authorizer.authorizer_type(kind).policy_scope(scope);
        if let Some(groups) = groups {
            authorizer =
                authorizer.required_groups(&groups.iter().map(String::as_str).collect::<Vec<_>>());
        }
        if let Some(scopes) = scopes {
            authorizer =
                authorizer.required_scopes(&scopes.iter().map(String::as_str).collect::<Vec<_>>());
        }
        if let Some(claim) = env.var("PRINCIPAL_CLAIM") {
            authorizer = authorizer.principal_claim(claim.trim());
        }
        if let Some(header) = env.var("TOKEN_HEADER") {
            authorizer = authorizer.token_header(header.trim());
        }
        // The lists were checked above; this keeps the guarantee whatever is added later.
        built(authorizer.validate())?;
        Ok(authorizer)
    }
}

/// The verifier the environment names, wrapped in an authorizer with the defaults.
async fn authorizer<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Authorizer, EnvError> {
    let pools = env.list("USER_POOL_IDS");
    let pool = env.var("USER_POOL_ID");
    let generic = env.var("ISSUER");
    let set = [pool.is_some(), !pools.is_empty(), generic.is_some()];
    if set.iter().filter(|set| **set).count() > 1 {
        return Err(EnvError::new(
            "set one of USER_POOL_ID, USER_POOL_IDS and ISSUER",
        ));
    }
    if set.iter().all(|set| !set) {
        return Err(EnvError::new(
            "USER_POOL_ID is not set (or USER_POOL_IDS, or ISSUER)",
        ));
    }
    let settings = pool_settings(env, generic.is_some())?;
    let request_timeout = env.millis("FETCH_TIMEOUT_MS", 1000)?;
    let deadline = env.millis("FETCH_DEADLINE_MS", 1500)?;
    let jwks_uri = env.var("JWKS_URI");
    let loopback = jwks_uri.as_deref().is_some_and(|uri| {
        [
            "http://127.0.0.1:",
            "http://127.0.0.1/",
            "http://localhost:",
            "http://[::1]:",
        ]
        .iter()
        .any(|p| uri.starts_with(p))
    });
    let mut fetcher = HttpFetcher::builder()
        .connect_timeout(request_timeout)
        .request_timeout(request_timeout);
    if loopback {
        fetcher = fetcher.allow_insecure_http();
    }
    let fetching = Fetching {
        fetcher: built(fetcher.build())?,
        deadline,
        loopback,
    };
    let bundled = bundled_jwks(env)?;
    if let Some(issuer) = generic {
        return generic_authorizer(env, issuer, jwks_uri, &fetching, bundled).await;
    }
    // A static bundled key set is never fetched: no fetcher then.
    let fetched_keys = !matches!(bundled, Some(Bundled::Static(_)));
    let builder = |pool: &str| {
        let mut builder = CognitoVerifier::builder(pool)
            .client_ids(settings.client_ids.iter().cloned())
            .token_use(settings.token_use);
        if fetched_keys {
            builder = builder
                .fetcher(fetching.fetcher.clone())
                .key_cache(KeyCacheConfig::default().fetch_deadline(fetching.deadline));
        }
        if settings.resources.is_empty() {
            builder
        } else {
            builder.resources(settings.resources.iter().cloned())
        }
    };
    // Each branch takes the first fetch off the first request (a failure is retried on demand).
    if let Some(pool) = pool {
        let mut builder = builder(&pool);
        if let Some(uri) = jwks_uri {
            builder = builder.jwks_uri(uri);
            if loopback {
                builder = builder.allow_insecure_http();
            }
        }
        builder = match &bundled {
            Some(Bundled::Static(jwks)) => builder.static_jwks(jwks.as_str()),
            Some(Bundled::Refresh(jwks)) => builder.jwks(jwks.as_str()),
            None => builder,
        };
        let verifier = built(builder.build())?;
        if bundled.is_none() {
            within_init_budget(verifier.hydrate()).await;
        }
        return Ok(Authorizer::new(verifier));
    }
    if bundled.is_some() || jwks_uri.is_some() {
        return Err(EnvError::new(
            "JWKS_FILE and JWKS_URI are for one pool (USER_POOL_ID), not USER_POOL_IDS",
        ));
    }
    let verifiers = pools
        .iter()
        .map(|pool| built(builder(pool).build()))
        .collect::<Result<Vec<_>, _>>()?;
    // Routed before any fetch: a setting refused (two equal pools) costs no network.
    let all = verifiers.clone();
    let multi = built(MultiPoolVerifier::new(verifiers))?;
    within_init_budget(async move {
        for verifier in all {
            let _ = verifier.hydrate().await;
        }
    })
    .await;
    Ok(Authorizer::multi(multi))
}

/// `TOKEN_USE`, `CLIENT_IDS` (required) and `RESOURCES`, none of which a generic issuer
/// (`generic`) takes.
fn pool_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    generic: bool,
) -> Result<PoolSettings, EnvError> {
    let token_use = match env.var("TOKEN_USE").as_deref() {
        None | Some("access") => TokenUse::Access,
        Some("id") => TokenUse::Id,
        Some("any") => TokenUse::Any,
        Some(other) => {
            return Err(EnvError::new(format!(
                "TOKEN_USE {other:?} is not id, access or any"
            )));
        }
    };
    let client_ids = env.list("CLIENT_IDS");
    let resources = env.required("RESOURCES")?.unwrap_or_default();
    if generic {
        if !client_ids.is_empty() || env.var("TOKEN_USE").is_some() || !resources.is_empty() {
            return Err(EnvError::new(
                "CLIENT_IDS, TOKEN_USE and RESOURCES are for Cognito pools: with ISSUER, set AUDIENCES",
            ));
        }
    } else if client_ids.is_empty() {
        return Err(EnvError::new("CLIENT_IDS is not set"));
    }
    Ok(PoolSettings {
        token_use,
        client_ids,
        resources,
    })
}

/// The authorizer for a generic issuer (`ISSUER`): its `JWKS_URI` and `AUDIENCES`.
async fn generic_authorizer<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    issuer: String,
    jwks_uri: Option<String>,
    fetching: &Fetching,
    bundled: Option<Bundled>,
) -> Result<Authorizer, EnvError> {
    let audiences = env.list("AUDIENCES");
    if audiences.is_empty() {
        return Err(EnvError::new(
            "AUDIENCES is not set (the `aud` values accepted from ISSUER)",
        ));
    }
    let uri =
        jwks_uri.ok_or_else(|| EnvError::new("JWKS_URI is not set (required with ISSUER)"))?;
    let mut builder = JwtVerifier::builder(issuer, uri).audiences(audiences);
    if !matches!(bundled, Some(Bundled::Static(_))) {
        builder = builder
            .fetcher(fetching.fetcher.clone())
            .key_cache(KeyCacheConfig::default().fetch_deadline(fetching.deadline));
    }
    if fetching.loopback {
        builder = builder.allow_insecure_http();
    }
    builder = match &bundled {
        Some(Bundled::Static(jwks)) => builder.static_jwks(jwks.as_str()),
        Some(Bundled::Refresh(jwks)) => builder.jwks(jwks.as_str()),
        None => builder,
    };
    let verifier = built(builder.build())?;
    if bundled.is_none() {
        within_init_budget(verifier.hydrate()).await;
    }
    Ok(Authorizer::generic(verifier))
}

/// The key set in `JWKS_FILE`, if set, with its `JWKS_FILE_MODE` (required with it: which of
/// the two a deployment gets is never a default).
fn bundled_jwks<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Option<Bundled>, EnvError> {
    let Some(path) = env.var("JWKS_FILE") else {
        if env.var("JWKS_FILE_MODE").is_some() {
            return Err(EnvError::new("JWKS_FILE_MODE is set without JWKS_FILE"));
        }
        return Ok(None);
    };
    let mode = env.var("JWKS_FILE_MODE");
    let document = || {
        std::fs::read_to_string(&path).map_err(|e| EnvError::new(format!("JWKS_FILE {path}: {e}")))
    };
    match mode.as_deref() {
        Some("static") => Ok(Some(Bundled::Static(document()?))),
        Some("refresh") => Ok(Some(Bundled::Refresh(document()?))),
        _ => Err(EnvError::new(format!(
            "JWKS_FILE_MODE {mode:?} is not static (these keys only, never fetched) or refresh \
             (these keys at once, then fetched from the pool); it is required with JWKS_FILE"
        ))),
    }
}

/// Runs `warm_up` (a first key fetch) for at most [`INIT_BUDGET`].
async fn within_init_budget<F: Future>(warm_up: F) {
    let _ = tokio::time::timeout(INIT_BUDGET, warm_up).await;
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    async fn from(vars: &[(&str, &str)]) -> Result<Authorizer, EnvError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Authorizer::from_env_with(|name| vars.get(name).cloned()).await
    }

    fn message(result: Result<Authorizer, EnvError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[tokio::test]
    async fn every_bad_setting_is_refused_naming_its_variable() {
        const POOL: (&str, &str) = ("USER_POOL_ID", "eu-west-1_AbCdEf123");
        const CLIENT: (&str, &str) = ("CLIENT_IDS", "app");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "USER_POOL_ID is not set"),
            (&[("USER_POOL_ID", "  ")], "USER_POOL_ID is not set"),
            (&[POOL], "CLIENT_IDS is not set"),
            (&[POOL, ("CLIENT_IDS", ",")], "CLIENT_IDS is not set"),
            (&[POOL, CLIENT, ("ISSUER", "https://x")], "set one of"),
            (&[POOL, CLIENT, ("TOKEN_USE", "both")], "TOKEN_USE"),
            (
                &[POOL, CLIENT, ("AUTHORIZER_TYPE", "rest")],
                "AUTHORIZER_TYPE",
            ),
            (&[POOL, CLIENT, ("POLICY_SCOPE", "Method")], "POLICY_SCOPE"),
            (
                &[POOL, CLIENT, ("REQUIRED_GROUPS", " , ")],
                "REQUIRED_GROUPS",
            ),
            (&[POOL, CLIENT, ("REQUIRED_SCOPES", ",")], "REQUIRED_SCOPES"),
            (&[POOL, CLIENT, ("RESOURCES", ",")], "RESOURCES"),
            (
                &[POOL, CLIENT, ("FETCH_TIMEOUT_MS", "0")],
                "FETCH_TIMEOUT_MS",
            ),
            (
                &[POOL, CLIENT, ("FETCH_DEADLINE_MS", "1e3")],
                "FETCH_DEADLINE_MS",
            ),
            (
                &[POOL, CLIENT, ("JWKS_FILE_MODE", "static")],
                "JWKS_FILE_MODE",
            ),
            (
                &[POOL, CLIENT, ("JWKS_FILE", "/nonexistent")],
                "JWKS_FILE_MODE",
            ),
            (
                &[
                    POOL,
                    CLIENT,
                    ("JWKS_FILE", "/nonexistent"),
                    ("JWKS_FILE_MODE", "static"),
                ],
                "JWKS_FILE /nonexistent",
            ),
            (
                &[
                    ("USER_POOL_IDS", "eu-west-1_AbCdEf123"),
                    CLIENT,
                    ("JWKS_URI", "http://127.0.0.1:1/"),
                ],
                "not USER_POOL_IDS",
            ),
            (
                &[("ISSUER", "https://issuer.example"), ("AUDIENCES", "a")],
                "JWKS_URI",
            ),
            (
                &[
                    ("ISSUER", "https://issuer.example"),
                    ("JWKS_URI", "https://issuer.example/jwks"),
                ],
                "AUDIENCES",
            ),
            (
                &[
                    ("ISSUER", "https://issuer.example"),
                    ("AUDIENCES", "a"),
                    CLIENT,
                ],
                "for Cognito pools",
            ),
            (
                &[("USER_POOL_ID", "not-a-pool"), CLIENT],
                "USER_POOL_ID or USER_POOL_IDS: invalid user pool id",
            ),
            (
                &[
                    ("USER_POOL_IDS", "eu-west-1_AbCdEf123,eu-west-1_AbCdEf123"),
                    CLIENT,
                ],
                "USER_POOL_IDS: issuer",
            ),
            (
                &[POOL, CLIENT, ("JWKS_URI", "http://example.com/jwks.json")],
                "JWKS_URI: invalid JWKS URI",
            ),
        ];
        for (vars, expected) in cases {
            let message = message(from(vars).await);
            assert!(
                message.contains(expected),
                "{vars:?}: {message:?} should name {expected:?}"
            );
        }
    }
}
