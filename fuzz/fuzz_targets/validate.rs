#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| evmatch_fuzz::validate(data));
