//! Terrateam's tag query language: bare tags, `and`, `or`, juxtaposition (= and), `not`, parens,
//! quoted strings, `X in dir`. `and` binds tighter than `or`; an empty query matches everything.
//! A bare tag is exact membership in the target's tag set (`dir:db/app`, `prod`, `branch:x`);
//! `X in dir` matches when a path component of the dir is X.


#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    All,
    Tag(String),
    InDir(String),
    Not(Box<Query>),
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tag query, column {col}: {msg}")]
pub struct ParseError {
    /// 1-based character column in the query.
    pub col: usize,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    And,
    Or,
    Not,
    In,
    LParen,
    RParen,
}

fn lex(s: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push((Tok::LParen, col));
                i += 1
            }
            ')' => {
                out.push((Tok::RParen, col));
                i += 1
            }
            '\'' | '"' => {
                let mut v = String::new();
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            v.push(chars[i + 1]);
                            i += 2;
                        }
                        q if q == c => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        o => {
                            v.push(o);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(ParseError { col, msg: format!("unterminated {c} string") });
                }
                out.push((Tok::Quoted(v), col));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '\t' | '\n' | '\r' | '(' | ')' | '\'' | '"') {
                    i += 1;
                }
                let w: String = chars[start..i].iter().collect();
                let t = match w.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    _ => Tok::Word(w),
                };
                out.push((t, col));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map(|t| t.1).unwrap_or(self.end)
    }
    fn or(&mut self) -> Result<Query, ParseError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            let right = self.and()?;
            left = Query::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Query, ParseError> {
        let mut left = self.unary()?;
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.pos += 1;
                    let right = self.unary()?;
                    left = Query::And(Box::new(left), Box::new(right));
                }
                // Juxtaposition is `and`.
                Some(Tok::Word(_)) | Some(Tok::Quoted(_)) | Some(Tok::Not) | Some(Tok::LParen) => {
                    let right = self.unary()?;
                    left = Query::And(Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }
    fn unary(&mut self) -> Result<Query, ParseError> {
        let col = self.col();
        match self.peek().cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Query::Not(Box::new(self.unary()?)))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let q = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(ParseError { col: self.col(), msg: format!("expected `)` to close the `(` at column {col}") });
                }
                self.pos += 1;
                Ok(q)
            }
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => {
                self.pos += 1;
                if self.peek() == Some(&Tok::In) {
                    self.pos += 1;
                    match self.peek() {
                        Some(Tok::Word(d)) if d == "dir" => {
                            self.pos += 1;
                            Ok(Query::InDir(w))
                        }
                        _ => Err(ParseError { col: self.col(), msg: "expected `dir` after `in` (only `X in dir` is supported)".into() }),
                    }
                } else {
                    Ok(Query::Tag(w))
                }
            }
            Some(t) => Err(ParseError { col, msg: format!("unexpected {}", describe(&t)) }),
            None => Err(ParseError { col, msg: "the query ends where a tag was expected".into() }),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::And => "`and`".into(),
        Tok::Or => "`or`".into(),
        Tok::Not => "`not`".into(),
        Tok::In => "`in`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Word(w) | Tok::Quoted(w) => format!("`{w}`"),
    }
}

pub fn parse(s: &str) -> Result<Query, ParseError> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Ok(Query::All);
    }
    let mut p = Parser { toks, pos: 0, end: s.chars().count() + 1 };
    let q = p.or()?;
    if p.pos < p.toks.len() {
        return Err(ParseError { col: p.col(), msg: format!("unexpected {} after a complete query", describe(&p.toks[p.pos].0)) });
    }
    Ok(q)
}

impl Query {
    /// Does a target with these tags, in this directory, match?
    pub fn matches(&self, tags: &[String], dir: &str) -> bool {
        match self {
            Query::All => true,
            Query::Tag(t) => tags.iter().any(|x| x == t),
            Query::InDir(d) => dir.split('/').any(|c| c == d),
            Query::Not(q) => !q.matches(tags, dir),
            Query::And(a, b) => a.matches(tags, dir) && b.matches(tags, dir),
            Query::Or(a, b) => a.matches(tags, dir) || b.matches(tags, dir),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_and_juxtaposition() {
        let q = parse("a or b and c").unwrap();
        assert_eq!(q, Query::Or(Box::new(Query::Tag("a".into())), Box::new(Query::And(Box::new(Query::Tag("b".into())), Box::new(Query::Tag("c".into()))))));
        assert_eq!(parse("a b").unwrap(), parse("a and b").unwrap());
        assert!(parse("(web or api) and not deprecated").unwrap().matches(&t(&["api"]), "x"));
        assert!(!parse("(web or api) and not deprecated").unwrap().matches(&t(&["api", "deprecated"]), "x"));
        assert!(parse("").unwrap().matches(&[], ""));
        assert!(parse("AND").is_err());
    }

    #[test]
    fn in_dir_and_quotes() {
        let q = parse("app in dir").unwrap();
        assert!(q.matches(&[], "db/app"));
        assert!(!q.matches(&[], "db/application"));
        assert!(parse("'dir:db/app'").unwrap().matches(&t(&["dir:db/app"]), "db/app"));
        assert!(parse("dir:db/app").unwrap().matches(&t(&["dir:db/app"]), "db/app"));
        let e = parse("x in tags").unwrap_err();
        assert_eq!(e.col, 6);
        let e = parse("(a or b").unwrap_err();
        assert!(e.msg.contains("`)`"), "{e}");
        assert!(parse("'open").is_err());
    }

    /// Property: any sequence of the grammar's pieces parses or errors with a column inside the
    /// input — never a panic — and a parsed query evaluates.
    #[test]
    fn random_queries_never_panic() {
        use rand::{Rng, SeedableRng};
        let pieces = ["a", "b", "dir:x/y", "and", "or", "not", "in", "dir", "(", ")", "'q q'", "\"", "'", " ", "\t", "é", "AND", "x in dir"];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let n = rng.gen_range(0..12);
            let q: String = (0..n).map(|_| pieces[rng.gen_range(0..pieces.len())]).collect::<Vec<_>>().join(if rng.gen_bool(0.5) { " " } else { "" });
            match parse(&q) {
                Ok(p) => {
                    let _ = p.matches(&["a".to_string()], "x/y");
                }
                Err(e) => assert!(e.col >= 1 && e.col <= q.chars().count() + 1, "{q:?}: {e}"),
            }
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["(((", ")))", "not", "not not a", "in", "a in", "a in dir dir", "\"", "a (b) or", "or or", "(", "()", "a\tb\nc", "é in dir"] {
            let _ = parse(s);
        }
    }
}
