/**
 * A 429 to cascade's own smart-HTTP requests (the ref read, the fetch, the
 * push) fails the template as `rate-limited`, worded and advised as the
 * API's 429, never `network`; git is not asked again (the server would
 * refuse it the same). A loopback git server answers 429 to one kind of
 * request; the bare repo shows nothing was pushed.
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import type { PushReport } from "../lib/model.ts";

const TOKEN = "t0ken-for-rate-limits";
const ADVICE =
  "the server is limiting cascade's requests (429): wait as long as its Retry-After asks, then re-run, or lower --concurrency";

/** Which of cascade's requests the server answers 429. */
type Limited = "refs" | "fetch" | "push";

/**
 * `push 0.2` of `org/a` against a git server that answers 429 (with
 * `retryAfter`, if any) to the `limited` request; what it printed and
 * reported, each request's method, path and client, and the repo's tip.
 */
async function limitedPush(limited: Limited, retryAfter: string | null) {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const before = await fx.tip(repo);
  const seen: string[] = [];
  let uploads = 0;
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
    api: (request) => {
      const url = new URL(request.url);
      const agent = request.headers.get("user-agent") ?? "";
      seen.push(`${request.method} ${url.pathname}${url.search} ${agent}`);
      const upload = url.pathname.endsWith("/git-upload-pack") ? ++uploads : 0;
      const hit = limited === "refs"
        ? upload === 1
        : limited === "fetch"
        ? upload === 2
        : url.pathname.endsWith("/git-receive-pack");
      if (!hit) return null;
      return new Response("slow down\n", {
        status: 429,
        headers: retryAfter === null ? {} : { "Retry-After": retryAfter },
      });
    },
  });
  const out = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.2", "--repo", "org/a", "--json", out],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
  );
  const report = await readReport<PushReport>(out);
  return {
    run,
    result: report.results[0],
    seen,
    before,
    after: await fx.tip(repo),
  };
}

const STEPS: Record<Limited, string> = {
  refs: "reading the branches",
  fetch: "fetching main",
  push: "pushing to main",
};

for (const limited of ["refs", "fetch", "push"] as const) {
  Deno.test(`in-process ${limited} answered 429 with Retry-After: rate-limited, the wait said, git not asked`, async () => {
    const { run, result, seen, before, after } = await limitedPush(
      limited,
      "30",
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(result?.status, "failed");
    assert.equal(result?.error?.kind, "rate-limited");
    const host = /127\.0\.0\.1:\d+/.source;
    assert.match(
      result?.error?.message ?? "",
      new RegExp(
        `^org/a: ${
          STEPS[limited]
        }: ${host} answered 429 \\(rate-limited\\) and asked to wait 30 s \\(Retry-After\\); ${
          ADVICE.replace(/[()]/g, "\\$&")
        }$`,
      ),
    );
    // The printed line: the template's row says the same.
    const row = `^failed  org/a  \\S+  \\S+  rate-limited: org/a: ${
      STEPS[limited]
    }: ${host} answered 429 \\(rate-limited\\) and asked to wait 30 s \\(Retry-After\\); the server is limiting`;
    assert.match(run.stdout, new RegExp(row, "m"));
    assert.doesNotMatch(run.stdout + run.stderr, /network|server address/);
    // Nothing asked of git's own transport, nothing pushed.
    assert.deepEqual(seen.filter((s) => / git\//.test(s)), []);
    assert.equal(after, before);
  });
}

Deno.test("in-process ref read answered 429 without Retry-After: rate-limited, no wait named", async () => {
  const { run, result, seen } = await limitedPush("refs", null);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(result?.error?.kind, "rate-limited");
  assert.match(
    result?.error?.message ?? "",
    /^org\/a: reading the branches: 127\.0\.0\.1:\d+ answered 429 \(rate-limited\); the server is limiting cascade's requests \(429\)/,
  );
  assert.doesNotMatch(result?.error?.message ?? "", /Retry-After\)/);
  // One request: the v2 ref read; no v0 read after it, no git.
  assert.equal(seen.length, 1, seen.join("\n"));
});
