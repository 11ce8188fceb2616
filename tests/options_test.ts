import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { usage } from "../lib/cli/parse.ts";
import { flagOf, OPTIONS, type OptionSpec } from "../lib/cli/options.ts";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The rows of the README table that follows the line starting `heading`. */
function readmeTable(text: string, heading: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `README has a table under ${heading}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") {
      if (rows.length > 0) break;
      continue;
    }
    if (!line.startsWith("|")) break;
    rows.push(
      line.replace(/\\\|/g, "\u{e000}").split("|").slice(1, -1).map((c) =>
        c.replace(/\u{e000}/gu, "|").trim()
      ),
    );
  }
  return rows.slice(2); // header and rule
}

const GROUPS = {
  targets: "**Targets**",
  common: "**Options** (push and status)",
  push: "**Options** (push only)",
  ci: "**Options** (CI",
} as const;

Deno.test("the README's flag tables list exactly the option table's flags, with its defaults", async () => {
  const text = await Deno.readTextFile(README);
  for (const [group, heading] of Object.entries(GROUPS)) {
    const rows = readmeTable(text, heading);
    const documented = rows.map((row) => {
      const flags = [...(row[0] ?? "").matchAll(/`(--?[a-z-]+)/g)].map((m) =>
        m[1]
      );
      return { flag: flags.find((f) => f?.startsWith("--")), row };
    });
    const expected = Object.entries(OPTIONS)
      .filter(([name, spec]) => spec.group === group && name !== "help")
      .map(([name]) => `--${flagOf(name)}`);
    assert.deepEqual(
      documented.map((d) => d.flag).sort(),
      expected.sort(),
      `README ${heading} table`,
    );
    if (group === "targets") continue;
    for (const { flag, row } of documented) {
      const name = Object.keys(OPTIONS).find((n) => `--${flagOf(n)}` === flag);
      const spec = OPTIONS[name as keyof typeof OPTIONS] as OptionSpec;
      const shown = (row[1] ?? "").replace(/`/g, "");
      assert.equal(
        shown,
        spec.shownDefault ??
          (spec.kind === "boolean" && shown === "off" ? "off" : ""),
        `default of ${flag} in the README`,
      );
    }
  }
});

Deno.test("usage() lists every flag of its command, push-only flags only for push", () => {
  const push = usage("push");
  const status = usage("status");
  for (const [name, spec] of Object.entries(OPTIONS)) {
    if (name === "help") continue;
    const flag = `--${flagOf(name)}`;
    assert.ok(push.includes(flag), `push --help shows ${flag}`);
    assert.equal(status.includes(flag), spec.group !== "push", flag);
  }
});
