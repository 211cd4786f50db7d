//! A tower layer over the framework-free [`auth`](crate::auth) core (feature `tower`): it wraps
//! any `tower::Service<http::Request<B>>` whose response is an `http::Response<ResBody>` — axum
//! routers and routes, tonic servers, plain hyper services — verifies each request's token by a
//! [`Policy`], puts the [`Verified`](crate::auth::Verified) claims into the request's extensions, and answers
//! rejections itself.
//!
//! Rejections are answered by a [`Respond`] strategy: [`Json`] (the default: RFC 6750 statuses and
//! challenges, a small JSON body; needs `ResBody: From<String>`), [`Grpc`] (a trailers-only gRPC
//! response: `UNAUTHENTICATED`, `PERMISSION_DENIED`, `UNAVAILABLE`; needs `ResBody: Default`), or a
//! closure of yours building the response from the [`Rejection`] (problem+json, your API's error
//! envelope).
//!
//! A handler behind the layer finds `Verified` in the request's extensions (or [`Anonymous`] in
//! optional mode):
//!
//! ```
//! use cognito_verifier::auth::Verified;
//! fn who(extensions: &http::Extensions) -> Option<&str> {
//!     extensions.get::<Verified>().and_then(Verified::username)
//! }
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

pub use crate::auth::Anonymous;
use crate::auth::{Authenticate, Outcome, Policy, Rejection};

/// How a layer answers a [`Rejection`] with a response whose body is `B`: the layer's own
/// rejections, and those of the extractors behind it (axum's [`Claims<T>`](crate::axum::Claims)).
#[diagnostic::on_unimplemented(
    message = "the layer cannot answer a rejection with a `{B}` body using `{Self}`",
    label = "this responder does not build `http::Response<{B}>`",
    note = "for a tonic (gRPC) service, call `.grpc()` on the layer: its answers are gRPC statuses",
    note = "for a body of your own, give `.on_rejection(|rejection| ...)` a closure that builds `http::Response<{B}>`"
)]
pub trait Respond<B>: Clone + Send + Sync + 'static {
    /// The response for `rejection`.
    fn respond(&self, rejection: &Rejection) -> Response<B>;

    /// Whether this is the default JSON answer (the extractors give it without being told).
    #[doc(hidden)]
    fn is_default_json(&self) -> bool {
        false
    }
}

/// A layer's [`Respond`], type-erased, put in the extensions of every request it admits (unless
/// it answers with the default JSON), so that the extractors behind it answer in the same shape.
pub(crate) struct Responder<B>(Arc<RespondFn<B>>);

/// A [`Respond`] as a function.
type RespondFn<B> = dyn Fn(&Rejection) -> Response<B> + Send + Sync;

impl<B> Clone for Responder<B> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<B> Responder<B> {
    fn new(respond: impl Respond<B>) -> Self {
        Self(Arc::new(move |rejection| respond.respond(rejection)))
    }

    /// The answer to `rejection`.
    #[cfg_attr(
        not(feature = "axum"),
        expect(dead_code, reason = "axum's extractor is its only caller")
    )]
    pub(crate) fn respond(&self, rejection: &Rejection) -> Response<B> {
        (self.0)(rejection)
    }
}

/// The default answer: the status, `WWW-Authenticate` (RFC 6750), `Retry-After` on a 503, and
/// `{"error": …, "error_description": …}` as `application/json`.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Json;

impl<B: From<String>> Respond<B> for Json {
    fn respond(&self, rejection: &Rejection) -> Response<B> {
        let status =
            StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response(status, rejection.headers(), B::from(rejection.body()))
    }

    fn is_default_json(&self) -> bool {
        true
    }
}

/// A gRPC answer: HTTP 200, `content-type: application/grpc`, `grpc-status` (16
/// `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`, 14 `UNAVAILABLE`, 13 `INTERNAL`) and `grpc-message`
/// (the kind name) in a trailers-only response, and the `WWW-Authenticate` challenge as metadata.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Grpc;

impl<B: Default> Respond<B> for Grpc {
    fn respond(&self, rejection: &Rejection) -> Response<B> {
        response(StatusCode::OK, rejection.grpc_headers(), B::default())
    }
}

fn response<B>(status: StatusCode, headers: Vec<(&'static str, String)>, body: B) -> Response<B> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

impl<B, F> Respond<B> for F
where
    F: Fn(&Rejection) -> Response<B> + Clone + Send + Sync + 'static,
{
    fn respond(&self, rejection: &Rejection) -> Response<B> {
        self(rejection)
    }
}

/// Verifies the token of every request before the inner service sees it. Cheap to clone; every
/// setter returns a new layer, so one base layer can be narrowed per route.
///
/// ```
/// use cognito_verifier::tower::CognitoAuthLayer;
/// use cognito_verifier::auth::TokenSource;
/// use cognito_verifier::{CognitoVerifier, TokenUse};
///
/// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Any)
///     .build()?;
/// let auth = CognitoAuthLayer::new(verifier)
///     .sources([TokenSource::Bearer, TokenSource::Cookie("access_token".into())]);
/// let admins = auth.clone().access_tokens().required_groups(["admins"]);
/// let grpc = auth.clone().grpc(); // for tonic services
/// # let _ = (admins, grpc);
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Clone)]
pub struct CognitoAuthLayer<R = Json> {
    policy: Policy,
    respond: R,
}

impl<R> fmt::Debug for CognitoAuthLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthLayer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl CognitoAuthLayer {
    /// A layer verifying with `verifier` ([`CognitoVerifier`](crate::CognitoVerifier),
    /// [`MultiPoolVerifier`](crate::MultiPoolVerifier), [`JwtVerifier`](crate::JwtVerifier)
    /// or your own [`Authenticate`]): bearer tokens, the kinds the verifier accepts, required.
    pub fn new(verifier: impl Authenticate) -> Self {
        Self::from_policy(Policy::new(verifier))
    }

    /// A layer for a [`Policy`] built elsewhere (shared with other adapters).
    pub fn from_policy(policy: Policy) -> Self {
        Self {
            policy,
            respond: Json,
        }
    }
}

impl<R> CognitoAuthLayer<R> {
    fn map(self, f: impl FnOnce(Policy) -> Policy) -> Self {
        Self {
            policy: f(self.policy),
            respond: self.respond,
        }
    }

    /// The policy this layer applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    crate::auth::policy_setters!();

    /// Answers rejections as gRPC statuses (for tonic and other gRPC services).
    pub fn grpc(self) -> CognitoAuthLayer<Grpc> {
        self.respond_with(Grpc)
    }

    /// Answers rejections with the default JSON again.
    pub fn json(self) -> CognitoAuthLayer<Json> {
        self.respond_with(Json)
    }

    /// Answers every rejection with `respond`, a closure building the response from the
    /// [`Rejection`] (status, kind, challenge, `Retry-After`): the layer's own, and those of the
    /// extractors behind it (axum's [`Claims<T>`](crate::axum::Claims): wrong kind of token,
    /// claims that do not fit the type). The closure needs no type annotation.
    ///
    /// ```
    /// use cognito_verifier::tower::CognitoAuthLayer;
    /// # fn layer(auth: CognitoAuthLayer) {
    /// let problem = auth.on_rejection(|r| {
    ///     http::Response::builder()
    ///         .status(r.status())
    ///         .header("content-type", "application/problem+json")
    ///         .body(format!(r#"{{"type":"about:blank","title":"{}","status":{}}}"#, r.kind(), r.status()))
    ///         .unwrap_or_default()
    /// });
    /// # let _ = problem; }
    /// ```
    ///
    /// For axum, build an `axum::response::Response` (see the [`axum`](crate::axum) module).
    pub fn on_rejection<F, B>(self, respond: F) -> CognitoAuthLayer<F>
    where
        F: Fn(&Rejection) -> Response<B> + Clone + Send + Sync + 'static,
    {
        self.respond_with(respond)
    }

    /// Answers rejections with a [`Respond`] strategy of your own type ([`Json`] and [`Grpc`]
    /// are two; a closure goes to [`on_rejection`](Self::on_rejection)).
    pub fn respond_with<R2>(self, respond: R2) -> CognitoAuthLayer<R2> {
        CognitoAuthLayer {
            policy: self.policy,
            respond,
        }
    }
}

impl<S, R: Clone> Layer<S> for CognitoAuthLayer<R> {
    type Service = CognitoAuth<S, R>;

    fn layer(&self, inner: S) -> CognitoAuth<S, R> {
        CognitoAuth {
            inner,
            policy: self.policy.clone(),
            respond: self.respond.clone(),
            responder: Arc::default(),
        }
    }
}

/// The service made by [`CognitoAuthLayer`].
#[derive(Clone)]
pub struct CognitoAuth<S, R = Json> {
    inner: S,
    policy: Policy,
    respond: R,
    /// `respond` as a [`Responder`] of the response body type, made on the first request.
    responder: Arc<OnceLock<Box<dyn Any + Send + Sync>>>,
}

impl<S, R> CognitoAuth<S, R> {
    /// The responder to hand the extractors (`None`: they answer with the default JSON).
    fn responder<B: 'static>(&self) -> Option<Responder<B>>
    where
        R: Respond<B>,
    {
        if self.respond.is_default_json() {
            return None;
        }
        let made = self
            .responder
            .get_or_init(|| Box::new(Responder::new(self.respond.clone())));
        Some(
            made.downcast_ref::<Responder<B>>()
                .cloned()
                .unwrap_or_else(|| Responder::new(self.respond.clone())),
        )
    }
}

impl<S, R> fmt::Debug for CognitoAuth<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The future of [`CognitoAuth`].
pub type ResponseFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for CognitoAuth<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Respond<ResBody>,
    ReqBody: Send + 'static,
    ResBody: 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready is the one to call; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let responder = self.responder::<ResBody>();
        // A verdict that needs no waiting (no token, a verified-token cache hit) is applied
        // here: the future is then the inner service's alone, with no verification state.
        if let Some(outcome) = self.policy.authenticate_now(request.headers()) {
            return match with_outcome(request, outcome, responder) {
                Ok(request) => Box::pin(inner.call(request)),
                Err(rejection) => {
                    // Built when polled, like every response of this service (`ResBody` need
                    // not be `Send`).
                    let respond = self.respond.clone();
                    Box::pin(async move { Ok(respond.respond(&rejection)) })
                }
            };
        }
        let policy = self.policy.clone();
        let respond = self.respond.clone();
        Box::pin(async move {
            match admit(&policy, request, responder).await {
                Ok(request) => inner.call(request).await,
                Err(rejection) => Ok(respond.respond(&rejection)),
            }
        })
    }
}

/// The request with its claims (or [`Anonymous`]) in its extensions, or why it is refused.
async fn admit<B, ResBody: 'static>(
    policy: &Policy,
    request: Request<B>,
    responder: Option<Responder<ResBody>>,
) -> Result<Request<B>, Rejection> {
    let outcome = policy.authenticate(request.headers()).await;
    with_outcome(request, outcome, responder)
}

/// The request with the outcome's claims (or [`Anonymous`]) in its extensions, and the layer's
/// responder for the extractors behind it, or the rejection.
fn with_outcome<B, ResBody: 'static>(
    mut request: Request<B>,
    outcome: Result<Outcome, Rejection>,
    responder: Option<Responder<ResBody>>,
) -> Result<Request<B>, Rejection> {
    let extensions = request.extensions_mut();
    match outcome? {
        Outcome::Authenticated(verified) => {
            extensions.insert(verified);
        }
        Outcome::Anonymous => {
            extensions.insert(Anonymous);
        }
    }
    if let Some(responder) = responder {
        extensions.insert(responder);
    }
    Ok(request)
}

/// The layer's policy and responses as tower-http's
/// [`AsyncAuthorizeRequest`](tower_http::auth::AsyncAuthorizeRequest) (feature `tower-http`),
/// for services built on `AsyncRequireAuthorizationLayer`: the same verdicts, the same claims
/// in the extensions. Made by [`CognitoAuthLayer::authorizer`]; `ResBody` is the body of your
/// responses.
///
/// ```
/// use cognito_verifier::tower::CognitoAuthLayer;
/// use tower_http::auth::AsyncRequireAuthorizationLayer;
/// # fn f(auth: CognitoAuthLayer) {
/// let layer = AsyncRequireAuthorizationLayer::new(auth.authorizer::<String>());
/// # let _ = layer; }
/// ```
#[cfg(feature = "tower-http")]
pub struct Authorizer<R = Json, ResBody = String> {
    policy: Policy,
    respond: R,
    body: std::marker::PhantomData<fn() -> ResBody>,
}

#[cfg(feature = "tower-http")]
impl<R: Clone, ResBody> Clone for Authorizer<R, ResBody> {
    fn clone(&self) -> Self {
        Self {
            policy: self.policy.clone(),
            respond: self.respond.clone(),
            body: std::marker::PhantomData,
        }
    }
}

#[cfg(feature = "tower-http")]
impl<R, ResBody> fmt::Debug for Authorizer<R, ResBody> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "tower-http")]
impl<R: Clone> CognitoAuthLayer<R> {
    /// This layer's policy and responses as tower-http's `AsyncAuthorizeRequest` (see
    /// [`Authorizer`]).
    pub fn authorizer<ResBody>(&self) -> Authorizer<R, ResBody> {
        Authorizer {
            policy: self.policy.clone(),
            respond: self.respond.clone(),
            body: std::marker::PhantomData,
        }
    }
}

#[cfg(feature = "tower-http")]
impl<B, R, ResBody> tower_http::auth::AsyncAuthorizeRequest<B> for Authorizer<R, ResBody>
where
    B: Send + 'static,
    R: Respond<ResBody>,
    ResBody: 'static,
{
    type RequestBody = B;
    type ResponseBody = ResBody;
    type Future = Pin<Box<dyn Future<Output = Result<Request<B>, Response<ResBody>>> + Send>>;

    fn authorize(&mut self, request: Request<B>) -> Self::Future {
        let responder =
            (!self.respond.is_default_json()).then(|| Responder::new(self.respond.clone()));
        if let Some(outcome) = self.policy.authenticate_now(request.headers()) {
            let admitted = with_outcome(request, outcome, responder);
            let respond = self.respond.clone();
            return Box::pin(
                async move { admitted.map_err(|rejection| respond.respond(&rejection)) },
            );
        }
        let policy = self.policy.clone();
        let respond = self.respond.clone();
        Box::pin(async move {
            admit(&policy, request, responder)
                .await
                .map_err(|rejection| respond.respond(&rejection))
        })
    }
}
