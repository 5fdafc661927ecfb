//! Errors that point at the input: `file:line:col: message` plus a hint. Every user-facing error
//! about a file goes through [`SourceError`].

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub msg: String,
    /// The offending source line, shown under the message.
    pub snippet: Option<String>,
    pub hint: Option<String>,
    /// The position is where something the command line did not give is declared (a required
    /// variable): the message leads, in Atlas's words, and the position follows it.
    pub declared_at: bool,
}

impl SourceError {
    /// The same error reported as input missing at a declaration (see `declared_at`).
    pub fn missing_input(mut self) -> SourceError {
        self.declared_at = true;
        self
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.declared_at {
            write!(f, "{} (declared at {}:{}:{})", self.msg, self.file, self.line, self.col)?;
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.msg)?;
        }
        if let Some(s) = &self.snippet {
            write!(f, "\n  | {}\n  | {}^", s, " ".repeat(self.col.saturating_sub(1)))?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceError {}

/// Maps byte offsets of one file to 1-based line and column (columns count characters).
pub struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { src, starts }
    }

    pub fn pos(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = self.src.get(start..offset).map(|s| s.chars().count()).unwrap_or(0) + 1;
        (line + 1, col)
    }

    /// The source text of a byte range, if it is one.
    pub fn slice(&self, span: std::ops::Range<usize>) -> Option<&'a str> {
        self.src.get(span)
    }

    pub fn line_text(&self, line: usize) -> &'a str {
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let end = self.starts.get(line).map(|e| e - 1).unwrap_or(self.src.len());
        self.src.get(start..end).unwrap_or("").trim_end_matches('\r')
    }
}

/// An error and its causes on one line (`context: cause: cause`), like `{:#}`, but without a
/// cause that only repeats the end of the text before it: sqlx shows a database error as
/// "error returned from database: MSG" and then MSG again as its source.
pub fn chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for part in e.chain().map(|c| c.to_string()) {
        if out.ends_with(part.as_str()) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&part);
    }
    out
}

/// A hint for database errors people meet often, when the message carries none yet.
/// A database's "you may not" (PostgreSQL, MySQL and SQLite spellings).
pub fn is_permission_error(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("permission denied") || m.contains("command denied") || m.contains("access denied") || m.contains("must be superuser") || m.contains("must be owner") || m.contains("not authorized")
}

pub fn db_hint(msg: &str) -> Option<&'static str> {
    if msg.contains("hint:") {
        return None;
    }
    let m = msg.to_ascii_lowercase();
    if m.contains("password authentication failed") || m.contains("access denied for user") {
        Some("check the user and password in the URL (or the secret / IAM token it was built from)")
    } else if m.contains("permission denied") || m.contains("command denied") || m.contains("access denied") {
        Some("the database user lacks a privilege for this: grant it (e.g. CREATE on the schema or database, ownership of the table), or use the user that owns the objects; schemagate also creates its own `schemagate` schema for the revision table (--revisions-schema)")
    } else if (m.contains("algorithm=") || m.contains("lock=none")) && m.contains("is not supported") {
        Some("the target cannot run this change with the online algorithm the plan asks for (the disposable server could): its version or table format differs. Plan against a dev server of the target's version, or apply in a quiet window with SCHEMAGATE_ONLINE=false (the server then picks, possibly a table copy)")
    } else if m.contains("file is not a database") {
        Some("the SQLite URL points at a file that is not a SQLite database")
    } else {
        None
    }
}

#[cfg(test)]
mod chain_tests {
    #[test]
    fn repeated_causes_are_dropped() {
        let e = anyhow::anyhow!("permission denied for schema public").context("error returned from database: permission denied for schema public").context("statement 1 of 2 failed");
        assert_eq!(super::chain(&e), "statement 1 of 2 failed: error returned from database: permission denied for schema public");
    }
}
