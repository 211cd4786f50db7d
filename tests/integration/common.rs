//! Helpers shared by the integration tests.

use std::time::Duration;

use cognito_verifier::testkit::{DEFAULT_TEST_POOL, TestIssuer};
use cognito_verifier::{
    CognitoVerifier, Error, ErrorKind, HttpFetcher, KeyCacheConfig, ManualClock, TokenUse,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const CLIENT: &str = "test-client-1";

/// An issuer and a verifier that share a manual clock.
pub(crate) async fn issuer_with_clock() -> (TestIssuer, ManualClock) {
    let clock = ManualClock::starting_now();
    let issuer = TestIssuer::start_for_pool(DEFAULT_TEST_POOL, clock.clone())
        .await
        .unwrap();
    (issuer, clock)
}

/// A verifier for `CLIENT`, any token use, zero leeway, on `clock`.
pub(crate) fn verifier(issuer: &TestIssuer, clock: &ManualClock) -> CognitoVerifier {
    issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .leeway(Duration::ZERO)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The kind of the error in `result`, failing the test on success.
pub(crate) fn kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorKind {
    match result {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e.kind(),
    }
}

/// A JWKS endpoint on wiremock whose answers the test switches, an issuer and a manual clock.
pub(crate) struct Endpoint {
    pub(crate) server: MockServer,
    pub(crate) issuer: TestIssuer,
    pub(crate) clock: ManualClock,
}

impl Endpoint {
    pub(crate) async fn new() -> Self {
        let (issuer, clock) = issuer_with_clock().await;
        Self {
            server: MockServer::start().await,
            issuer,
            clock,
        }
    }

    pub(crate) fn jwks_uri(&self) -> String {
        format!("{}/jwks.json", self.server.uri())
    }

    /// Serves `response` for the JWKS, replacing what was served before (and wiremock's count
    /// of requests).
    pub(crate) async fn serve(&self, response: ResponseTemplate) {
        self.server.reset().await;
        Mock::given(method("GET"))
            .and(path("/jwks.json"))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    /// Serves the issuer's current key set.
    pub(crate) async fn serve_keys(&self) {
        self.serve(ResponseTemplate::new(200).set_body_string(self.issuer.jwks_json()))
            .await;
    }

    /// Requests since the last `serve`.
    pub(crate) async fn requests(&self) -> usize {
        self.server.received_requests().await.unwrap().len()
    }

    /// A verifier for `CLIENT`, any token use, on the endpoint and the clock.
    pub(crate) fn verifier_with(
        &self,
        cache: KeyCacheConfig,
        fetcher: HttpFetcher,
    ) -> CognitoVerifier {
        self.issuer
            .verifier_builder(CLIENT)
            .jwks_uri(self.jwks_uri())
            .token_use(TokenUse::Any)
            .clock(self.clock.clone())
            .key_cache(cache)
            .fetcher(fetcher)
            .build()
            .unwrap()
    }
}

/// Sends `GET path` with `Authorization: Bearer <token>` through `app`; the status and the
/// `WWW-Authenticate` challenge, if any.
pub(crate) async fn get_with_bearer(
    app: &axum::Router,
    path: &str,
    token: &str,
) -> (http::StatusCode, Option<String>) {
    use tower::ServiceExt as _;
    let response = app
        .clone()
        .oneshot(
            http::Request::builder()
                .uri(path)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|h| h.to_str().unwrap().to_owned());
    (response.status(), challenge)
}
