import assert from "node:assert/strict";
import { join } from "node:path";
import { refuseIrregular } from "../lib/report/report_paths.ts";
import { UsageError } from "../lib/errors.ts";

/**
 * What refuseIrregular says `path` is (`a FIFO`, `not a regular file`), or
 * null when it lets it be written.
 */
async function irregularKind(path: string): Promise<string | null> {
  try {
    await refuseIrregular([["--json", path]]);
    return null;
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    const said =
      /^--json .* is (.*?)(?:, not a regular file)?: cascade writes reports only to regular files/
        .exec(error.message);
    assert.ok(said, error.message);
    return said[1] ?? "";
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cascade-report-paths-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function mkfifo(path: string): Promise<void> {
  const { success } = await new Deno.Command("mkfifo", { args: [path] })
    .output();
  assert.ok(success, "mkfifo failed");
}

Deno.test("refuseIrregular names what a path is when it is not a regular file", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "report.json");
    await Deno.writeTextFile(file, "{}");
    const fifo = join(dir, "fifo");
    await mkfifo(fifo);
    const link = join(dir, "to-fifo");
    await Deno.symlink(fifo, link);
    const fileLink = join(dir, "to-file");
    await Deno.symlink(file, fileLink);
    const dangling = join(dir, "dangling");
    await Deno.symlink(join(dir, "nowhere"), dangling);

    assert.equal(await irregularKind(file), null);
    assert.equal(await irregularKind(fileLink), null);
    assert.equal(await irregularKind(join(dir, "new.json")), null);
    assert.equal(await irregularKind(dangling), null);
    assert.equal(await irregularKind(dir), "a directory");
    assert.equal(await irregularKind(fifo), "a FIFO");
    assert.equal(await irregularKind(link), "a FIFO");
    assert.equal(await irregularKind("/dev/null"), "a device");
    assert.equal(
      await irregularKind(join(file, "under-a-file")),
      "not a regular file",
    );
  });
});

Deno.test("refuseIrregular refuses a FIFO and a directory at once, naming the flag", async () => {
  await withDir(async (dir) => {
    const fifo = join(dir, "fifo");
    await mkfifo(fifo);
    // A FIFO with no reader: refused without opening it (no hang).
    await assert.rejects(
      refuseIrregular([["--json", join(dir, "ok.json")], ["--summary", fifo]]),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          `--summary ${fifo} is a FIFO, not a regular file: cascade writes reports only to regular files; name a regular file or a new path`,
    );
    await assert.rejects(
      refuseIrregular([["CASCADE_JSON", dir]]),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(
          `CASCADE_JSON ${dir} is a directory, not a regular file:`,
        ),
    );
    const under = join(fifo, "x");
    await assert.rejects(
      refuseIrregular([["--json", under]]),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(`--json ${under} is not a regular file: `),
    );
  });
});

Deno.test("refuseIrregular passes absent, empty, stdout and new paths", async () => {
  await withDir(async (dir) => {
    await refuseIrregular([
      ["--json", undefined],
      ["--summary", ""],
      ["--json", "-"],
      ["--json", join(dir, "new.json")],
    ]);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
