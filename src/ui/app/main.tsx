/** @jsxImportSource preact */
// Entry of the browser bundle: renders the page the server named in <body data-page>.
import { render, type ComponentType } from "preact";
import { signal } from "@preact/signals";
import "./styles.css";
import "uplot/dist/uPlot.min.css";
import { announceNewDevices } from "./live.ts";
import { toast } from "./toast.ts";
import { Header, Toasts } from "./ui.tsx";
import { NotFound } from "./pages/notfound.tsx";

// One chunk per page, fetched on demand: a page evaluates only its own code (the charts' library
// only on the dashboard).
const PAGES: Record<string, () => Promise<ComponentType>> = {
  dashboard: () => import("./pages/dashboard.tsx").then((m) => m.Dashboard),
  devices: () => import("./pages/devices.tsx").then((m) => m.Devices),
  device: () => import("./pages/device.tsx").then((m) => m.DeviceDetail),
  scans: () => import("./pages/scans.tsx").then((m) => m.Scans),
  changes: () => import("./pages/changes.tsx").then((m) => m.Changes),
  settings: () => import("./pages/settings.tsx").then((m) => m.Settings),
  setup: () => import("./pages/setup.tsx").then((m) => m.Setup),
  login: () => import("./pages/login.tsx").then((m) => m.Login),
  docs: () => import("./pages/docs.tsx").then((m) => m.Docs),
};

const page = document.body.dataset.page ?? "notfound";
const Page = signal<ComponentType | null>(PAGES[page] ? null : NotFound);
PAGES[page]?.().then(
  (c) => (Page.value = c),
  () => toast("This page could not be loaded; reload to try again", "error"),
);

// Signed in (the server named the user): new devices are announced on whatever page is open.
if (document.body.dataset.user && page !== "setup" && page !== "login") announceNewDevices();

function App() {
  const Current = Page.value;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header current={page} />
      {Current ? <Current /> : <main id="main" aria-busy="true" />}
      <Toasts />
    </>
  );
}

render(<App />, document.getElementById("app")!);
