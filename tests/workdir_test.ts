/** The run's work dir and interrupts (`lib/engine/workdir.ts`). */

import assert from "node:assert/strict";
import { withWorkDir } from "../lib/engine/workdir.ts";
import { Console } from "../lib/console/console.ts";
import { Redactor } from "../lib/console/redact.ts";
import { memorySinks } from "./support/fixtures.ts";

const out = () => new Console(memorySinks(), new Redactor(), false);

Deno.test("workdir: a fresh empty dir for the body, removed after", async () => {
  let seen = "";
  const run = await withWorkDir(
    { handleSignals: false },
    out(),
    async (dir, signal) => {
      seen = dir;
      assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
      await Deno.writeTextFile(`${dir}/f`, "x");
      assert.equal(signal.aborted, false);
      return 7;
    },
  );
  assert.deepEqual(run, { value: 7, interrupted: false });
  await assert.rejects(Deno.stat(seen), Deno.errors.NotFound);
});

Deno.test("workdir: removed when the body throws, and the error passes", async () => {
  let seen = "";
  await assert.rejects(
    withWorkDir({ handleSignals: false }, out(), async (dir) => {
      seen = dir;
      await Deno.mkdir(`${dir}/sub`);
      throw new Error("boom");
    }),
    /boom/,
  );
  await assert.rejects(Deno.stat(seen), Deno.errors.NotFound);
});

Deno.test("workdir: an external interrupt aborts the run's signal", async () => {
  const controller = new AbortController();
  const run = await withWorkDir(
    { handleSignals: false, signal: controller.signal },
    out(),
    (_dir, signal) => {
      controller.abort();
      return Promise.resolve(signal.aborted);
    },
  );
  assert.deepEqual(run, { value: true, interrupted: true });
});
