import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { basicCredentials } from "../lib/console/redact.ts";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import { startGitHttpServer } from "./support/http_server.ts";

const TOKEN = "tok_c0ffee5eed1234abcd";

function leaks(text: string): boolean {
  return [TOKEN, btoa(TOKEN), basicCredentials("cascade", TOKEN)].some((f) =>
    text.includes(f)
  );
}

/** A server that answers every request with a redirect to `to`. */
function redirector(status: number, to: string) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      return new Response(null, {
        status,
        headers: { location: `${to}${url.pathname}${url.search}` },
      });
    },
  );
}

for (const status of [301, 302, 307, 308]) {
  Deno.test(`a ${status} to another server: moved, nothing sent there, the others land`, async () => {
    await using fx = await Fixture.create();
    const elsewhere = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
    const local = await fx.repo("local", { ".runtime-version": "0.1\n" });
    await using stranger = await startGitHttpServer({ root: `${fx.root}/srv` });
    const front = redirector(status, stranger.origin);
    try {
      const origin = `http://127.0.0.1:${front.addr.port}`;
      const json = `${fx.root}/r.json`;
      const run = await runCascade(
        ["push", "0.2", "--repo", "org/a", "--repo", local, "--json", json],
        { CASCADE_TOKEN: TOKEN, GITEA_URL: origin },
      );
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const report = await readReport<PushReport>(json);
      assert.equal(report.results[0]?.error?.kind, "moved");
      assert.match(
        report.results[0]?.error?.message ?? "",
        new RegExp(
          `org/a: reading the branches: the server redirects to ${stranger.origin}/org/a\\.git, on another server; .*cascade sends nothing there`,
        ),
      );
      assert.equal(report.results[1]?.status, "updated");
      assert.equal(await fx.text(local, "main", ".runtime-version"), "0.2\n");
      assert.deepEqual(
        stranger.requests,
        [],
        "nothing reached the other server",
      );
      assert.equal(await fx.count(elsewhere), 1);
      assert.ok(!leaks(run.stdout + run.stderr));
    } finally {
      await front.shutdown();
    }
  });
}

Deno.test("a redirect without --allow-net: git follows none, the template fails as moved and says why", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using stranger = await startGitHttpServer({ root: `${fx.root}/srv` });
  const front = redirector(302, stranger.origin);
  const tmp = await Deno.makeTempDir({ prefix: "cascade-redir-" });
  try {
    const run = await runCascadeProcess(
      [
        "push",
        "0.2",
        "--repo",
        `http://127.0.0.1:${front.addr.port}/org/a.git`,
      ],
      { tmpDir: tmp, env: { CASCADE_TOKEN: TOKEN } },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stdout,
      /moved: .*cascade needs --allow-net to see where 127\.0\.0\.1:\d+ redirects/,
    );
    assert.deepEqual(stranger.requests, []);
  } finally {
    await front.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a renamed repository (same-origin 307) is followed: the push lands at the new name, movedTo and a warning say so", async () => {
  await using fx = await Fixture.create();
  const renamed = await fx.repo("org/new-name", {
    ".runtime-version": "0.1\n",
  });
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  gitea.api.rename("org/old-name", "org/new-name");
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.2", "--repo", "org/old-name", "--json", json],
    {
      CASCADE_TOKEN: TOKEN,
      GITEA_URL: gitea.origin,
      GITHUB_ACTIONS: "true",
    },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await fx.text(renamed, "main", ".runtime-version"), "0.2\n");
  const result = (await readReport<PushReport>(json)).results[0];
  assert.equal(result?.status, "updated");
  assert.equal(result?.verified, true);
  assert.equal(result?.movedTo, `${gitea.origin}/org/new-name.git`);
  assert.equal(result?.repo, "org/old-name");
  assert.match(
    run.stdout,
    /^::warning title=cascade%3A org\/old-name::org\/old-name: \(moved to http:\/\/127\.0\.0\.1:\d+\/org\/new-name\.git: update the target list\)$/m,
  );
});

Deno.test("the token goes only to the --base-url origin and --token-origin; several origins without either is exit 2", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using home = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await using other = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const foreign = `${other.origin}/org/a.git`;

  const both = await runCascade(
    ["push", "0.2", "--repo", `${home.origin}/org/a.git`, "--repo", foreign],
    { CASCADE_TOKEN: TOKEN },
  );
  assert.equal(both.code, 2);
  assert.match(
    both.stderr,
    new RegExp(
      `the targets are on 2 servers \\(${home.origin}, ${other.origin}\\)`,
    ),
  );
  assert.deepEqual(home.requests, []);

  const withheld = await runCascade(["push", "0.2", "--repo", foreign], {
    CASCADE_TOKEN: TOKEN,
    GITEA_URL: home.origin,
  });
  assert.equal(withheld.code, 3);
  assert.match(
    withheld.stdout,
    new RegExp(
      `the token was not sent to ${other.origin} .*pass --token-origin ${other.origin}`,
    ),
  );
  assert.ok(
    other.requests.every((r) => r.authorization === null),
    "no Authorization header reached the other origin",
  );
  assert.equal(await fx.count(a), 1);

  const allowed = await runCascade(
    ["push", "0.2", "--repo", foreign, "--token-origin", other.origin],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: home.origin },
  );
  assert.equal(allowed.code, 0, allowed.stdout);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.2\n");
});

Deno.test("a push whose answer is lost is read back: updated with its commit, not another publisher's", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({ root: `${fx.root}/srv` });
  // In front of it: the push reaches the server, the answer never comes back.
  const front = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const upstream = await fetch(
        `${server.origin}${url.pathname}${url.search}`,
        {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: "manual",
        },
      );
      if (!url.pathname.endsWith("/git-receive-pack")) return upstream;
      await upstream.arrayBuffer(); // the server took the push
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.error(new Error("connection dropped"));
          },
        }),
        {
          headers: { "content-type": "application/x-git-receive-pack-result" },
        },
      );
    },
  );
  try {
    const json = `${fx.root}/r.json`;
    const run = await runCascade([
      "push",
      "0.2",
      "--repo",
      `http://127.0.0.1:${front.addr.port}/org/a.git`,
      "--json",
      json,
    ]);
    const result = (await readReport<PushReport>(json)).results[0];
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(result?.status, "updated");
    assert.equal(result?.verified, true);
    assert.equal(result?.commit, await fx.tip(repo));
    assert.doesNotMatch(run.stdout, /another publisher/);
    assert.match(
      run.stderr,
      /the push's answer was lost \(\w+\), but main holds/,
    );
    assert.equal(await fx.count(repo), 2, "exactly one commit");
  } finally {
    await front.shutdown();
  }
});

Deno.test("a hook's escape sequences and workflow commands never reach stdout, stderr or the summary raw", async () => {
  await using fx = await Fixture.create();
  const hostile = await fx.repo("hostile", {
    ".runtime-version": "\x1b]52;c;cHduZWQ=\x07\n",
  });
  const good = await fx.repo("good", { ".runtime-version": "0.1\n" });
  await fx.hook(
    hostile,
    "pre-receive",
    "#!/bin/sh\nprintf '\\033[2J\\033]52;c;cHduZWQ=\\007 nope\\r\\n::error::forged\\n::stop-commands::x\\n##[error]forged too\\n' >&2\nexit 1\n",
  );
  const summary = `${fx.root}/summary.md`;
  const run = await runCascade(
    ["push", "0.2", "--repo", hostile, "--repo", good, "--summary", summary],
    { GITHUB_ACTIONS: "true" },
  );
  assert.equal(run.code, 1);
  assert.equal(await fx.text(good, "main", ".runtime-version"), "0.2\n");
  const md = await Deno.readTextFile(summary);
  for (
    const [where, text] of [["stdout", run.stdout], ["stderr", run.stderr], [
      "summary",
      md,
    ]]
  ) {
    assert.ok(!text!.includes("\x1b"), `${where}: no ESC`);
    assert.ok(!text!.includes("\x07"), `${where}: no BEL`);
    assert.ok(!/\r(?!\n)/.test(text!), `${where}: no lone CR`);
    assert.ok(!text!.includes("##["), `${where}: no ##[`);
    for (const line of text!.split("\n")) {
      // cascade's own annotations carry the server's words as data after
      // `::error title=…::`; any other line a runner would read as a
      // command is a forgery.
      assert.ok(
        !/^\s*::/.test(line) ||
          /^::(error|warning) title=cascade%3A /.test(line) ||
          /^::(group|endgroup)::/.test(line),
        `${where}: a workflow command cascade did not write: ${
          JSON.stringify(line)
        }`,
      );
    }
  }
  assert.match(
    run.stdout,
    /\\x1b\]52;c;cHduZWQ=\\x07/,
    "the old value is shown escaped",
  );
});

Deno.test("a usage error that quotes the server (its version) is neutralised before it is printed", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.22.6\x1b]52;c;cHduZWQ=\x07\r\n::error::forged",
  });
  const run = await runCascade(
    ["push", "0.2", "--repo", "org/a", "--trigger", "dispatch"],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: gitea.origin },
  );
  assert.equal(run.code, 2, run.stderr);
  assert.ok(!run.stderr.includes("\x1b"), run.stderr);
  assert.ok(!run.stderr.includes("\r"), run.stderr);
  assert.ok(
    run.stderr.split("\n").every((line) => !/^\s*::/.test(line)),
    run.stderr,
  );
  assert.match(run.stderr, /says an unreadable version/);
});
