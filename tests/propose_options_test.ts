/**
 * The pull-request flags (`--via`, `--auto-merge`, `--merge-style`), the
 * branch name and the pull request's text, through their public faces.
 */

import assert from "node:assert/strict";
import {
  checkProposeFlags,
  PROPOSE_OPTIONS,
} from "../lib/cli/propose_options.ts";
import { proposalBranch } from "../lib/modes/propose/branch.ts";
import { UsageError } from "../lib/errors.ts";
import { parseCommand } from "./support/parse_command.ts";
import { Fixture } from "./support/fixtures.ts";
import { push, world } from "./support/propose_world.ts";

/** `--via` as the table of flags converts it. */
const viaOf = (raw: string | undefined) => PROPOSE_OPTIONS.via.value(raw);
/** `--merge-style` as the table of flags converts it. */
const mergeStyleOf = (raw: string | undefined) =>
  PROPOSE_OPTIONS.mergeStyle.value(raw);

Deno.test("--via and --merge-style take Gitea's words and refuse others, naming them", () => {
  assert.equal(viaOf(undefined), "push");
  assert.equal(viaOf("pr"), "pr");
  assert.throws(
    () => viaOf("merge-request"),
    UsageError,
    '--via must be push, pr or auto, not "merge-request"',
  );
  assert.equal(mergeStyleOf(undefined), "merge");
  assert.equal(mergeStyleOf("fast-forward-only"), "fast-forward-only");
  assert.throws(
    () => mergeStyleOf("manually-merged"),
    UsageError,
    "--merge-style must be merge, rebase, squash, fast-forward-only",
  );
});

Deno.test("checkProposeFlags() refuses pull-request flags that would do nothing", () => {
  const base = {
    via: "push" as const,
    autoMerge: false,
    trigger: "push",
    given: [] as string[],
  };
  checkProposeFlags(base);
  assert.throws(
    () => checkProposeFlags({ ...base, autoMerge: true, given: ["autoMerge"] }),
    UsageError,
    "--auto-merge applies to pull requests",
  );
  assert.throws(
    () => checkProposeFlags({ ...base, via: "pr", given: ["mergeStyle"] }),
    UsageError,
    "--merge-style needs --auto-merge",
  );
  assert.throws(
    () => checkProposeFlags({ ...base, via: "auto", trigger: "dispatch" }),
    UsageError,
    "--trigger dispatch commits nothing",
  );
  checkProposeFlags({
    ...base,
    via: "auto",
    autoMerge: true,
    given: ["autoMerge", "mergeStyle"],
  });
});

Deno.test("--via, --auto-merge and --merge-style parse for push; status takes --via only", () => {
  const push = parseCommand([
    "push",
    "0.2",
    "--repo",
    "o/a",
    "--via",
    "auto",
    "--auto-merge",
    "--merge-style",
    "squash",
  ]);
  assert.ok(push.command === "push");
  assert.equal(push.options.via, "auto");
  assert.equal(push.options.autoMerge, true);
  assert.equal(push.options.mergeStyle, "squash");
  const status = parseCommand([
    "status",
    "0.2",
    "--repo",
    "o/a",
    "--via",
    "pr",
  ]);
  assert.ok(status.command === "status");
  assert.equal(status.options.via, "pr");
  assert.throws(
    () => parseCommand(["status", "0.2", "--repo", "o/a", "--auto-merge"]),
    UsageError,
    "--auto-merge is an option of push only",
  );
});

Deno.test("proposalBranch() is a branch name git accepts, whatever the file's path", async () => {
  const names = [
    ".runtime-version",
    "a/b/.v",
    "weird name.lock",
    "x..y",
    "..",
    "ü/ß",
  ].map(proposalBranch);
  assert.equal(names[0], "cascade/runtime-version");
  for (const name of names) {
    const out = await new Deno.Command("git", {
      args: ["check-ref-format", `refs/heads/${name}`],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        LC_ALL: "C",
      },
    }).output();
    assert.ok(out.success, name);
  }
});

Deno.test("the pull request's text says the version, the file and what cascade is", async () => {
  await using fx = await Fixture.create();
  const { gitea, pulls } = await world(fx, ["a"], false);
  await using _ = gitea;
  const run = await push(gitea, ["a"], ["--via", "pr"], "0.3");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const [text] = pulls.open("org/a");
  assert.equal(text?.title, "Pin .runtime-version to 0.3");
  assert.match(
    text?.body ?? "",
    /sets `\.runtime-version` to `0\.3` on `main`/,
  );
  assert.match(text?.body ?? "", /opened by cascade/);
});
