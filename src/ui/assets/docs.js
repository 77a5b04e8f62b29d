// Renders /openapi.json as a readable reference, offline (no CDN: the appliance may have no internet).
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function schemaText(schema, spec, depth = 0) {
  if (!schema) return "";
  if (schema.$ref) return schemaText(spec.components?.schemas?.[schema.$ref.split("/").pop()], spec, depth);
  if (depth > 4) return "…";
  if (schema.type === "object" && schema.properties) {
    const req = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(([k, v]) => `${"  ".repeat(depth + 1)}${k}${req.has(k) ? "" : "?"}: ${schemaText(v, spec, depth + 1)}`);
    return `{\n${fields.join(",\n")}\n${"  ".repeat(depth)}}`;
  }
  if (schema.type === "array") return `${schemaText(schema.items, spec, depth)}[]`;
  if (schema.anyOf) return schema.anyOf.map((s) => schemaText(s, spec, depth)).join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const bounds = [schema.minimum !== undefined && `≥${schema.minimum}`, schema.maximum !== undefined && `≤${schema.maximum}`, schema.maxLength !== undefined && `len ≤${schema.maxLength}`].filter(Boolean);
  return `${schema.type ?? "any"}${bounds.length ? ` (${bounds.join(", ")})` : ""}`;
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  const root = document.getElementById("docs");
  const parts = [`<h1>${esc(spec.info.title)} <small class="muted">${esc(spec.info.version)}</small></h1><p>${esc(spec.info.description)}</p>`];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []).map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""}): ${esc(schemaText(p.schema, spec))}</li>`).join("");
      const body = op.requestBody?.content?.["application/json"]?.schema;
      parts.push(`<section class="op"><h2><span class="method">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2>
        <p>${esc(op.summary ?? "")}</p>${params ? `<ul>${params}</ul>` : ""}${body ? `<pre>${esc(schemaText(body, spec))}</pre>` : ""}</section>`);
    }
  }
  root.innerHTML = parts.join("");
}
main();
