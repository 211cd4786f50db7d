//! One answer from every adapter: the same requests through axum (layer and extractors), actix-web
//! (middleware and extractors) and the bare tower layer (as tonic uses it, in JSON and in gRPC),
//! each answering with a responder of the application's own, and the same status, kind and
//! challenge asserted for each. Rows whose verdict only an extractor can give (the handler's
//! claims type) run through axum and actix.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use cognito_verifier::auth::{Policy, Rejection};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{AccessClaims, CognitoVerifier, HttpFetcher, IdClaims, TokenUse};
use serde::Deserialize;
use tower::ServiceExt as _;

use crate::common::CLIENT;

/// What a client sees: the status, the kind (from the application's responder, or `ok` /
/// `anonymous` from the handler), the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    kind: String,
    challenge: Option<String>,
}

#[derive(Deserialize)]
struct Mine {
    #[serde(rename = "custom:tenant")]
    #[allow(dead_code)]
    tenant: String,
}

/// The routes, each with its policy (all from one base) and the handler's extractor.
const ROUTES: [&str; 8] = [
    "/typed",
    "/opt-typed",
    "/id-opt",
    "/mine",
    "/admin",
    "/orders",
    "/checked",
    "/down",
];

fn policy(base: &Policy, down: &Policy, route: &str) -> Policy {
    match route {
        "/opt-typed" => base.clone().optional(),
        "/admin" => base.clone().required_groups(["admins"]),
        "/orders" => base.clone().required_scopes(["orders/read"]),
        "/checked" => base
            .clone()
            .check(|_| Err("the application says no".into())),
        "/down" => down.clone(),
        _ => base.clone(),
    }
}

/// Whether the route's verdict may come from its extractor (not answerable by a bare layer).
fn extractor_decides(route: &str) -> bool {
    matches!(route, "/id-opt" | "/mine")
}

fn kind_response<B: From<String>>(r: &Rejection) -> http::Response<B> {
    let mut builder = http::Response::builder()
        .status(r.status())
        .header("x-kind", r.kind());
    if let Some(challenge) = r.challenge() {
        builder = builder.header("www-authenticate", challenge);
    }
    builder.body(B::from(String::new())).unwrap()
}

fn answer_of(status: u16, headers: &http::HeaderMap, body: &str) -> Answer {
    let kind = headers
        .get("x-kind")
        .map_or_else(|| body.to_owned(), |v| v.to_str().unwrap().to_owned());
    Answer {
        status,
        kind,
        challenge: headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned()),
    }
}

fn axum_app(base: &Policy, down: &Policy) -> Router {
    use cognito_verifier::axum::{Claims, CognitoAuthLayer};
    async fn typed(Claims(_): Claims<AccessClaims>) -> &'static str {
        "ok"
    }
    async fn opt(claims: Option<Claims<AccessClaims>>) -> &'static str {
        if claims.is_some() { "ok" } else { "anonymous" }
    }
    async fn id_opt(claims: Option<Claims<IdClaims>>) -> &'static str {
        if claims.is_some() { "ok" } else { "anonymous" }
    }
    async fn mine(Claims(_): Claims<Mine>) -> &'static str {
        "ok"
    }
    let mut app = Router::new();
    for route in ROUTES {
        let layer = CognitoAuthLayer::from_policy(policy(base, down, route))
            .on_rejection(kind_response::<Body>);
        let handler = match route {
            "/opt-typed" => get(opt),
            "/id-opt" => get(id_opt),
            "/mine" => get(mine),
            _ => get(typed),
        };
        app = app.route(route, handler.route_layer(layer));
    }
    app
}

async fn through_axum(app: &Router, route: &str, headers: &[(&str, String)]) -> Answer {
    let mut request = http::Request::builder().uri(route);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    answer_of(status, &headers, &String::from_utf8_lossy(&body))
}

/// The bare tower layer around a service that answers 200 (in JSON-free form), and again
/// with `.grpc()`: the gRPC answer must carry the same kind and challenge, with the status's
/// gRPC code.
async fn through_tower(policy: &Policy, headers: &[(&str, String)]) -> Answer {
    use cognito_verifier::auth::Outcome;
    use cognito_verifier::tower::CognitoAuthLayer;
    use tower::Layer as _;
    let inner = tower::service_fn(|request: http::Request<String>| async move {
        let kind = if request
            .extensions()
            .get::<cognito_verifier::auth::Verified>()
            .is_some()
        {
            "ok"
        } else {
            "anonymous"
        };
        Ok::<_, Infallible>(http::Response::new(kind.to_owned()))
    });
    let build = |headers: &[(&str, String)]| {
        let mut request = http::Request::builder().uri("/");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.body(String::new()).unwrap()
    };
    let layer = CognitoAuthLayer::from_policy(policy.clone());
    let json = layer
        .clone()
        .on_rejection(kind_response::<String>)
        .layer(inner)
        .oneshot(build(headers))
        .await
        .unwrap();
    let answer = answer_of(json.status().as_u16(), json.headers(), json.body());
    let grpc = layer
        .grpc()
        .layer(inner)
        .oneshot(build(headers))
        .await
        .unwrap();
    if answer.kind != "ok" && answer.kind != "anonymous" {
        let code = match answer.status {
            400 | 401 => "16",
            403 => "7",
            503 => "14",
            _ => "13",
        };
        let h = grpc.headers();
        assert_eq!(h["grpc-status"], code, "{answer:?}");
        assert_eq!(h["grpc-message"], answer.kind.as_str());
        assert_eq!(
            h.get("www-authenticate").map(|v| v.to_str().unwrap()),
            answer.challenge.as_deref()
        );
    }
    // The outcome the core gives, framework-free, is the same again.
    let core = policy.authenticate(&build(headers).headers().clone()).await;
    match (&core, answer.kind.as_str()) {
        (Ok(Outcome::Authenticated(_)), "ok") | (Ok(Outcome::Anonymous), "anonymous") => {}
        (Err(r), kind) => assert_eq!(r.kind(), kind),
        other => panic!("the core disagrees: {other:?}"),
    }
    answer
}

async fn through_actix(
    base: &Policy,
    down: &Policy,
    route: &str,
    headers: &[(&str, String)],
) -> Answer {
    use actix_web::{App, HttpResponse, test, web};
    use cognito_verifier::actix::{Claims, CognitoAuthLayer};
    async fn typed(_: Claims<AccessClaims>) -> &'static str {
        "ok"
    }
    async fn opt(claims: Option<Claims<AccessClaims>>) -> &'static str {
        if claims.is_some() { "ok" } else { "anonymous" }
    }
    async fn id_opt(claims: Option<Claims<IdClaims>>) -> &'static str {
        if claims.is_some() { "ok" } else { "anonymous" }
    }
    async fn mine(_: Claims<Mine>) -> &'static str {
        "ok"
    }
    fn actix_kind(r: &Rejection) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(r.status()).unwrap();
        let mut response = HttpResponse::build(status);
        response.insert_header(("x-kind", r.kind()));
        if let Some(challenge) = r.challenge() {
            response.insert_header(("www-authenticate", challenge));
        }
        response.finish()
    }
    let mut app = App::new();
    for route in ROUTES {
        let layer =
            CognitoAuthLayer::from_policy(policy(base, down, route)).on_rejection(actix_kind);
        let resource = web::resource(route).wrap(layer);
        let resource = match route {
            "/opt-typed" => resource.route(web::get().to(opt)),
            "/id-opt" => resource.route(web::get().to(id_opt)),
            "/mine" => resource.route(web::get().to(mine)),
            _ => resource.route(web::get().to(typed)),
        };
        app = app.service(resource);
    }
    let app = test::init_service(app).await;
    let mut request = test::TestRequest::get().uri(route);
    for (name, value) in headers {
        request = request.append_header((*name, value.as_str()));
    }
    let response = test::call_service(&app, request.to_request()).await;
    let status = response.status().as_u16();
    let mut headers = http::HeaderMap::new();
    for (name, value) in response.headers() {
        headers.insert(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let body = test::read_body(response).await;
    answer_of(status, &headers, &String::from_utf8_lossy(&body))
}

/// A route, what is sent (in words and as headers), and the answer every adapter must give.
type Row<'a> = (&'a str, &'a str, Vec<(&'a str, String)>, Answer);

fn expect(status: u16, kind: &str, challenge: Option<&str>) -> Answer {
    Answer {
        status,
        kind: kind.to_owned(),
        challenge: challenge.map(str::to_owned),
    }
}

fn invalid(kind: &str) -> Answer {
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{kind}\"");
    expect(401, kind, Some(&challenge))
}

fn forbidden(kind: &str) -> Answer {
    let challenge = format!("Bearer error=\"insufficient_scope\", error_description=\"{kind}\"");
    expect(403, kind, Some(&challenge))
}

#[actix_web::test]
async fn every_adapter_gives_the_same_status_kind_and_challenge() {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    // Keys that cannot be had: nothing listens on the discard port.
    let down_verifier = CognitoVerifier::builder(issuer.pool_id().as_str())
        .issuer(issuer.issuer())
        .jwks_uri("http://127.0.0.1:9/jwks.json")
        .allow_insecure_http()
        .fetcher(
            HttpFetcher::builder()
                .allow_insecure_http()
                .connect_timeout(Duration::from_millis(200))
                .build()
                .unwrap(),
        )
        .client_ids([CLIENT])
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let base = Policy::new(verifier);
    let down = Policy::new(down_verifier);
    let axum = axum_app(&base, &down);

    let bearer = |t: &str| vec![("authorization", format!("Bearer {t}"))];
    let access = issuer.access_token(CLIENT).sign();
    let id = issuer.id_token(CLIENT).sign();
    let admin = issuer
        .access_token(CLIENT)
        .groups(["admins"])
        .scopes(["orders/read"])
        .sign();
    let tenant = issuer
        .access_token(CLIENT)
        .claim("custom:tenant", "acme")
        .sign();
    let ambiguous = vec![
        ("authorization", format!("Bearer {access}")),
        ("authorization", format!("Bearer {admin}")),
    ];
    let ok = expect(200, "ok", None);
    let anonymous = expect(200, "anonymous", None);
    let scope_challenge = "Bearer error=\"insufficient_scope\", error_description=\"missing_scope\", scope=\"orders/read\"";
    let rows: Vec<Row<'_>> = vec![
        (
            "/typed",
            "no token",
            vec![],
            expect(401, "missing_token", Some("Bearer")),
        ),
        (
            "/typed",
            "bad token",
            bearer("not.a.token"),
            invalid("malformed"),
        ),
        (
            "/typed",
            "wrong kind",
            bearer(&id),
            invalid("wrong_token_use"),
        ),
        ("/typed", "access", bearer(&access), ok.clone()),
        (
            "/typed",
            "two tokens",
            ambiguous.clone(),
            expect(
                400,
                "ambiguous_token",
                Some("Bearer error=\"invalid_request\", error_description=\"ambiguous_token\""),
            ),
        ),
        (
            "/typed",
            "the same token twice",
            [bearer(&access), bearer(&access)].concat(),
            ok.clone(),
        ),
        ("/opt-typed", "no token", vec![], anonymous.clone()),
        (
            "/opt-typed",
            "bad token",
            bearer("not.a.token"),
            invalid("malformed"),
        ),
        (
            "/opt-typed",
            "wrong kind",
            bearer(&id),
            invalid("wrong_token_use"),
        ),
        ("/opt-typed", "access", bearer(&access), ok.clone()),
        (
            "/id-opt",
            "wrong kind",
            bearer(&access),
            invalid("wrong_token_use"),
        ),
        ("/id-opt", "id", bearer(&id), ok.clone()),
        (
            "/mine",
            "claims type mismatch",
            bearer(&access),
            forbidden("claims_type"),
        ),
        ("/mine", "claims that fit", bearer(&tenant), ok.clone()),
        (
            "/admin",
            "missing group",
            bearer(&access),
            forbidden("missing_group"),
        ),
        ("/admin", "in the group", bearer(&admin), ok.clone()),
        (
            "/orders",
            "missing scope",
            bearer(&access),
            expect(403, "missing_scope", Some(scope_challenge)),
        ),
        ("/orders", "with the scope", bearer(&admin), ok.clone()),
        (
            "/checked",
            "check refusal",
            bearer(&access),
            forbidden("rejected_by_check"),
        ),
        (
            "/down",
            "keys unavailable",
            bearer(&access),
            expect(503, "jwks_fetch", None),
        ),
    ];
    for (route, case, headers, expected) in rows {
        let what = format!("{route} with {case}");
        let from_axum = through_axum(&axum, route, &headers).await;
        assert_eq!(from_axum, expected, "axum: {what}");
        let from_actix = through_actix(&base, &down, route, &headers).await;
        assert_eq!(from_actix, expected, "actix: {what}");
        if !extractor_decides(route) && !matches!(case, "wrong kind" | "claims type mismatch") {
            let from_tower = through_tower(&policy(&base, &down, route), &headers).await;
            assert_eq!(from_tower, expected, "tower: {what}");
        }
    }
}
