/**
 * StoredNumberSet's ordering rules against a settings map whose reads can be made to fail (a store that is
 * down at start): the real stores' settings are covered by the tier-jobs and late-discovery tests.
 */
import { describe, expect, it } from 'vitest';
import { type SettingsAccess, StoredNumberSet } from './stored-set.js';

function settings(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  let failReads = 0;
  const access: SettingsAccess = {
    getSetting: async (k) => {
      if (failReads > 0) {
        failReads--;
        throw new Error('store down');
      }
      return values.get(k) ?? null;
    },
    putSetting: async (k, v) => {
      values.set(k, v);
    },
  };
  return { access, values, failNextReads: (n: number) => (failReads = n) };
}

describe('StoredNumberSet', () => {
  it('merges what a previous process left with what was noted meanwhile, and writes the union', async () => {
    const s = settings({ k: '[5,1]' });
    const set = new StoredNumberSet(s.access, 'k', 10);
    set.add(3); // noted before the stored copy was read
    await set.save();
    expect(set.sorted()).toEqual([1, 3, 5]);
    expect(s.values.get('k')).toBe('[1,3,5]');
  });

  it('never writes before the stored copy was read: a failed read is retried, nothing is lost', async () => {
    const s = settings({ k: '[7]' });
    s.failNextReads(2); // the constructor's read and the first save's
    const set = new StoredNumberSet(s.access, 'k', 10);
    set.add(9);
    await set.save();
    expect(s.values.get('k')).toBe('[7]'); // not replaced by [9]
    await set.save(); // the store is back
    expect(s.values.get('k')).toBe('[7,9]');
  });

  it('drops the smallest values beyond its bound and ignores what is not a list of integers', async () => {
    const bad = settings({ k: '{"x":1}' });
    const set = new StoredNumberSet(bad.access, 'k', 2);
    await set.ready();
    expect(set.sorted()).toEqual([]);
    for (const v of [10, 20, 30]) set.add(v);
    await set.save();
    expect(bad.values.get('k')).toBe('[20,30]');
  });
});
