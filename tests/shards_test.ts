/**
 * `deno task test` runs the shard modules (`shards/load.ts`): every test
 * file of `tests/` is in exactly one shard, and every shard module exists
 * and loads its own share.
 */

import assert from "node:assert/strict";
import { shardFiles, shardModule, SHARDS } from "./shards/load.ts";
import { affinityList, runSummary, summaryCounts } from "./shards/run.ts";

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
  assert.match(
    task,
    /^deno run [^|;&]* tests\/shards\/run\.ts$/,
    "the test task runs the shards in lanes",
  );
});

Deno.test("shards run: deno test's summary line is read with or without colour; none is null", () => {
  assert.deepEqual(
    summaryCounts("x ... ok\n\nok | 12 passed | 0 failed (3s)\n"),
    { passed: 12, failed: 0 },
  );
  assert.deepEqual(
    summaryCounts(
      "\x1b[0m\x1b[31mFAILED\x1b[0m | 10 passed (2 steps) | 2 failed | 1 ignored \x1b[38;5;245m(1m2s)\x1b[0m\n",
    ),
    { passed: 10, failed: 2 },
  );
  assert.equal(summaryCounts("error: Module not found\n"), null);
  assert.equal(summaryCounts("ok | passed\n"), null);
});

Deno.test("shards run: taskset's affinity list is read as CPUs; anything else is null", () => {
  assert.deepEqual(
    affinityList("pid 7's current affinity list: 0,2-4\n"),
    [0, 2, 3, 4],
  );
  assert.deepEqual(affinityList("pid 7's current affinity list: 1\n"), [1]);
  assert.equal(affinityList("taskset: failed to get pid 7's affinity\n"), null);
  assert.equal(affinityList("pid 7's current affinity list: 0-x\n"), null);
  assert.equal(
    affinityList("pid 7's current affinity list: 0-99999999\n")?.length,
    1024,
    "a list is bounded",
  );
});

Deno.test("shards run: the run is ok only when every shard exited 0 with a summary and no failure", () => {
  const ok = { code: 0, counts: { passed: 5, failed: 0 }, ms: 1 };
  assert.equal(
    runSummary([{ shard: 1, ...ok }, { shard: 2, ...ok }], 61_400),
    "ok | 10 passed | 0 failed (61s, 2 shards)",
  );
  assert.equal(
    runSummary([{ shard: 1, ...ok }, { shard: 2, ...ok, code: 1 }], 1000),
    "FAILED | 10 passed | 0 failed | shards shard_02_test.ts failed (1s, 2 shards)",
  );
  assert.equal(
    runSummary([{ shard: 3, code: 0, counts: null, ms: 1 }], 1000),
    "FAILED | 0 passed | 0 failed | shards shard_03_test.ts failed (1s, 1 shard)",
  );
});
