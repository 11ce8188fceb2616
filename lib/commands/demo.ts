/**
 * `cascade demo`: a cascade over throwaway local template repos, so a
 * newcomer sees what it does with nothing to configure.
 *
 * @module
 */

import { FastImportStream } from "../git/fast_import.ts";
import {
  BASE_GIT_CONFIG,
  configEnv,
  createGitRunner,
  type GitRunner,
  hermeticEnv,
} from "../git/runner.ts";

/**
 * Makes a bare repository whose default branch `branch` holds `files` in
 * one commit, written with `git fast-import` (one process).
 */
async function seedTemplate(
  git: GitRunner,
  path: string,
  branch: string,
  files: Record<string, string>,
): Promise<void> {
  const init = await git(["init", "--bare", "-q", "-b", branch, path]);
  if (init.code !== 0) {
    throw new Error(`git init failed: ${init.stderr.trim()}`);
  }
  const stream = new FastImportStream();
  const who = "Template Maintainer <maintainer@example.com> 1700000000 +0000";
  stream.text(`commit refs/heads/${branch}\n`);
  stream.text(`author ${who}\ncommitter ${who}\n`);
  stream.data("initial template\n");
  for (const [file, content] of Object.entries(files)) {
    stream.text(`M 100644 inline ${file}\n`);
    stream.data(content);
  }
  await stream.run(git, path);
}

/** Template repos the demo makes: name, default branch, files. */
const DEMO_TEMPLATES: readonly {
  name: string;
  branch: string;
  files: Record<string, string>;
}[] = [
  {
    name: "python-slim",
    branch: "main",
    files: {
      ".runtime-version": "0.1.6\n",
      Dockerfile:
        'FROM python:3.12-slim\nCOPY .runtime-version /tmp/\nRUN pip install "runtime==$(cat /tmp/.runtime-version)"\n',
    },
  },
  {
    name: "python-gpu",
    branch: "trunk",
    files: {
      Dockerfile:
        'FROM nvidia/cuda:12.4.0-base\nCOPY .runtime-version /tmp/\nRUN pip install "runtime==$(cat /tmp/.runtime-version)"\n',
    },
  },
  {
    name: "node-lts",
    branch: "master",
    files: {
      ".runtime-version": "0.1.7\r\n",
      Dockerfile: "FROM node:22\nCOPY .runtime-version /tmp/\n",
    },
  },
  {
    name: "legacy-java",
    branch: "main",
    files: {
      Dockerfile: "FROM eclipse-temurin:21\nRUN pip install runtime==0.1.5\n",
    },
  },
];

/**
 * Runs the demo: makes the templates in a temp dir, runs a cascade with a
 * probe, runs it again to show it is a no-op, and removes everything.
 * `run` is cascade's own `main`.
 */
export async function runDemo(
  run: (args: string[]) => Promise<number>,
  say: (text: string) => void,
): Promise<number> {
  const root = await Deno.makeTempDir({ prefix: "cascade-demo-" });
  try {
    await Deno.mkdir(`${root}/home`);
    const git = createGitRunner({
      ...hermeticEnv(`${root}/home`),
      ...configEnv(BASE_GIT_CONFIG),
    });
    const repos: string[] = [];
    await Deno.mkdir(`${root}/templates`);
    for (const t of DEMO_TEMPLATES) {
      const path = `${root}/templates/${t.name}.git`;
      await seedTemplate(git, path, t.branch, t.files);
      repos.push(`templates/${t.name}`);
    }
    const args = [
      "0.1.8",
      "--base-url",
      `file://${root}`,
      ...repos.flatMap((r) => ["--repo", r]),
      "--probe",
      "Dockerfile",
    ];
    say(
      `Made ${repos.length} template repos under ${root}, default branches main, trunk,\n` +
        `master; legacy-java does not read .runtime-version, so the probe skips it.\n\n` +
        `$ cascade push 0.1.8 --base-url file://${root} \\\n` +
        `    ${repos.map((r) => `--repo ${r}`).join(" ")} --probe Dockerfile\n`,
    );
    const firstRun = await run(["push", ...args]);
    say(
      `\nexit ${firstRun}. Again: nothing changes, so nothing is committed.\n\n`,
    );
    const secondRun = await run(["push", ...args]);
    say(
      `\nexit ${secondRun}. And the read-only check, with the same probe:\n\n$ cascade status 0.1.8 ... --probe Dockerfile\n`,
    );
    const status = await run(["status", ...args]);
    say(
      `\nexit ${status} (legacy-java is skipped on purpose, not drift).\n` +
        `Removed ${root}. Next: cascade push --help\n`,
    );
    return firstRun === 0 && secondRun === 0 && status === 0 ? 0 : 1;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
