/**
 * A usage error that quotes a bad value never shows the token, nor a piece
 * of it: the token (from the environment, `--token-env` on the command line
 * or in the config) is registered with the redactor before any value is
 * checked, and the value is redacted, fragments included, before it is cut.
 */

import assert from "node:assert/strict";
import { Fixture, runCascade } from "./support/fixtures.ts";
import { MIN_FRAGMENT, shownValue } from "../lib/console/secret_forms.ts";

const TOKEN = "usage-Tk9q2Vb7Xr4Lm8Np3Zs6Wd1Jf5";
/** A 12-character piece of the token, away from both ends. */
const PIECE = TOKEN.slice(9, 21);

/** Every piece of the token of MIN_FRAGMENT characters found in `text`. */
function piecesIn(text: string, token = TOKEN): string[] {
  const found: string[] = [];
  for (let i = 0; i + MIN_FRAGMENT <= token.length; i++) {
    const piece = token.slice(i, i + MIN_FRAGMENT);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

/** Bad values for flags whose usage errors quote the value. */
const BAD: [string, string][] = [
  ["--timeout", `${PIECE}-${TOKEN}`],
  ["--wait-timeout", `${TOKEN}s`],
  ["--token-origin", `https://h/${PIECE}/${TOKEN}`],
  ["--concurrency", `${PIECE}${TOKEN}`],
  ["--input", `=${PIECE}=${TOKEN}`],
  ["--trigger", `x${PIECE}`],
  ["--api-url", `ftp://${TOKEN}`],
];

for (const [flag, value] of BAD) {
  Deno.test(`usage error for ${flag} with the token in its value: exit 2, no piece of the token printed`, async () => {
    const run = await runCascade(
      ["push", "0.2", "--repo", "org/a", flag, value],
      { CASCADE_TOKEN: TOKEN },
    );
    assert.equal(run.code, 2, run.stdout + run.stderr);
    const printed = run.stdout + run.stderr;
    assert.match(printed, new RegExp(`^cascade: .*${flag}`, "m"));
    assert.match(printed, /\*\*\*/);
    assert.deepEqual(piecesIn(printed), [], printed);
  });
}

Deno.test("usage error: a switch given a value holding the token shows no piece of it", async () => {
  const run = await runCascade(
    ["push", "0.2", "--repo", "org/a", `--wait=${PIECE}${TOKEN}`],
    { CASCADE_TOKEN: TOKEN },
  );
  assert.equal(run.code, 2, run.stdout + run.stderr);
  const printed = run.stdout + run.stderr;
  assert.match(
    printed,
    /--wait is on or off and takes no value \(--wait=\*\*\*/,
  );
  assert.deepEqual(piecesIn(printed), [], printed);
});

Deno.test("usage error: the token named by --token-env (command line or config) is redacted too", async () => {
  await using fx = await Fixture.create();
  const other = "other-Qw3Er5Ty7Ui9Op1As2Df4Gh6";
  const env = { MY_BOT_TOKEN: other };
  const byFlag = await runCascade(
    [
      "push",
      "0.2",
      "--repo",
      "org/a",
      "--token-env",
      "MY_BOT_TOKEN",
      "--timeout",
      `${other.slice(3, 15)}${other}`,
    ],
    env,
  );
  assert.equal(byFlag.code, 2, byFlag.stdout + byFlag.stderr);
  assert.match(byFlag.stderr, /--timeout must be a duration/);
  assert.deepEqual(piecesIn(byFlag.stdout + byFlag.stderr, other), []);
  const config = `${fx.root}/cascade.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ tokenEnv: "MY_BOT_TOKEN" }),
  );
  const byConfig = await runCascade(
    [
      "push",
      "0.2",
      "--config",
      config,
      "--repo",
      "org/a",
      "--wait-timeout",
      `${other}${other.slice(2, 14)}`,
    ],
    env,
  );
  assert.equal(byConfig.code, 2, byConfig.stdout + byConfig.stderr);
  assert.match(byConfig.stderr, /--wait-timeout must be a duration/);
  assert.deepEqual(piecesIn(byConfig.stdout + byConfig.stderr, other), []);
});

Deno.test("shownValue() keeps a value without a secret as it was, cut", () => {
  assert.equal(shownValue("90 minutes", 20), "90 minutes");
  assert.equal(shownValue("x".repeat(30), 20), "x".repeat(20));
  // A piece of a secret the redactor was never given stays: only known
  // secrets are redacted.
  assert.equal(shownValue("unknown-0123456789", 40), "unknown-0123456789");
});
