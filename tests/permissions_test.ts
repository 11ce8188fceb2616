import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  permissionErrorProblem,
  type PermissionNeeds,
  permissionProblem,
  type PermissionQuery,
} from "../lib/cli/permissions.ts";

const PROBE = fileURLToPath(
  new URL("./support/permission_probe.ts", import.meta.url),
);

/**
 * The flags a one-line problem names, in its order (none for null):
 * `cascade needs A (and B, C): add them to the deno run command`.
 */
function flagsIn(problem: string | null): string[] {
  if (problem === null) return [];
  const m =
    /^cascade needs (\S+)(?: \(and ([^)]*)\))?: add (?:it|them) to the deno run command$/
      .exec(problem);
  assert.ok(m, problem);
  return [m[1] ?? "", ...(m[2] === undefined ? [] : m[2].split(", "))];
}

/** The flags `permissionProblem` names for `needs`. */
function missingPermissions(
  needs: PermissionNeeds,
  query: PermissionQuery,
): string[] {
  return flagsIn(permissionProblem(needs, query));
}

/** The one flag `permissionErrorProblem` names for `error`, or null. */
function flagForPermissionError(error: unknown): string | null {
  return flagsIn(permissionErrorProblem(error))[0] ?? null;
}

/** A query that grants what `allow` says and records every question. */
function fakeQuery(
  allow: (d: Deno.PermissionDescriptor) => boolean,
): PermissionQuery & { asked: Deno.PermissionDescriptor[] } {
  const asked: Deno.PermissionDescriptor[] = [];
  const query = (d: Deno.PermissionDescriptor): Deno.PermissionState => {
    asked.push(d);
    return allow(d) ? "granted" : "prompt";
  };
  return Object.assign(query, { asked });
}

Deno.test("permissionProblem() asks for git, read, write, env; net only when needed", () => {
  const query = fakeQuery(() => false);
  assert.deepEqual(missingPermissions({}, query), [
    "--allow-run=git",
    "--allow-read",
    "--allow-write",
    "--allow-env",
  ]);
  assert.deepEqual(query.asked, [
    { name: "run", command: "git" },
    { name: "read" },
    { name: "write" },
    { name: "env" },
  ]);
  assert.deepEqual(missingPermissions({ net: false }, query).length, 4);
  assert.deepEqual(missingPermissions({ net: true }, query), [
    "--allow-run=git",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
  ]);
});

Deno.test("permissionProblem() checks each path, variable and host it is given", () => {
  const query = fakeQuery((d) =>
    !(d.name === "write" && d.path === "/ro/report.json") &&
    !(d.name === "net" && d.host === "git.example.com:443")
  );
  assert.deepEqual(
    missingPermissions({
      read: ["templates.txt"],
      write: ["/tmp/x", "/ro/report.json"],
      env: ["CASCADE_TOKEN", "PATH"],
      net: ["127.0.0.1:3000", "git.example.com:443"],
    }, query),
    ["--allow-write", "--allow-net"],
  );
  assert.deepEqual(query.asked, [
    { name: "run", command: "git" },
    { name: "read", path: "templates.txt" },
    { name: "write", path: "/tmp/x" },
    { name: "write", path: "/ro/report.json" },
    { name: "env", variable: "CASCADE_TOKEN" },
    { name: "env", variable: "PATH" },
    { name: "net", host: "127.0.0.1:3000" },
    { name: "net", host: "git.example.com:443" },
  ]);
  assert.deepEqual(
    missingPermissions({ net: true }, fakeQuery(() => true)),
    [],
  );
});

Deno.test("permissionProblem() says which flags to add, in one line", () => {
  assert.equal(permissionProblem({ net: true }, fakeQuery(() => true)), null);
  assert.equal(
    permissionProblem({}, fakeQuery((d) => d.name !== "env")),
    "cascade needs --allow-env: add it to the deno run command",
  );
  assert.equal(
    permissionProblem(
      {},
      fakeQuery((d) => d.name === "read" || d.name === "write"),
    ),
    "cascade needs --allow-run=git (and --allow-env): add them to the deno run command",
  );
  assert.equal(
    permissionProblem(
      { net: true },
      fakeQuery((d) => d.name === "read" || d.name === "write"),
    ),
    "cascade needs --allow-run=git (and --allow-env, --allow-net): add them to the deno run command",
  );
  assert.equal(permissionProblem({}, fakeQuery(() => true)), null);
});

Deno.test("permissionErrorProblem() reads Deno's permission errors", () => {
  const cases: [Error, string | null][] = [
    [
      new Deno.errors.NotCapable(
        'Requires run access to "git", run again with the --allow-run flag',
      ),
      "--allow-run=git",
    ],
    [
      new Deno.errors.NotCapable(
        'Requires read access to "/etc/x", run again with the --allow-read flag',
      ),
      "--allow-read",
    ],
    [
      new Deno.errors.NotCapable(
        "Requires write access to <TMP>, run again with the --allow-write flag",
      ),
      "--allow-write",
    ],
    [
      new Deno.errors.NotCapable(
        "Requires env access, run again with the --allow-env flag",
      ),
      "--allow-env",
    ],
    [
      new Deno.errors.PermissionDenied(
        'Requires net access to "127.0.0.1:8080", run again with the --allow-net flag',
      ),
      "--allow-net",
    ],
    [new Deno.errors.PermissionDenied("Permission denied (os error 13)"), null],
    [new Error('Requires run access to "git"'), null],
    [new TypeError("fetch failed"), null],
  ];
  for (const [error, flag] of cases) {
    assert.equal(flagForPermissionError(error), flag, error.message);
  }
  assert.equal(flagForPermissionError("Requires env access"), null);
  assert.equal(
    permissionErrorProblem(cases[0]?.[0]),
    "cascade needs --allow-run=git: add it to the deno run command",
  );
  assert.equal(permissionErrorProblem(new Error("x")), null);
});

/**
 * Runs the probe under `deno run --no-prompt` with only `flags`: the
 * problem it reports, the flags named in it, and the flag each late
 * error's problem names ("ok" where the call ran).
 */
async function probe(flags: string[], needs: object): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, PROBE, JSON.stringify(needs)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const said = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    problem: string | null;
    late: Record<string, string | null>;
  };
  return {
    missing: flagsIn(said.problem),
    problem: said.problem,
    late: Object.fromEntries(
      Object.entries(said.late).map((
        [k, v],
      ) => [k, v === "ok" ? v : flagsIn(v)[0] ?? null]),
    ),
  };
}

Deno.test("permissions of a real deno run without flags, and what its errors ask for", async () => {
  assert.deepEqual(await probe([], { net: true }), {
    missing: [
      "--allow-run=git",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
    ],
    problem:
      "cascade needs --allow-run=git (and --allow-read, --allow-write, --allow-env, --allow-net): add them to the deno run command",
    late: {
      run: "--allow-run=git",
      read: "--allow-read",
      env: "--allow-env",
      tmp: "--allow-write",
      net: "--allow-net",
    },
  });
});

Deno.test("permissions of a real deno run with the README's flags, scoped ones too", async () => {
  assert.deepEqual(
    await probe([
      "--allow-run=git",
      "--allow-read",
      "--allow-write",
      "--allow-env",
    ], { net: false }),
    {
      missing: [],
      problem: null,
      late: { run: "ok", read: "ok", env: "ok", tmp: "ok", net: "--allow-net" },
    },
  );
  assert.deepEqual(
    await probe([
      "--allow-run=git",
      "--allow-read",
      "--allow-env=CASCADE_TOKEN",
      "--allow-net=127.0.0.1",
    ], {
      env: ["CASCADE_TOKEN"],
      net: ["127.0.0.1:3000"],
    }),
    {
      missing: ["--allow-write"],
      problem: "cascade needs --allow-write: add it to the deno run command",
      late: {
        run: "ok",
        read: "ok",
        env: "ok",
        tmp: "--allow-write",
        net: "ok",
      },
    },
  );
});
