//! `jwt-authorizer-peer <JWKS_URL>`: serves `GET /hello` behind jwt-authorizer on 127.0.0.1,
//! printing `listening on http://<address>`.

use axum::{routing::get, Router};
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
struct User {
    sub: String,
}

async fn hello(JwtClaims(user): JwtClaims<User>) -> String {
    format!("hello {}", user.sub)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::var_os("PEER_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .init();
    }
    let jwks: &'static str = Box::leak(std::env::args().nth(1).expect("JWKS URL").into_boxed_str());
    let auth: Authorizer<User> = JwtAuthorizer::from_jwks_url(jwks)
        .build()
        .await
        .expect("authorizer");
    let app = Router::new()
        .route("/hello", get(hello))
        .layer(auth.into_layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    eprintln!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
