// /api/keys: create (shown once), list, revoke — exactly as the API Authentication document shows.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication, requirePrincipal } from "./authentication.ts";
import { HttpError } from "./errors.ts";
import { idParams, noQuery, page, paging, strictQuery } from "./schemas.ts";

const keyInfo = t.Object({ id: t.Integer(), name: t.String(), key_prefix: t.String(), created_at: t.String(), last_used_at: t.Nullable(t.String()) });

export function keyRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.keys" })
    .use(authentication(ctx))
    .post(
      "/api/keys",
      ({ body, principal, actor, set }) => {
        // A leaked key must not be able to mint keys that outlive its revocation.
        if (requirePrincipal(principal).kind !== "session") throw new HttpError(403, "API keys can only be created from a logged-in session");
        const name = body.name.trim();
        if (name.length === 0) throw new HttpError(422, "Invalid body field 'name': must not be blank");
        const created = ctx.apiKeys.create(name);
        ctx.audit.record(actor, "api_key_created", { resource: `api_key:${created.id}`, details: { name, key_prefix: created.key_prefix } });
        set.status = 201;
        return created;
      },
      {
        body: t.Object({
          // No control characters: names end up in logs, the audit trail and the UI.
          name: t.String({ minLength: 1, maxLength: 100, pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$", error: "name: must be a string of 1–100 characters without control characters" }),
        }),
        query: noQuery,
        response: { 201: t.Object({ id: t.Integer(), name: t.String(), key: t.String(), key_prefix: t.String(), created_at: t.String() }) },
        detail: { summary: "Create an API key; the full key is returned this once only", tags: ["api keys"] },
      },
    )
    .get("/api/keys", ({ query, set }) => {
      const all = ctx.apiKeys.list();
      const offset = query.offset ?? 0;
      return page(set, all.slice(offset, offset + (query.limit ?? 50)), all.length);
    }, {
      query: strictQuery(paging),
      // Documented, not validated per response: the store selects exactly these columns, and this is
      // the route integrations poll.
      detail: {
        summary: "List API keys (never the key itself)",
        tags: ["api keys"],
        responses: { 200: { description: "Active keys", content: { "application/json": { schema: t.Array(keyInfo) } } } },
      },
    })
    .delete(
      "/api/keys/:id",
      ({ params, actor, set }) => {
        const key = ctx.apiKeys.get(params.id);
        if (!key || !ctx.apiKeys.revoke(params.id)) throw new HttpError(404, `API key ${params.id} not found`);
        ctx.audit.record(actor, "api_key_revoked", { resource: `api_key:${params.id}`, details: { name: key.name, key_prefix: key.key_prefix } });
        set.status = 204;
      },
      { params: idParams, query: noQuery, detail: { summary: "Revoke an API key; it fails from the next request on", tags: ["api keys"] } },
    );
}
