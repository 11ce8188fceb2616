import assert from "node:assert/strict";
import { VERSION } from "../lib/tool_version.ts";
import { InterruptedError, TemplateError } from "../lib/errors.ts";
import { BASE_GIT_CONFIG, configEnv } from "../lib/git/runner.ts";
import {
  type HttpRun,
  newHttpRun,
  readHttpRefs,
} from "../lib/git/_http_refs.ts";

/** The most an answer may hold (4 MiB), as `_http_refs.ts` documents it. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
import { Transport } from "../lib/git/transport.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import {
  parseAdvertisement,
  parseLsRefs,
  parsePktLines,
} from "../lib/git/pkt_line.ts";
import { forLog } from "../lib/console/neutralise.ts";
import type { RemoteHead } from "../lib/git/refs.ts";
import { parseTarget, type Target } from "../lib/targets/target.ts";
import { basicCredentials } from "../lib/console/redact.ts";
import { readCapped } from "../lib/read_capped.ts";
import { Fixture } from "./support/fixtures.ts";
import {
  ADVERTISEMENT,
  crafted,
  type HostileServer,
  notFound,
  RESULT,
  startHostileServer,
  v0Answer,
  v2Answer,
} from "./support/hostile_server.ts";
import { pktLine as pkt, startGitHttpServer } from "./support/http_server.ts";

const TOKEN = "refs-t0ken";
const AUTH = `Basic ${basicCredentials("cascade", TOKEN)}`;
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
const CAPS = "multi_ack thin-pack side-band-64k ofs-delta agent=git/2.39.5";

/** A v0 advertisement body: the service line, a flush, the refs, a flush. */
function advertisement(lines: string[], service = true): Uint8Array {
  const head = service ? `${pkt("# service=git-upload-pack\n")}0000` : "";
  return new TextEncoder().encode(
    `${head}${lines.map((l) => pkt(`${l}\n`)).join("")}0000`,
  );
}

function plain(head: RemoteHead | null) {
  return head === null ? null : {
    defaultBranch: head.defaultBranch,
    tips: Object.fromEntries(head.tips),
  };
}

/** `git ls-remote --symref` output as cascade reads it. */
function plainGit(stdout: string) {
  const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(stdout)?.[1] ?? null;
  const tips = Object.fromEntries(
    [...stdout.matchAll(/^([0-9a-f]{40})\trefs\/heads\/(\S+)$/gm)].map((
      m,
    ) => [m[2], m[1]]),
  );
  const headTip = /^([0-9a-f]{40})\tHEAD$/m.exec(stdout)?.[1];
  if (symref !== null && headTip !== undefined) tips[symref] = headTip;
  return { defaultBranch: symref, tips };
}

Deno.test("parseAdvertisement() reads HEAD's branch and every branch tip, with or without the service line", () => {
  const lines = [
    `${A} HEAD\0${CAPS} symref=HEAD:refs/heads/trunk`,
    `${B} refs/heads/feature`,
    `${A} refs/heads/trunk`,
    `${C} refs/tags/v1`,
    `${B} refs/tags/v1^{}`,
  ];
  const expected = {
    defaultBranch: "trunk",
    tips: { feature: B, trunk: A },
  };
  assert.deepEqual(plain(parseAdvertisement(advertisement(lines))), expected);
  assert.deepEqual(
    plain(parseAdvertisement(advertisement(lines, false))),
    expected,
  );
});

Deno.test("parseAdvertisement() matches git ls-remote on detached, empty, sha256 and shallow repos", () => {
  // Detached HEAD: no symref, so no default branch.
  assert.deepEqual(
    plain(
      parseAdvertisement(
        advertisement([`${A} HEAD\0${CAPS}`, `${B} refs/heads/main`]),
      ),
    ),
    { defaultBranch: null, tips: { main: B } },
  );
  // Empty repo: only the capabilities line; a symref without a HEAD line is
  // not reported, as git ls-remote --symref prints nothing.
  assert.deepEqual(
    plain(
      parseAdvertisement(
        advertisement([
          `${
            "0".repeat(40)
          } capabilities^{}\0${CAPS} symref=HEAD:refs/heads/main`,
        ]),
      ),
    ),
    { defaultBranch: null, tips: {} },
  );
  const sha256 = "e".repeat(64);
  assert.deepEqual(
    plain(
      parseAdvertisement(
        advertisement([
          `${sha256} HEAD\0object-format=sha256 symref=HEAD:refs/heads/main`,
          `${sha256} refs/heads/main`,
        ]),
      ),
    ),
    { defaultBranch: "main", tips: { main: sha256 } },
  );
  assert.deepEqual(
    plain(
      parseAdvertisement(
        advertisement([
          `${A} HEAD\0${CAPS} symref=HEAD:refs/heads/main`,
          `${A} refs/heads/main`,
          `shallow ${B}`,
        ]),
      ),
    ),
    { defaultBranch: "main", tips: { main: A } },
  );
});

Deno.test("parseAdvertisement() returns null for anything that is not a v0 advertisement", () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const good = `${pkt(`${A} HEAD\0${CAPS}\n`)}0000`;
  const cases: [string, Uint8Array][] = [
    ["empty body", enc("")],
    ["html", enc("<html><body>Sign in</body></html>")],
    ["no flush at the end", enc(pkt(`${A} HEAD\0${CAPS}\n`))],
    ["truncated pkt-line", enc(good.slice(0, 30))],
    ["length below 4", enc(`0003${good}`)],
    ["bad hex length", enc(`zz12${good}`)],
    ["no capabilities", enc(`${pkt(`${A} HEAD\n`)}0000`)],
    ["short object id", enc(`${pkt(`abc HEAD\0${CAPS}\n`)}0000`)],
    [
      "another service",
      enc(`${pkt("# service=git-receive-pack\n")}0000${good}`),
    ],
    ["protocol v2", enc(`${pkt("version 2\n")}${pkt("ls-refs\n")}0000`)],
    ["two lists", enc(`${good}${good}`)],
  ];
  for (const [name, bytes] of cases) {
    assert.equal(parseAdvertisement(bytes), null, name);
  }
});

Deno.test("readHttpRefs() agrees with git ls-remote --symref on real repos, in one v2 request to git's own upload-pack", async () => {
  await using fx = await Fixture.create();
  const main = await fx.repo("org/main", { f: "1\n" });
  const trunk = await fx.repo("org/trunk", { f: "1\n" }, "trunk");
  await fx.commit(trunk, { branch: "side", files: { g: "2\n" } });
  // Branches that share a prefix with the one asked for are not reported.
  await fx.commit(trunk, { branch: "side2", files: { g: "3\n" } });
  const detached = await fx.repo("org/detached", { f: "1\n" });
  const tip = await fx.tip(detached);
  await Deno.writeTextFile(`${detached}/HEAD`, `${tip}\n`);
  await fx.repo("org/empty", null);
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const auth: [string, string][] = [[
    `http.${server.origin}/.extraHeader`,
    `Authorization: ${AUTH}`,
  ]];
  const run = newHttpRun();
  const gitOnly = run.gitOnly;
  for (const name of ["main", "trunk", "detached", "empty"]) {
    for (const branch of [undefined, "side", "main"]) {
      const url = `${server.origin}/org/${name}.git`;
      const what = `${name} ${branch}`;
      const before = server.requests.length;
      const read = await readHttpRefs(
        { url, authorization: AUTH, run },
        5000,
        undefined,
        branch,
      );
      assert.ok(read.ok, what);
      assert.deepEqual(server.requests.slice(before), [{
        method: "POST",
        path: `/org/${name}.git/git-upload-pack`,
        authorization: AUTH,
      }], `${what}: one POST, with the credentials`);
      // What git prints for the same refs, parsed the same way cascade does.
      const patterns = branch === undefined
        ? ["HEAD"]
        : ["HEAD", `refs/heads/${branch}`];
      const out = await fx.git(["ls-remote", "--symref", url, ...patterns], {
        env: configEnv([...BASE_GIT_CONFIG, ...auth]),
      });
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(plain(read.head), plainGit(out.stdout), what);
    }
  }
  assert.equal(gitOnly.size, 0);
  const read = await readHttpRefs({
    url: `${server.origin}/org/main.git`,
    authorization: AUTH,
    run,
  }, 5000);
  assert.equal(read.ok && read.head.tips.get("main"), await fx.tip(main));
});

Deno.test("parseAdvertisement() agrees with git ls-remote --symref on git's own v0 advertisement", async () => {
  await using fx = await Fixture.create();
  const trunk = await fx.repo("org/trunk", { f: "1\n" }, "trunk");
  await fx.commit(trunk, { branch: "side", files: { g: "2\n" } });
  await using server = await startGitHttpServer({ root: `${fx.root}/srv` });
  const url = `${server.origin}/org/trunk.git`;
  const response = await fetch(`${url}/info/refs?service=git-upload-pack`);
  const head = parseAdvertisement(new Uint8Array(await response.arrayBuffer()));
  const out = await fx.git(["ls-remote", "--symref", url], {
    env: configEnv(BASE_GIT_CONFIG),
  });
  assert.equal(out.code, 0, out.stderr);
  const expected = plainGit(out.stdout);
  assert.deepEqual(plain(head), expected);
  assert.deepEqual(Object.keys(expected.tips).sort(), ["side", "trunk"]);
});

Deno.test("readHttpRefs() leaves to git what git must answer: 401, 404, redirects, dumb servers", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { f: "1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const read = (url: string, authorization: string | null) =>
    readHttpRefs({ url, authorization, run: newHttpRun() }, 5000);
  assert.deepEqual(await read(`${server.origin}/org/a.git`, null), {
    ok: false,
    reason: "use-git",
  });
  assert.deepEqual(await read(`${server.origin}/org/missing.git`, AUTH), {
    ok: false,
    reason: "use-git",
  });

  // A redirect is not followed (git decides, and the header must not
  // travel), and a 200 that is not a smart advertisement is not parsed.
  const seen: string[] = [];
  await using other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push(new URL(request.url).pathname);
      return new URL(request.url).pathname.startsWith("/moved")
        ? Response.redirect(`${server.origin}/org/a.git/info/refs`, 301)
        : new Response(`${"0".repeat(40)} refs/heads/main\n`, {
          headers: { "Content-Type": "text/plain" },
        });
    },
  );
  const origin = `http://127.0.0.1:${other.addr.port}`;
  const run = newHttpRun();
  const gitOnly = run.gitOnly;
  for (const path of ["/moved/a.git", "/dumb/a.git"]) {
    assert.deepEqual(
      await readHttpRefs(
        { url: `${origin}${path}`, authorization: AUTH, run },
        5000,
      ),
      { ok: false, reason: "use-git" },
      path,
    );
  }
  // Each read tries v2 first: a redirect says nothing about the protocol.
  assert.deepEqual(seen.splice(0), [
    "/moved/a.git/git-upload-pack",
    "/moved/a.git/info/refs",
    "/dumb/a.git/git-upload-pack",
    "/dumb/a.git/info/refs",
  ]);
  // The plain-text 200 to the v2 POST showed a server without v2: the next
  // read of that origin goes straight to v0.
  assert.deepEqual(
    await readHttpRefs(
      { url: `${origin}/dumb/b.git`, authorization: AUTH, run },
      5000,
    ),
    { ok: false, reason: "use-git" },
  );
  assert.deepEqual(seen, ["/dumb/b.git/info/refs"]);
  assert.equal(gitOnly.size, 0, "an HTTP answer is not a transport failure");
});

Deno.test("readHttpRefs() sends a refused origin to git for the rest of the run", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const run = newHttpRun();
  const gitOnly = run.gitOnly;
  const refs = {
    url: `http://127.0.0.1:${port}/org/a.git`,
    authorization: AUTH,
    run,
  };
  assert.deepEqual(await readHttpRefs(refs, 5000), {
    ok: false,
    reason: "use-git",
  });
  assert.deepEqual([...gitOnly], [`http://127.0.0.1:${port}`]);
});

Deno.test("readHttpRefs() times out after timeoutMs and throws InterruptedError on abort", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/hung", { f: "1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  server.hang("/org/hung.git");
  const refs = {
    url: `${server.origin}/org/hung.git`,
    authorization: AUTH,
    run: newHttpRun(),
  };
  // A genuine stall: the 300 ms timer ends it, the outcome says so.
  assert.deepEqual(await readHttpRefs(refs, 300), {
    ok: false,
    reason: "timeout",
  });
  assert.equal(refs.run.gitOnly.size, 0);

  // The interrupt comes while the server holds the request; without it
  // the read would end as a timeout, not an InterruptedError.
  const controller = new AbortController();
  const asked = server.requests.length;
  const read = readHttpRefs(refs, 60_000, controller.signal);
  await waitFor(() => server.requests.length > asked, "the request arrived");
  controller.abort();
  await assert.rejects(read, InterruptedError);
});

Deno.test("Transport.for() reads in-process only http(s) targets with net permission and git's own proxy and TLS settings unset", () => {
  const none = () => undefined;
  const net = (host: string) => host === "127.0.0.1:9";
  const httpRefsFor = (
    target: Target,
    authorization: string | null,
    env: (name: string) => string | undefined,
  ) =>
    new Transport("auto", { env, netAllowed: net }).for(target, authorization);
  const only = (name: string) => (n: string) => (n === name ? "x" : undefined);
  const http = parseTarget("http://127.0.0.1:9/org/a.git", undefined, "/");
  const https = parseTarget("https://127.0.0.1:9/org/a.git", undefined, "/");
  const ssh = parseTarget("ssh://git@127.0.0.1/org/a.git", undefined, "/");
  const file = parseTarget("/srv/a.git", undefined, "/");
  const transport = new Transport("auto", { env: none, netAllowed: net });
  assert.deepEqual(transport.for(http, AUTH), {
    url: "http://127.0.0.1:9/org/a.git",
    authorization: AUTH,
    run: transport.run,
  });
  // --transport git: every target is git's.
  assert.equal(
    new Transport("git", { env: none, netAllowed: () => true }).for(http, AUTH),
    null,
  );
  assert.equal(httpRefsFor(https, AUTH, none)?.url, https.url);
  assert.equal(httpRefsFor(ssh, null, none), null);
  assert.equal(httpRefsFor(file, null, none), null);
  for (const name of ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"]) {
    assert.equal(httpRefsFor(http, AUTH, only(name)), null, name);
    assert.equal(httpRefsFor(https, AUTH, only(name)), null, name);
  }
  // A trust store or verification setting is git's business on https only.
  for (const name of ["GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY", "SSL_CERT_FILE"]) {
    assert.equal(httpRefsFor(https, AUTH, only(name)), null, name);
    assert.ok(httpRefsFor(http, AUTH, only(name)), name);
  }
  // In a run, the net permission as the run's access reads it decides: the
  // test runner has it for 127.0.0.1 only.
  const access = ForgeAccess.fromToken(null, {
    timeout: 1,
    allowInsecureHttp: false,
  }, none);
  const netAllowed = (host: string) => access.netGranted(host);
  const elsewhere = parseTarget(
    "https://git.example.com/a.git",
    undefined,
    "/",
  );
  assert.equal(
    new Transport("auto", { env: none, netAllowed }).for(elsewhere, AUTH),
    null,
  );
  assert.ok(new Transport("auto", { env: none, netAllowed }).for(http, AUTH));
});

Deno.test("parsePktLines() takes exactly four hex digits: no sign, space or prefix, no special packet outside v2", () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const line = pkt(`${A} HEAD\n`);
  assert.deepEqual(
    parsePktLines(enc(`${line}0001${line}00000002`), true)?.map((p) => p.type),
    ["data", "delim", "data", "flush", "response-end"],
  );
  // Upper-case hex is hex.
  assert.equal(parsePktLines(enc(`000Ahello\n`), false)?.length, 1);
  const bad: [string, string, boolean][] = [
    ["plus sign", `+0a1${line}`, false],
    ["minus sign", `-001${line}`, false],
    ["minus one", "-001", true],
    ["leading space", ` 0a1${line}`, false],
    ["0x prefix", `0x1f${line}`, false],
    ["not hex", `zz12${line}`, false],
    ["length 3", `0003${line}`, true],
    ["delim in v0", `${line}0001`, false],
    ["response end in v0", `${line}0002`, false],
    ["longer than LARGE_PACKET_MAX", `fff1${"x".repeat(0xfff1)}`, false],
    ["truncated", line.slice(0, -3), false],
    ["half a length", `${line}00`, false],
  ];
  for (const [name, text, v2] of bad) {
    assert.equal(parsePktLines(enc(text), v2), null, name);
    assert.equal(parseAdvertisement(enc(text)), null, name);
    assert.equal(parseLsRefs(enc(text)), null, name);
  }
});

Deno.test("parseLsRefs() reads a v2 ls-refs answer and nothing else", () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const v2 = (lines: string[], end = "0000") =>
    enc(`${lines.map((l) => pkt(`${l}\n`)).join("")}${end}`);
  assert.deepEqual(
    plain(parseLsRefs(v2([
      `${A} HEAD symref-target:refs/heads/trunk`,
      `${A} refs/heads/trunk`,
      `${B} refs/heads/side peeled:${C}`,
    ], "00000002"))),
    { defaultBranch: "trunk", tips: { trunk: A, side: B } },
  );
  assert.deepEqual(plain(parseLsRefs(enc("0000"))), {
    defaultBranch: null,
    tips: {},
  });
  assert.deepEqual(plain(parseLsRefs(v2([`${A} HEAD`]))), {
    defaultBranch: null,
    tips: {},
  });
  for (
    const [name, bytes] of [
      ["empty", enc("")],
      ["ERR", v2(["ERR mismatched object format"])],
      ["no flush", enc(pkt(`${A} HEAD\n`))],
      ["after the flush", enc(`0000${pkt(`${A} HEAD\n`)}`)],
      ["v0 advertisement", advertisement([`${A} HEAD\0${CAPS}`])],
      ["unknown attribute", v2([`${A} refs/heads/a b`])],
      ["short id", v2([`abc HEAD`])],
      ["not UTF-8", new Uint8Array([...enc(`0030${A} refs/heads/\xff`), 0x0a])],
    ] as const
  ) {
    assert.equal(parseLsRefs(bytes), null, name);
  }
});

/** A read of `<origin>/<name>.git` with a fresh run state. */
function hostileRead(
  server: HostileServer,
  name: string,
  timeoutMs = 5000,
  signal?: AbortSignal,
  branch?: string,
  run: HttpRun = newHttpRun(),
) {
  return readHttpRefs(
    { url: `${server.origin}/${name}.git`, authorization: AUTH, run },
    timeoutMs,
    signal,
    branch,
  );
}

/** Runs `fn`, returns its result or its error. */
async function settled<T>(fn: () => Promise<T>) {
  try {
    return { value: await fn(), error: null };
  } catch (error) {
    return { value: null, error };
  }
}

Deno.test("readHttpRefs() asks a v2 server once: POST with Git-Protocol, ls-refs with ref prefixes", async () => {
  await using server = startHostileServer((r) =>
    r.service === "v2"
      ? v2Answer([
        `${A} HEAD symref-target:refs/heads/main`,
        `${B} refs/heads/rel`,
        `${C} refs/heads/rel2`,
      ])
      : notFound()
  );
  const read = await hostileRead(server, "a", 5000, undefined, "rel");
  assert.deepEqual(read.ok && plain(read.head), {
    defaultBranch: "main",
    tips: { main: A, rel: B },
  });
  assert.equal(server.requests.length, 1);
  const [request] = server.requests;
  assert.equal(request?.service, "v2");
  assert.equal(request?.path, "/a.git/git-upload-pack");
  assert.equal(request?.gitProtocol, "version=2");
  assert.equal(
    request?.body,
    `0014command=ls-refs\n${pkt(`agent=cascade/${VERSION}\n`)}` +
      "0001000csymrefs\n0014ref-prefix HEAD\n001eref-prefix refs/heads/rel\n0000",
  );
});

Deno.test("readHttpRefs() falls back to v0 for a server without v2, and remembers it for the origin", async () => {
  await using server = startHostileServer((r) =>
    r.service === "v0"
      ? v0Answer([
        `${A} HEAD\0${CAPS} symref=HEAD:refs/heads/main`,
        `${A} refs/heads/main`,
      ])
      : crafted("text/plain", "Bad request\n", 400)
  );
  const run = newHttpRun();
  const gitOnly = run.gitOnly;
  for (const name of ["a", "b"]) {
    const read = await hostileRead(
      server,
      name,
      5000,
      undefined,
      undefined,
      run,
    );
    assert.deepEqual(read.ok && plain(read.head), {
      defaultBranch: "main",
      tips: { main: A },
    });
  }
  assert.deepEqual(
    server.requests.map((r) => `${r.service} ${r.path}`),
    ["v2 /a.git/git-upload-pack", "v0 /a.git/info/refs", "v0 /b.git/info/refs"],
  );
  assert.equal(gitOnly.size, 0);
});

Deno.test("readHttpRefs() ends promptly on signed, non-hex and short pkt-line lengths", async () => {
  const bodies: Record<string, string> = {
    plus: `+0a1${A} HEAD\n`,
    minus: "-001-001-001",
    spaces: ` 0a1${A} HEAD`,
    nonhex: "zzzz0000",
    short: "00030000",
  };
  await using server = startHostileServer((r) => {
    const name = r.path.split("/")[1]?.replace(".git", "") ?? "";
    return crafted(
      r.service === "v2" ? RESULT : ADVERTISEMENT,
      bodies[name] ?? "",
    );
  });
  // Promptly: on the bytes, never at the (long) timeout, which would say
  // `timeout` instead.
  for (const name of Object.keys(bodies)) {
    const { value } = await settled(() => hostileRead(server, name, 60_000));
    assert.deepEqual(value, { ok: false, reason: "use-git" }, name);
  }
});

Deno.test("readHttpRefs() stops an endless answer at the size cap and leaves it to git", async () => {
  const line = pkt(`${A} refs/heads/${"x".repeat(200)}\n`);
  const chunk = new TextEncoder().encode(line.repeat(256)); // ~53 KB
  for (const service of ["v2", "v0"] as const) {
    await using server = startHostileServer((r) =>
      r.service === service
        ? {
          kind: "endless",
          type: service === "v2" ? RESULT : ADVERTISEMENT,
          chunk,
        }
        : notFound()
    );
    // At the cap, never at the (long) timeout, which would say `timeout`.
    const { value } = await settled(() => hostileRead(server, "a", 60_000));
    assert.deepEqual(value, { ok: false, reason: "use-git" }, service);
    // Stopped past the cap: the server saw the cancel and hands over no
    // more. What it streamed is the cap plus what loopback buffers held.
    assert.ok(server.streamed() > MAX_ANSWER_BYTES, `${server.streamed()}`);
    await waitFor(() => server.cancelled() === 1, `${service}: cancelled`);
    const streamed = server.streamed();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.streamed(), streamed, `${service}: no more bytes`);
    assert.ok(streamed < 4 * MAX_ANSWER_BYTES, `${service}: ${streamed} bytes`);
    // A too-large v2 answer goes to git, not to v0.
    assert.equal(server.requests.length, service === "v2" ? 1 : 2);
  }
});

Deno.test("readCapped() reads no more than the cap and one chunk of an endless stream, stops on abort, and cancels the stream", async () => {
  const chunk = new Uint8Array(1000);
  let pulled = 0;
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  const read = await readCapped(endless, 10_500, new AbortController().signal);
  assert.equal(read, "too-large");
  assert.equal(pulled, 11_000);
  assert.ok(cancelled);
  // A stream that knows nothing of the signal still stops on abort.
  let stalledCancelled = false;
  const controller = new AbortController();
  const stalled = new ReadableStream<Uint8Array>({
    // The interrupt comes while the read waits on a stream that never
    // answers.
    pull: () => {
      queueMicrotask(() => controller.abort(new Error("stop")));
      return new Promise<void>(() => {});
    },
    cancel() {
      stalledCancelled = true;
    },
  });
  await assert.rejects(readCapped(stalled, 100, controller.signal), /stop/);
  assert.ok(stalledCancelled);
  // Under the cap it is the whole stream.
  const whole = await readCapped(
    new Blob(["abc", "def"]).stream(),
    6,
    new AbortController().signal,
  );
  assert.deepEqual(whole, new TextEncoder().encode("abcdef"));
});

Deno.test("readHttpRefs() times out and aborts while the body is being read", async () => {
  const head = new TextEncoder().encode(pkt(`${A} HEAD\n`));
  for (const service of ["v2", "v0"] as const) {
    await using server = startHostileServer((r) =>
      r.service === service
        ? {
          kind: "stall",
          type: service === "v2" ? RESULT : ADVERTISEMENT,
          head,
        }
        : notFound()
    );
    // A genuine stall: the 300 ms timer ends it, the outcome says so.
    const slow = await settled(() => hostileRead(server, "a", 300));
    assert.deepEqual(slow.value, { ok: false, reason: "timeout" }, service);

    // The interrupt comes once the head is out and the body stalls;
    // without it the read would end as a timeout, not an interrupt.
    const controller = new AbortController();
    const streamed = server.streamed();
    const aborted = settled(() =>
      hostileRead(server, "a", 60_000, controller.signal)
    );
    await waitFor(
      () => server.streamed() >= streamed + head.length,
      `${service}: the head was sent`,
    );
    controller.abort();
    assert.ok((await aborted).error instanceof InterruptedError, service);
    await waitFor(() => server.cancelled() === 2, `${service}: both cancelled`);
  }
});

Deno.test("readHttpRefs() fails kind invalid on a HEAD branch git would refuse, and never shows it raw", async () => {
  const names = [
    "a\nb",
    "::error::pwned",
    "::stop-commands::tok",
    "x\x1b]52;c;cGF5bG9hZA==\x07",
    "-rf",
    "a..b",
    "HEAD",
  ];
  for (const service of ["v2", "v0"] as const) {
    await using server = startHostileServer((r) => {
      const name = names[Number(r.path.split("/")[1]?.replace(".git", ""))] ??
        "";
      if (r.service === "v2" && service === "v2") {
        return v2Answer([`${A} HEAD symref-target:refs/heads/${name}`]);
      }
      if (r.service === "v0" && service === "v0") {
        return v0Answer([`${A} HEAD\0${CAPS} symref=HEAD:refs/heads/${name}`]);
      }
      return crafted("text/plain", "no\n", 400);
    });
    for (const [i, name] of names.entries()) {
      const { error } = await settled(() => hostileRead(server, String(i)));
      const what = `${service} ${JSON.stringify(name)}`;
      assert.ok(error instanceof TemplateError, what);
      assert.equal(error.kind, "invalid", what);
      assert.match(
        error.message,
        /the server advertised an invalid branch name/,
        what,
      );
      // deno-lint-ignore no-control-regex
      assert.doesNotMatch(error.message, /[\x00-\x1f\x7f]|^\s*::|\s::/, what);
      assert.ok(error.message.includes(`"${forLog(name, 80)}"`), what);
    }
  }
});

Deno.test("readHttpRefs() drops names it does not use, however odd", async () => {
  await using server = startHostileServer((r) =>
    r.service === "v0"
      ? v0Answer([
        `${A} HEAD\0${CAPS} symref=HEAD:refs/heads/main`,
        `${A} refs/heads/main`,
        `${B} refs/heads/::error::x`,
        `${C} refs/heads/-rf`,
      ])
      : notFound()
  );
  const read = await hostileRead(server, "a");
  assert.deepEqual(read.ok && plain(read.head), {
    defaultBranch: "main",
    tips: { main: A },
  });
});

/**
 * Waits until `done()` holds: an event, not a speed; bounded (3000 polls
 * of 10 ms or more) so a test that goes wrong fails instead of hanging.
 */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  for (let polls = 0; !done(); polls++) {
    if (polls >= 3000) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
