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
//! `Option<Claims<T>>` is `None` for an anonymous request behind an
//! [`optional`](CognitoAuthLayer::optional) middleware. actix-web's own `Option` extractor turns
//! *any* extraction failure into `None`, so the middleware answers for it: when a request's token
//! cannot give the handler's `T` (an access token for `Option<Claims<IdClaims>>`, claims that
//! do not fit `T`), the handler's response is replaced by the rejection the tower layer and axum
//! give (401 `wrong_token_use`, 403 `claims_type`), never served as anonymous. The handler has
//! then run as for an anonymous request, which an optional route allows anyway. A route without
//! the middleware sees `None` (where `Claims<T>` answers 500).
//!
//! Every rejection, the extractor's included, is answered by the middleware's
//! [`on_rejection`](CognitoAuthLayer::on_rejection) (default: the core's JSON).

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

/// The middleware's responder, in the extensions of every request it admits (when it is not the
/// default), so that the extractor answers in the same shape.
#[derive(Clone)]
struct RespondWith(Responder);

/// An extraction the middleware must answer for (`Option<Claims<T>>` swallows the error).
#[derive(Clone)]
struct Refused(Rejection);

/// The middleware: verifies each request's token by its [`Policy`] and answers rejections
/// itself; handlers take the claims with [`Claims<T>`]. Cheap to clone; every setter returns a
/// new middleware, so one base can be narrowed per scope.
#[derive(Clone)]
pub struct CognitoAuthLayer {
    policy: Policy,
    respond: Responder,
    /// Whether `respond` is the middleware's own (the extractor must be told).
    custom: bool,
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
            custom: false,
        }
    }

    fn map(mut self, f: impl FnOnce(Policy) -> Policy) -> Self {
        self.policy = f(self.policy);
        self
    }

    crate::auth::policy_setters!();

    /// Answers every rejection with `respond` instead of the default JSON: the middleware's own
    /// and those of the [`Claims<T>`] extractor behind it. The closure needs no type annotation.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use actix_web::http::StatusCode;
    /// use cognito_verifier::actix::CognitoAuthLayer;
    ///
    /// # fn f(auth: CognitoAuthLayer) -> CognitoAuthLayer {
    /// auth.on_rejection(|r| {
    ///     let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ///     let mut response = HttpResponse::build(status);
    ///     for (name, value) in r.headers() {
    ///         if name != "content-type" {
    ///             response.insert_header((name, value));
    ///         }
    ///     }
    ///     response.json(serde_json::json!({ "code": r.kind() }))
    /// })
    /// # }
    /// ```
    pub fn on_rejection(
        mut self,
        respond: impl Fn(&Rejection) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.respond = Arc::new(respond);
        self.custom = true;
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
            return match admit(&request, outcome, &self.auth) {
                Ok(()) => {
                    let call = self.service.call(request);
                    let respond = Arc::clone(&self.auth.respond);
                    Box::pin(async move { Ok(answer_refused(call.await?, &respond)) })
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
            if let Err(rejection) = admit(&request, outcome, &auth) {
                let response = (auth.respond)(&rejection);
                return Ok(request.into_response(response).map_into_right_body());
            }
            Ok(answer_refused(service.call(request).await?, &auth.respond))
        })
    }
}

/// The handler's response, or the rejection of an extraction that failed inside
/// `Option<Claims<T>>` (which answers `None` for it): the same answer as `Claims<T>` gives.
fn answer_refused<B>(
    response: ServiceResponse<B>,
    respond: &Responder,
) -> ServiceResponse<EitherBody<B>> {
    let refused = response.request().extensions().get::<Refused>().cloned();
    match refused {
        None => response.map_into_left_body(),
        Some(Refused(rejection)) => {
            let (request, _) = response.into_parts();
            ServiceResponse::new(request, respond(&rejection)).map_into_right_body()
        }
    }
}

/// Puts the claims (or [`Anonymous`]) in the request's extensions, with the middleware's
/// responder when it has its own, or gives the rejection.
fn admit(
    request: &ServiceRequest,
    outcome: Result<Outcome, Rejection>,
    auth: &CognitoAuthLayer,
) -> Result<(), Rejection> {
    let mut extensions = request.extensions_mut();
    match outcome? {
        Outcome::Authenticated(verified) => {
            extensions.insert(verified);
        }
        Outcome::Anonymous => {
            extensions.insert(Anonymous);
        }
    }
    if auth.custom {
        extensions.insert(RespondWith(Arc::clone(&auth.respond)));
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

/// The extractor's error: the core [`Rejection`], answered as the middleware in front of the
/// route answers (its [`on_rejection`](CognitoAuthLayer::on_rejection), or the default JSON).
#[derive(Clone)]
pub struct ClaimsRejection {
    rejection: Rejection,
    respond: Option<Responder>,
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

impl std::fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.rejection.fmt(f)
    }
}

impl ResponseError for ClaimsRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.respond {
            Some(respond) => respond(&self.rejection),
            None => default_response(&self.rejection),
        }
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Claims<T> {
    type Error = ClaimsRejection;
    type Future = Ready<Result<Self, ClaimsRejection>>;

    fn from_request(request: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let result = {
            let extensions = request.extensions();
            claims_from::<T>(
                extensions.get::<Verified>(),
                extensions.get::<Anonymous>().is_some(),
            )
        };
        let result = match result {
            Ok(Some(claims)) => Ok(Claims(claims)),
            // Behind an optional middleware, a handler that requires claims: no token was sent.
            Ok(None) => Err(Rejection::missing()),
            Err(rejection) => {
                // A token that cannot give `T`: the middleware answers it even if the handler
                // took `Option<Claims<T>>` (whose extractor turns this error into `None`).
                request.extensions_mut().insert(Refused(rejection.clone()));
                Err(rejection)
            }
        };
        ready(result.map_err(|rejection| {
            ClaimsRejection {
                rejection,
                respond: request
                    .extensions()
                    .get::<RespondWith>()
                    .map(|r| Arc::clone(&r.0)),
            }
        }))
    }
}
