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

async fn run(args: Vec<String>, stdin: impl AsRef<[u8]> + Send + 'static) -> Output {
    run_binary(verify_binary(), args, stdin).await
}

/// The installed command (`cargo install --features cli`), built by `cargo test` beside the
/// example.
fn installed_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cognito-verify"))
}

async fn run_binary(
    binary: PathBuf,
    args: Vec<String>,
    stdin: impl AsRef<[u8]> + Send + 'static,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // On a usage error the child may exit before reading stdin: a broken pipe is fine.
        let written = child.stdin.take().unwrap().write_all(stdin.as_ref());
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
    for bad in [
        vec!["--at".to_owned(), "yesterday".to_owned()],
        vec!["--at".to_owned(), "-5".to_owned()],
        vec![
            "--jwks-file".to_owned(),
            "/nonexistent/jwks.json".to_owned(),
        ],
    ] {
        let mut args = base_args(&issuer);
        args.extend(bad.clone());
        let out = run(args, token_for_usage(&issuer)).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out.stderr));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_calls_empty_or_non_utf8_input_a_malformed_token() {
    let issuer = TestIssuer::start().await.unwrap();
    for input in [
        Vec::new(),
        b"   \n\t ".to_vec(),
        vec![0xff, 0xfe, b'a'],
        b"\xc3(".to_vec(),
    ] {
        let out = run(base_args(&issuer), input.clone()).await;
        assert_eq!(
            out.status.code(),
            Some(1),
            "{input:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(kind_of(&out), "malformed", "{input:?}");
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_judges_time_claims_as_of_at() {
    let issuer = TestIssuer::start().await.unwrap();
    let expired = issuer.access_token(CLIENT).expired().sign();
    let iat = json_i64(&expired, "iat");
    let exp = json_i64(&expired, "exp");
    // Now: expired.
    let out = run(with_client(&issuer, &[]), expired.clone()).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kind_of(&out), "expired");
    // During its lifetime: valid.
    let during = (iat + 60).to_string();
    let out = run(with_client(&issuer, &["--at", &during]), expired.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["exp"], exp);
    // Just after exp (and past the default 10 s leeway): expired then too.
    let after = (exp + 11).to_string();
    let out = run(with_client(&issuer, &["--at", &after]), expired.clone()).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kind_of(&out), "expired");
    // Before it was issued.
    let before = (iat - 3600).to_string();
    let out = run(with_client(&issuer, &["--at", &before]), expired).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kind_of(&out), "issued_in_future");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_uses_a_jwks_file_without_the_network() {
    let issuer = TestIssuer::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("cv-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("jwks.json");
    std::fs::write(&file, issuer.jwks_json()).unwrap();
    let file = file.to_string_lossy().into_owned();
    let token = issuer.id_token(CLIENT).sign();
    let args = vec![
        "--issuer".to_owned(),
        issuer.issuer().to_owned(),
        "--jwks-file".to_owned(),
        file.clone(),
        "--client-id".to_owned(),
        CLIENT.to_owned(),
    ];
    let out = run(args.clone(), token).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let forged = issuer.id_token(CLIENT).header("kid", "made-up").sign();
    let out = run(args, forged).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kind_of(&out), "unknown_kid");
    // With a pool id too: the file, not the pool's endpoint.
    let mut args = base_args(&issuer);
    args.extend([
        "--jwks-file".to_owned(),
        file,
        "--client-id".to_owned(),
        CLIENT.to_owned(),
    ]);
    let out = run(args, issuer.access_token(CLIENT).sign()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(issuer.jwks_requests(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The error kind: the first word of stderr's last line (a note may come before it).
fn kind_of(out: &Output) -> String {
    let stderr = text(&out.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    line.split(' ').next().unwrap_or_default().to_owned()
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

fn alb_args(alb: &cognito_verifier::testkit::TestAlb, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "--alb-arn",
        alb.arn(),
        "--alb-keys-uri",
        &alb.keys_uri(),
        "--issuer",
        alb.issuer(),
        "--client-id",
        CLIENT,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

#[tokio::test]
async fn verify_cli_verifies_alb_tokens_with_the_alb_options() {
    use cognito_verifier::testkit::TestAlb;
    let alb = TestAlb::start().await.unwrap();
    let token = alb.token(CLIENT).email("jane@example.com").sign();
    let out = run(alb_args(&alb, &[]), format!("{token}\n")).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["email"], "jane@example.com");
    assert_eq!(claims["signer"], alb.arn());
    assert_eq!(claims["client"], CLIENT);
    // Each rejection: exit 1, and the kind is the first word of the stderr line.
    let other = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/0123456789abcdef";
    let cases = [
        (alb.token(CLIENT).signer(other).sign(), "wrong_signer"),
        (alb.token(CLIENT).expired().sign(), "expired"),
        (alb.token("another-client").sign(), "wrong_client_id"),
        (
            alb.token(CLIENT).header("alg", "RS256").sign(),
            "unsupported_algorithm",
        ),
        (token.replace('=', ""), "malformed"),
        (
            alb.token(CLIENT)
                .header("kid", "0b5c3c1e-95b5-4a8e-9d7e-1f0e6e1a2b3c")
                .sign(),
            "unknown_kid",
        ),
    ];
    for (bad, expected) in cases {
        let out = run(alb_args(&alb, &[]), bad).await;
        assert_eq!(
            out.status.code(),
            Some(1),
            "{expected}: {}",
            text(&out.stderr)
        );
        assert_eq!(kind_of(&out), expected, "{}", text(&out.stderr));
    }
    let tampered = {
        let parts: Vec<&str> = token.split('.').collect();
        let sig = parts[2];
        let flipped = if sig.starts_with('A') { "B" } else { "A" };
        format!("{}.{}.{flipped}{}", parts[0], parts[1], &sig[1..])
    };
    let out = run(alb_args(&alb, &[]), tampered).await;
    assert_eq!(kind_of(&out), "invalid_signature", "{}", text(&out.stderr));
    // --at: judged as of a moment after it expired.
    let later = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600)
        .to_string();
    let out = run(alb_args(&alb, &["--at", &later]), token.clone()).await;
    assert_eq!(kind_of(&out), "expired", "{}", text(&out.stderr));
    // Usage errors: exit 2.
    for args in [
        vec!["--alb-arn".to_owned(), "arn:aws:s3:::bucket".to_owned()],
        alb_args(&alb, &["--token-use", "id"]),
        alb_args(&alb, &["--region", "eu-west-1"]),
        vec![
            "--region".to_owned(),
            "eu-west-1".to_owned(),
            "--issuer".to_owned(),
            "https://x.example".to_owned(),
        ],
    ] {
        let out = run(args.clone(), token.clone()).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // Without --client-id and issuer: notes on stderr, and the token verifies.
    let out = run(
        vec![
            "--alb-arn".to_owned(),
            alb.arn().to_owned(),
            "--alb-keys-uri".to_owned(),
            alb.keys_uri(),
        ],
        token,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not checked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_binds_access_tokens_to_resources_and_refuses_revoked_ids() {
    let issuer = TestIssuer::start().await.unwrap();
    let orders = "https://orders.example.com";
    let resources = ["--resource", orders, "--resource", "urn:orders"];
    let bound = issuer.access_token(CLIENT).claim("aud", orders).sign();
    let out = run(with_client(&issuer, &resources), bound.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["aud"], orders);
    for (token, expected) in [
        (
            issuer
                .access_token(CLIENT)
                .claim("aud", "https://billing.example.com")
                .sign(),
            "wrong_audience",
        ),
        (issuer.access_token(CLIENT).sign(), "missing_claim"),
    ] {
        let out = run(with_client(&issuer, &resources), token).await;
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(kind_of(&out), expected, "{}", text(&out.stderr));
    }
    // Without --resource the binding is not required.
    let out = run(
        with_client(&issuer, &[]),
        issuer.access_token(CLIENT).sign(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // --revoked: a session (origin_jti) or one token (jti).
    let token = issuer
        .access_token(CLIENT)
        .claim("origin_jti", "session-1")
        .claim("jti", "token-1")
        .sign();
    for revoked in [
        &["--revoked", "session-1"][..],
        &["--revoked", "x", "--revoked", "token-1"][..],
    ] {
        let out = run(with_client(&issuer, revoked), token.clone()).await;
        assert_eq!(out.status.code(), Some(1), "{revoked:?}");
        assert_eq!(kind_of(&out), "revoked", "{}", text(&out.stderr));
    }
    let out = run(with_client(&issuer, &["--revoked", "other"]), token).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Usage errors: an empty id or resource.
    for bad in [["--revoked", ""], ["--resource", ""]] {
        let out = run(with_client(&issuer, &bad), bound.clone()).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out.stderr));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_command_keeps_the_examples_contract() {
    let issuer = TestIssuer::start().await.unwrap();
    let good = issuer.access_token(CLIENT).sign();
    let expired = issuer.access_token(CLIENT).expired().sign();
    for (args, stdin) in [
        (
            with_client(&issuer, &["--token-use", "access"]),
            good.clone(),
        ),
        (with_client(&issuer, &[]), expired),
        (with_client(&issuer, &[]), String::new()),
        (
            with_client(&issuer, &["--token-use", "refresh"]),
            good.clone(),
        ),
        (with_client(&issuer, &["--revoked", "x"]), good),
    ] {
        let example = run(args.clone(), stdin.clone()).await;
        let installed = run_binary(installed_binary(), args.clone(), stdin).await;
        assert_eq!(installed.status.code(), example.status.code(), "{args:?}");
        assert_eq!(installed.stdout, example.stdout, "{args:?}");
        assert_eq!(
            kind_of(&installed),
            kind_of(&example),
            "{args:?}: {}",
            text(&installed.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_cli_says_when_at_is_in_milliseconds_and_takes_a_pasted_bearer_value() {
    let issuer = TestIssuer::start().await.unwrap();
    let token = issuer.access_token(CLIENT).sign();
    let millis = (json_i64(&token, "iat") * 1000).to_string();
    let out = run(with_client(&issuer, &["--at", &millis]), token.clone()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("milliseconds"),
        "{}",
        text(&out.stderr)
    );
    let secs = json_i64(&token, "iat").to_string();
    let out = run(with_client(&issuer, &["--at", &secs]), token.clone()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    for pasted in [format!("Bearer {token}"), format!("  bearer {token}\n")] {
        let out = run(with_client(&issuer, &[]), pasted).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("Bearer"),
            "{}",
            text(&out.stderr)
        );
    }
    // Another scheme is no token of ours: malformed, as before.
    let out = run(with_client(&issuer, &[]), format!("Basic {token}")).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kind_of(&out), "malformed");
}
