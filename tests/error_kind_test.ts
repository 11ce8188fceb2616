import assert from "node:assert/strict";
import type { ErrorKind } from "../lib/engine/error_kind.ts";
import { ADVICE } from "../lib/errors.ts";

/**
 * Every error kind, in documentation order: the advice table's keys (a
 * `Record<ErrorKind, string>`, so the compiler holds it to every kind).
 */
const ERROR_KINDS = Object.keys(ADVICE) as ErrorKind[];

const README = new URL("../README.md", import.meta.url);

Deno.test("every error kind has advice in one lower-case phrase", () => {
  for (const kind of ERROR_KINDS) {
    assert.match(ADVICE[kind], /^[a-z].*[^.]$/, kind);
  }
});

Deno.test("the README names every error kind, in documentation order", async () => {
  const whole = await Deno.readTextFile(README);
  // The list of kinds: the `failed` status's entry.
  const start = whole.indexOf("- `failed`, with `error.kind`:");
  assert.ok(start >= 0, "README has no `failed` entry");
  const text = whole.slice(start, whole.indexOf("\n- ", start + 1));
  const at = ERROR_KINDS.map((kind) => text.indexOf(`\`${kind}\``));
  for (const [i, kind] of ERROR_KINDS.entries()) {
    assert.ok(at[i]! >= 0, `README does not name \`${kind}\``);
  }
  assert.deepEqual([...at].sort((a, b) => a - b), at);
});
