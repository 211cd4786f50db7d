//! What every integration does, once, with no web framework in sight: find the token in a
//! request's headers ([`TokenSource`]), verify it with any verifier ([`Authenticate`]), apply the
//! route's [`Policy`] (token kinds, groups, scopes, checks, optional or required), and turn the
//! outcome into a status, an RFC 6750 challenge and a body ([`Rejection`]).
//!
//! The axum/tower, actix-web and Lambda adapters are thin layers over [`Policy::authenticate`];
//! build your own the same way for any other server. Headers come in through [`RequestHeaders`],
//! implemented for `http::HeaderMap` (feature `tower`), actix-web's header map (feature `actix`)
//! and plain slices of pairs.
//!
//! | outcome | status | `WWW-Authenticate` | gRPC |
//! |---|---|---|---|
//! | no token (and authentication is required) | 401 | `Bearer` | `UNAUTHENTICATED` |
//! | bad token (also in optional mode: a token that is present must be valid) | 401 | `Bearer error="invalid_token", error_description="<kind>"` | `UNAUTHENTICATED` |
//! | authentic, but a required group or scope is missing | 403 | `Bearer error="insufficient_scope"` | `PERMISSION_DENIED` |
//! | authentic, but a check refused it | 403 | `Bearer error="insufficient_scope", error_description="rejected_by_check"` | `PERMISSION_DENIED` |
//! | signing keys unavailable | 503 (+ `Retry-After`) | none | `UNAVAILABLE` |
//! | a handler asks for claims no policy produced (wiring mistake) | 500 | none | `INTERNAL` |
//!
//! Bodies are `{"error": <code>, "error_description": <kind>}`: never the token, never a check's
//! reason (that goes to the logs).
//!
//! ```
//! use cognito_verifier::auth::{Policy, TokenSource, Outcome};
//! use cognito_verifier::{CognitoVerifier, TokenUse};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(TokenUse::Any)
//!     .static_jwks(r#"{"keys":[]}"#)
//!     .build()?;
//! let policy = Policy::new(verifier)
//!     .sources([TokenSource::Bearer, TokenSource::Cookie("id_token".into())])
//!     .required_groups(["admins"]);
//! let headers = [("authorization", "Bearer not-a-token")];
//! let rejection = policy.authenticate(&headers[..]).await.unwrap_err();
//! assert_eq!(rejection.status(), 401);
//! assert_eq!(rejection.kind(), "malformed");
//! # Ok(()) }
//! ```

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::alb::{AlbClaims, AlbVerifier};
use crate::jwks::fetch::BoxFuture;
use crate::{
    AccessClaims, CognitoClaims, CognitoVerifier, Error, ErrorKind, IdClaims, JwtVerifier,
    MultiPoolVerifier, TokenUse,
};

// ---- Headers ---------------------------------------------------------------------------------

/// Read access to a request's headers, whatever the server's types.
///
/// Implemented for `http::HeaderMap` (feature `tower`), actix-web's `HeaderMap` (feature
/// `actix`), and `[(&str, &str)]` (tests, adapters of your own).
pub trait RequestHeaders {
    /// Every value of the header `name` (given in lower case), in order. Names compare
    /// case-insensitively.
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + 'a;
}

impl RequestHeaders for [(&str, &str)] {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + 'a {
        let name = name.to_owned();
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_bytes())
    }
}

#[cfg(feature = "tower")]
impl RequestHeaders for http::HeaderMap {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name)
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }
}

// ---- Token sources ---------------------------------------------------------------------------

/// Where a request's token is looked for. A [`Policy`] tries its sources in order and takes the
/// first that holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (the scheme is case-insensitive). The default.
    Bearer,
    /// `Authorization: Bearer <token>` or `Authorization: <token>` without a scheme, as API
    /// Gateway's Cognito authorizer and Amplify clients send it.
    BearerOrBare,
    /// A header holding the bare token, by name: for example `x-amzn-oidc-accesstoken`, the
    /// Cognito access token an Application Load Balancer forwards.
    Header(Cow<'static, str>),
    /// A cookie, by name (from every `Cookie` header).
    ///
    /// A browser sends cookies with every request to your site, including requests another
    /// site makes it send: a route that takes its token from a cookie is open to cross-site
    /// request forgery unless the cookie or the route prevents it. Set the cookie with
    /// `SameSite=Strict` (or `Lax`, which still sends it on top-level `GET` navigations: keep
    /// state-changing routes off `GET`), `Secure` and `HttpOnly` (scripts never need the
    /// token), with the `__Host-` prefix (no `Domain`, `Path=/`), so that a sibling subdomain
    /// cannot set one of the same name (if it does, two different tokens arrive: refused as
    /// `ambiguous_token`). For state-changing requests from other origins, also require a CSRF
    /// token or check `Origin`; or take the token from `Authorization`, which browsers never
    /// send on their own.
    Cookie(Cow<'static, str>),
}

/// Two different tokens in one source: the request is refused as ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ambiguous;

impl TokenSource {
    /// The token this source finds in `headers`, if any. A value that is not UTF-8 counts as
    /// a token that is present (and malformed), so it is refused rather than ignored. Two
    /// different tokens in this source (two `Authorization` headers, a cookie name twice, as
    /// cookie tossing from a sibling subdomain sends) are [`Ambiguous`]: never resolved by
    /// order. The same token twice is one token.
    fn find<'h, H: RequestHeaders + ?Sized>(
        &self,
        headers: &'h H,
    ) -> Result<Option<&'h [u8]>, Ambiguous> {
        match self {
            Self::Bearer | Self::BearerOrBare => {
                let bare = matches!(self, Self::BearerOrBare);
                one_of(
                    headers
                        .header_values("authorization")
                        .filter_map(|value| authorization_token(trim(value), bare)),
                )
            }
            // Policy::sources lower-cases the name once, off the request path.
            Self::Header(name) => one_of(
                headers
                    .header_values(name)
                    .map(trim)
                    .filter(|v| !v.is_empty()),
            ),
            Self::Cookie(name) => one_of(headers.header_values("cookie").flat_map(|header| {
                header.split(|b| *b == b';').filter_map(|pair| {
                    let pair = trim(pair);
                    let eq = pair.iter().position(|b| *b == b'=')?;
                    let (key, value) = (pair.get(..eq)?, pair.get(eq + 1..)?);
                    (trim(key) == name.as_bytes())
                        .then(|| trim(strip_quotes(trim(value))))
                        .filter(|v| !v.is_empty())
                })
            })),
        }
    }
}

/// The token of one `Authorization` value: `Bearer <token>` (any case), or with `bare` the whole
/// value when it has no scheme. Another scheme (Basic, …) is not ours; empty holds nothing.
fn authorization_token(value: &[u8], bare: bool) -> Option<&[u8]> {
    match split_scheme(value) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case(b"bearer") => {
            Some(token).filter(|t| !t.is_empty())
        }
        None if bare && !value.is_empty() => Some(value),
        Some(_) | None => None,
    }
}

/// The one token among `found`, `None` when there is none, [`Ambiguous`] when two differ.
fn one_of<'h>(mut found: impl Iterator<Item = &'h [u8]>) -> Result<Option<&'h [u8]>, Ambiguous> {
    let Some(first) = found.next() else {
        return Ok(None);
    };
    if found.any(|other| other != first) {
        return Err(Ambiguous);
    }
    Ok(Some(first))
}

/// The `Authorization: Bearer <token>` token of a header value (the scheme is
/// case-insensitive), or, when `bare` is set, the whole value if it has no scheme. Shared by every
/// adapter (the Lambda authorizer reads API Gateway's `authorizationToken` with it).
///
/// ```
/// use cognito_verifier::auth::bearer_token;
/// assert_eq!(bearer_token("Bearer abc", false), Some("abc"));
/// assert_eq!(bearer_token("bearer  abc ", false), Some("abc"));
/// assert_eq!(bearer_token("abc", true), Some("abc"));
/// assert_eq!(bearer_token("abc", false), None);
/// assert_eq!(bearer_token("Basic abc", true), None);
/// ```
pub fn bearer_token(value: &str, bare: bool) -> Option<&str> {
    let source = if bare {
        TokenSource::BearerOrBare
    } else {
        TokenSource::Bearer
    };
    let headers = [("authorization", value)];
    let found = source.find(&headers[..]).ok().flatten()?;
    // `found` is a sub-slice of `value`: hand back the same part of the `str`.
    let start = (found.as_ptr() as usize).checked_sub(value.as_ptr() as usize)?;
    value.get(start..start.checked_add(found.len())?)
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn strip_quotes(v: &[u8]) -> &[u8] {
    v.strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
        .unwrap_or(v)
}

/// `<scheme> <rest>`: the scheme and the rest, trimmed.
fn split_scheme(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = value.iter().position(u8::is_ascii_whitespace)?;
    Some((value.get(..space)?, trim(value.get(space..)?)))
}

// ---- Verifiers -------------------------------------------------------------------------------

/// What a verified token yields: the typed Cognito claims, or the claims of a generic JWT.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Verified {
    /// A Cognito ID token.
    Id(IdClaims),
    /// A Cognito access token.
    Access(AccessClaims),
    /// A token from a generic [`JwtVerifier`] (or a verifier of your own): its claims as JSON.
    Jwt(serde_json::Value),
    /// The user claims an Application Load Balancer signed ([`AlbVerifier`]).
    Alb(AlbClaims),
}

impl Verified {
    /// The `sub` claim, if any.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Self::Id(c) => Some(&c.sub),
            Self::Access(c) => Some(&c.sub),
            Self::Jwt(v) => v.get("sub").and_then(serde_json::Value::as_str),
            Self::Alb(c) => Some(&c.sub),
        }
    }

    /// The user name: `cognito:username` (ID tokens) or `username` (access tokens).
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Id(c) => c.username.as_deref(),
            Self::Access(c) => c.username.as_deref(),
            Self::Alb(c) => c.username.as_deref(),
            Self::Jwt(v) => ["cognito:username", "username"]
                .iter()
                .find_map(|k| v.get(k).and_then(serde_json::Value::as_str)),
        }
    }

    /// Whether the token's `cognito:groups` contain `group` (ALB user claims carry none).
    pub fn in_group(&self, group: &str) -> bool {
        match self {
            Self::Alb(_) => false,
            Self::Id(c) => c.in_group(group),
            Self::Access(c) => c.in_group(group),
            Self::Jwt(v) => v
                .get("cognito:groups")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|g| g.iter().any(|x| x.as_str() == Some(group))),
        }
    }

    /// Whether the token's `scope` contains `scope` (ID tokens and ALB user claims carry none).
    pub fn has_scope(&self, scope: &str) -> bool {
        match self {
            Self::Id(_) | Self::Alb(_) => false,
            Self::Access(c) => c.has_scope(scope),
            Self::Jwt(v) => v
                .get("scope")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|s| s.split_ascii_whitespace().any(|x| x == scope)),
        }
    }

    /// The resources the token is bound to (`aud` of an access token, or of a generic JWT),
    /// checked against `resources`; ID tokens and ALB claims pass.
    fn check_resources(&self, resources: &[String]) -> Result<(), Error> {
        let aud: Vec<&str> = match self {
            Self::Id(_) | Self::Alb(_) => return Ok(()),
            Self::Access(c) => c.aud.iter().map(String::as_str).collect(),
            Self::Jwt(v) => match v.get("aud") {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(serde_json::Value::String(s)) => vec![s.as_str()],
                Some(serde_json::Value::Array(list)) => {
                    list.iter().filter_map(serde_json::Value::as_str).collect()
                }
                Some(_) => {
                    return Err(Error::InvalidClaim {
                        claim: "aud",
                        reason: "not a string or an array of strings".into(),
                    });
                }
            },
        };
        if aud.is_empty() {
            return Err(Error::MissingClaim { claim: "aud" });
        }
        if aud.iter().any(|a| resources.iter().any(|r| r == a)) {
            return Ok(());
        }
        Err(Error::WrongAudience {
            found: crate::error::excerpt(&aud.join(",")),
        })
    }

    /// Whether these claims are of the kind a route accepts: Cognito claims by their type, a
    /// generic JWT's by its `token_use` claim, ALB user claims never on an ID-only or
    /// access-only route.
    fn check_kind(&self, accept: TokenUse) -> Result<(), Error> {
        if accept == TokenUse::Any {
            return Ok(());
        }
        let found: &str = match self {
            Self::Id(_) => "id",
            Self::Access(_) => "access",
            Self::Jwt(v) => match v.get("token_use") {
                Some(serde_json::Value::String(s)) => s,
                None | Some(serde_json::Value::Null) => "(none)",
                Some(_) => "(not a string)",
            },
            Self::Alb(_) => "(ALB user claims)",
        };
        if accept.accepts(found) {
            return Ok(());
        }
        Err(Error::WrongTokenUse {
            expected: accept.expected(),
            found: crate::error::excerpt(found),
        })
    }

    /// The kind of Cognito token, if it is one.
    pub fn token_use(&self) -> Option<TokenUse> {
        match self {
            Self::Id(_) => Some(TokenUse::Id),
            Self::Access(_) => Some(TokenUse::Access),
            Self::Jwt(_) | Self::Alb(_) => None,
        }
    }

    /// The claims as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Self::Id(c) => serde_json::to_value(c),
            Self::Access(c) => serde_json::to_value(c),
            Self::Alb(c) => serde_json::to_value(c),
            Self::Jwt(v) => return v.clone(),
        };
        value.unwrap_or(serde_json::Value::Null)
    }

    /// The claims as `T`: [`IdClaims`], [`AccessClaims`] or [`CognitoClaims`] straight from the
    /// verified claims, `serde_json::Value`, or any type of yours deserialized from them (claims
    /// a pre-token-generation trigger added, say).
    ///
    /// # Errors
    /// [`Error::WrongTokenUse`] when `T` is the typed claims of the other kind of Cognito token
    /// (an ID token asked for as [`AccessClaims`]); [`Error::ClaimsType`] when the claims do
    /// not fit `T`.
    pub fn claims<T: DeserializeOwned + 'static>(&self) -> Result<T, Error> {
        // The typed claims are cloned straight across (no allocation beyond their own, no JSON).
        let typed: Option<T> = match self {
            Self::Id(c) => wanted::<T, IdClaims>(c).or_else(|| {
                is::<T, CognitoClaims>()
                    .then(|| wanted::<T, CognitoClaims>(&CognitoClaims::Id(c.clone())))
                    .flatten()
            }),
            Self::Access(c) => wanted::<T, AccessClaims>(c).or_else(|| {
                is::<T, CognitoClaims>()
                    .then(|| wanted::<T, CognitoClaims>(&CognitoClaims::Access(c.clone())))
                    .flatten()
            }),
            Self::Jwt(v) => wanted::<T, serde_json::Value>(v),
            Self::Alb(c) => wanted::<T, AlbClaims>(c),
        };
        if let Some(t) = typed {
            return Ok(t);
        }
        let wrong_kind = match self {
            Self::Id(_) => is::<T, AccessClaims>().then_some(("access", "id")),
            Self::Access(_) => is::<T, IdClaims>().then_some(("id", "access")),
            Self::Jwt(_) | Self::Alb(_) => None,
        };
        if let Some((expected, found)) = wrong_kind {
            return Err(Error::WrongTokenUse {
                expected,
                found: found.into(),
            });
        }
        serde_json::from_value(self.to_json()).map_err(|e| Error::ClaimsType {
            reason: e.to_string(),
        })
    }
}

fn is<T: 'static, U: 'static>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<U>()
}

/// A clone of `value` as a `T`, when `T` is `U` (a downcast of the slot, so nothing is boxed).
fn wanted<T: 'static, U: Clone + 'static>(value: &U) -> Option<T> {
    let mut slot: Option<T> = None;
    if let Some(slot) = (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>() {
        *slot = Some(value.clone());
    }
    slot
}

impl From<CognitoClaims> for Verified {
    fn from(claims: CognitoClaims) -> Self {
        match claims {
            CognitoClaims::Id(c) => Self::Id(c),
            CognitoClaims::Access(c) => Self::Access(c),
        }
    }
}

/// Verifies a token for a [`Policy`]: implemented for [`CognitoVerifier`],
/// [`MultiPoolVerifier`] and [`JwtVerifier`]; implement it to plug in a verifier of your own.
///
/// `accept` is the kind of Cognito token the route accepts ([`TokenUse::Any`]: whatever the
/// verifier accepts); verifiers of other tokens may ignore it.
pub trait Authenticate: fmt::Debug + Send + Sync + 'static {
    /// Verifies `token`.
    ///
    /// # Errors
    /// Why the token was not accepted.
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
        accept: TokenUse,
    ) -> BoxFuture<'a, Result<Verified, Error>>;

    /// The verdict on `token` when it can be given at once, without waiting: a
    /// [`CognitoVerifier`] with the [verified-token cache](crate::TokenCacheConfig) answers a
    /// hit here, and the framework adapters then skip [`authenticate`](Self::authenticate) and
    /// the future it allocates. `None` (what this method returns unless overridden) means
    /// "ask `authenticate`"; an answer given here must be the one `authenticate` would give.
    fn authenticate_now(&self, token: &str, accept: TokenUse) -> Option<Result<Verified, Error>> {
        let _ = (token, accept);
        None
    }

    /// Whether [`authenticate_now`](Self::authenticate_now) may ever answer (`false` unless
    /// overridden). A [`Policy`] asks once, when it is made; when `false` it sends every request
    /// straight to `authenticate` rather than look for its token twice.
    fn answers_now(&self) -> bool {
        false
    }

    /// The claims of `token`, as JSON, when its signature holds with a key this verifier has
    /// cached (no I/O), whatever else is wrong with the token: a [`Policy`] with
    /// [`claims_in_rejections`](Policy::claims_in_rejections) puts them in a rejection that came
    /// after the signature (expired, wrong client, revoked, …), so logs can say whose token it
    /// was. `None` (what this method returns unless overridden) when it cannot tell.
    fn signed_claims(&self, token: &str) -> Option<serde_json::Value> {
        let _ = token;
        None
    }

    /// Where a [`Policy`] over this verifier looks for the token unless told otherwise:
    /// [`TokenSource::Bearer`] (an [`AlbVerifier`]: the `x-amzn-oidc-data` header).
    fn default_sources(&self) -> Vec<TokenSource> {
        vec![TokenSource::Bearer]
    }
}

impl Authenticate for AlbVerifier {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
        _accept: TokenUse,
    ) -> BoxFuture<'a, Result<Verified, Error>> {
        Box::pin(async move { self.verify(token).await.map(Verified::Alb) })
    }

    fn default_sources(&self) -> Vec<TokenSource> {
        vec![TokenSource::Header(Cow::Borrowed(
            crate::alb::ALB_DATA_HEADER,
        ))]
    }
}

impl Authenticate for CognitoVerifier {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
        accept: TokenUse,
    ) -> BoxFuture<'a, Result<Verified, Error>> {
        Box::pin(async move {
            match accept {
                TokenUse::Id => self.verify_id(token).await.map(Verified::Id),
                TokenUse::Access => self.verify_access(token).await.map(Verified::Access),
                TokenUse::Any => self.verify_any(token).await.map(Verified::from),
            }
        })
    }

    fn authenticate_now(&self, token: &str, accept: TokenUse) -> Option<Result<Verified, Error>> {
        // A hit holds the kind asked for (`Any`: either), as `authenticate` would return it.
        self.token_cache_hit(token, accept)
            .map(|claims| Ok(Verified::from(claims)))
    }

    fn answers_now(&self) -> bool {
        self.has_token_cache()
    }

    fn signed_claims(&self, token: &str) -> Option<serde_json::Value> {
        CognitoVerifier::signed_claims(self, token)
    }
}

impl Authenticate for MultiPoolVerifier {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
        accept: TokenUse,
    ) -> BoxFuture<'a, Result<Verified, Error>> {
        Box::pin(async move { self.route(token)?.authenticate(token, accept).await })
    }

    fn authenticate_now(&self, token: &str, accept: TokenUse) -> Option<Result<Verified, Error>> {
        // A token no pool takes is left to `authenticate`, which gives the error. On a miss the
        // token is routed (decoded) again there: once per new token, for a hit on every other.
        self.route(token).ok()?.authenticate_now(token, accept)
    }

    fn answers_now(&self) -> bool {
        self.has_token_cache()
    }

    fn signed_claims(&self, token: &str) -> Option<serde_json::Value> {
        self.route(token).ok()?.signed_claims(token)
    }
}

impl Authenticate for JwtVerifier {
    fn authenticate<'a>(
        &'a self,
        token: &'a str,
        _accept: TokenUse,
    ) -> BoxFuture<'a, Result<Verified, Error>> {
        Box::pin(async move { self.verify(token).await.map(Verified::Jwt) })
    }

    fn signed_claims(&self, token: &str) -> Option<serde_json::Value> {
        JwtVerifier::signed_claims(self, token)
    }
}

// ---- Policy ----------------------------------------------------------------------------------

/// A check on the verified claims, run after every other rule: `Err(reason)` refuses the request
/// with 403 `rejected_by_check`; the reason is logged, never sent.
pub type Check = Arc<dyn Fn(&Verified) -> Result<(), String> + Send + Sync>;

/// What a route requires: a verifier, where the token is looked for, which kinds of token, which
/// groups and scopes, which checks, and whether a request without a token may pass. Cheap to
/// clone; every setter returns a new policy, so one base policy can be narrowed per route.
#[derive(Clone)]
pub struct Policy {
    // One reference count per clone (the tower layer clones the policy for every request).
    rules: Arc<Rules>,
}

#[derive(Clone)]
struct Rules {
    verifier: Arc<dyn Authenticate>,
    /// The verifier's [`Authenticate::answers_now`], asked once.
    answers_now: bool,
    sources: Vec<TokenSource>,
    accept: TokenUse,
    /// `None`: access tokens need not be bound to a resource.
    resources: Option<Vec<String>>,
    groups: Vec<String>,
    scopes: Vec<String>,
    checks: Vec<Check>,
    optional: bool,
    /// A setting given a value that would lift a restriction (an empty required list, no token
    /// source): every request is refused (500 `misconfigured`), naming it.
    misconfigured: Option<&'static str>,
    /// Whether a rejection after the signature held carries the verified claims.
    claims_in_rejections: bool,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rules;
        f.debug_struct("Policy")
            .field("verifier", &r.verifier)
            .field("sources", &r.sources)
            .field("accept", &r.accept)
            .field("resources", &r.resources)
            .field("groups", &r.groups)
            .field("scopes", &r.scopes)
            .field("checks", &r.checks.len())
            .field("optional", &r.optional)
            .field("misconfigured", &r.misconfigured)
            .finish()
    }
}

/// The result of a request that passed a [`Policy`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[expect(
    clippy::large_enum_variant,
    reason = "the claims move once, into the request's extensions; boxing them would cost an allocation per request"
)]
pub enum Outcome {
    /// A verified token, meeting every rule.
    Authenticated(Verified),
    /// No token, and the policy is optional: the request goes on unauthenticated.
    Anonymous,
}

impl Policy {
    /// A policy verifying with `verifier` (any of ours, or your [`Authenticate`]): bearer tokens
    /// from `Authorization`, the token kinds the verifier accepts, authentication required.
    pub fn new(verifier: impl Authenticate) -> Self {
        Self {
            rules: Arc::new(Rules {
                sources: verifier.default_sources(),
                answers_now: verifier.answers_now(),
                verifier: Arc::new(verifier),
                accept: TokenUse::Any,
                resources: None,
                groups: Vec::new(),
                scopes: Vec::new(),
                checks: Vec::new(),
                optional: false,
                misconfigured: None,
                claims_in_rejections: false,
            }),
        }
    }

    /// Whether every setting is usable: [`BuildError::InvalidSetting`](crate::BuildError)
    /// naming the first that is not (an empty list of required groups, scopes or resources, or
    /// of token sources). A policy that is not refuses every request (500 `misconfigured`,
    /// logged with the setting's name) rather than let one through; call this at startup to
    /// fail there instead.
    ///
    /// # Errors
    /// The setting that was given an empty list.
    pub fn validate(&self) -> Result<(), crate::BuildError> {
        match self.rules.misconfigured {
            None => Ok(()),
            Some(setting) => Err(crate::BuildError::InvalidSetting {
                setting,
                reason: "an empty list: it would lift the restriction; name at least one",
            }),
        }
    }

    /// Records `setting` as misconfigured when `empty` (the first one stays).
    fn refuse_empty(&mut self, setting: &'static str, empty: bool) {
        if empty {
            let rules = self.edit();
            rules.misconfigured = rules.misconfigured.or(Some(setting));
        }
    }

    /// The rules, to change: shared with no other policy afterwards.
    fn edit(&mut self) -> &mut Rules {
        Arc::make_mut(&mut self.rules)
    }

    /// Where the token is looked for, in order (default: the verifier's
    /// [`default_sources`](Authenticate::default_sources), [`TokenSource::Bearer`] for Cognito's).
    ///
    /// An empty list is a misconfiguration (see [`validate`](Self::validate)): no token could
    /// ever be found, and an optional route would serve everyone anonymously.
    pub fn sources(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        self.edit().sources = sources
            .into_iter()
            .map(|source| match source {
                TokenSource::Header(name) => {
                    TokenSource::Header(Cow::Owned(name.to_ascii_lowercase()))
                }
                other => other,
            })
            .collect();
        let empty = self.rules.sources.is_empty();
        self.refuse_empty("sources", empty);
        self
    }

    /// Also accepts `Authorization: <token>` without the `Bearer` scheme, as API Gateway's
    /// Cognito authorizer and Amplify clients send it: [`TokenSource::Bearer`] becomes
    /// [`TokenSource::BearerOrBare`] where it stands, or `BearerOrBare` is added after the
    /// other sources. The other sources stay.
    pub fn allow_bare_token(mut self) -> Self {
        let sources = &mut self.edit().sources;
        if let Some(bearer) = sources.iter_mut().find(|s| **s == TokenSource::Bearer) {
            *bearer = TokenSource::BearerOrBare;
        } else if !sources.contains(&TokenSource::BearerOrBare) {
            sources.push(TokenSource::BearerOrBare);
        }
        self
    }

    /// Accepts only this kind of Cognito token (default [`TokenUse::Any`]: whatever the verifier
    /// accepts). A token of another kind is 401 `wrong_token_use`, whatever the verifier: the
    /// claims of a generic [`JwtVerifier`] must carry a `token_use` of that kind, and ALB user
    /// claims (no kind of Cognito token) are refused on an ID-only or access-only route.
    pub fn token_use(mut self, accept: TokenUse) -> Self {
        self.edit().accept = accept;
        self
    }

    /// Requires access tokens to be bound to one of `resources` (this API's resource server
    /// identifiers): their `aud`, a string or an array, must name one, else 401
    /// `wrong_audience` (`missing_claim` without `aud`). Applies to Cognito access tokens and to
    /// the tokens of a generic [`JwtVerifier`]; ID tokens and ALB user claims are not bound to
    /// resources. The same rule as
    /// [`CognitoVerifierBuilder::resources`](crate::CognitoVerifierBuilder::resources), per
    /// route. Replaces earlier resources; an empty list is a misconfiguration (see
    /// [`validate`](Self::validate)).
    pub fn resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let resources: Vec<String> = resources.into_iter().map(Into::into).collect();
        let empty = resources.is_empty() || resources.iter().any(String::is_empty);
        self.edit().resources = Some(resources);
        self.refuse_empty("resources", empty);
        self
    }

    /// Requires the token's `cognito:groups` to contain at least one of `groups` (403
    /// `insufficient_scope` otherwise). Replaces earlier required groups. An empty list (or an
    /// empty name) is a misconfiguration, never "no restriction" (see
    /// [`validate`](Self::validate)).
    pub fn required_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let groups: Vec<String> = groups.into_iter().map(Into::into).collect();
        let empty = groups.is_empty() || groups.iter().any(String::is_empty);
        self.edit().groups = groups;
        self.refuse_empty("required_groups", empty);
        self
    }

    /// Requires the token's `scope` to contain at least one of `scopes` (403
    /// `insufficient_scope` otherwise). Replaces earlier required scopes. An empty list (or an
    /// empty name) is a misconfiguration, never "no restriction" (see
    /// [`validate`](Self::validate)).
    pub fn required_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        let empty = scopes.is_empty() || scopes.iter().any(String::is_empty);
        self.edit().scopes = scopes;
        self.refuse_empty("required_scopes", empty);
        self
    }

    /// Adds a check on the verified claims (like aws-jwt-verify's `customJwtCheck`): `Err(reason)`
    /// refuses the request with 403 `rejected_by_check`; the reason goes to the logs (`tracing`,
    /// target `cognito_verifier::auth`), never into the response. Checks add up.
    ///
    /// ```
    /// # use cognito_verifier::auth::Policy;
    /// # fn f(policy: Policy) -> Policy {
    /// policy.check(|claims| match claims.to_json()["custom:tenant"].as_str() {
    ///     Some("acme") => Ok(()),
    ///     other => Err(format!("tenant {other:?} may not use this API")),
    /// })
    /// # }
    /// ```
    pub fn check(
        mut self,
        check: impl Fn(&Verified) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.edit().checks.push(Arc::new(check));
        self
    }

    /// Lets a request without a token through, unauthenticated ([`Outcome::Anonymous`]). A token
    /// that is present must still be valid (401 otherwise): a client that sent a bad token
    /// expects to be signed in, and serving it anonymously would hide an expired session or an
    /// attack behind a 200.
    pub fn optional(mut self) -> Self {
        self.edit().optional = true;
        self
    }

    /// Puts the verified claims into a rejection that happened after the signature held
    /// ([`Rejection::claims`]): expired, wrong client or audience, wrong kind, revoked, a
    /// missing group or scope, a check's refusal, …, so that logs and metrics can say whose
    /// token it was. Off by default (like aws-jwt-verify's `includeRawJwtInErrors`): the claims
    /// are personal data. Never for a token whose signature does not hold, and never in the
    /// default response body; only your rejection hook or your logs see them. Costs a second
    /// signature check per such rejection when the verifier refused the token itself.
    pub fn claims_in_rejections(mut self) -> Self {
        self.edit().claims_in_rejections = true;
        self
    }

    /// Requires a token again (the default).
    pub fn required(mut self) -> Self {
        self.edit().optional = false;
        self
    }

    /// Whether a request without a token passes.
    pub fn is_optional(&self) -> bool {
        self.rules.optional
    }

    /// Finds the token in `headers`, verifies it, and applies every rule.
    ///
    /// # Errors
    /// A [`Rejection`] saying what to answer.
    pub async fn authenticate<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
    ) -> Result<Outcome, Rejection> {
        self.usable()?;
        match self.find_token(headers)? {
            Some(token) => self
                .authenticate_token(token)
                .await
                .map(Outcome::Authenticated),
            None => self.without_token(),
        }
    }

    /// [`authenticate`](Self::authenticate) when its verdict needs no waiting, over a verifier
    /// that can answer at once ([`Authenticate::answers_now`]: a [`CognitoVerifier`] with the
    /// verified-token cache): for a token it answers at once (a cache hit), and then also for
    /// a request without a token and for a token that is not text. `None` when only
    /// `authenticate` can tell (always, over other verifiers). The adapters in this crate try
    /// this first, so that such a request costs no future of its own.
    ///
    /// ```
    /// use cognito_verifier::auth::{Outcome, Policy};
    /// # fn f(policy: &Policy, headers: &http::HeaderMap) {
    /// match policy.authenticate_now(headers) {
    ///     Some(Ok(Outcome::Authenticated(claims))) => { /* serve with the claims */ }
    ///     Some(Ok(_anonymous)) => { /* an optional policy, no token */ }
    ///     Some(Err(rejection)) => { /* answer rejection.status() */ }
    ///     None => { /* await policy.authenticate(headers) */ }
    /// }
    /// # }
    /// ```
    pub fn authenticate_now<H: RequestHeaders + ?Sized>(
        &self,
        headers: &H,
    ) -> Option<Result<Outcome, Rejection>> {
        if !self.rules.answers_now {
            return None;
        }
        if let Err(rejection) = self.usable() {
            return Some(Err(rejection));
        }
        let token = match self.find_token(headers) {
            Ok(Some(token)) => token,
            Ok(None) => return Some(self.without_token()),
            Err(rejection) => return Some(Err(rejection)),
        };
        let rules = &*self.rules;
        let verdict = rules.verifier.authenticate_now(token, rules.accept)?;
        Some(
            verdict
                .map_err(|error| self.refused(token, error))
                .and_then(|verified| self.apply_rules(verified))
                .map(Outcome::Authenticated),
        )
    }

    /// Refuses every request of a misconfigured policy, naming the setting in the log.
    fn usable(&self) -> Result<(), Rejection> {
        match self.rules.misconfigured {
            None => Ok(()),
            Some(setting) => {
                tracing::error!(
                    target: "cognito_verifier::auth",
                    setting,
                    "request refused: the route's policy was given an empty {setting} list"
                );
                Err(Rejection::misconfigured())
            }
        }
    }

    /// The token from the first source that has one (`None`: no source has one).
    fn find_token<'h, H: RequestHeaders + ?Sized>(
        &self,
        headers: &'h H,
    ) -> Result<Option<&'h str>, Rejection> {
        let mut token = None;
        for source in &self.rules.sources {
            match source.find(headers) {
                Ok(Some(found)) => {
                    token = Some(found);
                    break;
                }
                Ok(None) => {}
                Err(Ambiguous) => return Err(Rejection::ambiguous()),
            }
        }
        let Some(token) = token else {
            return Ok(None);
        };
        match std::str::from_utf8(token) {
            Ok(token) => Ok(Some(token)),
            Err(_) => Err(Rejection::from(Error::malformed(
                "the token is not UTF-8 text",
            ))),
        }
    }

    /// The verdict on a request without a token.
    fn without_token(&self) -> Result<Outcome, Rejection> {
        if self.rules.optional {
            Ok(Outcome::Anonymous)
        } else {
            Err(Rejection::missing())
        }
    }

    /// Verifies a token found elsewhere and applies every rule.
    ///
    /// # Errors
    /// A [`Rejection`] saying what to answer.
    pub async fn authenticate_token(&self, token: &str) -> Result<Verified, Rejection> {
        self.usable()?;
        let rules = &*self.rules;
        let verified = match rules.verifier.authenticate(token, rules.accept).await {
            Ok(verified) => verified,
            Err(error) => return Err(self.refused(token, error)),
        };
        self.apply_rules(verified)
    }

    /// The rejection for the verifier's `error` on `token`, with the token's verified claims
    /// when the policy asks for them and the refusal came after the signature.
    fn refused(&self, token: &str, error: Error) -> Rejection {
        let after_signature = matches!(
            error.kind(),
            ErrorKind::MissingClaim
                | ErrorKind::InvalidClaim
                | ErrorKind::Expired
                | ErrorKind::NotYetValid
                | ErrorKind::IssuedInFuture
                | ErrorKind::WrongIssuer
                | ErrorKind::WrongAudience
                | ErrorKind::WrongNonce
                | ErrorKind::WrongTokenUse
                | ErrorKind::WrongClientId
                | ErrorKind::MissingGroup
                | ErrorKind::MissingScope
                | ErrorKind::RejectedByCheck
                | ErrorKind::Revoked
                | ErrorKind::ClaimsType
        );
        let claims = (self.rules.claims_in_rejections && after_signature)
            .then(|| self.rules.verifier.signed_claims(token))
            .flatten();
        Rejection::from(error).with_claims(claims)
    }

    /// The route's resources, groups, scopes and checks, on claims the verifier accepted.
    fn apply_rules(&self, verified: Verified) -> Result<Verified, Rejection> {
        self.apply_rules_inner(&verified).map_err(|rejection| {
            let claims = self.rules.claims_in_rejections.then(|| verified.to_json());
            rejection.with_claims(claims)
        })?;
        Ok(verified)
    }

    fn apply_rules_inner(&self, verified: &Verified) -> Result<(), Rejection> {
        let rules = &*self.rules;
        verified.check_kind(rules.accept)?;
        if let Some(resources) = &rules.resources {
            verified.check_resources(resources)?;
        }
        if !rules.groups.is_empty() && !rules.groups.iter().any(|g| verified.in_group(g)) {
            return Err(Rejection::from(Error::MissingGroup));
        }
        if !rules.scopes.is_empty() && !rules.scopes.iter().any(|s| verified.has_scope(s)) {
            return Err(Rejection::from(Error::MissingScope).with_scopes(&rules.scopes));
        }
        for check in &rules.checks {
            if let Err(reason) = check(verified) {
                let error = Error::RejectedByCheck { reason };
                tracing::debug!(
                    target: "cognito_verifier::auth",
                    subject = verified.subject().map(crate::error::excerpt),
                    %error,
                    "request refused by a check"
                );
                return Err(Rejection::from(error));
            }
        }
        Ok(())
    }
}

/// Put into a request's extensions, instead of [`Verified`] claims, when an optional policy let a
/// request without a token through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Anonymous;

/// How a handler's claims are read from a request's extensions, for the framework extractors:
/// `Ok(Some)` with claims, `Ok(None)` for an anonymous request, `Err` with the rejection (401
/// for a kind or type the token cannot give, 500 when no layer ran).
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) fn claims_from<T: DeserializeOwned + 'static>(
    verified: Option<&Verified>,
    anonymous: bool,
) -> Result<Option<T>, Rejection> {
    match verified {
        Some(v) => v.claims().map(Some).map_err(Rejection::from),
        None if anonymous => Ok(None),
        None => Err(Rejection::not_authenticated()),
    }
}

/// The policy setters every adapter offers, delegating to [`Policy`]; the adapter defines
/// `fn map(self, f: impl FnOnce(Policy) -> Policy) -> Self`.
#[cfg(any(feature = "tower", feature = "actix"))]
macro_rules! policy_setters {
    () => {
        /// Accepts only ID tokens.
        pub fn id_tokens(self) -> Self {
            self.token_use(crate::TokenUse::Id)
        }

        /// Accepts only access tokens.
        pub fn access_tokens(self) -> Self {
            self.token_use(crate::TokenUse::Access)
        }

        /// Accepts only this kind of token (see [`Policy::token_use`](crate::auth::Policy::token_use)).
        pub fn token_use(self, accept: crate::TokenUse) -> Self {
            self.map(|p| p.token_use(accept))
        }

        /// Where the token is looked for, in order (see
        /// [`Policy::sources`](crate::auth::Policy::sources)).
        pub fn sources(self, sources: impl IntoIterator<Item = crate::auth::TokenSource>) -> Self {
            self.map(|p| p.sources(sources))
        }

        /// Also accepts `Authorization: <token>` without the `Bearer` scheme; the other sources
        /// stay (see [`Policy::allow_bare_token`](crate::auth::Policy::allow_bare_token)).
        pub fn allow_bare_token(self) -> Self {
            self.map(crate::auth::Policy::allow_bare_token)
        }

        /// Requires access tokens bound to one of `resources` (see
        /// [`Policy::resources`](crate::auth::Policy::resources)): 401 `wrong_audience`
        /// otherwise.
        pub fn resources<I, S>(self, resources: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.map(|p| p.resources(resources))
        }

        /// Requires one of `groups` (see
        /// [`Policy::required_groups`](crate::auth::Policy::required_groups)): 403 otherwise.
        pub fn required_groups<I, S>(self, groups: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.map(|p| p.required_groups(groups))
        }

        /// Requires one of `scopes` (see
        /// [`Policy::required_scopes`](crate::auth::Policy::required_scopes)): 403 otherwise.
        pub fn required_scopes<I, S>(self, scopes: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.map(|p| p.required_scopes(scopes))
        }

        /// Adds a check (see [`Policy::check`](crate::auth::Policy::check)): 403
        /// `rejected_by_check` when it refuses.
        pub fn check(
            self,
            check: impl Fn(&crate::auth::Verified) -> Result<(), String> + Send + Sync + 'static,
        ) -> Self {
            self.map(|p| p.check(check))
        }

        /// Lets requests without a token through, marked
        /// [`Anonymous`](crate::auth::Anonymous) (see
        /// [`Policy::optional`](crate::auth::Policy::optional)); a token that is present must
        /// still be valid.
        pub fn optional(self) -> Self {
            self.map(crate::auth::Policy::optional)
        }

        /// Requires a token (the default).
        pub fn required(self) -> Self {
            self.map(crate::auth::Policy::required)
        }

        /// Puts the verified claims into rejections that came after the signature (see
        /// [`Policy::claims_in_rejections`](crate::auth::Policy::claims_in_rejections)), for
        /// your rejection hook and logs.
        pub fn claims_in_rejections(self) -> Self {
            self.map(crate::auth::Policy::claims_in_rejections)
        }
    };
}
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) use policy_setters;

// ---- Rejections ------------------------------------------------------------------------------

/// Why a request was turned away, and everything an adapter needs to answer it: the status, the
/// RFC 6750 challenge, the body, `Retry-After`, the gRPC code. Build your own response from it
/// (problem+json, your API's error envelope) with the adapters' rejection hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: Reason,
    scopes: Option<String>,
    /// The verified claims, when the policy asks for them and the refusal came after the
    /// signature.
    claims: Option<Arc<serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    Missing,
    Ambiguous,
    Token(Error),
    NotAuthenticated,
    Misconfigured,
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Self {
        Self {
            reason: Reason::Token(error),
            scopes: None,
            claims: None,
        }
    }
}

impl Rejection {
    /// No token was found.
    pub fn missing() -> Self {
        Self {
            reason: Reason::Missing,
            scopes: None,
            claims: None,
        }
    }

    /// Two different tokens in one source (two `Authorization` headers, a cookie named twice):
    /// 400 `ambiguous_token` (RFC 6750 §3.1 `invalid_request`), never resolved by order.
    pub fn ambiguous() -> Self {
        Self {
            reason: Reason::Ambiguous,
            scopes: None,
            claims: None,
        }
    }

    /// The route's policy was given a setting that would lift a restriction (see
    /// [`Policy::validate`]): 500 `misconfigured`, for every request, never an open door.
    pub fn misconfigured() -> Self {
        Self {
            reason: Reason::Misconfigured,
            scopes: None,
            claims: None,
        }
    }

    /// A handler asked for claims that no policy put on the request (a route without the layer,
    /// or a type no policy produces): a wiring mistake, answered 500, never an open door.
    pub fn not_authenticated() -> Self {
        Self {
            reason: Reason::NotAuthenticated,
            scopes: None,
            claims: None,
        }
    }

    fn with_scopes(mut self, scopes: &[String]) -> Self {
        if !scopes.is_empty() {
            self.scopes = Some(scopes.join(" "));
        }
        self
    }

    fn with_claims(mut self, claims: Option<serde_json::Value>) -> Self {
        self.claims = claims.map(Arc::new);
        self
    }

    /// The claims of the refused token, verified (its signature held), when the policy was set
    /// to carry them ([`Policy::claims_in_rejections`]) and the refusal came after the
    /// signature: for logs and metrics ("whose token was it?"). Personal data: the default
    /// response never includes them.
    pub fn claims(&self) -> Option<&serde_json::Value> {
        self.claims.as_deref()
    }

    /// The verification error, if a token was found and refused.
    pub fn error(&self) -> Option<&Error> {
        match &self.reason {
            Reason::Token(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status: 401, 403, 503, 400 (ambiguous credentials) or 500.
    pub fn status(&self) -> u16 {
        match &self.reason {
            Reason::NotAuthenticated | Reason::Misconfigured => 500,
            Reason::Ambiguous => 400,
            Reason::Token(e) if e.is_key_unavailable() => 503,
            Reason::Token(e) if e.is_forbidden() => 403,
            Reason::Missing | Reason::Token(_) => 401,
        }
    }

    /// A stable name for what happened: the error's kind (`expired`, `missing_group`,
    /// `rejected_by_check`, …), `missing_token` or `not_authenticated`.
    pub fn kind(&self) -> &'static str {
        match &self.reason {
            Reason::Missing => "missing_token",
            Reason::Ambiguous => "ambiguous_token",
            Reason::NotAuthenticated => "not_authenticated",
            Reason::Misconfigured => "misconfigured",
            Reason::Token(e) => e.kind().as_str(),
        }
    }

    /// The OAuth error code of the body (RFC 6749/6750): `invalid_request` (no token, or two
    /// different ones), `invalid_token`, `insufficient_scope`, `temporarily_unavailable` or
    /// `server_error`.
    pub fn error_code(&self) -> &'static str {
        match self.status() {
            400 => "invalid_request",
            401 if matches!(self.reason, Reason::Missing) => "invalid_request",
            401 => "invalid_token",
            403 => "insufficient_scope",
            503 => "temporarily_unavailable",
            _ => "server_error",
        }
    }

    /// The `WWW-Authenticate` value, if the answer carries one (400, 401 and 403). A request
    /// without a token gets a bare `Bearer` (RFC 6750 §3.1: no error code when no credentials
    /// came). A 403 says what is missing: `error_description` is the kind (`missing_group`,
    /// `missing_scope`, `rejected_by_check`, `claims_type`), and only a missing scope adds
    /// `scope="<the route's scopes>"`, so a client is never told to get a scope it has.
    pub fn challenge(&self) -> Option<String> {
        match self.status() {
            400 => Some(format!(
                "Bearer error=\"invalid_request\", error_description=\"{}\"",
                self.kind()
            )),
            401 if matches!(self.reason, Reason::Missing) => Some("Bearer".into()),
            401 => Some(format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                self.kind()
            )),
            403 => Some(match (&self.scopes, self.kind()) {
                (Some(scopes), kind @ "missing_scope") => format!(
                    "Bearer error=\"insufficient_scope\", error_description=\"{kind}\", scope=\"{scopes}\""
                ),
                (_, kind) => {
                    format!("Bearer error=\"insufficient_scope\", error_description=\"{kind}\"")
                }
            }),
            _ => None,
        }
    }

    /// Seconds for `Retry-After` on a 503: when the verifier will fetch keys again, if it knows,
    /// else 5. `None` for other statuses.
    pub fn retry_after_secs(&self) -> Option<u64> {
        let Reason::Token(e) = &self.reason else {
            return None;
        };
        e.is_key_unavailable().then(|| {
            e.retry_after().map_or(5, |d| {
                d.as_secs()
                    .saturating_add(u64::from(d.subsec_nanos() > 0))
                    .max(1)
            })
        })
    }

    /// A one-line description for the body: the kind name, or for a missing token "no bearer
    /// token". Never the token, never a check's reason.
    pub fn description(&self) -> &'static str {
        match &self.reason {
            Reason::Missing => "no bearer token",
            Reason::Ambiguous => "more than one token",
            Reason::NotAuthenticated => "no authentication layer ran",
            Reason::Misconfigured => "the route's authentication is misconfigured",
            Reason::Token(_) => self.kind(),
        }
    }

    /// The default JSON body: `{"error": <code>, "error_description": <description>}`.
    pub fn body(&self) -> String {
        serde_json::json!({"error": self.error_code(), "error_description": self.description()})
            .to_string()
    }

    /// The headers of the default JSON answer, as `(lower-case name, value)`: `content-type`,
    /// `www-authenticate` when there is a challenge, `retry-after` on a 503.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("content-type", "application/json".to_owned())];
        if let Some(challenge) = self.challenge() {
            headers.push(("www-authenticate", challenge));
        }
        if let Some(secs) = self.retry_after_secs() {
            headers.push(("retry-after", secs.to_string()));
        }
        headers
    }

    /// The headers of a trailers-only gRPC answer (HTTP 200): `content-type: application/grpc`,
    /// `grpc-status`, `grpc-message` (the kind name) and the `www-authenticate` challenge as
    /// metadata.
    pub fn grpc_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("content-type", "application/grpc".to_owned()),
            ("grpc-status", self.grpc_code().to_string()),
            // Kind names are ASCII words: nothing to percent-encode.
            ("grpc-message", self.kind().to_owned()),
        ];
        if let Some(challenge) = self.challenge() {
            headers.push(("www-authenticate", challenge));
        }
        headers
    }

    /// The gRPC status code: 16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`, 14 `UNAVAILABLE` or
    /// 13 `INTERNAL`.
    pub fn grpc_code(&self) -> i32 {
        match self.status() {
            400 | 401 => 16,
            403 => 7,
            503 => 14,
            _ => 13,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Missing => f.write_str("no token in the request"),
            Reason::Ambiguous => f.write_str("two different tokens in one token source"),
            Reason::NotAuthenticated => f.write_str("no authentication layer ran"),
            Reason::Misconfigured => f.write_str("the route's policy is misconfigured"),
            Reason::Token(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().map(|e| e as _)
    }
}
