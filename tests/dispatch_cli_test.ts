import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";
import {
  dispatches,
  ENV,
  type Json,
  posts,
  template,
  TOKEN,
  WORKFLOW,
} from "./support/dispatch.ts";

Deno.test("dispatch without --allow-net exits 2 naming the flag, before any request", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  await fx.repo(
    "org/app",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  const run = await runCascadeProcess([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/app",
  ], { tmpDir: fx.root, env: ENV });
  assert.equal(run.code, 2, run.stderr);
  const host = new URL(gitea.origin).host;
  assert.equal(
    run.stderr,
    `cascade: --trigger dispatch calls the API of ${host}: cascade needs --allow-net (or --allow-net=${host}): add it to the deno run command\nRun cascade --help for usage.\n`,
  );
  assert.deepEqual(gitea.api.requests, []);
  assert.equal(gitea.git.requests.length, 0);
});

Deno.test("dispatch without a token for the server exits 2 before any request", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    version: "1.24.0",
  });
  await fx.repo(
    "org/app",
    template({ ".gitea/workflows/publish-image.yml": WORKFLOW }),
  );
  const run = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/app",
  ]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /^cascade: org\/app: --trigger dispatch needs a token that may run the templates' workflows: set CASCADE_TOKEN/,
  );
  // A token that is not for the target's server is not sent to its API.
  const other = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--base-url",
    "http://127.0.0.1:9",
    "--repo",
    `${gitea.origin}/org/app.git`,
  ], ENV);
  assert.equal(other.code, 2, other.stderr);
  assert.match(
    other.stderr,
    /needs the token at http:\/\/127\.0\.0\.1:\d+, and it goes only to the --base-url server and --token-origin; if the token is for that server, pass --token-origin http:\/\/127\.0\.0\.1:\d+\n/,
  );
  assert.deepEqual(gitea.api.requests, []);
  assert.equal(gitea.git.requests.length, 0);
});

Deno.test("dispatch flags: refused where they do nothing; status says it reads the file", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["status", "0.1.8", "--repo", "a/b", "--trigger", "dispatch"],
      /--trigger is an option of push only; status does not take it \(status reads the version file, whatever the trigger\)/,
    ],
    [
      ["push", "0.1.8", "--repo", "a/b", "--workflow", "x.yml"],
      /--workflow applies with --trigger dispatch only/,
    ],
    [
      [
        "push",
        "0.1.8",
        "--repo",
        "a/b",
        "--trigger",
        "dispatch",
        "--message",
        "x",
      ],
      /--message does nothing with --trigger dispatch \(nothing is committed\)/,
    ],
    [
      ["push", "0.1.8", "--repo", "a/b", "--trigger", "pull"],
      /--trigger must be push or dispatch/,
    ],
    [
      [
        "push",
        "0.1.8",
        "--repo",
        "a/b",
        "--trigger",
        "dispatch",
        "--workflow",
        "../x.yml",
      ],
      /--workflow "..\/x.yml" must be a workflow's file name/,
    ],
    [
      [
        "push",
        "0.1.8",
        "--repo",
        "a/b",
        "--trigger",
        "dispatch",
        "--input",
        "a=1",
        "--input",
        "a=2",
      ],
      /--input a is given twice/,
    ],
    [
      ["push", "0.1.8", "--repo", "/tmp/x", "--trigger", "dispatch"],
      /\/tmp\/x: --trigger dispatch calls the server's API, so it needs an https:\/\/ .* not file/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const run = await runCascade(args);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, pattern, args.join(" "));
  }
});

Deno.test("status with trigger dispatch from a config file notes that it reads the file", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/app", template({}));
  const config = await fx.write(
    "cascade.json",
    '{ "trigger": "dispatch", "workflow": "x.yml" }',
  );
  const run = await runCascade([
    "status",
    "0.1.7",
    "--config",
    config,
    "--repo",
    `${fx.root}/srv/org/app.git`,
  ]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.equal(
    run.stderr,
    `cascade: note: ${config} sets trigger dispatch; status reads the version file, whatever the trigger\n`,
  );
  assert.match(run.stdout, /^ok\s+.*org\/app\.git\s+main\s+0\.1\.7$/m);
});

Deno.test("dispatch --retry-failed dispatches only the failed templates again, reusing the trigger", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.24.0",
  });
  const wired = template({ ".gitea/workflows/publish-image.yml": WORKFLOW });
  await fx.repo("org/ok", wired);
  await fx.repo("org/denied", wired);
  gitea.api.refuseDispatch("org/denied", 403, "forbidden");
  const report = `${fx.root}/report.json`;
  const first = await runCascade([
    "push",
    "0.1.8",
    "--trigger",
    "dispatch",
    "--input",
    "runtime_version=v{version}",
    "--base-url",
    gitea.origin,
    "--repo",
    "org/ok",
    "--repo",
    "org/denied",
    "--json",
    report,
  ], ENV);
  assert.equal(first.code, 1, first.stderr + first.stdout);
  const options = (await readReport<Json>(report))["options"] as Json;
  assert.equal(options["trigger"], "dispatch");
  assert.deepEqual(options["input"], ["runtime_version=v{version}"]);
  const before = posts(gitea.api.requests).length;
  // The token's server is named again: a report never routes the token.
  const retry = await runCascade([
    "push",
    "0.1.8",
    "--retry-failed",
    report,
    "--base-url",
    gitea.origin,
  ], ENV);
  assert.equal(retry.code, 1, retry.stderr + retry.stdout);
  assert.match(retry.stderr, /reusing its .*--trigger/);
  assert.equal(posts(gitea.api.requests).length, before + 1);
  const last = posts(gitea.api.requests).at(-1);
  assert.equal(
    last?.path,
    "/api/v1/repos/org/denied/actions/workflows/publish-image.yml/dispatches",
  );
  assert.deepEqual(JSON.parse(last?.body ?? "null"), {
    ref: "main",
    inputs: { runtime_version: "v0.1.8" },
  });
  assert.equal(gitea.api.tasks("org/ok").length, 1, "not dispatched twice");
});

Deno.test("dispatch from a config file: trigger, workflow and input are config keys", async () => {
  await using fx = await Fixture.create();
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
    version: "1.25.4",
  });
  const app = await fx.repo(
    "org/app",
    template({ ".github/workflows/build.yml": WORKFLOW }),
  );
  const config = await fx.write(
    "cascade.json",
    JSON.stringify({
      baseUrl: gitea.origin,
      repos: ["org/app"],
      trigger: "dispatch",
      workflow: "build.yml",
      input: ["runtime_version={version}", "reason=release {version}"],
    }),
  );
  const run = await runCascade(["push", "3.1.4", "--config", config], ENV);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.deepEqual(dispatches(gitea.api.requests), [[
    "/api/v1/repos/org/app/actions/workflows/build.yml/dispatches",
    {
      ref: "main",
      inputs: { runtime_version: "3.1.4", reason: "release 3.1.4" },
    },
  ]]);
  assert.equal(await fx.count(app), 1, "nothing committed");
});
