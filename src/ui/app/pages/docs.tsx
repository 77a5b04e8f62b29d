/** @jsxImportSource preact */
// /docs: the API reference rendered from /openapi.json, offline (no CDN: the appliance may have no
// internet): every operation with its parameters, request body, responses and the document's examples,
// grouped by tag with a table of contents, and a search box that narrows them by path or summary.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { plural } from "../format.ts";

type Schema = Record<string, any>;
type Media = Record<string, { schema?: Schema; example?: unknown }>;
type Spec = {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
  tags?: { name: string; description?: string }[];
};
type Op = { path: string; method: string; op: any };
type TagGroup = { tag: string; description?: string; ops: Op[] };

const UNTAGGED = "other";

/** The operations by their first tag: the document's declared tags in order, then the others as they come. */
export function groupByTag(spec: Spec): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  for (const t of spec.tags ?? []) groups.set(t.name, { tag: t.name, description: t.description, ops: [] });
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? UNTAGGED;
      if (!groups.has(tag)) groups.set(tag, { tag, ops: [] });
      groups.get(tag)!.ops.push({ path, method, op });
    }
  }
  return [...groups.values()].filter((g) => g.ops.length > 0);
}

/** Whether an operation matches the search: every word in its path, method or summary, ignoring case. */
export function matches(o: Op, search: string): boolean {
  const hay = `${o.method} ${o.path} ${o.op.summary ?? ""}`.toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

const tagAnchor = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9_-]/g, "-")}`;

/** The little Markdown the document's texts use: `code` spans. Built as nodes, so nothing else becomes markup. */
export function md(s: string | undefined): ComponentChildren {
  return (s ?? "").split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code>{part}</code> : part));
}

const refName = (ref: string) => ref.split("/").pop()!;

function schemaText(schema: Schema | undefined, spec: Spec, depth = 0): string {
  if (!schema) return "";
  if (schema.$ref) {
    // Named objects are spelled out down to a few levels; deeper ones go by name.
    return depth > 3 ? refName(schema.$ref) : schemaText(spec.components?.schemas?.[refName(schema.$ref)], spec, depth);
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
  if (schema.oneOf) return schema.oneOf.map((s: Schema) => schemaText(s, spec, depth)).join(" | ");
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

function DocsBody({ spec, search, setSearch }: { spec: Spec; search: string; setSearch: (s: string) => void }) {
  const groups = groupByTag(spec)
    .map((g) => ({ ...g, ops: g.ops.filter((o) => matches(o, search)) }))
    .filter((g) => g.ops.length > 0);
  const shown = groups.reduce((n, g) => n + g.ops.length, 0);
  return (
    <>
      <div class="docs-search" role="search">
        <label for="docs-q">Search operations</label>
        <input id="docs-q" type="search" placeholder="Path or summary, e.g. devices wake" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <p class="muted small" aria-live="polite">
          {search.trim() ? `${plural(shown, "operation")} ${shown === 1 ? "matches" : "match"}` : plural(shown, "operation")}
        </p>
      </div>
      {groups.length === 0 ? (
        <p class="muted">No operation matches “{search.trim()}”.</p>
      ) : (
        <>
          <Contents groups={groups} />
          {groups.map((g) => (
            <section class="docs-tag" id={tagAnchor(g.tag)} aria-labelledby={`${tagAnchor(g.tag)}-h`}>
              <h2 class="tag-h" id={`${tagAnchor(g.tag)}-h`}>
                {g.tag}
              </h2>
              {g.description && <p>{md(g.description)}</p>}
              {g.ops.map((o) => (
                <Operation path={o.path} method={o.method} op={o.op} spec={spec} />
              ))}
            </section>
          ))}
        </>
      )}
    </>
  );
}

/** A block that may scroll sideways: focusable, so a keyboard can scroll it too. */
const Pre = ({ text }: { text: string }) => <pre tabIndex={0}>{text}</pre>;

function Body({ content, spec }: { content: Media | undefined; spec: Spec }) {
  const [type, m] = Object.entries(content ?? {})[0] ?? [];
  if (!type || !m) return null;
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
  const params: any[] = op.parameters ?? [];
  const publicRoute = Array.isArray(op.security) && op.security.length === 0;
  return (
    <section class="op" id={op.operationId}>
      <h2>
        <span class="method">{method.toUpperCase()}</span> <code>{path}</code>
        {publicRoute && <span class="muted small"> no authentication</span>}
      </h2>
      <p>{md(op.summary)}</p>
      {op.description && op.description !== op.summary && <p>{md(op.description)}</p>}
      {params.length > 0 && (
        <>
          <h3>Parameters</h3>
          <ul>
            {params.map((p) => (
              <li>
                <code>{p.name}</code> ({p.in}
                {p.required ? ", required" : ""}): {schemaText(p.schema, spec)}
                {(p.description ?? p.schema?.description) && <> — {md(p.description ?? p.schema?.description)}</>}
              </li>
            ))}
          </ul>
        </>
      )}
      {op.requestBody && (
        <>
          <h3>Request body</h3>
          <Body content={op.requestBody.content} spec={spec} />
        </>
      )}
      <h3>Responses</h3>
      <ul>
        {Object.entries<any>(op.responses ?? {}).map(([status, r]) => (
          <li>
            <strong>{status}</strong> {md(r.description)}
            {r.headers && <span class="muted"> (headers: {Object.keys(r.headers).join(", ")})</span>}
            {Number(status) < 400 && <Body content={r.content} spec={spec} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The contents: one anchor per tag, with how many of its operations the search leaves. */
function Contents({ groups }: { groups: TagGroup[] }) {
  return (
    <nav class="docs-toc" aria-label="Contents">
      <h2 id="toc-h">Contents</h2>
      <ul>
        {groups.map((g) => (
          <li>
            <a href={`#${tagAnchor(g.tag)}`}>{g.tag}</a> <span class="muted small">({g.ops.length})</span>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function Docs() {
  const [spec, setSpec] = useState<Spec | null>(null);
  const [failed, setFailed] = useState(false);
  const [search, setSearch] = useState("");
  useEffect(() => {
    fetch("/openapi.json")
      .then((r) => r.json())
      .then(setSpec, () => setFailed(true));
  }, []);
  return (
    <main id="main">
      <nav class="docs-links" aria-label="Documents">
        <a href="/">← Back to Argus</a> <a href="/openapi.json">openapi.json</a>
      </nav>
      <div id="docs">
        {!spec ? (
          <p class="muted">{failed ? "The API document could not be loaded." : "Loading /openapi.json…"}</p>
        ) : (
          <>
            <h1>
              {spec.info.title} <small class="muted">{spec.info.version}</small>
            </h1>
            <p>{md(spec.info.description)}</p>
            <p class="muted">
              The machine-readable document is at <a href="/openapi.json">/openapi.json</a>. Create an API key under <a href="/settings#api-keys">Settings → API Keys</a>.
            </p>
            <DocsBody spec={spec} search={search} setSearch={setSearch} />
          </>
        )}
      </div>
    </main>
  );
}
