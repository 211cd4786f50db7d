//! Cognito's rules on top of the generic verifier: user pool ids, `token_use`, `aud` or
//! `client_id`, groups, scopes, and the typed claims of ID and access tokens.

pub(crate) mod claims;
pub(crate) mod multi;
pub(crate) mod pool;
pub(crate) mod revocation;
pub(crate) mod token_cache;
pub(crate) mod verifier;
