/**
 * Memory bounded in bytes held, whatever a hostile server or template
 * sends: each case runs cascade as a subprocess and measures its peak RSS
 * (see `support/peak_rss.ts`); every hostile answer is bounded in bytes
 * and every run killed after a minute, so no case can hang.
 */

import assert from "node:assert/strict";
import { Fixture } from "./support/fixtures.ts";
import { pktLine, startGitHttpServer } from "./support/http_server.ts";
import { note, PEAK_LIMIT_MIB, runMeasured } from "./support/peak_rss.ts";
import { bytesOf, trickle } from "./support/trickle.ts";

const MiB = 1024 * 1024;

/** A loopback server answering every request with `answer`. */
function serve(answer: (request: Request) => Response) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    answer,
  );
}

Deno.test("an API answer in tiny chunks without end: read up to 4 MiB, refused as too large, memory bounded", async () => {
  const server = serve(() =>
    new Response(
      trickle(bytesOf('[{"name":"'), bytesOf("a".repeat(61)), 64 * MiB),
      { headers: { "content-type": "application/json" } },
    )
  );
  const tmp = await Deno.makeTempDir({ prefix: "cascade-mem-" });
  try {
    const run = await runMeasured([
      "targets",
      "--org",
      "o",
      "--base-url",
      `http://127.0.0.1:${server.addr.port}`,
    ], { tmpDir: tmp });
    note("API body in tiny chunks (targets --org)", run);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /sent an answer larger than 4194304 bytes/);
    assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a listing of many large pages: stopped at the bytes a listing may hold, memory bounded", async () => {
  let pages = 0;
  const padding = "x".repeat(75 * 1024);
  const server = serve((request) => {
    const url = new URL(request.url);
    const page = Number(url.searchParams.get("page") ?? "1");
    pages++;
    const repos = Array.from({ length: 50 }, (_, i) => ({
      name: `r${page}-${i}`,
      full_name: `o/r${page}-${i}`,
      owner: { login: "o" },
      default_branch: "main",
      archived: false,
      fork: false,
      mirror: false,
      empty: false,
      clone_url: `${url.origin}/o/r${page}-${i}.git`,
      html_url: `${url.origin}/o/r${page}-${i}`,
      description: padding,
    }));
    return new Response(JSON.stringify(repos), {
      headers: {
        "content-type": "application/json",
        link: `<${url.origin}${url.pathname}?limit=50&page=${
          page + 1
        }>; rel="next"`,
      },
    });
  });
  const tmp = await Deno.makeTempDir({ prefix: "cascade-mem-" });
  try {
    const run = await runMeasured([
      "targets",
      "--org",
      "o",
      "--base-url",
      `http://127.0.0.1:${server.addr.port}`,
    ], { tmpDir: tmp });
    note("200 pages of 3.7 MiB each (targets --org)", run);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /listed more than 32 MiB over \d+ pages/);
    assert.ok(pages <= 10, `${pages} pages read`);
    assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a ref read answered in tiny chunks without end: bounded, the template fails, memory bounded", async () => {
  const unit = bytesOf(pktLine("0".repeat(40) + " refs/heads/x\n"));
  const server = serve(() =>
    new Response(trickle(new Uint8Array(), unit, 8 * MiB), {
      headers: { "content-type": "application/x-git-upload-pack-result" },
    })
  );
  const tmp = await Deno.makeTempDir({ prefix: "cascade-mem-" });
  try {
    const json = `${tmp}/r.json`;
    const run = await runMeasured([
      "push",
      "0.2",
      "--repo",
      `http://127.0.0.1:${server.addr.port}/o/a.git`,
      "--timeout",
      "20",
      "--json",
      json,
    ], { tmpDir: tmp });
    note("ref read in tiny chunks (push, in-process ref read)", run);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const report = JSON.parse(await Deno.readTextFile(json));
    assert.equal(report.results[0].status, "failed");
    assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a receive-pack answer in tiny chunks without end: read up to 1 MiB, the push read back, memory bounded", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("o/a", { ".runtime-version": "0.1\n" });
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    api: (request) =>
      new URL(request.url).pathname.endsWith("/git-receive-pack")
        ? new Response(
          trickle(
            new Uint8Array(),
            bytesOf(pktLine("\x02progress\n")),
            48 * MiB,
          ),
          {
            headers: {
              "content-type": "application/x-git-receive-pack-result",
            },
          },
        )
        : null,
  });
  const json = `${fx.root}/r.json`;
  const run = await runMeasured([
    "push",
    "0.2",
    "--repo",
    `${server.origin}/o/a.git`,
    "--json",
    json,
  ], { tmpDir: fx.root });
  note("receive-pack answer in tiny chunks (in-process push)", run);
  const report = JSON.parse(await Deno.readTextFile(json));
  assert.equal(report.results[0].status, "failed", run.stderr);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.1\n");
  assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
});

Deno.test("git printing the server's progress without end: stderr kept as head and tail, memory bounded", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("o/a", { ".runtime-version": "0.1\n" });
  const progress = bytesOf(pktLine(`\x02${"counting objects ".repeat(60)}\r`));
  let taken = 0;
  await using server = await startGitHttpServer({
    root: `${fx.root}/srv`,
    api: async (request) => {
      if (
        request.method !== "POST" ||
        !new URL(request.url).pathname.endsWith("/git-receive-pack")
      ) return null;
      await request.arrayBuffer(); // the pack, taken in full
      // 24 MiB of whole progress packets, then a flush and no report:
      // git ends by itself, refused, once it has read them all.
      const units = Math.ceil(24 * MiB / progress.length);
      const body = trickle(
        new Uint8Array(),
        progress,
        units * progress.length,
        0,
        bytesOf("0000"),
      ).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, out) {
            taken += chunk.length;
            out.enqueue(chunk);
          },
        }),
      );
      return new Response(body, {
        headers: { "content-type": "application/x-git-receive-pack-result" },
      });
    },
  });
  const json = `${fx.root}/r.json`;
  // No --allow-net: git itself pushes and prints what the server sends.
  const run = await runMeasured([
    "push",
    "0.2",
    "--repo",
    `${server.origin}/o/a.git`,
    "--json",
    json,
    "--verbose",
  ], { tmpDir: fx.root, allowNet: false });
  note("git stderr: 24 MiB of side-band progress (git push)", run);
  const report = JSON.parse(await Deno.readTextFile(json));
  assert.equal(report.results[0].status, "failed", run.stderr);
  assert.notEqual(report.results[0].error.kind, "timeout", run.stderr);
  assert.ok(taken > 24 * MiB, `the server sent ${taken} bytes`);
  assert.equal(await fx.text(repo, "main", ".runtime-version"), "0.1\n");
  assert.ok(run.stdout.length + run.stderr.length < 64 * 1024);
  assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
});

Deno.test("a 64 MiB .runtime-version: not read (too large), replaced, reported by its size, memory bounded", async () => {
  await using fx = await Fixture.create();
  const big = await fx.repo("o/big", {
    ".runtime-version": new Uint8Array(64 * MiB).fill(0x30),
  });
  const json = `${fx.root}/r.json`;
  const run = await runMeasured([
    "push",
    "0.2",
    "--repo",
    big,
    "--json",
    json,
  ], { tmpDir: fx.root, allowNet: false });
  note("64 MiB .runtime-version (push, local repo)", run);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(await Deno.readTextFile(json));
  assert.equal(report.results[0].status, "updated");
  assert.equal(report.results[0].previous, "<too large, 67108864 bytes>");
  assert.equal(await fx.text(big, "main", ".runtime-version"), "0.2\n");
  assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
});

Deno.test("a 16 MiB probe file: the file is too large, the template fails, memory bounded", async () => {
  await using fx = await Fixture.create();
  const repo = await fx.repo("o/probe", {
    ".runtime-version": "0.1\n",
    "Dockerfile": new Uint8Array(16 * MiB).fill(0x41),
  });
  const json = `${fx.root}/r.json`;
  const run = await runMeasured([
    "push",
    "0.2",
    "--repo",
    repo,
    "--probe",
    "Dockerfile",
    "--json",
    json,
  ], { tmpDir: fx.root, allowNet: false });
  note("16 MiB probe file (push --probe, local repo)", run);
  assert.equal(run.code, 1, run.stderr);
  const report = JSON.parse(await Deno.readTextFile(json));
  assert.equal(report.results[0].error.kind, "invalid");
  assert.match(
    report.results[0].error.message,
    /probe Dockerfile: the file is too large \(16777216 bytes/,
  );
  assert.equal(await fx.count(repo), 1, "nothing pushed");
  assert.ok(run.peakMiB <= PEAK_LIMIT_MIB, `${run.peakMiB} MiB`);
});

Deno.test("the git runner keeps a head and a tail of a long output, drops the middle and says so", async () => {
  await using fx = await Fixture.create();
  // A 10 MB file of numbered lines, printed by git in one go, against a
  // 1 MiB bound.
  const count = 800_000;
  const text = Array.from(
    { length: count },
    (_, i) => `line ${String(i).padStart(7, "0")}\n`,
  ).join("");
  const repo = await fx.repo("o/a", { "big.txt": text });
  const out = await fx.git(["cat-file", "blob", "main:big.txt"], {
    cwd: repo,
    maxStdoutBytes: MiB,
  });
  assert.equal(out.code, 0);
  assert.ok((out.stdoutDropped ?? 0) > 8 * MiB, `${out.stdoutDropped}`);
  assert.ok(out.stdoutBytes.length <= MiB);
  const lines = out.stdout.split("\n");
  assert.equal(lines[0], "line 0000000");
  assert.equal(lines.at(-2), `line ${String(count - 1).padStart(7, "0")}`);
  assert.match(
    out.stdout,
    /\n\[cascade: \d+ bytes of git's output dropped here\]\n/,
  );
});
