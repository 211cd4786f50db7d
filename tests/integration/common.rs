//! Helpers shared by the integration tests.

use std::time::Duration;

use cognito_verifier::testkit::{DEFAULT_TEST_POOL, TestIssuer};
use cognito_verifier::{CognitoVerifier, Error, ErrorKind, ManualClock, TokenUse};

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
