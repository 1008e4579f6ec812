//! `cargo xtask dist`: one self-contained release binary with the widget built in and without
//! the fake kintone (no `demo` feature), next to an example `kform.toml`, a sample form and a
//! systemd unit, in `dist/kform/` and a tarball.

use std::path::Path;

use anyhow::{Context, Result};

use crate::{build, setup, status, step};

pub(crate) fn run(root: &Path) -> Result<()> {
    let tools = setup::run(root)?;
    build::widget(root, &tools)?;
    step("release build with the widget built in", || {
        let mut command = std::process::Command::new("cargo");
        command
            .args(["build", "--profile", "dist", "--locked", "-p", "kform-relay", "--bin", "kform"])
            .env("KFORM_EMBED_WIDGET", root.join("pkg"));
        status(command)
    })?;
    let out = root.join("dist/kform");
    step("assemble dist/kform", || {
        if out.exists() {
            std::fs::remove_dir_all(&out)
                .with_context(|| format!("cannot clear {}", out.display()))?;
        }
        std::fs::create_dir_all(out.join("forms"))?;
        let copy = |from: &Path, to: &str| {
            std::fs::copy(from, out.join(to))
                .with_context(|| format!("cannot copy {}", from.display()))
        };
        copy(&root.join("target/dist/kform"), "kform")?;
        // The binary a customer deploys carries no test double (the `demo` feature is off).
        let demo = std::process::Command::new(out.join("kform"))
            .args(["demo", "--help"])
            .output()
            .context("cannot run dist/kform/kform")?;
        anyhow::ensure!(!demo.status.success(), "dist/kform/kform must not have `kform demo`");
        copy(&root.join("crates/kform-relay/dist/kform.toml"), "kform.toml")?;
        copy(&root.join("crates/kform-relay/dist/kform.service"), "kform.service")?;
        copy(&root.join("crates/kform-relay/dist/forms/contact.json"), "forms/contact.json")?;
        let mut tar = std::process::Command::new("tar");
        tar.current_dir(root.join("dist")).args(["czf", "kform.tar.gz", "kform"]);
        status(tar)
    })?;
    let size = std::fs::metadata(out.join("kform")).map(|meta| meta.len()).unwrap_or(0);
    eprintln!(
        "xtask: dist/kform/kform ({:.1} MB, widget built in), kform.toml, kform.service, forms/; dist/kform.tar.gz",
        size as f64 / 1e6
    );
    Ok(())
}
