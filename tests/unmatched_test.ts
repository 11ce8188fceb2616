import assert from "node:assert/strict";
import { missNote, missOf } from "../lib/version/unmatched.ts";

/** The near name a note on a missing `name` suggests, or null: none. */
function closestName(name: string, names: readonly string[]): string | null {
  const note = missNote("--file", name, names);
  return missOf(note)?.suggestion ?? null;
}

Deno.test("missNote suggests the nearest name within a third of its length", () => {
  const names = ["Dockerfile", "README.md", "dockerfile.dev", ".github"];
  assert.equal(closestName("Dockerfil", names), "Dockerfile");
  assert.equal(closestName("DOCKERFILE", ["x", "Dockerfile"]), "Dockerfile");
  assert.equal(closestName("go.mod", names), null);
  // The name itself is no suggestion.
  assert.equal(closestName("README.md", ["README.md"]), null);
  // Short names allow a distance of 2.
  assert.equal(closestName("ab", ["xy"]), "xy");
  assert.equal(closestName("ab", ["xyz"]), null);
  // The first of equally near names wins.
  assert.equal(closestName("abcd", ["abcx", "abcy"]), "abcx");
});

Deno.test("missNote's suggestion is bounded: long names and long listings", () => {
  assert.equal(closestName("a".repeat(256), ["a".repeat(255)]), null);
  assert.equal(closestName("VERSION", ["VERSI0N".padEnd(256, "x")]), null);
  const many = Array.from({ length: 1000 }, (_, i) => `file-${i}.txt`);
  // Past the first 1000 names nothing is compared.
  assert.equal(closestName("VERSIONS", [...many, "VERSION"]), null);
  assert.equal(
    closestName("VERSIONS", [...many.slice(1), "VERSION"]),
    "VERSION",
  );
});

Deno.test("missNote says what was not found, and the near name when one is", () => {
  assert.equal(
    missNote("--file", "VERSON", ["VERSION"]),
    " (--file VERSON: not found; did you mean VERSION?)",
  );
  assert.equal(
    missNote("--workflow", "ci.yml", ["a.txt"]),
    " (--workflow ci.yml: not found)",
  );
  assert.equal(missNote("--workflow", "ci.yml", ["a.txt"], true), "");
  assert.equal(
    missNote("--probe", "Dockerfil", ["Dockerfile"], true),
    " (--probe Dockerfil: not found; did you mean Dockerfile?)",
  );
});

Deno.test("missOf reads back every note missNote writes", () => {
  const cases: [Parameters<typeof missNote>[0], string, string[]][] = [
    ["--probe", "Dockerfil", ["Dockerfile"]],
    ["--file", "weird (name): not found", ["x"]],
    ["--workflow", "a?b)", ["a?b)c"]],
    ["--file", "VERSION", []],
  ];
  for (const [flag, name, names] of cases) {
    const reason = `not wired${missNote(flag, name, names)}`;
    assert.deepEqual(missOf(reason), {
      flag,
      name,
      suggestion: closestName(name, names),
    }, reason);
  }
});

Deno.test("missOf gives null for reasons without a note", () => {
  for (
    const reason of [
      "",
      "not wired",
      "(--probe x: not found)",
      " (--branch x: not found)",
      " (--probe x: not found) and more",
    ]
  ) {
    assert.equal(missOf(reason), null, reason);
  }
});

Deno.test("missOf gives null for a hostile reason of repeated markers", () => {
  const reason = " (--probe " + ": not found".repeat(20000) + "x";
  assert.equal(missOf(reason), null);
});
