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
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
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
/// | [`max_age`](Self::max_age) | 10 min | age after which a fetched key set is refreshed, when the endpoint sends no `Cache-Control: max-age` |
/// | [`max_age_bounds`](Self::max_age_bounds) | 1 min ..= 1 h | a `max-age` from the endpoint is clamped to these |
/// | refresh ahead | at 80 % of max age | a background task refreshes the set; requests never wait on it |
/// | [`stale_window`](Self::stale_window) | 1 h | after max age, while refreshes fail, the last fetched set keeps verifying for this long |
/// | [`refetch_cooldown`](Self::refetch_cooldown) | 15 s | while a usable set is cached: after a fetch that failed or did not contain the requested `kid`, no fetch for this long |
/// | [`retry_backoff`](Self::retry_backoff) | 100 ms doubling to 1 s | while **no** usable set is cached: the pause after each failed fetch (never longer than the cooldown) |
/// | [`fetch_deadline`](Self::fetch_deadline) | 5 s | one fetch, retries included, ends within this |
/// | [`max_keys`](Self::max_keys) | 32 | a document with more keys is refused |
///
/// # How each key source ages
///
/// | key source | set with | fetched? | expires? | what removes a key |
/// |---|---|---|---|---|
/// | fetched | (default) | on the first need, on an unknown `kid`, ahead of max age | max age + stale window after its fetch, if no refresh succeeds | the next successful fetch of a set without it |
/// | static | [`static_jwks`](crate::CognitoVerifierBuilder::static_jwks) | never (no HTTP client is built) | never | only [`load_jwks`](crate::CognitoVerifier::load_jwks) with a set without it |
/// | preloaded, then refreshed | [`jwks`](crate::CognitoVerifierBuilder::jwks), or [`load_jwks`](crate::CognitoVerifier::load_jwks) at run time | yes, as a fetched set would be | never: it is a floor that verifies until a fetch succeeds | the first successful fetch replaces it (and then ages as fetched) |
///
/// A failed fetch never takes a usable set away. A `kid` that a usable set lacks is a bad token
/// (`unknown_kid`, 401) on every path, whatever the endpoint does; only when no usable set can be
/// had is the answer "keys unavailable" (503).
///
/// Every duration saturates: `Duration::MAX` means "for ever", never an overflow.
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::KeyCacheConfig;
///
/// let config = KeyCacheConfig::default()
///     .max_age(Duration::from_secs(300))
///     .refetch_cooldown(Duration::from_secs(30))
///     .retry_backoff(Duration::from_millis(50), Duration::from_millis(500))
///     .fetch_deadline(Duration::from_secs(2))
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
    backoff_initial: Duration,
    backoff_max: Duration,
    fetch_deadline: Duration,
    max_keys: usize,
}

/// The default [`KeyCacheConfig::fetch_deadline`].
pub const DEFAULT_FETCH_DEADLINE: Duration = Duration::from_secs(5);

impl Default for KeyCacheConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(600),
            min_max_age: Duration::from_secs(60),
            max_max_age: Duration::from_secs(3600),
            stale_window: Duration::from_secs(3600),
            cooldown: Duration::from_secs(15),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            fetch_deadline: DEFAULT_FETCH_DEADLINE,
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
    /// `build()` refuses a zero `min` or a `min` above `max`.
    pub fn max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_max_age = min;
        self.max_max_age = max;
        self
    }

    /// How long, past its max age, the last fetched key set keeps verifying while refreshes
    /// fail. `Duration::ZERO` fails closed as soon as the max age is reached and a refresh
    /// fails; `Duration::MAX` never lets a fetched set expire.
    pub fn stale_window(mut self, window: Duration) -> Self {
        self.stale_window = window;
        self
    }

    /// The pause, while a usable key set is cached, after a fetch that failed or did not contain
    /// the requested `kid`. During it, unknown kids fail at once with `unknown_kid` and cause no
    /// request: this is what keeps random kids from hammering the endpoint.
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The pause after a failed fetch while **no** usable key set is cached (a cold start, or a
    /// set past its stale window): `initial` after the first failure, doubling with each further
    /// failure up to `max`, and never more than the [cooldown](Self::refetch_cooldown). Fetches
    /// stay single-flight, so this is at most one request per pause whatever the load, and the
    /// verifier recovers within one pause of the endpoint recovering. `build()` refuses a zero
    /// `initial` or an `initial` above `max`.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_max = max;
        self
    }

    /// The longest one fetch may take, retries included, whatever the fetcher does. A
    /// verification that has to wait for a fetch waits at most this long. `build()` refuses zero.
    pub fn fetch_deadline(mut self, deadline: Duration) -> Self {
        self.fetch_deadline = deadline;
        self
    }

    /// The most keys a JWKS document may hold. `build()` refuses zero.
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        let invalid = |setting, reason| Err(BuildError::InvalidSetting { setting, reason });
        if self.min_max_age.is_zero() || self.min_max_age > self.max_max_age {
            return invalid("max_age_bounds", "need 0 < min <= max");
        }
        if self.backoff_initial.is_zero() || self.backoff_initial > self.backoff_max {
            return invalid("retry_backoff", "need 0 < initial <= max");
        }
        if self.fetch_deadline.is_zero() {
            return invalid("fetch_deadline", "must be more than zero");
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

    /// The pause after the `failures`-th consecutive failed fetch with no usable set cached.
    fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.backoff_initial
            .saturating_mul(1_u32 << doublings)
            .min(self.backoff_max)
            .min(self.cooldown)
    }
}

/// Where a key store's sets come from.
pub(crate) enum Source {
    /// Fetched with this fetcher (a loaded set is a floor until a fetch succeeds).
    Fetch(Arc<dyn JwksFetcher>),
    /// Never fetched: only the sets handed to the store.
    Static,
}

/// One key set and its timeline (all times since the Unix epoch, from the cache's clock).
struct Snapshot {
    keys: KeySet,
    document: Arc<[u8]>,
    /// When a background refresh is due; `None`: never (a static set).
    refresh_at: Option<Duration>,
    /// When the set stops verifying; `None`: never (a static set, or a loaded floor).
    stale_until: Option<Duration>,
}

impl Snapshot {
    fn live(&self, now: Duration) -> bool {
        self.stale_until.is_none_or(|until| now < until)
    }

    fn refresh_due(&self, now: Duration) -> bool {
        self.refresh_at.is_some_and(|at| now >= at)
    }
}

/// What a look-up in the live snapshot found.
enum Lookup<'s> {
    Found(&'s Arc<RsaPublicKey>),
    /// A usable set is cached and has no key under this kid.
    Missing,
    /// No usable set is cached.
    NoSet,
}

/// The cache of one JWKS URI, shared by every clone of a verifier.
pub(crate) struct KeyStore {
    uri: Box<str>,
    source: Source,
    clock: Arc<dyn Clock>,
    config: KeyCacheConfig,
    snapshot: ArcSwapOption<Snapshot>,
    /// Completed fetch attempts. A caller that saw N before waiting for the flight lock and finds
    /// more after it knows someone fetched for it.
    attempts: AtomicU64,
    /// Failed fetches in a row; reset by a success. Sets the backoff while no set is cached.
    failures: AtomicU32,
    /// No fetch (other than an explicit `hydrate`) before this time, in ms since the epoch.
    paused_until_ms: AtomicU64,
    refreshing: AtomicBool,
    /// The outcome of the last fetch attempt, for callers that waited on it.
    flight: tokio::sync::Mutex<Option<JwksError>>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snapshot = self.snapshot.load();
        f.debug_struct("KeyStore")
            .field("uri", &self.uri)
            .field("static", &matches!(self.source, Source::Static))
            .field("keys", &snapshot.as_ref().map(|s| &s.keys))
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    pub(crate) fn new(
        uri: &str,
        source: Source,
        clock: Arc<dyn Clock>,
        config: KeyCacheConfig,
    ) -> Self {
        Self {
            uri: uri.into(),
            source,
            clock,
            config,
            snapshot: ArcSwapOption::empty(),
            attempts: AtomicU64::new(0),
            failures: AtomicU32::new(0),
            paused_until_ms: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
            flight: tokio::sync::Mutex::new(None),
        }
    }

    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// Installs a key set the caller hands over: configuration, not a cache entry. It never
    /// expires; with a fetching source it is refreshed like a fetched set and stays until a
    /// fetch succeeds.
    pub(crate) fn load_document(&self, document: &[u8]) -> Result<(), JwksError> {
        let keys = KeySet::parse(document, self.config.max_keys)?;
        let now = self.clock.now();
        let refresh_at = match self.source {
            Source::Static => None,
            Source::Fetch(_) => Some(now.saturating_add(self.refresh_after(None))),
        };
        self.snapshot.store(Some(Arc::new(Snapshot {
            keys,
            document: document.into(),
            refresh_at,
            stale_until: None,
        })));
        Ok(())
    }

    /// The current key set document, if one is cached (fetched or loaded).
    pub(crate) fn document(&self) -> Option<Arc<[u8]>> {
        self.snapshot
            .load()
            .as_ref()
            .map(|s| Arc::clone(&s.document))
    }

    /// Fetches now, ignoring the cooldown. A static store has nothing to fetch: it succeeds if
    /// it holds a set.
    pub(crate) async fn refresh(&self) -> Result<(), Error> {
        let Source::Fetch(fetcher) = &self.source else {
            return Ok(());
        };
        let mut flight = self.flight.lock().await;
        let result = self.fetch_and_store(fetcher).await;
        let had_set = self.has_live_set(self.clock.now());
        self.finish_attempt(&mut flight, result.as_ref().err(), had_set);
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
            match self.lookup(guard.as_deref(), kid, now)? {
                Lookup::Found(key) => return Ok(f(key)),
                Lookup::Missing => true,
                Lookup::NoSet => false,
            }
        };
        let Source::Fetch(fetcher) = &self.source else {
            return Err(Self::not_found(kid, had_set));
        };
        self.refetch(fetcher, kid, seen, now, had_set).await?;
        let guard = self.snapshot.load();
        match self.lookup(guard.as_deref(), kid, self.clock.now())? {
            Lookup::Found(key) => Ok(f(key)),
            Lookup::Missing => Err(unknown_kid(kid)),
            // A fetch for us failed and was reported by `refetch`; this is a set that aged out
            // in between.
            Lookup::NoSet => Err(Error::Jwks(self.paused_error(self.clock.now()))),
        }
    }

    /// Runs `f` with the key for `kid` if a usable set holds it. Never does I/O; with a Tokio
    /// runtime running it may start a background fetch (for a due refresh, or for a kid the set
    /// lacks, within the cooldown rules).
    pub(crate) fn with_cached_key<R>(
        self: &Arc<Self>,
        kid: &str,
        now: Duration,
        f: impl FnOnce(&Arc<RsaPublicKey>) -> R,
    ) -> Result<R, Error> {
        let guard = self.snapshot.load();
        match self.lookup(guard.as_deref(), kid, now)? {
            Lookup::Found(key) => Ok(f(key)),
            Lookup::Missing => {
                self.fetch_in_background(now, Some(kid));
                Err(unknown_kid(kid))
            }
            Lookup::NoSet => {
                self.fetch_in_background(now, None);
                Err(Error::KeyNotCached { kid: excerpt(kid) })
            }
        }
    }

    /// Whether a usable set holds exactly the key `same` accepts under `kid`. No I/O, no fetch.
    pub(crate) fn holds_key(
        &self,
        kid: &str,
        now: Duration,
        same: impl FnOnce(&Arc<RsaPublicKey>) -> bool,
    ) -> bool {
        let guard = self.snapshot.load();
        match guard.as_deref() {
            Some(snap) if snap.live(now) => matches!(snap.keys.get(kid), Ok(Some(k)) if same(k)),
            _ => false,
        }
    }

    /// Looks `kid` up in the live snapshot; starts a background refresh when one is due.
    fn lookup<'s>(
        self: &Arc<Self>,
        snapshot: Option<&'s Snapshot>,
        kid: &str,
        now: Duration,
    ) -> Result<Lookup<'s>, Error> {
        match snapshot {
            Some(snap) if snap.live(now) => {
                if snap.refresh_due(now) {
                    self.fetch_in_background(now, None);
                }
                Ok(snap.keys.get(kid)?.map_or(Lookup::Missing, Lookup::Found))
            }
            Some(_) | None => Ok(Lookup::NoSet),
        }
    }

    fn has_live_set(&self, now: Duration) -> bool {
        self.snapshot.load().as_ref().is_some_and(|s| s.live(now))
    }

    /// The error for a kid not found without a fetch: a bad token when a usable set is cached.
    fn not_found(kid: &str, had_set: bool) -> Error {
        if had_set {
            unknown_kid(kid)
        } else {
            Error::KeyNotCached { kid: excerpt(kid) }
        }
    }

    /// Fetches for a caller whose `kid` was not in a live set (or who had no live set). With a
    /// live set every failure is `unknown_kid`: a made-up kid is never an outage.
    async fn refetch(
        &self,
        fetcher: &Arc<dyn JwksFetcher>,
        kid: &str,
        seen: u64,
        now: Duration,
        had_set: bool,
    ) -> Result<(), Error> {
        let unavailable = |e: JwksError| {
            if had_set {
                unknown_kid(kid)
            } else if self.snapshot.load().is_some() {
                Error::Jwks(JwksError::Expired(Box::new(e)))
            } else {
                Error::Jwks(e)
            }
        };
        if self.paused(now) {
            tracing::debug!(
                target: "cognito_verifier::jwks",
                uri = %self.uri,
                kid = %excerpt(kid),
                "refetch refused: paused after a fetch that failed or lacked the kid"
            );
            return Err(if had_set {
                unknown_kid(kid)
            } else {
                Error::Jwks(self.paused_error(now))
            });
        }
        let mut flight = self.flight.lock().await;
        if self.attempts.load(Ordering::Acquire) != seen {
            // Someone fetched while we waited: use their outcome rather than fetch again.
            return match (&*flight, had_set) {
                (Some(e), false) => Err(unavailable(e.clone())),
                _ => Ok(()),
            };
        }
        let result = self.fetch_and_store(fetcher).await;
        let has_set = self.has_live_set(self.clock.now());
        match &result {
            Ok(keys_have_kid) => {
                // Paused before the attempt is counted: a caller that sees the new count (and
                // so would not wait for this fetch's outcome) sees the pause too, and does not
                // fetch again.
                if !keys_have_kid(kid) {
                    self.pause_for(self.config.cooldown);
                }
                self.finish_attempt(&mut flight, None, has_set);
                Ok(())
            }
            Err(e) => {
                self.finish_attempt(&mut flight, Some(e), has_set);
                Err(unavailable(e.clone()))
            }
        }
    }

    /// Fetches within the deadline and, on success, installs the new set. Returns a predicate
    /// telling whether the new set has a given kid.
    async fn fetch_and_store(
        &self,
        fetcher: &Arc<dyn JwksFetcher>,
    ) -> Result<impl Fn(&str) -> bool + use<>, JwksError> {
        let started = std::time::Instant::now();
        let deadline = self.config.fetch_deadline;
        let result = async {
            let document = tokio::time::timeout(deadline, fetcher.fetch(&self.uri))
                .await
                .map_err(|_| JwksError::Timeout {
                    url: self.uri.to_string(),
                })??;
            let keys = KeySet::parse(&document.body, self.config.max_keys)?;
            Ok::<_, JwksError>((keys, document))
        }
        .await;
        let elapsed_ms = started.elapsed().as_millis();
        match result {
            Ok((keys, document)) => {
                let kids: Vec<Box<str>> = keys.usable_kids().into_iter().map(Into::into).collect();
                tracing::info!(
                    target: "cognito_verifier::jwks",
                    uri = %self.uri,
                    usable_keys = kids.len(),
                    bytes = document.body.len(),
                    max_age_secs = document.max_age.map(|d| d.as_secs()),
                    elapsed_ms,
                    "fetched key set"
                );
                self.store_fetched(keys, document.body.into(), document.max_age);
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

    /// When a set stored now should be refreshed: at 80 % of its max age.
    fn refresh_after(&self, max_age_hint: Option<Duration>) -> Duration {
        let max_age = self.config.clamp_max_age(max_age_hint);
        max_age / 5 * 4
    }

    fn store_fetched(&self, keys: KeySet, document: Arc<[u8]>, max_age_hint: Option<Duration>) {
        let now = self.clock.now();
        let max_age = self.config.clamp_max_age(max_age_hint);
        self.snapshot.store(Some(Arc::new(Snapshot {
            keys,
            document,
            refresh_at: Some(now.saturating_add(self.refresh_after(max_age_hint))),
            stale_until: Some(
                now.saturating_add(max_age)
                    .saturating_add(self.config.stale_window),
            ),
        })));
    }

    /// Records a finished attempt and pauses fetches after a failure: for the cooldown while a
    /// usable set is cached, for the growing backoff while none is.
    fn finish_attempt(
        &self,
        flight: &mut Option<JwksError>,
        error: Option<&JwksError>,
        has_set: bool,
    ) {
        *flight = error.cloned();
        if error.is_some() {
            let failures = self
                .failures
                .fetch_add(1, Ordering::AcqRel)
                .saturating_add(1);
            self.pause_for(if has_set {
                self.config.cooldown
            } else {
                self.config.backoff(failures)
            });
        } else {
            self.failures.store(0, Ordering::Release);
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
    }

    fn pause_for(&self, pause: Duration) {
        let until = self.clock.now().saturating_add(pause);
        self.paused_until_ms.store(
            u64::try_from(until.as_millis()).unwrap_or(u64::MAX),
            Ordering::Release,
        );
    }

    fn paused(&self, now: Duration) -> bool {
        u128::from(self.paused_until_ms.load(Ordering::Acquire)) > now.as_millis()
    }

    /// What is true now for a caller refused because fetches are paused.
    fn paused_error(&self, now: Duration) -> JwksError {
        let until = Duration::from_millis(self.paused_until_ms.load(Ordering::Acquire));
        JwksError::CoolingDown {
            retry_in: until.saturating_sub(now),
        }
    }

    /// Starts one background fetch unless one is running, fetches are paused, the source is
    /// static, or no Tokio runtime is running. With `kid`, the fetch is for a kid the live set
    /// lacks, and pauses fetches for the cooldown if the new set lacks it too.
    fn fetch_in_background(self: &Arc<Self>, now: Duration, kid: Option<&str>) {
        if !matches!(self.source, Source::Fetch(_))
            || self.refreshing.load(Ordering::Relaxed)
            || self.paused(now)
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        let kid: Option<Box<str>> = kid.map(Into::into);
        runtime.spawn(async move {
            if let Source::Fetch(fetcher) = &this.source {
                let seen = this.attempts.load(Ordering::Acquire);
                let mut flight = this.flight.lock().await;
                if this.attempts.load(Ordering::Acquire) == seen {
                    let result = this.fetch_and_store(fetcher).await;
                    let has_set = this.has_live_set(this.clock.now());
                    match result {
                        Ok(has_kid) => {
                            // Paused before the attempt is counted (see `refetch`).
                            if kid.as_deref().is_some_and(|k| !has_kid(k)) {
                                this.pause_for(this.config.cooldown);
                            }
                            this.finish_attempt(&mut flight, None, has_set);
                        }
                        Err(e) => this.finish_attempt(&mut flight, Some(&e), has_set),
                    }
                }
                drop(flight);
            }
            this.refreshing.store(false, Ordering::Release);
        });
    }
}

fn unknown_kid(kid: &str) -> Error {
    Error::UnknownKid { kid: excerpt(kid) }
}
