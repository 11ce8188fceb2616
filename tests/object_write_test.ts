/**
 * The in-process object writer (`lib/git/object_write.ts`) held to git:
 * ids as `git hash-object` and `git mktree` make them, commits as
 * `git commit-tree` makes them, loose objects and packs git reads and
 * `git fsck --strict` finds clean; and the tests' in-process seed equal to
 * the fast-import seed it replaces.
 */

import assert from "node:assert/strict";
import {
  commitObject,
  gitObject,
  packOf,
  treeOf,
  treeWith,
  writeLoose,
} from "../lib/git/object_write.ts";
import { FastImportStream } from "../lib/git/fast_import.ts";
import { Fixture } from "./support/fixtures.ts";
import { seedCommit } from "./support/seed.ts";

const ZERO_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

/** A tree listing in `git mktree` input form. */
function mktreeInput(
  entries: { mode: string; name: string; oid: string }[],
): string {
  return entries.map((e) =>
    `${e.mode.padStart(6, "0")} ${
      e.mode === "40000" ? "tree" : "blob"
    } ${e.oid}\t${e.name}\n`
  ).join("");
}

/**
 * Names whose order differs between plain byte order and git's (a
 * directory sorts as if its name ended in `/`).
 */
async function trickyEntries(fx: Fixture, repo: string) {
  const blob = gitObject("blob", "x\n");
  const emptyTree = gitObject("tree", new Uint8Array());
  await writeLoose(repo, blob);
  await writeLoose(repo, emptyTree);
  const file = (name: string, mode = "100644") => ({
    mode,
    name,
    oid: blob.oid,
  });
  const dir = (name: string) => ({ mode: "40000", name, oid: emptyTree.oid });
  assert.equal(
    (await fx.git(["cat-file", "-t", emptyTree.oid], { cwd: repo })).stdout,
    "tree\n",
  );
  return [
    dir("foo"),
    file("foo.txt"),
    file("foo-bar", "100755"),
    dir("foo.d"),
    file("foo0"),
    file("Z"),
    file("é", "120000"),
    file(".runtime-version"),
  ];
}

Deno.test("object write: ids are git's (hash-object, mktree), in git's tree order", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", null);
  const bytes = new Uint8Array([0, 255, 10, 0x68]);
  const hashed = await fx.git(["hash-object", "--stdin", "-w"], {
    cwd: repo,
    stdin: bytes,
  });
  assert.equal(gitObject("blob", bytes).oid, hashed.stdout.trim());
  assert.equal(gitObject("blob", "").oid, ZERO_BLOB);
  const entries = await trickyEntries(fx, repo);
  const mktree = await fx.git(["mktree"], {
    cwd: repo,
    stdin: mktreeInput(entries),
  });
  assert.equal(mktree.code, 0, mktree.stderr);
  const made = gitObject("tree", treeOf(entries));
  assert.equal(made.oid, mktree.stdout.trim());
  // Every way of putting the entries in one at a time gives git's tree.
  for (const order of [entries, [...entries].reverse()]) {
    let tree: Uint8Array | null = null;
    for (const e of order) {
      tree = treeWith(tree, e.name, e.mode, e.oid);
      assert.ok(tree !== null, e.name);
    }
    assert.equal(gitObject("tree", tree ?? new Uint8Array()).oid, made.oid);
  }
});

Deno.test("object write: treeWith replaces by name, keeps the rest byte for byte, refuses a kind clash and a broken tree", () => {
  const a = gitObject("blob", "a\n").oid;
  const b = gitObject("blob", "b\n").oid;
  const tree = treeOf([
    { mode: "100755", name: "run", oid: a },
    { mode: "100644", name: "v", oid: a },
    { mode: "40000", name: "d", oid: a },
  ]);
  const swapped = treeWith(tree, "v", "100644", b);
  assert.deepEqual(
    swapped,
    treeOf([
      { mode: "100755", name: "run", oid: a },
      { mode: "100644", name: "v", oid: b },
      { mode: "40000", name: "d", oid: a },
    ]),
  );
  assert.equal(swapped?.length, tree.length);
  // A file where a directory is, and the reverse: refused.
  assert.equal(treeWith(tree, "d", "100644", b), null);
  assert.equal(treeWith(tree, "v", "40000", b), null);
  // A tree cut short, or an id that is not SHA-1: refused.
  assert.equal(
    treeWith(tree.subarray(0, tree.length - 3), "x", "100644", b),
    null,
  );
  assert.equal(treeWith(tree, "x", "100644", "abc"), null);
});

Deno.test("object write: a commit is git commit-tree's, time zone included; a person git would refuse throws", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", null);
  const tree = gitObject("tree", new Uint8Array());
  await writeLoose(repo, tree);
  const parent = commitObject({
    tree: tree.oid,
    parents: [],
    author: { name: "A U", email: "a@x.test", seconds: 1, offsetMinutes: 0 },
    committer: { name: "A U", email: "a@x.test", seconds: 1, offsetMinutes: 0 },
    message: "root\n",
  });
  await writeLoose(repo, parent);
  for (
    const [offset, zone] of [[-90, "-0130"], [345, "+0545"], [
      0,
      "+0000",
    ]] as const
  ) {
    const made = commitObject({
      tree: tree.oid,
      parents: [parent.oid],
      author: {
        name: "Bot Ø",
        email: "bot@x.test",
        seconds: 1_700_000_123,
        offsetMinutes: offset,
      },
      committer: {
        name: "Bot Ø",
        email: "bot@x.test",
        seconds: 1_700_000_123,
        offsetMinutes: offset,
      },
      message: "msg\n\nCascade-Nonce: 00\n",
    });
    const date = `1700000123 ${zone}`;
    const out = await fx.git(["commit-tree", tree.oid, "-p", parent.oid], {
      cwd: repo,
      stdin: "msg\n\nCascade-Nonce: 00\n",
      env: {
        GIT_AUTHOR_NAME: "Bot Ø",
        GIT_AUTHOR_EMAIL: "bot@x.test",
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: "Bot Ø",
        GIT_COMMITTER_EMAIL: "bot@x.test",
        GIT_COMMITTER_DATE: date,
      },
    });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(made.oid, out.stdout.trim(), zone);
  }
  const who = { name: "x <y>", email: "a@b", seconds: 0, offsetMinutes: 0 };
  assert.throws(() =>
    commitObject({
      tree: tree.oid,
      parents: [],
      author: who,
      committer: who,
      message: "",
    })
  );
});

Deno.test("object write: loose objects and a pack that git reads and fsck --strict finds clean", async () => {
  await using fx = await Fixture.create();
  const loose = await fx.repo("loose", null);
  const packed = await fx.repo("packed", null);
  const big = new Uint8Array(70_000).map((_, i) => (i * 7) % 251);
  const blobs = [gitObject("blob", "0.1.7\n"), gitObject("blob", big)];
  const tree = gitObject(
    "tree",
    treeOf([
      { mode: "100644", name: ".runtime-version", oid: blobs[0]!.oid },
      { mode: "100755", name: "big.bin", oid: blobs[1]!.oid },
    ]),
  );
  const who = {
    name: "Bot",
    email: "bot@x.test",
    seconds: 5,
    offsetMinutes: 0,
  };
  const commit = commitObject({
    tree: tree.oid,
    parents: [],
    author: who,
    committer: who,
    message: "c\n",
  });
  const all = [...blobs, tree, commit];
  for (const object of all) await writeLoose(loose, object);
  await writeLoose(loose, commit); // again: left as it is
  const indexed = await fx.git(["index-pack", "--stdin", "--strict"], {
    cwd: packed,
    stdin: packOf(all),
  });
  assert.equal(indexed.code, 0, indexed.stderr);
  for (const repo of [loose, packed]) {
    await Deno.writeTextFile(`${repo}/refs/heads/main`, `${commit.oid}\n`);
    const fsck = await fx.git(["fsck", "--strict", "--no-dangling"], {
      cwd: repo,
    });
    assert.equal(fsck.code, 0, fsck.stderr);
    assert.equal(fsck.stderr, "");
    assert.deepEqual(await fx.file(repo, "main", "big.bin"), big);
    assert.equal(await fx.count(repo), 1);
  }
  const objects = await fx.git(["count-objects", "-v"], { cwd: loose });
  assert.match(objects.stdout, /^count: 4$/m);
});

Deno.test("seed: a first commit written in-process is the commit fast-import writes", async () => {
  await using fx = await Fixture.create();
  const files = {
    ".runtime-version": "0.1.0\n",
    ".gitea/workflows/build.yml": "on: push\n",
    ".gitea/workflows-x/a": "x",
    "foo.txt": new Uint8Array([0, 1, 2]),
    "foo/bar": { mode: "100755" as const, data: "#!/bin/sh\n" },
    "link": { mode: "120000" as const, data: "foo.txt" },
    "empty": "",
  };
  const made = await fx.repo("made", null);
  const id = await seedCommit(fx.git, made, {
    branch: "main",
    files,
    message: "seed\n",
    author: "Ann Example <ann@x.test>",
    time: 1_700_000_001,
  });
  const written = await fx.git(["count-objects"], { cwd: made });
  assert.match(written.stdout, /^\d+ objects/);
  assert.doesNotMatch(
    (await fx.git(["count-objects", "-v"], { cwd: made })).stdout,
    /^count: 0$/m,
    "not written loose: fast-import ran",
  );
  const real = await fx.repo("real", null);
  const stream = new FastImportStream();
  stream.text("commit refs/heads/main\nmark :1\n");
  const who = "Ann Example <ann@x.test> 1700000001 +0000";
  stream.text(`author ${who}\ncommitter ${who}\n`);
  stream.data("seed\n");
  for (const [path, file] of Object.entries(files)) {
    const [mode, data] = typeof file === "object" && "mode" in file
      ? [file.mode, file.data]
      : ["100644", file];
    stream.text(`M ${mode} inline ${path}\n`);
    stream.data(data);
  }
  stream.text("get-mark :1\n");
  const real_id = (await stream.run(fx.git, real)).trim();
  assert.equal(id, real_id);
  assert.equal(await fx.tip(made), id);
  const fsck = await fx.git(["fsck", "--strict"], { cwd: made });
  assert.equal(fsck.code, 0, fsck.stderr);
});
