import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import type { CiPlan } from "./support/gitea_api.ts";
import type { PushReport } from "../lib/model.ts";
import {
  args,
  BUILD,
  ENV,
  FAST,
  LINT,
  setup,
  statusRequests,
  TOKEN,
  until,
} from "./support/wait_fixtures.ts";

Deno.test("push --wait: green CI on every pushed commit exits 0 and reports ci", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b"], { contexts: [BUILD] });
  await using _ = gitea;
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a", "b"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  for (const [i, result] of report.results.entries()) {
    assert.equal(result.status, "updated");
    assert.equal(result.ci?.state, "success");
    assert.deepEqual(result.ci?.contexts.map((c) => [c.context, c.state]), [
      [BUILD, "success"],
    ]);
    assert.equal(result.ci?.url, null);
    assert.equal(
      await fx.text(repos[i] ?? "", "main", ".runtime-version"),
      "0.2\n",
    );
    // The commit followed is the one pushed.
    assert.equal(await fx.tip(repos[i] ?? ""), result.commit);
  }
  assert.equal(report.apiRequests, gitea.api.requests.length);
  assert.ok(
    gitea.api.requests.every((r) => r.authorization === `token ${TOKEN}`),
    "the API gets the token as `token <t>`",
  );
  assert.match(
    run.stdout,
    /ci success: publish-image \/ build \(push\) success/,
  );
  assert.match(run.stdout, /; CI: 2 green \(2 templates/);
  // Each template's CI gets its own log block once it is known.
  assert.match(run.stderr, /org\/a \(ci success\)\]?\n\s*ci success: /);
  assert.ok(!run.stdout.includes(TOKEN));
});

Deno.test("push --wait: a red CI exits 1 with the run's link in text, Markdown and ::error", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a", "b"], {
    contexts: [BUILD],
    outcome: "failure",
  });
  await using _ = gitea;
  await gitea.api.configureCi("org/b", { contexts: [BUILD] });
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
  const link = `${gitea.origin}/org/a/actions/runs/1/jobs/0`;
  assert.equal(report.results[0]?.ci?.state, "failure");
  assert.equal(report.results[0]?.ci?.url, link);
  assert.equal(
    report.results[0]?.ci?.contexts[0]?.description,
    "Failing after 1s",
  );
  assert.equal(report.results[1]?.ci?.state, "success");
  const textLine = run.stdout.split("\n").find((l) =>
    l.startsWith("updated") && l.includes("org/a")
  );
  assert.ok(
    textLine?.includes(
      `ci failure: ${BUILD} failure (Failing after 1s) ${link}`,
    ),
    textLine,
  );
  const markdown = await Deno.readTextFile(summary);
  assert.ok(markdown.includes(`[failure](${link})`), markdown);
  assert.ok(markdown.includes("| CI |"), markdown);
  const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error"));
  assert.equal(errors.length, 1, run.stdout);
  assert.ok(errors[0]?.includes("org/a") && errors[0]?.includes(link));
  assert.match(await Deno.readTextFile(output), /^ci-failed=org\/a$/m);
});

Deno.test("push --wait: no status ever is none after --wait-start, with the likely causes", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], {
    contexts: [BUILD],
    outcome: "none",
  });
  await using _ = gitea;
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-start", "300ms", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "none");
  assert.deepEqual(ci?.contexts, []);
  assert.match(
    ci?.note ?? "",
    /no status after 0.3 s; possible causes: .*skip-ci/,
  );
  assert.ok((ci?.waitedMs ?? 0) >= 300, String(ci?.waitedMs));
  assert.match(run.stdout, /ci none: \(no status after/);
});

Deno.test("push --wait: CI still running at --wait-timeout is pending", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], {
    contexts: [BUILD],
    runMs: 20_000,
  });
  await using _ = gitea;
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-timeout", "400ms", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "pending");
  assert.deepEqual(ci?.contexts.map((c) => c.state), ["pending"]);
  assert.match(ci?.note ?? "", /still pending after 0.4 s/);
});

Deno.test("push --wait: two contexts, and --ci-context counts only the matching ones", async () => {
  await using fx = await Fixture.create();
  const plan: CiPlan = {
    contexts: [BUILD, LINT],
    outcome: ["success", "failure"],
  };
  const { gitea } = await setup(fx, ["a", "b"], plan);
  await using _ = gitea;
  const all = `${fx.root}/all.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", all]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const ci = (await readReport<PushReport>(all)).results[0]?.ci;
  assert.equal(ci?.state, "failure");
  assert.deepEqual(ci?.contexts.map((c) => [c.context, c.state]), [
    [BUILD, "success"],
    [LINT, "failure"],
  ]);
  assert.equal(ci?.url, `${gitea.origin}/org/a/actions/runs/1/jobs/1`);
  const some = `${fx.root}/some.json`;
  const only = await runCascade(
    args(gitea, ["b"], [
      "--wait",
      "--ci-context",
      "*/ build *",
      "--json",
      some,
    ]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(only.code, 0, only.stdout);
  const ciB = (await readReport<PushReport>(some)).results[0]?.ci;
  assert.equal(ciB?.state, "success");
  assert.deepEqual(ciB?.contexts.map((c) => c.context), [BUILD]);
});

Deno.test("push --wait: a second push that cancels our run is followed when it keeps the version", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], {
    contexts: [BUILD],
    queueMs: 30,
    // Long enough that the newer push cancels it, however loaded the
    // machine; the newer push's own run is quick.
    runMs: 120_000,
  });
  await using _ = gitea;
  const repo = repos[0] ?? "";
  const seed = await fx.tip(repo);
  const json = `${fx.root}/r.json`;
  const running = runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  // Another publisher pushes on top of ours while our run is going.
  await until(async () => (await fx.tip(repo)) !== seed, "our push");
  const ours = await fx.tip(repo);
  await until(
    () =>
      gitea.api.tasks("org/a").some((t) =>
        t.head_sha === ours && t.status === "running"
      ),
    "our run is running",
  );
  await gitea.api.configureCi("org/a", {
    contexts: [BUILD],
    queueMs: 30,
    runMs: 150,
  });
  const theirs = await fx.commit(repo, {
    branch: "main",
    files: { "README.md": "docs\n" },
    message: "docs\n",
  });
  await gitea.api.onPush(repo);
  const run = await running;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.commit, ours);
  assert.equal(result?.ci?.state, "success");
  assert.match(
    result?.ci?.note ?? "",
    new RegExp(
      `run for ${
        ours?.slice(0, 10)
      } was cancelled by a newer push to main; followed ${
        theirs.slice(0, 10)
      }, which still holds the version`,
    ),
  );
  assert.ok(statusRequests(gitea) >= 2);
  assert.ok(
    gitea.api.requests.some((r) =>
      r.path.includes(`/commits/${theirs}/status`)
    ),
    "the new tip's CI was read",
  );
});

Deno.test("push --wait: a 429 with Retry-After is waited out", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  gitea.api.inject(
    1,
    () =>
      new Response(JSON.stringify({ message: "slow down" }), {
        status: 429,
        headers: { "Retry-After": "1", "Content-Type": "application/json" },
      }),
  );
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 0, run.stdout);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.ci?.state, "success");
  assert.ok(
    (report.results[0]?.ci?.waitedMs ?? 0) >= 900,
    "waited for Retry-After",
  );
  const [first, second] = gitea.api.requests;
  assert.equal(first?.path, second?.path, "the refused request was sent again");
  assert.equal(report.apiRequests, gitea.api.requests.length);
});

Deno.test("push --wait: the API down while git works lands every push and reports CI unknown", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a", "b"], { contexts: [BUILD] });
  await using _ = gitea;
  gitea.api.inject(1000, () => new Response("bad gateway", { status: 502 }));
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a", "b"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const report = await readReport<PushReport>(json);
  for (const [i, result] of report.results.entries()) {
    assert.equal(result.status, "updated");
    assert.equal(result.ci?.state, "pending");
    assert.match(
      result.ci?.note ?? "",
      /could not read the CI over the API \(network: .*answered 502/,
    );
    assert.equal(
      await fx.text(repos[i] ?? "", "main", ".runtime-version"),
      "0.2\n",
    );
  }
  // Three attempts each (FAST.retry), then the template is not polled again.
  assert.equal(gitea.api.requests.length, 6);
});

Deno.test("push --wait: an unchanged template's CI is that of its branch tip", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], { contexts: [BUILD] }, {
    ".runtime-version": "0.2\n",
  });
  await using _ = gitea;
  const tip = (await fx.tip(repos[0] ?? "")) ?? "";
  gitea.api.postStatus("org/a", tip, {
    status: "success",
    context: BUILD,
    description: "Successful in 9s",
    target_url: `${gitea.origin}/org/a/actions/runs/7/jobs/0`,
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 0, run.stdout);
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "unchanged");
  assert.equal(result?.ci?.state, "success");
  assert.equal(await fx.count(repos[0] ?? ""), 1, "nothing pushed");
  assert.ok(
    gitea.api.requests.every((r) => r.path.includes(`/commits/${tip}/status`)),
  );
});

Deno.test("push --wait without --allow-net: exit 2 naming the flag, before any push", async () => {
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  const run = await runCascadeProcess(
    args(gitea, ["a"], ["--wait"]),
    { tmpDir: fx.root, env: ENV },
  );
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /--wait reads CI over the forge API and needs --allow-net=127\.0\.0\.1:\d+/,
  );
  assert.equal(gitea.git.requests.length, 0, "no git request at all");
  assert.equal(gitea.api.requests.length, 0);
  assert.equal(await fx.count(repos[0] ?? ""), 1);
});

Deno.test("push --wait: an interrupt during the wait exits 130 with the CI seen so far", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], {
    contexts: [BUILD],
    queueMs: 10,
    runMs: 20_000,
  });
  await using _ = gitea;
  const json = `${fx.root}/r.json`;
  const stop = new AbortController();
  const running = runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST, signal: stop.signal },
  );
  // Abort once the follow has seen the run pending.
  await until(
    () =>
      gitea.api.tasks("org/a").some((t) => t.status === "running") &&
      statusRequests(gitea) >= 3,
    "the follow saw the run pending",
  );
  stop.abort();
  const run = await running;
  assert.equal(run.code, 130);
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "pending");
  assert.deepEqual(result?.ci?.contexts.map((c) => c.state), ["pending"]);
  assert.match(result?.ci?.note ?? "", /interrupted while waiting/);
});
