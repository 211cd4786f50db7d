//! The axum and actix-web examples, run as the built binaries their users start, driven over HTTP
//! on 127.0.0.1 with tokens from the test kit: the same routes and the same answers from both.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cognito_verifier::testkit::TestIssuer;

use crate::common::CLIENT;

/// A running example, killed when dropped.
pub(crate) struct Running {
    child: Child,
    pub(crate) address: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn example_binary(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    dir.pop();
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --all-features`",
        bin.display()
    );
    bin
}

/// Starts example `name` for `issuer` on a free loopback port and waits until it listens.
pub(crate) fn start(name: &str, issuer: &TestIssuer, extra: &[&str]) -> Running {
    let mut child = Command::new(example_binary(name))
        .args([
            "--issuer",
            issuer.issuer(),
            "--jwks-uri",
            &issuer.jwks_uri(),
        ])
        .args(["--client-id", CLIENT, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("listening on http://") {
                let _ = tx.send(rest.split(' ').next().unwrap_or_default().to_owned());
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{name} did not start listening"));
    Running { child, address }
}

async fn get(running: &Running, path: &str, token: Option<&str>) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("http://{}{path}", running.address));
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn serves_the_contract(name: &str) {
    let issuer = TestIssuer::start().await.unwrap();
    let running = start(name, &issuer, &[]);
    let bob = issuer.access_token(CLIENT).username("bob").sign();
    let alice = issuer
        .access_token(CLIENT)
        .username("alice")
        .groups(["admins"])
        .sign();
    let expired = issuer.access_token(CLIENT).expired().sign();

    assert_eq!(get(&running, "/public", None).await.0, 200);
    assert_eq!(
        get(&running, "/hello", None).await,
        (200, "hello, stranger\n".into())
    );
    assert_eq!(
        get(&running, "/hello", Some(&bob)).await,
        (200, "hello bob\n".into())
    );
    let (status, body) = get(&running, "/hello", Some(&expired)).await;
    assert_eq!(status, 401, "{name}: {body}");
    assert!(body.contains("expired"), "{body}");

    let (status, body) = get(&running, "/me", Some(&bob)).await;
    assert_eq!(status, 200, "{name}: {body}");
    assert!(body.starts_with("hello bob ("), "{body}");
    assert_eq!(get(&running, "/me", None).await.0, 401);
    let id = issuer.id_token(CLIENT).sign();
    assert_eq!(get(&running, "/me", Some(&id)).await.0, 200);

    assert_eq!(get(&running, "/admin", Some(&bob)).await.0, 403);
    let (status, body) = get(&running, "/admin", Some(&alice)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("admin area"));
    let other = issuer.access_token("other-client").sign();
    let (status, body) = get(&running, "/me", Some(&other)).await;
    assert_eq!(status, 401);
    assert!(body.contains("wrong_client_id"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_example_serves_its_routes() {
    serves_the_contract("axum").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_example_serves_the_same_routes() {
    serves_the_contract("actix").await;
}
