import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import { ENV, TOKEN } from "./support/wait_fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { withoutRouting } from "../lib/cli/report_routing.ts";
import { UsageError } from "../lib/errors.ts";

/** A loopback server that records every request it gets (and answers 404). */
function startCatcher() {
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      seen.push(
        `${request.method} ${new URL(request.url).pathname} ${
          request.headers.get("authorization") ?? "-"
        }`,
      );
      await request.body?.cancel();
      return new Response("not found", { status: 404 });
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A push report whose one failed template is `url`, with `options`. */
function report(url: string, options: Record<string, unknown>): string {
  return JSON.stringify({
    tool: "0.1.0",
    command: "push",
    version: "0.2",
    file: ".runtime-version",
    dryRun: false,
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
    options,
    results: [{
      repo: "org/a",
      url,
      branch: "main",
      status: "failed",
      previous: null,
      commit: null,
      attempts: 1,
      durationMs: 1,
      error: { kind: "network", message: "org/a: unreachable" },
    }],
    summary: {},
  });
}

Deno.test("--retry-failed: an edited report pointing baseUrl or tokenOrigin at a catcher is refused; the catcher gets nothing", async () => {
  await using fx = await Fixture.create();
  await using catcher = startCatcher();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const cases: [string, string[], RegExp][] = [
    [
      report(`${catcher.origin}/org/a.git`, { baseUrl: catcher.origin }),
      [],
      /its options name baseUrl .*give --base-url on the command line/,
    ],
    [
      report(`${catcher.origin}/org/a.git`, {
        baseUrl: gitea.origin,
        tokenOrigin: [catcher.origin],
      }),
      ["--base-url", gitea.origin],
      /its options name tokenOrigin .*give --token-origin/,
    ],
    [
      // No routing option at all: the targets' one server is only what
      // the file says, too.
      report(`${catcher.origin}/org/a.git`, {}),
      [],
      /the report's templates are on an http\(s\) server.*give --base-url/,
    ],
  ];
  for (const [i, [text, more, message]] of cases.entries()) {
    const file = await fx.write(`edited-${i}.json`, text);
    const run = await runCascade(
      ["push", "0.2", "--retry-failed", file, ...more],
      ENV,
    );
    assert.equal(run.code, 2, `case ${i}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message, `case ${i}`);
    assert.ok(!run.stderr.includes(TOKEN));
  }
  assert.deepEqual(catcher.seen, [], "the catcher received no request");
  assert.deepEqual(gitea.git.requests, [], "nothing was sent anywhere");
  assert.equal(gitea.api.requests.length, 0);
});

Deno.test("--retry-failed: a report's baseUrl given again (command line, or the same in the config) is used; the command line wins", async () => {
  await using fx = await Fixture.create();
  await using catcher = startCatcher();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const same = await fx.write(
    "same.json",
    report(`${gitea.origin}/org/a.git`, { baseUrl: gitea.origin }),
  );
  const config = await fx.write(
    "cascade.json",
    JSON.stringify({ baseUrl: gitea.origin }),
  );
  const json = `${fx.root}/r.json`;
  const fromConfig = await runCascade(
    [
      "push",
      "0.2",
      "--retry-failed",
      same,
      "--config",
      config,
      "--json",
      json,
    ],
    ENV,
  );
  assert.equal(fromConfig.code, 0, fromConfig.stdout + fromConfig.stderr);
  assert.equal(
    (await readReport<PushReport>(json)).results[0]?.status,
    "updated",
  );
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  // The report names the catcher; the command line names the server.
  const edited = await fx.write(
    "edited.json",
    report(`${gitea.origin}/org/a.git`, { baseUrl: catcher.origin }),
  );
  const fromFlag = await runCascade(
    ["push", "0.3", "--retry-failed", edited, "--base-url", gitea.origin],
    ENV,
  );
  assert.equal(fromFlag.code, 0, fromFlag.stdout + fromFlag.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.3\n");
  assert.deepEqual(catcher.seen, []);
  // A config naming another server than the report: refused.
  const other = await fx.write(
    "other.json",
    JSON.stringify({ baseUrl: "http://127.0.0.1:9" }),
  );
  const mismatch = await runCascade(
    ["push", "0.4", "--retry-failed", edited, "--config", other],
    ENV,
  );
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /baseUrl .*the config names another/);
  assert.deepEqual(catcher.seen, []);
});

Deno.test("withoutRouting() drops the routing options it may, refuses the rest, keeps the others", () => {
  const values = {
    baseUrl: "https://git.example.com",
    tokenOrigin: ["https://a.example.com", "https://b.example.com"],
    probe: ["Dockerfile"],
  };
  const none = { given: [], raw: {} };
  assert.deepEqual(
    withoutRouting(values, none, {
      baseUrl: "https://git.example.com",
      tokenOrigin: [
        "https://b.example.com",
        "https://a.example.com",
        "https://c.example.com",
      ],
    }, "r.json"),
    { probe: ["Dockerfile"] },
  );
  assert.throws(
    () =>
      withoutRouting(values, none, {
        baseUrl: "https://git.example.com",
        tokenOrigin: ["https://a.example.com"],
      }, "r.json"),
    (e) => e instanceof UsageError && /tokenOrigin/.test(e.message),
  );
  assert.throws(
    () => withoutRouting({ apiUrl: "https://x/api/v1" }, none, {}, "r.json"),
    (e) => e instanceof UsageError && /apiUrl .*--api-url/.test(e.message),
  );
});
