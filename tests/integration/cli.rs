//! The `verify` example's contract: exit codes, stdout and stderr, as other tooling drives it.
//! `cargo test` builds examples before running tests; this test finds the binary next to its own.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use cognito_verifier::testkit::TestIssuer;

use crate::common::CLIENT;

fn verify_binary() -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop(); // the test binary
    dir.pop(); // deps/
    let bin = dir
        .join("examples")
        .join(format!("verify{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the whole suite with `cargo test`",
        bin.display()
    );
    bin
}

async fn run(args: Vec<String>, stdin: String) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(verify_binary())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // On a usage error the child may exit before reading stdin: a broken pipe is fine.
        let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn base_args(issuer: &TestIssuer) -> Vec<String> {
    vec![
        "--user-pool-id".to_owned(),
        issuer.pool_id().to_string(),
        "--jwks-uri".to_owned(),
        issuer.jwks_uri(),
    ]
}

fn with_client(issuer: &TestIssuer, extra: &[&str]) -> Vec<String> {
    let mut a = base_args(issuer);
    a.extend(["--client-id".to_owned(), CLIENT.to_owned()]);
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_prints_claims_of_an_accepted_token() {
    let issuer = TestIssuer::start().await.unwrap();
    let token = issuer.access_token(CLIENT).scopes(["a/b"]).sign();
    let args = with_client(&issuer, &["--token-use", "access"]);
    let out = run(args, format!("\n  {token}\n")).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["client_id"], CLIENT);
    assert_eq!(claims["scope"], "a/b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_names_the_error_kind_on_one_stderr_line() {
    let issuer = TestIssuer::start().await.unwrap();
    let cases = [
        (
            issuer.access_token(CLIENT).expired().sign(),
            vec![],
            "expired",
        ),
        (
            issuer.id_token(CLIENT).sign(),
            vec!["--token-use", "access"],
            "wrong_token_use",
        ),
        (
            issuer.access_token("other").sign(),
            vec![],
            "wrong_client_id",
        ),
        (issuer.id_token("other").sign(), vec![], "wrong_audience"),
        ("a.b".to_owned(), vec![], "malformed"),
        (
            issuer.id_token(CLIENT).header("kid", "x").sign(),
            vec![],
            "unknown_kid",
        ),
        (
            issuer.id_token(CLIENT).header("alg", "HS256").sign(),
            vec![],
            "unsupported_algorithm",
        ),
    ];
    for (token, extra, expected) in cases {
        let out = run(with_client(&issuer, &extra), token).await;
        assert_eq!(out.status.code(), Some(1), "{expected}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(err.split(' ').next(), Some(expected), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_options_change_what_is_accepted() {
    let issuer = TestIssuer::start().await.unwrap();
    // Leeway: a token expired 30 s ago fails with the default 10 s, passes with --leeway-secs 60.
    let now = issuer.id_token(CLIENT).sign();
    let recently = issuer
        .id_token(CLIENT)
        .claim("exp", json_i64(&now, "iat") - 30)
        .sign();
    let out = run(with_client(&issuer, &[]), recently.clone()).await;
    assert_eq!(out.status.code(), Some(1));
    let out = run(with_client(&issuer, &["--leeway-secs", "60"]), recently).await;
    assert_eq!(out.status.code(), Some(0));

    // No --client-id: the check is skipped, and stderr says so.
    let out = run(base_args(&issuer), issuer.access_token("anyone").sign()).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("not checked"));

    // --issuer and --jwks-uri without a pool id.
    let custom = vec![
        "--issuer".to_owned(),
        issuer.issuer().to_owned(),
        "--jwks-uri".to_owned(),
        issuer.jwks_uri(),
    ];
    let out = run(custom, issuer.id_token(CLIENT).sign()).await;
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_exits_2_on_usage_errors() {
    let issuer = TestIssuer::start().await.unwrap();
    for args in [
        vec!["--token-use".to_owned(), "refresh".to_owned()],
        vec!["--bogus".to_owned(), "x".to_owned()],
        vec!["--user-pool-id".to_owned()],
        vec!["--user-pool-id".to_owned(), "not-a-pool".to_owned()],
        vec![],
    ] {
        let out = run(args.clone(), token_for_usage(&issuer)).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(base_args(&issuer), "   \n".to_owned()).await;
    assert_eq!(out.status.code(), Some(2));
}

fn token_for_usage(issuer: &TestIssuer) -> String {
    issuer.id_token(CLIENT).sign()
}

fn json_i64(token: &str, claim: &str) -> i64 {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v[claim].as_i64().unwrap()
}
