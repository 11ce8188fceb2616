import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { Fixture, readReport, runCascadeProcess } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import { args, BUILD, ENV, setup } from "./support/wait_fixtures.ts";

Deno.test("subprocess: a repos file takes an inline # comment; a bad line is named file:line", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const ok = await fx.write("ok.txt", `# templates\n${a}   # the first one\n`);
  const run = await runCascadeProcess(
    ["push", "0.2", "--repos-file", ok],
    { tmpDir: fx.root, env: {} },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.2\n");

  const file = await fx.write("bad.txt", `${a}\n\norg/b # needs a server\n`);
  const bad = await runCascadeProcess(
    ["push", "0.3", "--repos-file", file],
    { tmpDir: fx.root },
  );
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr.split("\n")[0],
    `cascade: ${file}:3: target org/b needs a server: pass --base-url or set GITEA_URL`,
  );
  assert.equal(await fx.count(a), 2, "nothing pushed");
});

Deno.test("subprocess: the usage line takes targets as --repo; a positional target is refused naming --repo", async () => {
  await using fx = await Fixture.create();
  const help = await runCascadeProcess(["push", "--help"], {
    tmpDir: fx.root,
  });
  assert.match(
    help.stdout,
    /^Usage: cascade push <version> \[--repo <x>\]\.\.\. \[options\]$/m,
  );
  assert.ok(!help.stdout.includes("[targets]"));
  assert.match(
    help.stdout,
    /append the Markdown report here \(with GITHUB_ACTIONS=true, also to \$GITHUB_STEP_SUMMARY\)/,
  );
  const positional = await runCascadeProcess(["push", "0.2", "org/b"], {
    tmpDir: fx.root,
  });
  assert.equal(positional.code, 2);
  assert.match(
    positional.stderr,
    /^cascade: push: one version only; pass each target with --repo \(e\.g\. --repo "org\/b"\) or list them with --repos-file$/m,
  );
  const wait = await runCascadeProcess(["targets", "--wait"], {
    tmpDir: fx.root,
  });
  assert.equal(wait.code, 2);
  assert.match(
    wait.stderr,
    /^cascade: targets: --wait is an option of push only; targets does not take it$/m,
  );
});

Deno.test("subprocess: no targets in a directory without cascade.json says so", async () => {
  await using fx = await Fixture.create();
  const dir = `${fx.root}/sub`;
  await Deno.mkdir(dir);
  const out = await runCascadeProcess(["push", "0.2"], {
    tmpDir: fx.root,
    cwd: dir,
  });
  assert.equal(out.code, 2);
  assert.equal(
    out.stderr.split("\n")[0],
    `cascade: no targets: pass --repo, --repos-file, --org or --retry-failed (no cascade.json found in ${dir}; run where it is, or pass --config)`,
  );
});

Deno.test("subprocess: templates a red canary stopped show their version as not read, not (none)", async () => {
  await using fx = await Fixture.create();
  const { gitea } = await setup(fx, ["a", "b"], { contexts: [BUILD] });
  await using _ = gitea;
  await gitea.api.configureCi("org/a", {
    contexts: [BUILD],
    outcome: "failure",
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascadeProcess(
    args(gitea, ["a", "b"], ["--wait", "--canary", "1", "--json", json]),
    { tmpDir: fx.root, env: ENV, allowNet: "127.0.0.1" },
  );
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[1]?.skip, "aborted");
  assert.match(
    run.stdout,
    /^skipped +org\/b +main +\(not read\) +not attempted: /m,
  );
});

Deno.test("subprocess: a token refused by every template gets one headline", async () => {
  await using fx = await Fixture.create();
  const names = ["org/a", "org/b", "org/c"];
  for (const n of names) await fx.repo(n, { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: "the-right-one",
  });
  const run = await runCascadeProcess(
    [
      "push",
      "0.2",
      "--base-url",
      server.origin,
      ...names.flatMap((n) => ["--repo", n]),
    ],
    { tmpDir: fx.root, env: { CASCADE_TOKEN: "a-wrong-one" } },
  );
  assert.equal(run.code, 3);
  const headlines = run.stderr.split("\n").filter((l) =>
    l.startsWith("cascade: ")
  );
  assert.deepEqual(headlines, [
    "cascade: the server refused the credentials for all 3 templates: check that the token in CASCADE_TOKEN (or --token-env) is valid and may write to these repos",
  ]);
});
