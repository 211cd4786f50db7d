//! API Gateway Lambda authorizers for Cognito tokens: the events in, the responses out.
//!
//! One [`Authorizer`], four shapes ([`AuthorizerType`]):
//! - `rest-token`: REST API TOKEN authorizer (the token arrives as `authorizationToken`);
//!   answers an IAM policy, or fails with `Unauthorized`, which API Gateway turns into a 401.
//! - `rest-request`: REST API REQUEST authorizer, the token from a header of your choice.
//! - `http-simple` and `http-iam`: HTTP API (payload 2.0) authorizer, with the simple
//!   `{isAuthorized, context}` response or an IAM policy.
//!
//! A bad token never gets a policy. An authentic token that lacks a required group or scope gets
//! a Deny (403). When the signing keys cannot be fetched the authorizer fails with an error other
//! than `Unauthorized`, so API Gateway answers 500 and clients retry, instead of a 401 that
//! would sign users out.
//!
//! Events are taken and responses given as [`serde_json::Value`], the JSON Lambda carries, so
//! that every host runs this one implementation: the `cognito-lambda-authorizer` package (a Rust
//! binary on `lambda_runtime`) and the Python package's `cognito_verifier.aws_lambda` handler.
//! [`Authorizer::from_env`] reads the environment variables both document.
//!
//! ```
//! # async fn demo(event: serde_json::Value) -> Result<(), Box<dyn std::error::Error>> {
//! use cognito_verifier::CognitoVerifier;
//! use cognito_verifier::aws_lambda::{Authorizer, AuthorizerType};
//!
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(cognito_verifier::TokenUse::Access)
//!     .build()?;
//! let authorizer = Authorizer::new(verifier)
//!     .authorizer_type(AuthorizerType::HttpSimple)
//!     .required_groups(&["admins"]);
//! // In the handler: the response to return, or the invocation's error.
//! let response = authorizer.authorize(&event, None).await?;
//! # let _ = response; Ok(()) }
//! ```

mod env;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Map, Value, json};

pub use self::env::EnvError;
use crate::auth::{Policy, Verified, bearer_token};
use crate::{CognitoClaims, CognitoVerifier, Error, JwtVerifier, MultiPoolVerifier};

/// The time an answer needs to reach Lambda: a verdict is cut off this long before the
/// invocation's deadline.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(100);

/// Which authorizer API Gateway calls, and so which event comes in and which response goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AuthorizerType {
    /// REST API TOKEN authorizer (`rest-token`): the token is the event's
    /// `authorizationToken`; the response is an IAM policy. The default.
    #[default]
    RestToken,
    /// REST API REQUEST authorizer (`rest-request`): the token from the configured header.
    RestRequest,
    /// HTTP API (payload 2.0) authorizer with the simple response (`http-simple`):
    /// `{isAuthorized, context}`.
    HttpSimple,
    /// HTTP API (payload 2.0) authorizer with an IAM policy response (`http-iam`).
    HttpIam,
}

impl AuthorizerType {
    /// The name `AUTHORIZER_TYPE` takes: `rest-token`, `rest-request`, `http-simple`,
    /// `http-iam`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RestToken => "rest-token",
            Self::RestRequest => "rest-request",
            Self::HttpSimple => "http-simple",
            Self::HttpIam => "http-iam",
        }
    }
}

impl fmt::Display for AuthorizerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `AUTHORIZER_TYPE` that names no [`AuthorizerType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not rest-token, rest-request, http-simple or http-iam")]
pub struct UnknownAuthorizerType(String);

impl FromStr for AuthorizerType {
    type Err = UnknownAuthorizerType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rest-token" => Ok(Self::RestToken),
            "rest-request" => Ok(Self::RestRequest),
            "http-simple" => Ok(Self::HttpSimple),
            "http-iam" => Ok(Self::HttpIam),
            other => Err(UnknownAuthorizerType(other.to_owned())),
        }
    }
}

/// What an allowed policy covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PolicyScope {
    /// Only the method that was called (`methodArn` / `routeArn`). Safe with API Gateway's
    /// authorizer cache only when the cache key includes the method.
    Method,
    /// Every method and resource of the API and stage (`.../<stage>/*`), so a cached policy
    /// serves the whole API for the token's lifetime. The default.
    #[default]
    Api,
}

/// Why an invocation ends in an error instead of a response.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// A missing or bad token. Its message is exactly `Unauthorized`, which API Gateway turns
    /// into a 401.
    Unauthorized,
    /// The signing keys could not be had: API Gateway answers 500 and the client may retry.
    Unavailable(Error),
    /// No verdict before the invocation's deadline (less [`ANSWER_MARGIN`]): API Gateway
    /// answers 500 and the client may retry.
    DeadlineExceeded,
    /// The event is not one the configured [`AuthorizerType`] receives (not a JSON object, or
    /// its `type` or `version` is another authorizer's): the deployment is misconfigured, which
    /// is a fault to alarm on, not a refused token. API Gateway answers 500.
    BadEvent(&'static str),
    /// The authorizer is misconfigured (a required list given empty in code; see
    /// [`Authorizer::validate`]): every request fails this way, a fault to alarm on, never a
    /// 401 that would blame the token. API Gateway answers 500.
    Misconfigured(crate::BuildError),
}

impl fmt::Display for AuthorizerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("Unauthorized"),
            // The key errors say "signing keys unavailable" themselves.
            Self::Unavailable(e) => write!(f, "{e}"),
            Self::DeadlineExceeded => f.write_str("no verdict before the invocation's deadline"),
            Self::BadEvent(why) => write!(f, "not an event of this authorizer type: {why}"),
            Self::Misconfigured(e) => write!(f, "the authorizer is misconfigured: {e}"),
        }
    }
}

impl std::error::Error for AuthorizerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unavailable(e) => Some(e),
            Self::Misconfigured(e) => Some(e),
            _ => None,
        }
    }
}

impl AuthorizerError {
    /// The invocation error's stable `errorType`: `Unauthorized`, `KeysUnavailable`,
    /// `DeadlineExceeded`, `BadEvent` or `Misconfigured` (never a type name of the host
    /// language, which would change with the code).
    #[must_use]
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Unauthorized => "Unauthorized",
            Self::Unavailable(_) => "KeysUnavailable",
            Self::DeadlineExceeded => "DeadlineExceeded",
            Self::BadEvent(_) => "BadEvent",
            Self::Misconfigured(_) => "Misconfigured",
        }
    }
}

/// The outcome of one invocation: the response or the error, and why the request was refused
/// (if it was), for the host's log.
#[derive(Debug, Clone)]
pub struct Decision {
    outcome: Result<Value, AuthorizerError>,
    refusal: Option<&'static str>,
}

impl Decision {
    /// The response to return to API Gateway, or the error the invocation must fail with.
    ///
    /// # Errors
    /// The [`AuthorizerError`] the invocation fails with.
    pub fn outcome(&self) -> Result<&Value, &AuthorizerError> {
        self.outcome.as_ref()
    }

    /// The response, or the error the invocation must fail with.
    ///
    /// # Errors
    /// The [`AuthorizerError`] the invocation fails with.
    pub fn into_outcome(self) -> Result<Value, AuthorizerError> {
        self.outcome
    }

    /// The kind of the refusal when the request was refused (a Deny, `isAuthorized: false`,
    /// or an error): the crate's stable names (`expired`, `missing_group`, `jwks_fetch`, ...),
    /// plus `missing_token`, `ambiguous_token` and `no_principal`. `None` for an Allow and for
    /// the faults that are no verdict on a token ([`AuthorizerError::DeadlineExceeded`],
    /// [`AuthorizerError::BadEvent`]).
    #[must_use]
    pub fn refusal(&self) -> Option<&'static str> {
        self.refusal
    }
}

/// Verifies tokens for API Gateway. Build it once per cold start, outside the handler; it is
/// cheap to clone and shared by every invocation.
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// The verifier and the required groups and scopes: the same core every integration uses.
    policy: Policy,
    /// The pools' issuers, for the log line of each refusal.
    issuer: String,
    principal_claim: String,
    scope: PolicyScope,
    token_header: String,
    kind: AuthorizerType,
}

/// The verdict on a request's token.
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

/// A refusal: the error (or a Deny, for `Ok`) and its kind.
type Refused = (&'static str, Result<(), AuthorizerError>);

impl Authorizer {
    /// An authorizer using `verifier`: a REST TOKEN authorizer, principal from `sub`,
    /// policies for the whole API, REQUEST tokens from the `Authorization` header.
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
            kind: AuthorizerType::RestToken,
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

    /// Which events come in and which responses go out (default
    /// [`AuthorizerType::RestToken`]).
    #[must_use]
    pub fn authorizer_type(mut self, kind: AuthorizerType) -> Self {
        self.kind = kind;
        self
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
    /// `Authorization`), as `Bearer <token>` or the bare token.
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

    /// Whether every setting restricts what it names: a required list given empty
    /// (`required_groups(&[])`) would lift the restriction, so such an authorizer fails every
    /// invocation with [`AuthorizerError::Misconfigured`]; call this at init to fail there
    /// instead. [`from_env`](Self::from_env) does.
    ///
    /// # Errors
    /// The setting that was given an empty list.
    pub fn validate(&self) -> Result<(), crate::BuildError> {
        self.policy.validate()
    }

    /// The configured [`AuthorizerType`].
    #[must_use]
    pub fn kind(&self) -> AuthorizerType {
        self.kind
    }

    /// The issuer (or, for several pools, the comma-separated issuers) whose tokens are
    /// accepted, as the refusal log lines name it.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Answers `event` as the configured [`AuthorizerType`], cut off at `time_left` (the
    /// invocation's remaining time, if known) less [`ANSWER_MARGIN`]. A refusal is logged as
    /// one tracing event (target `cognito_lambda_authorizer`, level INFO, fields `kind` and
    /// `issuer`; never the token).
    ///
    /// # Errors
    /// [`AuthorizerError::Unauthorized`] for a missing or bad token (REST APIs; an HTTP API
    /// gets a response that refuses), [`AuthorizerError::Unavailable`] when keys cannot be
    /// fetched, [`AuthorizerError::DeadlineExceeded`] past `time_left`.
    pub async fn authorize(
        &self,
        event: &Value,
        time_left: Option<Duration>,
    ) -> Result<Value, AuthorizerError> {
        self.logged(self.decide(event, time_left).await)
    }

    /// As [`authorize`](Self::authorize), without logging: the host logs
    /// [`Decision::refusal`] its own way (the Python package, through `logging`).
    pub async fn decide(&self, event: &Value, time_left: Option<Duration>) -> Decision {
        let verdict = self.decide_as(self.kind, event);
        match time_left {
            None => verdict.await,
            Some(left) => tokio::time::timeout(left.saturating_sub(ANSWER_MARGIN), verdict)
                .await
                .unwrap_or(Decision {
                    outcome: Err(AuthorizerError::DeadlineExceeded),
                    refusal: None,
                }),
        }
    }

    /// Logs the refusal of `decision`, if any, and hands back its outcome.
    fn logged(&self, decision: Decision) -> Result<Value, AuthorizerError> {
        if let Some(kind) = decision.refusal {
            self.log_refusal(kind);
        }
        decision.outcome
    }

    /// REST API TOKEN authorizer, whatever the configured type.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub async fn rest_token(&self, event: &Value) -> Result<Value, AuthorizerError> {
        self.logged(self.decide_as(AuthorizerType::RestToken, event).await)
    }

    /// REST API REQUEST authorizer, whatever the configured type.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub async fn rest_request(&self, event: &Value) -> Result<Value, AuthorizerError> {
        self.logged(self.decide_as(AuthorizerType::RestRequest, event).await)
    }

    /// HTTP API (payload 2.0) authorizer with the simple response, whatever the configured
    /// type: every failure but unavailable keys is `isAuthorized: false` (API Gateway answers
    /// 403).
    ///
    /// # Errors
    /// [`AuthorizerError::Unavailable`] when keys cannot be fetched.
    pub async fn http_simple(&self, event: &Value) -> Result<Value, AuthorizerError> {
        self.logged(self.decide_as(AuthorizerType::HttpSimple, event).await)
    }

    /// HTTP API (payload 2.0) authorizer with an IAM policy response, whatever the configured
    /// type. A missing or bad token gets an explicit Deny (API Gateway answers 403), as AWS's
    /// HTTP API guide shows: the guide gives a failed invocation (the `Unauthorized` error REST
    /// APIs turn into 401) no meaning but a 500.
    ///
    /// # Errors
    /// [`AuthorizerError::Unavailable`] when keys cannot be fetched.
    pub async fn http_iam(&self, event: &Value) -> Result<Value, AuthorizerError> {
        self.logged(self.decide_as(AuthorizerType::HttpIam, event).await)
    }

    async fn decide_as(&self, kind: AuthorizerType, event: &Value) -> Decision {
        if let Err(why) = check_event(kind, event) {
            return Decision {
                outcome: Err(AuthorizerError::BadEvent(why)),
                refusal: None,
            };
        }
        let token = match kind {
            AuthorizerType::RestToken => Ok(event
                .get("authorizationToken")
                .and_then(Value::as_str)
                .and_then(strip_bearer)),
            AuthorizerType::RestRequest => header_token(event, &self.token_header),
            AuthorizerType::HttpSimple | AuthorizerType::HttpIam => {
                v2_token(event, &self.token_header)
            }
        };
        let verdict = match token {
            Ok(token) => self.verify(token).await,
            Err(ambiguous) => Err(ambiguous),
        };
        let (verdict, refusal) = match verdict {
            Ok(grant) => (Ok(Verdict::Allow(grant)), None),
            Err((refusal, Ok(()))) => (Ok(Verdict::Deny), Some(refusal)),
            Err((refusal, Err(error))) => (Err(error), Some(refusal)),
        };
        let outcome = match kind {
            AuthorizerType::RestToken | AuthorizerType::RestRequest => {
                verdict.map(|v| self.iam_policy(v, arn(event, "methodArn")))
            }
            AuthorizerType::HttpSimple => match verdict {
                Ok(Verdict::Allow(grant)) => {
                    Ok(json!({"isAuthorized": true, "context": grant.context}))
                }
                Ok(Verdict::Deny) | Err(AuthorizerError::Unauthorized) => {
                    Ok(json!({"isAuthorized": false}))
                }
                Err(error) => Err(error),
            },
            AuthorizerType::HttpIam => match verdict {
                Ok(verdict) => Ok(self.iam_policy(verdict, arn(event, "routeArn"))),
                Err(AuthorizerError::Unauthorized) => {
                    Ok(self.iam_policy(Verdict::Deny, arn(event, "routeArn")))
                }
                Err(error) => Err(error),
            },
        };
        Decision { outcome, refusal }
    }

    /// The verdict on `token`, or the refusal's kind with the invocation's error (`Ok(())` for
    /// a Deny).
    async fn verify(&self, token: Option<&str>) -> Result<Grant, Refused> {
        let Some(token) = token else {
            return Err(("missing_token", Err(AuthorizerError::Unauthorized)));
        };
        let verified = match self.policy.authenticate_token(token).await {
            Ok(v @ (Verified::Id(_) | Verified::Access(_) | Verified::Jwt(_))) => v,
            Ok(_) => return Err(("claims_type", Err(AuthorizerError::Unauthorized))),
            Err(rejection) => {
                let kind = rejection.kind();
                if let Err(e) = self.policy.validate() {
                    return Err((kind, Err(AuthorizerError::Misconfigured(e))));
                }
                return Err(match rejection.error() {
                    Some(e) if e.is_key_unavailable() => {
                        (kind, Err(AuthorizerError::Unavailable(e.clone())))
                    }
                    // Authentic, but a group, scope or check says no: an explicit Deny (403).
                    Some(e) if e.is_forbidden() => (kind, Ok(())),
                    _ => (kind, Err(AuthorizerError::Unauthorized)),
                });
            }
        };
        let claims = verified.to_json();
        // Never a made-up principal for an Allow: the configured claim, else `sub`; a token with
        // neither (a generic issuer's) is refused.
        let Some(principal) = principal(&verified, &claims, &self.principal_claim) else {
            return Err(("no_principal", Err(AuthorizerError::Unauthorized)));
        };
        Ok(Grant {
            principal,
            context: flat_context(claims),
        })
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

    /// The IAM policy response (REST APIs, and HTTP APIs with IAM responses).
    fn iam_policy(&self, verdict: Verdict, method_arn: &str) -> Value {
        let (effect, resource, principal, context) = match verdict {
            Verdict::Allow(grant) => {
                let resource = match self.scope {
                    PolicyScope::Api => api_wildcard(method_arn),
                    PolicyScope::Method => method_arn.to_owned(),
                };
                ("Allow", resource, grant.principal, grant.context)
            }
            // Only a Deny, which carries no claims, is issued to "unknown".
            Verdict::Deny => (
                "Deny",
                method_arn.to_owned(),
                "unknown".to_owned(),
                Map::new(),
            ),
        };
        json!({
            "principalId": principal,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": ["execute-api:Invoke"],
                    "Effect": effect,
                    "Resource": [resource],
                }],
            },
            "context": context,
        })
    }
}

/// Whether `event` is one `kind` receives: a JSON object whose `type` (`TOKEN`, `REQUEST`) and
/// `version` (HTTP APIs: `2.0`), where present, are that authorizer's.
fn check_event(kind: AuthorizerType, event: &Value) -> Result<(), &'static str> {
    let Some(event) = event.as_object() else {
        return Err("the event is not a JSON object");
    };
    let field = |name| event.get(name).map(|v| v.as_str().unwrap_or("(not text)"));
    let (expected_type, v2) = match kind {
        AuthorizerType::RestToken => ("TOKEN", false),
        AuthorizerType::RestRequest => ("REQUEST", false),
        AuthorizerType::HttpSimple | AuthorizerType::HttpIam => ("REQUEST", true),
    };
    if field("type").is_some_and(|t| t != expected_type) {
        return Err(match kind {
            AuthorizerType::RestToken => "its type is not TOKEN",
            _ => "its type is not REQUEST",
        });
    }
    match (v2, field("version")) {
        (true, Some(version)) if version != "2.0" => {
            Err("its version is not 2.0 (HTTP API authorizers take payload format 2.0)")
        }
        (false, Some("2.0")) => Err("it is an HTTP API's (version 2.0), not a REST API's"),
        _ => Ok(()),
    }
}

/// `Bearer <token>` or a bare token: the parsing every integration shares.
fn strip_bearer(value: &str) -> Option<&str> {
    bearer_token(value, true)
}

/// The event's `methodArn` or `routeArn` (empty if it has none).
fn arn<'e>(event: &'e Value, name: &str) -> &'e str {
    event.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// The token in header `name` (lower case) of a REQUEST or payload 2.0 event: every value of
/// `headers` and `multiValueHeaders` under that name in any case. Two different values are
/// ambiguous and refused, never resolved by order.
fn header_token<'e>(event: &'e Value, name: &str) -> Result<Option<&'e str>, Refused> {
    let mut found: Option<&str> = None;
    let single = event.get("headers").and_then(Value::as_object);
    let multi = event.get("multiValueHeaders").and_then(Value::as_object);
    let values = single
        .into_iter()
        .flatten()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .chain(
            multi
                .into_iter()
                .flatten()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .filter_map(|(_, v)| v.as_array())
                .flatten(),
        );
    for value in values {
        let value = match value {
            Value::String(text) => text.as_str(),
            Value::Null => continue,
            // A header that is not text is present and bad.
            _ => return Err(("malformed", Err(AuthorizerError::Unauthorized))),
        };
        match found {
            Some(seen) if seen != value => {
                return Err(("ambiguous_token", Err(AuthorizerError::Unauthorized)));
            }
            _ => found = Some(value),
        }
    }
    match found {
        // Present but not a token (`Basic ...`, blank): refused as missing.
        Some(value) => Ok(strip_bearer(value)),
        None => Ok(None),
    }
}

/// HTTP API: the route's identity source, as API Gateway extracted it (it caches the verdict
/// under that value, so the token judged must be that one); the configured header only when the
/// event has no identity source.
fn v2_token<'e>(event: &'e Value, header: &str) -> Result<Option<&'e str>, Refused> {
    match event
        .get("identitySource")
        .and_then(Value::as_array)
        .and_then(|sources| sources.first())
    {
        Some(Value::String(source)) => Ok(strip_bearer(source)),
        Some(_) => Err(("malformed", Err(AuthorizerError::Unauthorized))),
        None => header_token(event, header),
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
/// groups and scopes are flattened to strings (groups joined with `,`, scopes with a space) and
/// objects are left out. `token_use` is among them.
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

    #[test]
    fn headers_are_found_in_any_case_and_two_tokens_are_ambiguous() {
        let event = json!({"headers": {"Authorization": "Bearer abc"}});
        assert_eq!(
            header_token(&event, "authorization").ok(),
            Some(Some("abc"))
        );
        let same = json!({
            "headers": {"authorization": "Bearer abc"},
            "multiValueHeaders": {"Authorization": ["Bearer abc"]},
        });
        assert_eq!(header_token(&same, "authorization").ok(), Some(Some("abc")));
        let two = json!({"multiValueHeaders": {"authorization": ["Bearer abc", "Bearer xyz"]}});
        assert_eq!(
            header_token(&two, "authorization")
                .err()
                .map(|(kind, _)| kind),
            Some("ambiguous_token")
        );
        let odd = json!({"headers": {"authorization": 7}});
        assert!(header_token(&odd, "authorization").is_err());
        for nothing in [json!(null), json!([]), json!({"headers": "x"}), json!({})] {
            assert_eq!(header_token(&nothing, "authorization").ok(), Some(None));
        }
    }

    #[test]
    fn authorizer_types_read_and_print_their_names() {
        for kind in [
            AuthorizerType::RestToken,
            AuthorizerType::RestRequest,
            AuthorizerType::HttpSimple,
            AuthorizerType::HttpIam,
        ] {
            assert_eq!(kind.as_str().parse::<AuthorizerType>(), Ok(kind));
        }
        assert!("REST-TOKEN".parse::<AuthorizerType>().is_err());
    }
}
