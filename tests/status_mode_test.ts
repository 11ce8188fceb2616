/**
 * The status and push modes (`lib/modes/status/status.ts`,
 * `lib/modes/push/push.ts`) run on the engine over real bare repos:
 * what each template's result says, what the report holds, and what the
 * server's branches hold afterwards.
 */

import assert from "node:assert/strict";
import type { ModeDeps, Plan } from "../lib/engine/engine.ts";
import { DEFAULT_BACKOFF } from "../lib/engine/retry.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import type { PushResult, RunHead, StatusResult } from "../lib/model.ts";
import { STATUS } from "../lib/modes/status/status.ts";
import { PUSH } from "../lib/modes/push/push.ts";
import { parseTarget } from "../lib/targets/target.ts";
import { Fixture } from "./support/fixtures.ts";

const FILE = ".runtime-version";

async function deps(fx: Fixture): Promise<ModeDeps> {
  return {
    git: fx.git,
    workDir: await Deno.makeTempDir({ dir: fx.root }),
    signal: new AbortController().signal,
    backoff: { ...DEFAULT_BACKOFF, baseMs: 0, maxMs: 0 },
    access: ForgeAccess.fromEnv(
      { allowInsecureHttp: false, timeout: 30 },
      () => undefined,
    ),
  };
}

const head: RunHead = {
  tool: "0",
  version: "0.1.8",
  file: FILE,
  startedAt: "t",
  durationMs: 1,
  options: {},
};

async function plans(fx: Fixture, repos: Record<string, string | null>) {
  const out: Plan[] = [];
  const paths: Record<string, string> = {};
  for (const [name, value] of Object.entries(repos)) {
    paths[name] = await fx.repo(
      name,
      value === null ? { "README": "x\n" } : { [FILE]: value },
    );
    out.push({
      target: parseTarget(paths[name] as string, undefined, fx.root),
      gitConfig: [],
    });
  }
  return { plans: out, paths };
}

const read = {
  version: "0.1.8",
  file: FILE,
  concurrency: 2,
  timeoutMs: 30_000,
};

Deno.test("status mode: current, drift and a missing file, in input order; the server is untouched", async () => {
  await using fx = await Fixture.create();
  const { plans: p, paths } = await plans(fx, {
    a: "0.1.8\n",
    b: "0.1.6\n",
    c: null,
  });
  const tips = await Promise.all(Object.values(paths).map((x) => fx.tip(x)));
  const run = await STATUS.run(
    p,
    { ...read, probes: [], ci: false, via: "push" },
    await deps(fx),
  );
  assert.equal(run.refused, 0);
  const results = run.report(head).results as StatusResult[];
  assert.deepEqual(
    results.map((r) => [r.repo.split("/").pop(), r.current, r.drift]),
    [["a.git", "0.1.8", false], ["b.git", "0.1.6", true], [
      "c.git",
      null,
      true,
    ]],
  );
  assert.deepEqual(
    await Promise.all(Object.values(paths).map((x) => fx.tip(x))),
    tips,
  );
});

Deno.test("push mode: the drifted template is updated, the current one unchanged", async () => {
  await using fx = await Fixture.create();
  const { plans: p, paths } = await plans(fx, { a: "0.1.8\n", b: "0.1.6\n" });
  const before = await fx.tip(paths.a as string);
  const run = await PUSH.run(p, {
    ...read,
    attempts: 3,
    author: { name: "Bot", email: "bot@x.test" },
    message: "Set 0.1.8\n",
    probes: [],
    dryRun: false,
    noDowngrade: false,
    wait: false,
    canary: undefined,
    via: "push",
    autoMerge: false,
    mergeStyle: "merge",
  }, await deps(fx));
  const results = run.report(head).results as PushResult[];
  assert.deepEqual(results.map((r) => r.status), ["unchanged", "updated"]);
  assert.equal(await fx.tip(paths.a as string), before);
  assert.equal(await fx.text(paths.b as string, "main", FILE), "0.1.8\n");
  assert.equal(await fx.count(paths.b as string), 2);
  const shown = await fx.show(paths.b as string, "main");
  assert.equal(shown.author, "Bot <bot@x.test>");
  assert.equal(shown.message, "Set 0.1.8\n");
  assert.equal(results[1]?.commit, shown.sha);
});
