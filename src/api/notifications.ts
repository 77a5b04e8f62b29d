// /api/notifications: the delivery record (SPEC §5), and test messages per channel.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { NOTIFICATION_STATUSES, listDeliveries } from "../notify/queue.ts";
import { UnknownChannelError } from "../notify/notifier.ts";
import { authentication } from "./authentication.ts";
import { HttpError } from "./errors.ts";
import { oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

export const errorBody = t.Object({ detail: t.String() }, { description: "What went wrong, in one sentence" });

const delivery = t.Object({
  id: t.Integer(),
  channel: t.String(),
  kind: t.String({ description: "change | digest (one message per scan) | test" }),
  change_id: t.Nullable(t.Integer({ description: "The change announced; null for digests and tests" })),
  scan_id: t.Nullable(t.Integer()),
  severity: t.String(),
  status: t.String({ description: NOTIFICATION_STATUSES.join(" | ") }),
  attempts: t.Integer(),
  error: t.Nullable(t.String({ description: "The last failure, secrets redacted" })),
  created_at: t.String(),
  sent_at: t.Nullable(t.String()),
  next_attempt_at: t.Nullable(t.String({ description: "When a pending delivery is tried next" })),
});

const testResult = t.Object({
  id: t.Integer({ description: "The test delivery's id in GET /api/notifications" }),
  channel: t.String(),
  status: t.String({ description: "sent | failed" }),
  attempts: t.Integer(),
  error: t.Nullable(t.String()),
});

const CHANNEL_NAME = { pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", error: "channel: must be a channel name from notifications.channels" };

export function notificationRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.notifications" })
    .use(authentication(ctx))
    .get(
      "/api/notifications",
      ({ query, set }) => {
        const { items, total } = listDeliveries(ctx.db, {
          status: query.status,
          channel: query.channel,
          change_id: query.change_id,
          limit: query.limit ?? 50,
          offset: query.offset ?? 0,
        });
        return page(set, items, total);
      },
      {
        query: strictQuery({
          status: t.Optional(oneOf(NOTIFICATION_STATUSES, `status: must be one of ${NOTIFICATION_STATUSES.join(", ")}`)),
          channel: t.Optional(t.String(CHANNEL_NAME)),
          change_id: t.Optional(wholeNumber("change_id", "query", 1, Number.MAX_SAFE_INTEGER)),
          ...paging,
        }),
        response: { 200: t.Array(delivery), 401: errorBody, 422: errorBody },
        detail: { summary: "Notification deliveries, newest first; total in X-Total-Count", tags: ["notifications"] },
      },
    )
    .post(
      "/api/notifications/test",
      async ({ query }) => {
        try {
          const r = await ctx.notifier.test(query.channel);
          return { id: r.id, channel: query.channel, status: r.status === "sent" ? "sent" : "failed", attempts: r.attempts, error: r.error };
        } catch (e) {
          if (e instanceof UnknownChannelError) throw new HttpError(404, e.message);
          throw e;
        }
      },
      {
        query: strictQuery({ channel: t.String(CHANNEL_NAME) }),
        response: { 200: testResult, 401: errorBody, 403: errorBody, 404: errorBody, 422: errorBody },
        detail: {
          summary: "Send a test message to one channel now and report the outcome (200 either way; status says whether it arrived)",
          tags: ["notifications"],
        },
      },
    );
}
