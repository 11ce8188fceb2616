/**
 * Linear text handling: every parser and filter that sees server or
 * template text takes time in proportion to it. Each case feeds a 256 KiB
 * line or a 90 KB header built to make a backtracking pattern quadratic
 * (about 3 * 10^10 steps, a minute or more) and bounds the time generously
 * (2 s): a linear reader needs milliseconds, a quadratic one cannot pass.
 */

import assert from "node:assert/strict";
import {
  MAX_WORKFLOW_BYTES,
  workflowProblem,
} from "../lib/forge/workflow_file.ts";
import { notGitServer } from "../lib/git/not_git.ts";
import {
  forLog,
  forMarkdownCell,
  forTerminal,
} from "../lib/console/neutralise.ts";
import { Redactor } from "../lib/console/redact.ts";
import { nextLink } from "../lib/forge/paging.ts";
import { ForgeError } from "../lib/forge/forge_error.ts";
import { remoteWords } from "../lib/errors.ts";

const LINE = 256 * 1024;
const HEADER = 90 * 1000;
const BOUND_MS = 2000;

function timed<T>(what: string, run: () => T): T {
  const t0 = performance.now();
  const result = run();
  const ms = performance.now() - t0;
  assert.ok(ms < BOUND_MS, `${what} took ${Math.round(ms)} ms`);
  return result;
}

Deno.test("workflowProblem() reads a workflow with a 256 KiB line in linear time", () => {
  const blanks = " ".repeat(MAX_WORKFLOW_BYTES - 64);
  for (
    const text of [
      `on:\n  workflow_dispatch:\n    inputs:\n      a${blanks}b\n`,
      `on:\n  workflow_dispatch:\n    inputs:\n      v${blanks}:\n`,
      `x${blanks}y\non: workflow_dispatch\n`,
    ]
  ) {
    assert.ok(text.length <= MAX_WORKFLOW_BYTES);
    const found = timed("workflow", () => workflowProblem(text, "w.yml", []));
    assert.notEqual(found, undefined);
  }
  const ok = timed("workflow", () =>
    workflowProblem(
      `on:\n  workflow_dispatch:\n    inputs:\n      version${
        " ".repeat(LINE - 100)
      }:\n`,
      "w.yml",
      ["version"],
    ));
  assert.equal(ok, null, "declares version");
});

Deno.test("notGitServer() reads a 90 KB Content-Type header of a trace in linear time, cut before it is kept", () => {
  const trace = [
    "=> Send header: GET /o/a.git/info/refs?service=git-upload-pack HTTP/1.1",
    "<= Recv header: HTTP/1.1 200 OK",
    `<= Recv header: content-type: text/html${" ".repeat(HEADER)}x`,
    "<= Recv header: ",
  ].join("\n");
  const said = timed("trace", () => notGitServer(trace, "http://h/o/a.git"));
  // The answer read: a 200 of text/html, the header cut (what it says is
  // short).
  assert.ok(
    (said ?? "").startsWith(
      "http://h/o/a.git is not a git server (it answered 200 text/html",
    ),
    said ?? "",
  );
  assert.ok((said ?? "").length <= 1024);
});

Deno.test("the neutralisers and the redactor take a 256 KiB hostile line in linear time", () => {
  const redactor = new Redactor();
  redactor.add("tok_linear_0123456789", "cascade");
  const lines = [
    "a".repeat(LINE),
    `${" ".repeat(LINE)}x`,
    `${"\r\n ".repeat(LINE / 3)}x`,
    `https://${"u".repeat(LINE)}`,
    "##[".repeat(LINE / 3),
  ];
  for (const line of lines) {
    timed("redact", () => redactor.redact(line));
    timed("forLog", () => forLog(line, 200));
    timed("forTerminal", () => forTerminal(line));
    timed("forMarkdownCell", () => forMarkdownCell(line, 300));
    timed("remoteWords", () => remoteWords(`remote: ${line}\n`));
  }
});

Deno.test("nextLink() refuses a 90 KB Link header at once", () => {
  const header = `<${"/x".repeat(HEADER / 2)}>; rel="next"`;
  assert.throws(
    () => timed("link", () => nextLink(header, new URL("http://127.0.0.1/"))),
    (error) => error instanceof ForgeError && error.kind === "invalid",
  );
});
