//! The Lambda function: configuration from the environment, one verifier per cold start. The
//! reading of the variables, the events and the responses are `cognito_verifier::aws_lambda`'s,
//! which the Python package's handler runs too.
//!
//! The variables (`USER_POOL_ID`, `CLIENT_IDS`, `AUTHORIZER_TYPE`, ...) are read by
//! `cognito_verifier::aws_lambda::Authorizer::from_env`, whose documentation has their table
//! (as this package's README.md has); this binary adds `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`,
//! for its log level (JSON lines on stdout, default `info`).
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
