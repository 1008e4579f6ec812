//! What the build changes in wasm-bindgen's output before wasm-opt, in the `.wasm` and its glue
//! alike:
//!
//! - The names the `.wasm` imports its JavaScript functions by are shortened
//!   (`__wbg_setAttribute_f75317b2b5cabfb4` becomes `$Q`, the casts
//!   `__wbindgen_generic_0000000000000001` too). Most end in a hash that brotli cannot
//!   compress, and every name is written twice: once in the `.wasm` and once as a key of the
//!   glue's import object. The glue uses these names only as those keys, so renaming both the
//!   same way changes nothing a page can see.
//! - So are the closures' entry points the `.wasm` exports
//!   (`wasm_bindgen__convert__closures_____invoke__h87073469b603959d` becomes `_a`), which the
//!   glue calls through its exports and names its own wrappers after.
//! - The module the `.wasm` imports those functions from, wasm-bindgen's `./{crate}_bg.js`,
//!   written before each of them (93 times for the widget's lean `.wasm`), is named `k`, in the
//!   `.wasm` and as the key of the glue's import object alike.
//! - The `.wasm` stops exporting wasm-streams' stream classes (`IntoUnderlyingSource`, `…Sink`,
//!   `…ByteSource`), which Leptos links in for server functions kform does not use, so wasm-opt
//!   can drop their code. Their glue classes stay, never constructed.
//!
//! Anything unexpected (an import kind this does not know, a name the glue does not hold
//! exactly as a key) fails the build rather than risk a bundle that cannot start.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

/// The names renamed, each as (old name, new name).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Renamed {
    /// The imports from wasm-bindgen's module.
    imports: Vec<(String, String)>,
    /// The closures' entry points among the exports.
    entries: Vec<(String, String)>,
}

/// The short name of the module wasm-bindgen's glue gives the `.wasm` its functions from.
const MODULE: &str = "k";

/// What the names of wasm-streams' exports hold (`intounderlyingsink_write`, …).
const UNUSED_EXPORTS: &str = "intounderlying";

/// Rewrites `wasm` and the glue `glue` in place; the names renamed.
pub(crate) fn rewrite_files(wasm: &Path, glue: &Path) -> Result<Renamed> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let text =
        std::fs::read_to_string(glue).with_context(|| format!("cannot read {}", glue.display()))?;
    let (bytes, text, renamed) = rewrite(&bytes, &text)?;
    std::fs::write(wasm, bytes).with_context(|| format!("cannot write {}", wasm.display()))?;
    std::fs::write(glue, text).with_context(|| format!("cannot write {}", glue.display()))?;
    Ok(renamed)
}

/// The `.wasm` and glue with wasm-bindgen's module, every import from it and every closure's
/// entry point renamed to a short name, and without the exports of wasm-streams' classes; and
/// the names renamed.
pub(crate) fn rewrite(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String, Renamed)> {
    let mut renamed = Renamed::default();
    let (out, modules) = rename(wasm, &mut renamed, false)?;
    let mut glue = glue.to_owned();
    let [module] = &modules[..] else {
        bail!("the .wasm imports from {} of wasm-bindgen's modules, not one", modules.len());
    };
    let (key, short) = (format!("\"{module}\": "), format!("\"{MODULE}\": "));
    ensure!(!glue.contains(&short), "the glue already has an import object keyed `{MODULE}`");
    ensure!(glue.matches(&key).count() == 1, "the glue does not key its imports `{module}` once");
    glue = glue.replace(&key, &short);
    for (old, new) in &renamed.imports {
        ensure!(words(&glue, new).is_empty(), "the glue already uses the name `{new}`");
        let key = format!("{old}: function");
        match words(&glue, old)[..] {
            [at] if glue[at..].starts_with(&key) => glue.replace_range(at..at + old.len(), new),
            _ => bail!("the glue does not hold the import `{old}` once, as a key"),
        }
    }
    // An entry point's name stands in the glue as its own wrapper's and in its calls through
    // the exports (`wasm.…(`): each is replaced.
    for (old, new) in &renamed.entries {
        ensure!(words(&glue, new).is_empty(), "the glue already uses the name `{new}`");
        let spots = words(&glue, old);
        ensure!(
            spots.iter().any(|&at| glue[..at].ends_with("wasm.")),
            "the glue does not call the closure entry point `{old}`"
        );
        for at in spots.into_iter().rev() {
            glue.replace_range(at..at + old.len(), new);
        }
    }
    Ok((out, glue, renamed))
}

/// Another `.wasm` for the same glue (a partial widget's, already named as the first one's by
/// `parts.rs`) renamed as [`rewrite`] renamed the first: `renamed` is what it returned. An import
/// or entry point it did not rename fails.
pub(crate) fn rewrite_like(wasm: &[u8], renamed: &Renamed) -> Result<Vec<u8>> {
    Ok(rename(wasm, &mut renamed.clone(), true)?.0)
}

/// `wasm` with wasm-bindgen's module, its imports from it and its closures' entry points
/// renamed, and without wasm-streams' exports: with `known`, as `renamed` says; else to new
/// short names, pushed on `renamed`. Also the names wasm-bindgen's module had (one, for its
/// glue).
fn rename(wasm: &[u8], renamed: &mut Renamed, known: bool) -> Result<(Vec<u8>, Vec<String>)> {
    let mut rewritten = Vec::new();
    let mut modules = Vec::new();
    for (id, body) in sections(wasm)? {
        let body = match id {
            2 => imports(body, &mut renamed.imports, known, &mut modules)?,
            7 => exports(body, &mut renamed.entries, known)?,
            _ => body.to_vec(),
        };
        rewritten.push((id, body));
    }
    Ok((module(&rewritten), modules))
}

/// A module's sections, in order: (id, body).
pub(crate) fn sections(wasm: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    ensure!(wasm.get(..8) == Some(b"\0asm\x01\0\0\0".as_slice()), "not a wasm module");
    let mut sections = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, body_at) = leb(wasm, at + 1)?;
        let body =
            wasm.get(body_at..body_at + size as usize).context("a section runs past the end")?;
        sections.push((id, body));
        at = body_at + size as usize;
    }
    Ok(sections)
}

/// A module of `sections`, in order: (id, body).
pub(crate) fn module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    for (id, body) in sections {
        out.push(*id);
        push_leb(&mut out, body.len() as u64);
        out.extend_from_slice(body);
    }
    out
}

/// Whether `module` is the one wasm-bindgen's glue gives the `.wasm` its functions from.
fn is_bindgen_module(module: &str) -> bool {
    module.starts_with("./") && module.ends_with("_bg.js")
}

/// The import section with wasm-bindgen's module named `k` (`modules` gets each name it had)
/// and the names of the imports from it replaced, as [`shorten`] does.
fn imports(
    body: &[u8],
    renamed: &mut Vec<(String, String)>,
    known: bool,
    modules: &mut Vec<String>,
) -> Result<Vec<u8>> {
    map_imports(body, |module, field| {
        if !is_bindgen_module(module) {
            return Ok((module.to_owned(), field.to_owned()));
        }
        if !modules.iter().any(|seen| seen == module) {
            modules.push(module.to_owned());
        }
        Ok((MODULE.to_owned(), shorten(renamed, field, known, b'$')?))
    })
}

/// The export section without wasm-streams' exports, and with the closures' entry points
/// renamed as [`shorten`] does.
fn exports(body: &[u8], renamed: &mut Vec<(String, String)>, known: bool) -> Result<Vec<u8>> {
    map_exports(body, |field| {
        if field.contains(UNUSED_EXPORTS) {
            return Ok(None);
        }
        if !field.starts_with(crate::parts::INVOKE) {
            return Ok(Some(field.to_owned()));
        }
        Ok(Some(shorten(renamed, field, known, b'_')?))
    })
}

/// The short name of `field`: with `known`, the one `renamed` gives it (or an error); else a
/// new one starting with `sigil`, pushed on `renamed`.
fn shorten(
    renamed: &mut Vec<(String, String)>,
    field: &str,
    known: bool,
    sigil: u8,
) -> Result<String> {
    if known {
        let (_, short) = renamed
            .iter()
            .find(|(old, _)| old == field)
            .with_context(|| format!("`{field}` is not one the glue was renamed for"))?;
        return Ok(short.clone());
    }
    let short = short_name(renamed.len(), sigil);
    renamed.push((field.to_owned(), short.clone()));
    Ok(short)
}

/// An import section with each import's module and field names as `names` answers for them
/// (given the old ones).
pub(crate) fn map_imports(
    body: &[u8],
    mut names: impl FnMut(&str, &str) -> Result<(String, String)>,
) -> Result<Vec<u8>> {
    let (count, mut at) = leb(body, 0)?;
    let mut out = Vec::with_capacity(body.len());
    push_leb(&mut out, count);
    for _ in 0..count {
        let (module, next) = name(body, at)?;
        let (old, next) = name(body, next)?;
        let kind = *body.get(next).context("an import has no kind")?;
        let end = description_end(body, kind, next + 1)?;
        let (module, field) = names(module, old)?;
        for text in [module, field] {
            push_leb(&mut out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(&body[next..end]);
        at = end;
    }
    ensure!(at == body.len(), "the import section has bytes after its imports");
    Ok(out)
}

/// An export section with each export named as `field` answers for it, or left out (`None`).
pub(crate) fn map_exports(
    body: &[u8],
    mut field: impl FnMut(&str) -> Result<Option<String>>,
) -> Result<Vec<u8>> {
    let (count, mut at) = leb(body, 0)?;
    let mut kept = Vec::new();
    let mut left = 0;
    for _ in 0..count {
        let (old, next) = name(body, at)?;
        // A kind byte and an index.
        let end = leb(body, next + 1)?.1;
        if let Some(new) = field(old)? {
            push_leb(&mut kept, new.len() as u64);
            kept.extend_from_slice(new.as_bytes());
            kept.extend_from_slice(&body[next..end]);
            left += 1;
        }
        at = end;
    }
    ensure!(at == body.len(), "the export section has bytes after its exports");
    let mut out = Vec::with_capacity(kept.len() + 5);
    push_leb(&mut out, left);
    out.extend_from_slice(&kept);
    Ok(out)
}

/// Where an import's description (after its kind byte at `at - 1`) ends.
pub(crate) fn description_end(body: &[u8], kind: u8, at: usize) -> Result<usize> {
    let byte = |at: usize| body.get(at).copied().context("an import runs past the end");
    // Limits: a flags byte (bit 0: a maximum follows), the minimum, maybe the maximum.
    let limits = |at: usize| -> Result<usize> {
        let flags = byte(at)?;
        let (_, at) = leb(body, at + 1)?;
        Ok(if flags & 1 == 1 { leb(body, at)?.1 } else { at })
    };
    match kind {
        // A function: its type index.
        0 => Ok(leb(body, at)?.1),
        // A table: its element type, then limits.
        1 => limits(at + 1),
        // A memory: limits.
        2 => limits(at),
        // A global: its value type and mutability.
        3 => {
            byte(at + 1)?;
            Ok(at + 2)
        }
        // A tag: an attribute byte and a type index.
        4 => Ok(leb(body, at + 1)?.1),
        _ => bail!("an import of unknown kind {kind}"),
    }
}

/// A name at `at`: its length, then UTF-8.
pub(crate) fn name(body: &[u8], at: usize) -> Result<(&str, usize)> {
    let (len, at) = leb(body, at)?;
    let bytes = body.get(at..at + len as usize).context("a name runs past the end")?;
    Ok((std::str::from_utf8(bytes).context("a name is not UTF-8")?, at + len as usize))
}

/// An unsigned LEB128 number at `at`, and where it ends.
pub(crate) fn leb(bytes: &[u8], mut at: usize) -> Result<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at).context("a number runs past the end")?;
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
    }
    bail!("a number is too long")
}

pub(crate) fn push_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// With `sigil` `$`: `$a`, `$b`, … `$Z`, `$aa`, `$ab`, …: short, and valid as JavaScript keys
/// and names (with `_` too).
fn short_name(mut index: usize, sigil: u8) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = Vec::new();
    loop {
        name.push(LETTERS[index % LETTERS.len()]);
        index /= LETTERS.len();
        if index == 0 {
            break;
        }
        index -= 1;
    }
    name.push(sigil);
    name.reverse();
    String::from_utf8_lossy(&name).into_owned()
}

/// Where `word` stands alone in `text` (not inside a longer identifier).
fn words(text: &str, word: &str) -> Vec<usize> {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(part) && !after.is_some_and(part)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closure entry point the test module exports.
    const ENTRY: &str = "wasm_bindgen__convert__closures_____invoke__h0123456789abcdef";

    /// A module with a type section, then imports: two wasm-bindgen functions and a cast, a
    /// memory with a maximum, a table and a global kept as they are; and exports, one of them a
    /// closure's entry point.
    fn module() -> Vec<u8> {
        let mut imports = vec![6];
        let mut import = |module: &str, field: &str, description: &[u8]| {
            for text in [module, field] {
                push_leb(&mut imports, text.len() as u64);
                imports.extend_from_slice(text.as_bytes());
            }
            imports.extend_from_slice(description);
        };
        import("./x_bg.js", "__wbg_setAttribute_f75317b2b5cabfb4", &[0, 0]);
        import("./x_bg.js", "__wbg___wbindgen_throw_0123456789abcdef", &[0, 0]);
        import("./x_bg.js", "__wbindgen_generic_0000000000000001", &[0, 0]);
        import("env", "memory", &[2, 1, 17, 0x80, 0x80, 0x04]);
        import("env", "table", &[1, 0x6f, 0, 3]);
        import("env", "flag", &[3, 0x7f, 0]);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        wasm.push(2);
        push_leb(&mut wasm, imports.len() as u64);
        wasm.extend_from_slice(&imports);
        let mut exports = vec![4];
        let fields = [("mount", 2), ("intounderlyingsink_write", 3), (ENTRY, 4), ("memory", 0)];
        for (field, index) in fields {
            push_leb(&mut exports, field.len() as u64);
            exports.extend_from_slice(field.as_bytes());
            exports.extend_from_slice(&[if field == "memory" { 2 } else { 0 }, index]);
        }
        wasm.push(7);
        push_leb(&mut wasm, exports.len() as u64);
        wasm.extend_from_slice(&exports);
        wasm
    }

    /// The export names of a module, in order.
    fn exported(wasm: &[u8]) -> Vec<String> {
        let (_, mut at) = leb(wasm, 15).unwrap();
        at += leb(wasm, 15).unwrap().0 as usize;
        assert_eq!(wasm[at], 7, "the export section");
        let (_, body_at) = leb(wasm, at + 1).unwrap();
        let body = &wasm[body_at..];
        let (count, mut at) = leb(body, 0).unwrap();
        let mut names = Vec::new();
        for _ in 0..count {
            let (field, next) = name(body, at).unwrap();
            names.push(field.to_owned());
            at = leb(body, next + 1).unwrap().1;
        }
        names
    }

    const GLUE: &str = "const import0 = {\n    __proto__: null,\n    \
        __wbg___wbindgen_throw_0123456789abcdef: function(a) { throw a; },\n    \
        __wbg_setAttribute_f75317b2b5cabfb4: function(e, n, v) { e.setAttribute(n, v); },\n    \
        __wbindgen_generic_0000000000000001: function(a, b) { return makeClosure(a, b, \
        wasm_bindgen__convert__closures_____invoke__h0123456789abcdef); },\n};\n\
        return { __proto__: null, \"./x_bg.js\": import0 };\n\
        function wasm_bindgen__convert__closures_____invoke__h0123456789abcdef(a) {\n    \
        wasm.wasm_bindgen__convert__closures_____invoke__h0123456789abcdef(a);\n}\n\
        wasm.__wbg_editorhandle_free(0);\n";

    /// The import names of a module, in order, each as (module, field).
    fn names(wasm: &[u8]) -> Vec<(String, String)> {
        // The header (8 bytes) and the type section (6) come first.
        assert_eq!(wasm[14], 2, "the import section");
        let (_, body_at) = leb(wasm, 15).unwrap();
        let mut names = Vec::new();
        let (count, mut at) = leb(&wasm[body_at..], 0).unwrap();
        for _ in 0..count {
            let (module, next) = name(&wasm[body_at..], at).unwrap();
            let (field, next) = name(&wasm[body_at..], next).unwrap();
            names.push((module.to_owned(), field.to_owned()));
            let kind = wasm[body_at + next];
            at = description_end(&wasm[body_at..], kind, next + 1).unwrap();
        }
        names
    }

    #[test]
    fn renames_imports_and_entry_points_in_the_module_and_the_glue_alike_and_drops_stream_exports()
    {
        let (wasm, glue, renamed) = rewrite(&module(), GLUE).unwrap();
        assert_eq!(rewrite_like(&module(), &renamed).unwrap(), wasm, "renamed the same way");
        let mut fewer = renamed.clone();
        fewer.imports.remove(0);
        let err = rewrite_like(&module(), &fewer).unwrap_err().to_string();
        assert!(err.contains("`__wbg_setAttribute_f75317b2b5cabfb4` is not one"), "{err}");
        let mut fewer = renamed;
        fewer.entries.clear();
        let err = rewrite_like(&module(), &fewer).unwrap_err().to_string();
        assert!(err.contains(&format!("`{ENTRY}` is not one")), "{err}");
        let named = |module: &str, field: &str| (module.to_owned(), field.to_owned());
        assert_eq!(
            names(&wasm),
            [
                named("k", "$a"),
                named("k", "$b"),
                named("k", "$c"),
                named("env", "memory"),
                named("env", "table"),
                named("env", "flag")
            ]
        );
        assert!(glue.contains("return { __proto__: null, \"k\": import0 };"), "{glue}");
        assert_eq!(exported(&module()), ["mount", "intounderlyingsink_write", ENTRY, "memory"]);
        assert_eq!(exported(&wasm), ["mount", "_a", "memory"]);
        assert!(glue.contains("    $b: function(a) { throw a; },"), "{glue}");
        assert!(glue.contains("    $a: function(e, n, v) { e.setAttribute(n, v); },"), "{glue}");
        // The cast, and the entry point it names: its wrapper and the call through the exports.
        assert!(
            glue.contains("    $c: function(a, b) { return makeClosure(a, b, _a); },"),
            "{glue}"
        );
        assert!(glue.contains("function _a(a) {\n    wasm._a(a);\n}"), "{glue}");
        assert!(!glue.contains(ENTRY), "{glue}");
        // Other exports keep their names: the glue's calls into the module too.
        assert!(glue.contains("wasm.__wbg_editorhandle_free(0);"));
        assert!(wasm.len() < module().len());
    }

    #[test]
    fn refuses_what_it_cannot_rename_safely() {
        let missing = GLUE.replace("__wbg_setAttribute_f75317b2b5cabfb4: function", "other: 1");
        let err = rewrite(&module(), &missing).unwrap_err().to_string();
        assert!(err.contains("`__wbg_setAttribute_f75317b2b5cabfb4` once"), "{err}");
        let unkeyed = GLUE.replace("\"./x_bg.js\": import0", "other: import0");
        let err = rewrite(&module(), &unkeyed).unwrap_err().to_string();
        assert!(err.contains("does not key its imports `./x_bg.js` once"), "{err}");
        let keyed = GLUE.replace("__proto__: null, ", "__proto__: null, \"k\": {}, ");
        let err = rewrite(&module(), &keyed).unwrap_err().to_string();
        assert!(err.contains("already has an import object keyed `k`"), "{err}");
        let taken = format!("{GLUE}const $a = 1;\n");
        let err = rewrite(&module(), &taken).unwrap_err().to_string();
        assert!(err.contains("already uses the name `$a`"), "{err}");
        let taken = format!("{GLUE}const _a = 1;\n");
        let err = rewrite(&module(), &taken).unwrap_err().to_string();
        assert!(err.contains("already uses the name `_a`"), "{err}");
        let uncalled = GLUE.replace(&format!("wasm.{ENTRY}"), "other");
        let err = rewrite(&module(), &uncalled).unwrap_err().to_string();
        assert!(err.contains(&format!("does not call the closure entry point `{ENTRY}`")), "{err}");
        let mut unknown = module();
        // The global's kind byte: the import section ends with `3, 0x7f, 0`.
        let at = unknown.windows(3).rposition(|w| w == [3, 0x7f, 0]).unwrap();
        unknown[at] = 9;
        assert!(rewrite(&unknown, GLUE).unwrap_err().to_string().contains("unknown kind 9"));
        assert!(rewrite(b"\0asm\x02\0\0\0", GLUE).is_err());
    }

    #[test]
    fn short_names_are_distinct_and_grow_slowly() {
        // One letter for the first 52 imports, two for the next 2,704.
        let names: Vec<String> = (0..2756).map(|index| short_name(index, b'$')).collect();
        assert_eq!(&names[..3], ["$a", "$b", "$c"]);
        assert_eq!(names[52], "$aa");
        let distinct: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names.iter().all(|name| name.len() <= 3));
        assert_eq!(short_name(53, b'_'), "_ab");
    }

    #[test]
    fn numbers_round_trip() {
        for value in [0, 1, 127, 128, 624_485, u64::from(u32::MAX)] {
            let mut bytes = Vec::new();
            push_leb(&mut bytes, value);
            assert_eq!(leb(&bytes, 0).unwrap(), (value, bytes.len()));
        }
    }
}
