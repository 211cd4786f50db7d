//! ALB user-claims tokens (`x-amzn-oidc-data`). Two modes, by the first byte:
//! - even: the rest is the token text, as an attacker sends it;
//! - odd: the rest is `header JSON \0 payload JSON`, signed here in ALB's shape (padded segments,
//!   ES256) with the key the verifier trusts, so that arbitrary headers and claims reach the
//!   checks that run after the signature.
//!
//! Must never panic. An accepted token must be signed by the trusted ARN, for the trusted client
//! and issuer, with a header `exp` in the future, and every segment padded base64url.
#![no_main]

use std::sync::LazyLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use cognito_verifier::alb::AlbVerifier;
use libfuzzer_sys::fuzz_target;

const ARN: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/fuzz/50dc6c495c0c9188";
const KID: &str = "0b5c3c1e-95b5-4a8e-9d7e-1f0e6e1a2b3c";
const ISS: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Fuzz1";
const CLIENT: &str = "fuzz-client";
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

struct Fixture {
    pair: EcdsaKeyPair,
    verifier: AlbVerifier,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .unwrap();
    let mut der = P256_SPKI_PREFIX.to_vec();
    der.extend_from_slice(pair.public_key().as_ref());
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    );
    let verifier = AlbVerifier::builder([ARN])
        .key(KID, pem)
        .no_fetch()
        .issuer(ISS)
        .client_ids([CLIENT])
        .build()
        .unwrap();
    Fixture { pair, verifier }
});

fn header_of(token: &str) -> serde_json::Value {
    let segment = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE.decode(segment).unwrap()).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else { return };
    let f = &*FIXTURE;
    let token = if mode % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else { return };
        text.to_owned()
    } else {
        let mut parts = rest.splitn(2, |b| *b == 0);
        let (header, payload) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let input = format!("{}.{}", URL_SAFE.encode(header), URL_SAFE.encode(payload));
        let sig = f.pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE.encode(sig.as_ref()))
    };
    let Ok(claims) = f.verifier.verify_sync(&token) else { return };
    assert_eq!(claims.signer, ARN);
    assert_eq!(claims.client.as_deref(), Some(CLIENT));
    assert_eq!(claims.iss.as_deref(), Some(ISS));
    assert!(!claims.sub.is_empty());
    assert!(token.split('.').all(|s| s.len() % 4 == 0), "accepted an unpadded segment");
    let header = header_of(&token);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], KID);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // The default leeway is 10 s.
    assert!(claims.exp.saturating_add(10) > i64::try_from(now).unwrap(), "accepted an expired token");
});
