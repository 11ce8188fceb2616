import assert from "node:assert/strict";
import {
  classifyGitFailure,
  firstErrorLine,
  remoteWords,
} from "../lib/errors.ts";
import type { GitOutput } from "../lib/git/runner.ts";

function out(stderr: string, extra: Partial<GitOutput> = {}): GitOutput {
  return {
    args: [],
    code: 128,
    stdout: "",
    stdoutBytes: new Uint8Array(),
    stderr,
    timedOut: false,
    aborted: false,
    ...extra,
  };
}

Deno.test("classifyGitFailure() maps git's words to kinds", () => {
  const cases: [string, string][] = [
    [
      "fatal: could not read Username for 'https://h': terminal prompts disabled",
      "auth",
    ],
    ["fatal: Authentication failed for 'https://h/x.git/'", "auth"],
    [
      "fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403",
      "auth",
    ],
    ["remote: User permission denied for writing", "auth"],
    [
      "remote: Repository not found\nfatal: repository 'https://h/x.git/' not found",
      "not_found",
    ],
    ["fatal: '/tmp/x.git' does not appear to be a git repository", "not_found"],
    [
      "fatal: unable to access 'https://h/': Could not resolve host: h",
      "network",
    ],
    [
      "fatal: unable to access 'http://127.0.0.1:1/': Failed to connect to 127.0.0.1 port 1: Couldn't connect to server",
      "network",
    ],
    [
      "fatal: unable to access 'https://h/': SSL certificate problem: self-signed certificate",
      "network",
    ],
    [
      "remote: Gitea: Not allowed to push to protected branch main\n ! [remote rejected] main (pre-receive hook declined)",
      "rejected",
    ],
    [
      "fatal: unable to access 'http://h/x.git/': Operation too slow. Less than 1 bytes/sec transferred the last 120 seconds",
      "timeout",
    ],
    ["fatal: something odd", "unknown"],
  ];
  for (const [stderr, kind] of cases) {
    assert.equal(classifyGitFailure(out(stderr)), kind, stderr);
  }
  assert.equal(
    classifyGitFailure(
      out("fatal: could not read Username", { timedOut: true }),
    ),
    "timeout",
  );
});

Deno.test("remoteWords() joins the server's remote: lines; firstErrorLine() finds fatal:", () => {
  assert.equal(
    remoteWords(
      "remote: Gitea: Not allowed to push to protected branch main        \nremote: \nerror: failed",
    ),
    "Gitea: Not allowed to push to protected branch main",
  );
  assert.equal(
    firstErrorLine("hint: x\nfatal: bad thing\n"),
    "fatal: bad thing",
  );
});
