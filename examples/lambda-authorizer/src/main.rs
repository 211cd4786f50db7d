//! The Lambda function: configuration from the environment, one verifier per cold start. The
//! reading of the variables, the events and the responses are `cognito_verifier::aws_lambda`'s,
//! which the Python package's handler runs too.
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

use cognito_verifier::aws_lambda::{Authorizer, AuthorizerError};
use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
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

/// The time left before the invocation's deadline (epoch milliseconds).
fn time_left(deadline_ms: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Duration::from_millis(deadline_ms.saturating_sub(now))
}

/// The invocation error Lambda reports: the stable `errorType` and the message (exactly
/// `Unauthorized` for a refused token, which API Gateway turns into a 401).
fn diagnostic(error: &AuthorizerError) -> Diagnostic {
    Diagnostic {
        error_type: error.error_type().to_owned(),
        error_message: error.to_string(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_logging();
    // The configuration and its reading are the crate's (`cognito_verifier::aws_lambda`), shared
    // with the Python package's handler: same variables, same answers.
    let authorizer = Authorizer::from_env().await?;
    let a = &authorizer;
    lambda_runtime::run(service_fn(|e: LambdaEvent<Value>| async move {
        a.authorize(&e.payload, Some(time_left(e.context.deadline)))
            .await
            .map_err(|e| diagnostic(&e))
    }))
    .await
}
