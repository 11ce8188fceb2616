/**
 * Tests mirror modules: at least 80% of `lib/`'s modules are imported
 * directly by some `tests/*.ts` file (a module reached only through others,
 * or only by running the CLI, counts as not imported).
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The share of modules a test must import. */
const AT_LEAST = 0.8;

/** Every `.ts` file under `dir`, relative to the repo root. */
async function modules(dir: string, deep = true): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && deep) found.push(...await modules(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

/** The relative imports (static and dynamic) of a file, repo-relative. */
export function importsOf(path: string, text: string): string[] {
  // Doc comments' examples (` * import … from "./x.ts"`) are no imports.
  const code = text.split("\n").filter((l) => !/^\s*\*/.test(l)).join("\n");
  const specs = [
    ...code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g),
  ].map((m) => m[1] as string);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(path), s)));
}

/** The `lib/` modules imported directly by `tests/*.ts`, and all of them. */
async function importShare(): Promise<{ lib: string[]; seen: Set<string> }> {
  const lib = await modules("lib");
  const seen = new Set<string>();
  for (const test of await modules("tests", false)) {
    const text = await Deno.readTextFile(join(ROOT, test));
    for (const imported of importsOf(test, text)) seen.add(imported);
  }
  return { lib, seen };
}

Deno.test("at least 80% of lib/'s modules are imported by some test", async () => {
  const { lib, seen } = await importShare();
  const missing = lib.filter((m) => !seen.has(m));
  const share = (lib.length - missing.length) / lib.length;
  assert.ok(lib.length > 50, `only ${lib.length} modules found`);
  assert.ok(
    share >= AT_LEAST,
    `${(share * 100).toFixed(1)}% of ${lib.length} lib/ modules imported by ` +
      `tests; not imported: ${missing.join(", ")}`,
  );
});

Deno.test("the import finder reads static and dynamic imports, not doc examples", () => {
  const text = [
    'import { a } from "../lib/a.ts";',
    'import type { B } from "../lib/sub/b.ts";',
    'const c = await import("../lib/c.ts");',
    ' * import { d } from "../lib/d.ts";',
    'import assert from "node:assert/strict";',
  ].join("\n");
  assert.deepEqual(importsOf("tests/x_test.ts", text), [
    "lib/a.ts",
    "lib/sub/b.ts",
    "lib/c.ts",
  ]);
});
