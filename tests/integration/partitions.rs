//! Pools in every partition: the issuer is derived with the partition's DNS suffix, genuine ID
//! and access tokens of each verify, and a token naming the pool under another partition's suffix
//! is refused.

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    BuildError, CognitoVerifier, ErrorKind, IssuerFormat, ManualClock, Partition, TokenUse,
};

use crate::common::{CLIENT, kind};

/// A verifier for `pool` whose issuer is derived from the pool id (only the key URI points at the
/// test issuer's loopback server).
fn derived_verifier(issuer: &TestIssuer, clock: &ManualClock) -> CognitoVerifier {
    CognitoVerifier::builder(issuer.pool_id().as_str())
        .jwks_uri(issuer.jwks_uri())
        .allow_insecure_http()
        .client_ids([CLIENT])
        .token_use(TokenUse::Any)
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn pools_of_every_partition_verify_their_tokens_and_refuse_other_suffixes() {
    let all_suffixes = [
        "amazonaws.com",
        "amazonaws.com.cn",
        "amazonaws.eu",
        "c2s.ic.gov",
    ];
    for (pool, partition, issuer_url) in [
        (
            "us-east-1_AbC123",
            Partition::Aws,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
        ),
        (
            "us-gov-west-1_AbC123",
            Partition::AwsUsGov,
            "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC123",
        ),
        (
            "cn-north-1_AbC123",
            Partition::AwsCn,
            "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123",
        ),
        (
            "cn-northwest-1_AbC123",
            Partition::AwsCn,
            "https://cognito-idp.cn-northwest-1.amazonaws.com.cn/cn-northwest-1_AbC123",
        ),
        (
            "eusc-de-east-1_AbC123",
            Partition::AwsEusc,
            "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_AbC123",
        ),
    ] {
        let clock = ManualClock::starting_now();
        let issuer = TestIssuer::start_for_pool(pool, clock.clone())
            .await
            .unwrap();
        // The test kit writes the pool's real issuer into its tokens.
        assert_eq!(issuer.issuer(), issuer_url, "{pool}");
        let v = derived_verifier(&issuer, &clock);
        assert_eq!(v.issuer(), issuer_url);
        assert_eq!(v.user_pool_id().unwrap().partition(), partition);

        let id = v.verify_id(&issuer.id_token(CLIENT).sign()).await.unwrap();
        assert_eq!(id.iss, issuer_url);
        let access = v
            .verify_access(&issuer.access_token(CLIENT).sign())
            .await
            .unwrap();
        assert_eq!(access.iss, issuer_url);
        assert_eq!(
            v.verify_access_sync(&issuer.access_token(CLIENT).sign())
                .unwrap()
                .iss,
            issuer_url
        );

        // The same pool under every other partition's suffix is another issuer: refused, whichever
        // kind of token.
        let own = partition.dns_suffix();
        for other in all_suffixes.iter().filter(|s| **s != own) {
            let forged_iss = issuer_url.replace(own, other);
            assert_ne!(forged_iss, issuer_url);
            for token in [
                issuer
                    .id_token(CLIENT)
                    .claim("iss", forged_iss.as_str())
                    .sign(),
                issuer
                    .access_token(CLIENT)
                    .claim("iss", forged_iss.as_str())
                    .sign(),
            ] {
                assert_eq!(
                    kind(v.verify_any(&token).await),
                    ErrorKind::WrongIssuer,
                    "{forged_iss}"
                );
            }
        }
    }
}

#[tokio::test]
async fn replica_regions_take_their_partitions_suffix_and_stay_in_the_pools_partition() {
    let v = CognitoVerifier::builder("cn-north-1_AbC123")
        .client_ids([CLIENT])
        .token_use(TokenUse::Any)
        .issuer_format(IssuerFormat::IssuerCognitoIdp)
        .replica_regions(["cn-northwest-1"])
        .build()
        .unwrap();
    let issuers: Vec<&str> = v.issuers().iter().map(|s| &**s).collect();
    assert_eq!(
        issuers,
        [
            "https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123",
            "https://issuer-cognito-idp.cn-northwest-1.amazonaws.com.cn/cn-north-1_AbC123",
        ]
    );
    assert_eq!(
        v.jwks_uri(),
        "https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123/.well-known/jwks.json"
    );
    let across = CognitoVerifier::builder("cn-north-1_AbC123")
        .client_ids([CLIENT])
        .token_use(TokenUse::Any)
        .replica_regions(["eu-west-1"])
        .build();
    assert!(
        matches!(
            across,
            Err(BuildError::InvalidSetting {
                setting: "replica_regions",
                ..
            })
        ),
        "{across:?}"
    );
}
