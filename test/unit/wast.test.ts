// Pure logic in node: the .wast script reader used by the conformance runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: a plain JS tooling module
import { parseWast } from '../../scripts/lib/wast.mjs';

test('commands, component forms and values are read', () => {
  const cmds = parseWast(`
    ;; comment
    (component definition $T (core module $m) (; block ;))
    (component instance $i $T)
    (component binary "\\00asm" "\\0d\\00\\01\\00")
    (assert_return (invoke "run" (list.const (variant.const "a" (record.const (field "h" u8.const 3)))))
      (u32.const 42))
    (assert_trap (invoke "f") "cannot enter component instance")
    (assert_return (invoke "p" (record.const (field "s" list.const (u32.const 1) (u32.const 2)))))`);
  assert.deepEqual(cmds.map((c: { kind: string }) => c.kind), ['component', 'instance', 'component', 'assert_return', 'assert_trap', 'assert_return']);
  assert.equal(cmds[0].definition, true);
  assert.equal(cmds[0].name, '$T');
  // The name stays (outer aliases may name the component); `definition` goes.
  assert.match(cmds[0].source.text, /^\(component \$T \(core module \$m\)/);
  assert.deepEqual([...cmds[2].source.binary], [0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
  assert.deepEqual(cmds[3].invoke.args[0], { k: 'list', v: [{ k: 'variant', tag: 'a', v: { k: 'record', v: [{ name: 'h', value: { k: 'u8', v: '3' } }] } }] });
  assert.deepEqual(cmds[3].expected, [{ k: 'u32', v: '42' }]);
  assert.equal(cmds[4].message, 'cannot enter component instance');
  // A bare compound value (a record field's) takes the rest of its form.
  assert.deepEqual(cmds[5].invoke.args[0], { k: 'record', v: [{ name: 's', value: { k: 'list', v: [{ k: 'u32', v: '1' }, { k: 'u32', v: '2' }] } }] });
});
