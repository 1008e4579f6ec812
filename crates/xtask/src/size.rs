//! The download sizes of the widget and the editor: raw, gzip -9 and brotli (quality 11) per
//! file and in total. The compressed files are written beside each file (`.gz`, `.br`) for the
//! relay to serve.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// What one bundle's download is held to.
pub(crate) struct Limits {
    /// The bundle's name in the report.
    pub(crate) name: &'static str,
    /// The file in `pkg/` that keeps its totals.
    pub(crate) summary: &'static str,
    /// What the bundle aims for.
    pub(crate) target: usize,
    /// Above this the build fails (none for the size floor, which only informs).
    pub(crate) budget: Option<usize>,
    /// The most the first file, the entry script, may weigh (brotli): the widget's `kform.js`
    /// must show a form on its own, so it stays small (issue 20: ≤ 6 KB).
    pub(crate) entry_budget: Option<usize>,
}

/// The visitor's download the widget aims for (issue 7): 50 KB brotli.
const TARGET_BROTLI: usize = 50_000;

/// The most the download may weigh before every build fails. It is a ratchet, not the target
/// (80 KB in all for issue 20, aiming at 50): `kform.js` and the whole `.wasm` weigh 77.3 KB
/// today (README, "Size"). Lower it as the bundle shrinks. It sits a little above today's weight
/// because the `.wasm` varies by a few hundred bytes with the length of the folder it is built
/// in (panic locations name source paths). (Lowered from 225 KB when Leptos components became
/// type-erased in wasm builds and the core stopped buffering tagged JSON objects, then from
/// 205 KB when the core began reading its form and field model by hand,
/// `kform-core/src/read.rs`, and 201 KB when its leaf types were read by hand too, then 198 KB
/// when the build began shortening import names and dropping unused exports,
/// `crates/xtask/src/bindgen.rs`, then 194 KB, 153 KB when the relay began rendering the
/// form and Leptos left the widget, 151 KB when the served `kform.js` lost its comments, and 150 KB.
/// Raised once, to 151.5 KB, when the checks that keep leads from being lost went in: kintone's
/// minLength on empty values, the lenient rules where kintone's are unknown, and a form whose
/// app lost a field it needs, about 1.2 KB together; then lowered to 139 KB when the answers
/// of the relay (`SubmitOutcome`, `ErrorResponse`) were read by hand like the field model: with
/// no derived serde visitor left, the `.wasm` lost serde's error paths and the `f64` formatting
/// they reached, 12.3 KB; then 137 KB when the build began minifying `kform.js` with terser,
/// and 135.5 KB when the widget posted with the browser's `fetch` instead of gloo-net, whose
/// panic path formatted a JsValue for debugging and so kept wasm-bindgen's `debugString`; then
/// 123 KB (122.6) when the widget's code built no sort (kintone's option order is picked out,
/// rows are built by insertion), kept its touched places in a list rather than a set type of
/// their own, read the relay's answers with the core's readers directly rather than through
/// serde_json's tree deserializer, and the captcha's errors stopped formatting a JsValue for
/// debugging, which had brought `debugString` back into `kform.js`; then 118 KB (117.7) when its
/// events' details were built as JavaScript objects and serde_json's errors were no longer
/// formatted; then 114 KB (113.5) when the editor's preview became the relay's markup taken
/// over, so the `.wasm` renders no whole form and `kform.css` left the bundle; then 108.5 KB
/// (107.9) when the browser's `JSON.parse` replaced serde_json's parser, `kform_dom::json_tree`;
/// then 108 KB (107.4) when reading the page's inputs stopped cloning every shown field; then
/// 103.5 KB (103.3) when the field model's and the values' maps became sorted lists,
/// `kform_core::SortedMap`, instead of B-trees, each of which built its own insert, remove,
/// rebalance and drop; then 103 KB (102.4) when reading an edited input stopped cloning its
/// field; then 99.5 KB (99.0) when the widget began holding the relay's 422 as the messages the
/// relay wrote (`ErrorResponse::read_relayed`) and handing the host page the answer's own JSON,
/// so neither the issue codes' reader nor their serializer is in the `.wasm`; then 97.5 KB
/// (97.3) when reading a posted form stopped removing from its B-tree, whose rebalancing the
/// `.wasm` carried for that one map; then 96 KB (95.5) when the core's readers stopped
/// returning early at each key and stopped inlining each key's lookup and problem wording; then
/// 92 KB (91.5) when the bundle stopped linking std, its panic paths began trapping at once
/// and wasm-opt began flattening and re-looping its code first; then 91 KB (90.5) when its code
/// stopped searching strings for strings, which brought the standard library's substring search;
/// raised to 91.5 KB (91.2) when JSON began to be read by kform's own parser
/// (`kform-dom/src/json.rs`) instead of a call into JavaScript for each value of what
/// `JSON.parse` built: 0.8 KB for the 3.6 ms that walk took of the bench form's takeover; then
/// 90 KB (89.6) when `kform-view`'s HTML element became one boxed pointer, so its builder's
/// chained calls stopped copying it, and its generic methods only convert and call one copy;
/// then 87.5 KB (87.2; 87.3 once its rows moved by one shared rule) when a subtable's new row
/// became the relay's row template moved to its place, so the `.wasm` renders no input; then
/// 86 KB (85.75) when the bundle's allocator became talc instead of dlmalloc, and 85.75 KB
/// (85.5) when a submission's UUID stopped being written with hexadecimal formatting; raised to
/// 86 KB again (85.76) to keep its margin: a few lines added to `kform-view/src/markup.rs`,
/// none of them in the `.wasm`, moved the `.wasm`'s brotli by 125 bytes at the same raw size
/// (the panic locations it holds carry line numbers); then 83 KB (82.5) when its strings were
/// split at characters rather than sliced at byte offsets, whose panic message formatted a
/// `char` and a range for debugging; then 82.6 KB (82.1) when the submission's JSON was
/// written by hand (`kform_core::write`), so the `.wasm` holds no serializer; then 80.1 KB
/// (79.6) when the captcha left the `.wasm` for `kform-captcha.js` and the glue lost the ways
/// of starting it that `kform.js` never takes; then 77.85 KB (77.35) when the widget's JSON
/// reader began keeping a fraction's text as written (`kform_dom::json_tree_as_written`), so
/// `kform-core` turns JSON numbers into text without float formatting (its `json-floats`
/// feature, off in the widget); then 77.6 KB (77.13) when the `.wasm` stopped carrying the
/// `producers` and `target_features` sections, which no browser reads, and named the module of
/// its 93 imports `k` rather than `./kform_widget_bg.js`; then 77.5 KB (77.01) when its casts
/// and closures' entry points got short names too, in the `.wasm` and its glue alike; then
/// 76.5 KB (76.20) when a post's names were placed by parsing them and searching the sorted
/// fields rather than kept in a B-tree map (`kform_view::posted`), one map type fewer; then
/// 76.2 KB (75.92) when lists were written out piece by piece (`kform_view::state::joined`)
/// rather than with `join`, which brought the standard library's slice joining; then 76.15 KB
/// (75.87) when its last `str::replace` calls were written out.)
const BUDGET_BROTLI: usize = 76_150;

/// The widget with the whole `.wasm`: what a visitor of a form with subtable rows and a
/// confirmation screen downloads (and the editor's preview).
pub(crate) const WIDGET: Limits = Limits {
    name: "widget (whole .wasm)",
    summary: "size-whole.json",
    target: TARGET_BROTLI,
    budget: Some(BUDGET_BROTLI),
    entry_budget: Some(6_000),
};

/// The widget with the lean `.wasm` (no subtable rows or confirmation screen): what a visitor
/// of any other form downloads, most forms. A ratchet like the whole one's: 77.25 KB at its
/// first build (76.9), then 76.75 KB (76.2) when the submission's JSON was written by hand
/// (`kform_core::write`). (Reading the captcha's answer from its input, when the captcha left
/// the `.wasm`, added 0.2 KB to it and the glue's cuts took 0.1 KB off `kform.js`: 76.3.) Then
/// 74.4 KB (73.9) without float formatting (`json-floats`, see [`BUDGET_BROTLI`]); then 74.3 KB
/// (73.84) without the two custom sections and with the short import module, and 74.1 KB
/// (73.63) with short names for the casts and entry points (the same); then 73.45 KB (73.14)
/// with a post's names placed without a map, 73.15 KB (72.84) without `join`, and 72.85 KB
/// (72.56) without `str::replace` (the same).
pub(crate) const LEAN_WIDGET: Limits = Limits {
    name: "widget (lean .wasm)",
    summary: "size.json",
    target: TARGET_BROTLI,
    budget: Some(72_850),
    entry_budget: Some(6_000),
};

/// The widget with the `.wasm` that has subtable rows but no confirmation screen: what a
/// visitor of a form with a subtable downloads. A ratchet like the others: 76.5 KB at its
/// first build (76.06); 76.4 KB (75.93) without the two custom sections and with the short
/// import module, 76.25 KB (75.76) with short names for the casts and entry points, and
/// 75.45 KB (75.15) with a post's names placed without a map, 75.25 KB (74.92) without
/// `join`, and 75.1 KB (74.78) without `str::replace` (see [`BUDGET_BROTLI`]).
pub(crate) const ROWS_WIDGET: Limits = Limits {
    name: "widget (rows .wasm)",
    summary: "size-rows.json",
    target: TARGET_BROTLI,
    budget: Some(75_100),
    entry_budget: Some(6_000),
};

/// The widget with the `.wasm` that has the confirmation screen but no subtable rows: what a
/// visitor of a form that confirms downloads. A ratchet like the others: 76 KB at its first
/// build (75.58); 75.75 KB (75.30) without the two custom sections and with the short import
/// module, 75.7 KB (75.20) with short names for the casts and entry points, and 74.95 KB
/// (74.67) with a post's names placed without a map, 74.7 KB (74.39) without `join`, and
/// 74.4 KB (74.11) without `str::replace` (see [`BUDGET_BROTLI`]).
pub(crate) const CONFIRM_WIDGET: Limits = Limits {
    name: "widget (confirm .wasm)",
    summary: "size-confirm.json",
    target: TARGET_BROTLI,
    budget: Some(74_400),
    entry_budget: Some(6_000),
};

/// The captcha's module, `kform-captcha.js`: what a form that asks for a captcha downloads
/// besides the widget (about 0.6 KB brotli at its first build).
pub(crate) const CAPTCHA: Limits = Limits {
    name: "widget's captcha module",
    summary: "captcha-size.json",
    target: 1_000,
    budget: Some(1_000),
    entry_budget: None,
};

/// The editor (issue 8): only CMS administrators download it; it aims for 150 KB brotli. Its
/// preview loads the widget's own bundle, counted above. The budget is a ratchet like the
/// widget's: the editor weighs 139.7 KB, within the target since it renders through its own
/// view layer (`kform-editor/src/view.rs`) instead of Leptos's view code. (Lowered from 226 KB,
/// then 207 KB and 198 KB, with the widget's, then 181 KB when its preview stopped writing the
/// field model, 177 KB with the widget's again, and 143 KB with the view layer; raised to 144 KB
/// when lint learned kintone's minLength and warnings, which the editor shows: 143.1 KB; to
/// 145 KB when the start screen learned to check a form id and the settings to name their item:
/// 144.0 KB; to 146 KB for each option's own label, `option_labels`: 145.7 KB; to 148 KB for
/// the "Delivery" tab, the loader of the delivery view's own bundle and opening a form on the
/// fields last synced when kintone refuses the sync: 147.3–147.5 KB; to 149 KB for the "Mail"
/// tab (its view is in the delivery bundle; the mail panel inside the editor's bundle made it
/// 154.5 KB), the mail's state and templates: 148.8 KB; lowered to 147 KB when the form's
/// state (`kform-view`, which the preview's settings share) built no sort and no set type of its
/// own: 146.7 KB; raised to 147.5 KB when its loader began fetching the preview's markup from
/// the relay, `POST /v1/admin/preview`: 147.0 KB; lowered to 142 KB when it parsed its answers
/// with the browser's `JSON.parse` rather than serde_json's parser: 141.5 KB; to 139 KB when
/// the field model's maps became sorted lists, `kform_core::SortedMap`: 138.8 KB; to 137.5 KB
/// when the core's readers stopped returning early at each key: 137.0 KB; raised to 138 KB when
/// JSON began to be read by kform's own parser (`kform-dom/src/json.rs`), with the widget's:
/// 137.8 KB; to 140 KB when its screens became `kform-view`'s HTML trees built by `kform-dom`,
/// the widget's way of rendering, instead of elements its view layer created at once: 139.7
/// KB; raised to 140.25 KB when its publish box began to show the address a site's own server
/// includes a saved form from (`GET /v1/forms/{id}/include`): 140.1 KB; to 140.5 KB when the
/// HTML writer learned that `<meta>` has no closing tag, which moved the editor's code by
/// 246 bytes (140,234; 139,988 before) and left it 16 bytes under its budget, less than a clone
/// in a longer folder adds; lowered to 140.2 KB when the build left out the `.wasm`'s custom
/// sections and gave short names to what it shares with its glue: 139.7 KB.)
pub(crate) const EDITOR: Limits = Limits {
    name: "editor",
    summary: "editor-size.json",
    target: 150_000,
    budget: Some(140_200),
    entry_budget: None,
};

/// The delivery view (issue 26) and the mail view (issue 25), their own bundle that the editor
/// loads when one of them is opened,
/// so the editor's first load stays within its target (the view inside the editor's bundle made
/// it 154.8 KB). It shares the editor's view layer and admin API but not its screens. The budget
/// is a ratchet above today's weight; its target is the editor's own.
pub(crate) const DELIVERY: Limits = Limits {
    name: "delivery view",
    summary: "delivery-size.json",
    target: 150_000,
    budget: Some(DELIVERY_BUDGET),
    entry_budget: None,
};

/// The delivery and mail views' budget: 71.5 KB at its first build; 88.5 KB when the mail view
/// joined it (88.1 KB: its screen, the mail templates, and editing the form's JSON rather
/// than reading the form model, which made it 101.6 KB); 89 KB when the delivery view listed
/// the mails that could not be delivered, with "send again" and "drop" (88.8 KB); 84 KB when it
/// parsed the relay's answers with the browser's `JSON.parse` (83.4 KB); 85 KB when JSON began
/// to be read by kform's own parser, `kform-dom/src/json.rs` (84.6 KB, 83.8 before it); 86.5 KB
/// when the editor's view layer began building `kform-view`'s HTML trees (86.0 KB); 86 KB when
/// the build left out the `.wasm`'s custom sections and gave short names to what it shares with
/// its glue (85.6 KB).
const DELIVERY_BUDGET: usize = 86_000;

/// The size floor (`kform-size-floor`): the least a Leptos widget weighs, shown against the
/// widget's target so the two can be compared. It has no budget; it only informs.
pub(crate) const SIZE_FLOOR: Limits = Limits {
    name: "size floor",
    summary: "size.json",
    target: TARGET_BROTLI,
    budget: None,
    entry_budget: None,
};

pub(crate) fn report(dir: &Path, files: &[&str], limits: &Limits) -> Result<()> {
    let Limits { name: bundle, summary, target, budget, entry_budget } = *limits;
    let mut total = [0usize; 3];
    let mut entry = None;
    eprintln!("xtask: {bundle} download size (what a browser fetches)");
    eprintln!("xtask:   {:<24} {:>10} {:>10} {:>10}", "file", "raw", "gzip", "brotli");
    for name in files {
        let bytes = std::fs::read(dir.join(name)).with_context(|| format!("cannot read {name}"))?;
        let (gzip, brotli) = (gzip(&bytes)?, brotli(&bytes)?);
        for (suffix, encoded) in [("gz", &gzip), ("br", &brotli)] {
            std::fs::write(dir.join(format!("{name}.{suffix}")), encoded)
                .with_context(|| format!("cannot write {name}.{suffix}"))?;
        }
        let sizes = [bytes.len(), gzip.len(), brotli.len()];
        entry.get_or_insert((*name, sizes[2]));
        for (sum, size) in total.iter_mut().zip(sizes) {
            *sum += size;
        }
        eprintln!("xtask:   {name:<24} {:>10} {:>10} {:>10}", sizes[0], sizes[1], sizes[2]);
    }
    eprintln!("xtask:   {:<24} {:>10} {:>10} {:>10}", "total", total[0], total[1], total[2]);
    let ratio = total[2] as f64 / target as f64;
    let verdict = if total[2] <= target { "within it" } else { "over" };
    let over = format!(
        "xtask:   brotli total {:.1} KB: target {:.0} KB ({ratio:.2}×, {verdict})",
        total[2] as f64 / 1e3,
        target as f64 / 1e3,
    );
    match budget {
        Some(budget) => eprintln!("{over}, budget {:.1} KB", budget as f64 / 1e3),
        None => eprintln!("{over}"),
    }
    let json = format!(r#"{{"raw": {}, "gzip": {}, "brotli": {}}}"#, total[0], total[1], total[2]);
    std::fs::write(dir.join(summary), json)
        .with_context(|| format!("cannot write {}", dir.join(summary).display()))?;
    if let Some(budget) = budget {
        anyhow::ensure!(
            total[2] <= budget,
            "the {bundle}'s download grew to {} bytes (brotli), over its budget of {budget}",
            total[2]
        );
    }
    if let (Some(limit), Some((name, size))) = (entry_budget, entry) {
        eprintln!("xtask:   {name}: {size} bytes brotli, at most {limit}");
        anyhow::ensure!(
            size <= limit,
            "the {bundle}'s entry script {name} grew to {size} bytes (brotli), over {limit}"
        );
    }
    Ok(())
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 24);
        writer.write_all(bytes)?;
    }
    Ok(out)
}
