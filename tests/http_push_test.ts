import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  spawnCascade,
} from "./support/fixtures.ts";
import { pktLine, startGitHttpServer } from "./support/http_server.ts";
import type { PushReport, PushResult } from "../lib/model.ts";
import type { GitRunner } from "../lib/git/runner.ts";

const TOKEN = "t0ken-for-push";
const RESULT = "application/x-git-receive-pack-result";

/** A side-band packet: the band byte, then `payload`. */
function band(channel: number, payload: string): string {
  return pktLine(`${String.fromCharCode(channel)}${payload}`);
}

/** A receive-pack answer: the report in band 1, `words` in band 2. */
function report(lines: string[], words: string[] = []): string {
  const status = `${lines.map((l) => pktLine(`${l}\n`)).join("")}0000`;
  return `${words.map((w) => band(2, w)).join("")}${band(1, status)}0000`;
}

/** What a request looked like, with its query. */
interface Seen {
  method: string;
  path: string;
}

/**
 * A smart-HTTP server whose receive-pack requests (the POST, and the GET of
 * its refs `git push` makes) `answer` may replace (null: git answers);
 * every request is recorded with its query.
 */
async function serverWith(
  fx: Fixture,
  answer: (request: Request) => Response | null | Promise<Response | null> =
    () => null,
) {
  const seen: Seen[] = [];
  const server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
    api: (request) => {
      const url = new URL(request.url);
      seen.push({ method: request.method, path: url.pathname + url.search });
      return /receive-pack/.test(url.pathname + url.search)
        ? answer(request)
        : null;
    },
  });
  return { server, seen };
}

async function push(
  origin: string,
  version: string,
  wrapGit?: (git: GitRunner) => GitRunner,
) {
  const json = `${Deno.makeTempDirSync()}/r.json`;
  const run = await runCascade(
    ["push", version, "--repo", "org/a", "--json", json],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: origin },
    wrapGit === undefined ? {} : { wrapGit },
  );
  const result = (await readReport<PushReport>(json)).results[0];
  await Deno.remove(json.slice(0, json.lastIndexOf("/")), { recursive: true });
  return { run, result: result as PushResult };
}

function receivePacks(seen: Seen[]): Seen[] {
  return seen.filter((r) => /receive-pack/.test(r.path));
}

Deno.test("http push: lands in one POST to git-receive-pack, no receive-pack ref list", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", {
    ".runtime-version": "0.1\n",
    "deep/er/file": "x\n",
  });
  const before = await fx.tip(repo);
  const { server, seen } = await serverWith(fx);
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(result.status, "updated");
  assert.equal(result.verified, true);
  assert.deepEqual(receivePacks(seen), [
    { method: "POST", path: "/org/a.git/git-receive-pack" },
  ]);
  // Packing fetched nothing lazily (deep/er was left out by the filter).
  assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [
    "POST /org/a.git/git-upload-pack", // preflight (v2 ls-refs)
    "POST /org/a.git/git-upload-pack", // fetch (v2, in-process)
    "POST /org/a.git/git-receive-pack", // the push
    "POST /org/a.git/git-upload-pack", // verification
  ]);
  const tip = await fx.tip(repo);
  assert.equal(result.commit, tip);
  const commit = await fx.show(repo, tip!);
  assert.deepEqual(commit.parents, [before]);
  assert.match(commit.author, /<.+@.+>/);
  assert.equal(await fx.text(repo, tip!, ".runtime-version"), "0.2\n");
  assert.equal(await fx.text(repo, tip!, "deep/er/file"), "x\n");
  assert.deepEqual(await fx.changed(repo, tip!), [".runtime-version"]);
  assert.equal(await fx.count(repo), 2);
});

Deno.test("http push: a file deep in the tree; the server's fsck finds nothing missing", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", {
    "a/b/c/.runtime-version": "0.1\n",
    "a/b/sibling": "s\n",
    "a/other": "o\n",
    "top": "t\n",
  });
  const { server, seen } = await serverWith(fx);
  await using _ = server;
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    [
      "push",
      "0.2",
      "--repo",
      "org/a",
      "--file",
      "a/b/c/.runtime-version",
      "--json",
      json,
    ],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(receivePacks(seen).length, 1);
  assert.equal(await fx.text(repo, "main", "a/b/c/.runtime-version"), "0.2\n");
  assert.equal(await fx.text(repo, "main", "a/b/sibling"), "s\n");
  const fsck = await fx.git(["fsck", "--strict", "--no-dangling"], {
    cwd: repo,
  });
  assert.equal(fsck.code, 0, fsck.stderr);
});

Deno.test("http push: the branch moved after the fetch: the stale old value is refused, re-read and pushed again", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  let raced = false;
  // The first push arrives after another publisher moved the branch.
  const { server, seen } = await serverWith(fx, async () => {
    if (!raced) {
      raced = true;
      await fx.commit(repo, {
        branch: "main",
        files: { "other": "racer\n" },
        message: "racer\n",
        author: "Other <other@example.com>",
      });
    }
    return null;
  });
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(result.status, "updated");
  assert.equal(result.attempts, 2);
  assert.match(run.stderr, /attempt 1 rejected \(failed to update ref\)/);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.text(repo, "main", "other"), "racer\n", "kept");
  assert.equal(await fx.count(repo), 3, "seed, racer, ours");
  assert.equal(receivePacks(seen).length, 2);
});

Deno.test("http push: a pre-receive hook's refusal is rejected with its words, neutralised", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await fx.hook(
    repo,
    "pre-receive",
    "#!/bin/sh\nprintf 'Not allowed to push to \\033[31mprotected\\033[0m main\\n' >&2\nexit 1\n",
  );
  const { server, seen } = await serverWith(fx);
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(result.status, "failed");
  assert.equal(result.error?.kind, "rejected");
  assert.ok(
    result.error?.message.includes(
      "refused (pre-receive hook declined): Not allowed to push to \x1b[31mprotected\x1b[0m main;",
    ),
    result.error?.message,
  );
  assert.ok(!(run.stdout + run.stderr).includes("\x1b"), "no raw ESC");
  assert.match(run.stdout, /\\x1b\[31mprotected/);
  assert.equal(receivePacks(seen).length, 1, "no git push after a refusal");
  assert.equal(await fx.count(repo), 1);
});

Deno.test("http push: a refused POST falls back to git push, which names the failure (auth)", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  // Reads are allowed, writes are not: a token that may read only.
  const { server, seen } = await serverWith(
    fx,
    () =>
      new Response("Unauthorized\n", {
        status: 401,
        headers: { "WWW-Authenticate": 'Basic realm="x"' },
      }),
  );
  await using _ = server;
  let gitPushes = 0;
  const { run, result } = await push(
    server.origin,
    "0.2",
    (git) => (args, options) => {
      if (args[0] === "push") gitPushes++;
      return git(args, options);
    },
  );
  assert.notEqual(run.code, 0, run.stdout);
  assert.equal(result.status, "failed");
  assert.equal(result.error?.kind, "auth", result.error?.message);
  assert.match(result.error?.message ?? "", /^org\/a: pushing to main: /);
  assert.equal(gitPushes, 1);
  assert.deepEqual(receivePacks(seen).map((r) => r.method), ["POST", "GET"]);
  assert.equal(await fx.count(repo), 1);
});

Deno.test("http push: a 404 to the POST falls back to git push, which lands", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  let first = true;
  const { server, seen } = await serverWith(fx, (request) => {
    if (request.method !== "POST" || !first) return null;
    first = false;
    return new Response("no\n", { status: 404 });
  });
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(result.status, "updated");
  assert.deepEqual(
    receivePacks(seen).map((r) => r.path.replace(/^\/org\/a\.git/, "")),
    [
      "/git-receive-pack",
      "/info/refs?service=git-receive-pack",
      "/git-receive-pack",
    ],
  );
  assert.equal(await fx.count(repo), 2);
});

for (
  const [name, answer, kind] of [
    ["garbage", () => new Response("zzzz not pkt-lines", typed()), "unknown"],
    [
      "a cut-off report",
      () => new Response("0030\x01000eunpack", typed()),
      "unknown",
    ],
    [
      "an endless answer",
      () =>
        new Response(
          new ReadableStream({
            pull: (c) =>
              c.enqueue(new TextEncoder().encode(band(2, "x".repeat(60000)))),
          }),
          typed(),
        ),
      "unknown",
    ],
    [
      "a fatal error in band 3",
      () => new Response(`${band(3, "fatal: \x1b[2Jboom\n")}0000`, typed()),
      "unknown",
    ],
    [
      "ok for another ref",
      () => new Response(report(["unpack ok", "ok refs/heads/other"]), typed()),
      "unknown",
    ],
  ] as const
) {
  Deno.test(`http push: ${name} after the POST is a lost answer, read back, bounded and never printed raw`, async () => {
    await using fx = await Fixture.create();
    const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
    const { server } = await serverWith(fx, answer);
    await using _ = server;
    const { run, result } = await push(server.origin, "0.2");
    assert.equal(result.status, "failed", run.stdout);
    assert.equal(result.error?.kind, kind, result.error?.message);
    assert.match(result.error?.message ?? "", /pushing to main: /);
    assert.ok(!(run.stdout + run.stderr).includes("\x1b"), "no raw ESC");
    assert.ok(run.stdout.length < 5000, "bounded output");
    assert.equal(await fx.count(repo), 1);
  });
}

function typed(): ResponseInit {
  return { headers: { "Content-Type": RESULT } };
}

Deno.test("http push: ESC in an ng reason and the server's words: rejected, neutralised", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const { server } = await serverWith(
    fx,
    () =>
      new Response(
        report(["unpack ok", "ng refs/heads/main \x1b]52;c;eA==\x07nope"], [
          "\x1b[2Jwords\r\n",
          "::error::forged\n",
        ]),
        typed(),
      ),
  );
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(result.status, "failed");
  assert.equal(result.error?.kind, "rejected");
  assert.ok(
    result.error?.message.includes("\x1b[2Jwords / ::error::forged"),
    result.error?.message,
  );
  const printed = run.stdout + run.stderr;
  assert.ok(!printed.includes("\x1b") && !printed.includes("\x07"));
  assert.ok(!/^\s*::error::forged/m.test(printed));
  assert.equal(await fx.count(repo), 1);
});

Deno.test("http push: an answer lost after the server took the push is read back as updated", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  let origin = "";
  const { server, seen } = await serverWith(fx, async (request) => {
    if (request.headers.get("x-pass") !== null) return null;
    const headers = new Headers(request.headers);
    headers.set("x-pass", "1");
    const upstream = await fetch(
      `${origin}${new URL(request.url).pathname}`,
      { method: "POST", headers, body: await request.arrayBuffer() },
    );
    await upstream.arrayBuffer(); // the server took the push
    return new Response(
      new ReadableStream({ start: (c) => c.error(new Error("dropped")) }),
      typed(),
    );
  });
  origin = server.origin;
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(result.status, "updated");
  assert.equal(result.commit, await fx.tip(repo));
  assert.match(
    run.stderr,
    /the push's answer was lost \(network\), but main holds/,
  );
  assert.equal(await fx.count(repo), 2);
  assert.equal(
    receivePacks(seen).filter((r) => r.method === "POST").length,
    2,
    "ours, and the pass-through to git",
  );
});

Deno.test("http push: SIGINT while the POST hangs exits 130, pushes nothing, leaves no temp dir", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const { server } = await serverWith(fx);
  await using _ = server;
  server.hang("/org/a.git/git-receive-pack");
  const tmp = await Deno.makeTempDir({ dir: fx.root });
  // --timeout far beyond the bound below: a stop that waited for it would
  // fail the bound, however loaded the machine.
  const child = spawnCascade(
    ["push", "0.2", "--repo", "org/a", "--timeout", "10m"],
    {
      tmpDir: tmp,
      allowNet: "127.0.0.1",
      env: { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
    },
  );
  // Bounded in polls (and so in time), not a speed.
  for (
    let polls = 0;
    polls < 1200 &&
    !server.requests.some((r) => r.path.endsWith("/git-receive-pack"));
    polls++
  ) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const t0 = Date.now();
  child.kill("SIGINT");
  const out = await child.output();
  assert.equal(out.code, 130, new TextDecoder().decode(out.stdout));
  assert.ok(Date.now() - t0 < 120_000, "stopped before its --timeout");
  assert.match(new TextDecoder().decode(out.stdout), /1 interrupted/);
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "no temp dir left behind");
  assert.equal(await fx.count(repo), 1);
});

Deno.test("http push: a POST that never answers times out, is read back, and fails as timeout", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const { server } = await serverWith(fx);
  await using _ = server;
  server.hang("/org/a.git/git-receive-pack");
  const json = `${fx.root}/r.json`;
  // A genuine stall: the 1 s --timeout ends it, and the outcome says so.
  const run = await runCascade(
    ["push", "0.2", "--repo", "org/a", "--timeout", "1s", "--json", json],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
  );
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "failed", run.stdout);
  assert.equal(result?.error?.kind, "timeout", result?.error?.message);
  assert.match(result?.error?.message ?? "", /pushing to main: timed out/);
  assert.equal(await fx.count(repo), 1);
});

Deno.test("http push: a SHA-256 template is pushed with git push", async () => {
  await using fx = await Fixture.create();
  const repo = `${fx.root}/srv/org/a.git`;
  await Deno.mkdir(`${fx.root}/srv/org`);
  const init = await fx.git(
    ["init", "--bare", "-q", "-b", "main", "--object-format=sha256", repo],
  );
  assert.equal(init.code, 0, init.stderr);
  const before = await fx.commit(repo, {
    branch: "main",
    files: { ".runtime-version": "0.1\n" },
  });
  const { server, seen } = await serverWith(fx);
  await using _ = server;
  const { run, result } = await push(server.origin, "0.2");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(result.status, "updated");
  assert.deepEqual((await fx.show(repo, "main")).parents, [before]);
  assert.deepEqual(receivePacks(seen).map((r) => r.method), ["GET", "POST"]);
});
