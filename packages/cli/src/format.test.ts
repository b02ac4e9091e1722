import { describe, expect, it } from 'vitest';
import { formatSeconds, formatValue, textTable, truncate } from './format.js';

describe('formatValue', () => {
  it('writes integers as is, other numbers in 4 significant digits, tiny and huge ones in exponent form', () => {
    expect(formatValue(12)).toBe('12');
    expect(formatValue(0.0025)).toBe('0.0025');
    expect(formatValue(3.14159265)).toBe('3.142');
    expect(formatValue(1234.5678)).toBe('1235');
    expect(formatValue(3e-9)).toBe('3e-9');
    expect(formatValue(1.5e12)).toBe('1.5e+12');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(null)).toBe('-');
    expect(formatValue('4.2x')).toBe('4.2x');
  });
});

describe('textTable', () => {
  it('aligns columns, right-aligning where asked', () => {
    expect(textTable(['a', 'num'], [['xyz', '1'], ['q', '100']], ['left', 'right'])).toBe(
      ['a    num', '---  ---', 'xyz    1', 'q    100'].join('\n'),
    );
  });
});

describe('truncate and formatSeconds', () => {
  it('cuts with an ellipsis and flattens newlines', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('a\n  b', 10)).toBe('a b');
    expect(formatSeconds(1.234)).toBe('1.23');
    expect(formatSeconds(12.34)).toBe('12.3');
  });
});
