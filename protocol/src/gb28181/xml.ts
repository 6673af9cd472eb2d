import { fail, type GbResult, ok } from './result.ts';

/**
 * A small strict XML 1.0 reader and writer for MANSCDP bodies: elements, attributes, text,
 * the five predefined entities and character references, CDATA, comments and processing
 * instructions (skipped), the XML declaration. No DOCTYPE (refused: no entity expansion), no
 * namespaces processing (prefixed names are kept as they are). Iterative with limits on length,
 * depth and node count, so hostile input cannot exhaust the stack or memory. Never throws.
 */

export interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  /** Child elements and text (adjacent text and CDATA merged; whitespace-only text dropped). */
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

export interface XmlDeclaration {
  version: string;
  encoding?: string;
  standalone?: string;
}

export interface XmlDocument {
  declaration?: XmlDeclaration;
  root: XmlElement;
}

export interface XmlLimits {
  /** Characters of input (default 1 Mi). */
  maxLength?: number;
  /** Element nesting (default 32). */
  maxDepth?: number;
  /** Elements plus text nodes (default 100 000). */
  maxNodes?: number;
  /** Attributes on one element (default 64). */
  maxAttributes?: number;
}

function isNameStart(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x5f ||
    c === 0x3a ||
    (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x1fff && c !== 0x37e) ||
    (c >= 0x200c && c <= 0x200d) ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd)
  );
}

function isNameChar(c: number): boolean {
  return (
    isNameStart(c) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0xb7 ||
    (c >= 0x300 && c <= 0x36f) ||
    (c >= 0x203f && c <= 0x2040)
  );
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Characters XML 1.0 allows (surrogates are checked as pairs by the caller's decoder). */
function isBadChar(c: number): boolean {
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class XmlSyntax {
  constructor(
    readonly code: 'xml:syntax' | 'xml:too_deep' | 'xml:too_many_nodes' | 'xml:doctype',
    readonly message: string,
  ) {}
}

/** Parses a document. Trailing whitespace and NUL bytes after the root are tolerated. */
export function parseXml(text: string, limits: XmlLimits = {}): GbResult<XmlDocument> {
  const maxLength = limits.maxLength ?? 1024 * 1024;
  if (text.length > maxLength) return fail('xml:too_large', `document over ${maxLength} characters`);
  const r = new Reader(text, limits);
  const res = r.document();
  if (res instanceof XmlSyntax) return fail(res.code, res.message);
  return ok(res);
}

class Reader {
  #pos = 0;
  #nodes = 0;
  readonly #s: string;
  readonly #maxDepth: number;
  readonly #maxNodes: number;
  readonly #maxAttributes: number;

  constructor(s: string, limits: XmlLimits) {
    this.#s = s;
    this.#maxDepth = limits.maxDepth ?? 32;
    this.#maxNodes = limits.maxNodes ?? 100_000;
    this.#maxAttributes = limits.maxAttributes ?? 64;
  }

  #err(message: string): XmlSyntax {
    return new XmlSyntax('xml:syntax', `${message} at ${this.#pos}`);
  }

  #skipSpace(): void {
    while (this.#pos < this.#s.length && isSpace(this.#s.charCodeAt(this.#pos))) this.#pos++;
  }

  #startsWith(lit: string): boolean {
    return this.#s.startsWith(lit, this.#pos);
  }

  document(): XmlDocument | XmlSyntax {
    const s = this.#s;
    if (s.charCodeAt(0) === 0xfeff) this.#pos = 1;
    let declaration: XmlDeclaration | undefined;
    if (this.#startsWith('<?xml') && isSpace(s.charCodeAt(this.#pos + 5))) {
      const d = this.#declaration();
      if (d instanceof XmlSyntax) return d;
      declaration = d;
    }
    const before = this.#misc();
    if (before) return before;
    if (this.#startsWith('<!DOCTYPE') || this.#startsWith('<!doctype')) {
      return new XmlSyntax('xml:doctype', 'DOCTYPE is not accepted');
    }
    if (this.#pos >= s.length || s[this.#pos] !== '<') return this.#err('expected the root element');
    const root = this.#element();
    if (root instanceof XmlSyntax) return root;
    const after = this.#misc();
    if (after) return after;
    while (this.#pos < s.length && (s.charCodeAt(this.#pos) === 0 || isSpace(s.charCodeAt(this.#pos))))
      this.#pos++;
    if (this.#pos < s.length) return this.#err('content after the root element');
    return declaration ? { declaration, root } : { root };
  }

  #declaration(): XmlDeclaration | XmlSyntax {
    const end = this.#s.indexOf('?>', this.#pos);
    if (end < 0) return this.#err('unterminated XML declaration');
    const body = this.#s.slice(this.#pos + 5, end);
    this.#pos = end + 2;
    const attrs = new Map<string, string>();
    const re = /\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
    let at = 0;
    for (;;) {
      re.lastIndex = at;
      const m = re.exec(body);
      if (!m) break;
      attrs.set(m[1] as string, (m[2] ?? m[3]) as string);
      at = re.lastIndex;
    }
    if (body.slice(at).trim() !== '') return this.#err('bad XML declaration');
    const version = attrs.get('version');
    if (version === undefined) return this.#err('XML declaration without version');
    const decl: XmlDeclaration = { version };
    const encoding = attrs.get('encoding');
    if (encoding !== undefined) decl.encoding = encoding;
    const standalone = attrs.get('standalone');
    if (standalone !== undefined) decl.standalone = standalone;
    return decl;
  }

  /** Whitespace, comments and processing instructions outside the root. */
  #misc(): XmlSyntax | undefined {
    for (;;) {
      this.#skipSpace();
      if (this.#startsWith('<!--')) {
        const e = this.#comment();
        if (e) return e;
      } else if (this.#startsWith('<?')) {
        const e = this.#pi();
        if (e) return e;
      } else return undefined;
    }
  }

  #comment(): XmlSyntax | undefined {
    const end = this.#s.indexOf('-->', this.#pos + 4);
    if (end < 0) return this.#err('unterminated comment');
    this.#pos = end + 3;
    return undefined;
  }

  #pi(): XmlSyntax | undefined {
    const end = this.#s.indexOf('?>', this.#pos + 2);
    if (end < 0) return this.#err('unterminated processing instruction');
    const target = /^<\?([^\s?]+)/.exec(this.#s.slice(this.#pos, Math.min(end + 1, this.#pos + 64)));
    if (!target || (target[1] as string).toLowerCase() === 'xml') return this.#err('misplaced declaration');
    this.#pos = end + 2;
    return undefined;
  }

  #name(): string | XmlSyntax {
    const s = this.#s;
    const start = this.#pos;
    if (start >= s.length || !isNameStart(s.charCodeAt(start))) return this.#err('expected a name');
    this.#pos++;
    while (this.#pos < s.length && isNameChar(s.charCodeAt(this.#pos))) this.#pos++;
    return s.slice(start, this.#pos);
  }

  /**
   * Decodes text up to `stop` (exclusive), resolving entities. In attribute values (`attr`) literal
   * tabs and line ends become spaces (XML 1.0 §3.3.3); character references are kept as they are.
   */
  #text(start: number, stop: number, attr = false): string | XmlSyntax {
    const s = this.#s;
    let out = '';
    let i = start;
    while (i < stop) {
      // One pass up to the next '&' (never past `stop`: indexOf would rescan the rest of the document).
      let chunkEnd = i;
      for (; chunkEnd < stop; chunkEnd++) {
        const c = s.charCodeAt(chunkEnd);
        if (c === 0x26) break;
        if (isBadChar(c)) {
          this.#pos = chunkEnd;
          return this.#err('character not allowed in XML');
        }
      }
      const amp = chunkEnd;
      const literal = s.slice(i, chunkEnd);
      out += attr ? literal.replace(/[\t\n\r]/g, ' ') : literal;
      if (chunkEnd === stop) break;
      let semi = amp + 1;
      while (semi < stop && semi - amp <= 12 && s.charCodeAt(semi) !== 0x3b) semi++;
      if (semi >= stop || s.charCodeAt(semi) !== 0x3b) {
        this.#pos = amp;
        return this.#err('bad entity reference');
      }
      const ref = s.slice(amp + 1, semi);
      const pre = PREDEFINED[ref];
      if (pre !== undefined && Object.hasOwn(PREDEFINED, ref)) out += pre;
      else {
        const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
        const cp = m ? (m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2])) : -1;
        if (cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || isBadChar(cp)) {
          this.#pos = amp;
          return this.#err(`unknown entity &${ref};`);
        }
        out += String.fromCodePoint(cp);
      }
      i = semi + 1;
    }
    return out;
  }

  #countNode(): XmlSyntax | undefined {
    this.#nodes++;
    if (this.#nodes > this.#maxNodes)
      return new XmlSyntax('xml:too_many_nodes', `more than ${this.#maxNodes} nodes`);
    return undefined;
  }

  /** An element with everything inside it; iterative (explicit stack). */
  #element(): XmlElement | XmlSyntax {
    const s = this.#s;
    const stack: { el: XmlElement; text: string }[] = [];
    let root: XmlElement | undefined;
    const addText = (t: string) => {
      const top = stack[stack.length - 1];
      if (top) top.text += t;
    };
    const flushText = (): XmlSyntax | undefined => {
      const top = stack[stack.length - 1];
      if (!top || top.text === '') return undefined;
      if (top.text.trim() !== '') {
        const e = this.#countNode();
        if (e) return e;
        top.el.children.push(top.text);
      }
      top.text = '';
      return undefined;
    };
    do {
      if (this.#pos >= s.length) return this.#err('unexpected end of document');
      if (s.charCodeAt(this.#pos) !== 0x3c) {
        // Text up to the next '<'.
        const lt = s.indexOf('<', this.#pos);
        const stop = lt < 0 ? s.length : lt;
        const t = this.#text(this.#pos, stop);
        if (t instanceof XmlSyntax) return t;
        addText(t);
        this.#pos = stop;
        continue;
      }
      const next = s.charCodeAt(this.#pos + 1);
      if (next === 0x21 /* ! */ && this.#startsWith('<![CDATA[')) {
        const end = s.indexOf(']]>', this.#pos + 9);
        if (end < 0) return this.#err('unterminated CDATA');
        const t = s.slice(this.#pos + 9, end);
        for (let k = 0; k < t.length; k++)
          if (isBadChar(t.charCodeAt(k))) return this.#err('bad character in CDATA');
        addText(t);
        this.#pos = end + 3;
        continue;
      }
      if (next === 0x21 && this.#startsWith('<!--')) {
        const e = this.#comment();
        if (e) return e;
        continue;
      }
      if (next === 0x3f /* ? */) {
        const e = this.#pi();
        if (e) return e;
        continue;
      }
      if (next === 0x21) return this.#err('unexpected markup declaration');
      if (next === 0x2f /* / */) {
        this.#pos += 2;
        const name = this.#name();
        if (name instanceof XmlSyntax) return name;
        this.#skipSpace();
        if (s[this.#pos] !== '>') return this.#err('expected ">"');
        this.#pos++;
        const top = stack[stack.length - 1];
        if (!top || top.el.name !== name) return this.#err(`mismatched end tag </${name}>`);
        const e = flushText();
        if (e) return e;
        stack.pop();
        continue;
      }
      // Start tag.
      const fe = flushText();
      if (fe) return fe;
      this.#pos++;
      const name = this.#name();
      if (name instanceof XmlSyntax) return name;
      const el: XmlElement = { name, attributes: new Map(), children: [] };
      const ce = this.#countNode();
      if (ce) return ce;
      for (;;) {
        const hadSpace = this.#pos < s.length && isSpace(s.charCodeAt(this.#pos));
        this.#skipSpace();
        const c = s[this.#pos];
        if (c === '>' || c === '/') break;
        if (c === undefined) return this.#err('unexpected end in start tag');
        if (!hadSpace) return this.#err('expected whitespace before attribute');
        const an = this.#name();
        if (an instanceof XmlSyntax) return an;
        this.#skipSpace();
        if (s[this.#pos] !== '=') return this.#err('expected "="');
        this.#pos++;
        this.#skipSpace();
        const q = s[this.#pos];
        if (q !== '"' && q !== "'") return this.#err('expected a quoted attribute value');
        const end = s.indexOf(q, this.#pos + 1);
        if (end < 0) return this.#err('unterminated attribute value');
        const rawStart = this.#pos + 1;
        if (s.slice(rawStart, end).includes('<')) return this.#err('"<" in attribute value');
        const v = this.#text(rawStart, end, true);
        if (v instanceof XmlSyntax) return v;
        if (el.attributes.has(an)) return this.#err(`duplicate attribute ${an}`);
        if (el.attributes.size >= this.#maxAttributes) return this.#err('too many attributes');
        el.attributes.set(an, v);
        this.#pos = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.el.children.push(el);
      else root = el;
      if (s[this.#pos] === '/') {
        if (s[this.#pos + 1] !== '>') return this.#err('expected "/>"');
        this.#pos += 2;
      } else {
        this.#pos++;
        if (stack.length + 1 > this.#maxDepth) {
          return new XmlSyntax('xml:too_deep', `nesting deeper than ${this.#maxDepth}`);
        }
        stack.push({ el, text: '' });
      }
    } while (stack.length > 0);
    if (!root) return this.#err('no root element');
    return root;
  }
}

// --- accessors -----------------------------------------------------------------------------------

export function elementChildren(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string');
}

/** First child element named `name` (ASCII case-insensitive: devices vary in spelling). */
export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  const want = name.toLowerCase();
  for (const c of el.children) if (typeof c !== 'string' && c.name.toLowerCase() === want) return c;
  return undefined;
}

export function childElementsNamed(el: XmlElement, name: string): XmlElement[] {
  const want = name.toLowerCase();
  return elementChildren(el).filter((c) => c.name.toLowerCase() === want);
}

/** Direct text of an element, trimmed. */
export function elementText(el: XmlElement): string {
  let out = '';
  for (const c of el.children) if (typeof c === 'string') out += c;
  return out.trim();
}

/** Trimmed text of the first child named `name`; `undefined` when absent or empty. */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = childElement(el, name);
  if (!c) return undefined;
  const t = elementText(c);
  return t === '' ? undefined : t;
}

// --- writer ------------------------------------------------------------------------------------------

export function escapeXmlText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttr(text: string): string {
  return text.replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Strips characters XML 1.0 cannot carry (control characters), so output always re-parses. */
function xmlSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

/** An element: `el('Item', [el('DeviceID', ['3402…'])])`. */
export function el(name: string, children: XmlNode[] = [], attributes?: Record<string, string>): XmlElement {
  return { name, attributes: new Map(Object.entries(attributes ?? {})), children };
}

/**
 * Writes a document: declaration (when given), one element per line, text inline, CRLF line ends,
 * `indent` per level (default none, as most GB devices send).
 */
export function writeXml(doc: XmlDocument, options: { indent?: string } = {}): string {
  const indent = options.indent ?? '';
  const lines: string[] = [];
  if (doc.declaration) {
    const d = doc.declaration;
    let decl = `<?xml version="${escapeAttr(d.version)}"`;
    if (d.encoding !== undefined) decl += ` encoding="${escapeAttr(d.encoding)}"`;
    if (d.standalone !== undefined) decl += ` standalone="${escapeAttr(d.standalone)}"`;
    lines.push(`${decl}?>`);
  }
  // Iterative walk, so a deep tree cannot overflow the stack.
  type Step =
    | { open: XmlElement; depth: number }
    | { close: string; depth: number }
    | { text: string; depth: number };
  const stack: Step[] = [{ open: doc.root, depth: 0 }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    const pad = indent.repeat(step.depth);
    if ('close' in step) {
      lines.push(`${pad}</${step.close}>`);
      continue;
    }
    if ('text' in step) {
      lines.push(`${pad}${escapeXmlText(xmlSafe(step.text))}`);
      continue;
    }
    const node = step.open;
    let open = `<${node.name}`;
    for (const [k, v] of node.attributes) open += ` ${k}="${escapeAttr(xmlSafe(v))}"`;
    if (node.children.every((c) => typeof c === 'string')) {
      const text = node.children.join('');
      lines.push(
        text === '' ? `${pad}${open}/>` : `${pad}${open}>${escapeXmlText(xmlSafe(text))}</${node.name}>`,
      );
      continue;
    }
    lines.push(`${pad}${open}>`);
    stack.push({ close: node.name, depth: step.depth });
    for (let i = node.children.length - 1; i >= 0; i--) {
      const c = node.children[i] as XmlNode;
      if (typeof c !== 'string') stack.push({ open: c, depth: step.depth + 1 });
      else if (c.trim() !== '') stack.push({ text: c, depth: step.depth + 1 });
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
