#!/usr/bin/env node
// Sets up what a fresh clone is missing, then runs a workspace script.
//
// `npm start` and `npm test` land here. The machine may have nothing but an
// older Node and npm, and the only network may be the npm registry, so both
// the pinned pnpm and (when the system Node is older than 22) a Node 24
// runtime are fetched as npm packages into `.tools/`. Nothing here may use a
// dependency: it runs before any are installed, on Node 20 or newer.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tools = join(root, ".tools");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = pkg.packageManager.replace(/^pnpm@/, "");
const pinnedNode = pkg.gatehouse.node;
const scripts = { start: "serve", test: "test:all" };

const log = (msg) => process.stderr.write(`[gatehouse] ${msg}\n`);

/** Downloads `spec` with `npm pack` and unpacks it into `dest` (atomically). */
function unpackFromRegistry(spec, dest) {
  const tmp = mkdtempSync(join(tmpdir(), "gatehouse-tools-"));
  try {
    const out = execFileSync("npm", ["pack", spec, "--json", "--pack-destination", tmp], {
      cwd: tmp,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [{ filename }] = JSON.parse(out);
    const unpacked = join(tmp, "unpacked");
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", join(tmp, filename), "-C", unpacked, "--strip-components=1"]);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(unpacked, dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The directory holding the `node` binary the workspace runs on. */
function ensureNode() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return dirname(process.execPath);
  const dir = join(tools, `node-${pinnedNode}`);
  const bin = join(dir, "bin", "node");
  if (!existsSync(bin)) {
    const platform = process.platform === "win32" ? "win" : process.platform;
    log(`system Node ${process.versions.node} is older than 22: fetching Node ${pinnedNode} from the npm registry`);
    unpackFromRegistry(`node-${platform}-${process.arch}@${pinnedNode}`, dir);
  }
  return dirname(bin);
}

/**
 * The path of pnpm's entry script, installed once into `.tools/`. pnpm 12 is a
 * native binary shipped as an optional dependency of the `pnpm` package, so it
 * is installed with npm (which picks the platform's binary) rather than unpacked.
 */
function ensurePnpm() {
  const dir = join(tools, `pnpm-${pnpmVersion}`);
  const entry = join(dir, "node_modules", "pnpm", "bin", "pnpm.mjs");
  if (!existsSync(entry)) {
    log(`fetching pnpm ${pnpmVersion} from the npm registry`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{"private":true}\n');
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `pnpm@${pnpmVersion}`], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  return entry;
}

function run(nodeBin, args, env) {
  return new Promise((resolveRun) => {
    const child = spawn(join(nodeBin, "node"), args, { cwd: root, env, stdio: "inherit" });
    for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
    child.on("exit", (code, signal) => resolveRun(code ?? (signal ? 1 : 0)));
  });
}

/** Hash of everything that decides what `pnpm install` would do. */
function installFingerprint(nodeBin) {
  const hash = createHash("sha256").update(nodeBin).update(pnpmVersion);
  for (const file of ["pnpm-lock.yaml", "pnpm-workspace.yaml", "package.json"]) {
    hash.update(readFileSync(join(root, file)));
  }
  for (const ws of ["shared", "relay", "extension", "test"]) {
    const p = join(root, ws, "package.json");
    if (existsSync(p)) hash.update(readFileSync(p));
  }
  return hash.digest("hex");
}

async function main() {
  const command = process.argv[2];
  const script = scripts[command];
  if (!script) throw new Error(`usage: bootstrap.mjs ${Object.keys(scripts).join("|")}`);
  const nodeBin = ensureNode();
  const pnpm = ensurePnpm();
  // Scripts call `node` and `pnpm`: both must be the pinned ones.
  const pnpmBin = join(dirname(dirname(dirname(pnpm))), ".bin");
  const env = { ...process.env, PATH: [nodeBin, pnpmBin, process.env.PATH].join(delimiter) };
  delete env.npm_config_nodedir; // an npm-only setting that pnpm warns about

  const stamp = join(root, "node_modules", ".gatehouse-install");
  const fingerprint = installFingerprint(nodeBin);
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== fingerprint) {
    log("installing dependencies (frozen lockfile)");
    const code = await run(nodeBin, [pnpm, "install", "--frozen-lockfile"], env);
    if (code !== 0) process.exit(code);
    writeFileSync(stamp, fingerprint);
  }
  process.exit(await run(nodeBin, [pnpm, "run", script, ...process.argv.slice(3)], env));
}

main().catch((err) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
