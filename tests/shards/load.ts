/**
 * The suite in a few isolates. `deno test` gives every test module an
 * isolate of its own, which cost about 0.4 s of CPU per module here (150
 * modules: a minute of a two-core machine, for nothing the tests need).
 * So `deno task test` runs the shard modules beside this file, and each
 * imports its share of `tests/*_test.ts`: the files stay one per module
 * under test, and any one of them still runs alone
 * (`deno test -A tests/push_test.ts`).
 *
 * A file's share is decided by its size (heaviest first, each to the
 * lightest shard so far), so a new test file joins a shard with no list to
 * keep.
 *
 * @module
 */

/** How many shard modules there are (`shard_1_test.ts` …). */
export const SHARDS = 8;

/** The test files of `tests/`, by shard (index 0 is shard 1). */
export function shardFiles(): string[][] {
  const dir = new URL("../", import.meta.url);
  const files = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith("_test.ts"))
    .map((e) => ({
      name: e.name,
      size: Deno.statSync(new URL(e.name, dir)).size,
    }))
    .sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1));
  const shards = Array.from({ length: SHARDS }, () => ({
    size: 0,
    names: [] as string[],
  }));
  for (const file of files) {
    const lightest = shards.reduce((a, b) => (b.size < a.size ? b : a));
    lightest.size += file.size;
    lightest.names.push(file.name);
  }
  return shards.map((s) => s.names.sort());
}

/** Imports the test files of shard `n` (1-based), registering their tests. */
export async function loadShard(n: number): Promise<void> {
  const names = shardFiles()[n - 1];
  if (names === undefined) throw new Error(`no shard ${n} of ${SHARDS}`);
  for (const name of names) {
    await import(new URL(`../${name}`, import.meta.url).href);
  }
}
