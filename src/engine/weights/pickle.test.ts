import { describe, expect, it } from 'vitest';
import { WeightsError } from './errors';
import { PickleGlobal, PickleObject, unpickle, type PickleHooks } from './pickle';
import { readPth } from './pth';
import { PickleBytes, hex, pthZip } from '../../test-support/weights';

/**
 * Python 3.11: pickle.dumps(obj, protocol=p) with
 *   l = [1]
 *   obj = {'a': [1, -2, 3.5, 'é', b'xy', None, True, False, (1, 2), 2**70, -300, 70000, -(2**40)],
 *          'od': OrderedDict([('k', 1)]), 's': {7}, 'fs': frozenset([8]), 'shared': None, 'x': l, 'y': l}
 */
const PY_PICKLES: Record<number, string> = {
  2: '80027d71002858010000006171015d7102284b014afeffffff47400c0000000000005802000000c3a97103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271084e88894b014b028671098a090000000000000000404ad4feffff4a701101008a060000000000ff6558020000006f64710a63636f6c6c656374696f6e730a4f726465726564446963740a710b2952710c58010000006b710d4b0173580100000073710e635f5f6275696c74696e5f5f0a7365740a710f5d71104b0761857111527112580200000066737113635f5f6275696c74696e5f5f0a66726f7a656e7365740a71145d71154b0861857116527117580600000073686172656471184e58010000007871195d711a4b0161580100000079711b681a752e',
  4: '800495a7000000000000007d94288c0161945d94284b014afeffffff47400c0000000000008c02c3a99443027879944e88894b014b0286948a090000000000000000404ad4feffff4a701101008a060000000000ff658c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b01738c0173948f94284b07908c02667394284b0891948c06736861726564944e8c0178945d944b01618c0179946812752e',
  5: '800595a7000000000000007d94288c0161945d94284b014afeffffff47400c0000000000008c02c3a99443027879944e88894b014b0286948a090000000000000000404ad4feffff4a701101008a060000000000ff658c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b01738c0173948f94284b07908c02667394284b0891948c06736861726564944e8c0178945d944b01618c0179946812752e',
};

/** Hooks that record what the pickle asked for and model nothing but OrderedDict. */
function recordingHooks() {
  const globals: string[] = [];
  const hooks: PickleHooks = {
    global(module, name) {
      globals.push(`${module}.${name}`);
      return new PickleGlobal(module, name);
    },
    call(fn, args) {
      if (fn instanceof PickleGlobal && fn.qualifiedName === 'collections.OrderedDict') return new Map();
      return new PickleObject(fn instanceof PickleGlobal ? fn.qualifiedName : '?', args);
    },
    persistentLoad: (pid) => ({ pid }),
  };
  return { hooks, globals };
}

describe('unpickle on pickles written by CPython', () => {
  for (const protocol of [4, 5]) {
    it(`protocol ${protocol}: ints, floats, strings, bytes, containers, shared references`, () => {
      const v = unpickle(hex(PY_PICKLES[protocol]), recordingHooks().hooks) as Map<string, unknown>;
      expect([...v.keys()]).toEqual(['a', 'od', 's', 'fs', 'shared', 'x', 'y']);
      const a = v.get('a') as unknown[];
      expect(a.slice(0, 4)).toEqual([1, -2, 3.5, 'é']);
      expect(a[4]).toEqual(Uint8Array.from([0x78, 0x79]));
      expect(a.slice(5, 9)).toEqual([null, true, false, [1, 2]]);
      expect(a[9]).toBe(2n ** 70n);
      expect(a.slice(10)).toEqual([-300, 70000, -(2 ** 40)]);
      expect(v.get('od')).toEqual(new Map([['k', 1]]));
      expect(v.get('s')).toEqual(new Set([7]));
      expect(v.get('fs')).toEqual(new Set([8]));
      expect(v.get('x')).toBe(v.get('y')); // memo: one list, referenced twice
    });
  }

  it('protocol 2 (what torch.save writes): sets and bytes come through globals', () => {
    // Through the torch hooks, which model set and _codecs.encode.
    const v = readPth(pthZip(hex(PY_PICKLES[2]))) as Map<string, unknown>;
    const a = v.get('a') as unknown[];
    expect(a[4]).toEqual(Uint8Array.from([0x78, 0x79]));
    expect(a[9]).toBe(2n ** 70n);
    expect(v.get('s')).toEqual(new Set([7]));
    expect(v.get('od')).toEqual(new Map([['k', 1]]));
    expect(v.get('x')).toBe(v.get('y'));
  });
});

describe('unpickle', () => {
  it('keeps unknown objects inert, with their arguments and BUILD state', () => {
    // argparse.Namespace() built with NEWOBJ then BUILD {'lr': 0.5}, as torch checkpoints store `args`.
    const p = new PickleBytes().op(0x80, 2).global('argparse', 'Namespace').op(0x29, 0x81, 0x7d).str('lr');
    const bytes = p.op(0x47, ...new Uint8Array(new Float64Array([0.5]).buffer).reverse()).op(0x73, 0x62, 0x2e).build();
    const { hooks, globals } = recordingHooks();
    const v = unpickle(bytes, hooks) as PickleObject;
    expect(globals).toEqual(['argparse.Namespace']);
    expect(v).toBeInstanceOf(PickleObject);
    expect(v.type).toBe('argparse.Namespace');
    expect(v.state).toEqual(new Map([['lr', 0.5]]));
  });

  it('passes persistent ids to the hook', () => {
    const bytes = new PickleBytes().op(0x80, 2, 0x28).str('storage').int(3).op(0x74, 0x51, 0x2e).build();
    expect(unpickle(bytes, recordingHooks().hooks)).toEqual({ pid: ['storage', 3] });
  });

  const broken: [string, Uint8Array, RegExp][] = [
    ['truncated', hex(PY_PICKLES[4]).subarray(0, 60), /unexpected end of data|no STOP/],
    ['no STOP', hex('80027d71002e').subarray(0, 5), /no STOP opcode/],
    ['stack underflow', hex('800273'), /stack underflow/],
    ['unknown opcode', hex('8002ff2e'), /unsupported pickle opcode 0xff \(opcode at byte 2\)/],
    ['missing memo', hex('800268052e'), /memo entry 5 does not exist/],
    ['newer protocol', hex('80062e'), /unsupported pickle protocol 6/],
    ['extension registry', hex('8002820a2e'), /extension registry/],
    ['SETITEM on a list', hex('80025d4b014b02732e'), /SETITEM on a list\/tuple/],
    ['BUILD on an int', hex('80024b014b02622e'), /BUILD on a number/],
    ['pops across a MARK', hex('80024b01283052'), /stack underflow/],
    ['huge length', hex('800258ffffff7f'), /unexpected end of data/],
  ];
  for (const [name, bytes, message] of broken) {
    it(`fails cleanly: ${name}`, () => {
      expect(() => unpickle(bytes, recordingHooks().hooks)).toThrow(WeightsError);
      expect(() => unpickle(bytes, recordingHooks().hooks)).toThrow(message);
    });
  }
});
