/**
 * From the parsed command line to settings: the part every command is run
 * with ({@linkcode commonSettings}) and how CI is read
 * ({@linkcode ciSettings}). Each command's own settings are built in its
 * file (`push.ts`, `status.ts`, `targets.ts`); nothing below this layer
 * sees the command line.
 *
 * @module
 */

import { rememberedOptions } from "../cli/layers.ts";
import type { RunOptions } from "../cli/parse.ts";
import type { ReadSettings } from "../engine/engine.ts";
import type { CiSettings } from "./mode_run.ts";
import type { CommonSettings } from "./run.ts";

/** What every command is run with: sources, reports, credentials, bounds. */
export function commonSettings(options: RunOptions): CommonSettings {
  return {
    sources: options.sources,
    version: options.version,
    retryFailed: options.retryFailed,
    org: options.org,
    match: options.match,
    exclude: options.exclude,
    topic: options.topic,
    shard: options.shard,
    verbose: options.verbose,
    config: options.config,
    trigger: options.trigger,
    given: options.given,
    json: options.json,
    summary: options.summary,
    baseUrl: options.baseUrl,
    tokenOrigin: options.tokenOrigin,
    tokenEnv: options.tokenEnv,
    authUser: options.authUser,
    allowInsecureHttp: options.allowInsecureHttp,
    timeout: options.timeout,
    transport: options.transport,
    remembered: rememberedOptions(options.raw, options.given),
    values: {
      raw: options.raw,
      derived: [
        ["the version", options.version],
        ["the commit message", options.commitMessage],
      ],
    },
  };
}

/** What the engine reads for every template: version, file, branch, bounds. */
export function readSettings(options: RunOptions): ReadSettings {
  return {
    version: options.version,
    file: options.file,
    branch: options.branch,
    concurrency: options.concurrency,
    timeoutMs: options.timeout * 1000,
  };
}

/** How CI is read: `flag` asked for it, or null when nothing did. */
export function ciSettings(
  options: RunOptions,
  flag: CiSettings["flag"] | null,
): CiSettings | null {
  return flag === null ? null : {
    flag,
    apiUrl: options.apiUrl,
    contexts: options.ciContext,
    waitTimeoutMs: options.waitTimeout,
    waitStartMs: options.waitStart,
  };
}
