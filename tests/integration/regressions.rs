//! Inputs found by fuzzing, kept as tests.

use cognito_verifier::internals::parse_jwks;
use serde_json::Value;

/// fuzz/jwks found that a kid with JSON escapes (`\\`) is reported decoded, so the raw document
/// text does not contain it: the fuzz target's own check was wrong, not the library. This pins
/// the library's behaviour: the usable kid is the decoded string.
#[test]
fn a_kid_with_json_escapes_is_reported_decoded() {
    let doc = include_bytes!("../fixtures/jwks-escaped-kid.json");
    let kids = parse_jwks(doc).unwrap();
    let parsed: Value = serde_json::from_slice(doc).unwrap();
    let expected = parsed["keys"][0]["kid"].as_str().unwrap();
    assert!(expected.contains('\\'));
    assert_eq!(kids, [expected]);
}

/// The token side of the same: a header kid written with JSON escapes selects the key whose
/// decoded kid it equals.
#[tokio::test]
async fn a_header_kid_with_json_escapes_selects_the_decoded_key() {
    let issuer = cognito_verifier::testkit::TestIssuer::start()
        .await
        .unwrap();
    let verifier = issuer
        .verifier_builder("c")
        .token_use(cognito_verifier::TokenUse::Any)
        .build()
        .unwrap();
    let escaped = issuer.current_kid().replace('-', "\\u002d");
    assert_ne!(escaped, issuer.current_kid());
    let claims = issuer.id_token("c").sign();
    let payload = claims.split('.').nth(1).unwrap();
    let payload =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    let token = issuer.sign_raw(
        &format!(r#"{{"alg":"RS256","kid":"{escaped}"}}"#),
        std::str::from_utf8(&payload).unwrap(),
    );
    verifier.verify_id(&token).await.unwrap();
}

// ---- Found by the security review (issue: installable and trap-free, section 5) ----

/// Finding 1: `verify::<AccessClaims>` built access claims from an ID token that carried a
/// `client_id` claim, with that client id unchecked and its scopes usable.
#[tokio::test]
async fn an_id_token_never_comes_out_as_access_claims() {
    use cognito_verifier::{AccessClaims, CognitoClaims, ErrorKind, IdClaims, TokenUse};
    let issuer = cognito_verifier::testkit::TestIssuer::start()
        .await
        .unwrap();
    let verifier = issuer
        .verifier_builder("c")
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let id = issuer
        .id_token("c")
        .claim("client_id", "attacker-client")
        .claim("scope", "admin")
        .sign();
    let err = verifier.verify::<AccessClaims>(&id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClaimsType, "{err}");
    assert!(verifier.verify_sync::<AccessClaims>(&id).is_err());
    let generic = cognito_verifier::JwtVerifier::builder(issuer.issuer(), issuer.jwks_uri())
        .allow_insecure_http()
        .audiences(["c"])
        .build()
        .unwrap();
    assert!(generic.verify::<AccessClaims>(&id).await.is_err());
    // The ID token is still an ID token, through every typed path.
    verifier.verify::<IdClaims>(&id).await.unwrap();
    assert!(matches!(
        verifier.verify_any(&id).await.unwrap(),
        CognitoClaims::Id(_)
    ));
    let access = issuer.access_token("c").sign();
    assert!(verifier.verify::<IdClaims>(&access).await.is_err());
    verifier.verify::<AccessClaims>(&access).await.unwrap();
}

/// `token`'s payload with `prefix` put before its first claim, signed again by `issuer`.
fn with_claims_before(
    issuer: &cognito_verifier::testkit::TestIssuer,
    token: &str,
    prefix: &str,
) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let payload =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    let claims = std::str::from_utf8(&payload)
        .unwrap()
        .strip_prefix('{')
        .unwrap();
    issuer.sign_raw(
        &format!(r#"{{"alg":"RS256","kid":"{}"}}"#, issuer.current_kid()),
        &format!("{{{prefix}{claims}"),
    )
}

/// Finding 2: a checked claim given twice with `null` first passed on the Cognito path.
#[tokio::test]
async fn a_checked_claim_named_twice_with_null_first_is_refused() {
    use cognito_verifier::TokenUse;
    let issuer = cognito_verifier::testkit::TestIssuer::start()
        .await
        .unwrap();
    let verifier = issuer
        .verifier_builder("c")
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let good = issuer.access_token("c").sign();
    for claim in ["exp", "iss", "token_use", "client_id"] {
        let token = with_claims_before(&issuer, &good, &format!(r#""{claim}":null,"#));
        assert!(verifier.verify_access(&token).await.is_err(), "{claim}");
        assert!(verifier.verify_any(&token).await.is_err(), "{claim}");
    }
    let id = issuer.id_token("c").sign();
    let token = with_claims_before(&issuer, &id, r#""aud":null,"#);
    assert!(verifier.verify_id(&token).await.is_err());
    // Re-signed with a harmless extra claim, the same payloads verify: the refusal is the
    // duplicate.
    let token = with_claims_before(&issuer, &good, r#""x":null,"#);
    verifier.verify_access(&token).await.unwrap();
    let token = with_claims_before(&issuer, &id, r#""x":null,"#);
    verifier.verify_id(&token).await.unwrap();
}
