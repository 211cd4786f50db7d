//! Stage 1 for ALB user-claims tokens: text to decoded segments and a checked header. No crypto,
//! no I/O.
//!
//! The load balancer encodes each segment as base64url **with** `=` padding, which RFC 7515
//! forbids. These tokens must have exactly that shape: every segment a multiple of four
//! characters, padded as base64 pads, canonical trailing bits. Unpadded or over-padded segments
//! are malformed.

use std::borrow::Cow;

use serde::Deserialize;

use crate::error::{Error, excerpt};
use crate::jwt::parse::{check_len, parse_json_object};

/// The only algorithm accepted.
const ES256: &str = "ES256";

/// The length of a `kid` in the documented shape (a UUID, `8-4-4-4-12` hex digits).
const UUID_LEN: usize = 36;

/// A token whose segments were decoded; nothing here is verified.
pub(crate) struct AlbToken<'t> {
    signing_input: &'t [u8],
    header: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// The checked header.
#[derive(Debug)]
pub(crate) struct AlbHeader {
    pub(crate) kid: String,
    pub(crate) signer: String,
    pub(crate) client: Option<String>,
    pub(crate) iss: Option<String>,
    pub(crate) exp: Option<i64>,
}

/// The header as sent. Values are kept as JSON so that a wrong type is a precise error.
#[derive(Deserialize)]
struct RawHeader {
    alg: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    signer: Option<serde_json::Value>,
    client: Option<serde_json::Value>,
    iss: Option<serde_json::Value>,
    exp: Option<serde_json::Value>,
    crit: Option<serde::de::IgnoredAny>,
}

impl<'t> AlbToken<'t> {
    /// Splits and decodes `token`: length, three non-empty segments, padded base64url.
    pub(crate) fn decode(token: &'t str, max_len: usize) -> Result<Self, Error> {
        check_len(token, max_len)?;
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::malformed(
                "an ALB token has three segments separated by dots",
            ));
        };
        let signing_input = token
            .as_bytes()
            .get(..header.len() + 1 + payload.len())
            .unwrap_or_default();
        Ok(Self {
            signing_input,
            header: decode_padded(header, "header")?,
            payload: decode_padded(payload, "payload")?,
            signature: decode_padded(signature, "signature")?,
        })
    }

    pub(crate) fn signing_input(&self) -> &'t [u8] {
        self.signing_input
    }

    pub(crate) fn payload_json(&self) -> &[u8] {
        &self.payload
    }

    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Parses and checks the header: `alg` must be `ES256`, `crit` absent, `kid` a UUID,
    /// `signer` a string; `client`, `iss` (strings) and `exp` (an integer) are typed when present.
    pub(crate) fn header(&self) -> Result<AlbHeader, Error> {
        let raw: RawHeader = parse_json_object(&self.header, "header")?;
        match raw.alg {
            Some(serde_json::Value::String(alg)) if alg == ES256 => {}
            Some(serde_json::Value::String(alg)) => {
                return Err(Error::UnsupportedAlgorithm {
                    found: excerpt(&alg),
                });
            }
            None => return Err(Error::malformed("the header has no alg")),
            Some(_) => return Err(Error::malformed("the header's alg is not a string")),
        }
        if raw.crit.is_some() {
            return Err(Error::UnsupportedHeader { name: "crit" });
        }
        let kid = match raw.kid {
            None | Some(serde_json::Value::Null) => return Err(Error::MissingKid),
            Some(serde_json::Value::String(kid)) if is_uuid(&kid) => kid,
            Some(serde_json::Value::String(kid)) => {
                return Err(Error::Malformed {
                    reason: Cow::Owned(format!(
                        "the kid {:?} is not a UUID, the only shape ALB uses",
                        excerpt(&kid)
                    )),
                });
            }
            Some(_) => return Err(Error::malformed("the header's kid is not a string")),
        };
        let signer = match raw.signer {
            Some(serde_json::Value::String(s)) => s,
            None => return Err(Error::malformed("the header has no signer")),
            Some(_) => return Err(Error::malformed("the header's signer is not a string")),
        };
        let string = |v: Option<serde_json::Value>, what: &'static str| match v {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::Malformed {
                reason: Cow::Owned(format!("the header's {what} is not a string")),
            }),
        };
        let exp = match raw.exp {
            None => None,
            Some(v) => Some(v.as_i64().ok_or(Error::InvalidClaim {
                claim: "exp",
                reason: Cow::Borrowed("the header's exp is not an integer"),
            })?),
        };
        if self.signature.is_empty() {
            return Err(Error::malformed("the signature segment is empty"));
        }
        Ok(AlbHeader {
            kid,
            signer,
            client: string(raw.client, "client")?,
            iss: string(raw.iss, "iss")?,
            exp,
        })
    }
}

/// Decodes one padded base64url segment, refusing any other shape.
fn decode_padded(segment: &str, what: &'static str) -> Result<Vec<u8>, Error> {
    let malformed = |why: &str| Error::Malformed {
        reason: Cow::Owned(format!("the {what} segment {why}")),
    };
    if segment.is_empty() && what != "signature" {
        return Err(malformed("is empty"));
    }
    if !segment.len().is_multiple_of(4) {
        return Err(malformed(
            "is not padded base64url (ALB pads every segment to a multiple of 4 characters)",
        ));
    }
    base64_simd::URL_SAFE
        .decode_to_vec(segment.as_bytes())
        .map_err(|_| malformed("is not canonical padded base64url"))
}

/// Whether `kid` is a UUID: 36 characters, hex digits with dashes at 8, 13, 18 and 23. Nothing
/// else reaches the key URL.
pub(crate) fn is_uuid(kid: &str) -> bool {
    kid.len() == UUID_LEN
        && kid.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_only() {
        assert!(is_uuid("a1b2c3d4-0000-4000-8000-0123456789ab"));
        for bad in [
            "",
            "a1b2c3d4-0000-4000-8000-0123456789a",
            "a1b2c3d4-0000-4000-8000-0123456789abc",
            "a1b2c3d4_0000-4000-8000-0123456789ab",
            "../../../../etc/passwd/aaaaaaaaaaaaaaaa",
            "a1b2c3d4-0000-4000-8000-0123456789a/",
            "g1b2c3d4-0000-4000-8000-0123456789ab",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }

    #[test]
    fn padding_is_required_and_exact() {
        assert_eq!(decode_padded("QQ==", "header").unwrap(), b"A");
        assert_eq!(decode_padded("QUI=", "header").unwrap(), b"AB");
        assert_eq!(decode_padded("QUJD", "header").unwrap(), b"ABC");
        for bad in [
            "QQ", "QUI", "QQ=", "QQ===", "QR==", "Q===", "QQ==QQ==", "Q+I=", "Q/I=",
        ] {
            assert!(decode_padded(bad, "header").is_err(), "{bad}");
        }
    }
}
