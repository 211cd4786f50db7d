//! actix-web 4 integration (feature `actix`): the [`CognitoAuthLayer`] middleware, configured once on
//! the `App` (or a scope), and the [`Claims<T>`] extractor. Same [`auth`](crate::auth) core,
//! same statuses and challenges as the tower layer.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use cognito_verifier::actix::{Claims, CognitoAuthLayer};
//! use cognito_verifier::{AccessClaims, CognitoVerifier, TokenUse};
//!
//! async fn me(claims: Claims<AccessClaims>) -> String {
//!     format!("hello {}", claims.sub)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let auth = CognitoAuthLayer::new(verifier);
//! HttpServer::new(move || {
//!     App::new()
//!         .service(web::scope("/api").wrap(auth.clone()).route("/me", web::get().to(me)))
//!         .service(
//!             web::scope("/admin")
//!                 .wrap(auth.clone().required_groups(["admins"]))
//!                 .route("", web::get().to(me)),
//!         )
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await?;
//! # Ok(()) }
//! ```
//!
//! `Option<Claims<T>>` uses actix-web's own `Option` extractor, which turns *any* extraction
//! failure into `None`: behind an [`optional`](CognitoAuthLayer::optional) middleware that is what you
//! want for anonymous requests (bad tokens never get that far: the middleware answers 401), but a
//! route without the middleware then sees `None` too, where `Claims<T>` would answer 500.

use std::future::{Future, Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;

use crate::auth::{Anonymous, claims_from};
use crate::auth::{Authenticate, Outcome, Policy, Rejection, RequestHeaders, Verified};

impl RequestHeaders for HeaderMap {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name.to_owned()).map(HeaderValue::as_bytes)
    }
}

type Responder = Arc<dyn Fn(&Rejection) -> HttpResponse + Send + Sync>;

/// The middleware: verifies each request's token by its [`Policy`] and answers rejections
/// itself; handlers take the claims with [`Claims<T>`]. Cheap to clone; every setter returns a
/// new middleware, so one base can be narrowed per scope.
#[derive(Clone)]
pub struct CognitoAuthLayer {
    policy: Policy,
    respond: Responder,
}

impl std::fmt::Debug for CognitoAuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoAuthLayer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl CognitoAuthLayer {
    /// A middleware verifying with `verifier` (any of ours, or your [`Authenticate`]).
    pub fn new(verifier: impl Authenticate) -> Self {
        Self::from_policy(Policy::new(verifier))
    }

    /// A middleware for a [`Policy`] built elsewhere.
    pub fn from_policy(policy: Policy) -> Self {
        Self {
            policy,
            respond: Arc::new(default_response),
        }
    }

    fn map(mut self, f: impl FnOnce(Policy) -> Policy) -> Self {
        self.policy = f(self.policy);
        self
    }

    crate::auth::policy_setters!();

    /// Answers rejections with `respond` instead of the default JSON.
    pub fn on_rejection(
        mut self,
        respond: impl Fn(&Rejection) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.respond = Arc::new(respond);
        self
    }
}

/// The default answer, from the core's status, headers and body.
fn default_response(rejection: &Rejection) -> HttpResponse {
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, rejection.body()).map_into_boxed_body();
    for (name, value) in rejection.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

impl<S, B> Transform<S, ServiceRequest> for CognitoAuthLayer
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CognitoAuth<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CognitoAuth {
            service: Rc::new(service),
            auth: self.clone(),
        }))
    }
}

/// The service [`CognitoAuthLayer`] wraps around a scope.
pub struct CognitoAuth<S> {
    service: Rc<S>,
    auth: CognitoAuthLayer,
}

impl<S> std::fmt::Debug for CognitoAuth<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.auth.fmt(f)
    }
}

impl<S, B> Service<ServiceRequest> for CognitoAuth<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        // A verdict that needs no waiting (no token, a verified-token cache hit) is applied
        // here, without the verification's future.
        if let Some(outcome) = self.auth.policy.authenticate_now(request.headers()) {
            return match admit(&request, outcome) {
                Ok(()) => {
                    let call = self.service.call(request);
                    Box::pin(async move { call.await.map(ServiceResponse::map_into_left_body) })
                }
                Err(rejection) => {
                    let response = (self.auth.respond)(&rejection);
                    let response = request.into_response(response).map_into_right_body();
                    Box::pin(ready(Ok(response)))
                }
            };
        }
        let service = Rc::clone(&self.service);
        let auth = self.auth.clone();
        Box::pin(async move {
            let outcome = auth.policy.authenticate(request.headers()).await;
            if let Err(rejection) = admit(&request, outcome) {
                let response = (auth.respond)(&rejection);
                return Ok(request.into_response(response).map_into_right_body());
            }
            service
                .call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        })
    }
}

/// Puts the claims (or [`Anonymous`]) in the request's extensions, or gives the rejection.
fn admit(request: &ServiceRequest, outcome: Result<Outcome, Rejection>) -> Result<(), Rejection> {
    match outcome? {
        Outcome::Authenticated(verified) => {
            request.extensions_mut().insert(verified);
        }
        Outcome::Anonymous => {
            request.extensions_mut().insert(Anonymous);
        }
    }
    Ok(())
}

/// The verified claims of the request, as `T` (see [`crate::axum::Claims`] for the types and
/// rules: the same here). Derefs to `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

impl<T> std::ops::Deref for Claims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Claims<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// The extractor's error: the core [`Rejection`], answered as the default JSON.
#[derive(Debug)]
pub struct AuthError(pub Rejection);

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        default_response(&self.0)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Claims<T> {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(request: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let extensions = request.extensions();
        let result = claims_from::<T>(
            extensions.get::<Verified>(),
            extensions.get::<Anonymous>().is_some(),
        )
        .and_then(|claims| claims.ok_or_else(Rejection::missing))
        .map(Claims)
        .map_err(AuthError);
        ready(result)
    }
}
