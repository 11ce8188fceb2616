import assert from "node:assert/strict";
import { backoffDelay, sleep } from "../lib/engine/retry.ts";
import { mapPool } from "../lib/engine/pool.ts";

Deno.test("backoffDelay() is jittered, grows, and is capped", () => {
  const at = (random: number) => (retry: number) =>
    backoffDelay(retry, { baseMs: 100, maxMs: 1000, random: () => random });
  assert.deepEqual([1, 2, 3, 4, 5].map(at(0)), [50, 50, 50, 50, 50]);
  assert.deepEqual([1, 2, 3, 4, 5].map(at(0.999999)), [
    100,
    200,
    400,
    800,
    1000,
  ]);
  const seen = new Set(
    Array.from(
      { length: 50 },
      () => backoffDelay(3, { baseMs: 100, maxMs: 1000, random: Math.random }),
    ),
  );
  assert.ok(seen.size > 10, "racing publishers get different waits");
});

Deno.test("sleep() ends early, returning false, when aborted", async () => {
  const controller = new AbortController();
  // Ended by the abort, not the timer: that would resolve true, after a
  // minute (and the test's op sanitizer would see a timer left).
  const pending = sleep(60_000, controller.signal);
  controller.abort();
  assert.equal(await pending, false);
  assert.equal(await sleep(1), true);
});

Deno.test("mapPool() bounds concurrency and keeps input order", async () => {
  let inFlight = 0;
  let max = 0;
  const delays = [30, 5, 20, 1, 15, 2, 25, 3];
  const out = await mapPool(delays, 3, async (ms, i) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    return `${i}:${ms}`;
  }, () => "never");
  assert.deepEqual(out, delays.map((ms, i) => `${i}:${ms}`));
  assert.equal(max, 3);
});

Deno.test("mapPool() starts nothing new after abort", async () => {
  const controller = new AbortController();
  const out = await mapPool(
    [1, 2, 3, 4],
    1,
    async (n) => {
      if (n === 2) controller.abort();
      await Promise.resolve();
      return `ran ${n}`;
    },
    (n) => `skipped ${n}`,
    controller.signal,
  );
  assert.deepEqual(out, ["ran 1", "ran 2", "skipped 3", "skipped 4"]);
});
