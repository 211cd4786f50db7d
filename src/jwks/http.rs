//! The default [`JwksFetcher`](crate::JwksFetcher) (feature `http`): reqwest with rustls, a
//! connect timeout, a per-request timeout that covers reading the body, a body-size cap enforced
//! while streaming, status 200 only, redirects followed only to the same host and scheme,
//! `https` only unless plain `http` is explicitly allowed, and one retry after a transient failure
//! (timeout, connection error, 429, 5xx). The key cache's deadline bounds the whole fetch.
//!
//! The HTTP client (and with it the TLS root store, read from the system's certificate files)
//! is built on the first fetch, not by `build()`: a verifier that starts from a bundled or
//! preloaded key set pays nothing for it until it fetches (about 8 ms of a Lambda cold start).

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, HeaderMap};
use reqwest::redirect;

use crate::error::{BuildError, JwksError};
use crate::jwks::fetch::{BoxFuture, DEFAULT_MAX_JWKS_BYTES, FetchedJwks, JwksFetcher};

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The default timeout of one request, body included. Two attempts fit in the key cache's default
/// 5 s [fetch deadline](crate::KeyCacheConfig::fetch_deadline) only when the first fails fast.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest connect or request timeout a builder accepts.
pub const MAX_FETCH_TIMEOUT: Duration = Duration::from_secs(300);
/// The pause before the one retry of a transient failure.
const RETRY_DELAY: Duration = Duration::from_millis(100);
/// The most memory reserved up front for a body, whatever `Content-Length` says.
const INITIAL_BODY_CAPACITY: usize = 16 * 1024;

/// The default fetcher: HTTP(S) with reqwest and rustls, bounded in time and size.
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::HttpFetcher;
///
/// let fetcher = HttpFetcher::builder()
///     .request_timeout(Duration::from_secs(3))
///     .max_body_bytes(16 * 1024)
///     .build()?;
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Clone)]
pub struct HttpFetcher {
    client: Arc<LazyClient>,
    max_body_bytes: usize,
    retry: bool,
}

/// The reqwest client, built on the first fetch from the checked settings. A failure to build
/// it (the TLS backend) is kept and returned by every fetch as a transport error.
struct LazyClient {
    connect_timeout: Duration,
    request_timeout: Duration,
    allow_http: bool,
    client: OnceLock<Result<reqwest::Client, Arc<reqwest::Error>>>,
}

impl LazyClient {
    fn get(&self) -> Result<&reqwest::Client, Arc<reqwest::Error>> {
        self.client
            .get_or_init(|| {
                let allow_http = self.allow_http;
                let policy = redirect::Policy::custom(move |attempt| {
                    let origin = attempt.previous().first();
                    let same_origin = origin.is_some_and(|o| {
                        o.host_str() == attempt.url().host_str()
                            && o.port_or_known_default() == attempt.url().port_or_known_default()
                            && (o.scheme() == attempt.url().scheme()
                                || (allow_http && attempt.url().scheme() == "https"))
                    });
                    if same_origin && attempt.previous().len() < 3 {
                        attempt.follow()
                    } else {
                        attempt.stop()
                    }
                });
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.request_timeout)
                    .redirect(policy)
                    .https_only(!allow_http)
                    .user_agent(concat!("cognito-verifier/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(Arc::new)
            })
            .as_ref()
            .map_err(Arc::clone)
    }
}

impl fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpFetcher")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Builds an [`HttpFetcher`]. See each setter for its default.
#[derive(Debug, Clone)]
pub struct HttpFetcherBuilder {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
    allow_http: bool,
    retry: bool,
}

impl HttpFetcher {
    /// A builder with the defaults.
    pub fn builder() -> HttpFetcherBuilder {
        HttpFetcherBuilder {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_JWKS_BYTES,
            allow_http: false,
            retry: true,
        }
    }

    async fn fetch_once(&self, uri: &str) -> Result<FetchedJwks, JwksError> {
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                JwksError::Timeout {
                    url: uri.to_owned(),
                }
            } else {
                JwksError::Transport {
                    url: uri.to_owned(),
                    source: Arc::new(e.without_url()),
                }
            }
        };
        let client = self.client.get().map_err(|e| JwksError::Transport {
            url: uri.to_owned(),
            source: e,
        })?;
        let mut response = client
            .get(uri)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        tracing::debug!(target: "cognito_verifier::jwks", uri, status, "JWKS response");
        if status != 200 {
            return Err(JwksError::Status {
                url: uri.to_owned(),
                status,
            });
        }
        let too_large = || JwksError::TooLarge {
            url: uri.to_owned(),
            limit: self.max_body_bytes,
        };
        let declared = content_length(response.headers());
        if declared.is_some_and(|len| len > self.max_body_bytes) {
            return Err(too_large());
        }
        let max_age = cache_max_age(response.headers());
        let mut body = Vec::with_capacity(
            declared
                .unwrap_or(4096)
                .min(self.max_body_bytes)
                .min(INITIAL_BODY_CAPACITY),
        );
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len().saturating_add(chunk.len()) > self.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedJwks { body, max_age })
    }
}

impl JwksFetcher for HttpFetcher {
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<FetchedJwks, JwksError>> {
        Box::pin(async move {
            match self.fetch_once(uri).await {
                Err(e) if self.retry && is_transient(&e) => {
                    tokio::time::sleep(RETRY_DELAY).await;
                    self.fetch_once(uri).await
                }
                other => other,
            }
        })
    }
}

impl HttpFetcherBuilder {
    /// Time allowed to open the connection (TCP and TLS). Default 2 s; `build()` refuses zero
    /// and more than [`MAX_FETCH_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one whole request, from connecting to the last byte of the body.
    /// Default 3 s; `build()` refuses zero and more than [`MAX_FETCH_TIMEOUT`]. Whatever this
    /// is, the key cache's [`fetch_deadline`](crate::KeyCacheConfig::fetch_deadline) (5 s)
    /// ends the whole fetch, the retry included.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The largest body accepted, checked against `Content-Length` and while streaming.
    /// Default 64 KiB; `build()` refuses zero. Memory grows with what arrives, never with what
    /// `Content-Length` announces.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Allows plain `http://` URIs (local emulators, tests). Off by default: only `https://`.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// Disables the one retry after a transient failure. On by default.
    pub fn no_retry(mut self) -> Self {
        self.retry = false;
        self
    }

    /// Builds the fetcher.
    ///
    /// # Errors
    /// [`BuildError::InvalidSetting`] for a zero or too long timeout, or a zero body cap. The
    /// HTTP client itself is built on the first fetch; if its TLS backend cannot be
    /// initialised, that fetch and every later one fail with [`JwksError::Transport`].
    pub fn build(self) -> Result<HttpFetcher, BuildError> {
        for (setting, timeout) in [
            ("connect_timeout", self.connect_timeout),
            ("request_timeout", self.request_timeout),
        ] {
            if timeout.is_zero() || timeout > MAX_FETCH_TIMEOUT {
                return Err(BuildError::InvalidSetting {
                    setting,
                    reason: "must be more than zero and at most 300 seconds",
                });
            }
        }
        if self.max_body_bytes == 0 {
            return Err(BuildError::InvalidSetting {
                setting: "max_body_bytes",
                reason: "must be more than zero",
            });
        }
        Ok(HttpFetcher {
            client: Arc::new(LazyClient {
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
                allow_http: self.allow_http,
                client: OnceLock::new(),
            }),
            max_body_bytes: self.max_body_bytes,
            retry: self.retry,
        })
    }
}

fn is_transient(e: &JwksError) -> bool {
    match e {
        JwksError::Timeout { .. } | JwksError::Transport { .. } => true,
        JwksError::Status { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// `max-age` from `Cache-Control`; `no-store` and `no-cache` read as zero (the cache then applies
/// its lower bound).
fn cache_max_age(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(CACHE_CONTROL)?.to_str().ok()?;
    let mut max_age = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            max_age = secs.trim_matches('"').parse().ok().map(Duration::from_secs);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(cache_control: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CACHE_CONTROL, HeaderValue::from_str(cache_control).unwrap());
        h
    }

    #[test]
    fn reads_cache_control_max_age() {
        assert_eq!(
            cache_max_age(&headers("public, max-age=300")),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            cache_max_age(&headers("Max-Age=\"60\"")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(cache_max_age(&headers("no-store")), Some(Duration::ZERO));
        assert_eq!(cache_max_age(&headers("max-age=abc")), None);
        assert_eq!(cache_max_age(&headers("public")), None);
        assert_eq!(cache_max_age(&HeaderMap::new()), None);
    }

    #[test]
    fn builder_refuses_zero_limits() {
        assert!(
            HttpFetcher::builder()
                .request_timeout(Duration::ZERO)
                .build()
                .is_err()
        );
        assert!(HttpFetcher::builder().max_body_bytes(0).build().is_err());
        assert!(HttpFetcher::builder().build().is_ok());
    }

    #[tokio::test]
    async fn the_client_is_built_on_the_first_fetch_and_shared_by_clones() {
        use crate::jwks::fetch::JwksFetcher as _;
        let fetcher = HttpFetcher::builder()
            .allow_insecure_http()
            .build()
            .unwrap();
        let clone = fetcher.clone();
        // `build()` reads no certificate store: a bundled key set never pays for it.
        assert!(fetcher.client.client.get().is_none());
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_string(r#"{"keys":[]}"#))
            .mount(&server)
            .await;
        fetcher
            .fetch(&format!("{}/jwks.json", server.uri()))
            .await
            .unwrap();
        assert!(clone.client.client.get().is_some_and(Result::is_ok));
    }

    #[test]
    fn transient_errors_are_retried_others_not() {
        let status = |s| JwksError::Status {
            url: String::new(),
            status: s,
        };
        assert!(is_transient(&status(503)));
        assert!(is_transient(&status(429)));
        assert!(!is_transient(&status(404)));
        assert!(is_transient(&JwksError::Timeout { url: String::new() }));
        assert!(!is_transient(&JwksError::TooLarge {
            url: String::new(),
            limit: 1
        }));
    }
}
