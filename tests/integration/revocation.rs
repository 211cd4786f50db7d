//! Revoked sessions and tokens: what the application revokes is refused after the signature on
//! every path (async, sync, `verify::<T>`, several pools, the layer, verified-token cache hits),
//! and comes back when the revocation ends.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use cognito_verifier::axum::CognitoAuthLayer;
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    CognitoVerifier, ErrorKind, ManualClock, MultiPoolVerifier, RevocationList, Revocations,
    TokenCacheConfig, TokenUse,
};

use crate::common::{CLIENT, get_with_bearer, kind};

fn verifier(issuer: &TestIssuer, revoked: &RevocationList, cache: bool) -> CognitoVerifier {
    let mut b = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .revocations(revoked.clone());
    if cache {
        b = b.token_cache(TokenCacheConfig::default());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn a_revoked_session_is_refused_on_every_path_and_its_other_sessions_are_not() {
    let issuer = TestIssuer::start().await.unwrap();
    let revoked = RevocationList::new();
    for cache in [false, true] {
        let v = verifier(&issuer, &revoked, cache);
        let multi = MultiPoolVerifier::new([v.clone()]).unwrap();
        let session = "5f1d8c9e-2b7a-4c3d-9e8f-0a1b2c3d4e5f";
        let id = issuer.id_token(CLIENT).claim("origin_jti", session).sign();
        let access = issuer
            .access_token(CLIENT)
            .claim("origin_jti", session)
            .sign();
        let other_session = issuer.access_token(CLIENT).sign();
        // Accepted first (and, with the cache on, cached).
        v.verify_id(&id).await.unwrap();
        v.verify_access(&access).await.unwrap();
        v.verify_access_sync(&access).unwrap();

        revoked.revoke(session).unwrap();
        for token in [&id, &access] {
            assert_eq!(kind(v.verify_any(token).await), ErrorKind::Revoked);
            assert_eq!(kind(v.verify_any_sync(token)), ErrorKind::Revoked);
            assert_eq!(
                kind(v.verify::<serde_json::Value>(token).await),
                ErrorKind::Revoked
            );
            assert_eq!(kind(multi.verify_any(token).await), ErrorKind::Revoked);
            assert_eq!(kind(multi.verify_any_sync(token)), ErrorKind::Revoked);
        }
        assert_eq!(kind(v.verify_id(&id).await), ErrorKind::Revoked);
        assert_eq!(kind(v.verify_access_sync(&access)), ErrorKind::Revoked);
        let e = v.verify_access(&access).await.unwrap_err();
        assert!(!e.is_key_unavailable() && !e.is_forbidden());
        assert!(e.to_string().contains("origin_jti"), "{e}");
        v.verify_access(&other_session).await.unwrap();

        // Taken back: accepted again.
        assert!(revoked.remove(session));
        v.verify_access(&access).await.unwrap();
    }
}

#[tokio::test]
async fn one_token_is_revoked_by_its_jti() {
    let issuer = TestIssuer::start().await.unwrap();
    let revoked = RevocationList::new();
    let v = verifier(&issuer, &revoked, true);
    let session = "0e9c4d12-7a55-4f0b-8d61-3b2a1c0f9e88";
    let first = issuer
        .access_token(CLIENT)
        .claim("origin_jti", session)
        .claim("jti", "jti-first")
        .sign();
    let second = issuer
        .access_token(CLIENT)
        .claim("origin_jti", session)
        .claim("jti", "jti-second")
        .sign();
    v.verify_access(&first).await.unwrap();
    revoked.revoke("jti-first").unwrap();
    let e = v.verify_access(&first).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Revoked);
    assert!(e.to_string().contains("jti"));
    v.verify_access(&second).await.unwrap();
    // Tokens without revocation claims (a pool without token revocation) are not affected.
    let bare = issuer
        .access_token(CLIENT)
        .without_claim("origin_jti")
        .without_claim("jti")
        .sign();
    v.verify_access(&bare).await.unwrap();
}

#[tokio::test]
async fn revocations_end_by_themselves_when_no_token_can_verify() {
    let clock = ManualClock::starting_now();
    let revoked = RevocationList::builder()
        .lifetime(Duration::from_secs(3600 + 60))
        .clock(clock.clone())
        .build()
        .unwrap();
    let issuer = TestIssuer::start().await.unwrap();
    let v = verifier(&issuer, &revoked, false);
    let token = issuer
        .access_token(CLIENT)
        .claim("origin_jti", "s-1")
        .sign();
    revoked.revoke("s-1").unwrap();
    assert_eq!(kind(v.verify_access(&token).await), ErrorKind::Revoked);
    clock.advance(Duration::from_secs(3600 + 60));
    assert!(!revoked.is_revoked("s-1"));
    revoked.purge_expired();
    assert!(revoked.is_empty());
}

#[tokio::test]
async fn the_layer_answers_401_revoked_also_for_a_cached_token() {
    let issuer = TestIssuer::start().await.unwrap();
    let revoked = RevocationList::new();
    let v = verifier(&issuer, &revoked, true);
    let app = Router::new()
        .route("/me", get(|| async { "ok" }))
        .layer(CognitoAuthLayer::new(v));
    let token = issuer
        .access_token(CLIENT)
        .claim("origin_jti", "s-2")
        .sign();
    // Twice: verified, then a cache hit.
    assert_eq!(get_with_bearer(&app, "/me", &token).await.0, StatusCode::OK);
    assert_eq!(get_with_bearer(&app, "/me", &token).await.0, StatusCode::OK);
    revoked.revoke("s-2").unwrap();
    let (status, challenge) = get_with_bearer(&app, "/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer error=\"invalid_token\", error_description=\"revoked\"")
    );
}

#[tokio::test]
async fn a_store_of_the_applications_own_plugs_in() {
    /// A fleet's shared store, seen through a local view (here: a fixed list).
    #[derive(Debug)]
    struct Shared(Vec<&'static str>);
    impl Revocations for Shared {
        fn is_revoked(&self, id: &str) -> bool {
            self.0.contains(&id)
        }
    }
    let issuer = TestIssuer::start().await.unwrap();
    let pool = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let multi = MultiPoolVerifier::new([pool])
        .unwrap()
        .revocations(Shared(vec!["gone"]));
    let gone = issuer.id_token(CLIENT).claim("origin_jti", "gone").sign();
    assert_eq!(kind(multi.verify_id(&gone).await), ErrorKind::Revoked);
    multi
        .verify_id(&issuer.id_token(CLIENT).sign())
        .await
        .unwrap();
}
