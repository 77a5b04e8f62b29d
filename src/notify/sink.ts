// Where detected changes go after a scan commits. Notifications (webhook, ntfy, MQTT, …) arrive with
// a later issue as sinks behind this interface; until then the appliance uses the no-op sink.
import type { Change } from "../inventory/observation.ts";

export interface NotifySink {
  /** Called once per finished scan with its changes, after they are committed. Must not throw. */
  publish(changes: Change[], scan: { id: number; profile: string; subnet: string }): void | Promise<void>;
}

export const noopSink: NotifySink = { publish: () => {} };
