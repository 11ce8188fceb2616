import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { Fixture, readReport, runCascadeProcess } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import { ENV, template, TOKEN, WORKFLOW } from "./support/dispatch.ts";

const WIRED = {
  ".runtime-version": "0.1\n",
  Dockerfile: "COPY .runtime-version /\n",
};

/** Three wired local templates. */
async function templates(fx: Fixture): Promise<string[]> {
  return await Promise.all(
    ["a", "b", "c"].map((n) => fx.repo(n, WIRED)),
  );
}

function repoArgs(repos: string[]): string[] {
  return repos.flatMap((r) => ["--repo", r]);
}

Deno.test("subprocess: push --probe Dockerfil matching nowhere exits 1 with one headline and the closest name; nothing pushed", async () => {
  await using fx = await Fixture.create();
  const repos = await templates(fx);
  const json = `${fx.root}/r.json`;
  const run = await runCascadeProcess(
    ["push", "0.2", ...repoArgs(repos), "--probe", "Dockerfil", "--json", json],
    { tmpDir: fx.root },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const headlines = run.stderr.split("\n").filter((l) =>
    l.startsWith("cascade: nothing matched")
  );
  assert.deepEqual(headlines, [
    "cascade: nothing matched --probe Dockerfil in any of 3 templates: nothing was pushed; did you mean Dockerfile?",
  ]);
  for (const repo of repos) assert.equal(await fx.count(repo), 1);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(
    report.results.map((r) => [r.status, r.skip]),
    [["skipped", "probe"], ["skipped", "probe"], ["skipped", "probe"]],
  );
});

Deno.test("subprocess: push --file .runtime_version (a typo) with a probe exits 1 naming --file and .runtime-version", async () => {
  await using fx = await Fixture.create();
  const repos = await templates(fx);
  const run = await runCascadeProcess([
    "push",
    "0.2",
    ...repoArgs(repos),
    "--probe",
    "Dockerfile",
    "--file",
    ".runtime_version",
  ], { tmpDir: fx.root });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /^cascade: nothing matched --file \.runtime_version in any of 3 templates: nothing was pushed; did you mean \.runtime-version\?$/m,
  );
  for (const repo of repos) assert.equal(await fx.count(repo), 1);
});

Deno.test("subprocess: a partial skip keeps exit 0; status --probe Dockerfil matching nowhere exits 1", async () => {
  await using fx = await Fixture.create();
  const [a, b] = await templates(fx);
  const legacy = await fx.repo("legacy", {
    ".runtime-version": "0.1\n",
    Dockerfile: "FROM scratch\n",
  });
  const partial = await runCascadeProcess(
    ["push", "0.2", "--repo", a!, "--repo", legacy, "--probe", "Dockerfile"],
    { tmpDir: fx.root },
  );
  assert.equal(partial.code, 0, partial.stdout + partial.stderr);
  assert.ok(!partial.stderr.includes("nothing matched"), partial.stderr);
  assert.equal(await fx.count(a!), 2);
  assert.equal(await fx.count(legacy), 1);

  const status = await runCascadeProcess(
    ["status", "0.2", "--repo", a!, "--repo", b!, "--probe", "Dockerfil"],
    { tmpDir: fx.root },
  );
  assert.equal(status.code, 1, status.stdout + status.stderr);
  assert.match(
    status.stderr,
    /^cascade: nothing matched --probe Dockerfil in any of 2 templates: nothing was checked; did you mean Dockerfile\?$/m,
  );
});

Deno.test("subprocess: dispatch --workflow publish-imag.yml matching nowhere exits 1, names the closest workflow, dispatches nothing", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.25.4",
  });
  for (const name of ["org/a", "org/b"]) {
    await fx.repo(
      name,
      template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
    );
  }
  const run = await runCascadeProcess([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--workflow",
    "publish-imag.yml",
    "--probe",
    "Dockerfile",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/a",
    "--repo",
    "org/b",
  ], { tmpDir: fx.root, env: ENV, allowNet: "127.0.0.1" });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /^cascade: nothing matched --workflow publish-imag\.yml in any of 2 templates: nothing was dispatched; did you mean publish-image\.yml\?$/m,
  );
  assert.ok(!gitea.api.requests.some((r) => r.method === "POST"));
});
