//! gRPC's canonical helloworld `Greeter` in tonic, behind the Cognito layer: every call needs a
//! valid token in the `authorization` metadata (`Bearer <token>`), and the reply greets the
//! token's user name. A missing or bad token is `UNAUTHENTICATED`, unavailable keys
//! `UNAVAILABLE`; the code comes from `proto/helloworld.proto`.
//!
//! ```text
//! cargo run --example tonic --all-features -- --issuer <ISS> --jwks-uri <URL> [--client-id <ID>]... \
//!     [--user-pool-id <region_id>] [--token-use id|access|any] [--jwks-file <PATH>] \
//!     [--leeway-secs N] [--listen 127.0.0.1:50051]
//!
//! grpcurl -plaintext -H "authorization: Bearer $TOKEN" -proto proto/helloworld.proto \
//!     -d '{"name":"x"}' 127.0.0.1:50051 helloworld.Greeter/SayHello
//! ```
//!
//! It prints `listening on http://<address>` on stderr once it accepts connections.
#![allow(clippy::print_stderr, reason = "a command-line tool prints")]

use std::process::ExitCode;

use cognito_verifier::auth::Verified;
use cognito_verifier::tower::CognitoAuthLayer;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

#[path = "../src/bin/cognito-verify/cli.rs"]
mod cli;
#[path = "common/server.rs"]
mod server;

#[allow(clippy::pedantic, unreachable_pub, missing_docs, unused_qualifications)]
#[path = "common/helloworld.rs"]
mod helloworld;

use helloworld::greeter_server::{Greeter, GreeterServer};
use helloworld::{HelloReply, HelloRequest};

const USAGE: &str = "usage: tonic [--user-pool-id <region_id>] [--issuer <ISS>] \
[--jwks-uri <URL> | --jwks-file <PATH>] [--client-id <ID>]... [--token-use id|access|any] \
[--leeway-secs N] [--listen 127.0.0.1:50051]";

#[derive(Debug, Default)]
struct Hello;

#[tonic::async_trait]
impl Greeter for Hello {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        // The layer put the verified claims into the request's extensions.
        let Some(claims) = request.extensions().get::<Verified>() else {
            return Err(Status::internal("no authentication layer ran"));
        };
        let who = claims
            .username()
            .or_else(|| claims.subject())
            .unwrap_or_default()
            .to_owned();
        let name = &request.get_ref().name;
        Ok(Response::new(HelloReply {
            message: format!("hello {who} (you said {name:?})"),
        }))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (verifier, listen) = match server::setup(USAGE, "127.0.0.1:50051") {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    server::hydrate(&verifier).await;
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().map_or(listen, |a| a.to_string());
    eprintln!("listening on http://{address} (helloworld.Greeter/SayHello)");
    let served = Server::builder()
        .layer(CognitoAuthLayer::new(verifier).grpc())
        .add_service(GreeterServer::new(Hello))
        .serve_with_incoming(TcpIncoming::from(listener))
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
