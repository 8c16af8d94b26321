// Shared by the browser end-to-end tests and the benchmarks: start the project's static
// server on a free loopback port, and launch Debian's chromium through playwright-core
// (no browser download) for the Chromium-only benchmarks and the cloud test. The tests
// that run in every engine use engines.mjs (W3C WebDriver).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the end-to-end tests save screenshots (git-ignored). */
export const SHOTS = path.join(ROOT, "screenshots");

/**
 * A Markdown document of `count` sections, one chunk each: "## Rider <tag><i>" and a
 * benefit line. Built here and handed to the page, for the tests that need many chunks.
 */
export function riders(count, tag = "") {
  return Array.from({ length: count }, (_, i) => `## Rider ${tag}${i}\nBenefit ${i} pays ${i * 5} dollars.`).join("\n\n");
}

/**
 * Starts pkg-scripts/serve.mjs with the demo's mounts; resolves to {url, close}, where
 * close() resolves once the server has exited. `port` 0 picks a free one; a test that
 * takes the server down (offline) starts it again on the same port, the same origin.
 */
export function startServer(extraMounts = [], { port = 0, root = path.join(ROOT, "www"), log = false } = {}) {
  const args = [
    path.join(ROOT, "pkg-scripts/serve.mjs"), "--port", String(port), ...(log ? ["--log"] : []),
    "--mount", `/pkg=${path.join(ROOT, "pkg")}`,
    "--mount", `/models=${path.join(ROOT, "models")}`,
    ...extraMounts.flatMap((m) => ["--mount", m]),
    root,
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const exited = new Promise((done) => child.on("exit", done));
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/ on (http:\/\/127\.0\.0\.1:\d+\/)/);
      // With `log`, `requests()` lists the request lines so far ("GET /pkg/…").
      if (m) resolve({ url: m[1], close: () => { child.kill(); return exited; }, requests: () => out.split("\n").filter((l) => /^[A-Z]+ \//.test(l)) });
    });
  });
}

/** Launches headless Debian chromium with the flags this sandbox needs. */
export function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROME_BIN || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
      "--no-first-run", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", ...extraArgs,
    ],
  });
}

/** Fails the test on any uncaught page error or console error. */
export function collectPageErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  return errors;
}
