//! API Gateway Lambda authorizers for Cognito tokens, on `cognito-verifier`.
//!
//! Three shapes, one [`Authorizer`]:
//! - [`Authorizer::rest_token`]: REST API TOKEN authorizer (the token arrives as
//!   `authorizationToken`); answers an IAM policy, or fails with `Unauthorized`, which API Gateway
//!   turns into a 401.
//! - [`Authorizer::rest_request`]: REST API REQUEST authorizer, the token from a header of your
//!   choice.
//! - [`Authorizer::http_simple`] and [`Authorizer::http_iam`]: HTTP API (payload 2.0) authorizer,
//!   with the simple `{isAuthorized, context}` response or an IAM policy.
//!
//! A bad token never gets a policy. An authentic token that lacks a required group or scope gets a
//! Deny (403). When the signing keys cannot be fetched the authorizer fails with an error other
//! than `Unauthorized`, so API Gateway answers 500 and clients retry, instead of a 401 that would
//! sign users out.

use std::fmt;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerIamPolicyResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use cognito_verifier::auth::{Policy, Verified, bearer_token};
use cognito_verifier::{CognitoClaims, CognitoVerifier, Error, JwtVerifier, MultiPoolVerifier};
use serde_json::{Map, Value};

/// What an allowed policy covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    /// Only the method that was called (`methodArn` / `routeArn`). Safe with API Gateway's
    /// authorizer cache only when the cache key includes the method.
    Method,
    /// Every method and resource of the API and stage (`.../<stage>/*`), so a cached policy
    /// serves the whole API for the token's lifetime. The default.
    Api,
}

/// Why a request was not authorised.
#[derive(Debug)]
pub enum AuthorizerError {
    /// A missing or bad token. Its message is exactly `Unauthorized`, which API Gateway turns
    /// into a 401.
    Unauthorized,
    /// The signing keys could not be had: API Gateway answers 500 and the client may retry.
    Unavailable(Error),
    /// No verdict before the invocation's deadline (less a margin to answer in): API Gateway
    /// answers 500 and the client may retry.
    DeadlineExceeded,
}

impl fmt::Display for AuthorizerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("Unauthorized"),
            Self::Unavailable(e) => write!(f, "signing keys unavailable: {e}"),
            Self::DeadlineExceeded => f.write_str("no verdict before the invocation's deadline"),
        }
    }
}

impl std::error::Error for AuthorizerError {}

impl AuthorizerError {
    /// The invocation error's stable `errorType`: `Unauthorized`, `KeysUnavailable` or
    /// `DeadlineExceeded` (not a
    /// Rust type name, which would change with the code).
    #[must_use]
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Unauthorized => "Unauthorized",
            Self::Unavailable(_) => "KeysUnavailable",
            Self::DeadlineExceeded => "DeadlineExceeded",
        }
    }
}

impl From<AuthorizerError> for lambda_runtime::Diagnostic {
    fn from(error: AuthorizerError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Verifies tokens for API Gateway. Build it once per cold start, outside the handler.
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// The verifier and the required groups and scopes: the same core every integration uses.
    policy: Policy,
    /// The pool's issuer, for the log line of each refusal.
    issuer: String,
    principal_claim: String,
    scope: PolicyScope,
    token_header: String,
}

/// The outcome of verifying a request's token.
enum Verdict {
    Allow(Grant),
    /// Authentic, but lacking a required group, scope or check; or, for an HTTP API with IAM
    /// policies, not authentic at all.
    Deny,
}

/// What API Gateway is told about an accepted token, from one serialization of its claims.
struct Grant {
    principal: String,
    context: Map<String, Value>,
}

impl Authorizer {
    /// An authorizer using `verifier`: principal from `sub`, policies for the whole API,
    /// REQUEST tokens from the `Authorization` header.
    #[must_use]
    pub fn new(verifier: CognitoVerifier) -> Self {
        Self::over(verifier.issuer().to_owned(), Policy::new(verifier))
    }

    /// The defaults around `policy`; `issuer` names the issuers in log lines.
    fn over(issuer: String, policy: Policy) -> Self {
        Self {
            issuer,
            policy,
            principal_claim: "sub".into(),
            scope: PolicyScope::Api,
            token_header: "authorization".into(),
        }
    }

    /// An authorizer accepting the tokens of several pools (routed by `iss`); otherwise as
    /// [`new`](Self::new).
    #[must_use]
    pub fn multi(verifier: MultiPoolVerifier) -> Self {
        let issuers: Vec<&str> = verifier.pools().map(|(issuer, _)| issuer).collect();
        Self::over(issuers.join(","), Policy::new(verifier))
    }

    /// An authorizer for a generic `OpenID Connect` issuer (not a Cognito pool), verified by a
    /// [`JwtVerifier`]; otherwise as [`new`](Self::new). The `context` holds the token's
    /// top-level string, number and boolean claims; groups are read from `cognito:groups` and
    /// scopes from `scope`, as for Cognito.
    #[must_use]
    pub fn generic(verifier: JwtVerifier) -> Self {
        Self::over(verifier.issuer().to_owned(), Policy::new(verifier))
    }

    /// The claim used as `principalId` (default `sub`). `username` reads an access token's
    /// `username` and an ID token's `cognito:username`. A token without that claim (a
    /// machine-to-machine access token has no `username`) is allowed under its `sub`, never
    /// under a made-up principal shared by every such client.
    #[must_use]
    pub fn principal_claim(mut self, claim: &str) -> Self {
        claim.clone_into(&mut self.principal_claim);
        self
    }

    /// What an allowed policy covers (default [`PolicyScope::Api`]).
    #[must_use]
    pub fn policy_scope(mut self, scope: PolicyScope) -> Self {
        self.scope = scope;
        self
    }

    /// The header REQUEST and HTTP API authorizers read the token from (default
    /// `Authorization`).
    #[must_use]
    pub fn token_header(mut self, header: &str) -> Self {
        self.token_header = header.to_ascii_lowercase();
        self
    }

    /// Allows only tokens in at least one of `groups`; others get a Deny (403).
    #[must_use]
    pub fn required_groups(mut self, groups: &[&str]) -> Self {
        self.policy = self.policy.required_groups(groups.iter().copied());
        self
    }

    /// Allows only access tokens with at least one of `scopes`; others get a Deny (403).
    #[must_use]
    pub fn required_scopes(mut self, scopes: &[&str]) -> Self {
        self.policy = self.policy.required_scopes(scopes.iter().copied());
        self
    }

    /// REST API TOKEN authorizer.
    ///
    /// # Errors
    /// [`AuthorizerError::Unauthorized`] for a missing or bad token;
    /// [`AuthorizerError::Unavailable`] when keys cannot be fetched.
    pub async fn rest_token(
        &self,
        event: ApiGatewayCustomAuthorizerRequest,
    ) -> Result<Value, AuthorizerError> {
        let token = event.authorization_token.as_deref().and_then(strip_bearer);
        let verdict = self.verify(token).await?;
        Ok(documented(&self.rest_policy(
            verdict,
            event.method_arn.as_deref().unwrap_or_default(),
        )))
    }

    /// REST API REQUEST authorizer: the token from the configured header.
    ///
    /// # Errors
    /// As [`rest_token`](Self::rest_token).
    pub async fn rest_request(
        &self,
        event: ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> Result<Value, AuthorizerError> {
        let token = header_token(&event.headers, &self.token_header);
        let verdict = self.verify(token).await?;
        Ok(documented(&self.rest_policy(
            verdict,
            event.method_arn.as_deref().unwrap_or_default(),
        )))
    }

    /// HTTP API (payload 2.0) authorizer with the simple response: every failure but unavailable
    /// keys is `isAuthorized: false` (API Gateway answers 403).
    ///
    /// # Errors
    /// [`AuthorizerError::Unavailable`] when keys cannot be fetched.
    pub async fn http_simple(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<Value, AuthorizerError> {
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        match self.verify(v2_token(&event, &self.token_header)).await {
            Ok(Verdict::Allow(grant)) => {
                response.is_authorized = true;
                response.context = Value::Object(grant.context);
            }
            Ok(Verdict::Deny) | Err(AuthorizerError::Unauthorized) => {
                response.is_authorized = false;
            }
            Err(e) => return Err(e),
        }
        Ok(documented(&response))
    }

    /// HTTP API (payload 2.0) authorizer with an IAM policy response. A missing or bad token
    /// gets an explicit Deny (API Gateway answers 403), as AWS's HTTP API guide shows: the
    /// guide gives a failed invocation (the `Unauthorized` error REST APIs turn into 401) no
    /// meaning but a 500.
    ///
    /// # Errors
    /// [`AuthorizerError::Unavailable`] when keys cannot be fetched.
    pub async fn http_iam(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<Value, AuthorizerError> {
        let token = v2_token(&event, &self.token_header);
        let verdict = match self.verify(token).await {
            Err(AuthorizerError::Unauthorized) => Verdict::Deny,
            other => other?,
        };
        let rest = self.rest_policy(verdict, event.route_arn.as_deref().unwrap_or_default());
        let mut response = ApiGatewayV2CustomAuthorizerIamPolicyResponse::default();
        response.principal_id = rest.principal_id;
        response.policy_document = rest.policy_document;
        response.context = rest.context;
        Ok(documented(&response))
    }

    async fn verify(&self, token: Option<&str>) -> Result<Verdict, AuthorizerError> {
        let Some(token) = token else {
            self.log_refusal("missing_token");
            return Err(AuthorizerError::Unauthorized);
        };
        let outcome = self.policy.authenticate_token(token).await;
        if let Err(rejection) = &outcome {
            self.log_refusal(rejection.kind());
        }
        let verified = match outcome {
            Ok(v @ (Verified::Id(_) | Verified::Access(_) | Verified::Jwt(_))) => v,
            Ok(_) => return Err(AuthorizerError::Unauthorized),
            Err(r) => {
                return match r.error() {
                    Some(e) if e.is_key_unavailable() => {
                        Err(AuthorizerError::Unavailable(e.clone()))
                    }
                    // Authentic, but a group, scope or check says no: an explicit Deny (403).
                    Some(e) if e.is_forbidden() => Ok(Verdict::Deny),
                    _ => Err(AuthorizerError::Unauthorized),
                };
            }
        };
        let claims = verified.to_json();
        // Never a made-up principal for an Allow: the configured claim, else `sub`; a token with
        // neither (a generic issuer's) is refused.
        let Some(principal) = principal(&verified, &claims, &self.principal_claim) else {
            self.log_refusal("no_principal");
            return Err(AuthorizerError::Unauthorized);
        };
        Ok(Verdict::Allow(Grant {
            principal,
            context: flat_context(claims),
        }))
    }

    /// One JSON line per refusal: its kind and the pool's issuer, never the token.
    fn log_refusal(&self, kind: &str) {
        tracing::info!(
            target: "cognito_lambda_authorizer",
            kind,
            issuer = self.issuer.as_str(),
            "request refused"
        );
    }

    fn rest_policy(
        &self,
        verdict: Verdict,
        method_arn: &str,
    ) -> ApiGatewayCustomAuthorizerResponse {
        let (effect, grant) = match verdict {
            Verdict::Allow(grant) => (IamPolicyEffect::Allow, Some(grant)),
            Verdict::Deny => (IamPolicyEffect::Deny, None),
        };
        let resource = match (self.scope, effect == IamPolicyEffect::Allow) {
            (PolicyScope::Api, true) => api_wildcard(method_arn),
            _ => method_arn.to_owned(),
        };
        let mut statement = IamPolicyStatement::default();
        statement.action = vec!["execute-api:Invoke".into()];
        statement.effect = effect;
        statement.resource = vec![resource];
        let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
        policy.version = Some("2012-10-17".into());
        policy.statement = vec![statement];
        let mut response = ApiGatewayCustomAuthorizerResponse::default();
        response.policy_document = policy;
        // Only a Deny, which carries no claims, is issued to "unknown".
        let (principal, context) = grant.map_or_else(
            || ("unknown".to_owned(), Map::new()),
            |g| (g.principal, g.context),
        );
        response.principal_id = Some(principal);
        response.context = Value::Object(context);
        response
    }
}

/// The response as JSON without the `null` members the event types serialize
/// (`usageIdentifierKey`, an absent `context`, ...): API Gateway documents none of them.
fn documented<T: serde::Serialize>(response: &T) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(response).unwrap_or(Value::Null);
    strip(&mut value);
    value
}

/// `Bearer <token>` or a bare token: the parsing every integration shares.
fn strip_bearer(value: &str) -> Option<&str> {
    bearer_token(value, true)
}

fn header_token<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().and_then(strip_bearer)
}

/// HTTP API: the route's identity source, as API Gateway extracted it (it caches the verdict
/// under that value, so the token judged must be that one); the configured header only when the
/// event has no identity source.
fn v2_token<'e>(event: &'e ApiGatewayV2CustomAuthorizerV2Request, header: &str) -> Option<&'e str> {
    match event.identity_source.as_ref().and_then(|s| s.first()) {
        Some(source) => strip_bearer(source),
        None => header_token(&event.headers, header),
    }
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<method>/<path>` to
/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/*`.
fn api_wildcard(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) if !api.is_empty() && !stage.is_empty() => {
            format!("{api}/{stage}/*")
        }
        _ => method_arn.to_owned(),
    }
}

/// The `principalId`: the named claim (`username` also finds an ID token's `cognito:username`),
/// else `sub`. `claims` is `verified` as JSON.
fn principal(verified: &Verified, claims: &Value, claim: &str) -> Option<String> {
    let named = if claim == "username" {
        verified.username().map(str::to_owned)
    } else {
        claims.get(claim).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    named.or_else(|| verified.subject().map(str::to_owned))
}

/// The claims API Gateway can hand to the integration: strings, numbers and booleans only, so
/// groups and scopes are flattened to strings and objects are left out. `token_use` is among
/// them (the typed claims serialize it).
#[must_use]
pub fn context(claims: &CognitoClaims) -> Map<String, Value> {
    flat_context(serde_json::to_value(claims).unwrap_or(Value::Null))
}

fn flat_context(claims: Value) -> Map<String, Value> {
    let mut out = Map::new();
    let Value::Object(all) = claims else {
        return out;
    };
    for (name, value) in all {
        let flat = match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => value,
            Value::Array(items) if items.iter().all(Value::is_string) => Value::String(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(if name == "scope" { " " } else { "," }),
            ),
            _ => continue,
        };
        out.insert(name, flat);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_and_arns() {
        assert_eq!(strip_bearer("Bearer abc"), Some("abc"));
        assert_eq!(strip_bearer("bearer  abc "), Some("abc"));
        assert_eq!(strip_bearer("abc"), Some("abc"));
        assert_eq!(strip_bearer("Basic abc"), None);
        assert_eq!(strip_bearer("  "), None);
        assert_eq!(
            api_wildcard("arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/GET/orders/7"),
            "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/*"
        );
        assert_eq!(api_wildcard("not-an-arn"), "not-an-arn");
    }
}
