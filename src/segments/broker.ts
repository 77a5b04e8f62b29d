// The one place sensors and the hub open their connection to the owner's MQTT broker: a fixed client
// id and a persistent session (clean: false), so QoS 1 messages survive a reconnect on both sides.
import type { IClientOptions, MqttClient } from "mqtt";

export type BrokerConfig = { url: string; username: string | null; password: string | null };

/** Reconnect after this long, and again at this pace while the broker stays away. */
export const RECONNECT_MS = 1000;

export async function connectBroker(cfg: BrokerConfig, clientId: string): Promise<MqttClient> {
  // Loaded on first use: a standalone appliance does not carry the package.
  const mqtt = (await import("mqtt")).default;
  const url = new URL(cfg.url);
  const opts: IClientOptions = {
    protocol: url.protocol.slice(0, -1) as IClientOptions["protocol"],
    host: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    username: cfg.username ?? undefined,
    password: cfg.password ?? undefined,
    clientId,
    clean: false,
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: 10_000,
    // Nothing waits in memory for a connection: the sensor's outbox is on disk and replays itself.
    queueQoSZero: false,
  };
  return mqtt.connect(opts);
}

/** A broker's refusal as the owner reads it (CONNACK return codes 4 and 5, MQTT 3.1.1). */
export function brokerError(e: Error & { code?: number }): string {
  if (e.code === 4 || e.code === 5 || /not authori[sz]ed|bad user ?name or password/i.test(e.message)) return "the broker refused the credentials (not authorized)";
  return e.message;
}
