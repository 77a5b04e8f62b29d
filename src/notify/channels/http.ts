// The HTTP channels: generic webhook (the payload as JSON, HMAC-signed when a secret is set), ntfy
// (JSON publish: title, message, priority and tags by severity) and Gotify (title, message, priority).
// Redirects are never followed: a webhook that answers 3xx has not received the message, and following
// one could carry the signature or a token to another host.
import { createHmac } from "node:crypto";
import { VERSION } from "../../version.ts";
import type { GotifyChannel, NtfyChannel, WebhookChannel } from "../config.ts";
import { gotifyPriority, ntfyPriority, ntfyTags, render } from "../message.ts";
import type { Payload } from "../queue.ts";

const USER_AGENT = `Argus/${VERSION}`;

async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...headers }, redirect: "manual", signal });
  // Drain (bounded by the signal) so the connection can be reused. What the receiver answered (its body,
  // a redirect's Location) is never kept: a channel pointed at a LAN service would read it back.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 300 && res.status < 400) throw new Error(`HTTP ${res.status}: redirect not followed`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** `body` is `p` as JSON, exactly the bytes that are signed and sent. */
export async function sendWebhook(c: WebhookChannel, p: Payload, body: string, delivery: number, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = { "x-argus-event": p.event, "x-argus-delivery": String(delivery) };
  if (c.secret) headers["x-argus-signature"] = signature(body, c.secret);
  await post(c.url, body, headers, signal);
}

/** ntfy's JSON publishing goes to the server root with the topic in the body; the URL names both. */
export async function sendNtfy(c: NtfyChannel, p: Payload, signal: AbortSignal): Promise<void> {
  const url = new URL(c.url);
  const path = url.pathname.replace(/\/+$/, "");
  const topic = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  url.pathname = path.slice(0, path.lastIndexOf("/")) || "/";
  const m = render(p);
  const headers: Record<string, string> = {};
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  await post(url.toString(), JSON.stringify({ topic, title: m.title, message: m.text, priority: ntfyPriority(m.severity), tags: ntfyTags(m.severity) }), headers, signal);
}

export async function sendGotify(c: GotifyChannel, p: Payload, signal: AbortSignal): Promise<void> {
  const url = new URL(c.url);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/message`;
  const m = render(p);
  await post(url.toString(), JSON.stringify({ title: m.title, message: m.text, priority: gotifyPriority(m.severity), extras: { "client::display": { contentType: "text/plain" }, "argus::payload": p } }), { "x-gotify-key": c.token ?? "" }, signal);
}
