/**
 * The one git runner: every git process cascade starts goes through
 * {@linkcode runGit}, with a hermetic environment, `LC_ALL=C`, no prompts,
 * no credential helpers, an optional timeout that kills the process, and an
 * abort signal for interrupts. What git writes is kept bounded: a head and
 * a tail of each stream, the middle dropped and said so (see
 * `bounded_output.ts`).
 *
 * @module
 */

import { HeadTail } from "./bounded_output.ts";
import { type GitProcess, startGit } from "./_process_group.ts";

export { killRunningGit } from "./_process_group.ts";

/** Options for one git invocation. */
export interface GitRunOptions {
  /** Working directory (usually a temporary bare repository). */
  cwd?: string;
  /** Extra environment on top of the hermetic base (credentials, author). */
  env?: Record<string, string>;
  /** Bytes written to git's standard input. */
  stdin?: Uint8Array | string;
  /** Kill git after this many milliseconds; the result has `timedOut`. */
  timeoutMs?: number;
  /** Kill git when this signal aborts; the result has `aborted`. */
  signal?: AbortSignal;
  /**
   * Git talks to a server, through transport helpers of its own: a kill
   * takes them along where cascade may signal them (`_process_group.ts`).
   */
  helpers?: boolean;
  /**
   * Largest standard output kept whole (default {@linkcode MAX_STDOUT_BYTES});
   * beyond it, a head and a tail are kept and `stdoutDropped` counts the rest.
   */
  maxStdoutBytes?: number;
}

/** Standard output kept whole by default: 32 MiB. */
const MAX_STDOUT_BYTES = 32 * 1024 * 1024;
/** Standard error kept whole: 1 MiB (half head, half tail beyond it). */
const MAX_STDERR_BYTES = 1024 * 1024;

/**
 * What one git process did. Output is kept up to a bound (head and tail
 * beyond it); callers redact it.
 */
export interface GitOutput {
  /** The argument list, without `git` itself. */
  args: readonly string[];
  /** Exit code (`-1` when killed before it exited). */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard output, raw bytes (for blobs). */
  stdoutBytes: Uint8Array;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
  /** True when the timeout killed the process. */
  timedOut: boolean;
  /** True when the abort signal killed the process. */
  aborted: boolean;
  /** Bytes of standard output dropped from the middle (none: 0 or absent). */
  stdoutDropped?: number;
}

/** A function that runs git: the real one, or a recorder in unit tests. */
export type GitRunner = (
  args: readonly string[],
  options?: GitRunOptions,
) => Promise<GitOutput>;

/**
 * Variables passed through from the caller's environment to git, when
 * present: what ssh, proxies and TLS need. Everything else, in particular
 * every inherited `GIT_*` variable a hook may have set, is dropped.
 */
const PASSTHROUGH_ENV: readonly string[] = [
  "PATH",
  "SYSTEMROOT",
  "TMPDIR",
  "SSH_AUTH_SOCK",
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_SSH_VARIANT",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "ALL_PROXY",
  "all_proxy",
  "NO_PROXY",
  "no_proxy",
];

/** Reads an environment variable without prompting; undefined if denied. */
export function readEnv(name: string): string | undefined {
  const state = Deno.permissions.querySync({ name: "env", variable: name })
    .state;
  if (state !== "granted") return undefined;
  return Deno.env.get(name);
}

/**
 * The hermetic base environment for git: no global or system config, HOME
 * in a directory of ours, C locale, no prompts, no keychains, no credential
 * helper (passed as config through the environment, never in argv).
 */
export function hermeticEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSTHROUGH_ENV) {
    const value = readEnv(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    LC_ALL: "C",
    LANG: "C",
    GIT_TERMINAL_PROMPT: "0",
    GCM_INTERACTIVE: "never",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    GIT_SSH_COMMAND: env["GIT_SSH_COMMAND"] ?? "ssh -o BatchMode=yes",
  });
  return env;
}

/**
 * Turns config pairs into `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n` variables: config that never shows in argv and is
 * never written to disk.
 */
export function configEnv(
  pairs: readonly (readonly [string, string])[],
): Record<string, string> {
  const env: Record<string, string> = {
    GIT_CONFIG_COUNT: String(pairs.length),
  };
  pairs.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Config every cascade git process gets: no helpers, no prompts. */
export const BASE_GIT_CONFIG: readonly (readonly [string, string])[] = [
  ["credential.helper", ""],
  ["core.askPass", ""],
  // A redirect is never followed by git: the token would go along to
  // wherever it points. cascade resolves redirects itself (see
  // `redirect.ts`): within the origin only.
  ["http.followRedirects", "false"],
  ["protocol.version", "2"],
  ["advice.detachedHead", "false"],
  ["init.defaultBranch", "main"],
  ["gc.auto", "0"],
  ["maintenance.auto", "false"],
  ["core.hooksPath", "/dev/null"],
  ["fetch.writeCommitGraph", "false"],
  // The work repos are throwaway: syncing their objects to disk buys nothing.
  ["core.fsync", "none"],
  // fast-import keeps its few objects in its pack instead of starting
  // unpack-objects to turn them into loose files.
  ["fastimport.unpackLimit", "0"],
];

/** Milliseconds a killed git gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 1500;

/**
 * Builds the real git runner over `Deno.Command`. `baseEnv` is the complete
 * environment (see {@linkcode hermeticEnv}); per-call `env` is added on top.
 */
export function createGitRunner(baseEnv: Record<string, string>): GitRunner {
  return async (args, options = {}) => {
    const git = startGit({
      args: [...args],
      cwd: options.cwd ?? Deno.cwd(),
      env: { ...baseEnv, ...options.env },
      clearEnv: true,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }, options.helpers === true);
    const child = git.child;
    let timedOut = false;
    let aborted = false;
    const killer = graceKiller(git);
    const kill = killer.kill;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(
      () => {
        timedOut = true;
        kill();
      },
      options.timeoutMs,
    );
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort);

    const stdoutReader = child.stdout.getReader();
    const stderrReader = child.stderr.getReader();
    const maxOut = options.maxStdoutBytes ?? MAX_STDOUT_BYTES;
    const outP = drain(stdoutReader, maxOut);
    const errP = drain(stderrReader, MAX_STDERR_BYTES);
    if (options.stdin !== undefined) {
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      const writer = child.stdin.getWriter();
      try {
        await writer.write(bytes);
        await writer.close();
      } catch { /* git exited early; its status says why */ }
    }
    try {
      const status = await child.status;
      git.settle();
      // A killed git may leave children (transport helpers) holding the
      // pipes open: do not wait for them longer than the grace period.
      const grace = timedOut || aborted
        ? setTimeout(() => {
          stdoutReader.cancel().catch(() => {});
          stderrReader.cancel().catch(() => {});
        }, 200)
        : undefined;
      const [out, err] = await Promise.all([outP, errP]);
      clearTimeout(grace);
      const stdoutDropped = out.droppedBytes();
      return {
        args,
        code: timedOut || aborted ? (status.code || -1) : status.code,
        stdout: out.text(),
        stdoutBytes: out.bytes(),
        stderr: err.text(),
        timedOut,
        aborted,
        ...(stdoutDropped > 0 ? { stdoutDropped } : {}),
      };
    } finally {
      clearTimeout(timer);
      killer.cancel();
      options.signal?.removeEventListener("abort", onAbort);
    }
  };
}

/**
 * SIGTERM now, SIGKILL after the grace period unless cancelled; to git's
 * process group where it has one (see `_process_group.ts`).
 */
function graceKiller(git: GitProcess) {
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  return {
    kill: () => {
      git.signal("SIGTERM");
      killTimer = setTimeout(() => git.signal("SIGKILL"), KILL_GRACE_MS);
    },
    cancel: () => clearTimeout(killTimer),
  };
}

/** Reads a stream into a head and a tail of `max / 2` bytes each. */
async function drain(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  max: number,
): Promise<HeadTail> {
  const kept = new HeadTail(Math.ceil(max / 2), Math.floor(max / 2));
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      kept.append(value);
    }
  } catch { /* cancelled after a kill */ }
  return kept;
}

/** Joins byte chunks into one array (git's stdin and stdout). */
export function concatBytes(
  chunks: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
