#!/usr/bin/env node
// Builds the native scanning core (native/*.c) into native/build/libargus-<arch>.so with the
// system C compiler. Runs from `npm install` (postinstall) and from the binary build.
// Usage: node scripts/build-native.mjs [--arch x64|arm64]
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const archArg = process.argv.indexOf("--arch");
const arch = archArg > 0 ? process.argv[archArg + 1] : process.arch;
const compilers = { x64: process.arch === "x64" ? "cc" : "x86_64-linux-gnu-gcc", arm64: process.arch === "arm64" ? "cc" : "aarch64-linux-gnu-gcc" };
// CC names the compiler for this machine's own architecture only; a cross build keeps its cross compiler.
const cc = (arch === process.arch ? process.env.CC : undefined) ?? compilers[arch];
if (!cc) {
  console.error(`build-native: unsupported architecture ${arch}`);
  process.exit(1);
}
const srcDir = join(root, "native");
const sources = existsSync(srcDir) ? readdirSync(srcDir).filter((f) => f.endsWith(".c")).map((f) => join(srcDir, f)) : [];
if (sources.length === 0) {
  console.log("build-native: no native sources, nothing to build");
  process.exit(0);
}
const outDir = join(srcDir, "build");
mkdirSync(outDir, { recursive: true });
const out = join(outDir, `libargus-${arch}.so`);
// The library parses attacker-controlled frames with CAP_NET_RAW: build it hardened.
const hardening = ["-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-Wl,-z,relro,-z,now", "-Wl,-z,noexecstack"];
const args = ["-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-fvisibility=hidden", ...hardening, "-o", out, ...sources];
try {
  execFileSync(cc, args, { stdio: "inherit" });
} catch {
  // The host's own compiler comes with build-essential; a cross compiler has a package of its own.
  const pkg = arch === process.arch ? "build-essential" : arch === "arm64" ? "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" : "gcc-x86-64-linux-gnu libc6-dev-amd64-cross";
  const only = arch === process.arch ? "" : ` (or build only this machine's binary: bun scripts/build.ts --arch ${process.arch})`;
  console.error(`build-native: ${cc} failed; is the C compiler for ${arch} installed (Debian: apt-get install ${pkg})?${only}`);
  process.exit(1);
}
console.log(`build-native: built ${out}`);
