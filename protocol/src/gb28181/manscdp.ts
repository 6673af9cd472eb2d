import { z } from 'zod';
import { decodeBody, encodeBody, type GbCharset } from './charset.ts';
import { decodePtzCmd, encodePtzCmd, type PtzFrame } from './ptz.ts';
import { fail, type GbResult, ok } from './result.ts';
import {
  childElement,
  childElementsNamed,
  childText,
  el,
  elementText,
  parseXml,
  writeXml,
  type XmlElement,
  type XmlLimits,
  type XmlNode,
} from './xml.ts';

/**
 * MANSCDP (GB/T 28181 appendix A): the XML bodies of MESSAGE/NOTIFY requests. Reads the commands
 * this platform handles into typed values and writes them back. Unknown commands come out as
 * `kind: 'other'` with their element, so a caller can still answer them. Element names are matched
 * ASCII case-insensitively (devices vary); optional fields that do not parse are left out rather than
 * failing the whole message.
 */

export type ManscdpRoot = 'Query' | 'Response' | 'Notify' | 'Control';

export const catalogStatusSchema = z.enum(['ON', 'OFF']);
export type CatalogStatus = z.infer<typeof catalogStatusSchema>;

export const catalogEventSchema = z.enum(['ON', 'OFF', 'VLOST', 'DEFECT', 'ADD', 'DEL', 'UPDATE']);
export type CatalogEvent = z.infer<typeof catalogEventSchema>;

const text = z.string().max(256);

/** One `<Item>` of a catalog (device, channel, region, business group, virtual organisation). */
export const catalogItemSchema = z.object({
  deviceId: z.string().min(1).max(64),
  /** Catalog NOTIFY only. */
  event: catalogEventSchema.optional(),
  name: text.optional(),
  manufacturer: text.optional(),
  model: text.optional(),
  owner: text.optional(),
  civilCode: text.optional(),
  block: text.optional(),
  address: text.optional(),
  /** 1 when the item has children. */
  parental: z.number().int().min(0).max(1).optional(),
  parentId: text.optional(),
  safetyWay: z.number().int().min(0).max(99).optional(),
  registerWay: z.number().int().min(0).max(99).optional(),
  certNum: text.optional(),
  certifiable: z.number().int().min(0).max(1).optional(),
  errCode: z.number().int().min(0).optional(),
  endTime: text.optional(),
  /** 0 not secret, 1 secret. */
  secrecy: z.number().int().min(0).max(1).optional(),
  ipAddress: text.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  /** ON/ONLINE → ON, OFF/OFFLINE → OFF. */
  status: catalogStatusSchema.optional(),
  longitude: z.number().min(-180).max(180).optional(),
  latitude: z.number().min(-90).max(90).optional(),
  /** 1 dome, 2 half-dome, 3 fixed, 4 remote-controlled fixed (`<Info><PTZType>` or `<PTZType>`). */
  ptzType: z.number().int().min(0).max(99).optional(),
  roomType: z.number().int().min(0).max(99).optional(),
  useType: z.number().int().min(0).max(99).optional(),
  resolution: text.optional(),
  businessGroupId: text.optional(),
});
export type CatalogItem = z.infer<typeof catalogItemSchema>;

interface Header {
  sn: number;
  deviceId: string;
}

export interface KeepaliveNotify extends Header {
  kind: 'keepalive';
  status: string;
  /** `<Info><DeviceID>` entries: devices reported faulty. */
  faultyDeviceIds?: string[];
}

export interface CatalogQuery extends Header {
  kind: 'catalog_query';
  startTime?: string;
  endTime?: string;
}

export interface CatalogPage extends Header {
  /** `catalog_response` answers a query; `catalog_notify` is a subscription event. */
  kind: 'catalog_response' | 'catalog_notify';
  sumNum: number;
  /** `<DeviceList Num>` as sent (the page size the device claims). */
  listNum: number;
  items: CatalogItem[];
  /** Items left out because they had no usable DeviceID. */
  invalidItems: number;
}

export interface DeviceInfoQuery extends Header {
  kind: 'device_info_query';
}

export interface DeviceInfoResponse extends Header {
  kind: 'device_info_response';
  result?: 'OK' | 'ERROR';
  deviceName?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  channel?: number;
}

export interface DeviceStatusQuery extends Header {
  kind: 'device_status_query';
}

export interface DeviceStatusResponse extends Header {
  kind: 'device_status_response';
  result?: 'OK' | 'ERROR';
  online?: 'ONLINE' | 'OFFLINE';
  status?: 'OK' | 'ERROR';
  reason?: string;
  encode?: 'ON' | 'OFF';
  record?: 'ON' | 'OFF';
  deviceTime?: string;
  alarms?: { deviceId: string; dutyStatus: string }[];
}

export interface DeviceControl extends Header {
  kind: 'device_control';
  /** `<PTZCmd>` decoded (or why it did not decode: bad checksum, bad hex). */
  ptz?: GbResult<PtzFrame>;
  /** `<IFameCmd>Send</IFameCmd>` (the standard's spelling; `IFrameCmd` accepted): force a key frame. */
  iFrame?: true;
  /** `<TeleBoot>Boot</TeleBoot>`. */
  teleBoot?: true;
  recordCmd?: 'Record' | 'StopRecord';
  guardCmd?: 'SetGuard' | 'ResetGuard';
  /** `<Info><ControlPriority>`. */
  controlPriority?: number;
}

export interface DeviceControlResponse extends Header {
  kind: 'device_control_response';
  result: 'OK' | 'ERROR';
}

/** A command this module does not type (RecordInfo, Alarm, MediaStatus, …). */
export interface OtherManscdp {
  kind: 'other';
  root: ManscdpRoot;
  cmdType: string;
  sn?: number;
  deviceId?: string;
  element: XmlElement;
}

export type ManscdpMessage =
  | KeepaliveNotify
  | CatalogQuery
  | CatalogPage
  | DeviceInfoQuery
  | DeviceInfoResponse
  | DeviceStatusQuery
  | DeviceStatusResponse
  | DeviceControl
  | DeviceControlResponse
  | OtherManscdp;

// --- reading ---------------------------------------------------------------------------------------

const ROOTS: ManscdpRoot[] = ['Query', 'Response', 'Notify', 'Control'];

function str(e: XmlElement, name: string, max = 256): string | undefined {
  const t = childText(e, name)?.slice(0, max).trimEnd();
  return t === '' ? undefined : t;
}

function int(e: XmlElement, name: string, min: number, max: number): number | undefined {
  const t = childText(e, name);
  if (t === undefined || !/^[+-]?\d{1,15}$/.test(t)) return undefined;
  const n = Number(t) + 0; // no -0
  return n >= min && n <= max ? n : undefined;
}

function float(e: XmlElement, name: string, min: number, max: number): number | undefined {
  const t = childText(e, name);
  if (t === undefined || !/^[+-]?(\d{1,15}(\.\d{0,20})?|\.\d{1,20})$/.test(t)) return undefined;
  const n = Number(t) + 0; // no -0
  return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const u = value.toUpperCase();
  return allowed.find((a) => a.toUpperCase() === u);
}

export function normalizeCatalogStatus(value: string | undefined): CatalogStatus | undefined {
  const u = value?.trim().toUpperCase();
  if (u === 'ON' || u === 'ONLINE') return 'ON';
  if (u === 'OFF' || u === 'OFFLINE') return 'OFF';
  return undefined;
}

function readItem(e: XmlElement): CatalogItem | undefined {
  const deviceId = str(e, 'DeviceID', 65);
  if (deviceId === undefined || deviceId.length > 64) return undefined;
  const info = childElement(e, 'Info');
  const item: Record<string, unknown> = {
    deviceId,
    event: oneOf(str(e, 'Event'), catalogEventSchema.options),
    name: str(e, 'Name'),
    manufacturer: str(e, 'Manufacturer'),
    model: str(e, 'Model'),
    owner: str(e, 'Owner'),
    civilCode: str(e, 'CivilCode'),
    block: str(e, 'Block'),
    address: str(e, 'Address'),
    parental: int(e, 'Parental', 0, 1),
    parentId: str(e, 'ParentID'),
    safetyWay: int(e, 'SafetyWay', 0, 99),
    registerWay: int(e, 'RegisterWay', 0, 99),
    certNum: str(e, 'CertNum'),
    certifiable: int(e, 'Certifiable', 0, 1),
    errCode: int(e, 'ErrCode', 0, Number.MAX_SAFE_INTEGER),
    endTime: str(e, 'EndTime'),
    secrecy: int(e, 'Secrecy', 0, 1),
    ipAddress: str(e, 'IPAddress'),
    port: int(e, 'Port', 0, 65535),
    status: normalizeCatalogStatus(str(e, 'Status')),
    longitude: float(e, 'Longitude', -180, 180),
    latitude: float(e, 'Latitude', -90, 90),
    ptzType: (info && int(info, 'PTZType', 0, 99)) ?? int(e, 'PTZType', 0, 99),
    roomType: (info && int(info, 'RoomType', 0, 99)) ?? int(e, 'RoomType', 0, 99),
    useType: (info && int(info, 'UseType', 0, 99)) ?? int(e, 'UseType', 0, 99),
    resolution: (info && str(info, 'Resolution')) ?? str(e, 'Resolution'),
    businessGroupId: (info && str(info, 'BusinessGroupID')) ?? str(e, 'BusinessGroupID'),
  };
  for (const k of Object.keys(item)) if (item[k] === undefined) delete item[k];
  const parsed = catalogItemSchema.safeParse(item);
  return parsed.success ? parsed.data : undefined;
}

function readCatalogPage(root: XmlElement, h: Header, kind: CatalogPage['kind']): GbResult<CatalogPage> {
  const sumNum = int(root, 'SumNum', 0, 10_000_000);
  const list = childElement(root, 'DeviceList');
  if (sumNum === undefined && kind === 'catalog_response') return fail('manscdp:field', 'SumNum');
  const items: CatalogItem[] = [];
  let invalidItems = 0;
  let listNum = 0;
  if (list) {
    const numText = list.attributes.get('Num');
    const itemEls = childElementsNamed(list, 'Item');
    listNum = numText !== undefined && /^\d{1,9}$/.test(numText) ? Number(numText) : itemEls.length;
    for (const itemEl of itemEls) {
      const item = readItem(itemEl);
      if (item) items.push(item);
      else invalidItems++;
    }
  }
  return ok({ kind, ...h, sumNum: sumNum ?? items.length, listNum, items, invalidItems });
}

type Reader = (root: XmlElement, h: Header) => GbResult<ManscdpMessage>;

const READERS: Record<string, Reader> = {
  'Notify:Keepalive': (root, h) => {
    const msg: KeepaliveNotify = { kind: 'keepalive', ...h, status: str(root, 'Status') ?? 'OK' };
    const info = childElement(root, 'Info');
    if (info) {
      const ids = childElementsNamed(info, 'DeviceID')
        .map((d) => elementText(d))
        .filter((d) => d !== '');
      if (ids.length > 0) msg.faultyDeviceIds = ids.slice(0, 1000);
    }
    return ok(msg);
  },
  'Query:Catalog': (root, h) => {
    const msg: CatalogQuery = { kind: 'catalog_query', ...h };
    const start = str(root, 'StartTime');
    const end = str(root, 'EndTime');
    if (start !== undefined) msg.startTime = start;
    if (end !== undefined) msg.endTime = end;
    return ok(msg);
  },
  'Response:Catalog': (root, h) => readCatalogPage(root, h, 'catalog_response'),
  'Notify:Catalog': (root, h) => readCatalogPage(root, h, 'catalog_notify'),
  'Query:DeviceInfo': (_root, h) => ok({ kind: 'device_info_query', ...h }),
  'Response:DeviceInfo': (root, h) => {
    const msg: DeviceInfoResponse = { kind: 'device_info_response', ...h };
    assign(msg, 'result', oneOf(str(root, 'Result'), ['OK', 'ERROR'] as const));
    assign(msg, 'deviceName', str(root, 'DeviceName'));
    assign(msg, 'manufacturer', str(root, 'Manufacturer'));
    assign(msg, 'model', str(root, 'Model'));
    assign(msg, 'firmware', str(root, 'Firmware'));
    assign(msg, 'channel', int(root, 'Channel', 0, 1_000_000));
    return ok(msg);
  },
  'Query:DeviceStatus': (_root, h) => ok({ kind: 'device_status_query', ...h }),
  'Response:DeviceStatus': (root, h) => {
    const msg: DeviceStatusResponse = { kind: 'device_status_response', ...h };
    assign(msg, 'result', oneOf(str(root, 'Result'), ['OK', 'ERROR'] as const));
    assign(msg, 'online', oneOf(str(root, 'Online'), ['ONLINE', 'OFFLINE'] as const));
    assign(msg, 'status', oneOf(str(root, 'Status'), ['OK', 'ERROR'] as const));
    assign(msg, 'reason', str(root, 'Reason'));
    assign(msg, 'encode', oneOf(str(root, 'Encode'), ['ON', 'OFF'] as const));
    assign(msg, 'record', oneOf(str(root, 'Record'), ['ON', 'OFF'] as const));
    assign(msg, 'deviceTime', str(root, 'DeviceTime'));
    const alarm = childElement(root, 'Alarmstatus');
    if (alarm) {
      msg.alarms = childElementsNamed(alarm, 'Item')
        .slice(0, 1000)
        .map((i) => ({ deviceId: str(i, 'DeviceID', 64) ?? '', dutyStatus: str(i, 'DutyStatus') ?? '' }))
        .filter((a) => a.deviceId !== '');
    }
    return ok(msg);
  },
  'Control:DeviceControl': (root, h) => {
    const msg: DeviceControl = { kind: 'device_control', ...h };
    const ptz = childText(root, 'PTZCmd');
    if (ptz !== undefined) msg.ptz = decodePtzCmd(ptz.slice(0, 64));
    const iframe = childText(root, 'IFameCmd') ?? childText(root, 'IFrameCmd');
    if (iframe?.toLowerCase() === 'send') msg.iFrame = true;
    if (childText(root, 'TeleBoot')?.toLowerCase() === 'boot') msg.teleBoot = true;
    assign(msg, 'recordCmd', oneOf(str(root, 'RecordCmd'), ['Record', 'StopRecord'] as const));
    assign(msg, 'guardCmd', oneOf(str(root, 'GuardCmd'), ['SetGuard', 'ResetGuard'] as const));
    const info = childElement(root, 'Info');
    if (info) assign(msg, 'controlPriority', int(info, 'ControlPriority', 0, 99));
    return ok(msg);
  },
  'Response:DeviceControl': (root, h) => {
    const result = oneOf(str(root, 'Result'), ['OK', 'ERROR'] as const);
    if (!result) return fail('manscdp:field', 'Result');
    return ok({ kind: 'device_control_response', ...h, result });
  },
};

function assign<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/** Interprets a parsed MANSCDP root element. */
export function readManscdp(root: XmlElement): GbResult<ManscdpMessage> {
  const rootName = ROOTS.find((r) => r.toLowerCase() === root.name.toLowerCase());
  if (!rootName) return fail('manscdp:root', `unknown root <${root.name.slice(0, 40)}>`);
  const cmdType = childText(root, 'CmdType');
  if (cmdType === undefined) return fail('manscdp:field', 'CmdType');
  const snText = childText(root, 'SN');
  const sn = snText !== undefined && /^\d{1,15}$/.test(snText) ? Number(snText) : undefined;
  const deviceId = childText(root, 'DeviceID');
  const reader = READERS[`${rootName}:${cmdType}`];
  if (!reader || !Object.hasOwn(READERS, `${rootName}:${cmdType}`)) {
    const other: OtherManscdp = {
      kind: 'other',
      root: rootName,
      cmdType: cmdType.slice(0, 64),
      element: root,
    };
    if (sn !== undefined) other.sn = sn;
    if (deviceId !== undefined && deviceId.length <= 64) other.deviceId = deviceId;
    return ok(other);
  }
  if (sn === undefined) return fail('manscdp:field', 'SN');
  if (deviceId === undefined || deviceId.length > 64) return fail('manscdp:field', 'DeviceID');
  return reader(root, { sn, deviceId });
}

export interface ParsedManscdp {
  message: ManscdpMessage;
  /** The charset the body came in: answer in it. */
  charset: GbCharset;
}

/** Decodes (by the XML declaration), parses and interprets a MANSCDP body. */
export function parseManscdp(body: Uint8Array, limits?: XmlLimits): GbResult<ParsedManscdp> {
  const maxLength = limits?.maxLength ?? 1024 * 1024;
  if (body.length > maxLength * 4) return fail('xml:too_large', 'body too large');
  const decoded = decodeBody(body);
  if (!decoded.ok) return decoded;
  const doc = parseXml(decoded.value.text, limits);
  if (!doc.ok) return doc;
  const message = readManscdp(doc.value.root);
  if (!message.ok) return message;
  return ok({ message: message.value, charset: decoded.value.charset });
}

// --- writing -------------------------------------------------------------------------------------

/** Numbers in plain decimal (`1e-7` would not read back as a coordinate). */
function numberText(n: number): string {
  const t = String(n);
  return /e/i.test(t) ? n.toFixed(20).replace(/\.?0+$/, '') : t;
}

function field(name: string, value: string | number | undefined): XmlElement[] {
  if (value === undefined) return [];
  return [el(name, [typeof value === 'number' ? numberText(value) : value])];
}

function header(root: ManscdpRoot, cmdType: string, h: Header, rest: XmlNode[]): XmlElement {
  return el(root, [
    el('CmdType', [cmdType]),
    el('SN', [String(h.sn)]),
    el('DeviceID', [h.deviceId]),
    ...rest,
  ]);
}

function itemElement(i: CatalogItem): XmlElement {
  const info = [
    ...field('PTZType', i.ptzType),
    ...field('RoomType', i.roomType),
    ...field('UseType', i.useType),
    ...field('Resolution', i.resolution),
    ...field('BusinessGroupID', i.businessGroupId),
  ];
  return el('Item', [
    ...field('DeviceID', i.deviceId),
    ...field('Event', i.event),
    ...field('Name', i.name),
    ...field('Manufacturer', i.manufacturer),
    ...field('Model', i.model),
    ...field('Owner', i.owner),
    ...field('CivilCode', i.civilCode),
    ...field('Block', i.block),
    ...field('Address', i.address),
    ...field('Parental', i.parental),
    ...field('ParentID', i.parentId),
    ...field('SafetyWay', i.safetyWay),
    ...field('RegisterWay', i.registerWay),
    ...field('CertNum', i.certNum),
    ...field('Certifiable', i.certifiable),
    ...field('ErrCode', i.errCode),
    ...field('EndTime', i.endTime),
    ...field('Secrecy', i.secrecy),
    ...field('IPAddress', i.ipAddress),
    ...field('Port', i.port),
    ...field('Status', i.status),
    ...field('Longitude', i.longitude),
    ...field('Latitude', i.latitude),
    ...(info.length > 0 ? [el('Info', info)] : []),
  ]);
}

type Writer<M> = (m: M) => XmlElement;

const WRITERS: { [K in ManscdpMessage['kind']]: Writer<Extract<ManscdpMessage, { kind: K }>> } = {
  keepalive: (m) =>
    header('Notify', 'Keepalive', m, [
      el('Status', [m.status]),
      ...(m.faultyDeviceIds && m.faultyDeviceIds.length > 0
        ? [
            el(
              'Info',
              m.faultyDeviceIds.map((d) => el('DeviceID', [d])),
            ),
          ]
        : []),
    ]),
  catalog_query: (m) =>
    header('Query', 'Catalog', m, [...field('StartTime', m.startTime), ...field('EndTime', m.endTime)]),
  catalog_response: (m) => catalogPage('Response', m),
  catalog_notify: (m) => catalogPage('Notify', m),
  device_info_query: (m) => header('Query', 'DeviceInfo', m, []),
  device_info_response: (m) =>
    header('Response', 'DeviceInfo', m, [
      ...field('DeviceName', m.deviceName),
      ...field('Result', m.result),
      ...field('Manufacturer', m.manufacturer),
      ...field('Model', m.model),
      ...field('Firmware', m.firmware),
      ...field('Channel', m.channel),
    ]),
  device_status_query: (m) => header('Query', 'DeviceStatus', m, []),
  device_status_response: (m) =>
    header('Response', 'DeviceStatus', m, [
      ...field('Result', m.result),
      ...field('Online', m.online),
      ...field('Status', m.status),
      ...field('Reason', m.reason),
      ...field('Encode', m.encode),
      ...field('Record', m.record),
      ...field('DeviceTime', m.deviceTime),
      ...(m.alarms
        ? [
            el(
              'Alarmstatus',
              m.alarms.map((a) =>
                el('Item', [el('DeviceID', [a.deviceId]), el('DutyStatus', [a.dutyStatus])]),
              ),
              { Num: String(m.alarms.length) },
            ),
          ]
        : []),
    ]),
  device_control: (m) =>
    header('Control', 'DeviceControl', m, [
      ...(m.ptz?.ok ? [el('PTZCmd', [ptzHex(m.ptz.value)])] : []),
      ...(m.iFrame ? [el('IFameCmd', ['Send'])] : []),
      ...(m.teleBoot ? [el('TeleBoot', ['Boot'])] : []),
      ...field('RecordCmd', m.recordCmd),
      ...field('GuardCmd', m.guardCmd),
      ...(m.controlPriority !== undefined ? [el('Info', field('ControlPriority', m.controlPriority))] : []),
    ]),
  device_control_response: (m) => header('Response', 'DeviceControl', m, [el('Result', [m.result])]),
  other: (m) => m.element,
};

function ptzHex(f: PtzFrame): string {
  return encodePtzCmd(f.command, f.address);
}

function catalogPage(root: 'Response' | 'Notify', m: CatalogPage): XmlElement {
  return header(root, 'Catalog', m, [
    el('SumNum', [String(m.sumNum)]),
    el('DeviceList', m.items.map(itemElement), { Num: String(m.items.length) }),
  ]);
}

/** The XML element of a message. */
export function manscdpElement(m: ManscdpMessage): XmlElement {
  const write = WRITERS[m.kind] as Writer<ManscdpMessage>;
  return write(m);
}

/** The XML text of a message, with a declaration naming `charset`. */
export function writeManscdp(m: ManscdpMessage, charset: GbCharset = 'GB2312'): string {
  return writeXml({ declaration: { version: '1.0', encoding: charset }, root: manscdpElement(m) });
}

/** A MANSCDP body in `charset` (answer in the charset the request came in). */
export function encodeManscdp(m: ManscdpMessage, charset: GbCharset = 'GB2312'): Uint8Array {
  return encodeBody(writeManscdp(m, charset), charset);
}

/** The SIP Content-Type of MANSCDP bodies. */
export const MANSCDP_CONTENT_TYPE = 'Application/MANSCDP+xml';

// --- catalog paging --------------------------------------------------------------------------------

/** Splits a catalog into response pages of `pageSize` items (GB practice: a few per MESSAGE over UDP). */
export function paginateCatalog(args: {
  sn: number;
  deviceId: string;
  items: readonly CatalogItem[];
  pageSize: number;
  kind?: CatalogPage['kind'];
}): CatalogPage[] {
  const size = Math.max(1, Math.trunc(args.pageSize));
  const pages: CatalogPage[] = [];
  for (let i = 0; i < args.items.length || (i === 0 && pages.length === 0); i += size) {
    const items = args.items.slice(i, i + size);
    pages.push({
      kind: args.kind ?? 'catalog_response',
      sn: args.sn,
      deviceId: args.deviceId,
      sumNum: args.items.length,
      listNum: items.length,
      items,
      invalidItems: 0,
    });
  }
  return pages;
}

/**
 * Collects the pages answering one Catalog query (one device, one SN). Items are kept by DeviceID
 * (a repeated item replaces the earlier one) up to `maxItems`. Pure: the caller decides when progress
 * has stalled and takes what it has.
 */
export class CatalogCollector {
  readonly deviceId: string;
  readonly sn: number;
  readonly #items = new Map<string, CatalogItem>();
  readonly #maxItems: number;
  #sumNum: number | undefined;
  #pages = 0;
  #invalid = 0;
  #overflow = 0;

  constructor(deviceId: string, sn: number, options: { maxItems?: number } = {}) {
    this.deviceId = deviceId;
    this.sn = sn;
    this.#maxItems = options.maxItems ?? 100_000;
  }

  /** Adds a page; false when it belongs to another device or SN (ignored). */
  add(page: CatalogPage): boolean {
    if (page.kind !== 'catalog_response' || page.deviceId !== this.deviceId || page.sn !== this.sn)
      return false;
    this.#pages++;
    this.#sumNum = page.sumNum;
    this.#invalid += page.invalidItems;
    for (const item of page.items) {
      if (!this.#items.has(item.deviceId) && this.#items.size >= this.#maxItems) {
        this.#overflow++;
        continue;
      }
      this.#items.set(item.deviceId, item);
    }
    return true;
  }

  get sumNum(): number | undefined {
    return this.#sumNum;
  }

  /** Distinct items so far. */
  get received(): number {
    return this.#items.size;
  }

  get pages(): number {
    return this.#pages;
  }

  /** Items dropped as invalid by the reader, plus items over `maxItems`. */
  get dropped(): number {
    return this.#invalid + this.#overflow;
  }

  /** True once every announced item has arrived (counting invalid ones as arrived). */
  get complete(): boolean {
    return this.#sumNum !== undefined && this.#items.size + this.#invalid + this.#overflow >= this.#sumNum;
  }

  /** The items, in the order first seen. */
  items(): CatalogItem[] {
    return [...this.#items.values()];
  }
}
