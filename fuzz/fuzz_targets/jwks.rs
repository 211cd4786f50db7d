//! JWKS documents from arbitrary bytes. Must never panic; an accepted document must be UTF-8; and
//! every kid reported usable must name, in an independent parse of the same document, an RSA key
//! whose `use` and `alg` allow RS256.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn allowed(key: &Value, field: &str, wanted: &str) -> bool {
    match key.get(field) {
        None => true,
        Some(v) => v.as_str() == Some(wanted),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(kids) = cognito_verifier::internals::parse_jwks(data) else { return };
    assert!(std::str::from_utf8(data).is_ok(), "accepted a key set that is not UTF-8");
    let doc: Value = serde_json::from_slice(data)
        .unwrap_or_else(|e| panic!("accepted a key set serde_json::Value rejects: {e}"));
    let keys = doc["keys"].as_array().expect("a key set we accepted has a keys array");
    for kid in kids {
        let named = keys.iter().any(|k| {
            k.get("kid").and_then(Value::as_str) == Some(kid.as_str())
                && k.get("kty").and_then(Value::as_str) == Some("RSA")
                && allowed(k, "use", "sig")
                && allowed(k, "alg", "RS256")
        });
        assert!(named, "kid {kid:?} reported usable but no such RSA signing key in the document");
    }
});
