//! The tower layer and the axum extractor, driven with `oneshot` (keys on 127.0.0.1).

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{AccessClaims, CognitoClaims, IdClaims, TokenUse};
use serde_json::Value;
use tower::ServiceExt as _;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::CLIENT;

async fn me(Claims(claims): Claims<CognitoClaims>) -> String {
    format!("hello {}", claims.sub())
}

async fn access_only(Claims(claims): Claims<AccessClaims>) -> String {
    format!("scopes {}", claims.scope)
}

async fn id_only(Claims(claims): Claims<IdClaims>) -> String {
    format!("email {}", claims.email.unwrap_or_default())
}

fn app(auth: &CognitoAuthLayer) -> Router {
    Router::new()
        .route("/public", get(|| async { "anyone" }))
        .route("/me", get(me).route_layer(auth.clone()))
        .route(
            "/orders",
            get(access_only).route_layer(
                auth.clone()
                    .access_tokens()
                    .required_scopes(["orders/read"]),
            ),
        )
        .route(
            "/profile",
            get(id_only).route_layer(auth.clone().id_tokens()),
        )
        .route(
            "/admin",
            get(me).route_layer(auth.clone().required_groups(["admins"])),
        )
        .route("/unwired", get(me))
}

struct Reply {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    body: String,
}

async fn send(app: &Router, path: &str, authorization: Option<&str>) -> Reply {
    let mut request = Request::builder().uri(path);
    if let Some(a) = authorization {
        request = request.header(header::AUTHORIZATION, a);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = String::from_utf8(
        to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    Reply {
        status,
        challenge,
        retry_after,
        body,
    }
}

async fn setup() -> (TestIssuer, CognitoAuthLayer) {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    (issuer, CognitoAuthLayer::new(verifier))
}

#[tokio::test]
async fn verified_requests_reach_handlers_with_their_claims() {
    let (issuer, auth) = setup().await;
    let app = app(&auth);
    assert_eq!(send(&app, "/public", None).await.status, StatusCode::OK);

    let access = issuer
        .access_token(CLIENT)
        .subject("u-42")
        .scopes(["orders/read"])
        .sign();
    let r = send(&app, "/me", Some(&format!("Bearer {access}"))).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "hello u-42"));
    let r = send(&app, "/me", Some(&format!("bearer {access}"))).await;
    assert_eq!(r.status, StatusCode::OK, "the scheme is case-insensitive");
    let r = send(&app, "/orders", Some(&format!("Bearer {access}"))).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "scopes orders/read")
    );

    let id = issuer.id_token(CLIENT).sign();
    let r = send(&app, "/profile", Some(&format!("Bearer {id}"))).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "email alice@example.com")
    );
}

#[tokio::test]
async fn missing_and_bad_tokens_get_401_with_an_rfc_6750_challenge() {
    let (issuer, auth) = setup().await;
    let app = app(&auth);
    let r = send(&app, "/me", None).await;
    assert_eq!(
        (r.status, r.challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
    let r = send(&app, "/me", Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l")).await;
    assert_eq!(
        (r.status, r.challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );

    let expired = issuer.access_token(CLIENT).expired().sign();
    let r = send(&app, "/me", Some(&format!("Bearer {expired}"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.challenge.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="expired""#)
    );
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert!(!r.body.contains(&expired) && !r.body.contains(expired.split('.').nth(1).unwrap()));

    // A token of the wrong kind for the route, and a token for another app.
    let id = issuer.id_token(CLIENT).sign();
    let r = send(&app, "/orders", Some(&format!("Bearer {id}"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.challenge.unwrap().contains("wrong_token_use"));
    let other = issuer.access_token("other-app").sign();
    let r = send(&app, "/me", Some(&format!("Bearer {other}"))).await;
    assert!(r.challenge.unwrap().contains("wrong_client_id"));
}

#[tokio::test]
async fn bare_tokens_only_when_allowed() {
    let (issuer, auth) = setup().await;
    let token = issuer.access_token(CLIENT).sign();
    assert_eq!(
        send(&app(&auth), "/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let lenient = app(&auth.allow_bare_token());
    assert_eq!(
        send(&lenient, "/me", Some(&token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn missing_groups_and_scopes_get_403_insufficient_scope() {
    let (issuer, auth) = setup().await;
    let app = app(&auth);
    let user = issuer
        .access_token(CLIENT)
        .groups(["users"])
        .scopes(["orders/write"])
        .sign();
    let r = send(&app, "/admin", Some(&format!("Bearer {user}"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", error_description="missing_group""#)
    );
    let r = send(&app, "/orders", Some(&format!("Bearer {user}"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.challenge.as_deref(),
        Some(
            r#"Bearer error="insufficient_scope", error_description="missing_scope", scope="orders/read""#
        )
    );
    let admin = issuer.access_token(CLIENT).groups(["admins"]).sign();
    assert_eq!(
        send(&app, "/admin", Some(&format!("Bearer {admin}")))
            .await
            .status,
        StatusCode::OK
    );
}

/// A JWKS endpoint that answers 500 to everything.
async fn broken_endpoint() -> MockServer {
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&broken)
        .await;
    broken
}

#[tokio::test]
async fn unavailable_keys_get_503_not_401() {
    let issuer = TestIssuer::start().await.unwrap();
    let broken = broken_endpoint().await;
    let verifier = issuer
        .verifier_builder(CLIENT)
        .jwks_uri(format!("{}/jwks.json", broken.uri()))
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let app = app(&CognitoAuthLayer::new(verifier));
    let token = issuer.access_token(CLIENT).sign();
    let r = send(&app, "/me", Some(&format!("Bearer {token}"))).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("jwks_fetch"), "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("5"));
    // Right after, during the retry backoff: Retry-After says when the next fetch is allowed.
    let r = send(&app, "/me", Some(&format!("Bearer {token}"))).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.retry_after.as_deref(), Some("1"), "{}", r.body);
}

#[tokio::test]
async fn a_made_up_kid_is_401_even_while_the_endpoint_is_down() {
    let issuer = TestIssuer::start().await.unwrap();
    let broken = broken_endpoint().await;
    let verifier = issuer
        .verifier_builder(CLIENT)
        .jwks_uri(format!("{}/jwks.json", broken.uri()))
        .token_use(TokenUse::Any)
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();
    let app = app(&CognitoAuthLayer::new(verifier));
    let forged = issuer.access_token(CLIENT).header("kid", "made-up").sign();
    let r = send(&app, "/me", Some(&format!("Bearer {forged}"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("unknown_kid"), "{}", r.body);
    let token = issuer.access_token(CLIENT).sign();
    assert_eq!(
        send(&app, "/me", Some(&format!("Bearer {token}")))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_route_without_the_layer_fails_closed() {
    let (issuer, auth) = setup().await;
    let token = issuer.access_token(CLIENT).sign();
    let r = send(&app(&auth), "/unwired", Some(&format!("Bearer {token}"))).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}
