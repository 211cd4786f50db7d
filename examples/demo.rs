//! The crate's main job, end to end, with no AWS account and no network beyond loopback.
//!
//! Run: `cargo run --example demo`
//!
//! 1. A local issuer generates an RSA-2048 key and serves its JWKS on 127.0.0.1.
//! 2. It mints a Cognito-shaped ID token and access token.
//! 3. A `CognitoVerifier` pointed at it fetches the JWKS once and verifies both.
//! 4. A tampered token, an expired token and an `alg: none` token are rejected.
#![allow(clippy::print_stdout, reason = "a demo prints")]

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{CognitoVerifier, TokenUse};

const CLIENT_ID: &str = "demo-app-client";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = TestIssuer::start().await?;
    println!("local issuer : {}", issuer.issuer());
    println!("JWKS served at: {}", issuer.jwks_uri());

    let verifier: CognitoVerifier = issuer
        .verifier_builder(CLIENT_ID)
        .token_use(TokenUse::Any)
        .build()?;

    let id_token = issuer
        .id_token(CLIENT_ID)
        .username("alice")
        .groups(["admins"])
        .claim("custom:tenant", "acme")
        .sign();
    let access_token = issuer
        .access_token(CLIENT_ID)
        .scopes(["orders/read", "orders/write"])
        .sign();

    println!("\n== ID token accepted ==");
    let id = verifier.verify_id(&id_token).await?;
    println!(
        "sub={} username={:?} email={:?} email_verified={:?}",
        id.sub, id.username, id.email, id.email_verified
    );
    println!(
        "groups={:?} custom:tenant={:?}",
        id.groups,
        id.custom_attribute("tenant")
    );

    println!("\n== access token accepted ==");
    let access = verifier.verify_access(&access_token).await?;
    println!(
        "sub={} client_id={} scopes=[{}]",
        access.sub, access.client_id, access.scope
    );
    println!("(the JWKS was fetched {} time(s))", issuer.jwks_requests());

    println!("\n== rejected ==");
    let tampered = tamper(&access_token);
    let expired = issuer.access_token(CLIENT_ID).expired().sign();
    let none_alg = issuer.access_token(CLIENT_ID).header("alg", "none").sign();
    for (what, token) in [
        ("tampered payload", tampered.as_str()),
        ("expired", expired.as_str()),
        ("alg none", none_alg.as_str()),
        (
            "ID token where an access token is required",
            id_token.as_str(),
        ),
    ] {
        match verifier.verify_access(token).await {
            Ok(_) => return Err(format!("{what}: accepted, which must not happen").into()),
            Err(e) => println!("{what:45} -> {} ({e})", e.kind()),
        }
    }
    Ok(())
}

/// Changes one character in the middle of the payload (still valid base64url), keeping the
/// signature.
fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    if let Some(payload) = parts.get_mut(1) {
        let mid = payload.len() / 2;
        let flipped = if payload.get(mid..=mid) == Some("A") {
            "B"
        } else {
            "A"
        };
        payload.replace_range(mid..=mid, flipped);
    }
    parts.join(".")
}
