//! The generic JWT stages: token text and header ([`parse`]), RS256 signatures ([`signature`]),
//! registered claims ([`claims`]). Nothing here knows about Cognito or does I/O.

pub(crate) mod claims;
pub(crate) mod parse;
pub(crate) mod signature;
