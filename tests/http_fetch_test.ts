import assert from "node:assert/strict";
import { Fixture, runCascade } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import { startHttpBackend } from "./support/http_backend.ts";

const TOKEN = "t0ken-for-fetch";
const UP = "POST /org/a.git/git-upload-pack";
const RECEIVE = "POST /org/a.git/git-receive-pack";
const ADVERT = "GET /org/a.git/info/refs?service=git-upload-pack";

/** A request as `who` (cascade itself, or git) sent it. */
function seen(r: { method: string; path: string; agent: string }): string {
  const who = r.agent.startsWith("git/") ? "git" : "cascade";
  return `${who} ${r.method} ${r.path}`;
}

/** Runs cascade on `url`, counting the git processes it starts by name. */
async function run(command: string, url: string, extra: string[] = []) {
  const calls: string[] = [];
  const result = await runCascade(
    [command, "0.2", "--repo", url, ...extra],
    {},
    {
      wrapGit: (git) => (args, options) => {
        calls.push(
          args.find((a, i) => !a.startsWith("-") && args[i - 1] !== "-c") ??
            "",
        );
        return git(args, options);
      },
    },
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return calls;
}

for (const v2 of [true, false]) {
  const protocol = v2 ? "v2" : "v0";
  Deno.test(`http fetch: git http-backend (${protocol}, no filters): exact requests for an update, a no-op and status`, async () => {
    await using fx = await Fixture.create();
    const repo = await fx.repo("org/a", {
      ".runtime-version": "0.1\n",
      "deep/er/file": "x\n",
    });
    const before = await fx.tip(repo);
    await using server = await startHttpBackend({ root: `${fx.root}/srv`, v2 });
    const url = `${server.origin}/org/a.git`;
    const requests = () => server.requests.splice(0).map(seen);
    const update = await run("push", url);
    const tip = await fx.tip(repo);
    assert.deepEqual((await fx.show(repo, tip!)).parents, [before]);
    assert.equal(await fx.text(repo, tip!, ".runtime-version"), "0.2\n");
    assert.equal(await fx.text(repo, tip!, "deep/er/file"), "x\n");
    assert.deepEqual(await fx.changed(repo, tip!), [".runtime-version"]);
    if (v2) {
      assert.deepEqual(requests(), [
        `cascade ${UP}`, // the tip (ls-refs)
        `cascade ${UP}`, // the file, filtered: refused by this server
        `cascade ${UP}`, // the file, unfiltered (once per server and run)
        `cascade ${RECEIVE}`, // the push
        `cascade ${UP}`, // verification
      ]);
      assert.deepEqual(update, [], "the pack is read in-process");
    } else {
      assert.deepEqual(requests(), [
        `cascade ${UP}`, // ls-refs: answered as v0 would, so not v2
        `cascade ${ADVERT}`, // the tip, from the v0 advertisement
        `git ${ADVERT}`, // git fetch (v0: shallow, then the pack)
        `git ${UP}`,
        `git ${UP}`,
        `cascade ${RECEIVE}`, // the push
        `cascade ${ADVERT}`, // verification, straight to v0
      ]);
      assert.deepEqual(update, ["fetch", "cat-file"]);
    }
    for (const command of ["push", "status"]) {
      const noop = await run(command, url);
      assert.deepEqual(
        requests(),
        // v2: the tip, the refused filtered probe (once per server and
        // run), the file.
        v2 ? [`cascade ${UP}`, `cascade ${UP}`, `cascade ${UP}`] : [
          `cascade ${UP}`,
          `cascade ${ADVERT}`,
          `git ${ADVERT}`,
          `git ${UP}`,
          `git ${UP}`,
        ],
        command,
      );
      assert.deepEqual(noop, v2 ? [] : ["fetch", "cat-file"]);
    }
    assert.equal(await fx.count(repo), 2, "no commit on the no-op");
  });
}

Deno.test("http fetch: the Gitea stand-in (filters on): four requests per update, two per no-op and status", async () => {
  await using fx = await Fixture.create();
  const repos = [];
  for (const name of ["org/a", "org/b"]) {
    repos.push(await fx.repo(name, { "a/b/.runtime-version": "0.1\n" }));
  }
  const agents: string[] = [];
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
    api: (request) => {
      agents.push(request.headers.get("user-agent") ?? "");
      return null;
    },
  });
  const requests = () =>
    server.requests.splice(0).map((r) => `${r.method} ${r.path}`);
  const env = { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin };
  const args = ["--file", "a/b/.runtime-version", "--concurrency", "1"];
  const push = await runCascade(
    ["push", "0.2", "--repo", "org/a", "--repo", "org/b", ...args],
    env,
  );
  assert.equal(push.code, 0, push.stdout + push.stderr);
  for (const repo of repos) {
    assert.equal(await fx.text(repo, "main", "a/b/.runtime-version"), "0.2\n");
  }
  const each = (name: string, calls: string[]) =>
    calls.map((c) => c.replace("/org/a.git/", `/org/${name}.git/`));
  const updated = [UP, UP, RECEIVE, UP];
  assert.deepEqual(
    requests().sort(),
    [
      ...each("a", updated),
      ...each("b", updated),
    ].sort(),
  );
  assert.ok(agents.every((a) => !a.startsWith("git/")), agents.join());
  for (const command of ["push", "status"]) {
    const again = await runCascade(
      [command, "0.2", "--repo", "org/a", "--repo", "org/b", ...args],
      env,
    );
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(
      requests().sort(),
      [...each("a", [UP, UP]), ...each("b", [UP, UP])].sort(),
    );
  }
});

Deno.test("http fetch: --transport git makes no request of its own and still lands", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startHttpBackend({ root: `${fx.root}/srv` });
  const url = `${server.origin}/org/a.git`;
  const calls = await run("push", url, ["--transport", "git"]);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.count(repo), 2);
  const who = server.requests.map(seen);
  assert.ok(who.length > 0);
  assert.deepEqual(who.filter((r) => !r.startsWith("git ")), [], who.join());
  assert.ok(calls.includes("ls-remote") && calls.includes("push"), `${calls}`);
});
