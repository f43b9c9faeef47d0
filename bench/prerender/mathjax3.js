// Server-side MathJax 3 (CHTML with assistive MathML, no TeX kept), as mathjax-full's page demos and static-site
// plugins write it: the TeX between \( \) and \[ \] of each pandoc `--mathjax` page typeset in place.
// Usage: node mathjax3.js MATHJAX_FULL SOURCE_DIR OUT_DIR   (MATHJAX_FULL: node_modules/mathjax-full, 3.2.2)
const fs = require("fs");
const path = require("path");
const [mathjaxFull, src, out] = process.argv.slice(2);
const mj = (p) => require(path.resolve(mathjaxFull, "js", p));
const { mathjax } = mj("mathjax.js");
const { TeX } = mj("input/tex.js");
const { CHTML } = mj("output/chtml.js");
const { liteAdaptor } = mj("adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = mj("handlers/html.js");
const { AssistiveMmlHandler } = mj("a11y/assistive-mml.js");
const { AllPackages } = mj("input/tex/AllPackages.js");
const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
for (const name of fs.readdirSync(src).sort()) {
  const html = fs.readFileSync(path.join(src, name), "utf8").replace(/<script[^>]*mathjax[^>]*>[\s\S]*?<\/script>/gi, "");
  const doc = mathjax.document(html, {
    InputJax: new TeX({ packages: AllPackages.filter((p) => p !== "bussproofs") }),
    OutputJax: new CHTML({ fontURL: "https://cdn.jsdelivr.net/npm/mathjax@3/es5/output/chtml/fonts/woff-v2" }),
  });
  doc.render();
  fs.writeFileSync(path.join(out, name), adaptor.doctype(doc.document) + "\n" + adaptor.outerHTML(adaptor.root(doc.document)));
}
