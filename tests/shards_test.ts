/**
 * `deno task test` runs the shard modules (`shards/load.ts`): every test
 * file of `tests/` is in exactly one shard, and every shard module exists
 * and loads its own share.
 */

import assert from "node:assert/strict";
import { shardFiles, shardModule, SHARDS } from "./shards/load.ts";

Deno.test("shards: every tests/*_test.ts is in exactly one shard, and each shard module loads its share", async () => {
  const dir = new URL("./", import.meta.url);
  const all = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith("_test.ts"))
    .map((e) => e.name)
    .sort();
  const shards = shardFiles();
  assert.equal(shards.length, SHARDS);
  assert.deepEqual(shards.flat().sort(), all);
  assert.ok(all.includes("shards_test.ts"), "this file is in a shard too");
  for (const [i, names] of shards.entries()) {
    assert.ok(names.length > 0, `shard ${i + 1} is empty`);
    const text = await Deno.readTextFile(
      new URL(`./shards/${shardModule(i + 1)}`, import.meta.url),
    );
    assert.match(text, new RegExp(`await loadShard\\(${i + 1}\\);`));
  }
  const modules = [...Deno.readDirSync(new URL("./shards/", import.meta.url))]
    .map((e) => e.name).filter((n) => n.endsWith("_test.ts")).sort();
  assert.deepEqual(
    modules,
    shards.map((_, i) => shardModule(i + 1)),
    "one module per shard, named in run order",
  );
  const task = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  ).tasks.test as string;
  assert.match(task, / tests\/shards\/$/, "the test task runs the shards");
});
