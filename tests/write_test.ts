/** Writing the report files (`lib/report/write.ts`). */

import assert from "node:assert/strict";
import { writeProblem, writeReports } from "../lib/report/write.ts";
import { renderJson } from "../lib/report/render.ts";
import { summarise } from "./support/summarise.ts";
import { Console } from "../lib/console/console.ts";
import { Redactor } from "../lib/console/redact.ts";
import type { PushReport } from "../lib/model.ts";
import { memorySinks } from "./support/fixtures.ts";

function report(): PushReport {
  const results: PushReport["results"] = [{
    repo: "org/a",
    url: "u",
    branch: "main",
    status: "failed",
    previous: "0.1",
    commit: null,
    attempts: 1,
    durationMs: 1,
    error: { kind: "rejected", message: "org/a: refused" },
  }];
  return {
    tool: "0",
    command: "push",
    version: "0.2",
    file: ".runtime-version",
    dryRun: false,
    startedAt: "t",
    durationMs: 5,
    results,
    summary: summarise(results),
  };
}

Deno.test("write: --json is written; a file that cannot be written is one line, the others still go", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cascade-test-" });
  try {
    const sinks = memorySinks();
    const ok = await writeReports(
      report(),
      { json: "r.json", summary: "missing/s.md" },
      { cwd: dir, env: () => undefined },
      new Console(sinks, new Redactor(), false),
    );
    assert.equal(ok, false);
    assert.equal(
      await Deno.readTextFile(`${dir}/r.json`),
      renderJson(report()),
    );
    assert.deepEqual(sinks.err, [
      `cascade: cannot write ${dir}/missing/s.md: its directory does not exist; the run's results stand (see the report above)\n`,
    ]);
    assert.deepEqual(sinks.out, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("write: in Actions, annotations are printed and the step outputs appended", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cascade-test-" });
  try {
    await Deno.writeTextFile(`${dir}/out`, "before=1\n");
    const env: Record<string, string> = {
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: `${dir}/out`,
    };
    const sinks = memorySinks();
    const ok = await writeReports(
      report(),
      {},
      { cwd: dir, env: (n) => env[n] },
      new Console(sinks, new Redactor(), false),
    );
    assert.equal(ok, true);
    assert.equal(sinks.out.length, 1);
    assert.match(sinks.out[0] ?? "", /^::error .*org\/a: refused/);
    const outputs = await Deno.readTextFile(`${dir}/out`);
    assert.ok(outputs.startsWith("before=1\n"));
    assert.match(outputs, /failed-count/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("write: a few words for why a file could not be written", () => {
  assert.equal(
    writeProblem(new Deno.errors.PermissionDenied("x")),
    "permission denied",
  );
  assert.equal(
    writeProblem(new Deno.errors.NotCapable("x")),
    "Deno does not allow it: run with --allow-write",
  );
  assert.equal(writeProblem(new Error("first\nsecond")), "first");
});
