/** @jsxImportSource preact */
// /docs: the API reference rendered from /openapi.json, offline (no CDN: the appliance may have no internet).
import { useEffect, useState } from "preact/hooks";

type Schema = Record<string, any>;
type Spec = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

const refName = (ref: string) => ref.split("/").pop()!;

function schemaText(schema: Schema | undefined, spec: Spec, depth = 0): string {
  if (!schema) return "";
  if (schema.$ref) {
    const target = spec.components?.schemas?.[refName(schema.$ref)];
    // Named objects are spelled out down to a few levels; deeper ones by name.
    return depth > 3 ? refName(schema.$ref) : schemaText(target, spec, depth);
  }
  if (depth > 4) return "…";
  if (schema.type === "object" && schema.properties) {
    const req = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(([k, v]) => `${"  ".repeat(depth + 1)}${k}${req.has(k) ? "" : "?"}: ${schemaText(v as Schema, spec, depth + 1)}`);
    return `{\n${fields.join(",\n")}\n${"  ".repeat(depth)}}`;
  }
  if (schema.type === "object") return "object";
  if (schema.type === "array") return `${schemaText(schema.items, spec, depth)}[]`;
  if (schema.anyOf) return schema.anyOf.map((s: Schema) => schemaText(s, spec, depth)).join(" | ");
  if (schema.enum) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  const bounds = [
    schema.format,
    schema.minimum !== undefined && `≥${schema.minimum}`,
    schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER && `≤${schema.maximum}`,
    schema.maxLength !== undefined && `len ≤${schema.maxLength}`,
  ].filter(Boolean);
  return `${type}${bounds.length ? ` (${bounds.join(", ")})` : ""}`;
}

/** The little Markdown the document's texts use: `code` spans. */
function md(text: string | undefined) {
  return (text ?? "").split(/`([^`]+)`/).map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part));
}

// Focusable: a wide schema or example scrolls sideways, and a keyboard must be able to scroll it too.
const Pre = ({ text }: { text: string }) => <pre tabIndex={0}>{text}</pre>;

/** A body: its media type (unless JSON), its schema, and its example folded away. */
function Media({ content, spec }: { content?: Record<string, any>; spec: Spec }) {
  const [type, m] = Object.entries(content ?? {})[0] ?? [];
  if (!type) return null;
  return (
    <>
      {type !== "application/json" && <p class="muted">{type}</p>}
      {m.schema && <Pre text={schemaText(m.schema, spec)} />}
      {m.example !== undefined && (
        <details>
          <summary>Example</summary>
          <Pre text={typeof m.example === "string" ? m.example : JSON.stringify(m.example, null, 2)} />
        </details>
      )}
    </>
  );
}

function Operation({ path, method, op, spec }: { path: string; method: string; op: any; spec: Spec }) {
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  return (
    <section class="op" id={op.operationId ?? undefined}>
      <h2>
        <span class="method">{method.toUpperCase()}</span> <code>{path}</code>
        {isPublic && <span class="muted"> no authentication</span>}
      </h2>
      <p>{md(op.summary)}</p>
      {op.parameters?.length > 0 && (
        <>
          <h3>Parameters</h3>
          <ul>
            {op.parameters.map((p: any) => (
              <li>
                <code>{p.name}</code> ({p.in}
                {p.required ? ", required" : ""}): {schemaText(p.schema, spec)}
                {p.schema?.description && <> — {md(p.schema.description)}</>}
              </li>
            ))}
          </ul>
        </>
      )}
      {op.requestBody && (
        <>
          <h3>Request body</h3>
          <Media content={op.requestBody.content} spec={spec} />
        </>
      )}
      <h3>Responses</h3>
      <ul>
        {Object.entries<any>(op.responses ?? {}).map(([status, r]) => (
          <li>
            <strong>{status}</strong> {md(r.description)}
            {r.headers && <span class="muted"> (headers: {Object.keys(r.headers).join(", ")})</span>}
            {Number(status) < 400 && <Media content={r.content} spec={spec} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Docs() {
  const [spec, setSpec] = useState<Spec | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    fetch("/openapi.json")
      .then((r) => r.json())
      .then(setSpec, () => setFailed(true));
  }, []);
  return (
    <main id="main">
      <div id="docs">
        {!spec ? (
          <p class="muted">{failed ? "The API document could not be loaded." : "Loading /openapi.json…"}</p>
        ) : (
          <>
            <nav aria-label="API reference">
              <a href="/">← Back to Argus</a> · <a href="/openapi.json">openapi.json</a>
            </nav>
            <h1>
              {spec.info.title} <small class="muted">{spec.info.version}</small>
            </h1>
            <p>{md(spec.info.description)}</p>
            <p class="muted">
              The machine-readable document is at <a href="/openapi.json">/openapi.json</a>. Create an API key under <a href="/settings#api-keys">Settings → API Keys</a>.
            </p>
            {Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => <Operation path={path} method={method} op={op} spec={spec} />))}
          </>
        )}
      </div>
    </main>
  );
}
