/** @jsxImportSource preact */
// /setup: the first-run wizard. 1) the administrator account and the networks to watch (nothing is
// scanned before they are confirmed), 2) when to scan (nothing is scanned on a schedule before the
// answer), 3) the first quick scan with live progress, ending on the dashboard. A hub (no network of
// its own) is done after the account.
import { useEffect, useRef, useState } from "preact/hooks";
import { get, hasRoute, post, put } from "../api.ts";
import { plural } from "../format.ts";
import { lastFinished, ScanProgress, type ScanState, scanState, startScan, watchScans } from "../scan.tsx";
import { DEFAULT_SCHEDULE, SCHEDULE_PRESETS, type ScheduleEntry } from "../schedule-presets.ts";

type Step = "account" | "schedule" | "scan";
const STEPS: [Step, string][] = [
  ["account", "Account and networks"],
  ["schedule", "Schedule"],
  ["scan", "First scan"],
];

type SetupStatus = { setup_required: true; suggested_subnets: string[] } | { setup_required: false; wizard_step?: "networks" | "first_scan" | "done" };

export function Setup() {
  // null while asking where the wizard stands: the account may exist already (the owner closed the
  // tab after that step and signed in again), and the wizard goes on from what is left.
  const [step, setStep] = useState<Step | null>(null);
  const [resumed, setResumed] = useState(false);
  const [suggested, setSuggested] = useState<string[] | null>(null);
  const [subnets, setSubnets] = useState<string[]>([]);
  useEffect(() => {
    void get<SetupStatus>("/api/setup", { noLoginRedirect: true }).then(
      (r) => {
        if (r.setup_required) {
          setSuggested(r.suggested_subnets);
          return setStep("account");
        }
        if (r.wizard_step === "done" || !r.wizard_step) return location.assign("/");
        setResumed(true);
        if (r.wizard_step === "first_scan") return setStep("scan");
        setStep("account");
        void get<{ suggested_subnets: string[] }>("/api/network/detect", { quiet: true }).then(
          (d) => setSuggested(d.suggested_subnets),
          () => setSuggested([]),
        );
      },
      () => {
        setSuggested([]);
        setStep("account");
      },
    );
  }, []);
  return (
    <main id="main" class="narrow-page">
      <div class="card wizard">
        <h1>{resumed ? "Finish setting up Argus" : "Welcome to Argus"}</h1>
        <ol class="steps" aria-label="Setup steps">
          {STEPS.map(([id, label], i) => (
            <li class={id === step ? "current" : STEPS.findIndex(([s]) => s === step) > i ? "done" : ""} aria-current={id === step ? "step" : undefined}>
              {label}
            </li>
          ))}
        </ol>
        {step === null && <p class="muted">Loading…</p>}
        {step === "account" && (
          <Account
            resumed={resumed}
            suggested={suggested}
            onDone={(s) => {
              setSubnets(s);
              setStep("schedule");
            }}
          />
        )}
        {step === "schedule" && <ScheduleStep onDone={() => setStep("scan")} />}
        {step === "scan" && <FirstScan subnets={subnets} />}
      </div>
    </main>
  );
}

/**
 * The account and the networks to watch; resumed (the account exists), only the networks, saved
 * through PUT /api/config.
 */
function Account({ resumed, suggested, onDone }: { resumed: boolean; suggested: string[] | null; onDone: (subnets: string[]) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  // How many networks are ticked or typed: the button says what it will do, or what is missing.
  const [chosen, setChosen] = useState(0);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setError("");
    if (!resumed && f.get("password") !== f.get("confirm")) return setError("The passwords do not match");
    const subnets = chosenSubnets(f);
    if (resumed && subnets.length === 0) return setError("Choose at least one network to watch");
    setBusy(true);
    try {
      // The networks are stored with no schedule while the next step asks for one: confirmed subnets
      // start the schedule, and the default's quick scan would not wait for the answer.
      if (resumed) await put("/api/config", { subnets, ...(await scheduleUntilChosen()) }, { quiet: true });
      else {
        await post("/api/setup", { username: f.get("username"), password: f.get("password"), ...(subnets.length ? { subnets, schedule_later: true } : {}) }, { quiet: true, noLoginRedirect: true });
        // A hub has nothing left to set up here (its sensors watch the networks).
        const status = await get<SetupStatus>("/api/setup", { quiet: true });
        if (!status.setup_required && status.wizard_step === "done") return location.assign("/");
      }
      onDone(subnets);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id="setup-form" onSubmit={(e) => void submit(e)} onInput={(e) => setChosen(chosenSubnets(new FormData(e.currentTarget as HTMLFormElement)).length)}>
      {resumed ? (
        <p class="muted" id="setup-resumed">
          Your account exists. Choose the networks Argus may watch to finish the setup.
        </p>
      ) : (
        <>
          <p class="muted">Create the administrator account. You will use it to sign in to this appliance.</p>
          <label for="username">Username</label>
          <input id="username" name="username" type="text" autoComplete="username" required maxLength={64} defaultValue="admin" />
          <label for="password">Password (at least 12 characters)</label>
          <input id="password" name="password" type="password" autoComplete="new-password" required minLength={12} />
          <label for="confirm">Repeat password</label>
          <input id="confirm" name="confirm" type="password" autoComplete="new-password" required minLength={12} />
        </>
      )}
      <fieldset id="subnets">
        <legend>Networks to watch</legend>
        <p class="muted">
          Argus scans nothing until you confirm which networks are yours. Tick only a network you may probe (a shared, office or hotel network may not be yours to scan). Detected on this appliance:
        </p>
        <div id="suggested">
          {suggested === null ? (
            <span class="muted">looking…</span>
          ) : suggested.length === 0 ? (
            <span class="muted">none detected</span>
          ) : (
            // Proposed, never pre-selected: the owner decides what is scanned.
            suggested.map((cidr) => (
              <label class="check">
                <input type="checkbox" name="subnet" value={cidr} /> {cidr} <span class="muted">(detected, suggested)</span>
              </label>
            ))
          )}
        </div>
        <label for="extra-subnets">Other subnets (CIDR, comma separated)</label>
        <input id="extra-subnets" name="extra" type="text" placeholder="192.168.1.0/24" />
      </fieldset>
      <p class="error" role="alert">
        {error}
      </p>
      <p class="muted" id="subnet-hint">
        {chosen > 0
          ? `${plural(chosen, "network")} chosen: only ${chosen === 1 ? "it is" : "they are"} scanned.`
          : resumed
            ? "Tick or type a network to continue."
            : "No network chosen: Argus will scan nothing until you confirm one (here or later in Settings)."}
      </p>
      <button type="submit" disabled={busy || (resumed && chosen === 0)}>
        {resumed
          ? chosen > 0
            ? `Watch ${plural(chosen, "network")} and continue`
            : "Choose a network to continue"
          : chosen > 0
            ? `Create account and watch ${plural(chosen, "network")}`
            : "Create account without a network"}
      </button>
    </form>
  );
}

/**
 * The schedule to store with the networks of a resumed wizard, as POST /api/setup does with
 * `schedule_later`: none while it is the default, a schedule someone chose (Settings) kept.
 */
async function scheduleUntilChosen(): Promise<{ schedule?: ScheduleEntry[] }> {
  const { schedule } = await get<{ schedule: ScheduleEntry[] }>("/api/config", { quiet: true });
  return JSON.stringify(schedule) === JSON.stringify(DEFAULT_SCHEDULE) ? { schedule: [] } : {};
}

/** The networks ticked and typed in the form. */
function chosenSubnets(f: FormData): string[] {
  const extra = String(f.get("extra") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [...(f.getAll("subnet") as string[]), ...extra];
}

function ScheduleStep({ onDone }: { onDone: () => void }) {
  const [writable, setWritable] = useState<boolean | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    void hasRoute("PUT /api/config").then(setWritable);
  }, []);
  if (writable === null) return <p class="muted">Loading…</p>;
  const submit = async (e: Event) => {
    e.preventDefault();
    const id = new FormData(e.currentTarget as HTMLFormElement).get("preset");
    const preset = SCHEDULE_PRESETS.find((p) => p.id === id) ?? SCHEDULE_PRESETS[0];
    try {
      await put("/api/config", { schedule: preset.schedule }, { quiet: true });
      onDone();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form id="schedule-form" onSubmit={(e) => void submit(e)}>
      <h2>When should Argus scan?</h2>
      {writable ? (
        <fieldset>
          <legend class="sr-only">Schedule</legend>
          {SCHEDULE_PRESETS.map((p, i) => (
            <label class="check">
              <input type="radio" name="preset" value={p.id} defaultChecked={i === 0} /> {p.label}
            </label>
          ))}
        </fieldset>
      ) : (
        <p class="muted" id="no-schedule">
          Scheduled scans come with a later version of this appliance. Until then Argus scans when you click <strong>Scan now</strong> on the dashboard.
        </p>
      )}
      <p class="error" role="alert">
        {error}
      </p>
      {writable ? (
        <button type="submit">Continue</button>
      ) : (
        <button type="button" onClick={onDone}>
          Continue
        </button>
      )}
    </form>
  );
}

function FirstScan({ subnets }: { subnets: string[] }) {
  const [scanId, setScanId] = useState<number | null>(null);
  const [done, setDone] = useState<{ status: string; devices: number } | null>(null);
  const [confirmed, setConfirmed] = useState<string[] | null>(subnets.length ? subnets : null);
  const lastProgress = useRef<Extract<ScanState, { scanning: true }> | null>(null);
  useEffect(() => {
    watchScans();
    if (!subnets.length) void get<{ confirmed_subnets: string[] }>("/api/network/detect").then((d) => setConfirmed(d.confirmed_subnets), () => setConfirmed([]));
  }, []);
  // The live stream says when it ends; a slow poll covers an event lost to a reconnect.
  useEffect(() => {
    if (scanId === null || done) return;
    const finish = async () => {
      const scan = await get<{ status: string; hosts_found: number }>(`/api/scans/${scanId}`);
      if (scan.status === "pending" || scan.status === "running") return;
      setDone({ status: scan.status, devices: scan.hosts_found });
      setTimeout(() => location.assign("/"), 1500);
    };
    if (lastFinished.value?.scan_id === scanId) void finish();
    const t = setInterval(() => void finish().catch(() => {}), 3000);
    return () => clearInterval(t);
  }, [scanId, lastFinished.value, done]);

  if (confirmed === null) return <p class="muted">Loading…</p>;
  if (confirmed.length === 0)
    return (
      <div>
        <h2>No network to scan yet</h2>
        <p class="muted">You did not confirm a network, so Argus sends nothing. Add one under Settings → Networks, then scan from the dashboard.</p>
        <a class="button" href="/">
          Go to the dashboard
        </a>
      </div>
    );
  const state = scanState.value;
  // The scan's progress as last seen: between its end on the live stream and the fetch of its result,
  // that stays on screen ("Saving results") instead of falling back to "Starting…".
  const live = scanId !== null && state?.scanning && state.scan_id === scanId ? state : null;
  if (live) lastProgress.current = live;
  const shown = live ?? (lastProgress.current && { ...lastProgress.current, progress: { ...lastProgress.current.progress, phase: "saving" } });
  return (
    <div id="first-scan">
      <h2>Run the first quick scan now</h2>
      <p class="muted">A quick scan finds the devices on {confirmed.join(", ")} in a few seconds. Ports are looked at by the normal scans later.</p>
      {done ? (
        <p role="status" class="ok-text">
          Scan {done.status}: {plural(done.devices, "device")} found. Opening the dashboard…
        </p>
      ) : scanId !== null && shown ? (
        <ScanProgress state={shown} />
      ) : scanId !== null ? (
        <p class="muted">{lastFinished.value?.scan_id === scanId ? "Finishing…" : "Starting…"}</p>
      ) : (
        <div class="inline wrap">
          <button id="first-scan-start" type="button" disabled={state === null} onClick={() => void startScan("quick").then(setScanId, () => {})}>
            Scan {confirmed.join(", ")} now
          </button>
          <a href="/">Skip, go to the dashboard</a>
        </div>
      )}
    </div>
  );
}
