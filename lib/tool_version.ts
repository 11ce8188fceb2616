/**
 * cascade's own version, from `deno.json`: what `--version` prints and what
 * every report names as its `tool`.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** cascade's own version (from deno.json). */
export const VERSION: string = denoJson.version;
