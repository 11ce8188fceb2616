import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import type { PushReport, StatusReport } from "../lib/model.ts";
import { apiTargetOf } from "../lib/forge/access.ts";
import { tokenOrigins } from "../lib/credentials.ts";
import { parseTarget } from "../lib/targets/target.ts";
import {
  args,
  BUILD,
  ENV,
  fakeClock,
  FAST,
  setup,
  statusRequests,
  TOKEN,
} from "./support/wait_fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";

Deno.test("status --ci: each template's CI at its tip; red or none exits 1", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b", "c"], null, {
    ".runtime-version": "0.2\n",
  });
  await using _ = gitea;
  const post = async (name: string, i: number, status: string) =>
    gitea.api.postStatus(`org/${name}`, (await fx.tip(repos[i] ?? "")) ?? "", {
      status,
      context: BUILD,
      description: status,
      target_url: `${gitea.origin}/org/${name}/actions/runs/1/jobs/0`,
    });
  await post("a", 0, "success");
  await post("b", 1, "failure");
  const json = `${fx.root}/s.json`;
  const base = [
    "status",
    "0.2",
    "--base-url",
    gitea.origin,
    "--ci",
    "--json",
    json,
  ];
  const run = await runCascade(
    [...base, "--repo", "org/a", "--repo", "org/b", "--repo", "org/c"],
    ENV,
  );
  assert.equal(run.code, 1, run.stdout);
  const report = await readReport<StatusReport>(json);
  assert.deepEqual(report.results.map((r) => r.ci?.state), [
    "success",
    "failure",
    "none",
  ]);
  assert.equal(
    report.results[1]?.ci?.url,
    `${gitea.origin}/org/b/actions/runs/1/jobs/0`,
  );
  // One status read each, and for the two not green the runs list (a
  // newer dispatched run posts no status; issue 23, item 5).
  assert.equal(report.apiRequests, 5);
  assert.equal(statusRequests(gitea), 3);
  assert.equal(
    gitea.api.requests.filter((r) => r.path.endsWith("/actions/tasks"))
      .length,
    2,
  );
  const green = await runCascade([...base, "--repo", "org/a"], ENV);
  assert.equal(green.code, 0, green.stdout);
});

Deno.test("push --wait: default poll intervals cost about one request per template per 2 s, and see the end within 2 s", async () => {
  await using fx = await Fixture.create();
  // One template: the fake clock is the run's, and every follow's sleep
  // moves it on, so one follow alone shows its own intervals.
  const names = ["a"];
  // The default intervals, on a fake clock the stand-in's CI runs by too:
  // the run queues 200 ms and runs 2.8 s of that clock, never of the wall.
  const clock = fakeClock();
  await Promise.all(
    names.map((n) => fx.repo(`org/${n}`, { ".runtime-version": "0.1\n" })),
  );
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    clock,
  });
  for (const n of names) {
    await gitea.api.configureCi(`org/${n}`, {
      contexts: [BUILD],
      queueMs: 200,
      runMs: 2800,
    });
  }
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, names, ["--wait", "--json", json]),
    ENV,
    { ciPolling: { clock } }, // the default intervals, not runCascade's
  );
  assert.equal(run.code, 0, run.stdout);
  const report = await readReport<PushReport>(json);
  assert.equal(report.apiRequests, gitea.api.requests.length);
  for (const [i, result] of report.results.entries()) {
    assert.equal(result.ci?.state, "success");
    const waited = result.ci?.waitedMs ?? 0;
    const served = statusRequests(gitea, names[i]);
    assert.ok(served >= 2, `${served} requests`);
    assert.ok(
      served <= 1 + waited / 2000,
      `${served} requests in ${waited} ms`,
    );
    // The CI ends 3 s after the push; the follow starts after it.
    assert.ok(waited >= 3000, `ended ${waited} ms after the push`);
    assert.ok(waited <= 3000 + 2000, `saw the end ${waited - 3000} ms late`);
  }
  // Every poll slept by the default intervals: 1.7 s first, then growing.
  assert.ok(clock.slept.length > 0);
  assert.ok(clock.slept.every((ms) => ms >= 1700 * 0.9 - 1), `${clock.slept}`);
});

Deno.test("push --wait --api-url: a local-path target's CI, the token only to --token-origin", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  const target = ["push", "0.2", "--repo", repos[0] ?? "", "--wait"];
  const api = ["--api-url", `${gitea.origin}/api/v1`];
  const denied = `${fx.root}/denied.json`;
  // Without --token-origin the API's origin gets no token: Gitea says 401.
  const first = await runCascade([...target, ...api, "--json", denied], ENV, {
    ciPolling: FAST,
  });
  assert.equal(first.code, 1);
  const ci = (await readReport<PushReport>(denied)).results[0]?.ci;
  // A refusal (4xx) is a CI error, not pending (issue 23, item 8).
  assert.equal(ci?.state, "error");
  assert.match(
    ci?.note ?? "",
    /org\/a\.git: the forge API refused to read the CI \(GET \/api\/v1\/.* answered 401/,
  );
  assert.ok(gitea.api.requests.every((r) => r.authorization === null));
  // Now at the version: the second run follows the tip, green already.
  const tip = (await fx.tip(repos[0] ?? "")) ?? "";
  gitea.api.postStatus("org/a", tip, {
    status: "success",
    context: BUILD,
    description: "Successful in 3s",
    target_url: "",
  });
  const allowed = `${fx.root}/allowed.json`;
  const second = await runCascade(
    [...target, ...api, "--token-origin", gitea.origin, "--json", allowed],
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(second.code, 0, second.stdout);
  const ok = (await readReport<PushReport>(allowed)).results[0]?.ci;
  assert.equal(ok?.state, "success");
  assert.equal(gitea.api.requests.at(-1)?.authorization, `token ${TOKEN}`);
});

Deno.test("apiTargetOf(): the API of each target; tokenOrigins(): the token to the one server", () => {
  const http = parseTarget(
    "https://git.example.com/gitea/org/app.git",
    undefined,
    "/",
  );
  const ssh = parseTarget("git@git.example.com:org/app.git", undefined, "/");
  const local = parseTarget("/srv/org/app.git", undefined, "/");
  assert.deepEqual(apiTargetOf(http, undefined), {
    base: "https://git.example.com/gitea/api/v1",
    owner: "org",
    repo: "app",
  });
  assert.equal(apiTargetOf(ssh, undefined), null);
  assert.deepEqual(apiTargetOf(local, "https://api.example.com/api/v1"), {
    base: "https://api.example.com/api/v1",
    owner: "org",
    repo: "app",
  });
  assert.deepEqual(
    [...tokenOrigins([http, ssh, local], { tokenOrigin: [] }, () => undefined)],
    ["https://git.example.com"],
  );
});

Deno.test("push --wait: a target whose API is unknown is refused before any push; --api-url names it", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    repos[0] ?? "",
    "--wait",
  ], ENV);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /--wait reads CI over the forge API, and .*org\/a\.git is not an http\(s\) target with owner\/name: pass --api-url/,
  );
  assert.equal(await fx.count(repos[0] ?? ""), 1, "nothing pushed");
});

Deno.test("push --wait: an API that refuses connections leaves the pushes and a pending CI with the reason", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], [
      "--wait",
      "--api-url",
      `http://127.0.0.1:${port}/api/v1`,
      "--json",
      json,
    ]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "pending");
  assert.match(
    result?.ci?.note ?? "",
    /could not read the CI over the API \(network: .*could not be reached/,
  );
  assert.equal(
    await fx.text(repos[0] ?? "", "main", ".runtime-version"),
    "0.2\n",
  );
  assert.equal(
    gitea.api.requests.length,
    0,
    "the stand-in's API was not asked",
  );
});
