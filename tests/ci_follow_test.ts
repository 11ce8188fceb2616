import assert from "node:assert/strict";
import {
  type CiTarget,
  evaluateStatuses,
  followCommit,
  type FollowOptions,
  readCommitCi,
  type StatusReader,
} from "../lib/forge/ci.ts";
import { ForgeClient } from "../lib/forge/client.ts";
import type { CommitStatus } from "../lib/forge/types.ts";
import { InterruptedError } from "../lib/errors.ts";
import { Fixture } from "./support/fixtures.ts";
import {
  type CiPlan,
  type GiteaServer,
  startGitea,
} from "./support/gitea_api.ts";
import { fakeClock } from "./support/wait_fixtures.ts";

const TOKEN = "ci-t0ken";
const BUILD = "publish-image / build (push)";
const LINT = "publish-image / lint (push)";

/**
 * Fast polling for the stand-in's millisecond runs, on a fake clock the
 * stand-in's runs share (see {@linkcode stand}): the runs move on when the
 * follow sleeps, never on the wall.
 */
function fast(clock: ReturnType<typeof fakeClock>): FollowOptions {
  return {
    minIntervalMs: 10,
    maxIntervalMs: 30,
    waitStartMs: 1000,
    waitTimeoutMs: 3000,
    random: () => 0.5,
    clock,
  };
}

/** The stand-in, its CI runs on a fake clock of their own. */
async function stand(fx: Fixture, version?: string) {
  const clock = fakeClock();
  const gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    clock,
    ...(version === undefined ? {} : { version }),
  });
  return {
    gitea,
    clock,
    FAST: fast(clock),
    [Symbol.asyncDispose]: () => gitea.close(),
  };
}

function status(
  id: number,
  context: string,
  state: CommitStatus["status"],
  description = "",
): CommitStatus {
  return {
    id,
    status: state,
    context,
    target_url: `http://h/o/r/actions/runs/1/jobs/${id}`,
    description,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

/** A reader that always answers `statuses`, and a fake clock and sleep. */
function fakeReader(statuses: CommitStatus[] | null) {
  let clock = 0;
  const reader = {
    calls: 0,
    combinedStatus() {
      reader.calls++;
      return Promise.resolve({
        value: {
          state: "" as const,
          sha: "",
          total_count: statuses?.length ?? 0,
          statuses: statuses ?? [],
        },
        movedTo: null,
      });
    },
  };
  const clockOptions: FollowOptions = {
    clock: {
      now: () => clock,
      sleep: (ms, signal) => {
        clock += ms;
        return Promise.resolve(!signal?.aborted);
      },
    },
    random: () => 0.5,
  };
  return { reader, clockOptions };
}

const TARGET: CiTarget = {
  owner: "org",
  repo: "app",
  sha: "a".repeat(40),
  branch: "main",
};

/** A template repo on the stand-in with Actions configured. */
async function templateRepo(
  fx: Fixture,
  gitea: GiteaServer,
  plan: CiPlan,
): Promise<string> {
  const path = await fx.repo("org/app", { ".runtime-version": "0.1.0\n" });
  await gitea.api.configureCi("org/app", plan);
  return path;
}

/**
 * A server-side commit followed by the push hook, as a push would do; its
 * run (if the plan starts one) is started when this returns.
 */
async function pushCommit(
  fx: Fixture,
  gitea: GiteaServer,
  path: string,
  version: string,
): Promise<string> {
  const sha = await fx.commit(path, {
    branch: "main",
    files: { ".runtime-version": `${version}\n` },
    message: `runtime ${version}\n`,
  });
  await gitea.api.onPush(path);
  return sha;
}

/**
 * Waits until the stand-in started a run for `sha` (its push hook reads
 * the tips after the push returned); bounded in polls and time, however
 * loaded the machine.
 */
async function runStarted(gitea: GiteaServer, sha: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (gitea.api.tasks("org/app").some((t) => t.head_sha === sha)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no run started for ${sha}`);
}

function clientFor(gitea: GiteaServer): ForgeClient {
  return new ForgeClient({
    apiBase: `${gitea.origin}/api/v1`,
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([gitea.origin]),
    timeoutMs: 2000,
  });
}

/** Whether `--ci-context glob` counts a status of context `text`. */
function globMatch(glob: string, text: string): boolean {
  return evaluateStatuses([status(1, text, "success")], [glob]).contexts
    .length === 1;
}

Deno.test("--ci-context globs match * as any run and everything else literally", () => {
  assert.ok(globMatch("publish-image / *", BUILD));
  assert.ok(globMatch("*", ""));
  assert.ok(!globMatch("publish-image / build", BUILD));
  assert.ok(globMatch("a.b (push)", "a.b (push)"));
  assert.ok(!globMatch("a.b", "axb"));
});

Deno.test("evaluateStatuses() keeps the newest per context and decides itself", () => {
  assert.equal(evaluateStatuses([]).state, "none");
  const history = [
    status(1, BUILD, "pending"),
    status(3, BUILD, "success"),
    status(2, LINT, "warning"),
  ];
  assert.equal(evaluateStatuses(history).state, "success");
  assert.deepEqual(
    evaluateStatuses(history).contexts.map((c) => c.state),
    ["success", "warning"],
  );
  assert.equal(
    evaluateStatuses([...history, status(4, LINT, "pending")]).state,
    "pending",
  );
  const red = evaluateStatuses([...history, status(5, LINT, "error")]);
  assert.equal(red.state, "failure");
  assert.equal(red.url, "http://h/o/r/actions/runs/1/jobs/5");
  assert.equal(
    evaluateStatuses([status(1, BUILD, "skipped")]).state,
    "success",
  );
  assert.equal(
    evaluateStatuses([...history, status(5, LINT, "error")], ["*build*"])
      .state,
    "success",
  );
});

Deno.test("followCommit() says none after waitStart without any status, and why", async () => {
  const { reader, clockOptions } = fakeReader(null);
  const result = await followCommit(reader, TARGET, clockOptions);
  assert.equal(result.state, "none");
  assert.equal(result.waitedMs, 120_000);
  assert.match(result.note ?? "", /no status after 120 s/);
  assert.match(result.note ?? "", /workflow's own token/);
  assert.match(result.note ?? "", /\[skip ci\]/);
});

Deno.test("followCommit() says none, naming the others, when no context matches the globs", async () => {
  const { reader, clockOptions } = fakeReader([status(1, LINT, "success")]);
  const result = await followCommit(reader, TARGET, {
    ...clockOptions,
    contexts: ["*/ build (push)"],
    waitStartMs: 5000,
  });
  assert.equal(result.state, "none");
  assert.deepEqual(result.contexts, []);
  // The note names the pattern and the contexts seen (issue 23, item 8).
  assert.equal(
    result.note,
    `no context matches --ci-context '*/ build (push)'; contexts seen: ${LINT} (after 5 s)`,
  );
});

Deno.test("followCommit() is still pending at its timeout, about one request per interval", async () => {
  const { reader, clockOptions } = fakeReader([status(1, BUILD, "pending")]);
  const result = await followCommit(reader, TARGET, clockOptions);
  assert.equal(result.state, "pending");
  assert.equal(result.waitedMs, 30 * 60_000);
  assert.match(result.note ?? "", /still pending after 1800 s/);
  // 30 min at 15 s is 120 polls, plus the ramp from 1 s.
  assert.ok(reader.calls >= 120 && reader.calls <= 135, String(reader.calls));
});

Deno.test("followCommit() throws InterruptedError when the signal aborts", async () => {
  const { reader, clockOptions } = fakeReader([status(1, BUILD, "pending")]);
  const controller = new AbortController();
  // The interrupt comes while the first answer (pending) is read.
  const interrupting: StatusReader = {
    combinedStatus: () => {
      controller.abort();
      return reader.combinedStatus();
    },
  };
  await assert.rejects(
    followCommit(interrupting, TARGET, {
      ...clockOptions,
      signal: controller.signal,
    }),
    InterruptedError,
  );
  assert.equal(reader.calls, 1);
});

Deno.test("followCommit() follows a real push to green", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx);
  const { gitea, FAST } = world;
  const path = await templateRepo(fx, gitea, { contexts: [BUILD] });
  // A real push over smart HTTP, so the server's push hook starts the run.
  const local = `${fx.root}/local.git`;
  const remote = `${gitea.origin.replace("//", `//bot:${TOKEN}@`)}/org/app.git`;
  assert.equal((await fx.git(["clone", "--bare", remote, local])).code, 0);
  const sha = await fx.commit(local, {
    branch: "main",
    files: { ".runtime-version": "0.2.0\n" },
    message: "runtime 0.2.0\n",
  });
  const pushed = await fx.git(["push", remote, "main"], { cwd: local });
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal(await fx.tip(path), sha);
  await runStarted(gitea, sha);
  const client = clientFor(gitea);
  const result = await followCommit(client, { ...TARGET, sha }, FAST);
  assert.equal(result.state, "success");
  assert.deepEqual(result.contexts.map((c) => [c.context, c.state]), [
    [BUILD, "success"],
  ]);
  assert.equal(result.url, null);
  // About one request per poll interval (10 ms growing to 30 ms).
  assert.ok(client.requestCount <= result.waitedMs / 10 + 3);
});

Deno.test("followCommit() reports red with the failing job's link", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx);
  const { gitea, FAST } = world;
  const path = await templateRepo(fx, gitea, {
    contexts: [BUILD, LINT],
    outcome: ["success", "failure"],
  });
  const sha = await pushCommit(fx, gitea, path, "0.2.0");
  const client = clientFor(gitea);
  const result = await followCommit(client, { ...TARGET, sha }, FAST);
  assert.equal(result.state, "failure");
  assert.equal(result.url, `${gitea.origin}/org/app/actions/runs/1/jobs/1`);
  assert.deepEqual(result.contexts.map((c) => c.state), ["success", "failure"]);
  // Only the build job counts: green.
  const build = await followCommit(client, { ...TARGET, sha }, {
    ...FAST,
    contexts: ["*/ build (push)"],
  });
  assert.equal(build.state, "success");
  assert.equal(build.contexts.length, 1);
});

Deno.test("followCommit() says none when the server never posts a status", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx);
  const { gitea, FAST } = world;
  const path = await templateRepo(fx, gitea, {
    contexts: [BUILD],
    outcome: "none",
  });
  const sha = await pushCommit(fx, gitea, path, "0.2.0");
  const result = await followCommit(clientFor(gitea), { ...TARGET, sha }, {
    ...FAST,
    waitStartMs: 150,
  });
  assert.equal(result.state, "none");
  assert.ok(result.waitedMs >= 150 && result.waitedMs < 1000);
});

Deno.test("readCommitCi() reads once: none stays none, pending stays pending", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx);
  const { gitea, clock } = world;
  const path = await templateRepo(fx, gitea, {
    contexts: [BUILD],
    queueMs: 100,
    runMs: 5000,
  });
  const sha = await pushCommit(fx, gitea, path, "0.2.0");
  const client = clientFor(gitea);
  const first = await readCommitCi(client, { ...TARGET, sha });
  assert.equal(first.state, "none");
  clock.advance(250);
  const second = await readCommitCi(client, { ...TARGET, sha });
  assert.equal(second.state, "pending");
  assert.equal(second.contexts[0]?.description, "Waiting to run");
  assert.equal(client.requestCount, 2);
});

Deno.test("followCommit() moves to the new tip when a newer push cancelled its run", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx);
  const { gitea, clock, FAST } = world;
  const path = await templateRepo(fx, gitea, {
    contexts: [BUILD],
    queueMs: 10,
    // Long enough that the newer push cancels it; the newer push's own
    // run is quick.
    runMs: 60_000,
  });
  const first = await pushCommit(fx, gitea, path, "0.2.0");
  clock.advance(50);
  await gitea.api.configureCi("org/app", {
    contexts: [BUILD],
    queueMs: 10,
    runMs: 150,
  });
  const second = await pushCommit(fx, gitea, path, "0.2.0-b");
  const asked: string[] = [];
  const result = await followCommit(clientFor(gitea), {
    ...TARGET,
    sha: first,
  }, {
    ...FAST,
    branchMoved: {
      tipOf: () => fx.tip(path),
      followable: (sha) => {
        asked.push(sha);
        return Promise.resolve(true);
      },
    },
  });
  assert.deepEqual(asked, [second]);
  assert.equal(result.state, "success");
  assert.equal(result.sha, second);
  assert.match(result.note ?? "", /cancelled by a newer push to main/);
  const old = await readCommitCi(clientFor(gitea), { ...TARGET, sha: first });
  assert.equal(old.state, "failure");
  assert.equal(old.contexts[0]?.description, "Has been cancelled");
});

Deno.test("followCommit() stays red when the new tip no longer holds the version", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx);
  const { gitea, clock, FAST } = world;
  const path = await templateRepo(fx, gitea, {
    contexts: [BUILD],
    queueMs: 10,
    // Long enough that the newer push cancels it; the newer push's own
    // run is quick.
    runMs: 60_000,
  });
  const first = await pushCommit(fx, gitea, path, "0.2.0");
  clock.advance(50);
  await gitea.api.configureCi("org/app", {
    contexts: [BUILD],
    queueMs: 10,
    runMs: 150,
  });
  await pushCommit(fx, gitea, path, "0.1.9");
  const result = await followCommit(clientFor(gitea), {
    ...TARGET,
    sha: first,
  }, {
    ...FAST,
    branchMoved: {
      tipOf: () => fx.tip(path),
      followable: () => Promise.resolve(false),
    },
  });
  assert.equal(result.state, "failure");
  assert.equal(result.sha, first);
  assert.match(result.note ?? "", /no longer holds the version/);
});

Deno.test("followCommit() counts 1.25's skipped as passing and keeps it in contexts", async () => {
  await using fx = await Fixture.create();
  await using world = await stand(fx, "1.25.4");
  const { gitea, FAST } = world;
  const path = await templateRepo(fx, gitea, {
    contexts: [BUILD, LINT],
    outcome: ["success", "skipped"],
  });
  const sha = await pushCommit(fx, gitea, path, "0.2.0");
  const result = await followCommit(clientFor(gitea), { ...TARGET, sha }, FAST);
  assert.equal(result.state, "success");
  assert.deepEqual(result.contexts.map((c) => c.state), ["success", "skipped"]);
});
