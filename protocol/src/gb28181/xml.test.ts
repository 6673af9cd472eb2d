import { describe, expect, it } from 'vitest';
import { childText, el, parseXml, writeXml, type XmlElement } from './xml.ts';

function root(text: string): XmlElement {
  const r = parseXml(text);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value.root;
}

describe('parseXml', () => {
  it('reads the declaration, elements, attributes, text, entities and CDATA', () => {
    const r = parseXml(
      '\ufeff<?xml version="1.0" encoding="GB2312" standalone=\'yes\'?>\r\n' +
        '<!-- device -->\r\n<Response>\r\n  <Name a="x &amp; &quot;y&quot;" b=\'1\'>A &lt;B&gt; &#x5929;&#23425;</Name>\r\n' +
        '  <Note><![CDATA[<raw> & ]]>tail</Note>\r\n  <Empty/>\r\n  <?pi ignored?>\r\n</Response>\r\n\0\0',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.declaration).toEqual({ version: '1.0', encoding: 'GB2312', standalone: 'yes' });
    expect(r.value.root).toEqual(
      el('Response', [
        el('Name', ['A <B> 天宁'], { a: 'x & "y"', b: '1' }),
        el('Note', ['<raw> & tail']),
        el('Empty'),
      ]),
    );
  });

  it('normalises literal whitespace in attributes but not character references', () => {
    expect(root('<a v="1\t2&#9;3"/>').attributes.get('v')).toBe('1 2\t3');
  });

  it('matches child names case-insensitively in accessors', () => {
    expect(childText(root('<Query><DeviceId> 3402 </DeviceId></Query>'), 'DeviceID')).toBe('3402');
  });

  it.each([
    ['', 'xml:syntax'],
    ['just text', 'xml:syntax'],
    ['<a>', 'xml:syntax'],
    ['<a></b>', 'xml:syntax'],
    ['<a><b></a></b>', 'xml:syntax'],
    ['<a/><b/>', 'xml:syntax'],
    ['<a>&unknown;</a>', 'xml:syntax'],
    ['<a>&#0;</a>', 'xml:syntax'],
    ['<a>&#xD800;</a>', 'xml:syntax'],
    ['<a>AT&T</a>', 'xml:syntax'],
    ['<a x="1" x="2"/>', 'xml:syntax'],
    ['<a x=1/>', 'xml:syntax'],
    ['<a x="<"/>', 'xml:syntax'],
    ['<a\u0001/>', 'xml:syntax'],
    ['<a>\u0001</a>', 'xml:syntax'],
    ['<1a/>', 'xml:syntax'],
    ['<a><![CDATA[x</a>', 'xml:syntax'],
    ['<a><!-- x</a>', 'xml:syntax'],
    ['<a/><?xml version="1.0"?>', 'xml:syntax'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'xml:doctype'],
    ['<a><!ENTITY x "y"></a>', 'xml:syntax'],
    [`${'<a>'.repeat(33)}${'</a>'.repeat(33)}`, 'xml:too_deep'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseXml(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('enforces the length and node limits', () => {
    const many = `<a>${'<b/>'.repeat(200)}</a>`;
    expect(parseXml(many, { maxNodes: 100 })).toMatchObject({
      ok: false,
      error: { code: 'xml:too_many_nodes' },
    });
    expect(parseXml(many, { maxLength: 100 })).toMatchObject({ ok: false, error: { code: 'xml:too_large' } });
    expect(parseXml(many).ok).toBe(true);
  });

  it('parses 10 000-deep nesting without recursion when allowed, refuses it by default', () => {
    const deep = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
    expect(parseXml(deep).ok).toBe(false);
    expect(parseXml(deep, { maxDepth: 20_000 }).ok).toBe(true);
  });
});

describe('writeXml', () => {
  it('writes the GB layout: declaration, one element per line, CRLF, escaped text and attributes', () => {
    const text = writeXml({
      declaration: { version: '1.0', encoding: 'GB2312' },
      root: el('Response', [el('Name', ['A&B <天>']), el('DeviceList', [el('Item')], { Num: '1"' })]),
    });
    expect(text).toBe(
      '<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<Name>A&amp;B &lt;天&gt;</Name>\r\n' +
        '<DeviceList Num="1&#34;">\r\n<Item/>\r\n</DeviceList>\r\n</Response>\r\n',
    );
  });

  it('indents on request and round-trips', () => {
    const doc = { root: el('A', [el('B', ['x'], { k: 'v\t' }), el('C', [el('D', [' spaced '])])]) };
    const text = writeXml(doc, { indent: '  ' });
    expect(text).toBe('<A>\r\n  <B k="v&#9;">x</B>\r\n  <C>\r\n    <D> spaced </D>\r\n  </C>\r\n</A>\r\n');
    expect(parseXml(text)).toEqual({ ok: true, value: doc });
  });

  it('drops characters XML cannot carry instead of writing an unparsable document', () => {
    const text = writeXml({ root: el('A', ['a\u0000b\u001fc']) });
    expect(text).toBe('<A>abc</A>\r\n');
  });
});
