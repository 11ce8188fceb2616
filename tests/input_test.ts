import assert from "node:assert/strict";
import {
  Fixture,
  readReport,
  runCascade,
  runCascadeProcess,
} from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { parseCommand } from "./support/parse_command.ts";

Deno.test("bad inputs exit 2 with a one-line reason and touch nothing", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1.0\n" });
  const tip = await fx.tip(repo);
  const r = ["--repo", repo];
  const cases: [string, string[], RegExp][] = [
    ["empty version", ["push", "", ...r], /version/],
    ["space", ["push", "0.1 .2", ...r], /version/],
    ["tab", ["push", "0.1\t2", ...r], /version/],
    ["newline", ["push", "0.1\n2", ...r], /version/],
    ["control", ["push", "0.1\x072", ...r], /version/],
    ["leading dash", ["push", "--", "-1.0", ...r], /version/],
    ["slash", ["push", "1.0/2", ...r], /version/],
    ["dot dot", ["push", "1..2", ...r], /version/],
    ["dollar", ["push", "$(id)", ...r], /version/],
    ["backtick", ["push", "`id`", ...r], /version/],
    ["semicolon", ["push", "1;rm", ...r], /version/],
    ["pipe", ["push", "1|x", ...r], /version/],
    ["ampersand", ["push", "1&x", ...r], /version/],
    ["quote", ["push", "1'x", ...r], /version/],
    ["too long", ["push", "1".repeat(129), ...r], /version/],
    ["two versions", ["push", "1.0", "2.0", ...r], /one version only/],
    ["no version", ["push", ...r], /missing the version/],
    ["no targets", ["push", "1.0"], /no targets/],
    ["unknown flag", ["push", "1.0", ...r, "--force"], /force/],
    ["push flag on status", ["status", "1.0", ...r, "--dry-run"], /dry-run/],
    ["unknown command", ["publish", "1.0"], /unknown command/],
    [
      "file absolute",
      ["push", "1.0", ...r, "--file", "/etc/passwd"],
      /relative/,
    ],
    ["file escapes", ["push", "1.0", ...r, "--file", "a/../../x"], /--file/],
    ["file in .git", ["push", "1.0", ...r, "--file", ".git/config"], /\.git/],
    ["file in .GIT", ["push", "1.0", ...r, "--file", "sub/.GIT/x"], /\.git/],
    ["file empty", ["push", "1.0", ...r, "--file", ""], /--file/],
    [
      "concurrency zero",
      ["push", "1.0", ...r, "--concurrency", "0"],
      /--concurrency/,
    ],
    [
      "concurrency text",
      ["push", "1.0", ...r, "--concurrency", "many"],
      /--concurrency/,
    ],
    ["attempts zero", ["push", "1.0", ...r, "--attempts", "0"], /--attempts/],
    [
      "attempts negative",
      ["push", "1.0", ...r, "--attempts", "-1"],
      /--attempts/,
    ],
    ["timeout text", ["push", "1.0", ...r, "--timeout", "1x"], /--timeout/],
    [
      "timeout fraction",
      ["push", "1.0", ...r, "--timeout", "1.5"],
      /--timeout/,
    ],
    ["timeout ms", ["push", "1.0", ...r, "--timeout", "1500ms"], /--timeout/],
    [
      "wait-timeout text",
      ["push", "1.0", ...r, "--wait", "--wait-timeout", "5x"],
      /--wait-timeout/,
    ],
    [
      "wait-start zero",
      ["push", "1.0", ...r, "--wait-start", "0"],
      /--wait-start/,
    ],
    ["wait on status", ["status", "1.0", ...r, "--wait"], /--wait is for push/],
    [
      "canary on status",
      ["status", "1.0", ...r, "--canary", "1"],
      /--canary is for push/,
    ],
    ["ci on push", ["push", "1.0", ...r, "--ci"], /--ci is for status/],
    [
      "canary without wait",
      ["push", "1.0", ...r, "--canary", "1"],
      /--canary needs --wait/,
    ],
    [
      "canary zero",
      ["push", "1.0", ...r, "--wait", "--canary", "0"],
      /--canary/,
    ],
    [
      "wait dry run",
      ["push", "1.0", ...r, "--wait", "--dry-run"],
      /--dry-run pushes none/,
    ],
    [
      "api-url scheme",
      ["push", "1.0", ...r, "--api-url", "ftp://h/api"],
      /--api-url/,
    ],
    [
      "api-url credentials",
      ["push", "1.0", ...r, "--api-url", "https://u:p@h/api/v1"],
      /--api-url/,
    ],
    [
      "ci-context newline",
      ["push", "1.0", ...r, "--ci-context", "a\nb"],
      /--ci-context/,
    ],
    ["author", ["push", "1.0", ...r, "--author", "bot"], /--author/],
    ["co-author", ["push", "1.0", ...r, "--co-author", "x <y>"], /--co-author/],
    ["branch", ["push", "1.0", ...r, "--branch", "a..b"], /--branch/],
    [
      "repos file",
      ["push", "1.0", "--repos-file", "/nonexistent/list.txt"],
      /does not exist/,
    ],
    ["retry-failed file", [
      "push",
      "1.0",
      "--retry-failed",
      "/nonexistent.json",
    ], /does not exist/],
    ["target", ["push", "1.0", "--repo", "not a repo"], /not a URL/],
    [
      "owner/name without base",
      ["push", "1.0", "--repo", "acme/x"],
      /--base-url or set GITEA_URL/,
    ],
    [
      "scheme",
      ["push", "1.0", "--repo", "ftp://h/x.git"],
      /unsupported scheme/,
    ],
    ["shard", ["push", "1.0", ...r, "--shard", "3/2"], /--shard/],
    [
      "json dir",
      ["push", "1.0", ...r, "--json", "/nonexistent/r.json"],
      /does not exist/,
    ],
    [
      "skip ci",
      ["push", "1.0", ...r, "--message", "bump {version} [skip ci]"],
      /\[skip ci\]/,
    ],
    [
      "ci skip",
      ["push", "1.0", ...r, "--message", "bump [CI SKIP]"],
      /\[ci skip\]/,
    ],
    ["no ci", ["push", "1.0", ...r, "--message", "[no ci] bump"], /\[no ci\]/],
    [
      "skip actions",
      ["push", "1.0", ...r, "--message", "x [skip actions]"],
      /\[skip actions\]/,
    ],
    [
      "actions skip",
      ["push", "1.0", ...r, "--message", "x [actions skip]"],
      /\[actions skip\]/,
    ],
    ["empty message", ["push", "1.0", ...r, "--message", "  "], /--message/],
    [
      "token env unset",
      ["push", "1.0", ...r, "--token-env", "NOPE_TOKEN"],
      /NOPE_TOKEN/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    const run = await runCascade(args);
    assert.equal(
      run.code,
      2,
      `${name}: exit ${run.code}\n${run.stdout}${run.stderr}`,
    );
    const first = run.stderr.split("\n")[0] ?? "";
    assert.match(first, /^cascade: /, name);
    assert.match(first, pattern, `${name}: ${first}`);
    assert.doesNotMatch(run.stderr, /\n\s+at /, `${name}: no stack trace`);
    assert.equal(run.stdout, "", name);
  }
  assert.equal(await fx.tip(repo), tip, "no bad input touched the repo");
  assert.equal(await fx.count(repo), 1);
});

Deno.test("--allow-skip-ci lets a skip marker through", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("t", { ".runtime-version": "0.1.0\n" });
  const run = await runCascade([
    "push",
    "0.2.0",
    "--repo",
    repo,
    "--message",
    "pin {version} [skip ci]",
    "--allow-skip-ci",
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal((await fx.show(repo, "main")).message, "pin 0.2.0 [skip ci]\n");
});

Deno.test("a version file that is a directory, symlink or submodule fails that template as invalid", async () => {
  await using fx = await Fixture.create();
  const dir = await fx.repo("dir", { ".runtime-version/x": "1\n" });
  const link = await fx.repo("link", {
    ".runtime-version": { mode: "120000", data: "other" },
    other: "0.1\n",
  });
  const sub = await fx.repo("sub", { "README.md": "x\n" });
  // A gitlink entry: a submodule at the version file's path.
  const subTip = (await fx.tip(sub))!;
  const tree = await fx.git(["mktree", "--missing"], {
    cwd: sub,
    stdin: `160000 commit ${subTip}\t.runtime-version\n`,
  });
  const commit = await fx.git([
    "commit-tree",
    tree.stdout.trim(),
    "-p",
    subTip,
    "-m",
    "submodule",
  ], {
    cwd: sub,
    env: {
      GIT_AUTHOR_NAME: "a",
      GIT_AUTHOR_EMAIL: "a@b",
      GIT_COMMITTER_NAME: "a",
      GIT_COMMITTER_EMAIL: "a@b",
    },
  });
  await fx.git(["update-ref", "refs/heads/main", commit.stdout.trim()], {
    cwd: sub,
  });
  const good = await fx.repo("good", { ".runtime-version": "0.1\n" });
  const tips = [await fx.tip(dir), await fx.tip(link), await fx.tip(sub)];
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    dir,
    "--repo",
    link,
    "--repo",
    sub,
    "--repo",
    good,
    "--json",
    json,
  ]);
  assert.equal(run.code, 1);
  const report = await readReport<PushReport>(json);
  assert.deepEqual(
    report.results.map((r) => [r.status, r.error?.kind ?? null]),
    [
      ["failed", "invalid"],
      ["failed", "invalid"],
      ["failed", "invalid"],
      ["updated", null],
    ],
  );
  assert.match(
    report.results[0]!.error!.message,
    /\.runtime-version is a directory/,
  );
  assert.match(report.results[1]!.error!.message, /is a symlink/);
  assert.match(report.results[2]!.error!.message, /is a submodule/);
  assert.deepEqual(
    [await fx.tip(dir), await fx.tip(link), await fx.tip(sub)],
    tips,
  );
});

Deno.test("a binary or huge version file is overwritten and its old value reported safely", async () => {
  await using fx = await Fixture.create();
  const binary = new Uint8Array([0, 1, 2, 0xff, 0xfe, 10, 27, 91, 50, 74]);
  const huge = `${"9".repeat(2_000_000)}\n\x1b[31mred`;
  const a = await fx.repo("binary", { ".runtime-version": binary });
  const b = await fx.repo("huge", { ".runtime-version": huge });
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "1.0.0",
    "--repo",
    a,
    "--repo",
    b,
    "--json",
    json,
  ]);
  assert.equal(run.code, 0, run.stdout);
  assert.equal(await fx.text(a, "main", ".runtime-version"), "1.0.0\n");
  assert.equal(await fx.text(b, "main", ".runtime-version"), "1.0.0\n");
  const report = await readReport<PushReport>(json);
  assert.equal(report.results[0]?.previous, "<binary, 10 bytes>");
  const previous = report.results[1]?.previous ?? "";
  assert.ok(previous.length <= 80, `cut: ${previous.length}`);
  assert.ok(
    !run.stdout.includes("\x1b"),
    "no escape sequence reaches the terminal",
  );
  assert.ok(run.stdout.length < 2000);
});

Deno.test("a TMPDIR cascade cannot use exits 2 with what to do, not an internal error", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const tip = await fx.tip(repo);
  for (
    const [tmpDir, why] of [
      // Deno refuses /dev without --allow-all; cascade never asks for it.
      ["/dev/shm", /Deno allows no files under \/dev, \/proc or \/sys/],
      [`${fx.root}/missing`, /it does not exist/],
    ] as const
  ) {
    const run = await runCascadeProcess(["push", "0.2", "--repo", repo], {
      tmpDir,
    });
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split("\n");
    assert.match(
      lines[0] ?? "",
      new RegExp(
        `^cascade: cannot make a work directory in ${tmpDir} \\(.*\\); set TMPDIR to a writable directory$`,
      ),
    );
    assert.match(lines[0] ?? "", why);
    assert.doesNotMatch(run.stderr, /internal error|--allow-all flag|at /);
  }
  assert.equal(await fx.tip(repo), tip, "nothing pushed");
});

Deno.test("durations: --timeout 2m is 120 s; --wait-timeout and --wait-start take 90, 90s, 5m, 1h", () => {
  const parse = (more: string[]) => {
    const command = parseCommand(["push", "1.0", "--repo", "a/b", ...more]);
    if (command.command !== "push") throw new Error("not push");
    return command.options;
  };
  assert.equal(parse(["--timeout", "2m"]).timeout, 120);
  assert.equal(parse(["--timeout", "90"]).timeout, 90);
  assert.equal(parse([]).timeout, 120);
  const defaults = parse(["--wait"]);
  assert.deepEqual([defaults.waitTimeout, defaults.waitStart], [
    1_800_000,
    120_000,
  ]);
  const given = parse([
    "--wait",
    "--wait-timeout",
    "1h",
    "--wait-start",
    "90s",
  ]);
  assert.deepEqual([given.waitTimeout, given.waitStart], [3_600_000, 90_000]);
  // A CI flag without --wait is refused now (issue 23, item 7).
  assert.equal(parse(["--wait", "--wait-start", "90"]).waitStart, 90_000);
  assert.equal(parse(["--wait", "--canary", "2"]).canary, 2);
});
