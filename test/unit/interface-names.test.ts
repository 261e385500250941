// The host registry's matching of imports to packages (pure logic: semver as wasmtime's linker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInterfaceName, serves } from '../../src/host/interface-names.ts';

test('0.x versions are served by the same minor, 1.x and later by the same major; pre-releases only by themselves', () => {
  assert.ok(serves('0.2', '0.2.4'));
  assert.ok(serves('0.2', '0.2.12'));
  assert.ok(serves('0.3', '0.3.0'));
  assert.ok(!serves('0.2', '0.3.0'));
  assert.ok(!serves('0.3', '0.4.0'));
  assert.ok(serves('1', '1.7.2'));
  assert.ok(!serves('1', '2.0.0'));
  assert.ok(serves('0.2.0-draft2', '0.2.0-draft2'));
  assert.ok(!serves('0.2.0-draft2', '0.2.0-draft'));
  assert.ok(!serves('0.2', '0.2.0-draft'));
});

test('interface names split into package, interface and version', () => {
  assert.deepEqual(parseInterfaceName('wasi:cli/stdout@0.2.4'), { pkg: 'wasi:cli', iface: 'stdout', version: '0.2.4' });
  assert.deepEqual(parseInterfaceName('wasi:keyvalue/store@0.2.0-draft2'), { pkg: 'wasi:keyvalue', iface: 'store', version: '0.2.0-draft2' });
  assert.deepEqual(parseInterfaceName('test:fixtures/not-provided'), { pkg: 'test:fixtures', iface: 'not-provided', version: '' });
  assert.equal(parseInterfaceName('frobnicate'), null);
});
