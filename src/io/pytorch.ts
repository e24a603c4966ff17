/**
 * PyTorch interop. Weights go both ways as safetensors under PyTorch's names (kioku's own names),
 * so a state_dict saved in PyTorch loads into the equivalent kioku model and back. A state_dict
 * saved with torch.save (.pt, .pth) is read too, by a restricted reader that never runs pickle code.
 *
 * `exportPytorch(model, dir)` writes model.safetensors and model.py, a self-contained script that
 * defines the equivalent torch.nn.Module, reads the weights with a small pure-Python safetensors
 * reader (the `safetensors` package is not needed) and loads them with
 * `load_state_dict(strict=True)`. A forecaster exported with its config's `series` settings
 * also gets `Forecaster` (see pytorch-forecast.ts): raw values in, forecasts out.
 */
import { recurrentKind } from '../backend/recurrent-kinds.js';
import { SequenceForecaster, TextClassifier } from '../nn/heads.js';
import { LanguageModel } from '../nn/language-model.js';
import { GRU, LSTM, RNN } from '../nn/rnn.js';
import { ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { modelKind } from './model-kind.js';
import { forecastSource } from './pytorch-forecast.js';
import { parseSafetensors, serializeSafetensors, toStateDict } from './safetensors.js';
import { isTorchFile, torchStateDict } from './torch/index.js';

export type PytorchExportable = RNN | LSTM | GRU | TextClassifier | SequenceForecaster | LanguageModel;

export const PYTORCH_WEIGHTS_FILE = 'model.safetensors';
export const PYTORCH_SCRIPT_FILE = 'model.py';

export interface ImportPytorchOptions {
  /** Names the file in error messages. */
  source?: string;
  /** Removed from the start of every key that has it, e.g. 'module.' from DataParallel. */
  stripPrefix?: string;
  /** torch.save files only: the top-level key of a checkpoint dict that holds the state_dict. */
  key?: string;
}

/**
 * The tensors of a PyTorch state_dict as kioku tensors keyed by name (floating dtypes as float32,
 * integer dtypes as int32), from a safetensors file (`safetensors.torch.save_file` or any
 * conforming writer) or a torch.save file (zip or legacy format, told apart by their first
 * bytes). Load them with `model.loadStateDict(...)`. Malformed files throw SafetensorsError or
 * TorchFileError; a pickle that would call anything outside the state_dict allowlist throws
 * UnsafePickleError.
 */
export function importPytorchStateDict(
  bytes: Uint8Array,
  options: ImportPytorchOptions = {},
): Record<string, Tensor> {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(`importPytorchStateDict: bytes must be a Uint8Array, got ${typeof bytes}`);
  }
  const { source, stripPrefix, key } = options;
  if (stripPrefix !== undefined && typeof stripPrefix !== 'string') {
    throw new ValueError(`importPytorchStateDict: stripPrefix must be a string, got ${typeof stripPrefix}`);
  }
  let tensors: Record<string, Tensor>;
  if (isTorchFile(bytes)) tensors = torchStateDict(bytes, { source, key });
  else if (key !== undefined) {
    throw new ValueError(
      'importPytorchStateDict: key applies to torch.save files only, this is a safetensors file',
    );
  } else tensors = toStateDict(parseSafetensors(bytes, source === undefined ? {} : { source }));
  if (!stripPrefix) return tensors;
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    const name = k.startsWith(stripPrefix) ? k.slice(stripPrefix.length) : k;
    if (Object.hasOwn(out, name)) {
      throw new ValueError(
        `importPytorchStateDict: "${k}" and another key both become "${name}" after stripping "${stripPrefix}"`,
      );
    }
    Object.defineProperty(out, name, { value: t, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const py = (v: boolean | number | null): string =>
  v === null ? 'None' : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);

/** `nn.LSTM(...)` etc. for a kioku layer with the given settings. */
function layerCall(
  rnn: RNN | LSTM | GRU,
  overrides: { batchFirst?: boolean; dropout?: number } = {},
): string {
  const info = recurrentKind(rnn.mode);
  const args = [
    `input_size=${rnn.inputSize}`,
    `hidden_size=${rnn.hiddenSize}`,
    `num_layers=${rnn.numLayers}`,
    `bias=${py(rnn.bias)}`,
    `batch_first=${py(overrides.batchFirst ?? rnn.batchFirst)}`,
    `dropout=${py(overrides.dropout ?? rnn.dropout)}`,
    `bidirectional=${py(rnn.bidirectional)}`,
  ];
  if (info.layer === 'RNN') args.push(`nonlinearity='${info.activation}'`);
  if (rnn.projSize > 0) args.push(`proj_size=${rnn.projSize}`);
  return `nn.${info.layer}(${args.join(', ')})`;
}

const READER = `_DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8,
    'U8': torch.uint8, 'BOOL': torch.bool,
}


def read_safetensors(path):
    """Tensors of a safetensors file (little-endian host), without the safetensors package."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = _DTYPES[info['dtype']]
        if end == begin:
            tensors[name] = torch.zeros(info['shape'], dtype=dtype)
        else:
            buf = bytearray(data[base + begin:base + end])
            tensors[name] = torch.frombuffer(buf, dtype=dtype).reshape(info['shape'])
    return tensors
`;

/** The embedding lookup, with kioku's training-only word and embedding dropout when the model has them. */
function inputDropout(m: TextClassifier): string {
  const s = m.settings;
  const words =
    s.tokenDropout > 0
      ? `        if self.training:  # word dropout: a token becomes <unk> with probability ${s.tokenDropout}
            drop = torch.rand(input_ids.shape, device=input_ids.device) < ${s.tokenDropout}${m.embedding.paddingIdx === null ? '' : `\n            drop &= input_ids != ${m.embedding.paddingIdx}`}
            input_ids = input_ids.masked_fill(drop, ${s.unkId})
`
      : '';
  const rows =
    s.embedDropout > 0
      ? `        if self.training:  # embedding dropout: whole rows of the table, the rest scaled up
            keep = (torch.rand(self.embedding.num_embeddings, device=x.device) >= ${s.embedDropout}).to(x.dtype) / ${1 - s.embedDropout}
            x = x * keep[input_ids].unsqueeze(2)
`
      : '';
  return `${words}        x = self.embedding(input_ids)\n${rows}`;
}

/** The end of a forward with the bag-of-words path: its mean over the valid steps added to the logits. */
const BAG_FORWARD = `        logits = self.fc(pooled)
        valid = (torch.arange(T, device=logits.device)[None, :] < lengths.to(logits.device)[:, None]).unsqueeze(2)
        bag = (self.bag(input_ids) * valid).sum(1) / lengths.to(logits)[:, None]
        return logits + bag
`;

function classifierSource(m: TextClassifier): string {
  const s = m.settings;
  const D = s.bidirectional ? 2 : 1;
  const cell = s.cell;
  const pool: Record<typeof s.pooling, string> = {
    last: `        # the top layer's final state at each sample's last valid step, forward | backward
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n
        pooled = torch.cat([h_n[-${D} + d] for d in range(${D})], dim=1)`,
    mean: `        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        valid = (torch.arange(T, device=out.device)[None, :] < lengths.to(out.device)[:, None]).unsqueeze(2)
        pooled = (out * valid).sum(1) / lengths.to(out)[:, None]`,
    max: `        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        valid = (torch.arange(T, device=out.device)[None, :] < lengths.to(out.device)[:, None]).unsqueeze(2)
        pooled = out.masked_fill(~valid, float('-inf')).max(1).values`,
    'max-mean': `        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        valid = (torch.arange(T, device=out.device)[None, :] < lengths.to(out.device)[:, None]).unsqueeze(2)
        top = out.masked_fill(~valid, float('-inf')).max(1).values
        mean = (out * valid).sum(1) / lengths.to(out)[:, None]
        pooled = torch.cat([top, mean], dim=1)`,
    attention: `        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        valid = torch.arange(T, device=out.device)[None, :] < lengths.to(out.device)[:, None]
        scores = self.attention.score(torch.tanh(self.attention.proj(out))).squeeze(2)
        weights = torch.softmax(scores.masked_fill(~valid, float('-inf')), dim=1)
        pooled = (weights.unsqueeze(2) * out).sum(1)`,
  };
  const attention = m.attention
    ? `        self.attention = nn.Module()  # additive attention over the valid steps
        self.attention.proj = nn.Linear(${m.attention.inputSize}, ${m.attention.attentionSize})
        self.attention.score = nn.Linear(${m.attention.attentionSize}, 1, bias=False)
`
    : '';
  return `class TextClassifier(nn.Module):
    """Embedding -> ${cell.toUpperCase()} -> ${s.pooling} pooling -> Linear.
    input_ids: (B, T) right-padded token ids; lengths: (B,) valid steps -> logits (B, ${s.numClasses})."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(${s.vocabSize}, ${s.embedDim}, padding_idx=${py(m.embedding.paddingIdx)})
        self.${cell} = ${layerCall(m.rnn)}
${m.dropout ? `        self.dropout = nn.Dropout(${s.dropout})\n` : ''}${attention}        self.fc = nn.Linear(${m.fc.inFeatures}, ${m.fc.outFeatures}, bias=${py(m.fc.bias !== null)})
${m.bag ? `        self.bag = nn.Embedding(${s.vocabSize}, ${s.numClasses}, padding_idx=${py(m.bag.paddingIdx)})  # bag-of-words path\n        nn.init.zeros_(self.bag.weight)  # from zero, as a linear model starts\n` : ''}
    def forward(self, input_ids, lengths=None):
        B, T = input_ids.shape
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long)
        lengths = lengths.to('cpu', torch.long)
        input_ids = input_ids.long()
${inputDropout(m)}        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h_n = self.${cell}(packed)
${pool[s.pooling]}
${m.dropout ? '        pooled = self.dropout(pooled)\n' : ''}${m.bag ? BAG_FORWARD : '        return self.fc(pooled)\n'}

def build_model():
    return TextClassifier()
`;
}

function forecasterSource(m: SequenceForecaster, series: unknown): string {
  const s = m.settings;
  const module = `class SequenceForecaster(nn.Module):
    """${s.cell.toUpperCase()} -> Linear on the top layer's final state.
    x: (B, T, ${s.inputSize}) -> (B, ${s.horizon * s.outputSize}): ${s.horizon} steps x ${s.outputSize} values."""

    def __init__(self):
        super().__init__()
        self.${s.cell} = ${layerCall(m.rnn)}
${m.dropout ? `        self.dropout = nn.Dropout(${s.dropout})\n` : ''}        self.fc = nn.Linear(${m.fc.inFeatures}, ${m.fc.outFeatures}, bias=${py(m.fc.bias !== null)})

    def forward(self, x):
        _, h_n = self.${s.cell}(x)
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n
        last = h_n[-1]
${m.dropout ? '        last = self.dropout(last)\n' : ''}        return self.fc(last)


def build_model():
    return SequenceForecaster()
`;
  return series === undefined ? module : `${module}\n\n${forecastSource(series)}`;
}

/** PyTorch's word_language_model RNNModel, and generate(): the same draw as kioku generate's. */
function languageModelSource(m: LanguageModel): string {
  return `${TIED_OUTPUT_SOURCE}\n\n${languageModelClassSource(m)}\n\n${LANGUAGE_MODEL_TOOLS_SOURCE}`;
}

/** The output layer of a tied model (written into every language model's model.py). */
const TIED_OUTPUT_SOURCE = `class _TiedOutput(nn.Module):
    """The output layer of a tied model: the embedding's weight (not a parameter here) and a bias."""

    def __init__(self, embedding, vocab_size):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        self._embedding = [embedding]

    def forward(self, x):
        return nn.functional.linear(x, self._embedding[0].weight, self.bias)
`;

/** The LanguageModel module with m's sizes, cell, dropout and output layer. */
function languageModelClassSource(m: LanguageModel): string {
  const s = m.settings;
  const tied = s.tieWeights;
  const fc = tied
    ? `_TiedOutput(self.embedding, ${s.vocabSize})`
    : `nn.Linear(${s.hiddenSize}, ${s.vocabSize})`;
  return `class LanguageModel(nn.Module):
    """Embedding -> ${s.cell.toUpperCase()} -> Linear to the ${s.vocabSize} tokens${tied ? ' (output weight tied to the embedding)' : ''}.
    input_ids: (B, T) token ids, state or None -> logits (B, T, ${s.vocabSize}), state."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(${s.vocabSize}, ${s.embedDim})
        self.${s.cell} = ${layerCall(m.rnn)}
        self.dropout = nn.Dropout(${s.dropout})
        self.fc = ${fc}

    def forward(self, input_ids, state=None):
        x = self.dropout(self.embedding(input_ids.long()))
        out, state = self.${s.cell}(x, state)
        return self.fc(self.dropout(out)), state
`;
}

/**
 * build_model(), vocabulary() (from the exported config.json) and generate(), the same for every
 * language model.
 */
const LANGUAGE_MODEL_TOOLS_SOURCE = `def build_model():
    return LanguageModel()


def vocabulary(path=None):
    """(tokens, tokenizer settings) from the config.json exported beside this file."""
    path = Path(__file__).with_name('config.json') if path is None else path
    config = json.loads(Path(path).read_text(encoding='utf-8'))
    return config['vocab']['tokens'], config['tokenizer']


@torch.no_grad()
def generate(model, prompt, length=200, temperature=1.0, top_k=0, seed=None):
    """Text drawn after prompt, one token at a time, the state carried between steps.
    Character models read the prompt as code points, word models as lower-cased words split on
    spaces (kioku's own tokenizers also split punctuation marks and graphemes)."""
    tokens, tokenizer = vocabulary()
    ids = {t: i for i, t in enumerate(tokens)}
    pad, unk = ids.get('<pad>', 0), ids.get('<unk>', 1)
    chars = tokenizer.get('type') == 'char'
    pieces = list(prompt) if chars else prompt.lower().split()
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(seed) if seed is not None else None
    logits, state = model(torch.tensor([[ids.get(t, unk) for t in pieces]], device=device))
    out = []
    for _ in range(length):
        last = logits[0, -1].clone()
        last[[pad, unk]] = float('-inf')
        if temperature == 0:
            nxt = int(last.argmax())
        else:
            if 0 < top_k < last.numel():
                last[last < last.topk(top_k).values[-1]] = float('-inf')
            probs = torch.softmax(last / temperature, dim=0)
            nxt = int(torch.multinomial(probs, 1, generator=generator))
        out.append(tokens[nxt])
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    return ''.join(out) if chars else ' '.join(out)
`;

function layerSource(rnn: RNN | LSTM | GRU): string {
  return `def build_model():
    return ${layerCall(rnn)}
`;
}

export interface PytorchSourceOptions {
  /**
   * A forecaster's `series` settings from its config.json (target transform, scaling, calendar,
   * intervals, the training data's tail): model.py then also holds `Forecaster`, which turns
   * raw values into forecasts exactly as kioku does.
   */
  series?: unknown;
}

/** The model.py that rebuilds `model` in PyTorch and loads model.safetensors into it. */
export function pytorchModelSource(model: PytorchExportable, options: PytorchSourceOptions = {}): string {
  let body: string;
  if (model instanceof TextClassifier) body = classifierSource(model);
  else if (model instanceof SequenceForecaster) body = forecasterSource(model, options.series);
  else if (model instanceof LanguageModel) body = languageModelSource(model);
  else if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) body = layerSource(model);
  else {
    throw new ValueError(
      `exportPytorch: model must be an RNN, LSTM, GRU, TextClassifier, SequenceForecaster or LanguageModel, got ${modelKind(model)}`,
    );
  }
  return `"""${modelKind(model)} exported by kioku.

    model = load_model()          # reads ${PYTORCH_WEIGHTS_FILE} next to this file
    model = load_model('other.safetensors')
"""
import json
import struct
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

${READER}

${body}

def load_model(path=None):
    """The model with its weights (load_state_dict(strict=True)), in eval mode."""
    path = Path(__file__).with_name('${PYTORCH_WEIGHTS_FILE}') if path is None else path
    model = build_model()
    model.load_state_dict(read_safetensors(path), strict=True)
    return model.eval()


if __name__ == '__main__':
    print(load_model())
`;
}

/** model.safetensors (the state dict under PyTorch's names) and model.py, as file contents. */
export function pytorchFiles(
  model: PytorchExportable,
  options: PytorchSourceOptions = {},
): Record<string, Uint8Array | string> {
  const source = pytorchModelSource(model, options);
  return {
    [PYTORCH_WEIGHTS_FILE]: serializeSafetensors(model.stateDict(), { format: 'pt' }),
    [PYTORCH_SCRIPT_FILE]: source,
  };
}
