import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import {
  type DispatchPlan,
  type GiteaServer,
  startGitea,
} from "./support/gitea_api.ts";
import { ENV, posts, template, TOKEN, WORKFLOW } from "./support/dispatch.ts";
import { FAST, fastFake, until } from "./support/wait_fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import type { Clock } from "../lib/engine/clock.ts";

const BUILD = "publish-image.yml / build (workflow_dispatch)";

/**
 * Templates `org/<name>` with the workflow, each with its dispatch plan;
 * the runs go on `clock` when given (the wait's fake one), else the wall's.
 */
async function setup(
  fx: Fixture,
  plans: Record<string, DispatchPlan>,
  version = "1.24.0",
  clock?: Clock,
): Promise<GiteaServer> {
  const gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version,
    ...(clock === undefined ? {} : { clock }),
  });
  for (const [name, plan] of Object.entries(plans)) {
    await fx.repo(
      `org/${name}`,
      template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
    );
    gitea.api.configureDispatch(`org/${name}`, plan);
  }
  return gitea;
}

function args(gitea: GiteaServer, names: string[], more: string[]): string[] {
  return [
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    ...names.flatMap((n) => ["--repo", `org/${n}`]),
    ...more,
  ];
}

/** Runs-list requests the stand-in served (for `org/<name>`). */
function listRequests(gitea: GiteaServer, name?: string): number {
  return gitea.api.requests.filter((r) =>
    r.path.endsWith("/actions/tasks") &&
    (name === undefined || r.path.includes(`/repos/org/${name}/`))
  ).length;
}

Deno.test("dispatch --wait: green runs exit 0 with ci per template; a skipped job passes and stays visible", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, {
    a: {},
    b: { jobs: ["build", "lint"], outcome: "skipped" },
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a", "b"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  const [a, b] = report.results;
  assert.equal(a?.status, "dispatched");
  assert.equal(a?.ci?.state, "success");
  assert.deepEqual(a?.ci?.contexts, [{
    context: BUILD,
    state: "success",
    targetUrl: `${gitea.origin}/org/a/actions/runs/1`,
    description: "run #1",
  }]);
  assert.equal(a?.ci?.url, null);
  assert.equal(b?.ci?.state, "success");
  assert.deepEqual(b?.ci?.contexts.map((c) => [c.context, c.state]), [
    [BUILD, "skipped"],
    ["publish-image.yml / lint (workflow_dispatch)", "skipped"],
  ]);
  // Every request the run made is counted: version, lists, dispatches.
  assert.equal(report.apiRequests, gitea.api.requests.length);
  assert.ok(
    gitea.api.requests.every((r) => r.authorization === `token ${TOKEN}`),
  );
  assert.match(
    run.stdout,
    new RegExp(`ci success: ${BUILD.replace(/[()]/g, "\\$&")} success`),
  );
  assert.match(run.stdout, /; CI: 2 green \(2 templates/);
  assert.match(run.stderr, /org\/a \(ci success\)\]?\n\s*ci success: /);
});

Deno.test("dispatch --wait: a red run exits 1 with the run's link in text, Markdown and ::error", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: { outcome: "failure" }, b: {} });
  const json = `${fx.root}/r.json`;
  const summary = `${fx.root}/summary.md`;
  const output = `${fx.root}/output.txt`;
  const run = await runCascade(
    args(gitea, ["a", "b"], ["--wait", "--json", json]),
    {
      ...ENV,
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
    },
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  const link = `${gitea.origin}/org/a/actions/runs/1`;
  assert.equal(report.results[0]?.ci?.state, "failure");
  assert.equal(report.results[0]?.ci?.url, link);
  assert.equal(report.results[1]?.ci?.state, "success");
  const line = run.stdout.split("\n").find((l) =>
    l.startsWith("dispatched") && l.includes("org/a")
  );
  assert.ok(
    line?.includes(`ci failure: ${BUILD} failure (run #1) ${link}`),
    line,
  );
  const markdown = await Deno.readTextFile(summary);
  assert.ok(markdown.includes(`[failure](${link})`), markdown);
  const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error"));
  assert.equal(errors.length, 1, run.stdout);
  assert.ok(errors[0]?.includes("org/a") && errors[0]?.includes(link));
  assert.match(await Deno.readTextFile(output), /^ci-failed=org\/a$/m);
});

Deno.test("dispatch --wait: a cancelled run is red; a hostile run URL and job name are not printed raw", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, {
    a: {
      outcome: "cancelled",
      jobs: ["build\u001b[31m\u202e"],
      url: "javascript:alert(1)",
    },
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "failure");
  assert.equal(ci?.contexts[0]?.state, "cancelled");
  assert.equal(ci?.contexts[0]?.targetUrl, null);
  assert.equal(ci?.url, null);
  const printed = run.stdout + run.stderr;
  assert.ok(!printed.includes("\u001b") && !printed.includes("\u202e"));
  assert.ok(!printed.includes("javascript:"));
});

Deno.test("dispatch --wait: no run ever listed is none after --wait-start, with the likely causes", async () => {
  // On a fake clock: --wait-start passes in polls, not in wall time.
  const polling = fastFake();
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: { outcome: "none" } });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-start", "300ms", "--json", json]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "none");
  assert.deepEqual(ci?.contexts, []);
  assert.match(
    ci?.note ?? "",
    /no publish-image\.yml run on main listed after 0\.3 s; possible causes: the workflow has no workflow_dispatch trigger.*runner queue/,
  );
  assert.ok((ci?.waitedMs ?? 0) >= 300, String(ci?.waitedMs));
  assert.match(run.stdout, /ci none: \(no publish-image\.yml run/);
  // Every wait was on the fake clock, and it ended at --wait-start.
  const slept = polling.clock.slept.reduce((a, b) => a + b, 0);
  assert.equal(ci?.waitedMs, slept);
  assert.ok(
    slept >= 300 && slept < 300 + FAST.maxIntervalMs * 2,
    String(slept),
  );
});

Deno.test("dispatch --wait: a run still going at --wait-timeout is pending", async () => {
  const polling = fastFake();
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: { runMs: 20_000 } });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-timeout", "300ms", "--json", json]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "pending");
  assert.deepEqual(ci?.contexts.map((c) => c.state), ["running"]);
  assert.match(ci?.note ?? "", /still pending after 0\.3 s/);
  assert.ok(polling.clock.slept.length > 0, "the wait slept on the fake clock");
});

Deno.test("dispatch --wait: an earlier dispatch's run already listed is not taken for ours", async () => {
  await using fx = await Fixture.create();
  // The runs go on the wait's fake clock: ours is listed 150 ms into the
  // wait's own time, after its polls, however loaded the machine.
  const polling = fastFake();
  await using gitea = await setup(
    fx,
    { a: { queueMs: 1, runMs: 1 } },
    undefined,
    polling.clock,
  );
  // An earlier dispatch, its run green and listed.
  const first = await runCascade(args(gitea, ["a"], []), ENV);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  polling.clock.advance(2);
  assert.equal(gitea.api.tasks("org/a")[0]?.status, "success");
  // Ours fails, and is listed only after a while: the green run is there
  // all along, in the same second for all cascade can tell.
  gitea.api.configureDispatch("org/a", { queueMs: 150, outcome: "failure" });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "failure");
  assert.equal(ci?.url, `${gitea.origin}/org/a/actions/runs/2`);
  assert.equal(ci?.contexts[0]?.description, "run #2");
  assert.ok(listRequests(gitea, "a") >= 3, "polled while only run 1 showed");
});

Deno.test("dispatch --wait: requests stay bounded: one list per template per interval, none after the result", async () => {
  await using fx = await Fixture.create();
  const plan: DispatchPlan = { queueMs: 30, runMs: 250 };
  // The run goes on the wait's fake clock: the polls per interval are
  // counted against the wait's own time, not the machine's speed. One
  // template: every follow's sleep moves the one clock on, so with more
  // than one, how far it moved between one template's polls would depend
  // on how fast the others' requests were answered.
  const polling = fastFake();
  await using gitea = await setup(fx, { a: plan }, undefined, polling.clock);
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.equal(report.apiRequests, gitea.api.requests.length);
  const paths = gitea.api.requests.map((r) => r.path);
  assert.equal(paths.filter((p) => p === "/api/v1/version").length, 1);
  assert.equal(posts(gitea.api.requests).length, 1);
  const waited = report.results[0]?.ci?.waitedMs ?? 0;
  // One list before the dispatch, then at most one per interval (the first
  // 15 ms, -20% jitter), and one more at the end.
  const bound = 1 + Math.ceil(waited / 12) + 1;
  const lists = listRequests(gitea, "a");
  assert.ok(lists >= 3 && lists <= bound, `a: ${lists} > ${bound}`);
  const before = gitea.api.requests.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(gitea.api.requests.length, before, "no poll after the run");
});

Deno.test("dispatch --wait --dry-run is refused (exit 2): a dry run dispatches no run to follow", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: {} });
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--dry-run"]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /--wait follows dispatched runs; --dry-run dispatches none/,
  );
  assert.equal(gitea.api.requests.length, 0);
});

Deno.test("dispatch --wait on Forgejo 8 follows the run through /actions/tasks, as on Gitea", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: {} }, "8.0.0+gitea-1.22.0");
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "dispatched");
  assert.equal(result?.ci?.state, "success");
  assert.deepEqual(result?.ci?.contexts.map((c) => c.context), [BUILD]);
  assert.ok(listRequests(gitea) >= 2, "the list before and while waiting");
});

Deno.test("dispatch --wait --canary 1: a red canary stops the rest, nothing dispatched to them", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, {
    a: { outcome: "failure" },
    b: {},
    c: {},
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a", "b", "c"], ["--wait", "--canary", "1", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  const link = `${gitea.origin}/org/a/actions/runs/1`;
  assert.equal(report.results[0]?.ci?.state, "failure");
  for (const result of report.results.slice(1)) {
    assert.equal(result.status, "skipped");
    assert.equal(result.skip, "aborted");
    assert.ok(
      result.reason?.includes(`canary org/a: CI failure (${link})`) &&
        result.reason.includes("nothing dispatched"),
      result.reason,
    );
  }
  assert.deepEqual(
    posts(gitea.api.requests).map((r) => r.path.split("/")[5]),
    ["a"],
  );
});

Deno.test("dispatch --wait: an interrupt during the wait exits 130 with the CI seen so far", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: { queueMs: 10, runMs: 20_000 } });
  const json = `${fx.root}/r.json`;
  const stop = new AbortController();
  const running = runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST, signal: stop.signal },
  );
  await until(
    () =>
      gitea.api.tasks("org/a").some((t) => t.status === "running") &&
      listRequests(gitea) >= 4,
    "the run is running and polled",
  );
  stop.abort();
  const run = await running;
  assert.equal(run.code, 130, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "dispatched");
  assert.equal(result?.ci?.state, "pending");
  assert.deepEqual(result?.ci?.contexts.map((c) => c.state), ["running"]);
  assert.match(result?.ci?.note ?? "", /interrupted while waiting/);
});

Deno.test("dispatch --wait: the API down after the dispatch leaves it dispatched and the CI pending with the reason", async () => {
  await using fx = await Fixture.create();
  await using gitea = await setup(fx, { a: { queueMs: 10_000 } });
  const json = `${fx.root}/r.json`;
  const running = runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  await until(() => posts(gitea.api.requests).length > 0, "the dispatch");
  gitea.api.inject(1000, () => new Response("bad gateway", { status: 502 }));
  const run = await running;
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  const result = report.results[0];
  assert.equal(result?.status, "dispatched");
  assert.equal(result?.ci?.state, "pending");
  assert.match(
    result?.ci?.note ?? "",
    /org\/a: could not read the runs list over the API \(network: .*502/,
  );
  assert.equal(report.apiRequests, gitea.api.requests.length);
  // The failing poll is retried (FAST.retry), then not polled again.
  const failed = gitea.api.requests.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(gitea.api.requests.length, failed);
  assert.equal(posts(gitea.api.requests).length, 1);
});
