//! Revoked sessions and tokens, fed by the application: [`Revocations`] and the in-memory
//! [`RevocationList`].
//!
//! Cognito refuses a revoked refresh token (and, at its own endpoints, the tokens issued from
//! it) after `RevokeToken` or `GlobalSignOut`, but a verifier that checks signatures locally
//! cannot know: the ID and access tokens already issued verify until their `exp`. With token
//! revocation on, Cognito writes `jti` (this token) and `origin_jti` (the authentication that
//! started the session, shared by every token refreshed from it) into both tokens, so the
//! application can say which sessions or tokens it revoked, and the verifier refuses them.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

/// How long a revocation is kept unless told otherwise: a day (the longest an ID or access token
/// of Cognito lives) plus the largest leeway a verifier accepts
/// ([`MAX_LEEWAY`](crate::MAX_LEEWAY)). After that no token it names can verify anyway.
pub const DEFAULT_REVOCATION_LIFETIME: Duration = Duration::from_secs(24 * 3600 + 600);

/// How many revocations a [`RevocationList`] holds unless told otherwise (about 10 MB at most
/// with Cognito's 36-character ids).
pub const DEFAULT_MAX_REVOCATIONS: usize = 100_000;

/// The longest id accepted, in bytes (Cognito's are 36-character UUIDs).
pub const MAX_REVOCATION_ID_LEN: usize = 256;

/// Shards of the list: readers of different ids rarely touch the same lock.
const SHARDS: usize = 16;

/// Tells a verifier which tokens are revoked, by id: a session's `origin_jti` (every token of
/// the session) or a token's `jti` (that token). Asked after the signature and every other
/// claim check, on every path (synchronous, asynchronous, several pools, the integrations, and
/// verified-token cache hits). A token it names is refused with
/// [`Error::Revoked`](crate::Error::Revoked) (401 `revoked`).
///
/// [`RevocationList`] is the in-memory implementation. To share revocations across a fleet,
/// implement this over your own store: keep a local view (a [`RevocationList`] that a
/// background task feeds from your queue, table or cache) and answer from it. The call is
/// synchronous and runs on every verification, so it must not do I/O.
///
/// ```
/// use cognito_verifier::Revocations;
///
/// /// A fixed set, for a test.
/// #[derive(Debug)]
/// struct Fixed(Vec<String>);
///
/// impl Revocations for Fixed {
///     fn is_revoked(&self, id: &str) -> bool {
///         self.0.iter().any(|r| r == id)
///     }
/// }
/// ```
pub trait Revocations: fmt::Debug + Send + Sync + 'static {
    /// Whether `id` (an `origin_jti` or a `jti`) is revoked.
    fn is_revoked(&self, id: &str) -> bool;
}

impl<R: Revocations + ?Sized> Revocations for Arc<R> {
    fn is_revoked(&self, id: &str) -> bool {
        (**self).is_revoked(id)
    }
}

/// Why a revocation was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The list holds its maximum of live revocations: nothing was dropped to make room (a
    /// dropped revocation would let its tokens verify again). Raise
    /// [`RevocationListBuilder::max_entries`], or shorten the lifetime.
    #[error("the revocation list is full ({max_entries} live entries)")]
    Full {
        /// The list's maximum.
        max_entries: usize,
    },
    /// The id is empty or longer than [`MAX_REVOCATION_ID_LEN`] bytes.
    #[error("a revocation id must be 1 to {MAX_REVOCATION_ID_LEN} bytes")]
    InvalidId,
    /// The lifetime is zero or longer than [`DEFAULT_REVOCATION_LIFETIME`] times 30.
    #[error("a revocation lifetime must be more than zero and at most 30 days")]
    InvalidLifetime,
}

/// Revoked `origin_jti`s and `jti`s, in memory: bounded, each entry dropping by itself when no
/// token it names can verify any more, shared by clones, and read without contention from many
/// threads (sharded locks, and no lock at all while the list is empty).
///
/// ```
/// use cognito_verifier::{CognitoVerifier, RevocationList, TokenUse};
///
/// let revoked = RevocationList::new();
/// let verifier = CognitoVerifier::builder("eu-west-1_AbCdEf123")
///     .client_ids(["3u4p8example"])
///     .token_use(TokenUse::Access)
///     .revocations(revoked.clone())
///     .build()?;
///
/// // In the application's sign-out handler, with the verified claims of the request:
/// // revoked.revoke(claims.origin_jti.as_deref().unwrap_or_default())?;
/// revoked.revoke("c2a4b7d0-7e0a-4a8e-9b43-6c3f8d7f2a11")?;
/// assert!(revoked.is_revoked("c2a4b7d0-7e0a-4a8e-9b43-6c3f8d7f2a11"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RevocationList {
    inner: Arc<Inner>,
}

struct Inner {
    /// Id to the moment (clock time) it stops counting.
    shards: [RwLock<HashMap<Box<str>, Duration>>; SHARDS],
    /// Entries across the shards, expired ones not yet swept included.
    len: AtomicUsize,
    hasher: RandomState,
    max_entries: usize,
    lifetime: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("entries", &self.inner.len.load(Ordering::Relaxed))
            .field("max_entries", &self.inner.max_entries)
            .field("lifetime", &self.inner.lifetime)
            .finish_non_exhaustive()
    }
}

impl Default for RevocationList {
    fn default() -> Self {
        Self::new()
    }
}

impl RevocationList {
    /// An empty list with the defaults ([`DEFAULT_MAX_REVOCATIONS`] entries, each kept for
    /// [`DEFAULT_REVOCATION_LIFETIME`], the system clock).
    pub fn new() -> Self {
        Self::builder().build_unchecked()
    }

    /// Configures a list.
    pub fn builder() -> RevocationListBuilder {
        RevocationListBuilder {
            max_entries: DEFAULT_MAX_REVOCATIONS,
            lifetime: DEFAULT_REVOCATION_LIFETIME,
            clock: Arc::new(SystemClock),
        }
    }

    /// Revokes `id` (a session's `origin_jti`, or one token's `jti`) for the list's lifetime.
    ///
    /// # Errors
    /// [`RevocationError::InvalidId`] for an empty or overlong id,
    /// [`RevocationError::Full`] when the list holds its maximum of live entries.
    pub fn revoke(&self, id: &str) -> Result<(), RevocationError> {
        self.revoke_for(id, self.inner.lifetime)
    }

    /// Revokes `id` for `lifetime`: when you know its tokens expire sooner (your pool's token
    /// validity, or the revoked token's own `exp`), so the entry leaves sooner. Revoking an id
    /// again keeps the later of the two ends.
    ///
    /// # Errors
    /// As [`revoke`](Self::revoke), and [`RevocationError::InvalidLifetime`] for a zero or
    /// overlong lifetime.
    pub fn revoke_for(&self, id: &str, lifetime: Duration) -> Result<(), RevocationError> {
        check_lifetime(lifetime)?;
        if id.is_empty() || id.len() > MAX_REVOCATION_ID_LEN {
            return Err(RevocationError::InvalidId);
        }
        let inner = &*self.inner;
        let now = inner.clock.now();
        let until = now.saturating_add(lifetime);
        let mut shard = inner
            .shard(id)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(end) = shard.get_mut(id) {
            *end = (*end).max(until);
            return Ok(());
        }
        inner.sweep(&mut shard, now);
        if inner.len.load(Ordering::Acquire) >= inner.max_entries {
            // Make room from the other shards' expired entries before refusing.
            drop(shard);
            inner.sweep_all(now);
            shard = inner
                .shard(id)
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if inner.len.load(Ordering::Acquire) >= inner.max_entries {
                return Err(RevocationError::Full {
                    max_entries: inner.max_entries,
                });
            }
        }
        if shard.insert(id.into(), until).is_none() {
            inner.len.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Takes a revocation back (a sign-out recorded by mistake). Returns whether it was there.
    pub fn remove(&self, id: &str) -> bool {
        let inner = &*self.inner;
        let mut shard = inner
            .shard(id)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let removed = shard.remove(id).is_some();
        if removed {
            inner.len.fetch_sub(1, Ordering::AcqRel);
        }
        removed
    }

    /// Whether `id` is revoked (and its revocation still live).
    pub fn is_revoked(&self, id: &str) -> bool {
        let inner = &*self.inner;
        if inner.len.load(Ordering::Acquire) == 0 {
            return false;
        }
        let shard = inner
            .shard(id)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        shard
            .get(id)
            .is_some_and(|until| *until > inner.clock.now())
    }

    /// How many entries the list holds (expired ones that were not swept yet included).
    pub fn len(&self) -> usize {
        self.inner.len.load(Ordering::Acquire)
    }

    /// Whether the list holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry now (they are also dropped as revocations are added).
    pub fn purge_expired(&self) {
        self.inner.sweep_all(self.inner.clock.now());
    }
}

impl Revocations for RevocationList {
    fn is_revoked(&self, id: &str) -> bool {
        Self::is_revoked(self, id)
    }
}

impl Inner {
    fn shard(&self, id: &str) -> &RwLock<HashMap<Box<str>, Duration>> {
        let index = usize::try_from(self.hasher.hash_one(id) % SHARDS as u64).unwrap_or(0);
        // `index` < SHARDS by construction; the first shard is the fallback of `get`.
        let [first, ..] = &self.shards;
        self.shards.get(index).unwrap_or(first)
    }

    /// Drops the expired entries of one shard.
    fn sweep(&self, shard: &mut HashMap<Box<str>, Duration>, now: Duration) {
        let before = shard.len();
        shard.retain(|_, until| *until > now);
        let dropped = before.saturating_sub(shard.len());
        if dropped > 0 {
            self.len.fetch_sub(dropped, Ordering::AcqRel);
        }
    }

    fn sweep_all(&self, now: Duration) {
        for shard in &self.shards {
            let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
            self.sweep(&mut shard, now);
        }
    }
}

fn check_lifetime(lifetime: Duration) -> Result<(), RevocationError> {
    if lifetime.is_zero() || lifetime > DEFAULT_REVOCATION_LIFETIME.saturating_mul(30) {
        return Err(RevocationError::InvalidLifetime);
    }
    Ok(())
}

/// Configures a [`RevocationList`]. Made by [`RevocationList::builder`].
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::RevocationList;
///
/// // The pool issues tokens valid for an hour; the verifier's leeway is 60 s.
/// let revoked = RevocationList::builder()
///     .lifetime(Duration::from_secs(3600 + 60))
///     .max_entries(1_000_000)
///     .build()?;
/// # Ok::<(), cognito_verifier::BuildError>(())
/// ```
#[derive(Debug)]
pub struct RevocationListBuilder {
    max_entries: usize,
    lifetime: Duration,
    clock: Arc<dyn Clock>,
}

impl RevocationListBuilder {
    /// The most live entries (default [`DEFAULT_MAX_REVOCATIONS`]; 1 to 100 million). When
    /// full, [`RevocationList::revoke`] refuses rather than drop a live entry.
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// How long an entry lasts (default [`DEFAULT_REVOCATION_LIFETIME`]): at least as long as the
    /// tokens of your pool live (its ID and access token validity, at most a day) plus the
    /// verifier's leeway. At most 30 times the default.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The clock entries expire by (default the system clock; share a
    /// [`ManualClock`](crate::ManualClock) in tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the list.
    ///
    /// # Errors
    /// [`BuildError::InvalidSetting`](crate::BuildError::InvalidSetting) for a maximum or
    /// lifetime out of range.
    pub fn build(self) -> Result<RevocationList, crate::BuildError> {
        if !(1..=100_000_000).contains(&self.max_entries) {
            return Err(crate::BuildError::InvalidSetting {
                setting: "max_entries",
                reason: "must be 1 to 100 million",
            });
        }
        if check_lifetime(self.lifetime).is_err() {
            return Err(crate::BuildError::InvalidSetting {
                setting: "lifetime",
                reason: "must be more than zero and at most 30 days",
            });
        }
        Ok(self.build_unchecked())
    }

    fn build_unchecked(self) -> RevocationList {
        RevocationList {
            inner: Arc::new(Inner {
                shards: std::array::from_fn(|_| RwLock::new(HashMap::new())),
                len: AtomicUsize::new(0),
                hasher: RandomState::new(),
                max_entries: self.max_entries,
                lifetime: self.lifetime,
                clock: self.clock,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    fn list(max: usize, clock: &ManualClock) -> RevocationList {
        RevocationList::builder()
            .max_entries(max)
            .lifetime(Duration::from_secs(100))
            .clock(clock.clone())
            .build()
            .unwrap()
    }

    #[test]
    fn entries_count_until_their_lifetime_ends_then_leave() {
        let clock = ManualClock::starting_now();
        let revoked = list(10, &clock);
        assert!(!revoked.is_revoked("a"));
        revoked.revoke("a").unwrap();
        revoked.revoke_for("b", Duration::from_secs(10)).unwrap();
        assert!(revoked.is_revoked("a") && revoked.is_revoked("b"));
        assert!(!revoked.is_revoked("c") && !revoked.is_revoked("A"));
        clock.advance(Duration::from_secs(10));
        assert!(revoked.is_revoked("a") && !revoked.is_revoked("b"));
        // Revoking again keeps the later end.
        revoked.revoke_for("a", Duration::from_secs(1)).unwrap();
        clock.advance(Duration::from_secs(89));
        assert!(revoked.is_revoked("a"));
        clock.advance(Duration::from_secs(1));
        assert!(!revoked.is_revoked("a"));
        assert_eq!(revoked.len(), 2);
        revoked.purge_expired();
        assert!(revoked.is_empty());
    }

    #[test]
    fn a_full_list_refuses_rather_than_dropping_a_live_entry() {
        let clock = ManualClock::starting_now();
        let revoked = list(3, &clock);
        // The shards are chosen by a randomly seeded hash: pick three ids that all live outside
        // the shard of "d", so that only the sweep of the other shards can make room for it.
        let shard_of_d: *const _ = revoked.inner.shard("d");
        let ids: Vec<String> = (0..)
            .map(|n| format!("id{n}"))
            .filter(|id| !std::ptr::eq(revoked.inner.shard(id), shard_of_d))
            .take(3)
            .collect();
        for id in &ids {
            revoked.revoke(id).unwrap();
        }
        assert_eq!(
            revoked.revoke("d"),
            Err(RevocationError::Full { max_entries: 3 })
        );
        assert!(ids.iter().all(|id| revoked.is_revoked(id)));
        assert!(!revoked.is_revoked("d"));
        // A repeat of a live entry is not a new one.
        revoked.revoke(&ids[0]).unwrap();
        // Once entries expire they make room, whichever shard they are in.
        clock.advance(Duration::from_secs(100));
        revoked.revoke("d").unwrap();
        assert_eq!(revoked.len(), 1);
        assert!(revoked.is_revoked("d"));
        assert!(revoked.remove("d") && !revoked.remove("d"));
        assert!(revoked.is_empty());
    }

    #[test]
    fn bad_ids_lifetimes_and_settings_are_refused() {
        let revoked = RevocationList::new();
        assert_eq!(revoked.revoke(""), Err(RevocationError::InvalidId));
        assert_eq!(
            revoked.revoke(&"x".repeat(MAX_REVOCATION_ID_LEN + 1)),
            Err(RevocationError::InvalidId)
        );
        assert_eq!(
            revoked.revoke_for("a", Duration::ZERO),
            Err(RevocationError::InvalidLifetime)
        );
        assert_eq!(
            revoked.revoke_for("a", Duration::MAX),
            Err(RevocationError::InvalidLifetime)
        );
        assert!(revoked.is_empty());
        assert!(RevocationList::builder().max_entries(0).build().is_err());
        assert!(
            RevocationList::builder()
                .lifetime(Duration::ZERO)
                .build()
                .is_err()
        );
    }

    #[test]
    fn clones_share_one_list_across_threads() {
        let revoked = RevocationList::new();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let revoked = revoked.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        revoked.revoke(&format!("{t}-{i}")).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(revoked.len(), 1000);
        assert!(revoked.is_revoked("3-249") && !revoked.is_revoked("4-0"));
    }
}
