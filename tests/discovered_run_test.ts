/**
 * `push` and `status` over targets discovered with `--org`: what the
 * server holds afterwards.
 */

import assert from "node:assert/strict";
import { readReport, runCascade } from "./support/fixtures.ts";
import { world } from "./support/targets_world.ts";
Deno.test("push and status run over discovered targets; the server holds the commits", async () => {
  await using w = await world();
  const discover = [
    "--org",
    "tpl",
    "--topic",
    "runtime",
    "--probe",
    "Dockerfile",
  ];
  const before = await runCascade(["status", "0.1.0", ...discover], w.env);
  assert.equal(before.code, 0, before.stdout + before.stderr);
  const json = `${w.fx.root}/push.json`;
  const push = await runCascade(
    ["push", "0.2.0", ...discover, "--json", json, "-v"],
    w.env,
  );
  assert.equal(push.code, 0, push.stdout + push.stderr);
  const report = await readReport<
    { results: { repo: string; status: string }[] }
  >(json);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    ["tpl/t-legacy", "skipped"],
    ["tpl/t-node", "updated"],
    ["tpl/t-python", "updated"],
  ]);
  assert.match(push.stderr, /left out tpl\/t-archived: archived/);
  const repo = (name: string) => `${w.srv}/tpl/${name}.git`;
  assert.equal(
    await w.fx.text(repo("t-node"), "main", ".runtime-version"),
    "0.2.0\n",
  );
  assert.equal(
    await w.fx.text(repo("t-python"), "trunk", ".runtime-version"),
    "0.2.0\n",
  );
  assert.equal(await w.fx.count(repo("t-node")), 2);
  assert.equal(await w.fx.count(repo("t-python"), "trunk"), 2);
  for (const untouched of ["t-legacy", "t-docs", "t-archived", "t-fork"]) {
    assert.equal(await w.fx.count(repo(untouched)), 1, untouched);
    assert.equal(
      await w.fx.text(repo(untouched), "main", ".runtime-version"),
      "0.1.0\n",
    );
  }
  const after = await runCascade(["status", "0.2.0", ...discover], w.env);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  const drifted = await runCascade(
    ["status", "0.2.0", "--org", "tpl", "--match", "t-docs"],
    w.env,
  );
  assert.equal(drifted.code, 1, "t-docs is still at 0.1.0");
});

Deno.test("push over an --org whose repos are all left out is an input error (exit 2), never a green run over nothing", async () => {
  await using w = await world();
  const run = await runCascade(
    ["push", "0.2.0", "--org", "tpl", "--match", "nothing-*"],
    w.env,
  );
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /no targets: --org tpl gave 60 repositories, all left out/,
  );
  assert.equal(await w.fx.count(`${w.srv}/tpl/t-node.git`), 1);
});
