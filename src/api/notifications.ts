// /api/notifications: the delivery record (SPEC §5), and test messages per channel.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { NOTIFICATION_STATUSES, listDeliveries } from "../notify/queue.ts";
import { UnknownChannelError } from "../notify/notifier.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { models, Notification, NotificationTest, ref } from "./models.ts";
import { errors, json, jsonPage } from "./openapi.ts";
import { oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const CHANNEL_NAME = { pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", error: "channel: must be a channel name from notifications.channels" };

const LIST_EXAMPLE = [
  { id: 42, channel: "phone", kind: "test", change_id: null, scan_id: null, severity: "info", status: "sent", attempts: 1, error: null, created_at: "2024-01-16T08:05:00Z", sent_at: "2024-01-16T08:05:00Z", next_attempt_at: null },
  { id: 41, channel: "hooks", kind: "change", change_id: 118, scan_id: 12, severity: "info", status: "pending", attempts: 1, error: "the destination did not accept the message", created_at: "2024-01-16T08:00:04Z", sent_at: null, next_attempt_at: "2024-01-16T08:00:34Z" },
  { id: 40, channel: "mail", kind: "digest", change_id: null, scan_id: 12, severity: "warning", status: "failed", attempts: 5, error: "the destination did not accept the message", created_at: "2024-01-16T07:15:04Z", sent_at: null, next_attempt_at: null },
];

export function notificationRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.notifications" })
    .use(authentication(ctx))
    .use(models())
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
          channel: t.Optional(t.String({ ...CHANNEL_NAME, description: "Only this channel's deliveries" })),
          change_id: t.Optional(wholeNumber("change_id", "query", 1, Number.MAX_SAFE_INTEGER, "Only the deliveries announcing this change")),
          ...paging,
        }),
        response: { 200: t.Array(ref(Notification)) },
        detail: {
          summary: "Notification deliveries, newest first; total in X-Total-Count",
          tags: ["notifications"],
          responses: { 200: jsonPage("A page of deliveries", LIST_EXAMPLE) },
        },
      },
    )
    .post(
      "/api/notifications/test",
      async ({ query }) => {
        try {
          const r = await ctx.notifier.test(query.channel);
          return { id: r.id, channel: query.channel, status: r.status === "sent" ? ("sent" as const) : ("failed" as const), attempts: r.attempts, error: r.error };
        } catch (e) {
          if (e instanceof UnknownChannelError) throw new HttpError(404, e.message);
          throw e;
        }
      },
      {
        query: strictQuery({ channel: t.String({ ...CHANNEL_NAME, description: "The channel's name in notifications.channels" }) }),
        response: { 200: ref(NotificationTest) },
        detail: {
          summary:
            "Send a test message to one channel now and report the outcome (200 either way): `sent`, or `failed` with a coarse reason only (never the receiver's answer, nor whether it was refused, timed out or failed TLS; a failure answers after the channel's timeout). Loopback destinations are refused unless notifications.allow_loopback_destinations is true",
          tags: ["notifications"],
          responses: {
            200: json("Tried once, at once; also listed in GET /api/notifications (kind test)", { id: 42, channel: "phone", status: "failed", attempts: 1, error: "the destination did not accept the message" }),
            ...errors({ 404: ["No channel of this name in notifications.channels", 'No notification channel named "pager"'] }),
          },
        },
      },
    );
}
