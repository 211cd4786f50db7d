//! The key cache against a counting JWKS endpoint on 127.0.0.1, on the real clock: how fast a
//! cold verifier recovers when the endpoint does, how long a slow endpoint holds a verification,
//! and what storms of unknown kids cost. Prints a table (see BENCHMARKS.md).
//!
//! `cargo bench --bench outage` runs the full scenarios (about 90 s: the storm lasts 60 s and the
//! cooldown 15 s); `cargo bench --bench outage -- --test` (CI) runs each one shortened.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{CognitoVerifier, HttpFetcher, KeyCacheConfig, TokenUse};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT: &str = "3u4p8bench1client0000000000";

struct Endpoint {
    server: MockServer,
    issuer: TestIssuer,
}

impl Endpoint {
    async fn new() -> Self {
        Self {
            server: MockServer::start().await,
            issuer: TestIssuer::start().await.unwrap(),
        }
    }

    async fn serve(&self, response: ResponseTemplate) {
        self.server.reset().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    async fn healthy(&self) {
        self.serve(ResponseTemplate::new(200).set_body_string(self.issuer.jwks_json()))
            .await;
    }

    async fn requests(&self) -> usize {
        self.server.received_requests().await.unwrap().len()
    }

    /// A verifier on the defaults (fetcher included: one retry), pointed at the endpoint.
    fn verifier(&self, cache: KeyCacheConfig) -> CognitoVerifier {
        self.issuer
            .verifier_builder(CLIENT)
            .jwks_uri(format!("{}/jwks.json", self.server.uri()))
            .token_use(TokenUse::Any)
            .key_cache(cache)
            .fetcher(
                HttpFetcher::builder()
                    .allow_insecure_http()
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }
}

fn token_with_kid(kid: &str) -> String {
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode("{}"),
        URL_SAFE_NO_PAD.encode([7_u8; 256])
    )
}

fn ms(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    }
}

/// Endpoint down at a cold start for `outage`, a client verifying every 10 ms; then the endpoint
/// recovers. Returns (requests during the outage, time from recovery to the first acceptance).
async fn cold_recovery(outage: Duration) -> (usize, Duration) {
    let env = Endpoint::new().await;
    env.serve(ResponseTemplate::new(500)).await;
    let verifier = env.verifier(KeyCacheConfig::default());
    let token = env.issuer.access_token(CLIENT).sign();
    let started = Instant::now();
    while started.elapsed() < outage {
        assert!(verifier.verify_access(&token).await.is_err());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let during = env.requests().await;
    env.healthy().await;
    let back = Instant::now();
    while verifier.verify_access(&token).await.is_err() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (during, back.elapsed())
}

/// A cold verification against an endpoint that never answers.
async fn slow_endpoint() -> Duration {
    let env = Endpoint::new().await;
    env.serve(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .await;
    let verifier = env.verifier(KeyCacheConfig::default());
    let token = env.issuer.access_token(CLIENT).sign();
    let started = Instant::now();
    assert!(verifier.verify_access(&token).await.is_err());
    started.elapsed()
}

/// 1,000 concurrent verifications on a cold cache: requests made.
async fn cold_concurrency() -> usize {
    let env = Endpoint::new().await;
    env.serve(
        ResponseTemplate::new(200)
            .set_body_string(env.issuer.jwks_json())
            .set_delay(Duration::from_millis(100)),
    )
    .await;
    let verifier = env.verifier(KeyCacheConfig::default());
    let token = Arc::new(env.issuer.access_token(CLIENT).sign());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (v, t) = (verifier.clone(), Arc::clone(&token));
        tasks.spawn(async move { v.verify_access(&t).await.is_ok() });
    }
    while let Some(ok) = tasks.join_next().await {
        assert!(ok.unwrap());
    }
    env.requests().await
}

/// `n` tokens with random unknown kids against a warm cache: (rejections per second, requests
/// beyond the first fetch).
async fn unknown_kids(n: usize) -> (f64, usize) {
    let env = Endpoint::new().await;
    env.healthy().await;
    let verifier = env.verifier(KeyCacheConfig::default());
    verifier.hydrate().await.unwrap();
    let tokens: Vec<String> = (0..n).map(|i| token_with_kid(&format!("r{i}"))).collect();
    let started = Instant::now();
    for t in &tokens {
        assert!(verifier.verify_access(t).await.is_err());
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    (rate, env.requests().await - 1)
}

struct Storm {
    requests: usize,
    verified: usize,
    p50: Duration,
    max: Duration,
    new_kid_after: Duration,
}

/// A storm of random kids for `length` (two tasks hammering) while a third verifies a valid
/// token every millisecond; then a real rotation: how long until the new kid is accepted.
async fn storm(length: Duration, cooldown: Duration) -> Storm {
    let env = Endpoint::new().await;
    env.healthy().await;
    let verifier = env.verifier(KeyCacheConfig::default().refetch_cooldown(cooldown));
    verifier.hydrate().await.unwrap();
    let valid = env.issuer.access_token(CLIENT).sign();
    let stop = Arc::new(AtomicBool::new(false));
    let rejected = Arc::new(AtomicUsize::new(0));
    let mut stormers = Vec::new();
    for task in 0..2 {
        let (v, stop, rejected) = (verifier.clone(), Arc::clone(&stop), Arc::clone(&rejected));
        stormers.push(tokio::spawn(async move {
            let mut i = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                assert!(
                    v.verify_access(&token_with_kid(&format!("s{task}-{i}")))
                        .await
                        .is_err()
                );
                rejected.fetch_add(1, Ordering::Relaxed);
                if i.is_multiple_of(64) {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < length {
        let t = Instant::now();
        verifier.verify_access(&valid).await.unwrap();
        latencies.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for s in stormers {
        s.await.unwrap();
    }
    let requests = env.requests().await - 1;
    latencies.sort();
    // The issuer rotates right after the storm: the new kid is accepted once the cooldown that
    // the storm's last refetch started has run out.
    env.issuer.rotate_keys().unwrap();
    env.healthy().await;
    let rotated = env.issuer.access_token(CLIENT).sign();
    let after = Instant::now();
    while verifier.verify_access(&rotated).await.is_err() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Storm {
        requests,
        verified: latencies.len(),
        p50: latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or_default(),
        max: *latencies.last().unwrap(),
        new_kid_after: after.elapsed(),
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (outage, storm_len, cooldown, kids) = if quick {
            (Duration::from_millis(500), Duration::from_millis(300), Duration::from_millis(200), 1000)
        } else {
            (Duration::from_secs(10), Duration::from_secs(60), Duration::from_secs(15), 10_000)
        };
        println!("| scenario (endpoint on 127.0.0.1, real clock) | measured |");
        println!("|---|---|");
        let (during, recovery) = cold_recovery(outage).await;
        println!(
            "| cold start, endpoint answering 500 for {:?}, a verification every 10 ms | {during} requests during the outage; first acceptance {} after the endpoint recovered |",
            outage,
            ms(recovery)
        );
        println!(
            "| cold verification, endpoint that never answers (default deadline) | fails after {} |",
            ms(slow_endpoint().await)
        );
        println!(
            "| 1,000 concurrent cold verifications | {} request(s) |",
            cold_concurrency().await
        );
        let (rate, requests) = unknown_kids(kids).await;
        println!(
            "| {kids} tokens with random unknown kids, warm cache | {rate:.0} rejections/s, {requests} request(s) |"
        );
        let s = storm(storm_len, cooldown).await;
        println!(
            "| {:?} storm of random kids (2 tasks), valid token verified every 1 ms | {} requests (cooldown {:?}); {} valid verifications, p50 {}, max {}; a rotated kid accepted {} after the storm |",
            storm_len,
            s.requests,
            cooldown,
            s.verified,
            ms(s.p50),
            ms(s.max),
            ms(s.new_kid_after)
        );
    });
}
