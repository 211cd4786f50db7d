//! Tokens shaped by pre-token-generation triggers (V2/V3: claims that are objects, arrays,
//! numbers, booleans; groups or every scope suppressed) and machine-to-machine tokens (client
//! credentials: no username, `sub` is the client id) verify with their claims intact.

use cognito_verifier::auth::{Policy, Verified};
use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{CognitoClaims, TokenUse};
use serde_json::{Value, json};

use crate::common::CLIENT;

fn trigger_claims() -> [(&'static str, Value); 6] {
    [
        (
            "tenant",
            json!({"id": "acme", "tier": 3, "regions": ["eu", "us"]}),
        ),
        ("entitlements", json!(["orders:read", "orders:write"])),
        ("quota", json!(1500)),
        ("ratio", json!(0.25)),
        ("beta", json!(true)),
        ("custom:department", json!("finance")),
    ]
}

#[tokio::test]
async fn trigger_shaped_tokens_keep_every_claim() {
    let issuer = TestIssuer::start().await.unwrap();
    let v = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .build()
        .unwrap();
    let mut access = issuer.access_token(CLIENT);
    let mut id = issuer.id_token(CLIENT);
    for (name, value) in trigger_claims() {
        access = access.claim(name, value.clone());
        id = id.claim(name, value);
    }
    // V2/V3 may suppress the groups claim and every scope.
    let access = access
        .without_claim("cognito:groups")
        .without_claim("scope")
        .sign();
    let id = id.without_claim("cognito:groups").sign();

    let claims = v.verify_access(&access).await.unwrap();
    assert!(claims.scope.is_empty() && claims.groups.is_empty());
    let id_claims = v.verify_id(&id).await.unwrap();
    let generic: Value = v.verify(&access).await.unwrap();
    let verified = Policy::new(v.clone())
        .authenticate_token(&access)
        .await
        .unwrap();
    for (name, value) in trigger_claims() {
        assert_eq!(claims.other.get(name), Some(&value), "{name}");
        assert_eq!(id_claims.other.get(name), Some(&value), "{name}");
        assert_eq!(generic[name], value, "{name}");
        assert_eq!(verified.to_json()[name], value, "{name}");
    }
    assert_eq!(claims.custom_attribute("department"), Some("finance"));
    // A serialized claims value reads back the same.
    let back: CognitoClaims =
        serde_json::from_value(serde_json::to_value(&claims).unwrap()).unwrap();
    assert_eq!(back, CognitoClaims::Access(claims));
}

#[tokio::test]
async fn machine_to_machine_tokens_verify_and_say_so() {
    let issuer = TestIssuer::start().await.unwrap();
    let v = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Access)
        .required_scopes(["orders/read"])
        .build()
        .unwrap();
    // Client credentials: no username, no groups, sub is the app client, custom scopes only.
    let m2m = issuer
        .access_token(CLIENT)
        .subject(CLIENT)
        .without_claim("username")
        .without_claim("origin_jti")
        .without_claim("event_id")
        .without_claim("auth_time")
        .scopes(["orders/read", "orders/write"])
        .sign();
    let claims = v.verify_access(&m2m).await.unwrap();
    assert!(claims.is_machine());
    assert_eq!(claims.sub, CLIENT);
    assert_eq!(claims.username, None);
    assert!(claims.has_scope("orders/write"));
    let verified = Policy::new(v.clone())
        .authenticate_token(&m2m)
        .await
        .unwrap();
    assert!(matches!(&verified, Verified::Access(c) if c.is_machine()));
    assert_eq!(verified.username(), None);
    assert_eq!(verified.subject(), Some(CLIENT));
    // A user's token is not a machine's, even with the same scopes.
    let user = issuer.access_token(CLIENT).scopes(["orders/read"]).sign();
    assert!(!v.verify_access(&user).await.unwrap().is_machine());
    // A token without username whose sub is not the client (a trigger removed it) is not
    // taken for a machine.
    let odd = issuer
        .access_token(CLIENT)
        .without_claim("username")
        .scopes(["orders/read"])
        .sign();
    assert!(!v.verify_access(&odd).await.unwrap().is_machine());
}
