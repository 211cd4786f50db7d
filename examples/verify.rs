//! A command-line verifier for debugging tokens.
//!
//! ```text
//! verify [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL> | --jwks-file <PATH>]
//!        [--client-id <ID>]... [--token-use id|access|any] [--leeway-secs N] [--at <UNIX_SECONDS>]
//! ```
//!
//! Reads one token from stdin (surrounding whitespace trimmed).
//! - Accepted: exit 0, the verified claims as one JSON object on stdout.
//! - Rejected: exit 1, one line on stderr: the error's kind name, then a message. An empty,
//!   whitespace-only or non-UTF-8 input is a token that is `malformed`.
//! - Usage error: exit 2.
//!
//! `--at` verifies as of a past (or future) moment: `exp`, `nbf` and `iat` are judged then ("was
//! this token valid when the incident happened?"); keys still come from the JWKS as usual.
//! `--jwks-file` verifies with a key set read from a file (a static set: no network).
//!
//! Without `--client-id` the client check is skipped (a note says so on stderr). The default
//! token use is `any`. `--user-pool-id` derives the issuer and JWKS URI; `--issuer` and
//! `--jwks-uri` override them. Plain `http://` JWKS URIs are allowed (local emulators use them).
//!
//! ```text
//! echo "$TOKEN" | cargo run --example verify -- --user-pool-id eu-west-1_AbCdEf123 --client-id 3u4p8...
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints"
)]

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use cognito_verifier::{Error, ManualClock};

#[path = "common/cli.rs"]
mod cli;

const USAGE: &str = "usage: verify [--user-pool-id <region_id>] [--issuer <ISS>] \
[--jwks-uri <URL> | --jwks-file <PATH>] [--client-id <ID>]... [--token-use id|access|any] \
[--leeway-secs N] [--at <UNIX_SECONDS>] < token";

/// The most bytes read from stdin: well above the verifier's own token cap, so an oversized token
/// is still reported as `malformed` by the verifier rather than cut here.
const MAX_INPUT: u64 = 1024 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let usage_error = |msg: &str| {
        if !msg.is_empty() {
            eprintln!("error: {msg}");
        }
        eprintln!("{USAGE}");
        ExitCode::from(2)
    };
    let args = match cli::parse(std::env::args().skip(1), &["--at"]) {
        Ok(a) => a,
        Err(msg) => return usage_error(&msg),
    };
    let mut at = None;
    for (flag, value) in &args.extra {
        if flag == "--at" {
            match value.parse::<u64>() {
                Ok(secs) => at = Some(Duration::from_secs(secs)),
                Err(_) => {
                    return usage_error(&format!(
                        "--at needs whole seconds since the Unix epoch, not {value:?}"
                    ));
                }
            }
        }
    }
    let built = cli::builder(&args).and_then(|mut b| {
        if let Some(at) = at {
            b = b.clock(ManualClock::new(at));
        }
        b.build().map_err(|e| e.to_string())
    });
    let verifier = match built {
        Ok(v) => v,
        Err(msg) => return usage_error(&msg),
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_INPUT).read_to_end(&mut input) {
        return usage_error(&format!("cannot read a token from stdin: {e}"));
    }
    // Whatever arrived is the token: empty or not UTF-8 is a malformed one (exit 1), not a usage
    // error, so scripts that pipe a token through get the same answer for every bad token.
    let result = match std::str::from_utf8(&input) {
        Ok(text) => verifier.verify::<serde_json::Value>(text.trim()).await,
        Err(_) => Err(Error::Malformed {
            reason: "the input is not UTF-8".into(),
        }),
    };
    match result {
        Ok(claims) => {
            println!("{claims}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{} {}", e.kind(), e.to_string().replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
