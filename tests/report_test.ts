import assert from "node:assert/strict";
import type { PushReport } from "../lib/model.ts";
import { summarise } from "./support/summarise.ts";
import {
  renderJson,
  renderMarkdown,
  renderText,
} from "../lib/report/render.ts";
import { annotations, escapeData, outputs } from "../lib/report/actions.ts";

function report(): PushReport {
  const results: PushReport["results"] = [
    {
      repo: "a|b",
      url: "u",
      branch: "main",
      status: "updated",
      previous: "0.1",
      commit: "0123456789abcdef",
      attempts: 1,
      durationMs: 1,
      verified: true,
    },
    {
      repo: "c",
      url: "u",
      branch: "trunk",
      status: "failed",
      previous: null,
      commit: null,
      attempts: 1,
      durationMs: 1,
      error: { kind: "rejected", message: "c: line1\nline2 100%" },
    },
    {
      repo: "d",
      url: "u",
      branch: "main",
      status: "superseded",
      previous: "0.1",
      commit: null,
      attempts: 2,
      durationMs: 1,
      current: "0.3",
      reason: "newer",
    },
  ];
  return {
    tool: "0",
    command: "push",
    version: "0.2",
    file: ".runtime-version",
    dryRun: false,
    startedAt: "t",
    durationMs: 5,
    results,
    summary: summarise(results),
  };
}

Deno.test("renderText() prints one line per template then a summary", () => {
  const lines = renderText(report()).trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.match(
    lines[0]!,
    /^updated\s+a\|b\s+main\s+0\.1 -> 0\.2\s+0123456789 verified$/,
  );
  assert.match(
    lines[1]!,
    /^failed\s+c\s+trunk\s+\(none\)\s+rejected: c: line1/,
  );
  assert.match(lines[2]!, /^superseded\s+d\s+main\s+0\.1 -> 0\.3 \(newer\)/);
  assert.equal(
    lines[3],
    "cascade push 0.2: 1 updated, 0 unchanged, 0 skipped, 1 failed, 1 superseded (3 templates, 0.0 s)",
  );
});

Deno.test("renderMarkdown() escapes cells; renderJson() round-trips", () => {
  const md = renderMarkdown(report());
  assert.match(
    md,
    /\| a\\\|b \| main \| 0\.1 → 0\.2 \| updated \| `0123456789` \| {2}\|/,
  );
  assert.match(md, /rejected: c: line1 line2 100%/);
  assert.deepEqual(JSON.parse(renderJson(report())), report());
});

Deno.test("annotations() and outputs() for a push report", () => {
  const lines = annotations(report());
  assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["::error", "::warning"]);
  // A line break in a message is shown, not acted on; % is escaped.
  assert.ok(lines[0]!.includes("line1\\nline2 100%25"), lines[0]);
  assert.equal(escapeData("a%\r\n"), "a%25%0D%0A");
  assert.equal(
    outputs(report()),
    "updated=a|b\nunchanged=\nskipped=\nfailed=c\nsuperseded=d\ninterrupted=\ndispatched=\nproposed=\nmerged=\nfailed-count=1\n",
  );
});
