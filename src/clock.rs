//! Where verification gets the time from.
//!
//! Every time-dependent decision (`exp`, `nbf`, `iat`, key-set age, refetch cooldown) reads the
//! verifier's [`Clock`]. [`SystemClock`] is the default; [`ManualClock`] lets tests move time
//! without sleeping.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::Clock;
///
/// #[derive(Debug)]
/// struct Fixed;
/// impl Clock for Fixed {
///     fn now(&self) -> Duration { Duration::from_secs(1_700_000_000) }
/// }
/// assert_eq!(Fixed.now().as_secs(), 1_700_000_000);
/// ```
pub trait Clock: Debug + Send + Sync + 'static {
    /// The time elapsed since the Unix epoch.
    fn now(&self) -> Duration;
}

/// The system's wall clock. A clock set before 1970 reads as the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// A clock that only moves when told to. Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use cognito_verifier::{Clock, ManualClock};
///
/// let clock = ManualClock::new(Duration::from_secs(100));
/// let seen_by_verifier = clock.clone();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(seen_by_verifier.now(), Duration::from_secs(105));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `now` (since the Unix epoch), at millisecond precision.
    pub fn new(now: Duration) -> Self {
        Self {
            millis: Arc::new(AtomicU64::new(duration_millis(now))),
        }
    }

    /// A clock reading the system time at the moment of the call.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    /// Sets the time.
    pub fn set(&self, now: Duration) {
        self.millis.store(duration_millis(now), Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        self.millis.fetch_add(duration_millis(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whole seconds since the epoch, as the signed type JWT dates use.
pub(crate) fn unix_seconds(now: Duration) -> i64 {
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > Duration::from_secs(1_577_836_800));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(Duration::from_millis(1500));
        assert_eq!(c.now(), Duration::from_millis(1500));
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now(), Duration::from_secs(2));
        c.set(Duration::from_secs(7));
        assert_eq!(c.now(), Duration::from_secs(7));
        assert_eq!(unix_seconds(c.now()), 7);
    }
}
