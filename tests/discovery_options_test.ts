import assert from "node:assert/strict";
import { DISCOVERY_OPTIONS } from "../lib/cli/discovery_options.ts";
import { UsageError } from "../lib/errors.ts";

const { org, match, exclude, topic, check } = DISCOVERY_OPTIONS;

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    return e.message;
  }
  assert.fail("not refused");
}

Deno.test("--org takes owner names, trimmed", () => {
  assert.deepEqual(org.value([" my-org ", "user_1", "a.b"]), [
    "my-org",
    "user_1",
    "a.b",
  ]);
  assert.deepEqual(org.value(undefined), []);
  assert.deepEqual(org.value("not-a-list"), []);
  assert.deepEqual(org.value(["a".repeat(40)]), ["a".repeat(40)]);
});

Deno.test("--org refuses hostile names, quoting at most 60 characters", () => {
  for (const bad of ["", "-org", "a/b", "a b", "a".repeat(41), "ä", "../x"]) {
    assert.match(
      refusal(() => org.value([bad])),
      /^--org ".*" is not an organisation or user name \(letters, digits, '-', '_', '\.'\)$/,
      bad,
    );
  }
  const long = "x\u001b[31m" + "y".repeat(500);
  const message = refusal(() => org.value([long]));
  assert.equal(
    message,
    `--org ${
      JSON.stringify(long.slice(0, 60))
    } is not an organisation or user name (letters, digits, '-', '_', '.')`,
  );
  assert.ok(!message.includes("\u001b"));
});

Deno.test("--match and --exclude take name globs, and refuse anything else", () => {
  assert.deepEqual(match.value(["app-*", "org/svc-?", "*"]), [
    "app-*",
    "org/svc-?",
    "*",
  ]);
  assert.deepEqual(exclude.value(["x".repeat(141)]), ["x".repeat(141)]);
  for (const bad of ["", "a b", "[ab]", "x".repeat(142), "a\nb", "{a,b}"]) {
    assert.match(
      refusal(() => match.value([bad])),
      /^--match ".*" must be a name pattern of letters/,
      bad,
    );
    assert.match(refusal(() => exclude.value([bad])), /^--exclude "/, bad);
  }
});

Deno.test("--topic is lower-cased and trimmed, at most 35 characters", () => {
  assert.deepEqual(topic.value([" Cascade ", "v1.2-x"]), ["cascade", "v1.2-x"]);
  assert.deepEqual(topic.value(["a".repeat(35)]), ["a".repeat(35)]);
  for (const bad of ["", "-x", "a_b", "a".repeat(36), "a b"]) {
    assert.match(
      refusal(() => topic.value([bad])),
      /^--topic ".*" is not a Gitea topic \(letters, digits, '-' and '\.', at most 35\)$/,
      bad,
    );
  }
});

Deno.test("--check takes a file name, and is kept out of the config", () => {
  assert.equal(check.value("repos.txt"), "repos.txt");
  assert.equal(check.value(true), undefined);
  assert.equal(check.configKey, null);
  assert.deepEqual(Object.keys(DISCOVERY_OPTIONS), [
    "org",
    "match",
    "exclude",
    "topic",
    "check",
  ]);
});
