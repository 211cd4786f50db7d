//! Configuration that cannot silently open a route: empty required lists, bare tokens that keep
//! the other sources, a token kind that holds for every verifier, and tokens that are ambiguous.

use cognito_verifier::alb::AlbVerifier;
use cognito_verifier::auth::{Outcome, Policy, TokenSource};
use cognito_verifier::testkit::{TestAlb, TestIssuer};
use cognito_verifier::{BuildError, JwtVerifier, TokenUse};

use crate::common::CLIENT;

fn cognito_policy(issuer: &TestIssuer) -> Policy {
    Policy::new(
        issuer
            .verifier_builder(CLIENT)
            .token_use(TokenUse::Any)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn an_empty_required_list_refuses_every_request_and_names_itself() {
    let issuer = TestIssuer::start().await.unwrap();
    let base = cognito_policy(&issuer);
    let admin = issuer.access_token(CLIENT).groups(["admins"]).sign();
    let headers = [("authorization", format!("Bearer {admin}"))];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    for (setting, policy) in [
        (
            "required_groups",
            base.clone().required_groups(Vec::<String>::new()),
        ),
        ("required_groups", base.clone().required_groups([""])),
        (
            "required_scopes",
            base.clone().required_scopes(Vec::<String>::new()),
        ),
        ("resources", base.clone().resources(Vec::<String>::new())),
        ("sources", base.clone().optional().sources([])),
    ] {
        match policy.validate() {
            Err(BuildError::InvalidSetting { setting: named, .. }) => assert_eq!(named, setting),
            other => panic!("{setting}: {other:?}"),
        }
        // Not "no restriction", and not anonymous either: a 500 naming no secret.
        let refused = policy.authenticate(&headers[..]).await.unwrap_err();
        assert_eq!((refused.status(), refused.kind()), (500, "misconfigured"));
        let refused = policy.authenticate(&[][..]).await.unwrap_err();
        assert_eq!(refused.kind(), "misconfigured", "{setting}");
        let refused = policy.authenticate_token(&admin).await.unwrap_err();
        assert_eq!(refused.kind(), "misconfigured", "{setting}");
    }
    let fine = base.required_groups(["admins"]);
    fine.validate().unwrap();
    assert!(matches!(
        fine.authenticate(&headers[..]).await,
        Ok(Outcome::Authenticated(_))
    ));
}

#[tokio::test]
async fn allowing_bare_tokens_keeps_the_other_sources() {
    let issuer = TestIssuer::start().await.unwrap();
    let token = issuer.access_token(CLIENT).sign();
    let policy = cognito_policy(&issuer)
        .sources([TokenSource::Cookie("session".into()), TokenSource::Bearer])
        .allow_bare_token();
    let cookie = format!("theme=dark; session={token}");
    for headers in [
        vec![("cookie", cookie.as_str())],
        vec![("authorization", token.as_str())],
    ] {
        assert!(
            matches!(
                policy.authenticate(&headers[..]).await,
                Ok(Outcome::Authenticated(_))
            ),
            "{headers:?}"
        );
    }
    // Without a Bearer source, the bare form is added after the others.
    let only_cookie = cognito_policy(&issuer)
        .sources([TokenSource::Cookie("session".into())])
        .allow_bare_token();
    assert!(matches!(
        only_cookie
            .authenticate(&[("authorization", token.as_str())][..])
            .await,
        Ok(Outcome::Authenticated(_))
    ));
    assert!(matches!(
        only_cookie
            .authenticate(&[("cookie", cookie.as_str())][..])
            .await,
        Ok(Outcome::Authenticated(_))
    ));
}

#[tokio::test]
async fn an_access_only_route_refuses_id_tokens_whatever_the_verifier() {
    let issuer = TestIssuer::start().await.unwrap();
    let generic = JwtVerifier::builder(issuer.issuer(), issuer.jwks_uri())
        .allow_insecure_http()
        .audiences([CLIENT])
        .build()
        .unwrap();
    let id = issuer.id_token(CLIENT).sign();
    let policy = Policy::new(generic);
    // Any kind: the generic verifier's answer.
    assert!(policy.authenticate_token(&id).await.is_ok());
    let refused = policy
        .clone()
        .token_use(TokenUse::Access)
        .authenticate_token(&id)
        .await
        .unwrap_err();
    assert_eq!((refused.status(), refused.kind()), (401, "wrong_token_use"));
    assert!(
        policy
            .clone()
            .token_use(TokenUse::Id)
            .authenticate_token(&id)
            .await
            .is_ok()
    );
    // A generic token without token_use is no kind of Cognito token.
    let plain = issuer.id_token(CLIENT).without_claim("token_use").sign();
    assert!(policy.authenticate_token(&plain).await.is_ok());
    let refused = policy
        .clone()
        .token_use(TokenUse::Id)
        .authenticate_token(&plain)
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "wrong_token_use");

    // ALB user claims are neither kind.
    let alb = TestAlb::start().await.unwrap();
    let alb_verifier: AlbVerifier = alb.verifier_builder(CLIENT).build().unwrap();
    let alb_token = alb.token(CLIENT).sign();
    let alb_policy = Policy::new(alb_verifier);
    assert!(alb_policy.authenticate_token(&alb_token).await.is_ok());
    let refused = alb_policy
        .token_use(TokenUse::Access)
        .authenticate_token(&alb_token)
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "wrong_token_use");
}

#[tokio::test]
async fn two_different_tokens_in_one_source_are_refused_as_ambiguous() {
    let issuer = TestIssuer::start().await.unwrap();
    let alice = issuer.access_token(CLIENT).username("alice").sign();
    let mallory = issuer.access_token(CLIENT).username("mallory").sign();
    let policy = cognito_policy(&issuer).sources([
        TokenSource::Cookie("session".into()),
        TokenSource::Header("x-token".into()),
        TokenSource::Bearer,
    ]);
    let both_cookies = format!("session={alice}; session={mallory}");
    let cookie_a = format!("session={alice}");
    let cookie_m = format!("other=1; session={mallory}");
    let bearer_a = format!("Bearer {alice}");
    let bearer_m = format!("Bearer {mallory}");
    for headers in [
        // Cookie tossing: a sibling subdomain sets the same cookie name.
        vec![("cookie", both_cookies.as_str())],
        vec![("cookie", cookie_a.as_str()), ("cookie", cookie_m.as_str())],
        vec![("x-token", alice.as_str()), ("x-token", mallory.as_str())],
        vec![
            ("authorization", bearer_a.as_str()),
            ("authorization", bearer_m.as_str()),
        ],
    ] {
        let refused = policy.authenticate(&headers[..]).await.unwrap_err();
        assert_eq!(
            (refused.status(), refused.kind(), refused.error_code()),
            (400, "ambiguous_token", "invalid_request"),
            "{headers:?}"
        );
    }
    // The same token twice is one token; different sources are tried in order.
    let twice = format!("session={alice}; session={alice}");
    for headers in [
        vec![("cookie", twice.as_str())],
        vec![
            ("cookie", cookie_a.as_str()),
            ("authorization", bearer_m.as_str()),
        ],
        vec![
            ("authorization", bearer_a.as_str()),
            ("authorization", "Basic dXNlcjpwYXNz"),
        ],
    ] {
        match policy.authenticate(&headers[..]).await {
            Ok(Outcome::Authenticated(v)) => assert_eq!(v.username(), Some("alice")),
            other => panic!("{headers:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn rejections_after_the_signature_can_carry_the_verified_claims() {
    use cognito_verifier::RevocationList;
    let issuer = TestIssuer::start().await.unwrap();
    let revoked = RevocationList::new();
    revoked.revoke("gone-session").unwrap();
    let verifier = issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .revocations(revoked)
        .build()
        .unwrap();
    // Fetch the keys first: the claims are read with cached keys only.
    verifier.hydrate().await.unwrap();
    let plain = Policy::new(verifier.clone()).required_groups(["admins"]);
    let telling = plain.clone().claims_in_rejections();
    let subject = "a1b2c3d4-0000-4000-8000-00000000beef";
    let expired = issuer
        .access_token(CLIENT)
        .subject(subject)
        .expired()
        .sign();
    let other_client = issuer.access_token("other-app").subject(subject).sign();
    let not_admin = issuer.access_token(CLIENT).subject(subject).sign();
    let gone = issuer
        .access_token(CLIENT)
        .subject(subject)
        .claim("origin_jti", "gone-session")
        .sign();
    for (token, kind) in [
        (&expired, "expired"),
        (&other_client, "wrong_client_id"),
        (&not_admin, "missing_group"),
        (&gone, "revoked"),
    ] {
        let refused = telling.authenticate_token(token).await.unwrap_err();
        assert_eq!(refused.kind(), kind);
        assert_eq!(refused.claims().unwrap()["sub"], subject, "{kind}");
        // Never in the default body.
        assert!(!refused.body().contains(subject), "{kind}");
        // Not asked for: not there.
        let quiet = plain.authenticate_token(token).await.unwrap_err();
        assert_eq!(quiet.kind(), kind);
        assert!(quiet.claims().is_none(), "{kind}");
    }
    // A token whose signature does not hold never gets its claims believed.
    let (signed, _) = not_admin.rsplit_once('.').unwrap();
    let (_, other_signature) = expired.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{other_signature}");
    let refused = telling.authenticate_token(&forged).await.unwrap_err();
    assert_eq!(refused.kind(), "invalid_signature");
    assert!(refused.claims().is_none());
    let refused = telling.authenticate_token("not.a.token").await.unwrap_err();
    assert!(refused.claims().is_none());
}
