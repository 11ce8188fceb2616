/**
 * `deno task bench --wait`: `cascade push --wait` on N tiny templates over
 * the stand-in Gitea, whose simulated Actions finish each template's CI 3 s
 * after its push. Prints how long cascade ran past the last CI finishing
 * and the API requests per template (and per 2 s of waiting). Not a test:
 * nothing here is asserted.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  hermeticEnv,
} from "../lib/git/runner.ts";
import { seedCommit } from "../tests/support/seed.ts";
import { initBareRepo } from "../lib/git/init_repo.ts";
import type { PushReport } from "../lib/model.ts";
import { startGitea } from "../tests/support/gitea_api.ts";

const TOKEN = "bench-wait-token-0123";
const BUILD = "publish-image / build (push)";

/** Runs the `--wait` case and prints its numbers. */
export async function benchWait(
  n: number,
  concurrency: string,
  ciMs = 3000,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "cascade-bench-wait-" });
  try {
    await makeTemplates(root, n);
    await using gitea = await startGitea({ root: `${root}/srv`, token: TOKEN });
    const finished: number[] = [];
    const post = gitea.api.postStatus.bind(gitea.api);
    gitea.api.postStatus = (fullName, sha, status) => {
      if (status.status !== "pending") finished.push(performance.now());
      post(fullName, sha, status);
    };
    for (let i = 0; i < n; i++) {
      await gitea.api.configureCi(`org/t${i}`, {
        contexts: [BUILD],
        queueMs: 500,
        runMs: ciMs - 500,
      });
    }
    const json = `${root}/report.json`;
    const targets = Array.from(
      { length: n },
      (_, i) => `${gitea.origin}/org/t${i}.git`,
    );
    const start = performance.now();
    const code = await cascadeWait(targets, concurrency, json);
    const end = performance.now();
    const report = JSON.parse(await Deno.readTextFile(json)) as PushReport;
    const green = report.results.filter((r) => r.ci?.state === "success");
    const waited = report.results.map((r) => r.ci?.waitedMs ?? 0);
    const meanWaited = waited.reduce((x, y) => x + y, 0) / n;
    const requests = gitea.api.requests.length;
    const perTemplate = requests / n;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `--wait: ${n} templates, CI ${
        ciMs / 1000
      } s after each push, concurrency ${concurrency}`,
    );
    console.log(
      `  exit ${code}; ${green.length}/${n} green; whole run ${
        s(end - start)
      }; first CI done at ${s(Math.min(...finished) - start)}`,
    );
    console.log(
      `  returned ${
        s(end - Math.max(...finished))
      } after the last CI finished (target: within 2 s)`,
    );
    console.log(
      `  API requests: ${requests} (report: ${report.apiRequests}), ${
        perTemplate.toFixed(1)
      } per template over ${s(meanWaited)} of waiting = ${
        (perTemplate / (meanWaited / 2000)).toFixed(2)
      } per template per 2 s (target: about 1)`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** N tiny bare repos `srv/org/t<i>.git` holding 0.0.0. */
async function makeTemplates(root: string, n: number): Promise<void> {
  await Deno.mkdir(`${root}/home`);
  await Deno.mkdir(`${root}/srv/org`, { recursive: true });
  const git = createGitRunner({
    ...hermeticEnv(`${root}/home`),
    ...configEnv(BASE_GIT_CONFIG),
  });
  for (let i = 0; i < n; i++) {
    const path = `${root}/srv/org/t${i}.git`;
    await initBareRepo(path, "main");
    await seedCommit(git, path, {
      branch: "main",
      files: { ".runtime-version": "0.0.0\n" },
    });
  }
}

/** `cascade push 1.0.0 --wait` as a subprocess; its exit code. */
async function cascadeWait(
  targets: string[],
  concurrency: string,
  json: string,
): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-run=git",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net=127.0.0.1",
      fileURLToPath(new URL("../cascade.ts", import.meta.url)),
      "push",
      "1.0.0",
      "--wait",
      "--concurrency",
      concurrency,
      "--json",
      json,
      ...targets.flatMap((t) => ["--repo", t]),
    ],
    env: { CASCADE_TOKEN: TOKEN, NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code;
}
