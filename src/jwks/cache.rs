//! Stage 3c: the key cache of one JWKS URI.
//!
//! The whole key set is one immutable snapshot behind an [`ArcSwapOption`]: a verification reads it
//! without a lock and without writing to memory shared with other threads, and a refresh replaces
//! it at once, so a `kid` removed by the issuer stops verifying as soon as a new set is fetched.
//!
//! Fetches go through one async mutex (single flight). Only callers that need a fetch touch it;
//! a caller whose key is cached never waits on the network. See [`KeyCacheConfig`] for the rules.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use crate::clock::Clock;
use crate::error::{BuildError, Error, JwksError, excerpt};
use crate::jwks::fetch::JwksFetcher;
use crate::jwks::key::{DEFAULT_MAX_KEYS, KeySet};
use crate::jwt::signature::RsaPublicKey;

/// How the key cache keeps keys fresh and how it protects the JWKS endpoint.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`max_age`](Self::max_age) | 10 min | age after which the key set is refreshed, when the endpoint sends no `Cache-Control: max-age` |
/// | [`max_age_bounds`](Self::max_age_bounds) | 1 min ..= 1 h | a `max-age` from the endpoint is clamped to these |
/// | refresh ahead | at 80 % of max age | a background task refreshes the set; requests never wait on it |
/// | [`stale_window`](Self::stale_window) | 1 h | after max age, while refreshes fail, the last good set keeps verifying for this long |
/// | [`refetch_cooldown`](Self::refetch_cooldown) | 15 s | after a fetch that failed or did not contain the requested `kid`, no fetch for this long |
/// | [`max_keys`](Self::max_keys) | 32 | a document with more keys is refused |
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::KeyCacheConfig;
///
/// let config = KeyCacheConfig::default()
///     .max_age(Duration::from_secs(300))
///     .refetch_cooldown(Duration::from_secs(30))
///     .stale_window(Duration::from_secs(6 * 3600));
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyCacheConfig {
    max_age: Duration,
    min_max_age: Duration,
    max_max_age: Duration,
    stale_window: Duration,
    cooldown: Duration,
    max_keys: usize,
}

impl Default for KeyCacheConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(600),
            min_max_age: Duration::from_secs(60),
            max_max_age: Duration::from_secs(3600),
            stale_window: Duration::from_secs(3600),
            cooldown: Duration::from_secs(15),
            max_keys: DEFAULT_MAX_KEYS,
        }
    }
}

impl KeyCacheConfig {
    /// The key set's lifetime when the endpoint gives no `max-age`.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The range a server-sent `max-age` (and [`max_age`](Self::max_age)) is clamped to.
    pub fn max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_max_age = min;
        self.max_max_age = max;
        self
    }

    /// How long, past its max age, the last good key set keeps verifying while refreshes fail.
    /// `Duration::ZERO` fails closed as soon as the max age is reached and a refresh fails.
    pub fn stale_window(mut self, window: Duration) -> Self {
        self.stale_window = window;
        self
    }

    /// The pause after a fetch that failed or did not contain the requested `kid`. During it,
    /// unknown kids fail at once with `unknown_kid` and cause no request.
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The most keys a JWKS document may hold.
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        let invalid = |setting, reason| Err(BuildError::InvalidSetting { setting, reason });
        if self.min_max_age.is_zero() || self.min_max_age > self.max_max_age {
            return invalid("max_age_bounds", "need 0 < min <= max");
        }
        if self.max_keys == 0 {
            return invalid("max_keys", "must be more than zero");
        }
        Ok(())
    }

    fn clamp_max_age(&self, hint: Option<Duration>) -> Duration {
        hint.unwrap_or(self.max_age)
            .clamp(self.min_max_age, self.max_max_age)
    }
}

/// One fetched key set and its timeline (all times since the Unix epoch, from the cache's clock).
struct Snapshot {
    keys: KeySet,
    document: Arc<[u8]>,
    refresh_at: Duration,
    stale_until: Duration,
}

/// The cache of one JWKS URI, shared by every clone of a verifier.
pub(crate) struct KeyStore {
    uri: Box<str>,
    fetcher: Arc<dyn JwksFetcher>,
    clock: Arc<dyn Clock>,
    config: KeyCacheConfig,
    snapshot: ArcSwapOption<Snapshot>,
    /// Completed fetch attempts. A caller that saw N before waiting for the flight lock and finds
    /// more after it knows someone fetched for it.
    attempts: AtomicU64,
    /// No fetch (other than an explicit `hydrate`) before this time, in ms since the epoch.
    cooldown_until_ms: AtomicU64,
    refreshing: AtomicBool,
    flight: tokio::sync::Mutex<Option<JwksError>>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snapshot = self.snapshot.load();
        f.debug_struct("KeyStore")
            .field("uri", &self.uri)
            .field("keys", &snapshot.as_ref().map(|s| &s.keys))
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    pub(crate) fn new(
        uri: &str,
        fetcher: Arc<dyn JwksFetcher>,
        clock: Arc<dyn Clock>,
        config: KeyCacheConfig,
    ) -> Self {
        Self {
            uri: uri.into(),
            fetcher,
            clock,
            config,
            snapshot: ArcSwapOption::empty(),
            attempts: AtomicU64::new(0),
            cooldown_until_ms: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
            flight: tokio::sync::Mutex::new(None),
        }
    }

    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// Installs a key set from a document the caller already has, as if just fetched.
    pub(crate) fn load_document(&self, document: &[u8]) -> Result<(), JwksError> {
        let keys = KeySet::parse(document, self.config.max_keys)?;
        self.store(keys, document.into(), None);
        Ok(())
    }

    /// The current key set document, if one is cached (fetched or loaded).
    pub(crate) fn document(&self) -> Option<Arc<[u8]>> {
        self.snapshot
            .load()
            .as_ref()
            .map(|s| Arc::clone(&s.document))
    }

    /// Fetches now, ignoring the cooldown.
    pub(crate) async fn refresh(&self) -> Result<(), Error> {
        let mut flight = self.flight.lock().await;
        let result = self.fetch_and_store().await;
        self.finish_attempt(&mut flight, result.as_ref().err(), self.clock.now());
        result.map(|_| ()).map_err(Error::Jwks)
    }

    /// Runs `f` with the key for `kid`, fetching the key set if needed. `now` is the caller's
    /// reading of the clock.
    pub(crate) async fn with_key<R>(
        self: &Arc<Self>,
        kid: &str,
        now: Duration,
        f: impl FnOnce(&Arc<RsaPublicKey>) -> R,
    ) -> Result<R, Error> {
        // Read the attempt count before the snapshot: a fetch that lands between the two is then
        // seen as "someone fetched for us", never missed.
        let seen = self.attempts.load(Ordering::Acquire);
        let had_set = {
            let guard = self.snapshot.load();
            match guard.as_deref() {
                Some(snap) if now < snap.stale_until => {
                    if now >= snap.refresh_at {
                        self.refresh_in_background(now);
                    }
                    if let Some(key) = snap.keys.get(kid)? {
                        return Ok(f(key));
                    }
                    true
                }
                Some(_) | None => false,
            }
        };
        self.refetch(kid, seen, now, had_set).await?;
        let guard = self.snapshot.load();
        match guard.as_deref() {
            Some(snap) => match snap.keys.get(kid)? {
                Some(key) => Ok(f(key)),
                None => Err(unknown_kid(kid)),
            },
            None => Err(Error::Jwks(JwksError::CoolingDown)),
        }
    }

    /// Runs `f` with the key for `kid` if it is cached and the set is within its stale window.
    /// Never does I/O; may start a background refresh if a Tokio runtime is running.
    pub(crate) fn with_cached_key<R>(
        self: &Arc<Self>,
        kid: &str,
        now: Duration,
        f: impl FnOnce(&Arc<RsaPublicKey>) -> R,
    ) -> Result<R, Error> {
        let guard = self.snapshot.load();
        match guard.as_deref() {
            Some(snap) if now < snap.stale_until => {
                if now >= snap.refresh_at {
                    self.refresh_in_background(now);
                }
                match snap.keys.get(kid)? {
                    Some(key) => Ok(f(key)),
                    None => Err(Error::KeyNotCached { kid: excerpt(kid) }),
                }
            }
            _ => Err(Error::KeyNotCached { kid: excerpt(kid) }),
        }
    }

    /// Fetches for a caller whose `kid` was not in a live set (or who had no live set).
    async fn refetch(
        &self,
        kid: &str,
        seen: u64,
        now: Duration,
        had_set: bool,
    ) -> Result<(), Error> {
        let unavailable = |e: JwksError| {
            if had_set {
                Error::Jwks(e)
            } else if self.snapshot.load().is_some() {
                Error::Jwks(JwksError::Expired(Box::new(e)))
            } else {
                Error::Jwks(e)
            }
        };
        if self.cooling_down(now) {
            tracing::debug!(
                target: "cognito_verifier::jwks",
                uri = %self.uri,
                kid = %excerpt(kid),
                "refetch refused: cooling down after a fetch that failed or lacked the kid"
            );
            if had_set {
                return Err(unknown_kid(kid));
            }
            let last = self.flight.try_lock().ok().and_then(|f| f.clone());
            return Err(unavailable(last.unwrap_or(JwksError::CoolingDown)));
        }
        let mut flight = self.flight.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen {
            // Someone fetched while we waited: use their outcome rather than fetch again.
            return match (&*flight, had_set) {
                (Some(e), false) => Err(unavailable(e.clone())),
                _ => Ok(()),
            };
        }
        let result = self.fetch_and_store().await;
        let now = self.clock.now();
        match &result {
            Ok(keys_have_kid) => {
                self.finish_attempt(&mut flight, None, now);
                if !keys_have_kid(kid) {
                    self.start_cooldown(now);
                }
                Ok(())
            }
            Err(e) => {
                self.finish_attempt(&mut flight, Some(e), now);
                Err(unavailable(e.clone()))
            }
        }
    }

    /// Fetches and, on success, installs the new set. Returns a predicate telling whether the
    /// new set has a given kid.
    async fn fetch_and_store(&self) -> Result<impl Fn(&str) -> bool + use<>, JwksError> {
        let started = std::time::Instant::now();
        let result = async {
            let fetched = self.fetcher.fetch(&self.uri).await?;
            let keys = KeySet::parse(&fetched.body, self.config.max_keys)?;
            Ok::<_, JwksError>((keys, fetched))
        }
        .await;
        let elapsed_ms = started.elapsed().as_millis();
        match result {
            Ok((keys, fetched)) => {
                let kids: Vec<Box<str>> = keys.usable_kids().into_iter().map(Into::into).collect();
                tracing::info!(
                    target: "cognito_verifier::jwks",
                    uri = %self.uri,
                    usable_keys = kids.len(),
                    bytes = fetched.body.len(),
                    max_age_secs = fetched.max_age.map(|d| d.as_secs()),
                    elapsed_ms,
                    "fetched key set"
                );
                self.store(keys, fetched.body.into(), fetched.max_age);
                Ok(move |kid: &str| kids.iter().any(|k| **k == *kid))
            }
            Err(error) => {
                tracing::warn!(
                    target: "cognito_verifier::jwks",
                    uri = %self.uri,
                    %error,
                    elapsed_ms,
                    "key set fetch failed; cached keys (if any) stay in use"
                );
                Err(error)
            }
        }
    }

    fn store(&self, keys: KeySet, document: Arc<[u8]>, max_age_hint: Option<Duration>) {
        let now = self.clock.now();
        let max_age = self.config.clamp_max_age(max_age_hint);
        self.snapshot.store(Some(Arc::new(Snapshot {
            keys,
            document,
            refresh_at: now + max_age.mul_f64(0.8),
            stale_until: now + max_age + self.config.stale_window,
        })));
    }

    fn finish_attempt(
        &self,
        flight: &mut Option<JwksError>,
        error: Option<&JwksError>,
        now: Duration,
    ) {
        *flight = error.cloned();
        if error.is_some() {
            self.start_cooldown(now);
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
    }

    fn start_cooldown(&self, now: Duration) {
        let until = now + self.config.cooldown;
        self.cooldown_until_ms.store(
            u64::try_from(until.as_millis()).unwrap_or(u64::MAX),
            Ordering::Release,
        );
    }

    fn cooling_down(&self, now: Duration) -> bool {
        u128::from(self.cooldown_until_ms.load(Ordering::Acquire)) > now.as_millis()
    }

    /// Starts one background refresh unless one is running or fetches are cooling down.
    fn refresh_in_background(self: &Arc<Self>, now: Duration) {
        if self.refreshing.load(Ordering::Relaxed) || self.cooling_down(now) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        runtime.spawn(async move {
            let seen = this.attempts.load(Ordering::Acquire);
            let mut flight = this.flight.lock().await;
            if this.attempts.load(Ordering::Acquire) == seen {
                let result = this.fetch_and_store().await;
                this.finish_attempt(&mut flight, result.err().as_ref(), this.clock.now());
            }
            drop(flight);
            this.refreshing.store(false, Ordering::Release);
        });
    }
}

fn unknown_kid(kid: &str) -> Error {
    Error::UnknownKid { kid: excerpt(kid) }
}
