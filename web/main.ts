import { parseArgs } from 'node:util';
import { buildPlayground } from './build.js';
import { serveStatic } from './serve.js';

// npm run web [-- --port 8080] [-- --build-only]: builds the playground and serves it on localhost.
const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, 'build-only': { type: 'boolean', default: false } },
});
const out = await buildPlayground();
console.log(`kioku playground built in ${out}`);
if (!values['build-only']) {
  const { url } = await serveStatic(out, Number(values.port));
  console.log(`kioku playground: ${url}  (benchmark: ${url}bench.html; Ctrl+C stops)`);
}
