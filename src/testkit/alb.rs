//! A local Application Load Balancer for tests: ES256 keys served as PEM per `kid` on
//! `127.0.0.1`, and a minter of `x-amzn-oidc-data` tokens in ALB's shape (padded base64url
//! segments, `signer`/`client`/`iss`/`exp` in the header).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{DEFAULT_TEST_POOL, Route, serve};
use crate::alb::keys::P256_SPKI_PREFIX;
use crate::alb::{AlbVerifier, AlbVerifierBuilder};
use crate::clock::{Clock, SystemClock};
use crate::cognito::pool::UserPoolId;

/// The load balancer ARN a [`TestAlb`] signs as.
pub const DEFAULT_TEST_ALB_ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188";

struct AlbKey {
    kid: String,
    pair: EcdsaKeyPair,
    pem: String,
}

impl AlbKey {
    fn generate() -> io::Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| io::Error::other("P-256 key generation failed"))?;
        let pair =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                .map_err(|_| io::Error::other("P-256 key generation failed"))?;
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(pair.public_key().as_ref());
        let b64 = base64_simd::STANDARD.encode_to_string(&der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Ok(Self {
            kid: random_uuid()?,
            pair,
            pem,
        })
    }
}

/// A random version-4 UUID, the shape of ALB's key ids.
fn random_uuid() -> io::Result<String> {
    let mut b = [0_u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| io::Error::other("no randomness"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().fold(String::new(), |mut out, x| {
        use std::fmt::Write as _;
        let _ = write!(out, "{x:02x}");
        out
    });
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

struct State {
    keys: Mutex<Vec<AlbKey>>,
    requests: AtomicUsize,
}

impl State {
    fn keys(&self) -> std::sync::MutexGuard<'_, Vec<AlbKey>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A local load balancer: P-256 keys whose PEM is served at `http://127.0.0.1:<port>/<kid>`
/// (like `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`), and a minter of
/// `x-amzn-oidc-data` tokens for a Cognito pool's users. The server stops when it is dropped.
///
/// ```
/// use cognito_verifier::testkit::TestAlb;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let alb = TestAlb::start().await?;
/// let verifier = alb.verifier_builder("my-client").build()?;
/// let token = alb.token("my-client").email("jane@example.com").sign();
/// let claims = verifier.verify(&token).await?;
/// assert_eq!(claims.email.as_deref(), Some("jane@example.com"));
/// # Ok(()) }
/// ```
pub struct TestAlb {
    arn: String,
    issuer: String,
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for TestAlb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestAlb")
            .field("arn", &self.arn)
            .field("keys_uri", &self.keys_uri())
            .finish_non_exhaustive()
    }
}

impl Drop for TestAlb {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestAlb {
    /// Starts a load balancer ([`DEFAULT_TEST_ALB_ARN`], users of [`DEFAULT_TEST_POOL`]) with
    /// one key, on a free loopback port, on the system clock.
    ///
    /// # Errors
    /// When no port can be bound or no key generated.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(DEFAULT_TEST_ALB_ARN, SystemClock).await
    }

    /// Starts a load balancer signing as `arn`, minting tokens on `clock`.
    ///
    /// # Errors
    /// When no port can be bound or no key generated.
    pub async fn start_with(arn: &str, clock: impl Clock) -> io::Result<Self> {
        let pool: UserPoolId = DEFAULT_TEST_POOL
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let state = Arc::new(State {
            keys: Mutex::new(vec![AlbKey::generate()?]),
            requests: AtomicUsize::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served = Arc::clone(&state);
        let route: Route = Arc::new(move |target| {
            served.requests.fetch_add(1, Ordering::SeqCst);
            let kid = target.strip_prefix('/')?;
            served
                .keys()
                .iter()
                .find(|k| k.kid == kid)
                .map(|k| ("application/octet-stream", k.pem.clone()))
        });
        Ok(Self {
            arn: arn.to_owned(),
            issuer: pool.issuer(),
            addr,
            state,
            server: tokio::spawn(serve(listener, route)),
            clock: Arc::new(clock),
        })
    }

    /// The ARN this load balancer signs as.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The `iss` of its tokens (the Cognito pool's issuer).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The base URL of its keys: `http://127.0.0.1:<port>` (a key is at `<base>/<kid>`).
    pub fn keys_uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests its key server has answered (404s included).
    pub fn key_requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The kid tokens are signed with now.
    pub fn current_kid(&self) -> String {
        self.state
            .keys()
            .last()
            .map(|k| k.kid.clone())
            .unwrap_or_default()
    }

    /// The PEM public key of the current kid.
    pub fn public_key_pem(&self) -> String {
        self.state
            .keys()
            .last()
            .map(|k| k.pem.clone())
            .unwrap_or_default()
    }

    /// Adds a new key and signs with it from now on; returns its kid.
    ///
    /// # Errors
    /// When no key can be generated.
    pub fn rotate_key(&self) -> io::Result<String> {
        let key = AlbKey::generate()?;
        let kid = key.kid.clone();
        self.state.keys().push(key);
        Ok(kid)
    }

    /// A verifier builder trusting this load balancer, its keys URI (plain http allowed), its
    /// issuer and `client_id`, on its clock.
    pub fn verifier_builder(&self, client_id: &str) -> AlbVerifierBuilder {
        AlbVerifier::builder([self.arn.clone()])
            .keys_uri(self.keys_uri())
            .allow_insecure_http()
            .issuer(self.issuer.clone())
            .client_ids([client_id])
            .clock(ClockRef(Arc::clone(&self.clock)))
    }

    /// A token for `client_id`'s user, valid for 2 minutes (ALB's own tokens are short-lived):
    /// `sub`, `email_verified` (as Cognito's userinfo sends it, a string), `email`,
    /// `username`, `exp`, `iss` in the payload.
    pub fn token(&self, client_id: &str) -> AlbTokenBuilder<'_> {
        let now = i64::try_from(self.clock.now().as_secs()).unwrap_or(i64::MAX);
        let exp = now.saturating_add(120);
        let mut header = Map::new();
        header.insert("kid".into(), json!(self.current_kid()));
        header.insert("alg".into(), json!("ES256"));
        header.insert("iss".into(), json!(self.issuer));
        header.insert("client".into(), json!(client_id));
        header.insert("signer".into(), json!(self.arn));
        header.insert("exp".into(), json!(exp));
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("a1b2c3d4-0000-4000-8000-000000000001"));
        claims.insert("email_verified".into(), json!("true"));
        claims.insert("email".into(), json!("test.user@example.com"));
        claims.insert("username".into(), json!("test-user"));
        claims.insert("exp".into(), json!(exp));
        claims.insert("iss".into(), json!(self.issuer));
        AlbTokenBuilder {
            alb: self,
            header,
            claims,
        }
    }

    /// Signs `header` and `payload` (JSON text, used as given) with the current key, in ALB's
    /// shape: padded base64url segments, a 64-byte `r || s` ES256 signature.
    pub fn sign_raw(&self, header: &str, payload: &str) -> String {
        let enc = |b: &[u8]| base64_simd::URL_SAFE.encode_to_string(b);
        let input = format!("{}.{}", enc(header.as_bytes()), enc(payload.as_bytes()));
        let keys = self.state.keys();
        let signature = keys
            .last()
            .and_then(|k| k.pair.sign(&SystemRandom::new(), input.as_bytes()).ok())
            .map(|s| s.as_ref().to_vec())
            .unwrap_or_default();
        format!("{input}.{}", enc(&signature))
    }
}

/// A shared clock, so the verifier and the minter agree.
#[derive(Debug)]
struct ClockRef(Arc<dyn Clock>);

impl Clock for ClockRef {
    fn now(&self) -> Duration {
        self.0.now()
    }
}

/// An ALB token being minted. Made by [`TestAlb::token`].
#[must_use]
pub struct AlbTokenBuilder<'a> {
    alb: &'a TestAlb,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl fmt::Debug for AlbTokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbTokenBuilder")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl AlbTokenBuilder<'_> {
    /// Sets a payload claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a payload claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets a header parameter (`signer`, `client`, `iss`, `exp`, `kid`, `alg`, …).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// Removes a header parameter.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Sets `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", sub)
    }

    /// Sets `email`.
    pub fn email(self, email: &str) -> Self {
        self.claim("email", email)
    }

    /// Sets `username`.
    pub fn username(self, username: &str) -> Self {
        self.claim("username", username)
    }

    /// Signs as another load balancer (the header's `signer`).
    pub fn signer(self, arn: &str) -> Self {
        self.header("signer", arn)
    }

    /// Expired a minute ago (header and payload `exp`).
    pub fn expired(self) -> Self {
        let now = i64::try_from(self.alb.clock.now().as_secs()).unwrap_or(i64::MAX);
        let exp = now.saturating_sub(60);
        self.header("exp", exp).claim("exp", exp)
    }

    /// Signs the token.
    pub fn sign(self) -> String {
        let header = Value::Object(self.header).to_string();
        let payload = Value::Object(self.claims).to_string();
        self.alb.sign_raw(&header, &payload)
    }
}
