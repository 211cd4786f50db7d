//! Stage 3 for ALB tokens: the load balancer's public keys, one PEM document per `kid` at
//! `<base>/<kid>`, cached per kid.
//!
//! A key never changes under its kid, so a fetched key stays until the cache is full (then the
//! oldest goes). Verifications read the keys from a snapshot, without a lock. Keys given to the
//! builder are configuration and never leave.
//!
//! Fetches are bounded, and a made-up kid costs at most its own fetch:
//! - **Per kid**: one fetch at a time (callers asking for the same kid share it), each within
//!   the fetch deadline (waiting included), with the fetcher's own body cap. After the endpoint
//!   says a kid does not exist (403/404), *that kid* is refused as `unknown_kid` (401) for the
//!   cooldown without a request (the last 4,096 such kids are remembered). Other kids are not
//!   affected: one request with a made-up kid cannot lock out the genuine kids of a cold start.
//! - **Per interval**: at most `max_fetches` fetches of kids that are not cached per `interval`
//!   (10 per second by default), whatever the kids. Past the budget a kid that is not cached is
//!   `jwks_fetch` (503, `Retry-After` the rest of the interval): it may be genuine, so it is not
//!   called bad (401). Only a sustained stream of distinct made-up kids reaches the budget, and
//!   then the endpoint sees no more than the budget.
//! - After a failed fetch (timeout, 5xx, garbage), kids that are not cached are `jwks_fetch`
//!   (503, with `Retry-After`) for a short pause (a second at most); cached kids keep verifying.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use aws_lc_rs::signature::{self, ParsedPublicKey};

use crate::clock::Clock;
use crate::error::{Error, JwksError, excerpt};
use crate::jwks::fetch::JwksFetcher;

/// The DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, a 66-byte bit
/// string), before the 65-byte uncompressed point.
pub(crate) const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// How long unknown kids are refused without a request after a failed fetch.
const FAILURE_PAUSE: Duration = Duration::from_secs(1);

/// How many kids the endpoint said do not exist are remembered (oldest out).
const MAX_NOT_FOUND: usize = 4096;

/// An ES256 public key, parsed once.
pub(crate) struct EcKey(ParsedPublicKey);

impl EcKey {
    /// Parses a PEM `PUBLIC KEY` holding a P-256 point, and nothing else.
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, &'static str> {
        let text = std::str::from_utf8(pem).map_err(|_| "the key is not UTF-8 text")?;
        let body = text
            .trim()
            .strip_prefix("-----BEGIN PUBLIC KEY-----")
            .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
            .ok_or("the key is not a PEM PUBLIC KEY")?;
        let b64: String = body.split_ascii_whitespace().collect();
        let der = base64_simd::STANDARD
            .decode_to_vec(b64.as_bytes())
            .map_err(|_| "the PEM body is not base64")?;
        let point = der
            .strip_prefix(&P256_SPKI_PREFIX)
            .filter(|p| p.len() == 65 && p.first() == Some(&0x04))
            .ok_or("the key is not an uncompressed P-256 public key")?;
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .map(Self)
            .map_err(|_| "the key is not a point on P-256")
    }

    /// Verifies a fixed-size (`r || s`, 64 bytes) ECDSA P-256 SHA-256 signature.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), Error> {
        self.0
            .verify_sig(message, sig)
            .map_err(|_| Error::InvalidSignature)
    }
}

/// What changes under the lock: the eviction order, the kids known not to exist, the failure
/// pause and the fetch budget. The keys themselves are read without a lock (`AlbKeys::keys`).
#[derive(Default)]
struct State {
    /// Fetched kids, oldest first (configured kids are never evicted, so never listed).
    order: VecDeque<Box<str>>,
    /// Kids the endpoint said do not exist, until when (clock time) they are refused.
    not_found: HashMap<Box<str>, Duration>,
    /// `not_found`'s kids, oldest first.
    not_found_order: VecDeque<Box<str>>,
    /// Until when (clock time) kids that are not cached are refused after a failed fetch.
    failed_until: Option<Duration>,
    /// The current budget interval's start (clock time) and the fetches made in it.
    window: (Duration, u32),
    /// One lock per kid being fetched: callers of one kid share its fetch.
    in_flight: HashMap<Box<str>, Arc<tokio::sync::Mutex<()>>>,
}

/// How many fetches of kids that are not cached are allowed, per how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FetchBudget {
    pub(crate) max_fetches: u32,
    pub(crate) interval: Duration,
}

/// The key cache of one [`AlbVerifier`](crate::alb::AlbVerifier).
pub(crate) struct AlbKeys {
    fetcher: Option<Arc<dyn JwksFetcher>>,
    clock: Arc<dyn Clock>,
    max_keys: usize,
    cooldown: Duration,
    deadline: Duration,
    budget: FetchBudget,
    /// Configured and fetched keys: a snapshot read without a lock on every verification,
    /// replaced whole (under `state`'s lock) when a key is added.
    keys: ArcSwap<HashMap<Box<str>, Arc<EcKey>>>,
    state: Mutex<State>,
}

impl std::fmt::Debug for AlbKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbKeys")
            .field("max_keys", &self.max_keys)
            .field("cooldown", &self.cooldown)
            .field("deadline", &self.deadline)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl AlbKeys {
    pub(crate) fn new(
        fetcher: Option<Arc<dyn JwksFetcher>>,
        clock: Arc<dyn Clock>,
        configured: HashMap<Box<str>, Arc<EcKey>>,
        (max_keys, cooldown, deadline): (usize, Duration, Duration),
        budget: FetchBudget,
    ) -> Self {
        Self {
            fetcher,
            clock,
            max_keys,
            cooldown,
            deadline,
            budget,
            keys: ArcSwap::from_pointee(configured),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is consistent after every statement; a panic elsewhere cannot break it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether keys that are not cached are fetched.
    pub(crate) fn fetches(&self) -> bool {
        self.fetcher.is_some()
    }

    /// The key for `kid` if it is cached, without I/O.
    pub(crate) fn cached(&self, kid: &str) -> Option<Arc<EcKey>> {
        self.keys.load().get(kid).cloned()
    }

    /// The key for `kid`, or why there is none, from the cache or without I/O when refused
    /// (`None`: fetch it).
    fn cached_or_refused(&self, kid: &str) -> Result<Option<Arc<EcKey>>, Error> {
        if let Some(key) = self.cached(kid) {
            return Ok(Some(key));
        }
        if self.fetcher.is_none() {
            return Err(unknown(kid));
        }
        let now = self.clock.now();
        let state = self.state();
        if state.not_found.get(kid).is_some_and(|until| *until > now) {
            return Err(unknown(kid));
        }
        if let Some(until) = state.failed_until.filter(|until| *until > now) {
            return Err(cooling_down(until.saturating_sub(now)));
        }
        Ok(None)
    }

    /// Takes one fetch from the interval's budget, or says how long until the next interval.
    fn take_budget(&self) -> Result<(), Error> {
        let now = self.clock.now();
        let mut state = self.state();
        let (start, used) = &mut state.window;
        let end = start.saturating_add(self.budget.interval);
        if now >= end || now < *start {
            *start = now;
            *used = 0;
        }
        if *used >= self.budget.max_fetches {
            let end = start.saturating_add(self.budget.interval);
            return Err(cooling_down(end.saturating_sub(now)));
        }
        *used = used.saturating_add(1);
        Ok(())
    }

    /// The lock of `kid`'s fetch, shared by every caller of that kid while one is under way.
    fn flight<'k>(&'k self, kid: &'k str) -> Flight<'k> {
        let lock = Arc::clone(self.state().in_flight.entry(kid.into()).or_default());
        Flight {
            keys: self,
            kid,
            lock,
        }
    }

    /// The key for `kid`: cached, or fetched from `base_url/kid` (`kid` is a UUID: checked by the
    /// parser before it gets here).
    pub(crate) async fn get(&self, kid: &str, base_url: &str) -> Result<Arc<EcKey>, Error> {
        if let Some(key) = self.cached_or_refused(kid)? {
            return Ok(key);
        }
        let Some(fetcher) = &self.fetcher else {
            return Err(unknown(kid));
        };
        let url = format!("{}/{kid}", base_url.trim_end_matches('/'));
        let flight = self.flight(kid);
        let outcome = tokio::time::timeout(self.deadline, async {
            let _turn = flight.lock.lock().await;
            // Another caller may have fetched this kid, or been told it does not exist, while
            // this one waited.
            if let Some(key) = self.cached_or_refused(kid)? {
                return Ok(key);
            }
            self.take_budget()?;
            tracing::debug!(target: "cognito_verifier::jwks", url, "fetching an ALB public key");
            match fetcher.fetch(&url).await {
                Ok(document) => match EcKey::from_pem(&document.body) {
                    Ok(key) => Ok(self.remember(kid, key)),
                    Err(reason) => {
                        self.failed();
                        Err(Error::Jwks(JwksError::InvalidDocument {
                            reason: reason.to_owned(),
                        }))
                    }
                },
                Err(JwksError::Status {
                    status: 403 | 404, ..
                }) => {
                    self.not_found(kid);
                    Err(unknown(kid))
                }
                Err(error) => {
                    self.failed();
                    Err(Error::Jwks(error))
                }
            }
        })
        .await;
        outcome.unwrap_or_else(|_| {
            self.failed();
            Err(Error::Jwks(JwksError::Timeout { url: url.clone() }))
        })
    }

    fn remember(&self, kid: &str, key: EcKey) -> Arc<EcKey> {
        let key = Arc::new(key);
        // Writers hold the state lock, so no two replace the snapshot at once.
        let mut state = self.state();
        let mut keys = HashMap::clone(&self.keys.load());
        while state.order.len() >= self.max_keys {
            let Some(oldest) = state.order.pop_front() else {
                break;
            };
            keys.remove(&oldest);
        }
        keys.insert(kid.into(), Arc::clone(&key));
        state.order.push_back(kid.into());
        self.keys.store(Arc::new(keys));
        key
    }

    /// The endpoint said `kid` does not exist: refuse it (and only it) for the cooldown.
    fn not_found(&self, kid: &str) {
        let until = self.clock.now().saturating_add(self.cooldown);
        let mut state = self.state();
        if state.not_found.insert(kid.into(), until).is_none() {
            state.not_found_order.push_back(kid.into());
        }
        while state.not_found_order.len() > MAX_NOT_FOUND {
            if let Some(oldest) = state.not_found_order.pop_front() {
                state.not_found.remove(&oldest);
            }
        }
    }

    /// A fetch failed: refuse kids that are not cached for a short pause.
    fn failed(&self) {
        let until = self
            .clock
            .now()
            .saturating_add(self.cooldown.min(FAILURE_PAUSE));
        self.state().failed_until = Some(until);
    }
}

/// One caller's share of a kid's fetch lock; dropping it (done, timed out or cancelled) removes
/// the lock once no other caller holds it.
struct Flight<'k> {
    keys: &'k AlbKeys,
    kid: &'k str,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut state = self.keys.state();
        // The map's reference and this one are the last two: nobody else waits for this kid.
        if Arc::strong_count(&self.lock) <= 2 {
            state.in_flight.remove(self.kid);
        }
    }
}

fn cooling_down(retry_in: Duration) -> Error {
    Error::Jwks(JwksError::CoolingDown { retry_in })
}

fn unknown(kid: &str) -> Error {
    Error::UnknownKid { kid: excerpt(kid) }
}

/// A PEM key given to the builder, parsed, or what is wrong with it.
pub(crate) fn configured_key(pem: &str) -> Result<Arc<EcKey>, &'static str> {
    EcKey::from_pem(pem.as_bytes()).map(Arc::new)
}
