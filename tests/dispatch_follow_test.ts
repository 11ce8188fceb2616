import assert from "node:assert/strict";
import { cannedGit } from "./support/fixtures.ts";
import {
  followDispatchedRun,
  runOutcome,
} from "../lib/forge/dispatch_follow.ts";
import type { TaskLister } from "../lib/forge/dispatch_runs.ts";
import type { ActionTask } from "../lib/forge/types.ts";
import { type ForgeClient, ForgeError } from "../lib/forge/client.ts";
import { CiReader } from "../lib/forge/ci_reader.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import {
  dispatchAndWait,
  type DispatchMark,
} from "../lib/modes/dispatch/wait.ts";
import { type CiOutcome, pushResultOf } from "../lib/model.ts";
import type { ModeDeps, Plan } from "../lib/engine/engine.ts";

/**
 * The CI a dispatch --wait run gives the one template `mark` is about: the
 * engine over one plan (its branch read with a fake git), a step that
 * dispatched, and `dispatchAndWait` following it with `reader`.
 */
async function followDispatch(
  mark: DispatchMark,
  reader: CiReader,
): Promise<CiOutcome> {
  const tip = "a".repeat(40);
  const plan: Plan = {
    target: {
      repo: "org/app",
      url: "https://git.test/org/app.git",
      key: "git.test/org/app",
      scheme: "http",
      origin: "https://git.test",
      embedded: null,
    },
    gitConfig: [],
  };
  const stdout =
    `ref: refs/heads/main\tHEAD\n${tip}\tHEAD\n${tip}\trefs/heads/main\n`;
  const git = cannedGit(stdout);
  const deps = {
    git,
    workDir: "work",
    signal: new AbortController().signal,
    ci: reader,
  } as unknown as ModeDeps;
  const run = await dispatchAndWait(
    [plan],
    {
      version: "1",
      file: "VERSION",
      concurrency: 1,
      timeoutMs: 1000,
      dryRun: false,
    },
    {
      slots: 1,
      run: (task) =>
        Promise.resolve({
          ...pushResultOf(task.target, task.branch),
          status: "dispatched",
        }),
      unreached: (why) => pushResultOf(why.target, why.branch),
      title: (result) => result.repo,
    },
    new Map([[plan.target.key, mark]]),
    deps,
    reader,
    undefined,
  );
  const ci = run.results[0]?.ci;
  assert.ok(ci, "the dispatched run was followed");
  return ci;
}
import { InterruptedError } from "../lib/errors.ts";

const WF = "publish-image.yml";

function task(id: number, run: number, status: string, more = {}): ActionTask {
  return {
    id,
    name: "build",
    head_branch: "main",
    head_sha: "a".repeat(40),
    run_number: run,
    event: "workflow_dispatch",
    status,
    workflow_id: WF,
    url: `https://git.example.com/org/app/actions/runs/${run}`,
    ...more,
  };
}

/** A lister that answers each poll with the next list (the last repeats). */
function lister(lists: ActionTask[][]): TaskLister & { calls: number } {
  const self = {
    calls: 0,
    listActionTasks: () => {
      const list = lists[Math.min(self.calls++, lists.length - 1)] ?? [];
      return Promise.resolve({
        value: { total_count: list.length, workflow_runs: list },
        movedTo: null,
      });
    },
  };
  return self;
}

/** Follow options on a fake clock whose sleep advances it. */
function clock() {
  let t = 0;
  const pauses: number[] = [];
  return {
    pauses,
    clock: {
      now: () => t,
      sleep: (ms: number) => {
        pauses.push(ms);
        t += ms;
        return Promise.resolve(true);
      },
    },
    random: () => 0.5,
  };
}

const target = {
  owner: "org",
  repo: "app",
  workflow: WF,
  branch: "main",
  before: new Set([1]),
};

/** What a run of one job in `status` comes to. */
const taskState = (status: string) =>
  runOutcome([task(1, 1, status)], WF).state;

Deno.test("runOutcome() maps the runs list's statuses; unknown ones are pending", () => {
  assert.deepEqual(
    [
      "success",
      "failure",
      "cancelled",
      "skipped",
      "waiting",
      "running",
      "blocked",
      "toString",
      "",
    ].map(taskState),
    [
      "success",
      "failure",
      "failure",
      "success",
      "pending",
      "pending",
      "pending",
      "pending",
      "pending",
    ],
  );
});

Deno.test("followDispatchedRun() waits for the new run past the old one, pacing like the commit follow", async () => {
  const old = task(1, 1, "success");
  const list = lister([
    [old],
    [old],
    [task(2, 2, "running"), old],
    [task(2, 2, "failure"), old],
  ]);
  const c = clock();
  const ci = await followDispatchedRun(list, target, {
    ...c,
    minIntervalMs: 100,
    maxIntervalMs: 150,
    growth: 2,
  });
  assert.equal(ci.state, "failure");
  assert.equal(ci.url, "https://git.example.com/org/app/actions/runs/2");
  assert.equal(list.calls, 4);
  assert.deepEqual(c.pauses, [100, 150, 150]);
  assert.equal(ci.waitedMs, 400);
});

Deno.test("followDispatchedRun() takes the newest run, not an earlier run's job taken late", async () => {
  // Run 5 was queued when cascade dispatched: its job shows up later with
  // a new id, next to our run 6.
  const list = lister([[
    task(9, 5, "success", { name: "late" }),
    task(8, 6, "success"),
    task(7, 6, "failure", { name: "lint" }),
  ]]);
  const ci = await followDispatchedRun(list, target, clock());
  assert.equal(ci.state, "failure");
  assert.deepEqual(ci.contexts.map((c) => c.context), [
    `${WF} / build (workflow_dispatch)`,
    `${WF} / lint (workflow_dispatch)`,
  ]);
});

Deno.test("followDispatchedRun(): none at waitStartMs, pending at waitTimeoutMs, InterruptedError on abort", async () => {
  const none = await followDispatchedRun(lister([[]]), target, {
    ...clock(),
    waitStartMs: 1000,
  });
  assert.equal(none.state, "none");
  assert.match(none.note ?? "", /listed after 1 s; possible causes/);
  assert.equal(none.waitedMs, 1000);
  const pending = await followDispatchedRun(
    lister([[task(2, 2, "blocked")]]),
    target,
    { ...clock(), waitTimeoutMs: 2000 },
  );
  assert.equal(pending.state, "pending");
  assert.match(pending.note ?? "", /still pending after 2 s/);
  const stop = new AbortController();
  stop.abort();
  await assert.rejects(
    followDispatchedRun(lister([[]]), target, {
      ...clock(),
      signal: stop.signal,
    }),
    InterruptedError,
  );
});

Deno.test("runOutcome() keeps only http(s) run links and bounds the server's text", () => {
  const ci = runOutcome([
    task(2, 2, "failure", {
      url: "javascript:alert(1)",
      name: "x".repeat(999),
    }),
  ], WF);
  assert.equal(ci.state, "failure");
  assert.equal(ci.url, null);
  assert.equal(ci.contexts[0]?.targetUrl, null);
  assert.ok((ci.contexts[0]?.context.length ?? 0) <= 256);
});

function reader(signal = new AbortController().signal): CiReader {
  return new CiReader({
    access: ForgeAccess.fromToken(
      null,
      { allowInsecureHttp: false, timeout: 1 },
      () => undefined,
    ),
    apiUrl: undefined,
    contexts: [],
    waitTimeoutMs: 1000,
    waitStartMs: 500,
    concurrency: 2,
    signal,
    polling: { minIntervalMs: 1, maxIntervalMs: 2 },
  });
}

function mark(client: Pick<ForgeClient, "listActionTasks">, runsListed = true) {
  return {
    // A stub: a wait's deadline (`within`) gives the same stub.
    client: { ...client, within: () => client } as unknown as ForgeClient,
    owner: "org",
    repo: "app",
    workflow: WF,
    branch: "main",
    before: runsListed ? new Set<number>() : null,
    runsListed,
    tip: "a".repeat(40),
    notBefore: runsListed ? 0 : null,
  };
}

Deno.test("dispatchAndWait(): an API failure is pending with the reason; a list unread before the dispatch is pending", async () => {
  const failing = {
    listActionTasks: () =>
      Promise.reject(
        new ForgeError("network", "HTTP 502", {
          status: 502,
          method: "GET",
          path: "/api/v1/repos/org/app/actions/tasks",
        }),
      ),
  };
  const ci = await followDispatch(mark(failing), reader());
  assert.equal(ci.state, "pending");
  assert.match(
    ci.note ?? "",
    /org\/app: could not read the runs list over the API \(network: HTTP 502\)/,
  );
  const unread = await followDispatch(
    { ...mark(failing), before: null },
    reader(),
  );
  assert.equal(unread.state, "pending");
  assert.match(unread.note ?? "", /could not be read before the dispatch/);
  const forgejo = await followDispatch(mark(failing, false), reader());
  assert.equal(forgejo.state, "none");
  assert.match(forgejo.note ?? "", /does not list workflow runs/);
});
