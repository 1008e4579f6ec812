//! The widget's partial `.wasm`s (each built with a part of its `extras` or none: the lean,
//! rows and confirm builds) made to run on the whole one's wasm-bindgen glue, the one `kform.js`
//! holds, so a page downloads one glue for all.
//!
//! wasm-bindgen writes each build its own glue, but a partial build's and the whole one's
//! differ only in names:
//!
//! - The partial `.wasm` imports a subset of the whole one's JavaScript functions. The `__wbg…`
//!   names end in a hash of what they import, the same in both builds. The casts
//!   (`__wbindgen_generic_0000000000000003`) are numbered in each build's order: a partial cast is
//!   the whole one's with the same description (the comment wasm-bindgen writes above it,
//!   without its `shim_idx`, an index private to each build).
//! - A closure's entry point (`wasm_bindgen__convert__closures_____invoke__h…`, which the glue
//!   calls through the exports) ends in a symbol hash that differs between the builds, since
//!   the crate's features are part of it: a partial one takes the name of the whole one its cast
//!   calls.
//!
//! Every renamed import must have the whole one's function type, every export the glue calls at
//! start must be there, and every closure entry point the glue may call for the partial one's
//! imports must be exported by it; otherwise the build fails rather than ship a `.wasm` that
//! cannot start.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail, ensure};

use crate::bindgen::{description_end, leb, map_exports, map_imports, module, name, sections};

/// What a closure's entry point is named, before its hash.
pub(crate) const INVOKE: &str = "wasm_bindgen__convert__closures_____invoke__h";

/// What the casts' import names start with.
const CAST: &str = "__wbindgen_generic_";

/// The partial `.wasm` with its imports and closure entry points named as the whole one's, so it
/// runs on `whole_glue`. All four are wasm-bindgen's output, before any other rewriting.
pub(crate) fn rename_like(
    part: &[u8],
    part_glue: &str,
    whole: &[u8],
    whole_glue: &str,
) -> Result<Vec<u8>> {
    let whole_imports = imports(whole)?;
    let whole_types: BTreeMap<&str, &[u8]> =
        whole_imports.iter().map(|import| (import.field.as_str(), import.ty.as_slice())).collect();
    let mut import_names = BTreeMap::new();
    let mut invokes = BTreeMap::new();
    for import in imports(part)? {
        let target = if import.field.starts_with(CAST) {
            let (target, pairs) = cast_like(&import, part_glue, &whole_imports, whole_glue)?;
            for (part_invoke, whole_invoke) in pairs {
                let known = invokes.insert(part_invoke.clone(), whole_invoke.clone());
                ensure!(
                    known.is_none_or(|known| known == whole_invoke),
                    "the partial closure {part_invoke} stands for two of the whole .wasm's"
                );
            }
            target
        } else {
            import.field.clone()
        };
        let ty = whole_types.get(target.as_str()).with_context(|| {
            format!("the partial .wasm imports {}, which the whole one does not", import.field)
        })?;
        ensure!(
            *ty == import.ty.as_slice(),
            "the partial .wasm imports {} with another type than the whole one's {target}",
            import.field
        );
        import_names.insert(import.field, target);
    }
    let renamed = rewrite(part, &import_names, &invokes)?;
    check_exports(&renamed, whole, &import_names, whole_glue)?;
    Ok(renamed)
}

/// A function import: its field name and the bytes of its function type.
struct Import {
    field: String,
    ty: Vec<u8>,
}

/// The function imports of a module, in order.
fn imports(wasm: &[u8]) -> Result<Vec<Import>> {
    let sections = sections(wasm)?;
    let types = match sections.iter().find(|(id, _)| *id == 1) {
        Some((_, body)) => function_types(body)?,
        None => Vec::new(),
    };
    let Some((_, body)) = sections.iter().find(|(id, _)| *id == 2) else { return Ok(Vec::new()) };
    let (count, mut at) = leb(body, 0)?;
    let mut found = Vec::new();
    for _ in 0..count {
        let (_, next) = name(body, at)?;
        let (field, next) = name(body, next)?;
        let kind = *body.get(next).context("an import has no kind")?;
        if kind == 0 {
            let (index, _) = leb(body, next + 1)?;
            let ty =
                types.get(index as usize).context("an import names a type that is not there")?;
            found.push(Import { field: field.to_owned(), ty: ty.clone() });
        }
        at = description_end(body, kind, next + 1)?;
    }
    Ok(found)
}

/// The type section's function types, each as its bytes.
fn function_types(body: &[u8]) -> Result<Vec<Vec<u8>>> {
    let (count, mut at) = leb(body, 0)?;
    let mut types = Vec::new();
    for _ in 0..count {
        let start = at;
        ensure!(body.get(at) == Some(&0x60), "a type that is not a function type");
        at += 1;
        for _ in 0..2 {
            let (len, next) = leb(body, at)?;
            at = next;
            for _ in 0..len {
                let byte = *body.get(at).context("a type runs past the end")?;
                // i32, i64, f32, f64, v128, funcref, externref: one byte each.
                ensure!(
                    matches!(byte, 0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x70 | 0x6f),
                    "a value type this build does not know: {byte:#x}"
                );
                at += 1;
            }
        }
        types.push(body[start..at].to_vec());
    }
    Ok(types)
}

/// The whole glue's cast for the partial `import` (a cast): its name, and each partial closure
/// entry point its code calls with the whole one's it stands for.
fn cast_like(
    import: &Import,
    part_glue: &str,
    whole_imports: &[Import],
    whole_glue: &str,
) -> Result<(String, Vec<(String, String)>)> {
    let (description, code) = entry(part_glue, &import.field)?;
    for candidate in whole_imports.iter().filter(|whole| whole.field.starts_with(CAST)) {
        let (whole_description, whole_code) = entry(whole_glue, &candidate.field)?;
        if whole_description != description || candidate.ty != import.ty {
            continue;
        }
        let (part_calls, part_rest) = invokes_in(&code);
        let (whole_calls, whole_rest) = invokes_in(&whole_code);
        ensure!(
            part_rest == whole_rest && part_calls.len() == whole_calls.len(),
            "the casts {} and {} have one description but other code",
            import.field,
            candidate.field
        );
        return Ok((candidate.field.clone(), part_calls.into_iter().zip(whole_calls).collect()));
    }
    bail!("the whole .wasm's glue has no cast like the partial one's {}", import.field)
}

/// An import's entry in a glue's import object: the description wasm-bindgen wrote in its
/// comment (without `shim_idx`) and its code without the comment.
fn entry(glue: &str, field: &str) -> Result<(String, String)> {
    let key = format!("{field}: function(");
    let mut lines = glue.lines().skip_while(|line| !line.trim_start().starts_with(&key));
    let first = lines.next().with_context(|| format!("the glue has no entry {field}"))?;
    let indent = first.len() - first.trim_start().len();
    let end = format!("{}}},", " ".repeat(indent));
    let mut description = String::new();
    let mut code = first.trim_start()[field.len()..].to_owned();
    for line in lines {
        if line == end {
            return Ok((description, code));
        }
        match line.trim().strip_prefix("// ") {
            Some(comment) => description = without_shim_index(comment),
            None => {
                code.push('\n');
                code.push_str(line.trim());
            }
        }
    }
    bail!("the glue's entry {field} does not end")
}

/// `text` without its `shim_idx: N, `.
fn without_shim_index(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("shim_idx: ") {
        out.push_str(before);
        let digits = after.trim_start_matches(|c: char| c.is_ascii_digit());
        rest = digits.strip_prefix(", ").unwrap_or(digits);
    }
    out.push_str(rest);
    out
}

/// The closure entry points `code` names, in order, and the code with each replaced by `@`.
fn invokes_in(code: &str) -> (Vec<String>, String) {
    let mut names = Vec::new();
    let mut rest = code;
    let mut out = String::with_capacity(code.len());
    while let Some(at) = rest.find(INVOKE) {
        out.push_str(&rest[..at]);
        let after = &rest[at + INVOKE.len()..];
        let hash = after.trim_start_matches(|c: char| c.is_ascii_hexdigit());
        names.push(rest[at..rest.len() - hash.len()].to_owned());
        out.push('@');
        rest = hash;
    }
    out.push_str(rest);
    (names, out)
}

/// `wasm` with its imports and exports renamed.
fn rewrite(
    wasm: &[u8],
    import_names: &BTreeMap<String, String>,
    export_names: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let mut rewritten = Vec::new();
    for (id, body) in sections(wasm)? {
        let body = match id {
            2 => rename_imports(body, import_names)?,
            7 => rename_exports(body, export_names)?,
            _ => body.to_vec(),
        };
        rewritten.push((id, body));
    }
    Ok(module(&rewritten))
}

fn rename_imports(body: &[u8], names: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    map_imports(body, |module, field| {
        Ok((module.to_owned(), names.get(field).map_or(field, String::as_str).to_owned()))
    })
}

fn rename_exports(body: &[u8], names: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let mut seen = BTreeSet::new();
    map_exports(body, |field| {
        let field = names.get(field).map_or(field, String::as_str);
        ensure!(seen.insert(field.to_owned()), "two exports would be named {field}");
        Ok(Some(field.to_owned()))
    })
}

/// Fails unless the renamed partial `.wasm` exports what the whole glue may ask of it: every
/// export of the whole one but its closure entry points, and the entry points named by the
/// whole glue's entries for the functions the partial one imports.
fn check_exports(
    part: &[u8],
    whole: &[u8],
    import_names: &BTreeMap<String, String>,
    whole_glue: &str,
) -> Result<()> {
    let part_exports = exports(part)?;
    for export in exports(whole)? {
        ensure!(
            export.starts_with(INVOKE) || part_exports.contains(&export),
            "the partial .wasm does not export {export}"
        );
    }
    for target in import_names.values() {
        let (_, code) = entry(whole_glue, target)?;
        for invoke in invokes_in(&code).0 {
            ensure!(
                part_exports.contains(&invoke),
                "the glue's {target} calls {invoke}, which the partial .wasm does not export"
            );
        }
    }
    Ok(())
}

/// A module's export names.
fn exports(wasm: &[u8]) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let sections = sections(wasm)?;
    let Some((_, body)) = sections.iter().find(|(id, _)| *id == 7) else { return Ok(names) };
    let (count, mut at) = leb(body, 0)?;
    for _ in 0..count {
        let (field, next) = name(body, at)?;
        names.insert(field.to_owned());
        at = leb(body, next + 1)?.1;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindgen::push_leb;

    /// A module of one function type per entry of `types` (its parameters, all i32, or f64
    /// when `f64`), importing `imports` (field, type index) and exporting `exports`.
    fn wasm(types: &[(usize, bool)], imports: &[(&str, u8)], exports: &[&str]) -> Vec<u8> {
        let mut type_section = Vec::new();
        push_leb(&mut type_section, types.len() as u64);
        for &(params, f64) in types {
            type_section.push(0x60);
            push_leb(&mut type_section, params as u64);
            type_section.extend(std::iter::repeat_n(if f64 { 0x7c } else { 0x7f }, params));
            type_section.push(0);
        }
        let mut import_section = Vec::new();
        push_leb(&mut import_section, imports.len() as u64);
        for (field, ty) in imports {
            for text in ["./kform_widget_bg.js", field] {
                push_leb(&mut import_section, text.len() as u64);
                import_section.extend_from_slice(text.as_bytes());
            }
            import_section.extend_from_slice(&[0, *ty]);
        }
        let mut export_section = Vec::new();
        push_leb(&mut export_section, exports.len() as u64);
        for (index, field) in exports.iter().enumerate() {
            push_leb(&mut export_section, field.len() as u64);
            export_section.extend_from_slice(field.as_bytes());
            export_section.extend_from_slice(&[0, index as u8]);
        }
        module(&[(1, type_section), (2, import_section), (7, export_section)])
    }

    fn cast(n: u8, description: &str, code: &str) -> String {
        format!(
            "            {CAST}000000000000000{n}: function(arg0, arg1) {{\n                // Cast intrinsic for `{description}`.\n                {code}\n            }},\n"
        )
    }

    const EVENT: &str =
        "Closure { arguments: [NamedExternref(\"Event\")], shim_idx: 1, mutable: true }";

    fn whole_glue() -> String {
        [
            "            __wbg_focus_0123: function(arg0) {\n                arg0.focus();\n            },\n".to_owned(),
            cast(1, "F64 -> Externref", "return arg0;"),
            cast(2, &EVENT.replace("shim_idx: 1", "shim_idx: 7"), &format!("return makeMutClosure(arg0, arg1, {INVOKE}aaaa);")),
            cast(3, "I32 -> Externref", "return arg0;"),
        ]
        .concat()
    }

    fn whole() -> Vec<u8> {
        wasm(
            &[(1, true), (2, false), (1, false)],
            &[
                ("__wbg_focus_0123", 2),
                (&format!("{CAST}0000000000000001"), 0),
                (&format!("{CAST}0000000000000002"), 1),
                (&format!("{CAST}0000000000000003"), 2),
            ],
            &["takeOver", &format!("{INVOKE}aaaa"), &format!("{INVOKE}cccc")],
        )
    }

    fn part_glue() -> String {
        [
            cast(1, EVENT, &format!("return makeMutClosure(arg0, arg1, {INVOKE}bbbb);")),
            cast(2, "I32 -> Externref", "return arg0;"),
            "            __wbg_focus_0123: function(arg0) {\n                arg0.focus();\n            },\n".to_owned(),
        ]
        .concat()
    }

    #[test]
    fn casts_and_closures_take_the_whole_ones_names() {
        let part = wasm(
            &[(2, false), (1, false)],
            &[
                (&format!("{CAST}0000000000000001"), 0),
                (&format!("{CAST}0000000000000002"), 1),
                ("__wbg_focus_0123", 1),
            ],
            &["takeOver", &format!("{INVOKE}bbbb")],
        );
        let renamed = rename_like(&part, &part_glue(), &whole(), &whole_glue()).unwrap();
        let names: Vec<String> = imports(&renamed).unwrap().into_iter().map(|i| i.field).collect();
        // The Event closure is the whole one's second cast, i32 → externref its third (the
        // first has the same code, but another description and type).
        assert_eq!(
            names,
            [
                format!("{CAST}0000000000000002"),
                format!("{CAST}0000000000000003"),
                "__wbg_focus_0123".to_owned()
            ]
        );
        let exported = exports(&renamed).unwrap();
        assert!(
            exported.contains(&format!("{INVOKE}aaaa"))
                && !exported.contains(&format!("{INVOKE}bbbb"))
        );
    }

    #[test]
    fn refuses_a_partial_wasm_the_whole_glue_cannot_run() {
        let glue = part_glue();
        let missing = wasm(&[(1, false)], &[("__wbg_blur_4567", 0)], &["takeOver"]);
        let err = rename_like(&missing, &glue, &whole(), &whole_glue()).unwrap_err();
        assert!(
            err.to_string().contains("imports __wbg_blur_4567, which the whole one does not"),
            "{err}"
        );
        let retyped = wasm(&[(2, false)], &[("__wbg_focus_0123", 0)], &["takeOver"]);
        let err = rename_like(&retyped, &glue, &whole(), &whole_glue()).unwrap_err();
        assert!(err.to_string().contains("with another type"), "{err}");
        let unexported = wasm(&[(1, false)], &[("__wbg_focus_0123", 0)], &["start"]);
        let err = rename_like(&unexported, &glue, &whole(), &whole_glue()).unwrap_err();
        assert!(err.to_string().contains("does not export takeOver"), "{err}");
        let closure =
            wasm(&[(2, false)], &[(&format!("{CAST}0000000000000001"), 0)], &["takeOver"]);
        let err = rename_like(&closure, &glue, &whole(), &whole_glue()).unwrap_err();
        assert!(err.to_string().contains(&format!("calls {INVOKE}aaaa")), "{err}");
        let strange = glue.replace("Event", "Other");
        let part = wasm(
            &[(2, false)],
            &[(&format!("{CAST}0000000000000001"), 0)],
            &["takeOver", &format!("{INVOKE}bbbb")],
        );
        let err = rename_like(&part, &strange, &whole(), &whole_glue()).unwrap_err();
        assert!(err.to_string().contains("no cast like the partial one's"), "{err}");
    }

    #[test]
    fn descriptions_lose_only_their_shim_index() {
        assert_eq!(without_shim_index("a { shim_idx: 49, ret: Unit }"), "a { ret: Unit }");
        assert_eq!(without_shim_index("F64 -> Externref"), "F64 -> Externref");
    }
}
