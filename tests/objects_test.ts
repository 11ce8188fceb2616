/** Raw tree objects (`lib/git/objects.ts`), checked against git's own. */

import assert from "node:assert/strict";
import { parseTree } from "../lib/git/objects.ts";
import { Fixture } from "./support/fixtures.ts";

Deno.test("objects: parseTree reads a tree as git wrote it", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", {
    ".runtime-version": "0.1.6\n",
    "dir/inner.txt": "x\n",
  });
  const raw = await fx.git(["cat-file", "tree", "main^{tree}"], { cwd: path });
  const listed = await fx.git(["ls-tree", "main"], { cwd: path });
  const expected = listed.stdout.trimEnd().split("\n").map((line) => {
    const [meta = "", name = ""] = line.split("\t");
    const [mode = "", type = "", oid = ""] = meta.split(" ");
    return { mode, type, oid, name };
  });
  assert.equal(expected.length, 2);
  assert.deepEqual(parseTree(raw.stdoutBytes, 20), expected);
});

Deno.test("objects: parseTree stops at a truncated entry", () => {
  const enc = new TextEncoder();
  const entry = (mode: string, name: string, byte: number) => [
    ...enc.encode(`${mode} ${name}\0`),
    ...new Array(20).fill(byte),
  ];
  const bytes = new Uint8Array([
    ...entry("100644", "a", 1),
    ...entry("40000", "d", 2),
    ...entry("160000", "s", 3).slice(0, 10),
  ]);
  assert.deepEqual(parseTree(bytes, 20), [
    { mode: "100644", type: "blob", oid: "01".repeat(20), name: "a" },
    { mode: "040000", type: "tree", oid: "02".repeat(20), name: "d" },
  ]);
});
