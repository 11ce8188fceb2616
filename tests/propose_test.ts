/**
 * `cascade push --via pr|auto`: proposing through `cascade/<file>` and one
 * pull request per template and file, against the stand-in Gitea with
 * real bare repos, asserted on the server's side (pull requests, branch
 * contents, the default branch).
 */

import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { args, ENV } from "./support/wait_fixtures.ts";
import { push, world } from "./support/propose_world.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import { reportValidator } from "./support/report_schema.ts";

const BRANCH = "cascade/runtime-version";
const BOT = "cascade-bot <cascade-bot@noreply.localhost>";

Deno.test("push --via pr: one commit on cascade/<file>, one pull request per template, the default branch untouched; re-runs and a newer version keep one", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a", "b"], false);
  await using _ = gitea;
  const mains = await Promise.all(repos.map((r) => fx.tip(r)));
  const json = `${fx.root}/r.json`;
  const first = await push(gitea, ["a", "b"], ["--via", "pr", "--json", json]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  let report = await readReport<PushReport>(json);
  for (const [i, repo] of repos.entries()) {
    const name = `org/${["a", "b"][i]}`;
    assert.equal(await fx.tip(repo), mains[i], "main untouched");
    const open = pulls.open(name);
    assert.equal(open.length, 1);
    assert.equal(open[0]?.head, BRANCH);
    assert.equal(open[0]?.base, "main");
    assert.match(open[0]?.title ?? "", /0\.2/);
    const head = await fx.show(repo, BRANCH);
    assert.deepEqual(head.parents, [mains[i]]);
    assert.equal(head.author, BOT);
    assert.equal(head.committer, BOT);
    assert.equal(
      head.message,
      "chore: pin runtime to 0.2 (publish-runtime cascade)\n",
    );
    assert.deepEqual(await fx.changed(repo, BRANCH), [".runtime-version"]);
    assert.equal(await fx.text(repo, BRANCH, ".runtime-version"), "0.2\n");
    const result = report.results[i];
    assert.equal(result?.status, "proposed");
    assert.deepEqual(result?.pr, {
      number: 1,
      url: `${gitea.origin}/${name}/pulls/1`,
      branch: BRANCH,
      head: head.sha,
    });
  }
  assert.equal(report.summary.proposed, 2);
  const valid = await reportValidator("push-report.schema.json");
  assert.ok(valid(report), JSON.stringify(valid.errors));
  assert.ok(
    !valid({
      ...report,
      results: [{ ...report.results[0], pr: { number: 1 } }],
    }),
  );
  assert.match(first.stdout, /proposed/);

  const again = await push(gitea, ["a", "b"], ["--via", "pr", "--json", json]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => r.status), [
    "unchanged",
    "unchanged",
  ]);
  assert.equal(pulls.pulls("org/a").length, 1, "no second pull request");

  const tipBefore = await fx.tip(repos[0] ?? "", BRANCH);
  // Someone moves org/a's main: the newer version goes on its new tip.
  const movedMain = await fx.commit(repos[0] ?? "", {
    branch: "main",
    files: { "NOTES.md": "moved\n" },
    message: "unrelated\n",
  });
  mains[0] = movedMain;
  const newer = await push(
    gitea,
    ["a", "b"],
    ["--via", "pr", "--json", json],
    "0.3",
  );
  assert.equal(newer.code, 0, newer.stdout + newer.stderr);
  report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => r.status), [
    "proposed",
    "proposed",
  ]);
  for (const [i, repo] of repos.entries()) {
    const name = `org/${["a", "b"][i]}`;
    assert.equal(pulls.pulls(name).length, 1, "still one pull request");
    assert.match(pulls.open(name)[0]?.title ?? "", /0\.3/);
    assert.equal(await fx.text(repo, BRANCH, ".runtime-version"), "0.3\n");
    assert.deepEqual((await fx.show(repo, BRANCH)).parents, [mains[i]]);
    assert.equal(await fx.tip(repo), mains[i], "main still untouched");
  }
  assert.notEqual(await fx.tip(repos[0] ?? "", BRANCH), tipBefore);
});

/**
 * One server at `version`, an open and a protected template, one
 * `--via auto` run: as users run it (a subprocess, with --allow-net for
 * the API) or in this process.
 */
async function autoMix(version: string, subprocess: boolean): Promise<void> {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["open", "locked"], false);
  await using _ = gitea;
  gitea.api.version = version;
  await pulls.protect("org/locked");
  const locked = await fx.tip(repos[1] ?? "");
  const json = `${fx.root}/r.json`;
  const argv = args(gitea, ["open", "locked"], [
    "--via",
    "auto",
    "--json",
    json,
  ]);
  const run = subprocess
    ? await runCascadeProcess(argv, {
      env: ENV,
      tmpDir: fx.root,
      allowNet: "127.0.0.1",
    })
    : await runCascade(argv, ENV);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    ["org/open", "updated"],
    ["org/locked", "proposed"],
  ]);
  assert.equal(report.results[0]?.pr, undefined);
  assert.equal(
    await fx.text(repos[0] ?? "", "main", ".runtime-version"),
    "0.2\n",
  );
  assert.equal(
    await fx.tip(repos[1] ?? ""),
    locked,
    `${version}: protected main untouched`,
  );
  assert.equal(pulls.open("org/locked").length, 1);
  assert.equal(pulls.pulls("org/open").length, 0);
  assert.deepEqual(await fx.branches(repos[0] ?? ""), ["main"]);
}

Deno.test("push --via auto: pushes where allowed, proposes where the branch is protected", async () => {
  // Gitea's refusal words differ by version (see NOTES.md): both at once,
  // the newer one run as users run it.
  await Promise.all([autoMix("1.22.6", false), autoMix("1.24.0", true)]);
});

Deno.test("push --via pr: a branch with someone else's commit is refused and left untouched", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a"], false);
  await using _ = gitea;
  const repo = repos[0] ?? "";
  await fx.git(["branch", BRANCH, "main"], { cwd: repo });
  const foreign = await fx.commit(repo, {
    branch: BRANCH,
    files: { "notes.txt": "mine\n" },
    message: "someone's work\n",
  });
  const json = `${fx.root}/r.json`;
  const run = await push(gitea, ["a"], ["--via", "pr", "--json", json]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.status, "failed");
  assert.equal(report.results[0]?.error?.kind, "conflict");
  assert.match(
    report.results[0]?.error?.message ?? "",
    /^org\/a: cascade\/runtime-version holds a commit cascade did not make .*untouched/,
  );
  assert.equal(await fx.tip(repo, BRANCH), foreign, "not overwritten");
  assert.equal(pulls.pulls("org/a").length, 0);
});

Deno.test("push --via pr: a refused pull request deletes the branch it pushed", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls, repos } = await world(fx, ["a"], false);
  await using _ = gitea;
  pulls.refuseCreate("org/a", 403, "user should have write permission");
  const json = `${fx.root}/r.json`;
  const run = await push(gitea, ["a"], ["--via", "pr", "--json", json]);
  assert.equal(run.code, 1);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.error?.kind, "auth");
  assert.match(
    report.results[0]?.error?.message ?? "",
    /answered 403: "user should have write permission".*cascade\/runtime-version was deleted again/,
  );
  assert.deepEqual(await fx.branches(repos[0] ?? ""), ["main"]);
});

Deno.test("push --via pr on a plain git host: exit 2, nothing pushed", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using git = await startGitHttpServer({ root: `${fx.root}/srv` });
  const run = await runCascadeProcess([
    "push",
    "0.2",
    "--base-url",
    git.origin,
    "--repo",
    "org/a",
    "--via",
    "pr",
  ], { env: ENV, tmpDir: fx.root, allowNet: "127.0.0.1" });
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /no Gitea API answered, so nothing was pushed/);
  assert.equal(
    git.requests.filter((r) => r.path.endsWith("git-receive-pack")).length,
    0,
  );
});

Deno.test("push: --auto-merge without --via pr is a usage error", async () => {
  const run = await runCascade([
    "push",
    "0.2",
    "--base-url",
    "http://127.0.0.1:9",
    "--repo",
    "org/a",
    "--auto-merge",
  ], ENV);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--auto-merge applies to pull requests/);
});
