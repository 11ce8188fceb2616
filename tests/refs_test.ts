import assert from "node:assert/strict";
import { branchNameProblem } from "../lib/git/refs.ts";
import { EXIT, TemplateError, UsageError } from "../lib/errors.ts";
import { parseCommand } from "./support/parse_command.ts";
import {
  BASE_GIT_CONFIG,
  configEnv,
  type GitRunner,
  hermeticEnv,
} from "../lib/git/runner.ts";
import type { RemoteContext } from "../lib/git/context.ts";
import { lsRemote } from "../lib/git/remote.ts";
import { cannedGit, Fixture } from "./support/fixtures.ts";
import { int, pick, prng } from "./support/prng.ts";

/** Pieces that hit every rule of `check-ref-format`, and some that do not. */
const ATOMS = [
  "a",
  ".",
  "..",
  "/",
  "//",
  ".lock",
  "@",
  "@{",
  "{",
  "-",
  "~",
  "^",
  ":",
  "?",
  "*",
  "[",
  "]",
  "\\",
  " ",
  "\t",
  "\n",
  "\x1b",
  "\x7f",
  "\x01",
  "é",
  "\u202e",
  "HEAD",
  "x.lock",
];

/**
 * Every atom alone and between two letters, and seeded names of two to
 * four atoms: the same list on every run.
 */
function trickyNames(): string[] {
  const names = new Set<string>([
    "",
    "main",
    "release/1.x",
    "-x",
    "a/",
    "a.lock",
  ]);
  for (const x of ATOMS) names.add(x).add(`a${x}b`);
  const rand = prng(7);
  while (names.size < 240) {
    const count = 2 + int(rand, 3);
    names.add(Array.from({ length: count }, () => pick(rand, ATOMS)).join(""));
  }
  return [...names];
}

/**
 * Runs `git check-ref-format <flag> <name>` for each name (true = valid),
 * one git per name as the command takes one, driven by one shell loop
 * rather than 480 spawns from this process.
 */
async function gitVerdicts(
  fx: Fixture,
  flag: string,
  names: readonly string[],
): Promise<boolean[]> {
  const loop = 'f=$1; shift; for n in "$@"; do ' +
    'if git check-ref-format "$f" "$n" >/dev/null 2>&1; then printf 1; ' +
    "else printf 0; fi; done";
  const out = await new Deno.Command("sh", {
    args: ["-c", loop, "sh", flag, ...names],
    // Outside any repository, so `--branch` never expands `@{-1}` or `@`.
    cwd: fx.root,
    clearEnv: true,
    env: {
      ...hermeticEnv(`${fx.root}/home`),
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      GIT_CEILING_DIRECTORIES: fx.root.replace(/\/[^/]*$/, ""),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const verdicts = new TextDecoder().decode(out.stdout);
  assert.equal(verdicts.length, names.length, "one verdict per name");
  return [...verdicts].map((v) => v === "1");
}

Deno.test("branchNameProblem()'s ref rules agree with git check-ref-format on refs/heads/<name> for generated tricky names", async () => {
  await using fx = await Fixture.create();
  // The names the ref rules alone decide (not the branch rules: a leading
  // '-', HEAD and '@'), as refs/heads/<name>.
  const names = trickyNames().filter((n) =>
    !n.startsWith("-") && n !== "HEAD" && n !== "@"
  );
  const verdicts = await gitVerdicts(
    fx,
    "--allow-onelevel",
    names.map((n) => `refs/heads/${n}`),
  );
  const disagreements = names.filter((name, i) =>
    (branchNameProblem(name) === null) !== verdicts[i]
  );
  assert.deepEqual(disagreements.map((n) => JSON.stringify(n)), []);
  // The list exercises both answers (one set of names now, not two).
  assert.ok(verdicts.filter(Boolean).length > 20);
  assert.ok(verdicts.filter((v) => !v).length > 150);
});

Deno.test("branchNameProblem() agrees with git check-ref-format --branch, plus cascade's '@' rule", async () => {
  await using fx = await Fixture.create();
  const names = trickyNames();
  const verdicts = await gitVerdicts(fx, "--branch", names);
  const disagreements = names.filter((name, i) =>
    (branchNameProblem(name) === null) !== (verdicts[i] && name !== "@")
  );
  assert.deepEqual(disagreements.map((n) => JSON.stringify(n)), []);
  // git itself refuses these as branch names.
  for (const name of ["-x", "HEAD", "a..b", "a.lock", "a//b", "a/"]) {
    assert.equal(verdicts[names.indexOf(name)], false, name);
  }
  assert.equal(verdicts[names.indexOf("@")], true, "git accepts '@'");
  assert.equal(branchNameProblem("@") === null, false);
  // The command line applies the same rule: what git refuses is exit 2
  // before any network; what git accepts (refs/x) passes.
  for (const name of names.filter((n) => !n.startsWith("-"))) {
    const args = ["push", "1.0", "--repo", "o/n", `--branch=${name}`];
    let refused = false;
    try {
      parseCommand(args);
    } catch (error) {
      assert.ok(error instanceof UsageError, name);
      assert.equal(error.exitCode, EXIT.usage);
      assert.match(error.message, /^--branch .* is not a valid branch name/);
      refused = true;
    }
    assert.equal(refused, branchNameProblem(name) !== null, name);
  }
  for (const name of ["a/.b", "a.lock/b", "HEAD"]) {
    assert.throws(
      () => parseCommand(["push", "1.0", "--repo", "o/n", "--branch", name]),
      name,
    );
  }
  const refsX = parseCommand([
    "push",
    "1.0",
    "--repo",
    "o/n",
    "--branch",
    "refs/x",
  ]);
  assert.ok(refsX.command === "push" && refsX.options.branch === "refs/x");
});

Deno.test("branchNameProblem() says which rule a name breaks", () => {
  assert.equal(branchNameProblem("-f"), "the name starts with '-'");
  assert.equal(branchNameProblem("a..b"), "the name contains '..'");
  assert.equal(branchNameProblem("a b"), "the name contains ' '");
  assert.equal(
    branchNameProblem("x\x1b]52;c;aGk=\x07"),
    "the name contains a control character",
  );
  assert.equal(branchNameProblem("a.lock"), "a component ends with '.lock'");
  assert.equal(branchNameProblem("a/.b"), "a component starts with '.'");
  assert.equal(branchNameProblem("a@{1}"), "the name contains '@{'");
  assert.equal(branchNameProblem("a."), "the name ends with '.'");
  assert.equal(branchNameProblem("main"), null);
  assert.equal(branchNameProblem("@"), "the name is '@'");
  assert.match(branchNameProblem("a/") ?? "", /empty component/);
});

/** A context for `lsRemote` over `git`, reading `url` with git only. */
function gitContext(fx: Fixture, url: string, git = fx.git): RemoteContext {
  return {
    git,
    url,
    env: configEnv(BASE_GIT_CONFIG),
    timeoutMs: 5000,
    gitDir: `${fx.root}/work.git`,
    scratchDir: fx.root,
  };
}

Deno.test("lsRemote() with git reports HEAD's branch and the asked branch only, on protocol v0", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { f: "1\n" }, "trunk");
  await fx.commit(repo, { branch: "side", files: { g: "2\n" } });
  await fx.commit(repo, { branch: "other", files: { g: "3\n" } });
  const argv: string[][] = [];
  const recorded: GitRunner = (args, options) => {
    argv.push([...args]);
    return fx.git(args, options);
  };
  const head = await lsRemote(gitContext(fx, repo, recorded), "side");
  assert.deepEqual(
    { defaultBranch: head.defaultBranch, tips: Object.fromEntries(head.tips) },
    {
      defaultBranch: "trunk",
      tips: {
        trunk: await fx.tip(repo, "trunk"),
        side: await fx.tip(repo, "side"),
      },
    },
  );
  assert.deepEqual(argv, [[
    "-c",
    "protocol.version=0",
    "ls-remote",
    "--symref",
    repo,
    "HEAD",
    "refs/heads/side",
  ]]);
});

Deno.test("lsRemote() with git fails kind invalid on a HEAD branch cascade refuses, shown neutralised", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { f: "1\n" });
  // git accepts refs/heads/-rf as a ref; as a branch name, neither git's
  // --branch check nor cascade does.
  const tip = await fx.tip(repo);
  for (const name of ["-rf", "HEAD"]) {
    for (
      const args of [
        ["update-ref", `refs/heads/${name}`, tip ?? ""],
        ["symbolic-ref", "HEAD", `refs/heads/${name}`],
      ]
    ) {
      const out = await fx.git(args, { cwd: repo });
      assert.equal(out.code, 0, out.stderr);
    }
    await assert.rejects(
      lsRemote(gitContext(fx, repo)),
      (error: unknown) =>
        error instanceof TemplateError && error.kind === "invalid" &&
        error.message.includes(`invalid branch name "${name}"`),
      name,
    );
  }
});

Deno.test("lsRemote() with git refuses output lines it cannot read (a ref name with a line break)", async () => {
  await using fx = await Fixture.create();
  const oid = "a".repeat(40);
  const fake = cannedGit;
  const good = `ref: refs/heads/main\tHEAD\n${oid}\tHEAD\n`;
  const head = await lsRemote(gitContext(fx, "/srv/a.git", fake(good)));
  assert.deepEqual(Object.fromEntries(head.tips), { main: oid });
  for (
    const stdout of [
      `ref: refs/heads/a\nb\tHEAD\n${oid}\tHEAD\n`,
      `${oid}\tHEAD\n${oid}\trefs/heads/x\n\x1b]52;c;aGk=\x07\n`,
      `${oid}\trefs/heads/a\tb\n`,
    ]
  ) {
    await assert.rejects(
      lsRemote(gitContext(fx, "/srv/a.git", fake(stdout)), "x"),
      (error: unknown) =>
        error instanceof TemplateError && error.kind === "invalid" &&
        // deno-lint-ignore no-control-regex
        !/[\x00-\x1f]/.test(error.message),
      JSON.stringify(stdout),
    );
  }
});
