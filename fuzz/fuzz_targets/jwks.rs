//! JWKS documents from arbitrary bytes. Must never panic; every kid it reports as usable must be
//! named in the document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(kids) = cognito_jwt_verify::internals::parse_jwks(data) {
        for kid in kids {
            let text = String::from_utf8_lossy(data);
            assert!(
                text.contains(&kid) || kid.chars().any(|c| !c.is_ascii_graphic()),
                "usable kid {kid:?} not in the document"
            );
        }
    }
});
