//! `schemagate fmt [PATHS] [--check]`: rewrite HCL files canonically, keeping comments.

use anyhow::Result;
use std::path::{Path, PathBuf};

/// Returns the files that were (or, with `check`, would be) changed.
pub fn run(paths: &[String], check: bool) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let roots: Vec<String> = if paths.is_empty() { vec![".".into()] } else { paths.to_vec() };
    for p in &roots {
        collect(Path::new(p), &mut files)?;
    }
    let mut changed = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f)?;
        let out = crate::source::hcl::fmt::format(&f.display().to_string(), &src)?;
        if out != src {
            if !check {
                std::fs::write(&f, &out)?;
            }
            changed.push(f);
        }
    }
    Ok(changed)
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            let hidden = e.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if e.is_dir() && !hidden && e.file_name().is_some_and(|n| n != "target") {
                collect(&e, out)?;
            } else if e.extension().is_some_and(|x| x == "hcl") {
                out.push(e);
            }
        }
    } else if p.exists() {
        out.push(p.to_path_buf());
    } else {
        anyhow::bail!("{}: no such file or directory", p.display());
    }
    Ok(())
}
