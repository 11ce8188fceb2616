import assert from "node:assert/strict";
import type { PushReport, StatusReport } from "../lib/model.ts";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import { args, BUILD, ENV, FAST, setup } from "./support/wait_fixtures.ts";

Deno.test("subprocess: push --wait --api-url without /api/v1: the 404 is a CI error naming --api-url, no // in the path, no wait", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  const json = `${fx.root}/r.json`;
  const run = await runCascadeProcess([
    "push",
    "0.2",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/a",
    "--wait",
    "--api-url",
    gitea.origin,
    "--json",
    json,
  ], { tmpDir: fx.root, env: ENV, allowNet: "127.0.0.1" });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  const result = report.results[0];
  assert.equal(result?.status, "updated");
  assert.equal(result?.ci?.state, "error");
  const note = result?.ci?.note ?? "";
  assert.match(
    note,
    /^org\/a: the forge API refused to read the CI \(GET \/repos\/org\/a\/commits\/[0-9a-f]{40}\/status on 127\.0\.0\.1:\d+ answered 404/,
  );
  assert.ok(
    note.includes(
      `check --api-url (${gitea.origin}): it should be the API's root, e.g. https://git.example.com/api/v1`,
    ),
    note,
  );
  assert.ok(!note.includes("--base-url"), note);
  assert.ok(!run.stdout.includes("//repos"), run.stdout);
  assert.match(run.stdout, /ci error/);
  assert.equal(gitea.api.requests.length, 0, "nothing reached /api/v1");
});

Deno.test("subprocess: status --ci --ci-context matching nothing names the pattern and the contexts seen", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  // The push whose CI status reads (in-process; status is what is run as
  // users run it).
  const push = await runCascade(
    ["push", "0.2", "--base-url", gitea.origin, "--repo", "org/a", "--wait"],
    ENV,
  );
  assert.equal(push.code, 0, push.stdout + push.stderr);
  const json = `${fx.root}/s.json`;
  const run = await runCascadeProcess([
    "status",
    "0.2",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/a",
    "--ci",
    "--ci-context",
    "lint*",
    "--json",
    json,
  ], { tmpDir: fx.root, env: ENV, allowNet: "127.0.0.1" });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<StatusReport>(json);
  assert.equal(report.results[0]?.ci?.state, "none");
  assert.equal(
    report.results[0]?.ci?.note,
    `no context matches --ci-context 'lint*'; contexts seen: ${BUILD}`,
  );
  assert.ok(run.stdout.includes("'lint*'"), run.stdout);
});

Deno.test("push --wait: a 404 from the API at --base-url is a CI error whose advice names --base-url, asked once", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a"], { contexts: [BUILD] });
  await using _ = gitea;
  gitea.api.inject(
    50,
    () =>
      new Response(JSON.stringify({ message: "not found" }), {
        status: 404,
        headers: { "Content-Type": "application/json" },
      }),
  );
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json]),
    ENV,
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.state, "error");
  assert.ok(
    ci?.note?.endsWith(
      `answered 404: "not found"; check --base-url (the API is read at its /api/v1) and the repo name, and that the token may read the repo)`,
    ),
    ci?.note,
  );
  assert.equal(gitea.api.requests.length, 1, "a refusal is not asked again");
});
