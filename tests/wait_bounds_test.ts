/**
 * `--wait-timeout` bounds what a wait does besides reading statuses: the
 * time queued for a request slot, the server-version read behind
 * `superseded`, the branch-tip read after a cancel or supersede, and the
 * `--via pr` merge wait. Each is stalled, alone, by a stand-in on
 * loopback while the run's fake clock runs on; the wait ends at its
 * bound, on that clock, and says it timed out. `--timeout` is 120 s in
 * every run, so a wait that only `--timeout` ended would take minutes.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { hostileGitea } from "./support/hostile_gitea.ts";
import type { GiteaServer } from "./support/gitea_api.ts";
import { attachPulls } from "./support/gitea_pulls.ts";
import {
  args,
  BUILD,
  ENV,
  fakeClock,
  FAST,
  fastFake,
  setup,
  statusRequests,
  TOKEN,
} from "./support/wait_fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { CiReader } from "../lib/forge/ci_reader.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import { parseTarget } from "../lib/targets/target.ts";

/** The clock a ticker runs: the fake one of `wait_fixtures.ts`. */
type Clock = ReturnType<typeof fakeClock>;

/** Clock steps of a stalled answer, and how far it runs the clock at most. */
const STEP_MS = 250;
const CAP_MS = 30_000;

/**
 * Stalled answers: each never sends its body, and while the client waits
 * for it the clock runs on, `STEP_MS` per turn of the event loop (up to
 * `CAP_MS`), so the wait's deadline comes on the clock, not the wall.
 * `done()` waits for every ticker to stop (none outlives its test).
 */
function stalls(clock: Clock) {
  const tickers: Promise<void>[] = [];
  return {
    answer(type = "application/json"): Response {
      let open = true;
      const body = new ReadableStream<Uint8Array>({
        pull: () => new Promise(() => {}),
        cancel: () => {
          open = false;
        },
      });
      tickers.push((async () => {
        for (let ran = 0; open && ran < CAP_MS; ran += STEP_MS) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          clock.advance(STEP_MS);
        }
      })());
      return new Response(body, { headers: { "Content-Type": type } });
    },
    stop: () => Promise.all(tickers),
  };
}

/** Whether `request` reads a commit's combined status. */
function isStatusRead(request: Request): boolean {
  return /\/commits\/[^/]+\/status$/.test(new URL(request.url).pathname);
}

/** The wait's bound in these runs, and what a follow cut by it says. */
const WAIT = ["--wait", "--wait-timeout", "5s", "--timeout", "120"];

/** Asserts `waited` (ms on the run's clock) ends at the 5 s bound. */
function atTheBound(waited: number | undefined): void {
  const ms = waited ?? Infinity;
  assert.ok(ms >= 5000 && ms <= 5000 + 4 * STEP_MS, `waited ${ms} ms`);
}

/**
 * Runs `push 0.2 --repo org/a` with the wait's bound, `more` and `--json`
 * on `polling`'s clock; stops the stalls once it ended. Returns the run,
 * its one result and the wall time it took.
 */
async function stalledRun(
  fx: Fixture,
  gitea: GiteaServer,
  polling: ReturnType<typeof fastFake>,
  stalled: ReturnType<typeof stalls>,
  more: string[] = [],
) {
  const out = `${fx.root}/r.json`;
  const started = Date.now();
  const run = await runCascade(
    args(gitea, ["a"], [...more, ...WAIT, "--json", out]),
    ENV,
    { ciPolling: polling },
  );
  const took = Date.now() - started;
  await stalled.stop();
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(out)).results[0];
  return { run, result, took };
}

/** Asserts a pushed template whose CI follow the bound cut: `pending`. */
function pendingAtTheBound(
  run: { stdout: string },
  result: PushReport["results"][number] | undefined,
): void {
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "pending");
  assert.match(result?.ci?.note ?? "", /^still pending after 5 s$/);
  atTheBound(result?.ci?.waitedMs);
  assert.match(run.stdout, /ci pending: .*still pending after 5 s/);
}

Deno.test("a follow queued for a request slot ends at its --wait-timeout, on the clock, not when the slot frees", async () => {
  const clock = fakeClock();
  await using fx = await Fixture.create();
  const { gitea, repos } = await setup(fx, ["a"], null);
  await using _ = gitea;
  const target = parseTarget("org/a", gitea.origin, fx.root);
  const access = ForgeAccess.fromToken(
    { value: TOKEN, source: "CASCADE_TOKEN" },
    { allowInsecureHttp: false, timeout: 120, baseUrl: gitea.origin },
    () => undefined,
  );
  access.bind([target]);
  const reader = new CiReader({
    access,
    apiUrl: undefined,
    contexts: [],
    waitTimeoutMs: 5000,
    waitStartMs: 60_000,
    concurrency: 1,
    signal: new AbortController().signal,
    polling: { ...FAST, clock },
  });
  // Another template's request holds the one slot and does not end.
  let release = () => {};
  const holder = reader.limited(
    () => new Promise<void>((resolve) => (release = resolve)),
  );
  const sha = (await fx.tip(repos[0] ?? "")) ?? "";
  let settled = false;
  const following = reader.follow(target, sha, "main", false).finally(() => {
    settled = true;
  });
  // The clock runs on while the follow waits for the slot (bounded).
  for (let i = 0; i < CAP_MS / STEP_MS && !settled; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    clock.advance(STEP_MS);
  }
  const endedInQueue = settled;
  release();
  await holder;
  const ci = await following;
  assert.ok(endedInQueue, "the follow ended while the slot was still taken");
  assert.equal(ci.state, "pending");
  assert.match(ci.note ?? "", /^still pending after 5 s$/);
  atTheBound(ci.waitedMs);
  // It never got a slot: nothing was asked of the server.
  assert.equal(statusRequests(gitea), 0);
  assert.equal(reader.requests, 0);
});

/**
 * `org/a` at 0.1 behind a stand-in saying `1.22.6` (it keeps a superseded
 * run pending, so a pending follow asks its version, then the branch's
 * tip), whose CI stays pending; `stall` answers what the hostile middle
 * stalls once a status was read (null: the stand-in answers).
 */
async function pendingWorld(
  fx: Fixture,
  stall: (request: Request) => Response | null,
) {
  const path = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  let statusRead = false;
  const gitea = await hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.22.6",
    (request) => {
      if (isStatusRead(request)) statusRead = true;
      return statusRead ? stall(request) : null;
    },
  );
  await gitea.api.configureCi("org/a", {
    contexts: [BUILD],
    queueMs: 5,
    runMs: 600_000,
  });
  return { gitea, path };
}

Deno.test("push --wait: the server-version read behind `superseded`, stalled, ends at --wait-timeout", async () => {
  const polling = fastFake();
  const stalled = stalls(polling.clock);
  await using fx = await Fixture.create();
  let versions = 0;
  const { gitea } = await pendingWorld(fx, (request) => {
    if (new URL(request.url).pathname !== "/api/v1/version") return null;
    versions++;
    return stalled.answer();
  });
  await using _ = gitea;
  const { run, result, took } = await stalledRun(fx, gitea, polling, stalled);
  pendingAtTheBound(run, result);
  assert.equal(versions, 1, "one version read, cut; not asked again");
  // Far below --timeout's 120 s, however loaded the machine.
  assert.ok(took < 60_000, `took ${took} ms`);
});

Deno.test("push --wait: the branch-tip read after a supersede, stalled, ends at --wait-timeout", async () => {
  const polling = fastFake();
  const stalled = stalls(polling.clock);
  await using fx = await Fixture.create();
  const reads: string[] = [];
  const { gitea, path } = await pendingWorld(fx, (request) => {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/git-upload-pack")) {
      reads.push(`${request.method} ${url.pathname}`);
      return stalled.answer("application/x-git-upload-pack-result");
    }
    if (url.pathname.endsWith("/info/refs")) {
      reads.push(`${request.method} ${url.pathname}`);
      return stalled.answer("application/x-git-upload-pack-advertisement");
    }
    return null;
  });
  await using _ = gitea;
  const { run, result, took } = await stalledRun(fx, gitea, polling, stalled);
  pendingAtTheBound(run, result);
  assert.equal(result?.commit, await fx.tip(path));
  // One read of the branch (in-process), cut; git never asked after it.
  assert.deepEqual(reads, ["POST /org/a.git/git-upload-pack"]);
  assert.ok(took < 60_000, `took ${took} ms`);
});

Deno.test("push --via pr --auto-merge --wait: the merge wait's pull request read, stalled, ends at --wait-timeout as a timeout", async () => {
  const polling = fastFake();
  const stalled = stalls(polling.clock);
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  let pullReads = 0;
  let cut = 0;
  const gitea = await hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.22.6",
    (request) => {
      const path = new URL(request.url).pathname;
      // The merge is accepted as scheduled but never made: the pull
      // request stays open and green.
      if (request.method === "POST" && path.endsWith("/pulls/1/merge")) {
        return new Response(null, { status: 201 });
      }
      if (request.method !== "GET" || !path.endsWith("/pulls/1")) return null;
      // The first read is the proposing step's; the rest, the merge wait's.
      if (++pullReads === 1) return null;
      cut++;
      return stalled.answer();
    },
  );
  await using _ = gitea;
  await gitea.api.configureCi("org/a", { contexts: [BUILD] });
  attachPulls(gitea, `${fx.root}/srv`);
  const t0 = polling.clock.now();
  const { run, result, took } = await stalledRun(fx, gitea, polling, stalled, [
    "--via",
    "pr",
    "--auto-merge",
  ]);
  assert.equal(result?.ci?.state, "success");
  assert.equal(result?.status, "failed");
  assert.equal(result?.error?.kind, "timeout");
  assert.equal(
    result?.error?.message,
    "org/a: pull request #1 is green but was not merged within --wait-timeout; check its required reviews, or raise --wait-timeout",
  );
  assert.match(
    run.stdout,
    /^failed {2}org\/a .*timeout: org\/a: pull request #1 is green but was not merged within --wait-timeout/m,
  );
  assert.equal(cut, 1, "one read of the merge wait, cut; no other after it");
  // The clock stopped short of where the stall would run it without a cut.
  assert.ok(polling.clock.now() - t0 < CAP_MS, "cut on the clock");
  assert.ok(took < 60_000, `took ${took} ms`);
});
