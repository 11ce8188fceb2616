/**
 * The house limits, checked on every run: `cascade.ts` at most 150 lines,
 * every module of `lib/` at most 400, every function at most 80, no
 * import cycle among `lib/`'s modules (type-only imports included), and
 * no module below the command layer importing `lib/cli/`.
 *
 * Functions are found by their shape as `deno fmt` writes them: a
 * `function` declaration, a class method, or a `const` arrow function
 * whose body opens a block, ending at the first line that closes it at the
 * same indentation.
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every `.ts` file under `dir`, relative to the repo root. */
async function modules(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await modules(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

const START = [
  /^(\s*)(?:export )?(?:async )?function\*? ?[\w$]+\s*[<(]/,
  /^(\s+)(?:(?:static|async|get|set|private|public|override) )*#?[\w$]+\s*[<(].*[^;]$/,
  /^(\s*)(?:export )?const [\w$]+ = (?:async )?(?:\(|[\w$]+ =>)/,
];

/** Each function's name line and length in lines. */
export function functionLengths(
  text: string,
): { line: number; head: string; lines: number }[] {
  const lines = text.split("\n");
  const found: { line: number; head: string; lines: number }[] = [];
  lines.forEach((line, i) => {
    const match = START.map((re) => re.exec(line)).find((m) => m !== null);
    if (!match) return;
    if (/^\s*(if|for|while|switch|catch|return|await|new)\b/.test(line)) return;
    const indent = match[1] ?? "";
    // The block opens on this line or on a later line of the signature.
    let open = i;
    while (open < lines.length && !/[{]\s*$/.test(lines[open] ?? "")) {
      if (open > i && (lines[open] ?? "").startsWith(`${indent}}`)) break;
      if (/;\s*$/.test(lines[open] ?? "")) return;
      open++;
    }
    for (let end = open + 1; end < lines.length; end++) {
      const text = lines[end] ?? "";
      if (new RegExp(`^${indent}}[;),]*\\s*$`).test(text)) {
        found.push({ line: i + 1, head: line.trim(), lines: end - i + 1 });
        return;
      }
    }
  });
  return found;
}

/** The relative imports of a module, as repo-relative paths. */
function importsOf(path: string, text: string): string[] {
  // Doc comments' examples (` * import … from "./x.ts"`) are no imports.
  const code = text.split("\n").filter((l) => !/^\s*\*/.test(l)).join("\n");
  const specs = [...code.matchAll(/(?:from|import)\s+"(\.{1,2}\/[^"]+)"/g)]
    .map((m) => m[1] as string);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(path), s)));
}

/** One import cycle among `graph`'s modules, or null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === "done") return null;
    if (state.get(node) === "open") {
      return [...stack.slice(stack.indexOf(node)), node];
    }
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== null) return cycle;
  }
  return null;
}

Deno.test("cascade.ts is at most 150 lines, every lib/ module at most 400", async () => {
  const entry = await Deno.readTextFile(join(ROOT, "cascade.ts"));
  assert.ok(entry.split("\n").length - 1 <= 150, "cascade.ts");
  const long: string[] = [];
  for (const path of await modules("lib")) {
    const n = (await Deno.readTextFile(join(ROOT, path))).split("\n").length -
      1;
    if (n > 400) long.push(`${path}: ${n} lines`);
  }
  assert.deepEqual(long, []);
});

Deno.test("every function in cascade.ts and lib/ is at most 80 lines", async () => {
  const long: string[] = [];
  let seen = 0;
  for (const path of ["cascade.ts", ...await modules("lib")]) {
    for (
      const f of functionLengths(await Deno.readTextFile(join(ROOT, path)))
    ) {
      seen++;
      if (f.lines > 80) long.push(`${path}:${f.line} ${f.head} (${f.lines})`);
    }
  }
  assert.deepEqual(long, []);
  // The finder finds functions at all (a broken pattern would pass).
  assert.ok(seen > 300, `only ${seen} functions found`);
});

Deno.test("the function finder measures declarations, methods and arrows", () => {
  const body = (n: number) => Array.from({ length: n }, () => "  x();");
  const text = [
    "export async function a(",
    "  p: string,",
    "): Promise<void> {",
    ...body(3),
    "}",
    "class C {",
    "  method(): void {",
    "  " + body(1)[0],
    "  }",
    "}",
    "const f = (x: number) => {",
    ...body(2),
    "};",
  ].join("\n");
  assert.deepEqual(
    functionLengths(text).map((f) => [f.line, f.lines]),
    [[1, 7], [9, 3], [13, 4]],
  );
});

Deno.test("no import cycle among lib/'s modules", async () => {
  const graph = new Map<string, string[]>();
  for (const path of await modules("lib")) {
    graph.set(path, importsOf(path, await Deno.readTextFile(join(ROOT, path))));
  }
  assert.equal(findCycle(graph), null);
  // The check finds a cycle when there is one.
  const looped = new Map(graph);
  const [first, second] = [...graph.keys()];
  looped.set(first as string, [second as string]);
  looped.set(second as string, [first as string]);
  assert.notEqual(findCycle(looped), null);
});

Deno.test("only the command layer reads the command line: nothing else in lib/ imports lib/cli/", async () => {
  const offenders: string[] = [];
  for (const path of await modules("lib")) {
    if (path.startsWith("lib/cli/") || path.startsWith("lib/commands/")) {
      continue;
    }
    const text = await Deno.readTextFile(join(ROOT, path));
    for (const imported of importsOf(path, text)) {
      if (imported.startsWith("lib/cli/")) {
        offenders.push(`${path} -> ${imported}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
