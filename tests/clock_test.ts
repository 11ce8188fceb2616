/** The clock CI waits run on (`lib/engine/clock.ts`). */

import assert from "node:assert/strict";
import { SYSTEM_CLOCK } from "../lib/engine/clock.ts";
import { fakeClock } from "./support/wait_fixtures.ts";

Deno.test("clock: the system clock's sleep ends at once, false, on an abort", async () => {
  const controller = new AbortController();
  const before = SYSTEM_CLOCK.now();
  // An hour-long sleep that the abort cuts short: the test cannot hang.
  const sleeping = SYSTEM_CLOCK.sleep(3_600_000, controller.signal);
  controller.abort();
  assert.equal(await sleeping, false);
  assert.equal(await SYSTEM_CLOCK.sleep(5, controller.signal), false);
  assert.equal(await SYSTEM_CLOCK.sleep(1), true);
  assert.ok(SYSTEM_CLOCK.now() >= before);
});

Deno.test("clock: the fake clock moves by its sleeps only", async () => {
  const clock = fakeClock(1000);
  assert.equal(clock.now(), 1000);
  assert.equal(await clock.sleep(250), true);
  assert.equal(await clock.sleep(3_600_000), true);
  assert.equal(clock.now(), 1000 + 250 + 3_600_000);
  const controller = new AbortController();
  controller.abort();
  assert.equal(await clock.sleep(10, controller.signal), false);
  assert.deepEqual(clock.slept, [250, 3_600_000]);
});
