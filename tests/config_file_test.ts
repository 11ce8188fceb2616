import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  type ConfigSchema,
  type ConfigValue,
  loadConfigFile,
} from "../lib/cli/config_file.ts";
import { UsageError } from "../lib/errors.ts";

const SCHEMA: ConfigSchema = {
  baseUrl: { type: "string" },
  repos: { type: "string[]" },
  reposFile: { type: "string[]", path: true },
  probe: { type: "string[]" },
  file: { type: "string" },
  branch: { type: "string" },
  author: { type: "string" },
  message: { type: "string" },
  coAuthor: { type: "string[]" },
  concurrency: { type: "number" },
  attempts: { type: "number" },
  timeout: { type: "number" },
  tokenEnv: { type: "string" },
  authUser: { type: "string" },
  json: { type: "string", path: true },
  dryRun: { type: "boolean" },
};

/** A temp dir removed on every path. */
async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "cascade-config-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/**
 * The values of `parsed` (JSON text when a string) written as the config
 * file `name` under `dir` of a temp dir: the checks run through
 * `loadConfigFile`, as a run reads the file. Returns the temp dir too.
 */
async function checked(
  parsed: unknown,
  name = "cascade.json",
  dir = "",
): Promise<{ values: Record<string, ConfigValue>; root: string }> {
  await using tmp = await tempDir();
  const where = `${tmp.path}${dir}`;
  await Deno.mkdir(dirname(`${where}/${name}`), { recursive: true });
  await Deno.writeTextFile(
    `${where}/${name}`,
    typeof parsed === "string" ? parsed : JSON.stringify(parsed),
  );
  const loaded = await loadConfigFile(
    name === "cascade.json" ? undefined : name,
    where,
    SCHEMA,
  );
  return { values: loaded?.values ?? {}, root: tmp.path };
}

function usageError(message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    assert.equal(error.message, message);
    return true;
  };
}

Deno.test("loadConfigFile() takes known keys, a string for a list, resolves paths", async () => {
  const { values, root } = await checked(
    {
      $schema: "https://example.com/cascade.schema.json",
      baseUrl: "https://git.example.com",
      repos: "templates/python-slim",
      reposFile: ["templates.txt", "/abs/more.txt", "../up.txt"],
      json: "out/report.json",
      concurrency: 4,
      dryRun: true,
      coAuthor: [],
    },
    "cascade.json",
    "/srv/conf",
  );
  assert.deepEqual(values, {
    baseUrl: "https://git.example.com",
    repos: ["templates/python-slim"],
    reposFile: [
      `${root}/srv/conf/templates.txt`,
      "/abs/more.txt",
      `${root}/srv/up.txt`,
    ],
    json: `${root}/srv/conf/out/report.json`,
    concurrency: 4,
    dryRun: true,
    coAuthor: [],
  });
});

Deno.test("loadConfigFile() names the closest key for an unknown one", async () => {
  await assert.rejects(
    checked({ basUrl: "x" }),
    usageError('unknown key "basUrl" in cascade.json; did you mean "baseUrl"?'),
  );
  await assert.rejects(
    checked({ "base-url": "x" }, "conf/c.json"),
    usageError(
      'unknown key "base-url" in conf/c.json; did you mean "baseUrl"?',
    ),
  );
  await assert.rejects(
    checked({ parallelism: 3 }),
    usageError(
      'unknown key "parallelism" in cascade.json; the keys are the long flags in camelCase (see cascade push --help)',
    ),
  );
  await assert.rejects(
    checked('{"__proto__": 1}'),
    usageError(
      'unknown key "__proto__" in cascade.json; did you mean "probe"?',
    ),
  );
});

Deno.test("loadConfigFile() names key, expected type and file for a wrong type", async () => {
  const cases: [unknown, string][] = [
    [
      { concurrency: "8" },
      '"concurrency" in cascade.json must be a number, not a string',
    ],
    [
      { dryRun: "yes" },
      '"dryRun" in cascade.json must be true or false, not a string',
    ],
    [
      { baseUrl: ["a"] },
      '"baseUrl" in cascade.json must be a string, not a list',
    ],
    [{ branch: null }, '"branch" in cascade.json must be a string, not null'],
    [
      { repos: { a: 1 } },
      '"repos" in cascade.json must be a list of strings, not an object',
    ],
    [
      { probe: ["Dockerfile", 3] },
      '"probe" in cascade.json must be a list of strings, not a list holding a number (item 2)',
    ],
    [
      '{"timeout": 1e999}',
      '"timeout" in cascade.json must be a number, not Infinity',
    ],
    [
      { attempts: false },
      '"attempts" in cascade.json must be a number, not false',
    ],
    [
      { reposFile: ["a", " "] },
      '"reposFile" in cascade.json item 2 is an empty path: name a file',
    ],
    [{ json: "" }, '"json" in cascade.json is an empty path: name a file'],
  ];
  for (const [parsed, message] of cases) {
    await assert.rejects(checked(parsed), usageError(message));
  }
});

Deno.test("loadConfigFile() refuses tokens and what looks like a secret", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { token: "abc" },
      '"token" is not allowed in a config file: put the token in CASCADE_TOKEN',
    ],
    [
      { Token: "abc" },
      '"Token" is not allowed in a config file: put the token in CASCADE_TOKEN',
    ],
    [
      { api_key: "abc" },
      '"api_key" is not allowed in a config file: put the token in CASCADE_TOKEN',
    ],
    [
      { password: "abc" },
      '"password" is not allowed in a config file: put the token in CASCADE_TOKEN',
    ],
    [
      { baseUrl: "https://bot:s3cret@git.example.com" },
      '"baseUrl" in cascade.json looks like it holds a URL with credentials: secrets never go in a config file; put the token in CASCADE_TOKEN',
    ],
    [
      { repos: ["a/b", "https://0123456789abcdef@git.example.com/a/c.git"] },
      '"repos" in cascade.json looks like it holds a URL with credentials: secrets never go in a config file; put the token in CASCADE_TOKEN',
    ],
    [
      { repos: ["ssh://git:pw@host/a.git"] },
      '"repos" in cascade.json looks like it holds a URL with a password: secrets never go in a config file; put the token in CASCADE_TOKEN',
    ],
    [
      { authUser: "0123456789abcdef0123456789abcdef01234567" },
      '"authUser" in cascade.json looks like it holds a token: secrets never go in a config file; put the token in CASCADE_TOKEN',
    ],
    [
      { message: "Bearer abcdefgh12345" },
      '"message" in cascade.json looks like it holds an authorization header value: secrets never go in a config file; put the token in CASCADE_TOKEN',
    ],
  ];
  for (const [parsed, message] of cases) {
    await assert.rejects(checked(parsed), usageError(message));
  }
  // Ordinary values that are not secrets pass.
  assert.deepEqual(
    (await checked({
      repos: ["ssh://git@host/a.git", "git@host:a/b.git"],
      tokenEnv: "T",
    })).values,
    { repos: ["ssh://git@host/a.git", "git@host:a/b.git"], tokenEnv: "T" },
  );
});

Deno.test("loadConfigFile() wants an object at the top", async () => {
  for (
    const [parsed, what] of [[[], "a list"], [null, "null"], ["x", "a string"]]
  ) {
    await assert.rejects(
      checked(JSON.stringify(parsed)),
      usageError(
        `cascade.json must hold a JSON object ({ "baseUrl": "…", … }), not ${what}`,
      ),
    );
  }
});

Deno.test("loadConfigFile() reads cascade.json from the working directory", async () => {
  await using dir = await tempDir();
  assert.equal(await loadConfigFile(undefined, dir.path, SCHEMA), null);
  await Deno.writeTextFile(
    `${dir.path}/cascade.json`,
    '{\n  // targets\n  "reposFile": "templates.txt",\n  "timeout": 30,\n}\n',
  );
  assert.deepEqual(await loadConfigFile(undefined, dir.path, SCHEMA), {
    file: `${dir.path}/cascade.json`,
    values: { reposFile: [`${dir.path}/templates.txt`], timeout: 30 },
  });
});

Deno.test("loadConfigFile() reads --config relative to cwd, paths relative to the file", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/conf`);
  await Deno.writeTextFile(
    `${dir.path}/conf/prod.json`,
    '{"reposFile": ["t.txt"], "json": "/tmp/r.json"}',
  );
  assert.deepEqual(await loadConfigFile("conf/prod.json", dir.path, SCHEMA), {
    file: `${dir.path}/conf/prod.json`,
    values: { reposFile: [`${dir.path}/conf/t.txt`], json: "/tmp/r.json" },
  });
  assert.deepEqual(
    await loadConfigFile(`${dir.path}/conf/prod.json`, "/", SCHEMA),
    {
      file: `${dir.path}/conf/prod.json`,
      values: { reposFile: [`${dir.path}/conf/t.txt`], json: "/tmp/r.json" },
    },
  );
});

Deno.test("loadConfigFile() refuses a missing --config, a directory, a big or bad file", async () => {
  await using dir = await tempDir();
  await assert.rejects(
    loadConfigFile("nope.json", dir.path, SCHEMA),
    usageError(
      "--config nope.json does not exist: check the path (it is relative to the working directory)",
    ),
  );
  await Deno.mkdir(`${dir.path}/cascade.json`);
  await assert.rejects(
    loadConfigFile(undefined, dir.path, SCHEMA),
    usageError("cascade.json is not a file: name a JSON file"),
  );
  await Deno.writeTextFile(
    `${dir.path}/big.json`,
    // One byte past the 1 MiB cap and more.
    `{"message": "${"x".repeat(1024 * 1024)}"}`,
  );
  await assert.rejects(
    loadConfigFile("big.json", dir.path, SCHEMA),
    usageError(
      "big.json is larger than 1 MiB: a config file holds a few settings; list targets in a --repos-file",
    ),
  );
  await Deno.writeFile(
    `${dir.path}/latin1.json`,
    new Uint8Array([0x7b, 0xe9, 0x7d]),
  );
  await assert.rejects(
    loadConfigFile("latin1.json", dir.path, SCHEMA),
    usageError("latin1.json is not UTF-8 text: save it as UTF-8"),
  );
  await Deno.writeTextFile(
    `${dir.path}/bad.json`,
    '{\n  "timeout": 30\n  "branch": "main"\n}',
  );
  await assert.rejects(
    loadConfigFile("bad.json", dir.path, SCHEMA),
    usageError(
      `bad.json line 3, column 3: expected "," or "}", found '"'; fix the JSON and run again`,
    ),
  );
  await Deno.writeTextFile(`${dir.path}/typo.json`, '{"concurrncy": 2}');
  await assert.rejects(
    loadConfigFile("typo.json", dir.path, SCHEMA),
    usageError(
      'unknown key "concurrncy" in typo.json; did you mean "concurrency"?',
    ),
  );
});

Deno.test("loadConfigFile() reads per-command sections, checked like the top level", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/cascade.json`,
    '{"json": "r.json", "status": {"json": "s.json"}}',
  );
  assert.deepEqual(await loadConfigFile(undefined, dir.path, SCHEMA), {
    file: `${dir.path}/cascade.json`,
    values: { json: `${dir.path}/r.json` },
    sections: { status: { json: `${dir.path}/s.json` } },
  });
  await Deno.writeTextFile(`${dir.path}/cascade.json`, '{"push": "x"}');
  await assert.rejects(
    () => loadConfigFile(undefined, dir.path, SCHEMA),
    UsageError,
    '"push" in cascade.json must be an object of settings for cascade push',
  );
  await Deno.writeTextFile(
    `${dir.path}/cascade.json`,
    '{"targets": {"jsn": "t.json"}}',
  );
  await assert.rejects(
    () => loadConfigFile(undefined, dir.path, SCHEMA),
    UsageError,
    'unknown key "jsn" in cascade.json (section "targets"); did you mean "json"?',
  );
});
