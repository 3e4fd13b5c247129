// A tiny static server for the demo: serves wasm/demo/ and wasm/pkg/ (so the page's
// `../pkg/web/evmatch.js` resolves) with the right MIME types, `application/wasm` included, so
// `WebAssembly.instantiateStreaming` works. No dependencies; localhost only.
//
//   node wasm/demo/server.mjs [--port 8080]      then open http://127.0.0.1:8080/demo/
//
// Also a module: `startServer({ port: 0 })` resolves to { url, port, close() } (port 0: a free one).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url)); // wasm/
const SERVED = ["demo", "pkg"];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}

async function handle(req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
  } catch {
    return send(res, 400, "bad request\n");
  }
  if (path === "/" || path === "/demo") return send(res, 302, "", { location: "/demo/" });
  const relative = normalize(path).replace(/^[/\\]+/, "");
  if (path.includes("\0") || !SERVED.includes(relative.split(/[/\\]/)[0])) return send(res, 404, "not found\n");
  let file = join(ROOT, relative);
  if (!file.startsWith(ROOT) || file.split(sep).includes("..")) return send(res, 404, "not found\n");
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    if (!path.endsWith("/")) return send(res, 301, "", { location: `${path}/` });
    file = join(file, "index.html");
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return send(res, 404, "not found\n");
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file).on("error", () => res.destroy()).pipe(res);
}

export function startServer({ port = 0, host = "127.0.0.1" } = {}) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, `${error}\n`);
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({
        port: actual,
        url: `http://${host}:${actual}/`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy(); // keep-alive connections
          }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  const { url } = await startServer({ port });
  console.log(`evmatch demo: ${url}demo/  (serving ${ROOT}demo and ${ROOT}pkg; Ctrl-C to stop)`);
}
