/** @jsxImportSource preact */
// /docs: the API reference rendered from /openapi.json, offline (no CDN: the appliance may have no internet).
import { useEffect, useState } from "preact/hooks";

type Schema = Record<string, any>;
type Spec = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

function schemaText(schema: Schema | undefined, spec: Spec, depth = 0): string {
  if (!schema) return "";
  if (schema.$ref) return schemaText(spec.components?.schemas?.[schema.$ref.split("/").pop()], spec, depth);
  if (depth > 4) return "…";
  if (schema.type === "object" && schema.properties) {
    const req = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(([k, v]) => `${"  ".repeat(depth + 1)}${k}${req.has(k) ? "" : "?"}: ${schemaText(v as Schema, spec, depth + 1)}`);
    return `{\n${fields.join(",\n")}\n${"  ".repeat(depth)}}`;
  }
  if (schema.type === "array") return `${schemaText(schema.items, spec, depth)}[]`;
  if (schema.anyOf) return schema.anyOf.map((s: Schema) => schemaText(s, spec, depth)).join(" | ");
  if (schema.enum) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const bounds = [schema.minimum !== undefined && `≥${schema.minimum}`, schema.maximum !== undefined && `≤${schema.maximum}`, schema.maxLength !== undefined && `len ≤${schema.maxLength}`].filter(Boolean);
  return `${schema.type ?? "any"}${bounds.length ? ` (${bounds.join(", ")})` : ""}`;
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
            <h1>
              {spec.info.title} <small class="muted">{spec.info.version}</small>
            </h1>
            <p>{spec.info.description}</p>
            <p class="muted">
              The machine-readable document is at <a href="/openapi.json">/openapi.json</a>. Create an API key under <a href="/settings#api-keys">Settings → API Keys</a>.
            </p>
            {Object.entries(spec.paths).flatMap(([path, ops]) =>
              Object.entries(ops).map(([method, op]) => {
                const body = op.requestBody?.content?.["application/json"]?.schema;
                return (
                  <section class="op">
                    <h2>
                      <span class="method">{method.toUpperCase()}</span> <code>{path}</code>
                    </h2>
                    <p>{op.summary ?? ""}</p>
                    {op.parameters?.length > 0 && (
                      <ul>
                        {op.parameters.map((p: any) => (
                          <li>
                            <code>{p.name}</code> ({p.in}
                            {p.required ? ", required" : ""}): {schemaText(p.schema, spec)}
                          </li>
                        ))}
                      </ul>
                    )}
                    {body && <pre>{schemaText(body, spec)}</pre>}
                  </section>
                );
              }),
            )}
          </>
        )}
      </div>
    </main>
  );
}
