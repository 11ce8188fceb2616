import assert from "node:assert/strict";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  type GitOutput,
  hermeticEnv,
} from "../lib/git/runner.ts";
import { networkProblem } from "../lib/git/net_reason.ts";

/** The reasons networkProblem names (anything else is git's own words). */
const NAMED = [
  "connection refused",
  "name not found",
  "TLS failure",
  "connection reset",
  "timed out",
  "no route to host",
  "unreachable",
  "closed without a reply",
  "closed mid-response",
];

/** The server networkProblem names for `url`. */
const hostOf = (url: string) => networkProblem("", url).host;

/** The named reason networkProblem gives `stderrOrError`, or null: none. */
function networkReason(stderrOrError: unknown): string | null {
  const { reason } = networkProblem(stderrOrError, "https://h/a.git");
  return NAMED.includes(reason) || /^HTTP 5\d\d$/.test(reason) ? reason : null;
}

Deno.test("networkProblem() names the server as host:port, the port defaulted from the scheme", () => {
  const cases: [string, string][] = [
    ["https://git.example.com/a/b.git", "git.example.com:443"],
    ["http://git.example.com/a/b.git", "git.example.com:80"],
    ["http://bot:s3cret@git.example.com:3000/a/b.git", "git.example.com:3000"],
    ["ssh://git@git.example.com/a/b.git", "git.example.com:22"],
    ["ssh://git@git.example.com:2222/a/b.git", "git.example.com:2222"],
    ["git://git.example.com/a/b.git", "git.example.com:9418"],
    ["git@git.example.com:a/b.git", "git.example.com:22"],
    ["http://[::1]:8080/a.git", "[::1]:8080"],
    ["https://[::1]/a.git", "[::1]:443"],
    ["file:///srv/a.git", ""],
    ["/srv/a.git", ""],
    ["./a.git", ""],
    ["C:\\srv\\a.git", ""],
    ["not a url", ""],
  ];
  for (const [url, host] of cases) assert.equal(hostOf(url), host, url);
});

Deno.test("networkProblem() reads git's, curl's, ssh's and Deno's words", () => {
  const cases: [string, string | null][] = [
    // curl 7.88 (recorded below with real git), older curl strerror texts
    [
      "fatal: unable to access 'http://127.0.0.1:1/a.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server",
      "connection refused",
    ],
    [
      "fatal: unable to access 'http://h/a.git/': Failed to connect to h port 80: Connection refused",
      "connection refused",
    ],
    [
      "fatal: unable to access 'https://h/': Could not resolve host: h",
      "name not found",
    ],
    [
      "fatal: unable to access 'https://h/': Could not resolve proxy: p",
      "name not found",
    ],
    [
      "fatal: unable to access 'https://h/': SSL certificate problem: self-signed certificate",
      "TLS failure",
    ],
    [
      "fatal: unable to access 'https://h/': gnutls_handshake() failed: An unexpected TLS packet was received.",
      "TLS failure",
    ],
    [
      "fatal: unable to access 'https://h/': OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to h:443",
      "TLS failure",
    ],
    [
      "fatal: unable to access 'https://h/': Recv failure: Connection reset by peer",
      "connection reset",
    ],
    [
      "fatal: unable to access 'https://h/': OpenSSL SSL_read: Connection reset by peer, errno 104",
      "connection reset",
    ],
    [
      "error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: expected flush after ref listing",
      "connection reset",
    ],
    [
      "fatal: unable to access 'https://h/': Failed to connect to h port 443 after 129 ms: Operation timed out",
      "timed out",
    ],
    [
      "fatal: unable to access 'https://h/': Connection timed out after 10001 milliseconds",
      "timed out",
    ],
    [
      "fatal: unable to access 'https://h/': Failed to connect to h port 443 after 3 ms: No route to host",
      "no route to host",
    ],
    [
      "fatal: unable to access 'https://h/': Failed to connect to h port 443 after 1 ms: Network is unreachable",
      "unreachable",
    ],
    [
      "fatal: unable to access 'http://h/a.git/': Empty reply from server",
      "closed without a reply",
    ],
    [
      "fatal: unable to access 'http://h/a.git/': transfer closed with 976 bytes remaining to read",
      "closed mid-response",
    ],
    [
      "fatal: the remote end hung up unexpectedly\nfatal: early EOF",
      "closed mid-response",
    ],
    [
      "remote: bad gateway\nfatal: unable to access 'http://h/a.git/': The requested URL returned error: 502",
      "HTTP 502",
    ],
    [
      "error: RPC failed; HTTP 504 curl 22 The requested URL returned error: 504",
      "HTTP 504",
    ],
    // ssh
    [
      "ssh: connect to host 127.0.0.1 port 1: Connection refused\nfatal: Could not read from remote repository.",
      "connection refused",
    ],
    [
      "ssh: Could not resolve hostname h: Name or service not known\nfatal: Could not read from remote repository.",
      "name not found",
    ],
    // a host's name is not a reason
    [
      "fatal: unable to access 'https://ssl-proxy.example.com/a.git/': Empty reply from server",
      "closed without a reply",
    ],
    [
      "fatal: unable to access 'https://tls.example.com/a.git/': Failed to connect to tls.example.com port 443 after 2 ms: Couldn't connect to server",
      "connection refused",
    ],
    // not network problems
    [
      "fatal: unable to access 'https://h/': The requested URL returned error: 404",
      null,
    ],
    ["fatal: Authentication failed for 'https://h/a.git/'", null],
  ];
  for (const [stderr, reason] of cases) {
    assert.equal(networkReason(stderr), reason, stderr);
  }
});

Deno.test("networkProblem() falls back to git's own words without the URL prefix", () => {
  assert.deepEqual(
    networkProblem(
      "fatal: unable to access 'https://h/a.git/': Unsupported proxy syntax in 'x'\n",
      "https://h/a.git",
    ),
    { host: "h:443", reason: "Unsupported proxy syntax in 'x'" },
  );
  assert.deepEqual(networkProblem("", "https://h/a.git"), {
    host: "h:443",
    reason: "unreachable",
  });
  assert.deepEqual(networkProblem(new Error("odd"), "http://h:81/"), {
    host: "h:81",
    reason: "Error: odd",
  });
});

/** Hermetic real git in a temp home; `await using` removes it. */
async function realGit() {
  const home = await Deno.makeTempDir({ prefix: "cascade-net-" });
  const git = createGitRunner({
    ...hermeticEnv(home),
    ...configEnv([
      ...BASE_GIT_CONFIG,
      // A hanging server fails in a second, not in 120.
      ["http.lowSpeedLimit", "1"],
      ["http.lowSpeedTime", "1"],
    ]),
  });
  return {
    lsRemote: (url: string): Promise<GitOutput> =>
      git(["ls-remote", url], { cwd: home, timeoutMs: 15_000 }),
    [Symbol.asyncDispose]: () => Deno.remove(home, { recursive: true }),
  };
}

/**
 * A loopback TCP server that hands each connection to `handle`; disposing
 * closes the listener and every connection still open.
 */
function tcpServer(handle: (conn: Deno.Conn) => Promise<void> | void) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        open.add(conn);
        tasks.push((async () => {
          try {
            await handle(conn);
          } catch { /* the client went away */ }
        })());
      }
    } catch { /* listener closed */ }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      try {
        listener.close();
      } catch { /* already closed */ }
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await loop;
      await Promise.all(tasks);
    },
  };
}

/** Closes the connection right away (idempotent with the dispose). */
function closeNow(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** What fetch threw (or "answered <status>"). */
async function fetchError(url: string, timeoutMs = 5000): Promise<unknown> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return `answered ${response.status}`;
  } catch (error) {
    return error;
  }
}

Deno.test("real git and fetch: a closed loopback port is connection refused", async () => {
  await using git = await realGit();
  const port = closedPort();
  const url = `http://127.0.0.1:${port}/o/r.git`;
  const out = await git.lsRemote(url);
  // curl counts the milliseconds: 0 here, more on a loaded machine.
  assert.equal(
    out.stderr.replace(/ after \d+ ms:/, " after N ms:"),
    `fatal: unable to access '${url}/': Failed to connect to 127.0.0.1 port ${port} after N ms: Couldn't connect to server\n`,
  );
  assert.deepEqual(networkProblem(out.stderr, url), {
    host: `127.0.0.1:${port}`,
    reason: "connection refused",
  });
  assert.deepEqual(networkProblem(await fetchError(url), url), {
    host: `127.0.0.1:${port}`,
    reason: "connection refused",
  });
});

Deno.test("real git: a name that does not resolve is name not found", async () => {
  await using git = await realGit();
  const url = "https://nonexistent.invalid/o/r.git";
  const out = await git.lsRemote(url);
  if (out.timedOut) {
    // `.invalid` never resolves (RFC 6761), but a resolver that forwards
    // it and gets no answer makes git wait: nothing to learn here then.
    console.warn(
      "skipped: the resolver did not answer for nonexistent.invalid in 15 s",
    );
    return;
  }
  assert.equal(
    out.stderr,
    `fatal: unable to access '${url}/': Could not resolve host: nonexistent.invalid\n`,
  );
  assert.deepEqual(networkProblem(out.stderr, url), {
    host: "nonexistent.invalid:443",
    reason: "name not found",
  });
  // fetch is not tried: the tests may only connect to 127.0.0.1. What it
  // throws for this name is in the table of Deno's errors below.
});

Deno.test("real git and fetch: a server that closes at once is closed without a reply", async () => {
  await using git = await realGit();
  await using server = tcpServer(closeNow);
  const url = `http://127.0.0.1:${server.port}/o/r.git`;
  const out = await git.lsRemote(url);
  assert.equal(
    out.stderr,
    `fatal: unable to access '${url}/': Empty reply from server\n`,
  );
  assert.deepEqual(networkProblem(out.stderr, url), {
    host: `127.0.0.1:${server.port}`,
    reason: "closed without a reply",
  });
  assert.deepEqual(networkProblem(await fetchError(url), url), {
    host: `127.0.0.1:${server.port}`,
    reason: "closed without a reply",
  });
});

Deno.test("real git: a server that closes mid-response is closed mid-response", async () => {
  await using git = await realGit();
  await using server = tcpServer(async (conn) => {
    await conn.read(new Uint8Array(4096));
    await conn.write(
      new TextEncoder().encode(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\nContent-Length: 1000\r\n\r\n001e# service=git-upload",
      ),
    );
    closeNow(conn);
  });
  const url = `http://127.0.0.1:${server.port}/o/r.git`;
  const out = await git.lsRemote(url);
  assert.equal(
    out.stderr,
    `fatal: unable to access '${url}/': transfer closed with 976 bytes remaining to read\n`,
  );
  assert.deepEqual(networkProblem(out.stderr, url), {
    host: `127.0.0.1:${server.port}`,
    reason: "closed mid-response",
  });
});

Deno.test("real git and fetch: https to a plain-http port is a TLS failure", async () => {
  await using git = await realGit();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response("<html>hello</html>", {
        headers: { "content-type": "text/html" },
      }),
  );
  const url = `https://127.0.0.1:${server.addr.port}/o/r.git`;
  const out = await git.lsRemote(url);
  assert.equal(
    out.stderr,
    `fatal: unable to access '${url}/': gnutls_handshake() failed: An unexpected TLS packet was received.\n`,
  );
  assert.deepEqual(networkProblem(out.stderr, url), {
    host: `127.0.0.1:${server.addr.port}`,
    reason: "TLS failure",
  });
  assert.deepEqual(networkProblem(await fetchError(url), url), {
    host: `127.0.0.1:${server.addr.port}`,
    reason: "TLS failure",
  });
});

Deno.test("real git and fetch: https to a port that closes at once is a TLS failure", async () => {
  await using git = await realGit();
  await using server = tcpServer(closeNow);
  const url = `https://127.0.0.1:${server.port}/o/r.git`;
  const out = await git.lsRemote(url);
  assert.equal(
    out.stderr,
    `fatal: unable to access '${url}/': gnutls_handshake() failed: The TLS connection was non-properly terminated.\n`,
  );
  assert.equal(networkReason(out.stderr), "TLS failure");
  assert.equal(networkReason(await fetchError(url)), "TLS failure");
});

Deno.test("real git and fetch: a server that never answers is timed out", async () => {
  await using git = await realGit();
  await using server = tcpServer(() => {/* hold the connection open */});
  const url = `http://127.0.0.1:${server.port}/o/r.git`;
  const out = await git.lsRemote(url);
  assert.equal(
    out.stderr,
    `fatal: unable to access '${url}/': Operation too slow. Less than 1 bytes/sec transferred the last 1 seconds\n`,
  );
  assert.deepEqual(networkProblem(out.stderr, url), {
    host: `127.0.0.1:${server.port}`,
    reason: "timed out",
  });
  assert.equal(networkReason(await fetchError(url, 100)), "timed out");
});

Deno.test("networkProblem() reads Deno's fetch errors as thrown", () => {
  const fetchFailed = (cause: string) =>
    new TypeError("fetch failed", { cause: new Error(cause) });
  const cases: [unknown, string | null][] = [
    [
      fetchFailed(
        "error sending request for url (http://127.0.0.1:9/): client error (Connect): tcp connect error: Connection refused (os error 111)",
      ),
      "connection refused",
    ],
    [
      fetchFailed(
        "error sending request for url (http://x.invalid/): client error (Connect): dns error: failed to lookup address information: Name or service not known",
      ),
      "name not found",
    ],
    [
      fetchFailed(
        "error sending request for url (https://127.0.0.1:1/): client error (Connect): received corrupt message of type InvalidContentType",
      ),
      "TLS failure",
    ],
    [
      fetchFailed(
        "error sending request for url (https://h/): client error (Connect): invalid peer certificate: UnknownIssuer",
      ),
      "TLS failure",
    ],
    [
      fetchFailed(
        "error sending request from 127.0.0.1:5 for http://127.0.0.1:6/ (127.0.0.1:6): client error (SendRequest): connection closed before message completed",
      ),
      "closed without a reply",
    ],
    [
      new Deno.errors.ConnectionReset(
        "Connection reset by peer (os error 104)",
      ),
      "connection reset",
    ],
    [
      new DOMException(
        "The operation was aborted due to timeout",
        "TimeoutError",
      ),
      "timed out",
    ],
    [new DOMException("The signal has been aborted", "AbortError"), null],
    [new TypeError("Fetch failed: Requests to port 1 are blocked"), null],
  ];
  for (const [error, reason] of cases) {
    assert.equal(networkReason(error), reason, String(error));
  }
});
