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
  const port = Number(values.port);
  const served = await serveStatic(out, port).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    console.error(`port ${port} is in use; pick another: npm run web -- --port 9000`);
    process.exit(1);
  });
  console.log(`kioku playground: ${served.url}  (benchmark: ${served.url}bench.html; Ctrl+C stops)`);
}
