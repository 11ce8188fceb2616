import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import {
  args,
  BUILD,
  ENV,
  FAST,
  receivePacks,
  setup,
} from "./support/wait_fixtures.ts";

Deno.test("push --wait --canary: a red canary stops the rest, nothing pushed to them", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b", "c"], {
    contexts: [BUILD],
  });
  await using _ = gitea;
  await gitea.api.configureCi("org/a", {
    contexts: [BUILD],
    outcome: "failure",
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a", "b", "c"], ["--wait", "--canary", "1", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const report = await readReport<PushReport>(json);
  const link = `${gitea.origin}/org/a/actions/runs/1/jobs/0`;
  assert.equal(report.results[0]?.ci?.state, "failure");
  for (const [i, result] of report.results.slice(1).entries()) {
    assert.equal(result.status, "skipped");
    assert.equal(result.skip, "aborted");
    assert.ok(
      result.reason?.includes(`canary org/a: CI failure (${link})`),
      result.reason,
    );
    assert.equal(
      await fx.count(repos[i + 1] ?? ""),
      1,
      "no commit on the rest",
    );
    assert.equal(receivePacks(gitea, ["b", "c"][i] ?? ""), 0);
  }
  assert.equal(receivePacks(gitea, "a"), 1);
});

Deno.test("push --wait --canary: a green canary lets the rest through", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b", "c"], {
    contexts: [BUILD],
  });
  await using _ = gitea;
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a", "b", "c"], ["--wait", "--canary", "1", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status, r.ci?.state]), [
    ["org/a", "updated", "success"],
    ["org/b", "updated", "success"],
    ["org/c", "updated", "success"],
  ]);
  for (const repo of repos) {
    assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  }
});

Deno.test("push --wait --canary: credentials refused for a later target stop the canary's push too", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b"], { contexts: [BUILD] });
  await using _ = gitea;
  const bad = `http://cascade:wrong@${new URL(gitea.origin).host}/org/b.git`;
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    [
      "push",
      "0.2",
      "--base-url",
      gitea.origin,
      "--repo",
      "org/a",
      "--repo",
      bad,
      "--wait",
      "--canary",
      "1",
      "--json",
      json,
    ],
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 3, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.status, r.skip ?? null]), [
    ["skipped", "aborted"],
    ["failed", null],
  ]);
  for (const repo of repos) assert.equal(await fx.count(repo), 1);
  assert.equal(receivePacks(gitea, "a"), 0);
});
