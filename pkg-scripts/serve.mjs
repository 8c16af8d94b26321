#!/usr/bin/env node
// A small static file server for the demo, the browser tests and the benchmarks.
// Binds 127.0.0.1 only; serves GET/HEAD of files under the given roots, nothing else.
//
//   node pkg-scripts/serve.mjs [--port N] [--mount /prefix=dir ...] [ROOT]
//
// ROOT (default www/) is served at "/"; each --mount serves another folder under a
// URL prefix (e.g. --mount /pkg=pkg --mount /models=models). --port 0 picks a free
// port. The first line printed is "serving <ROOT> on <URL>"; with --log, one line per
// request follows ("GET /path"), for tests that check what a page fetched.
import { createServer } from "node:http";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT ?? 8080), mounts: [], root: "www" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--port") opts.port = Number(argv[++i]);
    else if (a === "--log") opts.log = true;
    else if (a === "--mount") {
      const [prefix, dir] = argv[++i].split("=");
      if (!prefix.startsWith("/") || !dir) throw new Error(`bad --mount ${argv[i]}: use /prefix=dir`);
      opts.mounts.push({ prefix: prefix.replace(/\/$/, ""), dir: path.resolve(dir) });
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else opts.root = a;
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error("bad --port");
  // Longest prefix first, so /models/x is not taken by "/".
  opts.mounts.sort((a, b) => b.prefix.length - a.prefix.length);
  opts.mounts.push({ prefix: "", dir: path.resolve(opts.root) });
  return opts;
}

/** Maps a URL path to a file under one of the mounts, refusing anything that escapes it. */
function resolve(mounts, urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath); } catch { return null; }
  if (decoded.includes("\0")) return null;
  for (const { prefix, dir } of mounts) {
    if (prefix && decoded !== prefix && !decoded.startsWith(prefix + "/")) continue;
    const rel = decoded.slice(prefix.length) || "/";
    const file = path.resolve(dir, "." + path.posix.normalize(rel));
    if (file !== dir && !file.startsWith(dir + path.sep)) return null;
    return file;
  }
  return null;
}

const opts = parseArgs(process.argv.slice(2));
const server = createServer(async (req, res) => {
  if (opts.log) console.log(`${req.method} ${req.url}`);
  // The wasm tests run on wasm-bindgen-test-runner's own origin and fetch the model
  // from here, so reads are allowed cross-origin (this server only serves public files).
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Cache-Control", "no-cache");
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return;
  }
  // Parse the path only ("//x" must not be read as a host): a malformed request gets
  // 400, never a crash of the server.
  let url;
  try {
    url = new URL(`http://localhost${req.url.startsWith("/") ? "" : "/"}${req.url}`);
  } catch {
    return void res.writeHead(400).end("bad request");
  }
  let file = resolve(opts.mounts, url.pathname);
  if (!file) return void res.writeHead(403).end("forbidden");
  try {
    let stat = await fs.stat(file);
    if (stat.isDirectory()) {
      file = path.join(file, "index.html");
      stat = await fs.stat(file);
    }
    res.writeHead(200, {
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Content-Length": stat.size,
    });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
  }
});
server.listen(opts.port, "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`serving ${opts.mounts.at(-1).dir} on http://127.0.0.1:${port}/`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
