import test from 'ava';
import { compileServerAcl, globToRegExp, isServerAllowedByAcl } from '../../src/core/server-acl.js';

test('no ACL event: every server is allowed', (t) => {
  t.true(isServerAllowedByAcl(undefined, 'anything.example'));
  t.true(isServerAllowedByAcl(undefined, '192.0.2.1'));
});

test('globs: * is any run, ? exactly one character, case-insensitive, anchored', (t) => {
  t.true(globToRegExp('*.example.org').test('a.b.EXAMPLE.org'));
  t.false(globToRegExp('*.example.org').test('example.org'));
  t.true(globToRegExp('ex?mple.org').test('exAmple.org'));
  t.false(globToRegExp('ex?mple.org').test('exmple.org'));
  t.false(globToRegExp('example.org').test('example.org.evil'));
  t.false(globToRegExp('example.org').test('exampleXorg'), 'a dot is a dot, not any character');
  t.true(globToRegExp('*').test(''));
  t.true(globToRegExp('a+b(c)[d]{e}|^$\\').test('a+b(c)[d]{e}|^$\\'), 'regular expression syntax is literal');
});

test('deny wins over allow; a server matching neither is denied; ports are ignored', (t) => {
  const acl = compileServerAcl({ allow: ['*'], deny: ['evil.example', '*.evil.example'] });
  t.true(acl.allows('good.example'));
  t.true(acl.allows('good.example:8448'));
  t.false(acl.allows('evil.example'));
  t.false(acl.allows('evil.example:1234'));
  t.false(acl.allows('sub.evil.example:8448'));
  const only = compileServerAcl({ allow: ['*.trusted.example'] });
  t.true(only.allows('hs.trusted.example'));
  t.false(only.allows('other.example'));
  t.false(only.allows('trusted.example'));
});

test('an ACL without allow denies everyone, its own server included', (t) => {
  t.false(isServerAllowedByAcl({}, 'example.org'));
  t.false(isServerAllowedByAcl({ deny: [] }, 'example.org'));
  t.false(isServerAllowedByAcl({ allow: 'not-a-list' }, 'example.org'));
});

test('IP literals: allowed by default, denied when allow_ip_literals is false, bracketed IPv6 matched with brackets', (t) => {
  t.true(isServerAllowedByAcl({ allow: ['*'] }, '192.0.2.1'));
  t.true(isServerAllowedByAcl({ allow: ['*'] }, '[2001:db8::1]:8448'));
  t.true(isServerAllowedByAcl({ allow: ['*'], allow_ip_literals: 'no' }, '192.0.2.1'), 'only a real false denies');
  t.false(isServerAllowedByAcl({ allow: ['*'], allow_ip_literals: false }, '192.0.2.1'));
  t.false(isServerAllowedByAcl({ allow: ['*'], allow_ip_literals: false }, '192.0.2.1:8448'));
  t.false(isServerAllowedByAcl({ allow: ['*'], allow_ip_literals: false }, '[2001:db8::1]'));
  t.true(isServerAllowedByAcl({ allow: ['*'], allow_ip_literals: false }, 'example.org'));
  t.false(isServerAllowedByAcl({ allow: ['*'], deny: ['192.0.2.*'] }, '192.0.2.1:8448'));
  t.false(isServerAllowedByAcl({ allow: ['*'], deny: ['[2001:db8::1]'] }, '[2001:db8::1]:8448'));
});

test('entries that are not strings are ignored; what is not a server name is denied', (t) => {
  t.true(isServerAllowedByAcl({ allow: [42, null, 'ok.example'], deny: [{}, 7] }, 'ok.example'));
  t.false(isServerAllowedByAcl({ allow: ['*'] }, 'not a server name'));
  t.false(isServerAllowedByAcl({ allow: ['*'] }, ''));
});
