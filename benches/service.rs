//! Service-level cost of authentication: the same route on 127.0.0.1, served without auth, behind
//! our tower layer, behind the layer with the verified-token cache, and in actix-web behind our
//! middleware, each driven by one load generator (16 keep-alive connections, the same token).
//! Prints requests per second and p50/p99 latency (see BENCHMARKS.md).
//!
//! `cargo bench --bench service` (7 rounds of 2 s per server, round-robin, the median round
//! reported); `-- --test` (CI) runs 200 requests each. `SERVICE_BENCH_ONLY=<text>[,<text>…]`
//! runs only the servers whose name contains one of the texts (to profile one under
//! `perf record`, or to compare two); `SERVICE_BENCH_ROUNDS=<n>` sets the number of rounds.
//! `benches/service/run.sh` also builds the jwt-authorizer 0.15 peer (axum 0.7, its own binary
//! in `benches/service/jwt-authorizer/`) and passes it in `JWT_AUTHORIZER_PEER`, which adds its
//! row.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{AccessClaims, CognitoVerifier, TokenCacheConfig, TokenUse};

const CLIENT: &str = "3u4p8bench1client0000000000";
const CONNECTIONS: usize = 16;
/// Rounds per server (each `ROUND` long), run round-robin.
const ROUNDS: usize = 7;
const ROUND: Duration = Duration::from_secs(2);

/// The same work as the authenticated handlers (one `format!`), so the difference is
/// authentication alone.
async fn hello() -> String {
    format!(
        "hello {}",
        std::hint::black_box("d4b8a4c2-9e61-4f4b-8f0e-3c2a1b0d9e8f")
    )
}

async fn hello_claims(Claims(c): Claims<AccessClaims>) -> String {
    format!("hello {}", c.sub)
}

async fn serve_axum(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// Starts actix-web on its own thread (its own runtime); returns the address.
fn serve_actix(verifier: CognitoVerifier) -> String {
    use cognito_verifier::actix::{Claims as ActixClaims, CognitoAuth};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            async fn handler(ActixClaims(c): ActixClaims<AccessClaims>) -> String {
                format!("hello {}", c.sub)
            }
            let auth = CognitoAuth::new(verifier);
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new().service(
                    actix_web::web::scope("/hello")
                        .wrap(auth.clone())
                        .route("", actix_web::web::get().to(handler)),
                )
            })
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
            tx.send(server.addrs().first().unwrap().to_string())
                .unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Starts the jwt-authorizer peer binary against `jwks_uri`; returns its address (and the child,
/// killed on drop).
fn serve_peer(binary: &str, jwks_uri: &str) -> (String, KillOnDrop) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(binary)
        .arg(jwks_uri)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Drain its stderr for as long as it runs (a full pipe would stall it), passing it on.
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            match line.strip_prefix("listening on http://") {
                Some(address) => drop(tx.send(address.to_owned())),
                None => eprintln!("peer: {line}"),
            }
        }
    });
    (rx.recv().unwrap(), KillOnDrop(child))
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Load {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

/// Drives `GET /hello` at `address` from `CONNECTIONS` connections for `length` (or `count`
/// requests in all when set).
async fn drive(address: &str, token: &str, length: Duration, count: Option<usize>) -> Load {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let url = format!("http://{address}/hello");
    let auth = format!("Bearer {token}");
    // Warm up: connections open, keys fetched.
    for _ in 0..CONNECTIONS {
        let r = client
            .get(&url)
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let per_task = count.map(|c| c / CONNECTIONS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, auth, stop) =
            (client.clone(), url.clone(), auth.clone(), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) && per_task.is_none_or(|n| latencies.len() < n) {
                let t = Instant::now();
                let r = client
                    .get(&url)
                    .header("authorization", &auth)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    if count.is_none() {
        tokio::time::sleep(length).await;
        stop.store(true, Ordering::Relaxed);
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    // The q-th quantile, q in per mille.
    let at = |per_mille: usize| {
        let i = all.len().saturating_sub(1) * per_mille / 1000;
        all.get(i).copied().unwrap_or_default()
    };
    Load {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: at(500),
        p99: at(990),
    }
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let (length, count) = if quick {
        (Duration::ZERO, Some(200))
    } else {
        (ROUND, None)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let issuer = TestIssuer::start().await.unwrap();
        let token = issuer
            .access_token(CLIENT)
            .groups(["users"])
            .scopes(["aws.cognito.signin.user.admin", "orders/read"])
            .sign();
        let verifier = |cache: bool| {
            let mut b = issuer.verifier_builder(CLIENT).token_use(TokenUse::Access);
            if cache {
                b = b.token_cache(TokenCacheConfig::default());
            }
            b.build().unwrap()
        };
        let mut servers = vec![
            (
                "axum, no auth",
                serve_axum(Router::new().route("/hello", get(hello))).await,
            ),
            (
                "axum + CognitoAuthLayer",
                serve_axum(Router::new().route(
                    "/hello",
                    get(hello_claims).route_layer(CognitoAuthLayer::new(verifier(false))),
                ))
                .await,
            ),
            (
                "axum + CognitoAuthLayer + token cache",
                serve_axum(Router::new().route(
                    "/hello",
                    get(hello_claims).route_layer(CognitoAuthLayer::new(verifier(true))),
                ))
                .await,
            ),
            (
                "actix-web + CognitoAuth (1 worker)",
                serve_actix(verifier(false)),
            ),
        ];
        let mut _peer = None;
        let jwks_server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .set_body_string(issuer.jwks_json()),
            )
            .mount(&jwks_server)
            .await;
        if let Ok(binary) = std::env::var("JWT_AUTHORIZER_PEER") {
            let uri = format!("{}/jwks.json", jwks_server.uri());
            let (address, child) = serve_peer(&binary, &uri);
            _peer = Some(child);
            servers.insert(2, ("axum 0.7 + jwt-authorizer 0.15", address));
        }
        // `SERVICE_BENCH_ONLY=<text>[,<text>…]` keeps the servers whose name contains one of
        // the texts (to profile one server, or to compare two over more rounds).
        if let Ok(only) = std::env::var("SERVICE_BENCH_ONLY") {
            servers.retain(|(name, _)| only.split(',').any(|o| name.contains(o)));
        }
        // Round-robin rounds, so that a slow spell of the machine falls on every server alike;
        // the median round's throughput is reported.
        let rounds = if quick {
            1
        } else {
            std::env::var("SERVICE_BENCH_ROUNDS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(ROUNDS)
        };
        let mut results: Vec<Vec<Load>> = servers.iter().map(|_| Vec::new()).collect();
        for _ in 0..rounds {
            for ((_, address), result) in servers.iter().zip(&mut results) {
                result.push(drive(address, &token, length, count).await);
            }
        }
        report(&servers, results, rounds);
    });
}

/// Prints the table: each server's median round, and its median per-round ratio to no auth.
fn report(servers: &[(&str, String)], results: Vec<Vec<Load>>, rounds: usize) {
    // Each round's throughput over the same round's no-auth throughput: the machine's slow
    // and fast spells cancel out of the ratio, so its median is steadier than a ratio of
    // medians.
    let baseline: Option<Vec<f64>> = servers
        .iter()
        .zip(&results)
        .find(|((name, _), _)| name.contains("no auth"))
        .map(|(_, loads)| loads.iter().map(|l| l.rps).collect());
    println!(
        "| server (GET /hello, {CONNECTIONS} connections, one load generator, median of {rounds} rounds) | req/s | p50 | p99 | × no auth |"
    );
    println!("|---|---:|---:|---:|---:|");
    for ((name, _), mut loads) in servers.iter().zip(results) {
        let ratio = baseline.as_ref().map_or_else(
            || "–".to_owned(),
            |base| {
                let mut r: Vec<f64> = loads.iter().zip(base).map(|(l, b)| l.rps / b).collect();
                r.sort_by(f64::total_cmp);
                format!("{:.2}", r.get(r.len() / 2).copied().unwrap_or_default())
            },
        );
        loads.sort_by(|a, b| a.rps.total_cmp(&b.rps));
        let load = loads.get(loads.len() / 2).unwrap();
        println!(
            "| {name} | {:.0} | {} | {} | {ratio} |",
            load.rps,
            micros(load.p50),
            micros(load.p99)
        );
    }
}
