//! What the layer itself costs per request, without a network or a load generator in the way:
//! one axum route called in-process (`tower::ServiceExt::oneshot`), without auth, behind
//! `CognitoAuthLayer`, and behind the layer with the verified-token cache, beside a bare warm
//! verification of the same token. The layer's own cost is `layer − no_auth − verify`.
//!
//! `cargo bench --bench layer`; `-- --test` (CI) runs each once. `benches/layer.sh` counts the
//! instructions of one request of each under callgrind, which the machine's load does not change.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{AccessClaims, CognitoVerifier, TokenCacheConfig, TokenUse};
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use tower::ServiceExt as _;

const CLIENT: &str = "3u4p8bench1client0000000000";
const SUB: &str = "d4b8a4c2-9e61-4f4b-8f0e-3c2a1b0d9e8f";

/// The no-auth handler does the same work as the authenticated one (one `format!`), so the
/// difference between them is authentication alone.
async fn hello() -> String {
    format!("hello {}", black_box(SUB))
}

async fn hello_claims(Claims(c): Claims<AccessClaims>) -> String {
    format!("hello {}", c.sub)
}

fn request(auth: &str) -> Request<Body> {
    Request::get("/hello")
        .header("authorization", auth)
        .body(Body::empty())
        .unwrap()
}

/// One request through `app` (kept out of line: `benches/layer.sh` counts its instructions).
#[inline(never)]
fn call(rt: &tokio::runtime::Runtime, app: &Router, auth: &str) {
    let response = rt.block_on(app.clone().oneshot(request(auth))).unwrap();
    assert_eq!(response.status(), 200);
}

/// One verification (kept out of line: `benches/layer.sh` counts its instructions).
#[inline(never)]
fn verify(verifier: &CognitoVerifier, token: &str) {
    verifier.verify_access_sync(black_box(token)).unwrap();
}

fn all(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start()).unwrap();
    // Shaped like the service benchmark's token (~1 KB).
    let token = issuer
        .access_token(CLIENT)
        .groups(["users"])
        .scopes(["aws.cognito.signin.user.admin", "orders/read"])
        .sign();
    let auth = format!("Bearer {token}");
    let verifier = |cache: bool| -> CognitoVerifier {
        let mut b = issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Access)
            .jwks(issuer.jwks_json());
        if cache {
            b = b.token_cache(TokenCacheConfig::default());
        }
        b.build().unwrap()
    };

    let bare = verifier(false);
    let cached = verifier(true);
    cached.verify_access_sync(&token).unwrap();
    let no_auth = Router::new().route("/hello", get(hello));
    let layer = Router::new().route(
        "/hello",
        get(hello_claims).route_layer(CognitoAuthLayer::new(verifier(false))),
    );
    let layer_cache = Router::new().route(
        "/hello",
        get(hello_claims).route_layer(CognitoAuthLayer::new(verifier(true))),
    );
    // Warm every path once (keys, cache entry).
    for app in [&no_auth, &layer, &layer_cache] {
        call(&rt, app, &auth);
    }

    let mut g = c.benchmark_group("layer");
    g.bench_function("verify_warm_access", |b| {
        b.iter(|| verify(&bare, &token));
    });
    g.bench_function("cached_token_hit", |b| {
        b.iter(|| verify(&cached, &token));
    });
    // What each handing-over of the typed claims costs (the cache hit makes one, the
    // `Claims<T>` extractor another).
    let claims = bare.verify_access_sync(&token).unwrap();
    g.bench_function("access_claims_clone", |b| {
        b.iter(|| drop(black_box(&claims).clone()));
    });
    g.bench_function("axum_no_auth", |b| b.iter(|| call(&rt, &no_auth, &auth)));
    g.bench_function("axum_layer", |b| b.iter(|| call(&rt, &layer, &auth)));
    g.bench_function("axum_layer_token_cache", |b| {
        b.iter(|| call(&rt, &layer_cache, &auth));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = all
}
criterion_main!(benches);
