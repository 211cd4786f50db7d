//! [`CognitoVerifier`]: the generic verifier plus Cognito's rules (`token_use`, `aud` or
//! `client_id`, groups, scopes).

use std::sync::Arc;

use serde::de::DeserializeOwned;

#[cfg(doc)]
use crate::KeyCacheConfig;
use crate::cognito::claims::{AccessClaims, CognitoClaims, IdClaims, Name, Payload, TokenUse};
use crate::cognito::pool::{IssuerFormat, UserPoolId, is_region};
use crate::cognito::revocation::Revocations;
use crate::cognito::token_cache::{Entry, Key, TokenCache, TokenCacheConfig};
use crate::error::{BuildError, Error, excerpt};
use crate::jwt::claims::{
    ClaimsView, Registered, check_audience, invalid_type, numeric_date, required_str,
};
use crate::jwt::parse::JsonValue;
use crate::partition::Partition;
use crate::verifier::{
    CoreOptions, JwtVerifier, SignedToken, core_setters, deserialize_claims, observe,
};

/// Verifies the ID and access tokens of one Cognito user pool.
///
/// On top of the generic checks (RS256 signature with the pool's key, `iss`, `exp`, `nbf`, `iat`)
/// it checks `token_use`, then `aud` (ID tokens) or `client_id` (access tokens) against the
/// configured app client ids, then the required groups and scopes.
///
/// Cheap to clone; clones share the key cache. `Send + Sync`.
///
/// ```no_run
/// use cognito_verifier::{AccessClaims, CognitoVerifier, TokenUse};
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Access)
///     .build()?;
/// let claims: AccessClaims = verifier.verify_access(token).await?;
/// println!("{} may {:?}", claims.sub, claims.scope);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CognitoVerifier {
    core: JwtVerifier,
    rules: Arc<Rules>,
    token_cache: Option<TokenCache>,
}

#[derive(Clone)]
struct Rules {
    pool: Option<UserPoolId>,
    token_use: TokenUse,
    /// `None`: any client id (explicit opt-out).
    client_ids: Option<Box<[Box<str>]>>,
    /// `None`: access tokens need not be bound to a resource.
    resources: Option<Arc<[Box<str>]>>,
    revocations: Option<Arc<dyn Revocations>>,
    groups: Box<[Box<str>]>,
    scopes: Box<[Box<str>]>,
    checks: Box<[ClaimsCheck]>,
}

/// A check of the application's on a verified token (see
/// [`CognitoVerifierBuilder::check_claims`]).
pub type ClaimsCheck =
    Arc<dyn Fn(&CognitoClaims, &TokenHeader<'_>) -> Result<(), String> + Send + Sync>;

/// The header of a verified token, as a check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenHeader<'a> {
    kid: &'a str,
}

impl TokenHeader<'_> {
    /// The key id the token was signed with.
    pub fn kid(&self) -> &str {
        self.kid
    }

    /// The algorithm: always `RS256` (nothing else is accepted).
    pub fn alg(&self) -> &'static str {
        "RS256"
    }
}

impl<'a> ClaimsView<'a> for Payload<'a> {
    fn registered(&self) -> Registered<'_, 'a> {
        Registered {
            iss: self.get(Name::Iss),
            exp: self.get(Name::Exp),
            nbf: self.get(Name::Nbf),
            iat: self.get(Name::Iat),
            aud: self.get(Name::Aud),
            nonce: self.get(Name::Nonce),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Id,
    Access,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("pool", &self.pool)
            .field("token_use", &self.token_use)
            .field("client_ids", &self.client_ids)
            .field("resources", &self.resources)
            .field("revocations", &self.revocations)
            .field("groups", &self.groups)
            .field("scopes", &self.scopes)
            .field("checks", &self.checks.len())
            .finish()
    }
}

impl Rules {
    /// Refuses a token whose session (`origin_jti`) or own id (`jti`) was revoked.
    fn check_revoked(&self, origin_jti: Option<&str>, jti: Option<&str>) -> Result<(), Error> {
        let Some(revocations) = &self.revocations else {
            return Ok(());
        };
        for (claim, id) in [("origin_jti", origin_jti), ("jti", jti)] {
            if id.is_some_and(|id| revocations.is_revoked(id)) {
                return Err(Error::Revoked { claim });
            }
        }
        Ok(())
    }

    /// [`check_revoked`](Self::check_revoked) on the payload (before the typed claims exist).
    fn check_revoked_payload(&self, view: &Payload<'_>) -> Result<(), Error> {
        if self.revocations.is_none() {
            return Ok(());
        }
        let text = |name| match view.get(name) {
            Some(JsonValue::Str(s)) => Some(&**s),
            _ => None,
        };
        self.check_revoked(text(Name::OriginJti), text(Name::Jti))
    }

    /// [`check_revoked`](Self::check_revoked) on typed claims (a token-cache hit).
    fn check_revoked_claims(&self, claims: &CognitoClaims) -> Result<(), Error> {
        let (origin_jti, jti) = match claims {
            CognitoClaims::Id(c) => (c.origin_jti.as_deref(), c.jti.as_deref()),
            CognitoClaims::Access(c) => (c.origin_jti.as_deref(), c.jti.as_deref()),
        };
        self.check_revoked(origin_jti, jti)
    }

    /// The application's checks, after every other rule.
    fn run_checks(&self, claims: &CognitoClaims, kid: &str) -> Result<(), Error> {
        let header = TokenHeader { kid };
        for check in &self.checks {
            check(claims, &header).map_err(|reason| Error::RejectedByCheck { reason })?;
        }
        Ok(())
    }

    /// Whether an access token whose `aud` is `aud` is bound to one of the resources, when
    /// resources are configured (for token-cache hits; `check` reads the payload).
    fn resource_fits(&self, claims: &CognitoClaims) -> bool {
        match (&self.resources, claims) {
            (Some(resources), CognitoClaims::Access(access)) => {
                resources.iter().any(|r| access.is_for_resource(r))
            }
            _ => true,
        }
    }

    /// Cognito's rules, in order: token_use, then aud/client_id, then the resource (access
    /// tokens' `aud`), then groups, then scopes.
    fn check(&self, view: &Payload<'_>, requested: TokenUse) -> Result<Kind, Error> {
        let found = required_str(view.get(Name::TokenUse), "token_use")?;
        if !(self.token_use.accepts(found) && requested.accepts(found)) {
            let expected = if requested == TokenUse::Any {
                self.token_use
            } else {
                requested
            };
            return Err(Error::WrongTokenUse {
                expected: expected.expected(),
                found: excerpt(found),
            });
        }
        let kind = if found == "id" {
            Kind::Id
        } else {
            Kind::Access
        };

        if let Some(client_ids) = &self.client_ids {
            match kind {
                Kind::Id => {
                    let aud = view
                        .get(Name::Aud)
                        .ok_or(Error::MissingClaim { claim: "aud" })?;
                    check_audience(aud, client_ids)?;
                }
                Kind::Access => {
                    let client_id = required_str(view.get(Name::ClientId), "client_id")?;
                    if !client_ids.iter().any(|c| **c == *client_id) {
                        return Err(Error::WrongClientId {
                            found: excerpt(client_id),
                        });
                    }
                }
            }
        }

        if let (Some(resources), Kind::Access) = (&self.resources, kind) {
            let aud = view
                .get(Name::Aud)
                .ok_or(Error::MissingClaim { claim: "aud" })?;
            check_audience(aud, resources)?;
        }

        if !self.groups.is_empty() {
            match view.get(Name::Groups) {
                None => return Err(Error::MissingGroup),
                Some(JsonValue::StrArray(have)) => {
                    if !have.iter().any(|g| self.groups.iter().any(|r| **r == **g)) {
                        return Err(Error::MissingGroup);
                    }
                }
                Some(other) => {
                    return Err(invalid_type(other, "cognito:groups", "an array of strings"));
                }
            }
        }

        if !self.scopes.is_empty() {
            match view.get(Name::Scope) {
                None => return Err(Error::MissingScope),
                Some(JsonValue::Str(have)) => {
                    if !have
                        .split_ascii_whitespace()
                        .any(|s| self.scopes.iter().any(|r| **r == *s))
                    {
                        return Err(Error::MissingScope);
                    }
                }
                Some(other) => return Err(invalid_type(other, "scope", "a string")),
            }
        }
        Ok(kind)
    }
}

impl CognitoVerifier {
    /// Starts configuring a verifier for the user pool `user_pool_id` (`<region>_<id>`). The
    /// issuer and JWKS URI are derived from it unless overridden.
    pub fn builder(user_pool_id: impl Into<String>) -> CognitoVerifierBuilder {
        CognitoVerifierBuilder {
            pool_id: Some(user_pool_id.into()),
            issuer: None,
            jwks_uri: None,
            format: IssuerFormat::CognitoIdp,
            replica_regions: Vec::new(),
            client_ids: ClientIds::Unset,
            resources: None,
            revocations: None,
            token_use: None,
            groups: None,
            scopes: None,
            core: CoreOptions::default(),
            token_cache: None,
            checks: Checks::default(),
        }
    }

    /// Starts configuring a verifier for a Cognito-compatible issuer that is not named by a user
    /// pool id (an emulator with its own URLs): `iss` must be exactly `issuer`, keys come from
    /// `jwks_uri`. Cognito's rules apply as with [`builder`](Self::builder).
    ///
    /// ```
    /// use cognito_verifier::{CognitoVerifier, TokenUse};
    ///
    /// let verifier = CognitoVerifier::builder_for_issuer(
    ///     "http://localhost:9229/local_pool",
    ///     "http://127.0.0.1:9229/local_pool/.well-known/jwks.json",
    /// )
    /// .allow_insecure_http()
    /// .client_ids(["local-client"])
    /// .token_use(TokenUse::Any)
    /// .build()?;
    /// assert!(verifier.user_pool_id().is_none());
    /// # Ok::<(), cognito_verifier::BuildError>(())
    /// ```
    pub fn builder_for_issuer(
        issuer: impl Into<String>,
        jwks_uri: impl Into<String>,
    ) -> CognitoVerifierBuilder {
        CognitoVerifierBuilder {
            pool_id: None,
            issuer: Some(issuer.into()),
            jwks_uri: Some(jwks_uri.into()),
            format: IssuerFormat::CognitoIdp,
            replica_regions: Vec::new(),
            client_ids: ClientIds::Unset,
            resources: None,
            revocations: None,
            token_use: None,
            groups: None,
            scopes: None,
            core: CoreOptions::default(),
            token_cache: None,
            checks: Checks::default(),
        }
    }

    /// Verifies an ID token.
    ///
    /// # Errors
    /// An [`Error`] naming the first check that failed; [`Error::WrongTokenUse`] for an access
    /// token or when the verifier was configured for access tokens only.
    pub async fn verify_id(&self, token: &str) -> Result<IdClaims, Error> {
        into_id(self.claims(token, TokenUse::Id).await?)
    }

    /// Verifies an ID token from the hosted UI's authorization code flow and checks that its
    /// `nonce` is `nonce` (the one sent in the authorization request). Never answered from the
    /// token cache.
    ///
    /// # Errors
    /// As [`verify_id`](Self::verify_id), and [`Error::WrongNonce`] or
    /// [`Error::MissingClaim`] when the nonce does not match or is absent.
    pub async fn verify_id_with_nonce(&self, token: &str, nonce: &str) -> Result<IdClaims, Error> {
        let result = async {
            let signed = self.core.verify_signature(token, false).await?;
            into_id(self.finish_claims(&signed, TokenUse::Id, Some(nonce))?.0)
        }
        .await;
        observe(&result, self.issuer());
        result
    }

    /// Verifies an access token.
    ///
    /// # Errors
    /// An [`Error`] naming the first check that failed; [`Error::WrongTokenUse`] for an ID token
    /// or when the verifier was configured for ID tokens only.
    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, Error> {
        into_access(self.claims(token, TokenUse::Access).await?)
    }

    /// Verifies a token of the configured kind(s) and returns the claims of whichever kind it is.
    ///
    /// # Errors
    /// An [`Error`] naming the first check that failed.
    pub async fn verify_any(&self, token: &str) -> Result<CognitoClaims, Error> {
        self.claims(token, TokenUse::Any).await
    }

    /// Verifies a token of the configured kind(s) and deserializes its claims into `T`. Never
    /// answered from the token cache.
    ///
    /// # Errors
    /// An [`Error`] naming the first check that failed; [`Error::ClaimsType`] when the verified
    /// claims do not fit `T`.
    pub async fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        let result = async {
            let signed = self.core.verify_signature(token, false).await?;
            self.finish(&signed, TokenUse::Any, None)
        }
        .await;
        observe(&result, self.issuer());
        result
    }

    /// [`verify_id`](Self::verify_id), synchronously, with cached keys only: never any I/O, no
    /// runtime needed (after `hydrate`, or with a key set handed over). Not to be confused with
    /// the opt-in verified-token cache, which this uses when it is on, like every path.
    ///
    /// # Errors
    /// [`Error::KeyNotCached`] when no usable key set is cached ([`Error::UnknownKid`] when the
    /// cached set lacks the kid); otherwise as `verify_id`.
    pub fn verify_id_sync(&self, token: &str) -> Result<IdClaims, Error> {
        into_id(self.claims_cached(token, TokenUse::Id)?)
    }

    /// [`verify_access`](Self::verify_access), synchronously, with cached keys only: never any I/O, no
    /// runtime needed (after `hydrate`, or with a key set handed over). Not to be confused with
    /// the opt-in verified-token cache, which this uses when it is on, like every path.
    ///
    /// # Errors
    /// [`Error::KeyNotCached`] when no usable key set is cached ([`Error::UnknownKid`] when the
    /// cached set lacks the kid); otherwise as `verify_access`.
    pub fn verify_access_sync(&self, token: &str) -> Result<AccessClaims, Error> {
        into_access(self.claims_cached(token, TokenUse::Access)?)
    }

    /// [`verify`](Self::verify), synchronously, with cached keys only: never any I/O, no
    /// runtime needed (after `hydrate`, or with a key set handed over). Not to be confused with
    /// the opt-in verified-token cache, which this uses when it is on, like every path.
    ///
    /// # Errors
    /// [`Error::KeyNotCached`] when no usable key set is cached ([`Error::UnknownKid`] when the
    /// cached set lacks the kid); otherwise as `verify`.
    pub fn verify_sync<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        let result = self
            .core
            .verify_signature_cached(token, false)
            .and_then(|signed| self.finish(&signed, TokenUse::Any, None));
        observe(&result, self.issuer());
        result
    }

    /// [`verify_any`](Self::verify_any), synchronously, with cached keys only: never any I/O, no
    /// runtime needed (after `hydrate`, or with a key set handed over). Not to be confused with
    /// the opt-in verified-token cache, which this uses when it is on, like every path.
    ///
    /// # Errors
    /// [`Error::KeyNotCached`] when no usable key set is cached ([`Error::UnknownKid`] when the
    /// cached set lacks the kid); otherwise as `verify_any`.
    pub fn verify_any_sync(&self, token: &str) -> Result<CognitoClaims, Error> {
        self.claims_cached(token, TokenUse::Any)
    }

    /// Fetches the pool's key set now, ignoring the refetch cooldown. Call it at startup.
    ///
    /// # Errors
    /// [`Error::Jwks`] when the key set cannot be fetched or is invalid.
    pub async fn hydrate(&self) -> Result<(), Error> {
        self.core.hydrate().await
    }

    /// Loads a key set at run time, replacing the cached one (see [`JwtVerifier::load_jwks`]):
    /// it never expires; a static verifier keeps only it, a fetching one keeps it until a fetch
    /// succeeds. Clones share it.
    ///
    /// ```
    /// # use cognito_verifier::{CognitoVerifier, TokenUse};
    /// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
    ///     .client_ids(["3u4p8example"])
    ///     .token_use(TokenUse::Access)
    ///     .static_jwks(r#"{"keys":[]}"#)
    ///     .build()?;
    /// // Later, when the application has the pool's current key set (from a file, a secret, …):
    /// # let current_jwks = r#"{"keys":[]}"#;
    /// verifier.load_jwks(current_jwks)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Jwks`] (kind `invalid_jwks`) when the document is not a usable key set; the
    /// cached set is then left as it was.
    pub fn load_jwks(&self, document: impl AsRef<[u8]>) -> Result<(), Error> {
        self.core.load_jwks(document)
    }

    /// The cached JWKS document, if any (see [`JwtVerifier::cached_jwks`]).
    pub fn cached_jwks(&self) -> Option<String> {
        self.core.cached_jwks()
    }

    /// The user pool, unless the verifier was made by
    /// [`builder_for_issuer`](Self::builder_for_issuer).
    pub fn user_pool_id(&self) -> Option<&UserPoolId> {
        self.rules.pool.as_ref()
    }

    /// The (primary) issuer whose tokens are accepted.
    pub fn issuer(&self) -> &str {
        self.core.issuer()
    }

    /// Every accepted issuer (the primary, then replica regions').
    pub fn issuers(&self) -> &[Box<str>] {
        self.core.issuers()
    }

    pub(crate) fn max_token_len(&self) -> usize {
        self.core.max_token_len()
    }

    /// The URI keys are fetched from.
    pub fn jwks_uri(&self) -> &str {
        self.core.jwks_uri()
    }

    /// Everything but the RSA check, for benchmarks (feature `unstable-internals`). With
    /// `typed`, also builds the `AccessClaims`.
    #[cfg(feature = "unstable-internals")]
    pub(crate) fn danger_verify_access_without_signature(
        &self,
        token: &str,
        typed: bool,
    ) -> Result<Option<AccessClaims>, Error> {
        let decoded = self.core.danger_skip_signature_cached(token)?;
        if typed {
            let (claims, _) = self.finish_claims(&decoded, TokenUse::Access, None)?;
            return into_access(claims).map(Some);
        }
        let payload: Payload<'_> = self.core.check_claims(&decoded, None)?;
        self.rules.check(&payload, TokenUse::Access)?;
        self.rules.check_revoked_payload(&payload)?;
        Ok(None)
    }

    /// Stage 5 for `verify::<T>`: checks, then the caller's type from the payload text.
    fn finish<T: DeserializeOwned>(
        &self,
        decoded: &SignedToken<'_>,
        requested: TokenUse,
        nonce: Option<&str>,
    ) -> Result<T, Error> {
        if self.rules.checks.is_empty() {
            let payload: Payload<'_> = self.core.check_claims(decoded, nonce)?;
            self.rules.check(&payload, requested)?;
            self.rules.check_revoked_payload(&payload)?;
        } else {
            // The checks see typed claims: build them (and run the checks) first.
            self.finish_claims(decoded, requested, nonce)?;
        }
        deserialize_claims(decoded.payload_json())
    }

    /// Stage 5 for the typed claims: one pass over the payload, the checks, then the claims
    /// built from what was read. Also returns the token's `nbf`, for the token cache.
    fn finish_claims(
        &self,
        signed: &SignedToken<'_>,
        requested: TokenUse,
        nonce: Option<&str>,
    ) -> Result<(CognitoClaims, Option<i64>), Error> {
        let payload: Payload<'_> = self.core.check_claims(signed, nonce)?;
        let kind = self.rules.check(&payload, requested)?;
        self.rules.check_revoked_payload(&payload)?;
        let nbf = payload
            .get(Name::Nbf)
            .map(|v| numeric_date(v, "nbf"))
            .transpose()?;
        let claims = match kind {
            Kind::Id => IdClaims::from_payload(payload).map(CognitoClaims::Id),
            Kind::Access => AccessClaims::from_payload(payload).map(CognitoClaims::Access),
        };
        let claims = claims.map_err(|reason| Error::ClaimsType { reason })?;
        if !self.rules.checks.is_empty() {
            self.rules.run_checks(&claims, &signed.kid()?)?;
        }
        Ok((claims, nbf))
    }

    /// The typed verifications, through the token cache when there is one.
    async fn claims(&self, token: &str, requested: TokenUse) -> Result<CognitoClaims, Error> {
        let result = self.claims_inner(token, requested).await;
        observe(&result, self.issuer());
        result
    }

    async fn claims_inner(&self, token: &str, requested: TokenUse) -> Result<CognitoClaims, Error> {
        let key = match self.cached_claims(token, requested) {
            Ok(hit) => return Ok(hit),
            Err(key) => key,
        };
        let mut signed = self.core.verify_signature(token, key.is_some()).await?;
        let (claims, nbf) = self.finish_claims(&signed, requested, None)?;
        self.remember(key, &mut signed, &claims, nbf);
        Ok(claims)
    }

    /// As [`claims`](Self::claims), with cached keys only.
    fn claims_cached(&self, token: &str, requested: TokenUse) -> Result<CognitoClaims, Error> {
        let result = self.claims_cached_inner(token, requested);
        observe(&result, self.issuer());
        result
    }

    fn claims_cached_inner(
        &self,
        token: &str,
        requested: TokenUse,
    ) -> Result<CognitoClaims, Error> {
        let key = match self.cached_claims(token, requested) {
            Ok(hit) => return Ok(hit),
            Err(key) => key,
        };
        let mut signed = self.core.verify_signature_cached(token, key.is_some())?;
        let (claims, nbf) = self.finish_claims(&signed, requested, None)?;
        self.remember(key, &mut signed, &claims, nbf);
        Ok(claims)
    }

    /// The resources an access token must be bound to (see
    /// [`CognitoVerifierBuilder::resources`]); `None` when not configured.
    pub fn resources(&self) -> Option<&[Box<str>]> {
        self.rules.resources.as_deref()
    }

    /// This verifier, with `resources` required of access tokens unless it has resources of its
    /// own. Shares the key cache and the verified-token cache (whose hits are re-checked
    /// against the resources).
    pub(crate) fn with_resources_unless_set(&self, resources: &Arc<[Box<str>]>) -> Self {
        if self.rules.resources.is_some() {
            return self.clone();
        }
        let mut rules = Rules::clone(&self.rules);
        rules.resources = Some(Arc::clone(resources));
        Self {
            core: self.core.clone(),
            rules: Arc::new(rules),
            token_cache: self.token_cache.clone(),
        }
    }

    /// This verifier, refusing what `revocations` names unless it has revocations of its own.
    /// Shares the key cache and the verified-token cache (whose hits are checked too).
    pub(crate) fn with_revocations_unless_set(&self, revocations: &Arc<dyn Revocations>) -> Self {
        if self.rules.revocations.is_some() {
            return self.clone();
        }
        let mut rules = Rules::clone(&self.rules);
        rules.revocations = Some(Arc::clone(revocations));
        Self {
            core: self.core.clone(),
            rules: Arc::new(rules),
            token_cache: self.token_cache.clone(),
        }
    }

    /// The claims of `token` when its signature holds with a cached key (see
    /// [`Authenticate::signed_claims`](crate::auth::Authenticate::signed_claims)).
    pub(crate) fn signed_claims(&self, token: &str) -> Option<serde_json::Value> {
        self.core.signed_claims(token)
    }

    /// Whether the verified-token cache is on.
    pub(crate) fn has_token_cache(&self) -> bool {
        self.token_cache.is_some()
    }

    /// The claims of a verified-token cache hit for `token` (of the kind `requested`), reported
    /// as an acceptance like any verification; `None` without a cache or on a miss. For the
    /// framework adapters' synchronous path: a miss then goes through `claims`, which looks the
    /// token up again (a second hash of the signature, once per new token).
    pub(crate) fn token_cache_hit(
        &self,
        token: &str,
        requested: TokenUse,
    ) -> Option<CognitoClaims> {
        let claims = self.cached_claims(token, requested).ok()?;
        tracing::trace!(target: "cognito_verifier::verify", issuer = self.issuer(), "token accepted");
        Some(claims)
    }

    /// A token-cache hit, or (as the error) the token's cache key to store the result under
    /// when there is a cache.
    fn cached_claims(
        &self,
        token: &str,
        requested: TokenUse,
    ) -> Result<CognitoClaims, Option<Key>> {
        let Some(cache) = &self.token_cache else {
            return Err(None);
        };
        if token.len() > self.core.max_token_len() {
            // The length cap comes before any work on the input, hashing included: verify in
            // full, which refuses it at once.
            return Err(None);
        }
        let Some((signed, key)) = TokenCache::key(token) else {
            return Err(None);
        };
        let Some(entry) = cache.get(&key) else {
            return Err(Some(key));
        };
        if !entry.is_for(signed) {
            // The signature of a cached token under another header or payload: verify in full
            // (which refuses it), and leave the genuine token's entry alone.
            return Err(Some(key));
        }
        let kind_fits = matches!(
            (&entry.claims, requested),
            (_, TokenUse::Any)
                | (CognitoClaims::Id(_), TokenUse::Id)
                | (CognitoClaims::Access(_), TokenUse::Access)
        );
        if !kind_fits {
            // Verify in full: that produces the precise error.
            return Err(None);
        }
        let now = self.core.now();
        if entry.in_window(now, self.core.leeway_secs())
            && self.rules.resource_fits(&entry.claims)
            && self.rules.check_revoked_claims(&entry.claims).is_ok()
            && self
                .core
                .key_is_current(&entry.kid, now, |key| entry.same_key(key))
            && self.rules.run_checks(&entry.claims, &entry.kid).is_ok()
        {
            return Ok(entry.claims.clone());
        }
        cache.remove(&key);
        Err(Some(key))
    }

    fn remember(
        &self,
        cache_key: Option<Key>,
        signed: &mut SignedToken<'_>,
        claims: &CognitoClaims,
        nbf: Option<i64>,
    ) {
        let (Some(cache), Some(cache_key), Some((kid, key))) =
            (&self.token_cache, cache_key, signed.take_key())
        else {
            return;
        };
        let (exp, iat) = match claims {
            CognitoClaims::Id(c) => (c.exp, c.iat),
            CognitoClaims::Access(c) => (c.exp, c.iat),
        };

        cache.insert(
            cache_key,
            Entry {
                claims: claims.clone(),
                signed: signed.signing_input().into(),
                exp,
                nbf,
                iat,
                kid,
                key,
            },
        );
    }
}

/// A required list as the rules hold it (empty: not required), refusing one that was given
/// empty or with an empty name.
fn required_list(
    list: Option<Vec<String>>,
    setting: &'static str,
) -> Result<Box<[Box<str>]>, BuildError> {
    match list {
        None => Ok(Box::default()),
        Some(list) if list.is_empty() || list.iter().any(String::is_empty) => {
            Err(BuildError::InvalidSetting {
                setting,
                reason: "an empty list or name: it would lift the restriction; name at least one, or do not call it",
            })
        }
        Some(list) => Ok(list.into_iter().map(Into::into).collect()),
    }
}

fn into_id(claims: CognitoClaims) -> Result<IdClaims, Error> {
    match claims {
        CognitoClaims::Id(c) => Ok(c),
        // Unreachable: the rules accepted the token as an ID token.
        CognitoClaims::Access(_) => Err(Error::WrongTokenUse {
            expected: "id",
            found: "access".into(),
        }),
    }
}

fn into_access(claims: CognitoClaims) -> Result<AccessClaims, Error> {
    match claims {
        CognitoClaims::Access(c) => Ok(c),
        // Unreachable: the rules accepted the token as an access token.
        CognitoClaims::Id(_) => Err(Error::WrongTokenUse {
            expected: "access",
            found: "id".into(),
        }),
    }
}

#[derive(Debug, Clone)]
enum ClientIds {
    Unset,
    Any,
    List(Vec<String>),
}

/// Configures a [`CognitoVerifier`]. Made by [`CognitoVerifier::builder`] or
/// [`CognitoVerifier::builder_for_issuer`].
///
/// [`client_ids`](Self::client_ids) (or [`danger_accept_any_client_id`](Self::danger_accept_any_client_id))
/// and [`token_use`](Self::token_use) are required: nothing that weakens a check is a default.
/// Every other setting has a default; `build()` checks them all and refuses an out-of-range value
/// with a [`BuildError`] that names the setting.
///
/// # What is accepted
///
/// ```
/// use cognito_verifier::{CognitoVerifier, TokenUse};
///
/// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example", "7mobileexample"]) // aud (ID) or client_id (access)
///     .token_use(TokenUse::Access)                    // Id, Access or Any
///     .required_groups(["admins", "ops"])             // any one of them
///     .required_scopes(["orders/read"])               // any one of them
///     .build()?;
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
///
/// # Where keys come from
///
/// By default the pool's JWKS is fetched over HTTPS and cached (see [`KeyCacheConfig`] for how
/// each key source ages). A key set you hand over is configuration and never expires:
///
/// ```
/// # use cognito_verifier::{CognitoVerifier, TokenUse};
/// # let bundled = r#"{"keys":[]}"#; // std::fs::read_to_string("/var/task/jwks.json")?
/// // Only these keys, never fetched (a Lambda without egress, an air-gapped service):
/// let fixed = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Access)
///     .static_jwks(bundled)
///     .build()?;
/// // A floor that verifies at once, then is refreshed from the pool's endpoint:
/// let preloaded = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Access)
///     .jwks(bundled)
///     .build()?;
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
///
/// # Time, caching and fetching
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::{CognitoVerifier, HttpFetcher, KeyCacheConfig, TokenCacheConfig, TokenUse};
///
/// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Any)
///     .leeway(Duration::from_secs(5))                      // clock skew on exp/nbf/iat
///     .max_token_len(8 * 1024)                             // bytes, checked first
///     .key_cache(KeyCacheConfig::default().fetch_deadline(Duration::from_secs(2)))
///     .fetcher(HttpFetcher::builder().request_timeout(Duration::from_secs(1)).build()?)
///     .token_cache(TokenCacheConfig::default().max_entries(50_000)) // opt-in
///     .build()?;
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
///
/// # Issuers: emulators, formats, replicas
///
/// ```
/// use cognito_verifier::{CognitoVerifier, IssuerFormat, TokenUse};
///
/// // A replicated pool, with the issuer-cognito-idp host format:
/// let replicated = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Id)
///     .issuer_format(IssuerFormat::IssuerCognitoIdp)
///     .replica_regions(["us-east-1"])
///     .build()?;
/// // A local emulator that writes one host in `iss` and serves keys at another:
/// let local = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["local-client"])
///     .token_use(TokenUse::Any)
///     .issuer("http://localhost:9229/eu-west-1_AbCdEf123")
///     .jwks_uri("http://127.0.0.1:9229/eu-west-1_AbCdEf123/.well-known/jwks.json")
///     .allow_insecure_http()
///     .build()?;
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Debug)]
pub struct CognitoVerifierBuilder {
    pool_id: Option<String>,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    format: IssuerFormat,
    replica_regions: Vec<String>,
    client_ids: ClientIds,
    resources: Option<Vec<String>>,
    revocations: Option<Arc<dyn Revocations>>,
    token_use: Option<TokenUse>,
    groups: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    core: CoreOptions,
    token_cache: Option<TokenCacheConfig>,
    checks: Checks,
}

/// The builder's checks; shown by count.
#[derive(Default)]
struct Checks(Vec<ClaimsCheck>);

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} check(s)", self.0.len())
    }
}

impl CognitoVerifierBuilder {
    /// Adds a check of your own, run on every token that passed every other rule (like
    /// aws-jwt-verify's `customJwtCheck`): `Err(reason)` refuses it with
    /// [`Error::RejectedByCheck`] (403 `rejected_by_check` in the integrations; the reason is
    /// for logs, never for the response). Checks add up and run in order, on token-cache hits
    /// too. (A route's check, on any verifier's claims, is
    /// [`Policy::check`](crate::auth::Policy::check), which sees [`Verified`](crate::auth::Verified).)
    ///
    /// ```
    /// use cognito_verifier::{CognitoClaims, CognitoVerifier, TokenUse};
    ///
    /// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
    ///     .client_ids(["3u4p8example"])
    ///     .token_use(TokenUse::Id)
    ///     .check_claims(|claims, _header| match claims {
    ///         CognitoClaims::Id(id) if id.email_verified == Some(true) => Ok(()),
    ///         _ => Err("the email address is not verified".into()),
    ///     })
    ///     .build()?;
    /// # Ok::<(), cognito_verifier::BuildError>(())
    /// ```
    pub fn check_claims(
        mut self,
        check: impl Fn(&CognitoClaims, &TokenHeader<'_>) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.checks.0.push(Arc::new(check));
        self
    }

    /// Turns on the verified-token cache (off by default): a token seen before skips the RSA
    /// work, while its time window and key are re-checked on every hit. Read
    /// [`TokenCacheConfig`] for the trade-offs.
    pub fn token_cache(mut self, config: TokenCacheConfig) -> Self {
        self.token_cache = Some(config);
        self
    }

    /// The app client ids whose tokens are accepted (`aud` of ID tokens, `client_id` of access
    /// tokens). Required, unless [`danger_accept_any_client_id`](Self::danger_accept_any_client_id)
    /// is called.
    pub fn client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.client_ids = ClientIds::List(client_ids.into_iter().map(Into::into).collect());
        self
    }

    /// The resources this service is (resource servers' identifiers, such as
    /// `https://orders.example.com`): an access token must be bound to one of them, its `aud`
    /// (a string or an array) naming it, else [`Error::WrongAudience`] (or
    /// [`Error::MissingClaim`] without `aud`). Cognito binds an access token to a resource when
    /// the app client asks for one (resource indicators in managed login); without this, a token
    /// the same pool bound to another API of yours passes. The `client_id` check stays. ID
    /// tokens are not affected. Not set: access tokens need not be bound (the default).
    ///
    /// ```
    /// use cognito_verifier::{CognitoVerifier, TokenUse};
    ///
    /// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
    ///     .client_ids(["3u4p8example"])
    ///     .token_use(TokenUse::Access)
    ///     .resources(["https://orders.example.com"])
    ///     .build()?;
    /// # Ok::<(), cognito_verifier::BuildError>(())
    /// ```
    ///
    /// An empty list is refused when building (it would restrict nothing while looking as if
    /// it did).
    pub fn resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources = Some(resources.into_iter().map(Into::into).collect());
        self
    }

    /// Refuses tokens the application revoked: a token whose `origin_jti` (its session) or
    /// `jti` is in `revocations` is [`Error::Revoked`] (401 `revoked`), on every path, token-cache
    /// hits included. Give a [`RevocationList`](crate::RevocationList) (clones share it: keep
    /// one to [`revoke`](crate::RevocationList::revoke) from your sign-out handler) or your own
    /// [`Revocations`]. Checked after the signature and every other claim; tokens without
    /// `origin_jti`/`jti` (a pool without token revocation) are not affected.
    ///
    /// ```
    /// use cognito_verifier::{CognitoVerifier, RevocationList, TokenUse};
    ///
    /// let revoked = RevocationList::new();
    /// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
    ///     .client_ids(["3u4p8example"])
    ///     .token_use(TokenUse::Access)
    ///     .revocations(revoked.clone())
    ///     .build()?;
    /// # Ok::<(), cognito_verifier::BuildError>(())
    /// ```
    pub fn revocations(mut self, revocations: impl Revocations) -> Self {
        self.revocations = Some(Arc::new(revocations));
        self
    }

    /// Accepts tokens issued to any app client of the pool. Only when every client of the pool
    /// may call you.
    pub fn danger_accept_any_client_id(mut self) -> Self {
        self.client_ids = ClientIds::Any;
        self
    }

    /// Which tokens are accepted: [`TokenUse::Id`], [`TokenUse::Access`] or [`TokenUse::Any`].
    /// Required.
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = Some(token_use);
        self
    }

    /// Requires the token's `cognito:groups` to contain at least one of `groups`. An empty list
    /// (or an empty name) is refused when building: it would look like a restriction and be
    /// none.
    pub fn required_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// Requires the token's `scope` to contain at least one of `scopes`. ID tokens carry no
    /// scopes, so this effectively limits the verifier to access tokens. An empty list (or an
    /// empty name) is refused when building.
    pub fn required_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// The issuer format (default [`IssuerFormat::CognitoIdp`]). The derived issuer and JWKS URI
    /// both follow it.
    pub fn issuer_format(mut self, format: IssuerFormat) -> Self {
        self.format = format;
        self
    }

    /// Also accepts the issuers of these replica regions (same pool id and format, keys from the
    /// primary's JWKS URI), for pools replicated across regions.
    pub fn replica_regions<I, S>(mut self, regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.replica_regions = regions.into_iter().map(Into::into).collect();
        self
    }

    /// Overrides the expected `iss` (default `https://cognito-idp.<region>.<dns suffix>/<pool>`,
    /// the DNS suffix of the region's [`Partition`]: `amazonaws.com`, `amazonaws.com.cn`,
    /// `amazonaws.eu`, …).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Overrides the JWKS URI (default `<issuer>/.well-known/jwks.json`, from the derived
    /// issuer, not an overridden one). Local emulators serve keys at one host and put another in
    /// `iss`: override both.
    pub fn jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(jwks_uri.into());
        self
    }

    core_setters!();

    /// Builds the verifier.
    ///
    /// # Errors
    /// [`BuildError`] for an invalid pool id, a missing client id or token use setting, an
    /// invalid URI or setting, or an invalid preloaded key set.
    pub fn build(self) -> Result<CognitoVerifier, BuildError> {
        let pool: Option<UserPoolId> = self.pool_id.as_deref().map(str::parse).transpose()?;
        let token_use = self.token_use.ok_or(BuildError::Missing(
            "no token use: call token_use(TokenUse::Id | Access | Any)",
        ))?;
        let client_ids = match self.client_ids {
            ClientIds::Unset => {
                return Err(BuildError::Missing(
                    "no client ids: call client_ids([...]) or danger_accept_any_client_id()",
                ));
            }
            ClientIds::Any => None,
            ClientIds::List(list) if list.is_empty() => {
                return Err(BuildError::Missing(
                    "client_ids([...]) was given an empty list",
                ));
            }
            ClientIds::List(list) => Some(list.into_iter().map(Into::into).collect()),
        };
        let groups = required_list(self.groups, "required_groups")?;
        let scopes = required_list(self.scopes, "required_scopes")?;
        let resources = match self.resources {
            Some(list) if list.is_empty() || list.iter().any(String::is_empty) => {
                return Err(BuildError::InvalidSetting {
                    setting: "resources",
                    reason: "an empty list or an empty resource: name at least one, or do not call it",
                });
            }
            Some(list) => Some(list.into_iter().map(Into::into).collect()),
            None => None,
        };
        let derived = pool.as_ref().map(|p| p.issuer_in(self.format, p.region()));
        let (issuer, jwks_uri) = match (derived, self.issuer, self.jwks_uri) {
            (_, Some(issuer), Some(jwks_uri)) => (issuer, jwks_uri),
            (Some(derived), issuer, jwks_uri) => (
                issuer.unwrap_or_else(|| derived.clone()),
                jwks_uri.unwrap_or_else(|| format!("{derived}/.well-known/jwks.json")),
            ),
            (None, _, _) => return Err(BuildError::Missing("no user pool id, issuer or JWKS URI")),
        };
        let mut core = self.core;
        for region in &self.replica_regions {
            let Some(pool) = &pool else {
                return Err(BuildError::Missing("replica_regions need a user pool id"));
            };
            if !is_region(region) {
                return Err(BuildError::InvalidSetting {
                    setting: "replica_regions",
                    reason: "not an AWS region name",
                });
            }
            if Partition::for_region(region) != pool.partition() {
                return Err(BuildError::InvalidSetting {
                    setting: "replica_regions",
                    reason: "a region of another partition than the pool's (pools replicate within a partition)",
                });
            }
            core.extra_issuers.push(pool.issuer_in(self.format, region));
        }
        let token_cache = match &self.token_cache {
            Some(config) => {
                config.validate()?;
                Some(TokenCache::new(config))
            }
            None => None,
        };
        // Cognito's rules check aud (ID tokens) themselves; access tokens have none.
        let core = core.build(&issuer, &jwks_uri, None)?;
        Ok(CognitoVerifier {
            core,
            token_cache,
            rules: Arc::new(Rules {
                pool,
                token_use,
                client_ids,
                resources,
                revocations: self.revocations,
                groups,
                scopes,
                checks: self.checks.0.into(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn rules(
        token_use: TokenUse,
        client_ids: Option<&[&str]>,
        groups: &[&str],
        scopes: &[&str],
    ) -> Rules {
        let boxed = |l: &[&str]| l.iter().map(|s| Box::<str>::from(*s)).collect();
        Rules {
            pool: None,
            token_use,
            client_ids: client_ids.map(boxed),
            resources: None,
            revocations: None,
            groups: boxed(groups),
            scopes: boxed(scopes),
            checks: Box::new([]),
        }
    }

    fn check(r: &Rules, json: &str, requested: TokenUse) -> Result<Kind, ErrorKind> {
        let payload: Payload<'_> = serde_json::from_str(json).unwrap();
        r.check(&payload, requested).map_err(|e| e.kind())
    }

    #[test]
    fn token_use_must_match_config_and_request() {
        let r = rules(TokenUse::Any, None, &[], &[]);
        assert_eq!(
            check(&r, r#"{"token_use":"id"}"#, TokenUse::Any),
            Ok(Kind::Id)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"access"}"#, TokenUse::Access),
            Ok(Kind::Access)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"id"}"#, TokenUse::Access),
            Err(ErrorKind::WrongTokenUse)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"refresh"}"#, TokenUse::Any),
            Err(ErrorKind::WrongTokenUse)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"ID"}"#, TokenUse::Any),
            Err(ErrorKind::WrongTokenUse)
        );
        assert_eq!(check(&r, "{}", TokenUse::Any), Err(ErrorKind::MissingClaim));
        assert_eq!(
            check(&r, r#"{"token_use":["id"]}"#, TokenUse::Any),
            Err(ErrorKind::InvalidClaim)
        );
        let id_only = rules(TokenUse::Id, None, &[], &[]);
        assert_eq!(
            check(&id_only, r#"{"token_use":"access"}"#, TokenUse::Access),
            Err(ErrorKind::WrongTokenUse)
        );
    }

    #[test]
    fn client_id_is_aud_for_id_tokens_and_client_id_for_access_tokens() {
        let r = rules(TokenUse::Any, Some(&["c1", "c2"]), &[], &[]);
        assert_eq!(
            check(&r, r#"{"token_use":"id","aud":"c2"}"#, TokenUse::Any),
            Ok(Kind::Id)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"id","aud":"c3"}"#, TokenUse::Any),
            Err(ErrorKind::WrongAudience)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"id","client_id":"c1"}"#, TokenUse::Any),
            Err(ErrorKind::MissingClaim)
        );
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"access","client_id":"c1"}"#,
                TokenUse::Any
            ),
            Ok(Kind::Access)
        );
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"access","client_id":"c3"}"#,
                TokenUse::Any
            ),
            Err(ErrorKind::WrongClientId)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"access","aud":"c1"}"#, TokenUse::Any),
            Err(ErrorKind::MissingClaim)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"access","client_id":1}"#, TokenUse::Any),
            Err(ErrorKind::InvalidClaim)
        );
    }

    #[test]
    fn resources_bind_access_tokens_only() {
        let mut r = rules(TokenUse::Any, Some(&["c"]), &[], &[]);
        r.resources = Some(vec!["https://a.example".into(), "urn:b".into()].into());
        let access = |aud: &str| format!(r#"{{"token_use":"access","client_id":"c"{aud}}}"#);
        for fits in [
            r#","aud":"https://a.example""#,
            r#","aud":"urn:b""#,
            r#","aud":["x","urn:b"]"#,
        ] {
            assert_eq!(
                check(&r, &access(fits), TokenUse::Any),
                Ok(Kind::Access),
                "{fits}"
            );
        }
        for (aud, error) in [
            ("", ErrorKind::MissingClaim),
            (r#","aud":null"#, ErrorKind::MissingClaim),
            (
                r#","aud":"https://other.example""#,
                ErrorKind::WrongAudience,
            ),
            (r#","aud":["x","y"]"#, ErrorKind::WrongAudience),
            (r#","aud":[]"#, ErrorKind::WrongAudience),
            (r#","aud":"HTTPS://A.EXAMPLE""#, ErrorKind::WrongAudience),
            (r#","aud":5"#, ErrorKind::InvalidClaim),
        ] {
            assert_eq!(check(&r, &access(aud), TokenUse::Any), Err(error), "{aud}");
        }
        // The client check still runs first.
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"access","client_id":"z","aud":"urn:b"}"#,
                TokenUse::Any
            ),
            Err(ErrorKind::WrongClientId)
        );
        // ID tokens: aud is the client id, and resources do not apply.
        assert_eq!(
            check(&r, r#"{"token_use":"id","aud":"c"}"#, TokenUse::Any),
            Ok(Kind::Id)
        );
    }

    #[test]
    fn an_empty_required_list_is_refused_naming_its_setting() {
        let b = || {
            CognitoVerifier::builder("eu-west-1_AbC123")
                .token_use(TokenUse::Access)
                .client_ids(["c"])
        };
        for list in [vec![], vec![String::new()]] {
            for (name, built) in [
                ("resources", b().resources(list.clone()).build()),
                ("required_groups", b().required_groups(list.clone()).build()),
                ("required_scopes", b().required_scopes(list.clone()).build()),
            ] {
                assert!(
                    matches!(&built, Err(BuildError::InvalidSetting { setting, .. }) if *setting == name),
                    "{name}: {built:?}"
                );
            }
        }
        assert!(
            b().required_groups(["admins"])
                .required_scopes(["a/b"])
                .build()
                .is_ok()
        );
    }

    #[test]
    fn groups_and_scopes_are_any_of() {
        let r = rules(TokenUse::Any, None, &["admins", "ops"], &[]);
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"id","cognito:groups":["users","ops"]}"#,
                TokenUse::Any
            ),
            Ok(Kind::Id)
        );
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"id","cognito:groups":["users"]}"#,
                TokenUse::Any
            ),
            Err(ErrorKind::MissingGroup)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"id"}"#, TokenUse::Any),
            Err(ErrorKind::MissingGroup)
        );
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"id","cognito:groups":"admins"}"#,
                TokenUse::Any
            ),
            Err(ErrorKind::InvalidClaim)
        );
        let r = rules(TokenUse::Any, None, &[], &["orders/read"]);
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"access","scope":"a orders/read"}"#,
                TokenUse::Any
            ),
            Ok(Kind::Access)
        );
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"access","scope":"orders/readx"}"#,
                TokenUse::Any
            ),
            Err(ErrorKind::MissingScope)
        );
        assert_eq!(
            check(&r, r#"{"token_use":"id"}"#, TokenUse::Any),
            Err(ErrorKind::MissingScope)
        );
        assert_eq!(
            check(
                &r,
                r#"{"token_use":"access","scope":["orders/read"]}"#,
                TokenUse::Any
            ),
            Err(ErrorKind::InvalidClaim)
        );
    }

    #[test]
    fn builder_requires_explicit_choices() {
        let b = || CognitoVerifier::builder("eu-west-1_AbC123");
        assert!(matches!(
            b().client_ids(["c"]).build(),
            Err(BuildError::Missing(_))
        ));
        assert!(matches!(
            b().token_use(TokenUse::Id).build(),
            Err(BuildError::Missing(_))
        ));
        assert!(matches!(
            b().token_use(TokenUse::Id)
                .client_ids(Vec::<String>::new())
                .build(),
            Err(BuildError::Missing(_))
        ));
        assert!(matches!(
            CognitoVerifier::builder("nope")
                .token_use(TokenUse::Id)
                .client_ids(["c"])
                .build(),
            Err(BuildError::InvalidUserPoolId(_))
        ));
        let v = b()
            .token_use(TokenUse::Id)
            .danger_accept_any_client_id()
            .build()
            .unwrap();
        assert_eq!(
            v.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            v.jwks_uri(),
            format!("{}/.well-known/jwks.json", v.issuer())
        );
        assert_eq!(v.user_pool_id().unwrap().region(), "eu-west-1");
        let v = b()
            .token_use(TokenUse::Any)
            .client_ids(["c"])
            .issuer("http://localhost:9229/eu-west-1_AbC123")
            .jwks_uri("http://127.0.0.1:9229/eu-west-1_AbC123/.well-known/jwks.json")
            .allow_insecure_http()
            .build()
            .unwrap();
        assert_eq!(v.issuer(), "http://localhost:9229/eu-west-1_AbC123");
        assert!(v.jwks_uri().starts_with("http://127.0.0.1"));
    }

    #[test]
    fn the_token_cache_hashes_nothing_over_the_length_cap() {
        // Review finding 5: the whole input was hashed before the length cap was applied.
        let v = CognitoVerifier::builder("eu-west-1_AbC123")
            .token_use(TokenUse::Any)
            .client_ids(["c"])
            .max_token_len(100)
            .static_jwks(r#"{"keys":[]}"#)
            .token_cache(TokenCacheConfig::default())
            .build()
            .unwrap();
        let long = format!("{}.{}", "a".repeat(50), "b".repeat(50));
        assert!(matches!(v.cached_claims(&long, TokenUse::Any), Err(None)));
        assert!(matches!(
            v.cached_claims(&long[..100], TokenUse::Any),
            Err(Some(_))
        ));
        assert_eq!(
            v.verify_any_sync(&long).unwrap_err().kind(),
            ErrorKind::Malformed
        );
    }

    #[cfg(feature = "test-kit")]
    #[tokio::test]
    async fn a_forged_token_under_a_cached_signature_leaves_the_entry_alone() {
        let issuer = crate::testkit::TestIssuer::start().await.unwrap();
        let v = issuer
            .verifier_builder("c")
            .token_use(TokenUse::Access)
            .token_cache(TokenCacheConfig::default())
            .build()
            .unwrap();
        let token = issuer.access_token("c").username("alice").sign();
        // First sight: a miss, with the key to store under; then stored, a hit.
        assert!(matches!(
            v.cached_claims(&token, TokenUse::Access),
            Err(Some(_))
        ));
        v.verify_access(&token).await.unwrap();
        assert!(v.cached_claims(&token, TokenUse::Access).is_ok());
        // The same signature under another payload: a miss, refused in full...
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let mut forged = signed.as_bytes().to_vec();
        let mid = forged.len() / 2;
        forged[mid] = if forged[mid] == b'A' { b'B' } else { b'A' };
        let forged = format!("{}.{signature}", String::from_utf8(forged).unwrap());
        assert!(matches!(
            v.cached_claims(&forged, TokenUse::Access),
            Err(Some(_))
        ));
        assert_eq!(
            v.verify_access(&forged).await.unwrap_err().kind(),
            ErrorKind::InvalidSignature
        );
        // ...and the genuine token's entry is still there.
        assert!(v.cached_claims(&token, TokenUse::Access).is_ok());
    }

    #[test]
    fn issuer_formats_and_replica_regions_derive_issuers_and_jwks() {
        let v = CognitoVerifier::builder("eu-west-1_AbC123")
            .token_use(TokenUse::Any)
            .client_ids(["c"])
            .issuer_format(IssuerFormat::IssuerCognitoIdp)
            .replica_regions(["us-east-1", "ap-southeast-2"])
            .build()
            .unwrap();
        let primary = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123";
        assert_eq!(v.issuer(), primary);
        assert_eq!(v.jwks_uri(), format!("{primary}/.well-known/jwks.json"));
        let issuers: Vec<&str> = v.issuers().iter().map(|s| &**s).collect();
        assert_eq!(
            issuers,
            [
                primary,
                "https://issuer-cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123",
                "https://issuer-cognito-idp.ap-southeast-2.amazonaws.com/eu-west-1_AbC123",
            ]
        );
        let bad = CognitoVerifier::builder("eu-west-1_AbC123")
            .token_use(TokenUse::Any)
            .client_ids(["c"])
            .replica_regions(["evil.com/x"])
            .build();
        assert!(matches!(bad, Err(BuildError::InvalidSetting { .. })));
    }
}
