//! Heap allocations per verification, counted by a global allocator. Its own test binary, because
//! a global allocator counts everything in the process.
//!
//! Run `cargo test --test allocations -- --nocapture` to see the counts.
#![allow(
    unsafe_code,
    reason = "a GlobalAlloc impl is unsafe by definition; it only forwards"
)]
#![allow(clippy::unwrap_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

use cognito_verifier::testkit::TestIssuer;
use cognito_verifier::{TokenCacheConfig, TokenUse};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not yet freed, whole process, always counted.
static LIVE: AtomicIsize = AtomicIsize::new(0);

fn live_bytes() -> isize {
    LIVE.load(Ordering::SeqCst)
}

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap()
}

// SAFETY: every method forwards to the system allocator unchanged; the counter is a side effect.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        LIVE.fetch_add(signed(layout.size()), Ordering::Relaxed);
        // SAFETY: the caller upholds GlobalAlloc::alloc's contract, which System shares.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(signed(layout.size()), Ordering::Relaxed);
        // SAFETY: ptr was allocated by System (through alloc above) with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        LIVE.fetch_add(signed(new_size) - signed(layout.size()), Ordering::Relaxed);
        // SAFETY: as for dealloc, and new_size is the caller's, per GlobalAlloc::realloc.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by one call of `f`, which must be the same on every call.
fn allocations_per_call(runs: usize, mut f: impl FnMut()) -> usize {
    f(); // warm up: lazy statics, first-use buffers
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..runs {
        f();
    }
    COUNTING.store(false, Ordering::SeqCst);
    let total = ALLOCATIONS.load(Ordering::SeqCst);
    assert_eq!(
        total % runs,
        0,
        "{total} allocations over {runs} calls: not the same each call"
    );
    total / runs
}

/// One test, so no other test thread allocates while counting.
#[test]
fn allocations_per_verification() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start()).unwrap();
    let verifier = issuer
        .verifier_builder("client")
        .token_use(TokenUse::Any)
        .jwks(issuer.jwks_json())
        .build()
        .unwrap();
    let access = issuer
        .access_token("client")
        .groups(["admins", "users"])
        .scopes(["openid", "orders/read"])
        .sign();
    let id = issuer
        .id_token("client")
        .claim("custom:tenant", "acme")
        .sign();
    let malformed = "e30.e30.!!!";

    let verify_access = allocations_per_call(100, || {
        verifier.verify_access_sync(&access).unwrap();
    });
    let verify_id = allocations_per_call(100, || {
        verifier.verify_id_sync(&id).unwrap();
    });
    let rejected = allocations_per_call(100, || {
        verifier.verify_access_sync(malformed).unwrap_err();
    });
    let checks_only = allocations_per_call(100, || {
        cognito_verifier::internals::check_access_without_signature(&verifier, &access).unwrap();
    });
    println!(
        "allocations per call: verify_access {verify_access}, verify_id {verify_id}, \
         checks only (no RSA, no typed claims) {checks_only}, malformed rejection {rejected}"
    );
    // Checks alone: one buffer for the decoded token, one Vec for the groups array. The typed
    // claims add their own strings (7 for this access token plus the scope set and the groups;
    // 8 for this ID token plus its custom attribute in `other`).
    // A malformed token costs its error message. Exact, so a new allocation shows up here.
    assert_eq!(checks_only, 2, "checks only");
    assert_eq!(verify_access, 15, "verify_access");
    assert_eq!(verify_id, 12, "verify_id");
    assert_eq!(rejected, 2, "malformed");

    // What a verified-token cache entry really holds, against what the cache weighs it at: the
    // weight must not be below the real cost (or the byte bound would not hold), and not far
    // above it. A typical access token, and a 15 KB ID token (many groups and attributes).
    let cached = issuer
        .verifier_builder("client")
        .token_use(TokenUse::Any)
        .jwks(issuer.jwks_json())
        .token_cache(TokenCacheConfig::default())
        .build()
        .unwrap();
    let big_id = |i: u32| {
        (0..48)
            .fold(
                issuer
                    .id_token("client")
                    .subject(&format!("user-{i}"))
                    .groups((0..120).map(|g| format!("eu-west-1_AbCdEf123_group-number-{g:04}"))),
                |t, a| t.claim(&format!("custom:attribute_{a:02}"), "v".repeat(100)),
            )
            .sign()
    };
    let small_access = |i: u32| {
        issuer
            .access_token("client")
            .subject(&format!("user-{i}"))
            .groups(["admins", "users"])
            .scopes(["openid", "orders/read"])
            .sign()
    };
    let mint: [&dyn Fn(u32) -> String; 2] = [&small_access, &big_id];
    assert!(big_id(0).len() > 14_000, "{}", big_id(0).len());
    for make in mint {
        // Many entries, so that the cache's own growth (its table, its buffers) is shared out as
        // it is in use, not charged to one entry.
        const ENTRIES: u32 = 200;
        let tokens: Vec<String> = (0..ENTRIES).map(make).collect();
        cached.verify_any_sync(&make(ENTRIES)).unwrap();
        let before = live_bytes();
        for token in &tokens {
            cached.verify_any_sync(token).unwrap();
        }
        let held = usize::try_from(live_bytes() - before).unwrap() / ENTRIES as usize;
        let (signed_part, _) = tokens[0].rsplit_once('.').unwrap();
        let weighed = cognito_verifier::internals::token_cache_entry_bytes(signed_part.len());
        let weighed = usize::try_from(weighed).unwrap();
        println!(
            "token cache entry for a {}-byte token: {held} bytes held (mean of {ENTRIES}), weighed at {weighed}",
            tokens[0].len()
        );
        assert!(weighed >= held, "weighed {weighed} < held {held}");
        assert!(weighed <= held * 2, "weighed {weighed} > 2 x held {held}");
    }
}
