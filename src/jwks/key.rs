//! Stage 3a: a JWKS document to a set of ready RS256 keys, indexed by `kid`.
//!
//! A key is usable only if `kty` is `RSA`, `use` is `sig` or absent, `alg` is `RS256` or absent,
//! `key_ops` (if present) includes `verify`, and the modulus has 2048 to 8192 bits. Keys that fail
//! are remembered with the reason, so a token naming one gets a precise error instead of
//! `unknown_kid`. Keys are converted once, here, and never per verification.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use crate::error::{Error, JwksError, excerpt};
use crate::jwt::parse::{JsonValue, MAX_KID_LEN};
use crate::jwt::signature::{KeyProblem, MIN_RSA_BITS, RsaPublicKey};

/// The default cap on the number of keys in a JWKS document. Cognito publishes two.
pub const DEFAULT_MAX_KEYS: usize = 32;

/// The keys of one JWKS document.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: HashMap<Box<str>, KeyEntry>,
}

enum KeyEntry {
    Usable(Arc<RsaPublicKey>),
    Unusable(&'static str),
    Weak { bits: usize },
}

#[derive(Deserialize)]
struct RawJwks<'a> {
    #[serde(borrow)]
    keys: Vec<RawJwk<'a>>,
}

#[derive(Deserialize)]
struct RawJwk<'a> {
    #[serde(borrow)]
    kid: Option<JsonValue<'a>>,
    #[serde(borrow)]
    kty: Option<JsonValue<'a>>,
    #[serde(borrow, rename = "use")]
    use_: Option<JsonValue<'a>>,
    #[serde(borrow)]
    alg: Option<JsonValue<'a>>,
    #[serde(borrow)]
    key_ops: Option<JsonValue<'a>>,
    #[serde(borrow)]
    n: Option<JsonValue<'a>>,
    #[serde(borrow)]
    e: Option<JsonValue<'a>>,
}

impl KeySet {
    /// Parses a JWKS document. Fails only when the document itself is unusable (not JSON, no
    /// `keys` array, too many keys); single bad keys are kept as unusable entries.
    pub(crate) fn parse(document: &[u8], max_keys: usize) -> Result<Self, JwksError> {
        let invalid = |reason: String| JwksError::InvalidDocument { reason };
        if document.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(invalid("not a JSON object".into()));
        }
        // Strict first: the whole document must parse as a serde_json::Value, which checks what a
        // skipping parse does not (UTF-8 and escapes in skipped strings, number range; fuzzing
        // found all three). Then the typed pass, which also refuses duplicate fields in a key.
        // Key sets are parsed once per fetch, so the second pass costs nothing that matters.
        let text = std::str::from_utf8(document).map_err(|_| invalid("not UTF-8".into()))?;
        serde_json::from_str::<serde_json::Value>(text).map_err(|e| invalid(e.to_string()))?;
        let raw: RawJwks<'_> = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if raw.keys.len() > max_keys {
            return Err(JwksError::TooManyKeys {
                count: raw.keys.len(),
                limit: max_keys,
            });
        }
        let mut keys: HashMap<Box<str>, KeyEntry> = HashMap::with_capacity(raw.keys.len());
        for jwk in &raw.keys {
            // A key without a string kid can never be selected by a token.
            let Some(JsonValue::Str(kid)) = &jwk.kid else {
                continue;
            };
            if kid.len() > MAX_KID_LEN {
                continue;
            }
            match keys.entry((**kid).into()) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(convert(jwk));
                }
                // A kid named more than once: refuse every key under it rather than guess which
                // one the issuer meant, however many there are and whatever they hold.
                std::collections::hash_map::Entry::Occupied(mut slot) => {
                    slot.insert(KeyEntry::Unusable("more than one key has this kid"));
                }
            }
        }
        Ok(Self { keys })
    }

    /// The key for `kid`: `Ok(None)` when the set has no key under that kid.
    pub(crate) fn get(&self, kid: &str) -> Result<Option<&Arc<RsaPublicKey>>, Error> {
        match self.keys.get(kid) {
            None => Ok(None),
            Some(KeyEntry::Usable(key)) => Ok(Some(key)),
            Some(KeyEntry::Unusable(reason)) => Err(Error::UnusableKey {
                kid: excerpt(kid),
                reason,
            }),
            Some(KeyEntry::Weak { bits }) => Err(Error::WeakKey {
                kid: excerpt(kid),
                bits: *bits,
                min_bits: MIN_RSA_BITS,
            }),
        }
    }

    /// The kids of the usable keys, sorted.
    pub(crate) fn usable_kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, k)| matches!(k, KeyEntry::Usable(_)))
            .map(|(kid, _)| kid.to_string())
            .collect();
        kids.sort();
        kids
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("usable_kids", &self.usable_kids())
            .finish_non_exhaustive()
    }
}

fn convert(jwk: &RawJwk<'_>) -> KeyEntry {
    let as_str = |v: &Option<JsonValue<'_>>| match v {
        Some(JsonValue::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    match &jwk.kty {
        Some(JsonValue::Str(kty)) if kty == "RSA" => {}
        _ => return KeyEntry::Unusable("kty is not RSA"),
    }
    match &jwk.use_ {
        None => {}
        Some(JsonValue::Str(u)) if u == "sig" => {}
        Some(_) => return KeyEntry::Unusable("use is not sig"),
    }
    match &jwk.alg {
        None => {}
        Some(JsonValue::Str(a)) if a == "RS256" => {}
        Some(_) => return KeyEntry::Unusable("alg is not RS256"),
    }
    match &jwk.key_ops {
        None => {}
        Some(JsonValue::StrArray(ops)) if ops.iter().any(|op| op == "verify") => {}
        Some(_) => return KeyEntry::Unusable("key_ops does not include verify"),
    }
    let (Some(n), Some(e)) = (as_str(&jwk.n), as_str(&jwk.e)) else {
        return KeyEntry::Unusable("n or e is missing");
    };
    let b64 = base64_simd::URL_SAFE_NO_PAD;
    let (Ok(n), Ok(e)) = (b64.decode_to_vec(n), b64.decode_to_vec(e)) else {
        return KeyEntry::Unusable("n or e is not unpadded base64url");
    };
    match RsaPublicKey::from_components(&n, &e) {
        Ok(key) => KeyEntry::Usable(Arc::new(key)),
        Err(KeyProblem::TooSmall { bits }) => KeyEntry::Weak { bits },
        Err(KeyProblem::TooLarge) => KeyEntry::Unusable("the modulus is larger than 8192 bits"),
        Err(KeyProblem::Invalid) => KeyEntry::Unusable("n and e do not form a valid RSA key"),
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::ErrorKind;

    fn rsa_jwk(kid: &str, extra: &str) -> String {
        let kp = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let public = kp.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        format!(r#"{{"kid":"{kid}","kty":"RSA","n":"{n}","e":"{e}"{extra}}}"#)
    }

    fn kind_of(set: &KeySet, kid: &str) -> Option<ErrorKind> {
        set.get(kid).err().map(|e| e.kind())
    }

    #[test]
    fn loads_usable_keys_and_explains_unusable_ones() {
        let doc = format!(
            r#"{{"keys":[{},{},{},{},{},{},
              {{"kid":"ec","kty":"EC","crv":"P-256","x":"AA","y":"AA"}},
              {{"kid":"oct","kty":"oct","k":"c2VjcmV0"}},
              {{"kid":"weak","kty":"RSA","n":"{}","e":"AQAB"}},
              {{"kid":"nokid-missing-n","kty":"RSA","e":"AQAB"}},
              {{"kty":"RSA","n":"AA","e":"AQAB"}}],"extra":true}}"#,
            rsa_jwk("a", r#","use":"sig","alg":"RS256""#),
            rsa_jwk("b", ""),
            rsa_jwk("enc", r#","use":"enc""#),
            rsa_jwk("rs512", r#","alg":"RS512""#),
            rsa_jwk("ops", r#","key_ops":["verify"]"#),
            rsa_jwk("signonly", r#","key_ops":["sign"]"#),
            URL_SAFE_NO_PAD.encode([0xff_u8; 128]),
        );
        let set = KeySet::parse(doc.as_bytes(), DEFAULT_MAX_KEYS).unwrap();
        assert_eq!(set.usable_kids(), ["a", "b", "ops"]);
        assert!(set.get("a").unwrap().is_some());
        assert!(set.get("nope").unwrap().is_none());
        assert_eq!(kind_of(&set, "enc"), Some(ErrorKind::UnusableKey));
        assert_eq!(kind_of(&set, "rs512"), Some(ErrorKind::UnusableKey));
        assert_eq!(kind_of(&set, "signonly"), Some(ErrorKind::UnusableKey));
        assert_eq!(kind_of(&set, "ec"), Some(ErrorKind::UnusableKey));
        assert_eq!(kind_of(&set, "oct"), Some(ErrorKind::UnusableKey));
        assert_eq!(kind_of(&set, "weak"), Some(ErrorKind::WeakKey));
        assert_eq!(
            kind_of(&set, "nokid-missing-n"),
            Some(ErrorKind::UnusableKey)
        );
        assert!(format!("{set:?}").contains("usable_kids"));
    }

    #[test]
    fn documents_must_be_utf8_even_in_fields_that_are_skipped() {
        // Found by fuzz/jwks: an invalid byte inside an unknown field's string.
        let doc = b"{\"keys\":[{\"kid\":\"ec\",\"kty\":\"EC\",\"x\":\"P\xffA\"}]}";
        let err = KeySet::parse(doc, 8).err().unwrap();
        assert!(
            err.is_invalid_document() && err.to_string().contains("UTF-8"),
            "{err}"
        );
        // Also found by fuzz/jwks, in skipped fields: a lone surrogate and a number beyond f64.
        for doc in [
            r#"{"keys":[{"a":"RS&\uDCCCC"}]}"#,
            r#"{"keys":[{"kid":"e","x":[1e999]}]}"#,
        ] {
            let err = KeySet::parse(doc.as_bytes(), 8).err().unwrap();
            assert!(err.is_invalid_document(), "{doc}: {err}");
        }
    }

    #[test]
    fn duplicate_kids_are_not_guessed_between() {
        let doc = format!(r#"{{"keys":[{},{}]}}"#, rsa_jwk("d", ""), rsa_jwk("d", ""));
        let set = KeySet::parse(doc.as_bytes(), 8).unwrap();
        assert_eq!(kind_of(&set, "d"), Some(ErrorKind::UnusableKey));
        // Any other number of copies, usable or not, in any order: every key under the kid is
        // refused. (Three usable keys used to leave the last one usable.)
        for copies in [3, 4, 5] {
            let jwks: Vec<String> = (0..copies).map(|_| rsa_jwk("d", "")).collect();
            let doc = format!(r#"{{"keys":[{}]}}"#, jwks.join(","));
            let set = KeySet::parse(doc.as_bytes(), 8).unwrap();
            assert_eq!(kind_of(&set, "d"), Some(ErrorKind::UnusableKey), "{copies}");
        }
        let doc = format!(
            r#"{{"keys":[{{"kid":"d","kty":"EC"}},{},{{"kid":"d","kty":"oct"}}]}}"#,
            rsa_jwk("d", "")
        );
        let set = KeySet::parse(doc.as_bytes(), 8).unwrap();
        assert_eq!(kind_of(&set, "d"), Some(ErrorKind::UnusableKey));
        assert!(set.usable_kids().is_empty());
    }

    #[test]
    fn rejects_documents_that_are_not_key_sets() {
        for doc in [
            "",
            "[]",
            "null",
            "{}",
            r#"{"keys":{}}"#,
            r#"{"keys":[1]}"#,
            "{\"keys\":[",
            "<html>",
        ] {
            let err = KeySet::parse(doc.as_bytes(), 8).err().unwrap();
            assert!(err.is_invalid_document(), "{doc}: {err}");
        }
        let many = format!(r#"{{"keys":[{}]}}"#, [r#"{"kty":"EC"}"#; 9].join(","));
        assert!(matches!(
            KeySet::parse(many.as_bytes(), 8),
            Err(JwksError::TooManyKeys { count: 9, limit: 8 })
        ));
        assert!(
            KeySet::parse(br#"{"keys":[]}"#, 8)
                .unwrap()
                .usable_kids()
                .is_empty()
        );
    }
}
