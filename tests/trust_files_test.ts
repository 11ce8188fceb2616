/**
 * Files and values cascade must not trust: report paths that are not
 * regular files, a token inside a value, `##[` on stdout, Markdown links
 * from a server, and repos whose names differ only in case.
 */

import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { within } from "./support/bounded.ts";
import { discoverRepos } from "../lib/forge/discover.ts";
import { ForgeClient } from "../lib/forge/client.ts";
import { ciText } from "../lib/report/render.ts";

/** The run link a report prints for a red CI at `url`, or null: dropped. */
function safeLink(url: string): string | null {
  const line = ciText({ state: "failure", contexts: [], url, waitedMs: 0 });
  if (line === "ci failure:") return null;
  const link = /^ci failure: (\S+)$/.exec(line);
  assert.ok(link, line);
  return link[1] ?? "";
}

const TOKEN = "tok_files_9f8e7d6c5b4a";

Deno.test("a FIFO, a device or a directory as a report or summary path is refused before the run (exit 2)", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1\n" });
  const fifo = `${fx.root}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(made.code, 0);
  await Deno.mkdir(`${fx.root}/dir`);
  const cases: [string, string[], Record<string, string>][] = [
    ["GITHUB_STEP_SUMMARY", [], {
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: fifo,
    }],
    ["GITHUB_OUTPUT", [], { GITHUB_ACTIONS: "true", GITHUB_OUTPUT: fifo }],
    ["--json", ["--json", fifo], {}],
    ["--summary", ["--summary", `${fx.root}/dir`], {}],
    ["--json", ["--json", "/dev/null"], {}],
  ];
  for (const [what, args, env] of cases) {
    const run = await within(
      20_000,
      () => runCascade(["push", "0.2", "--repo", repo, ...args], env),
    );
    assert.equal(run.code, 2, `${what}: ${run.stderr}`);
    assert.match(
      run.stderr,
      new RegExp(
        `${what} \\S+ is (a FIFO|a directory|a device), not a regular file`,
      ),
    );
    assert.equal(run.stderr.trim().split("\n").length <= 2, true);
  }
  assert.equal(await fx.count(repo), 1, "nothing was pushed");
});

Deno.test("a value holding the token or a 12-character piece of it is refused before any push, naming the option", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1\n" });
  const piece = TOKEN.slice(5, 17);
  const cases: [string, string[]][] = [
    ["--message", ["--message", `chore: pin {version} ${TOKEN}`]],
    ["--message", ["--message", `chore: pin {version} ${piece}`]],
    ["--author", ["--author", `x${piece} <bot@example.com>`]],
    ["--message", [
      "--message",
      `chore: {version} ${btoa(TOKEN).slice(2, 16)}`,
    ]],
  ];
  for (const [flag, args] of cases) {
    const run = await runCascade(
      ["push", "0.2", "--repo", repo, ...args],
      { CASCADE_TOKEN: TOKEN },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`${flag} holds the token`));
    assert.ok(!run.stderr.includes(piece) && !run.stdout.includes(piece));
  }
  const fine = await runCascade(
    ["push", "0.2", "--repo", repo, "--message", "chore: pin {version}"],
    { CASCADE_TOKEN: TOKEN },
  );
  assert.equal(fine.code, 0, fine.stderr);
  assert.equal(await fx.count(repo), 2, "only the clean run pushed");
});

Deno.test("--json - never prints ##[ on a line, and its values stay exact; a report file keeps the raw value", async () => {
  await using fx = await Fixture.create();
  const previous = "##[group]pwned";
  const repo = await fx.repo("t", { ".runtime-version": `${previous}\n` });
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    repo,
    "--dry-run",
    "--json",
    "-",
  ]);
  assert.equal(run.code, 0, run.stderr);
  for (const line of `${run.stdout}\n${run.stderr}`.split("\n")) {
    assert.ok(!line.includes("##["), line);
  }
  const report = JSON.parse(run.stdout) as PushReport;
  assert.equal(report.results[0]?.previous, previous);
  const json = `${fx.root}/r.json`;
  await runCascade([
    "push",
    "0.2",
    "--repo",
    repo,
    "--dry-run",
    "--json",
    json,
  ]);
  assert.equal(
    (await readReport<PushReport>(json)).results[0]?.previous,
    previous,
  );
  assert.ok((await Deno.readTextFile(json)).includes(previous));
});

Deno.test("a report's run link keeps an absolute http(s) URL escaped for a table cell, drops anything else", () => {
  const link = safeLink("https://ci.example/run|x](y)`z`<b> 1\\2[3]") ?? "";
  assert.ok(link.startsWith("https://ci.example/run"));
  assert.doesNotMatch(link, /[|\]()`<>\s\\[]/);
  assert.equal(safeLink("javascript:alert(1)"), null);
  assert.equal(safeLink("/relative/run"), null);
  assert.equal(safeLink("ftp://ci.example/x"), null);
});

Deno.test("discoverRepos() names a repo whose name differs only in case, never drops it", async () => {
  const repo = (name: string) => ({
    name,
    full_name: `o/${name}`,
    owner: { login: "o" },
    default_branch: "main",
    archived: false,
    fork: false,
    mirror: false,
    empty: false,
    clone_url: `http://127.0.0.1/o/${name}.git`,
    html_url: `http://127.0.0.1/o/${name}`,
  });
  const pages = [[repo("Foo"), repo("foo"), repo("bar")], [repo("FOO")], []];
  let page = 0;
  const client = new ForgeClient({
    apiBase: "http://127.0.0.1/api/v1",
    authorization: null,
    allowedOrigins: new Set(),
    timeoutMs: 5000,
    fetch: (() =>
      Promise.resolve(
        Response.json(pages[page++] ?? [], {
          headers: {
            link: `<http://127.0.0.1/api/v1/orgs/o/repos?page=${
              page + 1
            }>; rel="next"`,
          },
        }),
      )) as typeof fetch,
  });
  const found = await discoverRepos(client, {
    owners: ["o"],
    match: [],
    exclude: [],
    topics: [],
  });
  assert.deepEqual(found.repos, ["o/Foo", "o/bar"]);
  assert.deepEqual(found.excluded, [
    { repo: "o/foo", reason: "name differs only in case from o/Foo" },
    { repo: "o/FOO", reason: "name differs only in case from o/Foo" },
  ]);
});
