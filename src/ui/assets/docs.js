// Renders /openapi.json as a readable reference, offline (no CDN: the appliance may have no internet).
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** The little Markdown the document's texts use: `code` spans. Escaped first, so nothing else becomes markup. */
const md = (s) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");

const refName = (ref) => ref.split("/").pop();

function schemaText(schema, spec, depth = 0) {
  if (!schema) return "";
  if (schema.$ref) {
    const target = spec.components?.schemas?.[refName(schema.$ref)];
    // Named objects are spelled out once per level; enumerations inline their values.
    return depth > 3 ? refName(schema.$ref) : schemaText(target, spec, depth);
  }
  if (depth > 4) return "…";
  if (schema.type === "object" && schema.properties) {
    const req = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(([k, v]) => `${"  ".repeat(depth + 1)}${k}${req.has(k) ? "" : "?"}: ${schemaText(v, spec, depth + 1)}`);
    return `{\n${fields.join(",\n")}\n${"  ".repeat(depth)}}`;
  }
  if (schema.type === "object") return "object";
  if (schema.type === "array") return `${schemaText(schema.items, spec, depth)}[]`;
  if (schema.anyOf) return schema.anyOf.map((s) => schemaText(s, spec, depth)).join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type ?? "any";
  const bounds = [
    schema.format,
    schema.minimum !== undefined && `≥${schema.minimum}`,
    schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER && `≤${schema.maximum}`,
    schema.maxLength !== undefined && `len ≤${schema.maxLength}`,
  ].filter(Boolean);
  return `${type}${bounds.length ? ` (${bounds.join(", ")})` : ""}`;
}

function media(content, spec) {
  const [type, m] = Object.entries(content ?? {})[0] ?? [];
  if (!type) return "";
  const schema = m.schema ? `<pre>${esc(schemaText(m.schema, spec))}</pre>` : "";
  const example = m.example !== undefined ? `<details><summary>Example</summary><pre>${esc(typeof m.example === "string" ? m.example : JSON.stringify(m.example, null, 2))}</pre></details>` : "";
  return `${type === "application/json" ? "" : `<p class="muted">${esc(type)}</p>`}${schema}${example}`;
}

function operation(path, method, op, spec) {
  const params = (op.parameters ?? [])
    .map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""}): ${esc(schemaText(p.schema, spec))}${p.schema?.description ? ` — ${md(p.schema.description)}` : ""}</li>`)
    .join("");
  const body = op.requestBody ? `<h3>Request body</h3>${media(op.requestBody.content, spec)}` : "";
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => `<li><strong>${esc(status)}</strong> ${md(r.description)}${r.headers ? ` <span class="muted">(headers: ${Object.keys(r.headers).map(esc).join(", ")})</span>` : ""}${status < 400 ? media(r.content, spec) : ""}</li>`)
    .join("");
  const access = Array.isArray(op.security) && op.security.length === 0 ? ` <span class="muted">no authentication</span>` : "";
  return `<section class="op" id="${esc(op.operationId ?? "")}"><h2><span class="method">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code>${access}</h2>
    <p>${md(op.summary ?? "")}</p>${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ""}${body}<h3>Responses</h3><ul>${responses}</ul></section>`;
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  const root = document.getElementById("docs");
  const parts = [`<h1>${esc(spec.info.title)} <small class="muted">${esc(spec.info.version)}</small></h1><p>${md(spec.info.description)}</p>`];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) parts.push(operation(path, method, op, spec));
  }
  root.innerHTML = parts.join("");
}
main();
