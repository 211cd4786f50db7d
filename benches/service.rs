//! Service-level cost of authentication: the same route on 127.0.0.1, served without auth, with
//! a bare RSA check in the handler (the floor any verifying server pays), with our verifier
//! called from the handler, behind our tower layer, behind the layer with the verified-token
//! cache, and in actix-web behind our middleware, each driven by one load generator (one thread,
//! 16 keep-alive connections, the same token). Prints requests per second, p50/p99 latency, the
//! ratio to no auth, and each server's CPU time per request (see BENCHMARKS.md).
//!
//! Every server runs in a child process of its own (this binary with `--serve <mode> …`, two
//! tokio worker threads like the peer), so that its CPU time (user + system, from
//! `/proc/<pid>/stat`) is measured apart from the load generator's. On a machine whose cores the
//! load generator shares, throughput mixes both processes' costs; CPU time per request is the
//! server's own, and differences between rows are the costs of what they do differently.
//!
//! `cargo bench --bench service` (15 rounds of 1 s per server, round-robin, the median round
//! reported); `-- --test` (CI) runs 200 requests each. `SERVICE_BENCH_ONLY=<text>[,<text>…]`
//! runs only the servers whose name contains one of the texts (to profile one under
//! `perf record -p <pid of its --serve child>`, or to compare two); `SERVICE_BENCH_ROUNDS=<n>`
//! sets the number of rounds. `benches/service/run.sh` also builds the jwt-authorizer 0.15 peer
//! (axum 0.7, its own binary in `benches/service/jwt-authorizer/`) and passes it in
//! `JWT_AUTHORIZER_PEER`, which adds its row. `SERVICE_BENCH_BASELINE=<path>` takes the
//! service bench binary of another build (`cargo bench --bench service --no-run` prints it)
//! and runs that build's servers too, as "… (baseline)" rows in the same rounds: an A/B of a
//! change, with the same load generator.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use base64::Engine as _;
use cognito_verifier::axum::{Claims, CognitoAuthLayer};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{AccessClaims, CognitoVerifier, TokenCacheConfig, TokenUse};

const PEER: &str = "axum 0.7 + jwt-authorizer 0.15";
const CLIENT: &str = "3u4p8bench1client0000000000";
const CONNECTIONS: usize = 16;
/// Rounds per server (each `ROUND` long), run round-robin: short rounds, many of them, so that
/// the rounds compared with each other ran close together in time.
const ROUNDS: usize = 15;
const ROUND: Duration = Duration::from_secs(1);

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

/// The servers, each run in a child process of its own (this binary, `--serve <mode> …`), so
/// that its CPU time can be read apart from the load generator's.
const MODES: [(&str, &str); 6] = [
    ("none", "axum, no auth"),
    ("rsa", "axum, bare RSA check in the handler (the floor)"),
    ("handler", "axum, verify_access in the handler (no layer)"),
    ("layer", "axum + CognitoAuthLayer"),
    ("cache", "axum + CognitoAuthLayer + token cache"),
    ("actix", "actix-web + CognitoAuthLayer (2 workers)"),
];

/// Child process: serves `GET /hello` in `mode` on 127.0.0.1 with a verifier for the test
/// issuer (`pool`, `issuer`, `jwks_uri`), printing `listening on http://<address>` to stderr.
fn serve(mode: &str, pool: &str, issuer: &str, jwks_uri: &str, jwks: &str) {
    let verifier = |cache: bool| {
        let mut b = CognitoVerifier::builder(pool)
            .issuer(issuer)
            .jwks_uri(jwks_uri)
            .allow_insecure_http()
            .client_ids([CLIENT])
            .token_use(TokenUse::Access);
        if cache {
            b = b.token_cache(TokenCacheConfig::default());
        }
        b.build().unwrap()
    };
    if mode == "actix" {
        serve_actix(verifier(false));
        return;
    }
    let app = match mode {
        "none" => Router::new().route("/hello", get(hello)),
        "rsa" => {
            let key = Arc::new(BareKey::from_jwks(jwks));
            Router::new().route(
                "/hello",
                get(move |r: Request| bare_rsa(Arc::clone(&key), r)),
            )
        }
        "handler" => {
            let verifier = verifier(false);
            Router::new().route(
                "/hello",
                get(move |r: Request| verify_in_handler(verifier.clone(), r)),
            )
        }
        "layer" | "cache" => Router::new().route(
            "/hello",
            get(hello_claims).route_layer(CognitoAuthLayer::new(verifier(mode == "cache"))),
        ),
        other => panic!("unknown mode {other}"),
    };
    // Two worker threads, like the jwt-authorizer peer.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            eprintln!("listening on http://{}", listener.local_addr().unwrap());
            axum::serve(listener, app).await.unwrap();
        });
}

/// The token's bearer value, as the handlers below read it (from the whole request, taken by
/// value: a `HeaderMap` extractor would clone the headers).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The least any server that checks the token's RS256 signature does: base64 decoding of the
/// signature and one RSA verification with a key parsed once (no claims, no key lookup, no
/// policy). No JWT library can cost less than this per request; it bounds what any of them
/// can gain over another.
struct BareKey(aws_lc_rs::signature::ParsedPublicKey);

impl BareKey {
    fn from_jwks(jwks: &str) -> Self {
        let jwks: serde_json::Value = serde_json::from_str(jwks).unwrap();
        let part = |name: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwks["keys"][0][name].as_str().unwrap())
                .unwrap()
        };
        let (n, e) = (part("n"), part("e"));
        Self(
            aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
                .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)
                .unwrap(),
        )
    }
}

#[allow(clippy::unused_async)] // an axum handler
async fn bare_rsa(key: Arc<BareKey>, request: Request) -> Result<String, StatusCode> {
    let token = bearer(request.headers()).ok_or(StatusCode::UNAUTHORIZED)?;
    let (message, signature) = token.rsplit_once('.').ok_or(StatusCode::UNAUTHORIZED)?;
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    key.0
        .verify_sig(message.as_bytes(), &signature)
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    Ok(format!(
        "hello {}",
        std::hint::black_box("d4b8a4c2-9e61-4f4b-8f0e-3c2a1b0d9e8f")
    ))
}

/// One warm verification per request, called from the handler: the layer's own cost is the
/// difference between this server and the one behind the layer.
async fn verify_in_handler(
    verifier: CognitoVerifier,
    request: Request,
) -> Result<String, StatusCode> {
    let token = bearer(request.headers()).ok_or(StatusCode::UNAUTHORIZED)?;
    let claims = verifier
        .verify_access(token)
        .await
        .map_err(|_| StatusCode::UNAUTHORIZED)?;
    Ok(format!("hello {}", claims.sub))
}

/// actix-web with two workers (each its own single-threaded runtime).
fn serve_actix(verifier: CognitoVerifier) {
    use cognito_verifier::actix::{Claims as ActixClaims, CognitoAuthLayer};
    actix_web::rt::System::new().block_on(async move {
        async fn handler(ActixClaims(c): ActixClaims<AccessClaims>) -> String {
            format!("hello {}", c.sub)
        }
        let auth = CognitoAuthLayer::new(verifier);
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new().service(
                actix_web::web::scope("/hello")
                    .wrap(auth.clone())
                    .route("", actix_web::web::get().to(handler)),
            )
        })
        .workers(2)
        .bind("127.0.0.1:0")
        .unwrap();
        eprintln!("listening on http://{}", server.addrs().first().unwrap());
        server.run().await.unwrap();
    });
}

/// A server in a child process: its address, and the child (killed on drop).
struct Server {
    name: String,
    address: String,
    child: KillOnDrop,
}

impl Server {
    /// Starts `command`, which prints `listening on http://<address>` to stderr.
    fn start(name: &str, mut command: std::process::Command) -> Self {
        use std::io::BufRead as _;
        let mut child = command
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Drain its stderr for as long as it runs (a full pipe would stall it), passing it on.
        let label = name.to_owned();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                match line.strip_prefix("listening on http://") {
                    Some(address) => drop(tx.send(address.to_owned())),
                    None => eprintln!("{label}: {line}"),
                }
            }
        });
        let address = rx.recv().unwrap();
        Self {
            name: name.to_owned(),
            address,
            child: KillOnDrop(child),
        }
    }

    /// The CPU time the server process has used so far: the sum over its threads of the time
    /// the scheduler ran them (`/proc/<pid>/task/*/schedstat`, in nanoseconds), or, where that
    /// cannot be read, user + system time from `/proc/<pid>/stat` (in 10 ms ticks).
    fn cpu(&self) -> Option<Duration> {
        let pid = self.child.0.id();
        let threads = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
        let mut total = 0_u64;
        for thread in threads {
            let path = thread.ok()?.path().join("schedstat");
            let Some(ns) = std::fs::read_to_string(path)
                .ok()
                .and_then(|t| t.split(' ').next()?.parse::<u64>().ok())
            else {
                return self.cpu_ticks();
            };
            total = total.saturating_add(ns);
        }
        Some(Duration::from_nanos(total))
    }

    fn cpu_ticks(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.0.id())).ok()?;
        // Fields after the command name (which is in parentheses and may hold spaces);
        // utime and stime are the 14th and 15th fields of the line.
        let rest = stat.get(stat.rfind(')')? + 2..)?;
        let mut fields = rest.split(' ').skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(Duration::from_millis(
            utime.saturating_add(stime).saturating_mul(10),
        ))
    }
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
    /// The server's CPU time per request over the round, when it could be read.
    cpu: Option<Duration>,
}

/// Drives `GET /hello` on `server` from `CONNECTIONS` connections for `length` (or `count`
/// requests in all when set).
async fn drive(server: &Server, token: &str, length: Duration, count: Option<usize>) -> Load {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let url = format!("http://{}/hello", server.address);
    let auth = format!("Bearer {token}");
    // Warm up: connections open, keys fetched.
    for _ in 0..CONNECTIONS {
        let r = client
            .get(&url)
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", server.name);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let per_task = count.map(|c| c / CONNECTIONS);
    let cpu_before = server.cpu();
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
    let cpu = cpu_before
        .zip(server.cpu())
        .and_then(|(before, after)| after.checked_sub(before))
        .and_then(|used| used.checked_div(u32::try_from(all.len()).ok()?));
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
        cpu,
    }
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        let arg = |n: usize| args.get(i + n).map(String::as_str).unwrap();
        serve(arg(1), arg(2), arg(3), arg(4), arg(5));
        return;
    }
    let quick = args.iter().any(|a| a == "--test");
    let (length, count) = if quick {
        (Duration::ZERO, Some(200))
    } else {
        (ROUND, None)
    };
    // The load generator: one thread, so that it leaves the other core to the server.
    let runtime = tokio::runtime::Builder::new_current_thread()
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
        // `SERVICE_BENCH_ONLY=<text>[,<text>…]` keeps the servers whose name contains one of
        // the texts (to profile one server, or to compare two over more rounds).
        let only = std::env::var("SERVICE_BENCH_ONLY").ok();
        let wanted = |name: &str| {
            only.as_ref()
                .is_none_or(|o| o.split(',').any(|o| name.contains(o)))
        };
        let serve = |binary: &std::path::Path, mode: &str| {
            let mut command = std::process::Command::new(binary);
            command
                .args(["--serve", mode, issuer.pool_id().as_str(), issuer.issuer()])
                .arg(issuer.jwks_uri())
                .arg(issuer.jwks_json());
            command
        };
        let this = std::env::current_exe().unwrap();
        // `SERVICE_BENCH_BASELINE=<the service bench binary of another build>` also runs that
        // build's servers (named "… (baseline)") in the same rounds: an A/B of a change.
        let baseline = std::env::var_os("SERVICE_BENCH_BASELINE").map(std::path::PathBuf::from);
        let mut servers = Vec::new();
        for (mode, name) in MODES {
            if wanted(name) {
                servers.push(Server::start(name, serve(&this, mode)));
                if let Some(binary) = &baseline {
                    let name = format!("{name} (baseline)");
                    servers.push(Server::start(&name, serve(binary, mode)));
                }
            }
        }
        let jwks_server = wiremock::MockServer::start().await;
        if let Ok(binary) = std::env::var("JWT_AUTHORIZER_PEER")
            && wanted(PEER)
        {
            // The peer serves its key set from wiremock: jwt-authorizer 0.15 fails on the test
            // issuer's endpoint ("error decoding response body") and reads the same set here.
            wiremock::Mock::given(wiremock::matchers::method("GET"))
                .respond_with(
                    wiremock::ResponseTemplate::new(200)
                        .insert_header("content-type", "application/json")
                        .set_body_string(issuer.jwks_json()),
                )
                .mount(&jwks_server)
                .await;
            let mut command = std::process::Command::new(binary);
            command.arg(format!("{}/jwks.json", jwks_server.uri()));
            // Beside the row it is compared with.
            let at = servers
                .iter()
                .position(|s| s.name == "axum + CognitoAuthLayer")
                .map_or(servers.len(), |i| i + 1);
            servers.insert(at, Server::start(PEER, command));
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
            for (server, result) in servers.iter().zip(&mut results) {
                result.push(drive(server, &token, length, count).await);
            }
        }
        report(&servers, &results, rounds);
        if !quick {
            goals(&servers, &results);
        }
    });
}

/// The median of `values` (sorted in place); zero when empty.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Prints the table: each server's median round, its median per-round throughput ratio to no
/// auth, and its CPU time per request with its cost over no auth's.
fn report(servers: &[Server], results: &[Vec<Load>], rounds: usize) {
    // Each round's throughput over the same round's no-auth throughput: the machine's slow
    // and fast spells cancel out of the ratio, so its median is steadier than a ratio of
    // medians.
    let baseline: Option<&Vec<Load>> = servers
        .iter()
        .zip(results)
        .find(|(server, _)| server.name.contains("no auth"))
        .map(|(_, loads)| loads);
    let cpu_micros = |l: &Load| l.cpu.map(|c| c.as_secs_f64() * 1e6);
    let base_cpu =
        baseline.map(|b| median(&mut b.iter().filter_map(cpu_micros).collect::<Vec<_>>()));
    println!(
        "| server (GET /hello, {CONNECTIONS} connections, one load generator, median of {rounds} rounds) | req/s | p50 | p99 | × no auth | server CPU / request | over no auth |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (server, loads) in servers.iter().zip(results) {
        let ratio = baseline.map_or_else(
            || "–".to_owned(),
            |base| {
                let mut r: Vec<f64> = loads.iter().zip(base).map(|(l, b)| l.rps / b.rps).collect();
                format!("{:.2}", median(&mut r))
            },
        );
        let mut cpus: Vec<f64> = loads.iter().filter_map(cpu_micros).collect();
        let (cpu, over) = if cpus.is_empty() {
            ("–".to_owned(), "–".to_owned())
        } else {
            let cpu = median(&mut cpus);
            let over = base_cpu.map_or_else(|| "–".to_owned(), |b| format!("{:+.1} µs", cpu - b));
            (format!("{cpu:.1} µs"), over)
        };
        let mut by_rps: Vec<&Load> = loads.iter().collect();
        by_rps.sort_by(|a, b| a.rps.total_cmp(&b.rps));
        let load = by_rps.get(by_rps.len() / 2).unwrap();
        println!(
            "| {} | {:.0} | {} | {} | {ratio} | {cpu} | {over} |",
            server.name,
            load.rps,
            micros(load.p50),
            micros(load.p99)
        );
    }
}

/// The three goals, each as the median over rounds of a comparison made within the
/// round (the machine's speed drifts between rounds; within one, every server meets the same).
fn goals(servers: &[Server], results: &[Vec<Load>]) {
    let rows = |name: &str| {
        servers
            .iter()
            .zip(results)
            .find(|(s, _)| s.name == name)
            .map(|(_, loads)| loads)
    };
    // The median over rounds of `f(a's round, b's round)`, when both ran and `f` could tell.
    let per_round = |a: &str, b: &str, f: &dyn Fn(&Load, &Load) -> Option<f64>| {
        let (a, b) = (rows(a)?, rows(b)?);
        let mut v: Vec<f64> = a.iter().zip(b).filter_map(|(x, y)| f(x, y)).collect();
        (!v.is_empty()).then(|| median(&mut v))
    };
    let cpu = |l: &Load| l.cpu.map(|c| c.as_secs_f64() * 1e6);
    let throughput = |x: &Load, y: &Load| Some(x.rps / y.rps);
    let capacity = |x: &Load, y: &Load| Some(cpu(y)? / cpu(x)?);
    let extra = |x: &Load, y: &Load| Some(cpu(x)? - cpu(y)?);
    let (none, handler, layer, cache) = (MODES[0].1, MODES[2].1, MODES[3].1, MODES[4].1);
    let floor = MODES[1].1;
    println!();
    if let Some(us) = per_round(layer, handler, &extra) {
        println!(
            "- layer's own cost (CPU per request, layer − verify_access in the handler): {us:+.1} µs (goal: at most +2 µs)"
        );
    }
    if let (Some(t), Some(c)) = (
        per_round(cache, none, &throughput),
        per_round(cache, none, &capacity),
    ) {
        println!(
            "- token cache / no auth: throughput {t:.2}, CPU capacity {c:.2} (goal: at least 0.90)"
        );
    }
    for row in [layer, floor] {
        if let (Some(t), Some(c)) = (
            per_round(row, PEER, &throughput),
            per_round(row, PEER, &capacity),
        ) {
            println!(
                "- {row} / jwt-authorizer: throughput {t:.2}, CPU capacity {c:.2} (goal for the layer: at least 1.30)"
            );
        }
    }
}
