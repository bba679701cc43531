/**
 * A pickle virtual machine that only builds data. It never imports or calls anything: each global
 * a pickle names goes through `hooks.global` (which may refuse it) and each "call" (REDUCE,
 * NEWOBJ, INST, OBJ) through `hooks.call`, which returns plain data or a placeholder.
 *
 * Python values become: None -> null, bool -> boolean, int -> number (bigint beyond 2^53),
 * float -> number, str -> string, bytes -> Uint8Array (a view into the input), list and tuple ->
 * array, dict -> Map, set/frozenset -> Set. Opcodes of protocols 0-5 are covered, except the
 * copyreg extension registry and out-of-band buffers, which torch never writes.
 */
import { WeightsError } from './errors';

/** A reference to a Python global (`module.name`); never resolved to code. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object whose constructor is not modelled, kept as inert data so callers can skip it. */
export class PickleObject {
  /** Argument of a BUILD (usually the instance `__dict__`), if any. */
  state: unknown = undefined;
  /** Items added by APPEND(S) / SETITEM(S) when the object is a list or dict subclass. */
  readonly listItems: unknown[] = [];
  readonly dictItems = new Map<unknown, unknown>();
  constructor(
    /** `module.name` of the callable that would have made it. */
    readonly type: string,
    readonly args: readonly unknown[],
  ) {}
}

export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL / INST: the value to push for `module.name`; throws to refuse. */
  global(module: string, name: string): unknown;
  /** REDUCE / NEWOBJ / INST / OBJ: the value standing for `fn(*args)` (nothing is executed). */
  call(fn: unknown, args: unknown[]): unknown;
  /** PERSID / BINPERSID: the object a persistent id refers to (torch: a storage). */
  persistentLoad(pid: unknown): unknown;
}

/** Longer integers only serve to make BigInt arithmetic slow; no checkpoint has them. */
const MAX_LONG_BYTES = 64;
const textDecoder = new TextDecoder('utf-8');
const latin1Decoder = new TextDecoder('latin1');

/** Text of `b`: short ASCII strings (every key and global of a state dict) without a TextDecoder
 *  call, which costs more than the rest of an opcode; a 10 MB pickle has hundreds of thousands. */
function decodeText(b: Uint8Array, decoder: TextDecoder): string {
  if (b.length > 64) return decoder.decode(b);
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (b[i] >= 0x80) return decoder.decode(b);
    s += String.fromCharCode(b[i]);
  }
  return s;
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list/tuple';
  if (v instanceof Map) return 'dict';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}

/** Little-endian two's-complement integer of `b` (LONG1 / LONG4). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Runs the pickle in `bytes` and returns the value it STOPs with. `what` prefixes error messages. */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, what = 'pickle'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let opPos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const fail = (msg: string): never => {
    throw new WeightsError(`${what}: ${msg} (opcode at byte ${opPos})`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail('unexpected end of data (truncated?)');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => bytes[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const lo = u32();
    const hi = u32();
    return hi === 0 ? lo : fail('length beyond 4 GiB');
  };
  const take = (n: number) => bytes.subarray(need(n), pos);
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = decodeText(bytes.subarray(pos, end), latin1Decoder);
    pos = end + 1;
    return s;
  };
  const push = (v: unknown) => stack.push(v);
  const pop = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    return stack.splice(m as number);
  };
  const memoGet = (i: number) => (memo.has(i) ? memo.get(i) : fail(`memo entry ${i} does not exist`));
  const memoPut = (i: number) => memo.set(i, top());
  const setItems = (target: unknown, kv: unknown[]) => {
    if (kv.length % 2) fail('odd number of dict items');
    const dict = target instanceof Map ? target : target instanceof PickleObject ? target.dictItems : fail(`SETITEM on a ${describe(target)}`);
    for (let i = 0; i < kv.length; i += 2) dict.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    const list = Array.isArray(target) ? target : target instanceof PickleObject ? target.listItems : fail(`APPEND on a ${describe(target)}`);
    for (const x of items) list.push(x);
  };
  const addToSet = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Set)) fail(`ADDITEMS on a ${describe(target)}`);
    for (const x of items) (target as Set<unknown>).add(x);
  };
  const asArgs = (v: unknown): unknown[] => (Array.isArray(v) ? v : fail(`call arguments are a ${describe(v)}, not a tuple`));

  while (pos < bytes.length) {
    opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const version = u8();
        if (version > 5) fail(`unsupported pickle protocol ${version}`);
        break;
      }
      case 0x95: // FRAME: a length prefix for buffering; nothing to do
        need(8);
        break;
      case 0x2e: // STOP
        if (marks.length) fail('STOP inside an open MARK');
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(decodeLong(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is too large`);
        push(decodeLong(take(n)));
        break;
      }
      case 0x49: { // INT (text; "00"/"01" are False/True)
        const s = line();
        if (s === '00' || s === '01') push(s === '01');
        else push(/^[+-]?\d+$/.test(s) ? Number(s) : fail(`bad INT "${s.slice(0, 20)}"`));
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        push(/^[+-]?\d{1,150}$/.test(s) ? decodeLongText(s) : fail(`bad LONG "${s.slice(0, 20)}"`));
        break;
      }
      case 0x46: { // FLOAT (text)
        const v = Number(line());
        push(Number.isNaN(v) ? fail('bad FLOAT') : v);
        break;
      }
      case 0x47: push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: push(decodeText(take(u32()), textDecoder)); break; // BINUNICODE
      case 0x8c: push(decodeText(take(u8()), textDecoder)); break; // SHORT_BINUNICODE
      case 0x8d: push(decodeText(take(u64()), textDecoder)); break; // BINUNICODE8
      case 0x54: push(decodeText(take(view.getInt32(need(4), true)), latin1Decoder)); break; // BINSTRING
      case 0x55: push(decodeText(take(u8()), latin1Decoder)); break; // SHORT_BINSTRING
      case 0x42: push(take(u32())); break; // BINBYTES
      case 0x43: push(take(u8())); break; // SHORT_BINBYTES
      case 0x8e: push(take(u64())); break; // BINBYTES8
      case 0x96: push(new Uint8Array(take(u64()))); break; // BYTEARRAY8 (a mutable copy)
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push([]); break; // EMPTY_TUPLE
      case 0x8f: push(new Set()); break; // EMPTY_SET
      case 0x64: { // DICT
        const d = new Map();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x6c: push(popMark()); break; // LIST
      case 0x74: push(popMark()); break; // TUPLE
      case 0x91: push(new Set(popMark())); break; // FROZENSET
      case 0x85: push([pop()]); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        push([pop(), b, c]);
        break;
      }
      case 0x61: { // APPEND
        const x = pop();
        appendItems(top(), [x]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x90: { // ADDITEMS
        const items = popMark();
        addToSet(top(), items);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x70: memoPut(parseIndex(line(), fail)); break; // PUT
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x67: push(memoGet(parseIndex(line(), fail))); break; // GET
      case 0x68: push(memoGet(u8())); break; // BINGET
      case 0x6a: push(memoGet(u32())); break; // LONG_BINGET
      case 0x63: { // GLOBAL
        const module = line();
        push(hooks.global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(hooks.global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = asArgs(pop());
        push(hooks.call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
        const args = asArgs(pop());
        push(hooks.call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX: keyword arguments are dropped (no modelled global takes any)
        pop();
        const args = asArgs(pop());
        push(hooks.call(pop(), args));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const cls = hooks.global(module, line());
        push(hooks.call(cls, popMark()));
        break;
      }
      case 0x6f: { // OBJ
        const [cls, ...args] = popMark();
        push(hooks.call(cls, args));
        break;
      }
      case 0x62: { // BUILD: obj.__setstate__(state) or obj.__dict__.update(state)
        const state = pop();
        const obj = top();
        if (obj instanceof PickleObject) obj.state = state;
        // Other containers (torch's state-dict `_metadata`, tensor attributes) keep their value.
        else if (typeof obj !== 'object' || obj === null) fail(`BUILD on a ${describe(obj)}`);
        break;
      }
      case 0x50: push(hooks.persistentLoad(line())); break; // PERSID
      case 0x51: push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x82: case 0x83: case 0x84: // EXT1, EXT2, EXT4
        fail('the copyreg extension registry (EXT opcodes) is not supported');
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
  return fail('no STOP opcode (truncated?)');
}

function parseIndex(s: string, fail: (msg: string) => never): number {
  return /^\d+$/.test(s) ? Number(s) : fail(`bad memo index "${s}"`);
}

function decodeLongText(s: string): number | bigint {
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
