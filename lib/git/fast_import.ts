/**
 * The one builder of `git fast-import` input: commands and exact-length
 * `data` blocks, used for cascade's one-file commits and for seeding repos
 * in the demo, tests and benchmark.
 *
 * @module
 */

import { concatBytes, type GitRunner } from "./runner.ts";

/** A `git fast-import` input stream, built in memory and run at once. */
export class FastImportStream {
  #parts: Uint8Array[] = [];
  #encoder = new TextEncoder();

  /** Appends command text. */
  text(text: string): void {
    this.#parts.push(this.#encoder.encode(text));
  }

  /** Appends a `data` block with its exact byte count. */
  data(content: string | Uint8Array): void {
    const bytes = typeof content === "string"
      ? this.#encoder.encode(content)
      : content;
    this.text(`data ${bytes.length}\n`);
    this.#parts.push(bytes);
    this.text("\n");
  }

  /** The stream so far, as one byte array. */
  bytes(): Uint8Array {
    return concatBytes(this.#parts);
  }

  /**
   * Ends the stream with `done` and runs `git fast-import` on it in
   * `gitDir`, for seeding repos (tests, demo, bench): throws on failure.
   * Returns what fast-import printed (the answers to `get-mark`).
   */
  async run(git: GitRunner, gitDir: string): Promise<string> {
    this.text("done\n");
    const out = await git(["fast-import", "--quiet", "--done"], {
      cwd: gitDir,
      stdin: this.bytes(),
    });
    if (out.code !== 0) {
      throw new Error(`fast-import failed: ${out.stderr.trim()}`);
    }
    return out.stdout;
  }
}
