import assert from "node:assert/strict";
import { commandValues, splitSections } from "../lib/cli/config_sections.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("splitSections separates the command sections from the top level", () => {
  const parsed = {
    probe: ["Dockerfile"],
    push: { json: "p.json" },
    status: { ci: true },
    targets: {},
    pushy: 1,
  };
  assert.deepEqual(splitSections(parsed, "cascade.json"), {
    top: { probe: ["Dockerfile"], pushy: 1 },
    sections: { push: { json: "p.json" }, status: { ci: true }, targets: {} },
  });
  // Those three and no other: the other words a command line knows are
  // top-level keys (and then unknown ones).
  assert.deepEqual(
    splitSections({ demo: {}, dispatch: {}, help: {} }, "cascade.json"),
    { top: { demo: {}, dispatch: {}, help: {} }, sections: {} },
  );
});

Deno.test("splitSections leaves a non-object config for the key check", () => {
  for (const parsed of [null, [], "x", 3]) {
    assert.deepEqual(splitSections(parsed, "c.json"), {
      top: parsed,
      sections: {},
    });
  }
});

Deno.test("a section that is not an object is refused, naming it and the file", () => {
  for (const value of [null, [], "x", 1, true]) {
    assert.throws(
      () => splitSections({ status: value }, "ci/cascade.json"),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          '"status" in ci/cascade.json must be an object of settings for cascade status ({ "json": "…" })',
      JSON.stringify(value),
    );
  }
});

Deno.test("a prototype key in the config is no section and pollutes nothing", () => {
  const parsed = JSON.parse('{"__proto__": {"json": "x"}, "push": {"a": 1}}');
  const { top, sections } = splitSections(parsed, "c.json");
  assert.equal(({} as Record<string, unknown>)["json"], undefined);
  assert.deepEqual(sections, { push: { a: 1 } });
  assert.ok(Object.hasOwn(top as object, "__proto__"));
});

Deno.test("report paths at the top level are push's alone", () => {
  const config = {
    values: { json: "r.json", summary: "s.md", probe: "Dockerfile" },
    sections: {
      targets: { summary: "t.md" },
      push: { probe: "go.mod" },
    },
  };
  assert.deepEqual(commandValues(config, "push"), {
    json: "r.json",
    summary: "s.md",
    probe: "go.mod",
  });
  assert.deepEqual(commandValues(config, "status"), { probe: "Dockerfile" });
  assert.deepEqual(commandValues(config, "targets"), {
    probe: "Dockerfile",
    summary: "t.md",
  });
  assert.deepEqual(commandValues({ values: {} }, "status"), {});
});
