/** Small DOM helpers for the playground. */

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

export function svg(id: string): SVGSVGElement {
  return document.getElementById(id) as unknown as SVGSVGElement;
}

/** Shows `text` in a status line; errors in red. */
export function say(node: HTMLElement, text: string, error = false): void {
  node.textContent = text;
  node.classList.toggle('error', error);
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Saves bytes as a file through the browser's download. */
export function download(bytes: Uint8Array | string, name: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A table from a header row and body rows; `best` marks one body row. */
export function fillTable(table: HTMLTableElement, header: string[], rows: string[][], best = -1): void {
  const row = (cells: string[], tag: 'th' | 'td') => {
    const tr = document.createElement('tr');
    for (const c of cells) tr.append(Object.assign(document.createElement(tag), { textContent: c }));
    return tr;
  };
  const head = document.createElement('thead');
  head.append(row(header, 'th'));
  const body = document.createElement('tbody');
  rows.forEach((cells, i) => {
    const tr = row(cells, 'td');
    if (i === best) tr.className = 'best';
    body.append(tr);
  });
  table.replaceChildren(head, body);
}

export const fixed = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
