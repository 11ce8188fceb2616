/**
 * The CI and canary gate (`lib/engine/ci_gate.ts`) on the engine, with a
 * fake git, a step that records what ran and a follower that hands out CI
 * outcomes: the first n templates are canaries; the rest run only when
 * every canary reached a green CI, else each is skipped saying why.
 */

import assert from "node:assert/strict";
import { cannedGit } from "./support/fixtures.ts";
import { runWithCi } from "../lib/engine/ci_gate.ts";
import type { ModeDeps, Plan, Step } from "../lib/engine/engine.ts";
import { DEFAULT_BACKOFF } from "../lib/engine/retry.ts";
import type { CiState } from "../lib/engine/ci_outcome.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import { type PushResult, pushResultOf } from "../lib/model.ts";
import type { Target } from "../lib/targets/target.ts";

const TIP = "c".repeat(40);

const target = (name: string): Target => ({
  repo: `org/${name}`,
  url: `https://git.test/org/${name}.git`,
  key: `git.test/org/${name}`,
  scheme: "http",
  origin: "https://git.test",
  embedded: null,
});

function deps(): ModeDeps {
  const stdout =
    `ref: refs/heads/main\tHEAD\n${TIP}\tHEAD\n${TIP}\trefs/heads/main\n`;
  return {
    git: cannedGit(stdout),
    workDir: "work",
    signal: new AbortController().signal,
    backoff: DEFAULT_BACKOFF,
    access: ForgeAccess.fromEnv(
      { allowInsecureHttp: false, timeout: 30 },
      () => undefined,
    ),
  };
}

/** Runs `names` with `canary` canaries; `ci` is each template's CI. */
async function gate(
  names: string[],
  canary: number,
  ci: Record<string, CiState>,
) {
  const ran: string[] = [];
  const followed: string[] = [];
  const inner: Step<PushResult> = {
    slots: 1,
    run: (task) => {
      ran.push(task.target.repo);
      return Promise.resolve({
        ...pushResultOf(task.target, task.branch),
        status: "updated",
        commit: TIP,
      });
    },
    unreached: (why) => ({
      ...pushResultOf(why.target, why.branch),
      status: "failed",
    }),
    title: (r) => r.repo,
  };
  const plans: Plan[] = names.map((n) => ({
    target: target(n),
    gitConfig: [],
  }));
  const run = await runWithCi(
    plans,
    { version: "1", file: "V", concurrency: 1, timeoutMs: 1000 },
    inner,
    deps(),
    {
      follows: (r) => r.status === "updated",
      follow: (task, result, startedAt) => {
        assert.ok(Number.isFinite(startedAt));
        followed.push(task.target.repo);
        const state = ci[task.target.repo] ?? "success";
        result.ci = { state, contexts: [], url: null, waitedMs: 0 };
        return Promise.resolve();
      },
      done: "pushed",
    },
    canary,
  );
  return { ran, followed, results: run.results };
}

Deno.test("ci gate: green canaries let the rest through, and every pushed one is followed", async () => {
  const { ran, followed, results } = await gate(["a", "b", "c"], 1, {});
  assert.deepEqual(ran, ["org/a", "org/b", "org/c"]);
  assert.deepEqual(followed, ["org/a", "org/b", "org/c"]);
  assert.deepEqual(results.map((r) => r.ci?.state), [
    "success",
    "success",
    "success",
  ]);
});

Deno.test("ci gate: a red canary stops the rest, each skipped saying why", async () => {
  const { ran, results } = await gate(["a", "b", "c"], 1, {
    "org/a": "failure",
  });
  assert.deepEqual(ran, ["org/a"]);
  assert.equal(results[0]?.status, "updated");
  for (const r of results.slice(1)) {
    assert.equal(r.status, "skipped");
    assert.equal(r.skip, "aborted");
    assert.equal(
      r.reason,
      "not attempted: canary org/a: CI failure; nothing pushed (a retry takes it)",
    );
  }
});

Deno.test("ci gate: a canary without green CI stops the rest too", async () => {
  const { ran, results } = await gate(["a", "b"], 1, { "org/a": "none" });
  assert.deepEqual(ran, ["org/a"]);
  assert.match(
    results[1]?.reason ?? "",
    /^not attempted: canary org\/a: CI none;/,
  );
});
