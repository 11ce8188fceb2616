/**
 * Where a repository's URL redirects (`lib/git/redirect.ts`), asked of a
 * real server on loopback: what it was sent, and what cascade makes of
 * the answer.
 */

import assert from "node:assert/strict";
import { redirectTarget } from "../lib/git/redirect.ts";

async function withServer(
  answer: (request: Request) => Response,
  body: (base: string, seen: string[]) => Promise<void>,
): Promise<void> {
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      seen.push(`${request.method} ${url.pathname}${url.search}`);
      return answer(request);
    },
  );
  try {
    await body(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("redirect: one GET of info/refs, credentials and query dropped from where it points", async () => {
  await withServer(
    () =>
      new Response(null, {
        status: 301,
        headers: {
          location:
            "http://u:p@127.0.0.1:1/org/new.git/info/refs?service=git-upload-pack",
        },
      }),
    async (base, seen) => {
      const check = await redirectTarget(`${base}/org/old.git/`, 5000);
      assert.deepEqual(check, {
        kind: "moved",
        url: "http://127.0.0.1:1/org/new.git",
      });
      assert.deepEqual(seen, [
        "GET /org/old.git/info/refs?service=git-upload-pack",
      ]);
    },
  );
});

Deno.test("redirect: no redirect, or one to another scheme, is unknown with why", async () => {
  await withServer(
    () => new Response("nope", { status: 404 }),
    async (base) => {
      const host = new URL(base).host;
      assert.deepEqual(await redirectTarget(`${base}/org/a.git`, 5000), {
        kind: "unknown",
        why: `${host} answered 404 without a redirect`,
      });
    },
  );
  await withServer(
    () =>
      new Response(null, {
        status: 302,
        headers: { location: "ftp://elsewhere/x" },
      }),
    async (base) => {
      const host = new URL(base).host;
      assert.deepEqual(await redirectTarget(`${base}/org/a.git`, 5000), {
        kind: "unknown",
        why: `${host} redirected to ftp:`,
      });
    },
  );
});
