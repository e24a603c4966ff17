import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RouteOptions,
} from 'fastify';
import { kiokuVersion } from '../io/version.js';
import { freezeRecurrentLayers } from '../nn/rnn.js';
import { ValueError } from '../tensor/errors.js';
import type { OpenedModel } from '../train/recipes/opened.js';
import { SERVE_DEFAULTS } from './defaults.js';
import { RequestError, type SchemaError, schemaError } from './errors.js';
import { forecastKind } from './forecast-kind.js';
import { parseJsonBody } from './json-body.js';
import type { Limits } from './kinds.js';
import { ServedLanguageModel } from './language-model.js';
import { ServeMetrics } from './metrics.js';
import { type AnyModel, modelRoutes, type RouteConfig } from './routes.js';
import { type RunSettings, ServedModel } from './served-model.js';
import { textKind } from './text-kind.js';

/**
 * `kioku serve`'s HTTP server (Fastify): the Open Inference Protocol v2 and v1 predict routes of
 * each model, health, /metrics, one access-log line per request, and errors as 4xx JSON bodies
 * naming the field at fault.
 */

export interface ServeOptions {
  /** The models to serve, by the name their routes use ([A-Za-z0-9_.-]+). */
  models: ReadonlyArray<{ name: string; opened: OpenedModel }>;
  /** Most items in one request, and rows in one batched forward. Default 32. */
  maxBatchSize?: number;
  /** How long a request waits for others to batch with, in milliseconds. Default 2. */
  maxWaitMs?: number;
  /**
   * Most tokens of a text classifier's batch (a text longer than that runs alone). Default 4096:
   * a batch of long texts is cut, so requests keep being read and answered while it waits.
   */
  maxBatchTokens?: number;
  /** false: each request runs alone as it comes. Default true. */
  batching?: boolean;
  /** Open sessions per model; a new one beyond evicts the least recently used. Default 1000. */
  maxSessions?: number;
  /** A session closes after this long without a request, in milliseconds. Default 300 000 (5 min). */
  sessionIdleMs?: number;
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Most tokens of a session chunk or a prompt, rows of a history, forecast steps or generated tokens in one request. Default 4096. */
  maxSequenceLength?: number;
  /** Structured access logs (pino JSON lines) written to `stream`; false for none. Default false. */
  log?: { level: string; stream: { write(line: string): unknown } } | false;
}

export interface KiokuServer {
  readonly app: FastifyInstance;
  readonly models: readonly Served[];
  readonly metrics: ServeMetrics;
  /** Starts listening; resolves to the address (http://host:port). */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting connections, answers the requests in flight, then resolves. */
  close(): Promise<void>;
}

/** A model being served: a text classifier or forecaster (batched, with sessions), or a language model. */
export type Served = AnyModel | ServedLanguageModel;

const NAME = /^[A-Za-z0-9_.-]+$/;

function atLeast(name: string, v: unknown, min: number, integer: boolean): void {
  if (typeof v !== 'number' || !(v >= min) || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
    throw new ValueError(
      `createServer: ${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(v)}`,
    );
  }
}

function settingsOf(options: ServeOptions): Required<Omit<ServeOptions, 'models' | 'log'>> {
  const s = { ...SERVE_DEFAULTS, ...options };
  for (const k of [
    'maxBatchSize',
    'maxBatchTokens',
    'maxSessions',
    'bodyLimit',
    'maxSequenceLength',
  ] as const)
    atLeast(k, s[k], 1, true);
  atLeast('maxWaitMs', s.maxWaitMs, 0, false);
  atLeast('sessionIdleMs', s.sessionIdleMs, 1, false);
  if (typeof s.batching !== 'boolean')
    throw new ValueError(`createServer: batching must be a boolean, got ${String(s.batching)}`);
  return s;
}

/** `served`, once `opened`'s recurrent layers are frozen: a served model's weights never change, so its batched forwards need not pack them on every call. */
function frozen(opened: OpenedModel, served: Served): Served {
  freezeRecurrentLayers(opened.model);
  return served;
}

/** The served model for `opened`, by its task; a task kioku cannot serve is an error naming it. */
function open(
  name: string,
  opened: OpenedModel,
  limits: Limits,
  run: RunSettings,
  metrics: ServeMetrics,
): Served {
  const task = opened?.config?.task;
  const where = opened?.where ?? name;
  if (task === 'classification')
    return frozen(opened, new ServedModel(name, textKind(opened, limits), run, metrics));
  if (task === 'forecasting')
    return frozen(opened, new ServedModel(name, forecastKind(opened, limits), run, metrics));
  if (task === 'language-model') return new ServedLanguageModel(name, opened, limits);
  throw new ValueError(
    `model "${name}" (${where}) is a ${String(task)} model; kioku serve serves text classifiers, forecasters and language models`,
  );
}

function checkModels(models: ServeOptions['models']): void {
  if (!Array.isArray(models) || models.length === 0) {
    throw new ValueError('createServer: models must list at least one { name, opened } model');
  }
  const seen = new Set<string>();
  for (const m of models) {
    if (typeof m?.name !== 'string' || !NAME.test(m.name)) {
      throw new ValueError(
        `createServer: a model's name must be letters, digits, '_', '.' or '-', got ${JSON.stringify(m?.name)}`,
      );
    }
    if (seen.has(m.name))
      throw new ValueError(`createServer: two models are named "${m.name}"; give each its own name`);
    seen.add(m.name);
  }
}

/** Builds the server for `options.models` (each checked now: a bad one throws) without listening. */
export function createServer(options: ServeOptions): KiokuServer {
  checkModels(options?.models);
  const s = settingsOf(options);
  const limits: Limits = { maxBatchSize: s.maxBatchSize, maxSequenceLength: s.maxSequenceLength };
  const models: Served[] = [];
  const metrics = new ServeMetrics(() =>
    models.map((m) => ({ name: m.name, sessions: m.sessions, waiting: m.waiting })),
  );
  for (const { name, opened } of options.models) models.push(open(name, opened, limits, s, metrics));
  const accessLog = accessLogged(options.log);
  const app = Fastify({
    bodyLimit: s.bodyLimit,
    logger: options.log ? { level: options.log.level, stream: options.log.stream } : false,
    // One access-log line per request, written where it is counted (countAnswers), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A path that does not decode (/v2/models/%zz) is refused as the others are, and counted.
    frameworkErrors: (err, req, reply) =>
      refuse(
        req,
        reply,
        new RequestError('url', `${err.message}; escape it as a URL path`),
        metrics,
        accessLog,
      ),
    ajv: {
      // Union types (a number or a string) are part of the request schemas, not a mistake.
      customOptions: {
        allowUnionTypes: true,
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
      },
    },
  });
  // Bodies are JSON; Fastify would also read text/plain, which no route takes (a 415 instead).
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  wire(app, models, metrics, accessLog);
  return {
    app,
    models,
    metrics,
    listen: (port, host) => app.listen({ port, host }),
    close: () => app.close(),
  };
}

function wire(app: FastifyInstance, models: Served[], metrics: ServeMetrics, accessLog: boolean): void {
  const names = models.map((m) => m.name);
  // Before the routes: each is wrapped as it is registered.
  app.addHook('onRoute', (route) => countAnswers(route, metrics, accessLog));
  app.get('/v2', async () => ({ name: 'kioku', version: kiokuVersion(), extensions: ['sequence'] }));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async () => ({ ready: true }));
  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  for (const m of models) {
    if (m instanceof ServedLanguageModel) m.routes(app);
    else modelRoutes(app, m);
  }
  app.setNotFoundHandler(async (req, reply) => {
    const model = /^\/v[12]\/models\/([^/:]+)/.exec(req.url)?.[1];
    const e =
      model !== undefined && !names.includes(decodeURIComponent(model))
        ? new RequestError(
            'model',
            `no model "${decodeURIComponent(model)}" here; this server serves ${names.join(', ')}`,
            404,
          )
        : new RequestError('url', `no route ${req.method} ${req.url.split('?')[0]}`, 404);
    return refuse(req, reply, e, metrics, accessLog);
  });
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const e = requestError(err, req);
    if (e) return refuse(req, reply, e, metrics, accessLog);
    req.log.error({ err }, 'request failed');
    const body = { error: `internal error: ${err.message}`, field: 'body' };
    return answer(req, reply, 500, body, metrics, accessLog);
  });
  // Requests waiting for their batch run now rather than at their timer, then the states go.
  app.addHook('preClose', async () => {
    for (const m of models) m.drain();
  });
  app.addHook('onClose', async () => {
    for (const m of models) m.close();
  });
}

/** Answers `e` (a 4xx), counted. */
function refuse(
  req: FastifyRequest,
  reply: FastifyReply,
  e: RequestError,
  metrics: ServeMetrics,
  accessLog: boolean,
): FastifyReply {
  return answer(req, reply, e.status, e.body(), metrics, accessLog);
}

/** Sends `body` with `status` from outside a route's handler, counted. */
function answer(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body: object,
  metrics: ServeMetrics,
  accessLog: boolean,
): FastifyReply {
  reply.code(status);
  answeredElsewhere(req, reply, metrics, accessLog);
  return reply.send(body);
}

/** The 4xx a failed request gets, or null for a server fault (a 500). */
function requestError(err: FastifyError, req: FastifyRequest): RequestError | null {
  if (err instanceof RequestError) return err;
  if (err.validation) return schemaError(err.validation[0] as unknown as SchemaError, req.body);
  const status = err.statusCode ?? 500;
  if (status < 400 || status >= 500) return null;
  if (status === 413)
    return new RequestError(
      'body',
      `the body is larger than this server takes (--max-body-bytes): ${err.message}`,
      413,
    );
  if (status === 415)
    return new RequestError('content-type', `content-type must be application/json: ${err.message}`, 415);
  return new RequestError('body', err.message, status);
}

/** Whether access-log lines are written: a logger at level info or below. */
function accessLogged(log: ServeOptions['log']): boolean {
  return log !== undefined && log !== false && ['trace', 'debug', 'info'].includes(log.level);
}

/*
 * Requests are counted in /metrics (and access-logged) where they are answered: in each route's
 * handler, wrapped once when the route is registered, and in the not-found and error handlers.
 * An onResponse hook would see every answer in one place, but Fastify running one cost every
 * request about 6 µs, a tenth of a batched short text (BENCHMARKS.md, bench:serve). The time
 * counted runs to the answer being handed to Node (for a streamed one, to the stream's end).
 */

/** Wraps `route`'s handler so that its answers are counted under the route's labels, looked up once. */
function countAnswers(route: RouteOptions, metrics: ServeMetrics, accessLog: boolean): void {
  const config = (route.config ?? {}) as Partial<RouteConfig>;
  const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
  const count = metrics.route(method, config.route ?? route.url, config.model ?? '');
  const answered = (req: FastifyRequest, reply: FastifyReply) => {
    const seconds = reply.elapsedTime / 1000;
    count(reply.statusCode, seconds);
    if (accessLog) logAnswer(req, reply.statusCode, seconds, config.model);
  };
  const handler = route.handler;
  route.handler = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
    return Promise.resolve(handler.call(this, req, reply)).then((out) => {
      // A handler that sent its answer itself (a stream) is counted when the answer ends.
      if (out === reply) reply.raw.once('close', () => answered(req, reply));
      else answered(req, reply);
      return out;
    });
  };
}

/** Counts an answer given outside a route's handler (not found, refused, failed), under the route's labels if it has one. */
function answeredElsewhere(
  req: FastifyRequest,
  reply: FastifyReply,
  metrics: ServeMetrics,
  accessLog: boolean,
): void {
  const options = req.routeOptions;
  const config = (options.config ?? {}) as Partial<RouteConfig>;
  const route = config.route ?? options.url ?? 'unmatched';
  const seconds = reply.elapsedTime / 1000;
  metrics.observe(req.method, route, config.model ?? '', reply.statusCode, seconds);
  if (accessLog) logAnswer(req, reply.statusCode, seconds, config.model);
}

function logAnswer(req: FastifyRequest, status: number, seconds: number, model: string | undefined): void {
  req.log.info(
    {
      method: req.method,
      url: req.url,
      status,
      ms: Math.round(seconds * 1e4) / 10,
      model: model || undefined,
    },
    'request',
  );
}
