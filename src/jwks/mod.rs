//! Key sets: JWKS documents to ready keys ([`key`]), where documents come from ([`fetch`], and
//! over HTTP with the `http` feature) and caching them ([`cache`]). Nothing here knows about
//! Cognito.

pub(crate) mod cache;
pub(crate) mod fetch;
#[cfg(feature = "http")]
pub(crate) mod http;
pub(crate) mod key;
