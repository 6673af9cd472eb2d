import { describe, expect, it } from 'vitest';
import { parseDigestChallenge, parseDigestCredentials, verifyDigest } from './digest.ts';
import {
  buildSipResponse,
  formatGbDate,
  getHeader,
  getHeaderValues,
  parseSipMessage,
  SIP_MAX_BODY_BYTES,
  type SipMessage,
  type SipRequest,
  SipStreamFramer,
  serializeSipMessage,
  sipEssentials,
  sipExpires,
  withHeader,
} from './sip.ts';
import { formatVia, parseNameAddr, parseSipUri, parseVia, viaResponseAddress } from './sip-headers.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;
const bytes = (s: string) => enc.encode(s);

function parsed(s: string | Uint8Array): SipMessage {
  const r = parseSipMessage(typeof s === 'string' ? bytes(s) : s);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.message;
}

// Captured-style traffic of a GB/T 28181-2016 IPC registering with our platform 34020000002000000001.
const REGISTER = crlf([
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273',
  'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
  'To: <sip:34020000001320000001@3402000000>',
  'Call-ID: 1011047669',
  'CSeq: 1 REGISTER',
  'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
  'Max-Forwards: 70',
  'User-Agent: IP Camera',
  'Expires: 3600',
  'Content-Length: 0',
  '',
]);

const UNAUTHORIZED = crlf([
  'SIP/2.0 401 Unauthorized',
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport=5060;branch=z9hG4bK1371463273;received=10.0.0.9',
  'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
  'To: <sip:34020000001320000001@3402000000>;tag=1849187226',
  'Call-ID: 1011047669',
  'CSeq: 1 REGISTER',
  'WWW-Authenticate: Digest realm="3402000000",nonce="44010b73623249f6916a6acf7c316b8e",algorithm=MD5,qop="auth"',
  'Content-Length: 0',
  '',
]);

const REGISTER_AUTH = crlf([
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1895467453',
  'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
  'To: <sip:34020000001320000001@3402000000>',
  'Call-ID: 1011047669',
  'CSeq: 2 REGISTER',
  'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
  'Authorization: Digest username="34020000001320000001", realm="3402000000", nonce="44010b73623249f6916a6acf7c316b8e", uri="sip:34020000002000000001@3402000000", response="c6e58831a9233fb24696ccd71f7ba6bf", algorithm=MD5, cnonce="6b8b4567", qop=auth, nc=00000001',
  'Max-Forwards: 70',
  'User-Agent: IP Camera',
  'Expires: 3600',
  'Content-Length: 0',
  '',
]);

const OK_REGISTER = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.168.1.64:5060;rport=5060;branch=z9hG4bK1895467453;received=10.0.0.9',
  'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
  'To: <sip:34020000001320000001@3402000000>;tag=1849187227',
  'Call-ID: 1011047669',
  'CSeq: 2 REGISTER',
  'Contact: <sip:34020000001320000001@192.168.1.64:5060>;expires=3600',
  'Expires: 3600',
  'Date: 2024-05-06T07:08:09.010',
  'Content-Length: 0',
  '',
]);

const KEEPALIVE_XML = crlf([
  '<?xml version="1.0" encoding="GB2312"?>',
  '<Notify>',
  '<CmdType>Keepalive</CmdType>',
  '<SN>44</SN>',
  '<DeviceID>34020000001320000001</DeviceID>',
  '<Status>OK</Status>',
  '</Notify>',
]);

const KEEPALIVE =
  crlf([
    'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1520733366',
    'From: <sip:34020000001320000001@3402000000>;tag=1233436213',
    'To: <sip:34020000002000000001@3402000000>',
    'Call-ID: 1402541093',
    'CSeq: 20 MESSAGE',
    'Content-Type: Application/MANSCDP+xml',
    'Max-Forwards: 70',
    'User-Agent: IP Camera',
    `Content-Length: ${KEEPALIVE_XML.length}`,
    '',
  ]) + KEEPALIVE_XML;

const INVITE_SDP = crlf([
  'v=0',
  'o=34020000002000000001 0 0 IN IP4 10.0.0.2',
  's=Play',
  'c=IN IP4 10.0.0.2',
  't=0 0',
  'm=video 30000 TCP/RTP/AVP 96 97 98 99',
  'a=recvonly',
  'a=rtpmap:96 PS/90000',
  'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:98 H264/90000',
  'a=rtpmap:99 H265/90000',
  'a=setup:passive',
  'a=connection:new',
  'y=0200000001',
]);

const INVITE =
  crlf([
    'INVITE sip:34020000001320000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK96412',
    'From: <sip:34020000002000000001@3402000000>;tag=98123',
    'To: <sip:34020000001320000001@3402000000>',
    'Call-ID: 7310@10.0.0.2',
    'CSeq: 1 INVITE',
    'Contact: <sip:34020000002000000001@10.0.0.2:5060>',
    'Subject: 34020000001320000001:0200000001,34020000002000000001:0',
    'Content-Type: APPLICATION/SDP',
    'Max-Forwards: 70',
    `Content-Length: ${INVITE_SDP.length}`,
    '',
  ]) + INVITE_SDP;

const OK_INVITE_SDP = crlf([
  'v=0',
  'o=34020000001320000001 0 0 IN IP4 192.168.1.64',
  's=Play',
  'c=IN IP4 192.168.1.64',
  't=0 0',
  'm=video 15060 TCP/RTP/AVP 96',
  'a=sendonly',
  'a=rtpmap:96 PS/90000',
  'a=setup:active',
  'a=connection:new',
  'y=0200000001',
  'f=',
]);

const OK_INVITE =
  crlf([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 10.0.0.2:5060;rport=5060;branch=z9hG4bK96412',
    'From: <sip:34020000002000000001@3402000000>;tag=98123',
    'To: <sip:34020000001320000001@3402000000>;tag=1320712981',
    'Call-ID: 7310@10.0.0.2',
    'CSeq: 1 INVITE',
    'Contact: <sip:34020000001320000001@192.168.1.64:5060>',
    'Content-Type: application/sdp',
    'User-Agent: IP Camera',
    `Content-Length: ${OK_INVITE_SDP.length}`,
    '',
  ]) + OK_INVITE_SDP;

describe('parseSipMessage: captured-style table', () => {
  it.each([
    ['REGISTER without auth', REGISTER, 'request', 'REGISTER', 1, '2043466181', undefined, 0],
    ['401 with WWW-Authenticate', UNAUTHORIZED, 'response', 401, 1, '2043466181', '1849187226', 0],
    ['REGISTER with Authorization', REGISTER_AUTH, 'request', 'REGISTER', 2, '2043466181', undefined, 0],
    ['200 to REGISTER with Expires', OK_REGISTER, 'response', 200, 2, '2043466181', '1849187227', 0],
    ['Keepalive MESSAGE', KEEPALIVE, 'request', 'MESSAGE', 20, '1233436213', undefined, KEEPALIVE_XML.length],
    ['INVITE with SDP', INVITE, 'request', 'INVITE', 1, '98123', undefined, INVITE_SDP.length],
    ['200 to INVITE with SDP', OK_INVITE, 'response', 200, 1, '98123', '1320712981', OK_INVITE_SDP.length],
  ])('%s', (_name, text, kind, methodOrStatus, cseq, fromTag, toTag, bodyLength) => {
    const msg = parsed(text);
    expect(msg.kind).toBe(kind);
    expect(msg.kind === 'request' ? msg.method : msg.status).toBe(methodOrStatus);
    const e = sipEssentials(msg);
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    expect(e.value.cseq.seq).toBe(cseq);
    expect(e.value.from.params.get('tag')).toBe(fromTag);
    expect(e.value.to.params.get('tag')).toBe(toTag);
    expect(msg.body.length).toBe(bodyLength);
  });

  it('REGISTER: device ID, Via with rport flag, Contact, Expires', () => {
    const msg = parsed(REGISTER) as SipRequest;
    expect(msg.uri).toBe('sip:34020000002000000001@3402000000');
    const e = sipEssentials(msg);
    if (!e.ok) throw new Error(e.error.message);
    const from = parseSipUri(e.value.from.uri);
    expect(from.ok && from.value.user).toBe('34020000001320000001');
    expect(e.value.vias).toHaveLength(1);
    expect(e.value.vias[0]).toMatchObject({
      transport: 'UDP',
      host: '192.168.1.64',
      port: 5060,
      branch: 'z9hG4bK1371463273',
      rport: true,
    });
    expect(getHeader(msg, 'contact')).toBe('<sip:34020000001320000001@192.168.1.64:5060>');
    expect(sipExpires(msg)).toBe(3600);
    expect(getHeader(msg, 'User-Agent')).toBe('IP Camera');
  });

  it('401: Via received/rport and the challenge', () => {
    const msg = parsed(UNAUTHORIZED);
    const e = sipEssentials(msg);
    if (!e.ok) throw new Error(e.error.message);
    const via = e.value.vias[0];
    expect(via?.received).toBe('10.0.0.9');
    expect(via?.rport).toBe(5060);
    if (via) expect(viaResponseAddress(via)).toEqual({ host: '10.0.0.9', port: 5060 });
    const ch = parseDigestChallenge(getHeader(msg, 'www-authenticate') ?? '');
    expect(ch).toEqual({
      ok: true,
      value: {
        realm: '3402000000',
        nonce: '44010b73623249f6916a6acf7c316b8e',
        algorithm: 'MD5',
        qop: ['auth'],
      },
    });
  });

  it('REGISTER with Authorization verifies with the device password', () => {
    const msg = parsed(REGISTER_AUTH) as SipRequest;
    const creds = parseDigestCredentials(getHeader(msg, 'Authorization') ?? '');
    if (!creds.ok) throw new Error(creds.error.message);
    expect(
      verifyDigest(creds.value, {
        method: msg.method,
        realm: '3402000000',
        nonce: '44010b73623249f6916a6acf7c316b8e',
        password: '12345678',
      }),
    ).toEqual({ ok: true });
    expect(
      verifyDigest(creds.value, { method: msg.method, realm: '3402000000', password: '87654321' }),
    ).toEqual({ ok: false, reason: 'response' });
  });

  it('200 to REGISTER: Contact expires, Expires, Date', () => {
    const msg = parsed(OK_REGISTER);
    const contact = parseNameAddr(getHeader(msg, 'm') ?? '');
    expect(contact.ok && contact.value.params.get('expires')).toBe('3600');
    expect(sipExpires(msg)).toBe(3600);
    expect(getHeader(msg, 'Date')).toBe('2024-05-06T07:08:09.010');
  });

  it('Keepalive: the body is the XML bytes', () => {
    const msg = parsed(KEEPALIVE);
    expect(getHeader(msg, 'Content-Type')).toBe('Application/MANSCDP+xml');
    expect(dec.decode(msg.body)).toBe(KEEPALIVE_XML);
  });

  it('INVITE: Subject and SDP body', () => {
    const msg = parsed(INVITE);
    expect(getHeader(msg, 'subject')).toBe('34020000001320000001:0200000001,34020000002000000001:0');
    expect(dec.decode(msg.body)).toBe(INVITE_SDP);
    expect(dec.decode(parsed(OK_INVITE).body)).toBe(OK_INVITE_SDP);
  });
});

describe('parseSipMessage: headers and bodies', () => {
  it('expands compact header names, case-insensitively', () => {
    const body = 'hello';
    const msg = parsed(
      crlf([
        'MESSAGE sip:a@b SIP/2.0',
        'v: SIP/2.0/TCP 1.2.3.4:5060;branch=z9hG4bKx',
        'F: <sip:x@y>;tag=1',
        't: <sip:a@b>',
        'I: abc@host',
        'm: <sip:x@1.2.3.4>',
        'c: text/plain',
        'k: timer',
        'cseq: 3 MESSAGE',
        'call-id: ignored-second',
        `l: ${body.length}`,
        '',
      ]) + body,
    );
    expect(msg.headers.map((h) => h.name)).toEqual([
      'Via',
      'From',
      'To',
      'Call-ID',
      'Contact',
      'Content-Type',
      'Supported',
      'CSeq',
      'Call-ID',
      'Content-Length',
    ]);
    expect(getHeader(msg, 'i')).toBe('abc@host');
    expect(getHeader(msg, 'CALL-ID')).toBe('abc@host');
    expect(getHeaderValues(msg, 'Call-ID')).toEqual(['abc@host', 'ignored-second']);
    expect(dec.decode(msg.body)).toBe('hello');
  });

  it('splits multi-value Via and Contact, in order, keeping quoted commas', () => {
    const msg = parsed(
      crlf([
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP a.example:5060;branch=z9hG4bK1, SIP/2.0/UDP b.example;branch=z9hG4bK2',
        'Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK3;received=2001:db8::9',
        'Contact: "Cam, Gate 1" <sip:1@a>;expires=60, <sip:2@b>',
        'From: <sip:x@y>;tag=1',
        'To: <sip:x@y>',
        'Call-ID: c',
        'CSeq: 1 REGISTER',
        '',
        '',
      ]),
    );
    expect(getHeaderValues(msg, 'Via')).toEqual([
      'SIP/2.0/UDP a.example:5060;branch=z9hG4bK1',
      'SIP/2.0/UDP b.example;branch=z9hG4bK2',
      'SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK3;received=2001:db8::9',
    ]);
    expect(getHeaderValues(msg, 'Contact')).toEqual(['"Cam, Gate 1" <sip:1@a>;expires=60', '<sip:2@b>']);
    const e = sipEssentials(msg);
    expect(e.ok && e.value.vias.map((v) => [v.host, v.port, v.branch])).toEqual([
      ['a.example', 5060, 'z9hG4bK1'],
      ['b.example', undefined, 'z9hG4bK2'],
      ['[2001:db8::1]', 5070, 'z9hG4bK3'],
    ]);
  });

  it('takes header names that are Object.prototype keys as plain names', () => {
    const msg = parsed('OPTIONS sip:a@b SIP/2.0\r\nconstructor: 1\r\n__proto__: 2\r\ntoString: 3\r\n\r\n');
    expect(msg.headers).toEqual([
      { name: 'constructor', value: '1' },
      { name: '__proto__', value: '2' },
      { name: 'toString', value: '3' },
    ]);
    expect(getHeader(msg, 'TOSTRING')).toBe('3');
  });

  it('withHeader replaces every line of a header with one, or appends it', () => {
    const msg = parsed(crlf(['SIP/2.0 200 OK', 'Via: a', 'Expires: 1', 'expires: 2', 'Call-ID: x', '', '']));
    expect(withHeader(msg.headers, 'EXPIRES', '3600')).toEqual([
      { name: 'Via', value: 'a' },
      { name: 'Expires', value: '3600' },
      { name: 'Call-ID', value: 'x' },
    ]);
    expect(withHeader(msg.headers, 'Date', 'd').at(-1)).toEqual({ name: 'Date', value: 'd' });
  });

  it('unfolds continuation lines', () => {
    const msg = parsed(
      crlf(['OPTIONS sip:a@b SIP/2.0', 'Subject: first', '  second', '\tthird', 'Call-ID: x', '', '']),
    );
    expect(getHeader(msg, 'Subject')).toBe('first second third');
  });

  it('counts Content-Length in bytes (UTF-8 Chinese body), ignoring extra datagram bytes', () => {
    const body = bytes('<Name>天宁区</Name>');
    expect(body.length).toBe(22); // 16 characters
    const head = bytes(`MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ${body.length}\r\n\r\n`);
    const msg = parsed(new Uint8Array([...head, ...body, ...bytes('garbage')]));
    expect(msg.body).toEqual(body);
  });

  it('takes the rest of the datagram as body when Content-Length is absent', () => {
    const msg = parsed('MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\nabc');
    expect(dec.decode(msg.body)).toBe('abc');
  });

  it('accepts bare LF line ends and leading CRLFs', () => {
    const msg = parsed('\r\n\r\nOPTIONS sip:a@b SIP/2.0\nCall-ID: x\nContent-Length: 2\n\nok');
    expect(msg.kind === 'request' && msg.method).toBe('OPTIONS');
    expect(dec.decode(msg.body)).toBe('ok');
  });

  it.each([
    ['\r\n\r\n', 'sip:empty'],
    ['', 'sip:empty'],
    ['HELLO\r\n\r\n', 'sip:start_line'],
    ['INVITE sip:a@b SIP/3.0\r\n\r\n', 'sip:start_line'],
    ['SIP/2.0 99 Odd\r\n\r\n', 'sip:start_line'],
    ['SIP/2.0 200 OK\r\nNoColonHere\r\n\r\n', 'sip:header'],
    ['SIP/2.0 200 OK\r\nBad Name: x\r\n\r\n', 'sip:header'],
    ['SIP/2.0 200 OK\r\nContent-Length: ten\r\n\r\n', 'sip:content_length'],
    ['SIP/2.0 200 OK\r\nContent-Length: 1\r\nl: 2\r\n\r\nab', 'sip:content_length'],
    ['SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nshort', 'sip:truncated'],
    [`SIP/2.0 200 OK\r\nContent-Length: ${SIP_MAX_BODY_BYTES + 1}\r\n\r\n`, 'sip:body_too_large'],
    [`SIP/2.0 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, 'sip:header_too_large'],
  ])('refuses %j with %s', (text, code) => {
    const r = parseSipMessage(bytes(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it.each([
    ['no Call-ID', 'SIP/2.0 200 OK\r\nCSeq: 1 X\r\n\r\n', 'sip:missing_header'],
    ['bad CSeq', 'SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: one X\r\n\r\n', 'sip:cseq'],
    ['CSeq method mismatch', 'MESSAGE sip:a@b SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n', 'sip:cseq'],
    [
      'bad Via',
      'SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 X\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nVia: HTTP/1.1 x\r\n\r\n',
      'sip:via',
    ],
    [
      'no Via',
      'SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 X\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\n\r\n',
      'sip:missing_header',
    ],
    [
      'bad From',
      'SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 X\r\nFrom: <sip:a@b\r\nTo: <sip:a@b>\r\n\r\n',
      'sip:name_addr',
    ],
  ])('sipEssentials refuses %s', (_name, text, code) => {
    const e = sipEssentials(parsed(text));
    expect(e.ok).toBe(false);
    if (!e.ok) expect(e.error.code).toBe(code);
  });
});

describe('serializeSipMessage and responses', () => {
  it('round-trips every table message byte for byte', () => {
    for (const text of [REGISTER, UNAUTHORIZED, REGISTER_AUTH, OK_REGISTER, KEEPALIVE, INVITE, OK_INVITE]) {
      expect(dec.decode(serializeSipMessage(parsed(text)))).toBe(text);
    }
  });

  it('writes Content-Length from the body bytes and strips CR/LF from values', () => {
    const out = serializeSipMessage({
      kind: 'request',
      method: 'MESSAGE',
      uri: 'sip:a@b',
      headers: [
        { name: 'Subject', value: 'x\r\nInjected: yes' },
        { name: 'Content-Length', value: '999' },
      ],
      body: bytes('天'),
    });
    expect(dec.decode(out)).toBe(
      'MESSAGE sip:a@b SIP/2.0\r\nSubject: x Injected: yes\r\nContent-Length: 3\r\n\r\n天',
    );
  });

  it('builds the 401 challenge to a REGISTER', () => {
    const req = parsed(REGISTER) as SipRequest;
    const res = buildSipResponse(req, 401, {
      toTag: '1849187226',
      headers: [
        {
          name: 'WWW-Authenticate',
          value:
            'Digest realm="3402000000", nonce="44010b73623249f6916a6acf7c316b8e", algorithm=MD5, qop="auth"',
        },
      ],
    });
    expect(dec.decode(serializeSipMessage(res))).toBe(
      crlf([
        'SIP/2.0 401 Unauthorized',
        'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273',
        'From: <sip:34020000001320000001@3402000000>;tag=2043466181',
        'To: <sip:34020000001320000001@3402000000>;tag=1849187226',
        'Call-ID: 1011047669',
        'CSeq: 1 REGISTER',
        'WWW-Authenticate: Digest realm="3402000000", nonce="44010b73623249f6916a6acf7c316b8e", algorithm=MD5, qop="auth"',
        'Content-Length: 0',
        '',
      ]),
    );
  });

  it('builds the 200 to a REGISTER with Contact, Expires and Date, with received/rport filled in', () => {
    const req = parsed(REGISTER_AUTH) as SipRequest;
    const via = parseVia(getHeaderValues(req, 'Via')[0] ?? '');
    if (!via.ok) throw new Error(via.error.message);
    const answeredVia = formatVia({ ...via.value, received: '10.0.0.9', rport: 5060 });
    const res = buildSipResponse(
      { ...req, headers: req.headers.map((h) => (h.name === 'Via' ? { ...h, value: answeredVia } : h)) },
      200,
      {
        toTag: '1849187227',
        headers: [
          { name: 'Contact', value: '<sip:34020000001320000001@192.168.1.64:5060>;expires=3600' },
          { name: 'Expires', value: '3600' },
          { name: 'Date', value: formatGbDate(Date.UTC(2024, 4, 5, 23, 8, 9, 10)) },
        ],
      },
    );
    expect(dec.decode(serializeSipMessage(res))).toBe(OK_REGISTER);
  });

  it('keeps an existing To tag, adds none to 100 Trying, copies Record-Route on 2xx only', () => {
    const req = parsed(
      crlf([
        'INVITE sip:a@b SIP/2.0',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        'Record-Route: <sip:proxy;lr>',
        'From: <sip:x@y>;tag=1',
        'To: <sip:a@b>;tag=existing',
        'Call-ID: c',
        'CSeq: 5 INVITE',
        'Content-Length: 0',
        '',
      ]),
    ) as SipRequest;
    expect(getHeader(buildSipResponse(req, 200, { toTag: 'new' }), 'To')).toBe('<sip:a@b>;tag=existing');
    expect(getHeader(buildSipResponse(req, 200), 'Record-Route')).toBe('<sip:proxy;lr>');
    expect(getHeader(buildSipResponse(req, 486), 'Record-Route')).toBeUndefined();
    const noTag = {
      ...req,
      headers: req.headers.map((h) => (h.name === 'To' ? { ...h, value: '<sip:a@b>' } : h)),
    };
    expect(getHeader(buildSipResponse(noTag, 100, { toTag: 't' }), 'To')).toBe('<sip:a@b>');
    expect(buildSipResponse(noTag, 100).reason).toBe('Trying');
  });

  it('formats the GB Date header in China Standard Time', () => {
    expect(formatGbDate(Date.UTC(2024, 0, 31, 16, 0, 0, 5))).toBe('2024-02-01T00:00:00.005');
    expect(formatGbDate(Date.UTC(2024, 0, 31, 16, 0, 0, 5), 0)).toBe('2024-01-31T16:00:00.005');
  });
});

describe('structured header values', () => {
  it.each([
    ['sip:34020000001320000001@3402000000', { user: '34020000001320000001', host: '3402000000' }],
    ['sip:34020000001320000001@192.168.1.64:5060;transport=tcp', { host: '192.168.1.64', port: 5060 }],
    ['SIPS:u:pw@[::1]:5061', { scheme: 'sips', user: 'u', password: 'pw', host: '[::1]', port: 5061 }],
    ['sip:host.example', { host: 'host.example' }],
  ])('parses URI %s', (uri, expected) => {
    const r = parseSipUri(uri);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject(expected);
  });

  it.each(['http://x', 'sip:', 'sip:a@b:70000', 'sip:a@[::1', 'sip:@host', 'sip:a b@c'])(
    'refuses URI %j',
    (uri) => {
      expect(parseSipUri(uri).ok).toBe(false);
    },
  );

  it.each<[string, { displayName?: string; uri: string; tag?: string }]>([
    ['"Camera 1" <sip:1@a>;tag=abc', { displayName: 'Camera 1', uri: 'sip:1@a', tag: 'abc' }],
    [
      'Camera <sip:1@a;transport=udp>;tag=9',
      { displayName: 'Camera', uri: 'sip:1@a;transport=udp', tag: '9' },
    ],
    ['sip:1@a;tag=x', { uri: 'sip:1@a', tag: 'x' }],
    ['<sip:1@a>', { uri: 'sip:1@a', tag: undefined }],
  ])('parses name-addr %s', (text, expected) => {
    const r = parseNameAddr(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.displayName).toBe(expected.displayName);
    expect(r.value.uri).toBe(expected.uri);
    expect(r.value.params.get('tag')).toBe(expected.tag);
  });

  it('keeps network parameter names out of object prototypes', () => {
    const r = parseVia('SIP/2.0/UDP h;__proto__=x;constructor');
    expect(r.ok && [...r.value.params.keys()]).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('SipStreamFramer', () => {
  const stream = [REGISTER, KEEPALIVE, INVITE, OK_INVITE].map((s) => bytes(s));
  const joined = new Uint8Array(stream.reduce((n, b) => n + b.length + 4, 0));
  {
    let at = 0;
    for (const b of stream) {
      joined.set(b, at);
      at += b.length;
      joined.set(bytes('\r\n\r\n'), at); // CRLF keepalives between messages
      at += 4;
    }
  }

  it('frames messages split at every byte boundary (one split each)', () => {
    for (let cut = 0; cut <= joined.length; cut += 7) {
      const f = new SipStreamFramer();
      const out = [...f.push(joined.subarray(0, cut)), ...f.push(joined.subarray(cut))];
      expect(out.map((r) => r.ok && dec.decode(serializeSipMessage(r.message)))).toEqual([
        REGISTER,
        KEEPALIVE,
        INVITE,
        OK_INVITE,
      ]);
      expect(f.bufferedBytes).toBe(0);
    }
  });

  it('frames byte by byte', () => {
    const f = new SipStreamFramer();
    const out = [];
    for (const b of joined) out.push(...f.push(Uint8Array.of(b)));
    expect(out).toHaveLength(4);
    expect(out.every((r) => r.ok)).toBe(true);
  });

  it('reports a malformed message with a readable Content-Length and goes on', () => {
    const f = new SipStreamFramer();
    const out = f.push(bytes(`BROKEN LINE\r\nContent-Length: 5\r\n\r\nhello${REGISTER}`));
    expect(out.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['sip:start_line', 'ok']);
    expect(f.failed).toBeUndefined();
  });

  it('holds a partial body and reports buffered bytes', () => {
    const f = new SipStreamFramer();
    const cut = KEEPALIVE.length - 10;
    expect(f.push(bytes(KEEPALIVE.slice(0, cut)))).toEqual([]);
    expect(f.bufferedBytes).toBe(bytes(KEEPALIVE.slice(0, cut)).length);
    expect(f.push(bytes(KEEPALIVE.slice(cut)))).toHaveLength(1);
  });

  it('fails for good on a header block over 64 KiB', () => {
    const f = new SipStreamFramer();
    const out = f.push(bytes(`MESSAGE sip:a@b SIP/2.0\r\nX: ${'a'.repeat(70 * 1024)}`));
    expect(out.map((r) => !r.ok && r.error.code)).toEqual(['sip:header_too_large']);
    expect(f.failed?.code).toBe('sip:header_too_large');
    expect(f.bufferedBytes).toBe(0);
    expect(f.push(bytes(REGISTER))).toEqual([]);
  });

  it('fails at once on a body over 1 MiB, without buffering it', () => {
    const f = new SipStreamFramer();
    const out = f.push(bytes(`MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\nabc`));
    expect(out.map((r) => !r.ok && r.error.code)).toEqual(['sip:body_too_large']);
    expect(f.bufferedBytes).toBe(0);
  });

  it('fails on an unreadable Content-Length, and recovers after reset()', () => {
    const f = new SipStreamFramer();
    expect(
      f
        .push(bytes('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n'))
        .map((r) => !r.ok && r.error.code),
    ).toEqual(['sip:content_length']);
    f.reset();
    expect(f.push(bytes(REGISTER)).map((r) => r.ok)).toEqual([true]);
  });
});
