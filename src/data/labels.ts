/**
 * Label hygiene for labelled text files: labels are trimmed, rows with an empty label or a
 * missing-value marker (NaN, NA, N/A, null, None: what spreadsheets and pandas write for a
 * missing cell, as the series loaders read them) are set apart, and numeric labels are written one way ("1", "1.0" and "01" are one class, "1") when
 * every label is a number. What changed is returned, so a caller can report it.
 */

/** A decimal number as a label may spell it: "1", "-2.50", "01", ".5", "1e3". */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
/** Labels that mean "no label", compared case-insensitively after trimming. */
const MISSING_MARKERS = new Set(['', 'na', 'nan', 'n/a', 'null', 'none']);
/** Significant digits a float64 holds exactly: longer numbers are left as written. */
const EXACT_DIGITS = 15;

/** The number `label` spells, written canonically ("1.0" → "1"), or null when it is not one. */
function canonicalNumber(label: string): string | null {
  if (!DECIMAL.test(label)) return null;
  const digits = label
    .replace(/e.*$/i, '')
    .replace(/\D/g, '')
    .replace(/^0+|0+$/g, '');
  const n = Number(label);
  return digits.length <= EXACT_DIGITS && Number.isFinite(n) ? String(n) : null;
}

/** A label written another way in the file than as its class. */
export interface RenamedLabel {
  from: string;
  to: string;
  rows: number;
}

export interface LabelChanges {
  /** Labels that became another class name (trimmed, or a number written canonically), by first appearance. */
  renamed: RenamedLabel[];
  /** Rows left out because their label is empty (or only spaces) or a missing-value marker. */
  emptyRows: number;
  /** The missing-value markers among them, as written (trimmed), by first appearance. */
  missingMarkers: string[];
  /** The line of the first such row in the file, when known. */
  firstEmptyLine: number | null;
}

/**
 * Normalises the labels of `rows`: trimmed; numbers written canonically when every label is a
 * number (or, with `classes` fixed, mapped to the numeric class of the same value). Rows with an
 * empty label or a missing-value marker are dropped. Returns the rows kept, their labels, and what changed.
 */
export function normaliseLabels<R extends { label: string; line?: number }>(
  rows: readonly R[],
  classes?: readonly string[],
): { rows: R[]; labels: string[]; changes: LabelChanges } {
  // A fixed class spelled like a marker (a model trained with a class "None") stays a class.
  const missing = (label: string): boolean => {
    const t = label.trim();
    return MISSING_MARKERS.has(t.toLowerCase()) && !(classes ?? []).includes(t);
  };
  const kept = rows.filter((r) => !missing(r.label));
  const firstEmpty = rows.find((r) => missing(r.label));
  const markers = new Set(
    rows.filter((r) => missing(r.label) && r.label.trim() !== '').map((r) => r.label.trim()),
  );
  const trimmed = kept.map((r) => r.label.trim());
  const canonical = numericClasses(trimmed, classes);
  const labels = canonical ? trimmed.map((l) => canonical.get(l) ?? l) : trimmed;
  const renamed = new Map<string, RenamedLabel>();
  for (const [i, r] of kept.entries()) {
    if (r.label === labels[i]) continue;
    const entry = renamed.get(r.label) ?? { from: r.label, to: labels[i]!, rows: 0 };
    entry.rows++;
    renamed.set(r.label, entry);
  }
  return {
    rows: kept,
    labels,
    changes: {
      renamed: [...renamed.values()],
      emptyRows: rows.length - kept.length,
      missingMarkers: [...markers],
      firstEmptyLine: firstEmpty?.line ?? null,
    },
  };
}

/**
 * Each numeric label → its class: its canonical spelling, or the fixed class of the same value.
 * Null when some label (or some fixed class) is not a number: such labels stay as written.
 */
function numericClasses(labels: readonly string[], classes?: readonly string[]): Map<string, string> | null {
  const map = new Map<string, string>();
  for (const label of new Set(labels)) {
    const c = canonicalNumber(label);
    if (c === null) return null;
    map.set(label, c);
  }
  if (classes === undefined) return map;
  const byValue = new Map<string, string>();
  for (const cls of classes) {
    const c = canonicalNumber(cls);
    if (c === null) return null;
    byValue.set(c, cls);
  }
  for (const [label, c] of map) map.set(label, byValue.get(c) ?? label);
  return map;
}
