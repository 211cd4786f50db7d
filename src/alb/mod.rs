//! Application Load Balancer tokens: the user claims an ALB's `authenticate-cognito` (or
//! `authenticate-oidc`) action forwards in `x-amzn-oidc-data`, signed by the load balancer.
//!
//! Behind such an action, every request reaching your service carries three headers:
//!
//! | header | what it is | trust it for |
//! |---|---|---|
//! | `x-amzn-oidc-accesstoken` | the Cognito access token (RS256, signed by the user pool) | verify it with [`CognitoVerifier`](crate::CognitoVerifier) (`TokenSource::Header`) for scopes, groups and the client |
//! | `x-amzn-oidc-identity` | the subject, **unsigned** | nothing on its own: anyone who can reach the service directly can set it |
//! | `x-amzn-oidc-data` | the user claims (`sub`, `email`, `username`, …), signed by the load balancer (ES256) | verify it with [`AlbVerifier`]: who the user is, as the load balancer saw them |
//!
//! An [`AlbVerifier`] trusts the load balancers you name by ARN: the header's `signer` must be one
//! of them, the key is fetched (once per `kid`, a UUID) from the load balancer's regional key
//! endpoint `https://public-keys.auth.elb.<region>.<dns suffix>/<kid>` (the suffix of the region's
//! [`Partition`]: `amazonaws.com`, `amazonaws.com.cn`, `amazonaws.eu`, …), the signature must be
//! ES256 over the padded base64url segments ALB produces, and `client`, `iss` and `exp` (in the
//! header, where ALB puts them) are checked as Cognito's rules would: the app client id and the
//! user pool's issuer are required unless explicitly waived.
//!
//! ```no_run
//! use cognito_verifier::alb::AlbVerifier;
//!
//! # async fn run(header_value: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = AlbVerifier::builder([
//!     "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
//! ])
//! .user_pool_id("eu-west-1_AbCdEf123")
//! .client_ids(["3u4p8example"])
//! .build()?;
//! let claims = verifier.verify(header_value).await?;
//! println!("{} <{}>", claims.sub, claims.email.as_deref().unwrap_or("-"));
//! # Ok(()) }
//! ```
//!
//! # A service behind an ALB
//! Keep the service reachable only through the load balancer (security group), verify
//! `x-amzn-oidc-data` on every request — with the layer, `CognitoAuthLayer::new(alb_verifier)`
//! reads that header by default — and, when you need scopes or groups, also verify
//! `x-amzn-oidc-accesstoken` with a [`CognitoVerifier`](crate::CognitoVerifier). Never act on
//! `x-amzn-oidc-identity` alone.

pub(crate) mod keys;
mod token;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::clock::{Clock, SystemClock, unix_seconds};
use crate::cognito::pool::UserPoolId;
use crate::error::{BuildError, Error, excerpt};
use crate::jwks::fetch::JwksFetcher;
use crate::jwt::claims::check_exp;
use crate::jwt::parse::DEFAULT_MAX_TOKEN_LEN;
use crate::partition::Partition;
use crate::verifier::{DEFAULT_LEEWAY, MAX_LEEWAY, check_url};

use self::keys::{AlbKeys, EcKey, FetchBudget, configured_key};
use self::token::{AlbHeader, AlbToken};

/// The header an ALB puts its signed user claims in.
pub const ALB_DATA_HEADER: &str = "x-amzn-oidc-data";
/// The header an ALB puts the Cognito access token in.
pub const ALB_ACCESS_TOKEN_HEADER: &str = "x-amzn-oidc-accesstoken";
/// The header an ALB puts the (unsigned) subject in.
pub const ALB_IDENTITY_HEADER: &str = "x-amzn-oidc-identity";
/// The longest fetch deadline accepted.
const MAX_FETCH_DEADLINE: Duration = Duration::from_secs(300);
/// The default number of fetched keys kept (keys given to the builder are not counted).
pub const DEFAULT_MAX_ALB_KEYS: usize = 64;
/// The default pause after the key endpoint said a kid does not exist: that kid is refused
/// (`unknown_kid`, 401) without a request for this long. Other kids are not affected.
pub const DEFAULT_ALB_KEY_COOLDOWN: Duration = Duration::from_secs(15);
/// The default budget of key fetches (of kids that are not cached) per
/// [`DEFAULT_ALB_KEY_FETCH_INTERVAL`].
pub const DEFAULT_ALB_KEY_FETCHES: u32 = 10;
/// The default interval of the key fetch budget.
pub const DEFAULT_ALB_KEY_FETCH_INTERVAL: Duration = Duration::from_secs(1);

/// The user claims of a verified `x-amzn-oidc-data` token: what the identity provider's userinfo
/// endpoint returned, plus the load balancer's `signer` and `client` from the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AlbClaims {
    /// The user's subject.
    pub sub: String,
    /// `username` (Cognito's userinfo has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `email_verified` (Cognito's userinfo sends it as the string `"true"`/`"false"`; either form
    /// is read).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "bool_or_string"
    )]
    pub email_verified: Option<bool>,
    /// `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The token's expiry (the header's `exp`), seconds since the Unix epoch.
    pub exp: i64,
    /// The issuer (the header's `iss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The load balancer that signed the token (the header's `signer`, one of the trusted ARNs).
    pub signer: String,
    /// The app client id the load balancer authenticated with (the header's `client`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Every other claim of the payload.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Which issuers are accepted.
#[derive(Debug, Clone)]
enum Issuer {
    Unset,
    Any,
    Exactly(String),
    BadPool(String),
}

/// Verifies `x-amzn-oidc-data` tokens from the load balancers it trusts. Cheap to clone (one
/// `Arc`); clones share the key cache.
#[derive(Clone)]
pub struct AlbVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// Trusted load balancer ARN to the base URL its keys come from.
    signers: HashMap<Box<str>, Box<str>>,
    client_ids: Option<Vec<Box<str>>>,
    issuer: Option<Box<str>>,
    leeway: u64,
    max_token_len: usize,
    clock: Arc<dyn Clock>,
    keys: AlbKeys,
}

impl std::fmt::Debug for AlbVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbVerifier")
            .field("signers", &self.inner.signers)
            .field("client_ids", &self.inner.client_ids)
            .field("issuer", &self.inner.issuer)
            .field("leeway", &self.inner.leeway)
            .field("keys", &self.inner.keys)
            .finish_non_exhaustive()
    }
}

impl AlbVerifier {
    /// A builder trusting the load balancers with these ARNs
    /// (`arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`).
    pub fn builder<I, S>(load_balancer_arns: I) -> AlbVerifierBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AlbVerifierBuilder {
            arns: load_balancer_arns.into_iter().map(Into::into).collect(),
            client_ids: None,
            any_client: false,
            issuer: Issuer::Unset,
            region: None,
            keys_uri: None,
            allow_http: false,
            fetcher: None,
            no_fetch: false,
            keys: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            clock: Arc::new(SystemClock),
            max_keys: DEFAULT_MAX_ALB_KEYS,
            cooldown: DEFAULT_ALB_KEY_COOLDOWN,
            deadline: crate::DEFAULT_FETCH_DEADLINE,
            budget: FetchBudget {
                max_fetches: DEFAULT_ALB_KEY_FETCHES,
                interval: DEFAULT_ALB_KEY_FETCH_INTERVAL,
            },
        }
    }

    /// Verifies a token, fetching its key if it is not cached yet.
    ///
    /// # Errors
    /// Why the token was not accepted ([`Error::kind`] names it: `malformed`,
    /// `unsupported_algorithm`, `wrong_signer`, `unknown_kid`, `invalid_signature`, `expired`,
    /// `wrong_client_id`, `wrong_issuer`, …), or `jwks_fetch` when its key could not be had.
    pub async fn verify(&self, token: &str) -> Result<AlbClaims, Error> {
        let result = self.verify_inner(token).await;
        Self::trace(&result);
        result
    }

    /// Verifies a token with cached (or configured) keys only: no I/O.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); a key that is not cached is `key_not_cached` (or
    /// `unknown_kid` for a verifier that never fetches).
    pub fn verify_sync(&self, token: &str) -> Result<AlbClaims, Error> {
        let result = self.verify_sync_inner(token);
        Self::trace(&result);
        result
    }

    fn verify_sync_inner(&self, token: &str) -> Result<AlbClaims, Error> {
        let decoded = AlbToken::decode(token, self.inner.max_token_len)?;
        let header = decoded.header()?;
        self.check_signer(&header)?;
        let Some(key) = self.inner.keys.cached(&header.kid) else {
            let kid = excerpt(&header.kid);
            return Err(if self.inner.keys.fetches() {
                Error::KeyNotCached { kid }
            } else {
                Error::UnknownKid { kid }
            });
        };
        self.finish(&decoded, header, &key)
    }

    async fn verify_inner(&self, token: &str) -> Result<AlbClaims, Error> {
        // token text -> parse (no crypto) -> signer -> key -> signature -> claims.
        let decoded = AlbToken::decode(token, self.inner.max_token_len)?;
        let header = decoded.header()?;
        let base = self.check_signer(&header)?;
        let key = self.inner.keys.get(&header.kid, base).await?;
        self.finish(&decoded, header, &key)
    }

    /// The signature, then the claims.
    fn finish(
        &self,
        decoded: &AlbToken<'_>,
        header: AlbHeader,
        key: &EcKey,
    ) -> Result<AlbClaims, Error> {
        key.verify(decoded.signing_input(), decoded.signature())?;
        self.claims(decoded, header)
    }

    /// The key base URL for a trusted `signer`; before any key lookup, so an untrusted signer
    /// costs no request.
    fn check_signer(&self, header: &AlbHeader) -> Result<&str, Error> {
        self.inner
            .signers
            .get(header.signer.as_str())
            .map(|b| &**b)
            .ok_or_else(|| Error::WrongSigner {
                found: excerpt(&header.signer),
            })
    }

    fn claims(&self, decoded: &AlbToken<'_>, header: AlbHeader) -> Result<AlbClaims, Error> {
        let inner = &self.inner;
        let now = unix_seconds(inner.clock.now());
        let exp = header.exp.ok_or(Error::MissingClaim { claim: "exp" })?;
        check_exp(exp, now, inner.leeway)?;
        if let Some(accepted) = &inner.client_ids {
            let client = header
                .client
                .as_deref()
                .ok_or(Error::MissingClaim { claim: "client" })?;
            if !accepted.iter().any(|c| &**c == client) {
                return Err(Error::WrongClientId {
                    found: excerpt(client),
                });
            }
        }
        let mut payload: Map<String, Value> =
            crate::jwt::parse::parse_json_object(decoded.payload_json(), "payload")?;
        if let Some(expected) = &inner.issuer {
            let iss = header
                .iss
                .as_deref()
                .ok_or(Error::MissingClaim { claim: "iss" })?;
            if iss != &**expected {
                return Err(Error::WrongIssuer {
                    found: excerpt(iss),
                });
            }
            match payload.get("iss") {
                None => {}
                Some(Value::String(p)) if p == iss => {}
                Some(Value::String(p)) => return Err(Error::WrongIssuer { found: excerpt(p) }),
                Some(_) => return Err(invalid("iss", "not a string")),
            }
        }
        match payload.get("exp").map(Value::as_i64) {
            None => {}
            Some(Some(payload_exp)) => check_exp(payload_exp, now, inner.leeway)?,
            Some(None) => return Err(invalid("exp", "not an integer")),
        }
        let sub = match payload.remove("sub") {
            Some(Value::String(s)) if !s.is_empty() => s,
            None => return Err(Error::MissingClaim { claim: "sub" }),
            Some(_) => return Err(invalid("sub", "not a non-empty string")),
        };
        let email_verified = match payload.remove("email_verified") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(b),
            Some(Value::String(s)) if s == "true" => Some(true),
            Some(Value::String(s)) if s == "false" => Some(false),
            Some(_) => return Err(invalid("email_verified", "not true or false")),
        };
        Ok(AlbClaims {
            sub,
            username: take_string(&mut payload, "username")?,
            email: take_string(&mut payload, "email")?,
            email_verified,
            phone_number: take_string(&mut payload, "phone_number")?,
            name: take_string(&mut payload, "name")?,
            exp,
            iss: header.iss,
            signer: header.signer,
            client: header.client,
            extra: {
                // The verified header's values are the fields above: a payload claim of the same
                // name must not stand beside them (a JSON view would show whichever came last).
                for header_field in ["iss", "exp", "signer", "client"] {
                    payload.remove(header_field);
                }
                payload
            },
        })
    }

    fn trace(result: &Result<AlbClaims, Error>) {
        if let Err(error) = result {
            tracing::debug!(
                target: "cognito_verifier::verify",
                kind = error.kind().as_str(),
                %error,
                "ALB token rejected"
            );
        }
    }
}

/// `true`, `false`, `"true"` or `"false"` (Cognito's userinfo sends strings).
fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(serde::de::Error::custom(
            "email_verified is not true or false",
        )),
    }
}

fn invalid(claim: &'static str, reason: &'static str) -> Error {
    Error::InvalidClaim {
        claim,
        reason: std::borrow::Cow::Borrowed(reason),
    }
}

fn take_string(
    payload: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<Option<String>, Error> {
    match payload.remove(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(claim, "not a string")),
    }
}

/// Configures an [`AlbVerifier`]. Made by [`AlbVerifier::builder`].
#[must_use]
pub struct AlbVerifierBuilder {
    arns: Vec<String>,
    client_ids: Option<Vec<String>>,
    any_client: bool,
    issuer: Issuer,
    region: Option<String>,
    keys_uri: Option<String>,
    allow_http: bool,
    fetcher: Option<Arc<dyn JwksFetcher>>,
    no_fetch: bool,
    keys: Vec<(String, String)>,
    leeway: Duration,
    max_token_len: usize,
    clock: Arc<dyn Clock>,
    max_keys: usize,
    cooldown: Duration,
    deadline: Duration,
    budget: FetchBudget,
}

impl std::fmt::Debug for AlbVerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbVerifierBuilder")
            .field("arns", &self.arns)
            .field("client_ids", &self.client_ids)
            .field("issuer", &self.issuer)
            .field("region", &self.region)
            .field("keys_uri", &self.keys_uri)
            .finish_non_exhaustive()
    }
}

impl AlbVerifierBuilder {
    /// The app client ids the header's `client` may name (required, or
    /// [`danger_accept_any_client_id`](Self::danger_accept_any_client_id)).
    pub fn client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.client_ids = Some(client_ids.into_iter().map(Into::into).collect());
        self
    }

    /// Accepts any `client`. Only when every app client of the load balancers may reach you.
    pub fn danger_accept_any_client_id(mut self) -> Self {
        self.any_client = true;
        self
    }

    /// The Cognito user pool whose issuer (`https://cognito-idp.<region>.<dns suffix>/<pool>`)
    /// the header's `iss` must be.
    pub fn user_pool_id(mut self, user_pool_id: impl Into<String>) -> Self {
        let id = user_pool_id.into();
        self.issuer = match id.parse::<UserPoolId>() {
            Ok(pool) => Issuer::Exactly(pool.issuer()),
            Err(_) => Issuer::BadPool(id),
        };
        self
    }

    /// The issuer the header's `iss` must be (for an OIDC provider other than Cognito).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Issuer::Exactly(issuer.into());
        self
    }

    /// Accepts any issuer. Only when the load balancers' authentication action is yours alone.
    pub fn danger_accept_any_issuer(mut self) -> Self {
        self.issuer = Issuer::Any;
        self
    }

    /// Fetches keys from this region's endpoint for every load balancer (default: each ARN's
    /// own region).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Fetches keys from `<base_url>/<kid>` (tests, a mirror). `https`, or `http` with
    /// [`allow_insecure_http`](Self::allow_insecure_http).
    pub fn keys_uri(mut self, base_url: impl Into<String>) -> Self {
        self.keys_uri = Some(base_url.into());
        self
    }

    /// Allows a plain `http://` [`keys_uri`](Self::keys_uri).
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// Fetches keys with `fetcher` instead of the default HTTP client (its body cap and timeouts
    /// apply; the verifier's fetch deadline bounds it in any case).
    pub fn fetcher(mut self, fetcher: impl JwksFetcher) -> Self {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// Trusts this PEM public key under `kid` (configuration: it never expires nor leaves the
    /// cache). Keys not given here are still fetched unless [`no_fetch`](Self::no_fetch).
    pub fn key(mut self, kid: impl Into<String>, pem: impl Into<String>) -> Self {
        self.keys.push((kid.into(), pem.into()));
        self
    }

    /// Never fetches: only the keys given with [`key`](Self::key) verify; any other kid is
    /// `unknown_kid`.
    pub fn no_fetch(mut self) -> Self {
        self.no_fetch = true;
        self
    }

    /// Tolerance for clock skew on `exp`. Default 10 s; at most 600 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock for every time decision. Default [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The longest token accepted, in bytes (default 16 KiB).
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// How many fetched keys are kept (default 64; 1 to 10,000).
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// After the endpoint says a kid does not exist, how long that kid is refused without a
    /// request (default 15 s; at most 1 hour). Other kids are not affected.
    pub fn key_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// At most `max_fetches` fetches of kids that are not cached per `interval` (default 10 per
    /// second; 1 to 1,000, per 1 ms to 1 hour), whatever the kids: the most a stream of made-up
    /// kids can make the verifier send. Past it, a kid that is not cached is `jwks_fetch` (503,
    /// with `Retry-After`) until the interval ends, never `unknown_kid`: it may be genuine.
    pub fn max_key_fetches(mut self, max_fetches: u32, interval: Duration) -> Self {
        self.budget = FetchBudget {
            max_fetches,
            interval,
        };
        self
    }

    /// The most a key fetch may take, waiting for another fetch included (default 5 s; more
    /// than zero, at most 300 s).
    pub fn fetch_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Builds the verifier.
    ///
    /// # Errors
    /// [`BuildError`] when no ARN is given or one is not a load balancer ARN, the client ids or
    /// the issuer were neither set nor waived, a URL or region is invalid, a key is not a P-256
    /// PEM public key or its kid not a UUID, or a setting is out of range.
    pub fn build(self) -> Result<AlbVerifier, BuildError> {
        let setting = |setting, reason| BuildError::InvalidSetting { setting, reason };
        if self.leeway > MAX_LEEWAY {
            return Err(setting("leeway", "more than 600 seconds"));
        }
        if self.max_token_len == 0 {
            return Err(setting("max_token_len", "must be more than zero"));
        }
        if !(1..=10_000).contains(&self.max_keys) {
            return Err(setting("max_keys", "must be 1 to 10,000"));
        }
        if self.cooldown > Duration::from_secs(3600) {
            return Err(setting("key_cooldown", "more than an hour"));
        }
        if !(1..=1000).contains(&self.budget.max_fetches)
            || self.budget.interval < Duration::from_millis(1)
            || self.budget.interval > Duration::from_secs(3600)
        {
            return Err(setting(
                "max_key_fetches",
                "must be 1 to 1,000 fetches per 1 ms to 1 hour",
            ));
        }
        if self.deadline.is_zero() || self.deadline > MAX_FETCH_DEADLINE {
            return Err(setting(
                "fetch_deadline",
                "must be more than zero, at most 300 s",
            ));
        }
        if self.arns.is_empty() {
            return Err(BuildError::Missing(
                "no load balancer ARN: give at least one",
            ));
        }
        let client_ids = client_ids(self.client_ids, self.any_client)?;
        let issuer = issuer(self.issuer)?;
        if let Some(region) = &self.region
            && !is_region(region)
        {
            return Err(setting("region", "not an AWS region name (e.g. eu-west-1)"));
        }
        if let Some(uri) = &self.keys_uri {
            check_url(uri, "keys URI", self.allow_http)?;
        }
        let mut signers = HashMap::new();
        for arn in &self.arns {
            let (partition, region) =
                parse_arn(arn).ok_or_else(|| BuildError::InvalidLoadBalancerArn(arn.clone()))?;
            let base = match (&self.keys_uri, &self.region) {
                (Some(uri), _) => uri.trim_end_matches('/').to_owned(),
                (None, Some(region)) if Partition::for_region(region) != partition => {
                    return Err(setting(
                        "region",
                        "in another partition than a load balancer's ARN",
                    ));
                }
                (None, Some(region)) => key_endpoint(region),
                (None, None) => key_endpoint(region),
            };
            signers.insert(arn.clone().into_boxed_str(), base.into_boxed_str());
        }
        let mut configured = HashMap::new();
        for (kid, pem) in &self.keys {
            if !token::is_uuid(kid) {
                return Err(setting("key", "the kid is not a UUID"));
            }
            let key = configured_key(pem).map_err(|reason| setting("key", reason))?;
            configured.insert(kid.clone().into_boxed_str(), key);
        }
        let fetcher = if self.no_fetch {
            None
        } else {
            match self.fetcher {
                Some(f) => Some(f),
                None => Some(crate::verifier::default_fetcher(self.allow_http)?),
            }
        };
        Ok(AlbVerifier {
            inner: Arc::new(Inner {
                signers,
                client_ids,
                issuer,
                leeway: self.leeway.as_secs(),
                max_token_len: self.max_token_len,
                keys: AlbKeys::new(
                    fetcher,
                    Arc::clone(&self.clock),
                    configured,
                    (self.max_keys, self.cooldown, self.deadline),
                    self.budget,
                ),
                clock: self.clock,
            }),
        })
    }
}

/// The accepted client ids (`None`: any), or why the configuration is incomplete.
fn client_ids(ids: Option<Vec<String>>, any: bool) -> Result<Option<Vec<Box<str>>>, BuildError> {
    Ok(match (ids, any) {
        (Some(ids), false) if ids.is_empty() => {
            return Err(BuildError::Missing(
                "client_ids([...]) was given an empty list",
            ));
        }
        (Some(ids), false) => Some(ids.into_iter().map(Into::into).collect()),
        (None, true) => None,
        (Some(_), true) => {
            return Err(BuildError::Missing(
                "client_ids and danger_accept_any_client_id are exclusive",
            ));
        }
        (None, false) => {
            return Err(BuildError::Missing(
                "no client ids: call client_ids([...]) or danger_accept_any_client_id()",
            ));
        }
    })
}

/// The accepted issuer (`None`: any), or why the configuration is incomplete or wrong.
fn issuer(issuer: Issuer) -> Result<Option<Box<str>>, BuildError> {
    Ok(match issuer {
        Issuer::Unset => {
            return Err(BuildError::Missing(
                "no issuer: call user_pool_id(..), issuer(..) or danger_accept_any_issuer()",
            ));
        }
        Issuer::Any => None,
        Issuer::BadPool(id) => return Err(BuildError::InvalidUserPoolId(id)),
        Issuer::Exactly(issuer) => {
            check_url(&issuer, "issuer", true)?;
            Some(issuer.into_boxed_str())
        }
    })
}

/// `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`: the
/// partition and the region.
fn parse_arn(arn: &str) -> Option<(Partition, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("elasticloadbalancing"),
        Some(region),
        Some(account),
        Some(resource),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    // The ARN's partition must be the one its region is in: `arn:aws-cn:…:us-east-1:…` is
    // refused rather than given one partition's key endpoint or the other's.
    let partition = Partition::from_id(partition)?;
    let ok = is_region(region)
        && Partition::for_region(region) == partition
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.starts_with("loadbalancer/app/")
        && resource.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some((partition, region))
}

/// A region name: lowercase letters, digits and dashes, such as `eu-west-1`.
fn is_region(region: &str) -> bool {
    (4..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// The load balancers' regional key endpoint, with the DNS suffix of the region's partition.
fn key_endpoint(region: &str) -> String {
    let suffix = Partition::for_region(region).dns_suffix();
    format!("https://public-keys.auth.elb.{region}.{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_endpoints() {
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";
        assert_eq!(parse_arn(arn), Some((Partition::Aws, "eu-west-1")));
        for (arn, partition, region, endpoint) in [
            (
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1",
                Partition::Aws,
                "eu-west-1",
                "https://public-keys.auth.elb.eu-west-1.amazonaws.com",
            ),
            (
                "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/1",
                Partition::AwsUsGov,
                "us-gov-west-1",
                "https://public-keys.auth.elb.us-gov-west-1.amazonaws.com",
            ),
            (
                "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/1",
                Partition::AwsCn,
                "cn-north-1",
                "https://public-keys.auth.elb.cn-north-1.amazonaws.com.cn",
            ),
            (
                "arn:aws-eusc:elasticloadbalancing:eusc-de-east-1:123456789012:loadbalancer/app/a/1",
                Partition::AwsEusc,
                "eusc-de-east-1",
                "https://public-keys.auth.elb.eusc-de-east-1.amazonaws.eu",
            ),
        ] {
            assert_eq!(parse_arn(arn), Some((partition, region)), "{arn}");
            assert_eq!(key_endpoint(region), endpoint);
        }
        for bad in [
            "",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/x/1",
            "arn:aws:elasticloadbalancing:eu-west-1:12345678901:loadbalancer/app/a/1",
            "arn:aws:ec2:eu-west-1:123456789012:loadbalancer/app/a/1",
            "arn:aws:elasticloadbalancing:EU/../x:123456789012:loadbalancer/app/a/1",
            "arn:evil:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1",
            // A partition that is not the region's.
            "arn:aws-cn:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1",
            "arn:aws:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/1",
            "arn:aws:elasticloadbalancing:eusc-de-east-1:123456789012:loadbalancer/app/a/1",
        ] {
            assert_eq!(parse_arn(bad), None, "{bad}");
        }
    }
}
