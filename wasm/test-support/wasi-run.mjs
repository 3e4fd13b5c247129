// Runs a wasm32-wasip1 program under Node's WASI: the cargo test runner of scripts/test-wasi.sh
// (CARGO_TARGET_WASM32_WASIP1_RUNNER). The whole file system is preopened, so tests find their
// data files; the exit code is the program's.
//
// Only the global `process` is used, never `import ... from "node:process"`: that module's
// namespace reads every property of `process`, `stdout` and `stderr` among them, and opening
// those streams puts the pipes they write to in non-blocking mode. The program's own writes
// (through WASI, to the same pipes) then fail with EAGAIN as soon as the reader (tee, a CI log)
// falls a pipe's buffer behind; libtest reports that with a panic, which aborts on wasm32, so a
// passing test binary died without a message. test-wasi.sh checks that the pipes stay blocking.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
const [, , wasmPath, ...args] = process.argv;
const wasi = new WASI({
    version: "preview1",
    args: [wasmPath, ...args],
    env: process.env,
    preopens: { "/": "/" },
    returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
