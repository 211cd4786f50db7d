//! A command-line verifier for debugging tokens.
//!
//! ```text
//! verify [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL>] [--client-id <ID>]...
//!        [--token-use id|access|any] [--leeway-secs N]
//! ```
//!
//! Reads one token from stdin (surrounding whitespace trimmed).
//! - Accepted: exit 0, the verified claims as one JSON object on stdout.
//! - Rejected: exit 1, one line on stderr: the error's kind name, then a message.
//! - Usage error: exit 2.
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

#[path = "common/cli.rs"]
mod cli;

const USAGE: &str = "usage: verify [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL>] \
[--client-id <ID>]... [--token-use id|access|any] [--leeway-secs N] < token";

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
    let args = match cli::parse(std::env::args().skip(1), &[]) {
        Ok(a) => a,
        Err(msg) => return usage_error(&msg),
    };
    let verifier = match cli::builder(&args).and_then(|b| b.build().map_err(|e| e.to_string())) {
        Ok(v) => v,
        Err(msg) => return usage_error(&msg),
    };
    let mut input = String::new();
    if let Err(e) = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input) {
        return usage_error(&format!("cannot read a token from stdin: {e}"));
    }
    let token = input.trim();
    if token.is_empty() {
        return usage_error("no token on stdin");
    }
    match verifier.verify::<serde_json::Value>(token).await {
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
