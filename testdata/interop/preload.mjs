// Node 20 lacks fs.globSync, which the conformance CLI imports. Builtin
// modules cannot gain named exports after load, so this registers a resolve
// hook that hands the conformance package (only) an fs that has it.
import { register } from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  register('./fs-hook.mjs', import.meta.url);
}
