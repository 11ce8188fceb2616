/**
 * The counts per status a push report of some results carries, through the
 * one report builder (`pushReportOf`), for tests that need a summary.
 *
 * @module
 */

import { pushReportOf } from "../../lib/report/summary.ts";
import type { PushResult } from "../../lib/model.ts";

/** The counts per status a push report of `results` carries. */
export function summarise(
  results: PushResult[],
): ReturnType<typeof pushReportOf>["summary"] {
  const head = {
    tool: "0",
    version: "0.2",
    file: ".runtime-version",
    startedAt: "t",
    durationMs: 0,
    options: {},
  };
  return pushReportOf(head, false, results).summary;
}
