//! The shipped binary, run as Lambda runs it: a small Runtime API server on 127.0.0.1
//! (`AWS_LAMBDA_RUNTIME_API`) hands it API Gateway's documented events one by one and records
//! what it posts back (`/response` or `/error`), over HTTP/1.1 keep-alive as Lambda does.
//!
//! `AUTHORIZER_BIN` points the tests at another build of the binary: `scripts/build-lambda`
//! runs them against the `bootstrap` it produced for Amazon Linux 2023.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::VecDeque;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cognito_verifier::testkit::TestIssuer;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const CLIENT: &str = "orders-app";

/// The binary under test: `AUTHORIZER_BIN` if set, else the one cargo built for this test.
fn binary() -> std::ffi::OsString {
    std::env::var_os("AUTHORIZER_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_cognito-lambda-authorizer").into())
}

/// What the function posted for one invocation.
#[derive(Debug, Clone)]
enum Posted {
    Response(Value),
    Error { error_type: String, message: String },
}

#[derive(Default)]
struct Runtime {
    queue: Mutex<VecDeque<(String, String)>>,
    posted: Mutex<Vec<(String, Posted)>>,
    init_error: Mutex<Option<String>>,
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some((method, path, body))
}

async fn connection(stream: TcpStream, runtime: Arc<Runtime>) {
    let mut reader = BufReader::new(stream);
    while let Some((method, path, body)) = read_request(&mut reader).await {
        let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            // Long poll: wait for the next event (forever once the queue is empty).
            let (id, event) = loop {
                if let Some(next) = runtime.queue.lock().unwrap().pop_front() {
                    break next;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 3000;
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: {id}\r\nlambda-runtime-deadline-ms: {deadline}\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:eu-west-1:123456789012:function:authorizer\r\nlambda-runtime-trace-id: Root=1-5e1b4151-5ac6c58f3a4a3e8e6e0a7c1b\r\ncontent-length: {}\r\n\r\n{event}",
                event.len()
            )
        } else if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
            let (id, kind) = rest.split_once('/').unwrap();
            let posted = if kind == "response" {
                Posted::Response(serde_json::from_slice(&body).unwrap())
            } else {
                let v: Value = serde_json::from_slice(&body).unwrap();
                Posted::Error {
                    error_type: v["errorType"].as_str().unwrap_or_default().to_owned(),
                    message: v["errorMessage"].as_str().unwrap_or_default().to_owned(),
                }
            };
            runtime.posted.lock().unwrap().push((id.to_owned(), posted));
            "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}".to_owned()
        } else if path.ends_with("/runtime/init/error") {
            *runtime.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
            "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}".to_owned()
        } else {
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned()
        };
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

struct Function {
    child: Child,
    runtime: Arc<Runtime>,
    /// The function's stdout, line by line (its JSON log).
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Function {
    /// Starts the built binary against a fresh Runtime API, with `env` on top of the basics.
    async fn start(env: &[(&str, &str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let runtime = Arc::new(Runtime::default());
        let served = Arc::clone(&runtime);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, Arc::clone(&served)));
            }
        });
        let child = Command::new(binary())
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = child;
        let stdout = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                lines.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            runtime,
            log,
        }
    }

    /// Queues `event` and waits for what the function posts for it.
    async fn invoke(&self, id: &str, event: String) -> Posted {
        self.runtime
            .queue
            .lock()
            .unwrap()
            .push_back((id.to_owned(), event));
        let started = Instant::now();
        loop {
            if let Some((_, posted)) = self
                .runtime
                .posted
                .lock()
                .unwrap()
                .iter()
                .find(|(i, _)| i == id)
            {
                return posted.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no answer for {id}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn event(file: &str, token: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/apigw/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .replace("@TOKEN@", token)
}

/// The issuer's key set in a file, as bundled with the function.
fn jwks_file(issuer: &TestIssuer, name: &str) -> String {
    let path = std::env::temp_dir().join(format!("cla-{}-{name}.json", std::process::id()));
    std::fs::write(&path, issuer.jwks_json()).unwrap();
    path.to_string_lossy().into_owned()
}

fn response(posted: &Posted) -> &Value {
    match posted {
        Posted::Response(v) => v,
        Posted::Error { .. } => panic!("expected a response, got {posted:?}"),
    }
}

fn unauthorized(posted: &Posted) {
    match posted {
        Posted::Error {
            error_type,
            message,
        } => {
            assert_eq!(
                (error_type.as_str(), message.as_str()),
                ("Unauthorized", "Unauthorized")
            );
        }
        Posted::Response(v) => panic!("expected Unauthorized, got {v}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_token_through_the_runtime_api() {
    let issuer = TestIssuer::start().await.unwrap();
    let jwks = jwks_file(&issuer, "token");
    let f = Function::start(&[
        ("USER_POOL_ID", issuer.pool_id().as_str()),
        ("CLIENT_IDS", CLIENT),
        ("JWKS_FILE", &jwks),
        ("JWKS_FILE_MODE", "static"),
        ("PRINCIPAL_CLAIM", "username"),
    ])
    .await;
    let token = issuer.access_token(CLIENT).username("alice").sign();
    let allowed = f.invoke("1", event("rest_token.json", &token)).await;
    let allowed = response(&allowed);
    assert_eq!(allowed["principalId"], "alice");
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert!(allowed.get("usageIdentifierKey").is_none(), "{allowed}");
    // Bad tokens: the Unauthorized error (API Gateway's 401), and the process goes on.
    unauthorized(
        &f.invoke(
            "2",
            event(
                "rest_token.json",
                &issuer.access_token(CLIENT).expired().sign(),
            ),
        )
        .await,
    );
    unauthorized(&f.invoke("3", event("rest_token.json", "")).await);
    unauthorized(
        &f.invoke("4", event("rest_token.json", &"a".repeat(100_000)))
            .await,
    );
    // A machine-to-machine token without username: allowed under its sub.
    let m2m = issuer
        .access_token(CLIENT)
        .subject("m2m-sub")
        .without_claim("username")
        .sign();
    assert_eq!(
        response(&f.invoke("5", event("rest_token.json", &m2m)).await)["principalId"],
        "m2m-sub"
    );
    // An event this authorizer is never sent (a misconfigured deployment): a fault for that
    // invocation only, never a verdict on a token.
    match f.invoke("6", r#"{"type": 7}"#.to_owned()).await {
        Posted::Error { error_type, .. } => assert_eq!(error_type, "BadEvent"),
        Posted::Response(v) => panic!("a bad event got a response: {v}"),
    }
    let again = f.invoke("7", event("rest_token.json", &token)).await;
    assert_eq!(response(&again)["principalId"], "alice");
    assert_eq!(issuer.jwks_requests(), 0, "the bundled key set was enough");
    // One JSON line per refusal, with its kind and the pool's issuer; never a token.
    let log = f.log.lock().unwrap().clone();
    let refusals: Vec<Value> = log
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request refused")
        .collect();
    let kinds: Vec<&str> = refusals
        .iter()
        .map(|v| v["fields"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["expired", "malformed", "malformed"], "{log:?}");
    // A refusal is not a fault: our INFO line only, no ERROR (from lambda_runtime or ours),
    // so an alarm on errors does not fire on every 401.
    assert!(refusals.iter().all(|v| v["level"] == "INFO"), "{log:?}");
    let errors: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(
        errors.iter().all(|l| !l.contains("Unauthorized")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|l| l.contains("BadEvent")),
        "the bad event is a fault: {log:?}"
    );
    assert!(
        refusals
            .iter()
            .all(|v| v["fields"]["issuer"] == issuer.issuer())
    );
    assert!(
        log.iter().all(|l| !l.contains(&token[..40])),
        "a token was logged"
    );
    let _ = std::fs::remove_file(jwks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_request_and_http_api_through_the_runtime_api() {
    let issuer = TestIssuer::start().await.unwrap();
    let jwks = jwks_file(&issuer, "request");
    let token = issuer.id_token(CLIENT).sign();
    let expired = issuer.id_token(CLIENT).expired().sign();
    let base = [
        ("USER_POOL_ID", issuer.pool_id().as_str()),
        ("CLIENT_IDS", CLIENT),
        ("JWKS_FILE", jwks.as_str()),
        ("JWKS_FILE_MODE", "refresh"),
        ("TOKEN_USE", "id"),
    ];

    let with = |extra: &[(&'static str, &'static str)]| {
        let mut env = base.to_vec();
        env.extend_from_slice(extra);
        env
    };
    let f = Function::start(&with(&[
        ("AUTHORIZER_TYPE", "rest-request"),
        ("TOKEN_HEADER", "X-Auth-Token"),
    ]))
    .await;
    let allowed = f.invoke("r1", event("rest_request.json", &token)).await;
    assert_eq!(
        response(&allowed)["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
    unauthorized(&f.invoke("r2", event("rest_request.json", &expired)).await);
    drop(f);

    let f = Function::start(&with(&[("AUTHORIZER_TYPE", "http-simple")])).await;
    let allowed = f.invoke("s1", event("http_v2.json", &token)).await;
    assert_eq!(response(&allowed)["isAuthorized"], true);
    let denied = f.invoke("s2", event("http_v2.json", &expired)).await;
    let denied = response(&denied);
    assert_eq!(denied["isAuthorized"], false);
    assert!(denied.get("context").is_none(), "no null context: {denied}");
    drop(f);

    let f = Function::start(&with(&[("AUTHORIZER_TYPE", "http-iam")])).await;
    let allowed = f.invoke("i1", event("http_v2.json", &token)).await;
    assert_eq!(
        response(&allowed)["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
    let denied = f.invoke("i2", event("http_v2.json", &expired)).await;
    assert_eq!(
        response(&denied)["policyDocument"]["Statement"][0]["Effect"],
        "Deny"
    );
    let _ = std::fs::remove_file(jwks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verdict_never_outlives_the_invocation() {
    // A JWKS endpoint that accepts and never answers, and fetch limits longer than the
    // invocation: the invocation's deadline (3 s here) still bounds the verdict.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_uri = format!("http://{}/jwks.json", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let issuer = TestIssuer::start().await.unwrap();
    let started = Instant::now();
    let f = Function::start(&[
        ("USER_POOL_ID", issuer.pool_id().as_str()),
        ("CLIENT_IDS", CLIENT),
        ("JWKS_URI", &jwks_uri),
        ("FETCH_TIMEOUT_MS", "60000"),
        ("FETCH_DEADLINE_MS", "60000"),
    ])
    .await;
    let token = issuer.access_token(CLIENT).sign();
    let posted = f.invoke("d1", event("rest_token.json", &token)).await;
    match posted {
        Posted::Error { error_type, .. } => assert_eq!(error_type, "DeadlineExceeded"),
        Posted::Response(v) => panic!("expected DeadlineExceeded, got {v}"),
    }
    // A fault is an ERROR.
    let log = f.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.contains("\"level\":\"ERROR\"") && l.contains("DeadlineExceeded")),
        "{log:?}"
    );
    // Init waited at most 2 s for the first fetch, the invocation at most its 3 s.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

/// Runs the binary with `env` (later entries win) against a Runtime API nobody serves: only
/// its init can be observed.
fn init_only(env: &[(&str, &str)]) -> std::process::Output {
    Command::new(binary())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn bad_configuration_fails_the_init_at_once_with_its_reason() {
    // Lambda reports a process that exits during init (Runtime.ExitError) with its output.
    for (name, value) in [
        ("FETCH_TIMEOUT_MS", "0"),
        ("FETCH_DEADLINE_MS", "soon"),
        ("TOKEN_USE", "both"),
        ("RESOURCES", " , "),
        ("REQUIRED_GROUPS", ","),
        ("REQUIRED_SCOPES", " ,, "),
    ] {
        let started = Instant::now();
        let out = init_only(&[
            ("USER_POOL_ID", "eu-west-1_TestPool1"),
            ("CLIENT_IDS", CLIENT),
            (name, value),
        ]);
        assert!(!out.status.success(), "{name}={value} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // A bundled key set says how it is used: never a default.
    for mode in [None, Some("sometimes")] {
        let mut env = vec![
            ("USER_POOL_ID", "eu-west-1_TestPool1"),
            ("CLIENT_IDS", CLIENT),
            ("JWKS_FILE", "/nonexistent/jwks.json"),
        ];
        if let Some(mode) = mode {
            env.push(("JWKS_FILE_MODE", mode));
        }
        let out = init_only(&env);
        assert!(!out.status.success(), "{mode:?} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("JWKS_FILE_MODE"), "{mode:?}: {stderr}");
    }
    // A generic issuer takes its own settings, and only those.
    let generic = [
        ("ISSUER", "https://idp.example.com"),
        // Loopback, nothing listening: a check that failed to stop init would fetch here.
        ("JWKS_URI", "http://127.0.0.1:9/jwks.json"),
        ("AUDIENCES", "api"),
    ];
    for (name, change) in [
        ("AUDIENCES", ("AUDIENCES", "")),
        ("JWKS_URI", ("JWKS_URI", "")),
        ("CLIENT_IDS", ("CLIENT_IDS", CLIENT)),
        ("TOKEN_USE", ("TOKEN_USE", "id")),
        ("RESOURCES", ("RESOURCES", "https://orders.example.com")),
        ("ISSUER", ("USER_POOL_ID", "eu-west-1_TestPool1")),
    ] {
        let mut env = generic.to_vec();
        env.push(change);
        let out = init_only(&env);
        assert!(!out.status.success(), "{change:?} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "{change:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_bind_access_tokens_to_this_api() {
    let issuer = TestIssuer::start().await.unwrap();
    let jwks = jwks_file(&issuer, "resources");
    let f = Function::start(&[
        ("USER_POOL_ID", issuer.pool_id().as_str()),
        ("CLIENT_IDS", CLIENT),
        ("JWKS_FILE", &jwks),
        ("JWKS_FILE_MODE", "static"),
        ("RESOURCES", "https://orders.example.com, urn:orders"),
    ])
    .await;
    let bound = issuer
        .access_token(CLIENT)
        .claim("aud", "https://orders.example.com")
        .sign();
    let allowed = f.invoke("r1", event("rest_token.json", &bound)).await;
    assert_eq!(
        response(&allowed)["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
    let other_api = issuer
        .access_token(CLIENT)
        .claim("aud", "https://billing.example.com")
        .sign();
    unauthorized(&f.invoke("r2", event("rest_token.json", &other_api)).await);
    let unbound = issuer.access_token(CLIENT).sign();
    unauthorized(&f.invoke("r3", event("rest_token.json", &unbound)).await);
    let log = f.log.lock().unwrap().clone();
    let kinds: Vec<String> = log
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request refused")
        .map(|v| v["fields"]["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["wrong_audience", "missing_claim"], "{log:?}");
    let _ = std::fs::remove_file(jwks);
}

#[tokio::test]
async fn a_generic_issuer_from_the_environment() {
    let issuer = TestIssuer::start().await.unwrap();
    let jwks = jwks_file(&issuer, "generic");
    let jwks_uri = issuer.jwks_uri();
    let f = Function::start(&[
        ("ISSUER", issuer.issuer()),
        ("AUDIENCES", CLIENT),
        ("JWKS_URI", &jwks_uri),
        ("JWKS_FILE", &jwks),
        ("JWKS_FILE_MODE", "static"),
        ("PRINCIPAL_CLAIM", "username"),
    ])
    .await;
    let token = issuer.id_token(CLIENT).username("carol").sign();
    let allowed = f.invoke("g1", event("rest_token.json", &token)).await;
    let allowed = response(&allowed);
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(allowed["principalId"], "carol");
    let other = issuer.id_token("other-app").sign();
    unauthorized(&f.invoke("g2", event("rest_token.json", &other)).await);
    assert_eq!(issuer.jwks_requests(), 0, "the bundled key set was enough");
    let _ = std::fs::remove_file(jwks);
}
