import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseCommand } from "./support/parse_command.ts";
import { usage } from "../lib/cli/usage.ts";
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
  discovery: "**Discovery**",
  check: "**Options** (targets only",
  common: "**Options** (push and status)",
  push: "**Options** (push only)",
  dispatch: "**Options** (push with `--trigger dispatch`",
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

const PUSH_ONLY: readonly string[] = ["push", "dispatch"];

Deno.test("usage() lists every flag of its command, push-only flags only for push", () => {
  const push = usage("push");
  const status = usage("status");
  const targets = usage("targets");
  for (const [name, spec] of Object.entries(OPTIONS)) {
    if (name === "help") continue;
    const flag = `--${flagOf(name)}`;
    assert.equal(push.includes(flag), spec.group !== "check", flag);
    assert.equal(
      status.includes(flag),
      !PUSH_ONLY.includes(spec.group) && spec.group !== "check",
      flag,
    );
    assert.equal(
      targets.includes(flag),
      !PUSH_ONLY.includes(spec.group) && spec.group !== "ci",
      flag,
    );
  }
});

Deno.test("parseCommand() takes targets without a version, and its flags only there", () => {
  const command = parseCommand(["targets", "--org", "tpl", "--topic", "Run"]);
  assert.ok(command.command === "targets");
  if (command.command === "targets") {
    assert.equal(command.options.version, "");
    assert.deepEqual(command.options.org, ["tpl"]);
    assert.deepEqual(command.options.topic, ["run"]);
  }
  assert.throws(() => parseCommand(["targets", "0.1.8"]), /takes no version/);
  assert.throws(
    () => parseCommand(["push", "0.1.8", "--repo", "a/b", "--check", "f"]),
    /--check is an option of targets only/,
  );
  assert.throws(
    () => parseCommand(["targets", "--org", "a b"]),
    /--org "a b" is not an organisation or user name/,
  );
  assert.throws(
    () => parseCommand(["targets", "--org", "o", "--match", "x|y"]),
    /--match "x\|y" must be a name pattern/,
  );
  assert.throws(
    () => parseCommand(["targets", "--org", "o", "--topic=.x"]),
    /--topic ".x" is not a Gitea topic/,
  );
});

Deno.test("parseCommand(): targets on the command line replace a layer's, its discovery keys too", () => {
  const layer = {
    source: "cascade.json",
    values: { org: ["tpl"], topic: ["run"], reposFile: ["t.txt"] },
  };
  const fromLayer = parseCommand(["status", "1.0"], [layer]);
  const own = parseCommand(["status", "1.0", "--repo", "a/b"], [layer]);
  const ownOrg = parseCommand(["status", "1.0", "--org", "other"], [layer]);
  if (
    fromLayer.command !== "status" || own.command !== "status" ||
    ownOrg.command !== "status"
  ) {
    throw new Error("expected status commands");
  }
  assert.deepEqual(fromLayer.options.org, ["tpl"]);
  assert.deepEqual(fromLayer.options.topic, ["run"]);
  assert.deepEqual(fromLayer.options.sources, [{ reposFile: "t.txt" }]);
  assert.deepEqual(own.options.org, []);
  assert.deepEqual(own.options.topic, []);
  assert.deepEqual(own.options.sources, [{ repo: "a/b" }]);
  assert.deepEqual(ownOrg.options.org, ["other"]);
  assert.deepEqual(ownOrg.options.topic, []);
  assert.deepEqual(ownOrg.options.sources, []);
});
