// Plain text PDFs for tests and benchmarks: Helvetica lines at given sizes, one content
// stream per page, a valid cross-reference table. `handbookPdf(pages)` lays the sample
// plans' Markdown (www/data) out as a member handbook of that many pages: headings at
// 14 pt, body text at 10 pt wrapped at 90 characters, 28 lines a page (about 2 KB of text
// a page, like a real 83-page handbook's 180 KB) and a running footer "Member Handbook —
// Page n of N". Used by tests/browser/pdf.test.mjs and `pkg-scripts/bench.sh pdf`:
//   node tests/browser/make-pdf.mjs OUT.pdf PAGES
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** PDF string escaping for a literal string. */
const literal = (s) => `(${s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, "?")})`;

/** A PDF of pages, each a list of {text, size} lines from the top. */
export function pdfFromPages(pages) {
  const objs = ["<< /Type /Catalog /Pages 2 0 R >>", null, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"];
  const kids = [];
  for (const lines of pages) {
    let y = 740;
    const ops = ["BT"];
    for (const { text, size, at } of lines) {
      y = at ?? y;
      ops.push(`/F1 ${size} Tf 1 0 0 1 60 ${y} Tm ${literal(text)} Tj`);
      y -= size * 1.45;
    }
    ops.push("ET");
    const stream = ops.join("\n");
    objs.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    const contents = objs.length;
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R >>`);
    kids.push(`${objs.length} 0 R`);
  }
  objs[1] = `<< /Type /Pages /Kids [${kids.join(" ")}] /Count ${pages.length} >>`;
  let out = "%PDF-1.4\n";
  const offsets = objs.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const at of offsets) out += `${String(at).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** Words wrapped into lines of at most `width` characters. */
function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The sample plans as a member handbook of `count` pages. */
export function handbookPdf(count) {
  const source = ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"]
    .map((p) => fs.readFileSync(path.join(ROOT, "www/data", `${p}.md`), "utf8").replace(/^---[\s\S]*?\n---\n/, ""));
  const lines = [];
  for (let round = 1; lines.length < count * 28; round++) {
    for (const doc of source) {
      for (const block of doc.split(/\n\s*\n/)) {
        const heading = block.match(/^#+\s+(.*)/);
        if (heading) lines.push({ text: `${heading[1]} (part ${round})`, size: 14 });
        else for (const l of wrap(block.replace(/^[-*|#>]+\s*/gm, ""), 90)) lines.push({ text: l, size: 10 });
      }
    }
  }
  const pages = [];
  for (let p = 0; p < count; p++) {
    const body = lines.slice(p * 28, (p + 1) * 28);
    pages.push([...body, { text: `Member Handbook - Page ${p + 1} of ${count}`, size: 8, at: 40 }]);
  }
  return pdfFromPages(pages);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, count] = process.argv.slice(2);
  fs.writeFileSync(out, handbookPdf(Number(count || 83)));
}
