/**
 * A commit status created before the push counts only when the Actions
 * run it links to started after the push, on our commit (the runs list
 * says so); else it stays unbelieved, as before. Against the stand-in
 * Gitea (1.24, which lists runs) behind a hostile middle that back-dates
 * statuses or posts them in advance; and the judge's bounds, alone.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { backdatedGreen, hostileGitea, json } from "./support/hostile_gitea.ts";
import {
  args,
  BUILD,
  ENV,
  FAST,
  fastFake,
  TOKEN,
} from "./support/wait_fixtures.ts";
import type { CiPolling } from "../lib/forge/polling.ts";
import type { PushReport } from "../lib/model.ts";
import { RunJudge, type RunPlace } from "../lib/forge/run_evidence.ts";
import { ForgeError } from "../lib/forge/forge_error.ts";
import type { ActionTask } from "../lib/forge/types.ts";

const OLD = "2020-01-01T00:00:00Z";

/**
 * Whether a RunJudge vouches for a final status on `sha`, created before
 * the push (`notBefore`), linking to `link`, when the runs list shows
 * `tasks`.
 */
async function vouches(
  tasks: ActionTask[],
  link: string,
  place: RunPlace,
  sha: string,
  notBefore: number,
): Promise<boolean> {
  const judge = new RunJudge(
    () =>
      Promise.resolve({
        value: { total_count: tasks.length, workflow_runs: tasks },
      }),
    place,
  );
  const status = { status: "success" as const, context: "c", target_url: link };
  return (await judge.vouched([status], sha, notBefore)).length === 1;
}

/**
 * The run a status's link names, as the judge reads it: the one run (of
 * 1 to 20) that, listed as ours, makes it vouch; null when none does.
 */
async function runNumberOf(
  link: string,
  place: RunPlace,
): Promise<number | null> {
  const sha = "a".repeat(40);
  const notBefore = Date.parse("2026-06-01T12:00:00Z");
  for (let run = 1; run <= 20; run++) {
    const ours: ActionTask = {
      id: run * 10,
      name: "build",
      head_branch: "main",
      head_sha: sha,
      run_number: run,
      event: "push",
      status: "success",
      workflow_id: "build.yml",
      url: "",
      run_started_at: "2026-06-01T12:00:05Z",
    };
    if (await vouches([ours], link, place, sha, notBefore)) return run;
  }
  return null;
}

/** Whether the judge finds run `run` ours, the list showing `tasks`. */
function runIsOurs(
  tasks: ActionTask[],
  run: number,
  sha: string,
  notBefore: number,
): Promise<boolean> {
  const place = { apiBase: "http://h/api/v1", owner: "org", repo: "app" };
  return vouches(tasks, `/org/app/actions/runs/${run}`, place, sha, notBefore);
}

/** Whether `request` reads a commit's combined status. */
function isStatusRead(request: Request): boolean {
  return /\/commits\/[^/]+\/status$/.test(new URL(request.url).pathname);
}

/** Whether `request` reads the runs list. */
function isRunsList(request: Request): boolean {
  return new URL(request.url).pathname.endsWith("/actions/tasks");
}

/**
 * `org/a` at 0.1 on a stand-in Gitea 1.24.0 with one build job, behind a
 * middle whose `forge` may answer a request and whose `rewrite` may change
 * the stand-in's JSON answers; then `push 0.2 --wait` against it.
 */
async function waitWith(
  fx: Fixture,
  options: {
    forge?: (request: Request) => Response | null;
    rewrite?: (request: Request, body: Record<string, unknown>) => void;
    ci?: boolean;
    polling?: CiPolling;
  },
) {
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const lists: string[] = [];
  const gitea = await hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.24.0",
    (request) => {
      if (isRunsList(request)) lists.push(request.url);
      return options.forge?.(request) ?? null;
    },
    async (request, answer) => {
      if (options.rewrite === undefined || answer.status !== 200) {
        return answer;
      }
      if (!isStatusRead(request) && !isRunsList(request)) return answer;
      const body = await answer.json();
      options.rewrite(request, body);
      const rewritten = json(body);
      const date = answer.headers.get("date");
      if (date !== null) rewritten.headers.set("Date", date);
      return rewritten;
    },
    options.polling?.clock,
  );
  if (options.ci !== false) {
    await gitea.api.configureCi("org/a", { contexts: [BUILD] });
  }
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-start", "2s", "--json", out]),
    ENV,
    { ciPolling: options.polling ?? FAST },
  );
  const result = (await readReport<PushReport>(out)).results[0];
  return { gitea, run, result, lists };
}

/** Each status of a combined status answer, as `edit` makes it. */
function eachStatus(
  body: Record<string, unknown>,
  edit: (status: Record<string, unknown>) => void,
): void {
  for (const status of (body.statuses ?? []) as Record<string, unknown>[]) {
    edit(status);
  }
}

Deno.test("push --wait: a status dated before the push counts when its run started after the push on our commit", async () => {
  await using fx = await Fixture.create();
  const { gitea, run, result, lists } = await waitWith(fx, {
    rewrite: (request, body) => {
      if (!isStatusRead(request)) return;
      // Back-dated (a server clock far off), its link made relative as
      // Gitea stores Actions' links.
      eachStatus(body, (status) => {
        status.created_at = OLD;
        status.target_url = String(status.target_url).replace(
          /^https?:\/\/[^/]+/,
          "",
        );
      });
    },
  });
  await using _ = gitea;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "success");
  assert.deepEqual(result?.ci?.contexts.map((c) => [c.context, c.state]), [
    [BUILD, "success"],
  ]);
  assert.match(run.stdout, /ci success/);
  // The run was the push's, on the pushed commit.
  const runs = gitea.api.tasks("org/a");
  assert.deepEqual(runs.map((t) => [t.event, t.head_sha]), [
    ["push", result?.commit],
  ]);
  // One context, judged once, on its final status: one list read.
  assert.equal(lists.length, 1);
});

Deno.test("push --wait: a status posted in advance, linking to an old run, is not believed: ambiguous", async () => {
  await using fx = await Fixture.create();
  const old: ActionTask & Record<string, unknown> = {
    id: 7,
    name: "build",
    head_branch: "main",
    head_sha: "c".repeat(40),
    run_number: 1,
    event: "push",
    status: "success",
    workflow_id: "build.yml",
    url: "http://127.0.0.1/org/a/actions/runs/1",
    created_at: OLD,
    run_started_at: OLD,
  };
  const { gitea, run, result, lists } = await waitWith(fx, {
    ci: false,
    polling: fastFake(),
    // Green, posted (it says) in 2020, for whatever commit is asked for,
    // linking to the repo's old run 1.
    forge: (request) =>
      backdatedGreen(
        request,
        "org/a",
        BUILD,
        "/org/a/actions/runs/1/jobs/0",
        OLD,
      ),
    rewrite: (request, body) => {
      if (isRunsList(request)) {
        body.workflow_runs = [old];
        body.total_count = 1;
      }
    },
  });
  await using _ = gitea;
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "ambiguous");
  assert.deepEqual(result?.ci?.contexts, []);
  assert.match(
    result?.ci?.note ?? "",
    /1 status\(es\) on the commit were created before the push .* and link to no run of the commit started after it/,
  );
  assert.match(run.stdout, /ci ambiguous/);
  // Its context judged once, however often it was read.
  assert.equal(lists.length, 1);
});

Deno.test("push --wait: a back-dated status whose run is on our commit but started before the push is not believed", async () => {
  await using fx = await Fixture.create();
  const { gitea, run, result } = await waitWith(fx, {
    // The stand-in's CI and cascade's wait on one fake clock: the wait
    // for a believable status (--wait-start) passes without the wall's.
    polling: fastFake(),
    rewrite: (request, body) => {
      if (isStatusRead(request)) {
        eachStatus(body, (status) => (status.created_at = OLD));
      } else {
        for (const task of body.workflow_runs as Record<string, unknown>[]) {
          task.run_started_at = OLD;
          task.created_at = OLD;
        }
      }
    },
  });
  await using _ = gitea;
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(result?.ci?.state, "ambiguous");
  assert.doesNotMatch(run.stdout, /ci success/);
});

Deno.test("RunJudge reads an Actions run link of the repo on the API's server only", async () => {
  const place = {
    apiBase: "https://git.example.com/gitea/api/v1",
    owner: "Org",
    repo: "app",
  };
  assert.equal(
    await runNumberOf("/gitea/org/App/actions/runs/12/jobs/3", place),
    12,
  );
  assert.equal(
    await runNumberOf(
      "https://git.example.com/gitea/Org/app/actions/runs/4",
      place,
    ),
    4,
  );
  for (
    const link of [
      "",
      "/org/app/actions/runs/12", // not below the server's root
      "https://other.example/gitea/Org/app/actions/runs/12",
      "//other.example/gitea/Org/app/actions/runs/12",
      "/gitea/Org/other/actions/runs/12",
      "/gitea/Org/app/actions/runs/x",
      "/gitea/Org/app/actions/runs/1234567890123456",
      "/gitea/Org/app/pulls/12",
      `/gitea/Org/app/actions/runs/1/${"x".repeat(3000)}`,
      "javascript:alert(1)",
    ]
  ) {
    assert.equal(await runNumberOf(link, place), null, link);
  }
});

Deno.test("RunJudge: a run is ours when every job of it is on our commit, started after the push", async () => {
  const sha = "a".repeat(40);
  const task = (
    run: number,
    head: string,
    started: unknown,
    created?: string,
  ): ActionTask => ({
    id: run * 10,
    name: "build",
    head_branch: "main",
    head_sha: head,
    run_number: run,
    event: "push",
    status: "success",
    workflow_id: "build.yml",
    url: "",
    run_started_at: started,
    ...(created === undefined ? {} : { created_at: created }),
  });
  const notBefore = Date.parse("2026-06-01T12:00:00Z");
  const after = "2026-06-01T12:00:05Z";
  assert.equal(await runIsOurs([task(3, sha, after)], 3, sha, notBefore), true);
  // No start time: the task's own creation decides.
  assert.equal(
    await runIsOurs([task(3, sha, null, after)], 3, sha, notBefore),
    true,
  );
  assert.equal(await runIsOurs([task(3, sha, null)], 3, sha, notBefore), false);
  assert.equal(await runIsOurs([task(3, sha, OLD)], 3, sha, notBefore), false);
  assert.equal(
    await runIsOurs(
      [task(3, sha, after), task(3, "b".repeat(40), after)],
      3,
      sha,
      notBefore,
    ),
    false,
  );
  assert.equal(
    await runIsOurs([task(4, sha, after)], 3, sha, notBefore),
    false,
  );
});

Deno.test("RunJudge: a context is judged once, on a final status; a server without the list is asked once", async () => {
  const sha = "a".repeat(40);
  const place = { apiBase: "http://h/api/v1", owner: "org", repo: "app" };
  const status = (context: string, state: string, run = 1) => ({
    status: state as "success",
    context,
    target_url: `/org/app/actions/runs/${run}/jobs/0`,
  });
  let reads = 0;
  const ours = {
    total_count: 1,
    workflow_runs: [{
      id: 1,
      name: "build",
      head_branch: "main",
      head_sha: sha,
      run_number: 1,
      event: "push",
      status: "success",
      workflow_id: "build.yml",
      url: "",
      run_started_at: "2026-06-01T12:00:05Z",
    }],
  };
  const judge = new RunJudge(() => {
    reads++;
    return Promise.resolve({ value: ours });
  }, place);
  const notBefore = Date.parse("2026-06-01T12:00:00Z");
  // Pending: not judged yet (its run may not be listed); nothing read.
  assert.deepEqual(
    await judge.vouched([status("a", "pending")], sha, notBefore),
    [],
  );
  assert.equal(reads, 0);
  // Two final contexts: one read judges both.
  const both = [status("a", "success"), status("b", "failure", 2)];
  assert.deepEqual(
    (await judge.vouched(both, sha, notBefore)).map((s) => s.context),
    ["a"],
  );
  assert.equal(reads, 1);
  // Judged: never read again, whatever the polls; a new link is not ours.
  for (let poll = 0; poll < 5; poll++) {
    await judge.vouched(both, sha, notBefore);
  }
  assert.equal(reads, 1);
  assert.deepEqual(
    await judge.vouched([status("a", "success", 9)], sha, notBefore),
    [],
  );
  assert.equal(reads, 1);
  // A server without the list (404): asked once, nothing vouched.
  let missing = 0;
  const bare = new RunJudge(() => {
    missing++;
    return Promise.reject(
      new ForgeError("not_found", "answered 404", {
        status: 404,
        method: "GET",
        path: "/api/v1/repos/org/app/actions/tasks",
      }),
    );
  }, place);
  assert.deepEqual(
    await bare.vouched([status("a", "success")], sha, notBefore),
    [],
  );
  assert.deepEqual(
    await bare.vouched([status("c", "success")], sha, notBefore),
    [],
  );
  assert.equal(missing, 1);
});
