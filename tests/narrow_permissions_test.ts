/**
 * The README's narrowed permission line, as written (read from the README),
 * run by bash with TMPDIR set and unset; and a missing permission for a
 * report, the temp dir or an Actions file found before anything runs.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { PushReport } from "../lib/model.ts";
import { CASCADE, Fixture } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";

const README = fileURLToPath(new URL("../README.md", import.meta.url));
const TOKEN = "tok_narrow_3b9d1e";

/** The README's narrowed `--allow-read=… --allow-write=…` and `--allow-env=…`. */
async function narrowedFlags(): Promise<{ files: string; env: string }> {
  const text = await Deno.readTextFile(README);
  const files = /`(--allow-read=\S+ --allow-write=\S+)`/.exec(text)?.[1];
  const env = /`(--allow-env=[A-Z_,]+)`/.exec(text)?.[1];
  assert.ok(files && env, "the README shows narrowed flags");
  return { files, env };
}

interface Shell {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run <flags> cascade.ts <args>` through bash in `cwd`. */
async function viaBash(
  flags: string,
  args: string,
  cwd: string,
  env: Record<string, string>,
): Promise<Shell> {
  const script =
    `exec "$DENO" run --quiet --no-prompt --allow-run=git ${flags} "$CASCADE" ${args}`;
  const out = await new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-c", script],
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO: Deno.execPath(),
      CASCADE,
      NO_COLOR: "1",
      DENO_DIR: Deno.env.get("DENO_DIR") ??
        `${Deno.env.get("HOME")}/.cache/deno`,
      CASCADE_TOKEN: TOKEN,
      ...env,
    },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

async function world(fx: Fixture) {
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  const server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const work = `${fx.root}/work`;
  const tmp = `${fx.root}/tmp`;
  await Deno.mkdir(work);
  await Deno.mkdir(tmp);
  await Deno.writeTextFile(`${work}/templates.txt`, "org/a\n");
  return { repo, server, work, tmp };
}

Deno.test("subprocess: the README's narrowed permission line works as written, TMPDIR set and unset", async () => {
  await using fx = await Fixture.create();
  const { repo, server, work, tmp } = await world(fx);
  await using _ = server;
  const { files, env } = await narrowedFlags();
  for (const [version, tmpdir] of [["0.2", tmp], ["0.3", null]] as const) {
    await Deno.writeTextFile(`${work}/report.json`, "stale\n");
    const run = await viaBash(
      `${files} ${env}`,
      `push ${version} --base-url ${server.origin} --repos-file templates.txt --json report.json`,
      work,
      { HOME: fx.root, ...(tmpdir ? { TMPDIR: tmpdir } : {}) },
    );
    assert.equal(run.code, 0, `TMPDIR=${tmpdir}: ${run.stdout}${run.stderr}`);
    assert.equal(
      await fx.text(repo, "main", ".runtime-version"),
      `${version}\n`,
    );
    const report = JSON.parse(
      await Deno.readTextFile(`${work}/report.json`),
    ) as PushReport;
    assert.deepEqual(report.results.map((r) => [r.repo, r.status]), [
      ["org/a", "updated"],
    ]);
  }
});

Deno.test("subprocess: a report, the temp dir or the step summary Deno may not write: exit 2 naming --allow-write, nothing pushed", async () => {
  await using fx = await Fixture.create();
  const { repo, server, work, tmp } = await world(fx);
  await using _ = server;
  const push =
    `push 0.2 --base-url ${server.origin} --repos-file templates.txt`;
  const cases: [string, string, Record<string, string>][] = [
    // The report is not among the writable paths.
    [`--allow-write=${tmp}`, `${push} --json report.json`, {}],
    // The temp dir is not.
    [`--allow-write=${work}/report.json`, `${push} --json report.json`, {}],
    // In Actions, the step summary is not.
    [`--allow-write=${tmp}`, push, {
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: `${work}/summary.md`,
    }],
  ];
  for (const [write, args, env] of cases) {
    const run = await viaBash(
      `--allow-read --allow-env ${write}`,
      args,
      work,
      { HOME: fx.root, TMPDIR: tmp, ...env },
    );
    assert.equal(run.code, 2, `${write} ${args}: ${run.stdout}${run.stderr}`);
    assert.match(
      run.stderr,
      /^cascade: cascade needs --allow-write: add it to the deno run command$/m,
    );
    assert.equal(await fx.count(repo), 1, "nothing pushed");
  }
});

Deno.test("subprocess: reads narrowed without cascade.json: exit 2 naming --allow-read for it, nothing pushed", async () => {
  await using fx = await Fixture.create();
  const { repo, server, work, tmp } = await world(fx);
  await using _ = server;
  const run = await viaBash(
    `--allow-read=${tmp},templates.txt --allow-write --allow-env`,
    `push 0.2 --base-url ${server.origin} --repos-file templates.txt`,
    work,
    { HOME: fx.root, TMPDIR: tmp },
  );
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(
    run.stderr,
    /^cascade: cascade needs --allow-read for \S+\/work\/cascade\.json \(it looks for cascade\.json in the working directory\): add cascade\.json to --allow-read, or pass --config <file>$/m,
  );
  assert.equal(await fx.count(repo), 1);
});
