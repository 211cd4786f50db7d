//! A small axum API behind `CognitoAuthLayer`: a public route, a route for any signed-in user, and
//! a route for the `admins` group.
//!
//! ```text
//! cargo run --example axum -- --issuer <ISS> --jwks-uri <URL> [--client-id <ID>]... \
//!     [--user-pool-id <region_id>] [--token-use id|access|any] [--listen 127.0.0.1:3000]
//!
//! curl -i localhost:3000/public
//! curl -i localhost:3000/me    -H "Authorization: Bearer $TOKEN"
//! curl -i localhost:3000/admin -H "Authorization: Bearer $TOKEN"
//! ```
#![allow(clippy::print_stderr, reason = "a command-line tool prints")]

use std::process::ExitCode;

use axum::Router;
use axum::routing::get;
use cognito_verifier::CognitoClaims;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};

#[path = "common/cli.rs"]
mod cli;

const USAGE: &str = "usage: axum [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL>] \
[--client-id <ID>]... [--token-use id|access|any] [--leeway-secs N] [--listen 127.0.0.1:3000]";

async fn me(Claims(claims): Claims<CognitoClaims>) -> String {
    let (kind, username) = match &claims {
        CognitoClaims::Id(c) => ("ID", c.username.clone()),
        CognitoClaims::Access(c) => ("access", c.username.clone()),
        _ => ("other", None),
    };
    format!(
        "hello {} ({}), signed in with an {kind} token; groups {:?}\n",
        username.unwrap_or_default(),
        claims.sub(),
        claims.groups()
    )
}

async fn admin(Claims(claims): Claims<CognitoClaims>) -> String {
    format!("welcome to the admin area, {}\n", claims.sub())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match cli::parse(std::env::args().skip(1), &["--listen"]) {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listen = args
        .extra
        .iter()
        .find(|(flag, _)| flag == "--listen")
        .map_or("127.0.0.1:3000", |(_, v)| v.as_str())
        .to_owned();
    let verifier = match cli::builder(&args).and_then(|b| b.build().map_err(|e| e.to_string())) {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("error: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = verifier.hydrate().await {
        eprintln!("warning: could not fetch the keys yet ({e}); requests will retry");
    }
    let auth = CognitoAuthLayer::new(verifier).allow_bare_token();
    let app = Router::new()
        .route("/public", get(|| async { "anyone may read this\n" }))
        .route("/me", get(me).route_layer(auth.clone()))
        .route(
            "/admin",
            get(admin).route_layer(auth.require_groups(["admins"])),
        );
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("listening on http://{listen} (routes /public, /me, /admin)");
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
