//! axum and tower integration (feature `axum`).
//!
//! [`CognitoAuthLayer`] is a tower [`Layer`]: it reads `Authorization`, verifies the token with a
//! [`CognitoVerifier`], puts the typed claims into the request's extensions, and answers failures
//! itself, so handlers only ever see verified requests:
//!
//! | outcome | status | `WWW-Authenticate` (RFC 6750) |
//! |---|---|---|
//! | no token (or another scheme) | 401 | `Bearer` |
//! | bad token | 401 | `Bearer error="invalid_token", error_description="<kind>"` |
//! | authentic, but a required group or scope is missing | 403 | `Bearer error="insufficient_scope"` |
//! | signing keys unavailable (JWKS endpoint down) | 503 | (none; `Retry-After`: when the next fetch is allowed, else 5 s) |
//!
//! The response body is a small JSON object with the same `error` and `error_description`; it
//! never contains the token. The description is the error's kind name (`expired`,
//! `wrong_client_id`, …), not its message.
//!
//! Handlers take the claims with the [`Claims`] extractor.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use cognito_verifier::axum::{Claims, CognitoAuthLayer};
//! use cognito_verifier::{AccessClaims, CognitoVerifier, TokenUse};
//!
//! async fn me(Claims(claims): Claims<AccessClaims>) -> String {
//!     format!("hello {}", claims.sub)
//! }
//!
//! # fn app() -> Result<Router, Box<dyn std::error::Error>> {
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let auth = CognitoAuthLayer::new(verifier);
//! let app = Router::new()
//!     .route("/public", get(|| async { "anyone" }))
//!     .route("/me", get(me).route_layer(auth.clone()))
//!     .route("/admin", get(me).route_layer(auth.require_groups(["admins"])));
//! # Ok(app) }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::axum::body::Body;
use ::axum::extract::FromRequestParts;
use ::axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use ::axum::response::IntoResponse;
use tower_layer::Layer;
use tower_service::Service;

use crate::{AccessClaims, CognitoClaims, CognitoVerifier, Error, IdClaims, TokenUse};

/// Verifies the bearer token of every request before the inner service sees it. Cheap to clone.
///
/// By default it accepts whatever kind of token the verifier accepts; see
/// [`id_tokens`](Self::id_tokens) and [`access_tokens`](Self::access_tokens).
#[derive(Clone)]
pub struct CognitoAuthLayer {
    policy: Arc<Policy>,
}

struct Policy {
    verifier: CognitoVerifier,
    accept: TokenUse,
    bare_token: bool,
    groups: Vec<String>,
    scopes: Vec<String>,
}

impl fmt::Debug for CognitoAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthLayer")
            .field("issuer", &self.policy.verifier.issuer())
            .field("accept", &self.policy.accept)
            .field("bare_token", &self.policy.bare_token)
            .field("groups", &self.policy.groups)
            .field("scopes", &self.policy.scopes)
            .finish()
    }
}

impl CognitoAuthLayer {
    /// A layer verifying with `verifier`.
    pub fn new(verifier: CognitoVerifier) -> Self {
        Self {
            policy: Arc::new(Policy {
                verifier,
                accept: TokenUse::Any,
                bare_token: false,
                groups: Vec::new(),
                scopes: Vec::new(),
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Policy)) -> Self {
        let mut policy = Policy {
            verifier: self.policy.verifier.clone(),
            accept: self.policy.accept,
            bare_token: self.policy.bare_token,
            groups: self.policy.groups.clone(),
            scopes: self.policy.scopes.clone(),
        };
        change(&mut policy);
        Self {
            policy: Arc::new(policy),
        }
    }

    /// Accepts only ID tokens (claims: [`IdClaims`]).
    pub fn id_tokens(self) -> Self {
        self.with(|p| p.accept = TokenUse::Id)
    }

    /// Accepts only access tokens (claims: [`AccessClaims`]).
    pub fn access_tokens(self) -> Self {
        self.with(|p| p.accept = TokenUse::Access)
    }

    /// Also accepts `Authorization: <token>` without the `Bearer` scheme, as API Gateway's
    /// Cognito authorizer and Amplify clients send it. Off by default.
    pub fn allow_bare_token(self) -> Self {
        self.with(|p| p.bare_token = true)
    }

    /// Requires the token's `cognito:groups` to contain at least one of `groups` (403 otherwise).
    pub fn require_groups<I, S>(self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let groups: Vec<String> = groups.into_iter().map(Into::into).collect();
        self.with(|p| p.groups = groups)
    }

    /// Requires the access token's `scope` to contain at least one of `scopes` (403 otherwise).
    pub fn require_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.with(|p| p.scopes = scopes)
    }
}

impl<S> Layer<S> for CognitoAuthLayer {
    type Service = CognitoAuth<S>;

    fn layer(&self, inner: S) -> CognitoAuth<S> {
        CognitoAuth {
            inner,
            policy: Arc::clone(&self.policy),
        }
    }
}

/// The service made by [`CognitoAuthLayer`].
#[derive(Clone)]
pub struct CognitoAuth<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> fmt::Debug for CognitoAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("issuer", &self.policy.verifier.issuer())
            .finish_non_exhaustive()
    }
}

type ResponseFuture<E> = Pin<Box<dyn Future<Output = Result<Response<Body>, E>> + Send>>;

impl<S, B> Service<Request<B>> for CognitoAuth<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The service that was polled ready is the one to call; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            match policy.authorize(request.headers()).await {
                Ok(claims) => {
                    match claims {
                        CognitoClaims::Id(c) => request.extensions_mut().insert(c).map(drop),
                        CognitoClaims::Access(c) => request.extensions_mut().insert(c).map(drop),
                    };
                    inner.call(request).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}

impl Policy {
    async fn authorize(&self, headers: &HeaderMap) -> Result<CognitoClaims, AuthRejection> {
        let token = bearer_token(headers, self.bare_token)?;
        let claims = match self.accept {
            TokenUse::Id => self.verifier.verify_id(token).await.map(CognitoClaims::Id),
            TokenUse::Access => self
                .verifier
                .verify_access(token)
                .await
                .map(CognitoClaims::Access),
            _ => self.verifier.verify_any(token).await,
        }
        .map_err(|e| AuthRejection::from_error(&e))?;
        if !self.groups.is_empty() && !claims.groups().iter().any(|g| self.groups.contains(g)) {
            return Err(AuthRejection::InsufficientScope {
                scopes: self.scopes.join(" "),
            });
        }
        if !self.scopes.is_empty() {
            let granted = match &claims {
                CognitoClaims::Access(c) => self.scopes.iter().any(|s| c.has_scope(s)),
                _ => false,
            };
            if !granted {
                return Err(AuthRejection::InsufficientScope {
                    scopes: self.scopes.join(" "),
                });
            }
        }
        Ok(claims)
    }
}

/// The token from `Authorization: Bearer <token>` (the scheme is case-insensitive), or the whole
/// value when bare tokens are allowed.
fn bearer_token(headers: &HeaderMap, bare: bool) -> Result<&str, AuthRejection> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(AuthRejection::Missing);
    };
    let value = value.to_str().map_err(|_| AuthRejection::Invalid {
        description: "malformed",
    })?;
    let value = value.trim();
    if let Some((scheme, token)) = value.split_once(' ') {
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            return Ok(token.trim());
        }
        return Err(AuthRejection::Missing);
    }
    if bare && !value.is_empty() {
        return Ok(value);
    }
    Err(AuthRejection::Missing)
}

/// Why a request was turned away; also the [`Claims`] extractor's rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No bearer token: 401 with `WWW-Authenticate: Bearer` (no error code, per RFC 6750 §3.1).
    Missing,
    /// The token is not acceptable: 401 `invalid_token` with the error kind as description.
    Invalid {
        /// The error kind's name.
        description: &'static str,
    },
    /// Authentic, but lacking a required group or scope: 403 `insufficient_scope`.
    InsufficientScope {
        /// The required scopes (space-separated), if the requirement was on scopes.
        scopes: String,
    },
    /// Signing keys cannot be had right now: 503.
    KeysUnavailable {
        /// The error kind's name.
        description: &'static str,
        /// The `Retry-After` to send, in seconds: when the verifier will fetch again if it
        /// knows ([`Error::retry_after`], rounded up), else 5.
        retry_after_secs: u64,
    },
    /// A handler asked for claims that no layer put there (a wiring mistake): 500.
    NotAuthenticated,
}

impl AuthRejection {
    /// The rejection for a verification error.
    pub fn from_error(error: &Error) -> Self {
        let description = error.kind().as_str();
        if error.is_key_unavailable() {
            Self::KeysUnavailable {
                description,
                retry_after_secs: error.retry_after().map_or(5, |d| {
                    d.as_secs()
                        .saturating_add(u64::from(d.subsec_nanos() > 0))
                        .max(1)
                }),
            }
        } else if error.is_insufficient_scope() {
            Self::InsufficientScope {
                scopes: String::new(),
            }
        } else {
            Self::Invalid { description }
        }
    }

    /// The HTTP status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Missing | Self::Invalid { .. } => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::KeysUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotAuthenticated => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response<Body> {
        let (challenge, error, description): (Option<String>, &str, &str) = match &self {
            Self::Missing => (Some("Bearer".into()), "invalid_request", "no bearer token"),
            Self::Invalid { description } => (
                Some(format!(
                    "Bearer error=\"invalid_token\", error_description=\"{description}\""
                )),
                "invalid_token",
                description,
            ),
            Self::InsufficientScope { scopes } if scopes.is_empty() => (
                Some("Bearer error=\"insufficient_scope\"".into()),
                "insufficient_scope",
                "a required group or scope is missing",
            ),
            Self::InsufficientScope { scopes } => (
                Some(format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{scopes}\""
                )),
                "insufficient_scope",
                "a required group or scope is missing",
            ),
            Self::KeysUnavailable { description, .. } => {
                (None, "temporarily_unavailable", description)
            }
            Self::NotAuthenticated => (None, "server_error", "no authentication layer ran"),
        };
        let body = serde_json::json!({"error": error, "error_description": description});
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(challenge) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        if let Self::KeysUnavailable {
            retry_after_secs, ..
        } = self
        {
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// Extracts the claims [`CognitoAuthLayer`] verified: `Claims<IdClaims>`, `Claims<AccessClaims>`
/// or `Claims<CognitoClaims>`. Without the layer on the route it answers 500: a wiring mistake,
/// never an open door.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

/// The claims types [`Claims`] can extract. Sealed.
pub trait FromExtensions: Sized + sealed::Sealed {
    /// Takes the claims from the request's extensions.
    fn from_extensions(extensions: &::axum::http::Extensions) -> Option<Self>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::IdClaims {}
    impl Sealed for crate::AccessClaims {}
    impl Sealed for crate::CognitoClaims {}
}

impl FromExtensions for IdClaims {
    fn from_extensions(extensions: &::axum::http::Extensions) -> Option<Self> {
        extensions.get::<Self>().cloned()
    }
}

impl FromExtensions for AccessClaims {
    fn from_extensions(extensions: &::axum::http::Extensions) -> Option<Self> {
        extensions.get::<Self>().cloned()
    }
}

impl FromExtensions for CognitoClaims {
    fn from_extensions(extensions: &::axum::http::Extensions) -> Option<Self> {
        IdClaims::from_extensions(extensions)
            .map(Self::Id)
            .or_else(|| AccessClaims::from_extensions(extensions).map(Self::Access))
    }
}

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: FromExtensions + Send,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthRejection> {
        T::from_extensions(&parts.extensions)
            .map(Claims)
            .ok_or(AuthRejection::NotAuthenticated)
    }
}

// Ensures the layer's service can serve as an axum route layer.
const _: fn() = || {
    fn route_layer<L>()
    where
        L: Layer<::axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
    {
    }
    route_layer::<CognitoAuthLayer>();
};
