import assert from "node:assert/strict";
import {
  apiBaseFor,
  ForgeClient,
  type ForgeClientOptions,
  ForgeError,
} from "../lib/forge/client.ts";
import {
  classifyFetchError,
  classifyHttpStatus,
  serverWords,
} from "../lib/forge/forge_error.ts";
import { InterruptedError } from "../lib/errors.ts";
import { Fixture } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";

const TOKEN = "api-t0ken";

/** A client for `origin` with fast retries and a recording sleep. */
function clientFor(
  origin: string,
  extra: Partial<ForgeClientOptions> = {},
): { client: ForgeClient; slept: number[] } {
  const slept: number[] = [];
  const client = new ForgeClient({
    apiBase: `${origin}/api/v1`,
    authorization: `token ${TOKEN}`,
    allowedOrigins: new Set([origin]),
    timeoutMs: 3000,
    retry: { attempts: 3, baseMs: 5, maxMs: 20, random: () => 0.5 },
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve(true);
    },
    ...extra,
  });
  return { client, slept };
}

/** A second loopback server that records what reaches it. */
function recordingServer(): AsyncDisposable & {
  origin: string;
  seen: (string | null)[];
} {
  const seen: (string | null)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push(request.headers.get("authorization"));
      return Response.json({ version: "9.9.9" });
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Makes `count` bare-repo directories the stand-in lists (no git needed). */
async function fakeRepos(root: string, owner: string, count: number) {
  for (let i = 0; i < count; i++) {
    const dir = `${root}/${owner}/t-${String(i).padStart(3, "0")}.git`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/HEAD`, "ref: refs/heads/main\n");
  }
}

async function rejectsWith(
  promise: Promise<unknown>,
  kind: string,
  pattern: RegExp,
): Promise<ForgeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ForgeError, String(error));
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"));
    return error;
  }
  throw new Error("expected a ForgeError");
}

Deno.test("apiBaseFor() keeps the path prefix and drops owner/name and credentials", () => {
  assert.equal(
    apiBaseFor("https://u:p@git.example.com/templates/node.git"),
    "https://git.example.com/api/v1",
  );
  assert.equal(
    apiBaseFor("https://example.com:8443/gitea/templates/node"),
    "https://example.com:8443/gitea/api/v1",
  );
});

Deno.test("classifyHttpStatus() and classifyFetchError() map to cascade's kinds", () => {
  assert.equal(classifyHttpStatus(401), "auth");
  assert.equal(classifyHttpStatus(403), "auth");
  assert.equal(classifyHttpStatus(404), "not_found");
  assert.equal(classifyHttpStatus(422), "invalid");
  assert.equal(classifyHttpStatus(400), "invalid");
  assert.equal(classifyHttpStatus(503), "network");
  assert.equal(classifyHttpStatus(418), "unknown");
  assert.equal(
    classifyFetchError(new DOMException("x", "TimeoutError")),
    "timeout",
  );
  assert.equal(classifyFetchError(new TypeError("refused")), "network");
  assert.equal(classifyFetchError("odd"), "unknown");
});

Deno.test("serverWords() cuts to 200 characters and escapes control characters", () => {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ message: `\u001b[31mbad\nthing ${"x".repeat(300)}` }),
  );
  const words = serverWords(bytes);
  assert.ok(words.length <= 200);
  assert.ok(words.startsWith("\\x1b[31mbad\\nthing"));
});

Deno.test("ForgeClient sends the token, reads /version, and counts requests", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client } = clientFor(gitea.origin);
  const { value } = await client.version();
  assert.equal(value.version, "1.22.6");
  assert.equal(client.requestCount, 1);
  assert.equal(gitea.api.requests[0]?.authorization, `token ${TOKEN}`);
});

Deno.test("ForgeClient reports a bad token as auth, naming host:port", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fx.repo("org/app", { ".runtime-version": "0.1.0\n" });
  const { client } = clientFor(gitea.origin, { authorization: "token wrong" });
  const error = await rejectsWith(
    client.getRepo("org", "app"),
    "auth",
    new RegExp(`on ${gitea.origin.slice(7)} answered 401: "user does not`),
  );
  assert.equal(error.status, 401);
  assert.equal(error.path, "/api/v1/repos/org/app");
});

Deno.test("ForgeClient.listOrgRepos() reads every page of more than 50 repos", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fakeRepos(`${fx.root}/srv`, "org", 61);
  const { client } = clientFor(gitea.origin);
  const list = await client.listOrgRepos("org");
  assert.equal(list.value.length, 61);
  assert.equal(list.totalCount, 61);
  assert.equal(list.pages, 2);
  assert.equal(list.value[60]?.full_name, "org/t-060");
  assert.deepEqual(
    gitea.api.requests.map((r) => r.query),
    ["limit=50", "limit=50&page=2"],
  );
});

Deno.test("ForgeClient.getAll() stops at its page bound and reads a next page on another origin from its own base", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fakeRepos(`${fx.root}/srv`, "org", 51);
  const { client } = clientFor(gitea.origin, { maxPages: 1 });
  await rejectsWith(
    client.listOrgRepos("org"),
    "invalid",
    /listed more than 1 pages/,
  );
  const { client: other } = clientFor(gitea.origin);
  gitea.api.inject(1, () =>
    Response.json([], {
      headers: {
        Link: '<http://127.0.0.2:1/api/v1/orgs/org/repos?page=2>; rel="next"',
      },
    }));
  // An empty page ends the list whatever Link says.
  assert.equal((await other.listOrgRepos("org")).value.length, 0);
  const page = (await other.getRepo("org", "t-000")).value;
  gitea.api.inject(1, () =>
    Response.json([page], {
      headers: {
        Link: '<http://127.0.0.2:1/api/v1/orgs/org/repos?page=2>; rel="next"',
      },
    }));
  // Gitea builds Link from its ROOT_URL: only the page number counts, and
  // it is read from this client's own base (the token never goes there).
  const before = gitea.api.requests.length;
  const list = await other.listOrgRepos("org");
  assert.equal(list.value.length, 1 + 1, "page 1 injected, page 2 real");
  assert.deepEqual(
    gitea.api.requests.slice(before).map((r) => [r.path, r.query]),
    [
      ["/api/v1/orgs/org/repos", "limit=50"],
      ["/api/v1/orgs/org/repos", "limit=50&page=2"],
    ],
  );
});

Deno.test("ForgeClient.listOrgRepos() falls back to the user's repos on 404", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    users: ["alice"],
  });
  await fakeRepos(`${fx.root}/srv`, "alice", 2);
  const { client } = clientFor(gitea.origin);
  const list = await client.listOrgRepos("alice");
  assert.equal(list.value.length, 2);
  assert.deepEqual(gitea.api.requests.map((r) => r.path), [
    "/api/v1/orgs/alice/repos",
    "/api/v1/users/alice/repos",
  ]);
  await rejectsWith(client.listOrgRepos("nobody"), "not_found", /404/);
});

Deno.test("ForgeClient retries 429 after Retry-After, seconds or a date", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const now = Date.parse("2026-01-01T00:00:00Z");
  const { client, slept } = clientFor(gitea.origin, {
    now: () => now,
    timeoutMs: 10_000,
  });
  gitea.api.inject(1, () =>
    new Response("slow down", {
      status: 429,
      headers: { "Retry-After": "2" },
    }));
  gitea.api.inject(1, () =>
    new Response("slow down", {
      status: 429,
      headers: { "Retry-After": new Date(now + 3000).toUTCString() },
    }));
  // The fake clock stands still: both waits fit in the 10 s budget.
  const { value } = await client.version();
  assert.equal(value.version, "1.22.6");
  assert.deepEqual(slept, [2000, 3000]);
  assert.equal(client.requestCount, 3);
  // A wait past the budget is not made.
  gitea.api.inject(
    1,
    () => new Response("", { status: 429, headers: { "Retry-After": "11" } }),
  );
  await rejectsWith(client.version(), "rate-limited", /answered 429/);
  assert.deepEqual(slept, [2000, 3000]);
});

Deno.test("ForgeClient gives up on 429 when Retry-After is beyond the cap or the attempts run out", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client, slept } = clientFor(gitea.origin, { timeoutMs: 600_000 });
  gitea.api.inject(
    1,
    () => new Response("", { status: 429, headers: { "Retry-After": "120" } }),
  );
  await rejectsWith(client.version(), "rate-limited", /answered 429/);
  assert.deepEqual(slept, []);
  gitea.api.inject(5, () => new Response("", { status: 429 }));
  await rejectsWith(client.version(), "rate-limited", /answered 429/);
  assert.equal(slept.length, 2);
  assert.ok(slept.every((ms) => ms <= 20));
  assert.equal(client.requestCount, 4);
});

Deno.test("ForgeClient retries a 502 for GET but never re-sends a POST", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  await fx.repo("org/app", {
    ".runtime-version": "0.1.0\n",
    ".gitea/workflows/build.yml": "on: workflow_dispatch\n",
  });
  const { client } = clientFor(gitea.origin);
  gitea.api.inject(1, () => new Response("bad gateway", { status: 502 }));
  assert.equal((await client.getRepo("org", "app")).value.name, "app");
  gitea.api.inject(1, () => new Response("oops", { status: 500 }));
  await rejectsWith(
    client.dispatchWorkflow("org", "app", "build.yml", "main"),
    "network",
    /POST .* answered 500: "oops"/,
  );
  assert.equal(gitea.api.tasks("org/app").length, 0);
  await client.dispatchWorkflow("org", "app", "build.yml", "main", { a: "1" });
  assert.equal(gitea.api.tasks("org/app")[0]?.event, "workflow_dispatch");
});

Deno.test("ForgeClient stops a hung request at its time budget", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client } = clientFor(gitea.origin, { timeoutMs: 150 });
  gitea.api.inject(1, () => "hang");
  // A genuine stall: the budget's timer ends it, whatever the machine's
  // load; the outcome says so, and nothing was tried again.
  await rejectsWith(
    client.version(),
    "timeout",
    /did not answer within 150 ms/,
  );
  assert.equal(client.requestCount, 1);
});

Deno.test("ForgeClient throws InterruptedError when its signal aborts", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const controller = new AbortController();
  const { client } = clientFor(gitea.origin, { signal: controller.signal });
  // The interrupt comes while the server holds the request.
  gitea.api.inject(1, () => {
    controller.abort();
    return "hang";
  });
  await assert.rejects(client.version(), InterruptedError);
});

Deno.test("ForgeClient retries a GET that reaches nobody, then says network", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  await server.shutdown();
  const { client, slept } = clientFor(origin);
  await rejectsWith(
    client.version(),
    "network",
    new RegExp(
      `GET /api/v1/version on ${origin.slice(7)} could not be reached`,
    ),
  );
  assert.equal(client.requestCount, 3);
  assert.equal(slept.length, 2);
});

Deno.test("ForgeClient sends the token only to allowed origins", async () => {
  await using other = recordingServer();
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client } = clientFor(other.origin, {
    allowedOrigins: new Set([gitea.origin]),
  });
  assert.equal((await client.version()).value.version, "9.9.9");
  assert.deepEqual(other.seen, [null]);
});

Deno.test("ForgeClient refuses a redirect to another origin and sends nothing there", async () => {
  await using other = recordingServer();
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client } = clientFor(gitea.origin);
  gitea.api.inject(1, () =>
    new Response(null, {
      status: 307,
      headers: { Location: `${other.origin}/api/v1/version` },
    }));
  await rejectsWith(
    client.version(),
    "moved",
    new RegExp(`redirected to http://${other.origin.slice(7)}/api/v1/version`),
  );
  assert.deepEqual(other.seen, []);
});

Deno.test("ForgeClient follows a renamed repo's same-origin 307 and says where", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fx.repo("org/new-name", { ".runtime-version": "0.1.0\n" }, "trunk");
  gitea.api.rename("org/old-name", "org/new-name");
  const { client } = clientFor(gitea.origin);
  const { value, movedTo } = await client.getRepo("org", "old-name");
  assert.equal(value.full_name, "org/new-name");
  assert.equal(value.default_branch, "trunk");
  assert.equal(movedTo, `${gitea.origin}/api/v1/repos/org/new-name`);
  assert.deepEqual(gitea.api.requests.map((r) => r.authorization), [
    `token ${TOKEN}`,
    `token ${TOKEN}`,
  ]);
  // A rename loop is followed a few hops, then refused.
  gitea.api.rename("org/a", "org/b");
  gitea.api.rename("org/b", "org/a");
  await rejectsWith(
    client.getRepo("org", "a"),
    "moved",
    /redirected to \/api\/v1\/repos\/org\/[ab]; not followed/,
  );
  assert.equal(gitea.api.requests.length, 2 + 4);
});

Deno.test("ForgeClient refuses an answer beyond its size cap, with or without Content-Length", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client } = clientFor(gitea.origin, { maxBytes: 1024 });
  gitea.api.inject(1, () => Response.json({ version: "x".repeat(5000) }));
  await rejectsWith(client.version(), "invalid", /larger than 1024 bytes/);
  gitea.api.inject(1, () =>
    new Response(
      new ReadableStream({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(512));
          c.close();
        },
      }),
    ));
  await rejectsWith(client.version(), "invalid", /larger than 1024 bytes/);
});

Deno.test("ForgeClient says invalid when the answer has the wrong shape", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const { client } = clientFor(gitea.origin);
  gitea.api.inject(1, () => Response.json({ version: 5 }));
  await rejectsWith(
    client.version(),
    "invalid",
    /the server's answer to GET \/api\/v1\/version is not what Gitea sends \(field version is not a string\)/,
  );
  gitea.api.inject(1, () => new Response("<html>"));
  await rejectsWith(client.version(), "invalid", /not JSON/);
});

Deno.test("ForgeClient reads topics, tasks, and knows 1.22 has no dispatch", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await fx.repo("org/app", {
    ".runtime-version": "0.1.0\n",
    ".github/workflows/build.yml": "on: workflow_dispatch\n",
  });
  gitea.api.setFlags("org/app", { topics: ["template"] });
  const { client } = clientFor(gitea.origin);
  assert.deepEqual((await client.repoTopics("org", "app")).value.topics, [
    "template",
  ]);
  assert.equal((await client.getRepo("org", "app")).value.topics, undefined);
  await rejectsWith(
    client.dispatchWorkflow("org", "app", "build.yml", "main"),
    "not_found",
    /404/,
  );
  await rejectsWith(client.listActionTasks("org", "app"), "not_found", /404/);
  gitea.api.version = "1.25.4";
  assert.deepEqual((await client.getRepo("org", "app")).value.topics, [
    "template",
  ]);
  await client.dispatchWorkflow("org", "app", "build.yml", "main");
  const tasks = await client.listActionTasks("org", "app");
  assert.equal(tasks.value.total_count, 1);
  assert.equal(tasks.value.workflow_runs[0]?.event, "workflow_dispatch");
});
