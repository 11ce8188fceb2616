/**
 * A 429 to a request cascade made itself over smart HTTP (the ref read,
 * the fetch and the push of `_http_refs.ts`, `_http_fetch.ts` and
 * `_http_push.ts`): the failure is `rate-limited`, worded and advised as
 * the API's 429 is, never `network`; git is not asked again, as the server
 * would refuse it the same.
 *
 * @module
 */

import { ADVICE, TemplateError } from "../errors.ts";
import { rateLimitedWords, retryAfterMs } from "../engine/retry.ts";

/**
 * Throws the `rate-limited` failure of `step` when `response` is a 429
 * (its body cancelled first); returns otherwise.
 */
export async function refuseRateLimit(
  response: Response,
  step: string,
  url: string,
): Promise<void> {
  if (response.status !== 429) return;
  await response.body?.cancel().catch(() => {});
  throw rateLimitedFailure(step, url, response.headers.get("retry-after"));
}

/**
 * The failure of `step` that `url`'s server answered 429: kind
 * `rate-limited`, with the wait its `Retry-After` asks for, if readable.
 */
function rateLimitedFailure(
  step: string,
  url: string,
  retryAfter: string | null,
): TemplateError {
  const asked = retryAfterMs(retryAfter, Date.now());
  const advice = ADVICE["rate-limited"];
  return new TemplateError(
    "rate-limited",
    `${step}: ${new URL(url).host} answered 429 ${
      rateLimitedWords(asked)
    }; ${advice}`,
    advice,
  );
}
