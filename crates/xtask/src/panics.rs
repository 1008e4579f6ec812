//! Traps at once in the widget's panic paths: the bodies of the standard library's functions
//! that only panic (`core::panicking::…`, `unwrap_failed`, `slice_error_fail`, …) become a
//! single `unreachable`, before wasm-opt, which then drops the formatting they did and the
//! arguments every caller prepared for it.
//!
//! The widget's bundle has its own panic handler, which traps without reading its message
//! (`crates/kform-widget/src/lib.rs`), so these functions only ever format a message nobody
//! reads and then trap: trapping first changes nothing a page can see. The functions are found
//! by the names in the `.wasm`'s name section; a build that finds none fails, since the names
//! changed or the section is gone, and the bundle would silently grow back.

use anyhow::{Context, Result, bail, ensure};

use crate::bindgen::{description_end, leb, module, name, push_leb, sections};

/// The standard library's crates, as a name starts (`core[c5930c85a12de822]::…`).
const STD_CRATES: [&str; 4] = ["core", "alloc", "std", "__rustc"];

/// The last part of the names of the standard library's functions that do nothing but panic
/// (each is `-> !`), besides everything in `core::panicking`.
const PANICKING: [&str; 15] = [
    "unwrap_failed",
    "expect_failed",
    "slice_error_fail",
    "slice_error_fail_rt",
    "slice_index_fail",
    "slice_start_index_len_fail",
    "slice_end_index_len_fail",
    "slice_index_order_fail",
    "panic_already_borrowed",
    "panic_already_mutably_borrowed",
    "capacity_overflow",
    "handle_alloc_error",
    "assert_failed",
    "__rust_alloc_error_handler",
    "rust_begin_unwind",
];

/// A function body of no locals that traps: `unreachable`, `end`.
const TRAP: [u8; 3] = [0x00, 0x00, 0x0b];

/// `wasm` with every panic path trapping at once, and the names of the functions changed.
pub(crate) fn trap(wasm: &[u8]) -> Result<(Vec<u8>, Vec<String>)> {
    let sections = sections(wasm)?;
    let imported = match sections.iter().find(|(id, _)| *id == 2) {
        Some((_, body)) => imported_functions(body)?,
        None => 0,
    };
    let names = sections
        .iter()
        .find(|(id, body)| *id == 0 && name(body, 0).is_ok_and(|(name, _)| name == "name"))
        .map(|(_, body)| function_names(body))
        .context("the .wasm has no name section to find its panic paths by")??;
    let trapped: Vec<(u64, &str)> = names
        .iter()
        .filter(|(index, name)| *index >= imported && panics(name))
        .map(|(index, name)| (index - imported, name.as_str()))
        .collect();
    ensure!(!trapped.is_empty(), "no panic path found by name in the .wasm");
    let mut rewritten = Vec::new();
    for (id, body) in sections {
        let body = if id == 10 { code(body, &trapped)? } else { body.to_vec() };
        rewritten.push((id, body));
    }
    Ok((module(&rewritten), trapped.into_iter().map(|(_, name)| name.to_owned()).collect()))
}

/// Whether `name` (as the name section holds it: `core[…]::str::slice_error_fail`) is one of
/// the standard library's functions that only panic.
fn panics(name: &str) -> bool {
    // Without the crates' hashes (`[c5930c85a12de822]`) and the symbol's (`::h0123…`).
    let mut plain = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        plain.push_str(&rest[..open]);
        rest = rest[open..].find(']').map_or("", |close| &rest[open + close + 1..]);
    }
    plain.push_str(rest);
    let plain = match plain.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head.to_owned()
        }
        _ => plain,
    };
    let plain = plain.trim_start_matches('<');
    let Some((krate, _)) = plain.split_once("::") else { return false };
    if !STD_CRATES.contains(&krate) {
        return false;
    }
    plain.starts_with("core::panicking::")
        || plain.rsplit("::").next().is_some_and(|last| PANICKING.contains(&last))
}

/// How many functions the import section brings in: the module's own functions are numbered
/// after them.
fn imported_functions(body: &[u8]) -> Result<u64> {
    let (count, mut at) = leb(body, 0)?;
    let mut functions = 0;
    for _ in 0..count {
        let (_, next) = name(body, at)?;
        let (_, next) = name(body, next)?;
        let kind = *body.get(next).context("an import has no kind")?;
        if kind == 0 {
            functions += 1;
        }
        at = description_end(body, kind, next + 1)?;
    }
    Ok(functions)
}

/// The function names of a name section: (function index, name).
fn function_names(body: &[u8]) -> Result<Vec<(u64, String)>> {
    let (_, mut at) = name(body, 0)?;
    while at < body.len() {
        let kind = body[at];
        let (size, start) = leb(body, at + 1)?;
        let end = start + size as usize;
        ensure!(end <= body.len(), "a name subsection runs past the end");
        if kind == 1 {
            let (count, mut at) = leb(body, start)?;
            let mut names = Vec::new();
            for _ in 0..count {
                let (index, next) = leb(body, at)?;
                let (text, next) = name(body, next)?;
                names.push((index, text.to_owned()));
                at = next;
            }
            return Ok(names);
        }
        at = end;
    }
    bail!("the name section names no function")
}

/// The code section with the bodies of `trapped` (indexes among the module's own functions)
/// replaced by [`TRAP`].
fn code(body: &[u8], trapped: &[(u64, &str)]) -> Result<Vec<u8>> {
    let (count, mut at) = leb(body, 0)?;
    let mut out = Vec::with_capacity(body.len());
    push_leb(&mut out, count);
    for index in 0..count {
        let (size, start) = leb(body, at)?;
        let end = start + size as usize;
        let function = body.get(start..end).context("a function runs past the end")?;
        let function =
            if trapped.iter().any(|(trap, _)| *trap == index) { &TRAP[..] } else { function };
        push_leb(&mut out, function.len() as u64);
        out.extend_from_slice(function);
        at = end;
    }
    ensure!(at == body.len(), "the code section has bytes after its functions");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_standard_librarys_panicking_functions_are_panic_paths() {
        for name in [
            "core[c5930c85a12de822]::panicking::panic_fmt",
            "core[c5930c85a12de822]::panicking::panic_bounds_check",
            "core[c5930c85a12de822]::str::slice_error_fail",
            "core[c5930c85a12de822]::option::unwrap_failed",
            "<alloc[3ca501edff3f0c7c]::vec::Vec<_, _>>::remove::assert_failed",
            "alloc[3ca501edff3f0c7c]::raw_vec::capacity_overflow",
            "core::result::unwrap_failed::h0123456789abcdef",
        ] {
            assert!(panics(name), "{name}");
        }
        for name in [
            "kform_core::read::unwrap_failed::h0123456789abcdef",
            "core[c5930c85a12de822]::fmt::write",
            "<char as core[c5930c85a12de822]::fmt::Debug>::fmt",
            "alloc[3ca501edff3f0c7c]::fmt::format",
            "kform_widget::form::Form::render::h37932d0fbcaa0e67",
        ] {
            assert!(!panics(name), "{name}");
        }
    }

    /// A module importing one function and defining two, `kept` and a panic path, with a name
    /// section naming all three.
    fn module() -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        let mut section = |id: u8, body: &[u8]| {
            wasm.push(id);
            push_leb(&mut wasm, body.len() as u64);
            wasm.extend_from_slice(body);
        };
        section(1, &[1, 0x60, 0, 0]);
        let mut imports = vec![1];
        for text in ["env", "f"] {
            imports.push(text.len() as u8);
            imports.extend_from_slice(text.as_bytes());
        }
        imports.extend_from_slice(&[0, 0]);
        section(2, &imports);
        section(3, &[2, 0, 0]);
        // Two bodies: `nop nop end` and `call 0 end`.
        section(10, &[2, 4, 0, 0x01, 0x01, 0x0b, 4, 0, 0x10, 0x00, 0x0b]);
        let mut names = vec![4];
        names.extend_from_slice(b"name");
        let mut functions = vec![3];
        for (index, text) in
            [(0, "f"), (1, "kept"), (2, "core[0123456789abcdef]::option::unwrap_failed")]
        {
            functions.push(index);
            functions.push(text.len() as u8);
            functions.extend_from_slice(text.as_bytes());
        }
        names.push(1);
        push_leb(&mut names, functions.len() as u64);
        names.extend_from_slice(&functions);
        section(0, &names);
        wasm
    }

    #[test]
    fn a_panic_paths_body_becomes_a_trap_and_the_rest_stays() {
        let wasm = module();
        let (out, trapped) = trap(&wasm).unwrap();
        assert_eq!(trapped, ["core[0123456789abcdef]::option::unwrap_failed"]);
        let code: &[u8] = &[10, 10, 2, 4, 0, 0x01, 0x01, 0x0b, 3, 0x00, 0x00, 0x0b];
        assert!(out.windows(code.len()).any(|w| w == code), "{out:?}");
        assert_eq!(out.len(), wasm.len() - 1, "one byte shorter, the rest as it was");
    }

    #[test]
    fn a_wasm_without_names_or_panic_paths_fails_the_build() {
        let wasm = module();
        // The name section comes last: its id and size stand before its name, `\x04name`.
        let at = wasm.windows(5).position(|w| w == b"\x04name").unwrap() - 2;
        assert!(trap(&wasm[..at]).unwrap_err().to_string().contains("no name section"));
        let mut renamed = wasm;
        let at = renamed.windows(13).position(|w| w == b"unwrap_failed").unwrap();
        renamed[at] = b'U';
        assert!(trap(&renamed).unwrap_err().to_string().contains("no panic path"));
    }
}
