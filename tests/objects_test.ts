/**
 * Raw tree objects and the one-file commit (`lib/git/objects.ts`),
 * checked against git's own.
 */

import assert from "node:assert/strict";
import { importCommit, parseTree, writeCommit } from "../lib/git/objects.ts";
import type { RemoteContext } from "../lib/git/context.ts";
import { readVersionState } from "../lib/version/state.ts";
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

Deno.test("objects: writeCommit makes in-process, with no git run, the tree fast-import makes, for every kind of path", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", {
    ".runtime-version": "0.1\n",
    "run.sh": { mode: "100755", data: "#!/bin/sh\n" },
    "deep/a/.runtime-version": "0.1\n",
    "deep/b": "b\n",
    "deep.txt": "sorts before deep/ as a file, after it as a tree\n",
  });
  const tip = await fx.tip(repo) ?? "";
  const calls: string[] = [];
  const ctx: RemoteContext = {
    git: (args, options) => {
      calls.push(args[0] ?? "");
      return fx.git(args, options);
    },
    url: repo,
    env: {},
    timeoutMs: 10_000,
    gitDir: repo,
    scratchDir: fx.root,
    written: new Map(),
  };
  const commitFor = (path: string, mode: string) => ({
    parent: tip,
    path,
    mode,
    content: new TextEncoder().encode("0.2\n"),
    message: "pin 0.2\n",
    author: { name: "Bot", email: "bot@x.test" },
    at: 1_700_000_000_000,
  });
  // fast-import's own ref for the parent: made anew by each fast-import.
  const dropImportRef = () =>
    Deno.remove(`${repo}/refs/cascade`, { recursive: true }).catch(() => {});
  const treeOf = async (commit: string) =>
    (await fx.git(["rev-parse", `${commit}^{tree}`], { cwd: repo })).stdout;
  const cases: [string, string][] = [
    [".runtime-version", "100644"],
    ["run.sh", "100755"],
    ["deep/a/.runtime-version", "100644"],
    ["deep/new/.runtime-version", "100644"],
    ["new/x/y.txt", "100644"],
    ["deep", "100644"], // a file where a directory is: fast-import's call
    ["zzz", "100644"],
  ];
  for (const [path, mode] of cases) {
    const state = await readVersionState(ctx, tip, path, "0.2")
      .catch(() => null);
    await dropImportRef();
    calls.length = 0;
    // "deep": the reader refuses it; given the root tree anyway, the
    // writer leaves the clash to fast-import.
    const trees = state?.trees ?? [
      (await fx.git(["cat-file", "tree", `${tip}^{tree}`], { cwd: repo }))
        .stdoutBytes,
    ];
    const made = await writeCommit(ctx, commitFor(path, mode), trees);
    const inProcess = path !== "deep";
    assert.deepEqual(calls, inProcess ? [] : ["fast-import"], path);
    await dropImportRef();
    const real = await importCommit(ctx, commitFor(path, mode));
    assert.equal(await treeOf(made), await treeOf(real), path);
    assert.equal(await fx.text(repo, made, path), "0.2\n", path);
    const shown = await fx.show(repo, made);
    assert.deepEqual(shown.parents, [tip], path);
    if (inProcess) {
      // The pack kept for the push holds the objects git reads back.
      const pack = ctx.written?.get(made);
      assert.ok(pack !== undefined, path);
      assert.equal(ctx.written?.size, 1, "one pack held per template");
      const index = await fx.git(["index-pack", "--stdin", "--strict"], {
        cwd: repo,
        stdin: pack,
      });
      assert.equal(index.code, 0, index.stderr);
    }
  }
  const fsck = await fx.git(["fsck", "--strict"], { cwd: repo });
  assert.equal(fsck.code, 0, fsck.stderr);
});
