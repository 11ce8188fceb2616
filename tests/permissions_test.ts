import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  describeMissing,
  flagForPermissionError,
  missingPermissions,
  permissionErrorProblem,
  permissionProblem,
  type PermissionQuery,
} from "../lib/cli/permissions.ts";

const PROBE = fileURLToPath(
  new URL("./support/permission_probe.ts", import.meta.url),
);

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

Deno.test("missingPermissions() asks for git, read, write, env; net only when needed", () => {
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

Deno.test("missingPermissions() checks each path, variable and host it is given", () => {
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
    describeMissing(["--allow-run=git", "--allow-env", "--allow-net"]),
    "cascade needs --allow-run=git (and --allow-env, --allow-net): add them to the deno run command",
  );
  assert.equal(describeMissing([]), null);
});

Deno.test("flagForPermissionError() reads Deno's permission errors", () => {
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

/** Runs the probe under `deno run --no-prompt` with only `flags`. */
async function probe(flags: string[], needs: object): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, PROBE, JSON.stringify(needs)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
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
