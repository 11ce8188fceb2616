import assert from "node:assert/strict";
import type { PushReport, StatusReport } from "../lib/model.ts";
import {
  Fixture,
  memorySinks,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import { main } from "../cascade.ts";
import { startGitHttpServer } from "./support/http_server.ts";

const TOKEN = "tok_5e1d0c2b9a8f7e6d";
const WIRED = {
  ".runtime-version": "0.1\n",
  Dockerfile: "COPY .runtime-version /\n",
};
const UNWIRED = { ".runtime-version": "0.1\n", Dockerfile: "FROM scratch\n" };

Deno.test("a retry after exit 3 brings every template to the version, the skipped ones included", async () => {
  await using fx = await Fixture.create();
  const local = await fx.repo("local", { ".runtime-version": "0.1\n" });
  const remote = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const first = `${fx.root}/first.json`;
  const refused = await runCascade(
    ["push", "0.2", "--repo", local, "--repo", "org/a", "--json", first],
    { CASCADE_TOKEN: "wrong-token", GITEA_URL: server.origin },
  );
  assert.equal(refused.code, 3, refused.stderr);
  const report = await readReport<PushReport>(first);
  assert.deepEqual(
    report.results.map((r) => [r.status, r.skip ?? null]),
    [["skipped", "aborted"], ["failed", null]],
  );
  assert.equal(await fx.count(local), 1, "nothing pushed");
  // The access is fixed; the cheat sheet's retry runs both.
  const retry = await runCascade(
    ["push", "0.2", "--retry-failed", first, "--json", `${fx.root}/r.json`],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
  );
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.equal(await fx.text(local, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.text(remote, "main", ".runtime-version"), "0.2\n");
  const again = await readReport<PushReport>(`${fx.root}/r.json`);
  assert.deepEqual(
    again.results.map((r) => r.repo),
    [local, "org/a"],
    "the retried templates keep the names they were given",
  );
});

Deno.test("a retry reuses the first run's probe: the unwired template gets no commit", async () => {
  await using fx = await Fixture.create();
  const wired = await fx.repo("wired", WIRED);
  const unwired = await fx.repo("unwired", UNWIRED);
  await fx.hook(wired, "pre-receive", "#!/bin/sh\necho 'locked' >&2\nexit 1\n");
  const first = `${fx.root}/first.json`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    wired,
    "--repo",
    unwired,
    "--probe",
    "Dockerfile",
    "--message",
    "pin {version}",
    "--json",
    first,
  ]);
  assert.equal(run.code, 1);
  const report = await readReport<PushReport>(first);
  assert.deepEqual(report.options?.["probe"], ["Dockerfile"]);
  assert.equal(report.options?.["message"], "pin {version}");
  assert.equal(JSON.stringify(report.options).includes("oken"), false);
  await Deno.remove(`${wired}/hooks/pre-receive`);
  const retry = await runCascade(["push", "0.2", "--retry-failed", first]);
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.match(
    retry.stderr,
    /--retry-failed .*first\.json: reusing its --probe, --message \(give a flag again to change it\)/,
  );
  assert.equal(await fx.count(unwired), 1, "the unwired template is untouched");
  assert.equal(await fx.count(wired), 2);
  assert.equal((await fx.show(wired, "main")).message, "pin 0.2\n");

  // From a status report, as the cheat sheet does: the probe carries over.
  const status = `${fx.root}/status.json`;
  const drift = await runCascade([
    "status",
    "0.3",
    "--repo",
    wired,
    "--repo",
    unwired,
    "--probe",
    "Dockerfile",
    "--json",
    status,
  ]);
  assert.equal(drift.code, 1, "the wired template drifted");
  const push = await runCascade(["push", "0.3", "--retry-failed", status]);
  assert.equal(push.code, 0, push.stdout + push.stderr);
  assert.equal(await fx.count(unwired), 1);
  assert.equal(await fx.text(wired, "main", ".runtime-version"), "0.3\n");
});

Deno.test("status --probe: an unwired template is skipped with the reason, exit 0 when every wired one is at the version", async () => {
  await using fx = await Fixture.create();
  const wired = await fx.repo("wired", {
    ...WIRED,
    ".runtime-version": "0.2\n",
  });
  const unwired = await fx.repo("unwired", UNWIRED);
  const json = `${fx.root}/s.json`;
  const run = await runCascade([
    "status",
    "0.2",
    "--repo",
    wired,
    "--repo",
    unwired,
    "--probe",
    "Dockerfile",
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const report = await readReport<StatusReport>(json);
  assert.deepEqual(
    report.results.map((r) => [r.drift, r.skipped ?? false, r.reason ?? null]),
    [[false, false, null], [
      false,
      true,
      "not wired: none of Dockerfile mentions .runtime-version",
    ]],
  );
  assert.deepEqual(report.summary, {
    current: 1,
    drifted: 0,
    errors: 0,
    skipped: 1,
  });
  assert.match(
    run.stdout,
    /^skipped\s+\S*unwired\S*\s+main\s+0\.1\s+not wired/m,
  );
  assert.match(
    run.stdout,
    /1 at the version, 0 drifted, 1 skipped, 0 unreadable/,
  );
  const noProbe = await runCascade([
    "status",
    "0.2",
    "--repo",
    wired,
    "--repo",
    unwired,
  ]);
  assert.equal(noProbe.code, 1, "without the probe the unwired one is drift");
});

Deno.test("a config file alone drives a push; flags override it; an unknown key names the closest", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", WIRED);
  const b = await fx.repo("b", UNWIRED);
  const dir = `${fx.root}/work`;
  await Deno.mkdir(`${dir}/lists`, { recursive: true });
  await Deno.writeTextFile(`${dir}/lists/templates.txt`, `${a}\n${b}\n`);
  await Deno.writeTextFile(
    `${dir}/cascade.json`,
    `{
  // the release's choices, in one place
  "reposFile": "lists/templates.txt",
  "probe": "Dockerfile",
  "message": "runtime {version}",
  "json": "report.json",
}
`,
  );
  const run = await runCascade(["push", "0.2"], {}, { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal((await fx.show(a, "main")).message, "runtime 0.2\n");
  assert.equal(await fx.count(b), 1, "probe from the config");
  const report = await readReport<PushReport>(`${dir}/report.json`);
  assert.deepEqual(report.results.map((r) => r.status), ["updated", "skipped"]);

  const flag = await runCascade(
    ["push", "0.3", "--message", "flag {version}", "--repo", a],
    {},
    { cwd: dir },
  );
  assert.equal(flag.code, 0, flag.stderr);
  assert.equal((await fx.show(a, "main")).message, "flag 0.3\n");
  assert.equal(await fx.count(b), 1, "--repo replaces the config's targets");

  await Deno.writeTextFile(`${dir}/bad.json`, `{ "basUrl": "https://x" }`);
  const bad = await runCascade(
    ["push", "0.4", "--config", "bad.json"],
    {},
    { cwd: dir },
  );
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /unknown key "basUrl" in bad\.json; did you mean "baseUrl"\?/,
  );
  await Deno.writeTextFile(`${dir}/secret.json`, `{ "token": "x" }`);
  const secret = await runCascade(
    ["push", "0.4", "--config", "secret.json"],
    {},
    {
      cwd: dir,
    },
  );
  assert.equal(secret.code, 2);
  assert.match(secret.stderr, /put the token in CASCADE_TOKEN/);
});

Deno.test("messages point at the fix: no token, unreachable server, not a git server, unknown flag", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const noToken = await runCascade(["push", "0.2", "--repo", "org/a"], {
    GITEA_URL: server.origin,
  });
  assert.equal(noToken.code, 3);
  assert.match(
    noToken.stdout,
    /org\/a: reading the branches: the server asks for credentials and none were sent: no token is set; set CASCADE_TOKEN or DISPATCH_TOKEN/,
  );

  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const refused = await runCascade([
    "push",
    "0.2",
    "--repo",
    `http://127.0.0.1:${port}/org/a.git`,
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stdout,
    new RegExp(
      `the server could not be reached \\(127\\.0\\.0\\.1:${port}: connection refused\\)`,
    ),
  );

  const web = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response("<html>hello</html>", {
        headers: { "content-type": "text/html" },
      }),
  );
  try {
    const url = `http://127.0.0.1:${web.addr.port}/org/a.git`;
    const html = await runCascade(["push", "0.2", "--repo", url]);
    assert.equal(html.code, 1);
    assert.match(
      html.stdout,
      /is not a git server \(it answered 200 text\/html\)/,
    );
    assert.doesNotMatch(html.stdout, /push a first commit/);
  } finally {
    await web.shutdown();
  }

  const typo = await runCascade(["push", "0.2", "--repo", "x/y", "--dryrun"]);
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /unknown option "--dryrun"; did you mean --dry-run\?/,
  );
  const other = await runCascade([
    "status",
    "0.2",
    "--repo",
    "x/y",
    "--dry-run",
  ]);
  assert.match(other.stderr, /--dry-run is an option of push only/);
});

Deno.test("a missing Deno permission exits 2 naming the flag, before anything runs", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1\n" });
  const tmp = await Deno.makeTempDir({ prefix: "cascade-perm-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        "--allow-run=git",
        "--allow-read",
        "--allow-write",
        new URL("../cascade.ts", import.meta.url).pathname,
        "push",
        "0.2",
        "--repo",
        repo,
      ],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: tmp,
        TMPDIR: tmp,
        NO_COLOR: "1",
      },
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 2, stderr);
    assert.match(
      stderr,
      /cascade needs --allow-env: add it to the deno run command/,
    );
    assert.equal(await fx.count(repo), 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a report file that cannot be written: one line, exit 1, the push stands and the other reports are written", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1\n" });
  // A path in a directory that does not exist: a directory itself is now
  // refused before the run (see trust_files_test.ts).
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.2", "--repo", repo, "--json", json],
    {
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: `${fx.root}/outdir/out.txt`,
      GITHUB_STEP_SUMMARY: `${fx.root}/summary.md`,
    },
  );
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    new RegExp(
      `cannot write ${fx.root}/outdir/out.txt: .*; the run's results stand`,
    ),
  );
  assert.equal(
    run.stderr.split("\n").filter((l) => l.includes("cannot write")).length,
    1,
  );
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.equal(
    (await readReport<PushReport>(json)).results[0]?.status,
    "updated",
  );
  assert.match(await Deno.readTextFile(`${fx.root}/summary.md`), /updated/);
});

Deno.test("a symlink planted at the report path is replaced, not followed", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1\n" });
  const victim = `${fx.root}/victim.txt`;
  await Deno.writeTextFile(victim, "keep me\n");
  await Deno.symlink(victim, `${fx.root}/r.json`);
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    repo,
    "--json",
    `${fx.root}/r.json`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await Deno.readTextFile(victim), "keep me\n");
  assert.equal((await Deno.lstat(`${fx.root}/r.json`)).isSymlink, false);
  assert.equal(
    (await readReport<PushReport>(`${fx.root}/r.json`)).version,
    "0.2",
  );
});

Deno.test("dry-run log blocks say would update; the summary marks a downgrade; a v prefix against plain versions warns", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.3\n" });
  const sinks = memorySinks();
  const code = await main(["push", "0.2", "--repo", repo, "--dry-run"], {
    sinks,
    env: () => undefined,
    handleSignals: false,
  });
  assert.equal(code, 0);
  assert.match(sinks.err.join(""), /\[.*t\.git \(would update\)\]/);
  const summary = `${fx.root}/summary.md`;
  const down = await runCascade([
    "push",
    "0.2",
    "--repo",
    repo,
    "--summary",
    summary,
  ]);
  assert.equal(down.code, 0);
  assert.match(
    await Deno.readTextFile(summary),
    /\| 0\.3 → 0\.2 \(downgrade\) \| updated \|/,
  );

  const plain = await fx.repo("p", { ".runtime-version": "0.1.7\n" });
  const v = await runCascade(["push", "v0.1.8", "--repo", plain]);
  assert.equal(v.code, 0);
  assert.match(
    v.stderr,
    /warning: the version v0\.1\.8 starts with "v" but every template held one without it \(0\.1\.7, …\); it was written as given/,
  );
  assert.equal(await fx.text(plain, "main", ".runtime-version"), "v0.1.8\n");
});

Deno.test("each command's --help shows its own exit codes", async () => {
  const push = await runCascade(["push", "--help"]);
  const status = await runCascade(["status", "--help"]);
  assert.match(push.stdout, /1 a template failed or was interrupted/);
  assert.doesNotMatch(push.stdout, /drifted/);
  assert.match(status.stdout, /1 a template drifted or could not be read/);
  assert.doesNotMatch(status.stdout, /superseded/);
});

Deno.test("subprocess: --config alone drives a push, as users run cascade", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1\n" });
  const tmp = await Deno.makeTempDir({ prefix: "cascade-sub-" });
  try {
    await Deno.writeTextFile(
      `${fx.root}/cascade.json`,
      JSON.stringify({ repos: [repo] }),
    );
    const run = await runCascadeProcess([
      "push",
      "0.2",
      "--config",
      `${fx.root}/cascade.json`,
    ], {
      tmpDir: tmp,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
