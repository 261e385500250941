// Socket addresses on the loopback network (src/host/sockets/address.ts): what bind and
// connect accept, in the WIT's error codes; IP literals parsed and printed; name lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindProblem, remoteProblem, parseIp, formatIp, formatSocketAddress, resolveLoopback, socketAddress,
  isSocketAddress, bindingKey, type IpAddress, type SocketAddress,
} from '../../src/host/sockets/address.ts';

const v4 = (a: number, b: number, c: number, d: number, port = 0): SocketAddress => ({ tag: 'ipv4', val: { port, address: [a, b, c, d] } });
const v6 = (g: number[], port = 0): SocketAddress => ({ tag: 'ipv6', val: { port, flowInfo: 0, address: g as never, scopeId: 0 } });

test('bind: loopback and unspecified addresses of the socket family only', () => {
  assert.equal(bindProblem('ipv4', v4(127, 0, 0, 1)), null);
  assert.equal(bindProblem('ipv4', v4(0, 0, 0, 0, 80)), null);
  assert.equal(bindProblem('ipv6', v6([0, 0, 0, 0, 0, 0, 0, 1])), null);
  assert.equal(bindProblem('ipv6', v6([0, 0, 0, 0, 0, 0, 0, 0])), null);
  assert.equal(bindProblem('ipv4', v6([0, 0, 0, 0, 0, 0, 0, 1])), 'invalid-argument', 'wrong family');
  assert.equal(bindProblem('ipv6', v4(127, 0, 0, 1)), 'invalid-argument', 'wrong family');
  for (let n = 224; n <= 239; n++) assert.equal(bindProblem('ipv4', v4(n, 0, 0, 1)), 'invalid-argument', `multicast ${n}`);
  assert.equal(bindProblem('ipv4', v4(255, 255, 255, 255)), 'invalid-argument', 'broadcast');
  assert.equal(bindProblem('ipv6', v6([0xff02, 0, 0, 0, 0, 0, 0, 1])), 'invalid-argument', 'multicast');
  assert.equal(bindProblem('ipv6', v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1])), 'invalid-argument', 'v4-mapped');
  assert.equal(bindProblem('ipv4', v4(192, 0, 2, 1)), 'address-not-bindable');
  assert.equal(bindProblem('ipv6', v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])), 'address-not-bindable');
});

test('connect: unicast loopback with a port; elsewhere is access-denied', () => {
  assert.equal(remoteProblem('ipv4', v4(127, 0, 0, 1, 80)), null);
  assert.equal(remoteProblem('ipv6', v6([0, 0, 0, 0, 0, 0, 0, 1], 80)), null);
  assert.equal(remoteProblem('ipv4', v4(127, 0, 0, 1, 0)), 'invalid-argument', 'port 0');
  assert.equal(remoteProblem('ipv4', v4(0, 0, 0, 0, 80)), 'invalid-argument', 'unspecified');
  assert.equal(remoteProblem('ipv6', v6([0, 0, 0, 0, 0, 0, 0, 0], 80)), 'invalid-argument', 'unspecified');
  assert.equal(remoteProblem('ipv4', v4(224, 0, 0, 1, 80)), 'invalid-argument', 'multicast');
  assert.equal(remoteProblem('ipv6', v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1], 80)), 'invalid-argument', 'v4-mapped');
  assert.equal(remoteProblem('ipv6', v4(127, 0, 0, 1, 80)), 'invalid-argument', 'wrong family');
  assert.equal(remoteProblem('ipv4', v4(93, 184, 216, 34, 80)), 'access-denied');
  assert.equal(remoteProblem('ipv6', v6([0x2606, 0x2800, 0, 0, 0, 0, 0, 1], 443)), 'access-denied');
});

test('on the host\'s network (sockets: \'host\') any unicast address may be bound or reached; the rest is still invalid', () => {
  assert.equal(remoteProblem('ipv4', v4(93, 184, 216, 34, 80), true), null);
  assert.equal(remoteProblem('ipv6', v6([0x2606, 0x2800, 0, 0, 0, 0, 0, 1], 443), true), null);
  assert.equal(remoteProblem('ipv4', v4(0, 0, 0, 0, 80), true), 'invalid-argument', 'unspecified');
  assert.equal(remoteProblem('ipv4', v4(224, 0, 0, 1, 80), true), 'invalid-argument', 'multicast');
  assert.equal(remoteProblem('ipv4', v4(127, 0, 0, 1, 0), true), 'invalid-argument', 'port 0');
  assert.equal(bindProblem('ipv4', v4(192, 0, 2, 1), true), null, 'the host says whether it has the address');
  assert.equal(bindProblem('ipv6', v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]), true), 'invalid-argument', 'v4-mapped');
  assert.equal(bindProblem('ipv4', v6([0, 0, 0, 0, 0, 0, 0, 1]), true), 'invalid-argument', 'wrong family');
});

test('IP literals parse and print in RFC 5952 form', () => {
  const cases: [string, IpAddress, string][] = [
    ['127.0.0.1', { tag: 'ipv4', val: [127, 0, 0, 1] }, '127.0.0.1'],
    ['::1', { tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] }, '::1'],
    ['::', { tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 0] }, '::'],
    ['2001:DB8:0:0:1:0:0:1', { tag: 'ipv6', val: [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1] }, '2001:db8::1:0:0:1'],
    ['::ffff:127.0.0.1', { tag: 'ipv6', val: [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1] }, '::ffff:7f00:1'],
    ['fe80::1:2', { tag: 'ipv6', val: [0xfe80, 0, 0, 0, 0, 0, 1, 2] }, 'fe80::1:2'],
  ];
  for (const [text, ip, printed] of cases) {
    assert.deepEqual(parseIp(text), ip, text);
    assert.equal(formatIp(ip), printed, text);
  }
  for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.4', '1::2::3', '12345::', 'localhost', '1:2:3:4:5:6:7:8:9', ':::']) {
    assert.equal(parseIp(bad), null, bad);
  }
  assert.equal(formatSocketAddress(socketAddress(parseIp('::1')!, 8080)), '[::1]:8080');
  assert.notEqual(bindingKey('tcp', v4(127, 0, 0, 1, 5)), bindingKey('udp', v4(127, 0, 0, 1, 5)));
});

test('a malformed address value is refused', () => {
  assert.equal(isSocketAddress(v4(127, 0, 0, 1, 80)), true);
  assert.equal(isSocketAddress({ tag: 'ipv4', val: { port: 70000, address: [127, 0, 0, 1] } }), false);
  assert.equal(isSocketAddress({ tag: 'ipv4', val: { port: 1, address: [127, 0, 0] } }), false);
  assert.equal(isSocketAddress({ tag: 'ipv9', val: { port: 1, address: [] } }), false);
  assert.equal(isSocketAddress(null), false);
});

test('name lookup: localhost is loopback, other names unresolvable, other addresses denied', () => {
  assert.deepEqual(resolveLoopback('localhost'), { ok: [{ tag: 'ipv4', val: [127, 0, 0, 1] }, { tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] }] });
  assert.deepEqual(resolveLoopback('LocalHost.'), resolveLoopback('localhost'));
  assert.deepEqual(resolveLoopback('app.localhost'), resolveLoopback('localhost'));
  assert.deepEqual(resolveLoopback('127.0.0.1'), { ok: [{ tag: 'ipv4', val: [127, 0, 0, 1] }] });
  assert.deepEqual(resolveLoopback('[::1]'), { ok: [{ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] }] });
  assert.deepEqual(resolveLoopback('example.com'), { err: 'name-unresolvable' });
  assert.deepEqual(resolveLoopback('8.8.8.8'), { err: 'access-denied' });
  assert.deepEqual(resolveLoopback(''), { err: 'invalid-argument' });
  assert.deepEqual(resolveLoopback('bad name'), { err: 'invalid-argument' });
  assert.deepEqual(resolveLoopback('-x.com'), { err: 'invalid-argument' });
});
