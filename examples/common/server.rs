//! What the server examples (axum, actix, tonic) share: their arguments, and the texts of the
//! HTTP examples' routes, so both HTTP servers answer alike.

use std::process::ExitCode;

use cognito_verifier::{CognitoClaims, CognitoVerifier};

use crate::cli;

/// Parses the verifier flags and `--listen` (default `default_listen`) and builds the verifier.
/// On a usage error, prints it with `usage` and returns the exit code (2).
pub(crate) fn setup(
    usage: &str,
    default_listen: &str,
) -> Result<(CognitoVerifier, String), ExitCode> {
    let fail = |msg: &str| {
        if !msg.is_empty() {
            eprintln!("error: {msg}");
        }
        eprintln!("{usage}");
        ExitCode::from(2)
    };
    let args = cli::parse(std::env::args().skip(1), &["--listen"]).map_err(|m| fail(&m))?;
    let listen = args
        .extra
        .iter()
        .find(|(flag, _)| flag == "--listen")
        .map_or(default_listen, |(_, v)| v.as_str())
        .to_owned();
    let verifier = cli::builder(&args)
        .and_then(|b| b.build().map_err(|e| e.to_string()))
        .map_err(|m| fail(&m))?;
    Ok((verifier, listen))
}

/// Fetches the keys now; a failure is only a warning (requests retry).
pub(crate) async fn hydrate(verifier: &CognitoVerifier) {
    if let Err(e) = verifier.hydrate().await {
        eprintln!("warning: could not fetch the keys yet ({e}); requests will retry");
    }
}

/// `/me`.
#[allow(dead_code, reason = "the tonic example serves no HTTP routes")]
pub(crate) fn me(claims: &CognitoClaims) -> String {
    let kind = match claims {
        CognitoClaims::Id(_) => "ID",
        _ => "access",
    };
    format!(
        "hello {} ({}), signed in with an {kind} token; groups {:?}\n",
        claims.username().unwrap_or_default(),
        claims.sub(),
        claims.groups()
    )
}

/// `/admin`.
#[allow(dead_code, reason = "the tonic example serves no HTTP routes")]
pub(crate) fn admin(claims: &CognitoClaims) -> String {
    format!("welcome to the admin area, {}\n", claims.sub())
}

/// `/hello`: optional authentication.
#[allow(dead_code, reason = "the tonic example serves no HTTP routes")]
pub(crate) fn hello(claims: Option<&CognitoClaims>) -> String {
    match claims {
        Some(c) => format!("hello {}\n", c.username().unwrap_or(c.sub())),
        None => "hello, stranger\n".into(),
    }
}
