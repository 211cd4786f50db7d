//! The errors of verification and of configuration.
//!
//! [`Error`] is what [`JwtVerifier`](crate::JwtVerifier) and
//! [`CognitoVerifier`](crate::CognitoVerifier) return when a token is not accepted. Each variant
//! has a stable snake_case name ([`Error::kind`]) that logs, metrics and the `verify` example print.
//! [`Error::is_key_unavailable`] tells "this token is bad" (answer 401) from "keys cannot be had
//! right now" (answer 503).
//!
//! No error ever holds the token, its signature or key material. Values copied from a token
//! (`kid`, `iss`, `alg`, …) are cut to [`EXCERPT_MAX`] characters.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The longest excerpt of an attacker-controlled value that an error keeps, in characters.
pub const EXCERPT_MAX: usize = 64;

/// Why a token was not accepted.
///
/// Variants are grouped by the stage of verification that produces them, in the order the stages
/// run: token text and header, key lookup, signature, claims.
///
/// # Example
/// ```
/// use cognito_verifier::Error;
///
/// fn status(err: &Error) -> u16 {
///     if err.is_key_unavailable() { 503 } else { 401 }
/// }
/// assert_eq!(status(&Error::InvalidSignature), 401);
/// assert_eq!(Error::InvalidSignature.kind().as_str(), "invalid_signature");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- token text and header (no crypto, no I/O) ----
    /// The token is not a well-formed JWS in compact form: wrong length, segment count, base64url,
    /// JSON, or a header field of the wrong type.
    #[error("malformed token: {reason}")]
    Malformed {
        /// What is wrong, in words.
        reason: Cow<'static, str>,
    },
    /// The header's `alg` is not one this verifier accepts (only `RS256`).
    #[error("unsupported algorithm \"{found}\": only RS256 (ALB user claims: ES256) is accepted")]
    UnsupportedAlgorithm {
        /// The `alg` the token named (an excerpt).
        found: String,
    },
    /// The header carries a parameter the verifier refuses to process (`crit`).
    #[error("unsupported header parameter {name:?}")]
    UnsupportedHeader {
        /// The parameter's name.
        name: &'static str,
    },
    /// The header has no `kid` (or a `null` one), so no key can be chosen.
    #[error("token header has no kid")]
    MissingKid,

    // ---- key lookup ----
    /// No key with this `kid` is in the issuer's key set, even after a refetch (or while refetches
    /// are cooling down).
    #[error("no key with kid \"{kid}\" in the issuer's key set")]
    UnknownKid {
        /// The `kid` the token named (an excerpt).
        kid: String,
    },
    /// The key set has a key with this `kid`, but it is not a usable RS256 signing key (not RSA, or
    /// `use`/`alg` say it is for something else).
    #[error("key \"{kid}\" cannot verify RS256 signatures: {reason}")]
    UnusableKey {
        /// The `kid` (an excerpt).
        kid: String,
        /// Why the key was not accepted.
        reason: &'static str,
    },
    /// The key with this `kid` is an RSA key with too small a modulus.
    #[error("key \"{kid}\" has a {bits}-bit modulus, below the {min_bits}-bit minimum")]
    WeakKey {
        /// The `kid` (an excerpt).
        kid: String,
        /// The modulus size of the key.
        bits: usize,
        /// The smallest modulus accepted.
        min_bits: usize,
    },
    /// No usable key set is cached, and [`verify_sync`](crate::JwtVerifier::verify_sync) does
    /// no I/O. Call `hydrate()` first, preload or load a key set, or verify asynchronously. (A
    /// `kid` missing from a usable cached set is [`Error::UnknownKid`].)
    #[error("no usable key set is cached (for kid \"{kid}\") and this call does no network I/O")]
    KeyNotCached {
        /// The `kid` (an excerpt).
        kid: String,
    },
    /// The issuer's key set could not be fetched or used, and no usable cached copy exists.
    #[error("signing keys unavailable: {0}")]
    Jwks(#[from] JwksError),

    // ---- signature ----
    /// The signature does not verify with the issuer's key.
    #[error("invalid signature")]
    InvalidSignature,

    // ---- claims (checked only after the signature holds) ----
    /// A claim that the policy requires is absent.
    #[error("required claim {claim:?} is missing")]
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A claim is present but has the wrong JSON type or an impossible value.
    #[error("claim {claim:?} is invalid: {reason}")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
    /// `exp` (plus leeway) is in the past.
    #[error("token expired at {exp} (now {now}, leeway {leeway}s)")]
    Expired {
        /// The token's `exp`, seconds since the Unix epoch.
        exp: i64,
        /// The verifier's clock, seconds since the Unix epoch.
        now: i64,
        /// The leeway allowed, in seconds.
        leeway: u64,
    },
    /// `nbf` (minus leeway) is in the future.
    #[error("token not valid before {nbf} (now {now}, leeway {leeway}s)")]
    NotYetValid {
        /// The token's `nbf`, seconds since the Unix epoch.
        nbf: i64,
        /// The verifier's clock, seconds since the Unix epoch.
        now: i64,
        /// The leeway allowed, in seconds.
        leeway: u64,
    },
    /// `iat` (minus leeway) is in the future.
    #[error("token issued in the future at {iat} (now {now}, leeway {leeway}s)")]
    IssuedInFuture {
        /// The token's `iat`, seconds since the Unix epoch.
        iat: i64,
        /// The verifier's clock, seconds since the Unix epoch.
        now: i64,
        /// The leeway allowed, in seconds.
        leeway: u64,
    },
    /// `iss` is not the configured issuer.
    #[error("wrong issuer \"{found}\"")]
    WrongIssuer {
        /// The token's `iss` (an excerpt).
        found: String,
    },
    /// `aud` names none of the accepted audiences (client ids, for Cognito ID tokens).
    #[error("wrong audience \"{found}\"")]
    WrongAudience {
        /// The token's `aud` values, joined with `,` (an excerpt).
        found: String,
    },
    /// `nonce` is not the expected one.
    #[error("nonce does not match the expected value")]
    WrongNonce,
    /// Cognito's `token_use` is not the kind of token the caller asked for.
    #[error("wrong token_use \"{found}\", expected {expected}")]
    WrongTokenUse {
        /// What was accepted (`id`, `access`, or `id or access`).
        expected: &'static str,
        /// The token's `token_use` (an excerpt).
        found: String,
    },
    /// Cognito's `client_id` (access tokens) is none of the accepted client ids.
    #[error("wrong client_id \"{found}\"")]
    WrongClientId {
        /// The token's `client_id` (an excerpt).
        found: String,
    },
    /// An Application Load Balancer token's `signer` is none of the trusted load balancer ARNs.
    #[error("wrong signer \"{found}\"")]
    WrongSigner {
        /// The header's `signer` (an excerpt).
        found: String,
    },
    /// The token's `cognito:groups` contain none of the required groups.
    #[error("token is in none of the required groups")]
    MissingGroup,
    /// The token's `scope` contains none of the required scopes.
    #[error("token has none of the required scopes")]
    MissingScope,
    /// The token is authentic and met every rule, but a check of the application's (the
    /// verifier builder's `check_claims`, or a route policy's `check`) refused it: answer 403. The reason is
    /// the check's own words: for logs, never for the response.
    #[error("refused by a check: {reason}")]
    RejectedByCheck {
        /// Why the check refused the token.
        reason: String,
    },
    /// The token is authentic and met every rule, but the application revoked it: its session
    /// (`origin_jti`) or the token itself (`jti`) is in the verifier's
    /// [`Revocations`](crate::Revocations). Answer 401: the client must sign in again.
    #[error("token revoked (its {claim} is revoked)")]
    Revoked {
        /// Which claim named a revoked id: `origin_jti` or `jti`.
        claim: &'static str,
    },
    /// The claims verified, but do not deserialize into the caller's claims type.
    #[error("claims do not fit the requested type: {reason}")]
    ClaimsType {
        /// serde's explanation.
        reason: String,
    },
}

impl Error {
    /// The stable, snake_case name of this error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed { .. } => ErrorKind::Malformed,
            Self::UnsupportedAlgorithm { .. } => ErrorKind::UnsupportedAlgorithm,
            Self::UnsupportedHeader { .. } => ErrorKind::UnsupportedHeader,
            Self::MissingKid => ErrorKind::MissingKid,
            Self::UnknownKid { .. } => ErrorKind::UnknownKid,
            Self::UnusableKey { .. } => ErrorKind::UnusableKey,
            Self::WeakKey { .. } => ErrorKind::WeakKey,
            Self::KeyNotCached { .. } => ErrorKind::KeyNotCached,
            Self::Jwks(e) if e.is_invalid_document() => ErrorKind::InvalidJwks,
            Self::Jwks(_) => ErrorKind::JwksFetch,
            Self::InvalidSignature => ErrorKind::InvalidSignature,
            Self::MissingClaim { .. } => ErrorKind::MissingClaim,
            Self::InvalidClaim { .. } => ErrorKind::InvalidClaim,
            Self::Expired { .. } => ErrorKind::Expired,
            Self::NotYetValid { .. } => ErrorKind::NotYetValid,
            Self::IssuedInFuture { .. } => ErrorKind::IssuedInFuture,
            Self::WrongIssuer { .. } => ErrorKind::WrongIssuer,
            Self::WrongAudience { .. } => ErrorKind::WrongAudience,
            Self::WrongNonce => ErrorKind::WrongNonce,
            Self::WrongTokenUse { .. } => ErrorKind::WrongTokenUse,
            Self::WrongClientId { .. } => ErrorKind::WrongClientId,
            Self::WrongSigner { .. } => ErrorKind::WrongSigner,
            Self::MissingGroup => ErrorKind::MissingGroup,
            Self::MissingScope => ErrorKind::MissingScope,
            Self::RejectedByCheck { .. } => ErrorKind::RejectedByCheck,
            Self::Revoked { .. } => ErrorKind::Revoked,
            Self::ClaimsType { .. } => ErrorKind::ClaimsType,
        }
    }

    /// True when the token could not be judged because no usable key set could be had (the
    /// fetch failed or the endpoint served no usable set, and nothing usable is cached; or, on
    /// the synchronous path, nothing is cached yet): answer 503 and let the client retry. False
    /// when the token itself is bad, a `kid` missing from a usable key set included: answer 401.
    pub fn is_key_unavailable(&self) -> bool {
        matches!(self, Self::Jwks(_) | Self::KeyNotCached { .. })
    }

    /// For an error for which [`is_key_unavailable`](Self::is_key_unavailable) is true: how long
    /// until the verifier will try to fetch keys again, when it knows (for a `Retry-After`
    /// header). `None` for every other error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cognito_verifier::{Error, JwksError};
    ///
    /// let e = Error::Jwks(JwksError::CoolingDown { retry_in: Duration::from_millis(400) });
    /// assert_eq!(e.retry_after(), Some(Duration::from_millis(400)));
    /// assert_eq!(Error::InvalidSignature.retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Jwks(JwksError::CoolingDown { retry_in }) => Some(*retry_in),
            _ => None,
        }
    }

    /// True when the token is authentic but lacks a required group or scope: answer 403
    /// (`insufficient_scope`) rather than 401.
    pub fn is_insufficient_scope(&self) -> bool {
        matches!(self, Self::MissingGroup | Self::MissingScope)
    }

    /// True when the token is authentic but not enough for what was asked: a missing group or
    /// scope ([`is_insufficient_scope`](Self::is_insufficient_scope)), a check's refusal, or
    /// claims that lack what the caller's claims type requires ([`Error::ClaimsType`]: the
    /// client would get the same token again by signing in). Answer 403.
    pub fn is_forbidden(&self) -> bool {
        self.is_insufficient_scope()
            || matches!(self, Self::RejectedByCheck { .. } | Self::ClaimsType { .. })
    }

    pub(crate) fn malformed(reason: &'static str) -> Self {
        Self::Malformed {
            reason: Cow::Borrowed(reason),
        }
    }
}

/// The kind of an [`Error`], with a stable snake_case name.
///
/// ```
/// use cognito_verifier::ErrorKind;
/// assert_eq!(ErrorKind::UnknownKid.as_str(), "unknown_kid");
/// assert_eq!(ErrorKind::UnknownKid.to_string(), "unknown_kid");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::Malformed`].
    Malformed,
    /// See [`Error::UnsupportedAlgorithm`].
    UnsupportedAlgorithm,
    /// See [`Error::UnsupportedHeader`].
    UnsupportedHeader,
    /// See [`Error::MissingKid`].
    MissingKid,
    /// See [`Error::UnknownKid`].
    UnknownKid,
    /// See [`Error::UnusableKey`].
    UnusableKey,
    /// See [`Error::WeakKey`].
    WeakKey,
    /// See [`Error::KeyNotCached`].
    KeyNotCached,
    /// See [`Error::Jwks`]: the key set could not be fetched.
    JwksFetch,
    /// See [`Error::Jwks`]: the key set was fetched but is not a usable JWKS document.
    InvalidJwks,
    /// See [`Error::InvalidSignature`].
    InvalidSignature,
    /// See [`Error::MissingClaim`].
    MissingClaim,
    /// See [`Error::InvalidClaim`].
    InvalidClaim,
    /// See [`Error::Expired`].
    Expired,
    /// See [`Error::NotYetValid`].
    NotYetValid,
    /// See [`Error::IssuedInFuture`].
    IssuedInFuture,
    /// See [`Error::WrongIssuer`].
    WrongIssuer,
    /// See [`Error::WrongAudience`].
    WrongAudience,
    /// See [`Error::WrongNonce`].
    WrongNonce,
    /// See [`Error::WrongTokenUse`].
    WrongTokenUse,
    /// See [`Error::WrongClientId`].
    WrongClientId,
    /// See [`Error::MissingGroup`].
    MissingGroup,
    /// See [`Error::MissingScope`].
    MissingScope,
    /// See [`Error::RejectedByCheck`].
    RejectedByCheck,
    /// See [`Error::WrongSigner`].
    WrongSigner,
    /// See [`Error::ClaimsType`].
    ClaimsType,
    /// See [`Error::Revoked`].
    Revoked,
}

impl ErrorKind {
    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnsupportedHeader => "unsupported_header",
            Self::MissingKid => "missing_kid",
            Self::UnknownKid => "unknown_kid",
            Self::UnusableKey => "unusable_key",
            Self::WeakKey => "weak_key",
            Self::KeyNotCached => "key_not_cached",
            Self::JwksFetch => "jwks_fetch",
            Self::InvalidJwks => "invalid_jwks",
            Self::InvalidSignature => "invalid_signature",
            Self::MissingClaim => "missing_claim",
            Self::InvalidClaim => "invalid_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongNonce => "wrong_nonce",
            Self::WrongTokenUse => "wrong_token_use",
            Self::WrongClientId => "wrong_client_id",
            Self::MissingGroup => "missing_group",
            Self::MissingScope => "missing_scope",
            Self::RejectedByCheck => "rejected_by_check",
            Self::ClaimsType => "claims_type",
            Self::Revoked => "revoked",
            Self::WrongSigner => "wrong_signer",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the issuer's key set (JWKS) could not be had.
///
/// Cheap to clone: the errors of one failed fetch are shared by every caller that waited on it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The request did not complete within the configured timeout.
    #[error("fetching {url} timed out")]
    Timeout {
        /// The JWKS URI.
        url: String,
    },
    /// The connection or the request failed.
    #[error("fetching {url} failed: {source}")]
    Transport {
        /// The JWKS URI.
        url: String,
        /// The underlying error.
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The endpoint answered with a status other than 200.
    #[error("fetching {url} returned HTTP {status}")]
    Status {
        /// The JWKS URI.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The response body is larger than the configured cap (checked while streaming).
    #[error("the key set at {url} is larger than {limit} bytes")]
    TooLarge {
        /// The JWKS URI.
        url: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body is not a JWKS document (`{"keys": [...]}`).
    #[error("the key set is not a valid JWKS document: {reason}")]
    InvalidDocument {
        /// What is wrong.
        reason: String,
    },
    /// The document has more keys than the configured cap.
    #[error("the key set has {count} keys, more than the {limit} allowed")]
    TooManyKeys {
        /// Keys in the document.
        count: usize,
        /// The cap.
        limit: usize,
    },
    /// No usable key set is cached, and fetches are paused after a failed one (the retry
    /// backoff, or the cooldown). Says when the next fetch is allowed, not why the last one
    /// failed: that may no longer be true.
    #[error("no usable key set is cached; fetches are paused after a failed fetch, the next one is allowed in {} ms", retry_in.as_millis())]
    CoolingDown {
        /// How long until the next fetch is allowed.
        retry_in: Duration,
    },
    /// The cached key set is older than its maximum age plus the stale window, and refreshing it
    /// failed.
    #[error("the cached key set expired and refreshing it failed: {0}")]
    Expired(Box<JwksError>),
}

impl JwksError {
    /// True when the endpoint answered, but with something that is not a usable key set.
    pub fn is_invalid_document(&self) -> bool {
        match self {
            Self::InvalidDocument { .. } | Self::TooManyKeys { .. } => true,
            Self::Expired(inner) => inner.is_invalid_document(),
            _ => false,
        }
    }
}

// Compared by kind and message: the boxed transport source has no equality of its own.
impl PartialEq for JwksError {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}
impl Eq for JwksError {}

/// A configuration error from a builder's `build()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The Cognito user pool id is not `<region>_<id>`.
    #[error("invalid user pool id {0:?}: expected <region>_<id>, e.g. eu-west-1_AbCdEf123")]
    InvalidUserPoolId(String),
    /// A URL (issuer or JWKS URI) is not a valid absolute `https://` (or, when allowed,
    /// `http://`) URL.
    #[error("invalid {what} {url:?}: {reason}")]
    InvalidUrl {
        /// Which URL.
        what: &'static str,
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A required setting was not given, and weakening the check needs an explicit opt-out.
    #[error("{0}")]
    Missing(&'static str),
    /// A load balancer ARN given to [`AlbVerifier`](crate::alb::AlbVerifier) is not one.
    #[error(
        "invalid load balancer ARN {0:?}: expected arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>"
    )]
    InvalidLoadBalancerArn(String),
    /// A setting's value is out of its allowed range.
    #[error("invalid setting {setting}: {reason}")]
    InvalidSetting {
        /// The setting.
        setting: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two verifiers given to a [`MultiPoolVerifier`](crate::MultiPoolVerifier) accept the same
    /// issuer, so a token could not be routed unambiguously.
    #[error("issuer {0:?} is accepted by more than one verifier")]
    DuplicateIssuer(String),
    /// The HTTP client could not be built. [`HttpFetcher`](crate::HttpFetcher) no longer
    /// returns it (its client is built on the first fetch, whose failure is a
    /// [`JwksError::Transport`]); kept for fetchers of other crates and for compatibility.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

/// Keeps at most [`EXCERPT_MAX`] characters of an untrusted value for an error message or a log
/// line, escaped as Rust escapes a string's `Debug` output: control characters (a newline that
/// would forge a log line, terminal escapes), quotes, backslashes and invisible characters come
/// out as escapes, so the text can be printed as it is.
pub(crate) fn excerpt(value: &str) -> String {
    let (kept, cut) = match value.char_indices().nth(EXCERPT_MAX) {
        Some((cut, _)) => (value.get(..cut).unwrap_or_default(), true),
        None => (value, false),
    };
    let mut s: String = kept.escape_debug().collect();
    if cut {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync_static() {
        fn check<T: std::error::Error + Send + Sync + 'static>() {}
        check::<Error>();
        check::<JwksError>();
        check::<BuildError>();
    }

    #[test]
    fn excerpt_cuts_long_values_on_char_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(100);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_MAX + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn excerpt_escapes_what_could_forge_a_log_line() {
        assert_eq!(excerpt("a\nb"), "a\\nb");
        assert_eq!(excerpt("\u{1b}[31m"), "\\u{1b}[31m");
        assert_eq!(excerpt("q\"\\"), "q\\\"\\\\");
        assert_eq!(excerpt("\u{202e}rtl"), "\\u{202e}rtl");
        assert!(!excerpt(&"\n".repeat(200)).contains('\n'));
    }

    #[test]
    fn key_unavailable_is_told_apart_from_bad_tokens() {
        assert!(
            Error::Jwks(JwksError::CoolingDown {
                retry_in: Duration::ZERO
            })
            .is_key_unavailable()
        );
        assert!(Error::KeyNotCached { kid: "k".into() }.is_key_unavailable());
        assert!(!Error::InvalidSignature.is_key_unavailable());
        assert!(!Error::UnknownKid { kid: "k".into() }.is_key_unavailable());
        assert!(Error::MissingScope.is_insufficient_scope());
        assert!(
            !Error::Expired {
                exp: 0,
                now: 1,
                leeway: 0
            }
            .is_insufficient_scope()
        );
    }

    #[test]
    fn jwks_kinds_separate_fetch_from_document_errors() {
        let invalid = Error::Jwks(JwksError::InvalidDocument { reason: "x".into() });
        assert_eq!(invalid.kind(), ErrorKind::InvalidJwks);
        let status = Error::Jwks(JwksError::Status {
            url: "u".into(),
            status: 500,
        });
        assert_eq!(status.kind(), ErrorKind::JwksFetch);
        let expired = Error::Jwks(JwksError::Expired(Box::new(JwksError::TooManyKeys {
            count: 9,
            limit: 1,
        })));
        assert_eq!(expired.kind(), ErrorKind::InvalidJwks);
    }
}
