//! What the crate logs through `tracing`: outcomes and fetches, never a token.
//!
//! Its own test binary: tracing caches each callsite's interest process-wide, so a subscriber
//! scoped to this test could miss events that other tests' threads hit at the same moment.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use cognito_verifier::TokenUse;
use cognito_verifier::testkit::TestIssuer;

const CLIENT: &str = "test-client-1";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn fetches_and_outcomes_are_logged_without_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let good = issuer.access_token(CLIENT).sign();
    let expired = issuer.access_token(CLIENT).expired().sign();
    let unknown = issuer
        .access_token(CLIENT)
        .header(
            "kid",
            "rotated-away\n2026-01-01T00:00:00Z  INFO forged: admin signed in \u{1b}[2J",
        )
        .sign();
    verifier.verify_access(&good).await.unwrap();
    verifier.verify_access(&expired).await.unwrap_err();
    verifier.verify_access(&unknown).await.unwrap_err();
    verifier.verify_access(&unknown).await.unwrap_err();

    let log = captured.text();
    assert!(log.contains("fetched key set"), "{log}");
    assert!(log.contains("usable_keys=1"), "{log}");
    assert!(log.contains("token accepted"), "{log}");
    assert!(log.contains("kind=\"expired\""), "{log}");
    assert!(log.contains("kind=\"unknown_kid\""), "{log}");
    assert!(log.contains("rotated-away"), "the kid is named: {log}");
    assert!(
        log.contains("refetch refused: paused"),
        "the second unknown kid met the cooldown: {log}"
    );
    // Review finding 4: what a token says reaches the log escaped, so it cannot forge a line or
    // send terminal escapes.
    assert!(
        !log.lines()
            .any(|l| l.contains("forged") && !l.contains("rotated-away")),
        "a kid forged a log line: {log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "an escape byte reached the log: {log}"
    );
    assert!(log.contains(r"rotated-away\n2026"), "{log}");
    for token in [&good, &expired, &unknown] {
        for segment in token.split('.') {
            assert!(!log.contains(segment), "a token segment was logged");
        }
    }
}
