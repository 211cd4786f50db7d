//! The Lambda function: configuration from the environment, one verifier per cold start.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `USER_POOL_ID` | the pool, `<region>_<id>` | required |
//! | `CLIENT_IDS` | accepted app client ids, comma-separated | required |
//! | `TOKEN_USE` | `id`, `access` or `any` | `access` |
//! | `AUTHORIZER_TYPE` | `rest-token`, `rest-request`, `http-simple` or `http-iam` | `rest-token` |
//! | `TOKEN_HEADER` | header with the token (REQUEST and HTTP API) | `Authorization` |
//! | `PRINCIPAL_CLAIM` | claim used as `principalId`; a token without it is allowed under its `sub` | `sub` |
//! | `POLICY_SCOPE` | `api` (whole API and stage, cache-friendly) or `method` | `api` |
//! | `REQUIRED_GROUPS`, `REQUIRED_SCOPES` | comma-separated, any-of; others get a Deny | none |
//! | `JWKS_FILE` | a JWKS bundled with the function: no network on cold start | fetch it |

use std::env;

use cognito_lambda_authorizer::{Authorizer, PolicyScope};
use cognito_verifier::{CognitoVerifier, TokenUse};
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

async fn authorizer() -> Result<Authorizer, Error> {
    let pool = var("USER_POOL_ID").ok_or("USER_POOL_ID is not set")?;
    let token_use = match var("TOKEN_USE").as_deref() {
        None | Some("access") => TokenUse::Access,
        Some("id") => TokenUse::Id,
        Some("any") => TokenUse::Any,
        Some(other) => return Err(format!("TOKEN_USE {other:?} is not id, access or any").into()),
    };
    let client_ids = list("CLIENT_IDS");
    if client_ids.is_empty() {
        return Err("CLIENT_IDS is not set".into());
    }
    let mut builder = CognitoVerifier::builder(pool)
        .client_ids(client_ids)
        .token_use(token_use);
    if let Some(path) = var("JWKS_FILE") {
        builder = builder.jwks(std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?);
    }
    let verifier = builder.build()?;
    if var("JWKS_FILE").is_none() {
        // Take the first fetch off the first request; a failure here is retried on demand.
        let _ = verifier.hydrate().await;
    }
    let groups = list("REQUIRED_GROUPS");
    let scopes = list("REQUIRED_SCOPES");
    let mut authorizer = Authorizer::new(verifier)
        .required_groups(&groups.iter().map(String::as_str).collect::<Vec<_>>())
        .required_scopes(&scopes.iter().map(String::as_str).collect::<Vec<_>>());
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let authorizer = authorizer().await?;
    let a = &authorizer;
    match var("AUTHORIZER_TYPE").as_deref() {
        None | Some("rest-token") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                a.rest_token(e.payload).await.map_err(Diagnostic::from)
            }))
            .await
        }
        Some("rest-request") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                a.rest_request(e.payload).await.map_err(Diagnostic::from)
            }))
            .await
        }
        Some("http-simple") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                a.http_simple(e.payload).await.map_err(Diagnostic::from)
            }))
            .await
        }
        Some("http-iam") => {
            lambda_runtime::run(service_fn(|e: LambdaEvent<_>| async move {
                a.http_iam(e.payload).await.map_err(Diagnostic::from)
            }))
            .await
        }
        Some(other) => Err(format!(
            "AUTHORIZER_TYPE {other:?} is not rest-token, rest-request, http-simple or http-iam"
        )
        .into()),
    }
}
