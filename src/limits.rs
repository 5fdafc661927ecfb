//! Bounds on the work any input file can cause. The YAML and HCL parsers recurse once per level of
//! nesting (a stack overflow aborts the process) and some of their later passes are quadratic in
//! depth (a 200 KB deeply nested config took 43 s), while no real config or schema nests more
//! than a few dozen levels. So size and nesting are checked by a linear scan before parsing.

use crate::error::SourceError;

/// The largest config or schema file read (bytes).
pub const MAX_FILE_BYTES: usize = 16 << 20;
/// The deepest nesting of brackets (and, in YAML, of indentation) accepted.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Hcl,
}

/// Refuse a file over [`MAX_FILE_BYTES`] or nested deeper than [`MAX_DEPTH`], with the place.
pub fn check(file: &str, src: &str, syntax: Syntax) -> Result<(), SourceError> {
    let at = |offset: usize, msg: String| {
        let (line, col) = crate::source::sql::line_col(src, offset);
        SourceError { declared_at: false, file: file.to_string(), line, col, msg, snippet: src.lines().nth(line - 1).map(|l| l.chars().take(120).collect()), hint: None }
    };
    if src.len() > MAX_FILE_BYTES {
        return Err(at(0, format!("the file is {} bytes; files over {} MiB are not read", src.len(), MAX_FILE_BYTES >> 20)));
    }
    let b = src.as_bytes();
    let mut depth = 0usize;
    // Stack of what is open: brackets, and (HCL) strings whose `${` templates nest.
    let mut indents: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    let mut in_string: Option<u8> = None;
    let mut template_depth: Vec<usize> = Vec::new();
    while i < b.len() {
        let c = b[i];
        if line_start && syntax == Syntax::Yaml && in_string.is_none() && depth == 0 {
            // Block nesting: the number of deeper indentation levels open on this line.
            let ind = b[i..].iter().take_while(|&&x| x == b' ').count();
            let rest = &b[i + ind..];
            if !rest.is_empty() && rest[0] != b'\n' && rest[0] != b'#' {
                while indents.last().is_some_and(|&l| l >= ind) {
                    indents.pop();
                }
                indents.push(ind);
                // `- - - x` opens a level per dash.
                let dashes = rest.chunks(2).take_while(|p| p.first() == Some(&b'-') && p.get(1) == Some(&b' ')).count();
                if indents.len() + dashes > MAX_DEPTH {
                    return Err(at(i, format!("nested deeper than {MAX_DEPTH} levels")));
                }
            }
        }
        line_start = c == b'\n';
        match in_string {
            Some(q) => {
                if c == b'\\' && (q == b'"') {
                    i += 2;
                    continue;
                }
                if syntax == Syntax::Hcl && c == b'$' && b.get(i + 1) == Some(&b'{') {
                    template_depth.push(depth);
                    in_string = None;
                    depth += 1;
                    i += 2;
                    if depth > MAX_DEPTH {
                        return Err(at(i, format!("nested deeper than {MAX_DEPTH} levels")));
                    }
                    continue;
                }
                if c == q {
                    in_string = None;
                }
            }
            None => match c {
                b'"' => in_string = Some(b'"'),
                // A YAML quote opens a string only where a scalar starts (`don't` is plain text).
                b'\'' if syntax == Syntax::Yaml && (i == 0 || matches!(b[i - 1], b' ' | b'\n' | b'[' | b'{' | b',' | b':' | b'-')) => in_string = Some(b'\''),
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'[' | b'{' | b'(' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(at(i, format!("nested deeper than {MAX_DEPTH} levels")));
                    }
                }
                b']' | b'}' | b')' => {
                    depth = depth.saturating_sub(1);
                    if c == b'}' && template_depth.last() == Some(&depth) {
                        template_depth.pop();
                        in_string = Some(b'"');
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_with_its_place() {
        let flow = format!("a: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let e = check("c.yml", &flow, Syntax::Yaml).unwrap_err();
        assert_eq!((e.line, e.col), (1, 68), "{e}");
        let mut block = String::new();
        for d in 0..200 {
            block.push_str(&format!("{}k{d}:\n", "  ".repeat(d)));
        }
        assert!(check("c.yml", &block, Syntax::Yaml).is_err());
        let hcl = format!("x = {}1{}\n", "[".repeat(1000), "]".repeat(1000));
        assert!(check("s.hcl", &hcl, Syntax::Hcl).is_err());
        let tmpl = format!("x = \"{}\"\n", "${\"".repeat(100) + &"\"}".repeat(100));
        assert!(check("s.hcl", &tmpl, Syntax::Hcl).is_err());
        // Brackets inside strings and comments do not count; ordinary files pass.
        assert!(check("s.hcl", &format!("x = \"{}\" # {}\n", "[".repeat(500), "(".repeat(500)), Syntax::Hcl).is_ok());
        assert!(check("c.yml", "dirs:\n  a:\n    tags: [db, '[[[[']\n", Syntax::Yaml).is_ok());
    }
}
