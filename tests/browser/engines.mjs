// The three browser engines members use, driven over W3C WebDriver with selenium-webdriver:
// Chromium (Debian chromium + chromedriver), Firefox (Debian firefox-esr + geckodriver)
// and WebKit (WebKitGTK's MiniBrowser + WebKitWebDriver, under Xvfb). Each engine runs
// with its default profile: no preference answers a prompt for the page.
//
// BENEFIND_BROWSERS picks engines (default "chromium,firefox,webkit"). Every test file
// runs its tests once per engine:
//
//   for (const engine of ENGINES) describe(engine, () => { const env = driverFor(engine); … });
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { before, after } from "node:test";
import { Builder, Key, until } from "selenium-webdriver";
import LogInspector from "selenium-webdriver/bidi/logInspector.js";
import { SHOTS } from "./helpers.mjs";

const ALL = ["chromium", "firefox", "webkit"];
/** The engines this run covers. */
export const ENGINES = (process.env.BENEFIND_BROWSERS || ALL.join(",")).split(",").map((e) => e.trim()).filter(Boolean);
for (const e of ENGINES) if (!ALL.includes(e)) throw new Error(`BENEFIND_BROWSERS: unknown engine ${e} (use ${ALL.join(", ")})`);

const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const GECKODRIVER = process.env.GECKODRIVER || path.join(os.homedir(), ".cargo/bin/geckodriver");
/** How long one driver command, script or wait may take before the test fails. */
const TIMEOUT_MS = 180_000;

const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * The driver binary and the capabilities of a new session. `variant` is "normal",
 * "private" (the engine's private window) or "no-storage" (the member blocked site data).
 */
function driverSpec(engine, [port, bidiPort], variant) {
  if (engine === "chromium") {
    const args = [...CHROMIUM_ARGS, ...(variant === "private" ? ["--incognito"] : [])];
    // Chromium's "Block sites from saving data" setting (cookies and site data).
    const prefs = variant === "no-storage" ? { "profile.default_content_setting_values.cookies": 2 } : {};
    return {
      command: [process.env.CHROMEDRIVER || "/usr/bin/chromedriver", [`--port=${port}`]],
      caps: { browserName: "chrome", webSocketUrl: true, "goog:chromeOptions": { binary: process.env.CHROME_BIN || "/usr/bin/chromium", args, prefs } },
    };
  }
  if (engine === "firefox") {
    // Firefox's private-browsing-only mode, and "Block cookies and site data: all".
    const prefs = variant === "private" ? { "browser.privatebrowsing.autostart": true }
      : variant === "no-storage" ? { "network.cookie.cookieBehavior": 2 } : {};
    return {
      // Each Firefox needs its own BiDi port (geckodriver's default, 9222, is shared).
      command: [GECKODRIVER, ["--port", String(port), "--websocket-port", String(bidiPort), "--log", "error"]],
      caps: { browserName: "firefox", webSocketUrl: true, "moz:firefoxOptions": { binary: process.env.FIREFOX_BIN || "/usr/bin/firefox-esr", args: ["-headless"], prefs } },
    };
  }
  if (!process.env.DISPLAY) throw new Error("WebKit needs an X display: run the tests under xvfb-run (pkg-scripts/test.sh does)");
  // MiniBrowser's cookie policy does not reach IndexedDB: "no-storage" turns the storage
  // APIs off instead, as a locked-down WebKit embedding does.
  const args = ["--automation", ...(variant === "private" ? ["--private"]
    : variant === "no-storage" ? ["--features=-IndexedDBAPI,-CacheAPI,-LocalStorage"] : [])];
  return {
    command: [process.env.WEBKIT_DRIVER || "/usr/bin/WebKitWebDriver", [`--port=${port}`]],
    caps: { browserName: "MiniBrowser", "webkitgtk:browserOptions": { binary: process.env.MINIBROWSER || MINIBROWSER, args } },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

/** Starts one driver process; resolves once it answers /status. */
async function startDriver(engine, variant) {
  const ports = [await freePort(), await freePort()];
  const { command: [file, args] } = driverSpec(engine, ports, variant);
  if (!existsSync(file)) throw new Error(`${file} is missing: pkg-scripts/setup.sh installs the ${engine} driver`);
  const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  const url = `http://127.0.0.1:${ports[0]}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${file} exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/status`)).ok) return { url, ports, child };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`${file} did not start: ${stderr}`);
}

/**
 * A browser session (one profile) with one or more tabs. `errors` collects uncaught page
 * errors and console errors where the driver speaks WebDriver BiDi (Chromium, Firefox;
 * WebKitWebDriver 2.50 has no BiDi, so there the tests rely on the page's own checks);
 * benefind's watchdog warnings go to stderr.
 */
export class Session {
  static async start(engine, { variant = "normal", width = 1100, height = 900 } = {}) {
    const driverProcess = await startDriver(engine, variant);
    const { caps } = driverSpec(engine, driverProcess.ports, variant);
    let driver;
    try {
      driver = await new Builder().usingServer(driverProcess.url).withCapabilities(caps).build();
      await driver.manage().setTimeouts({ script: TIMEOUT_MS, pageLoad: TIMEOUT_MS, implicit: 0 });
    } catch (e) {
      driverProcess.child.kill();
      throw e;
    }
    const session = new Session(engine, driver, driverProcess.child);
    await session.#collectErrors();
    await session.resize(width, height);
    session.tab = new Tab(session, await driver.getWindowHandle());
    return session;
  }

  constructor(engine, driver, child) {
    this.engine = engine;
    this.driver = driver;
    this.child = child;
    this.errors = [];
    this.current = null;
  }

  async #collectErrors() {
    if (!(await this.driver.getCapabilities()).get("webSocketUrl")) return;
    const inspector = await LogInspector(this.driver);
    await inspector.onJavascriptException((e) => this.errors.push(`pageerror: ${e.text}`));
    await inspector.onConsoleEntry((e) => {
      if (e.level === "error") this.errors.push(`console: ${e.text}`);
      // The worker's watchdog (an operation running for over 30 s): printed as it comes,
      // so that a test that then times out shows where the page was waiting.
      if (e.level === "warn" && e.text?.startsWith("benefind:")) process.stderr.write(`[${this.engine}] ${e.text}\n`);
    });
  }

  /** Sets the window's size; the viewport is what is left inside it. */
  async resize(width, height) {
    await this.driver.manage().window().setRect({ width, height });
  }

  /** Opens another tab in this profile (same storage). */
  async newTab() {
    await this.driver.switchTo().newWindow("tab");
    const tab = new Tab(this, await this.driver.getWindowHandle());
    this.current = tab.handle;
    return tab;
  }

  async close() {
    try { await this.driver.quit(); } catch { /* already gone */ }
    this.child.kill();
  }
}

/** One tab: the calls a test makes, over WebDriver. */
export class Tab {
  constructor(session, handle) {
    this.session = session;
    this.driver = session.driver;
    this.handle = handle;
    session.current = handle;
  }

  async #focus() {
    if (this.session.current !== this.handle) {
      await this.driver.switchTo().window(this.handle);
      this.session.current = this.handle;
    }
  }

  /** Navigates (through the service worker, unlike geckodriver's Refresh) and waits for load. */
  async goto(url) {
    await this.#focus();
    await this.driver.get(url);
  }

  /** Loads the current URL again as a navigation, so the service worker answers it. */
  async reload() {
    await this.#focus();
    await this.driver.get(await this.driver.getCurrentUrl());
  }

  /** Runs `fn(...args)` in the page; a returned promise is awaited. */
  async evaluate(fn, ...args) {
    await this.#focus();
    return this.driver.executeScript(`return (${fn}).apply(null, arguments)`, ...args);
  }

  /**
   * Polls `fn(...args)` in the page until it returns something truthy; returns that. On a
   * timeout, `explain()` (run in the page) says what the page showed instead: a stalled
   * wait names the state it stalled in.
   */
  async waitFor(fn, args = [], { timeout = TIMEOUT_MS, message, explain } = {}) {
    await this.#focus();
    const script = `return (${fn}).apply(null, arguments)`;
    try {
      return await this.driver.wait(async () => (await this.driver.executeScript(script, ...args)) || null, timeout,
        message ?? `waiting for ${String(fn).slice(0, 160)}`, 100);
    } catch (e) {
      if (!explain) throw e;
      const seen = await this.evaluate(explain).catch((why) => `(could not be read: ${why.message})`);
      throw new Error(`${e.message}; the page showed ${JSON.stringify(seen)}`, { cause: e });
    }
  }

  /**
   * Waits for the add form's status line to match `pattern`; a timeout names the line it
   * showed and the per-file progress lines.
   */
  async waitForStatus(pattern, options = {}) {
    return this.waitFor((source, flags) => new RegExp(source, flags).test(document.getElementById("add-status").textContent),
      [pattern.source, pattern.flags], {
        message: `waiting for the add form's status to match ${pattern}`,
        explain: () => ({ status: document.getElementById("add-status").textContent,
          files: /** @type {HTMLInputElement} */ (document.getElementById("doc-files")).files?.length,
          progress: document.getElementById("add-files")?.textContent }),
        ...options,
      });
  }

  async #element(selector) {
    await this.#focus();
    return this.driver.wait(until.elementLocated({ css: selector }), TIMEOUT_MS, `no element ${selector}`);
  }

  /**
   * Replaces an input's value by typing, as a member would. Line breaks are typed as the
   * Enter key (WebKitWebDriver drops a literal newline).
   */
  async fill(selector, text) {
    const el = await this.#element(selector);
    await el.clear();
    if (text) await el.sendKeys(text.split("\n").join(Key.ENTER));
    // Typing into an input with suggestions (a datalist) opens them, and WebKitGTK's
    // suggestion popup takes the next click to close itself: a member closes it before
    // pressing the form's button, and so does the test (Escape closes it everywhere).
    if (text && (await el.getAttribute("list"))) await el.sendKeys(Key.ESCAPE);
  }

  /** Presses Enter (the only key the tests need by name) or types text into an element. */
  async press(selector, key) {
    const el = await this.#element(selector);
    await el.sendKeys(key === "Enter" ? Key.ENTER : key);
  }

  /** Sends keys to whatever has focus. */
  async keys(...keys) {
    await this.#focus();
    await this.driver.actions().sendKeys(...keys).perform();
  }

  /** Presses `key` with `modifier` held (e.g. Shift+Tab). */
  async chord(modifier, key) {
    await this.#focus();
    await this.driver.actions().keyDown(modifier).sendKeys(key).keyUp(modifier).perform();
  }

  async click(selector) {
    await (await this.#element(selector)).click();
  }

  async select(selector, value) {
    await this.#focus();
    await this.evaluate((sel, v) => {
      const s = document.querySelector(sel);
      s.value = v;
      s.dispatchEvent(new Event("change", { bubbles: true }));
    }, selector, value);
  }

  async setFiles(selector, files) {
    const el = await this.#element(selector);
    await el.sendKeys(files.join("\n"));
  }

  text(selector) {
    return this.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, selector);
  }

  attr(selector, name) {
    return this.evaluate((sel, n) => document.querySelector(sel)?.getAttribute(n) ?? null, selector, name);
  }

  value(selector) {
    return this.evaluate((sel) => document.querySelector(sel)?.value ?? null, selector);
  }

  visible(selector) {
    return this.evaluate((sel) => {
      const el = document.querySelector(sel);
      return Boolean(el && el.getClientRects().length && getComputedStyle(el).visibility !== "hidden");
    }, selector);
  }

  /** Runs the following calls inside the iframe `selector` (null: back to the top page). */
  async frame(selector) {
    await this.#focus();
    if (selector === null) return this.driver.switchTo().defaultContent();
    await this.driver.switchTo().frame(await this.#element(selector));
  }

  /** Saves a PNG of the viewport to screenshots/<engine>-<name>.png. */
  async screenshot(name) {
    await this.#focus();
    mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${this.session.engine}-${name}.png`);
    writeFileSync(file, Buffer.from(await this.driver.takeScreenshot(), "base64"));
    return file;
  }

  /** Closes this tab (the session stays). */
  async close() {
    await this.#focus();
    await this.driver.close();
    this.session.current = null;
  }
}

/**
 * For a describe block: a fresh session per `session()` call, all closed after the block.
 * Returns `{session(opts) → Session}`.
 */
export function sessionsFor(engine) {
  const open = [];
  after(async () => { await Promise.all(open.map((s) => s.close())); });
  return {
    async session(opts) {
      const s = await Session.start(engine, opts);
      open.push(s);
      return s;
    },
  };
}

/** Errors other than the network failures an offline reload logs on purpose. */
export function unexpectedErrors(errors) {
  return errors.filter((e) => !/NetworkError|Failed to fetch|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED|Failed to load resource|Load failed|Could not connect/i.test(e));
}

export { before, after, Key };
