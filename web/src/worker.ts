// The playground's training worker: kioku/worker, which trains what the page sends it.
import '../../src/browser/worker.js';
