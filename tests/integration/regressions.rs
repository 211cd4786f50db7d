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
