//! Property tests: generated claim sets survive sign -> verify unchanged, and no input panics.

use base64::Engine as _;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{CognitoClaims, CognitoVerifier, TokenUse};

use crate::common::CLIENT;

fn cases(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// An issuer, and a verifier with its keys preloaded (no network during the properties).
fn setup() -> (tokio::runtime::Runtime, TestIssuer, CognitoVerifier) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start()).unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();
    (rt, issuer, verifier)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300_f64..1e300).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z:]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Extra claims with names no Cognito rule or typed field uses.
fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("(custom:|x-)[A-Za-z0-9_.é]{0,12}", json_value(), 0..8)
        .prop_map(|m| m.into_iter().collect())
}

#[test]
fn generated_claim_sets_round_trip_through_sign_and_verify() {
    let (_rt, issuer, verifier) = setup();
    let base: Value = {
        let t = issuer.access_token(CLIENT).sign();
        let payload = t.split('.').nth(1).unwrap().to_owned();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let mut runner = TestRunner::new(cases(200));
    runner
        .run(
            &(extra_claims(), ".{0,30}", any::<bool>()),
            |(extra, sub, id)| {
                let mut claims = base.clone();
                for (k, v) in &extra {
                    claims[k] = v.clone();
                }
                claims["sub"] = json!(sub);
                if id {
                    claims["token_use"] = json!("id");
                    claims["aud"] = json!(CLIENT);
                }
                let header = json!({"alg": "RS256", "kid": issuer.current_kid()});
                let token = issuer.sign_raw(&header.to_string(), &claims.to_string());
                let (got_sub, other) = match verifier.verify_any_sync(&token) {
                    Ok(CognitoClaims::Id(c)) => (c.sub, c.other),
                    Ok(CognitoClaims::Access(c)) => (c.sub, c.other),
                    Ok(other) => panic!("unexpected claims {other:?}"),
                    Err(e) => panic!("a genuine token was rejected: {e}"),
                };
                prop_assert_eq!(got_sub, sub);
                // Every extra claim comes back exactly; null counts as absent.
                for (k, v) in &extra {
                    prop_assert_eq!(other.get(k).unwrap_or(&Value::Null), v, "claim {}", k);
                }
                // And the generic path agrees with the input byte for byte, as JSON.
                prop_assert_eq!(verifier.verify_sync::<Value>(&token).unwrap(), claims);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn arbitrary_text_never_panics() {
    let (_rt, _issuer, verifier) = setup();
    let mut runner = TestRunner::new(cases(2000));
    runner
        .run(&".{0,300}", |text| {
            prop_assert!(verifier.verify_any_sync(&text).is_err());
            Ok(())
        })
        .unwrap();
}

#[test]
fn token_shaped_garbage_never_panics() {
    let (_rt, issuer, verifier) = setup();
    let kid = issuer.current_kid();
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let mut runner = TestRunner::new(cases(2000));
    let parts = (
        json_value(),
        json_value(),
        prop::collection::vec(any::<u8>(), 0..300),
    );
    runner
        .run(&parts, |(header_extra, payload, sig)| {
            let mut header = json!({"alg": "RS256", "kid": kid});
            header["x"] = header_extra;
            let token = format!(
                "{}.{}.{}",
                b64(header.to_string().as_bytes()),
                b64(payload.to_string().as_bytes()),
                b64(&sig)
            );
            // Unsigned by the issuer's key, so never accepted.
            prop_assert!(verifier.verify_any_sync(&token).is_err());
            Ok(())
        })
        .unwrap();
}
