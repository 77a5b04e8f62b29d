// /api/keys: create (shown once), list, revoke — exactly as the API Authentication document shows.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication, requirePrincipal } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { ApiKey, ApiKeyCreate, ApiKeyCreated, models, ref } from "./models.ts";
import { errors, json, jsonPage, requestExample } from "./openapi.ts";
import { idParams, noQuery, page, paging, strictQuery } from "./schemas.ts";

// The seed document's walk-through (../shared/seeds/api-authentication.md).
const CREATED_EXAMPLE = { id: 1, name: "My Integration", key: "argus_abc123xyz...", key_prefix: "argus_ab", created_at: "2024-01-15T10:30:00Z" };
const LIST_EXAMPLE = [{ id: 1, name: "Home Assistant", key_prefix: "argus_ab", created_at: "2024-01-15T10:30:00Z", last_used_at: "2024-01-16T08:00:00Z" }];

export function keyRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.keys" })
    .use(authentication(ctx))
    .use(models())
    .post(
      "/api/keys",
      ({ body, principal, actor, set }) => {
        // A leaked key must not be able to mint keys that outlive its revocation.
        if (requirePrincipal(principal).kind !== "session") throw new HttpError(403, "API keys can only be created from a logged-in session");
        const name = body.name.trim();
        if (name.length === 0) throw new HttpError(422, "Invalid body field 'name': must not be blank");
        const scope = body.scope ?? "full";
        const created = ctx.apiKeys.create(name, scope);
        ctx.audit.record(actor, "api_key_created", { resource: `api_key:${created.id}`, details: { name, key_prefix: created.key_prefix, scope } });
        set.status = 201;
        return created;
      },
      {
        body: ref(ApiKeyCreate),
        query: noQuery,
        response: { 201: ref(ApiKeyCreated) },
        detail: {
          summary: "Create an API key (scope full, the default, or read: safe methods only); the full key is returned this once only",
          tags: ["api keys"],
          requestBody: requestExample({ name: "My Integration" }),
          responses: {
            201: json("The new key, shown this once", CREATED_EXAMPLE),
            ...errors({ 403: ["Called with an API key (keys are created from a logged-in session), or a cross-site request", "API keys can only be created from a logged-in session"] }),
          },
        },
      },
    )
    .get("/api/keys", ({ query, set }) => {
      const all = ctx.apiKeys.list();
      const offset = query.offset ?? 0;
      return page(set, all.slice(offset, offset + (query.limit ?? 50)), all.length);
    }, {
      query: strictQuery(paging),
      // Documented, not validated per response: the store selects exactly these columns, and this is
      // the route integrations poll (the contract test checks its answers against the document).
      detail: {
        summary: "List API keys with their scope (never the key itself); total in X-Total-Count",
        tags: ["api keys"],
        responses: { 200: jsonPage("Active keys, oldest first", LIST_EXAMPLE, t.Array(ref(ApiKey))) },
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
      {
        params: idParams,
        query: noQuery,
        detail: {
          summary: "Revoke an API key; it fails from the next request on",
          tags: ["api keys"],
          responses: { 204: { description: "Revoked (no body)" }, ...errors({ 404: ["No active key with this id", "API key 7 not found"] }) },
        },
      },
    );
}
