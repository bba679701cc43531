import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatParams } from './format';

describe('formats', () => {
  it('formats durations, bytes and parameter counts', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3600 + 61)).toBe('3 h 1 min');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(86 * 1024 * 1024)).toBe('86 MB');
    expect(formatParams(21_670_000)).toBe('21.7 M');
    expect(formatParams(950)).toBe('950');
  });
});
