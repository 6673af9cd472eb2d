import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GbCharset } from './charset.ts';
import { fuzzRuns, mutatedBytes, now } from './fuzz-support.ts';
import {
  type CatalogItem,
  catalogEventSchema,
  encodeManscdp,
  type ManscdpMessage,
  parseManscdp,
  writeManscdp,
} from './manscdp.ts';
import { parseXml, writeXml, type XmlElement, type XmlNode } from './xml.ts';

const RUNS = fuzzRuns();
const TIMEOUT = 120_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

// --- generators ---------------------------------------------------------------------------------

/** Text as a reader keeps it: no control characters, not blank, no outer whitespace. */
const chars = Array.from('abcXYZ019 .-_&<>"\'#;天宁区常州监控𠀀');
const value = (max: number) =>
  fc
    .string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: max })
    .map((t) => t.trim())
    .filter((t) => t !== '');
const gbChars = Array.from('abcXYZ019 .-_&<>"\'#;天宁区常州监控');
/** Only characters GBK can encode (a GB2312 answer cannot carry the others). */
const gbValue = (max: number) =>
  fc
    .string({ unit: fc.constantFrom(...gbChars), minLength: 1, maxLength: max })
    .map((t) => t.trim())
    .filter((t) => t !== '');
const gbId = fc.stringMatching(/^\d{20}$/);
const sn = fc.integer({ min: 0, max: 2 ** 31 });

const xmlName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,6}$/);
const xmlText = fc
  .string({ unit: fc.constantFrom(...Array.from('ab 天&<>"\'\t\r\n;#𠀀]]>')), minLength: 1, maxLength: 12 })
  .filter((t) => /\S/.test(t));
const xmlTree: fc.Arbitrary<XmlElement> = fc.letrec<{ node: XmlElement }>((tie) => ({
  node: fc.record({
    name: xmlName,
    attributes: fc
      .dictionary(xmlName, fc.string({ unit: fc.constantFrom(...Array.from('a \t\n"&<天')), maxLength: 6 }), {
        maxKeys: 3,
      })
      .map((d) => new Map(Object.entries(d))),
    children: fc.oneof(
      { depthSize: 'small' },
      fc.constant<XmlNode[]>([]),
      xmlText.map((t) => [t]),
      fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    ),
  }),
})).node;

function catalogItem(
  text: (max: number) => fc.Arbitrary<string>,
  withEvent: boolean,
): fc.Arbitrary<CatalogItem> {
  const bit = fc.integer({ min: 0, max: 1 });
  const small = fc.integer({ min: 0, max: 99 });
  return fc.record(
    {
      deviceId: gbId,
      ...(withEvent ? { event: fc.constantFrom(...catalogEventSchema.options) } : {}),
      name: text(30),
      manufacturer: text(10),
      model: text(10),
      owner: text(10),
      civilCode: fc.stringMatching(/^\d{6}$/),
      block: text(10),
      address: text(30),
      parental: bit,
      parentId: gbId,
      safetyWay: small,
      registerWay: small,
      certNum: text(10),
      certifiable: bit,
      errCode: fc.integer({ min: 0, max: 999 }),
      endTime: text(10),
      secrecy: bit,
      ipAddress: fc.ipV4(),
      port: fc.integer({ min: 0, max: 65535 }),
      status: fc.constantFrom('ON' as const, 'OFF' as const),
      longitude: fc.integer({ min: -1_800_000_000, max: 1_800_000_000 }).map((n) => n / 1e7),
      latitude: fc.integer({ min: -900_000_000, max: 900_000_000 }).map((n) => n / 1e7),
      ptzType: small,
      roomType: small,
      useType: small,
      resolution: text(10),
      businessGroupId: gbId,
    },
    { requiredKeys: ['deviceId'] },
  ) as fc.Arbitrary<CatalogItem>;
}

function messages(text: (max: number) => fc.Arbitrary<string>): fc.Arbitrary<ManscdpMessage> {
  const h = { sn, deviceId: gbId };
  const page = (kind: 'catalog_response' | 'catalog_notify') =>
    fc
      .tuple(
        sn,
        gbId,
        fc.array(catalogItem(text, kind === 'catalog_notify'), { maxLength: 4 }),
        fc.nat({ max: 10 }),
      )
      .map(
        ([s, d, items, extra]): ManscdpMessage => ({
          kind,
          sn: s,
          deviceId: d,
          sumNum: items.length + extra,
          listNum: items.length,
          items,
          invalidItems: 0,
        }),
      );
  return fc.oneof(
    fc.record(
      {
        kind: fc.constant('keepalive' as const),
        ...h,
        status: text(4),
        faultyDeviceIds: fc.array(gbId, { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: ['kind', 'sn', 'deviceId', 'status'] },
    ),
    fc.record(
      { kind: fc.constant('catalog_query' as const), ...h, startTime: text(19), endTime: text(19) },
      { requiredKeys: ['kind', 'sn', 'deviceId'] },
    ),
    page('catalog_response'),
    page('catalog_notify'),
    fc.record({ kind: fc.constant('device_info_query' as const), ...h }),
    fc.record(
      {
        kind: fc.constant('device_info_response' as const),
        ...h,
        result: fc.constantFrom('OK' as const, 'ERROR' as const),
        deviceName: text(20),
        manufacturer: text(20),
        model: text(20),
        firmware: text(20),
        channel: fc.nat({ max: 1000 }),
      },
      { requiredKeys: ['kind', 'sn', 'deviceId'] },
    ),
    fc.record({ kind: fc.constant('device_status_query' as const), ...h }),
    fc.record(
      {
        kind: fc.constant('device_status_response' as const),
        ...h,
        result: fc.constantFrom('OK' as const, 'ERROR' as const),
        online: fc.constantFrom('ONLINE' as const, 'OFFLINE' as const),
        status: fc.constantFrom('OK' as const, 'ERROR' as const),
        reason: text(20),
        encode: fc.constantFrom('ON' as const, 'OFF' as const),
        record: fc.constantFrom('ON' as const, 'OFF' as const),
        deviceTime: text(19),
        alarms: fc.array(fc.record({ deviceId: gbId, dutyStatus: text(8) }), { maxLength: 3 }),
      },
      { requiredKeys: ['kind', 'sn', 'deviceId'] },
    ),
    fc.record(
      {
        kind: fc.constant('device_control' as const),
        ...h,
        ptz: fc
          .record({
            pan: fc.constantFrom('left' as const, 'right' as const, null),
            tilt: fc.constantFrom('up' as const, 'down' as const, null),
            zoom: fc.constantFrom('in' as const, 'out' as const, null),
            panSpeed: fc.integer({ min: 0, max: 255 }),
            tiltSpeed: fc.integer({ min: 0, max: 255 }),
            zoomSpeed: fc.integer({ min: 0, max: 15 }),
            address: fc.integer({ min: 0, max: 0xfff }),
          })
          .map(({ address, ...c }) => ({
            ok: true as const,
            value: { address, command: { kind: 'ptz' as const, ...c } },
          })),
        iFrame: fc.constant(true as const),
        teleBoot: fc.constant(true as const),
        recordCmd: fc.constantFrom('Record' as const, 'StopRecord' as const),
        guardCmd: fc.constantFrom('SetGuard' as const, 'ResetGuard' as const),
        controlPriority: fc.integer({ min: 0, max: 99 }),
      },
      { requiredKeys: ['kind', 'sn', 'deviceId'] },
    ),
    fc.record({
      kind: fc.constant('device_control_response' as const),
      ...h,
      result: fc.constantFrom('OK' as const, 'ERROR' as const),
    }),
  ) as fc.Arbitrary<ManscdpMessage>;
}

/** GB2312 answers only with GBK characters; UTF-8 and GB18030 with anything. */
const messageAndCharset: fc.Arbitrary<[ManscdpMessage, GbCharset]> = fc.oneof(
  fc.tuple(messages(value), fc.constantFrom<GbCharset>('UTF-8', 'GB18030')),
  fc.tuple(messages(gbValue), fc.constant<GbCharset>('GB2312')),
);

const DEV = '34020000001320000001';
const SAMPLES = [
  enc.encode(
    `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>44</SN>\r\n<DeviceID>${DEV}</DeviceID>\r\n<Status>OK</Status>\r\n<Info><DeviceID>1</DeviceID></Info>\r\n</Notify>\r\n`,
  ),
  // A GB2312 catalog page (名称 bytes as a device sends them).
  Uint8Array.from([
    ...enc.encode(
      `<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>${DEV}</DeviceID>\r\n<SumNum>3</SumNum>\r\n<DeviceList Num="1">\r\n<Item>\r\n<DeviceID>32040200001310000001</DeviceID>\r\n<Name>`,
    ),
    0xd1,
    0xd3,
    0xc1,
    0xea,
    0xce,
    0xf7,
    0xc2,
    0xb7,
    ...enc.encode(
      '</Name>\r\n<Manufacturer>Hik</Manufacturer>\r\n<CivilCode>320402</CivilCode>\r\n<Parental>0</Parental>\r\n<Secrecy>0</Secrecy>\r\n<Status>ON</Status>\r\n<Longitude>119.97</Longitude>\r\n<Latitude>31.78</Latitude>\r\n<Info>\r\n<PTZType>1</PTZType>\r\n</Info>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n',
    ),
  ]),
  enc.encode(
    `<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>Catalog</CmdType><SN>9</SN><DeviceID>${DEV}</DeviceID><SumNum>1</SumNum><DeviceList Num="1"><Item><DeviceID>32040200001310000002</DeviceID><Event>ADD</Event><Name>天宁</Name></Item></DeviceList></Notify>`,
  ),
  enc.encode(
    `<?xml version="1.0" encoding="GB18030"?><Control><CmdType>DeviceControl</CmdType><SN>11</SN><DeviceID>${DEV}</DeviceID><PTZCmd>A50F010280000037</PTZCmd><IFameCmd>Send</IFameCmd><Info><ControlPriority>5</ControlPriority></Info></Control>`,
  ),
  enc.encode(
    `<Response><CmdType>DeviceStatus</CmdType><SN>4</SN><DeviceID>${DEV}</DeviceID><Result>OK</Result><Online>ONLINE</Online><Status>OK</Status><Alarmstatus Num="1"><Item><DeviceID>${DEV}</DeviceID><DutyStatus>OFFDUTY</DutyStatus></Item></Alarmstatus></Response>`,
  ),
  enc.encode(
    `<Response><CmdType>DeviceInfo</CmdType><SN>3</SN><DeviceID>${DEV}</DeviceID><DeviceName>IPC &amp; co</DeviceName><Result>OK</Result><Channel>1</Channel><![CDATA[x]]><!-- c --></Response>`,
  ),
];

const DICTIONARY = [
  '<',
  '>',
  '</',
  '/>',
  '&',
  '&amp;',
  '&#x5929;',
  '&#0;',
  '"',
  "'",
  '=',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?',
  '?>',
  '<!DOCTYPE a>',
  '<Item><DeviceID>1</DeviceID></Item>',
  '<a><a><a><a><a><a><a><a>',
  '<__proto__>1</__proto__>',
  '<constructor/>',
  ' __proto__="x"',
  ' encoding="UTF-8"',
  ' encoding="x"',
  '\u0000',
  '\r\n',
  '-0',
  '99999999999999999999',
].map((s) => enc.encode(s));

function timed(fn: () => void): void {
  const t0 = now();
  fn();
  expect(now() - t0).toBeLessThan(2000);
}

/** What a reader keeps of an element: names, attributes, non-blank text pieces. */
function shape(e: XmlElement): unknown {
  return {
    name: e.name,
    attributes: [...e.attributes],
    children: e.children.flatMap((c) =>
      typeof c === 'string' ? (c.trim() === '' ? [] : [c.trim()]) : [shape(c)],
    ),
  };
}

/** The parts of a message a writer cannot reproduce (counts as sent, an undecodable PTZCmd). */
function canonical(m: ManscdpMessage): ManscdpMessage {
  if (m.kind === 'catalog_response' || m.kind === 'catalog_notify')
    return { ...m, listNum: m.items.length, invalidItems: 0 };
  if (m.kind === 'device_control' && m.ptz && !m.ptz.ok) {
    const { ptz: _ptz, ...rest } = m;
    return rest;
  }
  return m;
}

describe(`MANSCDP fuzzing (${RUNS} runs per target)`, () => {
  it(
    'parseManscdp: arbitrary bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
          timed(() => {
            const r = parseManscdp(bytes);
            expect(typeof r.ok).toBe('boolean');
          });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'XML: generated trees read back exactly; mutated ones never throw and write back to the same tree',
    () => {
      fc.assert(
        fc.property(
          xmlTree.chain((tree) =>
            fc.tuple(fc.constant(tree), mutatedBytes([enc.encode(writeXml({ root: tree }))], DICTIONARY, 3)),
          ),
          ([tree, mutated]) => {
            timed(() => {
              const text = writeXml({ declaration: { version: '1.0', encoding: 'UTF-8' }, root: tree });
              expect(parseXml(text, { maxDepth: 64 })).toEqual({
                ok: true,
                value: { declaration: { version: '1.0', encoding: 'UTF-8' }, root: tree },
              });
              const r = parseXml(dec.decode(mutated), { maxDepth: 64 });
              if (!r.ok) return;
              const again = parseXml(writeXml(r.value), { maxDepth: 64 });
              expect(again.ok).toBe(true);
              if (again.ok) expect(shape(again.value.root)).toEqual(shape(r.value.root));
            });
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'MANSCDP: generated typed messages read back exactly in UTF-8, GB18030 and GB2312',
    () => {
      fc.assert(
        fc.property(messageAndCharset, ([m, charset]) => {
          timed(() => {
            const r = parseManscdp(encodeManscdp(m, charset));
            expect(r).toEqual({ ok: true, value: { message: m, charset } });
          });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'parseManscdp: mutated valid bodies; typed messages write back to the same value',
    () => {
      fc.assert(
        fc.property(mutatedBytes(SAMPLES, DICTIONARY, 3), (bytes) => {
          timed(() => {
            const r = parseManscdp(bytes);
            if (!r.ok || r.value.message.kind === 'other') return;
            const m = canonical(r.value.message);
            const again = parseManscdp(enc.encode(writeManscdp(m, 'UTF-8')));
            expect(again.ok).toBe(true);
            if (again.ok) expect(canonical(again.value.message)).toEqual(m);
          });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
