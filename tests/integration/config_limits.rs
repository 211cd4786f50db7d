//! No configuration value can panic: every duration and size setter, on every builder, driven
//! with 0, 1 and its type's maximum; each either is refused by `build()` with a `BuildError`
//! naming the setting, or saturates. The verifiers built are then fed valid and hostile tokens,
//! with the clock moved to the far future, against an endpoint that sends the largest
//! `Cache-Control: max-age` there is.

use std::time::Duration;

use cognito_verifier::testkit::{DEFAULT_TEST_POOL, TestIssuer};
use cognito_verifier::{
    BuildError, CognitoVerifierBuilder, HttpFetcher, HttpFetcherBuilder, KeyCacheConfig,
    ManualClock, TokenCacheConfig, TokenUse,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::CLIENT;

const DURATIONS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_nanos(1),
    Duration::from_secs(1),
    Duration::MAX,
];
const SIZES: [usize; 3] = [0, 1, usize::MAX];

type Setter = Box<dyn Fn(CognitoVerifierBuilder) -> CognitoVerifierBuilder>;

/// Every numeric setting reachable from a Cognito verifier builder, each with each value.
fn every_setting() -> Vec<(String, Setter)> {
    let mut all: Vec<(String, Setter)> = Vec::new();
    let mut add = |name: String, f: Setter| all.push((name, f));
    for d in DURATIONS {
        let cache = |c: KeyCacheConfig| -> Setter { Box::new(move |b| b.key_cache(c.clone())) };
        add(format!("leeway({d:?})"), Box::new(move |b| b.leeway(d)));
        add(
            format!("max_age({d:?})"),
            cache(KeyCacheConfig::default().max_age(d)),
        );
        add(
            format!("stale_window({d:?})"),
            cache(KeyCacheConfig::default().stale_window(d)),
        );
        add(
            format!("refetch_cooldown({d:?})"),
            cache(KeyCacheConfig::default().refetch_cooldown(d)),
        );
        add(
            format!("fetch_deadline({d:?})"),
            cache(KeyCacheConfig::default().fetch_deadline(d)),
        );
        for e in DURATIONS {
            add(
                format!("max_age_bounds({d:?}, {e:?})"),
                cache(KeyCacheConfig::default().max_age_bounds(d, e)),
            );
            add(
                format!("retry_backoff({d:?}, {e:?})"),
                cache(KeyCacheConfig::default().retry_backoff(d, e)),
            );
        }
        add(
            format!("token_cache.max_ttl({d:?})"),
            Box::new(move |b| b.token_cache(TokenCacheConfig::default().max_ttl(d))),
        );
        add(
            format!("connect_timeout({d:?})"),
            fetcher("connect_timeout", move |f| f.connect_timeout(d)),
        );
        add(
            format!("request_timeout({d:?})"),
            fetcher("request_timeout", move |f| f.request_timeout(d)),
        );
    }
    for n in SIZES {
        add(
            format!("max_token_len({n})"),
            Box::new(move |b| b.max_token_len(n)),
        );
        add(
            format!("max_keys({n})"),
            Box::new(move |b| b.key_cache(KeyCacheConfig::default().max_keys(n))),
        );
        add(
            format!("max_body_bytes({n})"),
            fetcher("max_body_bytes", move |f| f.max_body_bytes(n)),
        );
    }
    for n in [0, 1, u64::MAX] {
        add(
            format!("token_cache.max_entries({n})"),
            Box::new(move |b| b.token_cache(TokenCacheConfig::default().max_entries(n))),
        );
    }
    all
}

/// A builder step that sets an `HttpFetcher` configured by `f`, or checks that the fetcher's own
/// `build()` refused the value, naming `setting`.
fn fetcher(
    setting: &'static str,
    f: impl Fn(HttpFetcherBuilder) -> HttpFetcherBuilder + 'static,
) -> Setter {
    Box::new(
        move |b| match f(HttpFetcher::builder().allow_insecure_http()).build() {
            Ok(fetcher) => b.fetcher(fetcher),
            Err(e) => {
                assert_refused(&e, setting);
                b
            }
        },
    )
}

fn assert_refused(err: &BuildError, setting: &str) {
    assert!(
        matches!(err, BuildError::InvalidSetting { setting: s, .. } if s.contains(setting)),
        "{setting}: {err}"
    );
}

#[tokio::test]
async fn no_setter_value_panics_and_hostile_tokens_never_pass() {
    let clock = ManualClock::starting_now();
    let issuer = TestIssuer::start_for_pool(DEFAULT_TEST_POOL, clock.clone())
        .await
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "max-age=18446744073709551615")
                .set_body_string(issuer.jwks_json()),
        )
        .mount(&server)
        .await;
    let start = clock.now_for_test();
    let (mut built, mut refused) = (0, 0);
    for (name, set) in every_setting() {
        clock.set(start);
        let builder = issuer
            .verifier_builder(CLIENT)
            .jwks_uri(format!("{}/jwks.json", server.uri()))
            .token_use(TokenUse::Any)
            .clock(clock.clone());
        let verifier = match set(builder).build() {
            Ok(v) => v,
            Err(e) => {
                // Refused with an error that names the setting.
                let text = e.to_string();
                let stem = name.split('(').next().unwrap().rsplit('.').next().unwrap();
                assert!(text.contains(stem), "{name}: {text}");
                refused += 1;
                continue;
            }
        };
        built += 1;
        let valid = issuer.access_token(CLIENT).sign();
        let hostile = [
            issuer.access_token(CLIENT).header("kid", "made-up").sign(),
            issuer
                .access_token(CLIENT)
                .header("kid", "made-up-2")
                .sign(),
            issuer.access_token(CLIENT).expired().sign(),
            issuer.sign_raw(r#"{"alg":"none","kid":"test-key-1"}"#, "{}"),
            format!("{}x", issuer.access_token(CLIENT).sign()),
            "a".repeat(100_000),
        ];
        for jump in [
            Duration::ZERO,
            Duration::from_secs(3600),
            Duration::from_secs(u64::MAX / 4000),
        ] {
            clock.advance(jump);
            let bounded = Duration::from_secs(20);
            let _ = tokio::time::timeout(bounded, verifier.verify_access(&valid))
                .await
                .unwrap_or_else(|_| panic!("{name}: a verification hung"));
            let _ = verifier.verify_access_sync(&valid);
            for token in &hostile {
                let result = tokio::time::timeout(bounded, verifier.verify_any(token))
                    .await
                    .unwrap_or_else(|_| panic!("{name}: a verification hung"));
                assert!(result.is_err(), "{name}: a hostile token passed");
                assert!(verifier.verify_any_sync(token).is_err(), "{name}");
            }
        }
    }
    assert!(
        built > 40 && refused > 20,
        "built {built}, refused {refused}"
    );
}

/// The ManualClock's current reading, through the public `Clock` trait.
trait NowForTest {
    fn now_for_test(&self) -> Duration;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> Duration {
        cognito_verifier::Clock::now(self)
    }
}
