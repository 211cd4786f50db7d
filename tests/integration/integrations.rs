//! One verdict for every server: the framework-free core (`auth`), the tower layer over any body,
//! the axum extractors and the actix-web middleware, through their public APIs (axum and tower
//! with `oneshot`, actix-web with its test utilities; keys on 127.0.0.1).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{StatusCode, header};
use axum::routing::get;
use cognito_verifier::auth::{Outcome, Policy, Rejection, TokenSource, Verified};
use cognito_verifier::axum::{Claims, CognitoAuthLayer};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    AccessClaims, CognitoClaims, CognitoVerifier, IdClaims, JwtVerifier, MultiPoolVerifier,
    TokenCacheConfig, TokenUse,
};
use http::Request;
use serde::Deserialize;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::common::CLIENT;

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

async fn send(app: &Router, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::builder().uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn issuer_and_verifier() -> (TestIssuer, CognitoVerifier) {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    (issuer, verifier)
}

#[tokio::test]
async fn an_id_token_on_an_access_claims_route_is_401_not_500() {
    // The old layer answered 500 "no authentication layer ran": any signed-in user could
    // trigger it.
    let (issuer, verifier) = issuer_and_verifier().await;
    async fn access(Claims(c): Claims<AccessClaims>) -> String {
        c.client_id
    }
    async fn id(Claims(c): Claims<IdClaims>) -> String {
        c.aud
    }
    let auth = CognitoAuthLayer::new(verifier);
    let app = Router::new()
        .route("/access", get(access).route_layer(auth.clone()))
        .route("/id", get(id).route_layer(auth));
    let id_token = issuer.id_token(CLIENT).sign();
    let access_token = issuer.access_token(CLIENT).sign();
    for (path, token) in [("/access", &id_token), ("/id", &access_token)] {
        let r = send(&app, path, &[("authorization", &bearer(token))]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}: {}", r.body);
        assert!(r.body.contains("wrong_token_use"), "{}", r.body);
        assert!(
            r.headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("wrong_token_use")
        );
    }
    let r = send(
        &app,
        "/access",
        &[("authorization", &bearer(&access_token))],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, CLIENT));
}

#[tokio::test]
async fn optional_authentication() {
    let (issuer, verifier) = issuer_and_verifier().await;
    async fn hello(claims: Option<Claims<AccessClaims>>) -> String {
        match claims {
            Some(c) => format!("hello {}", c.username.as_deref().unwrap_or("?")),
            None => "hello stranger".into(),
        }
    }
    async fn strict(Claims(c): Claims<AccessClaims>) -> String {
        c.sub
    }
    let auth = CognitoAuthLayer::new(verifier);
    let app = Router::new()
        .route("/hello", get(hello).route_layer(auth.clone().optional()))
        .route("/strict", get(strict).route_layer(auth.optional()))
        .route("/unwired", get(hello));
    let r = send(&app, "/hello", &[]).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "hello stranger")
    );
    let token = issuer.access_token(CLIENT).username("bob").sign();
    let r = send(&app, "/hello", &[("authorization", &bearer(&token))]).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "hello bob"));
    // A token that is present must be valid, even where anonymous requests pass.
    let expired = issuer.access_token(CLIENT).expired().sign();
    let r = send(&app, "/hello", &[("authorization", &bearer(&expired))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("expired"));
    // A handler that requires claims behind an optional layer: 401, no token was sent.
    let r = send(&app, "/strict", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    // Option<Claims<T>> on a route without any layer: a wiring mistake, not an anonymous user.
    let r = send(&app, "/unwired", &[]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[derive(Debug, Deserialize)]
struct MyClaims {
    sub: String,
    #[serde(rename = "custom:tenant")]
    tenant: String,
    #[serde(default)]
    entitlements: Vec<String>,
}

#[tokio::test]
async fn handlers_extract_claims_types_of_their_own() {
    let (issuer, verifier) = issuer_and_verifier().await;
    async fn mine(claims: Claims<MyClaims>) -> String {
        // Claims<T> derefs to T.
        format!("{} {} {:?}", claims.sub, claims.tenant, claims.entitlements)
    }
    async fn json(Claims(v): Claims<Value>) -> String {
        v["token_use"].as_str().unwrap_or_default().to_owned()
    }
    async fn either(Claims(c): Claims<CognitoClaims>) -> String {
        c.sub().to_owned()
    }
    let auth = CognitoAuthLayer::new(verifier);
    let app = Router::new()
        .route("/mine", get(mine).route_layer(auth.clone()))
        .route("/json", get(json).route_layer(auth.clone()))
        .route("/either", get(either).route_layer(auth));
    // Claims a pre-token-generation trigger added.
    let token = issuer
        .id_token(CLIENT)
        .subject("s-1")
        .claim("custom:tenant", "acme")
        .claim("entitlements", serde_json::json!(["reports"]))
        .sign();
    let r = send(&app, "/mine", &[("authorization", &bearer(&token))]).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, r#"s-1 acme ["reports"]"#)
    );
    let r = send(&app, "/json", &[("authorization", &bearer(&token))]).await;
    assert_eq!(r.body, "id");
    let r = send(&app, "/either", &[("authorization", &bearer(&token))]).await;
    assert_eq!(r.body, "s-1");
    // Claims that do not fit the type: a genuine token that is not enough for this route,
    // 403 claims_type (a 401 would send the client to sign in again, get the same token, and
    // loop).
    let plain = issuer.id_token(CLIENT).sign();
    let r = send(&app, "/mine", &[("authorization", &bearer(&plain))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("claims_type"), "{}", r.body);
    assert_eq!(
        r.headers[header::WWW_AUTHENTICATE],
        r#"Bearer error="insufficient_scope", error_description="claims_type""#
    );
}

#[tokio::test]
async fn token_sources_are_tried_in_order() {
    let (issuer, verifier) = issuer_and_verifier().await;
    async fn who(Claims(c): Claims<CognitoClaims>) -> String {
        c.sub().to_owned()
    }
    let auth = CognitoAuthLayer::new(verifier).sources([
        TokenSource::Header("x-amzn-oidc-accesstoken".into()),
        TokenSource::Cookie("id_token".into()),
        TokenSource::Bearer,
    ]);
    let app = Router::new().route("/who", get(who).route_layer(auth));
    let a = issuer.access_token(CLIENT).subject("from-header").sign();
    let c = issuer.id_token(CLIENT).subject("from-cookie").sign();
    let b = issuer.access_token(CLIENT).subject("from-bearer").sign();
    let r = send(&app, "/who", &[("authorization", &bearer(&b))]).await;
    assert_eq!(r.body, "from-bearer");
    let cookie = format!("theme=dark; id_token={c}; other=1");
    let r = send(
        &app,
        "/who",
        &[
            ("cookie", "a=b"),
            ("cookie", &cookie),
            ("authorization", &bearer(&b)),
        ],
    )
    .await;
    assert_eq!(r.body, "from-cookie");
    let r = send(
        &app,
        "/who",
        &[
            ("X-Amzn-Oidc-Accesstoken", &a),
            ("cookie", &cookie),
            ("authorization", &bearer(&b)),
        ],
    )
    .await;
    assert_eq!(r.body, "from-header");
    // A cookie that only starts with the name is not it.
    let r = send(&app, "/who", &[("cookie", &format!("id_token_old={c}"))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn checks_refuse_with_403_and_keep_their_reason_out_of_the_body() {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .check_claims(|claims, header| {
            if header.kid().is_empty() || claims.sub() == "banned" {
                Err("secret reason: banned by the builder check".into())
            } else {
                Ok(())
            }
        })
        .build()
        .unwrap();
    async fn ok() -> &'static str {
        "ok"
    }
    let auth = CognitoAuthLayer::new(verifier);
    let app = Router::new().route(
        "/tenant",
        get(ok).route_layer(auth.check(|v| match v.to_json()["custom:tenant"].as_str() {
            Some("acme") => Ok(()),
            other => Err(format!("secret reason: tenant {other:?}")),
        })),
    );
    let good = issuer
        .id_token(CLIENT)
        .claim("custom:tenant", "acme")
        .sign();
    assert_eq!(
        send(&app, "/tenant", &[("authorization", &bearer(&good))])
            .await
            .status,
        StatusCode::OK
    );
    for token in [
        issuer
            .id_token(CLIENT)
            .claim("custom:tenant", "evil")
            .sign(),
        issuer
            .id_token(CLIENT)
            .subject("banned")
            .claim("custom:tenant", "acme")
            .sign(),
    ] {
        let r = send(&app, "/tenant", &[("authorization", &bearer(&token))]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("rejected_by_check"), "{}", r.body);
        assert!(!r.body.contains("secret"), "{}", r.body);
        let challenge = r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!challenge.contains("secret"), "{challenge}");
    }
    // The builder's check applies to direct verification too.
    let banned = issuer.access_token(CLIENT).subject("banned").sign();
    let err = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .check_claims(|c, _| {
            if c.sub() == "banned" {
                Err("no".into())
            } else {
                Ok(())
            }
        })
        .build()
        .unwrap()
        .verify_access(&banned)
        .await
        .unwrap_err();
    assert_eq!(err.kind().as_str(), "rejected_by_check");
    assert!(err.is_forbidden() && !err.is_key_unavailable());
}

#[tokio::test]
async fn every_verifier_kind_plugs_in() {
    let a = TestIssuer::start_for_pool("eu-west-1_PoolA", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let b = TestIssuer::start_for_pool("us-east-1_PoolB", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let pool = |i: &TestIssuer| {
        i.verifier_builder(CLIENT)
            .token_use(TokenUse::Any)
            .build()
            .unwrap()
    };
    let multi = MultiPoolVerifier::new([pool(&a), pool(&b)]).unwrap();
    let generic = JwtVerifier::builder(a.issuer(), a.jwks_uri())
        .allow_insecure_http()
        .audiences([CLIENT])
        .build()
        .unwrap();
    async fn sub(Claims(v): Claims<Value>) -> String {
        v["sub"].as_str().unwrap_or_default().to_owned()
    }
    let app = Router::new()
        .route("/multi", get(sub).route_layer(CognitoAuthLayer::new(multi)))
        .route(
            "/generic",
            get(sub).route_layer(CognitoAuthLayer::new(generic)),
        );
    for issuer in [&a, &b] {
        let t = issuer.id_token(CLIENT).subject("m").sign();
        assert_eq!(
            send(&app, "/multi", &[("authorization", &bearer(&t))])
                .await
                .body,
            "m"
        );
    }
    let t = a.id_token(CLIENT).subject("g").sign();
    assert_eq!(
        send(&app, "/generic", &[("authorization", &bearer(&t))])
            .await
            .body,
        "g"
    );
    let t = b.id_token(CLIENT).sign();
    let r = send(&app, "/generic", &[("authorization", &bearer(&t))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rejections_can_be_answered_in_the_applications_own_shape() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let auth = CognitoAuthLayer::new(verifier).on_rejection(|r: &Rejection| {
        http::Response::builder()
            .status(r.status())
            .header("content-type", "application/problem+json")
            .body(Body::from(format!(
                r#"{{"type":"about:blank","title":"{}","status":{}}}"#,
                r.kind(),
                r.status()
            )))
            .unwrap()
    });
    let app = Router::new().route("/x", get(|| async { "x" }).route_layer(auth));
    let expired = issuer.access_token(CLIENT).expired().sign();
    let r = send(&app, "/x", &[("authorization", &bearer(&expired))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["title"], "expired");
}

/// A plain tower service over `String` bodies answering the verified user name.
async fn whoami(req: Request<String>) -> Result<http::Response<String>, Infallible> {
    let who = req
        .extensions()
        .get::<Verified>()
        .and_then(Verified::username)
        .unwrap_or_default()
        .to_owned();
    Ok(http::Response::new(who))
}

#[tokio::test]
async fn the_tower_layer_wraps_services_with_other_bodies() {
    // A plain tower service over String bodies: no axum type anywhere.
    use cognito_verifier::tower::CognitoAuthLayer as Layer;
    let (issuer, verifier) = issuer_and_verifier().await;
    let service = tower::ServiceBuilder::new()
        .layer(Layer::new(verifier))
        .service_fn(whoami);
    let token = issuer.access_token(CLIENT).username("carol").sign();
    let request = Request::builder()
        .header("authorization", bearer(&token))
        .body(String::new())
        .unwrap();
    let response = service.clone().oneshot(request).await.unwrap();
    assert_eq!(response.into_body(), "carol");
    let response = service.oneshot(Request::new(String::new())).await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = serde_json::from_str(response.body()).unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn tower_http_async_require_authorization_gets_the_same_verdicts() {
    use cognito_verifier::tower::CognitoAuthLayer as Layer;
    use tower_http::auth::AsyncRequireAuthorizationLayer;
    let (issuer, verifier) = issuer_and_verifier().await;
    let auth = Layer::new(verifier)
        .access_tokens()
        .required_groups(["admins"]);
    let service = tower::ServiceBuilder::new()
        .layer(AsyncRequireAuthorizationLayer::new(
            auth.authorizer::<String>(),
        ))
        .service_fn(whoami);
    let send = |token: Option<String>| {
        let service = service.clone();
        async move {
            let mut request = Request::builder();
            if let Some(token) = token {
                request = request.header("authorization", bearer(&token));
            }
            service
                .oneshot(request.body(String::new()).unwrap())
                .await
                .unwrap()
        }
    };
    let admin = issuer
        .access_token(CLIENT)
        .username("dan")
        .groups(["admins"])
        .sign();
    let response = send(Some(admin)).await;
    assert_eq!(
        (response.status().as_u16(), response.body().as_str()),
        (200, "dan")
    );
    let response = send(None).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let user = issuer.access_token(CLIENT).groups(["users"]).sign();
    let response = send(Some(user)).await;
    assert_eq!(response.status(), 403);
    assert!(
        response.body().contains("insufficient_scope"),
        "{}",
        response.body()
    );
    let id = issuer.id_token(CLIENT).groups(["admins"]).sign();
    let response = send(Some(id)).await;
    assert_eq!(response.status(), 401);
    assert!(
        response.body().contains("wrong_token_use"),
        "{}",
        response.body()
    );
}

#[tokio::test]
async fn the_core_is_usable_without_any_framework() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let policy = Policy::new(verifier).required_groups(["admins"]);
    let admin = issuer.access_token(CLIENT).groups(["admins"]).sign();
    let auth = bearer(&admin);
    let headers = [("Authorization", auth.as_str())];
    let Outcome::Authenticated(v) = policy.authenticate(&headers[..]).await.unwrap() else {
        panic!("expected claims")
    };
    assert!(v.in_group("admins"));
    let user = issuer.access_token(CLIENT).groups(["users"]).sign();
    let auth = bearer(&user);
    let r = policy
        .authenticate(&[("authorization", auth.as_str())][..])
        .await
        .unwrap_err();
    assert_eq!(
        (r.status(), r.kind(), r.grpc_code()),
        (403, "missing_group", 7)
    );
    let r = policy.authenticate(&[][..]).await.unwrap_err();
    assert_eq!(
        (r.status(), r.challenge().as_deref()),
        (401, Some("Bearer"))
    );
    // Optional: no token passes; a non-UTF-8 header is a malformed token, not no token.
    let optional = policy.optional();
    assert_eq!(
        optional.authenticate(&[][..]).await.unwrap(),
        Outcome::Anonymous
    );
    let mut map = http::HeaderMap::new();
    map.insert(
        "authorization",
        http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
    );
    let r = optional.authenticate(&map).await.unwrap_err();
    assert_eq!((r.status(), r.kind()), (401, "malformed"));
}

/// A verifier with the verified-token cache on, any token use, no leeway, on `clock`.
fn caching_verifier(issuer: &TestIssuer, clock: &cognito_verifier::ManualClock) -> CognitoVerifier {
    issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .leeway(Duration::ZERO)
        .clock(clock.clone())
        .token_cache(TokenCacheConfig::default())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_verdict_given_at_once_is_the_one_the_async_path_gives() {
    let (issuer, clock) = crate::common::issuer_with_clock().await;
    let verifier = caching_verifier(&issuer, &clock);
    let policy = Policy::new(verifier.clone()).required_groups(["admins"]);

    // No token, optional or not, and a token that is not text: answered at once, as the async
    // path answers them.
    let none: [(&str, &str); 0] = [];
    let now = policy.authenticate_now(&none[..]).unwrap();
    assert_eq!(now, policy.authenticate(&none[..]).await);
    assert_eq!(now.unwrap_err().status(), 401);
    let optional = policy.clone().optional();
    assert_eq!(
        optional.authenticate_now(&none[..]),
        Some(Ok(Outcome::Anonymous))
    );
    let mut binary = http::HeaderMap::new();
    binary.insert(
        "authorization",
        http::HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
    );
    let now = optional.authenticate_now(&binary).unwrap();
    assert_eq!(now, optional.authenticate(&binary).await);
    assert_eq!(now.unwrap_err().kind(), "malformed");

    // A token not yet verified cannot be answered at once; once verified, its hit is.
    let admin = issuer
        .access_token(CLIENT)
        .groups(["admins"])
        .expires_in(Duration::from_secs(100))
        .sign();
    let hb = bearer(&admin);
    let h = [("authorization", hb.as_str())];
    assert_eq!(policy.authenticate_now(&h[..]), None);
    let outcome = policy.authenticate(&h[..]).await.unwrap();
    assert_eq!(policy.authenticate_now(&h[..]), Some(Ok(outcome)));

    // The route's rules apply to a hit: a cached token without the group is refused at once,
    // with the async path's rejection; so is a check's refusal.
    let user = issuer.access_token(CLIENT).groups(["users"]).sign();
    let hb = bearer(&user);
    let h = [("authorization", hb.as_str())];
    let refused = policy.authenticate(&h[..]).await.unwrap_err();
    assert_eq!(refused.kind(), "missing_group");
    assert_eq!(policy.authenticate_now(&h[..]), Some(Err(refused)));
    let checked = policy.clone().check(|_| Err("no".into()));
    let hb = bearer(&admin);
    let h = [("authorization", hb.as_str())];
    let now = checked.authenticate_now(&h[..]).unwrap().unwrap_err();
    assert_eq!((now.status(), now.kind()), (403, "rejected_by_check"));

    // A hit of the wrong kind for the route, and an expired hit, go to the async path, which
    // gives the precise error.
    let access_only = policy.clone().token_use(TokenUse::Access);
    let id = issuer.id_token(CLIENT).groups(["admins"]).sign();
    let hb = bearer(&id);
    let h = [("authorization", hb.as_str())];
    verifier.verify_id(&id).await.unwrap();
    assert_eq!(access_only.authenticate_now(&h[..]), None);
    let r = access_only.authenticate(&h[..]).await.unwrap_err();
    assert_eq!(r.kind(), "wrong_token_use");
    clock.advance(Duration::from_secs(101));
    let hb = bearer(&admin);
    let h = [("authorization", hb.as_str())];
    assert_eq!(policy.authenticate_now(&h[..]), None);
    let r = policy.authenticate(&h[..]).await.unwrap_err();
    assert_eq!(r.kind(), "expired");

    // Without the cache, nothing is answered at once (the token is looked for once, by the
    // async path).
    let uncached = Policy::new(
        issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Any)
            .clock(clock.clone())
            .build()
            .unwrap(),
    );
    let fresh = issuer.access_token(CLIENT).sign();
    let hb = bearer(&fresh);
    let h = [("authorization", hb.as_str())];
    uncached.authenticate(&h[..]).await.unwrap();
    assert_eq!(uncached.authenticate_now(&h[..]), None);
    assert_eq!(uncached.authenticate_now(&none[..]), None);
}

/// A verifier that answers only at once: the adapters must take that answer and never await
/// `authenticate` (which would refuse the request).
#[derive(Debug)]
struct AtOnce;

impl cognito_verifier::auth::Authenticate for AtOnce {
    fn authenticate<'a>(
        &'a self,
        _token: &'a str,
        _accept: TokenUse,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = Result<Verified, cognito_verifier::Error>> + Send + 'a>,
    > {
        Box::pin(async { Err(cognito_verifier::Error::InvalidSignature) })
    }

    fn authenticate_now(
        &self,
        token: &str,
        _accept: TokenUse,
    ) -> Option<Result<Verified, cognito_verifier::Error>> {
        (token == "now").then(|| Ok(Verified::Jwt(serde_json::json!({"username": "quick"}))))
    }

    fn answers_now(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn the_adapters_take_a_verdict_given_at_once() {
    use cognito_verifier::tower::CognitoAuthLayer as Layer;
    use tower_http::auth::AsyncRequireAuthorizationLayer;
    /// "now" is answered at once (200 with its user); any other token goes to `authenticate`,
    /// which refuses it.
    async fn now_and_later<S>(service: S)
    where
        S: tower::Service<Request<String>, Response = http::Response<String>> + Clone,
        S::Error: std::fmt::Debug,
    {
        for (token, status, body) in [("now", 200, "quick"), ("later", 401, "")] {
            let request = Request::builder()
                .header("authorization", bearer(token))
                .body(String::new())
                .unwrap();
            let response = service.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), status, "{token}");
            if status == 200 {
                assert_eq!(response.body(), body);
            }
        }
    }
    let layer = Layer::new(AtOnce);
    now_and_later(
        tower::ServiceBuilder::new()
            .layer(layer.clone())
            .service_fn(whoami),
    )
    .await;
    now_and_later(
        tower::ServiceBuilder::new()
            .layer(AsyncRequireAuthorizationLayer::new(
                layer.authorizer::<String>(),
            ))
            .service_fn(whoami),
    )
    .await;
}

#[tokio::test]
async fn cached_tokens_get_the_same_answers_through_the_layer() {
    let (issuer, clock) = crate::common::issuer_with_clock().await;
    async fn me(Claims(c): Claims<AccessClaims>) -> String {
        c.username.unwrap_or_default()
    }
    let auth = CognitoAuthLayer::new(caching_verifier(&issuer, &clock));
    let app = Router::new()
        .route("/me", get(me).route_layer(auth.clone().access_tokens()))
        .route(
            "/admin",
            get(me).route_layer(auth.clone().required_groups(["admins"])),
        )
        .route(
            "/hello",
            get(|c: Option<Claims<AccessClaims>>| async move {
                c.map_or_else(|| "stranger".to_owned(), |c| c.sub.clone())
            })
            .route_layer(auth.optional()),
        );
    let user = issuer
        .access_token(CLIENT)
        .username("erin")
        .groups(["users"])
        .sign();
    let id = issuer.id_token(CLIENT).sign();
    // Each twice: verified in full, then answered from the cache.
    for _ in 0..2 {
        let r = send(&app, "/me", &[("authorization", &bearer(&user))]).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "erin"));
        let r = send(&app, "/admin", &[("authorization", &bearer(&user))]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            r.headers[header::WWW_AUTHENTICATE],
            r#"Bearer error="insufficient_scope", error_description="missing_group""#
        );
        let r = send(&app, "/me", &[("authorization", &bearer(&id))]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("wrong_token_use"), "{}", r.body);
        let r = send(&app, "/hello", &[]).await;
        assert_eq!(r.body, "stranger");
    }
}

mod actix {
    use actix_web::http::StatusCode;
    use actix_web::{App, test, web};
    use cognito_verifier::actix::{Claims, CognitoAuthLayer};
    use cognito_verifier::auth::TokenSource;
    use cognito_verifier::testkit::TestIssuer;
    use cognito_verifier::{AccessClaims, TokenUse};

    use crate::common::CLIENT;

    async fn me(claims: Claims<AccessClaims>) -> String {
        format!("hello {}", claims.username.as_deref().unwrap_or("?"))
    }

    async fn hello(claims: Option<Claims<AccessClaims>>) -> String {
        match claims {
            Some(c) => format!("hello {}", c.username.as_deref().unwrap_or("?")),
            None => "hello stranger".into(),
        }
    }

    // actix-web's test runtime is Tokio's (current-thread), so the issuer runs on it.
    async fn issuer() -> TestIssuer {
        TestIssuer::start().await.unwrap()
    }

    #[actix_web::test]
    async fn the_middleware_and_extractor_answer_like_the_tower_layer() {
        answers_like_the_tower_layer(false).await;
    }

    /// The same answers when they come from the verified-token cache (each request is made
    /// twice: verified in full, then answered from the cache before any future is made).
    #[actix_web::test]
    async fn cached_tokens_get_the_same_answers() {
        answers_like_the_tower_layer(true).await;
    }

    async fn answers_like_the_tower_layer(cache: bool) {
        let issuer = issuer().await;
        let mut builder = issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Any)
            .static_jwks(issuer.jwks_json());
        if cache {
            builder = builder.token_cache(cognito_verifier::TokenCacheConfig::default());
        }
        let verifier = builder.build().unwrap();
        let auth = CognitoAuthLayer::new(verifier).access_tokens();
        let app = test::init_service(
            App::new()
                .service(
                    web::scope("/me")
                        .wrap(auth.clone())
                        .route("", web::get().to(me)),
                )
                .service(
                    web::scope("/admin")
                        .wrap(auth.clone().required_groups(["admins"]))
                        .route("", web::get().to(me)),
                )
                .service(
                    web::scope("/hello")
                        .wrap(auth.clone().optional())
                        .route("", web::get().to(hello)),
                )
                .service(
                    web::scope("/cookie")
                        .wrap(auth.sources([TokenSource::Cookie("at".into())]))
                        .route("", web::get().to(me)),
                ),
        )
        .await;
        let call = |path: &'static str, header: Option<(&'static str, String)>| {
            let mut req = test::TestRequest::get().uri(path);
            if let Some(h) = header {
                req = req.insert_header(h);
            }
            req.to_request()
        };
        let token = issuer.access_token(CLIENT).username("dave").sign();
        let bearer = format!("Bearer {token}");
        let expired = format!("Bearer {}", issuer.access_token(CLIENT).expired().sign());
        let id = format!("Bearer {}", issuer.id_token(CLIENT).sign());
        // Twice: with the cache on, the second round is answered from it.
        for _ in 0..2 {
            let r = test::call_service(&app, call("/me", Some(("authorization", bearer.clone()))))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(test::read_body(r).await, "hello dave");

            let r = test::call_service(&app, call("/me", None)).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(r.headers().get("www-authenticate").unwrap(), "Bearer");

            let r = test::call_service(&app, call("/me", Some(("authorization", expired.clone()))))
                .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                r.headers().get("www-authenticate").unwrap(),
                r#"Bearer error="invalid_token", error_description="expired""#
            );

            let r =
                test::call_service(&app, call("/me", Some(("authorization", id.clone())))).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            assert!(String::from_utf8_lossy(&test::read_body(r).await).contains("wrong_token_use"));

            let r = test::call_service(
                &app,
                call("/admin", Some(("authorization", bearer.clone()))),
            )
            .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            assert_eq!(
                r.headers().get("www-authenticate").unwrap(),
                r#"Bearer error="insufficient_scope", error_description="missing_group""#
            );

            let r = test::call_service(&app, call("/hello", None)).await;
            assert_eq!(test::read_body(r).await, "hello stranger");
            let r = test::call_service(
                &app,
                call("/hello", Some(("authorization", bearer.clone()))),
            )
            .await;
            assert_eq!(test::read_body(r).await, "hello dave");
            let r = test::call_service(
                &app,
                call("/hello", Some(("authorization", expired.clone()))),
            )
            .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

            let r = test::call_service(
                &app,
                call("/cookie", Some(("cookie", format!("at={token}")))),
            )
            .await;
            assert_eq!(test::read_body(r).await, "hello dave");
        }
    }

    #[actix_web::test]
    async fn unavailable_keys_are_503_with_retry_after() {
        let issuer = issuer().await;
        let verifier = issuer
            .verifier_builder(CLIENT)
            .jwks_uri("http://127.0.0.1:9/jwks.json")
            .token_use(TokenUse::Any)
            .build()
            .unwrap();
        let app = test::init_service(
            App::new().service(
                web::scope("/me")
                    .wrap(CognitoAuthLayer::new(verifier))
                    .route("", web::get().to(me)),
            ),
        )
        .await;
        let token = format!("Bearer {}", issuer.access_token(CLIENT).sign());
        let req = test::TestRequest::get()
            .uri("/me")
            .insert_header(("authorization", token))
            .to_request();
        let r = test::call_service(&app, req).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key("retry-after"));
    }
}
