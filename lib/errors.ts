/**
 * Errors a user sees, and the one classifier that turns what git said into
 * an error kind.
 *
 * @module
 */

import type { GitOutput } from "./git/runner.ts";
import type { ErrorKind, ReportError } from "./model.ts";
import { cutRedacted } from "./console/secret_forms.ts";

export type { ErrorKind, ReportError } from "./model.ts";

/** Exit codes: the contract. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  credentials: 3,
  interrupted: 130,
} as const;

/**
 * A failure of one template: a kind and a one-line message that says what
 * broke and what to do. The message never holds raw git stderr; `detail`
 * holds the few server words worth quoting (already redacted by the caller
 * when printed).
 */
export class TemplateError extends Error {
  /** The classified kind. */
  readonly kind: ErrorKind;
  /**
   * What to do about it, when the message ends with advice (the kind's
   * {@linkcode ADVICE}, or a target's own, e.g. its auth advice).
   */
  readonly advice: string | null;
  /** Constructs the error. */
  constructor(kind: ErrorKind, message: string, advice: string | null = null) {
    super(message);
    this.name = "TemplateError";
    this.kind = kind;
    this.advice = advice;
  }
}

/**
 * Bad command line or input, found before anything is touched: the error
 * carries its exit code (2 unless said otherwise), so the entry prints the
 * message and returns the code without re-deriving it.
 */
export class UsageError extends Error {
  /** The exit code this error ends the run with. */
  readonly exitCode: number;
  /** Constructs the error. */
  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.name = "UsageError";
    this.exitCode = exitCode;
  }
}

/** The run was interrupted (SIGINT/SIGTERM). */
export class InterruptedError extends Error {
  /** Constructs the error. */
  constructor() {
    super("Interrupted");
    this.name = "InterruptedError";
  }
}

/**
 * Gitea's refusal of a push to an archived repo or a mirror (a 403 whose
 * words git prints after `remote:`): not a token problem.
 */
const REFUSED = [
  /This repo is archived/i,
  /mirror repository is read-only/i,
];

const AUTH = [
  /could not read (Username|Password)/i,
  /Authentication failed/i,
  /returned error: 401/i,
  /returned error: 403/i,
  /User permission denied/i,
  /Permission denied \(publickey/i,
  /Host key verification failed/i,
  /invalid credentials/i,
];
/** A redirect git was told not to follow (`http.followRedirects=false`). */
const MOVED = /returned error: 30[12378]\b/i;

const NOT_FOUND = [
  /repository '.*' not found/i,
  /Repository not found/i,
  /returned error: 404/i,
  /does not appear to be a git repository/i,
  /not a git repository/i,
  /No such file or directory/i,
];
const NETWORK = [
  /Could not resolve host/i,
  /Could not resolve proxy/i,
  /Failed to connect/i,
  /Couldn't connect to server/i,
  /Connection refused/i,
  /Connection reset/i,
  /Connection timed out/i,
  /Network is unreachable/i,
  /SSL|TLS|certificate/i,
  /RPC failed/i,
  /early EOF/i,
  /the remote end hung up unexpectedly/i,
  /returned error: 5\d\d/i,
  /Empty reply from server/i,
  /transfer closed/i,
];

/**
 * Classifies a failed git process. The order matters: a timeout is a
 * timeout whatever git printed as it died; authentication beats "not
 * found" because servers hide private repos behind both.
 */
export function classifyGitFailure(out: GitOutput): ErrorKind {
  if (out.timedOut) return "timeout";
  const text = out.stderr;
  if (REFUSED.some((re) => re.test(text))) return "refused";
  if (AUTH.some((re) => re.test(text))) return "auth";
  if (MOVED.test(text)) return "moved";
  if (NOT_FOUND.some((re) => re.test(text))) return "not_found";
  if (/returned error: 429\b/i.test(text)) return "rate-limited";
  if (/Operation timed out|timed out after|Operation too slow/i.test(text)) {
    return "timeout";
  }
  if (NETWORK.some((re) => re.test(text))) return "network";
  if (/pre-receive hook declined|protected branch|hook declined/i.test(text)) {
    return "rejected";
  }
  return "unknown";
}

/**
 * The server's own words from git's stderr: the `remote:` lines a hook or
 * protected branch printed, trimmed and joined, at most 300 characters.
 * Gitea 1.24+ frames them as `error:` lines (`error:`, `error: <msg>`,
 * `error:`): the bare prefix is dropped.
 */
export function remoteWords(stderr: string): string {
  const words = stderr.split(/\r?\n/)
    .filter((line) => line.startsWith("remote:"))
    .map((line) => line.slice("remote:".length).trim())
    .map((line) => line.replace(/^error:(\s+|$)/i, "").trim())
    .filter((line) => line !== "" && !/^hook declined/i.test(line))
    .join(" / ");
  return cutRedacted(words, 297);
}

/** What to do next, per kind: the tail of every failure message. */
export const ADVICE: Readonly<Record<ErrorKind, string>> = {
  auth:
    "check that the token in CASCADE_TOKEN (or --token-env) is valid and may write to this repo",
  not_found:
    "check the repo name and --base-url, and that the token may read the repo",
  network: "check the server address and network, then re-run",
  timeout:
    "the server did not answer in time: re-run, or raise --timeout if it is slow",
  conflict:
    "the branch kept moving: re-run the cascade (it is safe) or raise --attempts",
  rejected:
    "the server refused the push: allow the bot to push to this branch, or update it by hand",
  invalid: "fix the template or the arguments, then re-run",
  moved:
    "the server says the repository moved to another server; cascade sends nothing there: update the target if the move is expected",
  refused:
    "the repository is archived or a mirror and takes no push (the token is not the problem): unarchive it (or update the mirror's source), or drop it from the targets",
  "dispatch-refused":
    "the server refused the dispatch (Forgejo answers 500 for a missing workflow or branch): check that the workflow file is on the branch, and --workflow and --branch",
  "rate-limited":
    "the server is limiting cascade's requests (429): wait as long as its Retry-After asks, then re-run, or lower --concurrency",
  unknown: "re-run with the same arguments; if it persists, push by hand",
};

/**
 * A template's failure as the report holds it: the kind, and one line that
 * names the template. Anything but a {@linkcode TemplateError} is `unknown`.
 */
export function reportError(error: unknown, repo: string): ReportError {
  if (error instanceof TemplateError) {
    return { kind: error.kind, message: `${repo}: ${error.message}` };
  }
  const text = error instanceof Error ? error.message : String(error);
  return {
    kind: "unknown",
    message: `${repo}: ${text.split("\n")[0]}; ${ADVICE.unknown}`,
  };
}

/**
 * One line from the first meaningful git error line (`fatal:`/`error:`),
 * for `unknown` failures where the classifier found nothing better.
 */
export function firstErrorLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
