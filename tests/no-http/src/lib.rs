//! Nothing but tests: see `Cargo.toml`.

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::time::Duration;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use cognito_verifier::{
        BoxFuture, BuildError, CognitoVerifier, ErrorKind, FetchedJwks, JwksError, JwksFetcher,
        ManualClock, TokenUse,
    };

    const POOL: &str = "eu-west-1_NoHttp1";
    const CLIENT: &str = "client-1";

    struct Issuer {
        pair: KeyPair,
        jwks: String,
    }

    impl Issuer {
        fn new() -> Self {
            let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
            let public = pair.public_key();
            let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
            let jwks = serde_json::json!({"keys": [{
                "alg": "RS256", "kty": "RSA", "use": "sig", "kid": "k1",
                "e": b64(public.exponent().big_endian_without_leading_zero()),
                "n": b64(public.modulus().big_endian_without_leading_zero()),
            }]})
            .to_string();
            Self { pair, jwks }
        }

        fn access_token(&self, now: u64, kid: &str) -> String {
            let header = format!(r#"{{"kid":"{kid}","alg":"RS256"}}"#);
            let payload = serde_json::json!({
                "sub": "a1b2c3d4-0000-4000-8000-000000000001",
                "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
                "client_id": CLIENT, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
                "auth_time": now, "iat": now, "exp": now + 3600, "jti": "j", "username": "alice",
            })
            .to_string();
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload)
            );
            let mut sig = vec![0; self.pair.public_modulus_len()];
            self.pair
                .sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut sig,
                )
                .unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
        }
    }

    fn builder(clock: &ManualClock) -> cognito_verifier::CognitoVerifierBuilder {
        CognitoVerifier::builder(POOL)
            .client_ids([CLIENT])
            .token_use(TokenUse::Access)
            .clock(clock.clone())
    }

    #[test]
    fn a_static_key_set_verifies_without_http_for_thirty_days() {
        let issuer = Issuer::new();
        let start = Duration::from_secs(1_800_000_000);
        let clock = ManualClock::new(start);
        let verifier = builder(&clock)
            .static_jwks(issuer.jwks.clone())
            .build()
            .unwrap();
        clock.advance(Duration::from_secs(30 * 86_400));
        let now = start.as_secs() + 30 * 86_400;
        let claims = verifier
            .verify_access_sync(&issuer.access_token(now, "k1"))
            .unwrap();
        assert_eq!(claims.username.as_deref(), Some("alice"));
        let err = verifier
            .verify_access_sync(&issuer.access_token(now, "made-up"))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownKid);
        assert!(!err.is_key_unavailable());
    }

    #[test]
    fn without_http_a_key_source_is_required() {
        let clock = ManualClock::new(Duration::from_secs(1_800_000_000));
        assert!(matches!(
            builder(&clock).build(),
            Err(BuildError::Missing(_))
        ));
        assert!(matches!(
            builder(&clock).jwks(r#"{"keys":[]}"#).build(),
            Err(BuildError::Missing(_))
        ));
    }

    /// A fetcher of the application's own (a secret store, say): works without `http`.
    #[derive(Debug)]
    struct FromMemory(String);

    impl JwksFetcher for FromMemory {
        fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>> {
            Box::pin(async move { Ok(FetchedJwks::new(self.0.clone().into_bytes())) })
        }
    }

    #[tokio::test]
    async fn a_custom_fetcher_works_without_http() {
        let issuer = Issuer::new();
        let clock = ManualClock::new(Duration::from_secs(1_800_000_000));
        let verifier = builder(&clock)
            .fetcher(FromMemory(issuer.jwks.clone()))
            .build()
            .unwrap();
        let token = issuer.access_token(1_800_000_000, "k1");
        let claims = verifier.verify_access(&token).await.unwrap();
        assert_eq!(claims.client_id, CLIENT);
    }
}
