/**
 * `cascade push --via pr --auto-merge`: merging when the head's CI is
 * green, never a head that moved, and what a hostile server's pull
 * request answers become. Against the stand-in Gitea, asserted on its
 * side (pull requests, branches, the default branch).
 */

import assert from "node:assert/strict";
import { Fixture, readReport } from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { BUILD } from "./support/wait_fixtures.ts";
import { push, world } from "./support/propose_world.ts";

const BRANCH = "cascade/runtime-version";

Deno.test("push --via pr --auto-merge --wait: a green head is merged, the branch deleted, main holds the version", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a"], true);
  await using _ = gitea;
  await pulls.protect("org/a");
  const json = `${fx.root}/r.json`;
  const run = await push(gitea, ["a"], [
    "--via",
    "pr",
    "--auto-merge",
    "--merge-style",
    "squash",
    "--wait",
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  await pulls.settled();
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.status, "merged");
  assert.equal(report.results[0]?.ci?.state, "success");
  const pull = pulls.pulls("org/a")[0];
  assert.equal(pull?.merged, true);
  const repo = repos[0] ?? "";
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.equal((await fx.show(repo, "main")).parents.length, 1, "squashed");
  assert.deepEqual(await fx.branches(repo), ["main"], "branch deleted");
  const merge = gitea.api.requests.find((r) => r.path.endsWith("/merge"));
  const body = JSON.parse(merge?.body ?? "{}");
  assert.equal(body.Do, "squash");
  assert.equal(body.merge_when_checks_succeed, true);
  assert.equal(body.delete_branch_after_merge, true);
  assert.equal(body.head_commit_id, report.results[0]?.pr?.head);
});

Deno.test("push --via pr --auto-merge --wait: a red head is not merged and fails the run", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a"], true);
  await using _ = gitea;
  await gitea.api.configureCi("org/a", {
    contexts: [BUILD],
    outcome: "failure",
  });
  await pulls.protect("org/a");
  const main = await fx.tip(repos[0] ?? "");
  const json = `${fx.root}/r.json`;
  const run = await push(gitea, ["a"], [
    "--via",
    "pr",
    "--auto-merge",
    "--wait",
    "--json",
    json,
  ]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.status, "proposed");
  assert.equal(report.results[0]?.ci?.state, "failure");
  assert.equal(await fx.tip(repos[0] ?? ""), main, "main untouched");
  assert.equal(pulls.open("org/a").length, 1, "left open");
});

Deno.test("push --via pr --auto-merge: a head moved before the merge is refused by head_commit_id", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a"], false);
  await using _ = gitea;
  const repo = repos[0] ?? "";
  const main = await fx.tip(repo);
  pulls.beforeMerge = async () => {
    await fx.commit(repo, {
      branch: BRANCH,
      files: { "evil.txt": "x\n" },
      message: "sneak in\n",
    });
  };
  const json = `${fx.root}/r.json`;
  const run = await push(gitea, ["a"], [
    "--via",
    "pr",
    "--auto-merge",
    "--json",
    json,
  ]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.status, "failed");
  assert.equal(report.results[0]?.error?.kind, "conflict");
  assert.match(report.results[0]?.error?.message ?? "", /head out of date/);
  assert.equal(await fx.tip(repo), main, "main untouched");
  assert.equal(pulls.pulls("org/a")[0]?.merged, false);
});

Deno.test("push --via pr --auto-merge: a scheduled merge is dropped when the head moves before CI turns green", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a"], false);
  await using _ = gitea;
  await pulls.protect("org/a");
  const repo = repos[0] ?? "";
  const main = await fx.tip(repo);
  const run = await push(gitea, ["a"], ["--via", "pr", "--auto-merge"]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const pull = pulls.open("org/a")[0];
  assert.ok(pull?.schedule, "scheduled");
  const moved = await fx.commit(repo, {
    branch: BRANCH,
    files: { "evil.txt": "x\n" },
    message: "sneak in\n",
  });
  gitea.api.postStatus("org/a", moved, {
    status: "success",
    context: BUILD,
    description: "ok",
    target_url: "",
  });
  await pulls.settled();
  assert.equal(pull?.merged, false, "never merged");
  assert.equal(await fx.tip(repo), main);
});

Deno.test("push --via pr: a hostile server's pull request fields are data: a bad URL dropped, control characters never printed", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls } = await world(fx, ["a", "b"], false);
  await using _ = gitea;
  const real = gitea.api.handle.bind(gitea.api);
  gitea.api.handle = async (request) => {
    const answer = await real(request);
    const url = new URL(request.url);
    if (request.method !== "POST" || !url.pathname.endsWith("/pulls")) {
      return answer;
    }
    const body = await answer?.json();
    const hostile = url.pathname.includes("/org/a/")
      ? "javascript:alert(1)"
      : `${gitea.origin}/org/b/pulls/1\u001b[2J\u0007 (x)`;
    return new Response(
      JSON.stringify({
        ...body,
        html_url: hostile,
        title: "\u001b]0;pwned\u0007",
      }),
      { status: 201, headers: { "Content-Type": "application/json" } },
    );
  };
  const json = `${fx.root}/r.json`;
  const summary = `${fx.root}/summary.md`;
  const run = await push(gitea, ["a", "b"], [
    "--via",
    "pr",
    "--json",
    json,
    "--summary",
    summary,
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.pr?.url, null, "not an http(s) URL");
  const shown = report.results[1]?.pr?.url ?? "";
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f]/.test(shown), shown);
  const printed = run.stdout + run.stderr + await Deno.readTextFile(summary);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0007\u001b]/.test(printed), "no control character printed");
  assert.ok(!printed.includes("javascript:"));
  assert.match(
    printed,
    /pull request #1 http:\/\/127\.0\.0\.1:\d+\/org\/b\/pulls\/1%1B%5B2J%07%20%28x%29/,
  );
  assert.equal(pulls.open("org/a").length, 1);
});
