//! Full verification of arbitrary bytes against a fixed key set (fuzz/fixtures/jwks.json).
//! Must never panic, and must never accept a token the fixed key did not sign: every acceptance
//! is re-checked with an independent base64 decoder and aws-lc-rs directly.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verifier::{CognitoVerifier, ManualClock, TokenUse};
use libfuzzer_sys::fuzz_target;

const JWKS: &str = include_str!("../fixtures/jwks.json");
/// The seeds were minted at this time (see gen_seeds); the clock stays there.
const SEED_TIME: u64 = 1_800_000_000;

struct Fixed {
    verifier: CognitoVerifier,
    n: Vec<u8>,
    e: Vec<u8>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let jwks: serde_json::Value = serde_json::from_str(JWKS).expect("fixture JWKS");
        let key = &jwks["keys"][0];
        let decode = |f: &str| URL_SAFE_NO_PAD.decode(key[f].as_str().expect("n/e")).expect("b64");
        let verifier = CognitoVerifier::builder("eu-west-1_FuzzPool1")
            .client_ids(["fuzz-client"])
            .token_use(TokenUse::Any)
            .clock(ManualClock::new(Duration::from_secs(SEED_TIME)))
            .jwks(JWKS)
            .build()
            .expect("verifier");
        Fixed { verifier, n: decode("n"), e: decode("e") }
    })
}

fn signed_by_fixed_key(token: &str, f: &Fixed) -> bool {
    let Some((input, sig)) = token.rsplit_once('.') else { return false };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else { return false };
    RsaPublicKeyComponents { n: &f.n, e: &f.e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &sig)
        .is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let f = fixed();
    let typed = f.verifier.verify_any_sync(token);
    let raw = f.verifier.verify_sync::<serde_json::Value>(token);
    for accepted in [typed.is_ok(), raw.is_ok()] {
        if accepted {
            assert!(signed_by_fixed_key(token, f), "accepted a token the fixed key did not sign");
        }
    }
});
