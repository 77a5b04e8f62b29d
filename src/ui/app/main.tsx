/** @jsxImportSource preact */
// Entry of the browser bundle: renders the page the server named in <body data-page>.
import { render, type ComponentType } from "preact";
import "./styles.css";
import { Header, Toasts } from "./ui.tsx";
import { Dashboard } from "./pages/dashboard.tsx";
import { Devices } from "./pages/devices.tsx";
import { DeviceDetail } from "./pages/device.tsx";
import { Scans } from "./pages/scans.tsx";
import { Changes } from "./pages/changes.tsx";
import { Settings } from "./pages/settings.tsx";
import { Setup } from "./pages/setup.tsx";
import { Login } from "./pages/login.tsx";
import { Docs } from "./pages/docs.tsx";
import { NotFound } from "./pages/notfound.tsx";

const PAGES: Record<string, ComponentType> = {
  dashboard: Dashboard,
  devices: Devices,
  device: DeviceDetail,
  scans: Scans,
  changes: Changes,
  settings: Settings,
  setup: Setup,
  login: Login,
  docs: Docs,
  notfound: NotFound,
};

const page = document.body.dataset.page ?? "notfound";
const Page = PAGES[page] ?? NotFound;

function App() {
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header current={page} />
      <Page />
      <Toasts />
    </>
  );
}

render(<App />, document.getElementById("app")!);
