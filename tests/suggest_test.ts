import assert from "node:assert/strict";
import { closest } from "../lib/cli/suggest.ts";

/**
 * The edit distance of `a` and `b` as `closest` sees it: the smallest
 * limit (2 to 6) at which it takes `b` for `a`, each given the same prefix
 * (which changes no distance) so that the limit, a third of the length,
 * is that one; "<= 2" when it takes it at the smallest limit already.
 */
function editDistance(a: string, b: string): number | "<= 2" {
  for (let limit = 2; limit <= 6; limit++) {
    const pad = "q".repeat(Math.max(0, 3 * limit - a.length));
    if (closest(pad + a, [pad + b]) !== null) {
      return limit === 2 ? "<= 2" : limit;
    }
  }
  return Infinity;
}

const FLAGS = [
  "--repo",
  "--repos-file",
  "--base-url",
  "--retry-failed",
  "--file",
  "--branch",
  "--concurrency",
  "--timeout",
  "--json",
  "--dry-run",
  "--no-downgrade",
  "--verbose",
] as const;

const KEYS = [
  "baseUrl",
  "repos",
  "reposFile",
  "probe",
  "file",
  "branch",
  "author",
  "message",
  "coAuthor",
  "concurrency",
  "attempts",
  "timeout",
  "tokenEnv",
  "authUser",
] as const;

Deno.test("closest() counts edits and adjacent transpositions once", () => {
  assert.equal(editDistance("", ""), "<= 2");
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("branch", "brnach"), "<= 2");
  // Two transpositions cost 2 (four single edits would be too many).
  assert.equal(closest("brnahc", ["branch"]), "branch");
  // Optimal string alignment, not full Damerau–Levenshtein: CA -> ABC is 3.
  assert.equal(editDistance("ca", "abc"), 3);
  // Case is folded: JSON is json.
  assert.equal(editDistance("Json", "json"), "<= 2");
  assert.equal(closest("--JSON", FLAGS), "--json");
});

Deno.test("closest() finds a misspelt flag", () => {
  assert.equal(closest("--dryrun", FLAGS), "--dry-run");
  assert.equal(closest("--dry_run", FLAGS), "--dry-run");
  assert.equal(closest("--verbsoe", FLAGS), "--verbose");
  assert.equal(closest("--concurency", FLAGS), "--concurrency");
  assert.equal(closest("--BRANCH", FLAGS), "--branch");
  assert.equal(closest("--repos-fil", FLAGS), "--repos-file");
  assert.equal(closest("--baseurl", FLAGS), "--base-url");
});

Deno.test("closest() finds a misspelt config key, kebab and snake case too", () => {
  assert.equal(closest("basUrl", KEYS), "baseUrl");
  assert.equal(closest("base-url", KEYS), "baseUrl");
  assert.equal(closest("base_url", KEYS), "baseUrl");
  assert.equal(closest("co-authors", KEYS), "coAuthor");
  assert.equal(closest("tokenenv", KEYS), "tokenEnv");
  assert.equal(closest("atempts", KEYS), "attempts");
});

Deno.test("closest() returns null when nothing is close", () => {
  assert.equal(closest("--zzz", FLAGS), null);
  assert.equal(closest("parallelism", KEYS), null);
  assert.equal(closest("--", FLAGS), null);
  assert.equal(closest("", KEYS), null);
  assert.equal(closest("baseUrl", []), null);
});

Deno.test("closest() breaks ties with the earlier candidate", () => {
  assert.equal(closest("fil", ["file", "fill"]), "file");
  assert.equal(closest("fil", ["fill", "file"]), "fill");
  assert.equal(closest("--rep", ["--repo", "--reps"]), "--repo");
});

Deno.test("closest() allows more edits for longer input", () => {
  // 11 letters after the dashes: up to 3 edits.
  assert.equal(closest("--noodowngrod", FLAGS), "--no-downgrade");
  // 4 letters: at most 2 edits.
  assert.equal(closest("--jsxyz", FLAGS), null);
  assert.equal(closest("--jsn", FLAGS), "--json");
});
