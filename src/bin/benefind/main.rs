//! `benefind`: the native command line, on the same core as the browser module: embed
//! texts, build / inspect / export / import bundles, search them, upload one through the
//! signing proxy (`cloud`), quantise the model, and run the benchmarks behind
//! `pkg-scripts/bench.sh`. `cli` parses the arguments; one `cmd_*` file per subcommand.

mod cli;
mod cmd_bench;
mod cmd_bench_proxy;
mod cmd_bench_quality;
mod cmd_bench_search;
mod cmd_bundle;
mod cmd_cloud;
mod cmd_embed;
mod cmd_search;

fn main() -> std::process::ExitCode {
    cli::main()
}
