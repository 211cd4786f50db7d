//! Cognito user pool ids and the URLs derived from them.

use std::fmt;
use std::str::FromStr;

use crate::error::BuildError;

/// The host Cognito names in `iss` (and serves keys from).
///
/// ```
/// use cognito_verifier::{IssuerFormat, UserPoolId};
///
/// let pool: UserPoolId = "eu-west-1_AbC".parse()?;
/// assert_eq!(
///     pool.issuer_in(IssuerFormat::IssuerCognitoIdp, "eu-central-1"),
///     "https://issuer-cognito-idp.eu-central-1.amazonaws.com/eu-west-1_AbC"
/// );
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IssuerFormat {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool>`, the original format and the default.
    #[default]
    CognitoIdp,
    /// `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>`, used by pools with
    /// multi-region replication.
    IssuerCognitoIdp,
}

impl IssuerFormat {
    fn host_prefix(self) -> &'static str {
        match self {
            Self::CognitoIdp => "cognito-idp",
            Self::IssuerCognitoIdp => "issuer-cognito-idp",
        }
    }
}

/// A Cognito user pool id, `<region>_<id>` (for example `eu-west-1_AbCdEf123`), checked for shape.
///
/// ```
/// use cognito_verifier::UserPoolId;
///
/// let pool: UserPoolId = "eu-west-1_AbCdEf123".parse()?;
/// assert_eq!(pool.region(), "eu-west-1");
/// assert_eq!(pool.issuer(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123");
/// assert_eq!(
///     pool.jwks_uri(),
///     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json"
/// );
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserPoolId {
    id: Box<str>,
    region_len: usize,
}

impl UserPoolId {
    /// The AWS region, taken from the id.
    pub fn region(&self) -> &str {
        self.id.get(..self.region_len).unwrap_or_default()
    }

    /// The pool id as given.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The issuer Cognito puts in `iss`: `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
    pub fn issuer(&self) -> String {
        self.issuer_in(IssuerFormat::CognitoIdp, self.region())
    }

    /// The issuer in `format` for `region` (the pool's own, or a replica's).
    pub fn issuer_in(&self, format: IssuerFormat, region: &str) -> String {
        format!(
            "https://{}.{region}.amazonaws.com/{}",
            format.host_prefix(),
            self.id
        )
    }

    /// Where Cognito publishes the pool's keys: `<issuer>/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer())
    }
}

impl FromStr for UserPoolId {
    type Err = BuildError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || BuildError::InvalidUserPoolId(crate::error::excerpt(s));
        let (region, id) = s.split_once('_').ok_or_else(invalid)?;
        let region_ok = is_region(region);
        let id_ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !region_ok || !id_ok {
            return Err(invalid());
        }
        Ok(Self {
            id: s.into(),
            region_len: region.len(),
        })
    }
}

/// AWS regions: lowercase words and a number joined by '-', e.g. us-gov-west-1, ap-southeast-2.
pub(crate) fn is_region(region: &str) -> bool {
    (6..=32).contains(&region.len())
        && region.split('-').count() >= 3
        && region.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && region.bytes().last().is_some_and(|b| b.is_ascii_digit())
}

impl fmt::Display for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_pool_ids() {
        for (id, region) in [
            ("eu-west-1_AbCdEf123", "eu-west-1"),
            ("us-east-1_x", "us-east-1"),
            ("us-gov-west-1_Q1w2E3r4T", "us-gov-west-1"),
            ("ap-southeast-2_9", "ap-southeast-2"),
        ] {
            let pool: UserPoolId = id.parse().unwrap();
            assert_eq!(pool.region(), region);
            assert_eq!(pool.as_str(), id);
            assert_eq!(pool.to_string(), id);
        }
    }

    #[test]
    fn refuses_malformed_pool_ids() {
        for bad in [
            "",
            "_",
            "eu-west-1",
            "eu-west-1_",
            "_abc",
            "eu-west-1_ab_c",
            "EU-WEST-1_abc",
            "eu-west_abc",
            "eu-west-x_abc",
            "eu-west-1_ab/c",
            "eu-west-1_ab.c",
            "eu--west-1_abc",
            "eu-west-1_ab c",
            "evil.com/x-y-1_abc",
        ] {
            assert!(bad.parse::<UserPoolId>().is_err(), "{bad}");
        }
    }
}
