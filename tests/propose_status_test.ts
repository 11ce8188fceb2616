/**
 * The pull-request path after the push: `status --via pr` reports a
 * drifted template's open pull request from cascade, and
 * `--retry-failed` proposes again where the pull request was closed
 * without merging. Against the stand-in Gitea, asserted on its side.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import type { PushReport, StatusReport } from "../lib/model.ts";
import { attachPulls } from "./support/gitea_pulls.ts";
import { ENV, setup } from "./support/wait_fixtures.ts";
import { reportValidator } from "./support/report_schema.ts";

// One server and one proposal for both steps: status reads the open pull
// request, then the retry proposes again once it is closed.
Deno.test("status --via pr and push --retry-failed after a proposal", async (t) => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b"], null);
  await using _ = gitea;
  const pulls = attachPulls(gitea, `${fx.root}/srv`);
  const common = ["--base-url", gitea.origin, "--repo", "org/a"];
  const first = `${fx.root}/r1.json`;
  const pushed = await runCascade(
    ["push", "0.2", ...common, "--via", "pr", "--json", first],
    ENV,
  );
  assert.equal(pushed.code, 0, pushed.stdout + pushed.stderr);

  await t.step(
    "status --via pr: a drifted template with cascade's pull request open reports drift with the pull request",
    async () => {
      const json = `${fx.root}/s.json`;
      const run = await runCascade([
        "status",
        "0.2",
        ...common,
        "--repo",
        "org/b",
        "--via",
        "pr",
        "--json",
        json,
      ], ENV);
      assert.equal(run.code, 1, "drift still fails status");
      const report = await readReport<StatusReport>(json);
      const [a, b] = report.results;
      assert.equal(a?.drift, true);
      assert.equal(a?.current, "0.1");
      assert.deepEqual(a?.pr, {
        number: 1,
        url: `${gitea.origin}/org/a/pulls/1`,
        branch: "cascade/runtime-version",
        head: a?.pr?.head,
      });
      assert.match(a?.pr?.head ?? "", /^[0-9a-f]{40}$/);
      assert.match(
        run.stdout,
        new RegExp(
          `org/a .*proposed in pull request #1 ${gitea.origin}/org/a/pulls/1`,
        ),
      );
      assert.equal(b?.drift, true);
      assert.equal(b?.pr, undefined, "no pull request: plain drift");
      const valid = await reportValidator("status-report.schema.json");
      assert.ok(valid(report), JSON.stringify(valid.errors));
    },
  );

  await t.step(
    "push --retry-failed: a pull request closed without merging is proposed again, one open",
    async () => {
      await pulls.close("org/a", 1);
      const second = `${fx.root}/r2.json`;
      const retry = await runCascade(
        // The server is given again: a retry takes no server from a report.
        [
          "push",
          "0.2",
          "--retry-failed",
          first,
          "--base-url",
          gitea.origin,
          "--json",
          second,
        ],
        ENV,
      );
      assert.equal(retry.code, 0, retry.stdout + retry.stderr);
      const report = await readReport<PushReport>(second);
      assert.equal(report.results[0]?.status, "proposed");
      assert.equal(report.results[0]?.pr?.number, 2);
      assert.deepEqual(
        pulls.pulls("org/a").map((p) => [p.number, p.state]),
        [[1, "closed"], [2, "open"]],
      );
      assert.equal(
        await fx.text(repos[0] ?? "", "main", ".runtime-version"),
        "0.1\n",
      );
    },
  );
});
