import assert from "node:assert/strict";
import { refuseSecretInValues } from "../lib/cli/secret_values.ts";
import { UsageError } from "../lib/errors.ts";
import type { Raw } from "../lib/cli/options.ts";

const TOKEN = "tok_0123456789abcdef/+=xyz";

/** The shortest piece of the token refused inside a value. */
const MIN_SECRET_PIECE = 12;

/**
 * What `refuseSecretInValues` names: the flag (`--message`) or the extra
 * pair's name whose value holds the token, or null when it lets the run go.
 */
function optionHoldingSecret(
  raw: Partial<Record<string, Raw>>,
  secret: string,
  extra: readonly (readonly [string, string])[] = [],
): string | null {
  try {
    refuseSecretInValues(raw, secret, extra);
    return null;
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    const named = / holds the token \(or a piece of it\): /.exec(error.message);
    assert.ok(named, error.message);
    return error.message.slice(0, named.index);
  }
}

Deno.test("a piece of the token in any value is found, the first option named", () => {
  const piece = TOKEN.slice(5, 5 + MIN_SECRET_PIECE);
  assert.equal(
    optionHoldingSecret({ message: `x${piece}y` }, TOKEN),
    "--message",
  );
  assert.equal(
    optionHoldingSecret(
      { author: "a <a@b>", input: ["k=v", `k2=${piece}`] },
      TOKEN,
    ),
    "--input",
  );
  // One character short of a piece is allowed.
  assert.equal(
    optionHoldingSecret(
      { message: TOKEN.slice(0, MIN_SECRET_PIECE - 1) },
      TOKEN,
    ),
    null,
  );
});

Deno.test("URL-encoded and base64 forms of the token are found", () => {
  assert.equal(
    optionHoldingSecret({ trailer: encodeURIComponent(TOKEN) }, TOKEN),
    "--trailer",
  );
  assert.equal(
    optionHoldingSecret({ message: btoa(TOKEN) }, TOKEN),
    "--message",
  );
});

Deno.test("the repo option is never read; extra pairs are", () => {
  assert.equal(
    optionHoldingSecret({ repo: `https://u:${TOKEN}@h/o/r` }, TOKEN),
    null,
  );
  assert.equal(
    optionHoldingSecret({}, TOKEN, [["CASCADE_MESSAGE (env)", TOKEN]]),
    "CASCADE_MESSAGE (env)",
  );
});

Deno.test("a short token is matched whole; one under 4 characters is not checked", () => {
  assert.equal(
    optionHoldingSecret({ message: "xx-s3cr3t-xx" }, "s3cr3t"),
    "--message",
  );
  assert.equal(optionHoldingSecret({ message: "abc" }, "abc"), null);
  // Non-string values (booleans, numbers) are not values that get pushed.
  assert.equal(
    optionHoldingSecret({ dryRun: true, attempts: 3 } as never, "1234"),
    null,
  );
});

Deno.test("refuseSecretInValues names the flag, never the value", () => {
  assert.throws(
    () => refuseSecretInValues({ ciContext: `ci/${TOKEN}` }, TOKEN),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^--ci-context holds the token/);
      assert.ok(!e.message.includes(TOKEN.slice(0, 8)));
      return true;
    },
  );
  assert.throws(
    () => refuseSecretInValues({}, TOKEN, [["the config's message", TOKEN]]),
    /^UsageError: the config's message holds the token/,
  );
  refuseSecretInValues({ message: "bump {version}" }, TOKEN);
});
