/** The converters from raw option values (`lib/cli/flag_values.ts`). */

import assert from "node:assert/strict";
import {
  asList,
  asText,
  authUser,
  checkBranch,
  duration,
  originOf,
  parsePerson,
  positiveInt,
} from "../lib/cli/flag_values.ts";
import { UsageError } from "../lib/errors.ts";

const usage = (re: RegExp) => (e: unknown) =>
  e instanceof UsageError && e.exitCode === 2 && re.test(e.message);

Deno.test("flag values: raw values as lists, text and durations", () => {
  assert.deepEqual(asList(["a", "b"]), ["a", "b"]);
  assert.deepEqual(asList("a"), []);
  assert.deepEqual(asList(undefined), []);
  assert.equal(asText("x"), "x");
  assert.equal(asText(true), undefined);
  assert.equal(duration("--poll", undefined, "5s"), 5000);
  assert.equal(duration("--poll", "250ms", "5s"), 250);
});

Deno.test("flag values: origins, integers, people, users and branches", () => {
  assert.equal(originOf("https://git.test:3000/"), "https://git.test:3000");
  for (const bad of ["https://u:p@git.test", "https://git.test/x", "ftp://h"]) {
    assert.throws(
      () => originOf(bad),
      usage(/^--token-origin .* must be an origin/),
    );
  }
  assert.equal(positiveInt("--concurrency", undefined, 4, 64), 4);
  assert.equal(positiveInt("--concurrency", "12", 4, 64), 12);
  assert.throws(
    () => positiveInt("--concurrency", "65", 4, 64),
    usage(/^--concurrency must be a whole number from 1 to 64, not "65"$/),
  );
  assert.deepEqual(parsePerson("--author", " Bot  <bot@x.test> "), {
    name: "Bot",
    email: "bot@x.test",
  });
  assert.throws(
    () => parsePerson("--author", "bot@x.test"),
    usage(/^--author must look like/),
  );
  assert.equal(authUser("ci-bot"), "ci-bot");
  assert.throws(() => authUser("a:b"), usage(/^--auth-user must be a name/));
  assert.equal(checkBranch("release/1.x"), "release/1.x");
  assert.equal(checkBranch(undefined), undefined);
  for (const bad of ["a/.b", "a.lock/b", "HEAD"]) {
    assert.throws(() => checkBranch(bad), usage(/is not a valid branch name/));
  }
});
