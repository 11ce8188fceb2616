import assert from "node:assert/strict";
import { deadline } from "../lib/git/_deadline.ts";

Deno.test("a deadline aborts with a TimeoutError when its time is up", async () => {
  using d = deadline(1);
  const reason = await new Promise<unknown>((resolve) =>
    d.signal.addEventListener("abort", () => resolve(d.signal.reason))
  );
  assert.ok(d.timedOut);
  assert.ok(reason instanceof DOMException);
  assert.equal(reason.name, "TimeoutError");
});

Deno.test("an interrupt aborts the deadline with its reason, not as a timeout", () => {
  const interrupt = new AbortController();
  using d = deadline(60_000, interrupt.signal);
  assert.equal(d.signal.aborted, false);
  interrupt.abort("stop");
  assert.equal(d.signal.aborted, true);
  assert.equal(d.signal.reason, "stop");
  assert.equal(d.timedOut, false);
});

Deno.test("an interrupt that came first aborts the deadline at once", () => {
  const interrupt = new AbortController();
  interrupt.abort("early");
  using d = deadline(60_000, interrupt.signal);
  assert.equal(d.signal.aborted, true);
  assert.equal(d.signal.reason, "early");
});

Deno.test("a disposed deadline neither times out nor follows the interrupt", async () => {
  const interrupt = new AbortController();
  const d = deadline(5, interrupt.signal);
  d[Symbol.dispose]();
  interrupt.abort("late");
  // Long past the 5 ms: its timer was cleared (the test's op sanitizer
  // would also fail on a leaked timer).
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(d.signal.aborted, false);
  assert.equal(d.timedOut, false);
});
