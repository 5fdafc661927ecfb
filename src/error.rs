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
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.msg)?;
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

    pub fn line_text(&self, line: usize) -> &'a str {
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let end = self.starts.get(line).map(|e| e - 1).unwrap_or(self.src.len());
        self.src.get(start..end).unwrap_or("").trim_end_matches('\r')
    }
}
