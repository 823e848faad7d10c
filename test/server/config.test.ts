import { describe, expect, it } from 'vitest';
import { QuiverError } from '../../src/core/errors.js';
import { resolveServerConfig } from '../../src/server/config.js';

describe('server configuration', () => {
  it('takes the memory limit from QUIVER_MEMORY_LIMIT or --memory-limit (the flag wins); unset means none', () => {
    expect(resolveServerConfig({}).memoryLimit).toBeUndefined();
    expect(resolveServerConfig({ QUIVER_MEMORY_LIMIT: '8589934592' }).memoryLimit).toBe(2 ** 33);
    expect(resolveServerConfig({ QUIVER_MEMORY_LIMIT: '1000' }, ['--memory-limit', '2000']).memoryLimit).toBe(2000);
    expect(resolveServerConfig({}, ['--memory-limit=3000']).memoryLimit).toBe(3000);
  });

  it('takes the field cache from QUIVER_FIELD_CACHE or --field-cache; 0 turns it off', () => {
    expect(resolveServerConfig({}).fieldCache).toBe(64 * 2 ** 20);
    expect(resolveServerConfig({ QUIVER_FIELD_CACHE: '0' }).fieldCache).toBe(0);
    expect(resolveServerConfig({ QUIVER_FIELD_CACHE: '0' }, ['--field-cache=1024']).fieldCache).toBe(1024);
    expect(() => resolveServerConfig({ QUIVER_FIELD_CACHE: '-5' })).toThrow(/QUIVER_FIELD_CACHE/);
  });

  it('rejects a memory limit that is not a positive integer, with every problem in one error', () => {
    try {
      resolveServerConfig({ QUIVER_MEMORY_LIMIT: '8GB', QUIVER_PORT: '-1' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(QuiverError);
      expect((error as QuiverError).code).toBe('INVALID_OPTIONS');
      expect((error as Error).message).toMatch(/QUIVER_PORT.*QUIVER_MEMORY_LIMIT|QUIVER_MEMORY_LIMIT.*QUIVER_PORT/);
    }
  });
});
