import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import type { PushReport, StatusReport } from "../lib/model.ts";
import { basicCredentials } from "../lib/console/redact.ts";

const TOKEN = "tok_9f3a1c77e2b04d5e8a6b";

/** Every form of the token that must never show up. */
function secretForms(user = "cascade"): string[] {
  return [TOKEN, btoa(TOKEN), basicCredentials(user, TOKEN)];
}

function assertNoSecret(text: string, where: string, user?: string): void {
  for (const form of secretForms(user)) {
    assert.ok(!text.includes(form), `${where} leaks a form of the token`);
  }
}

/** Every file under `dir`, recursively. */
async function* filesUnder(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* filesUnder(path);
    else if (entry.isFile) yield path;
  }
}

Deno.test("http: the right token lands every template and appears nowhere", async () => {
  await using fx = await Fixture.create();
  const repos = await Promise.all(
    ["a", "b", "c"].map((n) =>
      fx.repo(`org/${n}`, { ".runtime-version": "0.1\n" })
    ),
  );
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const json = `${fx.root}/report.json`;
  const run = await runCascade(
    [
      "push",
      "0.2",
      "--repo",
      "org/a",
      "--repo",
      "org/b",
      "--repo",
      "org/c",
      "--json",
      json,
      "--summary",
      `${fx.root}/s.md`,
    ],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
  );
  assert.equal(run.code, 0, run.stdout);
  for (const repo of repos) {
    assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
    assert.equal(await fx.count(repo), 2);
  }
  const report = await readReport<PushReport>(json);
  assert.deepEqual(
    report.results.map((r) => r.url),
    ["a", "b", "c"].map((n) => `${server.origin}/org/${n}.git`),
  );
  assert.ok(server.requests.length > 0);
  assert.ok(
    server.requests.every((r) =>
      r.authorization === `Basic ${basicCredentials("cascade", TOKEN)}`
    ),
    "every request carries the token, as Basic cascade:token",
  );
  assertNoSecret(run.stdout + run.stderr, "output");
  for await (const file of filesUnder(fx.root)) {
    assertNoSecret(await Deno.readTextFile(file).catch(() => ""), file);
  }
});

Deno.test("http: no git argv, output, report or file on disk ever holds the token (subprocess, git shim)", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await fx.repo("org/b", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  // A git shim first on PATH records every argv, then runs the real git.
  const argvLog = `${fx.root}/argv.log`;
  const path = await fx.gitShim(`printf '%s\\n' "$*" >> "${argvLog}"`);
  const tmp = `${fx.root}/tmp`;
  await Deno.mkdir(tmp);
  const json = `${fx.root}/report.json`;
  const args = [
    "push",
    "0.2",
    "--repo",
    "org/a",
    "--repo",
    "org/b",
    "--json",
    json,
  ];
  const env = {
    CASCADE_TOKEN: TOKEN,
    GITEA_URL: server.origin,
    GITHUB_ACTIONS: "true",
    GITHUB_STEP_SUMMARY: `${fx.root}/summary.md`,
    GITHUB_OUTPUT: `${fx.root}/out.txt`,
  };
  const ok = await runCascadeProcess(args, { env, tmpDir: tmp, path });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  // A wrong token and a failing run too: error paths must not echo it.
  const bad = await runCascadeProcess(["push", "0.3", "--repo", "org/a"], {
    env: { ...env, CASCADE_TOKEN: `${TOKEN}x` },
    tmpDir: tmp,
    path,
  });
  assert.equal(bad.code, 3);
  const argv = await Deno.readTextFile(argvLog);
  assert.match(
    argv,
    /^-c protocol\.version=0 ls-remote --symref http:\/\/127\.0\.0\.1:\d+\/org\/a\.git HEAD$/m,
    "the shim saw cascade's git calls",
  );
  assert.match(argv, /^push --porcelain --no-thin --no-verify /m);
  assertNoSecret(argv, "git argv");
  assert.ok(!argv.includes(`${TOKEN}x`));
  // With --allow-net the refs are read in-process: no ls-remote at all.
  const gitRuns = argv.length;
  const direct = await runCascadeProcess(["push", "0.4", ...args.slice(2)], {
    env,
    tmpDir: tmp,
    path,
    allowNet: "127.0.0.1",
  });
  assert.equal(direct.code, 0, direct.stdout + direct.stderr);
  const directArgv = (await Deno.readTextFile(argvLog)).slice(gitRuns);
  // ... and fetched, read, committed and pushed in-process too: no git.
  assert.equal(directArgv, "", "no git run at all");
  assertNoSecret(directArgv, "git argv");
  for (const run of [ok, bad, direct]) {
    assertNoSecret(run.stdout + run.stderr, "subprocess output");
    assert.ok(!(run.stdout + run.stderr).includes(`${TOKEN}x`));
  }
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "temp dirs removed");
  for await (const file of filesUnder(fx.root)) {
    const text = await Deno.readTextFile(file).catch(() => "");
    assertNoSecret(text, file);
  }
});

Deno.test("http: a wrong token exits 3 and nothing is pushed anywhere", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const local = await fx.repo("local", { ".runtime-version": "0.1\n" });
  const tips = [await fx.tip(a), await fx.tip(local)];
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    local,
    "--repo",
    "org/a",
    "--json",
    json,
  ], {
    CASCADE_TOKEN: "not-the-token",
    GITEA_URL: server.origin,
  });
  assert.equal(run.code, 3);
  assert.deepEqual(
    [await fx.tip(a), await fx.tip(local)],
    tips,
    "nothing pushed, not even the local repo",
  );
  const report = await readReport<PushReport>(json);
  assert.deepEqual(
    report.results.map((r) => [r.status, r.error?.kind ?? null]),
    [["skipped", null], ["failed", "auth"]],
  );
  assert.match(
    report.results[1]?.error?.message ?? "",
    /org\/a: reading the branches: the server refused the credentials; check that the token in CASCADE_TOKEN/,
  );
  assert.ok(!server.requests.some((r) => r.path.endsWith("git-receive-pack")));
});

Deno.test("http: no token against a server that wants one is auth, without hanging", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const t0 = performance.now();
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    `${server.origin}/org/a.git`,
    "--timeout",
    "20",
    "--json",
    json,
  ]);
  assert.equal(run.code, 3);
  // A prompt or a hang would never end; generous, for a loaded machine.
  assert.ok(performance.now() - t0 < 60_000, "no prompt, no hang");
  assert.equal(
    (await readReport<PushReport>(json)).results[0]?.error?.kind,
    "auth",
  );
  const status = await runCascade([
    "status",
    "0.2",
    "--repo",
    `${server.origin}/org/a.git`,
  ]);
  assert.equal(status.code, 3);
});

Deno.test("http: not_found, timeout and network each fail alone while the others land", async () => {
  await using fx = await Fixture.create();
  const good = await fx.repo("org/good", { ".runtime-version": "0.1\n" });
  await fx.repo("org/hung", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  server.hang("/org/hung.git");
  // A port nobody listens on: bind, note the port, close.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const json = `${fx.root}/r.json`;
  const t0 = performance.now();
  const tmp = `${fx.root}/tmp`;
  await Deno.mkdir(tmp);
  // A subprocess with its own TMPDIR: no debris even on timeouts.
  const run = await runCascadeProcess([
    "push",
    "0.2",
    "--repo",
    "org/missing",
    "--repo",
    "org/hung",
    "--repo",
    `http://127.0.0.1:${deadPort}/org/x.git`,
    "--repo",
    "org/good",
    "--timeout",
    "2",
    "--json",
    json,
  ], { env: { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin }, tmpDir: tmp });
  const elapsed = performance.now() - t0;
  assert.equal(run.code, 1, run.stdout);
  // Without --timeout the hung server would hold the run for ever;
  // generous, for a loaded machine.
  assert.ok(
    elapsed < 60_000,
    `the hung server cost about --timeout (${Math.round(elapsed)} ms)`,
  );
  const report = await readReport<PushReport>(json);
  assert.deepEqual(
    report.results.map((r) => [r.status, r.error?.kind ?? null]),
    [
      ["failed", "not_found"],
      ["failed", "timeout"],
      ["failed", "network"],
      ["updated", null],
    ],
  );
  assert.match(
    report.results[1]?.error?.message ?? "",
    /org\/hung: reading the branches: timed out; .*raise --timeout/,
  );
  assert.equal(await fx.text(good, "main", ".runtime-version"), "0.2\n");
  assertNoSecret(run.stdout + run.stderr, "output");
  assert.deepEqual(
    [...Deno.readDirSync(tmp)],
    [],
    "temp dirs removed after a timeout",
  );
});

Deno.test("http: credentials embedded in a URL are used, moved out of it, and never printed", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const port = new URL(server.origin).port;
  const json = `${fx.root}/r.json`;
  const withCreds = `http://deploy:${TOKEN}@127.0.0.1:${port}/org/a.git`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    withCreds,
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stdout);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  const text = await Deno.readTextFile(json);
  assertNoSecret(text + run.stdout + run.stderr, "report/output", "deploy");
  assert.equal(
    (JSON.parse(text) as PushReport).results[0]?.url,
    `http://127.0.0.1:${port}/org/a.git`,
  );
  assert.ok(
    server.requests.every((r) =>
      r.authorization === `Basic ${basicCredentials("deploy", TOKEN)}`
    ),
  );

  // A failing URL with embedded credentials: the error never shows them.
  const fail = await runCascade([
    "push",
    "0.2",
    "--repo",
    `http://deploy:${TOKEN}@127.0.0.1:${port}/org/none.git`,
  ]);
  assert.equal(fail.code, 1);
  assertNoSecret(fail.stdout + fail.stderr, "error output", "deploy");
});

Deno.test("http: the token over plain http to a non-loopback host is refused unless allowed", async () => {
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    "http://git.example.com/org/a.git",
  ], { CASCADE_TOKEN: TOKEN });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /refusing to send the token over plain http to git\.example\.com; use https, or pass --allow-insecure-http/,
  );
  assertNoSecret(run.stderr, "refusal");
  const embedded = await runCascade([
    "push",
    "0.2",
    "--repo",
    `http://u:${TOKEN}@git.example.com/org/a.git`,
  ]);
  assert.equal(embedded.code, 2);
  assertNoSecret(embedded.stderr, "refusal");
});

Deno.test("http: DISPATCH_TOKEN fallback, --token-env and --auth-user", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const fallback = await runCascade(["status", "0.1", "--repo", "org/a"], {
    DISPATCH_TOKEN: TOKEN,
    GITEA_URL: server.origin,
  });
  assert.equal(fallback.code, 0, fallback.stdout);
  const named = await runCascade(
    [
      "status",
      "0.1",
      "--repo",
      "org/a",
      "--token-env",
      "GITEA_BOT",
      "--auth-user",
      "release-bot",
    ],
    { GITEA_BOT: TOKEN, CASCADE_TOKEN: "wrong", GITEA_URL: server.origin },
  );
  assert.equal(named.code, 0, named.stdout);
  assert.equal(
    server.requests.at(-1)?.authorization,
    `Basic ${basicCredentials("release-bot", TOKEN)}`,
  );
});

Deno.test("http: an update costs four requests and a no-op two, refs read, file fetched and pushed without git", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const calls: string[] = [];
  const run = (version: string) =>
    runCascade(["push", version, "--repo", "org/a"], {
      CASCADE_TOKEN: TOKEN,
      GITEA_URL: server.origin,
    }, {
      wrapGit: (git) => (args, options) => {
        calls.push(args.find((a) => !a.startsWith("-")) ?? "");
        return git(args, options);
      },
    });
  const requests = () =>
    server.requests.splice(0).map((r) => `${r.method} ${r.path}`);
  // One v2 ls-refs request for HEAD and the branch.
  const lsRefs = "POST /org/a.git/git-upload-pack";
  assert.equal((await run("0.2")).code, 0);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.deepEqual(requests(), [
    lsRefs, // preflight
    // The file: one v2 fetch of the tip, by id; no capability GET first.
    "POST /org/a.git/git-upload-pack",
    // The push: no GET of receive-pack's refs (every ref of the repo) first.
    "POST /org/a.git/git-receive-pack",
    lsRefs, // verification
  ]);
  // Not one git process: the fetched pack is read in-process.
  assert.deepEqual(calls.splice(0), []);
  assert.equal((await run("0.2")).code, 0);
  assert.equal(await fx.count(repo), 2, "no commit on the re-run");
  assert.deepEqual(requests(), [
    lsRefs,
    "POST /org/a.git/git-upload-pack",
  ]);
  assert.deepEqual(calls, []);
});

Deno.test("http: a server without filter support still gets a correct cascade", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", {
    ".runtime-version": "0.1\n",
    "big.bin": new Uint8Array(64 * 1024).fill(7),
  });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
    filters: false,
  });
  const before = await fx.tip(repo);
  const run = await runCascade(["push", "0.2", "--repo", "org/a"], {
    CASCADE_TOKEN: TOKEN,
    GITEA_URL: server.origin,
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const tip = await fx.tip(repo);
  assert.deepEqual((await fx.show(repo, tip!)).parents, [before]);
  assert.deepEqual(await fx.changed(repo, tip!), [".runtime-version"]);
  assert.equal(await fx.text(repo, tip!, ".runtime-version"), "0.2\n");
  assert.equal((await fx.file(repo, tip!, "big.bin"))?.length, 64 * 1024);
  const status = await runCascade([
    "status",
    "0.2",
    "--repo",
    "org/a",
    "--json",
    `${fx.root}/s.json`,
  ], {
    CASCADE_TOKEN: TOKEN,
    GITEA_URL: server.origin,
  });
  assert.equal(status.code, 0);
  assert.equal(
    (await readReport<StatusReport>(`${fx.root}/s.json`)).results[0]?.current,
    "0.2",
  );
});

Deno.test("http: a parallel run gives the same results and ordered report as --concurrency 1", async () => {
  await using fx = await Fixture.create();
  const names = ["t0", "t1", "t2", "t3", "t4", "t5"];
  const files = (i: number) => ({
    ".runtime-version": i % 3 === 0 ? "0.2\n" : "0.1\n",
    "pad.txt": "x".repeat(i * 5000),
  });
  for (const [i, n] of names.entries()) await fx.repo(`seq/${n}`, files(i));
  for (const [i, n] of names.entries()) await fx.repo(`par/${n}`, files(i));
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
    delayMs: 15,
  });
  const normalise = (report: PushReport, dir: string) =>
    JSON.parse(JSON.stringify(report.results).replaceAll(`${dir}/`, "")).map((
      r: PushReport["results"][number],
    ) => ({
      ...r,
      url: "",
      commit: r.commit ? "sha" : null,
      durationMs: 0,
    }));
  const reports: PushReport[] = [];
  const texts: string[] = [];
  const finished: string[][] = [];
  for (const [dir, concurrency] of [["seq", "1"], ["par", "6"]]) {
    const json = `${fx.root}/${dir}.json`;
    const run = await runCascade(
      [
        "push",
        "0.2",
        ...names.flatMap((n) => ["--repo", `${dir}/${n}`]),
        "--repo",
        `${dir}/missing`,
        "--concurrency",
        concurrency!,
        "--json",
        json,
      ],
      { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
      {
        // The first templates are slow, so a parallel run finishes out of order.
        wrapGit: (git) => async (args, options) => {
          if (args.some((a) => /\/t[01]\.git$/.test(a))) {
            await new Promise((r) => setTimeout(r, 150));
          }
          return git(args, options);
        },
      },
    );
    finished.push(
      [...run.stderr.matchAll(/^\[\w+\/(t\d|missing)/gm)].map((m) => m[1]!),
    );
    assert.equal(run.code, 1);
    reports.push(await readReport<PushReport>(json));
    texts.push(
      run.stdout.replace(/[0-9a-f]{10}/g, "SHA").replace(
        /\((\d+) templates, [\d.]+ s\)/,
        "($1)",
      ).replaceAll(`${dir}/`, ""),
    );
  }
  assert.deepEqual(
    normalise(reports[1]!, "par"),
    normalise(reports[0]!, "seq"),
  );
  assert.equal(texts[1], texts[0]);
  assert.equal(
    finished[0]?.join(),
    "t0,t1,t2,t3,t4,t5,missing",
    "sequential finishes in order",
  );
  assert.notEqual(
    finished[1]?.join(),
    finished[0]?.join(),
    "parallel finishes out of order",
  );
  assert.deepEqual(reports[0]!.summary, {
    updated: 4,
    unchanged: 2,
    skipped: 0,
    failed: 1,
    superseded: 0,
    interrupted: 0,
    dispatched: 0,
    proposed: 0,
    merged: 0,
  });
});

Deno.test("http: a probe file the filter left out is read by git: the fetched pack is handed over, the file fetched lazily, the push lands", async () => {
  await using fx = await Fixture.create();
  // Over the 16 KiB blob filter: not in the fetched pack.
  const dockerfile = `COPY .runtime-version /\n${"# filler\n".repeat(3000)}`;
  const repo = await fx.repo("org/a", {
    ".runtime-version": "0.1\n",
    "Dockerfile": dockerfile,
  });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const calls: string[] = [];
  const run = await runCascade(
    ["push", "0.2", "--repo", "org/a", "--probe", "Dockerfile"],
    { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin },
    {
      wrapGit: (git) => (args, options) => {
        calls.push(args.find((a) => !a.startsWith("-")) ?? "");
        return git(args, options);
      },
    },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  assert.equal(await fx.text(repo, "main", "Dockerfile"), dockerfile);
  assert.equal(await fx.count(repo), 2);
  // The in-process read could not answer: git got the pack, then read
  // (cat-file fetching the big file from the promisor remote itself).
  // The commit and the push stay in-process.
  assert.deepEqual(calls, ["index-pack", "cat-file"]);
  const fetches = server.requests.filter((r) =>
    r.method === "POST" && r.path === "/org/a.git/git-upload-pack"
  );
  assert.equal(fetches.length, 4, "refs, tip, the big file, verification");
});
