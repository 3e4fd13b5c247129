// Runs a wasm32-wasip1 program under Node's WASI: the cargo test runner of scripts/test-wasi.sh
// (CARGO_TARGET_WASM32_WASIP1_RUNNER). The whole file system is preopened, so tests find their
// data files; the exit code is the program's.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import { argv, env, exit } from "node:process";
const [, , wasmPath, ...args] = argv;
const wasi = new WASI({ version: "preview1", args: [wasmPath, ...args], env, preopens: { "/": "/" }, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
