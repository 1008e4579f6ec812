//! `cargo xtask build-widget`: cargo (wasm32, `wasm-release`) → wasm-bindgen → wasm-opt → `pkg/`.

use std::path::Path;

use anyhow::{Context, Result};

use crate::setup::Tools;
use crate::{cmd, step};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The files a browser downloads, in `pkg/`.
pub(crate) const BUNDLE: [&str; 3] = ["kform.js", "kform_widget.js", "kform_widget_bg.wasm"];

pub(crate) fn widget(root: &Path, tools: &Tools) -> Result<()> {
    let pkg = root.join("pkg");
    step("build-widget: cargo (wasm32, wasm-release)", || {
        cmd(
            "cargo",
            &[
                "build",
                "--locked",
                "-p",
                "kform-widget",
                "--target",
                WASM_TARGET,
                "--profile",
                "wasm-release",
            ],
        )
    })?;
    step("build-widget: wasm-bindgen", || {
        let input = root.join("target").join(WASM_TARGET).join("wasm-release/kform_widget.wasm");
        cmd(
            &tools.wasm_bindgen().to_string_lossy(),
            &[
                "--target",
                "web",
                "--no-typescript",
                "--out-dir",
                &pkg.to_string_lossy(),
                &input.to_string_lossy(),
            ],
        )
    })?;
    step("build-widget: wasm-opt -Oz", || {
        // npm's binaryen: Debian's wasm-opt 108 silently breaks this module (TOOLCHAIN.md §7.2).
        let wasm = pkg.join("kform_widget_bg.wasm").to_string_lossy().into_owned();
        let wasm_opt = root.join("node_modules/.bin/wasm-opt");
        cmd(&wasm_opt.to_string_lossy(), &["-Oz", &wasm, "-o", &wasm])
    })?;
    std::fs::copy(root.join("crates/kform-widget/js/kform.js"), pkg.join("kform.js"))
        .context("cannot copy the loader into pkg/")?;
    crate::size::report(&pkg, &BUNDLE)
}
