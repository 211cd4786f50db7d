//! The opt-in verified-token cache never accepts what a full verification would reject.

use std::time::Duration;

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{
    Clock as _, CognitoVerifier, ErrorKind, ManualClock, TokenCacheConfig, TokenUse,
};

use crate::common::{CLIENT, issuer_with_clock, kind};

/// A verifier with the token cache on (entries up to an hour), on `clock`.
fn cached(issuer: &TestIssuer, clock: &ManualClock, leeway: Duration) -> CognitoVerifier {
    issuer
        .verifier_builder(CLIENT)
        .token_use(TokenUse::Any)
        .leeway(leeway)
        .clock(clock.clone())
        .token_cache(TokenCacheConfig::default().max_ttl(Duration::from_secs(3600)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn cached_tokens_still_expire_to_the_second() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::from_secs(5));
    let token = issuer
        .access_token(CLIENT)
        .expires_in(Duration::from_secs(100))
        .sign();
    let first = v.verify_access(&token).await.unwrap();
    assert_eq!(v.verify_access(&token).await.unwrap(), first);
    assert_eq!(v.verify_access_sync(&token).unwrap(), first);
    clock.advance(Duration::from_secs(104));
    assert_eq!(v.verify_access(&token).await.unwrap(), first);
    clock.advance(Duration::from_secs(1));
    assert_eq!(kind(v.verify_access(&token).await), ErrorKind::Expired);
    assert_eq!(kind(v.verify_access_sync(&token)), ErrorKind::Expired);
}

#[tokio::test]
async fn a_clock_moved_back_before_nbf_is_honoured() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::ZERO);
    let now = i64::try_from(clock.now().as_secs()).unwrap();
    let token = issuer.id_token(CLIENT).claim("nbf", now).sign();
    v.verify_id(&token).await.unwrap();
    clock.set(clock.now().checked_sub(Duration::from_secs(60)).unwrap());
    assert_eq!(kind(v.verify_id(&token).await), ErrorKind::NotYetValid);
}

#[tokio::test]
async fn a_clock_moved_back_before_iat_is_honoured() {
    // Review finding 6: a hit re-checked exp and nbf but not iat, so after the clock stepped
    // back it accepted what a full verification refuses as issued in the future.
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::from_secs(5));
    let token = issuer.access_token(CLIENT).sign();
    v.verify_access(&token).await.unwrap();
    clock.set(clock.now().checked_sub(Duration::from_secs(6)).unwrap());
    assert_eq!(
        kind(v.verify_access(&token).await),
        ErrorKind::IssuedInFuture
    );
    assert_eq!(
        kind(v.verify_access_sync(&token)),
        ErrorKind::IssuedInFuture
    );
    // Within the leeway, both agree it is fine.
    clock.advance(Duration::from_secs(2));
    v.verify_access(&token).await.unwrap();
    v.verify_access_sync(&token).unwrap();
}

#[tokio::test]
async fn entries_die_with_their_key() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::from_secs(10));
    let old = issuer.id_token(CLIENT).sign();
    v.verify_id(&old).await.unwrap();
    v.verify_id(&old).await.unwrap();
    issuer.rotate_keys().unwrap();
    issuer.retire_old_keys();
    v.hydrate().await.unwrap();
    assert_eq!(kind(v.verify_id(&old).await), ErrorKind::UnknownKid);
    let new = issuer.id_token(CLIENT).sign();
    v.verify_id(&new).await.unwrap();
}

#[tokio::test]
async fn a_cached_acceptance_answers_only_the_same_question() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::from_secs(10));
    let access = issuer.access_token(CLIENT).sign();
    v.verify_access(&access).await.unwrap();
    assert_eq!(kind(v.verify_id(&access).await), ErrorKind::WrongTokenUse);
    assert!(v.verify_any(&access).await.is_ok());
    // One byte changed is another token: a miss, then a full (failing) verification.
    let mut tampered = access.clone().into_bytes();
    let mid = tampered.len() / 3;
    tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        kind(v.verify_access(&tampered).await),
        ErrorKind::InvalidSignature
    );
}

#[tokio::test]
async fn rejections_are_never_cached() {
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::ZERO);
    let now = i64::try_from(clock.now().as_secs()).unwrap();
    let early = issuer.access_token(CLIENT).claim("nbf", now + 30).sign();
    assert_eq!(kind(v.verify_access(&early).await), ErrorKind::NotYetValid);
    assert_eq!(kind(v.verify_access(&early).await), ErrorKind::NotYetValid);
    clock.advance(Duration::from_secs(30));
    v.verify_access(&early).await.unwrap();
}

#[tokio::test]
async fn a_cached_signature_under_another_header_or_payload_is_refused() {
    // The cache is keyed by the signature; a genuine token's signature under someone else's
    // header or payload must still be a bad signature, cached or not.
    let (issuer, clock) = issuer_with_clock().await;
    let v = cached(&issuer, &clock, Duration::from_secs(10));
    let alice = issuer.access_token(CLIENT).username("alice").sign();
    let mallory = issuer.access_token(CLIENT).username("mallory").sign();
    v.verify_access(&alice).await.unwrap();
    v.verify_access(&mallory).await.unwrap();
    let (alice_signed, alice_sig) = alice.rsplit_once('.').unwrap();
    let (mallory_signed, _) = mallory.rsplit_once('.').unwrap();
    let (alice_header, _) = alice_signed.split_once('.').unwrap();
    let (_, mallory_payload) = mallory_signed.split_once('.').unwrap();
    for forged in [
        format!("{mallory_signed}.{alice_sig}"),
        format!("{alice_header}.{mallory_payload}.{alice_sig}"),
        format!("{}.{alice_sig}", flip_middle(alice_signed)),
    ] {
        assert_eq!(
            kind(v.verify_access(&forged).await),
            ErrorKind::InvalidSignature,
            "{forged}"
        );
        assert_eq!(
            kind(v.verify_access_sync(&forged)),
            ErrorKind::InvalidSignature
        );
    }
    // The genuine tokens still verify, each as itself.
    assert_eq!(
        v.verify_access(&alice).await.unwrap().username.as_deref(),
        Some("alice")
    );
    assert_eq!(
        v.verify_access_sync(&mallory).unwrap().username.as_deref(),
        Some("mallory")
    );
}

/// `text` with its middle character changed to another base64url character.
fn flip_middle(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}
