//! Key sets: JWKS documents to ready keys ([`key`]), fetching them ([`fetch`]) and caching them
//! ([`cache`]). Nothing here knows about Cognito.

pub(crate) mod cache;
pub(crate) mod fetch;
pub(crate) mod key;
