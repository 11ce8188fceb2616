#!/usr/bin/env -S deno run --allow-run=git --allow-read --allow-write --allow-env --allow-net
/**
 * cascade: writes a runtime version into the one-line `.runtime-version`
 * file of every template repo, commits, and pushes straight to each default
 * branch (never forced), so every template's CI rebuilds against it.
 *
 * ```sh
 * deno run --allow-run=git --allow-read --allow-write --allow-env --allow-net \
 *   cascade.ts push 0.1.8 --base-url https://git.example.com \
 *   --repos-file templates.txt --json report.json
 * ```
 *
 * The bot token is read from `CASCADE_TOKEN` (or `DISPATCH_TOKEN`, or
 * `--token-env NAME`) and reaches git only through its environment.
 * `--allow-net` lets cascade read each template's refs itself (the request
 * `git ls-remote` makes, with the same `Authorization` header) instead of
 * starting git for it; without it, git does all the network.
 *
 * This file only wires: parse the command line, run the command (see
 * `lib/commands/`), and return its exit code.
 *
 * @example Ask for the version
 * ```ts
 * import assert from "node:assert/strict";
 * import { main, VERSION } from "./cascade.ts";
 *
 * const printed: string[] = [];
 * const code = await main(["--version"], {
 *   sinks: {
 *     stdout: (t) => printed.push(t),
 *     stderr: (t) => printed.push(t),
 *     isTerminal: false,
 *   },
 * });
 * assert.equal(code, 0);
 * assert.equal(printed.join(""), `cascade ${VERSION}\n`);
 * ```
 *
 * @module
 */

import { inActions } from "./lib/report/actions.ts";
import { readCommandLine } from "./lib/cli/parse.ts";
import { usage } from "./lib/cli/usage.ts";
import { permissionErrorProblem } from "./lib/cli/permissions.ts";
import { runDemo } from "./lib/commands/demo.ts";
import { EXIT, UsageError } from "./lib/errors.ts";
import { readEnv } from "./lib/git/runner.ts";
import { Console, processSinks } from "./lib/console/console.ts";
import { forLog } from "./lib/console/neutralise.ts";
import { Redactor } from "./lib/console/redact.ts";
import { registerTokens, tokenEnvsIn } from "./lib/cli/secret_values.ts";
import { runCommand } from "./lib/commands/command.ts";
import type { RunIo } from "./lib/commands/run.ts";
import { VERSION } from "./lib/tool_version.ts";

export { EXIT, VERSION };
export type { RunIo as MainIo };
export type { Sinks } from "./lib/console/console.ts";
export type { Backoff } from "./lib/engine/retry.ts";
export type { CiPolling } from "./lib/forge/polling.ts";
export type { Clock } from "./lib/engine/clock.ts";
export type { ForgeRetry } from "./lib/forge/client.ts";
export type { GitOutput, GitRunner, GitRunOptions } from "./lib/git/runner.ts";

/**
 * Runs cascade with command-line `args` and returns the exit code. Side
 * effects are limited to git, the temp dir it removes, and the report files
 * it was asked to write. `io` replaces parts of the process's wiring
 * (tests pass in-memory sinks, an environment, a working directory).
 */
export async function main(
  args: string[],
  io: Partial<RunIo> = {},
): Promise<number> {
  const wiring: RunIo = {
    sinks: io.sinks ?? processSinks(),
    env: io.env ?? readEnv,
    cwd: io.cwd ?? Deno.cwd(),
    handleSignals: io.handleSignals ?? true,
    signal: io.signal,
    backoff: io.backoff,
    wrapGit: io.wrapGit,
    ciPolling: io.ciPolling,
    now: io.now,
  };
  const redactor = new Redactor();
  const out = new Console(wiring.sinks, redactor, inActions(wiring.env));
  try {
    // Any token is known before a value is checked: a usage error quoting
    // a value that holds it is redacted before it is cut.
    registerTokens(redactor, wiring.env, tokenEnvsIn(args));
    const command = readCommandLine(args);
    switch (command.command) {
      case "help":
        out.out(usage(command.topic));
        return EXIT.ok;
      case "version":
        out.out(`cascade ${VERSION}\n`);
        return EXIT.ok;
      case "demo":
        return await runDemo(
          (demoArgs) => main(demoArgs, { ...io, sinks: wiring.sinks }),
          (text) => out.out(text),
        );
      default:
        return await runCommand(command.line, wiring, out, redactor);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      // A message may quote a server (its version, a name): neutralised.
      // Only a usage error (exit 2) points at --help.
      const hint = error.exitCode === EXIT.usage
        ? "Run cascade --help for usage.\n"
        : "";
      out.err(`cascade: ${forLog(error.message)}\n${hint}`);
      return error.exitCode;
    }
    // A permission Deno refused late still names the flag to add.
    const permission = permissionErrorProblem(error);
    if (permission !== null) {
      out.err(`cascade: ${permission}\n`);
      return EXIT.usage;
    }
    const text = error instanceof Error ? error.message : String(error);
    out.err(`cascade: internal error: ${forLog(text.split("\n")[0] ?? "")}\n`);
    return EXIT.failed;
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
