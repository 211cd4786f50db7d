//! axum 0.8 integration (feature `axum`): the tower [`CognitoAuthLayer`] in front of routes, and
//! extractors for handlers.
//!
//! - [`Claims<T>`]: the verified claims as `T`: [`IdClaims`](crate::IdClaims),
//!   [`AccessClaims`](crate::AccessClaims), [`CognitoClaims`](crate::CognitoClaims),
//!   `serde_json::Value` or any `T: DeserializeOwned` of yours (claims a pre-token-generation
//!   trigger added). A token of the other kind than `T` is 401 `wrong_token_use`; claims that do
//!   not fit `T` are 401 `claims_type`; a route without the layer is 500 (a wiring mistake, never
//!   an open door).
//! - `Option<Claims<T>>`: `None` for an anonymous request behind an
//!   [`optional`](CognitoAuthLayer::optional) layer.
//!
//! Statuses and challenges are those of the [`auth`](crate::auth) core; rejections are answered
//! as JSON unless the layer was given another responder
//! ([`on_rejection`](CognitoAuthLayer::on_rejection)).
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use cognito_verifier::axum::{Claims, CognitoAuthLayer};
//! use cognito_verifier::{AccessClaims, CognitoVerifier, TokenUse};
//!
//! async fn me(claims: Claims<AccessClaims>) -> String {
//!     format!("hello {}", claims.sub) // Claims<T> derefs to T
//! }
//!
//! async fn hello(claims: Option<Claims<AccessClaims>>) -> String {
//!     match claims {
//!         Some(c) => format!("hello {}", c.username.as_deref().unwrap_or("you")),
//!         None => "hello stranger".into(),
//!     }
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Tenant {
//!     #[serde(rename = "custom:tenant")]
//!     tenant: String,
//! }
//!
//! async fn tenant(Claims(t): Claims<Tenant>) -> String {
//!     t.tenant
//! }
//!
//! # fn app() -> Result<Router, Box<dyn std::error::Error>> {
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(TokenUse::Any)
//!     .build()?;
//! let auth = CognitoAuthLayer::new(verifier);
//! let app = Router::new()
//!     .route("/public", get(|| async { "anyone" }))
//!     .route("/hello", get(hello).route_layer(auth.clone().access_tokens().optional()))
//!     .route("/me", get(me).route_layer(auth.clone().access_tokens()))
//!     .route("/tenant", get(tenant).route_layer(auth.clone().id_tokens()))
//!     .route("/admin", get(me).route_layer(auth.access_tokens().required_groups(["admins"])));
//! # Ok(app) }
//! ```

use std::ops::{Deref, DerefMut};

use ::axum::body::Body;
use ::axum::extract::{FromRequestParts, OptionalFromRequestParts};
use ::axum::http::request::Parts;
use ::axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::auth::claims_from;
use crate::auth::{Rejection, Verified};
pub use crate::tower::{Anonymous, CognitoAuth, CognitoAuthLayer, Grpc, Json, Respond};

/// The verified claims of the request, as `T`. Derefs to `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

impl<T> Deref for Claims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Claims<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> Claims<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// An extractor's rejection: the core [`Rejection`], answered as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection(pub Rejection);

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        Respond::<Body>::respond(&Json, &self.0)
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AuthRejection {}

fn extract<T: DeserializeOwned + 'static>(parts: &Parts) -> Result<Option<T>, AuthRejection> {
    claims_from(
        parts.extensions.get::<Verified>(),
        parts.extensions.get::<Anonymous>().is_some(),
    )
    .map_err(AuthRejection)
}

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthRejection> {
        match extract(parts)? {
            Some(claims) => Ok(Claims(claims)),
            // Behind an optional layer, a handler that requires claims: no token was sent.
            None => Err(AuthRejection(Rejection::missing())),
        }
    }
}

impl<T, S> OptionalFromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, AuthRejection> {
        Ok(extract(parts)?.map(Claims))
    }
}
