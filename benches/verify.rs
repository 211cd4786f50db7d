//! Where the time of a verification goes, against the physical limit (the RSA verify itself).
//!
//! `cargo bench --bench verify` runs everything; `cargo bench --bench verify -- --test` runs each
//! bench once (CI does this). Compare ratios taken in one run: this machine is noisy.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    BoxFuture, CognitoVerifier, FetchedJwks, JwksError, JwksFetcher, RevocationList,
    TokenCacheConfig, TokenUse, internals,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;

const CLIENT: &str = "3u4p8bench1client0000000000";

/// A JWKS held in memory, as a preloaded or cold-start source would be.
#[derive(Debug, Clone)]
struct InMemory(String);

impl JwksFetcher for InMemory {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>> {
        Box::pin(async move { Ok(FetchedJwks::new(self.0.clone().into_bytes())) })
    }
}

struct Fixture {
    rt: Runtime,
    // Kept alive: its JWKS server and keys.
    issuer: TestIssuer,
    verifier: CognitoVerifier,
    access: String,
    id: String,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let issuer = rt.block_on(TestIssuer::start()).unwrap();
        let verifier = issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Any)
            .jwks(issuer.jwks_json())
            .build()
            .unwrap();
        // Shaped like real Cognito tokens: an access token of ~0.9 KB, an ID token of ~1.1 KB.
        let access = issuer
            .access_token(CLIENT)
            .groups(["admins", "eu-west-1_Bench_Google"])
            .scopes([
                "aws.cognito.signin.user.admin",
                "openid",
                "profile",
                "orders/read",
            ])
            .claim(
                "device_key",
                "eu-west-1_2d1e5c0a-7b1f-4a9d-9c1e-5a0b7c3d2e1f",
            )
            .sign();
        let id = issuer
            .id_token(CLIENT)
            .groups(["admins"])
            .claim("custom:tenant", "acme-corporation")
            .claim("custom:plan", "enterprise")
            .claim("phone_number", "+15555550100")
            .claim("phone_number_verified", false)
            .claim("at_hash", "VkM3aG9tZS1yZWFsLWF0LWhhc2g")
            .sign();
        if let Some(dir) = std::env::var_os("COMPARE_FIXTURE_DIR") {
            // benches/compare/run.sh verifies this same token with other libraries.
            let fixture = serde_json::json!({
                "token": access,
                "jwks": serde_json::from_str::<serde_json::Value>(&issuer.jwks_json()).unwrap(),
                "user_pool_id": issuer.pool_id().as_str(),
                "issuer": issuer.issuer(),
                "client_id": CLIENT,
            });
            let path = std::path::Path::new(&dir).join("fixture.json");
            std::fs::write(path, fixture.to_string()).unwrap();
        }
        let jwks: serde_json::Value = serde_json::from_str(&issuer.jwks_json()).unwrap();
        let key = &jwks["keys"][0];
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
        Self {
            rt,
            issuer,
            verifier,
            access,
            id,
            n,
            e,
        }
    }

    fn signing_input_and_signature(&self) -> (Vec<u8>, Vec<u8>) {
        let dot = self.access.rfind('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(&self.access[dot + 1..]).unwrap();
        (self.access.as_bytes()[..dot].to_vec(), sig)
    }
}

fn baseline(c: &mut Criterion, f: &Fixture) {
    let (message, sig) = f.signing_input_and_signature();
    let components = RsaPublicKeyComponents { n: &f.n, e: &f.e };
    let parsed = components
        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
        .unwrap();
    let mut g = c.benchmark_group("raw_rsa");
    g.bench_function("parsed_key", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(&message), black_box(&sig))
                .unwrap();
        });
    });
    g.bench_function("key_rebuilt_per_call", |b| {
        b.iter(|| {
            components
                .verify(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    black_box(&message),
                    black_box(&sig),
                )
                .unwrap();
        });
    });
    g.finish();
}

fn ours(c: &mut Criterion, f: &Fixture) {
    c.bench_function("parse_only", |b| {
        b.iter(|| internals::parse(black_box(&f.access)).unwrap());
    });
    c.bench_function("non_crypto", |b| {
        b.iter(|| {
            internals::check_access_without_signature(&f.verifier, black_box(&f.access)).unwrap();
        });
    });
    c.bench_function("non_crypto_typed", |b| {
        b.iter(|| {
            internals::verify_access_without_signature(&f.verifier, black_box(&f.access)).unwrap()
        });
    });
    c.bench_function("verify_warm_access", |b| {
        b.iter(|| f.verifier.verify_access_sync(black_box(&f.access)).unwrap());
    });
    c.bench_function("verify_warm_access_async", |b| {
        b.iter(|| {
            f.rt.block_on(f.verifier.verify_access(black_box(&f.access)))
                .unwrap()
        });
    });
    c.bench_function("verify_warm_id", |b| {
        b.iter(|| f.verifier.verify_id_sync(black_box(&f.id)).unwrap());
    });
    let cached = f
        .issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .jwks(f.issuer.jwks_json())
        .token_cache(TokenCacheConfig::default())
        .build()
        .unwrap();
    cached.verify_access_sync(&f.access).unwrap();
    c.bench_function("cached_token_hit", |b| {
        b.iter(|| cached.verify_access_sync(black_box(&f.access)).unwrap());
    });
    // Resource binding and revocation: the same token bound to a resource, checked against
    // a revocation list of 10,000 other sessions.
    let revoked = RevocationList::new();
    for i in 0..10_000 {
        revoked.revoke(&format!("revoked-session-{i}")).unwrap();
    }
    let bound_verifier = f
        .issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .jwks(f.issuer.jwks_json())
        .resources(["https://orders.example.com"])
        .revocations(revoked)
        .build()
        .unwrap();
    let bound = f
        .issuer
        .access_token(CLIENT)
        .groups(["admins", "eu-west-1_Bench_Google"])
        .scopes([
            "aws.cognito.signin.user.admin",
            "openid",
            "profile",
            "orders/read",
        ])
        .claim("aud", "https://orders.example.com")
        .sign();
    c.bench_function("non_crypto_bound_revocations", |b| {
        b.iter(|| {
            internals::check_access_without_signature(&bound_verifier, black_box(&bound)).unwrap();
        });
    });
    c.bench_function("verify_warm_access_bound_revocations", |b| {
        b.iter(|| {
            bound_verifier
                .verify_access_sync(black_box(&bound))
                .unwrap()
        });
    });
    let jwks = f.issuer.jwks_json();
    c.bench_function("verify_cold", |b| {
        b.iter_batched(
            || {
                f.issuer
                    .verifier_builder(CLIENT)
                    .token_use(TokenUse::Any)
                    .fetcher(InMemory(jwks.clone()))
                    .build()
                    .unwrap()
            },
            |v| {
                f.rt.block_on(v.verify_access(black_box(&f.access)))
                    .unwrap()
            },
            BatchSize::SmallInput,
        );
    });
}

fn rejected(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("verify_rejected");
    let malformed = "eyJhbGciOiJSUzI1NiJ9.not-base64!.sig";
    g.bench_function("malformed", |b| {
        b.iter(|| {
            f.verifier
                .verify_access_sync(black_box(malformed))
                .unwrap_err()
        });
    });
    let alg_none = f.issuer.access_token(CLIENT).header("alg", "none").sign();
    g.bench_function("alg_none", |b| {
        b.iter(|| {
            f.verifier
                .verify_access_sync(black_box(&alg_none))
                .unwrap_err()
        });
    });
    // A verifier whose refetches are cooling down after a kid that was not in the fresh set.
    let cooling = f
        .issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .fetcher(InMemory(f.issuer.jwks_json()))
        .build()
        .unwrap();
    let unknown = f
        .issuer
        .access_token(CLIENT)
        .header("kid", "no-such-kid")
        .sign();
    f.rt.block_on(cooling.verify_access(&unknown)).unwrap_err();
    g.bench_function("kid_in_cooldown", |b| {
        b.iter(|| {
            f.rt.block_on(cooling.verify_access(black_box(&unknown)))
                .unwrap_err()
        });
    });
    let expired = f.issuer.access_token(CLIENT).expired().sign();
    g.bench_function("expired", |b| {
        b.iter(|| {
            f.verifier
                .verify_access_sync(black_box(&expired))
                .unwrap_err()
        });
    });
    g.finish();
}

fn peers(c: &mut Criterion, f: &Fixture) {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let key = DecodingKey::from_rsa_raw_components(&f.n, &f.e);
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[f.issuer.issuer()]);
    validation.validate_aud = false;
    let mut g = c.benchmark_group("peer");
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&f.access), &key, &validation)
                .unwrap()
        });
    });
    g.finish();
}

/// Total wall time of `iters` verifications split over `threads` threads.
fn timed_on_threads(f: &Fixture, iters: u64, threads: u64) -> Duration {
    let per_thread = iters / threads;
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    f.verifier.verify_access_sync(black_box(&f.access)).unwrap();
                }
            });
        }
    });
    start.elapsed()
}

fn throughput(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("throughput");
    for threads in [1, 2] {
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter_custom(|iters| timed_on_threads(f, iters.max(threads), threads));
        });
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    let f = Fixture::new();
    baseline(c, &f);
    ours(c, &f);
    rejected(c, &f);
    peers(c, &f);
    throughput(c, &f);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = all
}
criterion_main!(benches);
