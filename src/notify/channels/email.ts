// E-mail over SMTP with nodemailer: STARTTLS (required by default) or implicit TLS, a plain-text and an
// HTML body, the severity in the subject's words.
// nodemailer is loaded on first use: an appliance without an e-mail channel does not carry it in memory.
import type { EmailChannel } from "../config.ts";
import { render } from "../message.ts";
import type { Payload } from "../queue.ts";

export async function sendEmail(c: EmailChannel, p: Payload, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const tls = c.tls === true;
  const nodemailer = (await import("nodemailer")).default;
  const transport = nodemailer.createTransport({
    host: c.host,
    port: c.port ?? (tls ? 465 : 587),
    secure: tls,
    // STARTTLS unless told otherwise: credentials and alerts should not cross the LAN in clear.
    requireTLS: !tls && c.starttls !== false,
    auth: c.username ? { user: c.username, pass: c.password ?? "" } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // The certificate is always verified; a private CA (or a self-signed server certificate) can be trusted by name.
    tls: c.ca ? { ca: c.ca } : undefined,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const m = render(p);
  try {
    const sending = transport.sendMail({ from: c.from, to: c.to, subject: m.title, text: m.text, html: `<!doctype html><html><body>${m.html}</body></html>` });
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s`));
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });
      sending.then(() => resolve(), reject).finally(() => signal.removeEventListener("abort", abort));
    });
  } finally {
    transport.close();
  }
}
