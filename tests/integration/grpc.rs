//! gRPC through the tower layer with a real tonic server and client on 127.0.0.1: the tonic
//! example as its built binary, and in-process servers for the other statuses. The code comes
//! from proto/helloworld.proto (examples/common/helloworld.rs).

use std::time::Duration;

use cognito_verifier::TokenUse;
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::tower::CognitoAuthLayer;
use tonic::Code;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};

use crate::common::CLIENT;
use crate::examples::start;

#[allow(clippy::pedantic, unreachable_pub, missing_docs, unused_qualifications)]
#[path = "../../examples/common/helloworld.rs"]
mod helloworld;

use helloworld::greeter_client::GreeterClient;
use helloworld::greeter_server::{Greeter, GreeterServer};
use helloworld::{HelloReply, HelloRequest};

async fn client(address: &str) -> GreeterClient<Channel> {
    let endpoint = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .timeout(Duration::from_secs(10));
    GreeterClient::new(endpoint.connect().await.unwrap())
}

async fn say_hello(
    client: &mut GreeterClient<Channel>,
    token: Option<&str>,
) -> Result<String, tonic::Status> {
    let mut request = tonic::Request::new(HelloRequest {
        name: "grpc".into(),
    });
    if let Some(t) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    client
        .say_hello(request)
        .await
        .map(|r| r.into_inner().message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tonic_example_greets_the_tokens_user() {
    let issuer = TestIssuer::start().await.unwrap();
    let running = start("tonic", &issuer, &[]);
    let mut client = client(&running.address).await;
    let token = issuer.access_token(CLIENT).username("erin").sign();
    let reply = say_hello(&mut client, Some(&token)).await.unwrap();
    assert_eq!(reply, r#"hello erin (you said "grpc")"#);

    let status = say_hello(&mut client, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let expired = issuer.access_token(CLIENT).expired().sign();
    let status = say_hello(&mut client, Some(&expired)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "expired");
    let other = issuer.access_token("other-client").sign();
    let status = say_hello(&mut client, Some(&other)).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::Unauthenticated, "wrong_client_id")
    );
}

#[derive(Debug, Default)]
struct Hello;

#[tonic::async_trait]
impl Greeter for Hello {
    async fn say_hello(
        &self,
        request: tonic::Request<HelloRequest>,
    ) -> Result<tonic::Response<HelloReply>, tonic::Status> {
        let who = request
            .extensions()
            .get::<cognito_verifier::auth::Verified>()
            .and_then(|v| v.subject().map(str::to_owned))
            .unwrap_or_default();
        Ok(tonic::Response::new(HelloReply { message: who }))
    }
}

/// Serves the greeter behind `layer` on a free port; returns its address.
async fn serve(layer: CognitoAuthLayer<cognito_verifier::tower::Grpc>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(
        Server::builder()
            .layer(layer)
            .add_service(GreeterServer::new(Hello))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_groups_are_permission_denied_and_unavailable_keys_unavailable() {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let admins = serve(
        CognitoAuthLayer::new(verifier)
            .required_groups(["admins"])
            .grpc(),
    )
    .await;
    let mut c = client(&admins).await;
    let user = issuer
        .access_token(CLIENT)
        .subject("u")
        .groups(["users"])
        .sign();
    let status = say_hello(&mut c, Some(&user)).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::PermissionDenied, "missing_group")
    );
    let admin = issuer
        .access_token(CLIENT)
        .subject("a")
        .groups(["admins"])
        .sign();
    assert_eq!(say_hello(&mut c, Some(&admin)).await.unwrap(), "a");

    let broken = issuer
        .verifier_builder(CLIENT)
        .jwks_uri("http://127.0.0.1:9/jwks.json")
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let down = serve(CognitoAuthLayer::new(broken).grpc()).await;
    let mut c = client(&down).await;
    let status = say_hello(&mut c, Some(&admin)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
}
