import assert from "node:assert/strict";
import { BASE_GIT_CONFIG, configEnv, hermeticEnv } from "../lib/git/runner.ts";
import { seedCommit } from "./support/seed.ts";
import { initBareRepo } from "../lib/git/init_repo.ts";
import { Fixture } from "./support/fixtures.ts";
import { pktLine as pkt, startGitHttpServer } from "./support/http_server.ts";

const TOKEN = "s3cret-t0ken";
const BASIC = `Basic ${btoa(`cascade-bot:${TOKEN}`)}`;

/** What one git process did. */
interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fixed author and committer for commits the tests make by hand. */
const IDENTITY = {
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_AUTHOR_DATE: "1700000000 +0000",
  GIT_COMMITTER_NAME: "Test Committer",
  GIT_COMMITTER_EMAIL: "committer@example.com",
  GIT_COMMITTER_DATE: "1700000000 +0000",
};

/** Options for one git run. */
interface GitOptions {
  cwd?: string;
  /** Config passed through `GIT_CONFIG_COUNT` and friends. */
  config?: [string, string][];
  stdin?: Uint8Array;
}

/**
 * Bare repos under `srv/` for the server to serve, over the shared fixture
 * (hermetic git, one temp dir); `await using` removes everything.
 */
class TestRepos implements AsyncDisposable {
  readonly #fx: Fixture;
  readonly srv: string;

  private constructor(fx: Fixture) {
    this.#fx = fx;
    this.srv = `${fx.root}/srv`;
  }

  static async create(): Promise<TestRepos> {
    return new TestRepos(await Fixture.create());
  }

  /** The complete environment for a hermetic git with extra `config`. */
  env(config: [string, string][] = []): Record<string, string> {
    return {
      ...hermeticEnv(`${this.#fx.root}/home`),
      ...configEnv([...BASE_GIT_CONFIG, ...config]),
      ...IDENTITY,
    };
  }

  /** Runs git to completion. */
  async git(args: string[], options: GitOptions = {}): Promise<GitResult> {
    const out = await this.#fx.git(args, {
      cwd: options.cwd ?? this.#fx.root,
      env: {
        ...configEnv([...BASE_GIT_CONFIG, ...(options.config ?? [])]),
        ...IDENTITY,
      },
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    });
    return { code: out.code, stdout: out.stdout, stderr: out.stderr };
  }

  /** Runs git and returns its trimmed stdout; throws unless it succeeds. */
  async ok(args: string[], options: GitOptions = {}): Promise<string> {
    const out = await this.git(args, options);
    assert.equal(out.code, 0, `git ${args.join(" ")}: ${out.stderr}`);
    return out.stdout.trim();
  }

  /**
   * Makes the bare repo `srv/<name>.git` on branch main with one commit:
   * `README` and `dir/file`. Its own config allows no filters, so the
   * server alone decides. Returns its path and the commit id.
   */
  async seed(name: string): Promise<{ path: string; tip: string }> {
    const path = `${this.srv}/${name}.git`;
    await Deno.mkdir(path, { recursive: true });
    await initBareRepo(path, "main");
    const tip = await seedCommit(this.#fx.git, path, {
      branch: "main",
      files: { README: "hello\n", "dir/file": "inner\n" },
    });
    return { path, tip };
  }

  /** A new empty bare work repo. */
  async workRepo(name: string): Promise<string> {
    const path = `${this.#fx.root}/${name}`;
    await initBareRepo(path, "main");
    return path;
  }

  /** Number of objects in a repo. */
  async objectCount(path: string): Promise<number> {
    const out = await this.ok([
      "cat-file",
      "--batch-all-objects",
      "--batch-check",
    ], { cwd: path });
    return out.split("\n").filter(Boolean).length;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#fx[Symbol.asyncDispose]();
  }
}

const AUTH: [string, string][] = [[
  "http.extraHeader",
  `Authorization: ${BASIC}`,
]];

/** Resolves to "timer" after `ms` unless `promise` settles first. */
async function raceTimer<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | "timer"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<"timer">((resolve) => {
        timer = setTimeout(() => resolve("timer"), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("startGitHttpServer() serves ls-remote --symref with the token and records every request", async () => {
  await using repos = await TestRepos.create();
  const { tip } = await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  const out = await repos.ok([
    "ls-remote",
    "--symref",
    `${server.origin}/owner/name.git`,
    "HEAD",
  ], { config: AUTH });
  assert.equal(out, `ref: refs/heads/main\tHEAD\n${tip}\tHEAD`);
  assert.deepEqual(server.requests, [
    {
      method: "GET",
      path: "/owner/name.git/info/refs",
      authorization: BASIC,
    },
    {
      method: "POST",
      path: "/owner/name.git/git-upload-pack",
      authorization: BASIC,
    },
  ]);
  assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
});

Deno.test("startGitHttpServer() frames advertisements like Gitea: a v0 service line, none for v2, no dumb HTTP", async () => {
  await using repos = await TestRepos.create();
  const { tip } = await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  const repo = `${server.origin}/owner/name.git`;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${repo}${path}`, { headers: { Authorization: BASIC, ...headers } });

  const v0 = await get("/info/refs?service=git-upload-pack");
  assert.equal(v0.status, 200);
  assert.equal(
    v0.headers.get("content-type"),
    "application/x-git-upload-pack-advertisement",
  );
  assert.match(v0.headers.get("cache-control") ?? "", /no-cache/);
  const v0Body = await v0.text();
  assert.ok(
    v0Body.startsWith("001e# service=git-upload-pack\n0000"),
    v0Body.slice(0, 60),
  );
  assert.match(
    v0Body,
    new RegExp(`${tip} HEAD\0[^\n]*symref=HEAD:refs/heads/main`),
  );
  assert.ok(v0Body.endsWith("0000"));

  const v2 = await get("/info/refs?service=git-upload-pack", {
    "Git-Protocol": "version=2",
  });
  const v2Body = await v2.text();
  assert.ok(v2Body.startsWith(pkt("version 2\n")), v2Body.slice(0, 40));

  const push = await get("/info/refs?service=git-receive-pack");
  assert.equal(
    push.headers.get("content-type"),
    "application/x-git-receive-pack-advertisement",
  );
  assert.match(
    await push.text(),
    new RegExp(
      `^001f# service=git-receive-pack\n0000.{4}${tip} refs/heads/main\0`,
    ),
  );

  for (const path of ["/info/refs", "/HEAD", "/git-upload-pack"]) {
    const dumb = await get(path);
    assert.equal(dumb.status, 404, path);
    await dumb.body?.cancel();
  }
});

Deno.test("startGitHttpServer() allows a shallow tree:1 fetch: the commit and its root tree only", async () => {
  await using repos = await TestRepos.create();
  const { tip } = await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  const work = await repos.workRepo("work");
  const out = await repos.git([
    "fetch",
    "--no-tags",
    "--depth=1",
    "--filter=tree:1",
    `${server.origin}/owner/name.git`,
    "refs/heads/main",
  ], { cwd: work, config: AUTH });
  assert.equal(out.code, 0, out.stderr);
  assert.doesNotMatch(out.stderr, /filtering not recognized/);
  assert.equal(await repos.ok(["rev-parse", "FETCH_HEAD"], { cwd: work }), tip);
  assert.equal(await repos.objectCount(work), 2);
});

Deno.test("startGitHttpServer() accepts a push, a multi-MiB chunked pack included", async () => {
  await using repos = await TestRepos.create();
  const { path, tip } = await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  const url = `${server.origin}/owner/name.git`;
  const work = await repos.workRepo("work");
  await repos.ok([
    "fetch",
    "--no-tags",
    "--depth=1",
    "--filter=tree:1",
    url,
    "refs/heads/main",
  ], { cwd: work, config: AUTH });
  // Incompressible and past http.postBuffer (1 MiB): sent chunked, with no
  // Content-Length.
  const big = new Uint8Array(3 << 20);
  for (let i = 0; i < big.length; i += 65536) {
    crypto.getRandomValues(big.subarray(i, i + 65536));
  }
  const blob = await repos.ok(["hash-object", "-w", "--stdin"], {
    cwd: work,
    stdin: big,
  });
  const tree = await repos.ok(["mktree"], {
    cwd: work,
    stdin: new TextEncoder().encode(`100644 blob ${blob}\tbig.bin\n`),
  });
  const commit = await repos.ok(["commit-tree", "-p", tip, "-m", "big", tree], {
    cwd: work,
  });
  const push = await repos.git([
    "push",
    "--porcelain",
    "--no-thin",
    url,
    `${commit}:refs/heads/main`,
  ], { cwd: work, config: AUTH });
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /^ \t[0-9a-f]+:refs\/heads\/main\t/m);
  assert.equal(await repos.ok(["rev-parse", "main"], { cwd: path }), commit);
  assert.equal(
    await repos.ok(["cat-file", "-s", `main:big.bin`], { cwd: path }),
    String(big.length),
  );
  assert.ok(
    server.requests.some((r) =>
      r.method === "POST" && r.path === "/owner/name.git/git-receive-pack" &&
      r.authorization === BASIC
    ),
  );
});

Deno.test("startGitHttpServer() answers 401 without the token or with a wrong one", async () => {
  await using repos = await TestRepos.create();
  await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  const url = `${server.origin}/owner/name.git`;
  const none = await repos.git(["ls-remote", url]);
  assert.equal(none.code, 128);
  assert.match(
    none.stderr,
    /fatal: could not read Username for 'http:\/\/127\.0\.0\.1:\d+': terminal prompts disabled/,
  );
  const wrong = await repos.git(["ls-remote", url], {
    config: [[
      "http.extraHeader",
      `Authorization: Basic ${btoa("cascade-bot:nope")}`,
    ]],
  });
  assert.equal(wrong.code, 128);
  assert.match(wrong.stderr, /could not read Username/);
  assert.deepEqual(
    server.requests.map((r) => [r.path, r.authorization]),
    [
      ["/owner/name.git/info/refs", null],
      ["/owner/name.git/info/refs", `Basic ${btoa("cascade-bot:nope")}`],
    ],
  );

  const refs = `${url}/info/refs?service=git-upload-pack`;
  const denied = await fetch(refs);
  await denied.body?.cancel();
  assert.equal(denied.status, 401);
  assert.equal(
    denied.headers.get("www-authenticate"),
    'Basic realm="cascade-test"',
  );
  // Gitea's other form: the token as user name with an empty password.
  const asUser = await fetch(refs, {
    headers: { Authorization: `Basic ${btoa(`${TOKEN}:`)}` },
  });
  assert.equal(asUser.status, 200);
  assert.match(await asUser.text(), /# service=git-upload-pack/);
});

Deno.test("startGitHttpServer() says not found for a missing repo, after auth", async () => {
  await using repos = await TestRepos.create();
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  const url = `${server.origin}/owner/missing.git`;
  const out = await repos.git(["ls-remote", url], { config: AUTH });
  assert.equal(out.code, 128);
  assert.match(out.stderr, /remote: Repository not found/);
  assert.match(
    out.stderr,
    /fatal: repository '.*\/owner\/missing\.git\/' not found/,
  );
  // Auth comes first, like Gitea: no token, no hint whether it exists.
  const anonymous = await repos.git(["ls-remote", url]);
  assert.match(anonymous.stderr, /could not read Username/);

  const notGit = await fetch(`${server.origin}/owner/missing.git/nothing`, {
    headers: { Authorization: BASIC },
  });
  assert.equal(notGit.status, 404);
  assert.equal(notGit.headers.get("content-type"), "text/plain");
  assert.equal(await notGit.text(), "Repository not found\n");
});

Deno.test("startGitHttpServer() without a token lets anyone fetch and push", async () => {
  await using repos = await TestRepos.create();
  const { path, tip } = await repos.seed("owner/name");
  await using server = await startGitHttpServer({ root: repos.srv });
  const url = `${server.origin}/owner/name.git`;
  const work = await repos.workRepo("work");
  await repos.ok(["fetch", "--depth=1", url, "refs/heads/main"], {
    cwd: work,
  });
  const commit = await repos.ok([
    "commit-tree",
    "-p",
    tip,
    "-m",
    "anonymous",
    `${tip}^{tree}`,
  ], { cwd: work });
  await repos.ok(["push", "--no-thin", url, `${commit}:refs/heads/main`], {
    cwd: work,
  });
  assert.equal(await repos.ok(["rev-parse", "main"], { cwd: path }), commit);
  assert.ok(server.requests.every((r) => r.authorization === null));
});

Deno.test("startGitHttpServer() with filters: false makes git fall back to the whole tip", async () => {
  await using repos = await TestRepos.create();
  await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
    filters: false,
  });
  const work = await repos.workRepo("work");
  const out = await repos.git([
    "fetch",
    "--no-tags",
    "--depth=1",
    "--filter=tree:1",
    `${server.origin}/owner/name.git`,
    "refs/heads/main",
  ], { cwd: work, config: AUTH });
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stderr,
    /warning: filtering not recognized by server, ignoring/,
  );
  // Commit, two trees, two blobs.
  assert.equal(await repos.objectCount(work), 5);
});

Deno.test("startGitHttpServer() decompresses a gzip request body and passes Git-Protocol", async () => {
  await using repos = await TestRepos.create();
  const { tip } = await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    token: TOKEN,
  });
  // Protocol v2 `ls-refs`: a command pkt-line, then a flush.
  const request = new TextEncoder().encode(`${pkt("command=ls-refs\n")}0000`);
  const gzipped = new Uint8Array(
    await new Response(
      new Blob([request]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  for (
    const [body, encoding] of [[gzipped, "gzip"], [request, null]] as const
  ) {
    const headers: Record<string, string> = {
      Authorization: BASIC,
      "Content-Type": "application/x-git-upload-pack-request",
      "Git-Protocol": "version=2",
    };
    if (encoding !== null) headers["Content-Encoding"] = encoding;
    const response = await fetch(
      `${server.origin}/owner/name.git/git-upload-pack`,
      { method: "POST", headers, body },
    );
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "application/x-git-upload-pack-result",
    );
    assert.equal(
      await response.text(),
      `${pkt(`${tip} HEAD\n`)}${pkt(`${tip} refs/heads/main\n`)}0000`,
      `with Content-Encoding ${encoding}`,
    );
  }
});

Deno.test("startGitHttpServer() hang() leaves git waiting until it is killed; close() still resolves", async () => {
  await using repos = await TestRepos.create();
  const { tip } = await repos.seed("owner/name");
  await repos.seed("owner/hung");
  const server = await startGitHttpServer({ root: repos.srv, token: TOKEN });
  try {
    server.hang("/owner/hung.git");
    // No pipes: git's transport helper outlives a killed git and would keep
    // them open until the server answers.
    const child = new Deno.Command("git", {
      args: ["ls-remote", `${server.origin}/owner/hung.git`],
      clearEnv: true,
      env: repos.env(AUTH),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      assert.equal(
        await raceTimer(child.status, 400),
        "timer",
        "still running",
      );
      // Other paths still answer meanwhile.
      assert.match(
        await repos.ok(["ls-remote", `${server.origin}/owner/name.git`], {
          config: AUTH,
        }),
        new RegExp(`^${tip}\tHEAD$`, "m"),
      );
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal((await child.status).signal, "SIGTERM");
    assert.equal(server.requests[0]?.path, "/owner/hung.git/info/refs");
  } finally {
    // A close() that waited for the hung request would never end; the
    // bound is generous, for a loaded machine.
    const t0 = performance.now();
    await server.close();
    assert.ok(performance.now() - t0 < 30_000, "close() did not wait for hung");
  }
});

Deno.test("startGitHttpServer() close() kills a service still reading its request", async () => {
  await using repos = await TestRepos.create();
  await repos.seed("owner/name");
  const server = await startGitHttpServer({ root: repos.srv });
  let sender: ReadableStreamDefaultController<Uint8Array> | undefined;
  // A request body that never ends: upload-pack waits for it forever.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      sender = controller;
      controller.enqueue(new TextEncoder().encode(pkt("command=ls-refs\n")));
    },
  });
  const response = await fetch(
    `${server.origin}/owner/name.git/git-upload-pack`,
    {
      method: "POST",
      headers: {
        "Content-Type": "application/x-git-upload-pack-request",
        "Git-Protocol": "version=2",
      },
      body,
    },
  );
  assert.equal(response.status, 200);
  const text = response.text().catch((e: Error) => e.message);
  assert.equal(await raceTimer(text, 200), "timer", "git waits for the body");
  const closed = server.close();
  assert.notEqual(await raceTimer(closed, 30_000), "timer", "close() resolved");
  await text;
  try {
    sender?.close();
  } catch { /* the request was already torn down */ }
});

Deno.test("startGitHttpServer() delays every response, 404s included, by delayMs or setDelay()", async () => {
  await using repos = await TestRepos.create();
  await repos.seed("owner/name");
  await using server = await startGitHttpServer({
    root: repos.srv,
    delayMs: 150,
  });
  const timed = async (run: () => Promise<void>) => {
    const t0 = performance.now();
    await run();
    return performance.now() - t0;
  };
  const missing = () =>
    fetch(`${server.origin}/owner/missing.git/info/refs`).then(async (r) => {
      assert.equal(r.status, 404);
      await r.body?.cancel();
    });
  assert.ok(await timed(missing) >= 150);
  server.setDelay(300);
  assert.ok(await timed(missing) >= 300);
  server.setDelay(100);
  const before = server.requests.length;
  const lsRemote = await timed(async () => {
    await repos.ok(["ls-remote", `${server.origin}/owner/name.git`]);
  });
  const count = server.requests.length - before;
  assert.equal(count, 2, "info/refs, then ls-refs");
  assert.ok(lsRemote >= 100 * count, `${lsRemote} ms for ${count} requests`);
});
