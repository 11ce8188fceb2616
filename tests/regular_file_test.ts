/**
 * A report or summary path that becomes a FIFO, a device, a directory or
 * a symbolic link after it was checked is refused at the open, at once:
 * the run never hangs on a FIFO with no reader.
 */

import assert from "node:assert/strict";
import { Fixture } from "./support/fixtures.ts";
import { within } from "./support/bounded.ts";
import { writeRegular } from "../lib/report/regular_file.ts";
import { Console } from "../lib/console/console.ts";
import { Redactor } from "../lib/console/redact.ts";

/** A FIFO at `path`. */
async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(made.code, 0);
}

Deno.test("writeRegular: a FIFO with no reader is refused at once, appended or replaced", async () => {
  await using fx = await Fixture.create();
  const fifo = `${fx.root}/fifo`;
  await mkfifo(fifo);
  for (const append of [true, false]) {
    await assert.rejects(
      within(10_000, () => writeRegular(fifo, "| a |\n", append)),
      /it is a FIFO with no reader; cascade writes only to regular files/,
    );
  }
  assert.equal((await Deno.lstat(fifo)).isFifo, true, "left as it was");
});

Deno.test("writeRegular: a FIFO with a reader, a device, a directory and a symlink are refused; nothing reaches them", async () => {
  await using fx = await Fixture.create();
  const fifo = `${fx.root}/fifo`;
  await mkfifo(fifo);
  // A reader on the FIFO: the open succeeds, the check after it refuses.
  const reader = new Deno.Command("cat", {
    args: [fifo],
    stdout: "piped",
  }).spawn();
  // Wait until the reader has the FIFO open (bounded).
  let refused: unknown = null;
  for (let i = 0; i < 200 && refused === null; i++) {
    try {
      await writeRegular(fifo, "secret\n", true);
      refused = "written";
    } catch (error) {
      if (/no reader/.test(String(error))) {
        await new Promise((r) => setTimeout(r, 25));
        continue;
      }
      refused = error;
    }
  }
  assert.match(String(refused), /it is not a regular file/);
  const read = await reader.output();
  assert.equal(new TextDecoder().decode(read.stdout), "", "nothing written");
  await Deno.mkdir(`${fx.root}/dir`);
  await Deno.writeTextFile(`${fx.root}/real`, "kept\n");
  await Deno.symlink(`${fx.root}/real`, `${fx.root}/link`);
  const cases: [string, RegExp][] = [
    ["/dev/null", /it is not a regular file/],
    [`${fx.root}/dir`, /it is not a regular file/],
    [`${fx.root}/link`, /it is a symbolic link/],
  ];
  for (const [path, refusal] of cases) {
    for (const append of [true, false]) {
      await assert.rejects(
        within(10_000, () => writeRegular(path, "x\n", append)),
        refusal,
        path,
      );
    }
  }
  assert.equal(await Deno.readTextFile(`${fx.root}/real`), "kept\n");
});

Deno.test("writeRegular: a regular file is appended to or replaced; an absent one is created", async () => {
  await using fx = await Fixture.create();
  const path = `${fx.root}/summary.md`;
  await writeRegular(path, "one\n", true);
  await writeRegular(path, "two\n", true);
  assert.equal(await Deno.readTextFile(path), "one\ntwo\n");
  await writeRegular(path, "new\n", false);
  assert.equal(await Deno.readTextFile(path), "new\n");
});

Deno.test("Console.writeFile: a step summary that is a FIFO by the time it is written fails with a line, and does not hang", async () => {
  await using fx = await Fixture.create();
  const fifo = `${fx.root}/summary`;
  await mkfifo(fifo);
  const console = new Console(
    { stdout: () => {}, stderr: () => {}, isTerminal: false },
    new Redactor(),
    false,
  );
  await assert.rejects(
    within(10_000, () => console.writeFile(fifo, "| a |\n", true)),
    /not a regular file|FIFO/,
  );
});
