import type { FastifyInstance } from 'fastify';
import { sessionOf } from './kinds.js';
import type { ServedModel } from './served-model.js';
import { requestedOutputs, type V2Request } from './tensors.js';

/** The HTTP routes of one served model: v2 metadata, readiness and inference, and v1 predict. */

// biome-ignore lint/suspicious/noExplicitAny: a route serves whichever kind of model it is given
export type AnyModel = ServedModel<any, any, any>;

/** The labels a route's requests are counted under in /metrics. */
export interface RouteConfig {
  route: string;
  model: string;
}

const TENSOR_PARAMETERS = {
  type: 'object',
  additionalProperties: false,
  properties: { binary_data: { const: false }, binary_data_output: { const: false } },
};

/** The v2 inference request (Open Inference Protocol), with the model's own request parameters. */
export function v2Schema(parameters: Record<string, object>): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['inputs'],
    properties: {
      id: { type: 'string' },
      parameters: { type: 'object', additionalProperties: false, properties: parameters },
      inputs: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: { type: 'string' },
            shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
            datatype: { type: 'string' },
            data: { type: 'array' },
            parameters: TENSOR_PARAMETERS,
          },
        },
      },
      outputs: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string' }, parameters: TENSOR_PARAMETERS },
        },
      },
    },
  };
}

/** The v2 model metadata: inputs and outputs as tensors, and the facts a client needs in parameters. */
export function metadata(model: AnyModel): object {
  const { kind } = model;
  return {
    name: model.name,
    platform: 'kioku',
    inputs: kind.inputs,
    outputs: kind.outputs,
    parameters: { task: kind.task, ...kind.parameters },
  };
}

export function modelRoutes(app: FastifyInstance, model: AnyModel): void {
  const { name, kind } = model;
  const config = (route: string): RouteConfig => ({ route, model: name });
  const base = `/v2/models/${name}`;
  app.get(base, { config: config('/v2/models/{name}') }, async () => metadata(model));
  app.get(`${base}/ready`, { config: config('/v2/models/{name}/ready') }, async () => ({
    name,
    ready: true,
  }));
  app.post(
    `${base}/infer`,
    { config: config('/v2/models/{name}/infer'), schema: { body: v2Schema(kind.v2Parameters) } },
    async (req) => {
      const body = req.body as V2Request;
      const session = sessionOf(body.parameters, 'parameters.', kind.sessionless);
      const wanted = requestedOutputs(
        body,
        kind.outputs.map((o) => o.name),
      );
      const items = kind.fromV2(body, session);
      const outs = await model.run({ items, session });
      return {
        model_name: name,
        ...(body.id !== undefined ? { id: body.id } : {}),
        outputs: kind.toV2(items, outs, wanted),
      };
    },
  );
  // A literal colon is written twice in a route's path.
  app.post(
    `/v1/models/${name}::predict`,
    {
      config: config('/v1/models/{name}:predict'),
      schema: { body: kind.v1Schema, ...(kind.v1Answer ? { response: { 200: kind.v1Answer } } : {}) },
    },
    async (req) => {
      const body = req.body as Record<string, unknown>;
      const session = sessionOf(body, '', kind.sessionless);
      const items = kind.fromV1(body, session);
      return kind.toV1(items, await model.run({ items, session }));
    },
  );
}
