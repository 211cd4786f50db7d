//! CognitoVerifier end to end: genuine tokens accepted with the right typed claims, and each
//! check, broken on its own, rejected with its own error kind.

use std::time::Duration;

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{CognitoClaims, ErrorKind, TokenUse};
use serde_json::{Value, json};

use crate::common::{CLIENT, issuer_with_clock, kind, verifier};

#[tokio::test]
async fn genuine_id_token_is_accepted_with_typed_claims() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let token = issuer
        .id_token(CLIENT)
        .subject("11111111-2222-3333-4444-555555555555")
        .username("bob")
        .groups(["admins", "users"])
        .claim("email_verified", "true")
        .claim("custom:tenant", "acme")
        .claim("phone_number", "+15555550100")
        .sign();
    let claims = v.verify_id(&token).await.unwrap();
    assert_eq!(claims.sub, "11111111-2222-3333-4444-555555555555");
    assert_eq!(claims.username.as_deref(), Some("bob"));
    assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.aud, CLIENT);
    assert_eq!(claims.iss, issuer.issuer());
    assert_eq!(claims.groups, ["admins", "users"]);
    assert_eq!(claims.custom_attribute("tenant"), Some("acme"));
    assert_eq!(claims.phone_number.as_deref(), Some("+15555550100"));
    assert!(
        claims.other.get("token_use").is_none(),
        "implied by the type"
    );
}

#[tokio::test]
async fn genuine_access_token_is_accepted_with_typed_claims() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let token = issuer
        .access_token(CLIENT)
        .scopes(["orders/read", "orders/write"])
        .groups(["ops"])
        .sign();
    let claims = v.verify_access(&token).await.unwrap();
    assert_eq!(claims.client_id, CLIENT);
    assert_eq!(claims.username.as_deref(), Some("alice"));
    assert!(claims.has_scope("orders/write") && !claims.has_scope("orders/delete"));
    assert!(claims.in_group("ops"));
    assert_eq!(claims.version, Some(2));

    match v.verify_any(&token).await.unwrap() {
        CognitoClaims::Access(c) => assert_eq!(c, claims),
        other => panic!("expected access claims, got {other:?}"),
    }
    let raw: Value = v.verify(&token).await.unwrap();
    assert_eq!(raw["client_id"], CLIENT);
}

#[tokio::test]
async fn keys_are_fetched_once_and_shared_by_clones() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let clone = v.clone();
    for _ in 0..20 {
        v.verify_id(&issuer.id_token(CLIENT).sign()).await.unwrap();
        clone
            .verify_access(&issuer.access_token(CLIENT).sign())
            .await
            .unwrap();
    }
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn token_use_is_enforced_both_ways() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let id = issuer.id_token(CLIENT).sign();
    let access = issuer.access_token(CLIENT).sign();
    assert_eq!(kind(v.verify_access(&id).await), ErrorKind::WrongTokenUse);
    assert_eq!(kind(v.verify_id(&access).await), ErrorKind::WrongTokenUse);

    let id_only = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Id)
        .build()
        .unwrap();
    assert_eq!(
        kind(id_only.verify_any(&access).await),
        ErrorKind::WrongTokenUse
    );
    assert!(id_only.verify_any(&id).await.is_ok());

    for bad in [json!("refresh"), json!("ID"), json!(""), json!(null)] {
        let t = issuer
            .id_token(CLIENT)
            .claim("token_use", bad.clone())
            .sign();
        let expected = if bad.is_null() {
            ErrorKind::MissingClaim
        } else {
            ErrorKind::WrongTokenUse
        };
        assert_eq!(kind(v.verify_any(&t).await), expected, "{bad}");
    }
    let t = issuer.id_token(CLIENT).without_claim("token_use").sign();
    assert_eq!(kind(v.verify_id(&t).await), ErrorKind::MissingClaim);
}

#[tokio::test]
async fn client_ids_are_checked_against_aud_and_client_id() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let id = issuer.id_token(CLIENT).wrong_audience().sign();
    assert_eq!(kind(v.verify_id(&id).await), ErrorKind::WrongAudience);
    let access = issuer.access_token(CLIENT).wrong_audience().sign();
    assert_eq!(
        kind(v.verify_access(&access).await),
        ErrorKind::WrongClientId
    );
    let no_aud = issuer.id_token(CLIENT).without_claim("aud").sign();
    assert_eq!(kind(v.verify_id(&no_aud).await), ErrorKind::MissingClaim);
    let no_client = issuer
        .access_token(CLIENT)
        .without_claim("client_id")
        .sign();
    assert_eq!(
        kind(v.verify_access(&no_client).await),
        ErrorKind::MissingClaim
    );

    // Several accepted clients; and the explicit opt-out.
    let two = issuer
        .verifier_builder(CLIENT)
        .client_ids(["other", CLIENT])
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    assert!(
        two.verify_access(&issuer.access_token(CLIENT).sign())
            .await
            .is_ok()
    );
    let any = issuer
        .verifier_builder(CLIENT)
        .danger_accept_any_client_id()
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    assert!(any.verify_access(&access).await.is_ok());
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    for iss in [
        format!("{}/", issuer.issuer()),
        issuer.issuer().replace("eu-west-1", "us-east-1"),
        "https://evil.example".to_owned(),
    ] {
        let t = issuer.id_token(CLIENT).claim("iss", iss.clone()).sign();
        assert_eq!(kind(v.verify_id(&t).await), ErrorKind::WrongIssuer, "{iss}");
    }
    let t = issuer.id_token(CLIENT).without_claim("iss").sign();
    assert_eq!(kind(v.verify_id(&t).await), ErrorKind::MissingClaim);
}

#[tokio::test]
async fn time_claims_honour_leeway_to_the_second() {
    let (issuer, clock) = issuer_with_clock().await;
    let leeway = 30;
    let v = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .leeway(Duration::from_secs(leeway))
        .clock(clock.clone())
        .build()
        .unwrap();
    let token = issuer
        .id_token(CLIENT)
        .expires_in(Duration::from_secs(100))
        .sign();
    v.verify_id(&token).await.unwrap();
    clock.advance(Duration::from_secs(100 + leeway - 1));
    v.verify_id(&token).await.unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(kind(v.verify_id(&token).await), ErrorKind::Expired);

    assert_eq!(
        kind(v.verify_id(&issuer.id_token(CLIENT).expired().sign()).await),
        ErrorKind::Expired
    );
    assert_eq!(
        kind(
            v.verify_id(&issuer.id_token(CLIENT).not_yet_valid().sign())
                .await
        ),
        ErrorKind::NotYetValid
    );
    let now = i64::try_from(clock_secs(&clock)).unwrap();
    let iat_future = issuer
        .id_token(CLIENT)
        .claim("iat", now + 31)
        .claim("exp", now + 999)
        .sign();
    assert_eq!(
        kind(v.verify_id(&iat_future).await),
        ErrorKind::IssuedInFuture
    );
    let iat_edge = issuer
        .id_token(CLIENT)
        .claim("iat", now + 30)
        .claim("exp", now + 999)
        .sign();
    v.verify_id(&iat_edge).await.unwrap();
    let nbf_edge = issuer.id_token(CLIENT).claim("nbf", now + 30).sign();
    v.verify_id(&nbf_edge).await.unwrap();
    let no_exp = issuer.id_token(CLIENT).without_claim("exp").sign();
    assert_eq!(kind(v.verify_id(&no_exp).await), ErrorKind::MissingClaim);
    let string_exp = issuer.id_token(CLIENT).claim("exp", "99999999999").sign();
    assert_eq!(
        kind(v.verify_id(&string_exp).await),
        ErrorKind::InvalidClaim
    );
}

fn clock_secs(clock: &cognito_verifier::ManualClock) -> u64 {
    use cognito_verifier::Clock as _;
    clock.now().as_secs()
}

#[tokio::test]
async fn groups_and_scopes_are_required_when_configured() {
    let (issuer, clock) = issuer_with_clock().await;
    let admins = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .required_groups(["admins"])
        .clock(clock.clone())
        .build()
        .unwrap();
    assert!(
        admins
            .verify_id(&issuer.id_token(CLIENT).groups(["admins"]).sign())
            .await
            .is_ok()
    );
    let err = admins
        .verify_id(&issuer.id_token(CLIENT).groups(["users"]).sign())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingGroup);
    assert!(err.is_insufficient_scope());
    assert_eq!(
        kind(admins.verify_id(&issuer.id_token(CLIENT).sign()).await),
        ErrorKind::MissingGroup
    );

    let readers = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Access)
        .required_scopes(["orders/read", "orders/admin"])
        .build()
        .unwrap();
    let ok = issuer
        .access_token(CLIENT)
        .scopes(["openid", "orders/read"])
        .sign();
    assert!(readers.verify_access(&ok).await.is_ok());
    let no = issuer.access_token(CLIENT).scopes(["orders/write"]).sign();
    assert_eq!(
        kind(readers.verify_access(&no).await),
        ErrorKind::MissingScope
    );
}

#[tokio::test]
async fn nonce_is_checked_on_request() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let token = issuer
        .id_token(CLIENT)
        .claim("nonce", "n-0S6_WzA2Mj")
        .sign();
    let claims = v
        .verify_id_with_nonce(&token, "n-0S6_WzA2Mj")
        .await
        .unwrap();
    assert_eq!(claims.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(
        kind(v.verify_id_with_nonce(&token, "other").await),
        ErrorKind::WrongNonce
    );
    let none = issuer.id_token(CLIENT).sign();
    assert_eq!(
        kind(v.verify_id_with_nonce(&none, "n").await),
        ErrorKind::MissingClaim
    );
}

#[tokio::test]
async fn tampering_and_foreign_keys_are_rejected() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let token = issuer.id_token(CLIENT).sign();
    // Swap in another payload under the same signature.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = issuer.id_token(CLIENT).username("mallory").sign();
    parts[1] = forged_payload.split('.').nth(1).unwrap();
    assert_eq!(
        kind(v.verify_id(&parts.join(".")).await),
        ErrorKind::InvalidSignature
    );

    // A token signed by another issuer's key under our kid.
    let (other, _) = issuer_with_clock().await;
    let foreign = other.id_token(CLIENT).claim("iss", issuer.issuer()).sign();
    assert_eq!(
        kind(v.verify_id(&foreign).await),
        ErrorKind::InvalidSignature
    );

    // alg none, and a missing kid.
    let none = issuer.id_token(CLIENT).header("alg", "none").sign();
    assert_eq!(
        kind(v.verify_id(&none).await),
        ErrorKind::UnsupportedAlgorithm
    );
    let no_kid = issuer.id_token(CLIENT).header("kid", Value::Null).sign();
    assert_eq!(kind(v.verify_id(&no_kid).await), ErrorKind::MissingKid);
    let unknown = issuer.id_token(CLIENT).header("kid", "nope").sign();
    assert_eq!(kind(v.verify_id(&unknown).await), ErrorKind::UnknownKid);
    assert_eq!(kind(v.verify_id("not.a.token").await), ErrorKind::Malformed);
}

#[tokio::test]
async fn cached_verification_needs_keys_in_cache() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = verifier(&issuer, &clock);
    let token = issuer.access_token(CLIENT).sign();
    let err = v.verify_access_sync(&token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotCached);
    assert!(err.is_key_unavailable());
    assert_eq!(issuer.jwks_requests(), 0);
    v.hydrate().await.unwrap();
    assert_eq!(v.verify_access_sync(&token).unwrap().client_id, CLIENT);
    assert!(v.verify_id_sync(&issuer.id_token(CLIENT).sign()).is_ok());
    assert!(matches!(
        v.verify_any_sync(&token),
        Ok(CognitoClaims::Access(_))
    ));
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn preloaded_and_exported_key_sets_need_no_fetch() {
    let (issuer, clock) = issuer_with_clock().await;
    let first = verifier(&issuer, &clock);
    first.hydrate().await.unwrap();
    let saved = first.cached_jwks().unwrap();
    assert_eq!(saved, issuer.jwks_json());

    let cold_start = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .jwks(saved)
        .build()
        .unwrap();
    let token = issuer.id_token(CLIENT).sign();
    assert!(cold_start.verify_id_sync(&token).is_ok());
    assert!(cold_start.verify_id(&token).await.is_ok());
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn the_test_kit_rotates_keys() {
    let issuer = TestIssuer::start().await.unwrap();
    let v = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let old = issuer.id_token(CLIENT).sign();
    v.verify_id(&old).await.unwrap();
    let new_kid = issuer.rotate_keys().unwrap();
    assert_eq!(issuer.current_kid(), new_kid);
    let new = issuer.id_token(CLIENT).sign();
    v.verify_id(&new).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
    v.verify_id(&old).await.unwrap();
}
