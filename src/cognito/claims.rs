//! Typed claims of Cognito ID and access tokens.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jwt::claims::numeric_date;
use crate::jwt::parse::JsonValue;

/// Which kind of Cognito token a verifier accepts (`token_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenUse {
    /// ID tokens (`token_use: "id"`): identity of the user, `aud` is the app client id.
    Id,
    /// Access tokens (`token_use: "access"`): authorization, `client_id` is the app client id.
    Access,
    /// Either kind.
    Any,
}

impl TokenUse {
    pub(crate) fn accepts(self, found: &str) -> bool {
        match self {
            Self::Id => found == "id",
            Self::Access => found == "access",
            Self::Any => found == "id" || found == "access",
        }
    }

    pub(crate) fn expected(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
            Self::Any => "id or access",
        }
    }
}

/// The claims of a verified Cognito ID token.
///
/// Claims without a field of their own (including `custom:*` attributes and `token_use`) are kept
/// in [`other`](Self::other).
///
/// ```
/// use cognito_jwt_verify::IdClaims;
///
/// let claims: IdClaims = serde_json::from_str(r#"{
///     "sub": "aaaa-bbbb", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x",
///     "aud": "client", "exp": 1700003600, "iat": 1700000000, "token_use": "id",
///     "cognito:username": "alice", "email_verified": "true", "custom:tenant": "acme"
/// }"#)?;
/// assert_eq!(claims.username.as_deref(), Some("alice"));
/// assert_eq!(claims.email_verified, Some(true));
/// assert_eq!(claims.custom_attribute("tenant"), Some("acme"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// The user's unique, stable id (a UUID).
    pub sub: String,
    /// The issuer (the user pool's URL).
    pub iss: String,
    /// The app client id the token was issued to.
    #[serde(deserialize_with = "single_audience")]
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    #[serde(deserialize_with = "date")]
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(deserialize_with = "date")]
    pub iat: i64,
    /// When the user authenticated, seconds since the Unix epoch.
    #[serde(
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_time: Option<i64>,
    /// The user name (`cognito:username`).
    #[serde(
        rename = "cognito:username",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
    /// The user's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email address was verified (Cognito sends a boolean or `"true"`/`"false"`).
    #[serde(
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The user's phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number was verified (a boolean or `"true"`/`"false"`).
    #[serde(
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_verified: Option<bool>,
    /// The user's groups (`cognito:groups`); empty when the user is in none.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    /// Federated identities (sign-in through Google, SAML, …), as Cognito lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<Value>,
    /// The id of the authentication event that started the session (`origin_jti`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The authentication event's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The token's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The nonce of the hosted UI's authorization request, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Every other claim: `token_use`, `custom:*` attributes, `at_hash`, `cognito:roles`, ….
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl IdClaims {
    /// A custom attribute's value, by name without the `custom:` prefix. Cognito sends custom
    /// attributes as strings; a non-string value reads as `None` (find it in
    /// [`other`](Self::other)).
    pub fn custom_attribute(&self, name: &str) -> Option<&str> {
        custom_attribute(&self.other, name)
    }

    /// All custom attributes, as `(name without prefix, value)`.
    pub fn custom_attributes(&self) -> impl Iterator<Item = (&str, &Value)> {
        custom_attributes(&self.other)
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// The claims of a verified Cognito access token.
///
/// ```
/// use cognito_jwt_verify::AccessClaims;
///
/// let claims: AccessClaims = serde_json::from_str(r#"{
///     "sub": "aaaa-bbbb", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x",
///     "client_id": "client", "exp": 1700003600, "iat": 1700000000, "token_use": "access",
///     "scope": "aws.cognito.signin.user.admin orders/read", "username": "alice"
/// }"#)?;
/// assert!(claims.scope.contains("orders/read"));
/// assert_eq!(claims.scope.len(), 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// The user's unique id, or the app client's for machine-to-machine tokens.
    pub sub: String,
    /// The issuer (the user pool's URL).
    pub iss: String,
    /// The app client id the token was issued to.
    pub client_id: String,
    /// Expiry, seconds since the Unix epoch.
    #[serde(deserialize_with = "date")]
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(deserialize_with = "date")]
    pub iat: i64,
    /// When the user authenticated, seconds since the Unix epoch.
    #[serde(
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_time: Option<i64>,
    /// The user name; absent on machine-to-machine (client credentials) tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The granted OAuth scopes.
    #[serde(default, skip_serializing_if = "Scopes::is_empty")]
    pub scope: Scopes,
    /// The user's groups (`cognito:groups`); empty when the user is in none.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    /// The id of the authentication event that started the session (`origin_jti`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The authentication event's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The token's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The access token format version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The remembered device's key, when device tracking is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    /// Every other claim: `token_use`, claims added by a pre-token-generation trigger, ….
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AccessClaims {
    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.contains(scope)
    }

    /// A custom attribute's value, by name without the `custom:` prefix (access tokens carry them
    /// only when a pre-token-generation trigger adds them).
    pub fn custom_attribute(&self, name: &str) -> Option<&str> {
        custom_attribute(&self.other, name)
    }
}

/// The claims of a verified token of either kind, from
/// [`CognitoVerifier::verify_any`](crate::CognitoVerifier::verify_any).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CognitoClaims {
    /// An ID token's claims.
    Id(IdClaims),
    /// An access token's claims.
    Access(AccessClaims),
}

impl CognitoClaims {
    /// The subject (`sub`), whichever the kind.
    pub fn sub(&self) -> &str {
        match self {
            Self::Id(c) => &c.sub,
            Self::Access(c) => &c.sub,
        }
    }

    /// The groups (`cognito:groups`), whichever the kind.
    pub fn groups(&self) -> &[String] {
        match self {
            Self::Id(c) => &c.groups,
            Self::Access(c) => &c.groups,
        }
    }
}

/// A set of OAuth scopes, read from the space-separated `scope` claim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// The scopes, in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// How many scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self(iter.into_iter().map(Into::into).collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(s.split_ascii_whitespace().collect())
    }
}

fn custom_attribute<'m>(other: &'m Map<String, Value>, name: &str) -> Option<&'m str> {
    other
        .iter()
        .find(|(k, _)| k.strip_prefix("custom:") == Some(name))
        .and_then(|(_, v)| v.as_str())
}

fn custom_attributes(other: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    other
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("custom:").map(|name| (name, v)))
}

fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let value = JsonValue::deserialize(deserializer)?;
    numeric_date(&value, "date").map_err(de::Error::custom)
}

fn opt_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match JsonValue::deserialize(deserializer)? {
        JsonValue::Null => Ok(None),
        value => numeric_date(&value, "date")
            .map(Some)
            .map_err(de::Error::custom),
    }
}

fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    match JsonValue::deserialize(deserializer)? {
        JsonValue::Null => Ok(None),
        JsonValue::Bool(b) => Ok(Some(b)),
        JsonValue::Str(s) if s == "true" => Ok(Some(true)),
        JsonValue::Str(s) if s == "false" => Ok(Some(false)),
        other => Err(de::Error::custom(format_args!(
            "expected a boolean or \"true\"/\"false\", found {}",
            other.type_name()
        ))),
    }
}

/// Cognito ID tokens carry one audience as a string; an array of exactly one is accepted too.
fn single_audience<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match JsonValue::deserialize(deserializer)? {
        JsonValue::Str(s) => Ok(s.into_owned()),
        JsonValue::StrArray(mut list) if list.len() == 1 => Ok(list
            .pop()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default()),
        other => Err(de::Error::custom(format_args!(
            "expected one audience, found {}",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_claims_read_cognito_shapes_and_round_trip() {
        let json = r#"{"sub":"s","iss":"i","aud":["c"],"exp":2.5,"iat":1,"auth_time":1,
            "cognito:username":"u","email":"e@x","email_verified":false,
            "phone_number_verified":"true","cognito:groups":["admins","users"],
            "identities":[{"providerName":"Google","primary":"true"}],
            "token_use":"id","custom:tenant":"acme","custom:n":5,"origin_jti":"o","event_id":"ev"}"#;
        let c: IdClaims = serde_json::from_str(json).unwrap();
        assert_eq!(c.aud, "c");
        assert_eq!(c.exp, 2);
        assert_eq!(c.email_verified, Some(false));
        assert_eq!(c.phone_number_verified, Some(true));
        assert!(c.in_group("admins") && !c.in_group("root"));
        assert_eq!(c.identities.len(), 1);
        assert_eq!(c.custom_attribute("tenant"), Some("acme"));
        assert_eq!(c.custom_attribute("n"), None);
        assert_eq!(c.custom_attributes().count(), 2);
        assert_eq!(c.other["token_use"], "id");
        let back: IdClaims = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn id_claims_refuse_wrong_types() {
        for bad in [
            r#"{"sub":"s","iss":"i","aud":"c","exp":1,"iat":1,"email_verified":"yes"}"#,
            r#"{"sub":"s","iss":"i","aud":["a","b"],"exp":1,"iat":1}"#,
            r#"{"sub":"s","iss":"i","aud":"c","exp":"1","iat":1}"#,
            r#"{"iss":"i","aud":"c","exp":1,"iat":1}"#,
        ] {
            assert!(serde_json::from_str::<IdClaims>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn access_claims_parse_scopes_as_a_set() {
        let json = r#"{"sub":"s","iss":"i","client_id":"c","exp":1,"iat":1,
            "scope":"b a  b","version":2,"username":"u","token_use":"access"}"#;
        let c: AccessClaims = serde_json::from_str(json).unwrap();
        assert_eq!(c.scope.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(c.has_scope("a") && !c.has_scope("c"));
        assert_eq!(c.scope.to_string(), "a b");
        assert_eq!(c.version, Some(2));
        let back: AccessClaims = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let m2m = r#"{"sub":"c","iss":"i","client_id":"c","exp":1,"iat":1,"scope":"x/y"}"#;
        let c: AccessClaims = serde_json::from_str(m2m).unwrap();
        assert_eq!(c.username, None);
        let any = CognitoClaims::Access(c);
        assert_eq!(any.sub(), "c");
        assert!(any.groups().is_empty());
    }

    #[test]
    fn token_use_accepts_what_it_names() {
        assert!(TokenUse::Id.accepts("id") && !TokenUse::Id.accepts("access"));
        assert!(TokenUse::Access.accepts("access") && !TokenUse::Access.accepts("id"));
        assert!(TokenUse::Any.accepts("id") && TokenUse::Any.accepts("access"));
        assert!(!TokenUse::Any.accepts("refresh"));
    }
}
