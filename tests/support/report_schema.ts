/**
 * A strict draft 2020-12 validator of one of cascade's report schemas
 * (`schema/<name>`), for tests that check a real report.
 *
 * @module
 */

import { Ajv2020, type ValidateFunction } from "npm:ajv@8.20.0/dist/2020.js";
import addFormats from "npm:ajv-formats@3.0.1";

/** The validator of `schema/<name>`. */
export async function reportValidator(name: string): Promise<ValidateFunction> {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    allowUnionTypes: true,
  });
  addFormats.default(ajv);
  const schema = JSON.parse(
    await Deno.readTextFile(new URL(`../../schema/${name}`, import.meta.url)),
  );
  return ajv.compile(schema);
}
