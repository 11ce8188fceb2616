import assert from "node:assert/strict";
import { Fixture, runCascadeProcess } from "./support/fixtures.ts";
import { parseCommand } from "./support/parse_command.ts";
import { flagOf, type OptionName, OPTIONS } from "../lib/cli/options.ts";
import { negationOf } from "../lib/cli/negation.ts";

Deno.test("subprocess: a CI flag without what it shapes is refused with exit 2 before anything runs", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("a", { ".runtime-version": "0.1\n" });
  const cases: [string[], string][] = [
    [
      ["push", "0.2", "--repo", repo, "--wait-timeout", "90"],
      "push: --wait-timeout needs --wait (it shapes the wait for CI)",
    ],
    [
      ["push", "0.2", "--repo", repo, "--wait-start", "1m"],
      "push: --wait-start needs --wait (it shapes the wait for CI)",
    ],
    [
      ["push", "0.2", "--repo", repo, "--ci-context", "lint*"],
      "push: --ci-context needs --wait (it shapes the wait for CI)",
    ],
    [
      ["status", "0.2", "--repo", repo, "--ci-context", "lint*"],
      "status: --ci-context needs --ci (it picks the contexts --ci reads)",
    ],
    [
      ["status", "0.2", "--repo", repo, "--ci", "--wait-timeout", "90"],
      "status: --wait-timeout bounds push --wait; status --ci reads each CI once, without waiting",
    ],
  ];
  for (const [args, message] of cases) {
    const run = await runCascadeProcess(args, { tmpDir: fx.root });
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stderr.split("\n")[0], `cascade: ${message}`);
  }
  assert.equal(await fx.count(repo), 1, "nothing pushed");
});

Deno.test("subprocess: a config's dryRun and noDowngrade are undone by --no-dry-run and --downgrade; --help lists the negations", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("a", { ".runtime-version": "0.3\n" });
  const work = `${fx.root}/w`;
  await Deno.mkdir(work);
  await Deno.writeTextFile(
    `${work}/cascade.json`,
    JSON.stringify({ repos: [repo], dryRun: true, noDowngrade: true }),
  );
  const opts = { tmpDir: fx.root, cwd: work };
  const dry = await runCascadeProcess(["push", "0.4"], opts);
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.equal(await fx.count(repo), 1, "the config's dryRun holds");
  const real = await runCascadeProcess(["push", "0.4", "--no-dry-run"], opts);
  assert.equal(real.code, 0, real.stdout + real.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.4\n");
  const refused = await runCascadeProcess(
    ["push", "0.2", "--no-dry-run"],
    opts,
  );
  assert.equal(refused.code, 0, refused.stdout + refused.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.4\n");
  const down = await runCascadeProcess(
    ["push", "0.2", "--no-dry-run", "--downgrade"],
    opts,
  );
  assert.equal(down.code, 0, down.stdout + down.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.2\n");
  const last = await runCascadeProcess(
    ["push", "0.5", "--no-dry-run", "--dry-run"],
    opts,
  );
  assert.equal(last.code, 0, last.stdout + last.stderr);
  assert.equal(
    await fx.count(repo),
    3,
    "the last of a flag and its negation wins",
  );

  const help = await runCascadeProcess(["push", "--help"], opts);
  assert.match(
    help.stdout,
    /^Turning a flag off \(over a config file\): --no-allow-insecure-http, --no-verbose, --no-dry-run, --downgrade, --no-allow-skip-ci, --no-allow-prefix-change, --no-auto-merge, --no-wait$/m,
  );
});

Deno.test("every boolean option of the table has a negation that parses to false over a layer holding true", () => {
  const booleans = (Object.keys(OPTIONS) as OptionName[]).filter((n) =>
    OPTIONS[n].kind === "boolean" && n !== "help"
  );
  assert.ok(booleans.length >= 8);
  for (const name of booleans) {
    const negation = negationOf(name);
    assert.ok(negation !== null, name);
    const command = name === "ci" ? "status" : "push";
    const parsed = parseCommand(
      [command, "1.0", "--repo", "/x", negation],
      [{ source: "cascade.json", values: { [name]: true } }],
    );
    assert.ok("options" in parsed, `--${flagOf(name)}`);
    assert.equal(
      (parsed.options as unknown as Record<string, unknown>)[name],
      false,
      negation,
    );
  }
});
