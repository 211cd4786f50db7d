//! Stage 1: token text to decoded segments and a checked header. No crypto, no I/O.
//!
//! The payload is base64url-decoded here but parsed as JSON only after the signature holds
//! (see [`crate::verifier`]), so the JSON parser never sees unauthenticated claims.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, excerpt};

/// The default cap on a token's length in bytes. Cognito's tokens are 1–4 KiB; ID tokens with
/// many groups or custom attributes stay well under this.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// The longest `kid` accepted, in bytes. Cognito's are 44 characters.
pub const MAX_KID_LEN: usize = 256;

/// The only algorithm accepted.
const RS256: &str = "RS256";

/// A token whose three segments were decoded. Borrow its parts; nothing here is verified.
pub(crate) struct DecodedToken<'t> {
    /// `base64url(header) "." base64url(payload)`, the bytes the signature covers.
    signing_input: &'t [u8],
    /// Decoded header, payload and signature, back to back.
    buf: Vec<u8>,
    header_end: usize,
    payload_end: usize,
}

impl<'t> DecodedToken<'t> {
    /// Splits and decodes `token`. Checks, in order: length, segment count, that no segment is
    /// empty, and strict base64url (no padding, no `+`/`/`, canonical trailing bits).
    pub(crate) fn decode(token: &'t str, max_len: usize) -> Result<Self, Error> {
        check_len(token, max_len)?;
        let bytes = token.as_bytes();
        // str::find uses a word-at-a-time search; a byte-by-byte iterator cost ~1 µs per token.
        let first = token.find('.').ok_or_else(|| segment_count_error(bytes))?;
        let second = token
            .get(first + 1..)
            .and_then(|rest| rest.find('.'))
            .map(|i| first + 1 + i)
            .ok_or_else(|| segment_count_error(bytes))?;
        if token
            .get(second + 1..)
            .is_some_and(|rest| rest.contains('.'))
        {
            return Err(segment_count_error(bytes));
        }
        let header_b64 = bytes.get(..first).unwrap_or_default();
        let payload_b64 = bytes.get(first + 1..second).unwrap_or_default();
        let signature_b64 = bytes.get(second + 1..).unwrap_or_default();
        // An empty signature is refused by `header()`, after `alg`: an unsigned `alg: none` token
        // is then reported as what it is.
        for (segment, name) in [(header_b64, "header"), (payload_b64, "payload")] {
            if segment.is_empty() {
                return Err(Error::Malformed {
                    reason: Cow::Owned(format!("the {name} segment is empty")),
                });
            }
        }

        // One allocation for all three decoded segments.
        // Unpadded base64url: every 4 characters are 3 bytes, a tail of 2 or 3 characters 1 or 2.
        let capacity = [header_b64, payload_b64, signature_b64]
            .iter()
            .map(|s| s.len() / 4 * 3 + (s.len() % 4).saturating_sub(1))
            .sum();
        let mut buf = vec![0_u8; capacity];
        let header_end = decode_into(header_b64, &mut buf, 0, "header")?;
        let payload_end = decode_into(payload_b64, &mut buf, header_end, "payload")?;
        let end = decode_into(signature_b64, &mut buf, payload_end, "signature")?;
        buf.truncate(end);

        Ok(Self {
            signing_input: bytes.get(..second).unwrap_or_default(),
            buf,
            header_end,
            payload_end,
        })
    }

    pub(crate) fn signing_input(&self) -> &'t [u8] {
        self.signing_input
    }

    pub(crate) fn header_json(&self) -> &[u8] {
        self.buf.get(..self.header_end).unwrap_or_default()
    }

    pub(crate) fn payload_json(&self) -> &[u8] {
        self.buf
            .get(self.header_end..self.payload_end)
            .unwrap_or_default()
    }

    pub(crate) fn signature(&self) -> &[u8] {
        self.buf.get(self.payload_end..).unwrap_or_default()
    }

    /// Parses and checks the header: `alg` must be `RS256`, `crit` must be absent, `kid` must be a
    /// string of at most [`MAX_KID_LEN`] bytes. Other parameters (`jku`, `x5u`, `jwk`, `x5c`,
    /// `typ`, …) are skipped unread. Then the signature must not be empty.
    pub(crate) fn header(&self) -> Result<Header<'_>, Error> {
        let raw: RawHeader<'_> = parse_json_object(self.header_json(), "header")?;
        match raw.alg {
            None => return Err(Error::malformed("the header has no alg")),
            Some(JsonValue::Str(alg)) if alg == RS256 => {}
            Some(JsonValue::Str(alg)) => {
                return Err(Error::UnsupportedAlgorithm {
                    found: excerpt(&alg),
                });
            }
            Some(_) => return Err(Error::malformed("the header's alg is not a string")),
        }
        if raw.crit.is_some() {
            return Err(Error::UnsupportedHeader { name: "crit" });
        }
        let kid = match raw.kid {
            None | Some(JsonValue::Null) => return Err(Error::MissingKid),
            Some(JsonValue::Str(kid)) if kid.len() <= MAX_KID_LEN => kid,
            Some(JsonValue::Str(_)) => {
                return Err(Error::malformed("the header's kid is too long"));
            }
            Some(_) => return Err(Error::malformed("the header's kid is not a string")),
        };
        if self.signature().is_empty() {
            return Err(Error::malformed("the signature segment is empty"));
        }
        Ok(Header { kid })
    }
}

fn segment_count_error(bytes: &[u8]) -> Error {
    #[expect(
        clippy::naive_bytecount,
        reason = "runs once per rejected token; not worth a crate"
    )]
    let segments = bytes.iter().filter(|b| **b == b'.').count() + 1;
    if segments == 5 {
        return Error::malformed(
            "5 segments: an encrypted token (JWE), such as a Cognito refresh token, cannot be \
             verified",
        );
    }
    Error::Malformed {
        reason: Cow::Owned(format!(
            "expected 3 dot-separated segments, found {segments}"
        )),
    }
}

fn decode_into(
    segment: &[u8],
    buf: &mut [u8],
    at: usize,
    name: &'static str,
) -> Result<usize, Error> {
    let out = buf.get_mut(at..).unwrap_or_default();
    match base64_simd::URL_SAFE_NO_PAD.decode(segment, base64_simd::Out::from_slice(out)) {
        Ok(written) => Ok(at + written.len()),
        Err(_) => Err(Error::Malformed {
            reason: Cow::Owned(format!("the {name} segment is not unpadded base64url")),
        }),
    }
}

/// The length cap, before any other work on a token.
pub(crate) fn check_len(token: &str, max_len: usize) -> Result<(), Error> {
    if token.len() > max_len {
        return Err(Error::Malformed {
            reason: Cow::Owned(format!(
                "token is {} bytes, more than the {max_len} allowed",
                token.len()
            )),
        });
    }
    Ok(())
}

/// Parses `json` as a JSON object into `T`. Arrays, numbers and strings are refused even when
/// `T`'s derived `Deserialize` would accept a sequence.
pub(crate) fn parse_json_object<'de, T: Deserialize<'de>>(
    json: &'de [u8],
    what: &'static str,
) -> Result<T, Error> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Error::Malformed {
            reason: Cow::Owned(format!("the {what} is not a JSON object")),
        });
    }
    // Checking UTF-8 once lets serde_json skip the check for each string.
    let json = std::str::from_utf8(json).map_err(|_| Error::Malformed {
        reason: Cow::Owned(format!("the {what} is not UTF-8")),
    })?;
    serde_json::from_str(json).map_err(|e| Error::Malformed {
        reason: Cow::Owned(format!("the {what} is not valid JSON: {e}")),
    })
}

/// The checked header. Only the `kid` is kept: `alg` is known to be RS256.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) kid: Cow<'a, str>,
}

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Option<JsonValue<'a>>,
    #[serde(borrow)]
    kid: Option<JsonValue<'a>>,
    crit: Option<IgnoredAny>,
}

/// A JSON value that borrows its strings where it can: strings and arrays of strings (the shapes
/// claims usually have) cost no copy, while other arrays and objects are kept whole as
/// `serde_json::Value`. Deserializing it never fails on a type mismatch, so callers can name the
/// claim whose type was wrong, and nothing is lost when a claim is handed on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonValue<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    StrArray(Vec<Cow<'a, str>>),
    Array(Vec<serde_json::Value>),
    Object(serde_json::Map<String, serde_json::Value>),
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonValueVisitor)
    }
}

struct JsonValueVisitor;

impl<'de> Visitor<'de> for JsonValueVisitor {
    type Value = JsonValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(JsonValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(JsonValue::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(JsonValue::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(JsonValue::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(JsonValue::UInt(v), JsonValue::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(JsonValue::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut strings = Vec::new();
        while let Some(item) = seq.next_element::<JsonValue<'de>>()? {
            match item {
                JsonValue::Str(s) => strings.push(s),
                other => {
                    // Not all strings: keep the whole array as values.
                    let mut values: Vec<serde_json::Value> =
                        strings.into_iter().map(|s| s.into_owned().into()).collect();
                    values.push(other.into_value());
                    while let Some(item) = seq.next_element::<serde_json::Value>()? {
                        values.push(item);
                    }
                    return Ok(JsonValue::Array(values));
                }
            }
        }
        Ok(JsonValue::StrArray(strings))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            object.insert(key, value);
        }
        Ok(JsonValue::Object(object))
    }
}

impl JsonValue<'_> {
    /// The JSON type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) | Self::UInt(_) | Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::StrArray(_) | Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }

    /// The value as `serde_json::Value`, losslessly.
    pub(crate) fn into_value(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(b),
            Self::Int(i) => Value::from(i),
            Self::UInt(u) => Value::from(u),
            // JSON text cannot hold NaN or infinities, so from_f64 always succeeds here.
            Self::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Self::Str(s) => Value::String(s.into_owned()),
            Self::StrArray(list) => list
                .into_iter()
                .map(|s| Value::String(s.into_owned()))
                .collect(),
            Self::Array(list) => Value::Array(list),
            Self::Object(map) => Value::Object(map),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::ErrorKind;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("sig"))
    }

    fn header_of(t: &str) -> Result<String, Error> {
        let d = DecodedToken::decode(t, DEFAULT_MAX_TOKEN_LEN)?;
        d.header().map(|h| h.kid.into_owned())
    }

    fn kind(r: Result<String, Error>) -> ErrorKind {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn decodes_segments_and_signing_input() {
        let t = token(r#"{"alg":"RS256","kid":"k1"}"#, r#"{"a":1}"#);
        let d = DecodedToken::decode(&t, DEFAULT_MAX_TOKEN_LEN).unwrap();
        assert_eq!(d.header_json(), br#"{"alg":"RS256","kid":"k1"}"#);
        assert_eq!(d.payload_json(), br#"{"a":1}"#);
        assert_eq!(d.signature(), b"sig");
        let dot = t.rfind('.').unwrap();
        assert_eq!(d.signing_input(), &t.as_bytes()[..dot]);
        assert_eq!(d.header().unwrap().kid, "k1");
    }

    #[test]
    fn rejects_wrong_segment_counts_and_empty_segments() {
        for t in [
            "",
            ".",
            "..",
            "...",
            "a",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "a..c",
            ".b.c",
            "a.b.",
        ] {
            assert_eq!(kind(header_of(t)), ErrorKind::Malformed, "{t:?}");
        }
        let jwe = DecodedToken::decode("a.b.c.d.e", 100).err().unwrap();
        assert!(jwe.to_string().contains("JWE"));
    }

    #[test]
    fn rejects_long_tokens_before_decoding() {
        let t = "!".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
        let e = DecodedToken::decode(&t, DEFAULT_MAX_TOKEN_LEN)
            .err()
            .unwrap();
        assert!(e.to_string().contains("more than"), "{e}");
    }

    #[test]
    fn base64_must_be_strict_url_safe_unpadded() {
        let good = token(r#"{"alg":"RS256","kid":"k"}"#, "{}");
        let (h, rest) = good.split_once('.').unwrap();
        for bad in [
            format!("{h}=.{rest}"),
            format!("{}.{rest}", h.replace('-', "+")),
            format!("{h}.{rest}="),
            format!("{h} .{rest}"),
            format!("{h}\0.{rest}"),
            format!("{h}é.{rest}"),
        ] {
            if bad == good {
                continue;
            }
            assert_eq!(kind(header_of(&bad)), ErrorKind::Malformed, "{bad:?}");
        }
        // "sig" encodes to "c2ln"; "c2lo" has the same 18 leading bits but different trailing
        // bits, so accepting it would let two texts carry one signature.
        let non_canonical = format!("{}.{}.c2lnx", b64("{}"), b64("{}"));
        assert_eq!(kind(header_of(&non_canonical)), ErrorKind::Malformed);
    }

    #[test]
    fn header_alg_must_be_exactly_rs256() {
        for alg in [
            "none", "None", "nOnE", "HS256", "RS384", "RS512", "PS256", "ES256", "rs256", "",
        ] {
            let t = token(&format!(r#"{{"alg":"{alg}","kid":"k"}}"#), "{}");
            assert_eq!(
                kind(header_of(&t)),
                ErrorKind::UnsupportedAlgorithm,
                "{alg}"
            );
        }
        assert_eq!(
            kind(header_of(&token(r#"{"kid":"k"}"#, "{}"))),
            ErrorKind::Malformed
        );
        assert_eq!(
            kind(header_of(&token(r#"{"alg":1,"kid":"k"}"#, "{}"))),
            ErrorKind::Malformed
        );
        // An escaped but equal string is still RS256.
        let escaped = token(r#"{"alg":"RS\u0032\u00356","kid":"k"}"#, "{}");
        assert_eq!(header_of(&escaped).unwrap(), "k");
    }

    #[test]
    fn header_kid_rules() {
        let k = |kid: &str| token(&format!(r#"{{"alg":"RS256","kid":{kid}}}"#), "{}");
        assert_eq!(
            kind(header_of(&token(r#"{"alg":"RS256"}"#, "{}"))),
            ErrorKind::MissingKid
        );
        assert_eq!(kind(header_of(&k("null"))), ErrorKind::MissingKid);
        assert_eq!(kind(header_of(&k("1"))), ErrorKind::Malformed);
        assert_eq!(kind(header_of(&k(r#"{"a":1}"#))), ErrorKind::Malformed);
        assert_eq!(kind(header_of(&k(r#"["a"]"#))), ErrorKind::Malformed);
        let long = format!("\"{}\"", "a".repeat(MAX_KID_LEN + 1));
        assert_eq!(kind(header_of(&k(&long))), ErrorKind::Malformed);
        assert_eq!(
            header_of(&k(r#""../../etc/passwd""#)).unwrap(),
            "../../etc/passwd"
        );
    }

    #[test]
    fn header_must_be_an_object_without_crit_or_duplicates() {
        for h in [r#"["RS256","k"]"#, "1", r#""x""#, "not json", "{", ""] {
            assert_eq!(
                kind(header_of(&format!("{}.e30.c2ln", b64(h)))),
                ErrorKind::Malformed,
                "{h}"
            );
        }
        let crit = token(r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#, "{}");
        assert_eq!(kind(header_of(&crit)), ErrorKind::UnsupportedHeader);
        let dup = token(r#"{"alg":"none","alg":"RS256","kid":"k"}"#, "{}");
        assert_eq!(kind(header_of(&dup)), ErrorKind::Malformed);
        let deep = format!(
            r#"{{"alg":"RS256","kid":"k","x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(kind(header_of(&token(&deep, "{}"))), ErrorKind::Malformed);
    }

    #[test]
    fn header_injection_parameters_are_ignored_not_used() {
        let t = token(
            r#"{"alg":"RS256","kid":"k","jku":"http://evil","x5u":"http://evil","jwk":{"kty":"RSA"},"x5c":["AA"],"typ":"JWT"}"#,
            "{}",
        );
        assert_eq!(header_of(&t).unwrap(), "k");
    }

    #[test]
    fn json_value_reads_shallowly() {
        let v: Vec<JsonValue<'_>> = serde_json::from_str(
            r#"[null,true,-1,18446744073709551615,1.5,"s",["a","b"],[1],{"a":[1]}]"#,
        )
        .unwrap();
        assert_eq!(v[0], JsonValue::Null);
        assert_eq!(v[1], JsonValue::Bool(true));
        assert_eq!(v[2], JsonValue::Int(-1));
        assert_eq!(v[3], JsonValue::UInt(u64::MAX));
        assert_eq!(v[4], JsonValue::Float(1.5));
        assert_eq!(v[5], JsonValue::Str("s".into()));
        assert_eq!(v[6], JsonValue::StrArray(vec!["a".into(), "b".into()]));
        assert_eq!(v[7], JsonValue::Array(vec![serde_json::json!(1)]));
        assert_eq!(v[8].type_name(), "an object");
        // Nothing is lost on the way to serde_json::Value.
        let text =
            r#"[null,true,-1,18446744073709551615,1.5,"s",["a","b"],["a",1,{"b":[2]}],{"a":[1]}]"#;
        let shallow: Vec<JsonValue<'_>> = serde_json::from_str(text).unwrap();
        let back: Vec<serde_json::Value> = shallow.into_iter().map(JsonValue::into_value).collect();
        assert_eq!(
            serde_json::Value::Array(back),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }
}
