import assert from "node:assert/strict";
import type { GitOutput } from "../lib/git/runner.ts";
import {
  HTTP_TRACE_ENV,
  notGitServer,
  silentOverHttp,
} from "../lib/git/not_git.ts";
import { classifyGitFailure } from "../lib/errors.ts";
import { Fixture } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";

const SECRET = "s3cr3t-t0ken-in-a-header";

/** A loopback web server that is not git: `handler` answers everything. */
function webServer(handler: (request: Request) => Response) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
}

const html = () =>
  new Response("<html>hello</html>", {
    headers: { "content-type": "text/html" },
  });
const plain = () =>
  new Response("hello", { headers: { "content-type": "text/plain" } });

/** Runs git as cascade does for a URL, from a work repo of the fixture. */
function gitAt(fx: Fixture, cwd: string) {
  return {
    /** `ls-remote --symref URL HEAD` on protocol v0, as cascade reads. */
    lsRemote: (url: string, env: Record<string, string> = {}) =>
      fx.git([
        "-c",
        "protocol.version=0",
        "-c",
        `http.extraHeader=Authorization: Basic ${btoa(`cascade:${SECRET}`)}`,
        "ls-remote",
        "--symref",
        url,
        "HEAD",
      ], { cwd, env, timeoutMs: 15_000 }),
    /** A shallow fetch by id, as cascade fetches a tip. */
    fetchTip: (url: string, id: string) =>
      fx.git([
        "fetch",
        "--no-tags",
        "--depth=1",
        "--no-recurse-submodules",
        "--filter=tree:1",
        url,
        id,
      ], { cwd, timeoutMs: 15_000 }),
    /** A push of main, as cascade pushes. */
    push: (url: string) =>
      fx.git([
        "push",
        "--porcelain",
        "--no-thin",
        "--no-verify",
        url,
        "refs/heads/main:refs/heads/main",
      ], { cwd, timeoutMs: 15_000 }),
  };
}

function outcome(out: GitOutput) {
  return { code: out.code, stdout: out.stdout, stderr: out.stderr };
}

const REMEDY = "check that the URL is the repository's clone URL";

for (
  const [type, handler] of [["text/html", html], ["text/plain", plain]] as const
) {
  Deno.test(`real git against a web server answering 200 ${type}: what it prints, and the message`, async () => {
    await using fx = await Fixture.create();
    const work = await fx.repo("local/work", { ".runtime-version": "0.1.7\n" });
    const tip = await fx.tip(work) ?? "";
    await using server = webServer(handler);
    const url = `http://127.0.0.1:${server.addr.port}/templates/python.git`;
    const git = gitAt(fx, work);

    // ls-remote says nothing and succeeds, as for an empty repo.
    const listed = await git.lsRemote(url);
    assert.deepEqual(outcome(listed), { code: 0, stdout: "", stderr: "" });
    assert.equal(notGitServer(listed.stderr, url), null);
    assert.equal(silentOverHttp(url, listed.code, listed.stdout), true);

    // A traced re-run shows the answer, with the credentials redacted.
    const traced = await git.lsRemote(url, HTTP_TRACE_ENV);
    assert.equal(traced.code, 0);
    assert.ok(!traced.stderr.includes(btoa(`cascade:${SECRET}`)));
    assert.match(
      traced.stderr,
      /=> Send header: Authorization: Basic <redacted>\n/,
    );
    // The trace's answer is read: a 200 of that type.
    assert.equal(
      notGitServer(traced.stderr, url),
      `${url} is not a git server (it answered 200 ${type}); ${REMEDY}`,
    );

    // A shallow fetch and a push fail, in dumb-protocol words.
    const fetched = await git.fetchTip(url, tip);
    assert.deepEqual(outcome(fetched), {
      code: 128,
      stdout: "",
      stderr:
        "fatal: dumb http transport does not support shallow capabilities\n",
    });
    const pushed = await git.push(url);
    assert.deepEqual(outcome(pushed), {
      code: 1,
      stdout: "",
      stderr: `${type === "text/plain" ? "XML error: syntax error\n" : ""}` +
        `error: no DAV locking support on ${url}/\n` +
        "fatal: git-http-push failed\n" +
        `error: failed to push some refs to '${url}'\n`,
    });
    for (const out of [fetched, pushed]) {
      assert.equal(
        notGitServer(out.stderr, url),
        `${url} is not a git server (it answered without git's smart HTTP protocol); ${REMEDY}`,
      );
    }

    // An in-process read sees the same answer.
    const response = await fetch(`${url}/info/refs?service=git-upload-pack`);
    await response.body?.cancel();
    assert.equal(
      notGitServer({
        status: response.status,
        contentType: response.headers.get("content-type"),
      }, url),
      `${url} is not a git server (it answered 200 ${type}); ${REMEDY}`,
    );
  });
}

Deno.test("real git against a login redirect and a body that is not git", async () => {
  await using fx = await Fixture.create();
  await using login = webServer((request) =>
    new URL(request.url).pathname === "/login"
      ? html()
      : Response.redirect(new URL("/login?next=x", request.url).href, 302)
  );
  await using fake = webServer(() =>
    new Response("<html>hello</html>", {
      headers: {
        "content-type": "application/x-git-upload-pack-advertisement",
      },
    })
  );
  const git = gitAt(fx, fx.root);

  const redirectUrl = `http://127.0.0.1:${login.addr.port}/o/r.git`;
  const redirected = await git.lsRemote(redirectUrl);
  // cascade's git never follows a redirect (http.followRedirects=false):
  // git names the status, the classifier calls it moved, and cascade
  // resolves it itself (within the origin only).
  assert.deepEqual(outcome(redirected), {
    code: 128,
    stdout: "",
    stderr:
      `fatal: unable to access '${redirectUrl}/': The requested URL returned error: 302\n`,
  });
  assert.equal(
    classifyGitFailure(redirected),
    "moved",
  );
  assert.equal(notGitServer(redirected.stderr, redirectUrl), null);

  const fakeUrl = `http://127.0.0.1:${fake.addr.port}/o/r.git`;
  const garbled = await git.lsRemote(fakeUrl);
  assert.deepEqual(outcome(garbled), {
    code: 128,
    stdout: "",
    stderr: "fatal: protocol error: bad line length character: <htm\n",
  });
  assert.equal(
    notGitServer(garbled.stderr, fakeUrl),
    `${fakeUrl} is not a git server (it answered with a body that is not git's protocol); ${REMEDY}`,
  );
});

Deno.test("a real smart HTTP git server is a git server, empty repos included", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/empty", null);
  await fx.repo("org/full", { f: "1\n" });
  await using server = await startGitHttpServer({ root: `${fx.root}/srv` });
  const git = gitAt(fx, fx.root);

  const emptyUrl = `${server.origin}/org/empty.git`;
  const empty = await git.lsRemote(emptyUrl);
  assert.deepEqual(outcome(empty), { code: 0, stdout: "", stderr: "" });
  assert.equal(silentOverHttp(emptyUrl, empty.code, empty.stdout), true);
  const traced = await git.lsRemote(emptyUrl, HTTP_TRACE_ENV);
  // The trace's answer is read: a 200 of git's type (the same trace with
  // another type would be a web server).
  assert.equal(notGitServer(traced.stderr, emptyUrl), null);
  assert.equal(
    notGitServer(
      traced.stderr.replaceAll(
        "application/x-git-upload-pack-advertisement",
        "text/html",
      ),
      emptyUrl,
    ),
    `${emptyUrl} is not a git server (it answered 200 text/html); ${REMEDY}`,
  );

  const fullUrl = `${server.origin}/org/full.git`;
  const full = await git.lsRemote(fullUrl);
  assert.equal(full.code, 0);
  assert.match(
    full.stdout,
    /^ref: refs\/heads\/main\tHEAD\n[0-9a-f]{40}\tHEAD\n$/,
  );
  assert.equal(silentOverHttp(fullUrl, full.code, full.stdout), false);

  const missingUrl = `${server.origin}/org/missing.git`;
  const missing = await git.lsRemote(missingUrl);
  assert.deepEqual(outcome(missing), {
    code: 128,
    stdout: "",
    stderr: "remote: Repository not found\n" +
      `fatal: repository '${missingUrl}/' not found\n`,
  });
  assert.equal(notGitServer(missing.stderr, missingUrl), null);
});

Deno.test("notGitServer() reads a trace past redirects and proxy CONNECTs", () => {
  const trace = [
    "== Info: Connected to proxy (10.0.0.1) port 3128 (#0)",
    "=> Send header: CONNECT git.example.com:443 HTTP/1.1",
    "<= Recv header: HTTP/1.1 200 Connection established",
    "<= Recv header: ",
    "=> Send header: GET /a/b.git/info/refs?service=git-upload-pack HTTP/1.1",
    "<= Recv header: HTTP/1.1 302 Found",
    "<= Recv header: Location: /user/login",
    "<= Recv header: ",
    "=> Send header: GET /user/login HTTP/1.1",
    "<= Recv header: HTTP/2 200",
    "<= Recv header: Content-Type: text/html; charset=utf-8",
    "<= Recv header: ",
  ].map((l) => `11:08:26.584448 http.c:684              ${l}`).join("\n");
  assert.equal(
    notGitServer(trace, "https://bot:pw@git.example.com/a/b.git?x=1"),
    `https://git.example.com/a/b.git is not a git server (it answered 200 text/html); ${REMEDY}`,
  );
  assert.equal(
    notGitServer("fatal: something else\n", "https://git.example.com/a.git"),
    null,
  );
});

Deno.test("notGitServer() with an in-process answer: only a 200 that is not git", () => {
  const url = "https://git.example.com/a/b.git";
  const cases: [number, string | null, string | null][] = [
    [
      200,
      "text/html",
      `${url} is not a git server (it answered 200 text/html); ${REMEDY}`,
    ],
    [
      200,
      "Text/Plain; charset=UTF-8",
      `${url} is not a git server (it answered 200 text/plain); ${REMEDY}`,
    ],
    [
      200,
      null,
      `${url} is not a git server (it answered 200 without a content type); ${REMEDY}`,
    ],
    [200, "application/x-git-upload-pack-advertisement", null],
    [200, "application/x-git-receive-pack-advertisement", null],
    [404, "text/html", null],
    [401, "text/html", null],
    [502, "text/html", null],
  ];
  for (const [status, contentType, message] of cases) {
    assert.equal(
      notGitServer({ status, contentType }, url),
      message,
      `${status} ${contentType}`,
    );
  }
});

Deno.test("notGitServer() reads git's other dumb-protocol words, nothing else", () => {
  const url = "http://h/a.git";
  const dumb =
    `${url} is not a git server (it answered without git's smart HTTP protocol); ${REMEDY}`;
  assert.equal(
    notGitServer(
      "fatal: http://h/a.git/info/refs not valid: is this a git repository?\n",
      url,
    ),
    dumb,
  );
  assert.equal(
    notGitServer(
      "fatal: http://h/a.git/info/refs not found: did you run git update-server-info on the server?\n",
      url,
    ),
    dumb,
  );
  for (
    const stderr of [
      "fatal: repository 'http://h/a.git/' not found\n",
      "fatal: couldn't find remote ref refs/heads/main\n",
      "fatal: Authentication failed for 'http://h/a.git/'\n",
      "",
    ]
  ) {
    assert.equal(notGitServer(stderr, url), null, stderr);
  }
  // Over ssh, a bad pkt-line is a noisy shell profile, not a web server.
  assert.equal(
    notGitServer(
      "fatal: protocol error: bad line length character: Welc\n",
      "ssh://h/a.git",
    ),
    null,
  );
  assert.equal(silentOverHttp("ssh://h/a.git", 0, ""), false);
  assert.equal(silentOverHttp(url, 128, ""), false);
});
