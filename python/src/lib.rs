//! `cognito_verifier._native`: the Python binding of the `cognito-verifier` crate.
//!
//! A thin layer: every check, the key cache, the typed claims and the error kinds are the
//! crate's. This module only converts: Python arguments into the crate's builders, the crate's
//! claims into Python objects, the crate's errors into the exceptions of
//! `cognito_verifier._errors` (status and kind from the crate's `auth::Rejection`, so Python
//! answers as the Rust adapters do). Verification releases the GIL; key fetches run on one
//! Tokio runtime owned by this module.

use std::sync::OnceLock;
use std::time::Duration;

use cognito_verifier::auth::Rejection;
use cognito_verifier::{self as cv, CognitoClaims, ErrorKind, TokenUse};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;

mod errors {
    // Defined in Python (`cognito_verifier/_errors.py`), so that they subclass `Exception` and
    // `ValueError` under the limited API, and carry `kind`, `status` and `retry_after`.
    pyo3::import_exception!(cognito_verifier._errors, VerificationError);
    pyo3::import_exception!(cognito_verifier._errors, InvalidToken);
    pyo3::import_exception!(cognito_verifier._errors, Forbidden);
    pyo3::import_exception!(cognito_verifier._errors, KeysUnavailable);
    pyo3::import_exception!(cognito_verifier._errors, ConfigurationError);
}

/// The runtime that fetches keys (and serves the test kit's issuers): two worker threads, made
/// on first use, alive for the process.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("cognito-verifier")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the key runtime: {e}")))
}

/// The Python exception for a refused token: `InvalidToken` (401), `Forbidden` (403) or
/// `KeysUnavailable` (503), with the crate's kind, status and `Retry-After` seconds. The
/// message never holds the token (the crate's errors never do).
fn refused(error: &cv::Error) -> PyErr {
    rejected(&Rejection::from(error.clone()))
}

/// The Python exception for a rejection: the status, kind, `Retry-After`, challenge and
/// response headers are the crate's (`auth::Rejection`), as every Rust adapter answers.
fn rejected(rejection: &Rejection) -> PyErr {
    let status = rejection.status();
    let kind = rejection.kind();
    let message = match rejection.error() {
        Some(error) => format!("{kind}: {error}"),
        None => format!("{kind}: {rejection}"),
    };
    let headers: Vec<(String, String)> = rejection
        .headers()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    let args = (
        message,
        kind,
        status,
        rejection.retry_after_secs(),
        rejection.challenge(),
        headers,
        rejection.body(),
    );
    match status {
        503 => errors::KeysUnavailable::new_err(args),
        403 => errors::Forbidden::new_err(args),
        401 => errors::InvalidToken::new_err(args),
        _ => errors::VerificationError::new_err(args),
    }
}

fn misconfigured(error: impl std::fmt::Display) -> PyErr {
    errors::ConfigurationError::new_err(error.to_string())
}

/// The token as text: anything else (another type, a string with lone surrogates) is a
/// malformed token, refused without echoing it.
fn token_text(token: &Bound<'_, PyAny>) -> PyResult<String> {
    token.extract::<String>().map_err(|_| {
        refused(&cv::Error::Malformed {
            reason: "the token is not a str of text".into(),
        })
    })
}

/// A JSON document given as a `str` or as anything `json.dumps` takes (a dict).
fn json_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = value.extract::<String>() {
        return Ok(text);
    }
    let json = value.py().import("json")?;
    json.call_method1("dumps", (value,))?.extract()
}

/// A JSON value as the Python object `json.loads` would give.
fn to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

// ---- Claims ----------------------------------------------------------------------------------

/// The claims as JSON, made once, on first use (`claims["…"]`, `to_dict()`).
#[derive(Default)]
struct Json(OnceLock<serde_json::Map<String, Value>>);

impl Json {
    fn get(&self, claims: &impl serde::Serialize) -> &serde_json::Map<String, Value> {
        self.0.get_or_init(|| match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        })
    }
}

/// The methods of a claims class: those both kinds answer alike (item access, `get`, `in`,
/// `to_dict`, the common claims), then the kind's own (`$own`).
macro_rules! claims_methods {
    ($class:ty { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
        /// Every claim, as the token's JSON has it (`custom:*` attributes included).
        fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &Value::Object(self.json.get(&self.inner).clone()))
        }

        /// A claim by name, as the token's JSON has it: `claims["custom:tenant"]`.
        fn __getitem__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
            match self.json.get(&self.inner).get(name) {
                Some(value) => to_py(py, value),
                None => Err(pyo3::exceptions::PyKeyError::new_err(name.to_owned())),
            }
        }

        /// A claim by name, or `default`.
        #[pyo3(signature = (name, default=None))]
        fn get(&self, py: Python<'_>, name: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
            match self.json.get(&self.inner).get(name) {
                Some(value) => to_py(py, value),
                None => Ok(default.unwrap_or_else(|| py.None())),
            }
        }

        fn __contains__(&self, name: &str) -> bool {
            self.json.get(&self.inner).contains_key(name)
        }

        /// The subject (`sub`): the user's id, or the app client's for machine tokens.
        #[getter]
        fn sub(&self) -> &str {
            &self.inner.sub
        }

        /// The issuer (`iss`).
        #[getter]
        fn iss(&self) -> &str {
            &self.inner.iss
        }

        /// Expiry, seconds since the Unix epoch.
        #[getter]
        fn exp(&self) -> i64 {
            self.inner.exp
        }

        /// Issue time, seconds since the Unix epoch.
        #[getter]
        fn iat(&self) -> i64 {
            self.inner.iat
        }

        /// When the user authenticated, seconds since the Unix epoch, if the token says.
        #[getter]
        fn auth_time(&self) -> Option<i64> {
            self.inner.auth_time
        }

        /// The user's groups (`cognito:groups`); empty when in none.
        #[getter]
        fn groups(&self) -> Vec<String> {
            self.inner.groups.clone()
        }

        /// The session's id (`origin_jti`), with token revocation on.
        #[getter]
        fn origin_jti(&self) -> Option<&str> {
            self.inner.origin_jti.as_deref()
        }

        /// The token's id (`jti`).
        #[getter]
        fn jti(&self) -> Option<&str> {
            self.inner.jti.as_deref()
        }

        /// Whether the user is in `group`.
        fn in_group(&self, group: &str) -> bool {
            self.inner.in_group(group)
        }

        /// A custom attribute's value (`custom:<name>`), if it is a string.
        fn custom_attribute(&self, name: &str) -> Option<&str> {
            self.inner.custom_attribute(name)
        }

        $($own)*
        }
    };
}

/// The claims of a verified Cognito access token.
#[pyclass(frozen, module = "cognito_verifier._native", name = "AccessClaims")]
struct PyAccessClaims {
    inner: cv::AccessClaims,
    json: Json,
}

claims_methods!(PyAccessClaims {

    /// Always `"access"`.
    #[getter]
    fn token_use(&self) -> &'static str {
        "access"
    }

    /// The app client the token was issued to (`client_id`).
    #[getter]
    fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The user name (`username`); `None` for machine-to-machine tokens.
    #[getter]
    fn username(&self) -> Option<&str> {
        self.inner.username.as_deref()
    }

    /// The granted scopes, sorted.
    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.inner.scope.iter().map(str::to_owned).collect()
    }

    /// The resources the token is bound to (`aud`), empty when it is bound to none.
    #[getter]
    fn aud(&self) -> Vec<String> {
        self.inner.aud.clone()
    }

    /// Whether the token was issued to a machine (client credentials): no user, and its
    /// subject is the app client.
    #[getter]
    fn is_machine(&self) -> bool {
        self.inner.is_machine()
    }

    /// Whether `scope` was granted.
    fn has_scope(&self, scope: &str) -> bool {
        self.inner.has_scope(scope)
    }

    fn __repr__(&self) -> String {
        format!(
            "AccessClaims(sub={}, username={}, client_id={}, scopes={}, groups={}, exp={})",
            py_str(&self.inner.sub),
            py_opt(self.inner.username.as_deref()),
            py_str(&self.inner.client_id),
            py_list(&self.scopes()),
            py_list(&self.inner.groups),
            self.inner.exp
        )
    }
});

/// The claims of a verified Cognito ID token.
#[pyclass(frozen, module = "cognito_verifier._native", name = "IdClaims")]
struct PyIdClaims {
    inner: cv::IdClaims,
    json: Json,
}

claims_methods!(PyIdClaims {

    /// Always `"id"`.
    #[getter]
    fn token_use(&self) -> &'static str {
        "id"
    }

    /// The app client the token was issued to (`aud`).
    #[getter]
    fn aud(&self) -> &str {
        &self.inner.aud
    }

    /// The user name (`cognito:username`).
    #[getter]
    fn username(&self) -> Option<&str> {
        self.inner.username.as_deref()
    }

    /// ID tokens carry no scopes: always empty.
    #[getter]
    fn scopes(&self) -> Vec<String> {
        Vec::new()
    }

    /// The user's email address.
    #[getter]
    fn email(&self) -> Option<&str> {
        self.inner.email.as_deref()
    }

    /// Whether the email address was verified.
    #[getter]
    fn email_verified(&self) -> Option<bool> {
        self.inner.email_verified
    }

    /// The user's phone number.
    #[getter]
    fn phone_number(&self) -> Option<&str> {
        self.inner.phone_number.as_deref()
    }

    fn __repr__(&self) -> String {
        format!(
            "IdClaims(sub={}, username={}, aud={}, groups={}, exp={})",
            py_str(&self.inner.sub),
            py_opt(self.inner.username.as_deref()),
            py_str(&self.inner.aud),
            py_list(&self.inner.groups),
            self.inner.exp
        )
    }
});

/// A string as Python's `repr` writes one (single quotes; the claims' values only, never a
/// token).
fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn py_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), py_str)
}

fn py_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| py_str(s)).collect();
    format!("[{}]", items.join(", "))
}

fn claims_object(py: Python<'_>, claims: CognitoClaims) -> PyResult<Py<PyAny>> {
    Ok(match claims {
        CognitoClaims::Id(inner) => Py::new(
            py,
            PyIdClaims {
                inner,
                json: Json::default(),
            },
        )?
        .into_any(),
        CognitoClaims::Access(inner) => Py::new(
            py,
            PyAccessClaims {
                inner,
                json: Json::default(),
            },
        )?
        .into_any(),
        _ => return Err(PyRuntimeError::new_err("an unknown kind of claims")),
    })
}

// ---- Verification --------------------------------------------------------------------------

/// What the Python verifiers verify with: one pool's verifier, or several.
#[derive(Clone)]
enum Inner {
    One(cv::CognitoVerifier),
    Many(cv::MultiPoolVerifier),
}

impl Inner {
    /// With cached keys only: `Err` with the error, or `Ok(None)` when only a key fetch can tell.
    fn verify_now(&self, token: &str, kind: TokenUse) -> Result<Option<CognitoClaims>, cv::Error> {
        let result = match (self, kind) {
            (Self::One(v), TokenUse::Id) => v.verify_id_sync(token).map(CognitoClaims::Id),
            (Self::One(v), TokenUse::Access) => {
                v.verify_access_sync(token).map(CognitoClaims::Access)
            }
            (Self::One(v), _) => v.verify_any_sync(token),
            (Self::Many(v), TokenUse::Id) => v.verify_id_sync(token).map(CognitoClaims::Id),
            (Self::Many(v), TokenUse::Access) => {
                v.verify_access_sync(token).map(CognitoClaims::Access)
            }
            (Self::Many(v), _) => v.verify_any_sync(token),
        };
        match result {
            Ok(claims) => Ok(Some(claims)),
            // No usable key set cached, or a kid the cached set lacks (a rotation?): the
            // asynchronous path fetches, within the key cache's rules.
            Err(e) if e.is_key_unavailable() || e.kind() == ErrorKind::UnknownKid => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn verify(&self, token: &str, kind: TokenUse) -> Result<CognitoClaims, cv::Error> {
        match (self, kind) {
            (Self::One(v), TokenUse::Id) => v.verify_id(token).await.map(CognitoClaims::Id),
            (Self::One(v), TokenUse::Access) => {
                v.verify_access(token).await.map(CognitoClaims::Access)
            }
            (Self::One(v), _) => v.verify_any(token).await,
            (Self::Many(v), TokenUse::Id) => v.verify_id(token).await.map(CognitoClaims::Id),
            (Self::Many(v), TokenUse::Access) => {
                v.verify_access(token).await.map(CognitoClaims::Access)
            }
            (Self::Many(v), _) => v.verify_any(token).await,
        }
    }

    /// The whole verification, blocking (on this thread; fetches run on the module's runtime).
    fn verify_blocking(
        &self,
        token: &str,
        kind: TokenUse,
    ) -> PyResult<Result<CognitoClaims, cv::Error>> {
        match self.verify_now(token, kind) {
            Ok(Some(claims)) => Ok(Ok(claims)),
            Err(e) => Ok(Err(e)),
            Ok(None) => Ok(runtime()?.block_on(self.verify(token, kind))),
        }
    }
}

/// Verifies `token` without holding the GIL.
fn verify(
    py: Python<'_>,
    inner: &Inner,
    token: &Bound<'_, PyAny>,
    kind: TokenUse,
) -> PyResult<Py<PyAny>> {
    let token = token_text(token)?;
    let inner = inner.clone();
    let result = py.detach(move || inner.verify_blocking(&token, kind))?;
    match result {
        Ok(claims) => claims_object(py, claims),
        Err(e) => Err(refused(&e)),
    }
}

/// An awaitable of the verification, for asyncio: done at once when cached keys can tell (the
/// usual case), else the verification runs in the loop's default executor: the event loop is
/// never blocked.
fn verify_async<'py>(
    py: Python<'py>,
    this: &Bound<'py, PyAny>,
    inner: &Inner,
    token: &Bound<'py, PyAny>,
    method: &str,
    kind: TokenUse,
) -> PyResult<Bound<'py, PyAny>> {
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let text = match token_text(token) {
        Ok(text) => text,
        Err(e) => return failed_future(&event_loop, e),
    };
    let inner = inner.clone();
    let now = py.detach(|| inner.verify_now(&text, kind));
    match now {
        Ok(Some(claims)) => {
            let future = event_loop.call_method0("create_future")?;
            future.call_method1("set_result", (claims_object(py, claims)?,))?;
            Ok(future)
        }
        Err(e) => failed_future(&event_loop, refused(&e)),
        Ok(None) => {
            let call = this.getattr(method)?;
            event_loop.call_method1("run_in_executor", (py.None(), call, text))
        }
    }
}

fn failed_future<'py>(event_loop: &Bound<'py, PyAny>, error: PyErr) -> PyResult<Bound<'py, PyAny>> {
    let future = event_loop.call_method0("create_future")?;
    future.call_method1("set_exception", (error.into_value(event_loop.py()),))?;
    Ok(future)
}

fn token_use(value: &str) -> PyResult<TokenUse> {
    match value {
        "id" => Ok(TokenUse::Id),
        "access" => Ok(TokenUse::Access),
        "any" => Ok(TokenUse::Any),
        other => Err(misconfigured(format!(
            "token_use must be \"id\", \"access\" or \"any\", not {other:?}"
        ))),
    }
}

/// A list of strings, refusing a lone `str` (a list of its characters is never meant).
fn strings(value: Option<&Bound<'_, PyAny>>, setting: &str) -> PyResult<Option<Vec<String>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.extract::<String>().is_ok() {
        return Err(misconfigured(format!(
            "{setting} must be a list of strings, not one string"
        )));
    }
    value
        .extract::<Vec<String>>()
        .map(Some)
        .map_err(|_| misconfigured(format!("{setting} must be a list of strings")))
}

/// A whole number setting, at least zero, or a configuration error naming it (never a bare
/// `OverflowError` or `TypeError`).
fn count(value: Option<&Bound<'_, PyAny>>, setting: &str) -> PyResult<Option<u64>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(misconfigured(format!(
            "{setting} must be a whole number, not a bool"
        )));
    }
    match value.extract::<i128>() {
        Ok(n) => u64::try_from(n)
            .map(Some)
            .map_err(|_| misconfigured(format!("{setting} must be zero or more, not {n}"))),
        Err(_) => Err(misconfigured(format!("{setting} must be a whole number"))),
    }
}

/// The verification methods both verifier classes have (over their `inner: Inner`), then the
/// class's own (`$own`).
macro_rules! verifier_methods {
    ($class:ty { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
    /// Verifies a token of the configured kind(s); blocking, the GIL released. Returns
        /// `IdClaims` or `AccessClaims`.
        fn verify(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            verify(py, &self.inner, token, TokenUse::Any)
        }

        /// Verifies an ID token.
        fn verify_id(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            verify(py, &self.inner, token, TokenUse::Id)
        }

        /// Verifies an access token.
        fn verify_access(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            verify(py, &self.inner, token, TokenUse::Access)
        }

        /// `verify`, for asyncio: an awaitable that never blocks the event loop.
        fn verify_async<'py>(
            slf: &Bound<'py, Self>,
            token: &Bound<'py, PyAny>,
        ) -> PyResult<Bound<'py, PyAny>> {
            verify_async(slf.py(), slf.as_any(), &slf.get().inner, token, "verify", TokenUse::Any)
        }

            $($own)*
        }
    };
}

/// Verifies the ID and access tokens of one Cognito user pool (see the package docs).
#[pyclass(frozen, module = "cognito_verifier._native", name = "CognitoVerifier")]
struct PyCognitoVerifier {
    inner: Inner,
}

verifier_methods!(PyCognitoVerifier {
    #[new]
    #[pyo3(signature = (
        user_pool_id=None, *, client_ids=None, token_use=None, issuer=None, jwks_uri=None,
        danger_accept_any_client_id=false, leeway_secs=None, required_groups=None,
        required_scopes=None, resources=None, allow_insecure_http=false, static_jwks=None,
        jwks=None, token_cache=false, revocations=None, issuer_format=None,
        replica_regions=None, max_token_len=None
    ))]
    #[expect(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        user_pool_id: Option<String>,
        client_ids: Option<&Bound<'_, PyAny>>,
        token_use: Option<String>,
        issuer: Option<String>,
        jwks_uri: Option<String>,
        danger_accept_any_client_id: bool,
        leeway_secs: Option<&Bound<'_, PyAny>>,
        required_groups: Option<&Bound<'_, PyAny>>,
        required_scopes: Option<&Bound<'_, PyAny>>,
        resources: Option<&Bound<'_, PyAny>>,
        allow_insecure_http: bool,
        static_jwks: Option<&Bound<'_, PyAny>>,
        jwks: Option<&Bound<'_, PyAny>>,
        token_cache: bool,
        revocations: Option<PyRef<'_, PyRevocationList>>,
        issuer_format: Option<String>,
        replica_regions: Option<&Bound<'_, PyAny>>,
        max_token_len: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = match (user_pool_id, &issuer, &jwks_uri) {
            (Some(pool), _, _) => cv::CognitoVerifier::builder(pool),
            (None, Some(issuer), Some(jwks_uri)) => {
                cv::CognitoVerifier::builder_for_issuer(issuer.clone(), jwks_uri.clone())
            }
            (None, _, _) => {
                return Err(misconfigured(
                    "user_pool_id is required (or issuer= and jwks_uri= for another issuer)",
                ));
            }
        };
        if let Some(issuer) = issuer {
            b = b.issuer(issuer);
        }
        if let Some(jwks_uri) = jwks_uri {
            b = b.jwks_uri(jwks_uri);
        }
        let token_use = token_use.ok_or_else(|| {
            misconfigured("token_use is required: \"id\", \"access\" or \"any\"")
        })?;
        b = b.token_use(self::token_use(&token_use)?);
        match (strings(client_ids, "client_ids")?, danger_accept_any_client_id) {
            (Some(_), true) => {
                return Err(misconfigured(
                    "client_ids and danger_accept_any_client_id are exclusive",
                ));
            }
            (Some(ids), false) => b = b.client_ids(ids),
            (None, true) => b = b.danger_accept_any_client_id(),
            (None, false) => {
                return Err(misconfigured(
                    "client_ids is required (or danger_accept_any_client_id=True)",
                ));
            }
        }
        if let Some(secs) = count(leeway_secs, "leeway_secs")? {
            b = b.leeway(Duration::from_secs(secs));
        }
        if let Some(groups) = strings(required_groups, "required_groups")? {
            b = b.required_groups(groups);
        }
        if let Some(scopes) = strings(required_scopes, "required_scopes")? {
            b = b.required_scopes(scopes);
        }
        if let Some(resources) = strings(resources, "resources")? {
            b = b.resources(resources);
        }
        if allow_insecure_http {
            b = b.allow_insecure_http();
        }
        if let Some(document) = static_jwks {
            b = b.static_jwks(json_text(document)?);
        }
        if let Some(document) = jwks {
            b = b.jwks(json_text(document)?);
        }
        if token_cache {
            b = b.token_cache(cv::TokenCacheConfig::default());
        }
        if let Some(list) = revocations {
            b = b.revocations(list.inner.clone());
        }
        match issuer_format.as_deref() {
            None | Some("cognito-idp") => {}
            Some("issuer-cognito-idp") => b = b.issuer_format(cv::IssuerFormat::IssuerCognitoIdp),
            Some(other) => {
                return Err(misconfigured(format!(
                    "issuer_format must be \"cognito-idp\" or \"issuer-cognito-idp\", not {other:?}"
                )));
            }
        }
        if let Some(regions) = strings(replica_regions, "replica_regions")? {
            b = b.replica_regions(regions);
        }
        if let Some(len) = count(max_token_len, "max_token_len")? {
            b = b.max_token_len(usize::try_from(len).unwrap_or(usize::MAX));
        }
        let verifier = b.build().map_err(misconfigured)?;
        Ok(Self {
            inner: Inner::One(verifier),
        })
    }


    /// Fetches the pool's keys now (at startup), ignoring the refetch cooldown.
    fn hydrate(&self, py: Python<'_>) -> PyResult<()> {
        let Inner::One(verifier) = &self.inner else {
            return Ok(());
        };
        let verifier = verifier.clone();
        let result = py.detach(move || Ok::<_, PyErr>(runtime()?.block_on(verifier.hydrate())))?;
        result.map_err(|e| refused(&e))
    }

    /// Replaces the cached key set with `document` (a str or a dict): configuration, it never
    /// expires.
    fn load_jwks(&self, document: &Bound<'_, PyAny>) -> PyResult<()> {
        let Inner::One(verifier) = &self.inner else {
            return Ok(());
        };
        verifier
            .load_jwks(json_text(document)?)
            .map_err(|e| misconfigured(format!("not a usable key set: {e}")))
    }

    /// The cached key set, as a JSON document, if any (save it to bundle with a Lambda).
    fn cached_jwks(&self) -> Option<String> {
        match &self.inner {
            Inner::One(v) => v.cached_jwks(),
            Inner::Many(_) => None,
        }
    }

    /// The issuer whose tokens are accepted.
    #[getter]
    fn issuer(&self) -> Option<&str> {
        match &self.inner {
            Inner::One(v) => Some(v.issuer()),
            Inner::Many(_) => None,
        }
    }

    /// Where keys are fetched from.
    #[getter]
    fn jwks_uri(&self) -> Option<&str> {
        match &self.inner {
            Inner::One(v) => Some(v.jwks_uri()),
            Inner::Many(_) => None,
        }
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            Inner::One(v) => format!("CognitoVerifier(issuer={:?})", v.issuer()),
            Inner::Many(_) => "CognitoVerifier(several pools)".into(),
        }
    }
});

/// Accepts tokens from several user pools, each verified by its own `CognitoVerifier`; the
/// pool is chosen by the token's `iss`.
#[pyclass(
    frozen,
    module = "cognito_verifier._native",
    name = "MultiPoolVerifier"
)]
struct PyMultiPoolVerifier {
    inner: Inner,
}

verifier_methods!(PyMultiPoolVerifier {
    #[new]
    #[pyo3(signature = (verifiers, *, resources=None, revocations=None))]
    fn new(
        verifiers: Vec<PyRef<'_, PyCognitoVerifier>>,
        resources: Option<&Bound<'_, PyAny>>,
        revocations: Option<PyRef<'_, PyRevocationList>>,
    ) -> PyResult<Self> {
        let mut pools = Vec::new();
        for v in verifiers {
            match &v.inner {
                Inner::One(one) => pools.push(one.clone()),
                Inner::Many(_) => return Err(misconfigured("a MultiPoolVerifier of one pool each")),
            }
        }
        let mut multi = cv::MultiPoolVerifier::new(pools).map_err(misconfigured)?;
        if let Some(resources) = strings(resources, "resources")? {
            multi = multi.resources(resources).map_err(misconfigured)?;
        }
        if let Some(list) = revocations {
            multi = multi.revocations(list.inner.clone());
        }
        Ok(Self {
            inner: Inner::Many(multi),
        })
    }

});

// ---- Application Load Balancers -------------------------------------------------------------

/// Verifies `x-amzn-oidc-data`, the user claims an Application Load Balancer signs (ES256), from
/// the load balancers it trusts by ARN (the crate's `alb::AlbVerifier`).
#[pyclass(frozen, module = "cognito_verifier._native", name = "AlbVerifier")]
struct PyAlbVerifier {
    inner: cv::alb::AlbVerifier,
}

#[pymethods]
impl PyAlbVerifier {
    #[new]
    #[pyo3(signature = (
        load_balancer_arns, *, client_ids=None, danger_accept_any_client_id=false,
        user_pool_id=None, issuer=None, danger_accept_any_issuer=false, region=None,
        keys_uri=None, allow_insecure_http=false, keys=None, leeway_secs=None
    ))]
    #[expect(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        load_balancer_arns: &Bound<'_, PyAny>,
        client_ids: Option<&Bound<'_, PyAny>>,
        danger_accept_any_client_id: bool,
        user_pool_id: Option<String>,
        issuer: Option<String>,
        danger_accept_any_issuer: bool,
        region: Option<String>,
        keys_uri: Option<String>,
        allow_insecure_http: bool,
        keys: Option<std::collections::HashMap<String, String>>,
        leeway_secs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let arns = strings(Some(load_balancer_arns), "load_balancer_arns")?.unwrap_or_default();
        let mut b = cv::alb::AlbVerifier::builder(arns);
        if let Some(ids) = strings(client_ids, "client_ids")? {
            b = b.client_ids(ids);
        }
        if danger_accept_any_client_id {
            b = b.danger_accept_any_client_id();
        }
        if let Some(pool) = user_pool_id {
            b = b.user_pool_id(pool);
        }
        if let Some(issuer) = issuer {
            b = b.issuer(issuer);
        }
        if danger_accept_any_issuer {
            b = b.danger_accept_any_issuer();
        }
        if let Some(region) = region {
            b = b.region(region);
        }
        if let Some(uri) = keys_uri {
            b = b.keys_uri(uri);
        }
        if allow_insecure_http {
            b = b.allow_insecure_http();
        }
        for (kid, pem) in keys.unwrap_or_default() {
            b = b.key(kid, pem);
        }
        if let Some(secs) = count(leeway_secs, "leeway_secs")? {
            b = b.leeway(Duration::from_secs(secs));
        }
        Ok(Self {
            inner: b.build().map_err(misconfigured)?,
        })
    }

    /// Verifies the header's value; blocking, the GIL released. The claims, as a dict (the
    /// verified `signer` and `client` of the header included).
    fn verify(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let token = token_text(token)?;
        let verifier = self.inner.clone();
        let result = py.detach(move || {
            Ok::<_, PyErr>(match verifier.verify_sync(&token) {
                Err(e) if e.is_key_unavailable() || e.kind() == ErrorKind::UnknownKid => {
                    runtime()?.block_on(verifier.verify(&token))
                }
                other => other,
            })
        })?;
        match result {
            Ok(claims) => to_py(py, &cv::auth::Verified::Alb(claims).to_json()),
            Err(e) => Err(refused(&e)),
        }
    }
}

/// A local Application Load Balancer for tests: it signs `x-amzn-oidc-data` values and serves
/// their keys on 127.0.0.1 (the crate's `testkit::TestAlb`).
#[pyclass(frozen, module = "cognito_verifier._native", name = "TestAlb")]
struct PyTestAlb {
    inner: cv::testkit::TestAlb,
}

#[pymethods]
impl PyTestAlb {
    /// Not a test class (for pytest).
    #[allow(non_upper_case_globals, reason = "the name pytest reads")]
    #[classattr]
    const __test__: bool = false;

    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let started =
            py.detach(|| Ok::<_, PyErr>(runtime()?.block_on(cv::testkit::TestAlb::start())))?;
        let inner = started.map_err(|e| misconfigured(format!("cannot start a test ALB: {e}")))?;
        Ok(Self { inner })
    }

    /// The ARN it signs as.
    #[getter]
    fn arn(&self) -> &str {
        self.inner.arn()
    }

    /// The issuer in its tokens (the test pool's).
    #[getter]
    fn issuer(&self) -> &str {
        self.inner.issuer()
    }

    /// Where its keys are served (`<keys_uri>/<kid>`, plain http on 127.0.0.1).
    #[getter]
    fn keys_uri(&self) -> String {
        self.inner.keys_uri()
    }

    /// A verifier trusting it, for `client_id`.
    fn verifier(&self, client_id: &str) -> PyResult<PyAlbVerifier> {
        Ok(PyAlbVerifier {
            inner: self
                .inner
                .verifier_builder(client_id)
                .build()
                .map_err(misconfigured)?,
        })
    }

    /// A signed `x-amzn-oidc-data` value for `client_id`'s user.
    #[pyo3(signature = (client_id, *, username=None, email=None, expired=false, claims=None))]
    fn token(
        &self,
        client_id: &str,
        username: Option<&str>,
        email: Option<&str>,
        expired: bool,
        claims: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let mut t = self.inner.token(client_id);
        if let Some(username) = username {
            t = t.username(username);
        }
        if let Some(email) = email {
            t = t.email(email);
        }
        if expired {
            t = t.expired();
        }
        if let Some(claims) = claims {
            let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&json_text(claims)?) else {
                return Err(misconfigured("claims must be a dict"));
            };
            for (name, value) in map {
                t = t.claim(&name, value);
            }
        }
        Ok(t.sign())
    }
}

// ---- Route policy ------------------------------------------------------------------------------

/// A request's headers as the core reads them: names in lower case, values as bytes, every
/// value of a repeated header kept (two different tokens are refused as ambiguous).
struct Headers(Vec<(String, Vec<u8>)>);

impl cv::auth::RequestHeaders for Headers {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + 'a {
        let name = name.to_ascii_lowercase();
        self.0
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Headers from a mapping (`.items()`) or an iterable of `(name, value)` pairs, each a `str` or
/// `bytes` (Starlette's `request.headers.raw`, WSGI's, a dict, a Lambda event's).
fn headers(value: &Bound<'_, PyAny>) -> PyResult<Headers> {
    let pairs = if value.hasattr("items")? {
        value.call_method0("items")?
    } else {
        value.clone()
    };
    let mut out = Vec::new();
    for pair in pairs.try_iter()? {
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
        let text = |v: &Bound<'_, PyAny>| -> PyResult<Vec<u8>> {
            if let Ok(s) = v.extract::<String>() {
                return Ok(s.into_bytes());
            }
            // Bytes, or a `str` that is not valid text: kept as bytes (refused by the core as
            // a malformed token if it is one).
            match v.extract::<Vec<u8>>() {
                Ok(b) => Ok(b),
                Err(_) => Ok(v.str()?.to_string_lossy().into_owned().into_bytes()),
            }
        };
        let name = String::from_utf8_lossy(&text(&name)?).to_ascii_lowercase();
        out.push((name, text(&value)?));
    }
    Ok(Headers(out))
}

/// A token source from its Python spelling: `"bearer"`, `"bearer_or_bare"`, `("header",
/// name)`, `("cookie", name)`.
fn source(value: &Bound<'_, PyAny>) -> PyResult<cv::auth::TokenSource> {
    use cv::auth::TokenSource;
    if let Ok(name) = value.extract::<String>() {
        return match name.as_str() {
            "bearer" => Ok(TokenSource::Bearer),
            "bearer_or_bare" => Ok(TokenSource::BearerOrBare),
            other => Err(misconfigured(format!(
                "sources: {other:?} is not \"bearer\", \"bearer_or_bare\", (\"header\", name) or (\"cookie\", name)"
            ))),
        };
    }
    match value.extract::<(String, String)>() {
        Ok((kind, name)) if kind == "header" && !name.is_empty() => {
            Ok(TokenSource::Header(name.into()))
        }
        Ok((kind, name)) if kind == "cookie" && !name.is_empty() => {
            Ok(TokenSource::Cookie(name.into()))
        }
        _ => Err(misconfigured(
            "sources: each is \"bearer\", \"bearer_or_bare\", (\"header\", name) or (\"cookie\", name)",
        )),
    }
}

/// The claims a check of the application's sees: `IdClaims`, `AccessClaims`, or a dict (other
/// verifiers' claims).
fn verified_object(py: Python<'_>, verified: &cv::auth::Verified) -> PyResult<Py<PyAny>> {
    match verified {
        cv::auth::Verified::Id(c) => claims_object(py, CognitoClaims::Id(c.clone())),
        cv::auth::Verified::Access(c) => claims_object(py, CognitoClaims::Access(c.clone())),
        other => to_py(py, &other.to_json()),
    }
}

/// A route's requirements over a verifier (the crate's `auth::Policy`): where the token is
/// looked for, which kinds, groups, scopes, resources and checks, and whether a request
/// without a token passes. The FastAPI, Flask and Lambda integrations are thin layers over it.
#[pyclass(frozen, module = "cognito_verifier._native", name = "Policy")]
struct PyPolicy {
    inner: cv::auth::Policy,
}

#[pymethods]
impl PyPolicy {
    #[new]
    #[pyo3(signature = (
        verifier, *, sources=None, token_use=None, required_groups=None, required_scopes=None,
        resources=None, checks=None, optional=false, allow_bare_token=false,
        claims_in_rejections=false
    ))]
    #[expect(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        verifier: &Bound<'_, PyAny>,
        sources: Option<&Bound<'_, PyAny>>,
        token_use: Option<&str>,
        required_groups: Option<&Bound<'_, PyAny>>,
        required_scopes: Option<&Bound<'_, PyAny>>,
        resources: Option<&Bound<'_, PyAny>>,
        checks: Option<&Bound<'_, PyAny>>,
        optional: bool,
        allow_bare_token: bool,
        claims_in_rejections: bool,
    ) -> PyResult<Self> {
        let mut policy = if let Ok(v) = verifier.cast::<PyCognitoVerifier>() {
            match &v.get().inner {
                Inner::One(one) => cv::auth::Policy::new(one.clone()),
                Inner::Many(many) => cv::auth::Policy::new(many.clone()),
            }
        } else if let Ok(v) = verifier.cast::<PyMultiPoolVerifier>() {
            match &v.get().inner {
                Inner::One(one) => cv::auth::Policy::new(one.clone()),
                Inner::Many(many) => cv::auth::Policy::new(many.clone()),
            }
        } else if let Ok(v) = verifier.cast::<PyAlbVerifier>() {
            cv::auth::Policy::new(v.get().inner.clone())
        } else if let Ok(p) = verifier.cast::<Self>() {
            p.get().inner.clone()
        } else {
            return Err(misconfigured(
                "verifier must be a CognitoVerifier, a MultiPoolVerifier, an AlbVerifier or a Policy",
            ));
        };
        if let Some(sources) = sources {
            let mut list = Vec::new();
            for item in sources.try_iter()? {
                list.push(source(&item?)?);
            }
            policy = policy.sources(list);
        }
        if allow_bare_token {
            policy = policy.allow_bare_token();
        }
        if let Some(kind) = token_use {
            policy = policy.token_use(self::token_use(kind)?);
        }
        if let Some(groups) = strings(required_groups, "required_groups")? {
            policy = policy.required_groups(groups);
        }
        if let Some(scopes) = strings(required_scopes, "required_scopes")? {
            policy = policy.required_scopes(scopes);
        }
        if let Some(resources) = strings(resources, "resources")? {
            policy = policy.resources(resources);
        }
        if let Some(checks) = checks {
            for check in checks.try_iter()? {
                let check = check?;
                if !check.is_callable() {
                    return Err(misconfigured(
                        "checks must be callables: claims -> None | str",
                    ));
                }
                let check = check.unbind();
                policy = policy.check(move |verified| {
                    // The check is Python: it runs with the GIL, and whatever it does wrong
                    // (raises, returns something else) refuses the request.
                    Python::attach(|py| {
                        let claims = verified_object(py, verified).map_err(|e| e.to_string())?;
                        match check.call1(py, (claims,)) {
                            Ok(answer) if answer.is_none(py) => Ok(()),
                            Ok(answer) => Err(answer
                                .extract::<String>(py)
                                .unwrap_or_else(|_| "the check refused the request".into())),
                            Err(e) => Err(format!(
                                "the check raised {}",
                                e.get_type(py)
                                    .name()
                                    .map_or_else(|_| "an exception".into(), |n| n.to_string())
                            )),
                        }
                    })
                });
            }
        }
        if optional {
            policy = policy.optional();
        }
        if claims_in_rejections {
            policy = policy.claims_in_rejections();
        }
        policy.validate().map_err(misconfigured)?;
        Ok(Self { inner: policy })
    }

    /// Authenticates a request by its headers: the claims, `None` for an anonymous request
    /// on an optional policy, or the rejection raised (`status`, `kind`, `challenge`,
    /// `headers`, `body`). Blocking, the GIL released while verifying.
    fn authenticate(&self, py: Python<'_>, headers: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let headers = self::headers(headers)?;
        let policy = self.inner.clone();
        let outcome = py.detach(move || {
            if let Some(now) = policy.authenticate_now(&headers) {
                return Ok::<_, PyErr>(now);
            }
            Ok(runtime()?.block_on(policy.authenticate(&headers)))
        })?;
        outcome_object(py, outcome)
    }

    /// `authenticate`, for asyncio: an awaitable that never blocks the event loop (answered at
    /// once when cached keys can tell).
    fn authenticate_async<'py>(
        slf: &Bound<'py, Self>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        let parsed = match self::headers(headers) {
            Ok(parsed) => parsed,
            Err(e) => return failed_future(&event_loop, e),
        };
        let policy = slf.get().inner.clone();
        // Answered at once when the verifier can (a verified-token cache hit, no token); else
        // the whole verification runs in the loop's default executor.
        let now = py.detach(|| policy.authenticate_now(&parsed));
        match now {
            Some(outcome) => {
                let future = event_loop.call_method0("create_future")?;
                match outcome_object(py, outcome) {
                    Ok(value) => future.call_method1("set_result", (value,))?,
                    Err(e) => future.call_method1("set_exception", (e.into_value(py),))?,
                };
                Ok(future)
            }
            None => {
                let call = slf.as_any().getattr("authenticate")?;
                let pairs: Vec<(String, Vec<u8>)> = parsed.0;
                let pairs: Vec<(String, Py<PyAny>)> = pairs
                    .into_iter()
                    .map(|(n, v)| (n, pyo3::types::PyBytes::new(py, &v).into_any().unbind()))
                    .collect();
                event_loop.call_method1("run_in_executor", (py.None(), call, pairs))
            }
        }
    }

    /// Authenticates a token found elsewhere (a Lambda event's `authorizationToken`, a
    /// WebSocket message): the claims, or the rejection raised.
    fn authenticate_token(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let token = token_text(token)?;
        let policy = self.inner.clone();
        let verified = py.detach(move || {
            Ok::<_, PyErr>(runtime()?.block_on(policy.authenticate_token(&token)))
        })?;
        match verified {
            Ok(v) => verified_object(py, &v),
            Err(rejection) => Err(rejected(&rejection)),
        }
    }

    /// Whether a request without a token passes (as anonymous).
    #[getter]
    fn optional(&self) -> bool {
        self.inner.is_optional()
    }
}

fn outcome_object(
    py: Python<'_>,
    outcome: Result<cv::auth::Outcome, Rejection>,
) -> PyResult<Py<PyAny>> {
    match outcome {
        Ok(cv::auth::Outcome::Authenticated(verified)) => verified_object(py, &verified),
        Ok(_) => Ok(py.None()),
        Err(rejection) => Err(rejected(&rejection)),
    }
}

// ---- Lambda authorizer -----------------------------------------------------------------------

/// An API Gateway Lambda authorizer: the crate's `aws_lambda::Authorizer`, configured by the
/// environment variables of the Rust authorizer package, answering as it does.
#[pyclass(frozen, module = "cognito_verifier._native", name = "LambdaAuthorizer")]
struct PyLambdaAuthorizer {
    inner: cv::aws_lambda::Authorizer,
}

/// What `LambdaAuthorizer.decide` hands back: the response as JSON text, or the invocation
/// error's `errorType` and message; and the refusal's kind, if the request was refused.
type PyDecision = (
    Option<String>,
    Option<&'static str>,
    Option<String>,
    Option<&'static str>,
);

#[pymethods]
impl PyLambdaAuthorizer {
    /// Reads the settings from `environ` (the variables of the Rust package: `USER_POOL_ID`,
    /// `CLIENT_IDS`, `AUTHORIZER_TYPE`, ...) and makes the first key fetch (at most 2 s).
    /// Raises `ConfigurationError` naming the variable.
    #[staticmethod]
    fn from_env(
        py: Python<'_>,
        environ: std::collections::HashMap<String, String>,
    ) -> PyResult<Self> {
        let built = py.detach(move || {
            Ok::<_, PyErr>(
                runtime()?.block_on(cv::aws_lambda::Authorizer::from_env_with(|name| {
                    environ.get(name).cloned()
                })),
            )
        })?;
        Ok(Self {
            inner: built.map_err(misconfigured)?,
        })
    }

    /// `rest-token`, `rest-request`, `http-simple` or `http-iam`.
    #[getter]
    fn authorizer_type(&self) -> &'static str {
        self.inner.kind().as_str()
    }

    /// The issuer (or comma-separated issuers) whose tokens are accepted.
    #[getter]
    fn issuer(&self) -> String {
        self.inner.issuer().to_owned()
    }

    /// Answers one event (JSON text), within `time_left_ms` less 100 ms if given. Blocking,
    /// the GIL released.
    #[pyo3(signature = (event, time_left_ms=None))]
    fn decide(
        &self,
        py: Python<'_>,
        event: &str,
        time_left_ms: Option<u64>,
    ) -> PyResult<PyDecision> {
        // Text that is not JSON is no event: the crate answers it as `BadEvent`.
        let event: Value = serde_json::from_str(event).unwrap_or(Value::Null);
        let authorizer = self.inner.clone();
        let decision = py.detach(move || {
            let time_left = time_left_ms.map(Duration::from_millis);
            Ok::<_, PyErr>(runtime()?.block_on(authorizer.decide(&event, time_left)))
        })?;
        let refusal = decision.refusal();
        Ok(match decision.into_outcome() {
            Ok(response) => (Some(response.to_string()), None, None, refusal),
            Err(error) => (
                None,
                Some(error.error_type()),
                Some(error.to_string()),
                refusal,
            ),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "LambdaAuthorizer(authorizer_type={:?}, issuer={:?})",
            self.inner.kind().as_str(),
            self.inner.issuer()
        )
    }
}

// ---- Revocation ------------------------------------------------------------------------------

/// Revoked sessions (`origin_jti`) and tokens (`jti`), in memory, shared by every verifier
/// given it; entries leave by themselves after a day plus the largest leeway.
#[pyclass(frozen, module = "cognito_verifier._native", name = "RevocationList")]
struct PyRevocationList {
    inner: cv::RevocationList,
}

#[pymethods]
impl PyRevocationList {
    #[new]
    #[pyo3(signature = (*, max_entries=None, lifetime_secs=None))]
    fn new(
        max_entries: Option<&Bound<'_, PyAny>>,
        lifetime_secs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = cv::RevocationList::builder();
        if let Some(max) = count(max_entries, "max_entries")? {
            b = b.max_entries(usize::try_from(max).unwrap_or(usize::MAX));
        }
        if let Some(secs) = count(lifetime_secs, "lifetime_secs")? {
            b = b.lifetime(Duration::from_secs(secs));
        }
        Ok(Self {
            inner: b.build().map_err(misconfigured)?,
        })
    }

    /// Revokes an `origin_jti` (every token of the session) or a `jti` (one token).
    #[pyo3(signature = (id, lifetime_secs=None))]
    fn revoke(&self, id: &str, lifetime_secs: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let result = match count(lifetime_secs, "lifetime_secs")? {
            Some(secs) => self.inner.revoke_for(id, Duration::from_secs(secs)),
            None => self.inner.revoke(id),
        };
        result.map_err(misconfigured)
    }

    /// Takes a revocation back; whether it was there.
    fn remove(&self, id: &str) -> bool {
        self.inner.remove(id)
    }

    /// Whether `id` is revoked.
    fn is_revoked(&self, id: &str) -> bool {
        self.inner.is_revoked(id)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

// ---- Test kit ----------------------------------------------------------------------------------

/// A local Cognito-shaped issuer for tests: RSA keys, a JWKS served on 127.0.0.1, and a token
/// minter (the crate's `testkit::TestIssuer`). Stops when collected.
#[pyclass(frozen, module = "cognito_verifier._native", name = "TestIssuer")]
struct PyTestIssuer {
    inner: cv::testkit::TestIssuer,
}

#[pymethods]
impl PyTestIssuer {
    /// Not a test class (for pytest, which collects classes named `Test*`).
    #[classattr]
    #[allow(non_upper_case_globals, reason = "the name pytest reads")]
    const __test__: bool = false;

    #[new]
    #[pyo3(signature = (user_pool_id=None))]
    fn new(py: Python<'_>, user_pool_id: Option<String>) -> PyResult<Self> {
        let pool = user_pool_id.unwrap_or_else(|| cv::testkit::DEFAULT_TEST_POOL.to_owned());
        let started = py.detach(move || {
            let runtime = runtime()?;
            Ok::<_, PyErr>(runtime.block_on(cv::testkit::TestIssuer::start_for_pool(
                &pool,
                cv::SystemClock,
            )))
        })?;
        let inner =
            started.map_err(|e| misconfigured(format!("cannot start a test issuer: {e}")))?;
        Ok(Self { inner })
    }

    /// The `iss` of its tokens (the pool's real issuer).
    #[getter]
    fn issuer(&self) -> &str {
        self.inner.issuer()
    }

    /// The user pool id.
    #[getter]
    fn user_pool_id(&self) -> String {
        self.inner.pool_id().to_string()
    }

    /// Where its JWKS is served (plain http on 127.0.0.1).
    #[getter]
    fn jwks_uri(&self) -> String {
        self.inner.jwks_uri()
    }

    /// Its JWKS document.
    fn jwks(&self) -> String {
        self.inner.jwks_json()
    }

    /// How many times its JWKS was requested.
    #[getter]
    fn jwks_requests(&self) -> usize {
        self.inner.jwks_requests()
    }

    /// A verifier for `client_id` pointed at this issuer (its issuer, its JWKS URI, plain http
    /// allowed); further settings as `CognitoVerifier` takes them.
    #[pyo3(signature = (client_id, token_use="any"))]
    fn verifier(&self, client_id: &str, token_use: &str) -> PyResult<PyCognitoVerifier> {
        let verifier = self
            .inner
            .verifier_builder(client_id)
            .token_use(self::token_use(token_use)?)
            .build()
            .map_err(misconfigured)?;
        Ok(PyCognitoVerifier {
            inner: Inner::One(verifier),
        })
    }

    /// A signed access token for `client_id`, shaped as Cognito's; keyword arguments change it
    /// (`username`, `groups`, `scopes`, `expired`, `claims` to add or replace, `without` to
    /// remove).
    #[pyo3(signature = (client_id, *, username=None, groups=None, scopes=None, expired=false, claims=None, without=None))]
    #[expect(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn access_token(
        &self,
        client_id: &str,
        username: Option<&str>,
        groups: Option<Vec<String>>,
        scopes: Option<Vec<String>>,
        expired: bool,
        claims: Option<&Bound<'_, PyAny>>,
        without: Option<Vec<String>>,
    ) -> PyResult<String> {
        let t = self.inner.access_token(client_id);
        mint(t, username, groups, scopes, expired, claims, without)
    }

    /// A signed ID token for `client_id` (same keyword arguments as `access_token`).
    #[pyo3(signature = (client_id, *, username=None, groups=None, scopes=None, expired=false, claims=None, without=None))]
    #[expect(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn id_token(
        &self,
        client_id: &str,
        username: Option<&str>,
        groups: Option<Vec<String>>,
        scopes: Option<Vec<String>>,
        expired: bool,
        claims: Option<&Bound<'_, PyAny>>,
        without: Option<Vec<String>>,
    ) -> PyResult<String> {
        let t = self.inner.id_token(client_id);
        mint(t, username, groups, scopes, expired, claims, without)
    }
}

fn mint(
    mut t: cv::testkit::TokenBuilder<'_>,
    username: Option<&str>,
    groups: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    expired: bool,
    claims: Option<&Bound<'_, PyAny>>,
    without: Option<Vec<String>>,
) -> PyResult<String> {
    if let Some(username) = username {
        t = t.username(username);
    }
    if let Some(groups) = groups {
        t = t.groups(groups);
    }
    if let Some(scopes) = scopes {
        t = t.scopes(scopes);
    }
    if expired {
        t = t.expired();
    }
    if let Some(claims) = claims {
        let text = json_text(claims)?;
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else {
            return Err(misconfigured("claims must be a dict"));
        };
        for (name, value) in map {
            t = t.claim(&name, value);
        }
    }
    for name in without.unwrap_or_default() {
        t = t.without_claim(&name);
    }
    Ok(t.sign())
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCognitoVerifier>()?;
    m.add_class::<PyMultiPoolVerifier>()?;
    m.add_class::<PyIdClaims>()?;
    m.add_class::<PyAccessClaims>()?;
    m.add_class::<PyRevocationList>()?;
    m.add_class::<PyPolicy>()?;
    m.add_class::<PyTestIssuer>()?;
    m.add_class::<PyAlbVerifier>()?;
    m.add_class::<PyTestAlb>()?;
    m.add_class::<PyLambdaAuthorizer>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
