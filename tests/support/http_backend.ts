/**
 * git's own smart-HTTP server for tests: `Deno.serve` on loopback runs
 * `git http-backend` as a CGI for every request, exactly as a web server
 * in front of it would (`GIT_PROJECT_ROOT`, `PATH_INFO`, the request's
 * `Git-Protocol` header as `HTTP_GIT_PROTOCOL`). With `v2: false` the
 * header is not passed on, so git answers as a protocol v0 server does.
 * Filters are git's default (refused) unless `filters` is set, and so is
 * `uploadpack.allowAnySHA1InWant` (false) whatever a repo's config says. Every
 * request is recorded with its `User-Agent`, so a test can tell cascade's
 * own requests from git's.
 *
 * ```ts ignore
 * await using server = await startHttpBackend({ root });
 * ```
 *
 * @module
 */

/** How to start the server. */
export interface HttpBackendOptions {
  /** Directory holding the bare repos (`<root>/owner/name.git`). */
  root: string;
  /** Pass the `Git-Protocol` header on (default true). */
  v2?: boolean;
  /** Allow partial-clone filters (default false, as git's default). */
  filters?: boolean;
}

/** One request as the server saw it. */
export interface BackendRequest {
  /** HTTP method. */
  method: string;
  /** URL path and query. */
  path: string;
  /** The `User-Agent` header, or "". */
  agent: string;
}

/** A running server; `await using` closes it. */
export interface HttpBackend extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request received, in order of arrival. */
  requests: BackendRequest[];
}

/** Starts `git http-backend` behind a loopback server. */
export async function startHttpBackend(
  options: HttpBackendOptions,
): Promise<HttpBackend> {
  const home = await Deno.makeTempDir({ prefix: "cascade-backend-" });
  const requests: BackendRequest[] = [];
  const config: [string, string][] = [
    ["http.receivepack", "true"],
    ["uploadpack.allowFilter", options.filters ? "true" : "false"],
    // git's default, over what a fixture's repo config says.
    ["uploadpack.allowAnySHA1InWant", "false"],
  ];
  const base: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_PROJECT_ROOT: options.root,
    GIT_HTTP_EXPORT_ALL: "1",
    REMOTE_USER: "cascade-test",
    REMOTE_ADDR: "127.0.0.1",
    GIT_COMMITTER_NAME: "cascade-test",
    GIT_COMMITTER_EMAIL: "cascade-test@127.0.0.1",
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    base[`GIT_CONFIG_KEY_${i}`] = key;
    base[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      requests.push({
        method: request.method,
        path: url.pathname + url.search,
        agent: request.headers.get("user-agent") ?? "",
      });
      let body = new Uint8Array(await request.arrayBuffer());
      if (request.headers.get("content-encoding") === "gzip") {
        const stream = new Blob([body]).stream()
          .pipeThrough(new DecompressionStream("gzip"));
        body = new Uint8Array(await new Response(stream).arrayBuffer());
      }
      const env: Record<string, string> = {
        ...base,
        REQUEST_METHOD: request.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ""),
        CONTENT_TYPE: request.headers.get("content-type") ?? "",
        CONTENT_LENGTH: String(body.length),
      };
      const protocol = request.headers.get("git-protocol");
      if (protocol !== null && options.v2 !== false) {
        env["HTTP_GIT_PROTOCOL"] = protocol;
      }
      const child = new Deno.Command("git", {
        args: ["http-backend"],
        clearEnv: true,
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(body).catch(() => {});
      await writer.close().catch(() => {});
      const out = await child.output();
      return cgiResponse(out.stdout);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** A CGI's output (headers, a blank line, the body) as a response. */
function cgiResponse(bytes: Uint8Array): Response {
  let end = -1;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      end = i;
      break;
    }
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a && bytes[i + 2] === 0x0d) {
      end = i;
      break;
    }
  }
  if (end < 0) return new Response("bad CGI output\n", { status: 502 });
  const head = new TextDecoder().decode(bytes.subarray(0, end));
  const skip = bytes[end] === 0x0d ? 4 : 2;
  const headers = new Headers();
  let status = 200;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
    else headers.append(name, value);
  }
  return new Response(bytes.slice(end + skip), { status, headers });
}
