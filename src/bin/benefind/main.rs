//! `benefind`: the native command line. It runs the same core code as the browser
//! module: embed texts, benchmark the embedder (and, later, build and search bundles).
//! One file per subcommand.

#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_bench;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_bench_proxy;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_bench_quality;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_bench_search;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_bundle;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_cloud;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_embed;
#[cfg(not(target_arch = "wasm32"))]
mod cmd_search;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; this keeps `cargo test --target wasm32-unknown-unknown` building.
#[cfg(target_arch = "wasm32")]
fn main() {}
