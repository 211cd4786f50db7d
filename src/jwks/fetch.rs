//! Stage 3b: where JWKS documents come from. [`JwksFetcher`] is the seam; the HTTP fetcher (feature
//! `http`) lives in `http.rs`. The key cache bounds every fetch with its deadline, whatever the
//! fetcher does.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::JwksError;

/// A boxed, `Send` future, as returned by [`JwksFetcher::fetch`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The default cap on a JWKS response body. Cognito's key set is about 1 KiB.
pub const DEFAULT_MAX_JWKS_BYTES: usize = 64 * 1024;

/// Gets the bytes of a JWKS document. Implement it to load keys from somewhere other than HTTP
/// (a secret store, a parameter store, a test fixture); the verifier caches what it returns, as
/// it would a fetched set, and bounds each call with its
/// [`fetch_deadline`](crate::KeyCacheConfig::fetch_deadline). For a key set that never changes,
/// use `static_jwks` on the builder instead.
///
/// ```
/// use cognito_verifier::{BoxFuture, FetchedJwks, JwksError, JwksFetcher};
///
/// #[derive(Debug)]
/// struct Fixed(&'static str);
///
/// impl JwksFetcher for Fixed {
///     fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>> {
///         Box::pin(async move { Ok(FetchedJwks::new(self.0.as_bytes().to_vec())) })
///     }
/// }
/// ```
pub trait JwksFetcher: fmt::Debug + Send + Sync + 'static {
    /// Fetches the document at `uri`. Must finish in bounded time.
    ///
    /// # Errors
    /// A [`JwksError`] describing why no document could be had.
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>>;
}

/// A fetched JWKS document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchedJwks {
    /// The response body.
    pub body: Vec<u8>,
    /// How long the server said the document may be cached (`Cache-Control: max-age`), if it said.
    pub max_age: Option<Duration>,
}

impl FetchedJwks {
    /// A document with no caching hint.
    pub fn new(body: Vec<u8>) -> Self {
        Self {
            body,
            max_age: None,
        }
    }

    /// Sets the caching hint.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }
}
