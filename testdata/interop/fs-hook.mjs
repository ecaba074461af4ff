// Resolve hook: "fs" imported from @modelcontextprotocol/conformance resolves
// to fs-shim.mjs; every other importer gets the real module.
const shim = new URL('./fs-shim.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const fromConformance = (context.parentURL ?? '').includes('/@modelcontextprotocol/conformance/');
  if (fromConformance && (specifier === 'fs' || specifier === 'node:fs')) {
    return { url: shim, shortCircuit: true };
  }
  return next(specifier, context);
}
