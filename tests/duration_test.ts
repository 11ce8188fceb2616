/** Durations as flags take them (`lib/cli/duration.ts`). */

import assert from "node:assert/strict";
import { parseDuration } from "../lib/cli/duration.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("duration: units, the default unit and the bounds", () => {
  assert.deepEqual(
    ["250ms", "90", "90s", "5m", "1h", " 2m ", "168h"].map((t) =>
      parseDuration("--wait-timeout", t)
    ),
    [250, 90_000, 90_000, 300_000, 3_600_000, 120_000, 604_800_000],
  );
  for (const bad of ["0", "169h", "1.5m", "-1", "5d", "", "1e3"]) {
    assert.throws(
      () => parseDuration("--wait-timeout", bad),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 2 &&
        e.message ===
          `--wait-timeout must be a duration like 90, 90s, 5m or 1h, not ${
            JSON.stringify(bad)
          }`,
    );
  }
});
