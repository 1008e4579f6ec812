//! Build, demo, test and bench automation for kform:
//! `cargo xtask setup | build-widget | demo | test | bench | dist`.
//!
//! Every command installs what it needs by itself (wasm target, wasm-bindgen CLI at the version
//! in Cargo.lock, npm packages, Chromium), so the README's two commands work on a fresh machine.
#![expect(clippy::print_stderr, reason = "xtask reports its progress on the terminal")]

mod bench;
mod bindgen;
mod build;
mod dist;
mod panics;
mod parts;
mod setup;
mod size;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup          install the toolchain pieces (wasm target, wasm-bindgen CLI, npm packages, Chromium)
  build-widget   build the widget and the editor into pkg/ and print their download sizes
  demo [--port N]  setup, build the widget and run `kform demo` (default port 8080)
  test           setup, build, formatting, clippy, native tests, browser tests
  bench          run the benchmarks and print each median against its target
  dist           a release binary with the widget built in, example kform.toml and systemd unit";

fn main() {
    if let Err(err) = run() {
        eprintln!("xtask: error: {err:#}");
        // A linker or compiler that runs out of disk fails with a message CI may cut short, so
        // the free space is printed with every failure.
        if let Some(df) = output("df", &["-h", "."]) {
            eprintln!("xtask: disk where the build runs:\n{}", df.trim_end());
        }
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root).with_context(|| format!("cannot enter {}", root.display()))?;
    match args.first().map(String::as_str) {
        Some("setup") => setup::run(&root).map(|_| ()),
        Some("build-widget") => {
            let tools = setup::run(&root)?;
            build::widget(&root, &tools)
        }
        Some("demo") => {
            let port = match args.get(1..) {
                Some([flag, port]) if flag == "--port" => port.clone(),
                Some([]) | None => "8080".to_owned(),
                _ => bail!("{USAGE}"),
            };
            let tools = setup::run(&root)?;
            build::widget(&root, &tools)?;
            step("kform demo", || {
                let mut args = vec!["run", "--locked", "--quiet"];
                args.extend(KFORM_WITH_DEMO);
                args.extend(["--", "demo", "--port", &port]);
                cmd("cargo", &args)
            })
        }
        Some("test") => test(&root),
        Some("bench") => bench::run(&root),
        Some("dist") => dist::run(&root),
        _ => bail!("{USAGE}"),
    }
}

/// Every check CI runs, in order; stops at the first failure.
fn test(root: &Path) -> Result<()> {
    let started = Instant::now();
    let tools = setup::run(root)?;
    build::widget(root, &tools)?;
    step("cargo fmt --check", || cmd("cargo", &["fmt", "--all", "--check"]))?;
    step("clippy (native)", || clippy(&["--workspace", "--all-targets"]))?;
    step("clippy (wasm32)", || {
        let crates = [
            "kform-core",
            "kform-view",
            "kform-widget",
            "kform-editor",
            "kform-delivery",
            "kform-dom",
            "kform-size-floor",
        ];
        let mut args: Vec<&str> = crates.iter().flat_map(|name| ["-p", name]).collect();
        args.extend(["--all-targets", "--target", build::WASM_TARGET]);
        clippy(&args)
    })?;
    step("clippy (the widget's bundle: no std)", || {
        clippy(&["-p", "kform-widget", "--features", "bundle", "--target", build::WASM_TARGET])
    })?;
    // The widget's partial builds, each with a part of its extras or none.
    for features in build::WIDGET_PARTS.iter().map(|part| part.features) {
        step(&format!("clippy (the widget's bundle with {features})"), || {
            let part = ["--no-default-features", "--features", features];
            clippy(&[&["-p", "kform-widget", "--target", build::WASM_TARGET][..], &part].concat())
        })?;
    }
    step("native tests", || cmd("cargo", &["test", "--locked", "--workspace"]))?;
    step("the core's tests as the widget builds it (no json-floats)", || {
        cmd("cargo", &["test", "--locked", "-p", "kform-core", "--no-default-features", "--lib"])
    })?;
    step("the relay's tests again, on PostgreSQL", || {
        // The same behavioural tests with every relay's state in a throwaway PostgreSQL
        // database instead of its data directory (`kform-testdb` starts the server).
        let mut command = Command::new("cargo");
        command
            .args(["test", "--locked", "-p", "kform-relay", "--test", "it", "--"])
            // Runs on PostgreSQL in the first pass already: three relays share one database.
            .args(["--skip", "crash::three_relays"])
            .env("KFORM_TEST_STORE", "postgres");
        status(command)
    })?;
    step("wasm tests in headless Chromium", || {
        let mut command = Command::new("cargo");
        command
            .args([
                "test",
                "--locked",
                "-p",
                "kform-widget",
                "-p",
                "kform-editor",
                "--target",
                build::WASM_TARGET,
            ])
            .env("CHROMEDRIVER", setup::CHROMEDRIVER)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", tools.test_runner());
        status(command)
    })?;
    step("end-to-end tests (browser, official kintone client)", || {
        // The `kform` the native tests built (and put at `target/debug/kform`): `cargo build`
        // would build the relay again with other features, twice the time and disk.
        cmd("cargo", &["test", "--locked", "--quiet", "--workspace", "--no-run"])?;
        let mut command = Command::new("node");
        command
            .args(["--test", "--test-reporter=spec", "tests/e2e/"])
            .env("KFORM_BIN", root.join("target/debug/kform"))
            .env("CHROMIUM", setup::CHROMIUM);
        status(command)
    })?;
    eprintln!("xtask: every check passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The `kform` binary with the `demo` feature (the fake kintone and `kform demo`), as the demo,
/// the tests and the benchmarks run it; `cargo xtask dist` builds it without.
pub(crate) const KFORM_WITH_DEMO: [&str; 6] =
    ["-p", "kform-relay", "--features", "demo", "--bin", "kform"];

/// The workspace root: two levels above this crate.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).to_path_buf()
}

/// Runs one named step and reports how long it took.
fn step<T>(name: &str, body: impl FnOnce() -> Result<T>) -> Result<T> {
    eprintln!("xtask: ── {name}");
    let started = Instant::now();
    let value = body().with_context(|| format!("step `{name}` failed"))?;
    eprintln!("xtask: ── {name}: ok in {:.1?}", started.elapsed());
    Ok(value)
}

/// Runs a program with arguments, inheriting the terminal; fails on a non-zero exit.
/// `cargo clippy --locked` with `args`, every warning an error.
fn clippy(args: &[&str]) -> Result<()> {
    let mut all = vec!["clippy", "--locked"];
    all.extend_from_slice(args);
    all.extend(["--", "-D", "warnings"]);
    cmd("cargo", &all)
}

fn cmd(program: &str, args: &[&str]) -> Result<()> {
    let mut command = Command::new(program);
    command.args(args);
    status(command)
}

fn status(mut command: Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command.status().with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("{shown} exited with {status}");
    }
    Ok(())
}

/// Runs a program and returns its standard output, or `None` if it cannot run or fails.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
