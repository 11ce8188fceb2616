/**
 * `cascade targets --check FILE`, the list-drift gate, against the Gitea
 * stand-in: clean, missing, archived, renamed, unwired, mirror, and a
 * wired template the file lacks.
 */

import assert from "node:assert/strict";
import { runCascade } from "./support/fixtures.ts";
import { paths, world } from "./support/targets_world.ts";
Deno.test("targets --check: a file that agrees with the server exits 0", async () => {
  await using w = await world();
  const file = await w.fx.write(
    "templates.txt",
    "# runtime templates\ntpl/t-python\ntpl/t-node\n",
  );
  const run = await runCascade([
    "targets",
    "--org",
    "tpl",
    "--topic",
    "runtime",
    "--probe",
    "Dockerfile",
    "--check",
    file,
  ], w.env);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /--check .*templates\.txt: the file agrees with the server \(2 templates\)/,
  );
});

Deno.test("targets --check names each difference: missing, archived, renamed, unwired, and a wired template the file lacks", async () => {
  await using w = await world();
  const file = await w.fx.write(
    "templates.txt",
    [
      "tpl/t-node",
      "tpl/t-legacy",
      "tpl/t-archived",
      "tpl/t-gone",
      "tpl/t-ruby-old",
      "alice/t-personal",
      "",
    ].join("\n"),
  );
  const run = await runCascade([
    "targets",
    "--org",
    "tpl",
    "--probe",
    "Dockerfile",
    "--check",
    file,
  ], w.env);
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stdout.split("\n").filter((l) =>
    /^(add|remove|replace|check) /.test(l)
  );
  assert.deepEqual(lines, [
    `remove tpl/t-legacy from ${file}: not wired: none of Dockerfile mentions .runtime-version`,
    `remove tpl/t-archived from ${file}: archived`,
    `remove tpl/t-gone from ${file}: no such repository on the server`,
    `replace tpl/t-ruby-old with tpl/t-python in ${file}: the repository was renamed`,
    `add tpl/t-docs to ${file}: a wired template the server has`,
  ]);
  assert.match(
    run.stdout,
    /: 5 differences; change the file as each line says/,
  );
  // The renamed repo: the API's 307 was followed to the new name.
  assert.ok(paths(w).includes("/api/v1/repos/tpl/t-ruby-old"));
  assert.ok(paths(w).includes("/api/v1/repos/tpl/t-python"));
  // alice/t-personal lies outside --org: looked up, probed, found fine.
  assert.ok(paths(w).includes("/api/v1/repos/alice/t-personal"));
  assert.match(run.stdout, /^alice\/t-personal +main +wired: yes$/m);
});

Deno.test("targets --check without other sources checks the file's own entries", async () => {
  await using w = await world();
  const file = await w.fx.write(
    "templates.txt",
    "tpl/t-node\ntpl/t-mirror\n",
  );
  const run = await runCascade(["targets", "--check", file], w.env);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stdout,
    new RegExp(
      `^remove tpl/t-mirror from ${file}: mirror \\(read-only\\)$`,
      "m",
    ),
  );
  assert.match(run.stdout, /: 1 difference; /);
  // In Actions each difference is an error annotation.
  const annotated = await runCascade(["targets", "--check", file], {
    ...w.env,
    GITHUB_ACTIONS: "true",
  });
  assert.equal(annotated.code, 1);
  assert.match(
    annotated.stdout,
    new RegExp(`^::error::remove tpl/t-mirror from ${file}: mirror`, "m"),
  );
  const fixed = await w.fx.write("fixed.txt", "tpl/t-node\n");
  const clean = await runCascade(["targets", "--check", fixed], w.env);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
});
