/**
 * The token → id lookup of a vocabulary: open addressing over an Int32Array, keyed by FNV-1a of
 * the token's UTF-16 code units. A served text's tokens are fresh strings, whose hash `Map.get`
 * has V8 compute in a runtime call on first use; hashing them here in JS takes about half the
 * time per token (bench/vocab-lookup.ts).
 */

/** FNV-1a (32-bit) over the UTF-16 code units of `s`. */
function tokenHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class TokenTable {
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** `tokens` are distinct; token i gets id i. */
  constructor(private readonly tokens: readonly string[]) {
    // At most half full, so a probe for a missing token soon meets an empty slot.
    const size = 2 ** Math.max(4, Math.ceil(Math.log2(tokens.length * 2 + 1)));
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    tokens.forEach((t, id) => {
      let j = tokenHash(t) & this.mask;
      while (this.slots[j] !== -1) j = (j + 1) & this.mask;
      this.slots[j] = id;
    });
  }

  /** The id of `token`, or `missing` when the table does not hold it. */
  id(token: string, missing: number): number {
    if (typeof token !== 'string') return missing;
    const { slots, mask, tokens } = this;
    for (let j = tokenHash(token) & mask; ; j = (j + 1) & mask) {
      const id = slots[j]!;
      if (id === -1) return missing;
      if (tokens[id] === token) return id;
    }
  }
}
