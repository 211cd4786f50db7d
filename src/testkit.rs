//! A local Cognito-shaped issuer for tests (feature `test-kit`).
//!
//! [`TestIssuer`] generates RSA-2048 keys, serves their JWKS on `127.0.0.1` over plain HTTP, mints
//! ID and access tokens shaped like Cognito's, rotates keys on demand, and hands back a verifier
//! builder already pointed at itself. Nothing here talks to AWS.
//!
//! ```
//! use cognito_verifier::testkit::TestIssuer;
//! use cognito_verifier::{ErrorKind, TokenUse};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::start().await?;
//! let verifier = issuer.verifier_builder("my-client").token_use(TokenUse::Any).build()?;
//!
//! let token = issuer.access_token("my-client").groups(["admins"]).sign();
//! let claims = verifier.verify_access(&token).await?;
//! assert!(claims.in_group("admins"));
//!
//! let expired = issuer.id_token("my-client").expired().sign();
//! let err = verifier.verify_id(&expired).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Expired);
//! # Ok(()) }
//! ```
//!
//! # Testing your own handler
//!
//! Point your code at a verifier from the issuer, and drive it with minted tokens:
//!
//! ```
//! use cognito_verifier::testkit::TestIssuer;
//! use cognito_verifier::{CognitoVerifier, TokenUse};
//!
//! /// The code under test: answers a request's Authorization header.
//! async fn list_orders(verifier: &CognitoVerifier, authorization: &str) -> (u16, String) {
//!     let Some(token) = authorization.strip_prefix("Bearer ") else {
//!         return (401, "no bearer token".into());
//!     };
//!     match verifier.verify_access(token).await {
//!         Ok(claims) if claims.has_scope("orders/read") => (200, format!("orders of {}", claims.sub)),
//!         Ok(_) => (403, "missing scope".into()),
//!         Err(e) if e.is_key_unavailable() => (503, e.kind().to_string()),
//!         Err(e) => (401, e.kind().to_string()),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::start().await?;
//! let verifier = issuer.verifier_builder("orders-app").token_use(TokenUse::Access).build()?;
//!
//! let reader = issuer.access_token("orders-app").subject("u-1").scopes(["orders/read"]).sign();
//! assert_eq!(list_orders(&verifier, &format!("Bearer {reader}")).await, (200, "orders of u-1".into()));
//!
//! let no_scope = issuer.access_token("orders-app").sign();
//! assert_eq!(list_orders(&verifier, &format!("Bearer {no_scope}")).await.0, 403);
//!
//! let expired = issuer.access_token("orders-app").scopes(["orders/read"]).expired().sign();
//! assert_eq!(list_orders(&verifier, &format!("Bearer {expired}")).await, (401, "expired".into()));
//!
//! let other_app = issuer.access_token("orders-app").wrong_audience().sign();
//! assert_eq!(list_orders(&verifier, &format!("Bearer {other_app}")).await, (401, "wrong_client_id".into()));
//! # Ok(()) }
//! ```
//!
//! # Testing a service behind the layers
//!
//! An axum app, driven with tower's `oneshot` (feature `axum`):
//!
//! ```
//! use axum::{Router, body::Body, routing::get};
//! use cognito_verifier::axum::{Claims, CognitoAuthLayer};
//! use cognito_verifier::testkit::TestIssuer;
//! use cognito_verifier::{AccessClaims, TokenUse};
//! use tower::ServiceExt as _;
//!
//! async fn me(claims: Claims<AccessClaims>) -> String {
//!     claims.sub.clone()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::start().await?;
//! let verifier = issuer.verifier_builder("app").token_use(TokenUse::Access).build()?;
//! let app = Router::new().route("/me", get(me).route_layer(CognitoAuthLayer::new(verifier)));
//!
//! let request = http::Request::get("/me")
//!     .header("authorization", issuer.access_token("app").subject("u-7").bearer())
//!     .body(Body::empty())?;
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//!
//! let anonymous = http::Request::get("/me").body(Body::empty())?;
//! assert_eq!(app.oneshot(anonymous).await?.status(), 401);
//! # Ok(()) }
//! ```
//!
//! A tonic service: wrap it in `CognitoAuthLayer::new(verifier).grpc()` with
//! `tonic::transport::Server::builder().layer(..)`, serve it on `127.0.0.1:0`, and call it with
//! the generated client, putting `issuer.access_token(..).bearer()` in the `authorization`
//! metadata; rejections arrive as `Code::Unauthenticated`, `PermissionDenied` or
//! `Unavailable`. The crate's own `tests/integration/grpc.rs` does exactly this.
//!
//! An actix-web app, with actix-web's test utilities (feature `actix`):
//!
//! ```
//! use actix_web::{App, test, web};
//! use cognito_verifier::actix::{Claims, CognitoAuthLayer};
//! use cognito_verifier::testkit::TestIssuer;
//! use cognito_verifier::{AccessClaims, TokenUse};
//!
//! async fn me(claims: Claims<AccessClaims>) -> String {
//!     claims.sub.clone()
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::start().await?;
//! let verifier = issuer.verifier_builder("app").token_use(TokenUse::Access).build()?;
//! let app = test::init_service(
//!     App::new().service(web::scope("/me").wrap(CognitoAuthLayer::new(verifier)).route("", web::get().to(me))),
//! )
//! .await;
//! let request = test::TestRequest::get()
//!     .uri("/me")
//!     .insert_header(("authorization", issuer.access_token("app").subject("u-7").bearer()))
//!     .to_request();
//! assert_eq!(test::call_and_read_body(&app, request).await, "u-7");
//! # Ok(()) }
//! ```
//!
//! Never use it outside tests: its keys live in memory and its JWKS is served without TLS.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64_simd::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

mod alb;

pub use self::alb::{AlbTokenBuilder, DEFAULT_TEST_ALB_ARN, TestAlb};

use crate::clock::{Clock, SystemClock};
use crate::cognito::pool::UserPoolId;
use crate::cognito::verifier::{CognitoVerifier, CognitoVerifierBuilder};

/// The pool id a [`TestIssuer`] uses unless told otherwise.
pub const DEFAULT_TEST_POOL: &str = "eu-west-1_TestPool1";

/// An RSA signature scheme for [`TestIssuer::sign_raw_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RsaScheme {
    /// RSASSA-PKCS1-v1_5 with SHA-256: what Cognito uses, the only one a verifier should accept.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
}

impl RsaScheme {
    fn encoding(self) -> &'static dyn signature::RsaEncoding {
        match self {
            Self::Rs256 => &signature::RSA_PKCS1_SHA256,
            Self::Rs384 => &signature::RSA_PKCS1_SHA384,
            Self::Rs512 => &signature::RSA_PKCS1_SHA512,
            Self::Ps256 => &signature::RSA_PSS_SHA256,
            Self::Ps384 => &signature::RSA_PSS_SHA384,
            Self::Ps512 => &signature::RSA_PSS_SHA512,
        }
    }
}

/// A signing key of the test issuer.
struct TestKey {
    kid: String,
    pair: KeyPair,
    jwk: Value,
}

impl TestKey {
    fn generate(kid: String) -> Result<Self, io::Error> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| io::Error::other("RSA key generation failed"))?;
        let public = pair.public_key();
        let jwk = json!({
            "alg": "RS256",
            "e": URL_SAFE_NO_PAD.encode_to_string(public.exponent().big_endian_without_leading_zero()),
            "kid": kid,
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode_to_string(public.modulus().big_endian_without_leading_zero()),
            "use": "sig",
        });
        Ok(Self { kid, pair, jwk })
    }
}

struct State {
    /// Published keys; the last one signs.
    keys: Mutex<Vec<TestKey>>,
    jwks_requests: AtomicUsize,
    next_kid: AtomicUsize,
}

impl State {
    fn keys(&self) -> std::sync::MutexGuard<'_, Vec<TestKey>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn jwks_json(&self) -> String {
        let keys: Vec<Value> = self.keys().iter().map(|k| k.jwk.clone()).collect();
        json!({ "keys": keys }).to_string()
    }
}

/// A local issuer: RSA keys, a JWKS served on `127.0.0.1`, and a token minter.
///
/// Its tokens carry the real Cognito issuer of its pool
/// (`https://cognito-idp.<region>.<dns suffix>/<pool>`) while its JWKS is at
/// `http://127.0.0.1:<port>/<pool>/.well-known/jwks.json`, like Cognito emulators. The server
/// stops when the issuer is dropped.
pub struct TestIssuer {
    pool: UserPoolId,
    issuer: String,
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("issuer", &self.issuer)
            .field("jwks_uri", &self.jwks_uri())
            .finish_non_exhaustive()
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestIssuer {
    /// Starts an issuer for [`DEFAULT_TEST_POOL`] with one key, on a free loopback port.
    ///
    /// # Errors
    /// When no loopback port can be bound or key generation fails.
    pub async fn start() -> io::Result<Self> {
        Self::start_for_pool(DEFAULT_TEST_POOL, SystemClock).await
    }

    /// Starts an issuer for `pool_id` whose tokens are dated by `clock` (share a
    /// [`ManualClock`](crate::ManualClock) with the verifier to test expiry without sleeping).
    ///
    /// # Errors
    /// When `pool_id` is not a valid pool id, no loopback port can be bound, or key generation
    /// fails.
    pub async fn start_for_pool(pool_id: &str, clock: impl Clock) -> io::Result<Self> {
        let pool: UserPoolId = pool_id
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let state = Arc::new(State {
            keys: Mutex::new(vec![TestKey::generate("test-key-1".into())?]),
            jwks_requests: AtomicUsize::new(0),
            next_kid: AtomicUsize::new(2),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let path = format!("/{pool}/.well-known/jwks.json");
        let shared = Arc::clone(&state);
        let route: Route = Arc::new(move |target| {
            (target == path).then(|| {
                shared.jwks_requests.fetch_add(1, Ordering::SeqCst);
                ("application/json", shared.jwks_json())
            })
        });
        let server = tokio::spawn(serve(listener, route));
        Ok(Self {
            issuer: pool.issuer(),
            pool,
            addr,
            state,
            server,
            clock: Arc::new(clock),
        })
    }

    /// The `iss` of this issuer's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The user pool id.
    pub fn pool_id(&self) -> &UserPoolId {
        &self.pool
    }

    /// Where the JWKS is served.
    pub fn jwks_uri(&self) -> String {
        format!("http://{}/{}/.well-known/jwks.json", self.addr, self.pool)
    }

    /// The JWKS document currently served.
    pub fn jwks_json(&self) -> String {
        self.state.jwks_json()
    }

    /// How many times the JWKS was requested.
    pub fn jwks_requests(&self) -> usize {
        self.state.jwks_requests.load(Ordering::SeqCst)
    }

    /// The kid of the key that signs new tokens.
    pub fn current_kid(&self) -> String {
        self.state
            .keys()
            .last()
            .map(|k| k.kid.clone())
            .unwrap_or_default()
    }

    /// Generates a new key, publishes it beside the old ones and signs with it from now on.
    /// Returns its kid.
    ///
    /// # Errors
    /// When key generation fails.
    pub fn rotate_keys(&self) -> io::Result<String> {
        let n = self.state.next_kid.fetch_add(1, Ordering::SeqCst);
        let key = TestKey::generate(format!("test-key-{n}"))?;
        let kid = key.kid.clone();
        self.state.keys().push(key);
        Ok(kid)
    }

    /// Stops publishing every key but the current one (the end of a rotation).
    pub fn retire_old_keys(&self) {
        let mut keys = self.state.keys();
        let keep = keys.len().saturating_sub(1);
        keys.drain(..keep);
    }

    /// A verifier builder pointed at this issuer (issuer, JWKS URI, plain http allowed) that
    /// accepts `client_id`. Set the token use (and anything else) and build.
    pub fn verifier_builder(&self, client_id: &str) -> CognitoVerifierBuilder {
        CognitoVerifier::builder(self.pool.as_str())
            .issuer(self.issuer.clone())
            .jwks_uri(self.jwks_uri())
            .allow_insecure_http()
            .client_ids([client_id])
    }

    /// Starts an ID token for `client_id` with Cognito's usual claims.
    pub fn id_token(&self, client_id: &str) -> TokenBuilder<'_> {
        let now = self.now();
        let mut claims = self.common_claims(now);
        claims.insert("aud".into(), json!(client_id));
        claims.insert("token_use".into(), json!("id"));
        claims.insert("cognito:username".into(), json!("alice"));
        claims.insert("email".into(), json!("alice@example.com"));
        claims.insert("email_verified".into(), json!(true));
        TokenBuilder::new(self, claims)
    }

    /// Starts an access token for `client_id` with Cognito's usual claims.
    pub fn access_token(&self, client_id: &str) -> TokenBuilder<'_> {
        let now = self.now();
        let mut claims = self.common_claims(now);
        claims.insert("client_id".into(), json!(client_id));
        claims.insert("token_use".into(), json!("access"));
        claims.insert("username".into(), json!("alice"));
        claims.insert("scope".into(), json!("aws.cognito.signin.user.admin"));
        claims.insert("version".into(), json!(2));
        TokenBuilder::new(self, claims)
    }

    /// Signs `header` and `payload` exactly as given (JSON text, not re-encoded) with the current
    /// key and RS256: for tests of hostile or odd tokens. The header is used verbatim, so it should
    /// name `alg` and `kid` itself.
    pub fn sign_raw(&self, header: &str, payload: &str) -> String {
        self.sign_raw_with(RsaScheme::Rs256, header, payload.as_bytes())
    }

    /// Like [`sign_raw`](Self::sign_raw) with another RSA signature scheme (to check that a
    /// verifier refuses RS384 or PS256 even when signed by the right key), and a payload of any
    /// bytes (invalid UTF-8 included).
    pub fn sign_raw_with(&self, scheme: RsaScheme, header: &str, payload: &[u8]) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode_to_string(header),
            URL_SAFE_NO_PAD.encode_to_string(payload),
        );
        let keys = self.state.keys();
        let Some(key) = keys.last() else {
            return signing_input;
        };
        let mut sig = vec![0; key.pair.public_modulus_len()];
        // Signing with a freshly generated key and the system RNG does not fail in practice; if
        // it did, the zero signature would be rejected by any verifier, which is fail-closed.
        let _ = key.pair.sign(
            scheme.encoding(),
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut sig,
        );
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode_to_string(sig))
    }

    fn now(&self) -> i64 {
        i64::try_from(self.clock.now().as_secs()).unwrap_or(i64::MAX)
    }

    fn common_claims(&self, now: i64) -> Map<String, Value> {
        let n = self.state.next_kid.fetch_add(1, Ordering::SeqCst);
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("a1b2c3d4-0000-4000-8000-000000000001"));
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("auth_time".into(), json!(now));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 3600));
        claims.insert("origin_jti".into(), json!(format!("origin-{n}")));
        claims.insert("event_id".into(), json!(format!("event-{n}")));
        claims.insert("jti".into(), json!(format!("jti-{n}")));
        claims
    }
}

/// Builds one token. Made by [`TestIssuer::id_token`] and [`TestIssuer::access_token`].
#[derive(Debug)]
pub struct TokenBuilder<'i> {
    issuer: &'i TestIssuer,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl<'i> TokenBuilder<'i> {
    fn new(issuer: &'i TestIssuer, claims: Map<String, Value>) -> Self {
        let mut header = Map::new();
        header.insert("kid".into(), json!(issuer.current_kid()));
        header.insert("alg".into(), json!("RS256"));
        Self {
            issuer,
            header,
            claims,
        }
    }

    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets (or replaces) a header parameter. The signature is still made with RS256.
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// Sets `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", sub)
    }

    /// Sets the user name (`cognito:username` in ID tokens, `username` in access tokens).
    pub fn username(self, username: &str) -> Self {
        let name = if self.claims.contains_key("client_id") {
            "username"
        } else {
            "cognito:username"
        };
        self.claim(name, username)
    }

    /// Sets `cognito:groups`.
    pub fn groups<I: IntoIterator<Item = S>, S: Into<String>>(self, groups: I) -> Self {
        let groups: Vec<String> = groups.into_iter().map(Into::into).collect();
        self.claim("cognito:groups", groups)
    }

    /// Sets `scope` (space-separated).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(self, scopes: I) -> Self {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.claim("scope", scopes.join(" "))
    }

    /// Sets `exp` to `iat + lifetime`.
    pub fn expires_in(self, lifetime: Duration) -> Self {
        let iat = self.claims.get("iat").and_then(Value::as_i64).unwrap_or(0);
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self.claim("exp", iat.saturating_add(secs))
    }

    /// Makes the token expired an hour ago.
    pub fn expired(self) -> Self {
        let now = self.issuer.now();
        self.claim("iat", now - 7200)
            .claim("auth_time", now - 7200)
            .claim("exp", now - 3600)
    }

    /// Makes the token valid only from an hour from now (`nbf`).
    pub fn not_yet_valid(self) -> Self {
        let now = self.issuer.now();
        self.claim("nbf", now + 3600)
    }

    /// Addresses the token to another app client (`aud` or `client_id`).
    pub fn wrong_audience(self) -> Self {
        let name = if self.claims.contains_key("client_id") {
            "client_id"
        } else {
            "aud"
        };
        self.claim(name, "some-other-client")
    }

    /// Signs the token with the issuer's current key.
    pub fn sign(self) -> String {
        let header = Value::Object(self.header).to_string();
        let payload = Value::Object(self.claims).to_string();
        self.issuer.sign_raw(&header, &payload)
    }

    /// Signs the token and returns a ready `Authorization` header value: `Bearer <token>`.
    pub fn bearer(self) -> String {
        format!("Bearer {}", self.sign())
    }
}

/// What the test server answers to a GET of a path: `Some((content type, body))`, or `None`
/// for a 404.
pub(crate) type Route = Arc<dyn Fn(&str) -> Option<(&'static str, String)> + Send + Sync>;

/// Serves `route` on `listener` until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, route: Route) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let route = Arc::clone(&route);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), answer(stream, &route)).await;
        });
    }
}

/// Answers one HTTP/1.1 request and closes the connection.
async fn answer(mut stream: TcpStream, route: &Route) -> io::Result<()> {
    let mut request = Vec::with_capacity(1024);
    let mut chunk = [0_u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || request.len() > 16 * 1024 {
            return Ok(());
        }
        request.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let line = request.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next(), parts.next());
    let found = match (method, target) {
        (Some("GET"), Some(target)) => route(target),
        _ => None,
    };
    let (status, content_type, body) = match found {
        Some((content_type, body)) => ("200 OK", content_type, body),
        None => ("404 Not Found", "application/json", String::from("{}")),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
