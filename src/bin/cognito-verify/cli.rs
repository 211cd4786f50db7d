//! Arguments shared by the `cognito-verify` command and the server examples: which issuer, which
//! keys, which clients.

use std::time::Duration;

use cognito_verifier::{CognitoVerifier, CognitoVerifierBuilder, TokenUse};

/// The verifier options, and any options the example adds itself (`extra`).
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub(crate) pool: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) client_ids: Vec<String>,
    pub(crate) token_use: Option<TokenUse>,
    pub(crate) leeway: Option<Duration>,
    pub(crate) jwks_file: Option<String>,
    pub(crate) extra: Vec<(String, String)>,
}

/// Parses `--flag value` pairs; flags in `extra_flags` are kept in `Args::extra`.
/// `Err("")` means help was asked for.
pub(crate) fn parse(
    mut args: impl Iterator<Item = String>,
    extra_flags: &[&str],
) -> Result<Args, String> {
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
            "--jwks-file" => out.jwks_file = Some(value),
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
            f if extra_flags.contains(&f) => out.extra.push((flag, value)),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(out)
}

/// A verifier builder from the arguments: `--user-pool-id` derives issuer and JWKS URI,
/// `--issuer`/`--jwks-uri` override them; `--jwks-file` gives a static key set instead (nothing
/// is fetched; with `--issuer`, no `--jwks-uri` is needed); plain http allowed (local emulators);
/// no `--client-id` skips the client check, saying so on stderr; the token use defaults to `any`.
pub(crate) fn builder(args: &Args) -> Result<CognitoVerifierBuilder, String> {
    let mut b = match (&args.pool, &args.issuer, &args.jwks_uri) {
        (Some(pool), issuer, jwks) => {
            let mut b = CognitoVerifier::builder(pool.as_str());
            if let Some(issuer) = issuer {
                b = b.issuer(issuer.as_str());
            }
            if let Some(jwks) = jwks {
                b = b.jwks_uri(jwks.as_str());
            }
            b
        }
        (None, Some(issuer), Some(jwks)) => {
            CognitoVerifier::builder_for_issuer(issuer.as_str(), jwks.as_str())
        }
        // A static key set is never fetched: the URI is only a name.
        (None, Some(issuer), None) if args.jwks_file.is_some() => {
            CognitoVerifier::builder_for_issuer(issuer.as_str(), "https://unused.invalid/jwks.json")
        }
        (None, _, _) => {
            return Err("give --user-pool-id, or --issuer with --jwks-uri or --jwks-file".into());
        }
    };
    if let Some(path) = &args.jwks_file {
        let document = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --jwks-file {path:?}: {e}"))?;
        b = b.static_jwks(document);
    }
    b = b
        .allow_insecure_http()
        .token_use(args.token_use.unwrap_or(TokenUse::Any));
    if args.client_ids.is_empty() {
        eprintln!("note: no --client-id given, so the client id (aud / client_id) is not checked");
        b = b.danger_accept_any_client_id();
    } else {
        b = b.client_ids(args.client_ids.iter().cloned());
    }
    if let Some(leeway) = args.leeway {
        b = b.leeway(leeway);
    }
    Ok(b)
}
