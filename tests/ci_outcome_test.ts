/** A wait an interrupt cut short (`lib/engine/ci_outcome.ts`). */

import assert from "node:assert/strict";
import { interruptedWait } from "../lib/engine/ci_outcome.ts";

Deno.test("ci outcome: an interrupted wait keeps a final state, else pending", () => {
  const note = "interrupted while waiting; the CI seen so far";
  for (const state of ["success", "failure"] as const) {
    assert.deepEqual(
      interruptedWait({ state, contexts: [], url: null }, 1500),
      {
        state,
        contexts: [],
        url: null,
        waitedMs: 1500,
        note,
      },
    );
  }
  for (const state of ["pending", "none", "ambiguous"] as const) {
    const cut = interruptedWait({ state, contexts: [], url: null }, 20);
    assert.equal(cut.state, "pending");
    assert.equal(cut.note, note);
    assert.equal(cut.waitedMs, 20);
  }
});
