import assert from "node:assert/strict";
import { findDispatchedRun } from "./support/dispatch.ts";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { hostileGitea, json } from "./support/hostile_gitea.ts";
import { FAST } from "./support/wait_fixtures.ts";
import { ENV, template, TOKEN, WORKFLOW } from "./support/dispatch.ts";
import type { PushReport } from "../lib/model.ts";
import { followDispatchedRun } from "../lib/forge/dispatch_follow.ts";
import type { ActionTask } from "../lib/forge/types.ts";

/** A `workflow_dispatch` run of `publish-image.yml` on main, not ours. */
function foreignRun(id: number, sha: string, at: string) {
  return {
    id,
    name: "build",
    head_branch: "main",
    head_sha: sha,
    run_number: id,
    event: "workflow_dispatch",
    display_title: "update",
    status: "success",
    workflow_id: "publish-image.yml",
    url: `http://127.0.0.1/org/a/actions/runs/${id}`,
    created_at: at,
    updated_at: at,
    run_started_at: at,
  };
}

/**
 * The stand-in (1.24.0) behind a middle that puts `slipped()` first in
 * every runs list read after the dispatch; `before` runs at each list
 * read before it.
 */
function slipAfterDispatch(
  fx: Fixture,
  slipped: () => Record<string, unknown>,
  before: () => Promise<void> = () => Promise.resolve(),
) {
  let dispatched = false;
  return hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.24.0",
    (request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "POST" && path.endsWith("/dispatches")) {
        dispatched = true;
      }
      return null;
    },
    async (request, answer) => {
      if (!new URL(request.url).pathname.endsWith("/actions/tasks")) {
        return answer;
      }
      if (!dispatched) {
        await before();
        return answer;
      }
      const list = await answer.json();
      list.workflow_runs = [slipped(), ...list.workflow_runs];
      list.total_count += 1;
      return json(list);
    },
  );
}

/** `push 0.1.8 --trigger dispatch --wait` of `org/a`, its report to `json`. */
function dispatchWait(
  gitea: { origin: string },
  json: string,
  more: string[] = [],
) {
  return runCascade(
    [
      "push",
      "0.1.8",
      "--trigger",
      "dispatch",
      "--base-url",
      gitea.origin,
      "--repo",
      "org/a",
      "--wait",
      ...more,
      "--json",
      json,
    ],
    ENV,
    { ciPolling: FAST },
  );
}

Deno.test("dispatch --wait: a foreign workflow_dispatch run (another commit, 2020 dates) is not taken for ours; our failed run decides", async () => {
  await using fx = await Fixture.create();
  await fx.repo(
    "org/a",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  // Another commit's run, dated 2020.
  const old = "2020-01-01T00:00:00Z";
  await using gitea = await slipAfterDispatch(
    fx,
    () => foreignRun(9000, "f".repeat(40), old),
  );
  gitea.api.configureDispatch("org/a", { outcome: "failure" });
  const json_ = `${fx.root}/r.json`;
  const run = await dispatchWait(gitea, json_);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json_);
  const ci = report.results[0]?.ci;
  assert.equal(report.results[0]?.status, "dispatched");
  assert.equal(ci?.state, "failure");
  assert.deepEqual(ci?.contexts.map((c) => [c.state, c.description]), [
    ["failure", "run #1"],
  ]);
  const listed = gitea.api.requests.map((r) => `${r.method} ${r.path}`)
    .filter((r) => /tasks|dispatches/.test(r));
  assert.match(listed[0] ?? "", /^GET .*\/actions\/tasks$/);
  assert.match(listed[1] ?? "", /^POST .*\/dispatches$/);
  assert.ok(listed.length >= 3, "the list was read after the dispatch");
});

Deno.test("dispatchedJobs(): a new run counts only of the tip, created after the dispatch, not listed before", async () => {
  const tip = "a".repeat(40);
  const task = (
    id: number,
    sha: string,
    at: string | undefined,
  ): ActionTask => ({
    id,
    name: "build",
    head_branch: "main",
    head_sha: sha,
    run_number: id,
    event: "workflow_dispatch",
    status: "success",
    workflow_id: "publish-image.yml",
    url: "",
    ...(at === undefined ? {} : { created_at: at }),
  });
  let runs: ActionTask[] = [];
  const lister = {
    listActionTasks: () =>
      Promise.resolve({
        value: { total_count: runs.length, workflow_runs: runs },
        movedTo: null,
      }),
  };
  const query = {
    workflow: "publish-image.yml",
    branch: "main",
    before: new Set([1]),
    tips: new Set([tip]),
    notBefore: Date.parse("2026-06-01T12:00:00Z"),
  };
  runs = [
    task(5, "f".repeat(40), "2026-06-01T12:00:09Z"), // another commit
    task(4, tip, "2020-01-01T00:00:00Z"), // before the dispatch
    task(3, tip, undefined), // no time to tell
    task(2, tip, "2026-06-01T12:00:03Z"), // ours
    task(1, tip, "2026-06-01T12:00:05Z"), // listed before
  ];
  assert.equal((await findDispatchedRun(lister, "o", "r", query))?.id, 2);
  runs = runs.slice(0, 3);
  assert.equal(await findDispatchedRun(lister, "o", "r", query), null);
});

Deno.test("followDispatchedRun(): two new runs of the tip after the dispatch cannot be told apart: ambiguous, never success", async () => {
  const tip = "a".repeat(40);
  const run = (id: number): ActionTask => ({
    id,
    name: "build",
    head_branch: "main",
    head_sha: tip,
    run_number: id,
    event: "workflow_dispatch",
    status: "success",
    workflow_id: "publish-image.yml",
    url: `https://git.example.com/org/app/actions/runs/${id}`,
    created_at: "2026-06-01T12:00:03Z",
  });
  let lists = 0;
  const lister = {
    listActionTasks: () => {
      lists++;
      const runs = [run(3), run(2)];
      return Promise.resolve({
        value: { total_count: runs.length, workflow_runs: runs },
        movedTo: null,
      });
    },
  };
  let t = 0;
  const ci = await followDispatchedRun(lister, {
    owner: "org",
    repo: "app",
    workflow: "publish-image.yml",
    branch: "main",
    before: new Set(),
    tips: new Set([tip]),
    notBefore: Date.parse("2026-06-01T12:00:00Z"),
  }, {
    clock: {
      now: () => t,
      sleep: (ms) => {
        t += ms;
        return Promise.resolve(true);
      },
    },
    waitStartMs: 1000,
    waitTimeoutMs: 5000,
  });
  assert.equal(ci.state, "ambiguous");
  assert.match(
    ci.note ?? "",
    /2 new publish-image\.yml runs of the dispatched commit on main/,
  );
  assert.equal(lists, 1, "an ambiguity is final");
  // One of them alone is ours, and green.
  const one = await findDispatchedRun(lister, "org", "app", {
    workflow: "publish-image.yml",
    branch: "main",
    before: new Set([2]),
    tips: new Set([tip]),
  });
  assert.equal(one?.id, 3);
});

Deno.test("dispatch --wait: the branch moved between preflight and dispatch; the run on the new tip is followed to its end, one on an unrelated commit is not taken", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo(
    "org/a",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  const preflight = await fx.tip(path);
  let moved: string | null = null;
  // A run on some unrelated commit, new and dated after the dispatch: it
  // passes every rule but the commit's.
  const unrelated = () =>
    foreignRun(
      9100,
      "e".repeat(40),
      new Date(Date.now() + 2000).toISOString(),
    );
  await using gitea = await slipAfterDispatch(fx, unrelated, async () => {
    // The list read just before the dispatch, after the preflight:
    // another publisher lands a commit on main now.
    moved ??= await fx.commit(path, {
      branch: "main",
      files: { "NOTES.md": "another publisher\n" },
      message: "notes\n",
    });
  });
  gitea.api.configureDispatch("org/a", { outcome: "failure", runMs: 60 });
  const out = `${fx.root}/r.json`;
  const run = await dispatchWait(gitea, out, ["--wait-start", "20s"]);
  // The branch did move, and the server ran the dispatch on the new tip.
  assert.ok(moved !== null && moved !== preflight);
  assert.equal(await fx.tip(path), moved);
  const ours = gitea.api.tasks("org/a").filter((t) =>
    t.event === "workflow_dispatch"
  );
  assert.deepEqual(ours.map((t) => [t.head_sha, t.status]), [
    [moved, "failure"],
  ]);
  // That run is followed to its real conclusion: red, exit 1; the
  // unrelated green run neither wins nor makes it ambiguous.
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(out)).results[0];
  assert.equal(result?.status, "dispatched");
  assert.equal(result?.ci?.state, "failure");
  assert.deepEqual(
    result?.ci?.contexts.map((c) => [c.state, c.description]),
    [["failure", `run #${ours[0]?.run_number}`]],
  );
  assert.match(run.stdout, /ci failure/);
});
