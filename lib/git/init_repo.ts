/**
 * A new bare repository without starting git: what
 * `git init --bare -q --template= -b <branch>` writes (git 2.39), byte for
 * byte, SHA-1 or SHA-256 (`tests/seed_test.ts` holds it to real git).
 * cascade makes one throwaway repo per template, and the tests hundreds of
 * template repos; a git start for each was wasted.
 *
 * @module
 */

/** The directories `git init --bare --template=` makes. */
const BARE_REPO_DIRS: readonly string[] = [
  "objects/info",
  "objects/pack",
  "refs/heads",
  "refs/tags",
];

/** A branch name made only of plain segments (letters, digits, `_-`). */
const PLAIN_BRANCH =
  /^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9_-]*)*$/;

/**
 * Creates a bare repository at `path` (which must not exist yet, or be an
 * empty directory) whose default branch is `branch`, in `objectFormat`.
 * Only plain branch names are taken (anything else throws rather than
 * guessing at git's rules).
 */
export async function initBareRepo(
  path: string,
  branch = "main",
  objectFormat: "sha1" | "sha256" = "sha1",
): Promise<void> {
  if (!PLAIN_BRANCH.test(branch)) {
    throw new Error(`initBareRepo: not a plain branch name: ${branch}`);
  }
  const config = objectFormat === "sha256"
    ? "[core]\n\trepositoryformatversion = 1\n\tfilemode = true\n\tbare = true\n[extensions]\n\tobjectformat = sha256\n"
    : "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n";
  for (const dir of BARE_REPO_DIRS) {
    await Deno.mkdir(`${path}/${dir}`, { recursive: true });
  }
  await Deno.writeTextFile(`${path}/HEAD`, `ref: refs/heads/${branch}\n`, {
    createNew: true,
  });
  await Deno.writeTextFile(`${path}/config`, config, { createNew: true });
}
