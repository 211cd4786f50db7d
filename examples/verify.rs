//! The `verify` command (installed as `cognito-verify` with the `cli` feature) as an example:
//! `cargo run --example verify -- [args] < token`. The code, its arguments, exit codes and kind
//! names are in `src/bin/cognito-verify/`.

use std::process::ExitCode;

#[path = "../src/bin/cognito-verify/cli.rs"]
mod cli;
#[path = "../src/bin/cognito-verify/verify.rs"]
mod verify;

fn main() -> ExitCode {
    verify::main()
}
