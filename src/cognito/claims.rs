//! Typed claims of Cognito ID and access tokens.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, MapAccess, Visitor};
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
/// Claims without a field of their own (including `custom:*` attributes) are kept in
/// [`other`](Self::other). Deserializing (also through `verify::<IdClaims>`) refuses a payload
/// whose `token_use` is not `"id"`: the value only ever holds an ID token's claims.
///
/// ```
/// use cognito_verifier::IdClaims;
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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// The user's unique, stable id (a UUID).
    pub sub: String,
    /// The issuer (the user pool's URL).
    pub iss: String,
    /// The app client id the token was issued to.
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: i64,
    /// When the user authenticated, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The user name (`cognito:username`).
    #[serde(rename = "cognito:username", skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user's email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email address was verified (Cognito sends a boolean or `"true"`/`"false"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The user's phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number was verified (a boolean or `"true"`/`"false"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// The user's groups (`cognito:groups`); empty when the user is in none.
    #[serde(rename = "cognito:groups", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Federated identities (sign-in through Google, SAML, …), as Cognito lists them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<Value>,
    /// The id of the authentication event that started the session (`origin_jti`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The authentication event's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The token's unique id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The nonce of the hosted UI's authorization request, if there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Every other claim: `custom:*` attributes, `at_hash`, `cognito:roles`, …. (`token_use` is
    /// not kept: the type says it.)
    #[serde(flatten)]
    pub other: Map<String, Value>,
    /// Serializes as `"token_use":"id"`, so that serialized claims deserialize again.
    #[serde(rename = "token_use")]
    kind: KindMark<true>,
}

/// The `token_use` a typed claims value serializes with: `"id"` (`ID`) or `"access"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct KindMark<const ID: bool>;

impl<const ID: bool> Serialize for KindMark<ID> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if ID { "id" } else { "access" })
    }
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
/// Deserializing (also through `verify::<AccessClaims>`) refuses a payload whose `token_use` is
/// not `"access"`: an ID token never comes out as access claims with an unchecked `client_id`.
///
/// ```
/// use cognito_verifier::AccessClaims;
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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// The user's unique id, or the app client's for machine-to-machine tokens.
    pub sub: String,
    /// The issuer (the user pool's URL).
    pub iss: String,
    /// The app client id the token was issued to.
    pub client_id: String,
    /// The resources (resource servers' identifiers) the token is bound to (`aud`): empty unless
    /// the app client requested one (resource binding). Cognito writes one as a string; several,
    /// or one in an array, are read too. Serialized as the token had it in shape: one as a
    /// string, several as an array.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: i64,
    /// When the user authenticated, seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The user name; absent on machine-to-machine (client credentials) tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The granted OAuth scopes.
    #[serde(skip_serializing_if = "Scopes::is_empty")]
    pub scope: Scopes,
    /// The user's groups (`cognito:groups`); empty when the user is in none.
    #[serde(rename = "cognito:groups", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The id of the authentication event that started the session (`origin_jti`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The authentication event's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The token's unique id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The access token format version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The remembered device's key, when device tracking is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    /// Every other claim: claims added by a pre-token-generation trigger, …. (`token_use` is not
    /// kept: the type says it.)
    #[serde(flatten)]
    pub other: Map<String, Value>,
    /// Serializes as `"token_use":"access"`, so that serialized claims deserialize again.
    #[serde(rename = "token_use")]
    kind: KindMark<false>,
}

impl AccessClaims {
    /// Whether the token was issued to a machine (OAuth client credentials grant) rather than to
    /// a user: it names no user (`username` is absent) and its subject is the app client itself
    /// (`sub` is the `client_id`), as Cognito's machine-to-machine access tokens are.
    ///
    /// ```
    /// use cognito_verifier::AccessClaims;
    ///
    /// let m2m: AccessClaims = serde_json::from_str(r#"{
    ///     "sub": "4ksn0machine", "client_id": "4ksn0machine", "token_use": "access",
    ///     "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x",
    ///     "exp": 1700003600, "iat": 1700000000, "scope": "orders/read", "version": 2
    /// }"#)?;
    /// assert!(m2m.is_machine());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn is_machine(&self) -> bool {
        self.username.is_none() && self.sub == self.client_id
    }

    /// Whether the token is bound to `resource` (its `aud` names it).
    pub fn is_for_resource(&self, resource: &str) -> bool {
        self.aud.iter().any(|a| a == resource)
    }

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
///
/// Deserializing picks the kind by `token_use` (`"id"` or `"access"`); serializing writes the
/// inner claims.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
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

    /// The user name (`cognito:username` of an ID token, `username` of an access token), if
    /// the token has one (machine-to-machine access tokens do not).
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Id(c) => c.username.as_deref(),
            Self::Access(c) => c.username.as_deref(),
        }
    }
}

/// A set of OAuth scopes, read from the space-separated `scope` claim.
///
/// Immutable and shared: cloning it (as cloning the claims does, for every request a handler
/// reads them in) copies a reference, not the scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Arc<[Box<str>]>);

impl Scopes {
    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.binary_search_by(|s| (**s).cmp(scope)).is_ok()
    }

    /// The scopes, in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| &**s)
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
        let mut scopes: Vec<Box<str>> = iter.into_iter().map(|s| s.into().into()).collect();
        scopes.sort_unstable();
        scopes.dedup();
        Self(scopes.into())
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
        match JsonValue::deserialize(deserializer)? {
            JsonValue::Str(s) => Ok(s.split_ascii_whitespace().collect()),
            other => Err(de::Error::custom(format_args!(
                "scope: expected a string, found {}",
                other.type_name()
            ))),
        }
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

// ---- Deserialization -------------------------------------------------------------------------
//
// One pass over the payload fills a `Payload`: every claim either type knows is kept as a borrowed
// `JsonValue` in its slot, every other claim as a `serde_json::Value`. The verifier checks the
// claims from the slots, and only then are the typed claims built from them, so a wrong type is
// reported by the check that owns the claim (`invalid_claim` on `exp`, say), and a claim that is
// merely not what the caller's type expects is `claims_type`. A claim named twice is refused.

/// The claims of a Cognito token, read once.
#[derive(Debug, Default)]
pub(crate) struct Payload<'a> {
    slots: [Option<JsonValue<'a>>; Name::COUNT],
    other: Map<String, Value>,
}

/// The claims with a slot in [`Payload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Name {
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    AuthTime,
    Nonce,
    TokenUse,
    ClientId,
    Scope,
    Groups,
    CognitoUsername,
    Username,
    Email,
    EmailVerified,
    PhoneNumber,
    PhoneNumberVerified,
    Identities,
    OriginJti,
    EventId,
    Jti,
    Version,
    DeviceKey,
}

impl Name {
    const COUNT: usize = 24;
    const ALL: [Self; Self::COUNT] = [
        Self::Iss,
        Self::Sub,
        Self::Aud,
        Self::Exp,
        Self::Nbf,
        Self::Iat,
        Self::AuthTime,
        Self::Nonce,
        Self::TokenUse,
        Self::ClientId,
        Self::Scope,
        Self::Groups,
        Self::CognitoUsername,
        Self::Username,
        Self::Email,
        Self::EmailVerified,
        Self::PhoneNumber,
        Self::PhoneNumberVerified,
        Self::Identities,
        Self::OriginJti,
        Self::EventId,
        Self::Jti,
        Self::Version,
        Self::DeviceKey,
    ];

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Iss => "iss",
            Self::Sub => "sub",
            Self::Aud => "aud",
            Self::Exp => "exp",
            Self::Nbf => "nbf",
            Self::Iat => "iat",
            Self::AuthTime => "auth_time",
            Self::Nonce => "nonce",
            Self::TokenUse => "token_use",
            Self::ClientId => "client_id",
            Self::Scope => "scope",
            Self::Groups => "cognito:groups",
            Self::CognitoUsername => "cognito:username",
            Self::Username => "username",
            Self::Email => "email",
            Self::EmailVerified => "email_verified",
            Self::PhoneNumber => "phone_number",
            Self::PhoneNumberVerified => "phone_number_verified",
            Self::Identities => "identities",
            Self::OriginJti => "origin_jti",
            Self::EventId => "event_id",
            Self::Jti => "jti",
            Self::Version => "version",
            Self::DeviceKey => "device_key",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "iss" => Self::Iss,
            "sub" => Self::Sub,
            "aud" => Self::Aud,
            "exp" => Self::Exp,
            "nbf" => Self::Nbf,
            "iat" => Self::Iat,
            "auth_time" => Self::AuthTime,
            "nonce" => Self::Nonce,
            "token_use" => Self::TokenUse,
            "client_id" => Self::ClientId,
            "scope" => Self::Scope,
            "cognito:groups" => Self::Groups,
            "cognito:username" => Self::CognitoUsername,
            "username" => Self::Username,
            "email" => Self::Email,
            "email_verified" => Self::EmailVerified,
            "phone_number" => Self::PhoneNumber,
            "phone_number_verified" => Self::PhoneNumberVerified,
            "identities" => Self::Identities,
            "origin_jti" => Self::OriginJti,
            "event_id" => Self::EventId,
            "jti" => Self::Jti,
            "version" => Self::Version,
            "device_key" => Self::DeviceKey,
            _ => return None,
        })
    }
}

impl<'a> Payload<'a> {
    /// The claim `name`, if present (JSON `null` reads as absent).
    pub(crate) fn get(&self, name: Name) -> Option<&JsonValue<'a>> {
        self.slots.get(name as usize).and_then(Option::as_ref)
    }

    fn take(&mut self, name: Name) -> Option<JsonValue<'a>> {
        self.slots.get_mut(name as usize).and_then(Option::take)
    }

    /// Moves the known claims not in `keep` into `other`, and returns `other`. `token_use` is
    /// dropped: the claims' type already says it (and it was checked).
    fn rest(&mut self, keep: &[Name]) -> Map<String, Value> {
        let mut other = std::mem::take(&mut self.other);
        for name in Name::ALL {
            if keep.contains(&name) || name == Name::TokenUse {
                continue;
            }
            if let Some(value) = self.take(name) {
                other.insert(name.as_str().to_owned(), value.into_value());
            }
        }
        other
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Payload<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PayloadVisitor)
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload<'de>, A::Error> {
        let mut payload = Payload::default();
        // Which slots were named at all: a `null` leaves its slot empty, and must still count, or
        // `"exp":null,"exp":N` would slip past the duplicate check.
        let mut named = [false; Name::COUNT];
        while let Some(key) = map.next_key::<JsonValue<'de>>()? {
            let JsonValue::Str(key) = key else {
                return Err(de::Error::custom("a claim name is not a string"));
            };
            if let Some(name) = Name::from_key(&key) {
                let value: JsonValue<'de> = map.next_value()?;
                let (Some(slot), Some(seen)) = (
                    payload.slots.get_mut(name as usize),
                    named.get_mut(name as usize),
                ) else {
                    continue;
                };
                if std::mem::replace(seen, true) {
                    return Err(de::Error::duplicate_field(name.as_str()));
                }
                // Like serde's Option, JSON null counts as absent.
                if value != JsonValue::Null {
                    *slot = Some(value);
                }
            } else {
                let value: Value = map.next_value()?;
                match payload.other.entry(key.into_owned()) {
                    serde_json::map::Entry::Occupied(e) => {
                        return Err(de::Error::custom(format_args!(
                            "duplicate claim {:?}",
                            e.key()
                        )));
                    }
                    serde_json::map::Entry::Vacant(e) => {
                        e.insert(value);
                    }
                }
            }
        }
        Ok(payload)
    }
}

/// A typed claims value is only ever built from a token of its own kind: `verify::<AccessClaims>`
/// on an ID token (which may well carry a `client_id` claim) must not come out as access claims
/// whose `client_id` no check looked at.
fn require_kind(p: &Payload<'_>, kind: &str) -> Result<(), String> {
    match p.get(Name::TokenUse) {
        Some(JsonValue::Str(found)) if *found == kind => Ok(()),
        Some(JsonValue::Str(found)) => Err(format!(
            "token_use is \"{}\", not \"{kind}\"",
            crate::error::excerpt(found)
        )),
        Some(other) => Err(wrong_type(other, Name::TokenUse, "a string")),
        None => Err(format!("token_use is missing, not \"{kind}\"")),
    }
}

impl IdClaims {
    /// Builds the typed claims from a payload (after the verifier checked it). Refuses a payload
    /// whose `token_use` is not `id`.
    pub(crate) fn from_payload(mut p: Payload<'_>) -> Result<Self, String> {
        const FIELDS: [Name; 17] = [
            Name::Sub,
            Name::Iss,
            Name::Aud,
            Name::Exp,
            Name::Iat,
            Name::AuthTime,
            Name::CognitoUsername,
            Name::Email,
            Name::EmailVerified,
            Name::PhoneNumber,
            Name::PhoneNumberVerified,
            Name::Groups,
            Name::Identities,
            Name::OriginJti,
            Name::EventId,
            Name::Jti,
            Name::Nonce,
        ];
        require_kind(&p, "id")?;
        Ok(Self {
            sub: string(&mut p, Name::Sub)?,
            iss: string(&mut p, Name::Iss)?,
            aud: audience(&mut p)?,
            exp: date(&mut p, Name::Exp)?,
            iat: date(&mut p, Name::Iat)?,
            auth_time: opt_date(&mut p, Name::AuthTime)?,
            username: opt_string(&mut p, Name::CognitoUsername)?,
            email: opt_string(&mut p, Name::Email)?,
            email_verified: opt_bool(&mut p, Name::EmailVerified)?,
            phone_number: opt_string(&mut p, Name::PhoneNumber)?,
            phone_number_verified: opt_bool(&mut p, Name::PhoneNumberVerified)?,
            groups: strings(&mut p, Name::Groups)?,
            identities: values(&mut p, Name::Identities)?,
            origin_jti: opt_string(&mut p, Name::OriginJti)?,
            event_id: opt_string(&mut p, Name::EventId)?,
            jti: opt_string(&mut p, Name::Jti)?,
            nonce: opt_string(&mut p, Name::Nonce)?,
            other: p.rest(&FIELDS),
            kind: KindMark,
        })
    }
}

impl AccessClaims {
    /// Builds the typed claims from a payload (after the verifier checked it). Refuses a payload
    /// whose `token_use` is not `access`.
    pub(crate) fn from_payload(mut p: Payload<'_>) -> Result<Self, String> {
        const FIELDS: [Name; 15] = [
            Name::Sub,
            Name::Iss,
            Name::ClientId,
            Name::Aud,
            Name::Exp,
            Name::Iat,
            Name::AuthTime,
            Name::Username,
            Name::Scope,
            Name::Groups,
            Name::OriginJti,
            Name::EventId,
            Name::Jti,
            Name::Version,
            Name::DeviceKey,
        ];
        require_kind(&p, "access")?;
        Ok(Self {
            sub: string(&mut p, Name::Sub)?,
            iss: string(&mut p, Name::Iss)?,
            client_id: string(&mut p, Name::ClientId)?,
            aud: one_or_more(&mut p, Name::Aud)?,
            exp: date(&mut p, Name::Exp)?,
            iat: date(&mut p, Name::Iat)?,
            auth_time: opt_date(&mut p, Name::AuthTime)?,
            username: opt_string(&mut p, Name::Username)?,
            scope: scopes(&mut p)?,
            groups: strings(&mut p, Name::Groups)?,
            origin_jti: opt_string(&mut p, Name::OriginJti)?,
            event_id: opt_string(&mut p, Name::EventId)?,
            jti: opt_string(&mut p, Name::Jti)?,
            version: opt_int(&mut p, Name::Version)?,
            device_key: opt_string(&mut p, Name::DeviceKey)?,
            other: p.rest(&FIELDS),
            kind: KindMark,
        })
    }
}

impl<'de> Deserialize<'de> for IdClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_payload(Payload::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for CognitoClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let payload = Payload::deserialize(deserializer)?;
        let claims = match payload.get(Name::TokenUse) {
            Some(JsonValue::Str(kind)) if kind == "access" => {
                AccessClaims::from_payload(payload).map(Self::Access)
            }
            _ => IdClaims::from_payload(payload).map(Self::Id),
        };
        claims.map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for AccessClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_payload(Payload::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

fn wrong_type(value: &JsonValue<'_>, name: Name, expected: &str) -> String {
    format!(
        "{}: expected {expected}, found {}",
        name.as_str(),
        value.type_name()
    )
}

fn opt_string(p: &mut Payload<'_>, name: Name) -> Result<Option<String>, String> {
    match p.take(name) {
        None => Ok(None),
        Some(JsonValue::Str(s)) => Ok(Some(s.into_owned())),
        Some(other) => Err(wrong_type(&other, name, "a string")),
    }
}

fn string(p: &mut Payload<'_>, name: Name) -> Result<String, String> {
    opt_string(p, name)?.ok_or_else(|| format!("missing claim {}", name.as_str()))
}

fn opt_date(p: &mut Payload<'_>, name: Name) -> Result<Option<i64>, String> {
    match p.take(name) {
        None => Ok(None),
        Some(value) => numeric_date(&value, name.as_str())
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

fn date(p: &mut Payload<'_>, name: Name) -> Result<i64, String> {
    opt_date(p, name)?.ok_or_else(|| format!("missing claim {}", name.as_str()))
}

fn opt_int(p: &mut Payload<'_>, name: Name) -> Result<Option<i64>, String> {
    match p.take(name) {
        None => Ok(None),
        Some(JsonValue::Int(i)) => Ok(Some(i)),
        Some(other) => Err(wrong_type(&other, name, "an integer")),
    }
}

/// Cognito sends `*_verified` as a boolean or as the string "true"/"false".
fn opt_bool(p: &mut Payload<'_>, name: Name) -> Result<Option<bool>, String> {
    match p.take(name) {
        None => Ok(None),
        Some(JsonValue::Bool(b)) => Ok(Some(b)),
        Some(JsonValue::Str(s)) if s == "true" => Ok(Some(true)),
        Some(JsonValue::Str(s)) if s == "false" => Ok(Some(false)),
        Some(other) => Err(wrong_type(&other, name, "a boolean or \"true\"/\"false\"")),
    }
}

fn strings(p: &mut Payload<'_>, name: Name) -> Result<Vec<String>, String> {
    match p.take(name) {
        None => Ok(Vec::new()),
        Some(JsonValue::StrArray(list)) => Ok(list.into_iter().map(Cow::into_owned).collect()),
        Some(other) => Err(wrong_type(&other, name, "an array of strings")),
    }
}

/// A string or an array of strings (`aud`), as a list; absent is empty.
fn one_or_more(p: &mut Payload<'_>, name: Name) -> Result<Vec<String>, String> {
    match p.take(name) {
        None => Ok(Vec::new()),
        Some(JsonValue::Str(s)) => Ok(vec![s.into_owned()]),
        Some(JsonValue::StrArray(list)) => Ok(list.into_iter().map(Cow::into_owned).collect()),
        Some(other) => Err(wrong_type(&other, name, "a string or an array of strings")),
    }
}

/// One value as a string, several as an array (how `aud` is written).
fn one_or_many<S: Serializer>(values: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    match values {
        [one] => serializer.serialize_str(one),
        many => many.serialize(serializer),
    }
}

fn values(p: &mut Payload<'_>, name: Name) -> Result<Vec<Value>, String> {
    match p.take(name) {
        None => Ok(Vec::new()),
        Some(JsonValue::Array(list)) => Ok(list),
        Some(JsonValue::StrArray(list)) => Ok(list
            .into_iter()
            .map(|s| Value::String(s.into_owned()))
            .collect()),
        Some(other) => Err(wrong_type(&other, name, "an array")),
    }
}

fn scopes(p: &mut Payload<'_>) -> Result<Scopes, String> {
    match p.take(Name::Scope) {
        None => Ok(Scopes::default()),
        Some(JsonValue::Str(s)) => Ok(s.split_ascii_whitespace().collect()),
        Some(other) => Err(wrong_type(&other, Name::Scope, "a string")),
    }
}

/// Cognito ID tokens carry one audience as a string; an array of exactly one is accepted too.
fn audience(p: &mut Payload<'_>) -> Result<String, String> {
    match p.take(Name::Aud) {
        None => Err("missing claim aud".to_owned()),
        Some(JsonValue::Str(s)) => Ok(s.into_owned()),
        Some(JsonValue::StrArray(mut list)) if list.len() == 1 => {
            Ok(list.pop().map(Cow::into_owned).unwrap_or_default())
        }
        Some(other) => Err(wrong_type(&other, Name::Aud, "one audience")),
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
        assert!(!c.other.contains_key("token_use"));
        assert_eq!(c.other.len(), 2);
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
            r#"{"sub":"s","sub":"t","iss":"i","aud":"c","exp":1,"iat":1}"#,
            r#"{"sub":"s","iss":"i","aud":"c","exp":1,"iat":1,"custom:a":"1","custom:a":"2"}"#,
            r#"{"sub":"s","iss":"i","aud":"c","exp":1,"iat":1,"cognito:groups":"admins"}"#,
            "[]",
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
        // A clone shares the scopes instead of copying them.
        assert!(Arc::ptr_eq(&c.scope.0, &c.clone().scope.0));
        assert_eq!(c.version, Some(2));
        let back: AccessClaims = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(c.aud.is_empty() && !c.is_machine());
        let m2m = r#"{"sub":"c","iss":"i","client_id":"c","exp":1,"iat":1,"scope":"x/y","token_use":"access"}"#;
        let c: AccessClaims = serde_json::from_str(m2m).unwrap();
        assert_eq!(c.username, None);
        assert!(c.is_machine());
        let any = CognitoClaims::Access(c);
        assert_eq!(any.sub(), "c");
        assert!(any.groups().is_empty());
    }

    #[test]
    fn access_claims_read_the_resource_audience_in_both_shapes_and_write_it_back() {
        let base = r#""sub":"s","iss":"i","client_id":"c","exp":1,"iat":1,"token_use":"access""#;
        let one: AccessClaims =
            serde_json::from_str(&format!(r#"{{{base},"aud":"https://api.example.com"}}"#))
                .unwrap();
        assert_eq!(one.aud, ["https://api.example.com"]);
        assert!(one.is_for_resource("https://api.example.com") && !one.is_for_resource("x"));
        assert_eq!(
            serde_json::to_value(&one).unwrap()["aud"],
            "https://api.example.com"
        );
        let many: AccessClaims =
            serde_json::from_str(&format!(r#"{{{base},"aud":["a","b"]}}"#)).unwrap();
        assert_eq!(many.aud, ["a", "b"]);
        assert_eq!(
            serde_json::to_value(&many).unwrap()["aud"],
            serde_json::json!(["a", "b"])
        );
        for claims in [one, many] {
            let back: AccessClaims =
                serde_json::from_value(serde_json::to_value(&claims).unwrap()).unwrap();
            assert_eq!(back, claims);
        }
        assert!(serde_json::from_str::<AccessClaims>(&format!(r#"{{{base},"aud":5}}"#)).is_err());
        assert!(
            !serde_json::to_value(
                serde_json::from_str::<AccessClaims>(&format!("{{{base}}}")).unwrap()
            )
            .unwrap()
            .as_object()
            .unwrap()
            .contains_key("aud")
        );
    }

    #[test]
    fn typed_claims_come_only_from_their_own_kind() {
        // An ID token carrying a client_id claim: never access claims (review finding 1).
        let id = r#"{"sub":"s","iss":"i","aud":"c","client_id":"c","exp":1,"iat":1,
            "scope":"admin","token_use":"id"}"#;
        assert!(serde_json::from_str::<AccessClaims>(id).is_err());
        assert!(serde_json::from_str::<IdClaims>(id).is_ok());
        let access = r#"{"sub":"s","iss":"i","aud":"c","client_id":"c","exp":1,"iat":1,
            "token_use":"access"}"#;
        assert!(serde_json::from_str::<IdClaims>(access).is_err());
        for token_use in [
            "",
            r#","token_use":null"#,
            r#","token_use":"ID""#,
            r#","token_use":["id"]"#,
        ] {
            let json = format!(r#"{{"sub":"s","iss":"i","aud":"c","exp":1,"iat":1{token_use}}}"#);
            assert!(serde_json::from_str::<IdClaims>(&json).is_err(), "{json}");
        }
    }

    #[test]
    fn a_checked_claim_named_twice_is_refused_even_after_a_null() {
        // Review finding 2: `"exp":null,"exp":N` used to pass, as null left the slot empty.
        for claim in ["exp", "iss", "token_use", "client_id", "aud", "sub", "iat"] {
            for (first, second) in [("null", "1"), ("1", "null"), ("null", "null")] {
                let json = format!(r#"{{"{claim}":{first},"{claim}":{second}}}"#);
                assert!(
                    serde_json::from_str::<Payload<'_>>(&json).is_err(),
                    "{json}"
                );
            }
        }
        assert!(serde_json::from_str::<Payload<'_>>(r#"{"exp":null,"x":1}"#).is_ok());
        assert!(serde_json::from_str::<Payload<'_>>(r#"{"x":null,"x":1}"#).is_err());
    }

    #[test]
    fn token_use_accepts_what_it_names() {
        assert!(TokenUse::Id.accepts("id") && !TokenUse::Id.accepts("access"));
        assert!(TokenUse::Access.accepts("access") && !TokenUse::Access.accepts("id"));
        assert!(TokenUse::Any.accepts("id") && TokenUse::Any.accepts("access"));
        assert!(!TokenUse::Any.accepts("refresh"));
    }
}
