//! Access tokens bound to a resource (`aud`): the Cognito builder, the multi-pool verifier and
//! the route policy refuse a token bound to another API, and pass the right one; nothing changes
//! when no resource is configured.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use cognito_verifier::auth::Policy;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    AccessClaims, CognitoVerifier, ErrorKind, MultiPoolVerifier, TokenCacheConfig, TokenUse,
};

use crate::common::{CLIENT, get_with_bearer, kind};

const ORDERS: &str = "https://orders.example.com";
const BILLING: &str = "https://billing.example.com";

#[tokio::test]
async fn an_access_token_must_be_bound_to_a_configured_resource() {
    let issuer = TestIssuer::start().await.unwrap();
    let v = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .resources([ORDERS, "urn:orders"])
        .build()
        .unwrap();
    assert_eq!(v.resources().unwrap().len(), 2);
    let bound = issuer.access_token(CLIENT).claim("aud", ORDERS).sign();
    let claims = v.verify_access(&bound).await.unwrap();
    assert_eq!(claims.aud, [ORDERS]);
    assert!(claims.is_for_resource(ORDERS));
    assert_eq!(v.verify_access_sync(&bound).unwrap().aud, [ORDERS]);
    let in_array = issuer
        .access_token(CLIENT)
        .claim("aud", serde_json::json!([BILLING, "urn:orders"]))
        .sign();
    assert_eq!(v.verify_access(&in_array).await.unwrap().aud.len(), 2);
    // Another API of the same pool, no binding, a bad shape: refused on every path.
    for (token, expected) in [
        (
            issuer.access_token(CLIENT).claim("aud", BILLING).sign(),
            ErrorKind::WrongAudience,
        ),
        (issuer.access_token(CLIENT).sign(), ErrorKind::MissingClaim),
        (
            issuer.access_token(CLIENT).claim("aud", 7).sign(),
            ErrorKind::InvalidClaim,
        ),
    ] {
        assert_eq!(kind(v.verify_access(&token).await), expected);
        assert_eq!(kind(v.verify_any(&token).await), expected);
        assert_eq!(kind(v.verify_access_sync(&token)), expected);
        assert_eq!(kind(v.verify::<serde_json::Value>(&token).await), expected);
    }
    // The client id is still checked, before the resource.
    let other_client = issuer.access_token("other-app").claim("aud", ORDERS).sign();
    assert_eq!(
        kind(v.verify_access(&other_client).await),
        ErrorKind::WrongClientId
    );
    // ID tokens carry the client id in aud and are not bound to resources.
    assert!(v.verify_id(&issuer.id_token(CLIENT).sign()).await.is_ok());
}

#[tokio::test]
async fn without_resources_nothing_changes() {
    let issuer = TestIssuer::start().await.unwrap();
    let v = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert!(v.resources().is_none());
    for token in [
        issuer.access_token(CLIENT).sign(),
        issuer.access_token(CLIENT).claim("aud", BILLING).sign(),
    ] {
        v.verify_access(&token).await.unwrap();
    }
}

#[tokio::test]
async fn token_cache_hits_are_checked_against_the_resources() {
    let issuer = TestIssuer::start().await.unwrap();
    let plain = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Access)
        .token_cache(TokenCacheConfig::default())
        .build()
        .unwrap();
    let wrong = issuer.access_token(CLIENT).claim("aud", BILLING).sign();
    // Cached by a verifier without resources...
    plain.verify_access(&wrong).await.unwrap();
    plain.verify_access_sync(&wrong).unwrap();
    // ...then the same pool behind a multi-pool verifier that requires one: the shared cache's
    // hit must not let it through.
    let multi = MultiPoolVerifier::new([plain.clone()])
        .unwrap()
        .resources([ORDERS])
        .unwrap();
    assert_eq!(
        kind(multi.verify_access(&wrong).await),
        ErrorKind::WrongAudience
    );
    assert_eq!(
        kind(multi.verify_access_sync(&wrong)),
        ErrorKind::WrongAudience
    );
    let right = issuer.access_token(CLIENT).claim("aud", ORDERS).sign();
    assert_eq!(multi.verify_access(&right).await.unwrap().aud, [ORDERS]);
    assert!(
        MultiPoolVerifier::new([plain.clone()])
            .unwrap()
            .resources(Vec::<String>::new())
            .is_err()
    );
    // A pool with resources of its own keeps them.
    let own = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Access)
        .resources([BILLING])
        .build()
        .unwrap();
    let multi = MultiPoolVerifier::new([own])
        .unwrap()
        .resources([ORDERS])
        .unwrap();
    multi.verify_access(&wrong).await.unwrap();
    assert_eq!(
        kind(multi.verify_access(&right).await),
        ErrorKind::WrongAudience
    );
}

#[tokio::test]
async fn a_route_policy_binds_its_routes_to_resources() {
    let issuer = TestIssuer::start().await.unwrap();
    let v: CognitoVerifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .token_cache(TokenCacheConfig::default())
        .build()
        .unwrap();
    async fn me(Claims(c): Claims<AccessClaims>) -> String {
        c.aud.join(",")
    }
    async fn any() -> &'static str {
        "ok"
    }
    let auth = CognitoAuthLayer::new(v.clone());
    let app = Router::new()
        .route(
            "/orders",
            get(me).route_layer(auth.clone().resources([ORDERS])),
        )
        .route("/open", get(any).route_layer(auth));
    let bound = issuer.access_token(CLIENT).claim("aud", ORDERS).sign();
    let other = issuer.access_token(CLIENT).claim("aud", BILLING).sign();
    for _ in 0..2 {
        // The second round is answered from the token cache: the same verdicts.
        assert_eq!(
            get_with_bearer(&app, "/orders", &bound).await.0,
            StatusCode::OK
        );
        let (status, challenge) = get_with_bearer(&app, "/orders", &other).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(challenge.unwrap().contains("wrong_audience"));
        let (status, challenge) =
            get_with_bearer(&app, "/orders", &issuer.access_token(CLIENT).sign()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(challenge.unwrap().contains("missing_claim"));
        assert_eq!(
            get_with_bearer(&app, "/open", &other).await.0,
            StatusCode::OK
        );
    }
    // ID tokens pass a resource-bound route's resource rule (they are not bound to resources).
    let policy = Policy::new(v).resources([ORDERS]);
    let id = issuer.id_token(CLIENT).sign();
    assert!(policy.authenticate_token(&id).await.is_ok());
    let refused = policy.authenticate_token(&other).await.unwrap_err();
    assert_eq!((refused.status(), refused.kind()), (401, "wrong_audience"));
}
