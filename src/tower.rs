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

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

pub use crate::auth::Anonymous;
use crate::auth::{Authenticate, Outcome, Policy, Rejection};

/// How a layer answers a [`Rejection`] with a response whose body is `B`.
pub trait Respond<B>: Clone + Send + Sync + 'static {
    /// The response for `rejection`.
    fn respond(&self, rejection: &Rejection) -> Response<B>;
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
        self.on_rejection(Grpc)
    }

    /// Answers rejections with `respond`: [`Json`], [`Grpc`], or a closure
    /// `Fn(&Rejection) -> http::Response<B>`.
    ///
    /// ```
    /// use cognito_verifier::auth::Rejection;
    /// use cognito_verifier::tower::CognitoAuthLayer;
    /// # fn layer(auth: CognitoAuthLayer) {
    /// let problem = auth.on_rejection(|r: &Rejection| {
    ///     http::Response::builder()
    ///         .status(r.status())
    ///         .header("content-type", "application/problem+json")
    ///         .body(format!(r#"{{"type":"about:blank","title":"{}","status":{}}}"#, r.kind(), r.status()))
    ///         .unwrap_or_default()
    /// });
    /// # let _ = problem; }
    /// ```
    pub fn on_rejection<R2>(self, respond: R2) -> CognitoAuthLayer<R2> {
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
        }
    }
}

/// The service made by [`CognitoAuthLayer`].
#[derive(Clone)]
pub struct CognitoAuth<S, R = Json> {
    inner: S,
    policy: Policy,
    respond: R,
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
        // A verdict that needs no waiting (no token, a verified-token cache hit) is applied
        // here: the future is then the inner service's alone, with no verification state.
        if let Some(outcome) = self.policy.authenticate_now(request.headers()) {
            return match with_outcome(request, outcome) {
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
            match admit(&policy, request).await {
                Ok(request) => inner.call(request).await,
                Err(rejection) => Ok(respond.respond(&rejection)),
            }
        })
    }
}

/// The request with its claims (or [`Anonymous`]) in its extensions, or why it is refused.
async fn admit<B>(policy: &Policy, request: Request<B>) -> Result<Request<B>, Rejection> {
    let outcome = policy.authenticate(request.headers()).await;
    with_outcome(request, outcome)
}

/// The request with the outcome's claims (or [`Anonymous`]) in its extensions, or the
/// rejection.
fn with_outcome<B>(
    mut request: Request<B>,
    outcome: Result<Outcome, Rejection>,
) -> Result<Request<B>, Rejection> {
    match outcome? {
        Outcome::Authenticated(verified) => {
            request.extensions_mut().insert(verified);
        }
        Outcome::Anonymous => {
            request.extensions_mut().insert(Anonymous);
        }
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
        if let Some(outcome) = self.policy.authenticate_now(request.headers()) {
            let admitted = with_outcome(request, outcome);
            let respond = self.respond.clone();
            return Box::pin(
                async move { admitted.map_err(|rejection| respond.respond(&rejection)) },
            );
        }
        let policy = self.policy.clone();
        let respond = self.respond.clone();
        Box::pin(async move {
            admit(&policy, request)
                .await
                .map_err(|rejection| respond.respond(&rejection))
        })
    }
}
