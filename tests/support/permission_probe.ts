/**
 * Run by `tests/permissions_test.ts` under `deno run --no-prompt` with some
 * permission flags left out: prints, as one JSON line, what
 * `lib/cli/permissions.ts` says is missing for the needs given as the first
 * argument, and what it says of each error a denied call throws (the
 * one-line problems; the test reads the flags out of them).
 *
 * @module
 */

import {
  permissionErrorProblem,
  permissionProblem,
} from "../../lib/cli/permissions.ts";

const needs = JSON.parse(Deno.args[0] ?? "{}");

/** The problem a call's permission error makes; "ok" when it ran. */
async function late(call: () => unknown): Promise<string | null> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return permissionErrorProblem(error);
  }
}

console.log(JSON.stringify({
  problem: permissionProblem(needs),
  late: {
    run: await late(() =>
      new Deno.Command("git", { args: ["--version"], stdout: "null" }).output()
    ),
    read: await late(() => Deno.stat(import.meta.dirname ?? "/")),
    env: await late(() => Deno.env.get("CASCADE_TOKEN")),
    tmp: await late(async () => {
      const dir = await Deno.makeTempDir({ prefix: "cascade-perm-" });
      await Deno.remove(dir);
    }),
    net: await late(() => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      listener.close();
    }),
  },
}));
