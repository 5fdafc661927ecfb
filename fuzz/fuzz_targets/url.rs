#![no_main]
// libFuzzer target: see fuzz/Cargo.toml and src/fuzzing.rs.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = schemagate::fuzzing::url(&String::from_utf8_lossy(data)) {
        panic!("{broken}");
    }
});
