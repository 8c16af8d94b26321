// Reads the fields of an `export interface` from a .d.ts file, so tests can hold the
// objects the wasm facade really returns against the TypeScript declarations it ships
// (src/wasm/dto.rs writes both; nothing generates one from the other).

/** `{required, optional}` field names of interface `name`, its `extends` included. */
export function declaredFields(dts, name) {
  const text = dts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
  const head = new RegExp(`export interface ${name}\\b(?:\\s+extends\\s+([\\w\\s,]+))?\\s*\\{`).exec(text);
  if (!head) throw new Error(`no interface ${name} in the typings`);
  let depth = 1, i = head.index + head[0].length, member = "";
  const members = [];
  for (; depth > 0; i++) {
    const c = text[i];
    if (c === undefined) throw new Error(`interface ${name} is not closed`);
    if ("{[(<".includes(c)) depth++;
    if ("}])>".includes(c)) depth--;
    if (depth === 1 && c === ";") { members.push(member); member = ""; } else if (depth > 0) member += c;
  }
  members.push(member);
  const out = { required: new Set(), optional: new Set() };
  for (const m of members.map((s) => s.trim()).filter(Boolean)) {
    const field = /^(\w+)(\??):/.exec(m);
    if (field) out[field[2] ? "optional" : "required"].add(field[1]);
  }
  for (const parent of (head[1] || "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const p = declaredFields(dts, parent);
    p.required.forEach((f) => out.required.add(f));
    p.optional.forEach((f) => out.optional.add(f));
  }
  return out;
}

/** Problems of `object` against interface `name`: undeclared keys, missing required ones. */
export function shapeProblems(dts, name, object) {
  const { required, optional } = declaredFields(dts, name);
  const keys = Object.keys(object);
  return [
    ...keys.filter((k) => !required.has(k) && !optional.has(k)).map((k) => `${name}: "${k}" is returned but not declared`),
    ...[...required].filter((k) => !keys.includes(k)).map((k) => `${name}: "${k}" is declared but not returned`),
  ];
}
