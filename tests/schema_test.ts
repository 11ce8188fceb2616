import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "npm:ajv@8.20.0/dist/2020.js";
import addFormats from "npm:ajv-formats@3.0.1";
import { Fixture, readReport, runCascade } from "./support/fixtures.ts";
import { startGitHttpServer } from "./support/http_server.ts";
import { startGitea } from "./support/gitea_api.ts";
import { ADVICE } from "../lib/errors.ts";
import { schemaUrl } from "../lib/model.ts";
import { summarise } from "./support/summarise.ts";
import { VERSION } from "../lib/tool_version.ts";
import { type OptionName, OPTIONS } from "../lib/cli/options.ts";
import { rememberedOptions } from "../lib/cli/layers.ts";

/**
 * Whether a report records option `name` at all: set to a value, or
 * turned off on the command line, it is in `rememberedOptions`.
 */
function recordedOption(name: OptionName): boolean {
  const kind = OPTIONS[name].kind;
  const value = kind === "boolean" ? true : kind === "list" ? ["x"] : "x";
  return [value, false].some((v) =>
    Object.hasOwn(rememberedOptions({ [name]: v }, [name]), name)
  );
}

const SCHEMA_DIR = fileURLToPath(new URL("../schema/", import.meta.url));
const TOKEN = "tok_schema_3c9e0a6d21f4";

type Json = Record<string, unknown>;

async function loadSchema(name: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(`${SCHEMA_DIR}${name}`)) as Json;
}

/** A strict draft 2020-12 validator for one schema file. */
async function validator(name: string): Promise<ValidateFunction> {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    allowUnionTypes: true,
  });
  addFormats.default(ajv);
  return ajv.compile(await loadSchema(name));
}

/** Asserts `report` is valid, with ajv's errors as the message. */
function assertValid(
  validate: ValidateFunction,
  report: unknown,
  what: string,
) {
  const ok = validate(report);
  assert.ok(ok, `${what}: ${JSON.stringify(validate.errors, null, 2)}`);
}

/** Asserts `report` is invalid, with an error at `path`. */
function assertInvalid(
  validate: ValidateFunction,
  report: unknown,
  path: string,
  keyword: string,
) {
  assert.equal(validate(report), false, `expected an error at ${path}`);
  assert.ok(
    validate.errors?.some((e) =>
      e.instancePath === path && e.keyword === keyword
    ),
    JSON.stringify(validate.errors),
  );
}

const clone = <T>(value: T): T => structuredClone(value);

/** Real reports of one push, one dry run and one status over HTTP. */
async function realReports(): Promise<{ push: Json; dry: Json; status: Json }> {
  await using fx = await Fixture.create();
  const wired = { Dockerfile: "COPY .runtime-version /\n" };
  await fx.repo("org/up", { ...wired, ".runtime-version": "0.1.7\n" });
  await fx.repo("org/same", { ...wired, ".runtime-version": "0.1.8\n" });
  await fx.repo("org/down", { ...wired, ".runtime-version": "0.2.0\n" });
  await fx.repo("org/legacy", { Dockerfile: "FROM x\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  const env = { CASCADE_TOKEN: TOKEN, GITEA_URL: server.origin };
  const repos = ["org/up", "org/same", "org/down", "org/legacy", "org/missing"]
    .flatMap((r) => ["--repo", r]);
  const dry = await runCascade([
    "push",
    "0.1.8",
    ...repos,
    "--probe",
    "Dockerfile",
    "--dry-run",
    "--json",
    `${fx.root}/dry.json`,
  ], env);
  assert.equal(dry.code, 1, dry.stdout);
  const push = await runCascade([
    "push",
    "0.1.8",
    ...repos,
    "--probe",
    "Dockerfile",
    "--json",
    `${fx.root}/push.json`,
  ], env);
  assert.equal(push.code, 1, push.stdout);
  const status = await runCascade([
    "status",
    "0.1.8",
    "--repo",
    "org/up",
    "--repo",
    "org/legacy",
    "--repo",
    "org/missing",
    "--json",
    `${fx.root}/status.json`,
  ], env);
  assert.equal(status.code, 1, status.stdout);
  return {
    push: await readReport(`${fx.root}/push.json`),
    dry: await readReport(`${fx.root}/dry.json`),
    status: await readReport(`${fx.root}/status.json`),
  };
}

/** The real reports, made once by the first test that asks. */
let made: ReturnType<typeof realReports> | undefined;
const reports = () => made ??= realReports();

Deno.test("schema: real push and dry-run reports are valid push reports, and only those", async () => {
  const { push, dry, status } = await reports();
  const validate = await validator("push-report.schema.json");
  const results = push["results"] as Json[];
  assert.deepEqual(results.map((r) => r["status"]), [
    "updated",
    "unchanged",
    "updated",
    "skipped",
    "failed",
  ]);
  assert.equal(results[2]?.["downgrade"], true);
  assert.equal((results[4]?.["error"] as Json)["kind"], "not_found");
  assertValid(validate, push, "push report");
  assertValid(validate, dry, "dry-run report");
  assert.equal(validate(status), false, "a status report is not a push report");

  const unknownStatus = clone(push);
  (unknownStatus["results"] as Json[])[0]!["status"] = "exploded";
  assertInvalid(validate, unknownStatus, "/results/0/status", "enum");
  const unknownKind = clone(push);
  ((unknownKind["results"] as Json[])[4]!["error"] as Json)["kind"] = "oops";
  assertInvalid(validate, unknownKind, "/results/4/error/kind", "enum");
  const extraField = clone(push);
  (extraField["results"] as Json[])[1]!["note"] = "x";
  assertInvalid(validate, extraField, "/results/1", "additionalProperties");
  const extraTop = clone(push);
  extraTop["token"] = TOKEN;
  assertInvalid(validate, extraTop, "", "additionalProperties");
  const missing = clone(push);
  delete (missing["results"] as Json[])[0]!["attempts"];
  assertInvalid(validate, missing, "/results/0", "required");
  const badDate = clone(push);
  badDate["startedAt"] = "yesterday";
  assertInvalid(validate, badDate, "/startedAt", "format");
});

Deno.test("schema: the fields planned for the push report are declared", async () => {
  const { push } = await reports();
  const validate = await validator("push-report.schema.json");
  const planned = clone(push);
  planned["$schema"] =
    "https://jsr.io/@cascade/cascade/0.1.0/schema/push-report.schema.json";
  planned["apiRequests"] = 12;
  planned["options"] = {
    file: ".runtime-version",
    branch: "main",
    probe: ["Dockerfile"],
    message: "chore: pin runtime to {version}",
    author: "cascade-bot <cascade-bot@noreply.localhost>",
    coAuthor: ["A <a@example.com>"],
    noDowngrade: true,
    baseUrl: "https://git.example.com",
    tokenOrigin: ["https://git.example.com"],
  };
  const results = planned["results"] as Json[];
  results[0]!["ci"] = {
    state: "success",
    contexts: [{
      context: "build",
      state: "success",
      targetUrl: "https://git.example.com/org/up/actions/runs/7",
      description: null,
    }],
    url: null,
    waitedMs: 4100,
    note: "one context",
  };
  results[1]!["status"] = "dispatched";
  results[4]!["movedTo"] = "neworg/up";
  (results[4]!["error"] as Json)["kind"] = "moved";
  (planned["summary"] as Json)["dispatched"] = 1;
  assertValid(validate, planned, "push report with the planned fields");

  const withToken = clone(planned);
  (withToken["options"] as Json)["token"] = TOKEN;
  assertInvalid(validate, withToken, "/options", "additionalProperties");
  const badCi = clone(planned);
  ((badCi["results"] as Json[])[0]!["ci"] as Json)["state"] = "green";
  assertInvalid(validate, badCi, "/results/0/ci/state", "enum");
});

Deno.test("schema: a real status report is valid, with the planned fields too", async () => {
  const { push, status } = await reports();
  const validate = await validator("status-report.schema.json");
  const results = status["results"] as Json[];
  assert.deepEqual(results.map((r) => [r["drift"], r["current"]]), [
    [false, "0.1.8"],
    [true, null],
    [true, null],
  ]);
  assert.equal((results[2]?.["error"] as Json)["kind"], "not_found");
  assertValid(validate, status, "status report");
  assert.equal(validate(push), false, "a push report is not a status report");

  const planned = clone(status);
  planned["$schema"] =
    "https://jsr.io/@cascade/cascade/0.1.0/schema/status-report.schema.json";
  planned["options"] = { file: ".runtime-version", probe: ["Dockerfile"] };
  const rs = planned["results"] as Json[];
  rs[1]!["reason"] = "archived";
  rs[1]!["skipped"] = true;
  rs[2]!["movedTo"] = "neworg/missing";
  rs[0]!["ci"] = { state: "none", contexts: [], url: null, waitedMs: 0 };
  assertValid(validate, planned, "status report with the planned fields");

  const unknown = clone(status);
  (unknown["results"] as Json[])[0]!["status"] = "updated";
  assertInvalid(validate, unknown, "/results/0", "additionalProperties");
  const badSummary = clone(status);
  (badSummary["summary"] as Json)["bogus"] = 0;
  assertInvalid(validate, badSummary, "/summary", "additionalProperties");
});

Deno.test("schema: enums match the report model (statuses, error kinds)", async () => {
  const push = await loadSchema("push-report.schema.json");
  const status = await loadSchema("status-report.schema.json");
  const defs = push["$defs"] as Record<string, Json>;
  const result = defs["result"]!["properties"] as Record<string, Json>;
  assert.deepEqual(result["status"]!["enum"], Object.keys(summarise([])));
  for (const schema of [push, status]) {
    const error = (schema["$defs"] as Record<string, Json>)["error"]!;
    const kind = (error["properties"] as Record<string, Json>)["kind"]!;
    // The error kinds in documentation order: the advice table's keys.
    assert.deepEqual(kind["enum"], Object.keys(ADVICE));
    assert.equal(
      schema["$schema"],
      "https://json-schema.org/draft/2020-12/schema",
    );
  }
});

Deno.test("schema: a report's options are exactly the options the table remembers", async () => {
  for (const name of ["push-report.schema.json", "status-report.schema.json"]) {
    const schema = await loadSchema(name);
    const options = (schema["$defs"] as Record<string, Json>)["options"]!;
    assert.deepEqual(
      Object.keys(options["properties"] as Json).sort(),
      (Object.keys(OPTIONS) as OptionName[]).filter(recordedOption).sort(),
      name,
    );
  }
});

Deno.test("schema: a report names the schema it follows, and the schema's $id is that URL", async () => {
  const { push, status } = await reports();
  for (const [report, name] of [[push, "push"], [status, "status"]] as const) {
    const schema = await loadSchema(`${name}-report.schema.json`);
    assert.equal(report["$schema"], schemaUrl(name, VERSION));
    assert.equal(
      schema["$id"],
      `https://jsr.io/@cascade/cascade/${VERSION}/schema/${name}-report.schema.json`,
    );
  }
});

Deno.test("schemas: real push --wait and status --ci reports, with ci and apiRequests, are valid", async () => {
  await using fx = await Fixture.create();
  await fx.repo("org/a", { ".runtime-version": "0.1\n" });
  await using gitea = await startGitea({
    root: `${fx.root}/srv`,
    token: TOKEN,
  });
  await gitea.api.configureCi("org/a", {
    contexts: ["ci / build (push)", "ci / lint (push)"],
    outcome: ["success", "failure"],
  });
  const push = `${fx.root}/push.json`;
  const status = `${fx.root}/status.json`;
  const common = ["0.2", "--repo", `${gitea.origin}/org/a.git`];
  const polling = { minIntervalMs: 15, maxIntervalMs: 40 };
  const env = { CASCADE_TOKEN: TOKEN };
  await runCascade(["push", ...common, "--wait", "--json", push], env, {
    ciPolling: polling,
  });
  await runCascade(["status", ...common, "--ci", "--json", status], env);
  const pushed = await readReport<Json>(push);
  const read = await readReport<Json>(status);
  assert.equal((pushed["results"] as Json[])[0]?.["ci"] !== undefined, true);
  assert.equal(typeof read["apiRequests"], "number");
  assertValid(await validator("push-report.schema.json"), pushed, "push");
  assertValid(await validator("status-report.schema.json"), read, "status");
});
