//! AWS partitions: which DNS suffix a region's endpoints use.
//!
//! A region belongs to one partition, and the partition decides the DNS suffix of every regional
//! endpoint, Cognito's issuer and key endpoint and the load balancers' key endpoint included:
//! `cognito-idp.cn-north-1.amazonaws.com.cn`, `cognito-idp.eusc-de-east-1.amazonaws.eu`.

use std::fmt;

/// An AWS partition: a group of regions that share a DNS suffix.
///
/// The table is the AWS SDKs' partition table (`partitions.json`, shared by the SDKs:
/// aws-sdk-js-v3 `packages/util-endpoints/src/lib/aws/partitions.json`, botocore and the others
/// carry the same data): each partition's `regionRegex` and `outputs.dnsSuffix`. A region is
/// matched by its prefix, the longest first, as those expressions do:
///
/// | partition | regions (`regionRegex`) | DNS suffix (`dnsSuffix`) |
/// |---|---|---|
/// | `aws` | `^(us\|eu\|ap\|sa\|ca\|me\|af\|il\|mx)-\w+-\d+$` | `amazonaws.com` |
/// | `aws-cn` | `^cn-\w+-\d+$` | `amazonaws.com.cn` |
/// | `aws-us-gov` | `^us-gov-\w+-\d+$` | `amazonaws.com` |
/// | `aws-iso` | `^us-iso-\w+-\d+$` | `c2s.ic.gov` |
/// | `aws-iso-b` | `^us-isob-\w+-\d+$` | `sc2s.sgov.gov` |
/// | `aws-iso-e` | `^eu-isoe-\w+-\d+$` | `cloud.adc-e.uk` |
/// | `aws-iso-f` | `^us-isof-\w+-\d+$` | `csp.hci.ic.gov` |
/// | `aws-eusc` | `^eusc-(de)-\w+-\d+$` | `amazonaws.eu` |
///
/// A region of none of these shapes is taken to be in `aws` (the SDKs' default partition): its
/// issuer is derived with `amazonaws.com`, and a token whose `iss` names another host is refused.
/// For a region that a future partition adds before this table knows it, set the issuer and key
/// URI explicitly.
///
/// ```
/// use cognito_verifier::Partition;
///
/// assert_eq!(Partition::for_region("cn-north-1"), Partition::AwsCn);
/// assert_eq!(Partition::for_region("cn-north-1").dns_suffix(), "amazonaws.com.cn");
/// assert_eq!(Partition::for_region("eusc-de-east-1").dns_suffix(), "amazonaws.eu");
/// assert_eq!(Partition::for_region("us-gov-west-1").id(), "aws-us-gov");
/// assert_eq!(Partition::for_region("eu-west-1"), Partition::Aws);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Partition {
    /// `aws`: the commercial regions (`amazonaws.com`).
    Aws,
    /// `aws-cn`: the China regions, `cn-north-1` and `cn-northwest-1` (`amazonaws.com.cn`).
    AwsCn,
    /// `aws-us-gov`: AWS GovCloud (US) (`amazonaws.com`).
    AwsUsGov,
    /// `aws-iso` (`c2s.ic.gov`).
    AwsIso,
    /// `aws-iso-b` (`sc2s.sgov.gov`).
    AwsIsoB,
    /// `aws-iso-e` (`cloud.adc-e.uk`).
    AwsIsoE,
    /// `aws-iso-f` (`csp.hci.ic.gov`).
    AwsIsoF,
    /// `aws-eusc`: the AWS European Sovereign Cloud, `eusc-de-east-1` (`amazonaws.eu`).
    AwsEusc,
}

/// Region prefixes, most specific first (`us-gov-` before `us-`, `eu-isoe-` before `eu-`).
const PREFIXES: [(&str, Partition); 7] = [
    ("us-gov-", Partition::AwsUsGov),
    ("us-isob-", Partition::AwsIsoB),
    ("us-isof-", Partition::AwsIsoF),
    ("us-iso-", Partition::AwsIso),
    ("eu-isoe-", Partition::AwsIsoE),
    ("eusc-", Partition::AwsEusc),
    ("cn-", Partition::AwsCn),
];

impl Partition {
    /// The partition of `region` (`aws` for any region of no other partition's shape).
    pub fn for_region(region: &str) -> Self {
        PREFIXES
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(Self::Aws, |(_, partition)| *partition)
    }

    /// The partition named `id` in ARNs (`aws`, `aws-cn`, `aws-eusc`, …), if it is one.
    pub fn from_id(id: &str) -> Option<Self> {
        [
            Self::Aws,
            Self::AwsCn,
            Self::AwsUsGov,
            Self::AwsIso,
            Self::AwsIsoB,
            Self::AwsIsoE,
            Self::AwsIsoF,
            Self::AwsEusc,
        ]
        .into_iter()
        .find(|p| p.id() == id)
    }

    /// The partition's name, as ARNs write it.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsIso => "aws-iso",
            Self::AwsIsoB => "aws-iso-b",
            Self::AwsIsoE => "aws-iso-e",
            Self::AwsIsoF => "aws-iso-f",
            Self::AwsEusc => "aws-eusc",
        }
    }

    /// The DNS suffix of the partition's regional endpoints.
    pub const fn dns_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "amazonaws.com",
            Self::AwsCn => "amazonaws.com.cn",
            Self::AwsIso => "c2s.ic.gov",
            Self::AwsIsoB => "sc2s.sgov.gov",
            Self::AwsIsoE => "cloud.adc-e.uk",
            Self::AwsIsoF => "csp.hci.ic.gov",
            Self::AwsEusc => "amazonaws.eu",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partitions() {
        for (region, partition, suffix) in [
            ("us-east-1", Partition::Aws, "amazonaws.com"),
            ("eu-west-1", Partition::Aws, "amazonaws.com"),
            ("il-central-1", Partition::Aws, "amazonaws.com"),
            ("mx-central-1", Partition::Aws, "amazonaws.com"),
            ("cn-north-1", Partition::AwsCn, "amazonaws.com.cn"),
            ("cn-northwest-1", Partition::AwsCn, "amazonaws.com.cn"),
            ("us-gov-west-1", Partition::AwsUsGov, "amazonaws.com"),
            ("us-gov-east-1", Partition::AwsUsGov, "amazonaws.com"),
            ("us-iso-east-1", Partition::AwsIso, "c2s.ic.gov"),
            ("us-isob-east-1", Partition::AwsIsoB, "sc2s.sgov.gov"),
            ("eu-isoe-west-1", Partition::AwsIsoE, "cloud.adc-e.uk"),
            ("us-isof-south-1", Partition::AwsIsoF, "csp.hci.ic.gov"),
            ("eusc-de-east-1", Partition::AwsEusc, "amazonaws.eu"),
        ] {
            assert_eq!(Partition::for_region(region), partition, "{region}");
            assert_eq!(partition.dns_suffix(), suffix, "{region}");
            assert_eq!(Partition::from_id(partition.id()), Some(partition));
        }
        assert_eq!(Partition::from_id("aws-evil"), None);
        assert_eq!(Partition::AwsEusc.to_string(), "aws-eusc");
    }
}
