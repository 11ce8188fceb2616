import assert from "node:assert/strict";
import { workflowProblem } from "../lib/forge/workflow_file.ts";
import { parse } from "npm:yaml@2.9.1";

const lines = (...l: string[]) => `${l.join("\n")}\n`;

/** What a workflow file says about `workflow_dispatch`. */
type DispatchDeclaration =
  | { kind: "dispatch"; inputs: string[] }
  | { kind: "no_dispatch" }
  | { kind: "unreadable"; why: string };

/** Every key-like word of `text` (`name:`, `'b-c':`), first seen first. */
function keysIn(text: string): string[] {
  const keys = text.matchAll(/["']?([A-Za-z_][\w-]*)["']?[ \t]*:/g);
  return [...new Set([...keys].map((m) => m[1] ?? ""))];
}

/**
 * What `workflowProblem` says the workflow declares: no trigger, why it
 * cannot tell, or which of the file's own keys it takes as inputs (in the
 * order they stand in the file; any other name it refuses).
 */
function readDispatchInputs(text: string): DispatchDeclaration {
  const problem = workflowProblem(text, "w.yml", []);
  if (problem === "w.yml has no workflow_dispatch trigger") {
    return { kind: "no_dispatch" };
  }
  const unreadable = /^cannot tell whether w\.yml takes the inputs: (.*)$/s
    .exec(problem ?? "");
  if (unreadable !== null) {
    return { kind: "unreadable", why: unreadable[1] ?? "" };
  }
  assert.equal(problem, null);
  assert.notEqual(
    workflowProblem(text, "w.yml", ["not-a-key-of-this-file"]),
    null,
  );
  return {
    kind: "dispatch",
    inputs: keysIn(text).filter((name) =>
      workflowProblem(text, "w.yml", [name]) === null
    ),
  };
}

Deno.test("workflowProblem() reads the inputs of a block-style workflow_dispatch", () => {
  const text = lines(
    "# publish the image",
    "name: publish-image",
    "'on':",
    "  push:",
    "    branches: [main] # and tags",
    "",
    "  workflow_dispatch:",
    "    inputs:",
    "      runtime_version:",
    "        description: |",
    "          inputs:",
    "            not_an_input: x",
    '      "channel":',
    "        type: choice",
    "      flags: {}",
    "jobs:",
    "  inputs:",
    "    runs-on: x",
  );
  assert.deepEqual(readDispatchInputs(text), {
    kind: "dispatch",
    inputs: ["runtime_version", "channel", "flags"],
  });
  assert.equal(workflowProblem(text, "w.yml", ["runtime_version"]), null);
  assert.equal(
    workflowProblem(text, "w.yml", ["runtime_version", "a", "b"]),
    "w.yml does not declare the inputs a, b under workflow_dispatch",
  );
});

Deno.test("workflowProblem() reads on: as a scalar, a flow list and a block list", () => {
  for (
    const text of [
      "on: workflow_dispatch\n",
      'on: "workflow_dispatch"\n',
      "on: [push, 'workflow_dispatch']\n",
      "on:\n  - push\n  - workflow_dispatch\n",
      "on:\n  workflow_dispatch:\n",
      "on:\n  workflow_dispatch: null\n",
      "on:\n  workflow_dispatch:\n    inputs: {}\n",
      "---\non:\n  workflow_dispatch: &wd\n    inputs:\n",
    ]
  ) {
    assert.deepEqual(
      readDispatchInputs(text),
      { kind: "dispatch", inputs: [] },
      text,
    );
  }
  for (
    const text of [
      "on: push\n",
      "on: [push, pull_request]\n",
      "on:\n  push:\n    branches: [workflow_dispatch]\n",
      "name: x\njobs:\n  on:\n    workflow_dispatch:\n",
      "",
    ]
  ) {
    assert.deepEqual(readDispatchInputs(text), { kind: "no_dispatch" }, text);
  }
});

Deno.test("workflowProblem() says unreadable rather than guess", () => {
  const cases: [string, RegExp][] = [
    ["on: {workflow_dispatch: {inputs: {v: {}}}}\n", /flow style/],
    ["on:\n  workflow_dispatch: {inputs: {v: {}}}\n", /flow style/],
    ["on:\n  workflow_dispatch:\n    inputs: *shared\n", /alias/],
    ["on:\n  workflow_dispatch:\n    <<: *base\n", /merge key/],
    ["on:\n\tworkflow_dispatch:\n", /tabs/],
    ["on: push\n---\non: workflow_dispatch\n", /several documents/],
    [`on: workflow_dispatch\n${"#".repeat(300 * 1024)}\n`, /256 KiB/],
    [
      "on:\n  workflow_dispatch:\n    \u001b[2J\u202e: x\n  what?\n",
      /^cannot read "what\?"$/,
    ],
    [
      "on:\n  workflow_dispatch:\n    inputs:\n      a: 1\n      \u001b]0;x\u0007 x\n",
      /^cannot read "\\u001b\]0;x\\u0007 x"$/,
    ],
  ];
  for (const [text, why] of cases) {
    const found = readDispatchInputs(text);
    assert.equal(found.kind, "unreadable", text.slice(0, 60));
    assert.match(found.kind === "unreadable" ? found.why : "", why);
  }
  assert.match(
    workflowProblem(cases[0]?.[0] ?? "", "w.yml", ["v"]) ?? "",
    /^cannot tell whether w\.yml takes the inputs: /,
  );
  assert.equal(
    workflowProblem("on: push\n", "w.yml", []),
    "w.yml has no workflow_dispatch trigger",
  );
});

/** The inputs a real YAML parser finds under `on.workflow_dispatch`. */
function inputsByParser(text: string): string[] | null {
  const doc = parse(text) as { on?: unknown } | null;
  const on = doc?.on;
  if (on === "workflow_dispatch") return [];
  if (Array.isArray(on)) return on.includes("workflow_dispatch") ? [] : null;
  if (on === null || typeof on !== "object") return null;
  if (!("workflow_dispatch" in on)) return null;
  const dispatch = (on as Record<string, unknown>)["workflow_dispatch"] as
    | { inputs?: Record<string, unknown> | null }
    | null;
  return Object.keys(dispatch?.inputs ?? {});
}

Deno.test("workflowProblem() agrees with a YAML parser on the docs' workflows and others", async () => {
  const pages = await Promise.all(
    ["../README.md", "../docs/dispatch.md", "../docs/ci.md"].map((path) =>
      Deno.readTextFile(new URL(path, import.meta.url))
    ),
  );
  const blocks = pages.flatMap((page) =>
    [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")
  );
  const snippet = blocks.find((b) => b.includes("workflow_dispatch:"));
  assert.ok(snippet, "docs/dispatch.md shows a dispatchable workflow");
  const samples = [
    snippet,
    ...blocks,
    lines(
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      a: {description: x}",
      "      'b-c':",
      "        default: '#not a comment'",
      "  schedule:",
      "    - cron: '0 * * * *'",
    ),
  ];
  for (const text of samples) {
    const ours = readDispatchInputs(text);
    const theirs = inputsByParser(text);
    assert.deepEqual(
      ours.kind === "dispatch" ? ours.inputs : null,
      theirs,
      text.slice(0, 80),
    );
  }
  assert.deepEqual(readDispatchInputs(snippet), {
    kind: "dispatch",
    inputs: ["runtime_version"],
  });
});
