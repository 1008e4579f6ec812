//! `cargo xtask build-widget`: for the widget and the editor, cargo (wasm32, `wasm-release`) →
//! wasm-bindgen → wasm-opt → `pkg/`, then each bundle's download size.

use std::path::Path;

use anyhow::{Context, Result};

use crate::setup::Tools;
use crate::{cmd, step};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// One front end: its crate, its loader and the files a browser downloads, in `pkg/`.
struct Bundle {
    krate: &'static str,
    loader: &'static str,
    files: [&'static str; 3],
    limits: crate::size::Limits,
}

const BUNDLES: [Bundle; 2] = [
    Bundle {
        krate: "kform-widget",
        loader: "crates/kform-widget/js/kform.js",
        files: ["kform.js", "kform_widget.js", "kform_widget_bg.wasm"],
        limits: crate::size::WIDGET,
    },
    Bundle {
        krate: "kform-editor",
        loader: "crates/kform-editor/js/kform-editor.js",
        files: ["kform-editor.js", "kform_editor.js", "kform_editor_bg.wasm"],
        limits: crate::size::EDITOR,
    },
];

/// Builds the widget and the editor into `pkg/`.
pub(crate) fn widget(root: &Path, tools: &Tools) -> Result<()> {
    for bundle in &BUNDLES {
        build(root, tools, bundle)?;
    }
    Ok(())
}

fn build(root: &Path, tools: &Tools, bundle: &Bundle) -> Result<()> {
    let pkg = root.join("pkg");
    let krate = bundle.krate;
    let stem = krate.replace('-', "_");
    step(&format!("build {krate}: cargo (wasm32, wasm-release)"), || {
        cmd(
            "cargo",
            &[
                "build",
                "--locked",
                "-p",
                krate,
                "--target",
                WASM_TARGET,
                "--profile",
                "wasm-release",
            ],
        )
    })?;
    step(&format!("build {krate}: wasm-bindgen"), || {
        let input = root.join("target").join(WASM_TARGET).join(format!("wasm-release/{stem}.wasm"));
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
    step(&format!("build {krate}: wasm-opt -Oz"), || {
        // npm's binaryen: Debian's wasm-opt 108 silently breaks this module (TOOLCHAIN.md §7.2).
        let wasm = pkg.join(format!("{stem}_bg.wasm")).to_string_lossy().into_owned();
        let wasm_opt = root.join("node_modules/.bin/wasm-opt");
        cmd(&wasm_opt.to_string_lossy(), &["-Oz", &wasm, "-o", &wasm])
    })?;
    std::fs::copy(root.join(bundle.loader), pkg.join(bundle.files[0]))
        .context("cannot copy the loader into pkg/")?;
    crate::size::report(&pkg, &bundle.files, &bundle.limits)
}
