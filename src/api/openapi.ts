// The OpenAPI document at /openapi.json, the contract integrations build on. The routes are
// walked by @elysiajs/openapi's generator (schemas from `body`, `query`, `params` and `response`,
// named schemas from src/api/models.ts as `$ref`s); this module completes what that generator
// cannot know about this app:
// - request bodies: our own body parser (src/api/body.ts) hides the media type from the generator;
// - what each operation documents in `detail.responses` (descriptions, examples, errors, 204s and
//   bodies documented without runtime validation) is merged with the validated schemas;
// - the errors every route of a kind can answer, from the app's global hooks: 421 for a foreign
//   Host on every route, 401 for every non-public route, 403 for cookie-authenticated writes
//   (CSRF), 422 for invalid parameters, 400/413/415 for the body of any write;
// - whole-number parameters (strings validated strictly at run time, see wholeNumber) are
//   integers in the document; Elysia's private `error` keyword and the models' `$id` are dropped.
import { Elysia } from "elysia";
import type { TSchema } from "@sinclair/typebox";
import { routeAccess } from "./guard.ts";
import type { OpenAPIV3 } from "openapi-types";
import { SESSION_COOKIE } from "./session-cookie.ts";
import { UNSUPPORTED_BODY } from "./body.ts";
import { prebuiltDocument } from "./openapi-prebuilt.ts";

const ERROR_REF = { $ref: "#/components/schemas/Error" };

type Media = OpenAPIV3.MediaTypeObject;
export type ResponseDoc = OpenAPIV3.ResponseObject;
type Operation = {
  security?: unknown[];
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: OpenAPIV3.RequestBodyObject;
  responses?: Record<string, ResponseDoc>;
  [key: string]: unknown;
};
type RouteLike = { method: string; path: string; hooks?: Record<string, any> };

/** Marks a whole-number string parameter so the document shows it as the integer it is. */
export const INTEGER_HINT = "x-argus-integer";

const toJson = (schema: unknown) => JSON.parse(JSON.stringify(schema));

/**
 * Whether this process builds the document from its routes (run from source, or by scripts/build.ts).
 * The binary serves the document built at build time, so what the helpers below describe (examples,
 * error answers, copies of schemas) would only sit in memory beside every route: there they give
 * one shared empty description instead (issue 17).
 */
const documenting = prebuiltDocument === null;
const UNDOCUMENTED: ResponseDoc = Object.freeze({ description: "" }) as ResponseDoc;
const NO_RESPONSES: Record<number, ResponseDoc> = Object.freeze({});

/** A JSON answer for `detail.responses`: its example, and its schema when the route does not validate it. */
export function json(description: string, example?: unknown, schema?: TSchema): ResponseDoc {
  if (!documenting) return UNDOCUMENTED;
  const media: Media = {};
  if (schema) media.schema = toJson(schema) as OpenAPIV3.SchemaObject;
  if (example !== undefined) media.example = example;
  return { description, content: { "application/json": media } };
}

/** A page of a list: a plain JSON array, with the unpaginated total in `X-Total-Count` (SPEC §1). */
export function jsonPage(description: string, example?: unknown[], schema?: TSchema): ResponseDoc {
  if (!documenting) return UNDOCUMENTED;
  return {
    ...json(description, example, schema),
    headers: { "X-Total-Count": { description: "The number of items without paging", schema: { type: "integer", minimum: 0 } } },
  };
}

/** Error answers for `detail.responses`, each with the `detail` it says as example. */
export function errors(byStatus: Record<number, string | [description: string, detail: string]>): Record<number, ResponseDoc> {
  if (!documenting) return NO_RESPONSES;
  return Object.fromEntries(
    Object.entries(byStatus).map(([status, v]) => {
      const [description, detail] = typeof v === "string" ? [v, v] : v;
      return [status, errorResponse(description, detail)];
    }),
  );
}

const errorResponse = (description: string, detail: string): ResponseDoc => ({
  description,
  content: { "application/json": { schema: ERROR_REF, example: { detail } } },
});

/** An example request body for `detail.requestBody` (the schema comes from the route's `body`). */
export function requestExample(example: unknown) {
  if (!documenting) return {};
  return { content: { "application/json": { example } } };
}

const WRITE_METHODS = new Set(["post", "put", "patch", "delete"]);

/** The errors the app's global hooks answer for a route of this kind (see the module comment). */
function commonErrors(method: string, op: Operation, route: RouteLike): Record<string, ResponseDoc> {
  // Every request over TCP is first checked for a Host that names the appliance (DNS rebinding).
  const out: Record<string, ResponseDoc> = {
    421: errorResponse("The Host is not one of the appliance's names (its addresses, host name, localhost or `allowed_hosts`)", "Unknown host name; add it to allowed_hosts"),
  };
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  if (!isPublic) {
    out[401] = errorResponse("Not authenticated: missing, invalid or revoked key, or an expired session (`Setup required` before first-run setup)", "Not authenticated");
    if (WRITE_METHODS.has(method)) {
      out[403] = errorResponse("A cookie-authenticated change sent from another site (CSRF), or any change with a read-only API key (`This API key is read-only`)", "Cross-site request rejected: cookie-authenticated changes must come from the Argus UI's own origin");
    }
  }
  const hooks = route.hooks ?? {};
  // Every write reads a body that is sent, also where none is expected (src/api/body.ts).
  if (hooks.body || WRITE_METHODS.has(method)) {
    const sent = hooks.body ? "" : " (when one is sent)";
    out[400] = errorResponse(`Malformed JSON body${sent}`, "Malformed request body: expected valid JSON");
    out[413] = errorResponse(`Body larger than the limit${sent}`, "Request body too large: the limit is 1048576 bytes");
    out[415] = errorResponse(`Body not sent as application/json (text, a form, XML…)${sent}`, UNSUPPORTED_BODY);
  }
  if (hooks.body || hooks.query || hooks.params) {
    out[422] = errorResponse("A parameter or body field is invalid (the detail names it), or an unknown query key was given", "Unknown query parameter 'foo'");
  }
  return out;
}

function mergeResponses(generated: Record<string, ResponseDoc> = {}, declared: Record<string, ResponseDoc> = {}): Record<string, ResponseDoc> {
  const out: Record<string, ResponseDoc> = {};
  for (const status of new Set([...Object.keys(generated), ...Object.keys(declared)])) {
    const g = generated[status];
    const d = declared[status];
    if (!g || !d) {
      out[status] = (g ?? d)!;
      continue;
    }
    // The validated schema wins; the declaration adds the description and examples.
    const content: Record<string, Media> = {};
    for (const type of new Set([...Object.keys(g.content ?? {}), ...Object.keys(d.content ?? {})])) {
      const declared = d.content?.[type];
      content[type] = { ...declared, ...g.content?.[type], ...(declared?.example !== undefined ? { example: declared.example } : {}) };
    }
    out[status] = { ...g, ...d, ...(g.content || d.content ? { content } : {}) };
  }
  return out;
}

/** Path parameters and query keys marked by wholeNumber become integers with their bounds. */
function integerParameters(op: Operation): void {
  for (const p of op.parameters ?? []) {
    const hint = p.schema[INTEGER_HINT] as { minimum: number; maximum: number } | undefined;
    if (!hint) continue;
    const { description } = p.schema;
    p.schema = { type: "integer", minimum: hint.minimum, maximum: hint.maximum, ...(description ? { description } : {}) };
  }
}

/**
 * Removes keys no OpenAPI reader knows: the custom `error` (Elysia) and `errorMessage` (the configuration
 * schema's) messages, and the models' `$id`s. Works on a copy of the document (never on the live schemas,
 * whose `error` Elysia still needs), and leaves property names and examples alone (an example's own
 * `error` field, a delivery's last failure, stays).
 */
function stripPrivateKeywords(node: unknown, inProperties = false): void {
  if (Array.isArray(node)) return node.forEach((n) => stripPrivateKeywords(n));
  if (!node || typeof node !== "object") return;
  const obj = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    if (!inProperties && (key === "example" || key === "examples")) continue;
    if (!inProperties && (((key === "error" || key === "errorMessage") && typeof value !== "object") || key === "$id" || key === INTEGER_HINT)) delete obj[key];
    else stripPrivateKeywords(value, key === "properties" && !inProperties);
  }
}

/** The method and path template of every documented operation, as the generator names them. */
const openApiPath = (path: string) => path.replace(/:([^/]+)/g, "{$1}");

export async function buildDocument(app: Elysia<any, any, any, any, any, any, any>, base: Record<string, any>) {
  // Loaded only here: the binary, which serves the prebuilt document, never loads the generator.
  const { toOpenAPISchema } = await import("@elysiajs/openapi");
  // Not the generator's "static file" rule (any path with a dot): /api/export/devices.csv is an
  // operation. Pages and assets say `detail: { hide: true }` themselves.
  const generated = toOpenAPISchema(app as any, { paths: ["/openapi.json"], staticFile: false }, undefined, undefined, "3.1.2") as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
  const routes = (app as any).getGlobalRoutes() as RouteLike[];
  for (const route of routes) {
    const method = route.method.toLowerCase();
    const op = generated.paths[openApiPath(route.path)]?.[method];
    if (!op) continue;
    const detail = route.hooks?.detail ?? {};
    if (route.hooks?.body) {
      const schema = toJson(route.hooks.body);
      op.requestBody = {
        ...(detail.requestBody?.description ? { description: detail.requestBody.description } : {}),
        required: true,
        content: { "application/json": { schema, ...detail.requestBody?.content?.["application/json"] } },
      };
    }
    const responses = mergeResponses(commonErrors(method, op, route), mergeResponses(op.responses, detail.responses));
    op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
    integerParameters(op);
  }
  const doc = toJson({
    openapi: "3.1.1",
    ...base,
    paths: generated.paths,
    components: { ...base.components, schemas: generated.components.schemas },
  });
  stripPrivateKeywords(doc.components.schemas);
  stripPrivateKeywords(doc.paths);
  return doc;
}

/**
 * Serves the document at /openapi.json: the one built into the binary (openapi-prebuilt.ts), or
 * built once from the app's routes on first request.
 */
export function apiDocument(app: Elysia<any, any, any, any, any, any, any>, info: { title: string; version: string; description: string }) {
  let cached: unknown;
  return new Elysia({ name: "argus.openapi" }).use(routeAccess).get(
    "/openapi.json",
    () =>
      prebuiltDocument !== null ? new Response(Bun.file(prebuiltDocument), { headers: { "content-type": "application/json;charset=utf-8" } }) : (cached ??= buildDocument(app, {
        info,
        components: {
          securitySchemes: {
            apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
            bearer: { type: "http", scheme: "bearer" },
            session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
          },
        },
        security: [{ apiKey: [] }, { bearer: [] }, { session: [] }],
      })),
    // Public, like the /docs page that shows it: integrators generate clients from it.
    { access: "public", detail: { hide: true } },
  );
}
