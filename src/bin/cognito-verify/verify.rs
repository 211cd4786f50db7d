//! A command-line verifier for debugging tokens.
//!
//! ```text
//! verify [--user-pool-id <region_id>] [--issuer <ISS>] [--jwks-uri <URL> | --jwks-file <PATH>]
//!        [--client-id <ID>]... [--token-use id|access|any] [--leeway-secs N] [--at <UNIX_SECONDS>]
//!        [--resource <VALUE>]... [--revoked <ID>]...
//! verify --alb-arn <ARN>... [--alb-keys-uri <BASE_URL> | --region <REGION>]
//!        [--user-pool-id <region_id> | --issuer <ISS>] [--client-id <ID>]... [--leeway-secs N]
//!        [--at <UNIX_SECONDS>]
//! ```
//!
//! With `--alb-arn` (repeatable) the token is an Application Load Balancer's `x-amzn-oidc-data`
//! (ES256, signed by one of those load balancers): `--client-id` checks its `client`,
//! `--user-pool-id`/`--issuer` its `iss` (without them the issuer is not checked, and a note says
//! so), and its key comes from `<BASE_URL>/<kid>` (`--alb-keys-uri`, plain `http` allowed) or
//! the regional endpoint (`--region`, else each ARN's own region).
//!
//! Reads one token from stdin (surrounding whitespace trimmed).
//! - Accepted: exit 0, the verified claims as one JSON object on stdout.
//! - Rejected: exit 1, one line on stderr: the error's kind name, then a message. An empty,
//!   whitespace-only or non-UTF-8 input is a token that is `malformed`.
//! - Usage error: exit 2.
//!
//! `--at` verifies as of a past (or future) moment: `exp`, `nbf` and `iat` are judged then ("was
//! this token valid when the incident happened?"); keys still come from the JWKS as usual. A
//! value in milliseconds (10,000,000,000 or more) is a usage error that says so. A pasted
//! `Authorization` value (`Bearer <token>`) is verified as its token, with a note on stderr.
//! `--jwks-file` verifies with a key set read from a file (a static set: no network).
//!
//! `--resource` (repeatable) requires an access token to be bound to one of these resources (its
//! `aud`): `wrong_audience`, or `missing_claim` without `aud`. `--revoked` (repeatable) treats an
//! `origin_jti` (a whole session) or a `jti` (one token) as revoked: `revoked`. Both are for
//! Cognito tokens, not with `--alb-arn`.
//!
//! Without `--client-id` the client check is skipped (a note says so on stderr). The default
//! token use is `any`. `--user-pool-id` derives the issuer and JWKS URI; `--issuer` and
//! `--jwks-uri` override them. Plain `http://` JWKS URIs are allowed (local emulators use them).
//!
//! ```text
//! echo "$TOKEN" | cognito-verify --user-pool-id eu-west-1_AbCdEf123 --client-id 3u4p8...
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

use cognito_verifier::alb::{AlbVerifier, AlbVerifierBuilder};
use cognito_verifier::{CognitoVerifier, Error, ManualClock, RevocationList};

use crate::cli;

const USAGE: &str = "usage: verify [--user-pool-id <region_id>] [--issuer <ISS>] \
[--jwks-uri <URL> | --jwks-file <PATH>] [--client-id <ID>]... [--token-use id|access|any] \
[--leeway-secs N] [--at <UNIX_SECONDS>] [--resource <VALUE>]... [--revoked <ID>]... < token
       verify --alb-arn <ARN>... [--alb-keys-uri <BASE_URL> | --region <REGION>] \
[--user-pool-id <region_id> | --issuer <ISS>] [--client-id <ID>]... [--leeway-secs N] \
[--at <UNIX_SECONDS>] < token";

/// An `--at` at least this large is taken for milliseconds (as seconds it is past 2286).
const MILLISECONDS_FROM: u64 = 10_000_000_000;

/// The token of a pasted `Authorization` value (`Bearer <token>`, any case), with a note on
/// stderr; any other input as it is.
fn without_scheme(input: &str) -> &str {
    match cognito_verifier::auth::bearer_token(input, false) {
        Some(token) => {
            eprintln!("note: the input starts with \"Bearer \": verifying the token after it");
            token
        }
        None => input,
    }
}

/// The most bytes read from stdin: well above the verifier's own token cap, so an oversized token
/// is still reported as `malformed` by the verifier rather than cut here.
const MAX_INPUT: u64 = 1024 * 1024;

/// Runs the command on a current-thread runtime of its own.
pub(crate) fn main() -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> ExitCode {
    let usage_error = |msg: &str| {
        if !msg.is_empty() {
            eprintln!("error: {msg}");
        }
        eprintln!("{USAGE}");
        ExitCode::from(2)
    };
    let args = match cli::parse(
        std::env::args().skip(1),
        &[
            "--at",
            "--alb-arn",
            "--alb-keys-uri",
            "--region",
            "--resource",
            "--revoked",
        ],
    ) {
        Ok(a) => a,
        Err(msg) => return usage_error(&msg),
    };
    let mut at = None;
    let extra = |name: &'static str| {
        args.extra
            .iter()
            .filter(move |(flag, _)| flag == name)
            .map(|(_, value)| value.clone())
    };
    let alb_arns: Vec<String> = extra("--alb-arn").collect();
    for (flag, value) in &args.extra {
        if flag == "--at" {
            match value.parse::<u64>() {
                // Seconds this large are past the year 2286: a pasted JavaScript Date.now().
                Ok(millis) if millis >= MILLISECONDS_FROM => {
                    return usage_error(&format!(
                        "--at takes seconds since the Unix epoch; {value} looks like \
                         milliseconds (seconds: {})",
                        millis / 1000
                    ));
                }
                Ok(secs) => at = Some(Duration::from_secs(secs)),
                Err(_) => {
                    return usage_error(&format!(
                        "--at needs whole seconds since the Unix epoch, not {value:?}"
                    ));
                }
            }
        }
    }
    let resources: Vec<String> = extra("--resource").collect();
    let revoked: Vec<String> = extra("--revoked").collect();
    let built = if alb_arns.is_empty() {
        if extra("--alb-keys-uri").next().is_some() || extra("--region").next().is_some() {
            return usage_error("--alb-keys-uri and --region need --alb-arn");
        }
        cognito(&args, at, resources, &revoked)
    } else if !resources.is_empty() || !revoked.is_empty() {
        return usage_error("--resource and --revoked are for Cognito tokens, not with --alb-arn");
    } else {
        alb_builder(
            &args,
            alb_arns,
            extra("--alb-keys-uri").next_back(),
            extra("--region").next_back(),
        )
        .and_then(|mut b| {
            if let Some(at) = at {
                b = b.clock(ManualClock::new(at));
            }
            b.build().map(Verifier::Alb).map_err(|e| e.to_string())
        })
    };
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
        Ok(text) => verifier.verify(without_scheme(text.trim())).await,
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

enum Verifier {
    Cognito(CognitoVerifier),
    Alb(AlbVerifier),
}

impl Verifier {
    async fn verify(&self, token: &str) -> Result<serde_json::Value, Error> {
        match self {
            Self::Cognito(v) => v.verify::<serde_json::Value>(token).await,
            Self::Alb(v) => v
                .verify(token)
                .await
                .map(|claims| serde_json::to_value(claims).unwrap_or_default()),
        }
    }
}

/// A Cognito verifier from the arguments, as of `at`, binding access tokens to `resources` and
/// refusing the `revoked` ids.
fn cognito(
    args: &cli::Args,
    at: Option<Duration>,
    resources: Vec<String>,
    revoked: &[String],
) -> Result<Verifier, String> {
    let mut b = cli::builder(args)?;
    if let Some(at) = at {
        b = b.clock(ManualClock::new(at));
    }
    if !resources.is_empty() {
        b = b.resources(resources);
    }
    if !revoked.is_empty() {
        let list = RevocationList::new();
        for id in revoked {
            list.revoke(id)
                .map_err(|e| format!("--revoked {id:?}: {e}"))?;
        }
        b = b.revocations(list);
    }
    b.build().map(Verifier::Cognito).map_err(|e| e.to_string())
}

/// An ALB verifier from the arguments (see the module's documentation).
fn alb_builder(
    args: &cli::Args,
    load_balancers: Vec<String>,
    keys_uri: Option<String>,
    region: Option<String>,
) -> Result<AlbVerifierBuilder, String> {
    if args.jwks_uri.is_some() || args.jwks_file.is_some() || args.token_use.is_some() {
        return Err(
            "--jwks-uri, --jwks-file and --token-use are for Cognito tokens, not with --alb-arn"
                .into(),
        );
    }
    let mut b = AlbVerifier::builder(load_balancers);
    b = match (&args.pool, &args.issuer) {
        (Some(_), Some(_)) => return Err("give --user-pool-id or --issuer, not both".into()),
        (Some(pool), None) => b.user_pool_id(pool.as_str()),
        (None, Some(issuer)) => b.issuer(issuer.as_str()),
        (None, None) => {
            eprintln!(
                "note: no --user-pool-id or --issuer given, so the issuer (iss) is not checked"
            );
            b.danger_accept_any_issuer()
        }
    };
    if args.client_ids.is_empty() {
        eprintln!("note: no --client-id given, so the ALB's client is not checked");
        b = b.danger_accept_any_client_id();
    } else {
        b = b.client_ids(args.client_ids.iter().cloned());
    }
    match (keys_uri, region) {
        (Some(_), Some(_)) => return Err("give --alb-keys-uri or --region, not both".into()),
        (Some(uri), None) => b = b.keys_uri(uri).allow_insecure_http(),
        (None, Some(region)) => b = b.region(region),
        (None, None) => {}
    }
    if let Some(leeway) = args.leeway {
        b = b.leeway(leeway);
    }
    Ok(b)
}
