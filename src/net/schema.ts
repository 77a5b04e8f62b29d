// The network layer's shapes as the API answers them.
import { Type } from "@sinclair/typebox";
import { Ipv4, int, named } from "../schema-kit.ts";

export const WakeSent = Type.Object(
  {
    mac_address: Type.String({ description: "The MAC repeated in the magic packet" }),
    interface: Type.String({ description: "The interface it left from (the one attached to the device's subnet)" }),
    broadcast: Ipv4("The subnet's broadcast address it was sent to"),
    port: int("UDP port", { minimum: 1, maximum: 65535 }),
  },
  { ...named("WakeSent"), description: "A Wake-on-LAN magic packet was sent; whether the device wakes, its next sighting tells" },
);
