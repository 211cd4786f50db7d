//! A small axum API behind `CognitoAuthLayer`: a public route, a route for any signed-in user, a
//! route for the `admins` group, and a route with optional authentication.
//!
//! ```text
//! cargo run --example axum --all-features -- --issuer <ISS> --jwks-uri <URL> [--client-id <ID>]... \
//!     [--user-pool-id <region_id>] [--token-use id|access|any] [--jwks-file <PATH>] \
//!     [--leeway-secs N] [--listen 127.0.0.1:3000]
//!
//! curl -i localhost:3000/public
//! curl -i localhost:3000/hello                                  # 200, anonymous
//! curl -i localhost:3000/hello -H "Authorization: Bearer $TOKEN" # 200, names the user
//! curl -i localhost:3000/me    -H "Authorization: Bearer $TOKEN"
//! curl -i localhost:3000/admin -H "Authorization: Bearer $TOKEN"
//! ```
//!
//! It prints `listening on http://<address>` on stderr once it accepts connections (with
//! `--listen 127.0.0.1:0`, the port the system chose).
#![allow(clippy::print_stderr, reason = "a command-line tool prints")]

use std::process::ExitCode;

use axum::Router;
use axum::routing::get;
use cognito_verifier::CognitoClaims;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};

#[path = "../src/bin/cognito-verify/cli.rs"]
mod cli;
#[path = "common/server.rs"]
mod server;

const USAGE: &str = "usage: axum [--user-pool-id <region_id>] [--issuer <ISS>] \
[--jwks-uri <URL> | --jwks-file <PATH>] [--client-id <ID>]... [--token-use id|access|any] \
[--leeway-secs N] [--listen 127.0.0.1:3000]";

async fn me(Claims(claims): Claims<CognitoClaims>) -> String {
    server::me(&claims)
}

async fn admin(Claims(claims): Claims<CognitoClaims>) -> String {
    server::admin(&claims)
}

async fn hello(claims: Option<Claims<CognitoClaims>>) -> String {
    server::hello(claims.as_ref().map(|c| &c.0))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (verifier, listen) = match server::setup(USAGE, "127.0.0.1:3000") {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    server::hydrate(&verifier).await;
    let auth = CognitoAuthLayer::new(verifier).allow_bare_token();
    let app = Router::new()
        .route("/public", get(|| async { "anyone may read this\n" }))
        .route("/hello", get(hello).route_layer(auth.clone().optional()))
        .route("/me", get(me).route_layer(auth.clone()))
        .route(
            "/admin",
            get(admin).route_layer(auth.required_groups(["admins"])),
        );
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().map_or(listen, |a| a.to_string());
    eprintln!("listening on http://{address} (routes /public, /hello, /me, /admin)");
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
