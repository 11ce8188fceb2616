/**
 * The one `git fast-import` stream builder (`lib/git/fast_import.ts`):
 * exact-length data blocks, checked by what git stores.
 */

import assert from "node:assert/strict";
import { FastImportStream } from "../lib/git/fast_import.ts";
import { Fixture } from "./support/fixtures.ts";

Deno.test("fast-import: data blocks keep exact bytes (multi-byte, no newline, NUL) and git stores them", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", null);
  const content = new Uint8Array([0x68, 0x69, 0x00, 0xff, 0x0a, 0x7a]);
  const stream = new FastImportStream();
  stream.text("commit refs/heads/main\n");
  stream.text("committer Bot <bot@x.test> 1700000000 +0000\n");
  stream.data("héllo\nno newline at end");
  stream.text("M 100644 inline bin\n");
  stream.data(content);
  const before = new TextDecoder().decode(stream.bytes());
  assert.ok(before.includes("data 24\nhéllo\nno newline at end\n"), before);
  await stream.run(fx.git, path);
  const shown = await fx.show(path, "main");
  assert.equal(shown.rawMessage, "héllo\nno newline at end");
  assert.deepEqual(shown.parents, []);
  assert.deepEqual(await fx.file(path, "main", "bin"), content);
  assert.equal(await fx.count(path), 1);
});

Deno.test("fast-import: a stream git refuses throws with git's words", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", null);
  const stream = new FastImportStream();
  stream.text("commit refs/heads/main\nnot-a-command\n");
  await assert.rejects(
    stream.run(fx.git, path),
    /^Error: fast-import failed: /,
  );
  assert.equal(await fx.tip(path), null);
});
