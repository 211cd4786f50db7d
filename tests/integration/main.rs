//! Integration tests: the public API only, with keys served on 127.0.0.1 (the test kit's server
//! or wiremock). One binary, one module per concern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::items_after_statements,
    missing_docs
)]

mod adversarial;
mod alb;
mod aws_lambda;
mod axum;
mod cache;
mod cli;
mod cognito;
mod common;
mod config_limits;
mod examples;
mod generic;
mod grpc;
mod integrations;
mod key_sources;
mod matrix;
mod partitions;
mod policy_config;
mod properties;
mod regressions;
mod resources;
mod revocation;
mod shapes;
mod token_cache;
