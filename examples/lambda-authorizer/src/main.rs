//! The Lambda function: configuration from the environment, one verifier per cold start.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `USER_POOL_ID` | the pool, `<region>_<id>` | required (or `USER_POOL_IDS`) |
//! | `USER_POOL_IDS` | several pools, comma-separated: tokens are routed by `iss` (keys fetched; `JWKS_FILE` and `JWKS_URI` are for one pool) | |
//! | `ISSUER` | instead of a pool: a generic `OpenID Connect` issuer (`iss`), with `JWKS_URI` and `AUDIENCES` | |
//! | `CLIENT_IDS` | accepted app client ids, comma-separated | required for pools |
//! | `AUDIENCES` | with `ISSUER`: accepted `aud` values, comma-separated | required with `ISSUER` |
//! | `TOKEN_USE` | `id`, `access` or `any` (pools only) | `access` |
//! | `RESOURCES` | pools only: resource server identifiers, comma-separated; an access token must be bound to one (`aud`), else it is refused as `wrong_audience` | not required |
//! | `AUTHORIZER_TYPE` | `rest-token`, `rest-request`, `http-simple` or `http-iam` | `rest-token` |
//! | `TOKEN_HEADER` | header with the token (REQUEST and HTTP API) | `Authorization` |
//! | `PRINCIPAL_CLAIM` | claim used as `principalId`; a token without it is allowed under its `sub` | `sub` |
//! | `POLICY_SCOPE` | `api` (whole API and stage, cache-friendly) or `method` | `api` |
//! | `REQUIRED_GROUPS`, `REQUIRED_SCOPES` | comma-separated, any-of; others get a Deny | none |
//! | `JWKS_FILE` | a JWKS bundled with the function: no network on cold start | fetch it |
//! | `JWKS_FILE_MODE` | required with `JWKS_FILE`: `static` (only these keys, never fetched: no egress ever) or `refresh` (these keys at once, then refreshed from the pool's endpoint) | |
//! | `JWKS_URI` | where the key set is fetched (a mirror; plain `http` only on loopback) | the pool's; required with `ISSUER` |
//! | `FETCH_TIMEOUT_MS` | one HTTP request for the JWKS (connect included) | `1000` |
//! | `FETCH_DEADLINE_MS` | a whole key fetch, retries and waiting included | `1500` |
//! | `AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG` | log level (JSON lines on stdout) | `info` |
//!
//! The defaults fit Lambda's default 3 s timeout. Whatever they are, a verdict never outlives
//! the invocation: past its deadline (less 100 ms to answer in) the invocation fails with
//! `DeadlineExceeded`.

use std::env;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_lambda_authorizer::{Authorizer, AuthorizerError, PolicyScope};
use cognito_verifier::{
    CognitoVerifier, HttpFetcher, JwtVerifier, KeyCacheConfig, MultiPoolVerifier, TokenUse,
};
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn list(name: &str) -> Vec<String> {
    var(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A list that restricts (required groups, scopes, resources): unset (or blank) is `None`; set
/// but naming nothing (`","`) is an error naming the variable, never "no restriction".
fn required(name: &str) -> Result<Option<Vec<String>>, Error> {
    if var(name).is_none() {
        return Ok(None);
    }
    let items = list(name);
    if items.is_empty() {
        return Err(format!("{name} names nothing (unset it, or name at least one)").into());
    }
    Ok(Some(items))
}

/// A duration in milliseconds from the environment: 1 ms to 60 s.
fn millis(name: &str, default: u64) -> Result<Duration, Error> {
    let Some(value) = var(name) else {
        return Ok(Duration::from_millis(default));
    };
    match value.trim().parse::<u64>() {
        Ok(ms) if (1..=60_000).contains(&ms) => Ok(Duration::from_millis(ms)),
        _ => Err(
            format!("{name} {value:?} is not a whole number of milliseconds from 1 to 60000")
                .into(),
        ),
    }
}

/// JSON lines on stdout (for `CloudWatch`), level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else
/// `info`.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let level = var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .unwrap_or_else(|| "info".into())
        .to_ascii_lowercase();
    let filter = tracing_subscriber::EnvFilter::try_new(&level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(QuietRefusals)
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(std::io::stdout),
        )
        .init();
}

/// Drops `lambda_runtime`'s ERROR line for an invocation that ended in `Unauthorized`: a refused
/// token is no fault (an alarm on errors must not fire on every 401), and our own INFO line
/// already says why, with its kind and issuer. Faults (`KeysUnavailable`,
/// `DeadlineExceeded`, a panic) keep their ERROR line.
struct QuietRefusals;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QuietRefusals {
    fn event_enabled(
        &self,
        event: &tracing::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        if event.metadata().target() != "lambda_runtime::layers::panic" {
            return true;
        }
        let mut refusal = IsRefusal(false);
        event.record(&mut refusal);
        !refusal.0
    }
}

/// Whether an event's message is the `Diagnostic` of an `Unauthorized` refusal.
struct IsRefusal(bool);

impl tracing::field::Visit for IsRefusal {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let text = format!("{value:?}");
            self.0 = text.contains("error_type: \"Unauthorized\"");
        }
    }
}

/// Runs `verdict` within the invocation's deadline (epoch milliseconds) less 100 ms.
async fn within<T>(
    deadline_ms: u64,
    verdict: impl Future<Output = Result<T, AuthorizerError>>,
) -> Result<T, AuthorizerError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = Duration::from_millis(deadline_ms.saturating_sub(now).saturating_sub(100));
    tokio::time::timeout(left, verdict)
        .await
        .unwrap_or(Err(AuthorizerError::DeadlineExceeded))
}

async fn authorizer() -> Result<Authorizer, Error> {
    let pools = list("USER_POOL_IDS");
    let pool = var("USER_POOL_ID");
    let generic = var("ISSUER");
    if [pool.is_some(), !pools.is_empty(), generic.is_some()]
        .iter()
        .filter(|set| **set)
        .count()
        > 1
    {
        return Err("set one of USER_POOL_ID, USER_POOL_IDS and ISSUER".into());
    }
    if pool.is_none() && pools.is_empty() && generic.is_none() {
        return Err("USER_POOL_ID is not set (or USER_POOL_IDS, or ISSUER)".into());
    }
    let (token_use, client_ids, resources) = pool_settings(generic.is_some())?;
    let request_timeout = millis("FETCH_TIMEOUT_MS", 1000)?;
    let fetch_deadline = millis("FETCH_DEADLINE_MS", 1500)?;
    let jwks_uri = var("JWKS_URI");
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
    let fetcher = fetcher.build()?;
    // A static bundled key set is never fetched: no fetcher then.
    let bundled = bundled_jwks()?;
    let fetched_keys = !matches!(bundled, Some(Bundled::Static(_)));
    let builder = |pool: &str| {
        let mut builder = CognitoVerifier::builder(pool)
            .client_ids(client_ids.iter().cloned())
            .token_use(token_use);
        if fetched_keys {
            builder = builder
                .fetcher(fetcher.clone())
                .key_cache(KeyCacheConfig::default().fetch_deadline(fetch_deadline));
        }
        if resources.is_empty() {
            builder
        } else {
            builder.resources(resources.iter().cloned())
        }
    };
    // Each branch takes the first fetch off the first request (a failure is retried on demand);
    // Lambda bounds init at 10 s: never spend more than 2 s of it there.
    let authorizer = if let Some(issuer) = generic {
        let settings = (fetcher.clone(), fetch_deadline, loopback);
        generic_authorizer(issuer, jwks_uri, settings, bundled).await?
    } else if let Some(pool) = pool {
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
        let verifier = builder.build()?;
        if bundled.is_none() {
            within_init_budget(verifier.hydrate()).await;
        }
        Authorizer::new(verifier)
    } else {
        if var("JWKS_FILE").is_some() || jwks_uri.is_some() {
            return Err(
                "JWKS_FILE and JWKS_URI are for one pool (USER_POOL_ID), not USER_POOL_IDS".into(),
            );
        }
        let verifiers = pools
            .iter()
            .map(|pool| builder(pool).build())
            .collect::<Result<Vec<_>, _>>()?;
        let all = verifiers.clone();
        within_init_budget(async move {
            for verifier in all {
                let _ = verifier.hydrate().await;
            }
        })
        .await;
        Authorizer::multi(MultiPoolVerifier::new(verifiers)?)
    };
    route_settings(authorizer)
}

/// The settings of Cognito pools: `TOKEN_USE`, `CLIENT_IDS` (required) and `RESOURCES`, none of
/// which a generic issuer (`generic`) takes.
fn pool_settings(generic: bool) -> Result<(TokenUse, Vec<String>, Vec<String>), Error> {
    let token_use = match var("TOKEN_USE").as_deref() {
        None | Some("access") => TokenUse::Access,
        Some("id") => TokenUse::Id,
        Some("any") => TokenUse::Any,
        Some(other) => return Err(format!("TOKEN_USE {other:?} is not id, access or any").into()),
    };
    let client_ids = list("CLIENT_IDS");
    let resources = required("RESOURCES")?.unwrap_or_default();
    if generic {
        if !client_ids.is_empty() || var("TOKEN_USE").is_some() || !resources.is_empty() {
            return Err(
                "CLIENT_IDS, TOKEN_USE and RESOURCES are for Cognito pools: with ISSUER, set AUDIENCES"
                    .into(),
            );
        }
    } else if client_ids.is_empty() {
        return Err("CLIENT_IDS is not set".into());
    }
    Ok((token_use, client_ids, resources))
}

/// The settings every kind of authorizer shares: required groups and scopes, the principal
/// claim, the token header and the policy's scope.
fn route_settings(mut authorizer: Authorizer) -> Result<Authorizer, Error> {
    if let Some(groups) = required("REQUIRED_GROUPS")? {
        authorizer =
            authorizer.required_groups(&groups.iter().map(String::as_str).collect::<Vec<_>>());
    }
    if let Some(scopes) = required("REQUIRED_SCOPES")? {
        authorizer =
            authorizer.required_scopes(&scopes.iter().map(String::as_str).collect::<Vec<_>>());
    }
    if let Some(claim) = var("PRINCIPAL_CLAIM") {
        authorizer = authorizer.principal_claim(&claim);
    }
    if let Some(header) = var("TOKEN_HEADER") {
        authorizer = authorizer.token_header(&header);
    }
    if var("POLICY_SCOPE").as_deref() == Some("method") {
        authorizer = authorizer.policy_scope(PolicyScope::Method);
    }
    Ok(authorizer)
}

/// The authorizer for a generic issuer (`ISSUER`): its `JWKS_URI` and `AUDIENCES`.
async fn generic_authorizer(
    issuer: String,
    jwks_uri: Option<String>,
    (fetcher, fetch_deadline, loopback): (HttpFetcher, Duration, bool),
    bundled: Option<Bundled>,
) -> Result<Authorizer, Error> {
    let audiences = list("AUDIENCES");
    if audiences.is_empty() {
        return Err("AUDIENCES is not set (the `aud` values accepted from ISSUER)".into());
    }
    let uri = jwks_uri.ok_or("JWKS_URI is not set (required with ISSUER)")?;
    let mut builder = JwtVerifier::builder(issuer, uri).audiences(audiences);
    if !matches!(bundled, Some(Bundled::Static(_))) {
        builder = builder
            .fetcher(fetcher)
            .key_cache(KeyCacheConfig::default().fetch_deadline(fetch_deadline));
    }
    if loopback {
        builder = builder.allow_insecure_http();
    }
    builder = match &bundled {
        Some(Bundled::Static(jwks)) => builder.static_jwks(jwks.as_str()),
        Some(Bundled::Refresh(jwks)) => builder.jwks(jwks.as_str()),
        None => builder,
    };
    let verifier = builder.build()?;
    if bundled.is_none() {
        within_init_budget(verifier.hydrate()).await;
    }
    Ok(Authorizer::generic(verifier))
}

/// A key set bundled with the function (`JWKS_FILE`), used as `JWKS_FILE_MODE` says.
enum Bundled {
    /// `static`: only these keys, never fetched: no egress ever (a rotation needs a redeploy).
    Static(String),
    /// `refresh`: verifies at once, then is refreshed from the pool's endpoint (egress needed
    /// to follow rotations; the file stays a floor while fetches fail).
    Refresh(String),
}

/// The key set in `JWKS_FILE`, if set, with its `JWKS_FILE_MODE` (required with it: which of
/// the two a deployment gets is never a default).
fn bundled_jwks() -> Result<Option<Bundled>, Error> {
    let Some(path) = var("JWKS_FILE") else {
        if var("JWKS_FILE_MODE").is_some() {
            return Err("JWKS_FILE_MODE is set without JWKS_FILE".into());
        }
        return Ok(None);
    };
    let mode = var("JWKS_FILE_MODE");
    let document = || std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"));
    match mode.as_deref() {
        Some("static") => Ok(Some(Bundled::Static(document()?))),
        Some("refresh") => Ok(Some(Bundled::Refresh(document()?))),
        _ => Err(format!(
            "JWKS_FILE_MODE {mode:?} is not static (these keys only, never fetched) or refresh \
             (these keys at once, then fetched from the pool); it is required with JWKS_FILE"
        )
        .into()),
    }
}

/// Runs `warm_up` (a first key fetch) for at most 2 s of the init phase, which Lambda bounds at
/// 10 s; whatever it does not finish is retried on demand.
async fn within_init_budget<F: std::future::Future>(warm_up: F) {
    let _ = tokio::time::timeout(Duration::from_secs(2), warm_up).await;
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    let authorizer = authorizer().await?;
    let a = &authorizer;
    match var("AUTHORIZER_TYPE").as_deref() {
        None | Some("rest-token") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                within(e.context.deadline, a.rest_token(e.payload))
                    .await
                    .map_err(Diagnostic::from)
            }))
            .await
        }
        Some("rest-request") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                within(e.context.deadline, a.rest_request(e.payload))
                    .await
                    .map_err(Diagnostic::from)
            }))
            .await
        }
        Some("http-simple") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                within(e.context.deadline, a.http_simple(e.payload))
                    .await
                    .map_err(Diagnostic::from)
            }))
            .await
        }
        Some("http-iam") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                within(e.context.deadline, a.http_iam(e.payload))
                    .await
                    .map_err(Diagnostic::from)
            }))
            .await
        }
        Some(other) => Err(format!(
            "AUTHORIZER_TYPE {other:?} is not rest-token, rest-request, http-simple or http-iam"
        )
        .into()),
    }
}
