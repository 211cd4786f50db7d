//! The key cache under real-world conditions: concurrency, storms of unknown kids, rotation,
//! broken endpoints, freshness, several pools. HTTP goes to wiremock (or a raw server) on
//! 127.0.0.1; time moves only through a ManualClock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    BoxFuture, CognitoVerifier, ErrorKind, FetchedJwks, HttpFetcher, IssuerFormat, JwksError,
    JwksFetcher, KeyCacheConfig, MultiPoolVerifier, TokenUse,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{CLIENT, Endpoint, issuer_with_clock, kind};

/// Per-request timeout of the fetcher in these tests; a fetch with its one retry ends within
/// 2 × this + 100 ms.
const FETCH_TIMEOUT: Duration = Duration::from_millis(300);

type Env = Endpoint;

impl Endpoint {
    /// With the fetcher timeouts of these tests.
    fn verifier(&self, cache: KeyCacheConfig) -> CognitoVerifier {
        let fetcher = HttpFetcher::builder()
            .allow_insecure_http()
            .connect_timeout(FETCH_TIMEOUT)
            .request_timeout(FETCH_TIMEOUT)
            .build()
            .unwrap();
        self.verifier_with(cache, fetcher)
    }

    /// For tests that count requests: the fetcher's default timeouts and no retry. With the
    /// 300 ms above, a fetch slowed by a loaded machine would be retried and counted twice.
    fn counted_verifier(&self) -> CognitoVerifier {
        let fetcher = HttpFetcher::builder()
            .allow_insecure_http()
            .no_retry()
            .build()
            .unwrap();
        self.verifier_with(KeyCacheConfig::default(), fetcher)
    }
}

/// A token naming `kid`, with a signature that is never checked: lookup fails first.
fn token_with_kid(kid: &str) -> String {
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode("{}"),
        URL_SAFE_NO_PAD.encode([7_u8; 256])
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_cache_makes_one_request_for_1000_concurrent_verifications() {
    let env = Env::new().await;
    env.serve(
        ResponseTemplate::new(200)
            .set_body_string(env.issuer.jwks_json())
            .set_delay(Duration::from_millis(200)),
    )
    .await;
    let verifier = env.counted_verifier();
    let token = Arc::new(env.issuer.access_token(CLIENT).sign());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (v, t) = (verifier.clone(), Arc::clone(&token));
        tasks.spawn(async move { v.verify_access(&t).await.map(|c| c.client_id) });
    }
    let mut accepted = 0;
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap(), CLIENT);
        accepted += 1;
    }
    assert_eq!(accepted, 1000);
    assert_eq!(env.requests().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_random_kids_cause_at_most_one_request_per_cooldown() {
    let env = Env::new().await;
    env.serve_keys().await;
    let verifier = env.counted_verifier();
    verifier.hydrate().await.unwrap();
    assert_eq!(env.requests().await, 1);
    let known = Arc::new(env.issuer.id_token(CLIENT).sign());

    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..100 {
        let (v, known) = (verifier.clone(), Arc::clone(&known));
        tasks.spawn(async move {
            let mut unknown = 0;
            for i in 0..100 {
                let t = token_with_kid(&format!("random-{task}-{i}"));
                assert_eq!(kind(v.verify_id(&t).await), ErrorKind::UnknownKid);
                unknown += 1;
            }
            v.verify_id(&known).await.unwrap();
            unknown
        });
    }
    let mut rejected = 0;
    while let Some(n) = tasks.join_next().await {
        rejected += n.unwrap();
    }
    assert_eq!(rejected, 10_000);
    // The hydrate, plus one refetch for the first unknown kid; then the cooldown holds.
    assert_eq!(env.requests().await, 2);

    // After the cooldown, one more refetch is allowed, and again only one.
    env.clock.advance(Duration::from_secs(16));
    for i in 0..50 {
        let t = token_with_kid(&format!("later-{i}"));
        assert_eq!(kind(verifier.verify_id(&t).await), ErrorKind::UnknownKid);
    }
    assert_eq!(env.requests().await, 3);
}

#[tokio::test]
async fn rotation_adds_new_kids_and_drops_removed_ones() {
    let env = Env::new().await;
    env.serve_keys().await;
    let verifier = env.counted_verifier();
    let old_token = env.issuer.id_token(CLIENT).sign();
    verifier.verify_id(&old_token).await.unwrap();
    assert_eq!(env.requests().await, 1);

    // Cognito publishes a second key and starts signing with it.
    env.issuer.rotate_keys().unwrap();
    env.serve_keys().await;
    let new_token = env.issuer.id_token(CLIENT).sign();
    verifier.verify_id(&new_token).await.unwrap();
    assert_eq!(
        env.requests().await,
        1,
        "reset() clears the count; one refetch since"
    );
    verifier.verify_id(&old_token).await.unwrap();

    // The old key is withdrawn: after the next successful fetch it no longer verifies.
    env.issuer.retire_old_keys();
    env.serve_keys().await;
    verifier.verify_id(&old_token).await.unwrap(); // still cached
    verifier.hydrate().await.unwrap();
    assert_eq!(
        kind(verifier.verify_id(&old_token).await),
        ErrorKind::UnknownKid
    );
    verifier.verify_id(&new_token).await.unwrap();
}

/// Serves good keys, then `broken`; checks the failure kind, the stale window, and "keys
/// unavailable" after it.
async fn outage(broken: ResponseTemplate, expected: ErrorKind, check: impl Fn(&JwksError)) {
    let env = Env::new().await;
    env.serve_keys().await;
    let verifier = env.verifier(KeyCacheConfig::default());
    let token = env
        .issuer
        .id_token(CLIENT)
        .expires_in(Duration::from_secs(86_400))
        .sign();
    verifier.verify_id(&token).await.unwrap();
    env.serve(broken).await;

    // Past the max age (10 min) but inside the stale window (1 h): still verifying.
    env.clock.advance(Duration::from_secs(601));
    verifier.verify_id(&token).await.unwrap();

    // A fetch now fails with the right error, within the bound.
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), verifier.hydrate())
        .await
        .expect("a fetch must end within its timeouts")
        .unwrap_err();
    assert!(started.elapsed() < FETCH_TIMEOUT * 2 + Duration::from_secs(1));
    assert_eq!(err.kind(), expected, "{err}");
    match &err {
        cognito_verifier::Error::Jwks(e) => check(e),
        other => panic!("expected a JWKS error, got {other:?}"),
    }
    // A failed fetch never empties the cache.
    verifier.verify_id(&token).await.unwrap();

    // Past the stale window: keys unavailable (503), not a bad token (401).
    env.clock.advance(Duration::from_secs(3600));
    let err = tokio::time::timeout(Duration::from_secs(10), verifier.verify_id(&token))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_key_unavailable(), "{err}");
    assert_eq!(err.kind(), expected, "{err}");
}

#[tokio::test]
async fn a_500_is_a_fetch_error_and_cached_keys_carry_on() {
    outage(ResponseTemplate::new(500), ErrorKind::JwksFetch, |e| {
        assert!(matches!(e, JwksError::Status { status: 500, .. }), "{e}");
    })
    .await;
}

#[tokio::test]
async fn invalid_json_is_an_invalid_jwks() {
    outage(
        ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
        ErrorKind::InvalidJwks,
        |e| assert!(matches!(e, JwksError::InvalidDocument { .. }), "{e}"),
    )
    .await;
}

#[tokio::test]
async fn json_without_keys_is_an_invalid_jwks() {
    outage(
        ResponseTemplate::new(200).set_body_string(r#"{"kids":[]}"#),
        ErrorKind::InvalidJwks,
        |e| assert!(matches!(e, JwksError::InvalidDocument { .. }), "{e}"),
    )
    .await;
}

#[tokio::test]
async fn a_50_mb_body_is_refused() {
    let body = vec![b' '; 50 * 1024 * 1024];
    outage(
        ResponseTemplate::new(200).set_body_bytes(body),
        ErrorKind::JwksFetch,
        |e| {
            assert!(
                matches!(e, JwksError::TooLarge { limit: 65_536, .. }),
                "{e}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let hang = ResponseTemplate::new(200).set_delay(Duration::from_secs(600));
    outage(hang, ErrorKind::JwksFetch, |e| {
        assert!(matches!(e, JwksError::Timeout { .. }), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let attacker = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"keys":[]}"#))
        .mount(&attacker)
        .await;
    let redirect = ResponseTemplate::new(302).insert_header(
        "location",
        format!("{}/evil-jwks.json", attacker.uri()).as_str(),
    );
    outage(redirect, ErrorKind::JwksFetch, |e| {
        assert!(matches!(e, JwksError::Status { status: 302, .. }), "{e}");
    })
    .await;
    assert_eq!(attacker.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_while_streaming() {
    // A raw server: chunked encoding, so there is no Content-Length to refuse up front.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let sent_by_server = Arc::clone(&sent);
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0_u8; 4096];
        let _ = stream.read(&mut buf).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
        // At most 100 MiB; the client should hang up long before.
        for _ in 0..100 * 1024 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
            sent_by_server.fetch_add(1024, Ordering::SeqCst);
        }
    });
    let fetcher = HttpFetcher::builder()
        .allow_insecure_http()
        .no_retry()
        .max_body_bytes(16 * 1024)
        .build()
        .unwrap();
    let err = fetcher
        .fetch(&format!("http://{addr}/jwks.json"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, JwksError::TooLarge { limit: 16_384, .. }),
        "{err}"
    );
    assert!(sent.load(Ordering::SeqCst) < 50 * 1024 * 1024);
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let env = Env::new().await;
    env.serve_keys().await;
    let fetcher = HttpFetcher::builder().no_retry().build().unwrap();
    let err = fetcher.fetch(&env.jwks_uri()).await.unwrap_err();
    assert!(matches!(err, JwksError::Transport { .. }), "{err}");
    assert_eq!(env.requests().await, 0);
}

/// An in-memory fetcher that counts fetches and, when gated, holds each one until the test
/// releases it, so the test knows exactly when a fetch starts and ends.
#[derive(Debug, Clone)]
struct Gate(Arc<GateState>);

#[derive(Debug)]
struct GateState {
    body: String,
    max_age: Option<Duration>,
    gated: bool,
    started: AtomicUsize,
    release: Notify,
}

impl Gate {
    fn new(body: String, max_age: Option<Duration>, gated: bool) -> Self {
        Self(Arc::new(GateState {
            body,
            max_age,
            gated,
            started: AtomicUsize::new(0),
            release: Notify::new(),
        }))
    }

    fn started(&self) -> usize {
        self.0.started.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for Gate {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>> {
        Box::pin(async move {
            self.0.started.fetch_add(1, Ordering::SeqCst);
            if self.0.gated {
                self.0.release.notified().await;
            }
            let mut doc = FetchedJwks::new(self.0.body.clone().into_bytes());
            if let Some(age) = self.0.max_age {
                doc = doc.with_max_age(age);
            }
            Ok(doc)
        })
    }
}

async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// Checks, with `max_age` sent by the endpoint, that no refresh starts at `quiet` seconds and one
/// starts (in the background) at `due` seconds.
async fn refresh_schedule(max_age: Duration, quiet: u64, due: u64) {
    let (issuer, clock) = issuer_with_clock().await;
    let fetcher = Gate::new(issuer.jwks_json(), Some(max_age), false);
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .clock(clock.clone())
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    let token = issuer
        .id_token(CLIENT)
        .expires_in(Duration::from_secs(86_400))
        .sign();
    verifier.hydrate().await.unwrap();
    clock.advance(Duration::from_secs(quiet));
    verifier.verify_id(&token).await.unwrap();
    settle().await;
    assert_eq!(fetcher.started(), 1, "no refresh at {quiet}s");
    clock.advance(Duration::from_secs(due - quiet));
    verifier.verify_id(&token).await.unwrap();
    settle().await;
    assert_eq!(fetcher.started(), 2, "a refresh at {due}s");
}

#[tokio::test(flavor = "current_thread")]
async fn cache_control_max_age_is_honoured() {
    // Refresh at 80 % of 120 s = 96 s.
    refresh_schedule(Duration::from_secs(120), 90, 100).await;
}

#[tokio::test(flavor = "current_thread")]
async fn cache_control_max_age_is_clamped_to_the_bounds() {
    // 1 s is raised to the 60 s minimum (refresh at 48 s) ...
    refresh_schedule(Duration::from_secs(1), 40, 50).await;
    // ... and a week is cut to the 1 h maximum (refresh at 2880 s).
    refresh_schedule(Duration::from_secs(7 * 86_400), 2800, 2900).await;
}

#[tokio::test(flavor = "current_thread")]
async fn background_refresh_never_makes_a_request_wait() {
    let (issuer, clock) = issuer_with_clock().await;
    let fetcher = Gate::new(issuer.jwks_json(), None, true);
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .clock(clock.clone())
        .jwks(issuer.jwks_json())
        .fetcher(fetcher.clone())
        .build()
        .unwrap();
    let token = issuer
        .id_token(CLIENT)
        .expires_in(Duration::from_secs(86_400))
        .sign();
    // A verification that waited on the blocked fetch would never finish: bound each one, so a
    // regression fails here instead of hanging the suite.
    let verify = || async {
        tokio::time::timeout(Duration::from_secs(5), verifier.verify_id(&token))
            .await
            .expect("a verification waited on the background refresh")
            .unwrap()
    };
    // Preloaded: no fetch yet. At 500 s (past 80 % of 600 s) a refresh starts and blocks.
    clock.advance(Duration::from_secs(500));
    verify().await;
    settle().await;
    assert_eq!(fetcher.started(), 1);
    // While that fetch hangs, verifications go on from the cache and start no second fetch.
    for _ in 0..10 {
        verify().await;
    }
    settle().await;
    assert_eq!(fetcher.started(), 1);
    fetcher.0.release.notify_one();
    settle().await;
}

#[tokio::test]
async fn several_pools_route_by_issuer() {
    let a = TestIssuer::start_for_pool("eu-west-1_PoolA", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let b = TestIssuer::start_for_pool("us-east-1_PoolB", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let c = TestIssuer::start_for_pool("ap-south-1_PoolC", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let va = a
        .verifier_builder("app-a")
        .token_use(TokenUse::Id)
        .build()
        .unwrap();
    let vb = b
        .verifier_builder("app-b")
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let multi = MultiPoolVerifier::new([va, vb]).unwrap();

    assert_eq!(
        multi
            .verify_id(&a.id_token("app-a").sign())
            .await
            .unwrap()
            .aud,
        "app-a"
    );
    assert_eq!(
        multi
            .verify_access(&b.access_token("app-b").sign())
            .await
            .unwrap()
            .client_id,
        "app-b"
    );
    // Each pool keeps its own rules.
    assert_eq!(
        kind(multi.verify_any(&a.access_token("app-a").sign()).await),
        ErrorKind::WrongTokenUse
    );
    assert_eq!(
        kind(multi.verify_any(&b.access_token("app-a").sign()).await),
        ErrorKind::WrongClientId
    );
    // A token claiming pool B's issuer but signed by pool A's key goes to B and fails there.
    let forged = a.id_token("app-b").claim("iss", b.issuer()).sign();
    assert_eq!(
        kind(multi.verify_any(&forged).await),
        ErrorKind::InvalidSignature
    );
    assert_eq!(
        kind(multi.verify_any(&c.id_token("app-a").sign()).await),
        ErrorKind::WrongIssuer
    );
    assert_eq!((a.jwks_requests(), b.jwks_requests()), (1, 1));
    assert_eq!(c.jwks_requests(), 0);

    let dup = a
        .verifier_builder("x")
        .token_use(TokenUse::Id)
        .build()
        .unwrap();
    let again = a
        .verifier_builder("y")
        .token_use(TokenUse::Id)
        .build()
        .unwrap();
    assert!(MultiPoolVerifier::new([dup, again]).is_err());
}

#[tokio::test]
async fn both_issuer_formats_and_replica_regions() {
    let issuer = TestIssuer::start().await.unwrap();
    let pool = issuer.pool_id().clone();
    let v = CognitoVerifier::builder(pool.as_str())
        .issuer_format(IssuerFormat::IssuerCognitoIdp)
        .replica_regions(["us-east-1"])
        .jwks_uri(issuer.jwks_uri())
        .allow_insecure_http()
        .client_ids([CLIENT])
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    for region in ["eu-west-1", "us-east-1"] {
        let iss = pool.issuer_in(IssuerFormat::IssuerCognitoIdp, region);
        let t = issuer.id_token(CLIENT).claim("iss", iss).sign();
        v.verify_id(&t).await.unwrap();
    }
    let other_region = pool.issuer_in(IssuerFormat::IssuerCognitoIdp, "eu-north-1");
    let t = issuer.id_token(CLIENT).claim("iss", other_region).sign();
    assert_eq!(kind(v.verify_id(&t).await), ErrorKind::WrongIssuer);
    // The classic format is a different issuer.
    assert_eq!(
        kind(v.verify_id(&issuer.id_token(CLIENT).sign()).await),
        ErrorKind::WrongIssuer
    );
}
