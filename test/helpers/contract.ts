// The OpenAPI document as a contract the tests hold the server to: every answer an API test
// receives (through Client or checkedFetch) is checked against the document the same server serves
// at /openapi.json, for its operation and status. An operation or status that is not documented,
// a body that does not match its schema (or has a field the schema does not name), a documented
// header that is missing, or a body where none is documented, fails the test that received it.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

type Json = Record<string, any>;
type Media = { schema?: Json };
type ResponseDoc = { description?: string; headers?: Record<string, Json>; content?: Record<string, Media> };
type Operation = { responses: Record<string, ResponseDoc> };

/** Objects are closed for the check: a field the document does not name is drift, not an extension. */
export function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === "example" || k === "examples" ? v : closeObjects(v);
  if (out.type === "object" && out.properties && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

export class Contract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ReturnType<Ajv2020["compile"]>>();
  private readonly routes: { method: string; template: string; pattern: RegExp; literal: number; op: Operation }[] = [];

  constructor(readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(closeObjects(doc) as Json, "argus-openapi.json");
    for (const [template, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      const pattern = new RegExp("^" + template.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") + "$");
      // Literal segments win over parameters when two templates match (/a/actions vs /a/{id}).
      const literal = template.replace(/\{[^}]+\}/g, "").length;
      for (const [method, op] of Object.entries(ops)) this.routes.push({ method: method.toUpperCase(), template, pattern, literal, op });
    }
    this.routes.sort((a, b) => b.literal - a.literal);
  }

  /** Paths the contract covers: the JSON API, /health and /metrics (pages, assets and the document itself are not operations). */
  static covers(path: string): boolean {
    return path === "/health" || path === "/metrics" || path.startsWith("/api/");
  }

  /** The reasons an answer breaks the contract; empty when it keeps it. */
  check(method: string, path: string, status: number, headers: Headers, text: string): string[] {
    method = method.toUpperCase();
    if (!Contract.covers(path) || method === "HEAD" || method === "OPTIONS") return [];
    const where = `${method} ${path} → ${status}`;
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) {
      // Only the router's own answers may come from an undocumented operation: 404 for an unknown
      // path, 405 for a known path with another method. Anything else is an undocumented route.
      const pathKnown = this.routes.some((r) => r.pattern.test(path));
      const expected = pathKnown ? 405 : 404;
      if (status !== expected) return [`${where}: no documented operation ${method} ${path} (undocumented route?)`];
      return this.validate(where, { $ref: "argus-openapi.json#/components/schemas/Error" }, text);
    }
    const response = route.op.responses[String(status)] ?? route.op.responses.default;
    if (!response) return [`${where}: status ${status} is not documented for ${method} ${route.template} (documented: ${Object.keys(route.op.responses).join(", ")})`];
    const problems: string[] = [];
    for (const name of Object.keys(response.headers ?? {})) {
      if (headers.get(name) === null) problems.push(`${where}: documented header ${name} is missing`);
    }
    const type = (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!response.content || Object.keys(response.content).length === 0) {
      if (text !== "") problems.push(`${where}: a body where the document says there is none: ${text.slice(0, 200)}`);
      return problems;
    }
    const media = response.content[type];
    if (!media) return [...problems, `${where}: content type '${type}' is not documented (documented: ${Object.keys(response.content).join(", ")})`];
    if (type !== "application/json" || !media.schema) return problems;
    const ref = `argus-openapi.json#/${pointer("paths", route.template, method.toLowerCase(), "responses", String(status), "content", type, "schema")}`;
    return [...problems, ...this.validate(where, { $ref: ref }, text)];
  }

  private validate(where: string, schema: { $ref: string }, text: string): string[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [`${where}: the body is not JSON: ${text.slice(0, 200)}`];
    }
    let validate = this.validators.get(schema.$ref);
    if (!validate) this.validators.set(schema.$ref, (validate = this.ajv.compile(schema)));
    if (validate(body)) return [];
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
    return [`${where}: the body does not match the documented schema: ${errors.join("; ")}; body: ${text.slice(0, 300)}`];
  }
}

const byDocument = new Map<string, Contract>();
const byServer = new Map<string, Promise<Contract>>();

/** The contract of the server at `base` (its own /openapi.json), fetched once per server. */
export function contractOf(base: string, unix?: string): Promise<Contract> {
  const key = `${unix ?? ""}|${base}`;
  let found = byServer.get(key);
  if (!found) {
    found = (async () => {
      const res = await fetch(`${base}/openapi.json`, unix ? ({ unix } as RequestInit) : undefined);
      if (res.status !== 200) throw new Error(`contract: GET /openapi.json answered ${res.status}`);
      const text = await res.text();
      let contract = byDocument.get(text);
      if (!contract) byDocument.set(text, (contract = new Contract(JSON.parse(text))));
      return contract;
    })();
    byServer.set(key, found);
  }
  return found;
}

/** Throws when an answer breaks its server's OpenAPI document. */
export async function assertContract(base: string, unix: string | undefined, method: string, url: string, status: number, headers: Headers, text: string): Promise<void> {
  const path = new URL(url, base).pathname;
  if (!Contract.covers(path)) return;
  const contract = await contractOf(base, unix);
  const problems = contract.check(method, path, status, headers, text);
  if (problems.length > 0) throw new Error(`OpenAPI contract broken:\n  ${problems.join("\n  ")}`);
}

/**
 * `fetch` for tests that talk to the API without the Client: the answer is checked against the
 * contract (its body is read from a clone; event streams are checked by status and type only).
 */
export async function checkedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const { origin } = new URL(url);
  const unix = (init as { unix?: string }).unix;
  // An event stream never ends by itself: its documented status and content type are checked, not its body.
  const stream = (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
  const text = stream ? "" : await res.clone().text();
  await assertContract(origin, unix, init.method ?? "GET", url, res.status, res.headers, text);
  return res;
}
