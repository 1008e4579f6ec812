//! `cargo xtask build-widget`: for the widget, the editor and its delivery view, cargo (wasm32, `wasm-release`) →
//! wasm-bindgen → short names for what the glue and the `.wasm` share, no unused exports (`bindgen.rs`) → wasm-opt → `pkg/`,
//! then each bundle's download size. `cargo xtask bench` builds the size floor
//! (`kform-size-floor`) the same way into `target/size-floor/`.

use std::path::Path;

use anyhow::{Context, Result};

use crate::setup::Tools;
use crate::{cmd, step};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// One front end: its crate, how its JavaScript reaches the page and the files a browser
/// downloads (the loader first, when there is one).
struct Bundle {
    krate: &'static str,
    /// The crate's features the bundle is built with (the widget's `bundle`: no std).
    features: &'static str,
    /// Whether its panic paths trap at once (`panics.rs`; only a bundle whose panic handler
    /// reads no message) and wasm-opt first flattens and re-loops its code, which makes the
    /// widget's `.wasm` 1 KB (brotli) smaller.
    smallest: bool,
    loader: Loader,
    files: &'static [&'static str],
    limits: crate::size::Limits,
    /// More `.wasm`s built without the crate's default features, each with a part of them,
    /// which run on the same glue (`parts.rs`): the widget's, for forms that need only a part
    /// of its extras or none.
    parts: &'static [PartWasm],
    /// The modules a joined loader imports when a form needs them (the widget's captcha).
    modules: &'static [Module],
}

/// A module a joined loader imports on demand: minified beside it, with its sha256 written
/// into the loader in place of `placeholder`, so pinning the loader pins it too.
struct Module {
    source: &'static str,
    file: &'static str,
    placeholder: &'static str,
    limits: crate::size::Limits,
}

/// One more `.wasm` of a bundle, built with a part of its features: those features, its file,
/// what the joined loader holds where its integrity goes, and what its download (the loader and
/// it) is held to.
pub(crate) struct PartWasm {
    pub(crate) features: &'static str,
    file: &'static str,
    placeholder: &'static str,
    limits: crate::size::Limits,
}

/// How a bundle's JavaScript reaches the page.
enum Loader {
    /// The wasm-bindgen glue alone (the size floor, which its bench page loads).
    None,
    /// The loader, copied beside the glue, which it imports (the editor).
    Beside(&'static str),
    /// One file: the glue (`--target no-modules`, a `wasm_bindgen` function) then the loader,
    /// with the `.wasm`'s sha256 in place of [`WASM_INTEGRITY`], so pinning this file with
    /// `<script integrity>` pins all the bundle runs (the widget).
    Joined(&'static str),
}

/// What a joined loader holds where the `.wasm`'s integrity goes.
const WASM_INTEGRITY: &str = "@KFORM_WASM_INTEGRITY@";

/// How wasm-bindgen's `no-modules` glue starts: it sets up its one copy at once.
const GLUE_START: &str = "let wasm_bindgen = (function(exports) {";

/// What the joined loader's glue starts with instead: a function that sets up a new copy.
const GLUE_FACTORY: &str = "const newWasmBindgen = () => (function(exports) {";

/// The glue's warning that [`join`] leaves out: its init called the old way, which `kform.js`
/// never does.
const GLUE_WARNING: &str = "console.warn('using deprecated parameters for the initialization function; pass a single object instead')";

/// What [`join`] cuts out of the glue: the ways of starting the `.wasm` that `kform.js` never
/// takes. It always passes a `fetch`'s promise (never a path, a `Request`, a `URL` or bytes, and
/// never nothing, so the glue needs no address of its own script), and the relay serves the
/// `.wasm` as `application/wasm`, so it streams (no fallback to compiling it whole). Every
/// browser that runs the widget has `TextEncoder.encodeInto`. 0.1 KB (brotli) of every visit.
const GLUE_CUTS: [(&str, &str); 5] = [
    (
        "    let script_src;
    if (typeof document !== 'undefined' && document.currentScript !== null) {
        script_src = new URL(document.currentScript.src, location.href).toString();
    }
",
        "",
    ),
    (
        "        if (module_or_path === undefined && script_src !== undefined) {
            module_or_path = script_src.replace(/\\.js$/, \"_bg.wasm\");
        }
",
        "",
    ),
    (
        "        if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
            module_or_path = fetch(module_or_path);
        }
",
        "",
    ),
    (
        "    if (!('encodeInto' in cachedTextEncoder)) {
        cachedTextEncoder.encodeInto = function (arg, view) {
            const buf = cachedTextEncoder.encode(arg);
            view.set(buf);
            return {
                read: arg.length,
                written: buf.length
            };
        };
    }
",
        "",
    ),
    (
        "    async function __wbg_load(module, imports) {
        if (typeof Response === 'function' && module instanceof Response) {
            if (!module.ok) {
                throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
            }

            if (typeof WebAssembly.instantiateStreaming === 'function') {
                try {
                    return await WebAssembly.instantiateStreaming(module, imports);
                } catch (e) {
                    const validResponse = expectedResponseType(module.type);

                    if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                        console.warn(\"`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\\n\", e);

                    } else { throw e; }
                }
            }

            const bytes = await module.arrayBuffer();
            return await WebAssembly.instantiate(bytes, imports);
        } else {
            const instance = await WebAssembly.instantiate(module, imports);

            if (instance instanceof WebAssembly.Instance) {
                return { instance, module };
            } else {
                return instance;
            }
        }

        function expectedResponseType(type) {
            switch (type) {
                case 'basic': case 'cors': case 'default': return true;
            }
            return false;
        }
    }
",
        "    async function __wbg_load(module, imports) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }
        return await WebAssembly.instantiateStreaming(module, imports);
    }
",
    ),
];

/// What wasm-bindgen's glue answers: its init function with `initSync` and the exports.
const GLUE_EXPORTS: &str = "Object.assign(__wbg_init, { initSync }, exports)";

/// The widget's partial builds, each with a part of its extras or none (`cargo xtask test`
/// lints each feature set too). The files are `kform_view::markup::WidgetBuild::file`'s (the
/// whole one is the bundle's own), and `kform.js` names each with its placeholder.
pub(crate) const WIDGET_PARTS: &[PartWasm] = &[
    PartWasm {
        features: "bundle",
        file: "kform_widget_lean_bg.wasm",
        placeholder: "@KFORM_LEAN_WASM_INTEGRITY@",
        limits: crate::size::LEAN_WIDGET,
    },
    PartWasm {
        features: "bundle,rows",
        file: "kform_widget_rows_bg.wasm",
        placeholder: "@KFORM_ROWS_WASM_INTEGRITY@",
        limits: crate::size::ROWS_WIDGET,
    },
    PartWasm {
        features: "bundle,confirm",
        file: "kform_widget_confirm_bg.wasm",
        placeholder: "@KFORM_CONFIRM_WASM_INTEGRITY@",
        limits: crate::size::CONFIRM_WIDGET,
    },
];

const BUNDLES: [Bundle; 3] = [
    Bundle {
        krate: "kform-widget",
        features: "bundle",
        smallest: true,
        loader: Loader::Joined("crates/kform-widget/js/kform.js"),
        files: &["kform.js", "kform_widget_bg.wasm"],
        limits: crate::size::WIDGET,
        parts: WIDGET_PARTS,
        modules: &[Module {
            source: "crates/kform-widget/js/kform-captcha.js",
            file: "kform-captcha.js",
            placeholder: "@KFORM_CAPTCHA_INTEGRITY@",
            limits: crate::size::CAPTCHA,
        }],
    },
    Bundle {
        krate: "kform-editor",
        features: "",
        smallest: false,
        loader: Loader::Beside("crates/kform-editor/js/kform-editor.js"),
        files: &["kform-editor.js", "kform_editor.js", "kform_editor_bg.wasm"],
        limits: crate::size::EDITOR,
        parts: &[],
        modules: &[],
    },
    Bundle {
        krate: "kform-delivery",
        features: "",
        smallest: false,
        loader: Loader::None,
        files: &["kform_delivery.js", "kform_delivery_bg.wasm"],
        limits: crate::size::DELIVERY,
        parts: &[],
        modules: &[],
    },
];

/// The least a Leptos widget weighs, to read the widget's size against; never served.
const SIZE_FLOOR: Bundle = Bundle {
    krate: "kform-size-floor",
    features: "",
    smallest: false,
    loader: Loader::None,
    files: &["kform_size_floor.js", "kform_size_floor_bg.wasm"],
    limits: crate::size::SIZE_FLOOR,
    parts: &[],
    modules: &[],
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
    let target = if matches!(bundle.loader, Loader::Joined(_)) { "no-modules" } else { "web" };
    compile(root, tools, krate, &["--features", bundle.features], target, out)?;
    let glue = out.join(format!("{stem}.js"));
    let wasm = out.join(format!("{stem}_bg.wasm"));
    // The other builds' names are matched against wasm-bindgen's own output for the whole one.
    let original = match bundle.parts {
        [] => None,
        _ => Some((read(&wasm)?, std::fs::read_to_string(&glue).context("no glue")?)),
    };
    let renamed = step(&format!("build {krate}: short names, no unused exports"), || {
        crate::bindgen::rewrite_files(&wasm, &glue)
    })?;
    shrink(root, bundle, &wasm)?;
    let mut pinned = vec![(WASM_INTEGRITY, read(&wasm)?)];
    if let Some((whole, whole_glue)) = original {
        for part in bundle.parts {
            let scratch = root.join("target/part-bindgen");
            let features = ["--no-default-features", "--features", part.features];
            compile(root, tools, krate, &features, target, &scratch)?;
            let part_wasm = out.join(part.file);
            let built =
                format!("build {krate} ({}): named as the whole .wasm's glue names it", part.file);
            step(&built, || {
                let part_glue = std::fs::read_to_string(scratch.join(format!("{stem}.js")))
                    .context("no glue for the part")?;
                let bytes = read(&scratch.join(format!("{stem}_bg.wasm")))?;
                let bytes = crate::parts::rename_like(&bytes, &part_glue, &whole, &whole_glue)?;
                let bytes = crate::bindgen::rewrite_like(&bytes, &renamed)?;
                std::fs::write(&part_wasm, bytes)
                    .with_context(|| format!("cannot write {}", part.file))
            })?;
            shrink(root, bundle, &part_wasm)?;
            pinned.push((part.placeholder, read(&part_wasm)?));
        }
    }
    for module in bundle.modules {
        let path = out.join(module.file);
        std::fs::copy(root.join(module.source), &path)
            .with_context(|| format!("cannot copy {}", module.source))?;
        minify(root, &path)?;
        pinned.push((module.placeholder, read(&path)?));
    }

    match bundle.loader {
        Loader::None => {}
        Loader::Beside(loader) => {
            std::fs::copy(root.join(loader), out.join(bundle.files[0]))
                .context("cannot copy the loader beside the build")?;
        }
        Loader::Joined(loader) => join(root, out, &stem, loader, bundle.files[0], &pinned)?,
    }
    crate::size::report(out, bundle.files, &bundle.limits)?;
    for part in bundle.parts {
        crate::size::report(out, &[bundle.files[0], part.file], &part.limits)?;
    }
    for module in bundle.modules {
        crate::size::report(out, &[module.file], &module.limits)?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Builds `krate` for wasm32 in `wasm-release` with the cargo arguments `features`, then runs
/// wasm-bindgen (`target`: `web` or `no-modules`) into `out`.
fn compile(
    root: &Path,
    tools: &Tools,
    krate: &str,
    features: &[&str],
    target: &str,
    out: &Path,
) -> Result<()> {
    let stem = krate.replace('-', "_");
    step(&format!("build {krate} {}: cargo (wasm32, wasm-release)", features.join(" ")), || {
        let mut args = vec!["build", "--locked", "-p", krate, "--target", WASM_TARGET, "--profile"];
        args.push("wasm-release");
        args.extend_from_slice(features);
        cmd("cargo", &args)
    })?;
    step(&format!("build {krate}: wasm-bindgen"), || {
        let input = root.join("target").join(WASM_TARGET).join(format!("wasm-release/{stem}.wasm"));
        cmd(
            &tools.wasm_bindgen().to_string_lossy(),
            &[
                "--target",
                target,
                "--no-typescript",
                "--out-dir",
                &out.to_string_lossy(),
                &input.to_string_lossy(),
            ],
        )
    })
}

/// Traps the panic paths of the `.wasm` at `wasm` (for the smallest bundles) and optimizes it
/// with wasm-opt, in place.
fn shrink(root: &Path, bundle: &Bundle, wasm: &Path) -> Result<()> {
    let krate = bundle.krate;
    if bundle.smallest {
        step(&format!("build {krate}: panic paths trap at once"), || {
            let bytes = read(wasm)?;
            let (bytes, trapped) = crate::panics::trap(&bytes)?;
            eprintln!(
                "xtask:   {} functions of the standard library's panic paths trapped",
                trapped.len()
            );
            std::fs::write(wasm, bytes).context("cannot write the .wasm")
        })?;
    }
    step(&format!("build {krate}: wasm-opt -Oz"), || {
        // npm's binaryen: Debian's wasm-opt 108 silently breaks this module (docs/toolchain.md §2).
        let wasm = wasm.to_string_lossy().into_owned();
        let wasm_opt = root.join("node_modules/.bin/wasm-opt");
        let mut args = vec!["-Oz", wasm.as_str(), "-o", wasm.as_str()];
        if bundle.smallest {
            args.splice(..1, ["--flatten", "--rereloop", "-Oz", "-Oz"]);
        }
        // Last, the two custom sections no browser reads: which tools made the module and
        // which features it was built for (wasm-opt reads them first), 0.2 KB of every visit.
        args.extend(["--strip-producers", "--strip-target-features"]);
        cmd(&wasm_opt.to_string_lossy(), &args)
    })
}

/// Writes `name` in `out`: the glue `{stem}.js`, made a function that sets up one more copy of
/// it each time it is called (`newWasmBindgen()`, one for each `.wasm` a page runs), then
/// `loader` with the integrity of each file it loads (each `.wasm`, each module) written in
/// place of its placeholder (`pinned`: sha256, which every browser checks like sha384, and
/// whose 44 characters, which do not compress, rather than 64, take 0.1 KB off every visit for
/// the widget's five files), minified with terser (every visitor downloads this
/// file before seeing a form, 8.0 → 6.3 KB brotli for the widget); the glue's own file (and any
/// encodings of it) is removed, so only the joined file is served. (The form's stylesheet
/// comes with its markup from the relay, for embedded forms and previews alike.)
fn join(
    root: &Path,
    out: &Path,
    stem: &str,
    loader: &str,
    name: &str,
    pinned: &[(&str, Vec<u8>)],
) -> Result<()> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let integrity = |bytes: &[u8]| {
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
        )
    };
    let glue_path = out.join(format!("{stem}.js"));
    let glue = std::fs::read_to_string(&glue_path).context("cannot read the glue")?;
    let glue = glue
        .strip_prefix(GLUE_START)
        .map(|rest| format!("{GLUE_FACTORY}{rest}"))
        .with_context(|| format!("the glue does not start with `{GLUE_START}`"))?;
    // `initSync` (compiling on the main thread) is never called: without its export, terser
    // drops it, 0.1 KB of every visit.
    anyhow::ensure!(
        glue.matches(GLUE_EXPORTS).count() == 1,
        "the glue does not end with `{GLUE_EXPORTS}` once"
    );
    let glue = glue.replace(GLUE_EXPORTS, "Object.assign(__wbg_init, exports)");
    // A warning for the console no visitor reads, and the ways in `kform.js` never takes. Each
    // is cut only where the glue holds it exactly once (the build fails otherwise).
    let mut glue = glue;
    for (cut, kept) in [(GLUE_WARNING, "")].into_iter().chain(GLUE_CUTS) {
        anyhow::ensure!(glue.matches(cut).count() == 1, "the glue does not hold this once: {cut}");
        glue = glue.replace(cut, kept);
    }
    let mut loader =
        std::fs::read_to_string(root.join(loader)).context("cannot read the loader")?;
    for (placeholder, bytes) in pinned {
        anyhow::ensure!(
            loader.matches(placeholder).count() == 1,
            "{name}: the loader must hold {placeholder} exactly once"
        );
        loader = loader.replace(placeholder, &integrity(bytes));
    }
    let joined = format!("{}\n{}", strip_comments(&glue), strip_comments(&loader));
    let path = out.join(name);
    std::fs::write(&path, joined).with_context(|| format!("cannot write {name}"))?;
    minify(root, &path)?;
    for stale in
        [glue_path.clone(), glue_path.with_extension("js.br"), glue_path.with_extension("js.gz")]
    {
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    Ok(())
}

/// Minifies the JavaScript module at `path` in place, with terser (npm's, pinned in
/// package.json).
fn minify(root: &Path, path: &Path) -> Result<()> {
    let terser = root.join("node_modules/.bin/terser");
    let name = path.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
    let path = path.to_string_lossy();
    step(&format!("minify {name}: terser"), || {
        cmd(
            &terser.to_string_lossy(),
            &[&path, "--module", "--compress", "--mangle", "--output", &path],
        )
    })
}

/// JavaScript without its comment lines: the `/** … */` blocks (wasm-bindgen copies the Rust doc
/// comments into the glue) and the lines that are only a `//` comment. Every visitor downloads
/// the joined file, and comments are for people reading the sources.
fn strip_comments(glue: &str) -> String {
    let mut out = String::with_capacity(glue.len());
    let mut in_doc = false;
    for line in glue.lines() {
        let trimmed = line.trim();
        if !in_doc && trimmed.starts_with("/**") {
            in_doc = !trimmed.ends_with("*/");
            continue;
        }
        if in_doc {
            in_doc = !trimmed.ends_with("*/");
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn comment_lines_leave_and_code_stays() {
        let glue = "/**\n * Mounts.\n * @param {string} a\n */\n// A note.\nfunction a() {\n    /** one line */\n    return \"/** not a comment */\"; // kept\n}\n";
        assert_eq!(
            strip_comments(glue),
            "function a() {\n    return \"/** not a comment */\"; // kept\n}\n"
        );
    }
}
