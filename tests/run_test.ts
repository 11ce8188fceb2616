/**
 * The command layer's one prepare/finish (`lib/commands/run.ts`) through
 * its interface: the permission check (exit 2 before anything), the token
 * registered with the redactor before anything is printed, where the
 * report text goes (`--json -`), the work dir and its redacting git, and
 * the exit code rules.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  type CommonSettings,
  exitCodeOf,
  prepareRun,
  type RunContext,
  type RunIo,
  runPlans,
} from "../lib/commands/run.ts";
import { ForgeAccess } from "../lib/forge/access.ts";
import { Console } from "../lib/console/console.ts";
import { Redactor } from "../lib/console/redact.ts";
import { EXIT, UsageError } from "../lib/errors.ts";
import { parseTarget } from "../lib/targets/target.ts";
import { memorySinks } from "./support/fixtures.ts";

const TOKEN = "tok-9f8e7d6c5b4a";

/**
 * The settings every test here runs with. `values` (the option values
 * checked for the token) is set for the command layers that have it; the
 * assertion keeps the helper valid whichever fields `CommonSettings` has.
 */
const settings = (more: Partial<CommonSettings> = {}): CommonSettings =>
  ({
    sources: [],
    version: "1.0.0",
    org: [],
    match: [],
    exclude: [],
    topic: [],
    verbose: false,
    allowInsecureHttp: false,
    tokenEnv: "CASCADE_TEST_TOKEN",
    timeout: 30,
    remembered: {},
    values: { raw: {}, derived: [] },
    ...more,
  }) as CommonSettings;

function context(env: Record<string, string> = {}) {
  const sinks = memorySinks();
  const redactor = new Redactor();
  const io: RunIo = {
    sinks,
    env: (name) => env[name],
    cwd: fileURLToPath(new URL(".", import.meta.url)),
    handleSignals: false,
  };
  const ctx: RunContext = {
    retry: null,
    io,
    out: new Console(sinks, redactor, false),
    redactor,
  };
  return { ctx, sinks, redactor };
}

/** The plans `runPlans` hands its work (nothing else is run). */
async function plansOf(
  targets: string[],
  run: ReturnType<typeof prepareRun>,
  ctx: RunContext,
) {
  const parsed = targets.map((t) => parseTarget(t, undefined, "."));
  return (await runPlans(parsed, run, ctx, (plans) => Promise.resolve(plans)))
    .value;
}

Deno.test("run: the token is registered with the redactor before anything is printed", async () => {
  const { ctx, sinks } = context({ CASCADE_TEST_TOKEN: TOKEN });
  const run = prepareRun(
    settings({ tokenOrigin: ["https://git.test"], transport: "git" }),
    ctx,
  );
  assert.equal(run.token?.value, TOKEN);
  run.say.out(`said ${TOKEN}\n`);
  run.say.err(`warned ${TOKEN}\n`);
  run.print(`report ${TOKEN}\n`);
  assert.deepEqual(sinks.out, ["said ***\n", "report ***\n"]);
  assert.deepEqual(sinks.err, ["warned ***\n"]);
  // The plan's git config carries the credentials for git only.
  const [plan] = await plansOf(["https://git.test/org/a"], run, ctx);
  const config = Object.fromEntries(plan?.gitConfig ?? []);
  assert.equal(config["credential.helper"], "");
  assert.equal(config["http.lowSpeedTime"], "30");
  const header = Object.entries(config).find(([k]) => /extraheader/i.test(k));
  assert.ok(header, "the token goes to git as an extra header");
  assert.equal(ctx.redactor.redact(String(header[1])).includes(TOKEN), false);
});

Deno.test("run: without a token nothing is redacted and the run has no token", () => {
  const { ctx, sinks } = context();
  const run = prepareRun(settings({ tokenEnv: undefined }), ctx);
  assert.equal(run.token, null);
  run.say.out("plain\n");
  assert.deepEqual(sinks.out, ["plain\n"]);
});

Deno.test("run: with --json - the report text goes to stderr, else to stdout", () => {
  const routed = context();
  prepareRun(settings({ json: "-", tokenEnv: undefined }), routed.ctx).print(
    "report\n",
  );
  assert.deepEqual(routed.sinks.out, []);
  assert.deepEqual(routed.sinks.err, ["report\n"]);
  const plain = context();
  prepareRun(
    settings({ json: "r.json", tokenEnv: undefined }),
    plain.ctx,
  ).print("report\n");
  assert.deepEqual(plain.sinks.out, ["report\n"]);
  assert.deepEqual(plain.sinks.err, []);
});

Deno.test("run: exit codes: refused credentials over an interrupt over a failure", () => {
  assert.equal(exitCodeOf(0, false, false), EXIT.ok);
  assert.equal(exitCodeOf(0, false, true), EXIT.failed);
  assert.equal(exitCodeOf(0, true, true), EXIT.interrupted);
  assert.equal(exitCodeOf(2, true, true), EXIT.credentials);
  assert.deepEqual(
    [EXIT.ok, EXIT.failed, EXIT.credentials, EXIT.interrupted],
    [0, 1, 3, 130],
  );
});

Deno.test("run: the work dir exists for the work, its git redacts, and it is removed after", async () => {
  const { ctx } = context({ CASCADE_TEST_TOKEN: TOKEN });
  let seen = "";
  let wrapped = 0;
  const io: RunIo = {
    ...ctx.io,
    wrapGit: (git) => (args, options) => {
      wrapped++;
      return git(args, options);
    },
  };
  const run = await runPlans(
    [],
    prepareRun(settings(), { ...ctx, io }),
    { ...ctx, io },
    async (_plans, w) => {
      seen = w.workDir;
      assert.ok((await Deno.stat(`${w.workDir}/home`)).isDirectory);
      return await w.git([`no-such-command-${TOKEN}`], { cwd: w.workDir });
    },
  );
  assert.equal(run.interrupted, false);
  assert.equal(wrapped, 1);
  assert.notEqual(run.value.code, 0);
  assert.match(run.value.stderr, /no-such-command-\*\*\*/);
  assert.equal(run.value.stderr.includes(TOKEN), false);
  await assert.rejects(Deno.stat(seen), Deno.errors.NotFound);
});

Deno.test("run: an interrupt during the work is reported, and the work dir still goes", async () => {
  const { ctx } = context();
  const controller = new AbortController();
  let seen = "";
  const interruptible = {
    ...ctx,
    io: { ...ctx.io, signal: controller.signal },
  };
  const run = await runPlans(
    [],
    prepareRun(settings({ tokenEnv: undefined }), interruptible),
    interruptible,
    (_plans, w) => {
      seen = w.workDir;
      controller.abort();
      assert.equal(w.signal.aborted, true);
      return Promise.resolve("stopped");
    },
  );
  assert.deepEqual(run, { value: "stopped", interrupted: true });
  await assert.rejects(Deno.stat(seen), Deno.errors.NotFound);
});

Deno.test("run: the transport reads in-process only where the run's access grants net for the host; else git", async () => {
  const { ctx } = context();
  const run = prepareRun(settings({ tokenEnv: undefined }), ctx);
  // The access alone decides: it grants git.test:80, which Deno does not,
  // and refuses 127.0.0.1:9, which Deno (--allow-net=127.0.0.1) grants.
  const granted = new Set(["git.test"]);
  const access = ForgeAccess.fromToken(
    null,
    run.settings,
    ctx.io.env,
    (d) => d.name === "net" && granted.has(d.host ?? "") ? "granted" : "denied",
  );
  const plans = await plansOf(
    ["http://git.test/org/a.git", "http://127.0.0.1:9/org/b.git"],
    { ...run, settings: { ...run.settings, transport: "auto" }, access },
    ctx,
  );
  assert.deepEqual(
    plans.map((p) => [p.httpRefs?.url ?? null, p.netAllowed]),
    [["http://git.test/org/a.git", true], [null, false]],
  );
  // --transport git: git even where net is granted.
  const git = await plansOf(
    ["http://git.test/org/a.git"],
    { ...run, settings: { ...run.settings, transport: "git" }, access },
    ctx,
  );
  assert.deepEqual(git.map((p) => [p.httpRefs ?? null, p.netAllowed]), [
    [null, true],
  ]);
});

Deno.test("run: a missing permission is a usage error (exit 2) before the token is read", async () => {
  const run = new URL("../lib/commands/run.ts", import.meta.url).href;
  const script = `
    import { prepareRun } from ${JSON.stringify(run)};
    let read = 0;
    try {
      prepareRun({ sources: [], version: "1", org: [], match: [], exclude: [],
        topic: [], verbose: false, allowInsecureHttp: false,
        tokenEnv: "CASCADE_TEST_TOKEN", timeout: 30, remembered: {} },
        { retry: null, out: null, redactor: null,
          io: { sinks: null, cwd: ".", handleSignals: false,
            env: (name) => { if (name === "CASCADE_TEST_TOKEN") read++; return "x"; } } });
      console.log("no error");
    } catch (e) {
      console.log(JSON.stringify([e.name, e.exitCode, e.message, read]));
    }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--allow-read", "--allow-env", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const done = await out.output();
  const [name, code, message, read] = JSON.parse(
    new TextDecoder().decode(done.stdout),
  );
  assert.deepEqual([name, code, read], ["UsageError", 2, 0]);
  assert.equal(
    message,
    "cascade needs --allow-run=git (and --allow-write): add them to the deno run command",
  );
  assert.ok(new UsageError("x").exitCode === EXIT.usage);
});
