/**
 * The README's cascade.json and its operator's cheat sheet, as written,
 * in sequence: a push where one template fails, `targets`, then the retry.
 * The config, the templates list and the commands are read from the README.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { PushReport } from "../lib/model.ts";
import { Fixture, readReport, runCascadeProcess } from "./support/fixtures.ts";
import { startGitea } from "./support/gitea_api.ts";

const README = fileURLToPath(new URL("../README.md", import.meta.url));
const TOKEN = "tok_readme_7d2c4e1a9b";

/** The fenced blocks of `lang` in `text`, in order. */
function blocks(text: string, lang: string): string[] {
  return [
    ...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g")),
  ]
    .map((m) => m[1] ?? "");
}

/** The cheat sheet's command line that starts with `start`, as argv. */
function command(sheet: string, start: string): string[] {
  const line = sheet.split("\n").find((l) => l.startsWith(start));
  assert.ok(line !== undefined, `the cheat sheet has ${start}`);
  return line.replace(/\s+#.*$/, "").trim().split(/\s+/).slice(1);
}

Deno.test("README: its cascade.json and cheat sheet work together: push (one fails), targets, retry-failed", async () => {
  const readme = await Deno.readTextFile(README);
  const config = blocks(readme, "jsonc").find((b) =>
    b.includes("cascade.json")
  );
  assert.ok(config !== undefined, "the README shows cascade.json");
  const list = blocks(readme, "text").find((b) =>
    b.includes("templates/python-slim")
  );
  assert.ok(list !== undefined, "the README shows templates.txt");
  const at = readme.indexOf("### Operator's cheat sheet");
  const sheet = blocks(readme.slice(at), "sh")[0] ?? "";

  await using fx = await Fixture.create();
  const wired = {
    ".runtime-version": "0.1.7\n",
    Dockerfile: "COPY .runtime-version /\n",
  };
  const names = list.split("\n").filter((l) => /^[a-z]/.test(l));
  assert.deepEqual(names, [
    "templates/python-slim",
    "templates/python-gpu",
    "templates/node-lts",
    "templates/legacy-java",
  ]);
  const repos: Record<string, string> = {};
  for (const name of names) {
    repos[name] = await fx.repo(
      name,
      name.endsWith("legacy-java") ? { Dockerfile: "FROM java\n" } : wired,
    );
  }
  const gpu = repos["templates/python-gpu"]!;
  await fx.hook(
    gpu,
    "pre-receive",
    "#!/bin/sh\necho 'locked for a migration' >&2\nexit 1\n",
  );
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const work = `${fx.root}/release`;
  await Deno.mkdir(work);
  // The README's file, pointed at the stand-in server.
  await Deno.writeTextFile(
    `${work}/cascade.json`,
    config.replaceAll("https://git.example.com", gitea.origin),
  );
  await Deno.writeTextFile(`${work}/templates.txt`, list);
  const run = (args: string[]) =>
    runCascadeProcess(args, {
      tmpDir: fx.root,
      cwd: work,
      env: { CASCADE_TOKEN: TOKEN },
      allowNet: "127.0.0.1",
    });

  const push = await run(["push", "0.1.8"]);
  assert.equal(push.code, 1, push.stdout + push.stderr);
  const first = await Deno.readFile(`${work}/cascade-report.json`);
  const report = await readReport<PushReport>(`${work}/cascade-report.json`);
  assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
    ["templates/python-slim", "updated"],
    ["templates/python-gpu", "failed"],
    ["templates/node-lts", "updated"],
    ["templates/legacy-java", "skipped"],
  ]);

  const targets = await run(
    command(sheet, "cascade targets --org templates --probe Dockerfile"),
  );
  assert.equal(targets.code, 0, targets.stdout + targets.stderr);
  assert.match(targets.stdout, /^templates\/python-gpu\s/m);
  assert.deepEqual(
    await Deno.readFile(`${work}/cascade-report.json`),
    first,
    "targets left the push report alone",
  );

  await Deno.remove(`${gpu}/hooks/pre-receive`);
  const retry = await run(
    command(sheet, "cascade push 0.1.8 --retry-failed cascade-report.json"),
  );
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  const again = await readReport<PushReport>(`${work}/retry.json`);
  assert.deepEqual(again.results.map((r) => [r.repo, r.status]), [
    ["templates/python-gpu", "updated"],
  ]);
  assert.equal(await fx.text(gpu, "main", ".runtime-version"), "0.1.8\n");
  assert.equal(await fx.count(repos["templates/python-slim"]!), 2);
});

Deno.test("subprocess: a config's status section names status's report; the top-level json stays push's", async () => {
  await using fx = await Fixture.create();
  const a = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const work = `${fx.root}/w`;
  await Deno.mkdir(work);
  await Deno.writeTextFile(
    `${work}/cascade.json`,
    JSON.stringify({
      repos: [a],
      json: "push.json",
      status: { json: "status.json" },
    }),
  );
  const status = await runCascadeProcess(["status", "0.1"], {
    tmpDir: fx.root,
    cwd: work,
  });
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.equal(
    (await readReport<{ command: string }>(`${work}/status.json`)).command,
    "status",
  );
  await assert.rejects(
    () => Deno.stat(`${work}/push.json`),
    Deno.errors.NotFound,
  );
  const push = await runCascadeProcess(["push", "0.2"], {
    tmpDir: fx.root,
    cwd: work,
  });
  assert.equal(push.code, 0, push.stdout + push.stderr);
  assert.equal(
    (await readReport<PushReport>(`${work}/push.json`)).results[0]?.status,
    "updated",
  );
  assert.equal(
    (await readReport<{ command: string }>(`${work}/status.json`)).command,
    "status",
    "the status report stays",
  );
});
