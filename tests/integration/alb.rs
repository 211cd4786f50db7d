//! ALB user-claims tokens (`x-amzn-oidc-data`): the verifier through its public API, with keys
//! served on 127.0.0.1 by the test kit or wiremock.

use std::time::{Duration, Instant};

use cognito_verifier::alb::{ALB_DATA_HEADER, AlbClaims, AlbVerifier};
use cognito_verifier::auth::Policy;
use cognito_verifier::testkit::{DEFAULT_TEST_ALB_ARN, TestAlb, TestIssuer};
use cognito_verifier::{BuildError, ErrorKind, ManualClock};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{CLIENT, kind};

const OTHER_ARN: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/0123456789abcdef";
const MADE_UP_KID: &str = "0b5c3c1e-95b5-4a8e-9d7e-1f0e6e1a2b3c";

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE.encode(text.as_bytes())
}

#[tokio::test]
async fn a_minted_alb_token_verifies_with_its_claims() {
    let alb = TestAlb::start().await.unwrap();
    let verifier = alb.verifier_builder(CLIENT).build().unwrap();
    let token = alb
        .token(CLIENT)
        .username("jane")
        .email("jane@example.com")
        .claim("phone_number", "+15555550100")
        .claim("custom:tenant", "acme")
        .sign();
    // ALB's shape: padded segments.
    assert!(token.split('.').all(|s| s.len() % 4 == 0), "{token}");
    let claims: AlbClaims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.sub, "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(claims.username.as_deref(), Some("jane"));
    assert_eq!(claims.email.as_deref(), Some("jane@example.com"));
    assert_eq!(
        claims.email_verified,
        Some(true),
        "the string \"true\" is read"
    );
    assert_eq!(claims.phone_number.as_deref(), Some("+15555550100"));
    assert_eq!(claims.signer, DEFAULT_TEST_ALB_ARN);
    assert_eq!(claims.client.as_deref(), Some(CLIENT));
    assert_eq!(claims.iss.as_deref(), Some(alb.issuer()));
    assert_eq!(claims.extra["custom:tenant"], "acme");
    assert!(!claims.extra.contains_key("sub"));
    assert_eq!(alb.key_requests(), 1);
    // Cached per kid: no second request, and the sync path now works.
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.verify_sync(&token).unwrap(), claims);
    assert_eq!(alb.key_requests(), 1);
    // A rotated key: one more request, for the new kid only.
    alb.rotate_key().unwrap();
    let rotated = alb.token(CLIENT).sign();
    assert_eq!(
        kind(verifier.verify_sync(&rotated)),
        ErrorKind::KeyNotCached
    );
    verifier.verify(&rotated).await.unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(alb.key_requests(), 2);
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of cases")]
async fn adversarial_alb_tokens_are_refused_with_their_kind() {
    let alb = TestAlb::start().await.unwrap();
    let verifier = alb.verifier_builder(CLIENT).build().unwrap();
    let good = alb.token(CLIENT).sign();
    verifier.verify(&good).await.unwrap();
    let issuer = TestIssuer::start().await.unwrap();
    let kid = alb.current_kid();
    let alb_header = |alg: &str| {
        format!(
            r#"{{"alg":"{alg}","kid":"{kid}","signer":"{DEFAULT_TEST_ALB_ARN}","iss":"{}","client":"{CLIENT}","exp":4102444800}}"#,
            alb.issuer()
        )
    };
    let payload = r#"{"sub":"x","exp":4102444800}"#;
    let [h, p, s]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();
    let cases: Vec<(&str, String, ErrorKind)> = vec![
        (
            "RS256 with ALB headers, in ALB's shape",
            format!(
                "{}.{}.{}",
                b64(&alb_header("RS256")),
                b64(payload),
                b64(&"s".repeat(256))
            ),
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            // Unpadded (RFC 7515): not the shape of an ALB token, whatever it claims.
            "an RS256 JWT signed by a Cognito-shaped issuer, with ALB headers",
            issuer.sign_raw(&alb_header("RS256"), payload),
            ErrorKind::Malformed,
        ),
        (
            "HS256",
            format!(
                "{}.{}.{}",
                b64(&alb_header("HS256")),
                b64(payload),
                b64("mac-mac-mac-mac!")
            ),
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            "none",
            format!("{}.{}.", b64(&alb_header("none")), b64(payload)),
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            "ES384",
            alb.sign_raw(&alb_header("ES384"), payload),
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            "signer mismatch",
            alb.token(CLIENT).signer(OTHER_ARN).sign(),
            ErrorKind::WrongSigner,
        ),
        (
            "no signer",
            alb.token(CLIENT).without_header("signer").sign(),
            ErrorKind::Malformed,
        ),
        (
            "kid not a UUID",
            alb.token(CLIENT).header("kid", "key-1").sign(),
            ErrorKind::Malformed,
        ),
        (
            "kid trying a path",
            alb.token(CLIENT)
                .header("kid", "../../../../../../../etc/passwd")
                .sign(),
            ErrorKind::Malformed,
        ),
        (
            "kid with a slash in UUID shape",
            alb.token(CLIENT)
                .header("kid", "0b5c3c1e-95b5-4a8e-9d7e-1f0e6e1a2b/c")
                .sign(),
            ErrorKind::Malformed,
        ),
        (
            "no kid",
            alb.token(CLIENT).without_header("kid").sign(),
            ErrorKind::MissingKid,
        ),
        ("unpadded", good.replace('=', ""), ErrorKind::Malformed),
        (
            "over-padded",
            format!("{h}.{p}.{s}===="),
            ErrorKind::Malformed,
        ),
        (
            "over-padded segment",
            format!("{h}=.{p}.{s}"),
            ErrorKind::Malformed,
        ),
        (
            "tampered payload",
            format!("{h}.{}.{s}", b64(r#"{"sub":"admin","exp":4102444800}"#)),
            ErrorKind::InvalidSignature,
        ),
        (
            "expired",
            alb.token(CLIENT).expired().sign(),
            ErrorKind::Expired,
        ),
        (
            "no exp",
            alb.token(CLIENT).without_header("exp").sign(),
            ErrorKind::MissingClaim,
        ),
        (
            "wrong client",
            alb.token("someone-else").sign(),
            ErrorKind::WrongClientId,
        ),
        (
            "no client",
            alb.token(CLIENT).without_header("client").sign(),
            ErrorKind::MissingClaim,
        ),
        (
            "wrong issuer",
            alb.token(CLIENT)
                .header("iss", "https://evil.example.com")
                .sign(),
            ErrorKind::WrongIssuer,
        ),
        (
            "payload iss differs",
            alb.token(CLIENT)
                .claim("iss", "https://evil.example.com")
                .sign(),
            ErrorKind::WrongIssuer,
        ),
        (
            "no sub",
            alb.token(CLIENT).without_claim("sub").sign(),
            ErrorKind::MissingClaim,
        ),
        (
            "crit",
            alb.token(CLIENT).header("crit", vec!["exp"]).sign(),
            ErrorKind::UnsupportedHeader,
        ),
        ("two segments", format!("{h}.{p}"), ErrorKind::Malformed),
        ("four segments", format!("{good}.{s}"), ErrorKind::Malformed),
        ("empty", String::new(), ErrorKind::Malformed),
    ];
    let requests = alb.key_requests();
    for (name, token, expected) in cases {
        assert_eq!(
            kind(verifier.verify(&token).await),
            expected,
            "{name}: {token}"
        );
    }
    // None of them reached the key endpoint: signer, kid shape and algorithm come first.
    assert_eq!(alb.key_requests(), requests);
}

#[tokio::test]
async fn a_made_up_kid_costs_its_own_fetch_and_never_locks_out_a_genuine_kid() {
    // Review finding (medium): one made-up kid used to make the endpoint answer 404 and every
    // kid not yet cached was then refused for the cooldown: at a cold start no genuine user got
    // in, and one request per 15 s kept it so.
    let clock = ManualClock::starting_now();
    let alb = TestAlb::start_with(DEFAULT_TEST_ALB_ARN, clock.clone())
        .await
        .unwrap();
    let verifier = alb.verifier_builder(CLIENT).build().unwrap();
    let made_up = alb.token(CLIENT).header("kid", MADE_UP_KID).sign();
    let e = verifier.verify(&made_up).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownKid);
    assert!(
        !e.is_key_unavailable(),
        "a made-up kid is a bad token, not an outage"
    );
    assert_eq!(alb.key_requests(), 1);
    // The genuine kid, not cached yet (a cold start), right after: fetched and accepted.
    let claims = verifier.verify(&alb.token(CLIENT).sign()).await.unwrap();
    assert_eq!(claims.signer, alb.arn());
    assert_eq!(alb.key_requests(), 2);
    // So is a key the load balancer rotated to meanwhile.
    alb.rotate_key().unwrap();
    verifier.verify(&alb.token(CLIENT).sign()).await.unwrap();
    assert_eq!(alb.key_requests(), 3);
    // The made-up kid itself is refused without a request for the cooldown, however often...
    for _ in 0..100 {
        assert_eq!(kind(verifier.verify(&made_up).await), ErrorKind::UnknownKid);
    }
    assert_eq!(alb.key_requests(), 3);
    // ...and asked again once it is over.
    clock.advance(Duration::from_secs(16));
    assert_eq!(kind(verifier.verify(&made_up).await), ErrorKind::UnknownKid);
    assert_eq!(alb.key_requests(), 4);
}

#[tokio::test]
async fn a_stream_of_distinct_made_up_kids_is_bounded_by_the_fetch_budget() {
    let clock = ManualClock::starting_now();
    let alb = TestAlb::start_with(DEFAULT_TEST_ALB_ARN, clock.clone())
        .await
        .unwrap();
    let verifier = alb
        .verifier_builder(CLIENT)
        .max_key_fetches(5, Duration::from_secs(1))
        .build()
        .unwrap();
    let made_up = |i: usize| {
        let kid = format!("0b5c3c1e-95b5-4a8e-9d7e-{i:012x}");
        alb.token(CLIENT).header("kid", kid.as_str()).sign()
    };
    let mut kinds = Vec::new();
    for i in 0..100 {
        kinds.push(kind(verifier.verify(&made_up(i)).await));
    }
    // Five fetches (each a 404: unknown_kid), then the budget is spent: 503 with Retry-After,
    // not 401, since a genuine kid would be refused the same way.
    assert_eq!(alb.key_requests(), 5);
    assert!(
        kinds[..5].iter().all(|k| *k == ErrorKind::UnknownKid),
        "{kinds:?}"
    );
    assert!(
        kinds[5..].iter().all(|k| *k == ErrorKind::JwksFetch),
        "{kinds:?}"
    );
    let spent = verifier
        .verify(&alb.token(CLIENT).sign())
        .await
        .unwrap_err();
    assert!(spent.is_key_unavailable());
    let retry = spent.retry_after().unwrap();
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_secs(1),
        "{retry:?}"
    );
    // The next interval: the genuine kid is fetched and accepted.
    clock.advance(Duration::from_secs(1));
    verifier.verify(&alb.token(CLIENT).sign()).await.unwrap();
    assert_eq!(alb.key_requests(), 6);
    // A cached kid never needs the budget.
    for i in 100..120 {
        let _ = verifier.verify(&made_up(i)).await;
    }
    verifier.verify(&alb.token(CLIENT).sign()).await.unwrap();
    verifier.verify_sync(&alb.token(CLIENT).sign()).unwrap();
}

#[tokio::test]
async fn concurrent_requests_for_one_new_kid_share_one_fetch() {
    let alb = TestAlb::start().await.unwrap();
    let verifier = alb.verifier_builder(CLIENT).build().unwrap();
    let token = alb.token(CLIENT).sign();
    let made_up = alb.token(CLIENT).header("kid", MADE_UP_KID).sign();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let verifier = verifier.clone();
        let token = if i % 2 == 0 {
            token.clone()
        } else {
            made_up.clone()
        };
        tasks.push(tokio::spawn(async move {
            verifier.verify(&token).await.map(drop)
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => assert_eq!(e.kind(), ErrorKind::UnknownKid),
        }
    }
    assert_eq!(ok, 25);
    assert_eq!(alb.key_requests(), 2, "one fetch per kid");
}

#[tokio::test]
async fn the_verified_header_values_win_over_payload_claims_of_the_same_name() {
    // Review finding (low): a payload's `signer`/`client` stood beside the verified header
    // values in the JSON view, and a check reading it was fooled.
    let alb = TestAlb::start().await.unwrap();
    let verifier = alb.verifier_builder(CLIENT).build().unwrap();
    let evil = "arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/evil/1";
    let token = alb
        .token(CLIENT)
        .claim("signer", evil)
        .claim("client", "evil-client")
        .claim("iss", alb.issuer())
        .sign();
    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.signer, alb.arn());
    assert_eq!(claims.client.as_deref(), Some(CLIENT));
    assert!(!claims.extra.contains_key("signer") && !claims.extra.contains_key("client"));
    let outcome = Policy::new(verifier.clone())
        .check(move |v| match v.to_json()["signer"].as_str() {
            Some(s) if s == evil => Err("the payload's signer was believed".into()),
            _ => Ok(()),
        })
        .authenticate_token(&token)
        .await
        .unwrap();
    let json = outcome.to_json();
    assert_eq!(json["signer"], alb.arn());
    assert_eq!(json["client"], CLIENT);
    let generic: serde_json::Value = outcome.claims().unwrap();
    assert_eq!(generic["signer"], alb.arn());
    #[derive(serde::Deserialize)]
    struct Mine {
        signer: String,
        client: String,
    }
    let mine: Mine = outcome.claims().unwrap();
    assert_eq!(
        (mine.signer.as_str(), mine.client.as_str()),
        (alb.arn(), CLIENT)
    );
}

fn verifier_against(server: &MockServer, alb: &TestAlb) -> AlbVerifier {
    AlbVerifier::builder([alb.arn()])
        .keys_uri(server.uri())
        .allow_insecure_http()
        .issuer(alb.issuer())
        .client_ids([CLIENT])
        .fetch_deadline(Duration::from_millis(500))
        .build()
        .unwrap()
}

#[tokio::test]
async fn key_endpoint_faults_are_503_with_their_kind_and_bounded_in_time() {
    let alb = TestAlb::start().await.unwrap();
    let token = alb.token(CLIENT).sign();
    let cases = [
        ("500", ResponseTemplate::new(500), ErrorKind::JwksFetch),
        ("garbage", ResponseTemplate::new(200).set_body_string("not a key"), ErrorKind::InvalidJwks),
        (
            "an RSA key",
            ResponseTemplate::new(200).set_body_string(
                "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
            ),
            ErrorKind::InvalidJwks,
        ),
        (
            "huge",
            ResponseTemplate::new(200).set_body_string("A".repeat(200_000)),
            ErrorKind::JwksFetch,
        ),
        (
            "slow",
            ResponseTemplate::new(200)
                .set_body_string(alb.public_key_pem())
                .set_delay(Duration::from_secs(30)),
            ErrorKind::JwksFetch,
        ),
    ];
    for (name, response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .mount(&server)
            .await;
        let verifier = verifier_against(&server, &alb);
        let started = Instant::now();
        let e = verifier.verify(&token).await.unwrap_err();
        assert_eq!(e.kind(), expected, "{name}: {e}");
        assert!(e.is_key_unavailable(), "{name}: {e}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{name}: {:?}",
            started.elapsed()
        );
        // Right after a failure, unknown kids are refused without a request, with a retry hint.
        let before = server.received_requests().await.unwrap_or_default().len();
        let again = verifier.verify(&token).await.unwrap_err();
        assert!(again.retry_after().is_some(), "{name}: {again}");
        assert_eq!(
            server.received_requests().await.unwrap_or_default().len(),
            before
        );
    }
    // The right key at the right path.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path(format!("/{}", alb.current_kid())))
        .respond_with(ResponseTemplate::new(200).set_body_string(alb.public_key_pem()))
        .mount(&server)
        .await;
    verifier_against(&server, &alb)
        .verify(&token)
        .await
        .unwrap();
}

#[tokio::test]
async fn configured_keys_never_fetch_and_never_expire() {
    let clock = ManualClock::starting_now();
    let alb = TestAlb::start_with(DEFAULT_TEST_ALB_ARN, clock.clone())
        .await
        .unwrap();
    let verifier = AlbVerifier::builder([alb.arn()])
        .key(alb.current_kid(), alb.public_key_pem())
        .no_fetch()
        .issuer(alb.issuer())
        .client_ids([CLIENT])
        .clock(clock.clone())
        .build()
        .unwrap();
    clock.advance(Duration::from_secs(86_400 * 365));
    let token = alb.token(CLIENT).sign();
    verifier.verify_sync(&token).unwrap();
    verifier.verify(&token).await.unwrap();
    let made_up = alb.token(CLIENT).header("kid", MADE_UP_KID).sign();
    assert_eq!(kind(verifier.verify_sync(&made_up)), ErrorKind::UnknownKid);
    assert_eq!(kind(verifier.verify(&made_up).await), ErrorKind::UnknownKid);
    assert_eq!(alb.key_requests(), 0);
}

#[test]
fn configuration_is_checked_at_build() {
    let arn = DEFAULT_TEST_ALB_ARN;
    let ok = || {
        AlbVerifier::builder([arn])
            .user_pool_id("eu-west-1_AbC123")
            .client_ids(["c"])
    };
    assert!(ok().build().is_ok());
    let bad: Vec<(&str, Result<AlbVerifier, BuildError>)> = vec![
        (
            "no ARN",
            AlbVerifier::builder(Vec::<String>::new())
                .user_pool_id("eu-west-1_AbC123")
                .client_ids(["c"])
                .build(),
        ),
        (
            "not an ALB ARN",
            AlbVerifier::builder(["arn:aws:s3:::bucket"])
                .user_pool_id("eu-west-1_AbC123")
                .client_ids(["c"])
                .build(),
        ),
        (
            "no client ids",
            AlbVerifier::builder([arn])
                .user_pool_id("eu-west-1_AbC123")
                .build(),
        ),
        (
            "empty client ids",
            AlbVerifier::builder([arn])
                .user_pool_id("eu-west-1_AbC123")
                .client_ids(Vec::<String>::new())
                .build(),
        ),
        (
            "no issuer",
            AlbVerifier::builder([arn]).client_ids(["c"]).build(),
        ),
        (
            "bad pool",
            AlbVerifier::builder([arn])
                .user_pool_id("nope")
                .client_ids(["c"])
                .build(),
        ),
        ("bad region", ok().region("eu/../x").build()),
        ("http keys URI", ok().keys_uri("http://127.0.0.1:1").build()),
        (
            "bad key",
            ok().key(
                MADE_UP_KID,
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            )
            .build(),
        ),
        ("kid not a UUID", ok().key("k1", "x").build()),
        ("leeway", ok().leeway(Duration::from_secs(601)).build()),
        ("zero deadline", ok().fetch_deadline(Duration::ZERO).build()),
        ("huge deadline", ok().fetch_deadline(Duration::MAX).build()),
        ("zero keys", ok().max_keys(0).build()),
        ("huge cooldown", ok().key_cooldown(Duration::MAX).build()),
        ("zero token length", ok().max_token_len(0).build()),
    ];
    for (name, result) in bad {
        assert!(result.is_err(), "{name}");
    }
}

#[tokio::test]
async fn the_layer_reads_the_alb_header_by_default() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use cognito_verifier::axum::{Claims, CognitoAuthLayer};
    use tower::ServiceExt as _;

    let alb = TestAlb::start().await.unwrap();
    let verifier = alb.verifier_builder(CLIENT).build().unwrap();
    async fn me(Claims(c): Claims<AlbClaims>) -> String {
        c.email.unwrap_or_default()
    }
    let app = Router::new().route("/me", get(me).route_layer(CognitoAuthLayer::new(verifier)));
    let send = |header: Option<(&'static str, String)>| {
        let app = app.clone();
        async move {
            let mut request = http::Request::get("/me");
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let response = app
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let token = alb.token(CLIENT).email("jane@example.com").sign();
    assert_eq!(
        send(Some((ALB_DATA_HEADER, token.clone()))).await,
        (200, "jane@example.com".into())
    );
    // Not from Authorization: the ALB data token is not a bearer token.
    assert_eq!(
        send(Some(("authorization", format!("Bearer {token}"))))
            .await
            .0,
        401
    );
    let (status, body) = send(Some((
        ALB_DATA_HEADER,
        alb.token(CLIENT).signer(OTHER_ARN).sign(),
    )))
    .await;
    assert_eq!(status, 401);
    assert!(body.contains("wrong_signer"), "{body}");
}

#[tokio::test]
async fn fetched_keys_are_bounded_and_the_oldest_goes_first() {
    let alb = TestAlb::start().await.unwrap();
    let verifier = alb.verifier_builder(CLIENT).max_keys(1).build().unwrap();
    let first = alb.token(CLIENT).sign();
    verifier.verify(&first).await.unwrap();
    alb.rotate_key().unwrap();
    let second = alb.token(CLIENT).sign();
    verifier.verify(&second).await.unwrap();
    assert_eq!(alb.key_requests(), 2);
    // The first key made room for the second: verifying with it fetches it again.
    assert_eq!(kind(verifier.verify_sync(&first)), ErrorKind::KeyNotCached);
    verifier.verify_sync(&second).unwrap();
    verifier.verify(&first).await.unwrap();
    assert_eq!(alb.key_requests(), 3);
}

#[test]
fn build_errors_name_what_is_wrong() {
    let e = AlbVerifier::builder(["arn:aws:s3:::my-bucket"])
        .user_pool_id("eu-west-1_AbC123")
        .client_ids(["c"])
        .build()
        .unwrap_err();
    assert_eq!(
        e,
        BuildError::InvalidLoadBalancerArn("arn:aws:s3:::my-bucket".into())
    );
    assert!(e.to_string().contains("arn:aws:s3:::my-bucket"), "{e}");
    let e = AlbVerifier::builder([DEFAULT_TEST_ALB_ARN])
        .user_pool_id("eu-west-1_AbC123")
        .client_ids(["c"])
        .key(MADE_UP_KID, "not a key")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("not a PEM PUBLIC KEY"), "{e}");
}

#[tokio::test]
async fn load_balancers_of_every_partition_are_trusted_with_their_pools() {
    for (arn, pool) in [
        (
            "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/1",
            "cn-north-1_AbC123",
        ),
        (
            "arn:aws-eusc:elasticloadbalancing:eusc-de-east-1:123456789012:loadbalancer/app/a/1",
            "eusc-de-east-1_AbC123",
        ),
        (
            "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/1",
            "us-gov-west-1_AbC123",
        ),
    ] {
        let alb = TestAlb::start_with(arn, ManualClock::starting_now())
            .await
            .unwrap();
        let pool_issuer = pool
            .parse::<cognito_verifier::UserPoolId>()
            .unwrap()
            .issuer();
        let verifier = AlbVerifier::builder([arn])
            .keys_uri(alb.keys_uri())
            .allow_insecure_http()
            .user_pool_id(pool)
            .client_ids([CLIENT])
            .build()
            .unwrap();
        let token = alb
            .token(CLIENT)
            .header("iss", pool_issuer.as_str())
            .claim("iss", pool_issuer.as_str())
            .sign();
        let claims = verifier.verify(&token).await.unwrap();
        assert_eq!(claims.iss.as_deref(), Some(pool_issuer.as_str()));
        assert_eq!(claims.signer, arn);
        // The same pool under the commercial suffix is another issuer.
        let wrong = pool_issuer.replace(
            cognito_verifier::Partition::for_region(pool.split('_').next().unwrap()).dns_suffix(),
            "amazonaws.com",
        );
        if wrong != pool_issuer {
            let token = alb
                .token(CLIENT)
                .header("iss", wrong.as_str())
                .claim("iss", wrong.as_str())
                .sign();
            assert_eq!(kind(verifier.verify(&token).await), ErrorKind::WrongIssuer);
        }
    }
    // A region override in another partition than the ARN's, a bad fetch budget: refused.
    for built in [
        AlbVerifier::builder([
            "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/1",
        ])
        .region("eu-west-1")
        .danger_accept_any_issuer()
        .danger_accept_any_client_id()
        .build(),
        AlbVerifier::builder([DEFAULT_TEST_ALB_ARN])
            .max_key_fetches(0, Duration::from_secs(1))
            .danger_accept_any_issuer()
            .danger_accept_any_client_id()
            .build(),
        AlbVerifier::builder([DEFAULT_TEST_ALB_ARN])
            .max_key_fetches(10, Duration::ZERO)
            .danger_accept_any_issuer()
            .danger_accept_any_client_id()
            .build(),
    ] {
        assert!(
            matches!(built, Err(BuildError::InvalidSetting { .. })),
            "{built:?}"
        );
    }
}
