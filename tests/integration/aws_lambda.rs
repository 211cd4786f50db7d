//! `aws_lambda`: each authorizer shape fed the events API Gateway sends, with tokens from a
//! local issuer.

use cognito_verifier::TokenUse;
use cognito_verifier::aws_lambda::{Authorizer, AuthorizerError, AuthorizerType, PolicyScope};
use cognito_verifier::testkit::TestIssuer;
use serde_json::{Value, json};

const CLIENT: &str = "orders-app";

fn event(file: &str, token: &str) -> Value {
    let path = format!("{}/tests/fixtures/apigw/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("@TOKEN@", token);
    serde_json::from_str(&text).unwrap()
}

fn authorizer(issuer: &TestIssuer) -> Authorizer {
    // As at a cold start: the key set comes from a bundled document, no network.
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();
    Authorizer::new(verifier)
}

fn json_of(v: &Value) -> Value {
    v.clone()
}

#[tokio::test]
async fn rest_token_allows_with_a_cacheable_policy_and_flat_context() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer);
    let token = issuer
        .access_token(CLIENT)
        .subject("u-7")
        .groups(["admins", "ops"])
        .scopes(["orders/read", "openid"])
        .sign();
    let response = json_of(
        &a.rest_token(&event("rest_token.json", &token))
            .await
            .unwrap(),
    );
    assert_eq!(response["principalId"], "u-7");
    let statement = &response["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], json!(["execute-api:Invoke"]));
    assert_eq!(
        statement["Resource"],
        json!(["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/*"])
    );
    let context = response["context"].as_object().unwrap();
    assert_eq!(context["cognito:groups"], "admins,ops");
    assert_eq!(context["scope"], "openid orders/read");
    assert_eq!(context["client_id"], CLIENT);
    assert_eq!(context["token_use"], "access");
    assert!(
        context
            .values()
            .all(|v| v.is_string() || v.is_number() || v.is_boolean())
    );
    assert_eq!(issuer.jwks_requests(), 0, "the bundled key set was enough");
}

#[tokio::test]
async fn rest_token_refuses_bad_tokens_with_unauthorized() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer);
    for token in [
        issuer.access_token(CLIENT).expired().sign(),
        issuer.access_token("other-app").sign(),
        "not.a.token".to_owned(),
    ] {
        let err = a
            .rest_token(&event("rest_token.json", &token))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthorizerError::Unauthorized));
        assert_eq!(
            err.to_string(),
            "Unauthorized",
            "API Gateway needs exactly this message"
        );
    }
    let mut no_token = event("rest_token.json", "x");
    no_token
        .as_object_mut()
        .unwrap()
        .remove("authorizationToken");
    assert!(matches!(
        a.rest_token(&no_token).await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[tokio::test]
async fn missing_groups_get_a_deny_and_method_scope_is_honoured() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer)
        .required_groups(&["admins"])
        .principal_claim("username")
        .policy_scope(PolicyScope::Method);
    let user = issuer.id_token(CLIENT).groups(["users"]).sign();
    let response = json_of(
        &a.rest_token(&event("rest_token.json", &user))
            .await
            .unwrap(),
    );
    assert_eq!(response["policyDocument"]["Statement"][0]["Effect"], "Deny");
    let admin = issuer
        .id_token(CLIENT)
        .username("root")
        .groups(["admins"])
        .sign();
    let response = json_of(
        &a.rest_token(&event("rest_token.json", &admin))
            .await
            .unwrap(),
    );
    assert_eq!(response["principalId"], "root");
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/GET/orders/7"])
    );
}

#[tokio::test]
async fn rest_request_reads_the_configured_header() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer).token_header("X-Auth-Token");
    let token = issuer.id_token(CLIENT).sign();
    let response = json_of(
        &a.rest_request(&event("rest_request.json", &token))
            .await
            .unwrap(),
    );
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
    assert_eq!(response["context"]["email"], "alice@example.com");
    let default_header = authorizer(&issuer);
    assert!(matches!(
        default_header
            .rest_request(&event("rest_request.json", &token))
            .await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[tokio::test]
async fn http_api_simple_and_iam_responses() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer);
    let token = issuer.access_token(CLIENT).subject("u-9").sign();
    let simple = json_of(&a.http_simple(&event("http_v2.json", &token)).await.unwrap());
    assert_eq!(simple["isAuthorized"], true);
    assert_eq!(simple["context"]["sub"], "u-9");
    let expired = issuer.access_token(CLIENT).expired().sign();
    let simple = json_of(
        &a.http_simple(&event("http_v2.json", &expired))
            .await
            .unwrap(),
    );
    assert_eq!(simple["isAuthorized"], false);

    let iam = json_of(&a.http_iam(&event("http_v2.json", &token)).await.unwrap());
    assert_eq!(iam["principalId"], "u-9");
    assert_eq!(
        iam["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/$default/*"])
    );
    // A bad token: an explicit Deny for the called route (HTTP APIs document no 401 from an
    // authorizer's error), under no principal of the token's.
    let denied = json_of(&a.http_iam(&event("http_v2.json", &expired)).await.unwrap());
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert_eq!(
        denied["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/$default/GET/orders"])
    );
    assert_eq!(denied["principalId"], "unknown");
    assert!(
        denied.get("context").is_none_or(|c| c == &json!({})),
        "{denied}"
    );
    let mut missing = event("http_v2.json", &token);
    missing["headers"] = json!({});
    missing.as_object_mut().unwrap().remove("identitySource");
    let missing = json_of(&a.http_iam(&missing).await.unwrap());
    assert_eq!(missing["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[tokio::test]
async fn unavailable_keys_are_not_unauthorized() {
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .jwks_uri("http://127.0.0.1:9/jwks.json")
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let a = Authorizer::new(verifier);
    let token = issuer.access_token(CLIENT).sign();
    let err = a
        .rest_token(&event("rest_token.json", &token))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthorizerError::Unavailable(_)), "{err}");
    assert_ne!(err.to_string(), "Unauthorized");
}

#[tokio::test]
async fn a_made_up_kid_is_unauthorized_not_an_outage() {
    // A bundled key set and an endpoint that cannot be reached (a Lambda without egress): a
    // token naming a kid the set lacks is a bad token, never the 500 of unavailable keys.
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .jwks_uri("http://127.0.0.1:9/jwks.json")
        .token_use(TokenUse::Any)
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();
    let a = Authorizer::new(verifier);
    let forged = issuer.access_token(CLIENT).header("kid", "made-up").sign();
    for _ in 0..3 {
        let err = a
            .rest_token(&event("rest_token.json", &forged))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthorizerError::Unauthorized), "{err}");
    }
    let token = issuer.access_token(CLIENT).sign();
    a.rest_token(&event("rest_token.json", &token))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_without_the_principal_claim_is_allowed_under_its_sub() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer).principal_claim("username");
    // A client-credentials (machine-to-machine) access token has no username.
    let token = issuer
        .access_token(CLIENT)
        .subject("m2m-client-sub")
        .without_claim("username")
        .sign();
    let response = json_of(
        &a.rest_token(&event("rest_token.json", &token))
            .await
            .unwrap(),
    );
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
    assert_eq!(response["principalId"], "m2m-client-sub");
}

#[tokio::test]
async fn responses_carry_no_null_fields() {
    fn nulls(v: &Value, path: &str, found: &mut Vec<String>) {
        match v {
            Value::Null => found.push(path.to_owned()),
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| nulls(v, &format!("{path}.{k}"), found)),
            Value::Array(a) => a.iter().for_each(|v| nulls(v, &format!("{path}[]"), found)),
            _ => {}
        }
    }
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer)
        .required_groups(&["admins"])
        .token_header("X-Auth-Token");
    let admin = issuer.access_token(CLIENT).groups(["admins"]).sign();
    let user = issuer.access_token(CLIENT).groups(["users"]).sign();
    let expired = issuer.access_token(CLIENT).expired().sign();
    let responses = [
        a.rest_token(&event("rest_token.json", &admin))
            .await
            .unwrap(),
        a.rest_token(&event("rest_token.json", &user))
            .await
            .unwrap(),
        a.rest_request(&event("rest_request.json", &admin))
            .await
            .unwrap(),
        a.http_simple(&event("http_v2.json", &admin)).await.unwrap(),
        a.http_simple(&event("http_v2.json", &user)).await.unwrap(),
        a.http_simple(&event("http_v2.json", &expired))
            .await
            .unwrap(),
        a.http_iam(&event("http_v2.json", &admin)).await.unwrap(),
        a.http_iam(&event("http_v2.json", &user)).await.unwrap(),
    ];
    for response in &responses {
        let mut found = Vec::new();
        nulls(response, "$", &mut found);
        assert!(found.is_empty(), "null at {found:?} in {response}");
    }
    assert_eq!(responses[5]["isAuthorized"], false);
}

#[tokio::test]
async fn several_pools_route_by_issuer() {
    use cognito_verifier::MultiPoolVerifier;
    let first = TestIssuer::start().await.unwrap();
    let second = TestIssuer::start_for_pool("us-east-1_Second2", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let verifier = |issuer: &TestIssuer| {
        issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Access)
            .jwks(issuer.jwks_json())
            .build()
            .unwrap()
    };
    let a =
        Authorizer::multi(MultiPoolVerifier::new([verifier(&first), verifier(&second)]).unwrap());
    for (issuer, sub) in [(&first, "from-first"), (&second, "from-second")] {
        let token = issuer.access_token(CLIENT).subject(sub).sign();
        let response = json_of(
            &a.rest_token(&event("rest_token.json", &token))
                .await
                .unwrap(),
        );
        assert_eq!(response["principalId"], sub);
    }
    let stranger = TestIssuer::start_for_pool("eu-west-2_Stranger3", cognito_verifier::SystemClock)
        .await
        .unwrap();
    let token = stranger.access_token(CLIENT).sign();
    assert!(matches!(
        a.rest_token(&event("rest_token.json", &token)).await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[tokio::test]
async fn a_generic_issuer_is_verified_with_its_audience_and_its_claims_in_the_context() {
    // A JwtVerifier (not a Cognito pool): ID tokens carry `aud`, so they stand in for any
    // OpenID Connect issuer's tokens here.
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = cognito_verifier::JwtVerifier::builder(issuer.issuer(), issuer.jwks_uri())
        .audiences([CLIENT])
        .allow_insecure_http()
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();
    let a = Authorizer::generic(verifier.clone())
        .principal_claim("custom:employee_id")
        .required_groups(&["admins"]);
    let admin = issuer
        .id_token(CLIENT)
        .subject("u-1")
        .groups(["admins"])
        .sign();
    let allowed = json_of(
        &a.rest_token(&event("rest_token.json", &admin))
            .await
            .unwrap(),
    );
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    // No `custom:employee_id` claim in this token: allowed under its `sub`.
    assert_eq!(allowed["principalId"], "u-1");
    assert_eq!(allowed["context"]["sub"], "u-1");
    assert_eq!(allowed["context"]["cognito:groups"], "admins");
    assert_eq!(
        allowed["context"]["aud"], CLIENT,
        "the token's own claims: {allowed}"
    );

    let user = issuer.id_token(CLIENT).sign();
    let denied = json_of(
        &a.rest_token(&event("rest_token.json", &user))
            .await
            .unwrap(),
    );
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
    for bad in [
        issuer.id_token(CLIENT).wrong_audience().sign(),
        issuer.id_token(CLIENT).groups(["admins"]).expired().sign(),
    ] {
        assert!(matches!(
            a.rest_token(&event("rest_token.json", &bad)).await,
            Err(AuthorizerError::Unauthorized)
        ));
    }
    // Neither the principal claim nor `sub`: authentic to the verifier, but never allowed under
    // a made-up principal.
    let anonymous = issuer
        .id_token(CLIENT)
        .groups(["admins"])
        .without_claim("sub")
        .sign();
    verifier.verify::<Value>(&anonymous).await.unwrap();
    assert!(matches!(
        a.rest_token(&event("rest_token.json", &anonymous)).await,
        Err(AuthorizerError::Unauthorized)
    ));
    assert_eq!(issuer.jwks_requests(), 0, "the bundled key set was enough");
}

#[tokio::test]
async fn http_api_judges_the_token_of_the_identity_source() {
    // API Gateway caches a verdict under the identity source's value: the token judged must be
    // that one, not another header's.
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer);
    let good = issuer.access_token(CLIENT).sign();
    let expired = issuer.access_token(CLIENT).expired().sign();
    for (identity, header, allowed) in [(&good, &expired, true), (&expired, &good, false)] {
        let mut e = event("http_v2.json", identity);
        e["headers"]["authorization"] = json!(format!("Bearer {header}"));
        let simple = json_of(&a.http_simple(&e).await.unwrap());
        assert_eq!(simple["isAuthorized"], allowed, "{simple}");
    }
    // Without an identity source in the event, the configured header is read.
    let mut e = event("http_v2.json", &good);
    e.as_object_mut().unwrap().remove("identitySource");
    assert_eq!(
        json_of(&a.http_simple(&e).await.unwrap())["isAuthorized"],
        true
    );
}

/// The settings as `from_env_with` reads them.
async fn from_env(vars: &[(&str, &str)]) -> Authorizer {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Authorizer::from_env_with(|name| vars.get(name).cloned())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_environment_configures_the_shape_and_the_first_fetch_is_made_at_init() {
    let issuer = TestIssuer::start().await.unwrap();
    let jwks_uri = issuer.jwks_uri();
    let pool = issuer.pool_id().to_string();
    let a = from_env(&[
        ("USER_POOL_ID", &pool),
        ("CLIENT_IDS", " other-app , orders-app "),
        ("JWKS_URI", &jwks_uri),
        ("AUTHORIZER_TYPE", "http-simple"),
        ("REQUIRED_GROUPS", "admins"),
        ("TOKEN_HEADER", "X-Auth-Token"),
        ("TOKEN_USE", "id"),
        ("POLICY_SCOPE", ""),
    ])
    .await;
    assert_eq!(a.kind(), AuthorizerType::HttpSimple);
    assert_eq!(a.issuer(), issuer.issuer());
    assert_eq!(issuer.jwks_requests(), 1, "hydrated during init");

    let admin = issuer.id_token(CLIENT).groups(["admins"]).sign();
    let mut e = event("http_v2.json", "x");
    e.as_object_mut().unwrap().remove("identitySource");
    e["headers"] = json!({"x-auth-token": admin});
    let decision = a.decide(&e, None).await;
    assert_eq!(decision.outcome().unwrap()["isAuthorized"], true);
    assert_eq!(decision.refusal(), None);

    let user = issuer.id_token(CLIENT).groups(["users"]).sign();
    e["headers"] = json!({"X-AUTH-TOKEN": format!("Bearer {user}")});
    let decision = a.decide(&e, None).await;
    assert_eq!(decision.outcome().unwrap(), &json!({"isAuthorized": false}));
    assert_eq!(decision.refusal(), Some("missing_group"));

    // The access token of the same user is refused: TOKEN_USE=id.
    let access = issuer.access_token(CLIENT).groups(["admins"]).sign();
    e["headers"] = json!({"x-auth-token": access});
    assert_eq!(a.decide(&e, None).await.refusal(), Some("wrong_token_use"));
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn decisions_name_their_refusals_and_hostile_events_are_refused() {
    let issuer = TestIssuer::start().await.unwrap();
    let token = issuer.access_token(CLIENT).sign();
    let expired = issuer.access_token(CLIENT).expired().sign();
    let rest = authorizer(&issuer).authorizer_type(AuthorizerType::RestRequest);
    let mut e = event("rest_request.json", &token);
    e["headers"] = json!({"Authorization": format!("Bearer {token}")});
    e["multiValueHeaders"] = json!({"authorization": [format!("Bearer {token}")]});
    assert_eq!(
        rest.decide(&e, None).await.refusal(),
        None,
        "one token, sent twice"
    );
    e["multiValueHeaders"] = json!({
        "authorization": [format!("Bearer {token}"), format!("Bearer {expired}")]
    });
    let decision = rest.decide(&e, None).await;
    assert_eq!(decision.refusal(), Some("ambiguous_token"));
    assert!(matches!(
        decision.outcome(),
        Err(AuthorizerError::Unauthorized)
    ));

    let big = "a".repeat(1 << 20);
    let hostile = [
        json!({"authorizationToken": 5, "methodArn": ["x"]}),
        json!({"authorizationToken": {"token": token}}),
        json!({"authorizationToken": big}),
        json!({"authorizationToken": "Basic dXNlcjpwdw=="}),
        json!({"headers": {"authorization": ["Bearer x"]}, "identitySource": [7]}),
        json!({"headers": [], "multiValueHeaders": {"authorization": "Bearer x"}}),
    ];
    for kind in [
        AuthorizerType::RestToken,
        AuthorizerType::RestRequest,
        AuthorizerType::HttpSimple,
        AuthorizerType::HttpIam,
    ] {
        let a = authorizer(&issuer).authorizer_type(kind);
        // Not an event API Gateway sends this authorizer: a fault (500, alarmed on), not a
        // refused token.
        for event in [
            json!(null),
            json!("Bearer x"),
            json!([token]),
            json!({"type": 7}),
        ] {
            let decision = a.decide(&event, None).await;
            assert_eq!(decision.refusal(), None);
            let error = decision.into_outcome().unwrap_err();
            assert_eq!(error.error_type(), "BadEvent", "{kind} {event:.80}");
        }
        let others = match kind {
            AuthorizerType::RestToken => [json!({"type": "REQUEST"}), json!({"version": "2.0"})],
            AuthorizerType::RestRequest => [json!({"type": "TOKEN"}), json!({"version": "2.0"})],
            _ => [json!({"type": "TOKEN"}), json!({"version": "1.0"})],
        };
        for event in others {
            let error = a.decide(&event, None).await.into_outcome().unwrap_err();
            assert!(
                matches!(error, AuthorizerError::BadEvent(_)),
                "{kind} {event}"
            );
        }
        for event in &hostile {
            let decision = a.decide(event, None).await;
            assert!(decision.refusal().is_some(), "{kind} {event:.80}");
            match (kind, decision.outcome()) {
                (AuthorizerType::RestToken | AuthorizerType::RestRequest, Err(e)) => {
                    assert!(matches!(e, AuthorizerError::Unauthorized));
                    assert_eq!(e.error_type(), "Unauthorized");
                }
                (AuthorizerType::HttpSimple, Ok(response)) => {
                    assert_eq!(response, &json!({"isAuthorized": false}));
                }
                (AuthorizerType::HttpIam, Ok(response)) => {
                    assert_eq!(response["policyDocument"]["Statement"][0]["Effect"], "Deny");
                }
                (kind, outcome) => panic!("{kind}: {outcome:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_verdict_never_outlives_the_invocation() {
    // A key endpoint that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let issuer = TestIssuer::start().await.unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .jwks_uri(format!("http://{addr}/jwks.json"))
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let a = Authorizer::new(verifier);
    let token = issuer.access_token(CLIENT).sign();
    let started = std::time::Instant::now();
    let decision = a
        .decide(
            &event("rest_token.json", &token),
            Some(std::time::Duration::from_secs(1)),
        )
        .await;
    let took = started.elapsed();
    assert!(
        matches!(decision.outcome(), Err(AuthorizerError::DeadlineExceeded)),
        "{decision:?}"
    );
    assert_eq!(
        decision.into_outcome().unwrap_err().error_type(),
        "DeadlineExceeded"
    );
    // Cut off with the margin to answer in (1000 ms less 100 ms), long before the fetch's own
    // deadline (5 s) would have ended it; the bounds leave room for a loaded machine.
    assert!(
        took >= std::time::Duration::from_millis(850) && took < std::time::Duration::from_secs(3),
        "{took:?}"
    );
    hold.abort();
}

#[tokio::test]
async fn an_empty_required_list_is_a_fault_never_a_verdict_on_the_token() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer).required_groups(&[]);
    assert!(
        a.validate()
            .unwrap_err()
            .to_string()
            .contains("required_groups")
    );
    assert!(
        authorizer(&issuer)
            .required_groups(&["admins"])
            .validate()
            .is_ok()
    );
    let admin = issuer.access_token(CLIENT).groups(["admins"]).sign();
    for kind in [AuthorizerType::RestToken, AuthorizerType::HttpSimple] {
        let a = a.clone().authorizer_type(kind);
        let e = match kind {
            AuthorizerType::RestToken => event("rest_token.json", &admin),
            _ => event("http_v2.json", &admin),
        };
        let error = a.decide(&e, None).await.into_outcome().unwrap_err();
        assert!(
            matches!(error, AuthorizerError::Misconfigured(_)),
            "{kind}: {error:?}"
        );
        assert_eq!(error.error_type(), "Misconfigured");
        assert!(error.to_string().contains("required_groups"), "{error}");
    }
}
