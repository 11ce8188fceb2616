import assert from "node:assert/strict";
import {
  branchNameProblem,
  isValidBranchName,
  refNameProblem,
} from "../lib/refs.ts";
import { Fixture } from "./support/fixtures.ts";
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
 * Every atom alone and between two letters, and 300 seeded names of two to
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
  while (names.size < 360) {
    const count = 2 + int(rand, 3);
    names.add(Array.from({ length: count }, () => pick(rand, ATOMS)).join(""));
  }
  return [...names];
}

/** Runs `git check-ref-format <flags> <name>` for each name: true = valid. */
async function gitVerdicts(
  fx: Fixture,
  flags: string[],
  names: readonly string[],
): Promise<boolean[]> {
  const verdicts: boolean[] = new Array(names.length);
  let next = 0;
  // Outside any repository, so `--branch` never expands `@{-1}` or `@`.
  const options = {
    cwd: fx.root,
    env: { GIT_CEILING_DIRECTORIES: fx.root.replace(/\/[^/]*$/, "") },
  };
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      const out = await fx.git(
        ["check-ref-format", ...flags, names[i] ?? ""],
        options,
      );
      verdicts[i] = out.code === 0;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return verdicts;
}

Deno.test("refNameProblem() agrees with git check-ref-format --allow-onelevel on generated tricky names", async () => {
  await using fx = await Fixture.create();
  // A name starting with '-' would be read as an option: these start with
  // "refs/", or are the one-level names git can be asked about.
  const names = trickyNames().map((n) => `refs/${n}`).concat(
    trickyNames().filter((n) => !n.startsWith("-")),
  );
  const verdicts = await gitVerdicts(fx, ["--allow-onelevel"], names);
  const disagreements = names.filter((name, i) =>
    (refNameProblem(name) === null) !== verdicts[i]
  );
  assert.deepEqual(disagreements.map((n) => JSON.stringify(n)), []);
  // The list exercises both answers.
  assert.ok(verdicts.filter(Boolean).length > 50);
  assert.ok(verdicts.filter((v) => !v).length > 300);
});

Deno.test("isValidBranchName() agrees with git check-ref-format --branch, plus cascade's '@' rule", async () => {
  await using fx = await Fixture.create();
  const names = trickyNames();
  const verdicts = await gitVerdicts(fx, ["--branch"], names);
  const disagreements = names.filter((name, i) =>
    isValidBranchName(name) !== (verdicts[i] && name !== "@")
  );
  assert.deepEqual(disagreements.map((n) => JSON.stringify(n)), []);
  // git itself refuses these as branch names.
  for (const name of ["-x", "HEAD", "a..b", "a.lock", "a//b", "a/"]) {
    assert.equal(verdicts[names.indexOf(name)], false, name);
  }
  assert.equal(verdicts[names.indexOf("@")], true, "git accepts '@'");
  assert.equal(isValidBranchName("@"), false);
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
  assert.equal(refNameProblem("@"), "the name is '@'");
  assert.match(refNameProblem("refs/heads/") ?? "", /empty component/);
});
