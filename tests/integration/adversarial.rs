//! Hostile input, one test per attack, each asserting the exact error kind. Keys are served on
//! 127.0.0.1 by wiremock: the issuer's real key plus keys a verifier must refuse to use.

use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_verifier::testkit::{RsaScheme, TestIssuer};
use cognito_verifier::{Clock as _, CognitoVerifier, ErrorKind, ManualClock, TokenUse};
use rsa::pkcs1::EncodeRsaPublicKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{CLIENT, issuer_with_clock, kind};

const WEAK_KEY_PEM: &str = include_str!("../fixtures/rsa1024.pem");

struct Adv {
    issuer: TestIssuer,
    clock: ManualClock,
    verifier: CognitoVerifier,
    jwks: Value,
    // Kept alive for the verifier.
    _server: MockServer,
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Adv {
    async fn new() -> Self {
        let (issuer, clock) = issuer_with_clock().await;
        let mut jwks: Value = serde_json::from_str(&issuer.jwks_json()).unwrap();
        let real = jwks["keys"][0].clone();
        let weak = rsa::RsaPrivateKey::from_pkcs8_pem(WEAK_KEY_PEM).unwrap();
        let with = |kid: &str, changes: Value| {
            let mut k = real.clone();
            k["kid"] = json!(kid);
            for (name, value) in changes.as_object().unwrap() {
                k[name] = value.clone();
            }
            k
        };
        let keys = jwks["keys"].as_array_mut().unwrap();
        keys.push(with("enc-key", json!({"use": "enc"})));
        keys.push(with("rs512-key", json!({"alg": "RS512"})));
        keys.push(with(
            "weak-key",
            json!({"n": b64(rsa::traits::PublicKeyParts::n(&weak).to_bytes_be()), "e": "AQAB"}),
        ));
        keys.push(
            json!({"kid": "ec-key", "kty": "EC", "crv": "P-256", "use": "sig",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}),
        );
        keys.push(json!({"kid": "oct-key", "kty": "oct", "k": b64("secret")}));
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&jwks))
            .mount(&server)
            .await;
        let verifier = issuer
            .verifier_builder(CLIENT)
            .jwks_uri(format!("{}/jwks.json", server.uri()))
            .token_use(TokenUse::Any)
            .leeway(Duration::from_secs(10))
            .clock(clock.clone())
            .build()
            .unwrap();
        Self {
            issuer,
            clock,
            verifier,
            jwks,
            _server: server,
        }
    }

    fn now(&self) -> i64 {
        i64::try_from(self.clock.now().as_secs()).unwrap()
    }

    fn kid(&self) -> String {
        self.issuer.current_kid()
    }

    fn header(&self) -> Value {
        json!({"alg": "RS256", "kid": self.kid()})
    }

    /// Valid access-token claims; tests change one thing.
    fn claims(&self) -> Value {
        let now = self.now();
        json!({"sub": "u1", "iss": self.issuer.issuer(), "client_id": CLIENT,
            "token_use": "access", "scope": "openid", "iat": now, "auth_time": now,
            "exp": now + 3600, "jti": "j1", "username": "alice"})
    }

    fn with_claim(&self, name: &str, value: Value) -> Value {
        let mut c = self.claims();
        c[name] = value;
        c
    }

    fn without_claim(&self, name: &str) -> Value {
        let mut c = self.claims();
        c.as_object_mut().unwrap().remove(name);
        c
    }

    /// Signed with the issuer's real key, RS256, header and claims as given.
    fn signed(&self, header: &Value, claims: &Value) -> String {
        self.issuer
            .sign_raw(&header.to_string(), &claims.to_string())
    }

    fn signed_claims(&self, claims: &Value) -> String {
        self.signed(&self.header(), claims)
    }

    fn signed_text(&self, header: &str, payload: &str) -> String {
        self.issuer.sign_raw(header, payload)
    }

    fn valid(&self) -> String {
        self.signed_claims(&self.claims())
    }

    /// An HMAC "signature" keyed with `secret`, the classic algorithm-confusion attack.
    fn hmac_with(&self, alg: &str, secret: &[u8]) -> String {
        let header = json!({"alg": alg, "kid": self.kid(), "typ": "JWT"});
        let input = format!(
            "{}.{}",
            b64(header.to_string()),
            b64(self.claims().to_string())
        );
        let algorithm = match alg {
            "HS384" => hmac::HMAC_SHA384,
            "HS512" => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        let tag = hmac::sign(&hmac::Key::new(algorithm, secret), input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    }

    fn public_key(&self) -> rsa::RsaPublicKey {
        let k = &self.jwks["keys"][0];
        let n = URL_SAFE_NO_PAD.decode(k["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(k["e"].as_str().unwrap()).unwrap();
        rsa::RsaPublicKey::new(
            rsa::BigUint::from_bytes_be(&n),
            rsa::BigUint::from_bytes_be(&e),
        )
        .unwrap()
    }

    /// Replaces segment `i` (0 header, 1 payload, 2 signature).
    fn replace_segment(token: &str, i: usize, with: &str) -> String {
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[i] = with;
        parts.join(".")
    }

    async fn kind_of(&self, token: &str) -> ErrorKind {
        kind(self.verifier.verify_any(token).await)
    }
}

/// One `#[tokio::test]` per case: `name: expected_kind => |adv| token_expression;`
macro_rules! rejects {
    ($($name:ident: $kind:ident => |$a:ident| $token:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let $a = Adv::new().await;
            let token: String = $token;
            assert_eq!($a.kind_of(&token).await, ErrorKind::$kind);
        }
    )*};
}

// ---- alg ----
rejects! {
    alg_none_unsigned: UnsupportedAlgorithm => |a| {
        let h = b64(json!({"alg": "none", "kid": a.kid()}).to_string());
        format!("{h}.{}.", b64(a.claims().to_string()))
    };
    alg_none_with_signature: UnsupportedAlgorithm => |a| a.signed(&json!({"alg": "none", "kid": a.kid()}), &a.claims());
    alg_none_capitalised: UnsupportedAlgorithm => |a| a.signed(&json!({"alg": "None", "kid": a.kid()}), &a.claims());
    alg_none_mixed_case: UnsupportedAlgorithm => |a| a.signed(&json!({"alg": "nOnE", "kid": a.kid()}), &a.claims());
    alg_missing: Malformed => |a| a.signed(&json!({"kid": a.kid()}), &a.claims());
    alg_not_a_string: Malformed => |a| a.signed(&json!({"alg": ["RS256"], "kid": a.kid()}), &a.claims());
    hs256_keyed_with_public_key_pem: UnsupportedAlgorithm => |a| {
        let pem = a.public_key().to_public_key_pem(LineEnding::LF).unwrap();
        a.hmac_with("HS256", pem.as_bytes())
    };
    hs256_keyed_with_public_key_der: UnsupportedAlgorithm => |a| {
        a.hmac_with("HS256", a.public_key().to_public_key_der().unwrap().as_bytes())
    };
    hs256_keyed_with_pkcs1_der: UnsupportedAlgorithm => |a| {
        a.hmac_with("HS256", a.public_key().to_pkcs1_der().unwrap().as_bytes())
    };
    hs256_keyed_with_modulus_bytes: UnsupportedAlgorithm => |a| {
        let n = URL_SAFE_NO_PAD.decode(a.jwks["keys"][0]["n"].as_str().unwrap()).unwrap();
        a.hmac_with("HS256", &n)
    };
    hs256_keyed_with_jwks_json: UnsupportedAlgorithm => |a| a.hmac_with("HS256", a.jwks.to_string().as_bytes());
    hs256_keyed_with_jwk_json: UnsupportedAlgorithm => |a| a.hmac_with("HS256", a.jwks["keys"][0].to_string().as_bytes());
    hs384_keyed_with_public_key_pem: UnsupportedAlgorithm => |a| {
        let pem = a.public_key().to_public_key_pem(LineEnding::LF).unwrap();
        a.hmac_with("HS384", pem.as_bytes())
    };
    hs512_keyed_with_public_key_pem: UnsupportedAlgorithm => |a| {
        let pem = a.public_key().to_public_key_pem(LineEnding::LF).unwrap();
        a.hmac_with("HS512", pem.as_bytes())
    };
    rs384_signed_by_the_real_key: UnsupportedAlgorithm => |a| a.issuer.sign_raw_with(RsaScheme::Rs384, &json!({"alg": "RS384", "kid": a.kid()}).to_string(), a.claims().to_string().as_bytes());
    rs512_signed_by_the_real_key: UnsupportedAlgorithm => |a| a.issuer.sign_raw_with(RsaScheme::Rs512, &json!({"alg": "RS512", "kid": a.kid()}).to_string(), a.claims().to_string().as_bytes());
    ps256_signed_by_the_real_key: UnsupportedAlgorithm => |a| a.issuer.sign_raw_with(RsaScheme::Ps256, &json!({"alg": "PS256", "kid": a.kid()}).to_string(), a.claims().to_string().as_bytes());
    es256_signed_correctly: UnsupportedAlgorithm => |a| {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let _ = key.public_key();
        let input = format!("{}.{}", b64(json!({"alg": "ES256", "kid": "ec-key"}).to_string()), b64(a.claims().to_string()));
        let sig = key.sign(&rng, input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    };
    // The real key signs RS256 but the header claims RS384: the header alg is refused first.
    header_alg_disagrees_with_the_jwk: UnsupportedAlgorithm => |a| a.signed(&json!({"alg": "RS384", "kid": a.kid()}), &a.claims());
    // The JWK says RS512: the key is not used for RS256 even though the math would work.
    jwk_alg_disagrees_with_rs256: UnusableKey => |a| a.signed(&json!({"alg": "RS256", "kid": "rs512-key"}), &a.claims());
}

// ---- kid and keys ----
rejects! {
    kid_missing: MissingKid => |a| a.signed(&json!({"alg": "RS256"}), &a.claims());
    kid_null: MissingKid => |a| a.signed(&json!({"alg": "RS256", "kid": null}), &a.claims());
    kid_a_number: Malformed => |a| a.signed(&json!({"alg": "RS256", "kid": 1}), &a.claims());
    kid_an_object: Malformed => |a| a.signed(&json!({"alg": "RS256", "kid": {"kid": a.kid()}}), &a.claims());
    kid_10_kb_long: Malformed => |a| a.signed(&json!({"alg": "RS256", "kid": "k".repeat(10 * 1024)}), &a.claims());
    kid_path_like: UnknownKid => |a| a.signed(&json!({"alg": "RS256", "kid": "../../../../etc/passwd"}), &a.claims());
    kid_sql_like: UnknownKid => |a| a.signed(&json!({"alg": "RS256", "kid": "' OR '1'='1' --"}), &a.claims());
    kid_of_an_ec_key: UnusableKey => |a| a.signed(&json!({"alg": "RS256", "kid": "ec-key"}), &a.claims());
    kid_of_an_enc_key: UnusableKey => |a| a.signed(&json!({"alg": "RS256", "kid": "enc-key"}), &a.claims());
    kid_of_an_oct_key: UnusableKey => |a| a.signed(&json!({"alg": "RS256", "kid": "oct-key"}), &a.claims());
    kid_of_a_1024_bit_key_signed_by_it: WeakKey => |a| {
        let weak = rsa::RsaPrivateKey::from_pkcs8_pem(WEAK_KEY_PEM).unwrap();
        let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(weak);
        let input = format!("{}.{}", b64(json!({"alg": "RS256", "kid": "weak-key"}).to_string()), b64(a.claims().to_string()));
        format!("{input}.{}", b64(signer.sign(input.as_bytes()).to_bytes()))
    };
    kid_unknown: UnknownKid => |a| a.signed(&json!({"alg": "RS256", "kid": "not-in-the-set"}), &a.claims());
}

// ---- header injection ----
rejects! {
    embedded_jwk_with_the_attackers_key: InvalidSignature => |a| {
        let (attacker, _) = issuer_with_clock().await;
        let jwk: Value = serde_json::from_str::<Value>(&attacker.jwks_json()).unwrap()["keys"][0].clone();
        attacker.sign_raw(&json!({"alg": "RS256", "kid": a.kid(), "jwk": jwk}).to_string(), &a.claims().to_string())
    };
    x5c_with_a_certificate_chain: InvalidSignature => |a| {
        let (attacker, _) = issuer_with_clock().await;
        attacker.sign_raw(&json!({"alg": "RS256", "kid": a.kid(), "x5c": [STANDARD.encode([48, 130, 1, 10])]}).to_string(), &a.claims().to_string())
    };
    crit_with_an_unknown_extension: UnsupportedHeader => |a| a.signed(&json!({"alg": "RS256", "kid": a.kid(), "crit": ["urn:example:x"], "urn:example:x": 1}), &a.claims());
}

/// jku and x5u point at a server the attacker runs: it must never be asked for anything.
#[tokio::test]
async fn jku_and_x5u_are_never_fetched() {
    let a = Adv::new().await;
    let (attacker, _) = issuer_with_clock().await;
    let evil = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(attacker.jwks_json()))
        .mount(&evil)
        .await;
    let url = format!("{}/jwks.json", evil.uri());
    for (param, kid) in [
        ("jku", "attacker-kid"),
        ("x5u", "attacker-kid"),
        ("jku", ""),
    ] {
        let kid = if kid.is_empty() {
            a.kid()
        } else {
            kid.to_owned()
        };
        let header = json!({"alg": "RS256", "kid": kid, param: url});
        let token = attacker.sign_raw(&header.to_string(), &a.claims().to_string());
        let expected = if kid == a.kid() {
            ErrorKind::InvalidSignature
        } else {
            ErrorKind::UnknownKid
        };
        assert_eq!(a.kind_of(&token).await, expected, "{param}");
    }
    assert_eq!(evil.received_requests().await.unwrap().len(), 0);
}

// ---- signature ----
rejects! {
    // 342 characters less 2 is 85 whole quads: valid base64 of 255 bytes, one byte short.
    signature_one_byte_short: InvalidSignature => |a| { let t = a.valid(); t[..t.len() - 2].to_owned() };
    signature_truncated_by_1_char: Malformed => |a| { let t = a.valid(); t[..t.len() - 1].to_owned() };
    signature_empty: Malformed => |a| { let t = a.valid(); t[..=t.rfind('.').unwrap()].to_owned() };
    signature_one_byte_too_long: InvalidSignature => |a| {
        let t = a.valid();
        let mut sig = URL_SAFE_NO_PAD.decode(t.rsplit('.').next().unwrap()).unwrap();
        sig.push(0);
        Adv::replace_segment(&t, 2, &b64(sig))
    };
    signature_padded_with_equals: Malformed => |a| format!("{}==", a.valid());
    signature_in_standard_base64: Malformed => |a| {
        // Sign until the signature's standard encoding differs (has + or /).
        loop {
            let t = a.signed_claims(&a.with_claim("jti", json!(format!("{}", rand_u64()))));
            let sig = URL_SAFE_NO_PAD.decode(t.rsplit('.').next().unwrap()).unwrap();
            let std = STANDARD.encode(&sig);
            if std.contains('+') || std.contains('/') {
                break Adv::replace_segment(&t, 2, std.trim_end_matches('='));
            }
        }
    };
    signature_from_another_token: InvalidSignature => |a| {
        let other = a.signed_claims(&a.with_claim("sub", json!("someone-else")));
        Adv::replace_segment(&a.valid(), 2, other.rsplit('.').next().unwrap())
    };
    signature_stripped_with_its_dot: Malformed => |a| { let t = a.valid(); t[..t.rfind('.').unwrap()].to_owned() };
    payload_swapped_under_a_valid_signature: InvalidSignature => |a| {
        let forged = b64(a.with_claim("sub", json!("admin")).to_string());
        Adv::replace_segment(&a.valid(), 1, &forged)
    };
}

#[expect(
    clippy::cast_precision_loss,
    reason = "a time in seconds fits f64 exactly"
)]
fn as_f64(secs: i64) -> f64 {
    secs as f64
}

fn rand_u64() -> u64 {
    let mut b = [0_u8; 8];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// Any single-byte change anywhere in a valid token is rejected (flipping each bit of each byte
/// would be 8× slower for no new paths: the low bit, a high bit and a swap to '.' cover them).
#[tokio::test]
async fn every_single_byte_change_is_rejected() {
    let a = Adv::new().await;
    let token = a.valid();
    a.verifier.verify_any(&token).await.unwrap();
    let bytes = token.as_bytes();
    let mut checked = 0;
    for i in 0..bytes.len() {
        for change in [1_u8, 0x40, 0] {
            let mut b = bytes.to_vec();
            b[i] = if change == 0 { b'.' } else { b[i] ^ change };
            if b[i] == bytes[i] {
                continue;
            }
            let Ok(mutated) = String::from_utf8(b) else {
                continue;
            };
            assert!(
                a.verifier.verify_any_sync(&mutated).is_err(),
                "byte {i} changed was accepted"
            );
            checked += 1;
        }
    }
    assert!(checked > 2 * bytes.len());
}

// ---- structure ----
rejects! {
    one_segment: Malformed => |a| a.valid().split('.').next().unwrap().to_owned();
    two_segments: Malformed => |a| a.valid().rsplit_once('.').unwrap().0.to_owned();
    four_segments: Malformed => |a| format!("{}.AAAA", a.valid());
    five_segments_a_jwe: Malformed => |a| format!("{}.AAAA.BBBB", a.valid());
    empty: Malformed => |a| String::new();
    only_dots: Malformed => |a| "..".to_owned();
    whitespace_inside: Malformed => |a| { let t = a.valid(); format!("{} {}", &t[..20], &t[20..]) };
    nul_inside: Malformed => |a| { let t = a.valid(); format!("{}\0{}", &t[..20], &t[20..]) };
    non_ascii_inside: Malformed => |a| { let t = a.valid(); format!("{}é{}", &t[..20], &t[20..]) };
    header_not_json: Malformed => |a| a.signed_text("not json", &a.claims().to_string());
    header_a_json_array: Malformed => |a| a.signed_text(&json!(["RS256", a.kid()]).to_string(), &a.claims().to_string());
    header_a_number: Malformed => |a| a.signed_text("42", &a.claims().to_string());
    header_duplicate_alg: Malformed => |a| a.signed_text(&format!(r#"{{"alg":"none","alg":"RS256","kid":"{}"}}"#, a.kid()), &a.claims().to_string());
    payload_not_json: Malformed => |a| a.signed_text(&a.header().to_string(), "not json");
    payload_a_json_array: Malformed => |a| a.signed_text(&a.header().to_string(), &json!([a.claims()]).to_string());
    payload_a_number: Malformed => |a| a.signed_text(&a.header().to_string(), "1700000000");
    payload_invalid_utf8: Malformed => |a| {
        let mut payload = a.claims().to_string().into_bytes();
        payload.insert(1, 0xff);
        a.issuer.sign_raw_with(RsaScheme::Rs256, &a.header().to_string(), &payload)
    };
    payload_duplicate_exp: Malformed => |a| {
        let c = a.claims().to_string();
        a.signed_text(&a.header().to_string(), &c.replacen('{', &format!(r#"{{"exp":{},"#, a.now() + 99_999), 1))
    };
    payload_duplicate_custom_claim: Malformed => |a| {
        let c = a.claims().to_string();
        a.signed_text(&a.header().to_string(), &c.replacen('{', r#"{"custom:role":"user","custom:role":"admin","#, 1))
    };
    payload_nested_10000_deep: Malformed => |a| {
        let c = a.claims().to_string();
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        a.signed_text(&a.header().to_string(), &c.replacen('{', &format!(r#"{{"deep":{deep},"#), 1))
    };
    a_one_megabyte_token: Malformed => |a| format!("{}{}", a.valid(), "A".repeat(1024 * 1024));
}

// ---- claims ----
rejects! {
    exp_missing: MissingClaim => |a| a.signed_claims(&a.without_claim("exp"));
    exp_a_string: InvalidClaim => |a| a.signed_claims(&a.with_claim("exp", json!((a.now() + 999).to_string())));
    exp_in_the_past_as_a_float: Expired => |a| a.signed_claims(&a.with_claim("exp", json!(as_f64(a.now()) - 60.5)));
    exp_negative: Expired => |a| a.signed_claims(&a.with_claim("exp", json!(-1)));
    exp_1e400: Malformed => |a| a.signed_text(&a.header().to_string(), &a.claims().to_string().replacen('{', r#"{"nbf":1e400,"#, 1));
    exp_2_to_the_64: InvalidClaim => |a| a.signed_claims(&a.with_claim("exp", json!(u64::MAX)));
    nbf_in_the_future: NotYetValid => |a| a.signed_claims(&a.with_claim("nbf", json!(a.now() + 60)));
    iat_in_the_future: IssuedInFuture => |a| a.signed_claims(&a.with_claim("iat", json!(a.now() + 60)));
    iss_wrong: WrongIssuer => |a| a.signed_claims(&a.with_claim("iss", json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")));
    iss_with_a_trailing_slash: WrongIssuer => |a| a.signed_claims(&a.with_claim("iss", json!(format!("{}/", a.issuer.issuer()))));
    iss_missing: MissingClaim => |a| a.signed_claims(&a.without_claim("iss"));
    client_id_wrong: WrongClientId => |a| a.signed_claims(&a.with_claim("client_id", json!("other-client")));
    client_id_missing: MissingClaim => |a| a.signed_claims(&a.without_claim("client_id"));
    aud_wrong_on_an_id_token: WrongAudience => |a| {
        let mut c = a.with_claim("token_use", json!("id"));
        c["aud"] = json!("other-client");
        a.signed_claims(&c)
    };
    aud_missing_on_an_id_token: MissingClaim => |a| a.signed_claims(&a.with_claim("token_use", json!("id")));
    aud_an_array_without_the_client: WrongAudience => |a| {
        let mut c = a.with_claim("token_use", json!("id"));
        c["aud"] = json!(["other-client", "another"]);
        a.signed_claims(&c)
    };
    token_use_missing: MissingClaim => |a| a.signed_claims(&a.without_claim("token_use"));
    token_use_refresh: WrongTokenUse => |a| a.signed_claims(&a.with_claim("token_use", json!("refresh")));
}

#[tokio::test]
async fn token_use_of_the_other_kind_is_rejected() {
    let a = Adv::new().await;
    let access = a.valid();
    assert_eq!(
        kind(a.verifier.verify_id(&access).await),
        ErrorKind::WrongTokenUse
    );
    let mut id = a.with_claim("token_use", json!("id"));
    id["aud"] = json!(CLIENT);
    let id = a.signed_claims(&id);
    assert_eq!(
        kind(a.verifier.verify_access(&id).await),
        ErrorKind::WrongTokenUse
    );
}

#[tokio::test]
async fn aud_as_an_array_naming_the_client_is_accepted() {
    let a = Adv::new().await;
    let mut c = a.with_claim("token_use", json!("id"));
    c["aud"] = json!([CLIENT]);
    assert_eq!(
        a.verifier
            .verify_id(&a.signed_claims(&c))
            .await
            .unwrap()
            .aud,
        CLIENT
    );
}

#[tokio::test]
async fn a_future_exp_as_a_float_is_accepted() {
    let a = Adv::new().await;
    #[expect(
        clippy::cast_precision_loss,
        reason = "a time in seconds fits f64 exactly"
    )]
    let exp = a.now() as f64 + 60.5;
    let claims = a
        .verifier
        .verify_access(&a.signed_claims(&a.with_claim("exp", json!(exp))))
        .await
        .unwrap();
    assert_eq!(claims.exp, a.now() + 60);
}

#[tokio::test]
async fn leeway_holds_to_the_second_on_each_side() {
    let a = Adv::new().await; // leeway 10 s
    let now = a.now();
    let ok = [("exp", now - 9), ("nbf", now + 10), ("iat", now + 10)];
    let bad = [
        ("exp", now - 10, ErrorKind::Expired),
        ("nbf", now + 11, ErrorKind::NotYetValid),
        ("iat", now + 11, ErrorKind::IssuedInFuture),
    ];
    for (claim, t) in ok {
        let token = a.signed_claims(&a.with_claim(claim, json!(t)));
        assert!(
            a.verifier.verify_access(&token).await.is_ok(),
            "{claim}={t}"
        );
    }
    for (claim, t, expected) in bad {
        let token = a.signed_claims(&a.with_claim(claim, json!(t)));
        assert_eq!(a.kind_of(&token).await, expected, "{claim}={t}");
    }
}

// ---- refresh tokens ----
rejects! {
    cognito_refresh_token_a_jwe: Malformed => |a| {
        // Cognito's refresh tokens are JWE in compact form: five segments, RSA-OAEP + A256GCM.
        let header = b64(json!({"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}).to_string());
        format!("{header}.{}.{}.{}.{}", b64([1; 256]), b64([2; 12]), b64([3; 600]), b64([4; 16]))
    };
    emulator_refresh_token_without_kid: MissingKid => |a| a.signed(&json!({"alg": "RS256", "typ": "JWT"}), &a.with_claim("token_use", json!("refresh")));
}
