/**
 * The forge transport (`lib/forge/transport.ts`) with a fake fetch, sleep
 * and clock: what each request carried, retries and their waits, the
 * token only to allowed origins, same-origin redirects followed.
 */

import assert from "node:assert/strict";
import { Transport, type TransportOptions } from "../lib/forge/transport.ts";
import { ForgeError } from "../lib/forge/forge_error.ts";

interface Sent {
  url: string;
  method: string;
  authorization: string | null;
}

function fakeServer(answers: (() => Response)[]) {
  const sent: Sent[] = [];
  const slept: number[] = [];
  const options: TransportOptions = {
    authorization: "token s3cr3t",
    allowedOrigins: new Set(["https://git.test"]),
    timeoutMs: 60_000,
    retry: { attempts: 3, baseMs: 100, maxMs: 1000, random: () => 0.5 },
    fetch: (input, init) => {
      const request = new Request(input, init);
      sent.push({
        url: request.url,
        method: request.method,
        authorization: request.headers.get("authorization"),
      });
      const next = answers.shift();
      if (next === undefined) throw new TypeError("no more answers");
      return Promise.resolve(next());
    },
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve(true);
    },
    now: () => 1_000_000,
  };
  return { options, sent, slept };
}

const json = (status: number, body: unknown, headers: HeadersInit = {}) => () =>
  new Response(JSON.stringify(body), { status, headers });

Deno.test("transport: a GET is retried after 503, with backoff, and the token goes to its origin", async () => {
  const { options, sent, slept } = fakeServer([
    json(503, { message: "busy" }),
    json(200, { ok: true }),
  ]);
  const answer = await new Transport(options).request(
    "GET",
    new URL("https://git.test/api/v1/version"),
    null,
  );
  assert.equal(answer.status, 200);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(answer.bytes)), {
    ok: true,
  });
  assert.deepEqual(sent, [
    {
      url: "https://git.test/api/v1/version",
      method: "GET",
      authorization: "token s3cr3t",
    },
    {
      url: "https://git.test/api/v1/version",
      method: "GET",
      authorization: "token s3cr3t",
    },
  ]);
  assert.equal(slept.length, 1);
  assert.ok((slept[0] as number) >= 50 && (slept[0] as number) <= 100);
});

Deno.test("transport: a POST is not retried on 5xx; the error says what and what to do", async () => {
  const { options, sent } = fakeServer([json(502, { message: "bad gw" })]);
  const error = await new Transport(options).request(
    "POST",
    new URL("https://git.test/api/v1/x"),
    "{}",
  ).catch((e) => e);
  assert.ok(error instanceof ForgeError);
  assert.equal(error.kind, "network");
  assert.equal(error.status, 502);
  assert.match(error.answer, /^POST \/api\/v1\/x on git\.test answered 502/);
  assert.equal(sent.length, 1);
});

Deno.test("transport: no token to an origin that is not allowed; same-origin redirects are followed", async () => {
  const other = fakeServer([json(200, {})]);
  await new Transport(other.options).request(
    "GET",
    new URL("https://elsewhere.test/api/v1/version"),
    null,
  );
  assert.equal(other.sent[0]?.authorization, null);
  const moved = fakeServer([
    () =>
      new Response(null, {
        status: 301,
        headers: { location: "https://git.test/api/v1/repos/org/new" },
      }),
    json(200, {}),
  ]);
  const answer = await new Transport(moved.options).request(
    "GET",
    new URL("https://git.test/api/v1/repos/org/old"),
    null,
  );
  assert.deepEqual(moved.sent.map((s) => s.url), [
    "https://git.test/api/v1/repos/org/old",
    "https://git.test/api/v1/repos/org/new",
  ]);
  assert.equal(answer.movedTo, "https://git.test/api/v1/repos/org/new");
});
