//! Stage 3 for ALB tokens: the load balancer's public keys, one PEM document per `kid` at
//! `<base>/<kid>`, cached per kid.
//!
//! A key never changes under its kid, so a fetched key stays until the cache is full (then the
//! oldest goes). Verifications read the keys from a snapshot, without a lock. Keys given to the builder are configuration and never leave. Fetches are
//! bounded: one at a time for the whole verifier (single flight), each within the fetch deadline
//! (waiting included), with the fetcher's own body cap. After the endpoint says a kid does not
//! exist (403/404), that kid and every other unknown kid are refused as `unknown_kid` (401) for
//! the cooldown, without a request: a storm of made-up kids costs one request per cooldown and is
//! never an outage. After a failed fetch (timeout, 5xx, garbage), unknown kids are `jwks_fetch`
//! (503, with `Retry-After`) for a short pause; known kids keep verifying.

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

/// Why unknown kids are being refused without a request.
#[derive(Clone)]
enum Pause {
    /// The endpoint said a kid does not exist.
    NotFound,
    /// The last fetch failed.
    Failed,
}

/// What changes under the lock: the eviction order and the pause. The keys themselves are read
/// without a lock (`AlbKeys::keys`).
#[derive(Default)]
struct State {
    /// Fetched kids, oldest first (configured kids are never evicted, so never listed).
    order: VecDeque<Box<str>>,
    /// Until when (clock time) unknown kids are refused, and why.
    paused: Option<(Duration, Pause)>,
}

/// The key cache of one [`AlbVerifier`](crate::alb::AlbVerifier).
pub(crate) struct AlbKeys {
    fetcher: Option<Arc<dyn JwksFetcher>>,
    clock: Arc<dyn Clock>,
    max_keys: usize,
    cooldown: Duration,
    deadline: Duration,
    /// Configured and fetched keys: a snapshot read without a lock on every verification,
    /// replaced whole (under `state`'s lock) when a key is added.
    keys: ArcSwap<HashMap<Box<str>, Arc<EcKey>>>,
    state: Mutex<State>,
    flight: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AlbKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbKeys")
            .field("max_keys", &self.max_keys)
            .field("cooldown", &self.cooldown)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl AlbKeys {
    pub(crate) fn new(
        fetcher: Option<Arc<dyn JwksFetcher>>,
        clock: Arc<dyn Clock>,
        configured: HashMap<Box<str>, Arc<EcKey>>,
        max_keys: usize,
        cooldown: Duration,
        deadline: Duration,
    ) -> Self {
        Self {
            fetcher,
            clock,
            max_keys,
            cooldown,
            deadline,
            keys: ArcSwap::from_pointee(configured),
            state: Mutex::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
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

    /// The key for `kid`, or why there is none, from the cache or without I/O when refused.
    fn cached_or_refused(&self, kid: &str) -> Result<Option<Arc<EcKey>>, Error> {
        if let Some(key) = self.cached(kid) {
            return Ok(Some(key));
        }
        if self.fetcher.is_none() {
            return Err(unknown(kid));
        }
        let now = self.clock.now();
        match &self.state().paused {
            Some((until, Pause::NotFound)) if *until > now => Err(unknown(kid)),
            Some((until, Pause::Failed)) if *until > now => {
                Err(Error::Jwks(JwksError::CoolingDown {
                    retry_in: until.saturating_sub(now),
                }))
            }
            _ => Ok(None),
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
        let outcome = tokio::time::timeout(self.deadline, async {
            let _flight = self.flight.lock().await;
            // Another caller may have fetched it, or been refused, while this one waited.
            if let Some(key) = self.cached_or_refused(kid)? {
                return Ok(key);
            }
            tracing::debug!(target: "cognito_verifier::jwks", url, "fetching an ALB public key");
            match fetcher.fetch(&url).await {
                Ok(document) => match EcKey::from_pem(&document.body) {
                    Ok(key) => Ok(self.remember(kid, key)),
                    Err(reason) => {
                        self.pause(Pause::Failed);
                        Err(Error::Jwks(JwksError::InvalidDocument {
                            reason: reason.to_owned(),
                        }))
                    }
                },
                Err(JwksError::Status {
                    status: 403 | 404, ..
                }) => {
                    self.pause(Pause::NotFound);
                    Err(unknown(kid))
                }
                Err(error) => {
                    self.pause(Pause::Failed);
                    Err(Error::Jwks(error))
                }
            }
        })
        .await;
        outcome.unwrap_or_else(|_| {
            self.pause(Pause::Failed);
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

    fn pause(&self, why: Pause) {
        let length = match why {
            Pause::NotFound => self.cooldown,
            Pause::Failed => self.cooldown.min(FAILURE_PAUSE),
        };
        let until = self.clock.now().saturating_add(length);
        self.state().paused = Some((until, why));
    }
}

fn unknown(kid: &str) -> Error {
    Error::UnknownKid { kid: excerpt(kid) }
}

/// A PEM key given to the builder, parsed, or what is wrong with it.
pub(crate) fn configured_key(pem: &str) -> Result<Arc<EcKey>, &'static str> {
    EcKey::from_pem(pem.as_bytes()).map(Arc::new)
}
