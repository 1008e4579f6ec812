//! `cargo xtask build-widget`: for the widget and the editor, cargo (wasm32, `wasm-release`) →
//! wasm-bindgen → wasm-opt → `pkg/`, then each bundle's download size. `cargo xtask bench` builds
//! the size floor (`kform-size-floor`) the same way into `target/size-floor/`.

use std::path::Path;

use anyhow::{Context, Result};

use crate::setup::Tools;
use crate::{cmd, step};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// One front end: its crate, its loader (copied beside the build as the first file) and the
/// files a browser downloads.
struct Bundle {
    krate: &'static str,
    loader: Option<&'static str>,
    files: &'static [&'static str],
    limits: crate::size::Limits,
}

const BUNDLES: [Bundle; 2] = [
    Bundle {
        krate: "kform-widget",
        loader: Some("crates/kform-widget/js/kform.js"),
        files: &["kform.js", "kform_widget.js", "kform_widget_bg.wasm"],
        limits: crate::size::WIDGET,
    },
    Bundle {
        krate: "kform-editor",
        loader: Some("crates/kform-editor/js/kform-editor.js"),
        files: &["kform-editor.js", "kform_editor.js", "kform_editor_bg.wasm"],
        limits: crate::size::EDITOR,
    },
];

/// The least a Leptos widget weighs, to read the widget's size against; never served.
const SIZE_FLOOR: Bundle = Bundle {
    krate: "kform-size-floor",
    loader: None,
    files: &["kform_size_floor.js", "kform_size_floor_bg.wasm"],
    limits: crate::size::SIZE_FLOOR,
};

/// Builds the widget and the editor into `pkg/`.
pub(crate) fn widget(root: &Path, tools: &Tools) -> Result<()> {
    for bundle in &BUNDLES {
        build(root, tools, bundle, &root.join("pkg"))?;
    }
    Ok(())
}

/// Builds the size floor into `target/size-floor/` and prints its download.
pub(crate) fn size_floor(root: &Path, tools: &Tools) -> Result<()> {
    build(root, tools, &SIZE_FLOOR, &root.join("target/size-floor"))
}

fn build(root: &Path, tools: &Tools, bundle: &Bundle, out: &Path) -> Result<()> {
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
                &out.to_string_lossy(),
                &input.to_string_lossy(),
            ],
        )
    })?;
    step(&format!("build {krate}: wasm-opt -Oz"), || {
        // npm's binaryen: Debian's wasm-opt 108 silently breaks this module (TOOLCHAIN.md §7.2).
        let wasm = out.join(format!("{stem}_bg.wasm")).to_string_lossy().into_owned();
        let wasm_opt = root.join("node_modules/.bin/wasm-opt");
        cmd(&wasm_opt.to_string_lossy(), &["-Oz", &wasm, "-o", &wasm])
    })?;
    if let Some(loader) = bundle.loader {
        std::fs::copy(root.join(loader), out.join(bundle.files[0]))
            .context("cannot copy the loader beside the build")?;
    }
    crate::size::report(out, bundle.files, &bundle.limits)
}
