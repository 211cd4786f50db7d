//! The generic JwtVerifier: any issuer and JWKS URI, audience policy, custom claim types.

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{ErrorKind, JwtVerifier};
use serde::Deserialize;

use crate::common::kind;

#[derive(Debug, Deserialize)]
struct MyClaims {
    sub: String,
    aud: String,
    tenant: String,
}

#[tokio::test]
async fn generic_verifier_checks_audience_and_deserializes_custom_claims() {
    let issuer = TestIssuer::start().await.unwrap();
    let v = JwtVerifier::builder(issuer.issuer(), issuer.jwks_uri())
        .audiences(["api://orders"])
        .allow_insecure_http()
        .build()
        .unwrap();
    let token = issuer
        .id_token("api://orders")
        .claim("tenant", "acme")
        .subject("u1")
        .sign();
    let claims: MyClaims = v.verify(&token).await.unwrap();
    assert_eq!(
        (
            claims.sub.as_str(),
            claims.aud.as_str(),
            claims.tenant.as_str()
        ),
        ("u1", "api://orders", "acme")
    );

    let wrong = issuer.id_token("api://billing").sign();
    assert_eq!(
        kind(v.verify::<serde_json::Value>(&wrong).await),
        ErrorKind::WrongAudience
    );
    // Verified, but not the caller's type.
    let untyped = issuer.id_token("api://orders").sign();
    assert_eq!(
        kind(v.verify::<MyClaims>(&untyped).await),
        ErrorKind::ClaimsType
    );
    // The generic verifier knows nothing of token_use: an access token without aud fails on aud.
    let access = issuer.access_token("api://orders").sign();
    assert_eq!(
        kind(v.verify::<serde_json::Value>(&access).await),
        ErrorKind::MissingClaim
    );
}

#[tokio::test]
async fn the_https_requirement_is_explicit() {
    let issuer = TestIssuer::start().await.unwrap();
    let err = JwtVerifier::builder(issuer.issuer(), issuer.jwks_uri())
        .danger_accept_any_audience()
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("allow_insecure_http"), "{err}");
}
