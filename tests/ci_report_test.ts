import assert from "node:assert/strict";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import type { PushReport } from "../lib/model.ts";
import { args, ENV, FAST, setup } from "./support/wait_fixtures.ts";

Deno.test("push --wait: the server's context names, descriptions and links are printed escaped, kept exact in JSON", async () => {
  await using fx = await Fixture.create();
  const evil = "build \u001b[31m|x| `y` <b>\nforged";
  const { gitea, repos } = await setup(fx, ["a"], null, {
    ".runtime-version": "0.2\n",
  });
  await using _ = gitea;
  const tip = (await fx.tip(repos[0] ?? "")) ?? "";
  gitea.api.postStatus("org/a", tip, {
    status: "failure",
    context: evil,
    description: "bad\r\n::error::forged annotation",
    target_url: "javascript:alert(1)",
  });
  for (let i = 0; i < 60; i++) {
    gitea.api.postStatus("org/a", tip, {
      status: "success",
      context: `ctx ${String(i).padStart(2, "0")}`,
      description: "x".repeat(5000),
      target_url: "",
    });
  }
  const json = `${fx.root}/r.json`;
  const summary = `${fx.root}/s.md`;
  const run = await runCascade(
    args(gitea, ["a"], ["--wait", "--json", json, "--summary", summary]),
    { ...ENV, GITHUB_ACTIONS: "true" },
    { ciPolling: FAST },
  );
  assert.equal(run.code, 1);
  const ci = (await readReport<PushReport>(json)).results[0]?.ci;
  assert.equal(ci?.contexts.length, 50);
  assert.equal(ci?.contexts.find((c) => c.state === "failure")?.context, evil);
  assert.ok(ci?.contexts.every((c) => c.description.length <= 1024));
  assert.match(ci?.note ?? "", /11 more contexts not listed/);
  // Not a link (url null); the server's value kept exact as rawUrl.
  assert.equal(ci?.url, null);
  assert.equal(ci?.rawUrl, "javascript:alert(1)");
  assert.ok(!run.stdout.includes("\u001b"), "no escape sequence printed");
  assert.ok(!run.stdout.includes("javascript:"), "no non-http link printed");
  const lines = run.stdout.split("\n");
  assert.ok(!lines.some((l) => l.startsWith("::error::forged")));
  assert.ok(!lines.some((l) => l.startsWith("forged")));
  const markdown = await Deno.readTextFile(summary);
  assert.ok(!markdown.includes("\u001b") && !markdown.includes("javascript:"));
  const row = markdown.split("\n").find((l) => l.startsWith("| org/a"));
  // Every pipe in the row is a cell border or escaped.
  assert.equal(row?.replace(/\\\|/g, "").split("|").length, 9, row);
});
