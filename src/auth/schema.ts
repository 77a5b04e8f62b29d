// The shapes of authentication: first-run setup, login and the session, the current principal, and
// API keys as the seed document defines them (the key itself is shown once, at creation).
import { Type, type Static } from "@sinclair/typebox";
import { Cidr, id, literals, named, nullable, ONE_LINE, ref, Timestamp } from "../schema-kit.ts";
import { MIN_PASSWORD_LENGTH } from "./passwords.ts";
import { WIZARD_STEPS } from "../scans/setup-progress.ts";

/** What a key may do (SPEC §7): "full" is everything the seed document describes, "read" only safe methods (GET, HEAD, OPTIONS). */
export const KEY_SCOPES = ["full", "read"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

export const KeyScope = literals(KEY_SCOPES, {
  ...named("KeyScope"),
  description: "full (the default): everything an API key may do; read: safe methods only (GET, HEAD, OPTIONS), any other answers 403",
});

// ---- setup, sessions, principal -----------------------------------------------------------------

export const SetupStatus = Type.Union(
  [
    Type.Object({ setup_required: Type.Literal(true), suggested_subnets: Type.Array(Cidr(), { description: "Subnets of this host's interfaces, proposed for watching" }) }),
    Type.Object({
      setup_required: Type.Literal(false),
      wizard_step: Type.Optional(
        literals(WIZARD_STEPS, {
          description:
            "Only to a signed-in caller: what is left of the wizard after the account step. networks: no network is confirmed yet; first_scan: networks are confirmed but no network scan has completed (a cancelled or failed one does not count); done (a hub, which watches no network of its own, is done after the account)",
        }),
      ),
    }),
  ],
  { ...named("SetupStatus"), description: "Before setup the wizard proposes subnets; afterwards only a signed-in caller learns what is left of the wizard" },
);

const username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9._@-]+$",
  error: "username: must be 1–64 characters of letters, digits and . _ @ -",
});

export const SetupRequest = Type.Object(
  {
    username,
    password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024, error: `password: must be ${MIN_PASSWORD_LENGTH} to 1024 characters` }),
    /** The subnets the admin confirms for watching (consent); optional, can be given later. */
    subnets: Type.Optional(
      Type.Array(Type.String({ maxLength: 18 }), { maxItems: 16, description: "Subnets confirmed for watching (optional)", error: "subnets: must be a list of at most 16 IPv4 CIDRs" }),
    ),
    schedule_later: Type.Optional(
      Type.Boolean({
        description:
          "true (what the setup wizard sends): the schedule is chosen afterwards (the wizard's next step, or PUT /api/config), and until then nothing is scanned on a schedule: the subnets are stored with an empty schedule, unless the schedule in force is not the default. Left out, the schedule in force (by default a quick scan every 15 minutes and a normal scan nightly) starts with the subnets",
        error: "schedule_later: must be true or false",
      }),
    ),
  },
  { ...named("SetupRequest") },
);

export const LoginRequest = Type.Object(
  { username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 1024 }), remember: Type.Optional(Type.Boolean({ description: "Keep the session for 7 days" })) },
  { ...named("LoginRequest") },
);

export const Session = Type.Object(
  { username: Type.String(), expires_at: Timestamp("When the server ends the session") },
  { ...named("Session"), description: "The session just started; its token is in the argus_session cookie" },
);

export const LoggedOut = Type.Object({ status: Type.Literal("logged_out") }, { ...named("LoggedOut") });

export const Me = Type.Union(
  [
    Type.Object({ username: Type.String(), auth: Type.Literal("session") }),
    Type.Object({ username: Type.String({ description: "api_key:<key name>" }), auth: Type.Literal("api_key"), key_id: id("The key's id") }),
  ],
  { ...named("Me"), description: "The current principal" },
);

// ---- API keys -----------------------------------------------------------------------------------

export const ApiKeyCreate = Type.Object(
  {
    // No control characters: names end up in logs, the audit trail and the UI.
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: ONE_LINE,
      error: "name: must be a string of 1–100 characters without control characters",
    }),
    scope: Type.Optional(ref(KeyScope)),
  },
  { ...named("ApiKeyCreate") },
);

const keyPrefix = Type.String({ description: "The first 8 characters of the key" });
// Optional in the list's schema only so that the seed document's example (written before scopes) stays
// valid; the server always sends it, and a key without one is "full". The answer to a creation stays
// exactly the seed document's (the list shows the scope).
const keyScope = Type.Optional(ref(KeyScope));

export const ApiKeyCreated = Type.Object(
  { id: id(), name: Type.String(), key: Type.String({ description: "The full key, shown this once only" }), key_prefix: keyPrefix, created_at: Timestamp() },
  { ...named("ApiKeyCreated") },
);
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

export const ApiKey = Type.Object(
  { id: id(), name: Type.String(), key_prefix: keyPrefix, scope: keyScope, created_at: Timestamp(), last_used_at: nullable(Timestamp(), "Kept current to within a minute") },
  { ...named("ApiKey"), description: "An active key (never the key itself)" },
);
export type ApiKey = Static<typeof ApiKey>;
