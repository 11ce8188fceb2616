/**
 * Redact first, then cut: a hostile server that echoes the
 * `Authorization` header (and the token it carries) inside long text, at
 * every offset around cascade's cuts, never gets a piece of the token (8
 * characters or more, raw, URL-encoded or base64, alone or as Basic, at
 * any alignment) printed, logged or written to a report.
 */

import assert from "node:assert/strict";
import { secretForms } from "../lib/console/secret_forms.ts";
import { Fixture, runCascade } from "./support/fixtures.ts";
import { pktLine, startGitHttpServer } from "./support/http_server.ts";

const TOKEN = "tok_5ecre7/c0ffee+42xyz";
const USER = "cascade";

/** Every 8-character piece of every form of the token (not of `cascade:`). */
const PIECES: string[] = (() => {
  const pieces = new Set<string>();
  const prefix = btoa(`${USER}:`).replace(/=+$/, "").slice(0, -1);
  for (const form of secretForms(TOKEN, USER)) {
    for (let i = 0; i + 8 <= form.length; i++) {
      const piece = form.slice(i, i + 8);
      if (!prefix.includes(piece)) pieces.add(piece);
    }
  }
  return [...pieces];
})();

function leaked(text: string): string[] {
  return PIECES.filter((piece) => text.includes(piece));
}

/** What a run left behind: its output and its report. */
async function everything(
  run: { stdout: string; stderr: string },
  json: string,
): Promise<string> {
  const report = await Deno.readTextFile(json).catch(() => "");
  return `${run.stdout}\n${run.stderr}\n${report}`;
}

/** The text a hostile server builds around what it was sent. */
function echo(authorization: string, lead: number): string {
  const basic = authorization.replace(/^Basic /, "");
  return `${"w".repeat(lead)}${basic} raw ${TOKEN} url ${
    encodeURIComponent(TOKEN)
  } ${"z".repeat(400)}`;
}

/** Band `band` of a side-band answer, as one pkt-line. */
function band(n: number, payload: string): string {
  return pktLine(`${String.fromCharCode(n)}${payload}`);
}

async function pushAgainst(
  answer: (authorization: string) => string,
): Promise<{ text: string; stderr: string; code: number; tip: string }> {
  await using fx = await Fixture.create();
  const repo = await fx.repo("o/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
    api: (request) =>
      request.method === "POST" &&
        new URL(request.url).pathname.endsWith("/git-receive-pack")
        ? request.arrayBuffer().then(() =>
          new Response(answer(request.headers.get("authorization") ?? ""), {
            headers: {
              "content-type": "application/x-git-receive-pack-result",
            },
          })
        )
        : null,
  });
  const json = `${fx.root}/r.json`;
  const run = await runCascade([
    "push",
    "0.2",
    "--repo",
    `${server.origin}/o/a.git`,
    "--json",
    json,
    "--verbose",
  ], { CASCADE_TOKEN: TOKEN });
  return {
    text: await everything(run, json),
    stderr: run.stderr,
    code: run.code,
    tip: await fx.text(repo, "main", ".runtime-version") ?? "",
  };
}

for (const lead of [150, 170, 175, 180, 190]) {
  Deno.test(`receive-pack band-3 fatal text echoing the credentials at ${lead}: no piece of the token anywhere`, async () => {
    const got = await pushAgainst((authorization) =>
      `${band(3, `fatal: ${echo(authorization, lead)}\n`)}0000`
    );
    assert.equal(got.code, 1, got.text);
    assert.equal(got.tip, "0.1\n", "nothing landed");
    assert.match(got.text, /wwwwwwww/, "the server's words were shown");
    assert.deepEqual(leaked(got.text), []);
  });

  Deno.test(`receive-pack ng text echoing the credentials at ${lead}: no piece of the token anywhere`, async () => {
    const got = await pushAgainst((authorization) => {
      const report = `${pktLine("unpack ok\n")}${
        pktLine(`ng refs/heads/main ${echo(authorization, lead)}\n`)
      }0000`;
      return `${band(1, report)}0000`;
    });
    assert.notEqual(got.code, 0, got.text);
    assert.equal(got.tip, "0.1\n", "nothing landed");
    assert.match(got.text, /wwwwwwww/, "the server's words were shown");
    assert.deepEqual(leaked(got.text), []);
  });
}

for (const lead of [150, 165, 175, 185]) {
  Deno.test(`an API 403 message echoing the credentials at ${lead}: no piece of the token anywhere`, async () => {
    await using fx = await Fixture.create();
    await fx.repo("o/a", { ".runtime-version": "0.1\n" });
    await using server = await startGitHttpServer({
      root: `${fx.root}/srv`,
      token: TOKEN,
      api: (request) =>
        new URL(request.url).pathname.startsWith("/api/")
          ? Response.json({
            message: echo(request.headers.get("authorization") ?? "", lead),
          }, { status: 403 })
          : null,
    });
    const json = `${fx.root}/r.json`;
    const run = await runCascade([
      "push",
      "0.2",
      "--repo",
      `${server.origin}/o/a.git`,
      "--wait",
      "--json",
      json,
      "--verbose",
    ], { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin });
    const text = await everything(run, json);
    assert.notEqual(run.code, 0, text);
    assert.match(text, /wwwwwwww/, "the server's words were shown");
    assert.deepEqual(leaked(text), []);
  });
}
