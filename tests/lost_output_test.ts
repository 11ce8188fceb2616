import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { processSinks } from "../lib/console/console.ts";
import { Fixture, readReport, spawnCascade } from "./support/fixtures.ts";

/**
 * A pre-receive hook that holds the push until `go` exists (bounded), so
 * the test closes cascade's pipes before cascade writes a byte.
 */
function heldHook(go: string): string {
  return `#!/bin/sh
i=0
while [ ! -e '${go}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
cat >/dev/null
exit 0
`;
}

Deno.test("processSinks: a stream whose write fails is marked lost and dropped, the other still writes", () => {
  const written: string[] = [];
  let calls = 0;
  const sinks = processSinks({
    stdout: {
      writeSync() {
        calls++;
        throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
      },
    },
    stderr: {
      writeSync(p) {
        written.push(new TextDecoder().decode(p));
        return p.length;
      },
    },
    isTerminal: false,
  });
  sinks.stdout("one\n");
  sinks.stdout("two\n");
  sinks.stderr("still here\n");
  assert.equal(calls, 1, "a lost stream is not written again");
  assert.deepEqual(sinks.lost?.(), ["stdout"]);
  assert.deepEqual(written, ["still here\n"]);
});

Deno.test("subprocess: stdout closed (| head -1): every template pushed, the report written with lostOutput, exit 0, stderr says so", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const b = await fx.repo("b", { ".runtime-version": "0.1\n" });
  const go = `${fx.root}/go`;
  await fx.hook(a, "pre-receive", heldHook(go));
  const json = `${fx.root}/p.json`;
  const child = spawnCascade(
    ["push", "0.2", "--repo", a, "--repo", b, "--json", json],
    { tmpDir: fx.root },
  );
  await child.stdout.cancel();
  await Deno.writeTextFile(go, "");
  const stderr = new TextDecoder().decode(
    (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
  );
  const status = await child.status;
  assert.equal(status.code, 0, stderr);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.text(b, "main", ".runtime-version"), "0.2\n");
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    [a, "updated"],
    [b, "updated"],
  ]);
  assert.deepEqual(report.lostOutput, ["stdout"]);
  assert.match(
    stderr,
    new RegExp(
      `^cascade: stdout was closed before the run ended; ${json} holds every result$`,
      "m",
    ),
  );
});

Deno.test("subprocess: stdout and stderr closed (2>&1 | head -1): a failing template still exits 1, the report is written", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const go = `${fx.root}/go`;
  await fx.hook(a, "pre-receive", heldHook(go));
  const missing = `${fx.root}/missing`;
  const json = `${fx.root}/p.json`;
  const child = spawnCascade(
    ["push", "0.2", "--repo", a, "--repo", missing, "--json", json],
    { tmpDir: fx.root },
  );
  await child.stdout.cancel();
  await child.stderr.cancel();
  await Deno.writeTextFile(go, "");
  const status = await child.status;
  assert.equal(status.code, 1);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.2\n");
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    [a, "updated"],
    [missing, "failed"],
  ]);
  assert.deepEqual(report.lostOutput, ["stderr", "stdout"]);
});
