/** Input files and report paths checked early (`lib/targets/inputs.ts`). */

import assert from "node:assert/strict";
import { checkReportPaths, readInput } from "../lib/targets/inputs.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("inputs: an input file is read relative to cwd; a missing one is a usage error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cascade-test-" });
  try {
    await Deno.writeTextFile(`${dir}/repos.txt`, "org/a\n");
    assert.equal(await readInput("repos.txt", "--repos-file", dir), "org/a\n");
    await assert.rejects(
      readInput("nope.txt", "--repos-file", dir),
      (e: unknown) =>
        e instanceof UsageError && e.exitCode === 2 &&
        e.message === "--repos-file nope.txt does not exist",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inputs: report paths in a missing directory are refused before any push", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cascade-test-" });
  try {
    await checkReportPaths({ json: "r.json", summary: "-" }, dir);
    await assert.rejects(
      checkReportPaths({ summary: "no/s.md" }, dir),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `--summary no/s.md: directory ${dir}/no does not exist`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
