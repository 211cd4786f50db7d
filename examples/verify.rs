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
use std::time::Duration;

use cognito_jwt_verify::{CognitoVerifier, CognitoVerifierBuilder, TokenUse};

const USAGE: &str = "usage: verify [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL>] \
[--client-id <ID>]... [--token-use id|access|any] [--leeway-secs N] < token";

/// The most bytes read from stdin: well above the verifier's own token cap, so an oversized token
/// is still reported as `malformed` by the verifier rather than cut here.
const MAX_INPUT: u64 = 1024 * 1024;

#[derive(Debug, Default)]
struct Args {
    pool: Option<String>,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    client_ids: Vec<String>,
    token_use: Option<TokenUse>,
    leeway: Option<Duration>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args::default();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--user-pool-id" => out.pool = Some(value),
            "--issuer" => out.issuer = Some(value),
            "--jwks-uri" => out.jwks_uri = Some(value),
            "--client-id" => out.client_ids.push(value),
            "--token-use" => {
                out.token_use = Some(match value.as_str() {
                    "id" => TokenUse::Id,
                    "access" => TokenUse::Access,
                    "any" => TokenUse::Any,
                    _ => {
                        return Err(format!(
                            "--token-use must be id, access or any, not {value:?}"
                        ));
                    }
                });
            }
            "--leeway-secs" => {
                let secs = value
                    .parse()
                    .map_err(|_| format!("--leeway-secs needs a whole number, not {value:?}"))?;
                out.leeway = Some(Duration::from_secs(secs));
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(out)
}

fn builder(args: Args) -> Result<CognitoVerifierBuilder, String> {
    let mut b = match (args.pool, args.issuer, args.jwks_uri) {
        (Some(pool), issuer, jwks) => {
            let mut b = CognitoVerifier::builder(pool);
            if let Some(issuer) = issuer {
                b = b.issuer(issuer);
            }
            if let Some(jwks) = jwks {
                b = b.jwks_uri(jwks);
            }
            b
        }
        (None, Some(issuer), Some(jwks)) => CognitoVerifier::builder_for_issuer(issuer, jwks),
        (None, _, _) => {
            return Err("give --user-pool-id, or both --issuer and --jwks-uri".into());
        }
    };
    b = b
        .allow_insecure_http()
        .token_use(args.token_use.unwrap_or(TokenUse::Any));
    if args.client_ids.is_empty() {
        eprintln!("note: no --client-id given, so the client id (aud / client_id) is not checked");
        b = b.danger_accept_any_client_id();
    } else {
        b = b.client_ids(args.client_ids);
    }
    if let Some(leeway) = args.leeway {
        b = b.leeway(leeway);
    }
    Ok(b)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let usage_error = |msg: &str| {
        if !msg.is_empty() {
            eprintln!("error: {msg}");
        }
        eprintln!("{USAGE}");
        ExitCode::from(2)
    };
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => return usage_error(&msg),
    };
    let verifier = match builder(args).and_then(|b| b.build().map_err(|e| e.to_string())) {
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
