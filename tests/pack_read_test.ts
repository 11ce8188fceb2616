/**
 * The in-process pack reader (`lib/git/_pack_read.ts`) held to git: every
 * object of packs git made (whole, offset deltas, ref deltas) read as
 * `git cat-file` reads it; hostile packs refused, never thrown on.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { applyDelta, readPack } from "../lib/git/_pack_read.ts";
import { gitObject, packOf } from "../lib/git/object_write.ts";
import { Fixture } from "./support/fixtures.ts";

const MiB = 1024 * 1024;

/** A repo with similar files over three commits: git deltas them. */
async function deltaRepo(fx: Fixture): Promise<string> {
  const lines = (n: number) =>
    Array.from({ length: 400 }, (_, i) => `line ${i} ${i % 7 === n ? n : ""}\n`)
      .join("");
  const repo = await fx.repo("d", {
    "a.txt": lines(0),
    "dir/b.txt": lines(1),
    ".runtime-version": "0.1\n",
  });
  for (const n of [2, 3]) {
    await fx.commit(repo, {
      branch: "main",
      files: { "a.txt": lines(n), "dir/b.txt": lines(n + 1) },
    });
  }
  return repo;
}

/** Every object git holds, by id: type and bytes as cat-file gives them. */
async function gitObjects(fx: Fixture, repo: string) {
  const ids = await fx.git(
    ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"],
    { cwd: repo },
  );
  const all = new Map<string, { type: string; body: Uint8Array }>();
  for (const oid of ids.stdout.trim().split("\n")) {
    const type = (await fx.git(["cat-file", "-t", oid], { cwd: repo })).stdout
      .trim();
    const body = (await fx.git(["cat-file", type, oid], { cwd: repo }))
      .stdoutBytes;
    all.set(oid, { type, body });
  }
  return all;
}

Deno.test("pack read: packs git makes, whole, with offset deltas and with ref deltas, read as git reads them", async () => {
  await using fx = await Fixture.create();
  const repo = await deltaRepo(fx);
  const expected = await gitObjects(fx, repo);
  assert.ok(expected.size >= 12, `${expected.size}`);
  for (const flags of [["--delta-base-offset"], [], ["--depth=0"]]) {
    const packed = await fx.git(
      ["pack-objects", "--revs", "--stdout", "-q", ...flags],
      { cwd: repo, stdin: "main\n" },
    );
    assert.equal(packed.code, 0, packed.stderr);
    // What the pack holds, by git: deltas, except with --depth=0.
    const file = `${fx.root}/p${flags.length}${flags[0] ?? ""}.pack`;
    await Deno.writeFile(file, packed.stdoutBytes);
    assert.equal((await fx.git(["index-pack", file], { cwd: repo })).code, 0);
    const listing = await fx.git(
      ["verify-pack", "-v", file.replace(/\.pack$/, ".idx")],
      { cwd: repo },
    );
    if (flags[0] === "--depth=0") {
      assert.match(listing.stdout, /non delta: \d+ objects/);
      assert.doesNotMatch(listing.stdout, /chain length/);
    } else assert.match(listing.stdout, /chain length = 1: \d+ object/);
    const objects = readPack(packed.stdoutBytes, MiB);
    assert.ok(objects !== null, flags.join(" "));
    assert.deepEqual(
      new Map([...objects].sort()),
      new Map([...expected].sort()),
      flags.join(" "),
    );
  }
});

/** `pack` with its trailing checksum made right again. */
function resealed(pack: Uint8Array): Uint8Array {
  const body = pack.slice(0, pack.length - 20);
  const sum = createHash("sha1").update(body).digest();
  const out = new Uint8Array(pack.length);
  out.set(body);
  out.set(sum, body.length);
  return out;
}

Deno.test("pack read: a broken, thin, oversized or lying pack is refused (null), never thrown on", async () => {
  await using fx = await Fixture.create();
  const repo = await deltaRepo(fx);
  const whole = packOf([gitObject("blob", "x\n"), gitObject("blob", "y\n")]);
  assert.equal(readPack(whole, MiB)?.size, 2);
  const flipped = whole.slice();
  flipped[14] = (flipped[14] ?? 0) ^ 1;
  assert.equal(readPack(flipped, MiB), null, "checksum");
  assert.equal(readPack(resealed(flipped), MiB), null, "inflates wrong");
  assert.equal(readPack(whole.subarray(0, 40), MiB), null, "cut short");
  const lying = whole.slice();
  lying[11] = 3; // says 3 objects, holds 2
  assert.equal(readPack(resealed(lying), MiB), null, "count");
  const version = whole.slice();
  version[7] = 4;
  assert.equal(readPack(resealed(version), MiB), null, "version");
  assert.equal(readPack(whole, 3), null, "over the budget");
  // A thin pack: its deltas' bases are not in it.
  const thin = await fx.git(
    ["pack-objects", "--revs", "--stdout", "-q", "--thin"],
    { cwd: repo, stdin: "main\n^main~1\n" },
  );
  assert.equal(thin.code, 0, thin.stderr);
  assert.equal(readPack(thin.stdoutBytes, MiB), null, "thin");
  // A zlib bomb: a declared size of 10 bytes that inflates to 1 MiB.
  const bomb = packOf([gitObject("blob", new Uint8Array(MiB))]);
  const small = bomb.slice();
  small[12] = ((small[12] ?? 0) & 0x70) | 0x0a; // size 10, no more bytes
  const cut = new Uint8Array([...small.subarray(0, 13), ...bomb.subarray(16)]);
  assert.equal(readPack(resealed(cut), 64 * MiB), null, "bomb");
});

Deno.test("pack read: applyDelta copies and inserts exactly, refusing anything out of bounds", () => {
  const base = new TextEncoder().encode("hello world");
  // base 11, result 8: copy 5 from 0 ("hello"), insert "!!!".
  const delta = new Uint8Array([11, 8, 0x90, 5, 3, 33, 33, 33]);
  assert.equal(
    new TextDecoder().decode(applyDelta(base, delta, 100) ?? undefined),
    "hello!!!",
  );
  assert.equal(applyDelta(base, delta, 7), null, "over the budget");
  assert.equal(applyDelta(base.subarray(1), delta, 100), null, "base size");
  const past = new Uint8Array([11, 8, 0x91, 9, 5, 3, 33, 33, 33]);
  assert.equal(applyDelta(base, past, 100), null, "copy past the base");
  assert.equal(applyDelta(base, delta.subarray(0, 7), 100), null, "short");
  assert.equal(applyDelta(base, new Uint8Array([11, 0, 0]), 100), null, "op 0");
});
