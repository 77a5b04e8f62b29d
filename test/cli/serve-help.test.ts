// `argus serve --help` and the README's Configuration table name every environment variable the
// appliance's settings read (new-user finding: the help listed 6 of them).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const read = (p: string) => readFileSync(resolve(root, p), "utf8");

test("every ARGUS_ variable the settings read is in `argus serve --help` and in the README's table", () => {
  const variables = [...new Set([...read("src/config/settings.ts").matchAll(/env\.(ARGUS_[A-Z_]+)/g)].map((m) => m[1]))].sort();
  expect(variables.length).toBeGreaterThan(15);
  const run = Bun.spawnSync([process.execPath, resolve(root, "src/main.ts"), "serve", "--help"], { env: { PATH: process.env.PATH } });
  expect(run.exitCode).toBe(0);
  const help = run.stdout.toString();
  const readme = read("README.md");
  const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("The configuration file is optional"));
  expect(variables.filter((v) => !new RegExp(`^  ${v}\\b`, "m").test(help))).toEqual([]);
  expect(variables.filter((v) => !table.includes(`\`${v}\``))).toEqual([]);
});
