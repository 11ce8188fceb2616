import assert from "node:assert/strict";
import type { PushReport, StatusReport } from "../lib/model.ts";
import {
  redCiDispatchLayer,
  redCiLines,
  redCiOf,
} from "../lib/targets/red_ci.ts";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import { WORKFLOW } from "./support/dispatch.ts";

const TOKEN = "tok_redci_6f2a9c";
const BUILD = "publish-image / build (push)";

Deno.test("subprocess: --retry-failed on red CI names each template and how to re-run it (exit 1), then with --workflow dispatches it back to green", async () => {
  await using fx = await Fixture.create();
  const files = {
    ".runtime-version": "0.1.7\n",
    ".gitea/workflows/publish-image.yml": WORKFLOW,
  };
  const a = await fx.repo("org/a", files);
  const b = await fx.repo("org/b", files);
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.25.4",
  });
  await gitea.api.configureCi("org/a", {
    contexts: [BUILD],
    outcome: "failure",
  });
  await gitea.api.configureCi("org/b", { contexts: [BUILD] });
  const opts = {
    tmpDir: fx.root,
    env: { CASCADE_TOKEN: TOKEN },
    allowNet: "127.0.0.1",
  };
  const first = `${fx.root}/r.json`;
  // The red run the retries start from (in-process: what is tried as
  // users run it are the retries below).
  const push = await runCascade([
    "push",
    "0.1.8",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/a",
    "--repo",
    "org/b",
    "--wait",
    "--json",
    first,
  ], { CASCADE_TOKEN: TOKEN });
  assert.equal(push.code, 1, push.stdout + push.stderr);
  const red = await readReport<PushReport>(first);
  assert.deepEqual(red.results.map((r) => [r.repo, r.status, r.ci?.state]), [
    ["org/a", "updated", "failure"],
    ["org/b", "updated", "success"],
  ]);

  // No workflow known: exit 1, each red template named with the way back.
  // A retry takes no server from a report: --base-url is given again.
  const server = ["--base-url", gitea.origin];
  const named = await runCascadeProcess(
    ["push", "0.1.8", "--retry-failed", first, ...server],
    opts,
  );
  assert.equal(named.code, 1, named.stdout + named.stderr);
  assert.ok(!(named.stdout + named.stderr).includes("nothing to retry"));
  const link = `${gitea.origin}/org/a/actions/runs/1/jobs/0`;
  assert.equal(
    named.stderr,
    `cascade: org/a: its CI is failure (${link}) and a push would not re-run it: re-run it on the server, or dispatch it with cascade push 0.1.8 --retry-failed ${first} --trigger dispatch --workflow <file>\n` +
      `cascade: ${first}: 1 template's CI is not green and nothing else needs a retry; re-run it as said above\n`,
  );
  assert.equal(await fx.count(a), 2);

  // The workflow known: the retry dispatches org/a alone, and follows it.
  gitea.api.configureDispatch("org/a", { outcome: "success" });
  const second = `${fx.root}/r2.json`;
  const retry = await runCascadeProcess([
    "push",
    "0.1.8",
    "--retry-failed",
    first,
    ...server,
    "--workflow",
    "publish-image.yml",
    "--wait",
    "--json",
    second,
  ], opts);
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.match(
    retry.stderr,
    /the pushes landed but the CI is not green; dispatching the workflow to re-run it/,
  );
  const posts = gitea.api.requests.filter((r) => r.method === "POST");
  assert.deepEqual(posts.map((r) => r.path), [
    "/api/v1/repos/org/a/actions/workflows/publish-image.yml/dispatches",
  ]);
  const again = await readReport<PushReport>(second);
  assert.deepEqual(again.results.map((r) => [r.repo, r.status, r.ci?.state]), [
    ["org/a", "dispatched", "success"],
  ]);
  assert.equal(await fx.count(a), 2, "a dispatch commits nothing");
  assert.equal(await fx.count(b), 2);

  // status --ci takes the newest run on the tip: the dispatched, green one.
  const checked = `${fx.root}/s.json`;
  const status = await runCascadeProcess([
    "status",
    "0.1.8",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/a",
    "--repo",
    "org/b",
    "--ci",
    "--json",
    checked,
  ], opts);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  const report = await readReport<StatusReport>(checked);
  assert.deepEqual(report.results.map((r) => [r.repo, r.ci?.state]), [
    ["org/a", "success"],
    ["org/b", "success"],
  ]);
  assert.match(
    report.results[0]?.ci?.note ?? "",
    /newest run on this commit was dispatched \(run #2\)/,
  );
});

Deno.test("unit: redCiOf takes landed results whose CI is not green", () => {
  const url = "http://127.0.0.1:3000/o/a.git";
  for (const status of ["updated", "unchanged", "dispatched"]) {
    assert.deepEqual(
      redCiOf({
        status,
        url,
        repo: "o/a",
        ci: { state: "failure", url: "http://h/run/1" },
      }),
      { url, repo: "o/a", state: "failure", runUrl: "http://h/run/1" },
      status,
    );
  }
  // A status report's result: no status, drift false.
  assert.deepEqual(
    redCiOf({ drift: false, url, ci: { state: "none", url: 7 } }),
    {
      url,
      repo: url,
      state: "none",
      runUrl: null,
    },
  );
  for (
    const r of [
      { status: "updated", url, ci: { state: "success" } },
      { status: "failed", url, ci: { state: "failure" } },
      { status: "skipped", url, ci: { state: "pending" } },
      { drift: true, url, ci: { state: "failure" } },
      { status: "updated", url },
      { status: "updated", ci: { state: "failure" } },
      { status: "updated", url, ci: { state: "FAILURE" } },
      { status: "updated", url, ci: { state: ["failure"] } },
    ]
  ) {
    assert.equal(redCiOf(r), null, JSON.stringify(r));
  }
});

Deno.test("unit: a retry of red CI alone becomes a dispatch only when a workflow is known", () => {
  const red = [{ repo: "o/a", url: "u", state: "failure", runUrl: null }];
  const retry = { targets: [], ciRed: red };
  const line = { given: { retryFailed: "r.json" } };
  assert.equal(redCiDispatchLayer(line, [], retry), null);
  assert.deepEqual(
    redCiDispatchLayer(line, [{ values: { workflow: "ci.yml" } }], retry),
    { source: "r.json", values: { trigger: "dispatch" } },
  );
  assert.deepEqual(
    redCiDispatchLayer(
      { given: { retryFailed: "r.json", workflow: "ci.yml" } },
      [],
      retry,
    ),
    { source: "r.json", values: { trigger: "dispatch" } },
  );
  const known = [{ values: { workflow: "ci.yml" } }];
  assert.equal(redCiDispatchLayer(line, known, null), null);
  assert.equal(redCiDispatchLayer(line, known, { targets: [] }), null);
  assert.equal(
    redCiDispatchLayer(line, known, { targets: ["x"], ciRed: red }),
    null,
  );
  assert.equal(
    redCiDispatchLayer(
      { given: { retryFailed: "r.json", trigger: "push" } },
      known,
      retry,
    ),
    null,
  );
});

Deno.test("unit: redCiLines names each template and how to re-run its CI", () => {
  assert.deepEqual(
    redCiLines([
      { repo: "o/a", url: "u", state: "failure", runUrl: "http://h/run/3" },
      { repo: "o/b", url: "v", state: "pending", runUrl: null },
    ], { version: "1.2.3", retryFailed: "r.json" }),
    [
      "o/a: its CI is failure (http://h/run/3) and a push would not re-run it: re-run it on the server, or dispatch it with cascade push 1.2.3 --retry-failed r.json --trigger dispatch --workflow <file>",
      "o/b: its CI is pending and a push would not re-run it: re-run it on the server, or dispatch it with cascade push 1.2.3 --retry-failed r.json --trigger dispatch --workflow <file>",
    ],
  );
});
