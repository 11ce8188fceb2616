import assert from "node:assert/strict";
import { InterruptedError, TemplateError } from "../lib/errors.ts";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  hermeticEnv,
} from "../lib/git/runner.ts";
import type { RemoteContext } from "../lib/git/context.ts";
import { fetchOverHttp } from "../lib/git/_http_fetch.ts";
import { newHttpRun } from "../lib/git/_http_refs.ts";
import { fetchRequest, readFetchAnswer } from "../lib/git/_pack.ts";
import { VERSION } from "../lib/tool_version.ts";
import { pktLine } from "./support/http_server.ts";
import {
  crafted,
  RESULT,
  startHostileServer,
} from "./support/hostile_server.ts";

const TIP = "a".repeat(40);

/** A work repo and context for `url`, removed by `await using`. */
async function workRepo(url: string, signal?: AbortSignal) {
  const dir = await Deno.makeTempDir({ prefix: "cascade-fetch-" });
  await Deno.mkdir(`${dir}/home`);
  const ctx: RemoteContext = {
    git: createGitRunner(hermeticEnv(`${dir}/home`)),
    url,
    env: configEnv(BASE_GIT_CONFIG),
    timeoutMs: 300,
    gitDir: `${dir}/t0.git`,
    scratchDir: dir,
    httpRefs: { url, authorization: null, run: newHttpRun() },
    ...(signal === undefined ? {} : { signal }),
  };
  const init = await ctx.git(["init", "--bare", "-q", ctx.gitDir]);
  assert.equal(init.code, 0, init.stderr);
  return {
    ctx,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Runs `fn`, returns its result or its error. */
async function settled<T>(fn: () => Promise<T>) {
  try {
    return { value: await fn(), error: null };
  } catch (error) {
    return { value: null, error };
  }
}

/**
 * Waits until `done()` holds: an event, not a speed; bounded (3000 polls
 * of 10 ms or more) so a test that goes wrong fails instead of hanging.
 */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  for (let polls = 0; !done(); polls++) {
    if (polls >= 3000) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("fetchRequest() asks for one tip at depth 1, the filter only when given, and says done", () => {
  const text = (f: string | null) =>
    new TextDecoder().decode(fetchRequest(TIP, f));
  assert.equal(
    text("blob:none"),
    `${pktLine("command=fetch\n")}${pktLine(`agent=cascade/${VERSION}\n`)}` +
      `0001${pktLine("no-progress\n")}${pktLine("ofs-delta\n")}` +
      `${pktLine(`want ${TIP}\n`)}${pktLine("deepen 1\n")}` +
      `${pktLine("filter blob:none\n")}${pktLine("done\n")}0000`,
  );
  assert.ok(!text(null).includes("filter"));
});

Deno.test("readFetchAnswer() takes sections, side-band and a flush, and nothing else", () => {
  const pack = "PACK\0\0\0\x02\0\0\0\0";
  const band = (n: number, s: string) =>
    pktLine(`${String.fromCharCode(n)}${s}`);
  const good = `${pktLine("shallow-info\n")}${pktLine(`shallow ${TIP}\n`)}` +
    `0001${pktLine("packfile\n")}${band(2, "counting\n")}${band(1, pack)}0000`;
  const read = readFetchAnswer(new TextEncoder().encode(good));
  assert.deepEqual(read?.shallow, [TIP]);
  assert.equal(new TextDecoder().decode(read?.pack), pack);
  for (
    const [name, body] of [
      ["empty", ""],
      ["ERR", pktLine("ERR upload-pack: not our ref\n")],
      ["fatal", `${pktLine("packfile\n")}${band(3, "boom\n")}0000`],
      ["no flush", `${pktLine("packfile\n")}${band(1, pack)}`],
      ["not a pack", `${pktLine("packfile\n")}${band(1, "HTML")}0000`],
      [
        "unasked",
        `${pktLine("wanted-refs\n")}0001${pktLine("packfile\n")}0000`,
      ],
      ["bad shallow", `${pktLine("shallow-info\n")}${pktLine("shallow x\n")}`],
      ["no delim", `${pktLine("shallow-info\n")}${pktLine("packfile\n")}0000`],
    ]
  ) {
    assert.equal(readFetchAnswer(new TextEncoder().encode(body)), null, name);
  }
});

Deno.test("fetchOverHttp() leaves a refused or malformed answer to git, probing the filter once per origin", async () => {
  await using server = startHostileServer(() =>
    crafted(RESULT, pktLine("ERR no\n"))
  );
  await using work = await workRepo(`${server.origin}/a.git`);
  for (let i = 0; i < 2; i++) {
    assert.equal(await fetchOverHttp(work.ctx, TIP, "main", 1), null);
  }
  const filtered = server.requests.map((r) => r.body.includes("filter "));
  // The first read probes with the filter, then without; the probe failed
  // both ways, so the second read probes again.
  assert.deepEqual(filtered, [true, false, true, false]);
});

Deno.test("fetchOverHttp() stops an endless answer at the cap and leaves it to git", async () => {
  const chunk = new TextEncoder().encode(
    `${pktLine("packfile\n")}${pktLine(`\x01${"x".repeat(60_000)}`)}`,
  );
  await using server = startHostileServer(() => ({
    kind: "endless",
    type: RESULT,
    chunk,
  }));
  await using work = await workRepo(`${server.origin}/a.git`);
  // At the cap, never at the (long) timeout, which would throw `timeout`.
  work.ctx.timeoutMs = 60_000;
  const { value, error } = await settled(() =>
    fetchOverHttp(work.ctx, TIP, "main", 1, 1024 * 1024)
  );
  assert.equal(error, null);
  assert.equal(value, null);
  assert.ok(server.streamed() < 8 * 1024 * 1024, `${server.streamed()}`);
});

Deno.test("fetchOverHttp() times out (kind timeout) and stops at once on interrupt, while the body is read", async () => {
  await using server = startHostileServer(() => ({
    kind: "stall",
    type: RESULT,
    head: new TextEncoder().encode(pktLine("packfile\n")),
  }));
  await using work = await workRepo(`${server.origin}/a.git`);
  // A genuine stall: the 300 ms timer ends it, the outcome says so.
  const slow = await settled(() => fetchOverHttp(work.ctx, TIP, "main", 1));
  assert.ok(slow.error instanceof TemplateError, String(slow.error));
  assert.equal((slow.error as TemplateError).kind, "timeout");

  const controller = new AbortController();
  await using stopped = await workRepo(
    `${server.origin}/b.git`,
    controller.signal,
  );
  // The interrupt comes once the head is out and the body stalls; without
  // it the fetch would end as a timeout, not an interrupt.
  stopped.ctx.timeoutMs = 60_000;
  const streamed = server.streamed();
  const read = settled(() => fetchOverHttp(stopped.ctx, TIP, "m", 1));
  await waitFor(() => server.streamed() > streamed, "the head was sent");
  controller.abort();
  const aborted = await read;
  assert.ok(aborted.error instanceof InterruptedError, String(aborted.error));
});

Deno.test("fetchOverHttp(): the fetches waiting for an origin's probe end when the probe times out", async () => {
  await using server = startHostileServer(() => ({
    kind: "stall",
    type: RESULT,
    head: new TextEncoder().encode(pktLine("packfile\n")),
  }));
  await using a = await workRepo(`${server.origin}/a.git`);
  await using b = await workRepo(`${server.origin}/b.git`);
  b.ctx.httpRefs = { ...b.ctx.httpRefs!, run: a.ctx.httpRefs!.run };
  b.ctx.timeoutMs = 1500;
  const [probe, waiter] = await Promise.all([
    settled(() => fetchOverHttp(a.ctx, TIP, "main", 1)),
    settled(() => fetchOverHttp(b.ctx, TIP, "main", 1)),
  ]);
  for (const { error } of [probe, waiter]) {
    assert.equal((error as TemplateError).kind, "timeout", String(error));
  }
  // The waiter asked only once the probe had ended, with the filter again
  // (a timeout says nothing about filters).
  assert.deepEqual(
    server.requests.map((r) => `${r.path} ${r.body.includes("filter ")}`),
    ["/a.git/git-upload-pack true", "/b.git/git-upload-pack true"],
  );
});
