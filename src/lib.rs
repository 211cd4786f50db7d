//! Verify Amazon Cognito ID and access tokens, fast and without skipping a check.
//!
//! A [`CognitoVerifier`] fetches the user pool's JWKS once, caches the keys ready for RSA, and
//! checks every token the way the AWS documentation says to: RS256 signature with the pool's key,
//! `iss`, `exp`/`nbf`/`iat` with a small leeway, `token_use`, and the app client id in `aud` (ID
//! tokens) or `client_id` (access tokens), plus optional groups and scopes. It returns typed
//! [`IdClaims`] / [`AccessClaims`] or an [`Error`] with a stable kind name.
//!
//! Underneath, a generic [`JwtVerifier`] takes any issuer and JWKS URI, so the same code serves
//! local emulators and other OIDC issuers.
//!
//! # Quick start
//!
//! ```no_run
//! use cognito_verifier::{CognitoVerifier, TokenUse};
//!
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! // Build once (at startup), clone freely: clones share the key cache.
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123") // region taken from the pool id
//!     .client_ids(["3u4p8example"])                               // or danger_accept_any_client_id()
//!     .token_use(TokenUse::Access)                                // Id, Access or Any: required
//!     .build()?;
//! verifier.hydrate().await?; // optional: fetch the keys now rather than on the first request
//!
//! match verifier.verify_access(token).await {
//!     Ok(claims) => println!("hello {}", claims.username.unwrap_or_default()),
//!     Err(e) if e.is_key_unavailable() => println!("503: {e}"), // keys could not be fetched
//!     Err(e) => println!("401 {}: {e}", e.kind()),              // the token is bad
//! }
//! # Ok(()) }
//! ```
//!
//! # What a verification does, in order
//!
//! 1. **Token text** (no crypto, no I/O): at most [`DEFAULT_MAX_TOKEN_LEN`] bytes (configurable),
//!    exactly three segments of strict unpadded base64url (canonical trailing bits, no `=`, no
//!    `+`/`/`). Five segments are recognised as an encrypted token (Cognito's refresh tokens) and
//!    refused as such.
//! 2. **Header**: a JSON object; `alg` must be exactly `RS256`; `kid` must be a string of at most
//!    [`MAX_KID_LEN`] bytes; `crit` is refused; duplicate `alg`/`kid` are refused. `jku`, `x5u`,
//!    `jwk` and `x5c` are never read.
//! 3. **Key**: looked up by `kid` in the issuer's key set (see [`KeyCacheConfig`] for fetching,
//!    refresh and storm protection). Only RSA keys with `use` `sig` (or none), `alg` `RS256` (or
//!    none) and a 2048–8192-bit modulus are usable; a token naming another key gets
//!    `unusable_key` or `weak_key`.
//! 4. **Signature**: RSASSA-PKCS1-v1_5 with SHA-256 via aws-lc-rs, with a public key parsed once
//!    when the key set is loaded.
//! 5. **Claims**, parsed only now that the signature holds: `iss` byte for byte; `exp` required;
//!    `nbf` and `iat` honoured when present, all with the leeway (default [`DEFAULT_LEEWAY`]);
//!    NumericDates must be JSON numbers. Cognito's rules: `token_use` is `id` or `access` and what
//!    the caller asked for; `aud` (ID) or `client_id` (access) is a configured client id;
//!    `cognito:groups` and `scope` contain a required one (when configured); `nonce` when asked.
//! 6. **Typed result**: [`IdClaims`], [`AccessClaims`], or any `T: DeserializeOwned`.
//!
//! # The key cache
//!
//! Each verifier (and its clones) holds one cache for its JWKS URI. Every default below is set on
//! [`KeyCacheConfig`] and `HttpFetcher::builder`.
//!
//! - **Lock-free reads.** The key set is one immutable snapshot. A verification whose key is cached
//!   reads it without a lock, never waits on the network, and writes no shared memory.
//! - **Rotation.** An unknown `kid` triggers a refetch. Concurrent callers share it (single
//!   flight): 1,000 simultaneous verifications on a cold cache make one request. A refresh replaces
//!   the whole set, so a `kid` the issuer withdrew stops verifying after the next successful fetch.
//! - **Storm protection.** While a usable key set is cached, after a fetch that failed or did not
//!   contain the requested `kid`, no fetch happens for the refetch cooldown (15 s): unknown kids
//!   fail at once with `unknown_kid`, known kids keep verifying. 10,000 random kids cost one
//!   request.
//! - **A made-up `kid` is a bad token, never an outage.** When a usable set is cached and lacks
//!   the kid, the answer is [`Error::UnknownKid`] (401) on every path, synchronous or not, even
//!   while the endpoint is down. [`Error::is_key_unavailable`] (503) is true only when no usable
//!   set can be had.
//! - **Freshness.** A fetched set lives for its max age: the endpoint's `Cache-Control: max-age`,
//!   clamped to 1 min–1 h, or 10 min without one. At 80 % of it a background task refreshes the
//!   set; requests keep using the current one meanwhile.
//! - **Outages.** A failed fetch never takes a usable set away. Past its max age, the last
//!   fetched set keeps verifying for the stale window (1 h); after that verification fails with
//!   [`Error::Jwks`], for which [`Error::is_key_unavailable`] is true (answer 503, not 401).
//! - **Recovery.** With no usable set (a cold start, or past the stale window), a failed fetch
//!   is retried on demand after a short backoff (100 ms, doubling to 1 s), one request at a time
//!   whatever the load: the verifier recovers within a second of the endpoint. A refusal during
//!   the backoff says so and when it ends ([`Error::retry_after`]), not the last fetch's cause.
//! - **Bounded fetches.** One deadline per fetch, retries included (5 s,
//!   [`KeyCacheConfig::fetch_deadline`]), for every fetcher. The HTTP fetcher adds 2 s to
//!   connect, 3 s per request including the body, a 64 KiB body cap enforced while streaming, at
//!   most 32 keys, status 200 only, redirects only to the same origin, `https` only unless
//!   [`allow_insecure_http`](CognitoVerifierBuilder::allow_insecure_http), one retry after a
//!   timeout, connection error, 429 or 5xx. Proxies from the environment (`HTTPS_PROXY`,
//!   `NO_PROXY`) are honoured.
//! - **Cold starts.** [`hydrate`](CognitoVerifier::hydrate) fetches at startup;
//!   [`cached_jwks`](CognitoVerifier::cached_jwks) exports the current set to bundle (below).
//! - **Several pools.** [`MultiPoolVerifier`] routes each token by its `iss` to the verifier of its
//!   pool, each with its own client ids and rules; two verifiers with one issuer are refused.
//!   [`IssuerFormat`] selects `cognito-idp` or `issuer-cognito-idp` issuers, and
//!   [`replica_regions`](CognitoVerifierBuilder::replica_regions) accepts a replicated pool's
//!   regional issuers.
//! - **Observability.** `tracing` events under the target `cognito_verifier::jwks`: each fetch
//!   (URI, status, usable key count, bytes, duration), each failure, each refetch refused by the
//!   cooldown. Tokens are never logged.
//!
//! # Key sets you hand over are configuration
//!
//! A key set given to the builder or loaded at run time never expires. The uses are explicit:
//!
//! - **Static** ([`static_jwks`](CognitoVerifierBuilder::static_jwks)): never fetched, never
//!   expires; building the verifier creates no HTTP client (it works without the `http`
//!   feature). For a Lambda function without egress, or an air-gapped service.
//! - **Preloaded, then refreshed** ([`jwks`](CognitoVerifierBuilder::jwks)): verifies at once
//!   and stays as a floor until a fetch succeeds and replaces it; a failing refresh never takes
//!   it away. For fast cold starts that still follow rotations.
//! - **At run time** ([`load_jwks`](CognitoVerifier::load_jwks), on every verifier kind):
//!   replaces the cached set, with the same guarantee. aws-jwt-verify calls this `cacheJwks`.
//!
//! [`KeyCacheConfig`] has the table of how each source ages and what removes a key. The round
//! trip for cold starts: fetch once, export, bundle, preload.
//!
//! ```no_run
//! use cognito_verifier::{CognitoVerifier, TokenUse};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // In a deploy step: fetch the pool's keys and save them.
//! let online = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! online.hydrate().await?;
//! std::fs::write("jwks.json", online.cached_jwks().unwrap_or_default())?;
//!
//! // At the cold start: preload the bundled file. It verifies at once, synchronously too, and
//! // follows rotations when the endpoint is reachable.
//! let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
//!     .client_ids(["3u4p8example"])
//!     .token_use(TokenUse::Access)
//!     .jwks(std::fs::read_to_string("jwks.json")?)
//!     .build()?;
//! # let token = "";
//! let claims = verifier.verify_access_sync(token)?;
//! # Ok(()) }
//! ```
//!
//! The synchronous `verify_*_sync` calls never do I/O: with no usable set cached they return
//! [`Error::KeyNotCached`] (503); for a kid the cached set lacks, [`Error::UnknownKid`] (401)
//! and, when a Tokio runtime is running, a background fetch picks up a rotation (within the
//! cooldown rules).
//!
//! # Integrations
//!
//! Every integration is a thin adapter over one framework-free core, the [`auth`] module: token
//! sources (`Authorization: Bearer`, a bare token, a named header, a cookie, tried in order), any
//! verifier ([`auth::Authenticate`]: [`CognitoVerifier`], [`MultiPoolVerifier`], [`JwtVerifier`]
//! or yours), a route [`auth::Policy`] (token kinds, required groups and scopes, checks,
//! optional authentication) and one verdict ([`auth::Rejection`]: status, RFC 6750 challenge,
//! body, `Retry-After`, gRPC code).
//!
//! - **tower and tonic** (feature `tower`): `tower::CognitoAuthLayer` wraps any
//!   `tower::Service<http::Request<B>>` whatever its response body; `.grpc()` answers with gRPC
//!   statuses for tonic. `examples/tonic.rs` serves helloworld's `Greeter` behind it. With
//!   feature `tower-http`, `CognitoAuthLayer::authorizer()` is the same policy as tower-http's
//!   `AsyncAuthorizeRequest`, for `AsyncRequireAuthorizationLayer`.
//! - **axum** (feature `axum`): the same layer, and the `axum::Claims<T>` extractor for any
//!   `T: DeserializeOwned` (typed Cognito claims or yours), with `Option<Claims<T>>` for
//!   optional authentication. Per-route requirements read as
//!   `route_layer(auth.required_groups(["admins"]))`. `examples/axum.rs` is a small API.
//! - **actix-web 4** (feature `actix`): the `actix::CognitoAuthLayer` middleware and the
//!   `actix::Claims<T>` extractor, with the same policy and answers; `examples/actix.rs`.
//! - **Application Load Balancers**: [`alb::AlbVerifier`] verifies the `x-amzn-oidc-data`
//!   user claims an ALB's `authenticate-cognito` action signs (ES256, keys per kid from the
//!   regional endpoint, the `signer` ARN checked); the module docs say which of the three ALB
//!   headers to trust for what. The layer reads that header when given an `AlbVerifier`.
//! - **API Gateway Lambda authorizers**: `examples/lambda-authorizer/` is a separate package
//!   (REST TOKEN, REST REQUEST, HTTP API simple and IAM responses), built on the public API only,
//!   with the verifier built once per cold start, optionally from a bundled JWKS file.
//! - **tracing**: events under `cognito_verifier::verify` (each rejection at `debug`, with its
//!   kind and issuer; acceptances at `trace`) and `cognito_verifier::jwks` (fetches, failures,
//!   cooldown refusals). Tokens are never logged. With no subscriber the cost is a load and a
//!   branch, below what the benchmarks can see.
//! - **Tests**: the `test-kit` feature's [`testkit::TestIssuer`] for your own test suites.
//!
//! # Security model
//!
//! - **Fail closed.** Every path that cannot prove a token genuine returns an [`Error`]. Bad input
//!   never panics: the library forbids `unsafe`, and CI denies `unwrap`, `expect`, `panic!` and
//!   unchecked indexing outside tests.
//! - **Nothing weakening is a default.** Client ids and token use must be set; skipping the client
//!   check takes a call named `danger_accept_any_client_id`. Plain `http` key URLs need
//!   `allow_insecure_http`.
//! - **The header chooses nothing but the key id.** The algorithm is pinned to RS256 whatever the
//!   header says, so `alg: none` and HS256-signed-with-the-public-key tokens fail; keys come only
//!   from the configured JWKS URI, never from `jku`/`x5u`/`jwk`/`x5c`.
//! - **Claims are read after the signature.** The JSON parser never sees unauthenticated claims.
//!   Duplicate checked claims (`exp`, `iss`, `aud`, `token_use`, …) are refused, so no two parsers
//!   can disagree about them.
//! - **Bounded work.** Token length, key id length, JSON nesting (serde_json's limit of 128), JWKS
//!   body size ([`DEFAULT_MAX_JWKS_BYTES`]), key count ([`DEFAULT_MAX_KEYS`]), key size
//!   ([`MAX_RSA_BITS`]) and fetch time ([`DEFAULT_CONNECT_TIMEOUT`], [`DEFAULT_REQUEST_TIMEOUT`])
//!   are all capped.
//! - **No fetch storms.** An unknown `kid` triggers at most one fetch at a time; after a fetch that
//!   failed or lacked the `kid`, unknown kids fail at once for a cooldown.
//! - **No secrets in errors.** Errors never hold the token, its signature or key material; values
//!   copied from a token are cut to [`EXCERPT_MAX`] characters.
//! - **Not done:** refresh tokens (encrypted, readable only by Cognito) cannot be verified;
//!   revocation done at Cognito (`GlobalSignOut`, `RevokeToken`) is not learned, as it needs a
//!   call to Cognito: what the application revokes itself is refused
//!   ([`CognitoVerifierBuilder::revocations`]).
//!
//! The full model, against RFC 8725 and AWS's verification steps, with every limit and its
//! default, is in the [`security`] module (and SECURITY.md).
//!
//! # Crate features
//!
//! All additive.
//!
//! - `http` (on by default): fetching key sets over HTTP(S) with reqwest and rustls
//!   (`HttpFetcher`). With `default-features = false` the crate builds and verifies with static
//!   key sets and custom [`JwksFetcher`]s, and compiles no HTTP or TLS stack.
//! - `tower` (off by default): the `tower` module, a layer for any tower service (tonic too).
//! - `tower-http` (off by default; turns on `tower`): `tower::Authorizer`, the layer's policy as
//!   tower-http 0.6's `AsyncAuthorizeRequest`.
//! - `actix` (off by default): the `actix` module, middleware and extractor for actix-web 4.
//! - `axum` (off by default; turns on `tower`): the `axum` module, a tower layer and an extractor for axum 0.8.
//! - `test-kit` (off by default; turns on `http`): [`testkit::TestIssuer`], a local Cognito-shaped issuer for your tests. It
//!   generates RSA keys, serves their JWKS on 127.0.0.1 and mints tokens.
//! - `unstable-internals`: hidden entry points for this crate's benchmarks and fuzzers; not
//!   covered by semver.
//!
//! # Debug builds
//!
//! aws-lc's C code is compiled with your profile's optimisation level, and unoptimised RSA makes
//! debug builds and tests needlessly slow. Put this in your application's `Cargo.toml`:
//!
//! ```toml
//! [profile.dev.package.aws-lc-sys]
//! opt-level = 3
//! [profile.dev.package.aws-lc-rs]
//! opt-level = 3
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod auth;
mod clock;
mod cognito;
mod error;
mod jwks;
mod jwt;
mod partition;
mod verifier;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::cognito::claims::{AccessClaims, CognitoClaims, IdClaims, Scopes, TokenUse};
pub use crate::cognito::multi::MultiPoolVerifier;
pub use crate::cognito::pool::{IssuerFormat, UserPoolId};
pub use crate::cognito::revocation::{
    DEFAULT_MAX_REVOCATIONS, DEFAULT_REVOCATION_LIFETIME, MAX_REVOCATION_ID_LEN, RevocationError,
    RevocationList, RevocationListBuilder, Revocations,
};
pub use crate::cognito::token_cache::{
    DEFAULT_TOKEN_CACHE_BYTES, MAX_TOKEN_CACHE_TTL, TokenCacheConfig,
};
pub use crate::cognito::verifier::{
    ClaimsCheck, CognitoVerifier, CognitoVerifierBuilder, TokenHeader,
};
pub use crate::error::{BuildError, EXCERPT_MAX, Error, ErrorKind, JwksError};
pub use crate::jwks::cache::{DEFAULT_FETCH_DEADLINE, KeyCacheConfig};
pub use crate::jwks::fetch::{BoxFuture, DEFAULT_MAX_JWKS_BYTES, FetchedJwks, JwksFetcher};
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use crate::jwks::http::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, HttpFetcher, HttpFetcherBuilder,
    MAX_FETCH_TIMEOUT,
};
pub use crate::jwks::key::DEFAULT_MAX_KEYS;
pub use crate::jwt::parse::{DEFAULT_MAX_TOKEN_LEN, MAX_KID_LEN};
pub use crate::jwt::signature::{MAX_RSA_BITS, MIN_RSA_BITS};
pub use crate::partition::Partition;
pub use crate::verifier::{DEFAULT_LEEWAY, JwtVerifier, JwtVerifierBuilder, MAX_LEEWAY};

pub mod alb;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;

#[cfg(feature = "aws-lambda")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-lambda")))]
pub mod aws_lambda;

#[cfg(feature = "test-kit")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-kit")))]
pub mod testkit;

/// Hidden entry points for this crate's benchmarks. Not covered by semver; never use them.
#[cfg(feature = "unstable-internals")]
#[doc(hidden)]
pub mod internals {
    use crate::{AccessClaims, CognitoVerifier, Error};

    /// Stages 1–2: decode the token and check its header.
    ///
    /// # Errors
    /// As a verification would at those stages.
    pub fn parse(token: &str) -> Result<(), Error> {
        let decoded = crate::jwt::parse::DecodedToken::decode(token, crate::DEFAULT_MAX_TOKEN_LEN)?;
        decoded.header().map(drop)
    }

    /// Parse, cached key lookup and every claim check of an access token: the pipeline without
    /// the RSA signature check and without building the typed claims.
    ///
    /// # Errors
    /// As a verification would, except that a bad signature is not detected.
    pub fn check_access_without_signature(
        verifier: &CognitoVerifier,
        token: &str,
    ) -> Result<(), Error> {
        verifier
            .danger_verify_access_without_signature(token, false)
            .map(drop)
    }

    /// The bytes the verified-token cache weighs an entry at, for a token whose signed part
    /// (header and payload) is `signed_len` bytes long.
    pub fn token_cache_entry_bytes(signed_len: usize) -> u64 {
        crate::cognito::token_cache::entry_bytes(signed_len)
    }

    /// Parses a JWKS document as the key cache would; returns the kids of the usable keys.
    ///
    /// # Errors
    /// When the document is not a usable key set.
    pub fn parse_jwks(document: &[u8]) -> Result<Vec<String>, crate::JwksError> {
        crate::jwks::key::KeySet::parse(document, crate::DEFAULT_MAX_KEYS).map(|s| s.usable_kids())
    }

    /// As [`check_access_without_signature`], then the typed claims too.
    ///
    /// # Errors
    /// As a verification would, except that a bad signature is not detected.
    pub fn verify_access_without_signature(
        verifier: &CognitoVerifier,
        token: &str,
    ) -> Result<Option<AccessClaims>, Error> {
        verifier.danger_verify_access_without_signature(token, true)
    }
}

#[doc = include_str!("../SECURITY.md")]
pub mod security {}

// The README's Rust examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
