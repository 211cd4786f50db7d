//! Stage 5: the registered claims (RFC 7519 §4.1) read from a verified payload, and the generic
//! rules for them. Issuer-specific rules (Cognito's `token_use`, `client_id`, …) live elsewhere and
//! read their own claims through [`ClaimsView`].

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use crate::clock::unix_seconds;
use crate::error::{Error, excerpt};
use crate::jwt::parse::JsonValue;

/// References to the registered claims of a payload view.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Registered<'r, 'a> {
    pub(crate) iss: Option<&'r JsonValue<'a>>,
    pub(crate) exp: Option<&'r JsonValue<'a>>,
    pub(crate) nbf: Option<&'r JsonValue<'a>>,
    pub(crate) iat: Option<&'r JsonValue<'a>>,
    pub(crate) aud: Option<&'r JsonValue<'a>>,
    pub(crate) nonce: Option<&'r JsonValue<'a>>,
}

/// A borrowed, shallow view of a payload: the claims a policy checks, read in one pass. A layer
/// with rules of its own (Cognito) defines a view with more fields and hands the registered ones
/// to [`Validation::check`].
pub(crate) trait ClaimsView<'a>: Deserialize<'a> {
    fn registered(&self) -> Registered<'_, 'a>;
}

/// The view the generic verifier uses: registered claims only.
#[derive(Debug, Deserialize)]
pub(crate) struct RegisteredView<'a> {
    #[serde(borrow)]
    iss: Option<JsonValue<'a>>,
    #[serde(borrow)]
    exp: Option<JsonValue<'a>>,
    #[serde(borrow)]
    nbf: Option<JsonValue<'a>>,
    #[serde(borrow)]
    iat: Option<JsonValue<'a>>,
    #[serde(borrow)]
    aud: Option<JsonValue<'a>>,
    #[serde(borrow)]
    nonce: Option<JsonValue<'a>>,
}

impl<'a> ClaimsView<'a> for RegisteredView<'a> {
    fn registered(&self) -> Registered<'_, 'a> {
        Registered {
            iss: self.iss.as_ref(),
            exp: self.exp.as_ref(),
            nbf: self.nbf.as_ref(),
            iat: self.iat.as_ref(),
            aud: self.aud.as_ref(),
            nonce: self.nonce.as_ref(),
        }
    }
}

/// The generic claim policy: issuer, time window with leeway, audience, nonce.
#[derive(Debug, Clone)]
pub(crate) struct Validation {
    /// The accepted issuers, each compared byte for byte with `iss`. The first is the primary.
    pub(crate) issuers: Box<[Box<str>]>,
    /// `None`: `aud` is not checked (the caller opted out, or a layer above checks it).
    pub(crate) audiences: Option<Box<[Box<str>]>>,
    /// Seconds of tolerance for `exp`, `nbf` and `iat`.
    pub(crate) leeway: u64,
}

impl Validation {
    /// Checks the registered claims at time `now`. `nonce` is the expected nonce, if any.
    pub(crate) fn check(
        &self,
        claims: &Registered<'_, '_>,
        now: Duration,
        nonce: Option<&str>,
    ) -> Result<(), Error> {
        let iss = required_str(claims.iss, "iss")?;
        if !self.issuers.iter().any(|i| **i == *iss) {
            return Err(Error::WrongIssuer {
                found: excerpt(iss),
            });
        }

        let now = unix_seconds(now);
        let leeway = i64::try_from(self.leeway).unwrap_or(i64::MAX);
        let exp = numeric_date(
            claims.exp.ok_or(Error::MissingClaim { claim: "exp" })?,
            "exp",
        )?;
        check_exp(exp, now, self.leeway)?;
        if let Some(nbf) = claims.nbf {
            let nbf = numeric_date(nbf, "nbf")?;
            if now.saturating_add(leeway) < nbf {
                return Err(Error::NotYetValid {
                    nbf,
                    now,
                    leeway: self.leeway,
                });
            }
        }
        if let Some(iat) = claims.iat {
            let iat = numeric_date(iat, "iat")?;
            if iat > now.saturating_add(leeway) {
                return Err(Error::IssuedInFuture {
                    iat,
                    now,
                    leeway: self.leeway,
                });
            }
        }

        if let Some(accepted) = &self.audiences {
            let aud = claims.aud.ok_or(Error::MissingClaim { claim: "aud" })?;
            check_audience(aud, accepted)?;
        }

        if let Some(expected) = nonce {
            let found = required_str(claims.nonce, "nonce")?;
            if !constant_time_eq(found.as_bytes(), expected.as_bytes()) {
                return Err(Error::WrongNonce);
            }
        }
        Ok(())
    }
}

/// `aud` (a string or an array of strings) must name at least one of `accepted`.
pub(crate) fn check_audience(aud: &JsonValue<'_>, accepted: &[Box<str>]) -> Result<(), Error> {
    let matches = |s: &str| accepted.iter().any(|a| **a == *s);
    match aud {
        JsonValue::Str(s) if matches(s) => Ok(()),
        JsonValue::StrArray(list) if list.iter().any(|s| matches(s)) => Ok(()),
        JsonValue::Str(s) => Err(Error::WrongAudience { found: excerpt(s) }),
        JsonValue::StrArray(list) => Err(Error::WrongAudience {
            found: excerpt(&list.join(",")),
        }),
        other => Err(invalid_type(
            other,
            "aud",
            "a string or an array of strings",
        )),
    }
}

/// `exp` against `now` (both seconds since the epoch) with `leeway` seconds of tolerance: expired
/// from `exp + leeway` on, to the second.
pub(crate) fn check_exp(exp: i64, now: i64, leeway: u64) -> Result<(), Error> {
    if now >= exp.saturating_add(i64::try_from(leeway).unwrap_or(i64::MAX)) {
        return Err(Error::Expired { exp, now, leeway });
    }
    Ok(())
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds since the epoch. Fractions are cut
/// towards negative infinity; values outside `i64` are refused.
pub(crate) fn numeric_date(value: &JsonValue<'_>, claim: &'static str) -> Result<i64, Error> {
    // 2^63 as f64; f64 values at or above it do not fit i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match value {
        JsonValue::Int(i) => Ok(*i),
        JsonValue::Float(f) if f.is_finite() && f.floor() >= -LIMIT && f.floor() < LIMIT =>
        {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "the value was floored and range-checked just above"
            )]
            Ok(f.floor() as i64)
        }
        JsonValue::UInt(_) | JsonValue::Float(_) => Err(Error::InvalidClaim {
            claim,
            reason: Cow::Borrowed("the number is out of range"),
        }),
        other => Err(invalid_type(other, claim, "a number")),
    }
}

/// A claim that must be present and a string.
pub(crate) fn required_str<'r>(
    value: Option<&'r JsonValue<'_>>,
    claim: &'static str,
) -> Result<&'r str, Error> {
    match value {
        None => Err(Error::MissingClaim { claim }),
        Some(JsonValue::Str(s)) => Ok(s),
        Some(other) => Err(invalid_type(other, claim, "a string")),
    }
}

pub(crate) fn invalid_type(value: &JsonValue<'_>, claim: &'static str, expected: &str) -> Error {
    Error::InvalidClaim {
        claim,
        reason: Cow::Owned(format!("expected {expected}, found {}", value.type_name())),
    }
}

/// Compares without an early exit, so the time taken does not reveal how much of a nonce matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const NOW: u64 = 1_700_000_000;

    fn validation(audiences: Option<&[&str]>, leeway: u64) -> Validation {
        Validation {
            issuers: Box::new(["https://issuer.example".into()]),
            audiences: audiences.map(|a| a.iter().map(|s| Box::<str>::from(*s)).collect()),
            leeway,
        }
    }

    fn check(v: &Validation, json: &str, nonce: Option<&str>) -> Result<(), ErrorKind> {
        let view: RegisteredView<'_> = serde_json::from_str(json).unwrap();
        v.check(&view.registered(), Duration::from_secs(NOW), nonce)
            .map_err(|e| e.kind())
    }

    fn claims(extra: &str) -> String {
        format!(
            r#"{{"iss":"https://issuer.example","exp":{},{extra}"z":0}}"#,
            NOW + 60
        )
    }

    #[test]
    fn accepts_valid_registered_claims() {
        let v = validation(Some(&["app"]), 0);
        assert_eq!(
            check(&v, &claims(r#""aud":"app","nbf":1,"iat":1,"#), None),
            Ok(())
        );
        assert_eq!(check(&v, &claims(r#""aud":["x","app"],"#), None), Ok(()));
    }

    #[test]
    fn issuer_must_match_exactly() {
        let v = validation(None, 0);
        let json = |iss: &str| format!(r#"{{"iss":{iss},"exp":{}}}"#, NOW + 60);
        assert_eq!(
            check(&v, &json(r#""https://issuer.example/""#), None),
            Err(ErrorKind::WrongIssuer)
        );
        assert_eq!(
            check(&v, &json(r#""https://ISSUER.example""#), None),
            Err(ErrorKind::WrongIssuer)
        );
        assert_eq!(check(&v, &json("1"), None), Err(ErrorKind::InvalidClaim));
        assert_eq!(
            check(&v, &format!(r#"{{"exp":{}}}"#, NOW + 60), None),
            Err(ErrorKind::MissingClaim)
        );
    }

    #[test]
    fn exp_is_required_typed_and_honours_leeway_to_the_second() {
        let v = validation(None, 10);
        let with_exp = |exp: &str| format!(r#"{{"iss":"https://issuer.example","exp":{exp}}}"#);
        assert_eq!(
            check(&v, r#"{"iss":"https://issuer.example"}"#, None),
            Err(ErrorKind::MissingClaim)
        );
        assert_eq!(
            check(&v, &with_exp(r#""9999999999""#), None),
            Err(ErrorKind::InvalidClaim)
        );
        // JSON null reads as absent.
        assert_eq!(
            check(&v, &with_exp("null"), None),
            Err(ErrorKind::MissingClaim)
        );
        assert_eq!(
            check(&v, &with_exp("18446744073709551615"), None),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(
            check(&v, &with_exp("1e300"), None),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(check(&v, &with_exp("-5"), None), Err(ErrorKind::Expired));
        // now = exp + leeway - 1 is accepted; now = exp + leeway is not.
        assert_eq!(check(&v, &with_exp(&(NOW - 9).to_string()), None), Ok(()));
        assert_eq!(
            check(&v, &with_exp(&(NOW - 10).to_string()), None),
            Err(ErrorKind::Expired)
        );
        assert_eq!(
            check(&v, &with_exp(&format!("{}.9", NOW - 10)), None),
            Err(ErrorKind::Expired)
        );
        assert_eq!(
            check(&v, &with_exp(&format!("{}.5", NOW - 9)), None),
            Ok(())
        );
    }

    #[test]
    fn nbf_and_iat_honour_leeway_to_the_second() {
        let v = validation(None, 10);
        let c = |k: &str, t: u64| claims(&format!(r#""{k}":{t},"#));
        assert_eq!(check(&v, &c("nbf", NOW + 10), None), Ok(()));
        assert_eq!(
            check(&v, &c("nbf", NOW + 11), None),
            Err(ErrorKind::NotYetValid)
        );
        assert_eq!(check(&v, &c("iat", NOW + 10), None), Ok(()));
        assert_eq!(
            check(&v, &c("iat", NOW + 11), None),
            Err(ErrorKind::IssuedInFuture)
        );
        assert_eq!(
            check(&v, &claims(r#""nbf":"1","#), None),
            Err(ErrorKind::InvalidClaim)
        );
    }

    #[test]
    fn audience_rules() {
        let v = validation(Some(&["app"]), 0);
        assert_eq!(check(&v, &claims(""), None), Err(ErrorKind::MissingClaim));
        assert_eq!(
            check(&v, &claims(r#""aud":"other","#), None),
            Err(ErrorKind::WrongAudience)
        );
        assert_eq!(
            check(&v, &claims(r#""aud":[],"#), None),
            Err(ErrorKind::WrongAudience)
        );
        assert_eq!(
            check(&v, &claims(r#""aud":[1],"#), None),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(
            check(&v, &claims(r#""aud":"APP","#), None),
            Err(ErrorKind::WrongAudience)
        );
        // Opted out: not checked at all.
        assert_eq!(
            check(&validation(None, 0), &claims(r#""aud":5,"#), None),
            Ok(())
        );
    }

    #[test]
    fn duplicate_checked_claims_are_refused() {
        for json in [
            r#"{"iss":"https://issuer.example","exp":1,"exp":99999999999}"#,
            r#"{"iss":"https://evil","iss":"https://issuer.example","exp":99999999999}"#,
            r#"{"iss":"https://issuer.example","exp":99999999999,"aud":"x","aud":"app"}"#,
        ] {
            assert!(
                serde_json::from_str::<RegisteredView<'_>>(json).is_err(),
                "{json}"
            );
        }
    }

    #[test]
    fn nonce_is_checked_only_when_expected() {
        let v = validation(None, 0);
        assert_eq!(check(&v, &claims(r#""nonce":"n1","#), Some("n1")), Ok(()));
        assert_eq!(
            check(&v, &claims(r#""nonce":"n2","#), Some("n1")),
            Err(ErrorKind::WrongNonce)
        );
        assert_eq!(
            check(&v, &claims(""), Some("n1")),
            Err(ErrorKind::MissingClaim)
        );
        assert_eq!(check(&v, &claims(r#""nonce":"n2","#), None), Ok(()));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
