//! axum 0.8 integration (feature `axum`): the tower [`CognitoAuthLayer`] in front of routes, and
//! extractors for handlers.
//!
//! - [`Claims<T>`]: the verified claims as `T`: [`IdClaims`](crate::IdClaims),
//!   [`AccessClaims`](crate::AccessClaims), [`CognitoClaims`](crate::CognitoClaims),
//!   `serde_json::Value` or any `T: DeserializeOwned` of yours (claims a pre-token-generation
//!   trigger added). A token of the other kind than `T` is 401 `wrong_token_use`; claims that do
//!   not fit `T` are 403 `claims_type` (a genuine token that is not enough for the route: a 401
//!   would send the client to sign in again, get the same token, and loop); a route without the
//!   layer is 500 (a wiring mistake, never an open door).
//! - `Option<Claims<T>>`: `None` for an anonymous request behind an
//!   [`optional`](CognitoAuthLayer::optional) layer; a token that is there but cannot give `T`
//!   is refused as with `Claims<T>`, never served as anonymous.
//!
//! Statuses and challenges are those of the [`auth`](crate::auth) core; rejections, the
//! extractors' included, are answered as JSON unless the layer was given another responder
//! ([`on_rejection`](CognitoAuthLayer::on_rejection)):
//!
//! ```
//! use axum::Json;
//! use axum::http::StatusCode;
//! use axum::response::IntoResponse;
//! use cognito_verifier::axum::CognitoAuthLayer;
//!
//! # fn layer(auth: CognitoAuthLayer) {
//! let auth = auth.on_rejection(|r| {
//!     let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
//!     let mut response =
//!         (status, Json(serde_json::json!({ "code": r.kind(), "status": r.status() })))
//!             .into_response();
//!     for (name, value) in r.headers() {
//!         if name != "content-type" {
//!             if let Ok(value) = value.parse() {
//!                 response.headers_mut().insert(name, value);
//!             }
//!         }
//!     }
//!     response
//! });
//! # let _ = auth; }
//! ```
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
use crate::tower::Responder;
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

/// An extractor's rejection: the core [`Rejection`], answered as the layer in front of the
/// route answers (its [`on_rejection`](CognitoAuthLayer::on_rejection) closure, or the default
/// JSON).
#[derive(Clone)]
pub struct ClaimsRejection {
    rejection: Rejection,
    respond: Option<Responder<Body>>,
}

impl ClaimsRejection {
    /// The rejection: status, kind, challenge.
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// The rejection, taken out.
    pub fn into_rejection(self) -> Rejection {
        self.rejection
    }
}

impl std::fmt::Debug for ClaimsRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimsRejection")
            .field("rejection", &self.rejection)
            .field("custom_response", &self.respond.is_some())
            .finish()
    }
}

impl IntoResponse for ClaimsRejection {
    fn into_response(self) -> Response {
        match &self.respond {
            Some(respond) => respond.respond(&self.rejection),
            None => Respond::<Body>::respond(&Json, &self.rejection),
        }
    }
}

impl std::fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.rejection.fmt(f)
    }
}

impl std::error::Error for ClaimsRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.rejection)
    }
}

fn extract<T: DeserializeOwned + 'static>(parts: &Parts) -> Result<Option<T>, ClaimsRejection> {
    claims_from(
        parts.extensions.get::<Verified>(),
        parts.extensions.get::<Anonymous>().is_some(),
    )
    .map_err(|rejection| reject(parts, rejection))
}

/// `rejection`, to be answered as the layer answers.
fn reject(parts: &Parts, rejection: Rejection) -> ClaimsRejection {
    ClaimsRejection {
        rejection,
        respond: parts.extensions.get::<Responder<Body>>().cloned(),
    }
}

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ClaimsRejection> {
        match extract(parts)? {
            Some(claims) => Ok(Claims(claims)),
            // Behind an optional layer, a handler that requires claims: no token was sent.
            None => Err(reject(parts, Rejection::missing())),
        }
    }
}

impl<T, S> OptionalFromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, ClaimsRejection> {
        Ok(extract(parts)?.map(Claims))
    }
}
