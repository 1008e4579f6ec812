//! The widget's download size: raw, gzip -9 and brotli (quality 11) per file and in total.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

pub(crate) fn report(dir: &Path, files: &[&str]) -> Result<()> {
    let mut total = [0usize; 3];
    eprintln!("xtask: widget download size (what a browser fetches)");
    eprintln!("xtask:   {:<24} {:>10} {:>10} {:>10}", "file", "raw", "gzip", "brotli");
    for name in files {
        let bytes = std::fs::read(dir.join(name)).with_context(|| format!("cannot read {name}"))?;
        let sizes = [bytes.len(), gzip(&bytes)?, brotli(&bytes)?];
        for (sum, size) in total.iter_mut().zip(sizes) {
            *sum += size;
        }
        eprintln!("xtask:   {name:<24} {:>10} {:>10} {:>10}", sizes[0], sizes[1], sizes[2]);
    }
    eprintln!("xtask:   {:<24} {:>10} {:>10} {:>10}", "total", total[0], total[1], total[2]);
    let json = format!(r#"{{"raw": {}, "gzip": {}, "brotli": {}}}"#, total[0], total[1], total[2]);
    std::fs::write(dir.join("size.json"), json).context("cannot write pkg/size.json")
}

fn gzip(bytes: &[u8]) -> Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn brotli(bytes: &[u8]) -> Result<usize> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 24);
        writer.write_all(bytes)?;
    }
    Ok(out.len())
}
