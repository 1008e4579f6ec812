//! `cargo xtask setup`: installs what building and testing need, skipping what is already there.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cmd, output, status, step};

/// Debian's Chromium and its driver, used by every browser test.
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where the installed tools are.
pub(crate) struct Tools {
    wasm_bindgen_bin: PathBuf,
}

impl Tools {
    pub(crate) fn wasm_bindgen(&self) -> PathBuf {
        self.wasm_bindgen_bin.join("wasm-bindgen")
    }

    pub(crate) fn test_runner(&self) -> PathBuf {
        self.wasm_bindgen_bin.join("wasm-bindgen-test-runner")
    }
}

/// Installs everything; idempotent.
pub(crate) fn run(root: &Path) -> Result<Tools> {
    step("setup: wasm32 target", wasm_target)?;
    let mut tools = None;
    step("setup: wasm-bindgen CLI", || {
        tools = Some(wasm_bindgen(root)?);
        Ok(())
    })?;
    step("setup: npm packages", || npm(root))?;
    step("setup: Chromium", chromium)?;
    step("setup: PostgreSQL", postgresql)?;
    step("setup: SMTP server for the mail tests (aiosmtpd)", || aiosmtpd(root))?;
    tools.context("wasm-bindgen was not set up")
}

fn wasm_target() -> Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == crate::build::WASM_TARGET) {
        return Ok(());
    }
    cmd("rustup", &["target", "add", crate::build::WASM_TARGET])
}

/// The exact version of a package in Cargo.lock.
fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    bail!("{package} is not in Cargo.lock")
}

/// Installs wasm-bindgen-cli at Cargo.lock's wasm-bindgen version into a versioned folder of
/// the user's cache, outside the work tree, so fresh clones on the same machine reuse it.
fn wasm_bindgen(root: &Path) -> Result<Tools> {
    let version = locked_version(root, "wasm-bindgen")?;
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set")?;
    let install_root = cache.join("kform/tools").join(format!("wasm-bindgen-cli-{version}"));
    let tools = Tools { wasm_bindgen_bin: install_root.join("bin") };
    let wanted = format!("wasm-bindgen {version}");
    let installed = |tools: &Tools| {
        output(&tools.wasm_bindgen().to_string_lossy(), &["--version"])
            .is_some_and(|v| v.trim() == wanted)
            && tools.test_runner().is_file()
    };
    if installed(&tools) {
        return Ok(tools);
    }
    let root_arg = install_root.to_string_lossy().into_owned();
    let install = |locked: bool| {
        let mut command = Command::new("cargo");
        command.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--root",
            &root_arg,
            "--force",
        ]);
        if locked {
            command.arg("--locked");
        }
        status(command)
    };
    // The CLI's own lockfile can name crate versions the registry here does not serve yet
    // (docs/toolchain.md §1); then the newest compatible versions are used instead.
    if let Err(err) = install(true) {
        eprintln!("xtask: `cargo install --locked` failed ({err:#}); retrying without --locked");
        install(false)?;
    }
    if !installed(&tools) {
        bail!("wasm-bindgen {version} was installed into {root_arg} but does not run");
    }
    Ok(tools)
}

/// `npm ci` when node_modules does not match package-lock.json.
fn npm(root: &Path) -> Result<()> {
    let lock =
        std::fs::read(root.join("package-lock.json")).context("cannot read package-lock.json")?;
    let mut hasher = DefaultHasher::new();
    lock.hash(&mut hasher);
    let stamp = format!("{:x}", hasher.finish());
    let stamp_file = root.join("node_modules/.kform-installed");
    if std::fs::read_to_string(&stamp_file).is_ok_and(|found| found == stamp) {
        return Ok(());
    }
    cmd("npm", &["ci", "--no-audit", "--no-fund"])?;
    std::fs::write(&stamp_file, stamp).context("cannot write the npm stamp file")
}

/// Debian's chromium and chromium-driver, installed with apt when running as root.
fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        return Ok(());
    }
    let install =
        "apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver";
    let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if !is_root {
        bail!("Chromium is needed for the browser tests; install it as root with:\n  {install}");
    }
    cmd("apt-get", &["update"])?;
    let mut command = Command::new("apt-get");
    command
        .args(["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    status(command)
}

/// Debian's PostgreSQL server programs, which the tests start a throwaway server from
/// (`kform-testdb`); installed with apt when running as root. The package's own cluster is not
/// used: the tests run their own, as an unprivileged user, on a free loopback port.
fn postgresql() -> Result<()> {
    let installed = std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
        versions.flatten().any(|version| version.path().join("bin/initdb").is_file())
    });
    if installed {
        return Ok(());
    }
    let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if !is_root {
        bail!(
            "PostgreSQL is needed for the shared-store tests; install it as root with:\n  {}",
            kform_testdb_install()
        );
    }
    cmd("apt-get", &["update"])?;
    let mut command = Command::new("apt-get");
    command
        .args(["install", "-y", "--no-install-recommends", "postgresql"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    status(command)
}

/// The install line `kform-testdb` prints too.
fn kform_testdb_install() -> &'static str {
    "apt-get update && apt-get install -y --no-install-recommends postgresql"
}

/// The aiosmtpd version the mail tests run (PyPI), in a virtual environment of its own.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

/// Where the mail tests find aiosmtpd's Python (`tests/it/mail.rs` reads the same path).
pub(crate) fn aiosmtpd_python(root: &Path) -> PathBuf {
    root.join("target/tools/aiosmtpd/bin/python")
}

/// A real SMTP server for the mail tests: PyPI's aiosmtpd in `target/tools/aiosmtpd`, made
/// with Debian's `python3` and `python3-venv` (installed with apt when running as root).
fn aiosmtpd(root: &Path) -> Result<()> {
    let python = aiosmtpd_python(root);
    let has = |python: &Path| {
        Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if has(&python) {
        return Ok(());
    }
    let venv_works = || {
        Command::new("python3")
            .args(["-c", "import venv, ensurepip"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if !venv_works() {
        let install =
            "apt-get update && apt-get install -y --no-install-recommends python3 python3-venv";
        let is_root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
        if !is_root {
            bail!(
                "Python 3 with venv is needed for the mail tests; install it as root with:\n  {install}"
            );
        }
        cmd("apt-get", &["update"])?;
        let mut command = Command::new("apt-get");
        command
            .args(["install", "-y", "--no-install-recommends", "python3", "python3-venv"])
            .env("DEBIAN_FRONTEND", "noninteractive");
        status(command)?;
    }
    let venv = root.join("target/tools/aiosmtpd");
    let venv_text = venv.to_string_lossy().into_owned();
    cmd("python3", &["-m", "venv", &venv_text])?;
    let python_text = python.to_string_lossy().into_owned();
    cmd(&python_text, &["-m", "pip", "install", "--quiet", AIOSMTPD])?;
    if !has(&python) {
        bail!("aiosmtpd was installed in {venv_text} but cannot be imported");
    }
    Ok(())
}
