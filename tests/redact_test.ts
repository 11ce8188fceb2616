import assert from "node:assert/strict";
import { basicCredentials, Redactor } from "../lib/console/redact.ts";
import { parseTarget } from "../lib/targets/target.ts";

Deno.test("Redactor.redact() hides URL userinfo, auth headers, the token raw and in base64", () => {
  const r = new Redactor();
  r.add("s3cr3t-tok", "bot");
  const basic = basicCredentials("bot", "s3cr3t-tok");
  const text = [
    "fatal: unable to access 'https://bot:s3cr3t-tok@git.example.com/a.git/'",
    "ssh://git@host/x, ssh://u:pw-secret@host/z and http://only-user@host/y",
    `Authorization: Basic ${basic}`,
    "authorization: token abc.def",
    `raw s3cr3t-tok, b64 ${btoa("s3cr3t-tok")}, basic ${basic}`,
  ].join("\n");
  const out = r.redact(text);
  assert.ok(!out.includes("s3cr3t-tok"));
  assert.ok(!out.includes(basic));
  assert.ok(!out.includes(btoa("s3cr3t-tok")));
  assert.ok(!out.includes("abc.def"));
  assert.match(out, /https:\/\/\*\*\*@git\.example\.com\/a\.git/);
  assert.match(
    out,
    /ssh:\/\/git@host\/x, ssh:\/\/\*\*\*@host\/z and http:\/\/\*\*\*@host\/y/,
  );
});

Deno.test("basicCredentials() encodes UTF-8 user:password", () => {
  assert.equal(
    basicCredentials("ü", "p"),
    btoa(String.fromCharCode(0xc3, 0xbc) + ":p"),
  );
});

Deno.test("Redactor.redact() hides userinfo with quotes; a long one is hidden before a cut", () => {
  const r = new Redactor();
  const out = r.redact(
    `fatal: 'https://bot:pa"ss'w0rd@git.example.com/a.git' is odd`,
  );
  assert.ok(!out.includes('pa"ss'), out);
  assert.ok(!out.includes("w0rd"), out);
  const long = `https://bot:${"x".repeat(300)}@git.exa mple.com/a`;
  assert.throws(
    () => parseTarget(long, undefined, "/"),
    (error: Error) => !error.message.includes("xxxxxxxx"),
  );
});
