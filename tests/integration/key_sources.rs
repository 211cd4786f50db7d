//! Key sets the user hands us (static, preloaded, loaded at run time) are configuration, not cache
//! entries; a made-up `kid` is a bad token, never an outage; a cold verifier recovers as soon as
//! its endpoint does; a slow endpoint fails within the fetch deadline. HTTP goes to wiremock on
//! 127.0.0.1; time moves through a ManualClock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cognito_verifier::testkit::{DEFAULT_TEST_POOL, TestIssuer};
use cognito_verifier::{
    BoxFuture, CognitoVerifier, Error, ErrorKind, FetchedJwks, HttpFetcher, JwksError, JwksFetcher,
    JwtVerifier, KeyCacheConfig, ManualClock, MultiPoolVerifier, TokenUse,
};
use wiremock::ResponseTemplate;

use crate::common::{CLIENT, Endpoint, kind};

const DAY: Duration = Duration::from_secs(86_400);

/// An issuer, its JWKS document and a manual clock, made in a runtime that is gone by the time
/// the test verifies: no network and no Tokio runtime are left.
fn offline_issuer() -> (TestIssuer, String, ManualClock) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock = ManualClock::starting_now();
    let issuer = runtime
        .block_on(TestIssuer::start_for_pool(DEFAULT_TEST_POOL, clock.clone()))
        .unwrap();
    let jwks = issuer.jwks_json();
    drop(runtime);
    (issuer, jwks, clock)
}

fn offline_builder(
    issuer: &TestIssuer,
    clock: &ManualClock,
) -> cognito_verifier::CognitoVerifierBuilder {
    issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .clock(clock.clone())
}

/// The sync path, no runtime, no network, 30 days on: a static or preloaded set still verifies,
/// and a made-up kid is `unknown_kid` (401), not `key_not_cached` (503).
fn verifies_thirty_days_later(
    verifier: &CognitoVerifier,
    issuer: &TestIssuer,
    clock: &ManualClock,
) {
    clock.advance(30 * DAY);
    let token = issuer.access_token(CLIENT).sign(); // dated by the same clock
    assert_eq!(
        verifier.verify_access_sync(&token).unwrap().client_id,
        CLIENT
    );
    let id = issuer.id_token(CLIENT).sign();
    assert_eq!(verifier.verify_id_sync(&id).unwrap().aud, CLIENT);
    let forged = issuer.access_token(CLIENT).header("kid", "made-up").sign();
    let err = verifier.verify_access_sync(&forged).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownKid, "{err}");
    assert!(!err.is_key_unavailable());
}

#[test]
fn a_static_key_set_never_expires_without_runtime_or_network() {
    let (issuer, jwks, clock) = offline_issuer();
    let verifier = offline_builder(&issuer, &clock)
        .static_jwks(jwks)
        .build()
        .unwrap();
    verifies_thirty_days_later(&verifier, &issuer, &clock);
    // A year on, still.
    clock.advance(365 * DAY);
    let token = issuer.access_token(CLIENT).sign();
    verifier.verify_access_sync(&token).unwrap();
    assert!(format!("{verifier:?}").contains("static: true"));
}

#[test]
fn a_preloaded_key_set_is_a_floor_without_runtime_or_network() {
    let (issuer, jwks, clock) = offline_issuer();
    let verifier = offline_builder(&issuer, &clock).jwks(jwks).build().unwrap();
    verifies_thirty_days_later(&verifier, &issuer, &clock);
}

#[tokio::test]
async fn a_preloaded_key_set_outlives_a_dead_endpoint_and_yields_to_a_fetch() {
    let env = Endpoint::new().await;
    let (issuer, clock) = (&env.issuer, &env.clock);
    env.serve(ResponseTemplate::new(500)).await;
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .clock(clock.clone())
        .jwks_uri(env.jwks_uri())
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();

    // Thirty days of a failing endpoint, verifying every hour: the floor holds, on both paths.
    for _ in 0..30 * 24 {
        clock.advance(Duration::from_secs(3600));
        let token = issuer.access_token(CLIENT).sign();
        verifier.verify_access(&token).await.unwrap();
        verifier.verify_access_sync(&token).unwrap();
    }
    // A made-up kid while the endpoint is down and the floor is cached: a bad token, not an
    // outage, on the async path too.
    let forged = issuer.access_token(CLIENT).header("kid", "made-up").sign();
    let err = verifier.verify_access(&forged).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownKid, "{err}");
    assert!(!err.is_key_unavailable());
    let failed_fetches = env.requests().await;
    assert!(failed_fetches >= 1, "refreshes were attempted");

    // The endpoint comes back with a rotated set: the first successful fetch replaces the floor,
    // so the withdrawn key stops verifying.
    let old = issuer.access_token(CLIENT).sign();
    issuer.rotate_keys().unwrap();
    issuer.retire_old_keys();
    env.serve_keys().await;
    verifier.hydrate().await.unwrap();
    let new = issuer.access_token(CLIENT).sign();
    verifier.verify_access(&new).await.unwrap();
    assert_eq!(
        kind(verifier.verify_access(&old).await),
        ErrorKind::UnknownKid
    );
}

#[tokio::test]
async fn a_static_verifier_never_fetches() {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .static_jwks(issuer.jwks_json())
        .build()
        .unwrap();
    verifier.hydrate().await.unwrap();
    verifier
        .verify_access(&issuer.access_token(CLIENT).sign())
        .await
        .unwrap();
    for i in 0..100 {
        let forged = issuer
            .access_token(CLIENT)
            .header("kid", format!("k{i}"))
            .sign();
        assert_eq!(
            kind(verifier.verify_access(&forged).await),
            ErrorKind::UnknownKid
        );
    }
    // A rotation the static set does not know of stays unknown: nothing is fetched.
    issuer.rotate_keys().unwrap();
    let rotated = issuer.access_token(CLIENT).sign();
    assert_eq!(
        kind(verifier.verify_access(&rotated).await),
        ErrorKind::UnknownKid
    );
    assert_eq!(issuer.jwks_requests(), 0);
    // Until the application loads the new set.
    verifier.load_jwks(issuer.jwks_json()).unwrap();
    verifier.verify_access(&rotated).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 0);
}

#[test]
fn static_key_sets_refuse_bad_documents_and_a_fetcher_besides() {
    let b = || {
        CognitoVerifier::builder(DEFAULT_TEST_POOL)
            .client_ids([CLIENT])
            .token_use(TokenUse::Any)
    };
    let err = b().static_jwks("{}").build().unwrap_err();
    assert!(err.to_string().contains("static_jwks"), "{err}");
    let err = b()
        .static_jwks(r#"{"keys":[]}"#)
        .fetcher(HttpFetcher::builder().build().unwrap())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("static_jwks"), "{err}");
    // A static verifier needs no usable JWKS URI (it never fetches one).
    JwtVerifier::builder("https://issuer.example", "not a url")
        .danger_accept_any_audience()
        .static_jwks(r#"{"keys":[]}"#)
        .build()
        .unwrap();
}

#[tokio::test]
async fn load_jwks_works_on_every_verifier_kind() {
    let clock = ManualClock::starting_now();
    let a = TestIssuer::start_for_pool("eu-west-1_PoolA", clock.clone())
        .await
        .unwrap();
    let b = TestIssuer::start_for_pool("us-east-1_PoolB", clock.clone())
        .await
        .unwrap();
    let static_of = |issuer: &TestIssuer| {
        issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Any)
            .clock(clock.clone())
            .static_jwks(r#"{"keys":[]}"#)
            .build()
            .unwrap()
    };
    let (va, vb) = (static_of(&a), static_of(&b));
    let token_a = a.access_token(CLIENT).sign();
    let token_b = b.access_token(CLIENT).sign();
    assert_eq!(kind(va.verify_access_sync(&token_a)), ErrorKind::UnknownKid);

    // CognitoVerifier; clones share what is loaded.
    let clone = va.clone();
    va.load_jwks(a.jwks_json()).unwrap();
    clone.verify_access_sync(&token_a).unwrap();
    assert_eq!(va.cached_jwks().unwrap(), a.jwks_json());
    // A bad document leaves the loaded set as it was.
    assert_eq!(
        va.load_jwks("<html>").unwrap_err().kind(),
        ErrorKind::InvalidJwks
    );
    va.verify_access_sync(&token_a).unwrap();

    // MultiPoolVerifier, by issuer.
    let multi = MultiPoolVerifier::new([va, vb]).unwrap();
    assert_eq!(
        kind(multi.verify_access(&token_b).await),
        ErrorKind::UnknownKid
    );
    multi.load_jwks(b.issuer(), b.jwks_json()).unwrap();
    multi.verify_access(&token_b).await.unwrap();
    let err = multi
        .load_jwks("https://nobody.example", b.jwks_json())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongIssuer);

    // JwtVerifier.
    let generic = JwtVerifier::builder(a.issuer(), a.jwks_uri())
        .danger_accept_any_audience()
        .clock(clock.clone())
        .static_jwks(r#"{"keys":[]}"#)
        .build()
        .unwrap();
    assert_eq!(
        kind(generic.verify_sync::<serde_json::Value>(&token_a)),
        ErrorKind::UnknownKid
    );
    generic.load_jwks(a.jwks_json()).unwrap();
    let claims: serde_json::Value = generic.verify_sync(&token_a).unwrap();
    assert_eq!(claims["client_id"], CLIENT);
    assert_eq!(a.jwks_requests() + b.jwks_requests(), 0);
}

impl Endpoint {
    /// Without the fetcher's one retry, so requests count fetches.
    fn no_retry_verifier(&self, cache: KeyCacheConfig) -> CognitoVerifier {
        let fetcher = HttpFetcher::builder()
            .allow_insecure_http()
            .no_retry()
            .build()
            .unwrap();
        self.verifier_with(cache, fetcher)
    }
}

#[tokio::test]
async fn a_cold_verifier_recovers_within_a_second_of_its_endpoint() {
    let env = Endpoint::new().await;
    env.serve(ResponseTemplate::new(500)).await;
    let verifier = env.no_retry_verifier(KeyCacheConfig::default());
    let token = env.issuer.access_token(CLIENT).expires_in(DAY).sign();

    // A minute of outage, a request every 100 ms.
    let step = Duration::from_millis(100);
    let mut refusals_said_when = 0;
    for _ in 0..600 {
        let err = verifier.verify_access(&token).await.unwrap_err();
        assert!(err.is_key_unavailable(), "{err}");
        if let Some(wait) = err.retry_after() {
            // A refusal during the backoff says so, and not the last fetch's stale cause.
            assert!(wait <= Duration::from_secs(1), "{err}");
            assert!(!err.to_string().contains("HTTP 500"), "{err}");
            refusals_said_when += 1;
        }
        env.clock.advance(step);
    }
    let during_outage = env.requests().await;
    assert!(refusals_said_when > 400, "{refusals_said_when}");
    // Single flight, backoff 100 ms doubling to 1 s: about one request a second, not 600.
    assert!(
        (55..=70).contains(&during_outage),
        "{during_outage} requests"
    );

    // The endpoint recovers: the verifier follows within a second.
    env.serve_keys().await;
    let mut waited = Duration::ZERO;
    while verifier.verify_access(&token).await.is_err() {
        env.clock.advance(step);
        waited += step;
        assert!(
            waited <= Duration::from_secs(1),
            "still refusing after {waited:?}"
        );
    }
    // (serving anew resets wiremock's count) one request brought the keys back.
    assert_eq!(env.requests().await, 1);
}

#[tokio::test]
async fn a_stale_verifier_recovers_as_soon_as_its_endpoint_does() {
    let env = Endpoint::new().await;
    env.serve_keys().await;
    let verifier = env.no_retry_verifier(KeyCacheConfig::default());
    let token = env.issuer.access_token(CLIENT).expires_in(DAY).sign();
    verifier.verify_access(&token).await.unwrap();
    env.serve(ResponseTemplate::new(503)).await;
    // Past max age and stale window (10 min + 1 h): no usable set.
    env.clock.advance(Duration::from_secs(4300));
    let err = verifier.verify_access(&token).await.unwrap_err();
    assert!(err.is_key_unavailable(), "{err}");
    env.clock.advance(Duration::from_secs(5));
    env.serve_keys().await;
    // Not the 15 s cooldown: the next attempt after the short backoff succeeds.
    env.clock.advance(Duration::from_millis(200));
    verifier.verify_access(&token).await.unwrap();
}

#[tokio::test]
async fn a_kid_missing_from_a_usable_set_is_never_an_outage() {
    let env = Endpoint::new().await;
    env.serve_keys().await;
    let verifier = env.no_retry_verifier(KeyCacheConfig::default());
    verifier.hydrate().await.unwrap();
    let forged = env
        .issuer
        .access_token(CLIENT)
        .header("kid", "made-up")
        .sign();
    for response in [
        ResponseTemplate::new(200).set_body_string(env.issuer.jwks_json()),
        ResponseTemplate::new(500),
        ResponseTemplate::new(200).set_body_string("<html>"),
    ] {
        env.serve(response).await;
        env.clock.advance(Duration::from_secs(16)); // past any cooldown
        for err in [
            verifier.verify_access(&forged).await.unwrap_err(),
            verifier.verify_access_sync(&forged).unwrap_err(),
            verifier.verify_any(&forged).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::UnknownKid, "{err}");
            assert!(!err.is_key_unavailable(), "{err}");
        }
    }
    // With nothing cached, the sync path is the one that says "keys unavailable".
    let cold = env.no_retry_verifier(KeyCacheConfig::default());
    let err = cold.verify_access_sync(&forged).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotCached);
    assert!(err.is_key_unavailable());
}

#[tokio::test]
async fn the_sync_path_fetches_a_new_kid_in_the_background() {
    let env = Endpoint::new().await;
    env.serve_keys().await;
    let verifier = env.no_retry_verifier(KeyCacheConfig::default());
    verifier.hydrate().await.unwrap();
    env.issuer.rotate_keys().unwrap();
    env.serve_keys().await;
    let rotated = env.issuer.access_token(CLIENT).sign();
    assert_eq!(
        kind(verifier.verify_access_sync(&rotated)),
        ErrorKind::UnknownKid
    );
    for _ in 0..200 {
        if verifier.verify_access_sync(&rotated).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the background fetch never brought the new kid");
}

#[tokio::test]
async fn a_slow_endpoint_fails_within_the_fetch_deadline() {
    let env = Endpoint::new().await;
    env.serve(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .await;
    let verifier =
        env.no_retry_verifier(KeyCacheConfig::default().fetch_deadline(Duration::from_millis(300)));
    let token = env.issuer.access_token(CLIENT).sign();
    let started = Instant::now();
    let err = verifier.verify_access(&token).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&err, Error::Jwks(JwksError::Timeout { .. })),
        "{err}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// A fetcher that never answers: the deadline bounds fetchers we did not write too.
#[derive(Debug)]
struct Never(Arc<AtomicUsize>);

impl JwksFetcher for Never {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn the_deadline_bounds_a_custom_fetcher_that_never_answers() {
    let calls = Arc::new(AtomicUsize::new(0));
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .fetcher(Never(Arc::clone(&calls)))
        .build()
        .unwrap();
    let token = issuer.access_token(CLIENT).sign();
    let started = tokio::time::Instant::now();
    let err = verifier.verify_access(&token).await.unwrap_err();
    assert!(
        matches!(&err, Error::Jwks(JwksError::Timeout { .. })),
        "{err}"
    );
    // Paused time: exactly the default deadline, whatever the machine's speed.
    let took = started.elapsed();
    let deadline = cognito_verifier::DEFAULT_FETCH_DEADLINE;
    assert!(
        took >= deadline && took < deadline + Duration::from_millis(100),
        "{took:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
