/**
 * `--wait-timeout` is a hard bound on the whole wait, paging and
 * `Retry-After` included, and a 429 is `rate-limited`, never `network`:
 * hostile stand-ins on loopback, slow answers played on a fake clock.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { hostileGitea, json } from "./support/hostile_gitea.ts";
import type { GiteaServer } from "./support/gitea_api.ts";
import { args, ENV, FAST, fastFake, TOKEN } from "./support/wait_fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { ForgeClient, ForgeError } from "../lib/forge/client.ts";
import {
  ENV as DISPATCH_ENV,
  template,
  TOKEN as DISPATCH_TOKEN,
  WORKFLOW,
} from "./support/dispatch.ts";

/** Whether `request` reads a commit's combined status. */
function isStatusRead(request: Request): boolean {
  return /\/commits\/[^/]+\/status$/.test(new URL(request.url).pathname);
}

/** Status reads the hostile middle received, per stand-in. */
const READS = new WeakMap<GiteaServer, number>();

/** Status reads the stand-in received. */
function statusReads(gitea: GiteaServer): number {
  return READS.get(gitea) ?? 0;
}

/** A combined status page: no status, but `total` of them over the pages. */
function emptyPage(total: number): Response {
  const page = json({ state: "pending", sha: "x", total_count: total });
  page.headers.set("X-Total-Count", String(total));
  return page;
}

/** `org/a` at 0.1 behind a stand-in whose status reads `forge` answers. */
async function world(
  fx: Fixture,
  forge: (request: Request) => Response | null,
): Promise<GiteaServer> {
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  let reads = 0;
  const gitea = await hostileGitea(
    `${fx.root}/srv`,
    TOKEN,
    "1.22.6",
    (request) => {
      if (!isStatusRead(request)) return null;
      READS.set(gitea, ++reads);
      return forge(request);
    },
  );
  return gitea;
}

Deno.test("--wait-timeout 5s: slow paging stops at the bound, on the clock and in requests", async () => {
  const polling = fastFake();
  await using fx = await Fixture.create();
  // 100 pages of statuses, each taking 2 s of the clock to answer.
  await using gitea = await world(fx, () => {
    polling.clock.advance(2000);
    return emptyPage(5000);
  });
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-timeout", "5s", "--json", out]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(out)).results[0];
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "pending");
  assert.match(result?.ci?.note ?? "", /still pending after 5 s/);
  // Pages at 0, 2 and 4 s; the 4th would start past the bound: not sent.
  assert.equal(statusReads(gitea), 3);
  // The third page, due at 6 s on the clock, was cut in flight at the
  // bound (the stand-in's 2 s passed on the clock at once).
  const waited = result?.ci?.waitedMs ?? Infinity;
  assert.ok(waited >= 5000 && waited <= 5000 + 2000, String(waited));
});

Deno.test("--wait-timeout 5s: a Retry-After of 25 s ends the wait at once as rate-limited, never slept", async () => {
  const polling = fastFake();
  await using fx = await Fixture.create();
  let reads = 0;
  await using gitea = await world(fx, () => {
    // The first page is slow; then the server asks for 25 s, again and again.
    if (reads++ === 0) {
      polling.clock.advance(1500);
      return emptyPage(120);
    }
    return new Response(JSON.stringify({ message: "slow down" }), {
      status: 429,
      headers: { "Retry-After": "25", "Content-Type": "application/json" },
    });
  });
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-timeout", "5s", "--json", out]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(out)).results[0]?.ci;
  assert.equal(ci?.state, "pending");
  assert.match(
    ci?.note ?? "",
    /rate-limited: GET \S+\/status on \S+ answered 429 \(rate-limited\) and asked to wait 25 s \(Retry-After\), past the end of the wait \(--wait-timeout, 4 s left\)/,
  );
  assert.doesNotMatch(ci?.note ?? "", /network|check the server address/);
  // One slow page, one 429: nothing slept for the 25 s, nothing re-sent.
  assert.equal(statusReads(gitea), 2);
  assert.ok(!polling.clock.slept.some((ms) => ms >= 25_000));
  assert.ok((ci?.waitedMs ?? Infinity) < 5000, String(ci?.waitedMs));
  assert.match(run.stdout, /ci pending: .*rate-limited/);
});

Deno.test("--wait-timeout: a Retry-After that fits in the bound is waited out on the clock", async () => {
  const polling = fastFake();
  await using fx = await Fixture.create();
  let reads = 0;
  await using gitea = await world(
    fx,
    () =>
      reads++ === 0
        ? new Response("", { status: 429, headers: { "Retry-After": "2" } })
        : json({
          state: "success",
          sha: "x",
          total_count: 0,
          statuses: [],
        }),
  );
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], [
      "--wait",
      "--wait-timeout",
      "5s",
      "--wait-start",
      "3s",
      "--json",
      out,
    ]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(out)).results[0]?.ci;
  assert.equal(ci?.state, "none");
  assert.ok(polling.clock.slept.includes(2000), String(polling.clock.slept));
  const waited = ci?.waitedMs ?? Infinity;
  assert.ok(waited >= 3000 && waited <= 5000, String(waited));
});

Deno.test("--wait-timeout 5s: a Retry-After of 999999 s is rate-limited and says so, not network", async () => {
  const polling = fastFake();
  await using fx = await Fixture.create();
  await using gitea = await world(
    fx,
    () =>
      new Response("", { status: 429, headers: { "Retry-After": "999999" } }),
  );
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--wait-timeout", "5s", "--json", out]),
    ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(out)).results[0]?.ci;
  assert.equal(ci?.state, "pending");
  assert.match(
    ci?.note ?? "",
    /could not read the CI over the API \(rate-limited: .*asked to wait 999999 s \(Retry-After\).*; the server is limiting cascade's requests \(429\)/,
  );
  assert.doesNotMatch(ci?.note ?? "", /network|check the server address/);
  assert.equal(statusReads(gitea), 1);
  assert.deepEqual(polling.clock.slept, [FAST.minIntervalMs]);
});

Deno.test("--wait-timeout 1s on the wall clock: a status page that never ends is cut in flight", async () => {
  await using fx = await Fixture.create();
  await using gitea = await world(fx, () =>
    new Response(
      new ReadableStream(),
      { headers: { "Content-Type": "application/json" } },
    ));
  const out = `${fx.root}/r.json`;
  const started = Date.now();
  const run = await runCascade(
    args(gitea, ["a"], [
      "--wait",
      "--wait-timeout",
      "1s",
      "--timeout",
      "120",
      "--json",
      out,
    ]),
    ENV,
    { ciPolling: FAST },
  );
  const took = Date.now() - started;
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(out)).results[0]?.ci;
  assert.equal(ci?.state, "pending");
  assert.match(ci?.note ?? "", /still pending after 1 s/);
  assert.equal(statusReads(gitea), 1);
  // Far below --timeout's 120 s, however loaded the machine.
  assert.ok(took < 60_000, `took ${took} ms`);
});

Deno.test("a 429 outside a wait is rate-limited with its Retry-After, never network", async () => {
  await using fx = await Fixture.create();
  await using gitea = await world(fx, () => null);
  gitea.api.inject(
    1,
    () =>
      new Response('{"message":"slow down"}', {
        status: 429,
        headers: { "Retry-After": "999999" },
      }),
  );
  const client = new ForgeClient({
    apiBase: `${gitea.origin}/api/v1`,
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([gitea.origin]),
    timeoutMs: 3000,
    sleep: () => Promise.reject(new Error("must not sleep")),
  });
  const error = await client.listOrgRepos("org").then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ForgeError, String(error));
  assert.equal(error.kind, "rate-limited");
  assert.match(
    error.message,
    /answered 429 \(rate-limited\) and asked to wait 999999 s \(Retry-After\), longer than cascade waits \(60 s\): "slow down"; the server is limiting cascade's requests/,
  );
  assert.doesNotMatch(error.message, /check the server address/);
  assert.equal(client.requestCount, 1);
});

/**
 * A template with a dispatchable workflow behind a stand-in (Gitea 1.24)
 * whose hostile middle answers what `forge` answers (null: the stand-in).
 */
async function dispatchWorld(
  fx: Fixture,
  forge: (request: Request) => Response | null,
): Promise<GiteaServer> {
  await fx.repo(
    "org/a",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  const gitea = await hostileGitea(
    `${fx.root}/srv`,
    DISPATCH_TOKEN,
    "1.24.0",
    forge,
  );
  gitea.api.configureDispatch("org/a", {});
  return gitea;
}

/** `push 0.1.8 --trigger dispatch` of `org/a` on `gitea`, plus `more`. */
function dispatchArgs(gitea: GiteaServer, more: string[]): string[] {
  return [
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/a",
    ...more,
  ];
}

Deno.test("a dispatch answered 429 fails as rate-limited, never network", async () => {
  await using fx = await Fixture.create();
  let posts = 0;
  await using gitea = await dispatchWorld(fx, (request) => {
    if (!request.url.endsWith("/dispatches")) return null;
    posts++;
    return new Response('{"message":"slow down"}', {
      status: 429,
      headers: { "Retry-After": "999999" },
    });
  });
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    dispatchArgs(gitea, ["--json", out]),
    DISPATCH_ENV,
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(out)).results[0];
  assert.equal(result?.status, "failed");
  assert.equal(result?.error?.kind, "rate-limited");
  assert.match(
    result?.error?.message ?? "",
    /answered 429 \(rate-limited\) and asked to wait 999999 s \(Retry-After\)/,
  );
  assert.doesNotMatch(result?.error?.message ?? "", /check the server address/);
  assert.equal(posts, 1, "a POST answered 429 and a long Retry-After: once");
});

Deno.test("dispatch --wait --wait-timeout 5s: a runs list answering Retry-After 999999 ends the wait as rate-limited", async () => {
  const polling = fastFake();
  await using fx = await Fixture.create();
  let lists = 0;
  let dispatched = false;
  await using gitea = await dispatchWorld(fx, (request) => {
    if (request.url.endsWith("/dispatches")) dispatched = true;
    if (!dispatched || !request.url.includes("/actions/tasks")) return null;
    lists++;
    return new Response("", {
      status: 429,
      headers: { "Retry-After": "999999" },
    });
  });
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    dispatchArgs(gitea, ["--wait", "--wait-timeout", "5s", "--json", out]),
    DISPATCH_ENV,
    { ciPolling: polling },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const result = (await readReport<PushReport>(out)).results[0];
  assert.equal(result?.status, "dispatched");
  assert.equal(result?.ci?.state, "pending");
  assert.match(
    result?.ci?.note ?? "",
    /could not read the runs list over the API \(rate-limited: .*asked to wait 999999 s \(Retry-After\)/,
  );
  assert.doesNotMatch(result?.ci?.note ?? "", /network|check the server/);
  assert.equal(lists, 1);
  assert.deepEqual(polling.clock.slept, [FAST.minIntervalMs]);
});
