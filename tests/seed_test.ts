import assert from "node:assert/strict";
import { Fixture } from "./support/fixtures.ts";
import { initBareRepo } from "../lib/git/init_repo.ts";

/** Every file and directory under `root`, with the text of each file. */
async function tree(root: string, dir = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of Deno.readDir(`${root}/${dir}`)) {
    const name = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      out.set(`${name}/`, "");
      for (const [k, v] of await tree(root, name)) out.set(k, v);
    } else {
      out.set(name, await Deno.readTextFile(`${root}/${name}`));
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

Deno.test("initBareRepo() writes what git init --bare --template= writes, byte for byte, SHA-1 and SHA-256", async () => {
  await using fx = await Fixture.create();
  const cases = [
    ...["main", "trunk", "release/v1"].map((b) => [b, "sha1"] as const),
    ["main", "sha256"] as const,
  ];
  for (const [branch, format] of cases) {
    const name = `${branch.replace("/", "-")}-${format}`;
    const real = `${fx.root}/real-${name}.git`;
    const made = `${fx.root}/made-${name}.git`;
    const init = await fx.git([
      "init",
      "--bare",
      "-q",
      "--template=",
      `--object-format=${format}`,
      "-b",
      branch,
      real,
    ]);
    assert.equal(init.code, 0, init.stderr);
    await initBareRepo(made, branch, format);
    assert.deepEqual(await tree(made), await tree(real), name);
    const head = await fx.git(["symbolic-ref", "HEAD"], { cwd: made });
    assert.equal(head.stdout, `refs/heads/${branch}\n`);
    const hash = await fx.git(["rev-parse", "--show-object-format"], {
      cwd: made,
    });
    assert.equal(hash.stdout, `${format}\n`);
  }
});

Deno.test("initBareRepo() refuses a branch name it would have to guess about", async () => {
  await using fx = await Fixture.create();
  for (const branch of ["", "-x", "a..b", "a b", "a/", "@{x}"]) {
    await assert.rejects(
      initBareRepo(`${fx.root}/x.git`, branch),
      /not a plain branch name/,
      JSON.stringify(branch),
    );
  }
});

Deno.test("a fixture repo passes fsck, serves filters and does not gc after each push it takes", async () => {
  await using fx = await Fixture.create();
  const server = await fx.repo("org/a", { ".runtime-version": "0.1.0\n" });
  const config = await fx.git(["config", "--list", "--local"], {
    cwd: server,
  });
  assert.match(config.stdout, /^receive\.autogc=false$/m);
  assert.match(config.stdout, /^uploadpack\.allowfilter=true$/m);
  const fsck = await fx.git(["fsck", "--strict"], { cwd: server });
  assert.equal(fsck.code, 0, fsck.stderr);
  assert.equal(await fx.count(server), 1);
});

Deno.test("Fixture.tip() agrees with git rev-parse: a loose ref, a packed one, none", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("org/a", { ".runtime-version": "0.1.0\n" });
  const revParse = async (branch: string) => {
    const out = await fx.git(["rev-parse", "-q", "--verify", branch], {
      cwd: repo,
    });
    return out.code === 0 ? out.stdout.trim() : null;
  };
  const loose = await fx.tip(repo);
  assert.match(loose ?? "", /^[0-9a-f]{40}$/);
  assert.equal(loose, await revParse("refs/heads/main"));
  const moved = await fx.commit(repo, { branch: "main", files: { x: "1\n" } });
  assert.equal(await fx.tip(repo), moved);
  const packed = await fx.git(["pack-refs", "--all", "--prune"], {
    cwd: repo,
  });
  assert.equal(packed.code, 0, packed.stderr);
  await assert.rejects(Deno.stat(`${repo}/refs/heads/main`));
  assert.equal(await fx.tip(repo), moved);
  assert.equal(await fx.tip(repo, "nope"), null);
});
