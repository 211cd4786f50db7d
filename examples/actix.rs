//! The same small API as `examples/axum.rs`, in actix-web behind the `CognitoAuthLayer` middleware:
//! `/public`, `/hello` (optional authentication), `/me` (any accepted token), `/admin` (group
//! `admins`).
//!
//! ```text
//! cargo run --example actix --all-features -- --issuer <ISS> --jwks-uri <URL> [--client-id <ID>]... \
//!     [--user-pool-id <region_id>] [--token-use id|access|any] [--jwks-file <PATH>] \
//!     [--leeway-secs N] [--listen 127.0.0.1:3000]
//! ```
//!
//! It prints `listening on http://<address>` on stderr once it accepts connections.
#![allow(clippy::print_stderr, reason = "a command-line tool prints")]

use std::process::ExitCode;

use actix_web::{App, HttpServer, web};
use cognito_verifier::CognitoClaims;
use cognito_verifier::actix::{Claims, CognitoAuthLayer};

#[path = "../src/bin/cognito-verify/cli.rs"]
mod cli;
#[path = "common/server.rs"]
mod server;

const USAGE: &str = "usage: actix [--user-pool-id <region_id>] [--issuer <ISS>] \
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

#[actix_web::main]
async fn main() -> ExitCode {
    let (verifier, listen) = match server::setup(USAGE, "127.0.0.1:3000") {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    server::hydrate(&verifier).await;
    let auth = CognitoAuthLayer::new(verifier)
        .sources([cognito_verifier::auth::TokenSource::BearerOrBare]);
    let server = HttpServer::new(move || {
        App::new()
            .route(
                "/public",
                web::get().to(|| async { "anyone may read this\n" }),
            )
            .service(
                web::scope("/hello")
                    .wrap(auth.clone().optional())
                    .route("", web::get().to(hello)),
            )
            .service(
                web::scope("/me")
                    .wrap(auth.clone())
                    .route("", web::get().to(me)),
            )
            .service(
                web::scope("/admin")
                    .wrap(auth.clone().required_groups(["admins"]))
                    .route("", web::get().to(admin)),
            )
    })
    .workers(2);
    let server = match server.bind(&listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let address = server.addrs().first().map_or(listen, ToString::to_string);
    eprintln!("listening on http://{address} (routes /public, /hello, /me, /admin)");
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
