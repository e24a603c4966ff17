/** The server's defaults, apart from the server itself so the CLI can show them without loading Fastify. */
export const SERVE_DEFAULTS = {
  maxBatchSize: 32,
  maxWaitMs: 2,
  maxBatchTokens: 4096,
  batching: true,
  maxSessions: 1000,
  sessionIdleMs: 300_000,
  bodyLimit: 1 << 20,
  maxSequenceLength: 4096,
} as const;
