//! Mutation fuzzing of everything that reads user input: the HCL decoder (and, for inputs that
//! decode, the diff → plan → Rego input builder behind it), the SQL splitter, the Terrateam config
//! loader and the tag-query parser. Seeds are `fuzz/seeds/<target>/*` plus the repository's own
//! examples; each execution mutates one (byte flips, inserted syntax tokens, deletions,
//! duplications, truncation, splices with another seed) and feeds it in.
//!
//! A run passes when no input panics, none hangs (each input gets a generous wall-clock bound,
//! a hang detector rather than a performance goal), and every error carries a position (line and
//! column ≥ 1). The default budget keeps `cargo test` quick; `SG_FUZZ_EXECS=N` runs longer.
//! Deterministic: `SG_FUZZ_SEED` picks the random stream, so a failure can be replayed. The same
//! targets exist for libFuzzer under `fuzz/` (cargo fuzz, nightly or RUSTC_BOOTSTRAP=1).

use std::path::PathBuf;
use std::time::{Duration, Instant};

const HANG: Duration = Duration::from_secs(10);

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn execs() -> usize {
    std::env::var("SG_FUZZ_EXECS").ok().and_then(|v| v.parse().ok()).unwrap_or(4000)
}

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(salt: u64) -> Rng {
        let seed = std::env::var("SG_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_f00d_u64);
        Rng((seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that steer mutations into the parsers' interesting corners.
const TOKENS: &[&str] = &[
    "{", "}", "[", "]", "(", ")", "\"", "'", "`", "=", ",", ".", ":", ";", "\n", "\t", " ", "\\", "$", "${", "%{", "#", "//", "/*", "*/", "--", "<<EOF\n", "\nEOF\n", "$$",
    "$tag$", "DELIMITER //\n", "table", "column", "schema", "type", "null", "default", "sql(\"", "enum.", "column.", "table.", "var.", "primary_key", "index", "foreign_key",
    "ref_columns", "partition", "int", "varchar(", "true", "false", "-", "0", "99999999999999999999", "é", "\u{202e}", "\u{0}", "🦀", "and", "or", "not", "in dir", "dir:",
    "- ", ": ", "&a ", "*a", "!!str ", "? ", "|\n", ">-\n", "${DIR}", "${UNSET_SG_FUZZ}", "workflows:", "tag_query:", "type: plan", "hooks:", "when_modified:",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            3 if !b.is_empty() => {
                let end = (at + 1 + rng.below(32)).min(b.len());
                b.drain(at.min(end)..end);
            }
            4 if !b.is_empty() => {
                let start = rng.below(b.len());
                let end = (start + 1 + rng.below(64)).min(b.len());
                let chunk = b[start..end].to_vec();
                b.splice(at..at, chunk);
            }
            5 => b.truncate(at),
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(other.len() + 1);
                b.truncate(at);
                b.extend_from_slice(&other[cut..]);
            }
        }
    }
    b
}

fn seeds(target: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let dir = manifest().join("fuzz/seeds").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files.iter().map(|p| p.to_path_buf()).chain(extra.iter().map(|p| manifest().join(p))) {
        out.push(std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())));
    }
    out
}

/// Run `check` on the seeds and then on `execs()` mutants; `check` returns Err(text) when an
/// input broke a promise (an error without a position). Panics are caught and reported with
/// the input that caused them.
fn fuzz(name: &str, salt: u64, seeds: Vec<Vec<u8>>, check: fn(&str) -> Result<bool, String>) {
    let mut rng = Rng::new(salt);
    let n = execs();
    let (mut ok, mut rejected) = (0usize, 0usize);
    let started = Instant::now();
    let mut pool = seeds.clone();
    for i in 0..seeds.len() + n {
        let input = if i < seeds.len() {
            seeds[i].clone()
        } else {
            let parent = rng.below(pool.len());
            mutate(&mut rng, &seeds, &pool[parent])
        };
        let text = String::from_utf8_lossy(&input).into_owned();
        let t0 = Instant::now();
        let r = std::panic::catch_unwind(|| check(&text));
        let took = t0.elapsed();
        match r {
            Ok(Ok(true)) => {
                ok += 1;
                // Inputs that still parse are the best parents for the next mutations.
                if pool.len() < 256 {
                    pool.push(input);
                }
            }
            Ok(Ok(false)) => rejected += 1,
            Ok(Err(broken)) => panic!("{name}: execution {i}: {broken}\ninput ({} bytes):\n{text:?}", input.len()),
            Err(_) => panic!("{name}: execution {i} panicked on input ({} bytes):\n{text:?}", input.len()),
        }
        assert!(took < HANG, "{name}: execution {i} took {took:?} (a hang?) on input:\n{text:?}");
    }
    println!("fuzz {name}: {} executions ({} seeds + {n} mutants), {ok} accepted, {rejected} rejected with a positioned error, {:.1?}", seeds.len() + n, seeds.len(), started.elapsed());
}

#[test]
fn fuzz_hcl_decoder_and_rego_input_builder() {
    fuzz("hcl", 1, seeds("hcl", &["examples/quickstart/v2/schema.hcl", "examples/two-dirs/db/app/schema.hcl"]), schemagate::fuzzing::hcl);
}

#[test]
fn fuzz_sql_splitter() {
    fuzz("sql", 2, seeds("sql", &[]), schemagate::fuzzing::sql);
}

#[test]
fn fuzz_config_loader() {
    fuzz("config", 3, seeds("config", &[".terrateam/config.yml", "examples/two-dirs/.terrateam/config.yml"]), schemagate::fuzzing::config);
}

#[test]
fn fuzz_tag_query_parser() {
    fuzz("tag_query", 4, seeds("tag_query", &[]), schemagate::fuzzing::tag_query);
}

#[test]
fn fuzz_sql_fragments_agree_with_the_splitter() {
    let seeds = ["now()", "'a;b' || \"c\"", "(x > 0) AND y IN (1, 2)", "$$;$$", "`a` + 1", "1--1", "/*! 1 */", "E'\\'';'", "'it''s'", "x::text"].iter().map(|s| s.as_bytes().to_vec()).collect();
    fuzz("sql_fragment", 5, seeds, schemagate::fuzzing::sql_fragment);
}

#[test]
fn fuzz_url_parser_and_redaction() {
    let seeds = [
        "postgres://u:PWSECRET@h:5432/db?sslmode=require",
        "postgres:/u:PWSECRET@h/db",
        "mysql://root:PWSECRET@127.0.0.1:3306/app?tls=true",
        "postgres://u:p@PWSECRET@h/db",
        "sqlite://file.db",
        "mariadb://a:PWSECRET@[::1]:3306/x",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    fuzz("url", 6, seeds, schemagate::fuzzing::url);
}
