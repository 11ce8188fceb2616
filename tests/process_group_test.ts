/**
 * Git's transport helpers die with it: a git killed at `--timeout` (or by
 * an interrupt) takes `git remote-http` and what that started along, where
 * cascade may signal them (this suite runs with a full `--allow-run`).
 */

import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { createGitRunner } from "../lib/git/runner.ts";
import { killRunningGit } from "../lib/git/_process_group.ts";
import type { PushReport } from "../lib/model.ts";
import { within } from "./support/bounded.ts";
import { until } from "./support/wait_fixtures.ts";

/** The command lines of every process that mentions `needle`. */
async function processesWith(needle: string): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-eo", "args"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) =>
    line.includes(needle) && !line.startsWith("ps ")
  );
}

/** Waits until no process mentions `needle` (bounded: see `until`). */
function gone(needle: string): Promise<void> {
  return until(
    async () => (await processesWith(needle)).length === 0,
    `no process left naming ${needle}`,
  );
}

/**
 * A server that answers every request with headers, then a byte every
 * 200 ms without end: enough for curl's low-speed limit, so a transport
 * helper reading it never gives up by itself.
 */
function tricklingServer() {
  const connections = new Set<Deno.Conn>();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const head = new TextEncoder().encode(
    "HTTP/1.1 200 OK\r\n" +
      "Content-Type: application/x-git-upload-pack-advertisement\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n",
  );
  const byte = new TextEncoder().encode("1\r\n0\r\n");
  const timer = setInterval(() => {
    for (const conn of connections) {
      conn.write(byte).catch(() => connections.delete(conn));
    }
  }, 200);
  (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      conn.write(head).catch(() => connections.delete(conn));
      // Read and drop the request.
      conn.readable.pipeTo(new WritableStream()).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      clearInterval(timer);
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    },
  };
}

Deno.test("a git killed at --timeout takes its transport helpers along (a server still trickling)", async () => {
  await using fx = await Fixture.create();
  const server = tricklingServer();
  const url = `http://127.0.0.1:${server.port}/o/a.git`;
  try {
    const json = `${fx.root}/r.json`;
    const run = await runCascade([
      "push",
      "0.2",
      "--repo",
      url,
      "--transport",
      "git",
      "--timeout",
      "1",
      "--json",
      json,
    ]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const result = (await readReport<PushReport>(json)).results[0];
    assert.equal(result?.error?.kind, "timeout", run.stderr);
    // The server is still sending: a helper left behind would read it for
    // ever. Killed with git, it is gone at once.
    await gone(`127.0.0.1:${server.port}`);
  } finally {
    server.close();
  }
});

Deno.test("killRunningGit() kills every git still running and what it started", async () => {
  await using fx = await Fixture.create();
  const git = createGitRunner({ PATH: Deno.env.get("PATH") ?? "/usr/bin" });
  const marker = `${Math.floor(Math.random() * 1e6)}`;
  // A git whose alias starts a shell that sleeps: git's own child.
  const running = git(
    ["-c", `alias.nap=!sleep 60.${marker}`, "nap"],
    { cwd: fx.root, helpers: true },
  );
  await until(
    async () => (await processesWith(`sleep 60.${marker}`)).length > 0,
    "the alias's sleep started",
  );
  killRunningGit();
  // The sleep held git's pipes: left running, it would hold the run for a
  // minute. Killed with git, the run ends at once.
  const out = await within(10_000, () => running);
  assert.notEqual(out.code, 0);
  await gone(`sleep 60.${marker}`);
});
