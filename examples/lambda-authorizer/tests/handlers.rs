//! Each authorizer shape fed the events API Gateway sends, with tokens from a local issuer.
#![allow(clippy::unwrap_used, missing_docs)]

use cognito_lambda_authorizer::{Authorizer, AuthorizerError, PolicyScope};
use cognito_verifier::TokenUse;
use cognito_verifier::testkit::TestIssuer;
use serde_json::{Value, json};

const CLIENT: &str = "orders-app";

fn event<T: serde::de::DeserializeOwned>(file: &str, token: &str) -> T {
    let path = format!("{}/tests/events/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("TOKEN", token);
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

fn json_of<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
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
        &a.rest_token(event("rest_token.json", &token))
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
            .rest_token(event("rest_token.json", &token))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthorizerError::Unauthorized));
        assert_eq!(
            err.to_string(),
            "Unauthorized",
            "API Gateway needs exactly this message"
        );
    }
    let mut no_token: aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequest =
        event("rest_token.json", "x");
    no_token.authorization_token = None;
    assert!(matches!(
        a.rest_token(no_token).await,
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
    let response = json_of(&a.rest_token(event("rest_token.json", &user)).await.unwrap());
    assert_eq!(response["policyDocument"]["Statement"][0]["Effect"], "Deny");
    let admin = issuer
        .id_token(CLIENT)
        .username("root")
        .groups(["admins"])
        .sign();
    let response = json_of(
        &a.rest_token(event("rest_token.json", &admin))
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
        &a.rest_request(event("rest_request.json", &token))
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
            .rest_request(event("rest_request.json", &token))
            .await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[tokio::test]
async fn http_api_simple_and_iam_responses() {
    let issuer = TestIssuer::start().await.unwrap();
    let a = authorizer(&issuer);
    let token = issuer.access_token(CLIENT).subject("u-9").sign();
    let simple = json_of(&a.http_simple(event("http_v2.json", &token)).await.unwrap());
    assert_eq!(simple["isAuthorized"], true);
    assert_eq!(simple["context"]["sub"], "u-9");
    let expired = issuer.access_token(CLIENT).expired().sign();
    let simple = json_of(
        &a.http_simple(event("http_v2.json", &expired))
            .await
            .unwrap(),
    );
    assert_eq!(simple["isAuthorized"], false);

    let iam = json_of(&a.http_iam(event("http_v2.json", &token)).await.unwrap());
    assert_eq!(iam["principalId"], "u-9");
    assert_eq!(
        iam["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:eu-west-1:123456789012:abcdef123/$default/*"])
    );
    // A bad token: an explicit Deny for the called route (HTTP APIs document no 401 from an
    // authorizer's error), under no principal of the token's.
    let denied = json_of(&a.http_iam(event("http_v2.json", &expired)).await.unwrap());
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
    let mut missing: aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
        event("http_v2.json", &token);
    missing.headers.clear();
    missing.identity_source = None;
    let missing = json_of(&a.http_iam(missing).await.unwrap());
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
        .rest_token(event("rest_token.json", &token))
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
            .rest_token(event("rest_token.json", &forged))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthorizerError::Unauthorized), "{err}");
    }
    let token = issuer.access_token(CLIENT).sign();
    a.rest_token(event("rest_token.json", &token))
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
        &a.rest_token(event("rest_token.json", &token))
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
        a.rest_token(event("rest_token.json", &admin))
            .await
            .unwrap(),
        a.rest_token(event("rest_token.json", &user)).await.unwrap(),
        a.rest_request(event("rest_request.json", &admin))
            .await
            .unwrap(),
        a.http_simple(event("http_v2.json", &admin)).await.unwrap(),
        a.http_simple(event("http_v2.json", &user)).await.unwrap(),
        a.http_simple(event("http_v2.json", &expired))
            .await
            .unwrap(),
        a.http_iam(event("http_v2.json", &admin)).await.unwrap(),
        a.http_iam(event("http_v2.json", &user)).await.unwrap(),
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
            &a.rest_token(event("rest_token.json", &token))
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
        a.rest_token(event("rest_token.json", &token)).await,
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
        &a.rest_token(event("rest_token.json", &admin))
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
    let denied = json_of(&a.rest_token(event("rest_token.json", &user)).await.unwrap());
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
    for bad in [
        issuer.id_token(CLIENT).wrong_audience().sign(),
        issuer.id_token(CLIENT).groups(["admins"]).expired().sign(),
    ] {
        assert!(matches!(
            a.rest_token(event("rest_token.json", &bad)).await,
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
    verifier
        .verify::<serde_json::Value>(&anonymous)
        .await
        .unwrap();
    assert!(matches!(
        a.rest_token(event("rest_token.json", &anonymous)).await,
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
        let mut e: aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
            event("http_v2.json", identity);
        e.headers
            .insert("authorization", format!("Bearer {header}").parse().unwrap());
        let simple = json_of(&a.http_simple(e).await.unwrap());
        assert_eq!(simple["isAuthorized"], allowed, "{simple}");
    }
    // Without an identity source in the event, the configured header is read.
    let mut e: aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
        event("http_v2.json", &good);
    e.identity_source = None;
    assert_eq!(
        json_of(&a.http_simple(e).await.unwrap())["isAuthorized"],
        true
    );
}
