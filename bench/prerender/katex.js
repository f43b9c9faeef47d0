// Server-side KaTeX, as rehype-katex and static-site generators write it: each math span of a pandoc `--katex` page
// rendered to KaTeX's HTML and MathML (with its TeX annotation); the client-side render scripts removed.
// Usage: node katex.js KATEX_JS SOURCE_DIR OUT_DIR   (KATEX_JS: katex/package/dist/katex.js from `npm pack katex`)
const fs = require("fs");
const path = require("path");
const [katexJs, src, out] = process.argv.slice(2);
const katex = require(path.resolve(katexJs));
const unescape = (s) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
for (const name of fs.readdirSync(src).sort()) {
  let html = fs.readFileSync(path.join(src, name), "utf8");
  html = html.replace(/<script[^>]*katex[^>]*>[\s\S]*?<\/script>/g, "");
  html = html.replace(/<span class="math (inline|display)">([\s\S]*?)<\/span>/g, (_, mode, tex) =>
    katex.renderToString(unescape(tex), { displayMode: mode === "display", throwOnError: false }));
  fs.writeFileSync(path.join(out, name), html);
}
