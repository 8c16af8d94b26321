// Exact search for the browser benchmarks (bench-peers.js, bench-browser.mjs): a bundle
// read without benefind, brute-force top-k over its f32 vectors, and recall@k of a
// benchmark's answers against it, all in the page that timed them.

/**
 * Reads a benefind bundle (f32 encoding) the way a page without benefind would: header
 * and section table (layout in README "Bundle format"), the vectors copied into one
 * Float32Array, ids and each row's policy decoded; texts decoded on demand. No checksum
 * or graph: this is the peer's store, not benefind's reader.
 */
export function parseBundle(buffer) {
  const view = new DataView(buffer);
  const magic = new TextDecoder().decode(new Uint8Array(buffer, 0, 8));
  if (magic !== "BENEFIND") throw new Error(`not a bundle (magic ${magic})`);
  if (view.getUint8(13) !== 0) throw new Error("only f32 bundles are read here");
  const dims = view.getUint32(14, true), count = view.getUint32(18, true);
  const idLen = view.getUint16(22, true);
  const sectionCount = view.getUint16(24 + idLen, true);
  const sections = {};
  for (let s = 0; s < sectionCount; s++) {
    const at = 26 + idLen + 22 * s;
    sections[view.getUint16(at, true)] = {
      offset: Number(view.getBigUint64(at + 2, true)), length: Number(view.getBigUint64(at + 10, true)),
    };
  }
  const vec = sections[1];
  // slice(): the section need not be 4-byte aligned in the file.
  const vectors = new Float32Array(buffer.slice(vec.offset, vec.offset + count * dims * 4));
  const decoder = new TextDecoder();
  const table = ({ offset }) => {
    const offsets = new Uint32Array(buffer.slice(offset, offset + (count + 1) * 4));
    const blob = new Uint8Array(buffer, offset + (count + 1) * 4);
    return (i) => decoder.decode(blob.subarray(offsets[i], offsets[i + 1]));
  };
  const id = table(sections[2]), text = table(sections[3]), meta = table(sections[4]);
  const ids = Array.from({ length: count }, (_, i) => id(i));
  const policies = Array.from({ length: count }, (_, i) => JSON.parse(meta(i)).policy);
  return { dims, count, vectors, ids, policies, text };
}

/**
 * Brute-force cosine top-k over unit vectors (dot product, four accumulators), keeping
 * a sorted list of the k best; `accept(row)` filters rows (e.g. by policy).
 */
export function topK(vectors, dims, q, k, accept) {
  const best = [];
  let floor = -Infinity;
  for (let row = 0, off = 0; off < vectors.length; row++, off += dims) {
    if (accept && !accept(row)) continue;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let d = 0; d < dims; d += 4) {
      s0 += vectors[off + d] * q[d];
      s1 += vectors[off + d + 1] * q[d + 1];
      s2 += vectors[off + d + 2] * q[d + 2];
      s3 += vectors[off + d + 3] * q[d + 3];
    }
    const score = s0 + s1 + s2 + s3;
    if (best.length === k && score <= floor) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { row, score });
    if (best.length > k) best.pop();
    if (best.length === k) floor = best[k - 1].score;
  }
  return best;
}


/** Mean recall@k of `got` (one id list per query) against `exact` (the same shape). */
export function meanRecall(got, exact) {
  let sum = 0;
  for (let i = 0; i < exact.length; i++) {
    const want = new Set(exact[i]);
    sum += got[i].filter((id) => want.has(id)).length / exact[i].length;
  }
  return sum / exact.length;
}

/**
 * Exact top-k ids for each query of `queries` ({vector, policy?}) over the bundle at
 * `bundleUrl`, filtered by policy when `byPolicy`.
 */
export async function exactIds(bundleUrl, queries, k, byPolicy = false) {
  const store = parseBundle(await (await fetch(bundleUrl)).arrayBuffer());
  return queries.map((q) => {
    const accept = byPolicy ? (row) => store.policies[row] === q.policy : undefined;
    return topK(store.vectors, store.dims, Float32Array.from(q.vector), k, accept).map((h) => store.ids[h.row]);
  });
}
