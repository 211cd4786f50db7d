//! The opt-in verified-token cache: skip the RSA work for a token seen before.

use std::sync::{Arc, Weak};
use std::time::Duration;

use aws_lc_rs::digest;

use crate::clock::unix_seconds;
use crate::cognito::claims::CognitoClaims;
use crate::error::BuildError;
use crate::jwt::signature::RsaPublicKey;

/// Settings of the verified-token cache (off unless
/// [`CognitoVerifierBuilder::token_cache`](crate::CognitoVerifierBuilder::token_cache) is called).
///
/// Services that see the same token many times (a browser session calling an API) can skip the
/// RSA verification on repeats, as API Gateway's own authorizer cache does. An entry is:
///
/// - keyed by the SHA-256 of the token's signature, and on a hit the token's signed part (header
///   and payload) must equal the one that was verified, so a token that differs in any byte
///   misses (hashing the signature, 342 characters for an RSA-2048 key, rather than the whole
///   token keeps a hit cheap);
/// - stored only after a full, successful verification: a rejection is never cached;
/// - re-checked on every hit against the verifier's clock (`exp`, `nbf`, with the leeway), so it
///   never outlives its token;
/// - dropped as soon as the signing key is no longer in the cached key set (rotation, withdrawal,
///   or the key set aging out);
/// - used only for the same kind of call (`verify_id`, `verify_access`, `verify_any`); calls with a
///   nonce and `verify::<T>` always verify in full.
///
/// The trade-offs: memory, and the verified claims of recent tokens stay in memory until they
/// expire. An entry holds the claims and the signed part: 1.8 KB for a typical 0.85 KB access
/// token, 34 KB for a 15 KB ID token with many groups and attributes (the mean of 200, measured by
/// `tests/allocations.rs`); the cache weighs each at 2.5 times the signed part plus 1 KiB, a
/// little above what it holds. The cache is bounded both ways: at most
/// [`max_entries`](Self::max_entries) entries (10,000) and at most
/// [`max_bytes`](Self::max_bytes) of entries (32 MiB), whichever comes first; entries are weighed
/// by their size, so large tokens evict sooner rather than take 280 MB at 10,000 entries. The tokens themselves are not stored: without its signature, a token's signed
/// part is no credential (it holds what the claims already say). Nothing is weakened: a cached
/// acceptance is one the verifier made and would make again, with the same key, at this time.
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::TokenCacheConfig;
///
/// let config = TokenCacheConfig::default()
///     .max_entries(50_000)
///     .max_ttl(Duration::from_secs(600));
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[expect(
    clippy::struct_field_names,
    reason = "each field is the setter of its name: three maxima"
)]
pub struct TokenCacheConfig {
    max_entries: u64,
    max_bytes: u64,
    max_ttl: Duration,
}

impl Default for TokenCacheConfig {
    /// 10,000 entries and 32 MiB at most, each kept at most 5 minutes (and never past its
    /// token's `exp`).
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_bytes: DEFAULT_TOKEN_CACHE_BYTES,
            max_ttl: Duration::from_secs(300),
        }
    }
}

/// The default bound of [`TokenCacheConfig::max_bytes`]: 32 MiB.
pub const DEFAULT_TOKEN_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// What an entry for a token whose signed part (header and payload) is `signed_len` bytes long
/// costs in memory, as the cache weighs it: the signed part, the claims built from the payload
/// (about twice the payload's JSON, which is three quarters of its base64), and 1 KiB of
/// fixed cost (the entry, the key, the map's node). `tests/allocations.rs` checks it against
/// the bytes an entry really holds.
pub(crate) fn entry_bytes(signed_len: usize) -> u64 {
    let signed = u64::try_from(signed_len).unwrap_or(u64::MAX);
    signed
        .saturating_add(signed.saturating_mul(3) / 2)
        .saturating_add(1024)
}

/// The longest [`TokenCacheConfig::max_ttl`] accepted: Cognito tokens live at most a day.
pub const MAX_TOKEN_CACHE_TTL: Duration = Duration::from_secs(24 * 3600);

impl TokenCacheConfig {
    /// The most tokens remembered; the least useful are evicted first. `build()` refuses zero.
    pub fn max_entries(mut self, max_entries: u64) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// The most memory the entries may take, in bytes (default [`DEFAULT_TOKEN_CACHE_BYTES`],
    /// 32 MiB), each weighed by its size (see the type's docs); the least useful are evicted
    /// first. `build()` refuses less than 64 KiB.
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The longest an entry is kept, however far its `exp`. `build()` refuses zero and more
    /// than [`MAX_TOKEN_CACHE_TTL`] (a day).
    pub fn max_ttl(mut self, max_ttl: Duration) -> Self {
        self.max_ttl = max_ttl;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        let invalid = |setting, reason| Err(BuildError::InvalidSetting { setting, reason });
        if self.max_entries == 0 {
            return invalid("token_cache.max_entries", "must be more than zero");
        }
        if self.max_bytes < 64 * 1024 {
            return invalid("token_cache.max_bytes", "must be at least 64 KiB");
        }
        if self.max_ttl.is_zero() || self.max_ttl > MAX_TOKEN_CACHE_TTL {
            return invalid(
                "token_cache.max_ttl",
                "must be more than zero and at most a day",
            );
        }
        Ok(())
    }
}

/// What a hit needs: the claims, their time window, and the key that verified them.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) claims: CognitoClaims,
    /// The token's header and payload as sent: the bytes its signature was verified over.
    pub(crate) signed: Box<[u8]>,
    pub(crate) exp: i64,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: i64,
    pub(crate) kid: Box<str>,
    /// Keeps the key's allocation alive, so its address cannot be reused by another key.
    pub(crate) key: Weak<RsaPublicKey>,
}

impl Entry {
    /// Whether a full verification at `now` (with `leeway`) would accept the token's time
    /// claims: `exp`, `nbf` and `iat`, the same comparisons as the claim check, so a hit agrees
    /// with it even after the clock steps back.
    pub(crate) fn in_window(&self, now: Duration, leeway: u64) -> bool {
        let now = unix_seconds(now);
        let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
        now < self.exp.saturating_add(leeway)
            && self.nbf.is_none_or(|nbf| now.saturating_add(leeway) >= nbf)
            && self.iat <= now.saturating_add(leeway)
    }

    /// Whether this entry was made for a token whose signed part is `signed` (its key matched
    /// the token's signature): a forged header or payload under a genuine signature misses
    /// here, and leaves the entry in place.
    pub(crate) fn is_for(&self, signed: &str) -> bool {
        *self.signed == *signed.as_bytes()
    }

    /// Whether `key` is the very key this entry was verified with.
    pub(crate) fn same_key(&self, key: &Arc<RsaPublicKey>) -> bool {
        std::ptr::eq(self.key.as_ptr(), Arc::as_ptr(key))
    }
}

/// The SHA-256 of a token's signature.
pub(crate) type Key = [u8; 32];

/// Signature digest to entry.
#[derive(Debug, Clone)]
pub(crate) struct TokenCache {
    entries: moka::sync::Cache<Key, Arc<Entry>>,
}

impl TokenCache {
    pub(crate) fn new(config: &TokenCacheConfig) -> Self {
        // One weight, two bounds: the capacity is in bytes, and no entry weighs less than its
        // share of it for `max_entries` entries, so no more than that many fit.
        let floor = config.max_bytes.div_ceil(config.max_entries.max(1));
        let floor = u32::try_from(floor).unwrap_or(u32::MAX);
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(config.max_bytes)
                .weigher(move |_: &Key, entry: &Arc<Entry>| {
                    u32::try_from(entry_bytes(entry.signed.len()))
                        .unwrap_or(u32::MAX)
                        .max(floor)
                })
                .time_to_live(config.max_ttl)
                .build(),
        }
    }

    /// A token's signed part (header and payload) and its cache key (the SHA-256 of its
    /// signature), split at the last `.`; `None` for text with no `.` (not a JWS: left to the
    /// full verification to refuse).
    pub(crate) fn key(token: &str) -> Option<(&str, Key)> {
        let (signed, signature) = token.rsplit_once('.')?;
        let mut out = [0_u8; 32];
        let d = digest::digest(&digest::SHA256, signature.as_bytes());
        for (o, b) in out.iter_mut().zip(d.as_ref()) {
            *o = *b;
        }
        Some((signed, out))
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        self.entries.get(key)
    }

    pub(crate) fn insert(&self, key: Key, entry: Entry) {
        self.entries.insert(key, Arc::new(entry));
    }

    pub(crate) fn remove(&self, key: &Key) {
        self.entries.invalidate(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::claims::AccessClaims;

    fn entry(signed_len: usize) -> Entry {
        let claims: AccessClaims = serde_json::from_str(
            r#"{"sub":"s","iss":"i","client_id":"c","exp":1,"iat":1,"token_use":"access"}"#,
        )
        .unwrap();
        Entry {
            claims: CognitoClaims::Access(claims),
            signed: vec![b'a'; signed_len].into(),
            exp: 1,
            nbf: None,
            iat: 1,
            kid: "k".into(),
            key: Weak::new(),
        }
    }

    #[test]
    fn entries_are_bounded_by_bytes_and_by_count() {
        let fill = |config: &TokenCacheConfig, signed_len: usize| {
            let cache = TokenCache::new(config);
            for i in 0_u32..500 {
                let mut key = [0_u8; 32];
                key[..4].copy_from_slice(&i.to_be_bytes());
                cache.insert(key, entry(signed_len));
            }
            cache.entries.run_pending_tasks();
            (cache.entries.entry_count(), cache.entries.weighted_size())
        };
        // 15 KB tokens (~38 KB entries) in 1 MiB: about 27 of them, never 500.
        let config = TokenCacheConfig::default().max_bytes(1024 * 1024);
        let (count, bytes) = fill(&config, 15_000);
        assert!(count <= 1024 * 1024 / entry_bytes(15_000), "{count}");
        assert!(count >= 10, "{count}");
        assert!(bytes <= 1024 * 1024, "{bytes}");
        // Small tokens: the entry count is the bound.
        let config = TokenCacheConfig::default().max_entries(100);
        let (count, _) = fill(&config, 700);
        assert!((50..=100).contains(&count), "{count}");
        assert!(
            TokenCacheConfig::default()
                .max_bytes(1000)
                .validate()
                .is_err()
        );
    }

    #[test]
    fn keys_come_from_the_signature_and_need_a_dot() {
        let key = |t| TokenCache::key(t).map(|(_, k)| k);
        assert_ne!(key("a.b.c"), key("a.b.d"));
        assert_eq!(key("a.b.c"), key("x.y.c"));
        assert_eq!(key("abc"), None);
        assert_eq!(
            TokenCache::key("a.b.c").map(|(signed, _)| signed),
            Some("a.b")
        );
    }
}
