/**
 * Every ```ts example in the JSDoc of `cascade.ts` and `lib/` runs, as
 * `deno test --doc` would run it, but in this one isolate: `--doc` gives
 * each example an isolate of its own (about 0.4 s of CPU each, 40 of them).
 * `deno task check` type-checks the same examples (`deno check --doc`).
 *
 * An example's relative imports are resolved against its own file; it is
 * written to a temporary module and imported, so its top-level code (and
 * its assertions) run inside one test named after the file and line.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** One example: where it is and its code. */
interface DocExample {
  /** Repo-relative path of the file holding it. */
  file: string;
  /** Line of its opening fence (1-based). */
  line: number;
  /** The code, with the JSDoc ` * ` margin taken off. */
  code: string;
}

/** The ```ts examples (not `ts ignore`) in the JSDoc of `text`. */
function examplesOf(file: string, text: string): DocExample[] {
  const examples: DocExample[] = [];
  const lines = text.split("\n");
  let open: { line: number; code: string[] } | null = null;
  for (const [i, raw] of lines.entries()) {
    const margin = /^\s*\* ?/.exec(raw);
    if (margin === null) {
      open = null;
      continue;
    }
    const body = raw.slice(margin[0].length);
    if (open === null) {
      if (body.trimEnd() === "```ts") open = { line: i + 1, code: [] };
    } else if (body.trimEnd() === "```") {
      examples.push({ file, line: open.line, code: open.code.join("\n") });
      open = null;
    } else {
      open.code.push(body);
    }
  }
  return examples;
}

/** `code` with its relative import specifiers made absolute from `file`. */
function absoluteImports(code: string, file: string): string {
  const base = new URL(file, ROOT);
  return code.replace(
    /(\bfrom\s+|\bimport\s*\(?\s*)(["'])(\.\.?\/[^"']+)\2/g,
    (_all, lead: string, quote: string, spec: string) =>
      `${lead}${quote}${new URL(spec, base).href}${quote}`,
  );
}

function sourceFiles(): string[] {
  const files = ["cascade.ts"];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(new URL(dir, ROOT))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  walk("lib");
  return files.sort();
}

const EXAMPLES = sourceFiles().flatMap((file) =>
  examplesOf(file, Deno.readTextFileSync(new URL(file, ROOT)))
);

Deno.test("doc examples: every ```ts block is found, and only those", () => {
  assert.ok(EXAMPLES.length >= 40, `${EXAMPLES.length} examples`);
  const text = [
    "/**",
    " * ```ts",
    ' * import { x } from "./y.ts";',
    " * x();",
    " * ```",
    " *",
    " * ```ts ignore",
    " * nope();",
    " * ```",
    " */",
  ].join("\n");
  assert.deepEqual(examplesOf("lib/a.ts", text), [{
    file: "lib/a.ts",
    line: 2,
    code: 'import { x } from "./y.ts";\nx();',
  }]);
  assert.equal(
    absoluteImports('import { x } from "../y.ts";', "lib/a/b.ts"),
    `import { x } from "${new URL("lib/y.ts", ROOT).href}";`,
  );
});

for (const example of EXAMPLES) {
  Deno.test(`doc example ${example.file}:${example.line}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "cascade-doc-" });
    try {
      const path = `${dir}/example.ts`;
      await Deno.writeTextFile(
        path,
        absoluteImports(example.code, example.file),
      );
      await import(new URL(`file://${path}`).href);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
