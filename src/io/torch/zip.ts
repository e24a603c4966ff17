/**
 * The zip container of torch.save (PyTorch ≥ 1.6), read exactly: stored (uncompressed)
 * entries only, located through the central directory (PyTorch's local headers defer sizes to
 * a data descriptor), ZIP64 records honoured, every offset and size checked against the file
 * before use and every entry's CRC-32 verified. Entries are views of the input bytes, so
 * reading costs no copy. Compressed, encrypted or multi-disk archives are refused.
 */
import type { TorchFileError } from './errors.js';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

/** A zip archive's entries by name, as views of the archive's bytes. */
export type ZipEntries = Map<string, Uint8Array>;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as zip uses). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Little-endian reads that fail with a message instead of reading past the end. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly fail: (message: string) => TorchFileError,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private check(at: number, n: number, what: string): void {
    if (at < 0 || at + n > this.bytes.length) {
      throw this.fail(`${what} at byte ${at} runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }

  u16(at: number, what: string): number {
    this.check(at, 2, what);
    return this.view.getUint16(at, true);
  }

  u32(at: number, what: string): number {
    this.check(at, 4, what);
    return this.view.getUint32(at, true);
  }

  /** A u64 that must be a safe integer (no real file comes near 2^53 bytes). */
  u64(at: number, what: string): number {
    this.check(at, 8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} is ${v}, beyond any file size`);
    return Number(v);
  }

  slice(at: number, n: number, what: string): Uint8Array {
    this.check(at, n, what);
    return this.bytes.subarray(at, at + n);
  }
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

/** The end-of-central-directory record, searched backwards over the comment (≤ 65535 bytes). */
function findDirectory(r: Reader, fail: (m: string) => TorchFileError): Directory {
  const n = r.bytes.length;
  let at = -1;
  for (let p = n - 22; p >= 0 && p >= n - 22 - 0xffff; p--) {
    if (r.u32(p, 'end record') === EOCD && p + 22 + r.u16(p + 20, 'comment length') === n) {
      at = p;
      break;
    }
  }
  if (at < 0) throw fail('no zip end-of-central-directory record (not a zip archive, or truncated)');
  if (r.u16(at + 4, 'disk number') !== 0 || r.u16(at + 6, 'directory disk') !== 0) {
    throw fail('multi-disk zip archives are not supported');
  }
  let dir: Directory = {
    count: r.u16(at + 10, 'entry count'),
    size: r.u32(at + 12, 'directory size'),
    offset: r.u32(at + 16, 'directory offset'),
  };
  // PyTorch always writes the ZIP64 records; their values are authoritative when present.
  if (at >= 20 && r.u32(at - 20, 'zip64 locator') === ZIP64_LOCATOR) {
    const z = r.u64(at - 12, 'zip64 end record offset');
    if (r.u32(z, 'zip64 end record') !== ZIP64_EOCD) throw fail(`no zip64 end record at byte ${z}`);
    dir = {
      count: r.u64(z + 32, 'zip64 entry count'),
      size: r.u64(z + 40, 'zip64 directory size'),
      offset: r.u64(z + 48, 'zip64 directory offset'),
    };
  }
  if (dir.offset + dir.size > at) {
    throw fail(`the central directory [${dir.offset}, ${dir.offset + dir.size}) overlaps the end record`);
  }
  if (dir.count * 46 > dir.size) {
    throw fail(`${dir.count} entries cannot fit in a ${dir.size}-byte central directory`);
  }
  return dir;
}

interface CentralEntry {
  name: string;
  crc: number;
  size: number;
  localOffset: number;
  next: number;
}

/** Sizes and offset, replaced by the ZIP64 extra field (id 1) where they read 0xFFFFFFFF. */
function zip64Values(r: Reader, extra: number, extraEnd: number, values: number[], name: string): number[] {
  const out = [...values];
  for (let p = extra; p + 4 <= extraEnd; ) {
    const id = r.u16(p, 'extra field id');
    const len = r.u16(p + 2, 'extra field length');
    if (p + 4 + len > extraEnd) break;
    if (id === 1) {
      let q = p + 4;
      for (let k = 0; k < out.length; k++) {
        if (out[k] !== U32_MAX) continue;
        if (q + 8 > p + 4 + len) break;
        out[k] = r.u64(q, `zip64 value of "${name}"`);
        q += 8;
      }
    }
    p += 4 + len;
  }
  return out;
}

function centralEntry(r: Reader, at: number, end: number, fail: (m: string) => TorchFileError): CentralEntry {
  if (at + 46 > end || r.u32(at, 'central directory entry') !== CENTRAL) {
    throw fail(`the central directory entry at byte ${at} is damaged`);
  }
  const flags = r.u16(at + 8, 'flags');
  const method = r.u16(at + 10, 'compression method');
  const nameLen = r.u16(at + 28, 'name length');
  const extraLen = r.u16(at + 30, 'extra length');
  const commentLen = r.u16(at + 32, 'comment length');
  const next = at + 46 + nameLen + extraLen + commentLen;
  if (next > end) throw fail(`the central directory entry at byte ${at} runs past the directory`);
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(r.slice(at + 46, nameLen, 'entry name'));
  } catch {
    throw fail(`the entry name at byte ${at + 46} is not valid UTF-8`);
  }
  if (flags & 1) throw fail(`entry "${name}" is encrypted`);
  // Nothing is extracted, but torch.save writes only relative names: one that climbs out is crafted.
  if (name.startsWith('/') || /(^|[/\\])\.\.([/\\]|$)|\\|\0/.test(name)) {
    throw fail(`entry name "${name.slice(0, 80)}" is not a relative path inside the archive`);
  }
  const [usize, csize, localOffset] = zip64Values(
    r,
    at + 46 + nameLen,
    at + 46 + nameLen + extraLen,
    [r.u32(at + 24, 'size'), r.u32(at + 20, 'compressed size'), r.u32(at + 42, 'local header offset')],
    name,
  ) as [number, number, number];
  if (method !== 0 || csize !== usize) {
    throw fail(
      `entry "${name}" is compressed (method ${method}); torch.save stores entries uncompressed, so re-save the file with torch.save`,
    );
  }
  return { name, crc: r.u32(at + 16, 'crc'), size: usize, localOffset, next };
}

/**
 * The entries of a zip archive of stored entries, by name. Throws TorchFileError naming the
 * first problem: no end record, a damaged directory or local header, a duplicate name, data
 * past the end, a compressed or encrypted entry, or a CRC mismatch.
 */
export function readStoredZip(bytes: Uint8Array, fail: (m: string) => TorchFileError): ZipEntries {
  const r = new Reader(bytes, fail);
  const dir = findDirectory(r, fail);
  const entries: ZipEntries = new Map();
  const end = dir.offset + dir.size;
  let at = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    const e = centralEntry(r, at, end, fail);
    at = e.next;
    if (entries.has(e.name)) throw fail(`the archive holds two entries named "${e.name}"`);
    const local = e.localOffset;
    if (r.u32(local, `local header of "${e.name}"`) !== LOCAL) {
      throw fail(`the local header of "${e.name}" at byte ${local} is damaged`);
    }
    const start = local + 30 + r.u16(local + 26, 'name length') + r.u16(local + 28, 'extra length');
    if (start + e.size > dir.offset) {
      throw fail(`entry "${e.name}" (${e.size} bytes at byte ${start}) runs into the central directory`);
    }
    const data = r.slice(start, e.size, `entry "${e.name}"`);
    if (crc32(data) !== e.crc) throw fail(`entry "${e.name}" fails its CRC-32 check (the file is damaged)`);
    entries.set(e.name, data);
  }
  return entries;
}
