import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { prefixFix, prefixSkip } from "../lib/version/prefix.ts";
import { Fixture, readReport, runCascadeProcess } from "./support/fixtures.ts";

Deno.test("subprocess: push v0.1.16 against templates at 0.1.15 exits 2 before any push, asking 'did you mean 0.1.16?'", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1.15\n" });
  const b = await fx.repo("b", { ".runtime-version": "0.1.15\n" });
  const json = `${fx.root}/r.json`;
  const run = await runCascadeProcess(
    ["push", "v0.1.16", "--repo", a, "--repo", b, "--json", json],
    { tmpDir: fx.root },
  );
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /^cascade: all 2 templates hold 0\.1\.15, without a leading "v": did you mean 0\.1\.16\? Nothing was pushed to them; pass --allow-prefix-change to write v0\.1\.16 as given$/m,
  );
  assert.equal(await fx.count(a), 1);
  assert.equal(await fx.count(b), 1);
  // Nothing was written, so no warning says it was.
  assert.doesNotMatch(run.stderr, /written as given/);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.status, r.skip]), [
    ["skipped", "prefix"],
    ["skipped", "prefix"],
  ]);

  // The fix given: the retry takes both, at the corrected version.
  const retry = await runCascadeProcess(
    ["push", "0.1.16", "--retry-failed", json],
    { tmpDir: fx.root },
  );
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.1.16\n");
  assert.equal(await fx.text(b, "main", ".runtime-version"), "0.1.16\n");

  // --allow-prefix-change writes it as given.
  const allowed = await runCascadeProcess(
    ["push", "v0.1.17", "--repo", a, "--allow-prefix-change"],
    { tmpDir: fx.root },
  );
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "v0.1.17\n");
});

Deno.test("subprocess: push 0.1.16 against v0.1.15 is refused the same way; status v0.1.15 against 0.1.15 gives the hint", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "v0.1.15\n" });
  const plain = await fx.repo("p", { ".runtime-version": "0.1.15\n" });
  const run = await runCascadeProcess(["push", "0.1.16", "--repo", a], {
    tmpDir: fx.root,
  });
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /^cascade: the template holds v0\.1\.15, with a leading "v": did you mean v0\.1\.16\?/m,
  );
  assert.equal(await fx.count(a), 1);

  const status = await runCascadeProcess(
    ["status", "v0.1.15", "--repo", plain],
    { tmpDir: fx.root },
  );
  assert.equal(status.code, 1, status.stdout + status.stderr);
  assert.match(
    status.stderr,
    /^cascade: the template holds 0\.1\.15, without a leading "v": did you mean 0\.1\.15\?$/m,
  );
});

Deno.test("unit: prefixFix gives the version in the template's convention", () => {
  assert.equal(prefixFix("v0.1.16", "0.1.15"), "0.1.16");
  assert.equal(prefixFix("0.1.16", "v0.1.15"), "v0.1.16");
  assert.equal(prefixFix("v2", "1.0"), "2");
  // Same convention, nothing held, or not version-like: no fix.
  for (
    const [version, held] of [
      ["0.1.16", "0.1.15"],
      ["v0.1.16", "v0.1.15"],
      ["v0.1.16", null],
      ["v0.1.16", ""],
      ["v0.1.16", "latest"],
      ["vnext", "1.0"],
      ["release-1", "v1"],
      ["V1.0", "1.0"],
      ["v", "1.0"],
    ] as const
  ) {
    assert.equal(prefixFix(version, held), null, `${version} vs ${held}`);
  }
});

Deno.test("unit: prefixSkip says what is held, the fix and the flag", () => {
  assert.equal(
    prefixSkip("v0.1.16", "0.1.15", false),
    'holds 0.1.15, without a leading "v": did you mean 0.1.16? (--allow-prefix-change writes v0.1.16 as given)',
  );
  assert.equal(
    prefixSkip("0.2", "v0.1", false),
    'holds v0.1, with a leading "v": did you mean v0.2? (--allow-prefix-change writes 0.2 as given)',
  );
});
