/**
 * The suite in a few isolates. `deno test` gives every test module an
 * isolate of its own, which cost about 0.4 s of CPU per module here (150
 * modules: a minute of a two-core machine, for nothing the tests need).
 * So `deno task test` runs the shard modules beside this file, and each
 * imports its share of `tests/*_test.ts`: the files stay one per module
 * under test, and any one of them still runs alone
 * (`deno test -A tests/push_test.ts`).
 *
 * A file's share is decided by its weight, an estimate of the CPU seconds
 * it costs, fitted to measured runs: 0.06 s per KB of test text, 0.5 s for
 * each cascade it runs as a subprocess (a Deno start), 0.15 s for each
 * in-process run and each template repo it makes. The shards run in name
 * order (`run.ts`: a lane per CPU and one more, each taking the next shard
 * when its last one ends) and get smaller down the order (the first holds about
 * seven times the last), filled heaviest file first: the heavy ones start
 * first, and the run ends on small shards of light files instead of one
 * large shard left running alone on one core. A new test file joins a
 * shard with no list to keep.
 *
 * @module
 */

/** How many shard modules there are (`shard_01_test.ts` …). */
export const SHARDS = 12;

/** A test file's weight: see the module's text. */
function weightOf(text: string): number {
  const count = (pattern: RegExp) => text.match(pattern)?.length ?? 0;
  return 0.1 + 0.06 * text.length / 1000 +
    0.5 * count(/\b(runCascadeProcess|spawnCascade|runMeasured)\(/g) +
    0.15 * count(/\brunCascade\(/g) +
    0.15 * count(/\.repo\(/g);
}

/** Shard `i`'s share of the whole (0-based; 2 down to 0.3 of a mean). */
function capacityOf(i: number): number {
  return 2 - 1.7 * i / (SHARDS - 1);
}

/** The name of shard `n`'s module (1-based), e.g. `shard_01_test.ts`. */
export function shardModule(n: number): string {
  return `shard_${String(n).padStart(2, "0")}_test.ts`;
}

/** The test files of `tests/`, by shard (index 0 is shard 1). */
export function shardFiles(): string[][] {
  const dir = new URL("../", import.meta.url);
  const files = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith("_test.ts"))
    .map((e) => ({
      name: e.name,
      weight: weightOf(Deno.readTextFileSync(new URL(e.name, dir))),
    }))
    .sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : 1));
  const total = files.reduce((sum, f) => sum + f.weight, 0);
  const shares = Array.from({ length: SHARDS }, (_, i) => capacityOf(i));
  const whole = shares.reduce((a, b) => a + b, 0);
  const shards = shares.map((share) => ({
    load: 0,
    capacity: share * total / whole,
    names: [] as string[],
  }));
  const fill = (s: { load: number; capacity: number }, w = 0) =>
    (s.load + w) / s.capacity;
  // Heaviest first, each into the first shard it fits: the last shards
  // hold only light files, whose weights are off by little, so the run
  // ends on small shards as planned.
  for (const file of files) {
    const shard = shards.find((s) => s.load + file.weight <= s.capacity) ??
      shards.reduce((a, b) =>
        fill(b, file.weight) < fill(a, file.weight) ? b : a
      );
    shard.load += file.weight;
    shard.names.push(file.name);
  }
  // No shard is left empty: it takes the lightest file of the one with most.
  for (const empty of shards.filter((s) => s.names.length === 0)) {
    const most = shards.reduce((a, b) =>
      b.names.length > a.names.length ? b : a
    );
    empty.names.push(most.names.pop()!);
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
