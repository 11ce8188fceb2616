import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import type { GitRunner } from "../lib/git/runner.ts";

const DOCKERFILE = "FROM python:3.12\nCOPY .runtime-version /tmp/\n";

Deno.test("push updates templates on their own default branches with one-file commits", async () => {
  await using fx = await Fixture.create();
  const main = await fx.repo("main-tpl", {
    ".runtime-version": "0.1.6\n",
    "README.md": "hi\n",
  }, "main");
  const trunk = await fx.repo("trunk-tpl", { Dockerfile: DOCKERFILE }, "trunk");
  const master = await fx.repo("master-tpl", {
    ".runtime-version": "0.1.5",
    "a/b.txt": "x",
  }, "master");
  const before = {
    main: await fx.tip(main, "main"),
    trunk: await fx.tip(trunk, "trunk"),
    master: await fx.tip(master, "master"),
  };
  const json = `${fx.root}/report.json`;
  const run = await runCascade([
    "push",
    "0.1.7",
    "--repo",
    main,
    "--repo",
    trunk,
    "--repo",
    master,
    "--author",
    "Release Bot <release@example.com>",
    "--co-author",
    "Ada <ada@example.com>",
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stderr);

  for (
    const [path, branch] of [[main, "main"], [trunk, "trunk"], [
      master,
      "master",
    ]] as const
  ) {
    assert.deepEqual(
      await fx.branches(path),
      [branch],
      "no other branch is created",
    );
    const tip = await fx.tip(path, branch);
    assert.ok(tip);
    assert.equal(await fx.text(path, tip, ".runtime-version"), "0.1.7\n");
    const info = await fx.show(path, tip);
    assert.deepEqual(info.parents, [before[branch as keyof typeof before]]);
    assert.equal(info.author, "Release Bot <release@example.com>");
    assert.equal(info.committer, "Release Bot <release@example.com>");
    assert.equal(
      info.message,
      "chore: pin runtime to 0.1.7 (publish-runtime cascade)\n\nCo-Authored-By: Ada <ada@example.com>\n",
    );
    assert.deepEqual(await fx.changed(path, tip), [".runtime-version"]);
    assert.equal(await fx.count(path, branch), 2);
  }
  // Other files are untouched.
  const masterTip = await fx.tip(master, "master");
  assert.equal(await fx.text(master, masterTip!, "a/b.txt"), "x");

  const report = await readReport<PushReport>(json);
  assert.equal(report.version, "0.1.7");
  assert.equal(report.file, ".runtime-version");
  assert.equal(report.dryRun, false);
  assert.deepEqual(report.summary, {
    updated: 3,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    superseded: 0,
    interrupted: 0,
    dispatched: 0,
    proposed: 0,
    merged: 0,
  });
  assert.deepEqual(
    report.results.map((
      r,
    ) => [r.branch, r.status, r.previous, r.attempts, r.verified]),
    [
      ["main", "updated", "0.1.6", 1, true],
      ["trunk", "updated", null, 1, true],
      ["master", "updated", "0.1.5", 1, true],
    ],
  );
  assert.equal(report.results[0]?.commit, await fx.tip(main, "main"));
  assert.match(
    run.stdout,
    /^updated\s+.*main-tpl\.git\s+main\s+0\.1\.6 -> 0\.1\.7\s+[0-9a-f]{10} verified$/m,
  );
  assert.match(run.stdout, /3 updated, 0 unchanged, 0 skipped, 0 failed/);
});

Deno.test("push is idempotent: a re-run makes no commit", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1.6\n" });
  const b = await fx.repo("b", { ".runtime-version": " 0.1.7 \r\n" }); // already current, tolerantly
  const first = await runCascade(["push", "0.1.7", "--repo", a, "--repo", b]);
  assert.equal(first.code, 0, first.stderr);
  const tips = [await fx.tip(a), await fx.tip(b)];
  assert.equal(await fx.count(b), 1, "a tolerant match is not rewritten");
  const json = `${fx.root}/again.json`;
  const second = await runCascade([
    "push",
    "0.1.7",
    "--repo",
    a,
    "--repo",
    b,
    "--json",
    json,
  ]);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual([await fx.tip(a), await fx.tip(b)], tips);
  assert.equal(await fx.count(a), 2);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(
    report.results.map((r) => [r.status, r.commit, r.attempts]),
    [
      ["unchanged", null, 0],
      ["unchanged", null, 0],
    ],
  );
});

Deno.test("push skips templates whose probe files do not mention the version file", async () => {
  await using fx = await Fixture.create();
  const wired = await fx.repo("wired", { Dockerfile: DOCKERFILE });
  const legacy = await fx.repo("legacy", {
    Dockerfile: "FROM java\n",
    ".runtime-version": "0.1.0\n",
  });
  const noProbe = await fx.repo("no-probe", { "README.md": "x\n" });
  const legacyTip = await fx.tip(legacy);
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.2.0",
    "--repo",
    wired,
    "--repo",
    legacy,
    "--repo",
    noProbe,
    "--probe",
    "Dockerfile",
    "--probe",
    "build.sh",
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await fx.text(wired, "main", ".runtime-version"), "0.2.0\n");
  assert.equal(await fx.tip(legacy), legacyTip);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => r.status), [
    "updated",
    "skipped",
    "skipped",
  ]);
  assert.match(
    report.results[1]?.reason ?? "",
    /not wired: none of Dockerfile, build\.sh mentions \.runtime-version/,
  );
});

Deno.test("push --dry-run builds everything but pushes nothing", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1.6\n" });
  const b = await fx.repo("b", { ".runtime-version": "0.1.7\n" });
  const tips = [await fx.tip(a), await fx.tip(b)];
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.1.7",
    "--repo",
    a,
    "--repo",
    b,
    "--dry-run",
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual([await fx.tip(a), await fx.tip(b)], tips);
  assert.deepEqual([await fx.count(a), await fx.count(b)], [1, 1]);
  const report = await readReport<PushReport>(json);
  assert.equal(report.dryRun, true);
  assert.deepEqual(report.results.map((r) => [r.status, r.reason ?? null]), [
    ["updated", "dry run: not pushed"],
    ["unchanged", null],
  ]);
  assert.match(run.stdout, /^would update\s/m);
  assert.match(run.stdout, /cascade dry run 0\.1\.7: 1 would update/);
});

Deno.test("push resolves owner/name from a repos file against --base-url and dedupes", async () => {
  await using fx = await Fixture.create();
  await Deno.mkdir(`${fx.root}/srv/acme`);
  const one = await fx.repo("acme/one", { ".runtime-version": "1\n" });
  const two = await fx.repo(
    "acme/two",
    { ".runtime-version": "1\n" },
    "develop",
  );
  const list = await fx.write(
    "templates.txt",
    "# templates\n\n  acme/one  \nacme/two\n# acme/three\nacme/one\n",
  );
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "2",
    "--repos-file",
    list,
    "--repo",
    "acme/two.git",
    "--json",
    json,
  ], { GITEA_URL: `file://${fx.root}/srv` });
  assert.equal(run.code, 0, run.stderr);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(report.results.map((r) => [r.repo, r.branch, r.status]), [
    ["acme/one", "main", "updated"],
    ["acme/two", "develop", "updated"],
  ]);
  assert.equal(await fx.text(one, "main", ".runtime-version"), "2\n");
  assert.equal(await fx.text(two, "develop", ".runtime-version"), "2\n");
  assert.equal(await fx.count(one), 2, "a duplicate target runs once");
});

Deno.test("push: a missing repo fails alone with exit 1 and says what to do", async () => {
  await using fx = await Fixture.create();
  const good = await fx.repo("good", { ".runtime-version": "0.1\n" });
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    `${fx.root}/srv/missing.git`,
    "--repo",
    good,
    "--json",
    json,
  ]);
  assert.equal(run.code, 1);
  assert.equal(await fx.text(good, "main", ".runtime-version"), "0.2\n");
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.status, "failed");
  assert.equal(report.results[0]?.error?.kind, "not_found");
  assert.match(
    report.results[0]?.error?.message ?? "",
    /missing\.git: reading the branches: the repository was not found; check the repo name/,
  );
  assert.equal(report.results[1]?.status, "updated");
  assert.doesNotMatch(
    run.stdout + run.stderr,
    /fatal:|\n\s+at /,
    "no raw git stderr, no stack",
  );
});

Deno.test("push: a downgrade is the operator's intent and lands; --no-downgrade skips it", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.2.0\n" });
  const b = await fx.repo("b", { ".runtime-version": "0.2.0\n" });
  const bTip = await fx.tip(b);
  const json = `${fx.root}/r.json`;
  const run = await runCascade(["push", "0.1.9", "--repo", a, "--json", json]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "0.1.9\n");
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.downgrade, true);
  assert.match(run.stdout, /0\.2\.0 -> 0\.1\.9 .*\(downgrade\)/);

  const refused = await runCascade([
    "push",
    "0.1.9",
    "--repo",
    b,
    "--no-downgrade",
    "--json",
    json,
  ]);
  assert.equal(refused.code, 0);
  assert.equal(await fx.tip(b), bTip);
  const r2 = await readReport<PushReport>(json);
  assert.equal(r2.results[0]?.status, "skipped");
  assert.match(
    r2.results[0]?.reason ?? "",
    /holds 0\.2\.0, newer than 0\.1\.9; --no-downgrade/,
  );
});

/** A git runner that lands a racer commit on the server before pushes. */
function racingGit(
  fx: Fixture,
  repo: string,
  times: number,
): (git: GitRunner) => GitRunner {
  let raced = 0;
  return (git) => async (args, options) => {
    if (args[0] === "push" && raced < times) {
      raced++;
      await fx.commit(repo, {
        branch: "main",
        files: { [`racer-${raced}.txt`]: `racer ${raced}\n` },
        message: `racer ${raced}\n`,
        author: "Racer <racer@example.com>",
      });
    }
    return git(args, options);
  };
}

Deno.test("push: a branch that moved once is re-applied on the new tip; the other commit is kept", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("moving", { ".runtime-version": "0.1.6\n" });
  const original = await fx.tip(repo);
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.1.7", "--repo", repo, "--json", json],
    {},
    {
      wrapGit: racingGit(fx, repo, 1),
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const tip = await fx.tip(repo);
  const info = await fx.show(repo, tip!);
  const racer = info.parents[0]!;
  assert.equal(
    (await fx.show(repo, racer)).author,
    "Racer <racer@example.com>",
  );
  assert.deepEqual((await fx.show(repo, racer)).parents, [original]);
  assert.equal(await fx.text(repo, tip!, ".runtime-version"), "0.1.7\n");
  assert.equal(await fx.text(repo, tip!, "racer-1.txt"), "racer 1\n");
  assert.deepEqual(await fx.changed(repo, tip!), [".runtime-version"]);
  assert.equal(await fx.count(repo), 3);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.attempts, 2);
  assert.equal(report.results[0]?.status, "updated");
});

Deno.test("push: a branch that moves before every push fails as conflict after --attempts", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("busy", { ".runtime-version": "0.1.6\n" });
  const original = await fx.tip(repo);
  const json = `${fx.root}/r.json`;
  const run = await runCascade(
    ["push", "0.1.7", "--repo", repo, "--attempts", "3", "--json", json],
    {},
    {
      wrapGit: racingGit(fx, repo, 100),
    },
  );
  assert.equal(run.code, 1);
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.attempts, 3);
  assert.equal(report.results[0]?.error?.kind, "conflict");
  assert.match(
    report.results[0]?.error?.message ?? "",
    /busy\.git: main kept moving: 3 push attempts rejected/,
  );
  assert.equal(
    await fx.count(repo),
    4,
    "three racer commits, none of ours, none lost",
  );
  assert.ok(await fx.isAncestor(repo, original!, "main"));
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.1.6\n");
});

Deno.test("push: a refusing hook is tried once and reported as rejected with the server's words", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("protected", { ".runtime-version": "0.1.6\n" });
  const other = await fx.repo("other", { ".runtime-version": "0.1.6\n" });
  await fx.hook(
    repo,
    "pre-receive",
    '#!/bin/sh\necho "attempt" >> "$GIT_DIR/attempts.log"\necho \'Gitea: Not allowed to push to protected branch main\' >&2\nexit 1\n',
  );
  const tip = await fx.tip(repo);
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.1.7",
    "--repo",
    repo,
    "--repo",
    other,
    "--json",
    json,
  ]);
  assert.equal(run.code, 1);
  assert.equal(await fx.tip(repo), tip);
  assert.equal(
    (await Deno.readTextFile(`${repo}/attempts.log`)).trim(),
    "attempt",
  );
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.error?.kind, "rejected");
  assert.equal(report.results[0]?.attempts, 1);
  assert.match(
    report.results[0]?.error?.message ?? "",
    /Not allowed to push to protected branch main/,
  );
  assert.equal(report.results[1]?.status, "updated");
});

Deno.test("push: an empty repo and a missing --branch fail as invalid without creating anything", async () => {
  await using fx = await Fixture.create();
  const empty = await fx.repo("empty", null);
  const repo = await fx.repo("repo", { ".runtime-version": "1\n" });
  const json = `${fx.root}/r.json`;
  const run = await runCascade(["push", "2", "--repo", empty, "--json", json]);
  assert.equal(run.code, 1);
  assert.deepEqual(await fx.branches(empty), []);
  const r1 = await readReport<PushReport>(json);
  assert.equal(r1.results[0]?.error?.kind, "invalid");
  const run2 = await runCascade([
    "push",
    "2",
    "--repo",
    repo,
    "--branch",
    "release",
    "--json",
    json,
  ]);
  assert.equal(run2.code, 1);
  assert.deepEqual(await fx.branches(repo), ["main"]);
  const r2 = await readReport<PushReport>(json);
  assert.match(
    r2.results[0]?.error?.message ?? "",
    /branch release does not exist/,
  );
});

Deno.test("push writes a nested --file and keeps an executable file's mode", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("nested", {
    "config/runtime/.runtime-version": { mode: "100755", data: "0.1\n" },
    "config/other.txt": "keep\n",
  });
  const fresh = await fx.repo("fresh", { "README.md": "x\n" });
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    repo,
    "--repo",
    fresh,
    "--file",
    "./config/runtime/.runtime-version",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    await fx.text(repo, "main", "config/runtime/.runtime-version"),
    "0.2\n",
  );
  assert.equal(await fx.text(repo, "main", "config/other.txt"), "keep\n");
  const ls = await fx.git(["ls-tree", "-r", "main"], { cwd: repo });
  assert.match(
    ls.stdout,
    /^100755 blob \S+\tconfig\/runtime\/\.runtime-version$/m,
  );
  assert.equal(
    await fx.text(fresh, "main", "config/runtime/.runtime-version"),
    "0.2\n",
  );
  assert.deepEqual(await fx.changed(fresh, "main"), [
    "config/runtime/.runtime-version",
  ]);
});

Deno.test("push --concurrency n: at most n fetch and n push at once, reads overlap pushes; 1 is one template at a time", async () => {
  await using fx = await Fixture.create();
  const repos = await Promise.all(
    Array.from(
      { length: 6 },
      (_, i) => fx.repo(`c${i}`, { ".runtime-version": "0.1\n" }),
    ),
  );
  for (const [version, concurrency] of [["0.2", 2], ["0.3", 1]] as const) {
    const active = { fetch: 0, push: 0 };
    const peak = { fetch: 0, push: 0 };
    let overlapped = 0;
    const run = await runCascade(
      [
        "push",
        version,
        ...repos.flatMap((r) => ["--repo", r]),
        "--concurrency",
        String(concurrency),
      ],
      {},
      {
        wrapGit: (git) => async (args, options) => {
          const step = args[0] === "fetch" || args[0] === "push"
            ? args[0]
            : null;
          if (step === null) return git(args, options);
          active[step]++;
          peak[step] = Math.max(peak[step], active[step]);
          if (step === "fetch" && active.push > 0) overlapped++;
          try {
            // Slow enough that the steps of different templates can meet.
            await new Promise((r) => setTimeout(r, 40));
            return await git(args, options);
          } finally {
            active[step]--;
          }
        },
      },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    for (const repo of repos) {
      assert.equal(
        await fx.text(repo, "main", ".runtime-version"),
        `${version}\n`,
      );
    }
    assert.deepEqual(peak, { fetch: concurrency, push: concurrency });
    if (concurrency === 1) {
      assert.equal(overlapped, 0, "with 1, no template is read ahead");
    } else {
      assert.ok(overlapped > 0, "the next templates are read during pushes");
    }
  }
});

Deno.test("push: SHA-1 and SHA-256 templates in one run, their work repos made without git init", async () => {
  await using fx = await Fixture.create();
  const sha1 = await fx.repo("sha1", { ".runtime-version": "0.1\n" });
  const other = await fx.repo("other", { ".runtime-version": "0.1\n" });
  const sha256 = `${fx.root}/srv/sha256.git`;
  const init = await fx.git([
    "init",
    "--bare",
    "-q",
    "-b",
    "main",
    "--object-format=sha256",
    sha256,
  ]);
  assert.equal(init.code, 0, init.stderr);
  const before = await fx.commit(sha256, {
    branch: "main",
    files: { ".runtime-version": "0.1\n", "README.md": "x\n" },
  });
  assert.equal(before.length, 64);
  const inits: string[] = [];
  const run = await runCascade(
    ["push", "0.2", "--repo", sha1, "--repo", sha256, "--repo", other],
    {},
    {
      wrapGit: (git) => (args, options) => {
        if (args[0] === "init") inits.push(args.join(" "));
        return git(args, options);
      },
    },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  for (const repo of [sha1, sha256, other]) {
    assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
    assert.equal(await fx.count(repo), 2);
  }
  const tip = await fx.tip(sha256);
  assert.equal(tip?.length, 64);
  assert.deepEqual((await fx.show(sha256, tip!)).parents, [before]);
  assert.deepEqual(inits, [], "work repos are written, not git-init'ed");
});
