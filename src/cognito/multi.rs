//! [`MultiPoolVerifier`]: one verifier for the tokens of several user pools.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::cognito::claims::{AccessClaims, CognitoClaims, IdClaims};
use crate::cognito::revocation::Revocations;
use crate::cognito::verifier::CognitoVerifier;
use crate::error::{BuildError, Error, excerpt};
use crate::jwt::claims::required_str;
use crate::jwt::parse::{DecodedToken, JsonValue, parse_json_object};

/// Accepts tokens from several user pools, each with its own [`CognitoVerifier`] (its own client
/// ids, token use, groups and scopes).
///
/// The pool is chosen by the token's `iss`, read before the signature is checked; that choice only
/// picks which verifier runs. The chosen verifier then checks everything, `iss` included, with its
/// own pool's keys, so a forged `iss` gains nothing.
///
/// ```
/// use cognito_verifier::{CognitoVerifier, MultiPoolVerifier, TokenUse};
///
/// let staff = CognitoVerifier::builder("eu-west-1_Staff1")
///     .client_ids(["staff-app"])
///     .token_use(TokenUse::Id)
///     .build()?;
/// let customers = CognitoVerifier::builder("eu-west-1_Cust1")
///     .client_ids(["shop-web", "shop-ios"])
///     .token_use(TokenUse::Access)
///     .build()?;
/// let verifier = MultiPoolVerifier::new([staff, customers])?;
/// assert_eq!(verifier.pools().count(), 2);
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MultiPoolVerifier {
    by_issuer: Arc<HashMap<Box<str>, CognitoVerifier>>,
    max_token_len: usize,
}

#[derive(Deserialize)]
struct IssuerOnly<'a> {
    #[serde(borrow)]
    iss: Option<JsonValue<'a>>,
}

impl MultiPoolVerifier {
    /// Combines verifiers. Every issuer a verifier accepts (replica regions included) routes to it.
    ///
    /// # Errors
    /// [`BuildError::DuplicateIssuer`] when two verifiers accept one issuer;
    /// [`BuildError::Missing`] when there are none.
    pub fn new(verifiers: impl IntoIterator<Item = CognitoVerifier>) -> Result<Self, BuildError> {
        let mut by_issuer = HashMap::new();
        let mut max_token_len = 0;
        for verifier in verifiers {
            max_token_len = max_token_len.max(verifier.max_token_len());
            for issuer in verifier.issuers() {
                if by_issuer.insert(issuer.clone(), verifier.clone()).is_some() {
                    return Err(BuildError::DuplicateIssuer(issuer.to_string()));
                }
            }
        }
        if by_issuer.is_empty() {
            return Err(BuildError::Missing(
                "MultiPoolVerifier::new was given no verifiers",
            ));
        }
        Ok(Self {
            by_issuer: Arc::new(by_issuer),
            max_token_len,
        })
    }

    /// Requires the access tokens of every pool to be bound to one of `resources` (their `aud`
    /// naming it; see [`CognitoVerifierBuilder::resources`](crate::CognitoVerifierBuilder::resources)).
    /// A pool whose verifier was built with resources of its own keeps those. The verifiers
    /// keep sharing their key caches with the ones passed in.
    ///
    /// ```
    /// use cognito_verifier::{CognitoVerifier, MultiPoolVerifier, TokenUse};
    ///
    /// let pool = |id: &str| {
    ///     CognitoVerifier::builder(id)
    ///         .client_ids(["web"])
    ///         .token_use(TokenUse::Access)
    ///         .build()
    /// };
    /// let verifier = MultiPoolVerifier::new([pool("eu-west-1_A1")?, pool("us-east-1_B1")?])?
    ///     .resources(["https://orders.example.com"])?;
    /// # Ok::<(), cognito_verifier::BuildError>(())
    /// ```
    ///
    /// # Errors
    /// [`BuildError::InvalidSetting`] for an empty list or an empty resource.
    pub fn resources<I, S>(self, resources: I) -> Result<Self, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let resources: Vec<String> = resources.into_iter().map(Into::into).collect();
        if resources.is_empty() || resources.iter().any(String::is_empty) {
            return Err(BuildError::InvalidSetting {
                setting: "resources",
                reason: "an empty list or an empty resource: name at least one, or do not call it",
            });
        }
        let resources: Arc<[Box<str>]> = resources.into_iter().map(Into::into).collect();
        let by_issuer = self
            .by_issuer
            .iter()
            .map(|(iss, v)| (iss.clone(), v.with_resources_unless_set(&resources)))
            .collect();
        Ok(Self {
            by_issuer: Arc::new(by_issuer),
            max_token_len: self.max_token_len,
        })
    }

    /// Refuses, in every pool, the tokens `revocations` names (see
    /// [`CognitoVerifierBuilder::revocations`](crate::CognitoVerifierBuilder::revocations)). A
    /// pool whose verifier was built with revocations of its own keeps those.
    ///
    /// ```
    /// use cognito_verifier::{CognitoVerifier, MultiPoolVerifier, RevocationList, TokenUse};
    ///
    /// let pool = |id: &str| {
    ///     CognitoVerifier::builder(id)
    ///         .client_ids(["web"])
    ///         .token_use(TokenUse::Access)
    ///         .build()
    /// };
    /// let revoked = RevocationList::new();
    /// let verifier = MultiPoolVerifier::new([pool("eu-west-1_A1")?, pool("us-east-1_B1")?])?
    ///     .revocations(revoked.clone());
    /// # Ok::<(), cognito_verifier::BuildError>(())
    /// ```
    #[must_use]
    pub fn revocations(self, revocations: impl Revocations) -> Self {
        let revocations: Arc<dyn Revocations> = Arc::new(revocations);
        let by_issuer = self
            .by_issuer
            .iter()
            .map(|(iss, v)| (iss.clone(), v.with_revocations_unless_set(&revocations)))
            .collect();
        Self {
            by_issuer: Arc::new(by_issuer),
            max_token_len: self.max_token_len,
        }
    }

    /// The verifiers, one per accepted issuer (a verifier with replica regions appears once per
    /// region).
    pub fn pools(&self) -> impl Iterator<Item = (&str, &CognitoVerifier)> {
        self.by_issuer.iter().map(|(iss, v)| (&**iss, v))
    }

    /// Whether any pool's verifier has the verified-token cache on.
    pub(crate) fn has_token_cache(&self) -> bool {
        self.by_issuer
            .values()
            .any(CognitoVerifier::has_token_cache)
    }

    /// The verifier for the token's (unverified) `iss`.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a token that cannot be decoded, [`Error::MissingClaim`] without
    /// `iss`, [`Error::WrongIssuer`] when no pool has that issuer.
    pub fn route(&self, token: &str) -> Result<&CognitoVerifier, Error> {
        let decoded = DecodedToken::decode(token, self.max_token_len)?;
        let peek: IssuerOnly<'_> = parse_json_object(decoded.payload_json(), "payload")?;
        let iss = required_str(peek.iss.as_ref(), "iss")?;
        self.by_issuer.get(iss).ok_or_else(|| Error::WrongIssuer {
            found: excerpt(iss),
        })
    }

    /// Loads a key set at run time into the verifier of the pool whose issuer is `issuer` (see
    /// [`CognitoVerifier::load_jwks`]).
    ///
    /// # Errors
    /// [`Error::WrongIssuer`] when no pool has that issuer; [`Error::Jwks`] when the document is
    /// not a usable key set (the cached set is then left as it was).
    pub fn load_jwks(&self, issuer: &str, document: impl AsRef<[u8]>) -> Result<(), Error> {
        let verifier = self
            .by_issuer
            .get(issuer)
            .ok_or_else(|| Error::WrongIssuer {
                found: excerpt(issuer),
            })?;
        verifier.load_jwks(document)
    }

    /// Verifies an ID token from any of the pools.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_id`].
    pub async fn verify_id(&self, token: &str) -> Result<IdClaims, Error> {
        self.route(token)?.verify_id(token).await
    }

    /// Verifies an access token from any of the pools.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_access`].
    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, Error> {
        self.route(token)?.verify_access(token).await
    }

    /// Verifies a token of the kind its pool accepts.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_any`].
    pub async fn verify_any(&self, token: &str) -> Result<CognitoClaims, Error> {
        self.route(token)?.verify_any(token).await
    }

    /// Verifies a token and deserializes its claims into `T`.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify`].
    pub async fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        self.route(token)?.verify(token).await
    }

    /// Like [`verify_any`](Self::verify_any) with cached keys only.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_any_sync`].
    pub fn verify_any_sync(&self, token: &str) -> Result<CognitoClaims, Error> {
        self.route(token)?.verify_any_sync(token)
    }

    /// Like [`verify_id`](Self::verify_id) with cached keys only: never any I/O.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_id_sync`].
    pub fn verify_id_sync(&self, token: &str) -> Result<IdClaims, Error> {
        self.route(token)?.verify_id_sync(token)
    }

    /// Like [`verify_access`](Self::verify_access) with cached keys only: never any I/O.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_access_sync`].
    pub fn verify_access_sync(&self, token: &str) -> Result<AccessClaims, Error> {
        self.route(token)?.verify_access_sync(token)
    }

    /// Like [`verify`](Self::verify) with cached keys only: never any I/O.
    ///
    /// # Errors
    /// As [`route`](Self::route), then as [`CognitoVerifier::verify_sync`].
    pub fn verify_sync<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        self.route(token)?.verify_sync(token)
    }

    /// Fetches every pool's keys.
    ///
    /// # Errors
    /// The first pool whose keys could not be fetched.
    pub async fn hydrate(&self) -> Result<(), Error> {
        for verifier in self.by_issuer.values() {
            verifier.hydrate().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, TokenUse};

    fn pool(id: &str) -> CognitoVerifier {
        CognitoVerifier::builder(id)
            .client_ids(["c"])
            .token_use(TokenUse::Any)
            .build()
            .unwrap()
    }

    fn token_with_payload(payload: &str) -> String {
        use base64::Engine as _;
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{}",
            e(r#"{"alg":"RS256","kid":"k"}"#),
            e(payload),
            e("sig")
        )
    }

    #[test]
    fn routes_by_issuer_and_refuses_duplicates() {
        let m = MultiPoolVerifier::new([pool("eu-west-1_A"), pool("us-east-1_B")]).unwrap();
        let t = token_with_payload(
            r#"{"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_B"}"#,
        );
        assert_eq!(
            m.route(&t).unwrap().user_pool_id().unwrap().as_str(),
            "us-east-1_B"
        );
        let kind = |t: &str| m.route(t).err().map(|e| e.kind());
        assert_eq!(
            kind(&token_with_payload(r#"{"iss":"https://x"}"#)),
            Some(ErrorKind::WrongIssuer)
        );
        assert_eq!(
            kind(&token_with_payload("{}")),
            Some(ErrorKind::MissingClaim)
        );
        assert_eq!(kind(&token_with_payload("[]")), Some(ErrorKind::Malformed));
        assert_eq!(kind("x.y"), Some(ErrorKind::Malformed));

        let dup = MultiPoolVerifier::new([pool("eu-west-1_A"), pool("eu-west-1_A")]);
        assert!(matches!(dup, Err(BuildError::DuplicateIssuer(_))));
        assert!(matches!(
            MultiPoolVerifier::new([]),
            Err(BuildError::Missing(_))
        ));
    }
}
