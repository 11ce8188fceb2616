/**
 * Our commit, found, is ours: a push answered with `ng` (or any other
 * rejection) whose commit the branch nevertheless holds, under another
 * commit that landed on top, is reported `updated` with that commit.
 */

import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { pktLine, startGitHttpServer } from "./support/http_server.ts";

Deno.test("an ng after the server applied our push and another commit landed on top: updated, with our commit", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("o/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({ root: `${fx.root}/srv` });
  let answered = 0;
  // In front of it: the push is applied, someone pushes on top, then the
  // answer says ng.
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
      await fx.commit(repo, {
        branch: "main",
        files: { "README.md": "someone else\n" },
        message: "on top\n",
      });
      answered++;
      const report = `${pktLine("unpack ok\n")}${
        pktLine("ng refs/heads/main failed to update ref\n")
      }0000`;
      return new Response(`${pktLine(`\x01${report}`)}0000`, {
        headers: { "content-type": "application/x-git-receive-pack-result" },
      });
    },
  );
  try {
    const json = `${fx.root}/r.json`;
    const run = await runCascade([
      "push",
      "0.2",
      "--repo",
      `http://127.0.0.1:${front.addr.port}/o/a.git`,
      "--json",
      json,
      "--verbose",
    ]);
    const result = (await readReport<PushReport>(json)).results[0];
    assert.equal(answered, 1, "one push, answered ng");
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(result?.status, "updated");
    const log = await fx.git(["log", "--format=%H %s", "main"], {
      cwd: repo,
    });
    const [top, ours, seed] = log.stdout.trim().split("\n");
    assert.match(top ?? "", / on top$/);
    assert.equal(result?.commit, ours?.split(" ")[0]);
    assert.match(seed ?? "", / seed$/);
    assert.equal(await fx.count(repo), 3, "exactly our commit and theirs");
    assert.doesNotMatch(run.stdout, /another publisher/);
    assert.match(run.stderr, /but main holds [0-9a-f]{10}: it landed/);
  } finally {
    await front.shutdown();
  }
});
