//! Writes what `bench/coldstart.py` needs into a directory: a test pool's key set
//! (`jwks.json`), an access token it signed (`token`), and the pool and client ids
//! (`fixture.json`). Usage: `cargo run --example coldstart_fixture -- <dir>`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use cognito_verifier::testkit::TestIssuer;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: coldstart_fixture <dir>");
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let issuer = TestIssuer::start().await.unwrap();
    let client = "orders-app";
    // Bound to a resource server (`aud`), which Powertools' Cognito verifier requires; the
    // others, configured without resources, check `client_id` as for any access token.
    let resource = "https://orders.example.com";
    let token = issuer
        .access_token(client)
        .username("alice")
        .claim("aud", resource)
        .sign();
    std::fs::write(dir.join("jwks.json"), issuer.jwks_json()).unwrap();
    std::fs::write(dir.join("token"), &token).unwrap();
    let fixture = serde_json::json!({
        "user_pool_id": issuer.pool_id().as_str(),
        "issuer": issuer.issuer(),
        "client_id": client,
        "resource": resource,
    });
    std::fs::write(dir.join("fixture.json"), fixture.to_string()).unwrap();
}
