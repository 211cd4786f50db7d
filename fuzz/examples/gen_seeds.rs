//! Mints a fresh key, writes its JWKS to fuzz/fixtures/jwks.json and real-shaped seed inputs to
//! fuzz/seeds/<target>/. `cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds`, from
//! anywhere: it writes only under fuzz/. An example, not a bin, so that `cargo fuzz list` (and
//! tools that run every listed target) never take it for a fuzz target. The private key is
//! discarded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fs;
use std::path::Path;
use std::time::Duration;

use cognito_verifier::ManualClock;
use cognito_verifier::testkit::{RsaScheme, TestIssuer};

const SEED_TIME: u64 = 1_800_000_000;

fn main() {
    // Paths are relative to the fuzz package, wherever this runs from.
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let clock = ManualClock::new(Duration::from_secs(SEED_TIME));
        let issuer = TestIssuer::start_for_pool("eu-west-1_FuzzPool1", clock).await.unwrap();
        let jwks = issuer.jwks_json();
        fs::create_dir_all("fixtures").unwrap();
        fs::write("fixtures/jwks.json", &jwks).unwrap();
        let c = "fuzz-client";
        let tokens = [
            ("id", issuer.id_token(c).groups(["admins"]).claim("custom:tenant", "acme").sign()),
            ("access", issuer.access_token(c).scopes(["openid", "a/b"]).sign()),
            ("expired", issuer.access_token(c).expired().sign()),
            ("wrong_client", issuer.access_token(c).wrong_audience().sign()),
            ("nbf", issuer.id_token(c).not_yet_valid().sign()),
            ("no_kid", issuer.id_token(c).header("kid", serde_json::Value::Null).sign()),
            ("alg_none", issuer.id_token(c).header("alg", "none").sign()),
            ("rs384", issuer.sign_raw_with(RsaScheme::Rs384, r#"{"alg":"RS384","kid":"test-key-1"}"#, b"{}")),
            ("raw_payload", issuer.sign_raw(r#"{"alg":"RS256","kid":"test-key-1"}"#, r#"{"exp":1e3,"a":[1,{"b":null}]}"#)),
        ];
        for dir in ["seeds/parse", "seeds/verify"] {
            fs::create_dir_all(dir).unwrap();
            for (name, token) in &tokens {
                fs::write(format!("{dir}/{name}"), token).unwrap();
            }
        }
        fs::create_dir_all("seeds/jwks").unwrap();
        fs::write("seeds/jwks/cognito", &jwks).unwrap();
        fs::write("seeds/jwks/mixed", r#"{"keys":[{"kid":"ec","kty":"EC","crv":"P-256","x":"AA","y":"AA"},{"kid":"o","kty":"oct","k":"AA"},{"kid":"r","kty":"RSA","use":"enc","alg":"RSA-OAEP","n":"AQAB","e":"AQAB","key_ops":["encrypt"]}]}"#).unwrap();
        fs::write("seeds/jwks/empty", r#"{"keys":[]}"#).unwrap();
        println!("wrote fixtures/jwks.json and {} seeds per token target", tokens.len());
    });
}
