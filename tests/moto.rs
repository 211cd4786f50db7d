//! End to end against tokens nobody on this team minted: moto's Cognito user-pool server, in the
//! flows this crate's users run (USER_PASSWORD_AUTH, the admin flow, a client with a secret,
//! REFRESH_TOKEN_AUTH).
//!
//! Needs moto: `./scripts/test` installs it (in a venv under target/) and runs these with
//! `--include-ignored`, setting `MOTO_PYTHON`. With plain `cargo test` they show as ignored.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use cognito_verifier::{CognitoVerifier, ErrorKind, TokenUse};
use serde_json::{Value, json};

const PASSWORD: &str = "Corr3ct-Horse-Battery!";

/// moto's server on a free 127.0.0.1 port; killed on drop, even when a test fails.
struct Moto {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    async fn start() -> Self {
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| {
            panic!("MOTO_PYTHON is not set: run ./scripts/test, which installs moto and sets it")
        });
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto with {python}: {e}"));
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while moto
            .http
            .get(format!("{}/moto-api/", moto.url))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "moto did not answer within 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }

    /// One Cognito API call (JSON over POST, as the AWS SDKs send it).
    async fn call(&self, action: &str, body: Value) -> Value {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{action}"),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{action}: {status} {text}");
        if text.is_empty() {
            json!({})
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    async fn create_pool(&self, name: &str) -> String {
        let r = self.call("CreateUserPool", json!({"PoolName": name})).await;
        r["UserPool"]["Id"].as_str().unwrap().to_owned()
    }

    /// An app client; returns (client id, client secret if generated).
    async fn create_client(&self, pool: &str, secret: bool) -> (String, Option<String>) {
        let r = self
            .call(
                "CreateUserPoolClient",
                json!({
                    "UserPoolId": pool, "ClientName": "app", "GenerateSecret": secret,
                    "ReadAttributes": ["email", "email_verified"],
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH",
                        "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                }),
            )
            .await;
        let c = &r["UserPoolClient"];
        (
            c["ClientId"].as_str().unwrap().to_owned(),
            c["ClientSecret"].as_str().map(str::to_owned),
        )
    }

    /// Signs a user up with an email, confirms them, verifies the email, adds them to `groups`.
    /// Returns the user's sub.
    async fn create_user(
        &self,
        pool: &str,
        client: &(String, Option<String>),
        user: &str,
        groups: &[&str],
    ) -> String {
        let mut sign_up = json!({
            "ClientId": client.0, "Username": user, "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": format!("{user}@example.com")}],
        });
        if let Some(secret) = &client.1 {
            sign_up["SecretHash"] = json!(secret_hash(secret, user, &client.0));
        }
        let sub = self.call("SignUp", sign_up).await["UserSub"]
            .as_str()
            .unwrap()
            .to_owned();
        self.call(
            "AdminConfirmSignUp",
            json!({"UserPoolId": pool, "Username": user}),
        )
        .await;
        self.call(
            "AdminUpdateUserAttributes",
            json!({"UserPoolId": pool, "Username": user,
                "UserAttributes": [{"Name": "email_verified", "Value": "true"}]}),
        )
        .await;
        for group in groups {
            self.call(
                "CreateGroup",
                json!({"UserPoolId": pool, "GroupName": group}),
            )
            .await;
            self.call(
                "AdminAddUserToGroup",
                json!({"UserPoolId": pool, "Username": user, "GroupName": group}),
            )
            .await;
        }
        sub
    }

    /// USER_PASSWORD_AUTH (or, with `admin`, ADMIN_USER_PASSWORD_AUTH): the AuthenticationResult.
    async fn sign_in(
        &self,
        pool: &str,
        client: &(String, Option<String>),
        user: &str,
        admin: bool,
    ) -> Value {
        let mut params = json!({"USERNAME": user, "PASSWORD": PASSWORD});
        if let Some(secret) = &client.1 {
            params["SECRET_HASH"] = json!(secret_hash(secret, user, &client.0));
        }
        let r = if admin {
            self.call(
                "AdminInitiateAuth",
                json!({"UserPoolId": pool, "ClientId": client.0,
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": params}),
            )
            .await
        } else {
            self.call(
                "InitiateAuth",
                json!({"ClientId": client.0, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params}),
            )
            .await
        };
        r["AuthenticationResult"].clone()
    }

    async fn refresh(
        &self,
        client: &(String, Option<String>),
        user: &str,
        refresh_token: &str,
    ) -> Value {
        let mut params = json!({"REFRESH_TOKEN": refresh_token});
        if let Some(secret) = &client.1 {
            params["SECRET_HASH"] = json!(secret_hash(secret, user, &client.0));
        }
        let r = self
            .call(
                "InitiateAuth",
                json!({"ClientId": client.0, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": params}),
            )
            .await;
        r["AuthenticationResult"].clone()
    }

    /// A verifier for `pool` and `client_ids`: issuer derived from the pool id (the real AWS URL,
    /// which moto puts in `iss`), keys from moto on 127.0.0.1.
    fn verifier(&self, pool: &str, client_ids: &[&str]) -> CognitoVerifier {
        CognitoVerifier::builder(pool)
            .jwks_uri(format!("{}/{pool}/.well-known/jwks.json", self.url))
            .allow_insecure_http()
            .client_ids(client_ids.iter().copied())
            .token_use(TokenUse::Any)
            .build()
            .unwrap()
    }
}

/// SECRET_HASH = base64(HMAC-SHA256(client secret, username + client id)).
fn secret_hash(secret: &str, user: &str, client_id: &str) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, format!("{user}{client_id}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

fn token<'a>(result: &'a Value, name: &str) -> &'a str {
    result[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {result}"))
}

fn kind<T: std::fmt::Debug>(r: Result<T, cognito_verifier::Error>) -> ErrorKind {
    r.expect_err("expected a rejection").kind()
}

#[tokio::test]
#[ignore = "needs moto's server: run ./scripts/test"]
async fn user_password_and_admin_sign_in_verify_with_the_claims_the_flow_set() {
    let moto = Moto::start().await;
    let pool = moto.create_pool("users").await;
    let client = moto.create_client(&pool, false).await;
    let sub = moto
        .create_user(&pool, &client, "alice", &["admins", "users"])
        .await;
    let v = moto.verifier(&pool, &[&client.0]);

    for admin in [false, true] {
        let result = moto.sign_in(&pool, &client, "alice", admin).await;
        let id = v.verify_id(token(&result, "IdToken")).await.unwrap();
        assert_eq!(id.sub, sub);
        assert_eq!(id.username.as_deref(), Some("alice"));
        assert_eq!(id.email.as_deref(), Some("alice@example.com"));
        assert_eq!(
            id.email_verified,
            Some(true),
            "moto sends the string \"true\""
        );
        assert_eq!(id.aud, client.0);
        let mut groups = id.groups.clone();
        groups.sort();
        assert_eq!(groups, ["admins", "users"]);

        let access = v
            .verify_access(token(&result, "AccessToken"))
            .await
            .unwrap();
        assert_eq!(access.sub, sub);
        assert_eq!(access.client_id, client.0);
        assert_eq!(access.username.as_deref(), Some("alice"));
        assert!(
            access.has_scope("aws.cognito.signin.user.admin"),
            "{:?}",
            access.scope
        );
        assert!(access.in_group("admins"));

        // Each kind only where it belongs; the refresh token never.
        assert_eq!(
            kind(v.verify_access(token(&result, "IdToken")).await),
            ErrorKind::WrongTokenUse
        );
        assert_eq!(
            kind(v.verify_id(token(&result, "AccessToken")).await),
            ErrorKind::WrongTokenUse
        );
        assert_eq!(
            kind(v.verify_any(token(&result, "RefreshToken")).await),
            ErrorKind::Malformed
        );
    }

    // Required groups, against what moto put in the token.
    let admins_only = CognitoVerifier::builder(pool.as_str())
        .jwks_uri(format!("{}/{pool}/.well-known/jwks.json", moto.url))
        .allow_insecure_http()
        .client_ids([client.0.as_str()])
        .token_use(TokenUse::Access)
        .required_groups(["admins"])
        .build()
        .unwrap();
    let result = moto.sign_in(&pool, &client, "alice", false).await;
    admins_only
        .verify_access(token(&result, "AccessToken"))
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs moto's server: run ./scripts/test"]
async fn a_client_with_a_secret_and_refreshed_tokens_verify() {
    let moto = Moto::start().await;
    let pool = moto.create_pool("with-secret").await;
    let client = moto.create_client(&pool, true).await;
    assert!(client.1.is_some());
    moto.create_user(&pool, &client, "bob", &[]).await;
    let v = moto.verifier(&pool, &[&client.0]);

    let first = moto.sign_in(&pool, &client, "bob", false).await;
    v.verify_id(token(&first, "IdToken")).await.unwrap();
    let refreshed = moto
        .refresh(&client, "bob", token(&first, "RefreshToken"))
        .await;
    let id = v.verify_id(token(&refreshed, "IdToken")).await.unwrap();
    assert_eq!(id.username.as_deref(), Some("bob"));
    let access = v
        .verify_access(token(&refreshed, "AccessToken"))
        .await
        .unwrap();
    assert_eq!(access.client_id, client.0);
    assert!(
        refreshed.get("RefreshToken").is_none(),
        "a refresh returns no new refresh token"
    );
}

#[tokio::test]
#[ignore = "needs moto's server: run ./scripts/test"]
async fn tokens_for_another_client_or_another_pool_are_rejected() {
    let moto = Moto::start().await;
    let pool = moto.create_pool("main").await;
    let web = moto.create_client(&pool, false).await;
    let mobile = moto.create_client(&pool, false).await;
    moto.create_user(&pool, &web, "carol", &[]).await;
    let web_only = moto.verifier(&pool, &[&web.0]);

    let from_mobile = moto.sign_in(&pool, &mobile, "carol", false).await;
    assert_eq!(
        kind(web_only.verify_id(token(&from_mobile, "IdToken")).await),
        ErrorKind::WrongAudience
    );
    assert_eq!(
        kind(
            web_only
                .verify_access(token(&from_mobile, "AccessToken"))
                .await
        ),
        ErrorKind::WrongClientId
    );
    let both = moto.verifier(&pool, &[&web.0, &mobile.0]);
    both.verify_id(token(&from_mobile, "IdToken"))
        .await
        .unwrap();

    // moto signs every pool's tokens with one key, so only iss tells them apart: exactly the
    // check that must hold.
    let other_pool = moto.create_pool("other").await;
    let other_client = moto.create_client(&other_pool, false).await;
    moto.create_user(&other_pool, &other_client, "dave", &[])
        .await;
    let foreign = moto
        .sign_in(&other_pool, &other_client, "dave", false)
        .await;
    let accepting_that_client = moto.verifier(&pool, &[&web.0, &other_client.0]);
    assert_eq!(
        kind(
            accepting_that_client
                .verify_id(token(&foreign, "IdToken"))
                .await
        ),
        ErrorKind::WrongIssuer
    );
    assert_eq!(
        kind(
            accepting_that_client
                .verify_access(token(&foreign, "AccessToken"))
                .await
        ),
        ErrorKind::WrongIssuer
    );
}
