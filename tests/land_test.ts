/**
 * The landing and race rule (`lib/modes/push/land.ts`) through its
 * interface, on real bare repositories: a step reads and builds the commit
 * as the push mode does, another publisher moves the branch before the
 * push, and `land` / `verify` decide. Each case checks what the server's
 * branch holds afterwards.
 */

import assert from "node:assert/strict";
import { type Plan, runTemplates, type Step } from "../lib/engine/engine.ts";
import { createLimiter } from "../lib/engine/pool.ts";
import {
  land,
  type PushSettings,
  type TemplateRun,
  verify,
} from "../lib/modes/push/land.ts";
import { type PushResult, pushResultOf } from "../lib/model.ts";
import { parseTarget } from "../lib/targets/target.ts";
import { readAtTip, writeVersionCommit } from "../lib/version/state.ts";
import { Fixture } from "./support/fixtures.ts";

const FILE = ".runtime-version";

const settings = (version: string, attempts = 3): PushSettings => ({
  version,
  file: FILE,
  concurrency: 1,
  timeoutMs: 30_000,
  attempts,
  author: { name: "Cascade Bot", email: "bot@example.test" },
  message: `Set ${FILE} to ${version}\n`,
  probes: [],
  dryRun: false,
  noDowngrade: false,
  backoff: { baseMs: 0, maxMs: 0, random: () => 0 },
});

/**
 * Runs one template through read, build, `meanwhile` (another publisher),
 * land and verify; returns the result and the commit this run built.
 */
async function landOne(
  fx: Fixture,
  path: string,
  pushed: PushSettings,
  meanwhile: () => Promise<unknown>,
): Promise<{ result: PushResult; built: string; log: string[] }> {
  const workDir = await Deno.makeTempDir({ dir: fx.root });
  let built = "";
  let log: string[] = [];
  const step: Step<PushResult> = {
    slots: 1,
    async run(task) {
      const run: TemplateRun = {
        ...task,
        settings: pushed,
        reading: createLimiter(1),
        landing: createLimiter(1),
      };
      log = task.log;
      const result = pushResultOf(task.target, task.branch);
      const first = await readAtTip(
        task.ctx,
        task.tip,
        task.branch,
        FILE,
        pushed.version,
      );
      built = await writeVersionCommit(
        task.ctx,
        first,
        FILE,
        pushed.version,
        pushed.message,
        pushed.author,
      );
      await meanwhile();
      const landed = await land(run, result, {
        tip: first.tip,
        first,
        commit: built,
      }, 1);
      return landed ?? await verify(run, result);
    },
    unreached: (why) => ({
      ...pushResultOf(why.target, why.branch),
      status: "failed",
      ...(why.error ? { error: why.error } : {}),
    }),
    title: (result) => result.repo,
  };
  const plan: Plan = {
    target: parseTarget(path, undefined, fx.root),
    gitConfig: [],
  };
  const run = await runTemplates([plan], pushed, step, {
    git: fx.git,
    workDir,
    signal: new AbortController().signal,
  });
  return { result: run.results[0] as PushResult, built, log };
}

Deno.test("land: a branch untouched meanwhile takes the commit on the first attempt", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", { [FILE]: "0.1.6\n" });
  const seed = await fx.tip(path);
  const { result, built } = await landOne(
    fx,
    path,
    settings("0.1.8"),
    () => Promise.resolve(),
  );
  assert.equal(result.status, "updated");
  assert.equal(result.attempts, 1);
  assert.equal(result.verified, true);
  assert.equal(await fx.tip(path), built);
  assert.deepEqual((await fx.show(path, built)).parents, [seed]);
  assert.equal(await fx.text(path, "main", FILE), "0.1.8\n");
  assert.equal(await fx.count(path), 2);
});

Deno.test("land: an older value set meanwhile is overwritten on top of the other publisher's commit", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", { [FILE]: "0.1.6\n", "README": "x\n" });
  let theirs = "";
  const { result, built, log } = await landOne(
    fx,
    path,
    settings("0.1.8"),
    async () => {
      theirs = await fx.commit(path, {
        branch: "main",
        files: { [FILE]: "0.1.7\n" },
        message: "older\n",
      });
    },
  );
  assert.equal(result.status, "updated");
  assert.equal(result.attempts, 2);
  const tip = await fx.tip(path) as string;
  assert.notEqual(tip, built, "the first commit was rebuilt on the new tip");
  assert.deepEqual((await fx.show(path, tip)).parents, [theirs]);
  assert.equal(await fx.text(path, "main", FILE), "0.1.8\n");
  assert.equal(await fx.text(path, "main", "README"), "x\n");
  assert.equal(await fx.count(path), 3);
  assert.ok(log.some((l) => /another publisher set 0\.1\.7 \(older\)/.test(l)));
});

Deno.test("land: a newer value set meanwhile is left alone (superseded)", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", { [FILE]: "0.1.6\n" });
  let theirs = "";
  const { result } = await landOne(fx, path, settings("0.1.8"), async () => {
    theirs = await fx.commit(path, {
      branch: "main",
      files: { [FILE]: "0.2.0\n" },
    });
  });
  assert.equal(result.status, "superseded");
  assert.equal(result.current, "0.2.0");
  assert.match(result.reason ?? "", /newer than 0\.1\.8; left as is/);
  assert.equal(await fx.tip(path), theirs);
  assert.equal(await fx.count(path), 2);
});

Deno.test("land: our value set meanwhile by another publisher is unchanged, nothing pushed", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", { [FILE]: "0.1.6\n" });
  let theirs = "";
  const { result } = await landOne(fx, path, settings("0.1.8"), async () => {
    theirs = await fx.commit(path, {
      branch: "main",
      files: { [FILE]: "0.1.8\n" },
    });
  });
  assert.equal(result.status, "unchanged");
  assert.equal(result.reason, "set by another publisher meanwhile");
  assert.equal(await fx.tip(path), theirs);
});

Deno.test("land: a branch that moved on the last attempt is a conflict, and the server keeps its tip", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", { [FILE]: "0.1.6\n" });
  let theirs = "";
  const { result } = await landOne(
    fx,
    path,
    settings("0.1.8", 1),
    async () => {
      theirs = await fx.commit(path, {
        branch: "main",
        files: { other: "1\n" },
      });
    },
  );
  assert.equal(result.status, "failed");
  assert.equal(result.error?.kind, "conflict");
  assert.match(
    result.error?.message ?? "",
    /main kept moving: 1 push attempts rejected; /,
  );
  assert.equal(await fx.tip(path), theirs);
  assert.equal(await fx.text(path, "main", FILE), "0.1.6\n");
});

Deno.test("land: a refusal on an unmoved branch is `rejected`, with the server's words", async () => {
  await using fx = await Fixture.create();
  const path = await fx.repo("t", { [FILE]: "0.1.6\n" });
  const seed = await fx.tip(path);
  await fx.hook(
    path,
    "pre-receive",
    "#!/bin/sh\necho 'frozen for the release' >&2\nexit 1\n",
  );
  const { result } = await landOne(
    fx,
    path,
    settings("0.1.8"),
    () => Promise.resolve(),
  );
  assert.equal(result.status, "failed");
  assert.equal(result.error?.kind, "rejected");
  assert.match(result.error?.message ?? "", /push to main refused \(/);
  assert.match(result.error?.message ?? "", /frozen for the release/);
  assert.equal(result.attempts, 1);
  assert.equal(await fx.tip(path), seed);
});
