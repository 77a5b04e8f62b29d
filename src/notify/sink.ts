// Where detected changes go after a scan commits. Notifications (webhook, ntfy, MQTT, …) arrive with
// a later issue as sinks behind this interface; until then the appliance uses the no-op sink.
import type { Change } from "../inventory/observation.ts";

/** Where a batch of changes came from: a finished scan, or the passive listener on an interface. */
export type ChangeOrigin = { id: number; profile: string; subnet: string } | { passive: true; interface: string };

export interface NotifySink {
  /** Called once per finished scan (or committed batch of passive sightings) with its changes, after they are committed. Must not throw. */
  publish(changes: Change[], origin: ChangeOrigin): void | Promise<void>;
}

export const noopSink: NotifySink = { publish: () => {} };
