/**
 * A self-contained, readable API page rendered from the OpenAPI document (no CDN, no
 * script: these servers often have no internet, and neither do their users' browsers).
 */
type Json = Record<string, unknown>;

const esc = (value: unknown) =>
  String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function renderDocsPage(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const sections: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op) sections.push(renderOperation(method, path, op));
    }
  }
  const schemaList = Object.entries(schemas)
    .map(([name, schema]) => `<h3 id="schema-${esc(name)}">${esc(name)}</h3>${code(schema)}`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)} — API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
.op{margin:1.2rem 0;padding:.6rem .9rem;border:1px solid #e3e3e3;border-radius:6px}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}.delete{color:#c30}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f8fa;padding:.6rem;border-radius:4px;overflow:auto;max-height:22rem;white-space:pre-wrap}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
</style></head><body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
<p>${esc(info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are always
<code>{"error":{"code","message","details?"}}</code> with a stable <code>code</code>.</p>
<h2>Operations</h2>
${sections.join('\n')}
<h2>Schemas</h2>
${schemaList}
</body></html>`;
}

function renderOperation(method: string, path: string, op: Json): string {
  const params = ((op.parameters ?? []) as Json[])
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc((p.schema as Json | undefined)?.type ?? '')}</td><td>${esc(p.description ?? '')}</td></tr>`,
    )
    .join('');
  const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const bodies = Object.entries(body ?? {})
    .map(([type, media]) => `<p>Body <code>${esc(type)}</code></p>${code(media.schema)}`)
    .join('');
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
    .map(
      ([status, r]) =>
        `<tr><td>${esc(status)}</td><td>${esc(r.description ?? '')}</td><td>${Object.keys(
          (r.content ?? {}) as Json,
        )
          .map(esc)
          .join(', ')}</td></tr>`,
    )
    .join('');
  return `<div class="op"><div><span class="m ${esc(method)}">${esc(method)}</span> <code>${esc(path)}</code> — ${esc(op.summary ?? '')}</div>
${op.description ? `<p>${esc(op.description)}</p>` : ''}
${params ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>${params}</table>` : ''}
${bodies}
<table><tr><th>status</th><th>meaning</th><th>content</th></tr>${responses}</table></div>`;
}

function code(value: unknown): string {
  return `<pre>${esc(JSON.stringify(value, null, 2))}</pre>`;
}
