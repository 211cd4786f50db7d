//! `cognito-verify`: verify one token from stdin, print its claims or why it was refused.
//!
//! Installed with `cargo install cognito-verifier --features cli` (or `--path .` from a
//! checkout); the same command as `cargo run --example verify`. The arguments, exit codes and
//! kind names are in `verify.rs`.

use std::process::ExitCode;

mod cli;
mod verify;

fn main() -> ExitCode {
    verify::main()
}
