import { describe, expect, it } from 'vitest';
import { declaredEncoding, decodeBody, encodeBody, normalizeCharset } from './charset.ts';
import {
  CatalogCollector,
  type CatalogItem,
  type CatalogPage,
  catalogItemSchema,
  encodeManscdp,
  type ManscdpMessage,
  paginateCatalog,
  parseManscdp,
  writeManscdp,
} from './manscdp.ts';

const enc = new TextEncoder();

/** Bytes from ASCII text and hex pieces (GB2312 bytes computed independently with python). */
function bytesOf(...parts: (string | { hex: string })[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') out.push(...enc.encode(p));
    else for (let i = 0; i < p.hex.length; i += 2) out.push(Number.parseInt(p.hex.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}

const GB = {
  // python: '天宁区'.encode('gb2312').hex() etc.
  tianning: { hex: 'ccecc4fec7f8' },
  yanling: { hex: 'd1d3c1eacef7c2b7c7f2bbfa' }, // 延陵西路球机
  heping: { hex: 'bacdc6bdc2b7c7b9bbfa' }, // 和平路枪机
  police: { hex: 'b3a3d6ddcad0b9abb0b2bed6' }, // 常州市公安局
  hik: { hex: 'baa3bfb5cdfecad3' }, // 海康威视
  hongmei: { hex: 'baecc3b7b9abd4b0' }, // 红梅公园
};

function parse(bytes: Uint8Array) {
  const r = parseManscdp(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const DEV = '34020000001320000001';

describe('charset', () => {
  it.each([
    ['<?xml version="1.0" encoding="GB2312"?><a/>', 'GB2312'],
    ["<?xml version='1.0' encoding='gbk'?><a/>", 'GBK'],
    ['<?xml version="1.0" encoding="GB18030"?><a/>', 'GB18030'],
    ['<?xml version="1.0" encoding="utf-8"?><a/>', 'UTF-8'],
    ['<?xml version="1.0"?><a/>', 'GB2312'],
    ['<a/>', 'GB2312'],
  ])('reads %j as %s', (text, charset) => {
    expect(decodeBody(enc.encode(text))).toMatchObject({ ok: true, value: { charset } });
  });

  it('treats a UTF-8 byte-order mark without declaration as UTF-8', () => {
    const r = decodeBody(bytesOf({ hex: 'efbbbf' }, '<a>', { hex: 'e5a4a9' }, '</a>'));
    expect(r).toEqual({ ok: true, value: { text: '<a>天</a>', charset: 'UTF-8' } });
  });

  it('refuses an encoding it does not speak', () => {
    expect(decodeBody(enc.encode('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'))).toMatchObject({
      ok: false,
      error: { code: 'charset:unsupported' },
    });
  });

  it('decodes GB2312 bytes, and GBK/GB18030-only characters under a GB2312 label', () => {
    const r = decodeBody(
      bytesOf('<?xml version="1.0" encoding="GB2312"?><a>', GB.tianning, { hex: '95328236' }, '</a>'),
    );
    expect(r).toEqual({
      ok: true,
      value: { text: '<?xml version="1.0" encoding="GB2312"?><a>天宁区𠀀</a>', charset: 'GB2312' },
    });
  });

  it('encodes to match: GB2312/GBK, GB18030 (4-byte), UTF-8', () => {
    expect(encodeBody('天宁区', 'GB2312')).toEqual(bytesOf(GB.tianning));
    expect(encodeBody('天宁区', 'GBK')).toEqual(bytesOf(GB.tianning));
    expect(encodeBody('𠀀€', 'GB18030')).toEqual(bytesOf({ hex: '95328236a2e3' }));
    expect(encodeBody('天', 'UTF-8')).toEqual(bytesOf({ hex: 'e5a4a9' }));
    expect(Object.getPrototypeOf(encodeBody('a', 'GBK'))).toBe(Uint8Array.prototype);
  });

  it('normalizes labels and finds the declaration after a BOM', () => {
    expect(['GB_2312', 'cp936', 'x-gbk', 'UTF8', 'latin1'].map(normalizeCharset)).toEqual([
      'GB2312',
      'GBK',
      'GBK',
      'UTF-8',
      undefined,
    ]);
    expect(declaredEncoding(bytesOf({ hex: 'efbbbf' }, '<?xml version="1.0" encoding="UTF-8"?>'))).toBe(
      'UTF-8',
    );
  });
});

describe('Keepalive', () => {
  const body = enc.encode(
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>44</SN>\r\n' +
      `<DeviceID>${DEV}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`,
  );

  it('reads and writes back byte for byte', () => {
    const { message, charset } = parse(body);
    expect(message).toEqual({ kind: 'keepalive', sn: 44, deviceId: DEV, status: 'OK' });
    expect(charset).toBe('GB2312');
    expect(encodeManscdp(message, charset)).toEqual(body);
  });

  it('reads the faulty-device list of a 2016 keepalive', () => {
    const { message } = parse(
      enc.encode(
        `<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>${DEV}</DeviceID><Status>OK</Status>` +
          '<Info><DeviceID>34020000001320000002</DeviceID><DeviceID>34020000001320000003</DeviceID></Info></Notify>',
      ),
    );
    expect(message).toEqual({
      kind: 'keepalive',
      sn: 1,
      deviceId: DEV,
      status: 'OK',
      faultyDeviceIds: ['34020000001320000002', '34020000001320000003'],
    });
  });
});

describe('Catalog', () => {
  const page1 = bytesOf(
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n',
    `<DeviceID>${DEV}</DeviceID>\r\n<SumNum>3</SumNum>\r\n<DeviceList Num="2">\r\n`,
    '<Item>\r\n<DeviceID>32040200001310000001</DeviceID>\r\n<Name>',
    GB.yanling,
    '</Name>\r\n<Manufacturer>',
    GB.hik,
    '</Manufacturer>\r\n<Model>DS-2DC4423IW-D</Model>\r\n<Owner>',
    GB.police,
    '</Owner>\r\n<CivilCode>320402</CivilCode>\r\n<Address>',
    GB.tianning,
    '</Address>\r\n<Parental>0</Parental>\r\n<ParentID>34020000001320000001</ParentID>\r\n<SafetyWay>0</SafetyWay>\r\n',
    '<RegisterWay>1</RegisterWay>\r\n<Secrecy>0</Secrecy>\r\n<IPAddress>192.168.1.64</IPAddress>\r\n<Port>5060</Port>\r\n',
    '<Status>ONLINE</Status>\r\n<Longitude>119.9741</Longitude>\r\n<Latitude>31.7813</Latitude>\r\n',
    '<Info>\r\n<PTZType>1</PTZType>\r\n</Info>\r\n</Item>\r\n',
    '<Item>\r\n<DeviceID>32040200001310000002</DeviceID>\r\n<Name>',
    GB.heping,
    '</Name>\r\n<Parental>0</Parental>\r\n<Secrecy>1</Secrecy>\r\n<Status>OFF</Status>\r\n<PTZType>3</PTZType>\r\n',
    '<Longitude>not a number</Longitude>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n',
  );
  const page2 = bytesOf(
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n',
    `<DeviceID>${DEV}</DeviceID>\r\n<SumNum>3</SumNum>\r\n<DeviceList Num="1">\r\n`,
    '<Item>\r\n<DeviceID>32040200002160000001</DeviceID>\r\n<Name>',
    GB.hongmei,
    '</Name>\r\n<Status>OFFLINE</Status>\r\n<Latitude>91</Latitude>\r\n</Item>\r\n</DeviceList>\r\n</Response>\r\n',
  );
  const expected: CatalogItem[] = [
    {
      deviceId: '32040200001310000001',
      name: '延陵西路球机',
      manufacturer: '海康威视',
      model: 'DS-2DC4423IW-D',
      owner: '常州市公安局',
      civilCode: '320402',
      address: '天宁区',
      parental: 0,
      parentId: '34020000001320000001',
      safetyWay: 0,
      registerWay: 1,
      secrecy: 0,
      ipAddress: '192.168.1.64',
      port: 5060,
      status: 'ON',
      longitude: 119.9741,
      latitude: 31.7813,
      ptzType: 1,
    },
    {
      deviceId: '32040200001310000002',
      name: '和平路枪机',
      parental: 0,
      secrecy: 1,
      status: 'OFF',
      ptzType: 3,
    },
    { deviceId: '32040200002160000001', name: '红梅公园', status: 'OFF' },
  ];

  it('reads a query and writes it', () => {
    const q: ManscdpMessage = { kind: 'catalog_query', sn: 17, deviceId: DEV };
    const text = writeManscdp(q);
    expect(text).toBe(
      `<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>${DEV}</DeviceID>\r\n</Query>\r\n`,
    );
    expect(parse(enc.encode(text)).message).toEqual(q);
  });

  it('assembles two GB2312 pages with Chinese names into the typed items', () => {
    const collector = new CatalogCollector(DEV, 17);
    const first = parse(page1);
    expect(first.charset).toBe('GB2312');
    expect(first.message).toMatchObject({
      kind: 'catalog_response',
      sn: 17,
      sumNum: 3,
      listNum: 2,
      invalidItems: 0,
    });
    expect(collector.add(first.message as CatalogPage)).toBe(true);
    expect(collector.complete).toBe(false);
    // A page of another query is ignored.
    expect(collector.add({ ...(first.message as CatalogPage), sn: 18 })).toBe(false);
    expect(collector.add(parse(page2).message as CatalogPage)).toBe(true);
    expect(collector.complete).toBe(true);
    expect(collector.pages).toBe(2);
    expect(collector.items()).toEqual(expected);
    for (const item of collector.items()) expect(catalogItemSchema.safeParse(item).success).toBe(true);
  });

  it('counts a repeated page once and items without DeviceID as dropped', () => {
    const collector = new CatalogCollector(DEV, 17);
    collector.add(parse(page1).message as CatalogPage);
    collector.add(parse(page1).message as CatalogPage);
    expect(collector.received).toBe(2);
    const broken = parse(
      enc.encode(
        `<Response><CmdType>Catalog</CmdType><SN>17</SN><DeviceID>${DEV}</DeviceID><SumNum>3</SumNum>` +
          '<DeviceList Num="1"><Item><Name>x</Name></Item></DeviceList></Response>',
      ),
    ).message as CatalogPage;
    expect(broken.invalidItems).toBe(1);
    collector.add(broken);
    expect(collector.dropped).toBe(1);
    expect(collector.complete).toBe(true);
  });

  it('pages a catalog for an upper platform and answers in its charset', () => {
    const pages = paginateCatalog({ sn: 5, deviceId: '34020000002000000001', items: expected, pageSize: 2 });
    expect(pages.map((p) => [p.sumNum, p.listNum, p.items.length])).toEqual([
      [3, 2, 2],
      [3, 1, 1],
    ]);
    const collector = new CatalogCollector('34020000002000000001', 5);
    for (const p of pages) {
      const bytes = encodeManscdp(p, 'GB2312');
      // The names are written as GB2312 bytes.
      const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
      expect(hex).toContain(p === pages[0] ? GB.yanling.hex : GB.hongmei.hex);
      collector.add(parse(bytes).message as CatalogPage);
    }
    expect(collector.items()).toEqual(expected);
    expect(paginateCatalog({ sn: 1, deviceId: DEV, items: [], pageSize: 10 }).map((p) => p.sumNum)).toEqual([
      0,
    ]);
  });

  it('reads NOTIFY events', () => {
    const events = ['ON', 'OFF', 'VLOST', 'DEFECT', 'ADD', 'DEL', 'UPDATE'];
    const items = events.map(
      (e, i) => `<Item><DeviceID>3204020000131000000${i}</DeviceID><Event>${e}</Event></Item>`,
    );
    const { message } = parse(
      enc.encode(
        `<?xml version="1.0" encoding="GB18030"?><Notify><CmdType>Catalog</CmdType><SN>9</SN><DeviceID>${DEV}</DeviceID>` +
          `<SumNum>7</SumNum><DeviceList Num="7">${items.join('')}<Item><DeviceID>x</DeviceID><Event>BOOM</Event></Item></DeviceList></Notify>`,
      ),
    );
    expect(message.kind).toBe('catalog_notify');
    if (message.kind !== 'catalog_notify') return;
    expect(message.items.map((i) => i.event)).toEqual([...events, undefined]);
  });
});

describe('DeviceInfo, DeviceStatus, DeviceControl', () => {
  const wrap = (root: string, inner: string) =>
    enc.encode(`<?xml version="1.0" encoding="UTF-8"?><${root}>${inner}</${root}>`);

  it.each<[string, Uint8Array, ManscdpMessage]>([
    [
      'DeviceInfo query',
      wrap('Query', `<CmdType>DeviceInfo</CmdType><SN>3</SN><DeviceID>${DEV}</DeviceID>`),
      { kind: 'device_info_query', sn: 3, deviceId: DEV },
    ],
    [
      'DeviceInfo response',
      wrap(
        'Response',
        `<CmdType>DeviceInfo</CmdType><SN>3</SN><DeviceID>${DEV}</DeviceID><DeviceName>IPC</DeviceName>` +
          '<Result>OK</Result><Manufacturer>Hikvision</Manufacturer><Model>DS-2CD</Model><Firmware>V5.5.0</Firmware><Channel>1</Channel>',
      ),
      {
        kind: 'device_info_response',
        sn: 3,
        deviceId: DEV,
        deviceName: 'IPC',
        result: 'OK',
        manufacturer: 'Hikvision',
        model: 'DS-2CD',
        firmware: 'V5.5.0',
        channel: 1,
      },
    ],
    [
      'DeviceStatus query',
      wrap('Query', `<CmdType>DeviceStatus</CmdType><SN>4</SN><DeviceID>${DEV}</DeviceID>`),
      { kind: 'device_status_query', sn: 4, deviceId: DEV },
    ],
    [
      'DeviceStatus response',
      wrap(
        'Response',
        `<CmdType>DeviceStatus</CmdType><SN>4</SN><DeviceID>${DEV}</DeviceID><Result>OK</Result><Online>ONLINE</Online>` +
          '<Status>OK</Status><Encode>ON</Encode><Record>OFF</Record><DeviceTime>2024-05-06T07:08:09</DeviceTime>' +
          `<Alarmstatus Num="1"><Item><DeviceID>${DEV}</DeviceID><DutyStatus>OFFDUTY</DutyStatus></Item></Alarmstatus>`,
      ),
      {
        kind: 'device_status_response',
        sn: 4,
        deviceId: DEV,
        result: 'OK',
        online: 'ONLINE',
        status: 'OK',
        encode: 'ON',
        record: 'OFF',
        deviceTime: '2024-05-06T07:08:09',
        alarms: [{ deviceId: DEV, dutyStatus: 'OFFDUTY' }],
      },
    ],
    [
      'DeviceControl PTZ left',
      wrap(
        'Control',
        `<CmdType>DeviceControl</CmdType><SN>11</SN><DeviceID>${DEV}</DeviceID><PTZCmd>A50F010280000037</PTZCmd>` +
          '<Info><ControlPriority>5</ControlPriority></Info>',
      ),
      {
        kind: 'device_control',
        sn: 11,
        deviceId: DEV,
        ptz: {
          ok: true,
          value: {
            address: 1,
            command: {
              kind: 'ptz',
              pan: 'left',
              tilt: null,
              zoom: null,
              panSpeed: 0x80,
              tiltSpeed: 0,
              zoomSpeed: 0,
            },
          },
        },
        controlPriority: 5,
      },
    ],
    [
      'DeviceControl IFameCmd',
      wrap(
        'Control',
        `<CmdType>DeviceControl</CmdType><SN>12</SN><DeviceID>${DEV}</DeviceID><IFameCmd>Send</IFameCmd>`,
      ),
      { kind: 'device_control', sn: 12, deviceId: DEV, iFrame: true },
    ],
    [
      'DeviceControl IFrameCmd (common misspelling)',
      wrap(
        'Control',
        `<CmdType>DeviceControl</CmdType><SN>13</SN><DeviceID>${DEV}</DeviceID><IFrameCmd>Send</IFrameCmd>`,
      ),
      { kind: 'device_control', sn: 13, deviceId: DEV, iFrame: true },
    ],
    [
      'DeviceControl TeleBoot, RecordCmd, GuardCmd',
      wrap(
        'Control',
        `<CmdType>DeviceControl</CmdType><SN>14</SN><DeviceID>${DEV}</DeviceID><TeleBoot>Boot</TeleBoot>` +
          '<RecordCmd>Record</RecordCmd><GuardCmd>ResetGuard</GuardCmd>',
      ),
      {
        kind: 'device_control',
        sn: 14,
        deviceId: DEV,
        teleBoot: true,
        recordCmd: 'Record',
        guardCmd: 'ResetGuard',
      },
    ],
    [
      'DeviceControl response',
      wrap(
        'Response',
        `<CmdType>DeviceControl</CmdType><SN>11</SN><DeviceID>${DEV}</DeviceID><Result>OK</Result>`,
      ),
      { kind: 'device_control_response', sn: 11, deviceId: DEV, result: 'OK' },
    ],
  ])('%s: reads, and round-trips through the writer', (_name, bytes, expected) => {
    const { message, charset } = parse(bytes);
    expect(message).toEqual(expected);
    expect(charset).toBe('UTF-8');
    expect(parse(encodeManscdp(message, 'GB2312')).message).toEqual(expected);
  });

  it('reports a PTZCmd with a bad checksum without losing the SN', () => {
    const { message } = parse(
      wrap(
        'Control',
        `<CmdType>DeviceControl</CmdType><SN>15</SN><DeviceID>${DEV}</DeviceID><PTZCmd>A50F010280000038</PTZCmd>`,
      ),
    );
    expect(message).toMatchObject({
      kind: 'device_control',
      sn: 15,
      ptz: { ok: false, error: { code: 'ptz:checksum' } },
    });
  });

  it('writes the IFameCmd spelling of the standard', () => {
    expect(writeManscdp({ kind: 'device_control', sn: 1, deviceId: DEV, iFrame: true }, 'UTF-8')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\r\n<Control>\r\n<CmdType>DeviceControl</CmdType>\r\n<SN>1</SN>\r\n' +
        `<DeviceID>${DEV}</DeviceID>\r\n<IFameCmd>Send</IFameCmd>\r\n</Control>\r\n`,
    );
  });
});

describe('MANSCDP errors and unknown commands', () => {
  it('passes RecordInfo through as "other"', () => {
    const { message } = parse(
      enc.encode(
        `<Query><CmdType>RecordInfo</CmdType><SN>8</SN><DeviceID>${DEV}</DeviceID><Type>all</Type></Query>`,
      ),
    );
    expect(message).toMatchObject({
      kind: 'other',
      root: 'Query',
      cmdType: 'RecordInfo',
      sn: 8,
      deviceId: DEV,
    });
  });

  it.each([
    ['<Hello><CmdType>Keepalive</CmdType></Hello>', 'manscdp:root'],
    ['<Notify><SN>1</SN></Notify>', 'manscdp:field'],
    [`<Notify><CmdType>Keepalive</CmdType><DeviceID>${DEV}</DeviceID></Notify>`, 'manscdp:field'],
    [`<Notify><CmdType>Keepalive</CmdType><SN>x</SN><DeviceID>${DEV}</DeviceID></Notify>`, 'manscdp:field'],
    ['<Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>', 'manscdp:field'],
    [`<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>${DEV}</DeviceID></Response>`, 'manscdp:field'],
    [
      `<Response><CmdType>DeviceControl</CmdType><SN>1</SN><DeviceID>${DEV}</DeviceID></Response>`,
      'manscdp:field',
    ],
    ['<Notify><CmdType>Keepalive</CmdType>', 'xml:syntax'],
    ['<?xml version="1.0" encoding="Shift_JIS"?><Notify/>', 'charset:unsupported'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseManscdp(enc.encode(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });
});
