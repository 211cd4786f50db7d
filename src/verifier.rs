//! The generic verifier: any issuer, any JWKS URI, RS256 only.
//!
//! The pipeline runs one way: token text → [`DecodedToken`] (no crypto) → key by `kid` →
//! signature → claims → typed result. Claims are parsed only after the signature holds.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::clock::{Clock, SystemClock};
#[cfg(doc)]
use crate::error::JwksError;
use crate::error::{BuildError, Error};
use crate::jwks::cache::{KeyCacheConfig, KeyStore, Source};
use crate::jwks::fetch::JwksFetcher;
use crate::jwt::claims::{ClaimsView, RegisteredView, Validation};
use crate::jwt::parse::{DEFAULT_MAX_TOKEN_LEN, DecodedToken, parse_json_object};
use crate::jwt::signature::RsaPublicKey;

/// The default tolerance for clock skew when checking `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(10);
/// The largest leeway a builder accepts. More than this is almost certainly a unit mistake.
pub const MAX_LEEWAY: Duration = Duration::from_secs(600);

/// Verifies RS256 JWTs from one issuer, with keys from its JWKS URI.
///
/// Cheap to clone (one `Arc`); clones share the key cache. `Send + Sync`.
///
/// ```no_run
/// use cognito_verifier::JwtVerifier;
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = JwtVerifier::builder(
///     "https://issuer.example.com",
///     "https://issuer.example.com/.well-known/jwks.json",
/// )
/// .audiences(["my-api"])
/// .build()?;
/// let claims: serde_json::Value = verifier.verify(token).await?;
/// println!("subject: {}", claims["sub"]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    validation: Validation,
    keys: Arc<KeyStore>,
    clock: Arc<dyn Clock>,
    max_token_len: usize,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuers", &self.inner.validation.issuers)
            .field("audiences", &self.inner.validation.audiences)
            .field("leeway_secs", &self.inner.validation.leeway)
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Starts configuring a verifier for tokens whose `iss` is exactly `issuer`, signed with keys
    /// from `jwks_uri`.
    pub fn builder(issuer: impl Into<String>, jwks_uri: impl Into<String>) -> JwtVerifierBuilder {
        JwtVerifierBuilder {
            issuer: issuer.into(),
            jwks_uri: jwks_uri.into(),
            audiences: Audiences::Unset,
            core: CoreOptions::default(),
        }
    }

    /// Verifies `token` and deserializes its claims into `T`. Fetches the key set if the `kid` is
    /// not cached (see [`KeyCacheConfig`] for when and how often).
    ///
    /// # Errors
    /// An [`Error`] naming the first check that failed.
    pub async fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        let result = async {
            let signed = self.verify_signature(token, false).await?;
            self.finish_generic(&signed)
        }
        .await;
        observe(&result, self.issuer());
        result
    }

    /// Like [`verify`](Self::verify), but uses only cached keys and never does I/O: for
    /// synchronous code after [`hydrate`](Self::hydrate) or a preloaded key set.
    ///
    /// # Errors
    /// [`Error::KeyNotCached`] when the key is not cached; otherwise as [`verify`](Self::verify).
    pub fn verify_sync<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        let result = self
            .verify_signature_cached(token, false)
            .and_then(|signed| self.finish_generic(&signed));
        observe(&result, self.issuer());
        result
    }

    /// Fetches the key set now (at startup, to take the first fetch off the first request).
    /// Ignores the refetch cooldown.
    ///
    /// # Errors
    /// [`Error::Jwks`] when the key set cannot be fetched or is invalid.
    pub async fn hydrate(&self) -> Result<(), Error> {
        self.inner.keys.refresh().await
    }

    /// Loads a key set into the built verifier at run time (what aws-jwt-verify calls
    /// `cacheJwks`), replacing the cached one. Like a set given to the builder it is
    /// configuration, not a cache entry: it never expires. A static verifier keeps only it; a
    /// fetching verifier keeps it as a floor until a fetch succeeds. Clones share it.
    ///
    /// # Errors
    /// [`Error::Jwks`] ([`JwksError::InvalidDocument`] or [`JwksError::TooManyKeys`], kind
    /// `invalid_jwks`) when the document is not a usable key set; the cached set is then left
    /// as it was. Every verifier's `load_jwks` returns [`Error`].
    pub fn load_jwks(&self, document: impl AsRef<[u8]>) -> Result<(), Error> {
        self.inner
            .keys
            .load_document(document.as_ref())
            .map_err(Error::Jwks)
    }

    /// The cached JWKS document, exactly as fetched or loaded, if any. Save it and pass it to
    /// the builder's `jwks` (or `static_jwks`) setter at the next cold start.
    pub fn cached_jwks(&self) -> Option<String> {
        self.inner
            .keys
            .document()
            .and_then(|d| String::from_utf8(d.to_vec()).ok())
    }

    /// The (primary) issuer whose tokens are accepted.
    pub fn issuer(&self) -> &str {
        self.issuers().first().map_or("", |s| &**s)
    }

    /// Every accepted issuer, the primary first.
    pub fn issuers(&self) -> &[Box<str>] {
        &self.inner.validation.issuers
    }

    pub(crate) fn max_token_len(&self) -> usize {
        self.inner.max_token_len
    }

    /// The URI keys are fetched from.
    pub fn jwks_uri(&self) -> &str {
        self.inner.keys.uri()
    }

    fn finish_generic<T: DeserializeOwned>(&self, signed: &SignedToken<'_>) -> Result<T, Error> {
        let view: RegisteredView<'_> = self.check_claims(signed, None)?;
        drop(view);
        deserialize_claims(signed.payload_json())
    }

    /// Stages 1–4: parse, key lookup (fetching if needed), signature. With `keep_key`, the
    /// result remembers which key verified it (for the token cache).
    pub(crate) async fn verify_signature<'t>(
        &self,
        token: &'t str,
        keep_key: bool,
    ) -> Result<SignedToken<'t>, Error> {
        let now = self.inner.clock.now();
        let decoded = DecodedToken::decode(token, self.inner.max_token_len)?;
        let header = decoded.header()?;
        let key = self
            .inner
            .keys
            .with_key(&header.kid, now, |key| {
                key.verify(decoded.signing_input(), decoded.signature())
                    .map(|()| keep_key.then(|| (header.kid.as_ref().into(), Arc::downgrade(key))))
            })
            .await??;
        Ok(SignedToken { decoded, now, key })
    }

    /// The claims of `token` as JSON when its signature holds with a cached key (no I/O),
    /// whatever else is wrong with it: for rejections that carry the verified claims.
    pub(crate) fn signed_claims(&self, token: &str) -> Option<serde_json::Value> {
        let signed = self.verify_signature_cached(token, false).ok()?;
        serde_json::from_slice(signed.payload_json()).ok()
    }

    /// Stages 1–4 with cached keys only.
    pub(crate) fn verify_signature_cached<'t>(
        &self,
        token: &'t str,
        keep_key: bool,
    ) -> Result<SignedToken<'t>, Error> {
        let now = self.inner.clock.now();
        let decoded = DecodedToken::decode(token, self.inner.max_token_len)?;
        let header = decoded.header()?;
        let key = self.inner.keys.with_cached_key(&header.kid, now, |key| {
            key.verify(decoded.signing_input(), decoded.signature())
                .map(|()| keep_key.then(|| (header.kid.as_ref().into(), Arc::downgrade(key))))
        })??;
        Ok(SignedToken { decoded, now, key })
    }

    /// Whether `kid` still names exactly the key `same` accepts, in a key set that is still
    /// usable at `now`. Never does I/O.
    pub(crate) fn key_is_current(
        &self,
        kid: &str,
        now: Duration,
        same: impl FnOnce(&Arc<RsaPublicKey>) -> bool,
    ) -> bool {
        self.inner.keys.holds_key(kid, now, same)
    }

    /// The clock.
    pub(crate) fn now(&self) -> Duration {
        self.inner.clock.now()
    }

    /// The leeway, in seconds.
    pub(crate) fn leeway_secs(&self) -> u64 {
        self.inner.validation.leeway
    }

    /// Stages 1–3 with cached keys, and no signature check: for benchmarks of the non-RSA cost.
    #[cfg(feature = "unstable-internals")]
    pub(crate) fn danger_skip_signature_cached<'t>(
        &self,
        token: &'t str,
    ) -> Result<SignedToken<'t>, Error> {
        let now = self.inner.clock.now();
        let decoded = DecodedToken::decode(token, self.inner.max_token_len)?;
        let header = decoded.header()?;
        self.inner.keys.with_cached_key(&header.kid, now, |_| ())?;
        Ok(SignedToken {
            decoded,
            now,
            key: None,
        })
    }

    /// Stage 5: parses the verified payload into the view `V` and checks the registered claims
    /// against the time the verification started.
    pub(crate) fn check_claims<'d, V: ClaimsView<'d>>(
        &self,
        signed: &'d SignedToken<'_>,
        nonce: Option<&str>,
    ) -> Result<V, Error> {
        let view: V = parse_json_object(signed.payload_json(), "payload")?;
        self.inner
            .validation
            .check(&view.registered(), signed.now, nonce)?;
        Ok(view)
    }
}

/// One `tracing` event per verification, under the target `cognito_verifier::verify`: a
/// rejection at `debug` (its kind, the issuer, the error's message, whose values copied from the
/// token are excerpts), an acceptance at `trace`. Never the token. With no subscriber listening
/// this is a load and a branch.
pub(crate) fn observe<T>(result: &Result<T, Error>, issuer: &str) {
    match result {
        Ok(_) => tracing::trace!(target: "cognito_verifier::verify", issuer, "token accepted"),
        Err(error) => tracing::debug!(
            target: "cognito_verifier::verify",
            issuer,
            kind = error.kind().as_str(),
            %error,
            "token rejected"
        ),
    }
}

/// A token whose signature verified, with the time its verification started (read once, for the
/// key cache and the claims alike).
pub(crate) struct SignedToken<'t> {
    decoded: DecodedToken<'t>,
    now: Duration,
    /// The kid and key that verified the signature, when asked for.
    key: Option<(Box<str>, Weak<RsaPublicKey>)>,
}

impl SignedToken<'_> {
    pub(crate) fn payload_json(&self) -> &[u8] {
        self.decoded.payload_json()
    }

    /// The header and payload as sent: the bytes the signature was verified over.
    pub(crate) fn signing_input(&self) -> &[u8] {
        self.decoded.signing_input()
    }

    /// The `kid` of the verified header (parsed again: for the rare callers that need it).
    pub(crate) fn kid(&self) -> Result<String, Error> {
        Ok(self.decoded.header()?.kid.into_owned())
    }

    pub(crate) fn take_key(&mut self) -> Option<(Box<str>, Weak<RsaPublicKey>)> {
        self.key.take()
    }
}

/// Stage 6: the caller's claims type.
pub(crate) fn deserialize_claims<T: DeserializeOwned>(payload: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(payload).map_err(|e| Error::ClaimsType {
        reason: e.to_string(),
    })
}

#[derive(Debug, Clone)]
enum Audiences {
    Unset,
    Any,
    List(Vec<String>),
}

/// Configures a [`JwtVerifier`]. Made by [`JwtVerifier::builder`].
#[derive(Debug)]
pub struct JwtVerifierBuilder {
    issuer: String,
    jwks_uri: String,
    audiences: Audiences,
    core: CoreOptions,
}

impl JwtVerifierBuilder {
    /// The accepted audiences: `aud` must name at least one. Required, unless
    /// [`danger_accept_any_audience`](Self::danger_accept_any_audience) is called.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = Audiences::List(audiences.into_iter().map(Into::into).collect());
        self
    }

    /// Skips the `aud` check: any audience is accepted. Only for issuers whose tokens are all
    /// meant for you.
    pub fn danger_accept_any_audience(mut self) -> Self {
        self.audiences = Audiences::Any;
        self
    }

    core_setters!();

    /// Builds the verifier.
    ///
    /// # Errors
    /// [`BuildError`] when the audiences were neither set nor opted out of, a URI is invalid, a
    /// setting is out of range, or a preloaded JWKS document is invalid.
    pub fn build(self) -> Result<JwtVerifier, BuildError> {
        let audiences = match self.audiences {
            Audiences::Unset => {
                return Err(BuildError::Missing(
                    "no audiences: call audiences([...]) or danger_accept_any_audience()",
                ));
            }
            Audiences::Any => None,
            Audiences::List(list) if list.is_empty() => {
                return Err(BuildError::Missing(
                    "audiences([...]) was given an empty list",
                ));
            }
            Audiences::List(list) => Some(list),
        };
        self.core.build(&self.issuer, &self.jwks_uri, audiences)
    }
}

/// The setters every verifier builder shares; each builder holds a `core: CoreOptions`.
macro_rules! core_setters {
    () => {
        /// Tolerance for clock skew on `exp`, `nbf` and `iat`. Default
        /// [`DEFAULT_LEEWAY`](crate::DEFAULT_LEEWAY) (10 s); at most
        /// [`MAX_LEEWAY`](crate::MAX_LEEWAY) (600 s).
        pub fn leeway(mut self, leeway: ::std::time::Duration) -> Self {
            self.core.leeway = leeway;
            self
        }

        /// The clock for every time decision. Default [`SystemClock`](crate::SystemClock).
        pub fn clock(mut self, clock: impl crate::Clock) -> Self {
            self.core.clock = ::std::sync::Arc::new(clock);
            self
        }

        /// Allows a plain `http://` JWKS URI (local emulators, tests). Off by default: only
        /// `https://`.
        pub fn allow_insecure_http(mut self) -> Self {
            self.core.allow_http = true;
            self
        }

        /// The longest token accepted, in bytes; longer ones are refused before any decoding.
        /// Default [`DEFAULT_MAX_TOKEN_LEN`](crate::DEFAULT_MAX_TOKEN_LEN) (16 KiB).
        pub fn max_token_len(mut self, bytes: usize) -> Self {
            self.core.max_token_len = bytes;
            self
        }

        /// How keys are cached and refreshed (see [`KeyCacheConfig`](crate::KeyCacheConfig)).
        pub fn key_cache(mut self, config: crate::KeyCacheConfig) -> Self {
            self.core.cache = config;
            self
        }

        /// Where key sets come from. Default (feature `http`): an `HttpFetcher` with its
        /// defaults (and plain `http` if `allow_insecure_http` was called). Every fetch is
        /// bounded by the key cache's [`fetch_deadline`](crate::KeyCacheConfig::fetch_deadline).
        pub fn fetcher(mut self, fetcher: impl crate::JwksFetcher) -> Self {
            self.core.fetcher = Some(::std::sync::Arc::new(fetcher));
            self
        }

        /// Preloads a JWKS document (for example one bundled with a Lambda function: read it
        /// with `std::fs::read_to_string`), so the first verification does not wait on the
        /// network. The preloaded set is a floor: it never expires, and keeps verifying until
        /// a fetch succeeds and replaces it; a failing refresh never takes it away. It is
        /// refreshed like a fetched set (and an unknown `kid` triggers a fetch). For a set that
        /// must never be fetched, use [`static_jwks`](Self::static_jwks).
        ///
        /// `build()` refuses a document that is not a valid key set.
        pub fn jwks(mut self, document: impl Into<String>) -> Self {
            self.core.jwks_document =
                Some((document.into(), crate::verifier::KeySource::Preloaded));
            self
        }

        /// Verifies with this key set only: it is never fetched and never expires, and building
        /// the verifier creates no HTTP client (this works without the `http` feature). A token
        /// whose `kid` is not in the set is `unknown_kid`. Replace the set at run time with
        /// `load_jwks` on the verifier.
        ///
        /// `build()` refuses a document that is not a valid key set, and a `fetcher` given
        /// besides.
        ///
        /// ```
        /// # use cognito_verifier::{CognitoVerifier, TokenUse};
        /// let jwks = r#"{"keys":[]}"#; // in real use: std::fs::read_to_string("jwks.json")?
        /// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
        ///     .client_ids(["3u4p8example"])
        ///     .token_use(TokenUse::Access)
        ///     .static_jwks(jwks)
        ///     .build()?;
        /// # Ok::<(), cognito_verifier::BuildError>(())
        /// ```
        pub fn static_jwks(mut self, document: impl Into<String>) -> Self {
            self.core.jwks_document = Some((document.into(), crate::verifier::KeySource::Static));
            self
        }
    };
}
pub(crate) use core_setters;

/// How a key set handed to a builder is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// A floor, refreshed by fetching (`jwks`).
    Preloaded,
    /// The only keys; nothing is fetched (`static_jwks`).
    Static,
}

/// Settings shared by every verifier builder.
#[derive(Debug)]
pub(crate) struct CoreOptions {
    pub(crate) leeway: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) allow_http: bool,
    pub(crate) max_token_len: usize,
    pub(crate) cache: KeyCacheConfig,
    pub(crate) fetcher: Option<Arc<dyn JwksFetcher>>,
    pub(crate) jwks_document: Option<(String, KeySource)>,
    /// Issuers accepted besides the primary one (keys still come from the one JWKS URI).
    pub(crate) extra_issuers: Vec<String>,
}

impl Default for CoreOptions {
    fn default() -> Self {
        Self {
            leeway: DEFAULT_LEEWAY,
            clock: Arc::new(SystemClock),
            allow_http: false,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            cache: KeyCacheConfig::default(),
            fetcher: None,
            jwks_document: None,
            extra_issuers: Vec::new(),
        }
    }
}

impl CoreOptions {
    pub(crate) fn build(
        self,
        issuer: &str,
        jwks_uri: &str,
        audiences: Option<Vec<String>>,
    ) -> Result<JwtVerifier, BuildError> {
        if issuer.is_empty() {
            return Err(BuildError::Missing("the issuer is empty"));
        }
        let fetches = !matches!(&self.jwks_document, Some((_, KeySource::Static)));
        if fetches {
            check_url(jwks_uri, "JWKS URI", self.allow_http)?;
        }
        if self.leeway > MAX_LEEWAY {
            return Err(BuildError::InvalidSetting {
                setting: "leeway",
                reason: "more than 600 seconds",
            });
        }
        if self.max_token_len == 0 {
            return Err(BuildError::InvalidSetting {
                setting: "max_token_len",
                reason: "must be more than zero",
            });
        }
        self.cache.validate()?;
        let source = match (&self.jwks_document, self.fetcher) {
            (Some((_, KeySource::Static)), Some(_)) => {
                return Err(BuildError::InvalidSetting {
                    setting: "static_jwks",
                    reason: "a static key set is never fetched: give static_jwks or a fetcher, not both",
                });
            }
            (Some((_, KeySource::Static)), None) => Source::Static,
            (_, Some(given)) => Source::Fetch(given),
            (_, None) => Source::Fetch(default_fetcher(self.allow_http)?),
        };
        let keys = Arc::new(KeyStore::new(
            jwks_uri,
            source,
            Arc::clone(&self.clock),
            self.cache,
        ));
        if let Some((document, source)) = &self.jwks_document {
            let setting = match source {
                KeySource::Preloaded => "jwks",
                KeySource::Static => "static_jwks",
            };
            keys.load_document(document.as_bytes())
                .map_err(|_| BuildError::InvalidSetting {
                    setting,
                    reason: "the JWKS document is not a valid key set",
                })?;
        }
        Ok(JwtVerifier {
            inner: Arc::new(Inner {
                validation: Validation {
                    issuers: std::iter::once(issuer)
                        .chain(self.extra_issuers.iter().map(String::as_str))
                        .map(Into::into)
                        .collect(),
                    audiences: audiences.map(|a| a.into_iter().map(Into::into).collect()),
                    leeway: self.leeway.as_secs(),
                },
                keys,
                clock: self.clock,
                max_token_len: self.max_token_len,
            }),
        })
    }
}

/// The fetcher a builder uses when none is given.
#[cfg(feature = "http")]
pub(crate) fn default_fetcher(allow_http: bool) -> Result<Arc<dyn JwksFetcher>, BuildError> {
    let mut http = crate::HttpFetcher::builder();
    if allow_http {
        http = http.allow_insecure_http();
    }
    Ok(Arc::new(http.build()?))
}

/// Without the `http` feature there is no default fetcher.
#[cfg(not(feature = "http"))]
pub(crate) fn default_fetcher(_allow_http: bool) -> Result<Arc<dyn JwksFetcher>, BuildError> {
    Err(BuildError::Missing(
        "no key source: the `http` feature is off, so give static_jwks(..) or fetcher(..)",
    ))
}

/// Checks that `url` is an absolute `https` (or, when allowed, `http`) URL with a host: ASCII, no
/// white space or control characters, no credentials, a port (if any) that is a number up to
/// 65535. Written here rather than borrowed from the HTTP stack so that builds without the `http`
/// feature check configuration the same way.
pub(crate) fn check_url(url: &str, what: &'static str, allow_http: bool) -> Result<(), BuildError> {
    let invalid = |reason| BuildError::InvalidUrl {
        what,
        url: url.to_owned(),
        reason,
    };
    if url.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "not an absolute URL of printable ASCII without spaces",
        ));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid("not an absolute URL"));
    };
    if scheme.eq_ignore_ascii_case("https") {
    } else if scheme.eq_ignore_ascii_case("http") {
        if !allow_http {
            return Err(invalid(
                "plain http is refused unless allow_insecure_http() is set",
            ));
        }
    } else {
        return Err(invalid("the scheme is not https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("credentials in the URL are refused"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Err(invalid("an IPv6 host without its closing bracket"));
        };
        if addr.is_empty()
            || !addr
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(invalid("an invalid IPv6 host"));
        }
        match after {
            "" => (addr, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (addr, Some(port)),
                None => return Err(invalid("text after the IPv6 host")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
    {
        return Err(invalid("the host has characters a host name cannot have"));
    }
    if let Some(port) = port
        && (port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u32>().map_or(true, |p| p > 65_535))
    {
        return Err(invalid("the port is not a number up to 65535"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> JwtVerifierBuilder {
        JwtVerifier::builder("https://iss.example", "https://iss.example/jwks.json")
    }

    #[test]
    fn audiences_must_be_set_or_opted_out() {
        assert!(matches!(builder().build(), Err(BuildError::Missing(_))));
        assert!(matches!(
            builder().audiences(Vec::<String>::new()).build(),
            Err(BuildError::Missing(_))
        ));
        assert!(builder().audiences(["a"]).build().is_ok());
        assert!(builder().danger_accept_any_audience().build().is_ok());
    }

    #[test]
    fn urls_and_settings_are_checked() {
        let http = JwtVerifier::builder("i", "http://127.0.0.1/jwks").danger_accept_any_audience();
        assert!(matches!(http.build(), Err(BuildError::InvalidUrl { .. })));
        let http = JwtVerifier::builder("i", "http://127.0.0.1/jwks").danger_accept_any_audience();
        assert!(http.allow_insecure_http().build().is_ok());
        for bad in ["", "jwks.json", "ftp://x/jwks", "https://"] {
            let b = JwtVerifier::builder("i", bad).danger_accept_any_audience();
            assert!(
                matches!(b.build(), Err(BuildError::InvalidUrl { .. })),
                "{bad}"
            );
        }
        let b = JwtVerifier::builder("", "https://x/jwks").danger_accept_any_audience();
        assert!(b.build().is_err());
        let b = builder()
            .danger_accept_any_audience()
            .leeway(Duration::from_secs(601));
        assert!(matches!(
            b.build(),
            Err(BuildError::InvalidSetting {
                setting: "leeway",
                ..
            })
        ));
        let b = builder().danger_accept_any_audience().max_token_len(0);
        assert!(b.build().is_err());
        let b = builder().danger_accept_any_audience().jwks("not json");
        assert!(matches!(
            b.build(),
            Err(BuildError::InvalidSetting {
                setting: "jwks",
                ..
            })
        ));
        let b = builder()
            .danger_accept_any_audience()
            .key_cache(KeyCacheConfig::default().max_keys(0));
        assert!(b.build().is_err());
    }

    #[test]
    fn verifier_is_send_sync_clone_and_debug() {
        fn check<T: Send + Sync + Clone + fmt::Debug + 'static>() {}
        check::<JwtVerifier>();
        let v = builder().audiences(["a"]).build().unwrap();
        assert_eq!(v.issuer(), "https://iss.example");
        assert_eq!(v.jwks_uri(), "https://iss.example/jwks.json");
        assert!(v.cached_jwks().is_none());
        assert!(format!("{v:?}").contains("iss.example"));
    }
}
