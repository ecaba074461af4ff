// node:fs plus globSync, for Node versions before 22. It supports the
// patterns the conformance CLI uses: "**/" prefixes, literal segments and "*"
// within a segment, relative to options.cwd.
import fs from 'node:fs';
import path from 'node:path';

export * from 'node:fs';
export default fs;

function segmentRegExp(segment) {
  const escaped = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

function walk(dir, parts, rel, out) {
  if (parts.length === 0) {
    out.push(rel);
    return;
  }
  const [head, ...rest] = parts;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  if (head === '**') {
    walk(dir, rest, rel, out); // zero directories
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(dir, e.name), parts, rel ? `${rel}/${e.name}` : e.name, out);
    }
    return;
  }
  const re = segmentRegExp(head);
  for (const e of entries) {
    if (!re.test(e.name)) continue;
    const next = rel ? `${rel}/${e.name}` : e.name;
    if (rest.length === 0) out.push(next);
    else if (e.isDirectory()) walk(path.join(dir, e.name), rest, next, out);
  }
}

export function globSync(pattern, options = {}) {
  const patterns = Array.isArray(pattern) ? pattern : [pattern];
  const cwd = options.cwd ? String(options.cwd) : process.cwd();
  const out = new Set();
  for (const p of patterns) {
    const found = [];
    walk(cwd, p.split('/').filter(Boolean), '', found);
    found.forEach((f) => out.add(f));
  }
  return [...out];
}
