import assert from "node:assert/strict";
import { newestDispatchedRun } from "../lib/forge/ci_newest.ts";
import type { ActionTask } from "../lib/forge/types.ts";

const SHA = "a".repeat(40);

function task(over: Partial<ActionTask>): ActionTask {
  return {
    id: 1,
    name: "build",
    head_branch: "main",
    head_sha: SHA,
    run_number: 1,
    event: "push",
    status: "success",
    workflow_id: "ci.yml",
    url: "http://127.0.0.1:3000/o/r/actions/runs/1",
    ...over,
  };
}

Deno.test("no run on the tip, or a newest run from a push: the statuses decide", () => {
  assert.equal(newestDispatchedRun([], SHA), null);
  assert.equal(
    newestDispatchedRun([
      task({ head_sha: "b".repeat(40), event: "workflow_dispatch" }),
    ], SHA),
    null,
  );
  assert.equal(
    newestDispatchedRun([
      task({ run_number: 1, event: "workflow_dispatch" }),
      task({ id: 2, run_number: 2, event: "push" }),
    ], SHA),
    null,
  );
});

Deno.test("the newest dispatched run decides, with only its own jobs", () => {
  const tasks = [
    task({ id: 1, run_number: 1, event: "push", status: "failure" }),
    task({
      id: 5,
      run_number: 2,
      event: "workflow_dispatch",
      name: "test",
      status: "success",
      url: "http://h/r/2/0",
    }),
    task({
      id: 6,
      run_number: 2,
      event: "workflow_dispatch",
      name: "lint",
      status: "success",
      url: "http://h/r/2/1",
    }),
    // Another commit's newer run is not this tip's.
    task({ id: 9, run_number: 3, head_sha: "c".repeat(40), status: "failure" }),
  ];
  const out = newestDispatchedRun(tasks, SHA);
  assert.ok(out !== null);
  assert.equal(out.state, "success");
  assert.deepEqual(out.contexts.map((c) => c.context), [
    "ci.yml / test (workflow_dispatch)",
    "ci.yml / lint (workflow_dispatch)",
  ]);
  assert.equal(
    out.note,
    "the newest run on this commit was dispatched (run #2); it decides, not the push's statuses",
  );
});

Deno.test("a failed job of the newest dispatched run fails it, with its link", () => {
  const out = newestDispatchedRun([
    task({
      id: 3,
      run_number: 4,
      event: "workflow_dispatch",
      status: "success",
      url: "http://h/ok",
    }),
    task({
      id: 4,
      run_number: 4,
      event: "workflow_dispatch",
      status: "failure",
      url: "http://h/bad",
    }),
  ], SHA);
  assert.equal(out?.state, "failure");
  assert.equal(out?.url, "http://h/bad");
});

Deno.test("a tie on run number goes to the higher id", () => {
  const tasks = [
    task({
      id: 8,
      run_number: 5,
      event: "workflow_dispatch",
      workflow_id: "other.yml",
    }),
    task({ id: 7, run_number: 5, event: "push" }),
  ];
  assert.equal(newestDispatchedRun(tasks, SHA)?.contexts.length, 1);
  assert.equal(
    newestDispatchedRun([...tasks].reverse(), SHA)?.contexts[0]?.context,
    "other.yml / build (workflow_dispatch)",
  );
  tasks[0]!.id = 6;
  assert.equal(newestDispatchedRun(tasks, SHA), null);
});
