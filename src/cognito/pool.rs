//! Cognito user pool ids and the URLs derived from them.

use std::fmt;
use std::str::FromStr;

use crate::error::BuildError;
use crate::partition::Partition;

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
    /// `https://cognito-idp.<region>.<dns suffix>/<pool>`, the original format and the default.
    #[default]
    CognitoIdp,
    /// `https://issuer-cognito-idp.<region>.<dns suffix>/<pool>`, used by pools with
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
/// The region decides the [`Partition`] and so the DNS suffix of the issuer and key endpoint:
/// `amazonaws.com` (aws, aws-us-gov), `amazonaws.com.cn` (aws-cn: `cn-north-1`,
/// `cn-northwest-1`), `amazonaws.eu` (aws-eusc: `eusc-de-east-1`), and the ISO partitions'.
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
///
/// let china: UserPoolId = "cn-north-1_AbCdEf123".parse()?;
/// assert_eq!(china.issuer(), "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbCdEf123");
/// let sovereign: UserPoolId = "eusc-de-east-1_AbCdEf123".parse()?;
/// assert_eq!(sovereign.issuer(), "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_AbCdEf123");
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

    /// The partition of the pool's region.
    pub fn partition(&self) -> Partition {
        Partition::for_region(self.region())
    }

    /// The pool id as given.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The issuer Cognito puts in `iss`: `https://cognito-idp.<region>.<dns suffix>/<pool id>`,
    /// with the DNS suffix of the region's [`Partition`].
    pub fn issuer(&self) -> String {
        self.issuer_in(IssuerFormat::CognitoIdp, self.region())
    }

    /// The issuer in `format` for `region` (the pool's own, or a replica's), with the DNS suffix
    /// of `region`'s [`Partition`].
    pub fn issuer_in(&self, format: IssuerFormat, region: &str) -> String {
        format!(
            "https://{}.{region}.{}/{}",
            format.host_prefix(),
            Partition::for_region(region).dns_suffix(),
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
            ("cn-north-1_AbC", "cn-north-1"),
            ("eusc-de-east-1_AbC", "eusc-de-east-1"),
        ] {
            let pool: UserPoolId = id.parse().unwrap();
            assert_eq!(pool.region(), region);
            assert_eq!(pool.as_str(), id);
            assert_eq!(pool.to_string(), id);
        }
    }

    #[test]
    fn issuers_take_the_partitions_dns_suffix() {
        for (id, partition, issuer) in [
            (
                "us-east-1_x",
                Partition::Aws,
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x",
            ),
            (
                "us-gov-west-1_x",
                Partition::AwsUsGov,
                "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_x",
            ),
            (
                "cn-north-1_x",
                Partition::AwsCn,
                "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_x",
            ),
            (
                "cn-northwest-1_x",
                Partition::AwsCn,
                "https://cognito-idp.cn-northwest-1.amazonaws.com.cn/cn-northwest-1_x",
            ),
            (
                "eusc-de-east-1_x",
                Partition::AwsEusc,
                "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_x",
            ),
        ] {
            let pool: UserPoolId = id.parse().unwrap();
            assert_eq!(pool.partition(), partition);
            assert_eq!(pool.issuer(), issuer);
            assert_eq!(pool.jwks_uri(), format!("{issuer}/.well-known/jwks.json"));
            assert_eq!(
                pool.issuer_in(IssuerFormat::IssuerCognitoIdp, pool.region()),
                issuer.replace("//cognito-idp.", "//issuer-cognito-idp.")
            );
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
