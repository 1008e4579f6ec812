//! Builds the widget bundle into the binary when `KFORM_EMBED_WIDGET` names a folder (set by
//! `cargo xtask dist`); otherwise the binary has no built-in bundle and serves `widget_dir`.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=KFORM_EMBED_WIDGET");
    let mut code = String::from(
        "/// The widget files built into the binary.\nconst EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    if let Some(dir) = std::env::var_os("KFORM_EMBED_WIDGET") {
        let dir = std::fs::canonicalize(PathBuf::from(&dir)).unwrap_or_else(|err| {
            panic!("KFORM_EMBED_WIDGET={}: {err}", PathBuf::from(&dir).display())
        });
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("KFORM_EMBED_WIDGET={}: {err}", dir.display()))
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_file())
            .map(|entry| entry.path())
            .collect();
        names.sort();
        for path in names {
            println!("cargo::rerun-if-changed={}", path.display());
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let _ =
                writeln!(code, "    ({name:?}, include_bytes!({:?})),", path.display().to_string());
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    std::fs::write(out.join("embedded_widget.rs"), code)
        .unwrap_or_else(|err| panic!("cannot write the embedded bundle: {err}"));
}
