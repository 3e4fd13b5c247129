// The two builds in wasm/pkg/ (run scripts/build-wasm.sh first): `node`, imported as the package
// `evmatch` (so the package.json `exports` map is what resolves it, as for a user), and `web`, the
// ES module build, initialised synchronously from its .wasm bytes.
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

const wasmDir = new URL("../", import.meta.url);
export const pkgDir = new URL("pkg/", wasmDir);

/** Makes `evmatch` resolvable from wasm/ by linking wasm/node_modules/evmatch to wasm/pkg. */
export function linkPackage() {
  if (!existsSync(new URL("package.json", pkgDir))) {
    throw new Error("wasm/pkg/ is not built: run ./scripts/build-wasm.sh");
  }
  const link = new URL("node_modules/evmatch", wasmDir);
  try {
    lstatSync(link);
  } catch {
    mkdirSync(new URL("node_modules/", wasmDir), { recursive: true });
    symlinkSync("../pkg", fileURLToPath(link), "dir");
  }
}

export async function loadBuilds() {
  linkPackage();
  const node = await import("evmatch");
  const web = await import(new URL("web/evmatch.js", pkgDir));
  web.initSync({ module: readFileSync(new URL("web/evmatch_bg.wasm", pkgDir)) });
  return { node, web };
}
